/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-job.h"
#include "pcq-sink.h"

G_BEGIN_DECLS

/* GLib has no 64-bit atomics; progress counters need them. */
#define pcq_atomic_set64(p, v) __atomic_store_n ((p), (v), __ATOMIC_RELAXED)
#define pcq_atomic_get64(p)    __atomic_load_n ((p), __ATOMIC_RELAXED)

/* Smaller files are fetched again rather than resumed after a crash. */
#define PCQ_RUN_RESUME_WORTH (1024 * 1024)

typedef void (*PcqRunCancelFunc) (gpointer data);

/* What a worker gets for one job: a plain copy of the spec, whether it
 * is cancelled, and the path of its part file. Workers never see the
 * PcqJob itself.
 *
 * Who may touch what:
 *  - the spec (id … idempotency_key) is fixed once the run is shared;
 *  - cancelled, bytes, total, dirty and interrupted are atomics, any
 *    thread (cancelled through pcq_run_cancel () only);
 *  - on_cancel and its data belong to cancel_lock, set by the transfer
 *    that runs the run (pcq_run_set_on_cancel ());
 *  - taken and api_slot belong to the scheduler's lock;
 *  - the "attempt" block belongs to whoever holds the run: the
 *    backlog, one worker, or the engine on the main thread, never two
 *    at once;
 *  - accepted and saved_at are the main thread's. */
typedef struct
{
  gatomicrefcount  ref_count;

  /* The spec. */
  guint64          id;
  PcqJobKind       kind;
  char            *url;
  char            *output_dir;
  char            *name;          /* explicit name, or NULL */
  char            *host;          /* for Retry-After and host holds */
  char            *part_path;     /* where the body goes until it is complete */
  PcqNames        *names;         /* the engine's: where final names are reserved */
  char            *prompt;        /* API tasks: the prompt, or a batch's body */
  char            *model;         /* nullable */
  char            *system_prompt; /* nullable */
  char            *idempotency_key; /* the same for every attempt */
  char            *sha256;        /* downloads: the digest the file must have, or NULL */
  char           **headers;       /* downloads: headers to add (name, value…), or NULL */
  gboolean         headers_lost;  /* the stored ones did not read back: do not send */
  char           **secret_names;  /* downloads: secret headers the keyring has the values of */

  /* Atomics. */
  gint             cancelled;     /* pcq_run_cancel () */
  gint64           bytes;
  gint64           total;         /* -1 while unknown */
  gint             dirty;         /* progress not yet shown */
  gint             interrupted;   /* a forced stop or Pause, not a Cancel: keep the part */
  gint             ended;         /* its last report (an end, or the hand-over of its
                                   * file) is posted: a "started" not yet shown is moot */

  /* Whom a cancel tells, while a transfer runs the run. */
  GMutex           cancel_lock;
  PcqRunCancelFunc on_cancel;
  gpointer         on_cancel_data;

  /* The scheduler's lock. */
  gint             taken;         /* a worker holds it (atomic, read by shutdown) */
  gboolean         api_slot;      /* counts against max-api-active */
  gboolean         host_slot;     /* counts against max-per-host */
  gboolean         rpm_held;      /* deferred by the requests-per-minute limit */
  GList            taken_link;    /* in the scheduler's list of taken runs */
  gint64           position;      /* the queue's order (the job's position):
                                   * set before the run is shared, then
                                   * by pcq_scheduler_reorder () */

  /* The holder's. */
  guint            attempts;
  gint64           not_before;    /* monotonic µs before which it must not start */
  gboolean         hurry;         /* Retry Now: not even its host's hold applies */
  char            *output_path;   /* the final name, once chosen */
  char            *validator;     /* strong ETag or Last-Modified of the part */
  PcqFileId        part_id;       /* the part file this job made, if any */
  char            *api_key;       /* set as a worker takes the run; never logged */
  char            *api_key_error; /* set with it: why the key was refused, or NULL */
  gint64           started;       /* real time (µs) its first attempt here began, or 0 */
  guint            http_status;   /* of the last response, or 0 */
  char            *digest;        /* SHA-256 of the finished file, when computed */
  gint64           prompt_tokens;     /* API tasks: what the server reported */
  gint64           completion_tokens; /* for the last attempt; -1: nothing */
  gboolean         no_split;      /* a segment was refused: fetch in one piece */

  /* The main thread's. */
  gboolean         accepted;      /* committed to the store and in the backlog */
  gint64           saved_at;      /* when progress was last stored */
  gboolean         saved_waiting; /* stored as queued by a wait (apply_event ()) */
  gboolean         pausing;       /* interrupted by Pause: ends paused, not queued */
  gboolean         cancel_paused; /* and cancelled before it ended */
} PcqRun;

PcqRun *pcq_run_new         (PcqNames   *names,
                             guint64     id,
                             const char *url,
                             const char *output_dir,
                             const char *name,
                             char       *host,
                             char       *part_path);
void    pcq_run_set_ask     (PcqRun     *run,
                             const char *prompt,
                             const char *model,
                             const char *system_prompt);
void    pcq_run_set_batch   (PcqRun     *run,
                             const char *body,
                             const char *model);
void    pcq_run_set_api_key (PcqRun     *run,
                             const char *api_key);
gboolean pcq_run_is_api     (PcqRun     *run);
gboolean pcq_run_is_small   (PcqRun     *run);
gboolean pcq_run_is_large   (PcqRun     *run);
void     pcq_run_cancel     (PcqRun     *run);
gboolean pcq_run_is_cancelled (PcqRun   *run);
void     pcq_run_set_on_cancel (PcqRun           *run,
                                PcqRunCancelFunc  func,
                                gpointer          data);
char    *pcq_run_dup_resume (PcqRun     *run);
void     pcq_run_set_resume (PcqRun     *run,
                             const char *resume);
PcqRun *pcq_run_ref         (PcqRun     *run);
void    pcq_run_unref       (PcqRun     *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqRun, pcq_run_unref)

typedef enum
{
  PCQ_OUTCOME_DONE,
  PCQ_OUTCOME_FAILED,
  PCQ_OUTCOME_RETRY,        /* a transient error: worth another attempt */
  PCQ_OUTCOME_CANCELLED,
  PCQ_OUTCOME_INTERRUPTED,  /* a forced stop: queued again, part kept */
  PCQ_OUTCOME_HANDED_OVER,  /* complete; the store puts the file in place */
} PcqOutcome;

/* How one attempt ended. */
typedef struct
{
  GError *error;
  char   *output_path;
  gint64  retry_after_ms;  /* from a Retry-After header, or -1 */
  gint64  retry_at;        /* waiting: real time (µs) of the next attempt */
  gboolean answered;       /* a response came (any status) */
  gboolean multiplexed;    /* it came over HTTP/2 */
} PcqAttempt;

void      pcq_attempt_clear (PcqAttempt  *attempt);

char     *pcq_check_url   (const char  *url,
                           GError     **error);
gboolean  pcq_uri_is_http (GUri        *uri);
char     *pcq_url_escape_controls (const char *url);

G_END_DECLS
