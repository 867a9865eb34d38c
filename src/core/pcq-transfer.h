/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "pcq-api.h"
#include "pcq-keyring.h"
#include "pcq-sink.h"
#include "pcq-worker.h"

G_BEGIN_DECLS

/* One attempt at one run, on a worker's thread: what the download and
 * the API task code share. Private to pcq-worker*.c. */
typedef struct _PcqTransfer PcqTransfer;

typedef void (*PcqTransferFunc) (PcqTransfer *self);

struct _PcqTransfer
{
  PcqWorker     *worker;
  PcqRun        *run;
  guint          stall_timeout;
  guint          min_speed;     /* bytes/s over each stall_timeout; 0: none */
  PcqRateLimit  *limit;         /* the worker's: shared by all downloads */
  gboolean       record_checksum; /* hash every download, not only checked ones */
  /* A run is cancelled on the main thread (pcq_run_cancel ()), where
   * "cancelled" handlers would run: libsoup's must run here. This one
   * is cancelled on this thread when the run is. */
  GCancellable  *cancellable;
  SoupSession   *session;
  SoupMessage   *msg;
  GUri          *uri;
  GInputStream  *in;
  PcqSink       *sink;
  guint8        *buffer;
  gint64         bytes;
  gint64         total;
  gint64         resume_from;
  GError        *error;
  PcqAttempt     attempt;

  /* Downloads. */
  GHashTable    *seen;         /* URLs redirected through */
  guint          redirects;
  gint64         speed_since;  /* low-speed detection: when the window began */
  gint64         speed_mark;   /* bytes then */
  PcqBasicAuth  *basic_auth;   /* the URL's user and password, for its origin only */
  gboolean       challenge_answered; /* a 401 was answered with the keyring's */
  char         **kept_headers; /* name, value…: the keyring's values of run->secret_names */
  GChecksum     *checksum;     /* SHA-256 of the part so far, when the run has one to match */
  guint          split;        /* connections a large file may use (1: one) */
  char          *split_validator; /* set when this attempt is split (run->validator is not) */
  gint64        *split_resume;  /* where each segment of an earlier split attempt got to */
  guint          split_resume_n;
  struct _PcqSegments *segments; /* pcq-worker-segments.c, while split */

  /* API tasks. */
  gboolean       sent;         /* the request reached the wire */
  PcqApiStream  *stream;
  guint64        stream_bytes;  /* read from the stream, events and all */
  GString       *delta;
  /* After the last choice, while the token counts may still come. */
  GCancellable  *grace;
  gulong         grace_handler; /* on @cancellable: cancels @grace */
  GSource       *grace_timer;
  gboolean       grace_over;

  /* pcq_transfer_read_body(). */
  GByteArray    *body;
  gsize          body_max;
  gboolean       too_long;
  PcqTransferFunc body_read;
};

#define PCQ_TRANSFER_BUFFER_SIZE (512 * 1024)

SoupSession *pcq_worker_get_session     (PcqWorker   *worker,
                                         guint        timeout,
                                         gboolean     http1_only);
const char  *pcq_worker_get_proxy_authorization (PcqWorker  *worker,
                                                 GUri       *uri);
void        pcq_worker_set_proxy_authorization (PcqWorker  *worker,
                                                GUri       *uri,
                                                char       *value);

/* pcq-worker-download.c and pcq-worker-ask.c */
void        pcq_transfer_start_download (PcqTransfer *self);
SoupMessage *pcq_transfer_new_get       (PcqTransfer *self);
gboolean    pcq_transfer_wait_for_limit (PcqTransfer *self,
                                         guint        share,
                                         GSourceFunc  then,
                                         gpointer     data);
void        pcq_transfer_start_ask      (PcqTransfer *self);

/* pcq-worker.c: the shared steps. Each of these that ends the attempt
 * frees @self. */
gboolean    pcq_transfer_send_finish    (PcqTransfer  *self,
                                         GAsyncResult *result);
void        pcq_transfer_end            (PcqTransfer *self,
                                         PcqOutcome   outcome);
PcqOutcome  pcq_transfer_classify       (PcqTransfer *self);
void        pcq_transfer_end_with_io_error (PcqTransfer *self);
void        pcq_transfer_end_with_status (PcqTransfer *self,
                                          const char  *message);
void        pcq_transfer_end_stalled    (PcqTransfer *self,
                                         PcqOutcome   outcome);
gboolean    pcq_transfer_choose_path    (PcqTransfer *self,
                                         const char  *name);
gboolean    pcq_transfer_open_part      (PcqTransfer *self);
void        pcq_transfer_save_resume    (PcqTransfer *self);
gboolean    pcq_transfer_write          (PcqTransfer *self,
                                         const void  *data,
                                         gsize        len);
void        pcq_transfer_read           (PcqTransfer        *self,
                                         GAsyncReadyCallback callback);
void        pcq_transfer_read_body      (PcqTransfer     *self,
                                         gsize            max,
                                         PcqTransferFunc  then);
void        pcq_transfer_commit         (PcqTransfer *self);
void        pcq_transfer_add_bytes      (PcqTransfer *self,
                                         gsize        len);

/* pcq-worker-download.c, for the segments */
gboolean    pcq_transfer_download_is_too_slow (PcqTransfer *self);
void        pcq_transfer_download_end_short   (PcqTransfer *self);
void        pcq_transfer_download_end_too_slow (PcqTransfer *self);
void        pcq_transfer_download_finish_body (PcqTransfer *self);

/* pcq-worker-segments.c */
/* How a split attempt's progress starts, where the run keeps its
 * validator (see pcq-worker-segments.c). No server's validator may. */
#define PCQ_SPLIT_TOKEN_PREFIX "split/"

gboolean    pcq_transfer_should_split   (PcqTransfer *self);
void        pcq_transfer_split          (PcqTransfer *self);
gboolean    pcq_transfer_take_split_token (PcqTransfer *self);
void        pcq_transfer_split_next_range (PcqTransfer *self,
                                           gint64      *start,
                                           gint64      *end);
gboolean    pcq_transfer_split_accept_answer (PcqTransfer *self);
void        pcq_transfer_split_resume   (PcqTransfer *self);

char       *pcq_count_text              (gint64       n);
gulong      pcq_plural_n                (gint64       n);

G_END_DECLS
