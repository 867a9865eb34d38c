/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-job.h"

G_BEGIN_DECLS

/* GLib has no 64-bit atomics; progress counters need them. */
#define pcq_atomic_set64(p, v) __atomic_store_n ((p), (v), __ATOMIC_RELAXED)
#define pcq_atomic_get64(p)    __atomic_load_n ((p), __ATOMIC_RELAXED)

/* What a worker gets for one job: a plain copy of the spec and the
 * job's cancellable. Workers never see the PcqJob itself. Shared
 * between threads: the spec is immutable, progress fields are atomic,
 * the rest belongs to whoever holds the run in its hands (backlog,
 * one worker, or the main thread). */
typedef struct
{
  gatomicrefcount  ref_count;

  guint64          id;
  char            *url;
  char            *output_dir;
  char            *name;         /* explicit name, or NULL */
  char            *host;         /* for Retry-After holds */
  GCancellable    *cancellable;

  /* API tasks only (kind PCQ_JOB_ASK, or PCQ_JOB_BATCH whose prompt is
   * the whole request body; url is the chat-completions URL). */
  PcqJobKind       kind;
  char            *prompt;
  char            *model;            /* nullable */
  char            *system_prompt;    /* nullable */
  char            *api_key;          /* nullable; set as a worker takes the run
                                      * (the engine's key then); never logged */
  char            *idempotency_key;  /* the same for every attempt */

  /* Written by the worker, read by the main thread. */
  gint64           bytes;        /* atomic */
  gint64           total;        /* atomic, -1 while unknown */
  gint             dirty;        /* atomic: progress not yet shown */
  gint             taken;        /* a worker holds it (under the backlog lock) */
  gboolean         api_slot;     /* counts against max-api-active (same lock) */

  /* Owned by the thread holding the run. */
  guint            attempts;
  gint64           not_before;   /* monotonic µs before which it must not start */
  char            *output_path;  /* the final name, once chosen */
  char            *validator;    /* ETag or Last-Modified of the part file */

  /* Main thread only. */
  gboolean         accepted;     /* committed to the store and in the backlog */
  gint64           saved_at;     /* when progress was last stored */
} PcqRun;

PcqRun *pcq_run_new   (guint64     id,
                       const char *url,
                       const char *output_dir,
                       const char *name,
                       const char *host);
void    pcq_run_set_ask (PcqRun     *run,
                         const char *prompt,
                         const char *model,
                         const char *system_prompt);
void    pcq_run_set_batch (PcqRun     *run,
                           const char *body,
                           const char *model);
void    pcq_run_set_api_key (PcqRun     *run,
                             const char *api_key);
PcqRun *pcq_run_ref   (PcqRun     *run);
void    pcq_run_unref (PcqRun     *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqRun, pcq_run_unref)

typedef enum
{
  PCQ_OUTCOME_DONE,
  PCQ_OUTCOME_FAILED,
  PCQ_OUTCOME_RETRY,      /* a transient error: worth another attempt */
  PCQ_OUTCOME_CANCELLED,
} PcqOutcome;

typedef struct
{
  GError *error;
  char   *output_path;
  gint64  retry_after_ms;  /* from a Retry-After header, or -1 */
} PcqAttempt;

void pcq_attempt_clear (PcqAttempt *attempt);

/* Both are called from the worker thread. */
typedef struct
{
  /* run->bytes and run->total changed */
  void (*progress) (PcqRun   *run,
                    gpointer  user_data);
  /* run->output_path (and run->validator) were just chosen; returns
   * once they are recorded (or the run is cancelled) */
  void (*named)    (PcqRun   *run,
                    gpointer  user_data);
} PcqWorkerCallbacks;

typedef struct _PcqWorker PcqWorker;

char       *pcq_check_url    (const char       *url,
                              GError          **error);

PcqWorker  *pcq_worker_new   (const PcqWorkerCallbacks *callbacks,
                              gpointer                  user_data);
void        pcq_worker_idle  (PcqWorker        *self);
PcqOutcome  pcq_worker_run   (PcqWorker        *self,
                              PcqRun           *run,
                              guint             stall_timeout,
                              PcqAttempt       *attempt);
void        pcq_worker_free  (PcqWorker        *self);

G_END_DECLS
