/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-dispatcher.h"
#include "pcq-job.h"
#include "pcq-sink.h"

G_BEGIN_DECLS

#define PCQ_STORE_SCHEMA_VERSION 10

/* One row of the store: everything needed to show a job again and to
 * run it on from where it was. Plain data, copied between threads. */
typedef struct
{
  guint64      id;
  PcqJobKind   kind;
  char        *prompt;       /* an API task's prompt, or NULL */
  char        *url;          /* for an API task: its chat-completions URL */
  char        *output_dir;
  char        *name;         /* explicit name, or NULL */
  PcqJobState  state;
  gint64       bytes;
  gint64       total;
  guint        attempts;
  char        *error;
  char        *output_path;  /* the final name, chosen when it first ran */
  char        *validator;    /* how its part file resumes: which file it is and the
                              * server's validator (pcq_run_dup_resume ()) */
  gint64       created;      /* unix seconds */
  gint64       finished;     /* unix seconds, 0 while unfinished */
  char        *commit_note;  /* what the Git step said, or NULL */
  char        *sha256;       /* the digest a download must have (64 lowercase hex
                              * digits), or the one it had once recorded, or NULL */
  gint64       started;      /* unix seconds of the first attempt, 0 if none */
  guint        http_status;  /* of the last response, 0 if none */
  gint64       prompt_tokens;     /* an API task's usage as the server */
  gint64       completion_tokens; /* reported it; -1 (NULL): unknown */
  gint64       position;     /* the order of the queue (pcq_job_get_position ());
                              * 0 when put: the id's */
  char        *headers;      /* a download's request headers as a JSON object,
                              * secret values null; or NULL */
  gboolean     placing;      /* done, and its file was being moved from its part
                              * file to @output_path: perhaps a crash came first */
} PcqStoreRecord;

void pcq_store_record_free (PcqStoreRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqStoreRecord, pcq_store_record_free)

/* Called on the main context once the change it was given with is
 * committed (durably: after the batch's syncfs and COMMIT), through the
 * store's dispatcher. */
typedef void (*PcqStoreCommitted) (gpointer user_data);

/* A finished file for the store to put in place and commit as done
 * (pcq_store_finish_file ()). */
typedef struct
{
  guint64         id;
  char           *part_path;
  char           *output_path;   /* reserved in @names; another if it was taken */
  char           *validator;     /* the resume token (pcq_run_dup_resume ()) */
  gint64          bytes;
  gint64          total;
  guint           attempts;
  gint64          started;       /* unix seconds */
  guint           http_status;
  char           *sha256;        /* what the file hashed to, when computed */
  gint64          prompt_tokens;     /* API tasks: the usage reported, */
  gint64          completion_tokens; /* -1 where none */
  PcqNames       *names;
  gpointer        user_data;
  GDestroyNotify  user_data_free;

  /* The store's. */
  gboolean        placed;
  guint           conflicts;
  GError         *error;         /* why the file could not be put in place */
} PcqStoreFinish;

PcqStoreFinish *pcq_store_finish_new  (void);
void            pcq_store_finish_free (PcqStoreFinish *finish);

#define PCQ_TYPE_STORE (pcq_store_get_type ())

G_DECLARE_FINAL_TYPE (PcqStore, pcq_store, PCQ, STORE, GObject)

PcqStore   *pcq_store_new          (const char           *path);
void        pcq_store_set_dispatcher (PcqStore           *self,
                                    PcqDispatcher        *dispatcher);
const char *pcq_store_get_path     (PcqStore             *self);
void        pcq_store_open_async   (PcqStore             *self,
                                    GTimeSpan             prune_age,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
GPtrArray  *pcq_store_open_finish  (PcqStore             *self,
                                    GAsyncResult         *result,
                                    char                **notice,
                                    GError              **error);
GPtrArray  *pcq_store_open_sync    (PcqStore             *self,
                                    GTimeSpan             prune_age,
                                    char                **notice,
                                    GError              **error);
void        pcq_store_put          (PcqStore             *self,
                                    const PcqStoreRecord *record,
                                    PcqStoreCommitted     committed,
                                    gpointer              user_data);
void        pcq_store_put_full     (PcqStore             *self,
                                    const PcqStoreRecord *record,
                                    PcqStoreCommitted     committed,
                                    gpointer              user_data,
                                    gboolean              soon);
void        pcq_store_put_progress (PcqStore             *self,
                                    guint64               id,
                                    gint64                bytes,
                                    gint64                total,
                                    const char           *validator);
void        pcq_store_delete       (PcqStore             *self,
                                    guint64               id);
void        pcq_store_put_position (PcqStore             *self,
                                    guint64               id,
                                    gint64                position);
void        pcq_store_finish_file  (PcqStore             *self,
                                    PcqStoreFinish       *finish,
                                    PcqDispatchFunc       finished,
                                    gboolean              soon);
void        pcq_store_set_nice     (PcqStore             *self,
                                    int                   nice);
void        pcq_store_flush        (PcqStore             *self);
void        pcq_store_close        (PcqStore             *self);

gboolean    pcq_store_lock         (const char           *path,
                                    int                  *out_fd,
                                    GError              **error);

G_END_DECLS
