/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-engine"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "pcq-api.h"
#include "pcq-api-models.h"
#include "pcq-defaults.h"
#include "pcq-dispatcher.h"
#include "pcq-enums.h"
#include "pcq-engine.h"
#include "pcq-error.h"
#include "pcq-job-list.h"
#include "pcq-job-private.h"
#include "pcq-keyring.h"
#include "pcq-sink.h"
#include "pcq-run.h"
#include "pcq-scheduler.h"
#include "pcq-store.h"
#include "pcq-util.h"
#include "pcq-vcs.h"

/*
 * The public face of the core: the job registry, the counts, submit,
 * cancel, retry and remove, the store and Git steps, and shutdown. Which
 * thread owns what, and the path of one task, are in src/DESIGN.md.
 *
 * Everything here runs on the main thread (the one whose default context
 * was current at construction). Runs are scheduled by @scheduler on
 * worker threads, whose reports come back through @dispatcher.
 */

#define DEFAULT_MAX_ACTIVE PCQ_DEFAULT_MAX_ACTIVE
#define DEFAULT_MAX_API_ACTIVE PCQ_DEFAULT_MAX_API_ACTIVE
#define DEFAULT_RETRIES PCQ_DEFAULT_RETRIES
#define DEFAULT_STALL_TIMEOUT PCQ_DEFAULT_STALL_TIMEOUT
#define DEFAULT_RETRY_BASE_DELAY 1000
#define DEFAULT_DISPATCH_INTERVAL_US (2 * G_TIME_SPAN_MILLISECOND)
#define MAX_BACKOFF_MS (60 * 1000)
#define BACKGROUND_NICE 10

typedef enum
{
  EVENT_STARTED,
  EVENT_NAMED,     /* the final name (and validator) are chosen */
  EVENT_WAITING,   /* a retry is due later: queued again */
  EVENT_FINISHED,
} EventKind;

typedef struct
{
  PcqEngine   *engine;
  EventKind    kind;
  PcqRun      *run;
  PcqJobState  state;
  guint        attempts;
  char        *error;
  char        *output_path;
  char        *resume;      /* pcq_run_dup_resume () */
  gint64       retry_at;    /* EVENT_WAITING: when, real time µs */
  gboolean     retry_asked; /* EVENT_WAITING: the server's Retry-After */
  gboolean     needs_setup; /* an API task's endpoint or key is wrong */
  gboolean     needs_sign_in; /* a download's server asks for a password */
  gint64       started;     /* unix seconds of the run's first attempt here */
  guint        http_status; /* of the attempt's last response, or 0 */
  char        *digest;      /* EVENT_FINISHED: the file's SHA-256, if computed */
  gint64       prompt_tokens;     /* EVENT_FINISHED: the usage the */
  gint64       completion_tokens; /* server reported, or -1 */
} Event;

struct _PcqEngine
{
  GObject        parent_instance;

  GMainContext  *main_context;
  PcqDispatcher *dispatcher;    /* the workers', the store's and Git's results */
  PcqStore      *store;         /* nullable */
  gboolean       in_background; /* its threads yield to the main thread */
  char          *part_tag;      /* names this engine's part files */
  guint64        last_id;       /* of the newest job */
  PcqNames      *names;         /* final names the jobs hold */
  PcqJobList    *jobs;
  GHashTable    *job_by_id;     /* id → PcqJob (borrowed from @jobs, keyed by its own id) */
  GHashTable    *run_by_id;     /* id → PcqRun, for unfinished jobs */

  PcqScheduler  *scheduler;     /* NULL once stopped */
  gint           draining;      /* atomic, the scheduler's: no run waits in its
                                 * backlog (pcq_scheduler_new ()); apart from
                                 * the counts that the main thread writes */

  /* Copied to the scheduler, which reads them on worker threads. */
  gboolean       paused;
  guint          max_active;
  guint          max_api_active;
  guint          max_per_host;  /* 0: no limit */
  guint          api_rpm;       /* 0: no limit */
  gint64         start_at;      /* seconds since the epoch; 0: none */
  guint          start_at_source;
  gint64         api_rpm_window;  /* µs */
  guint          retries;
  guint          stall_timeout;
  guint          min_speed;
  guint          split;
  guint          speed_limit;   /* bytes/s; 0: none */
  gboolean       record_checksums;
  guint          retry_base_delay; /* ms */
  gboolean       has_api_key;
  char          *api_key_error; /* a key was given and refused: why */

  /* API tasks; copied into each run. */
  char          *api_base;
  char          *model;
  char          *system_prompt;

  guint          n_queued;
  guint          n_active;
  guint          n_done;
  guint          n_failed;
  guint          n_cancelled;
  guint          n_paused;
  gboolean       in_batch;      /* a dispatch is running */
  guint          changed_counts; /* 1 << PcqJobState: notified when it ends */
  guint64        bytes_done;
  gint64         prompt_tokens;     /* the sums of the jobs' reported */
  gint64         completion_tokens; /* usage (saturated at G_MAXINT64) */
  guint64        bytes_received;
  guint64        bytes_per_second;
  gint64         rate_last_time;
  gint64         rate_last_bytes;
  guint          rate_source;
  GPtrArray     *shutdown_tasks;
  gboolean       stopped;       /* the scheduler is gone or going */

  /* The network as the monitor sees it; not the user's pause. */
  GNetworkMonitor *network_monitor;
  gboolean       network_monitor_given;  /* by pcq_engine_set_network_monitor */
  gboolean       offline;
  gboolean       metered;
  gboolean       download_on_metered;

  /* Git. */
  gboolean       commit_results;
  PcqVcs        *vcs;           /* made on first use */
  guint          n_committing;  /* handed to @vcs, no note back yet */
  guint          n_accepting;   /* put in the store, not committed yet */
};

G_DEFINE_FINAL_TYPE (PcqEngine, pcq_engine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_JOBS,
  PROP_PAUSED,
  PROP_MAX_ACTIVE,
  PROP_MAX_API_ACTIVE,
  PROP_MAX_PER_HOST,
  PROP_API_RPM,
  PROP_START_AT,
  PROP_RETRIES,
  PROP_STALL_TIMEOUT,
  PROP_MIN_SPEED,
  PROP_SPLIT,
  PROP_SPEED_LIMIT,
  PROP_RECORD_CHECKSUMS,
  PROP_RETRY_BASE_DELAY,
  PROP_API_BASE,
  PROP_MODEL,
  PROP_SYSTEM_PROMPT,
  PROP_COMMIT_RESULTS,
  PROP_N_QUEUED,
  PROP_N_ACTIVE,
  PROP_N_DONE,
  PROP_N_FAILED,
  PROP_N_CANCELLED,
  PROP_N_PAUSED,
  PROP_BYTES_PER_SECOND,
  PROP_PROMPT_TOKENS,
  PROP_COMPLETION_TOKENS,
  PROP_OFFLINE,
  PROP_METERED,
  PROP_DOWNLOAD_ON_METERED,
  N_PROPS
};

enum {
  JOB_FINISHED,
  JOB_WAITING,
  JOB_STATE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* An API task's failure that Preferences → API can mend: nothing
 * listens at the endpoint, its host is unknown, or the server wants
 * another key. */
static gboolean
needs_setup (const GError *error)
{
  return error != NULL &&
         (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
          error->domain == G_RESOLVER_ERROR ||
          g_error_matches (error, PCQ_ERROR, PCQ_ERROR_HTTP_AUTH) ||
          g_error_matches (error, PCQ_ERROR, PCQ_ERROR_API_KEY));
}

static void
event_free (Event *event)
{
  g_clear_pointer (&event->run, pcq_run_unref);
  g_free (event->error);
  g_free (event->output_path);
  g_free (event->resume);
  g_free (event->digest);
  g_free (event);
}

/* A main-thread callback that needs the engine and a run. */
typedef struct
{
  PcqEngine *engine;
  PcqRun    *run;
} Pending;

static Pending *
pending_new (PcqEngine *self,
             PcqRun    *run)
{
  Pending *pending = g_new (Pending, 1);

  pending->engine = g_object_ref (self);
  pending->run = pcq_run_ref (run);
  return pending;
}

static void
pending_free (Pending *pending)
{
  g_object_unref (pending->engine);
  pcq_run_unref (pending->run);
  g_free (pending);
}

static void apply_event (gpointer data);
static void apply_progress (gpointer data);

/* ---- worker side: the scheduler's reports -------------------------- */

/* No run waits in the scheduler's backlog: the ones still to end are
 * all taken. Then a job's end posted now is one of the queue's last,
 * which nothing comes to join in a dispatch, and a job put into the
 * store now is one that idle workers wait for: either goes at once. */
static gboolean
is_draining (PcqEngine *self)
{
  return g_atomic_int_get (&self->draining);
}

static void
post_event (PcqEngine   *self,
            EventKind    kind,
            PcqRun      *run,
            PcqJobState  state,
            PcqAttempt  *attempt)
{
  Event *event = g_new0 (Event, 1);

  event->engine = self;
  event->kind = kind;
  event->run = pcq_run_ref (run);
  event->state = state;
  event->attempts = run->attempts;
  /* This thread holds the run: its holder's fields can be read. */
  event->started = run->started / G_USEC_PER_SEC;
  event->http_status = run->http_status;
  if (kind == EVENT_FINISHED)
    event->digest = g_strdup (run->digest);
  event->prompt_tokens = run->prompt_tokens;
  event->completion_tokens = run->completion_tokens;
  if (attempt != NULL)
    {
      /* A cancelled task's state says so; GIO's “Operation was
       * cancelled” would only repeat it, in words nobody chose. */
      if (attempt->error != NULL &&
          !g_error_matches (attempt->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        event->error = g_strdup (attempt->error->message);
      event->needs_setup = run->kind != PCQ_JOB_DOWNLOAD && needs_setup (attempt->error);
      event->needs_sign_in = g_error_matches (attempt->error, PCQ_ERROR, PCQ_ERROR_SIGN_IN);
      event->output_path = g_steal_pointer (&attempt->output_path);
      event->retry_at = attempt->retry_at;
      event->retry_asked = attempt->retry_after_ms >= 0;
    }

  pcq_dispatcher_post_full (self->dispatcher, apply_event, event, (GDestroyNotify) event_free,
                            kind == EVENT_FINISHED && is_draining (self));
}

static void
started_cb (PcqRun   *run,
            gpointer  user_data)
{
  post_event (user_data, EVENT_STARTED, run, PCQ_JOB_ACTIVE, NULL);
}

/* Progress is not an event: bytes are in the run's atomics, and a run
 * is posted only when it was clean, so a dispatch costs the same
 * whatever the chunk rate. */
static void
progress_cb (PcqRun   *run,
             gpointer  user_data)
{
  PcqEngine *self = user_data;
  gint64 total = pcq_atomic_get64 (&run->total);
  Event *event;

  /* A file that came whole in one read is shown with its end. */
  if (total >= 0 && pcq_atomic_get64 (&run->bytes) >= total)
    return;

  if (!g_atomic_int_compare_and_exchange (&run->dirty, 0, 1))
    return;

  event = g_new0 (Event, 1);
  event->engine = self;
  event->run = pcq_run_ref (run);
  pcq_dispatcher_post (self->dispatcher, apply_progress, event, (GDestroyNotify) event_free);
}

static void
named_cb (PcqRun   *run,
          gpointer  user_data)
{
  PcqEngine *self = user_data;
  Event *event;

  /* A small file is done before its name would be seen (the final
   * event carries it): only larger ones say it now, with the validator
   * that lets them resume. */
  if (pcq_run_is_small (run))
    return;

  event = g_new0 (Event, 1);

  /* The worker owns these strings while it runs: copy them. */
  event->engine = self;
  event->kind = EVENT_NAMED;
  event->run = pcq_run_ref (run);
  event->attempts = run->attempts;
  event->output_path = g_strdup (run->output_path);
  event->resume = pcq_run_dup_resume (run);
  pcq_dispatcher_post (self->dispatcher, apply_event, event, (GDestroyNotify) event_free);
}

static void file_finished (gpointer data);

/* The body is complete: with a store, the store puts the file in place
 * (the job committed as done under its final name, then the rename,
 * many files in one go) and the worker goes on. */
static gboolean
hand_over_cb (PcqRun   *run,
              gpointer  user_data)
{
  PcqEngine *self = user_data;
  PcqStoreFinish *finish;

  /* @store is set before the first submission. */
  if (self->store == NULL)
    return FALSE;

  finish = pcq_store_finish_new ();
  finish->id = run->id;
  finish->part_path = g_strdup (run->part_path);
  /* The run is done with its name: the store gives it back. */
  finish->output_path = g_steal_pointer (&run->output_path);
  finish->validator = pcq_run_dup_resume (run);
  finish->bytes = pcq_atomic_get64 (&run->bytes);
  finish->total = pcq_atomic_get64 (&run->total);
  finish->attempts = run->attempts;
  finish->started = run->started / G_USEC_PER_SEC;
  finish->http_status = run->http_status;
  finish->sha256 = g_strdup (run->digest);
  finish->prompt_tokens = run->prompt_tokens;
  finish->completion_tokens = run->completion_tokens;
  finish->names = pcq_names_ref (run->names);
  finish->user_data = pending_new (self, run);
  finish->user_data_free = (GDestroyNotify) pending_free;
  g_atomic_int_set (&run->ended, TRUE);
  pcq_store_finish_file (self->store, finish, file_finished, is_draining (self));

  return TRUE;
}

static void
waiting_cb (PcqRun     *run,
            PcqAttempt *attempt,
            gpointer    user_data)
{
  post_event (user_data, EVENT_WAITING, run, PCQ_JOB_QUEUED, attempt);
}

static void
finished_cb (PcqRun      *run,
             PcqJobState  state,
             PcqAttempt  *attempt,
             gpointer     user_data)
{
  g_atomic_int_set (&run->ended, TRUE);
  post_event (user_data, EVENT_FINISHED, run, state, attempt);
}

static void maybe_finish_shutdown (PcqEngine *self);

static void
apply_drained (gpointer data)
{
  maybe_finish_shutdown (data);
}

static void
drained_cb (gpointer user_data)
{
  PcqEngine *self = user_data;

  pcq_dispatcher_post (self->dispatcher, apply_drained, self, NULL);
}

static const PcqSchedulerCallbacks scheduler_callbacks = {
  { progress_cb, named_cb, hand_over_cb },
  started_cb,
  waiting_cb,
  finished_cb,
  drained_cb,
};

/* ---- main thread --------------------------------------------------- */


/* Is @run still the one its job is waiting for (not removed, not
 * replaced by a retry)? */
static PcqJob *
lookup_current (PcqEngine *self,
                PcqRun    *run)
{
  if (g_hash_table_lookup (self->run_by_id, &run->id) != run)
    return NULL;

  return g_hash_table_lookup (self->job_by_id, &run->id);
}

static void
save_job (PcqEngine *self,
          PcqJob    *job)
{
  PcqStoreRecord record;

  if (self->store == NULL)
    return;

  _pcq_job_to_record (job, &record);
  pcq_store_put (self->store, &record, NULL, NULL);
}

static const guint count_props[] = {
  [PCQ_JOB_QUEUED] = PROP_N_QUEUED,
  [PCQ_JOB_ACTIVE] = PROP_N_ACTIVE,
  [PCQ_JOB_DONE] = PROP_N_DONE,
  [PCQ_JOB_FAILED] = PROP_N_FAILED,
  [PCQ_JOB_CANCELLED] = PROP_N_CANCELLED,
  [PCQ_JOB_PAUSED] = PROP_N_PAUSED,
};

/* What a dispatch changes in the engine's properties (the counts, the
 * tokens) is notified once, when it ends: not once per job, which with
 * many small files finishing cost a "notify" emission (under GObject's
 * global signal lock, which the workers' libsoup takes too) per count
 * per job, and redrew the window's counters several times a frame.
 * The counts do not even queue their notifications meanwhile (each
 * would take GObject's global notify lock): a dispatch marks those it
 * changed. A callback may drop the last reference to the engine: the
 * batch keeps one. */
static void
batch_begin (gpointer data)
{
  PcqEngine *self = g_object_ref (data);

  g_object_freeze_notify (G_OBJECT (self));
  self->in_batch = TRUE;
}

static void
batch_end (gpointer data)
{
  PcqEngine *self = data;

  self->in_batch = FALSE;
  for (guint state = 0; self->changed_counts != 0; state++)
    {
      if (self->changed_counts & (1u << state))
        g_object_notify_by_pspec (G_OBJECT (self), properties[count_props[state]]);
      self->changed_counts &= ~(1u << state);
    }

  g_object_thaw_notify (G_OBJECT (self));
  g_object_unref (self);
}

static void
count_state (PcqEngine   *self,
             PcqJobState  state,
             int          delta)
{
  guint *counters[] = {
    [PCQ_JOB_QUEUED] = &self->n_queued,
    [PCQ_JOB_ACTIVE] = &self->n_active,
    [PCQ_JOB_DONE] = &self->n_done,
    [PCQ_JOB_FAILED] = &self->n_failed,
    [PCQ_JOB_CANCELLED] = &self->n_cancelled,
    [PCQ_JOB_PAUSED] = &self->n_paused,
  };

  *counters[state] += delta;
  if (self->in_batch)
    self->changed_counts |= 1u << state;
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[count_props[state]]);
}

/* Adds @n (when known) to the sum @total, or takes it away; a sum
 * that reached G_MAXINT64 stays there. */
static gboolean
count_tokens (gint64 *total,
              gint64  n,
              int     sign)
{
  if (n <= 0 || *total == G_MAXINT64)
    return FALSE;

  if (sign > 0)
    *total = n > G_MAXINT64 - *total ? G_MAXINT64 : *total + n;
  else
    *total = MAX (*total - n, 0);
  return TRUE;
}

/* A job's usage enters the engine's sums (@sign 1) or leaves them. */
static void
count_usage (PcqEngine *self,
             PcqJob    *job,
             int        sign)
{
  if (count_tokens (&self->prompt_tokens, pcq_job_get_prompt_tokens (job), sign))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROMPT_TOKENS]);
  if (count_tokens (&self->completion_tokens, pcq_job_get_completion_tokens (job), sign))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETION_TOKENS]);
}

static void
set_job_usage (PcqEngine *self,
               PcqJob    *job,
               gint64     prompt_tokens,
               gint64     completion_tokens)
{
  count_usage (self, job, -1);
  _pcq_job_set_usage (job, prompt_tokens, completion_tokens);
  count_usage (self, job, +1);
}

static void
set_job_state (PcqEngine   *self,
               PcqJob      *job,
               PcqJobState  state)
{
  PcqJobState old = pcq_job_get_state (job);

  if (old == state)
    return;

  count_state (self, old, -1);
  count_state (self, state, +1);
  _pcq_job_set_state (job, state);
  g_signal_emit (self, signals[JOB_STATE_CHANGED], 0, job);
}

static gboolean
update_rate_cb (gpointer user_data)
{
  PcqEngine *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 bytes = self->bytes_received;
  guint64 rate = 0;

  if (now > self->rate_last_time)
    rate = (bytes - self->rate_last_bytes) * G_USEC_PER_SEC / (now - self->rate_last_time);

  self->rate_last_time = now;
  self->rate_last_bytes = bytes;

  if (self->bytes_per_second != rate)
    {
      self->bytes_per_second = rate;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_PER_SECOND]);
    }

  if (self->n_active == 0 && rate == 0)
    {
      self->rate_source = 0;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
ensure_rate_timer (PcqEngine *self)
{
  GSource *source;

  if (self->rate_source != 0)
    return;

  self->rate_last_time = g_get_monotonic_time ();
  self->rate_last_bytes = self->bytes_received;

  source = g_timeout_source_new_seconds (1);
  g_source_set_name (source, "[pcq] engine rate");
  g_source_set_callback (source, update_rate_cb, self, NULL);
  self->rate_source = g_source_attach (source, self->main_context);
  g_source_unref (source);
}

static void maybe_finish_shutdown (PcqEngine *self);
static void follow_default_monitor (PcqEngine *self);

static void
vcs_result_cb (guint64     id,
               const char *note,
               gpointer    user_data)
{
  PcqEngine *self = user_data;
  PcqJob *job = g_hash_table_lookup (self->job_by_id, &id);

  if (job != NULL)
    {
      _pcq_job_set_commit_note (job, note);
      save_job (self, job);
    }

  g_assert (self->n_committing > 0);
  self->n_committing--;
  maybe_finish_shutdown (self);
}

/* The file is in place and its job stored as done: commit it. */
static void
commit_result (PcqEngine *self,
               PcqJob    *job)
{
  const char *path = pcq_job_get_output_path (job);
  const char *body;

  if (path == NULL)
    return;

  if (self->vcs == NULL)
    self->vcs = pcq_vcs_new (self->dispatcher, vcs_result_cb, self);

  if (pcq_job_get_kind (job) != PCQ_JOB_DOWNLOAD)
    body = pcq_job_get_prompt (job);
  else
    body = pcq_job_get_url (job);

  self->n_committing++;
  pcq_vcs_commit (self->vcs, pcq_job_get_id (job), path, body);
}

static void
finish_run (PcqEngine   *self,
            PcqJob      *job,
            PcqRun      *run,
            PcqJobState  state)
{
  /* A "job-finished" handler may remove the job from the list. */
  g_object_ref (job);

  if (state == PCQ_JOB_DONE)
    {
      self->bytes_done += pcq_atomic_get64 (&run->bytes);
    }
  else
    {
      /* No file: a retry by hand chooses its name afresh. */
      _pcq_job_set_output_path (job, NULL);
      _pcq_job_set_validator (job, NULL);
    }

  set_job_state (self, job, state);
  g_hash_table_remove (self->run_by_id, &run->id);

  /* Done jobs were stored before they got here; but a wait shown
   * late may have stored one as queued since (apply_event ()). */
  if (state != PCQ_JOB_DONE || run->saved_waiting)
    save_job (self, job);
  else if (self->commit_results)
    commit_result (self, job);

  g_signal_emit (self, signals[JOB_FINISHED], 0, job);
  g_object_unref (job);
}

/* What an attempt that began clears of the ones before it. */
static void
clear_last_attempt (PcqJob *job)
{
  _pcq_job_set_error (job, NULL);
  _pcq_job_set_needs_setup (job, FALSE);
  _pcq_job_set_needs_sign_in (job, FALSE);
  _pcq_job_set_retry_at (job, 0, FALSE);
}

/* The store has put a handed-over file in place and committed its job
 * as done (or, should the file not be movable, as failed). */
static void
file_finished (gpointer data)
{
  PcqStoreFinish *finish = data;
  Pending *pending = finish->user_data;
  PcqEngine *self = pending->engine;
  PcqRun *run = pending->run;
  PcqJob *job = lookup_current (self, run);

  if (job == NULL)
    return;  /* removed meanwhile */

  _pcq_job_set_attempts (job, finish->attempts);
  _pcq_job_set_progress (job, finish->bytes, finish->total);
  _pcq_job_set_started (job, finish->started);
  _pcq_job_set_http_status (job, finish->http_status);
  if (finish->sha256 != NULL)
    _pcq_job_set_sha256 (job, finish->sha256);
  /* Its "started" may not have been shown (apply_event ()). */
  clear_last_attempt (job);
  if (finish->placed)
    {
      _pcq_job_set_output_path (job, finish->output_path);
      set_job_usage (self, job, finish->prompt_tokens, finish->completion_tokens);
      finish_run (self, job, run, PCQ_JOB_DONE);
    }
  else
    {
      _pcq_job_set_error (job, finish->error->message);
      finish_run (self, job, run, PCQ_JOB_FAILED);
    }

  maybe_finish_shutdown (self);
}

static void cancel_paused (PcqEngine *self,
                           PcqJob    *job);

/* A forced stop or a pause interrupted the run: the job is queued
 * again, for the next start, or paused, with the validator that lets it
 * resume its part file. Its run goes: a paused job has none, only its
 * part file and that validator, and gets a new run when it resumes. */
static void
requeue_run (PcqEngine *self,
             PcqJob    *job,
             PcqRun    *run)
{
  g_autofree char *resume = pcq_run_dup_resume (run);
  gboolean paused = run->pausing;
  gboolean cancel = run->cancel_paused;

  _pcq_job_set_output_path (job, NULL);
  _pcq_job_set_validator (job, resume);
  if (paused)
    {
      /* Not waiting any more, and the interruption is no error. */
      _pcq_job_set_retry_at (job, 0, FALSE);
      _pcq_job_set_error (job, NULL);
    }
  set_job_state (self, job, paused ? PCQ_JOB_PAUSED : PCQ_JOB_QUEUED);
  g_hash_table_remove (self->run_by_id, &run->id);
  save_job (self, job);

  if (cancel)
    cancel_paused (self, job);
}

/* A validator lets a crash resume the part file instead of fetching
 * it again: stored at once (without waiting) for the files that say
 * their name early, the ones worth resuming (named_cb ()). */
static void
save_validator (PcqEngine  *self,
                PcqRun     *run,
                const char *validator)
{
  if (self->store == NULL || validator == NULL)
    return;

  run->saved_at = g_get_monotonic_time ();
  pcq_store_put_progress (self->store, run->id, pcq_atomic_get64 (&run->bytes),
                          pcq_atomic_get64 (&run->total), validator);
}

static void
apply_event (gpointer data)
{
  Event *event = data;
  PcqEngine *self = event->engine;
  PcqJob *job;

  job = lookup_current (self, event->run);
  if (job == NULL)
    {
      /* Removed while a pause stopped it: the part it kept is nobody's. */
      if (event->kind == EVENT_FINISHED && event->state == PCQ_JOB_QUEUED &&
          event->run->cancel_paused)
        pcq_sink_remove_part (event->run->part_path);
      return;  /* removed, or retried meanwhile */
    }

  _pcq_job_set_attempts (job, event->attempts);
  _pcq_job_set_started (job, event->started);
  _pcq_job_set_http_status (job, event->http_status);
  if (event->digest != NULL)
    _pcq_job_set_sha256 (job, event->digest);

  switch (event->kind)
    {
    case EVENT_STARTED:
      ensure_rate_timer (self);
      /* A run that ended meanwhile (a small file, most often) goes from
       * queued to its end in one step: its report is on its way. */
      if (g_atomic_int_get (&event->run->ended))
        break;
      clear_last_attempt (job);
      /* Not stored: an active job is restored as queued anyway. */
      set_job_state (self, job, PCQ_JOB_ACTIVE);
      break;

    case EVENT_NAMED:
      _pcq_job_set_output_path (job, event->output_path);
      _pcq_job_set_validator (job, event->resume);
      save_validator (self, event->run, event->resume);
      break;

    case EVENT_WAITING:
      _pcq_job_set_error (job, event->error);
      _pcq_job_set_retry_at (job, event->retry_at, event->retry_asked);
      set_job_state (self, job, PCQ_JOB_QUEUED);
      /* Once the run has ended, its file may be stored as done already
       * (the hand-over goes to the store directly): the end, which
       * follows, is what is stored. Else a hand-over between this
       * check and the put is mended by finish_run (). */
      if (!g_atomic_int_get (&event->run->ended))
        {
          event->run->saved_waiting = TRUE;
          save_job (self, job);
        }
      g_signal_emit (self, signals[JOB_WAITING], 0, job);
      break;

    case EVENT_FINISHED:
      _pcq_job_set_error (job, event->error);
      _pcq_job_set_retry_at (job, 0, FALSE);
      _pcq_job_set_needs_setup (job, event->state == PCQ_JOB_FAILED && event->needs_setup);
      _pcq_job_set_needs_sign_in (job, event->state == PCQ_JOB_FAILED && event->needs_sign_in);
      if (event->output_path != NULL)
        _pcq_job_set_output_path (job, event->output_path);
      _pcq_job_set_progress (job,
                             pcq_atomic_get64 (&event->run->bytes),
                             pcq_atomic_get64 (&event->run->total));
      if (event->state == PCQ_JOB_DONE)
        {
          set_job_usage (self, job, event->prompt_tokens, event->completion_tokens);
          finish_run (self, job, event->run, PCQ_JOB_DONE);
        }
      else if (event->state == PCQ_JOB_QUEUED)
        requeue_run (self, job, event->run);
      else
        finish_run (self, job, event->run, event->state);
      break;

    default:
      g_assert_not_reached ();
    }

  maybe_finish_shutdown (self);
}

static void
apply_progress (gpointer data)
{
  Event *event = data;
  PcqEngine *self = event->engine;
  PcqRun *run = event->run;
  PcqJob *job = lookup_current (self, run);
  gint64 bytes;

  g_atomic_int_set (&run->dirty, 0);
  if (job == NULL)
    return;

  bytes = pcq_atomic_get64 (&run->bytes);
  if (bytes > pcq_job_get_bytes (job))
    self->bytes_received += bytes - pcq_job_get_bytes (job);
  _pcq_job_set_progress (job, bytes, pcq_atomic_get64 (&run->total));

  /* At most once a second per job: with the validator, so that a crash
   * resumes a long download from about where it was. */
  if (self->store != NULL && pcq_job_get_state (job) == PCQ_JOB_ACTIVE)
    {
      gint64 now = g_get_monotonic_time ();

      if (run->saved_at == 0)
        run->saved_at = now;
      else if (now - run->saved_at >= G_USEC_PER_SEC)
        {
          run->saved_at = now;
          pcq_store_put_progress (self->store, run->id, bytes, pcq_job_get_total (job),
                                  _pcq_job_get_validator (job));
        }
    }
}

/* Every job is either finished or, when paused, still queued: a wait
 * shutdown is complete. Paused, a queued job may still be one a worker
 * took before the pause and whose start has not reached this thread:
 * the scheduler says (and says again when its last run went back). */
static gboolean
is_settled (PcqEngine *self)
{
  return self->n_active == 0 && (self->n_queued == 0 || self->paused) &&
         self->n_committing == 0 &&
         !(self->paused && self->scheduler != NULL && pcq_scheduler_has_taken (self->scheduler));
}

static void
free_scheduler_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  /* Blocks until every worker thread has ended: never on the main thread. */
  pcq_scheduler_free (task_data);
  g_task_return_boolean (task, TRUE);
}

static void
scheduler_freed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  PcqEngine *self = PCQ_ENGINE (object);
  g_autoptr(GPtrArray) tasks = NULL;

  /* What the workers said last (a job whose cancel raced the stop). */
  pcq_dispatcher_flush (self->dispatcher);

  tasks = g_steal_pointer (&self->shutdown_tasks);
  self->shutdown_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
}

static void
maybe_finish_shutdown (PcqEngine *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->shutdown_tasks->len == 0 || self->scheduler == NULL || !is_settled (self))
    return;

  pcq_scheduler_stop (self->scheduler);
  self->stopped = TRUE;

  task = g_task_new (self, NULL, scheduler_freed_cb, NULL);
  g_task_set_source_tag (task, maybe_finish_shutdown);
  g_task_set_task_data (task, g_steal_pointer (&self->scheduler), NULL);
  g_task_run_in_thread (task, free_scheduler_thread);
}

static void
pcq_engine_dispose (GObject *object)
{
  PcqEngine *self = (PcqEngine *)object;

  /* Last resort: whoever owns the engine should have shut it down. */
  if (self->scheduler != NULL)
    {
      GHashTableIter iter;
      gpointer run;

      g_hash_table_iter_init (&iter, self->run_by_id);
      while (g_hash_table_iter_next (&iter, NULL, &run))
        pcq_run_cancel (run);

      g_clear_pointer (&self->scheduler, pcq_scheduler_free);
    }

  /* Finishes the commits still queued: they are short, and a commit
   * cut off by the process's exit could leave a stale index lock. */
  g_clear_pointer (&self->vcs, pcq_vcs_free);
  /* Results not applied yet are dropped: the jobs they are for go now. */
  if (self->dispatcher != NULL)
    pcq_dispatcher_close (self->dispatcher);

  if (self->network_monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->network_monitor, self);
  g_clear_object (&self->network_monitor);
  g_clear_handle_id (&self->rate_source, g_source_remove);
  g_clear_handle_id (&self->start_at_source, g_source_remove);
  /* Before the list: its jobs hold the table's keys. */
  g_clear_pointer (&self->job_by_id, g_hash_table_unref);
  g_clear_object (&self->jobs);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (pcq_engine_parent_class)->dispose (object);
}

static void
pcq_engine_finalize (GObject *object)
{
  PcqEngine *self = (PcqEngine *)object;

  g_clear_pointer (&self->run_by_id, g_hash_table_unref);
  g_clear_pointer (&self->dispatcher, pcq_dispatcher_unref);
  g_clear_pointer (&self->shutdown_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_clear_pointer (&self->part_tag, g_free);
  g_clear_pointer (&self->names, pcq_names_unref);
  g_clear_pointer (&self->api_base, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->system_prompt, g_free);
  g_clear_pointer (&self->api_key_error, g_free);

  G_OBJECT_CLASS (pcq_engine_parent_class)->finalize (object);
}

static void
pcq_engine_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PcqEngine *self = PCQ_ENGINE (object);

  switch (prop_id)
    {
    case PROP_JOBS:
      g_value_set_object (value, self->jobs);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, pcq_engine_get_paused (self));
      break;
    case PROP_MAX_ACTIVE:
      g_value_set_uint (value, self->max_active);
      break;

    case PROP_MAX_API_ACTIVE:
      g_value_set_uint (value, self->max_api_active);
      break;

    case PROP_MAX_PER_HOST:
      g_value_set_uint (value, self->max_per_host);
      break;

    case PROP_API_RPM:
      g_value_set_uint (value, self->api_rpm);
      break;

    case PROP_START_AT:
      g_value_set_int64 (value, self->start_at);
      break;
    case PROP_RETRIES:
      g_value_set_uint (value, pcq_engine_get_retries (self));
      break;
    case PROP_STALL_TIMEOUT:
      g_value_set_uint (value, pcq_engine_get_stall_timeout (self));
      break;

    case PROP_MIN_SPEED:
      g_value_set_uint (value, pcq_engine_get_min_speed (self));
      break;

    case PROP_SPLIT:
      g_value_set_uint (value, pcq_engine_get_split (self));
      break;

    case PROP_SPEED_LIMIT:
      g_value_set_uint (value, pcq_engine_get_speed_limit (self));
      break;

    case PROP_RECORD_CHECKSUMS:
      g_value_set_boolean (value, self->record_checksums);
      break;
    case PROP_RETRY_BASE_DELAY:
      g_value_set_uint (value, self->retry_base_delay);
      break;
    case PROP_API_BASE:
      g_value_set_string (value, self->api_base);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_SYSTEM_PROMPT:
      g_value_set_string (value, self->system_prompt);
      break;
    case PROP_COMMIT_RESULTS:
      g_value_set_boolean (value, self->commit_results);
      break;
    case PROP_OFFLINE:
      g_value_set_boolean (value, self->offline);
      break;
    case PROP_METERED:
      g_value_set_boolean (value, self->metered);
      break;
    case PROP_DOWNLOAD_ON_METERED:
      g_value_set_boolean (value, self->download_on_metered);
      break;
    case PROP_N_QUEUED:
      g_value_set_uint (value, self->n_queued);
      break;
    case PROP_N_ACTIVE:
      g_value_set_uint (value, self->n_active);
      break;
    case PROP_N_DONE:
      g_value_set_uint (value, self->n_done);
      break;
    case PROP_N_FAILED:
      g_value_set_uint (value, self->n_failed);
      break;
    case PROP_N_CANCELLED:
      g_value_set_uint (value, self->n_cancelled);
      break;
    case PROP_N_PAUSED:
      g_value_set_uint (value, self->n_paused);
      break;
    case PROP_BYTES_PER_SECOND:
      g_value_set_uint64 (value, self->bytes_per_second);
      break;
    case PROP_PROMPT_TOKENS:
      g_value_set_int64 (value, self->prompt_tokens);
      break;
    case PROP_COMPLETION_TOKENS:
      g_value_set_int64 (value, self->completion_tokens);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_engine_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  PcqEngine *self = PCQ_ENGINE (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      pcq_engine_set_paused (self, g_value_get_boolean (value));
      break;
    case PROP_MAX_ACTIVE:
      pcq_engine_set_max_active (self, g_value_get_uint (value));
      break;

    case PROP_MAX_API_ACTIVE:
      pcq_engine_set_max_api_active (self, g_value_get_uint (value));
      break;

    case PROP_MAX_PER_HOST:
      pcq_engine_set_max_per_host (self, g_value_get_uint (value));
      break;

    case PROP_API_RPM:
      pcq_engine_set_api_rpm (self, g_value_get_uint (value));
      break;

    case PROP_START_AT:
      pcq_engine_set_start_at (self, g_value_get_int64 (value));
      break;
    case PROP_RETRIES:
      pcq_engine_set_retries (self, g_value_get_uint (value));
      break;
    case PROP_STALL_TIMEOUT:
      pcq_engine_set_stall_timeout (self, g_value_get_uint (value));
      break;

    case PROP_MIN_SPEED:
      pcq_engine_set_min_speed (self, g_value_get_uint (value));
      break;

    case PROP_SPLIT:
      pcq_engine_set_split (self, g_value_get_uint (value));
      break;

    case PROP_SPEED_LIMIT:
      pcq_engine_set_speed_limit (self, g_value_get_uint (value));
      break;

    case PROP_RECORD_CHECKSUMS:
      pcq_engine_set_record_checksums (self, g_value_get_boolean (value));
      break;
    case PROP_RETRY_BASE_DELAY:
      if (self->retry_base_delay != g_value_get_uint (value))
        {
          self->retry_base_delay = g_value_get_uint (value);
          if (self->scheduler != NULL)
            pcq_scheduler_set_retry_base_delay (self->scheduler, self->retry_base_delay);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_API_BASE:
      pcq_engine_set_api_base (self, g_value_get_string (value));
      break;
    case PROP_MODEL:
      pcq_engine_set_model (self, g_value_get_string (value));
      break;
    case PROP_SYSTEM_PROMPT:
      pcq_engine_set_system_prompt (self, g_value_get_string (value));
      break;
    case PROP_COMMIT_RESULTS:
      pcq_engine_set_commit_results (self, g_value_get_boolean (value));
      break;
    case PROP_DOWNLOAD_ON_METERED:
      pcq_engine_set_download_on_metered (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_engine_class_init (PcqEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pcq_engine_dispose;
  object_class->finalize = pcq_engine_finalize;
  object_class->get_property = pcq_engine_get_property;
  object_class->set_property = pcq_engine_set_property;

  properties[PROP_JOBS] =
    g_param_spec_object ("jobs", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:start-at:
   *
   * When the queue may start, in seconds since the epoch (UTC); 0 for
   * now. Until then nothing starts, as if paused, but a shutdown that
   * waits waits for it. Back to 0 once the time has come.
   */
  properties[PROP_START_AT] =
    g_param_spec_int64 ("start-at", NULL, NULL, 0, G_MAXINT64 / G_USEC_PER_SEC, 0,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_ACTIVE] =
    g_param_spec_uint ("max-active", NULL, NULL, 1, PCQ_ENGINE_MAX_ACTIVE_LIMIT, DEFAULT_MAX_ACTIVE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:max-api-active:
   *
   * How many API tasks (ask and batch jobs) may run at once, within
   * #PcqEngine:max-active. Queued downloads do not wait behind API
   * tasks held back by it.
   */
  properties[PROP_MAX_API_ACTIVE] =
    g_param_spec_uint ("max-api-active", NULL, NULL, 1, PCQ_ENGINE_MAX_ACTIVE_LIMIT, DEFAULT_MAX_API_ACTIVE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:max-per-host:
   *
   * How many tasks for one host may run at once, within
   * #PcqEngine:max-active; 0 for no limit of its own. Tasks for other
   * hosts start meanwhile.
   */
  properties[PROP_MAX_PER_HOST] =
    g_param_spec_uint ("max-per-host", NULL, NULL, 0, PCQ_ENGINE_MAX_ACTIVE_LIMIT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:api-rpm:
   *
   * How many API requests may start per API host in any 60 s, on top
   * of max-api-active; 0 for no limit.
   */
  properties[PROP_API_RPM] =
    g_param_spec_uint ("api-rpm", NULL, NULL, 0, PCQ_ENGINE_API_RPM_LIMIT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRIES] =
    g_param_spec_uint ("retries", NULL, NULL, 0, 100, DEFAULT_RETRIES,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STALL_TIMEOUT] =
    g_param_spec_uint ("stall-timeout", NULL, NULL, 1, 3600, DEFAULT_STALL_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:min-speed:
   *
   * Bytes per second a download must beat over each stall timeout, or
   * its attempt fails as stalled; 0 turns the check off.
   */
  properties[PROP_MIN_SPEED] =
    g_param_spec_uint ("min-speed", NULL, NULL, 0, G_MAXINT, PCQ_DEFAULT_MIN_SPEED,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:split:
   *
   * How many connections one large download may use at once (1: one).
   * Only a file of 8 MiB or more (and at least 1 MiB a connection)
   * from a server that accepts byte ranges and gave a validator is
   * split; see pcq-worker-segments.c.
   */
  properties[PROP_SPLIT] =
    g_param_spec_uint ("split", NULL, NULL, 1, 16, 1,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:record-checksums:
   *
   * Whether every download's SHA-256 is computed as it streams and kept
   * with its task (pcq_job_get_sha256 ()), not only the ones a line
   * asked to check. SHA-256 runs at about 260 MiB/s here: off by
   * default.
   */
  properties[PROP_RECORD_CHECKSUMS] =
    g_param_spec_boolean ("record-checksums", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:speed-limit:
   *
   * Bytes per second that all running downloads share, or 0 for no
   * limit. Changes apply to the next read of every download.
   */
  properties[PROP_SPEED_LIMIT] =
    g_param_spec_uint ("speed-limit", NULL, NULL, 0, G_MAXINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_BASE_DELAY] =
    g_param_spec_uint ("retry-base-delay", NULL, NULL, 0, MAX_BACKOFF_MS, DEFAULT_RETRY_BASE_DELAY,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:api-base:
   *
   * The OpenAI-compatible base URL (ending in `/v1`) new API tasks go to.
   */
  properties[PROP_API_BASE] =
    g_param_spec_string ("api-base", NULL, NULL, PCQ_API_DEFAULT_BASE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:model:
   *
   * The model API tasks ask, or %NULL to name none.
   */
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:system-prompt:
   *
   * Sent as the "system" message before each prompt, when set.
   */
  properties[PROP_SYSTEM_PROMPT] =
    g_param_spec_string ("system-prompt", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:commit-results:
   *
   * Whether each job that becomes done has its file committed to the
   * Git repository that contains it. See #PcqJob:commit-note.
   */
  properties[PROP_COMMIT_RESULTS] =
    g_param_spec_boolean ("commit-results", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_QUEUED] =
    g_param_spec_uint ("n-queued", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ACTIVE] =
    g_param_spec_uint ("n-active", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_DONE] =
    g_param_spec_uint ("n-done", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_FAILED] =
    g_param_spec_uint ("n-failed", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_CANCELLED] =
    g_param_spec_uint ("n-cancelled", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PAUSED] =
    g_param_spec_uint ("n-paused", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES_PER_SECOND] =
    g_param_spec_uint64 ("bytes-per-second", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:prompt-tokens:
   *
   * The sum of #PcqJob:prompt-tokens over the jobs in the list that
   * have one (at most %G_MAXINT64).
   */
  properties[PROP_PROMPT_TOKENS] =
    g_param_spec_int64 ("prompt-tokens", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:completion-tokens:
   *
   * The sum of #PcqJob:completion-tokens over the jobs in the list that
   * have one (at most %G_MAXINT64).
   */
  properties[PROP_COMPLETION_TOKENS] =
    g_param_spec_int64 ("completion-tokens", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PcqEngine:offline:
   *
   * The network monitor says there is no network: jobs for hosts other
   * than loopback wait (the queue goes on by itself when it is back),
   * and an attempt that fails meanwhile does not count.
   */
  properties[PROP_OFFLINE] =
    g_param_spec_boolean ("offline", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:metered:
   *
   * The network is metered (and there is one).
   */
  properties[PROP_METERED] =
    g_param_spec_boolean ("metered", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqEngine:download-on-metered:
   *
   * Whether jobs start on a metered network; when %FALSE they wait there
   * as they do offline. %TRUE by default (headless runs as told); the
   * window asks first.
   */
  properties[PROP_DOWNLOAD_ON_METERED] =
    g_param_spec_boolean ("download-on-metered", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PcqEngine::job-finished:
   * @job: the job that is now done, failed or cancelled
   */
  signals[JOB_FINISHED] =
    g_signal_new ("job-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, PCQ_TYPE_JOB);

  /**
   * PcqEngine::job-waiting:
   * @job: a job whose attempt failed and that waits for the next one
   *   (pcq_job_get_retry_at())
   */
  signals[JOB_WAITING] =
    g_signal_new ("job-waiting",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, PCQ_TYPE_JOB);

  /**
   * PcqEngine::job-state-changed:
   * @job: a job in the list whose state just changed (it starts, is
   *   paused, resumed, retried or finishes)
   *
   * For views that group jobs by state: one signal on the engine rather
   * than a handler on every job.
   */
  signals[JOB_STATE_CHANGED] =
    g_signal_new ("job-state-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, PCQ_TYPE_JOB);
}

static void
pcq_engine_init (PcqEngine *self)
{
  g_autofree char *api_key = NULL;
  g_autoptr(GError) error = NULL;

  self->main_context = g_main_context_ref_thread_default ();
  self->jobs = pcq_job_list_new ();
  self->job_by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->run_by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                           (GDestroyNotify) pcq_run_unref);
  self->shutdown_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->dispatcher = pcq_dispatcher_new (self->main_context, "[pcq] engine");
  /* Results a few at a time rather than one wakeup each: at 2000 small
   * files a run, 2 ms apart saved a seventh of the CPU time. A window
   * asks for one frame. */
  pcq_dispatcher_set_interval (self->dispatcher, DEFAULT_DISPATCH_INTERVAL_US);
  pcq_dispatcher_set_batch_funcs (self->dispatcher, batch_begin, batch_end, self);
  self->names = pcq_names_new ();
  /* Until a store names them: part files no other engine will choose. */
  self->part_tag = g_strdup_printf ("%08x", g_random_int ());

  self->max_active = DEFAULT_MAX_ACTIVE;
  self->max_api_active = DEFAULT_MAX_API_ACTIVE;
  self->api_rpm_window = 60 * G_USEC_PER_SEC;
  self->retries = DEFAULT_RETRIES;
  self->stall_timeout = DEFAULT_STALL_TIMEOUT;
  self->min_speed = PCQ_DEFAULT_MIN_SPEED;
  self->split = 1;
  self->retry_base_delay = DEFAULT_RETRY_BASE_DELAY;
  self->api_base = g_strdup (PCQ_API_DEFAULT_BASE);

  self->scheduler = pcq_scheduler_new (&scheduler_callbacks, self,
                                       self->max_active, self->max_api_active,
                                       &self->draining);
  pcq_scheduler_set_retries (self->scheduler, self->retries);
  pcq_scheduler_set_stall_timeout (self->scheduler, self->stall_timeout);
  pcq_scheduler_set_min_speed (self->scheduler, self->min_speed);
  pcq_scheduler_set_retry_base_delay (self->scheduler, self->retry_base_delay);

  self->download_on_metered = TRUE;
  follow_default_monitor (self);

  /* Read once; the environment is not looked at again. */
  api_key = g_strdup (g_getenv ("PCQ_API_KEY"));
  if (pcq_api_check_key (api_key, PCQ_API_KEY_FROM_ENVIRONMENT, &error))
    pcq_engine_set_api_key (self, api_key);
  else
    pcq_engine_refuse_api_key (self, error);
  if (api_key != NULL)
    memset (api_key, 0, strlen (api_key));
}

PcqEngine *
pcq_engine_new (void)
{
  return g_object_new (PCQ_TYPE_ENGINE, NULL);
}

/**
 * pcq_engine_get_jobs:
 *
 * Returns: (transfer none): a #GListModel of every #PcqJob, in
 *   queue order: submission order, unless jobs were moved or retried
 */
GListModel *
pcq_engine_get_jobs (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);
  return G_LIST_MODEL (self->jobs);
}

/**
 * pcq_engine_lookup_job:
 * @id: a job's id
 *
 * Returns: (transfer none) (nullable): the job with @id, if it is in
 *   the list
 */
PcqJob *
pcq_engine_lookup_job (PcqEngine *self,
                       guint64    id)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);

  return g_hash_table_lookup (self->job_by_id, &id);
}

static void
push_run (PcqEngine *self,
          PcqRun    *run)
{
  run->accepted = TRUE;
  if (self->scheduler == NULL)
    return;

  pcq_scheduler_push (self->scheduler, run);
}

static void
accepted_cb (gpointer user_data)
{
  Pending *pending = user_data;

  pending->engine->n_accepting--;
  if (lookup_current (pending->engine, pending->run) != NULL)
    push_run (pending->engine, pending->run);

  pending_free (pending);
}

/* A job may start once it is in the store: then it cannot be lost. */
static void
enqueue_run (PcqEngine *self,
             PcqJob    *job,
             PcqRun    *run)
{
  PcqStoreRecord record;

  g_hash_table_replace (self->run_by_id, &run->id, run);

  if (self->store == NULL)
    {
      push_run (self, run);
      return;
    }

  _pcq_job_to_record (job, &record);
  self->n_accepting++;
  pcq_store_put_full (self->store, &record, accepted_cb, pending_new (self, run),
                      is_draining (self));
}

/* @host: (transfer full) (nullable): from pcq_check_url () */
static PcqRun *
run_for_job (PcqEngine *self,
             PcqJob    *job,
             char      *host)
{
  char *part_path = pcq_sink_part_path (pcq_job_get_output_dir (job), self->part_tag,
                                        pcq_job_get_id (job));
  PcqRun *run = pcq_run_new (self->names, pcq_job_get_id (job), pcq_job_get_url (job),
                             pcq_job_get_output_dir (job), pcq_job_get_name (job), host,
                             part_path);

  if (pcq_job_get_kind (job) == PCQ_JOB_ASK)
    pcq_run_set_ask (run, pcq_job_get_prompt (job), self->model, self->system_prompt);
  else if (pcq_job_get_kind (job) == PCQ_JOB_BATCH)
    pcq_run_set_batch (run, pcq_job_get_prompt (job), self->model);

  run->sha256 = g_strdup (pcq_job_get_sha256 (job));
  run->headers = g_strdupv ((char **) pcq_job_get_headers (job));
  run->headers_lost = pcq_job_get_headers_lost (job);
  run->secret_names = g_strdupv ((char **) pcq_job_get_secret_names (job));
  run->position = pcq_job_get_position (job);

  /* Runs again into its own name, and from where it stopped. */
  run->output_path = g_strdup (pcq_job_get_output_path (job));
  pcq_run_set_resume (run, _pcq_job_get_validator (job));

  return run;
}

/**
 * pcq_engine_set_store:
 * @store: (nullable): an open store
 *
 * From now on every job and every change of state is kept in @store.
 * Call it before the first submission.
 */
void
pcq_engine_set_store (PcqEngine *self,
                      PcqStore  *store)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));
  g_return_if_fail (!store || PCQ_IS_STORE (store));

  g_set_object (&self->store, store);

  /* Part files named after the store: another store's job 1 (the
   * window's and headless) never takes this one's. */
  if (store != NULL)
    {
      g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                              pcq_store_get_path (store), -1);

      g_free (self->part_tag);
      self->part_tag = g_strndup (digest, 8);
      pcq_store_set_dispatcher (store, self->dispatcher);
      if (self->in_background)
        pcq_store_set_nice (store, BACKGROUND_NICE);
    }
}

/* The run @record's job had: its part file and which file that is. */
static PcqRun *
recorded_run (PcqEngine            *self,
              const PcqStoreRecord *record)
{
  char *part_path = pcq_sink_part_path (record->output_dir, self->part_tag, record->id);
  PcqRun *run = pcq_run_new (self->names, record->id, record->url, record->output_dir, NULL, NULL,
                             part_path);

  pcq_run_set_resume (run, record->validator);
  return run;
}

/* A crash between storing a finished file's job as done and moving its
 * part file to its final name leaves the part file: moved now. Returns
 * whether the job's file is in place, or was (its part file is gone);
 * otherwise the job must run again, and resumes its whole part file. */
static gboolean
placed_after_crash (PcqEngine            *self,
                    const PcqStoreRecord *record)
{
  g_autoptr(PcqRun) run = NULL;
  g_autoptr(GError) error = NULL;

  if (record->output_path == NULL || record->validator == NULL)
    return TRUE;

  run = recorded_run (self, record);
  if (pcq_sink_part_size (run->part_path, &run->part_id) < 0 ||
      pcq_sink_rename_part (run->part_path, record->output_path, &error))
    return TRUE;

  g_debug ("Job %" G_GUINT64_FORMAT " cannot take its name after a crash: %s",
           record->id, error->message);
  return FALSE;
}

/* A crash between putting a file in place and storing its job as done
 * leaves the job unfinished with its file at its final name: the very
 * file its part was (a rename keeps it), no part file left. Anything
 * else at that name is not the job's, and is never replaced. */
static gboolean
finished_before_crash (PcqEngine            *self,
                       const PcqStoreRecord *record,
                       PcqJob               *job)
{
  g_autoptr(PcqRun) run = NULL;
  gint64 size;

  if (record->output_path == NULL || record->validator == NULL)
    return FALSE;

  run = recorded_run (self, record);
  if (pcq_sink_part_size (run->part_path, &run->part_id) >= 0)
    return FALSE;

  size = pcq_sink_own_file_size (record->output_path, &run->part_id);
  if (size < 0)
    return FALSE;

  _pcq_job_set_progress (job, size, size);
  _pcq_job_set_error (job, NULL);
  return TRUE;
}

/**
 * pcq_engine_restore:
 * @records: (element-type PcqStoreRecord): what pcq_store_open_finish() gave
 * @flags: which jobs to take back
 *
 * Gives back the jobs of an earlier run. Unfinished ones (queued, or
 * active when the process ended) are queued again and reuse the final
 * name they had recorded; their part files are resumed when possible.
 */
void
pcq_engine_restore (PcqEngine       *self,
                    GPtrArray       *records,
                    PcqRestoreFlags  flags)
{
  g_autoptr(GPtrArray) jobs = NULL;

  g_return_if_fail (PCQ_IS_ENGINE (self));
  g_return_if_fail (records != NULL);

  jobs = g_ptr_array_new_full (records->len, g_object_unref);
  for (guint i = 0; i < records->len; i++)
    {
      const PcqStoreRecord *record = g_ptr_array_index (records, i);
      const PcqJobStateInfo *info;
      PcqStoreRecord requeued;
      gboolean unfinished;
      PcqJob *job;

      /* Whatever is taken back: the store forgets which files it was
       * moving once the next ones finish. A job whose file cannot be
       * moved is stored as queued, and goes on as one. */
      if (record->placing && !placed_after_crash (self, record))
        {
          requeued = *record;
          requeued.state = PCQ_JOB_QUEUED;
          requeued.finished = 0;
          requeued.placing = FALSE;
          record = &requeued;
          if (self->store != NULL)
            pcq_store_put (self->store, record, NULL, NULL);
        }

      info = pcq_job_state_info (record->state);
      unfinished = info == NULL || !info->finished;

      /* Ids stay unique across restarts, and so do positions, which
       * retries take from the same count (pcq_engine_retry ()). */
      self->last_id = MAX (self->last_id, record->id);
      if (record->position > 0)
        self->last_id = MAX (self->last_id, (guint64) record->position);

      if (!(flags & (unfinished ? PCQ_RESTORE_UNFINISHED : PCQ_RESTORE_FINISHED)))
        continue;

      job = _pcq_job_new_from_record (record);
      if (unfinished && finished_before_crash (self, record, job))
        {
          _pcq_job_set_state (job, PCQ_JOB_DONE);
          save_job (self, job);
        }
      else
        _pcq_job_set_state (job, info != NULL ? info->restored_as : PCQ_JOB_QUEUED);
      g_ptr_array_add (jobs, job);
    }

  g_object_freeze_notify (G_OBJECT (self));

  pcq_job_list_append_many (self->jobs, jobs);

  for (guint i = 0; i < jobs->len; i++)
    {
      PcqJob *job = g_ptr_array_index (jobs, i);
      g_autoptr(GError) error = NULL;
      PcqRun *run;

      g_hash_table_insert (self->job_by_id, (gpointer) _pcq_job_get_id_key (job), job);
      count_state (self, pcq_job_get_state (job), +1);
      count_usage (self, job, +1);

      /* A paused job waits for Resume, without a run. */
      if (pcq_job_is_finished (job) || pcq_job_get_state (job) == PCQ_JOB_PAUSED)
        continue;

      run = run_for_job (self, job, pcq_check_url (pcq_job_get_url (job), &error));
      g_hash_table_replace (self->run_by_id, &run->id, run);
      if (run->output_path != NULL)
        pcq_sink_reserve_name (self->names, run->output_path);

      if (run->host != NULL)
        {
          push_run (self, run);
        }
      else
        {
          PcqAttempt attempt = { g_steal_pointer (&error), NULL, -1 };

          post_event (self, EVENT_FINISHED, run, PCQ_JOB_FAILED, &attempt);
          pcq_attempt_clear (&attempt);
        }
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* Takes @job into the list and queues it; a job whose URL cannot be
 * used fails at once, reported like any other failure. */
static void
add_job (PcqEngine *self,
         PcqJob    *job)
{
  g_autoptr(GError) error = NULL;
  PcqRun *run;

  run = run_for_job (self, job, pcq_check_url (pcq_job_get_url (job), &error));

  g_hash_table_insert (self->job_by_id, (gpointer) _pcq_job_get_id_key (job), job);
  pcq_job_list_append (self->jobs, job);
  count_state (self, PCQ_JOB_QUEUED, +1);

  if (run->host != NULL)
    {
      enqueue_run (self, job, run);
    }
  else
    {
      /* Reported like any other failure: from the event batch. */
      PcqAttempt attempt = { g_steal_pointer (&error), NULL, -1 };

      g_hash_table_replace (self->run_by_id, &run->id, run);
      post_event (self, EVENT_FINISHED, run, PCQ_JOB_FAILED, &attempt);
      pcq_attempt_clear (&attempt);
    }
}

/* An API task goes to the chat-completions endpoint of the base URL
 * as it is now; its output folder is made absolute like a download's. */
static PcqJob *
submit_api (PcqEngine  *self,
            PcqJobKind  kind,
            const char *text,
            const char *output_dir,
            const char *name)
{
  g_autofree char *dir = g_canonicalize_filename (output_dir, NULL);
  g_autofree char *base = pcq_api_chat_url (self->api_base);
  /* API tasks send the API key: a password in the base is not kept. */
  g_autofree char *endpoint = pcq_keyring_drop_url_password (base);
  g_autoptr(PcqJob) job = pcq_job_new_api (++self->last_id, kind, text, endpoint, dir, name);

  add_job (self, job);
  return job;
}

/**
 * pcq_engine_submit:
 * @self: a #PcqEngine
 * @url: an http or https URL
 * @output_dir: the folder to save into
 * @name: (nullable): the file name, or %NULL to take it from the response
 *
 * Queues a download. A URL that cannot be downloaded gives a job that
 * fails at once with a message that says why.
 *
 * Returns: (transfer none): the new job, owned by the engine's list
 */
PcqJob *
pcq_engine_submit (PcqEngine  *self,
                   const char *url,
                   const char *output_dir,
                   const char *name)
{
  return pcq_engine_submit_checked (self, url, output_dir, name, NULL);
}

/**
 * pcq_engine_submit_checked:
 * @sha256: (nullable): the SHA-256 the file must have, as 64
 *   hexadecimal digits (see pcq_input_parse_line ()), or %NULL
 *
 * As pcq_engine_submit (), and the download fails ("Checksum
 * mismatch") rather than take its final name if its body does not hash
 * to @sha256. The digest is kept with the job, so a resumed download
 * is checked too.
 *
 * Returns: (transfer none): the new job, owned by the engine's list
 */
PcqJob *
pcq_engine_submit_checked (PcqEngine  *self,
                           const char *url,
                           const char *output_dir,
                           const char *name,
                           const char *sha256)
{
  return pcq_engine_submit_download (self, url, output_dir, name, sha256, NULL);
}

/* The values of a line's Cookie and Authorization, for a later run:
 * in the keyring, never in the store. */
static void
remember_secret_headers (const char         *url,
                         const char * const *headers)
{
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

  if (uri == NULL || !pcq_uri_is_http (uri))
    return;

  for (; headers[0] != NULL && headers[1] != NULL; headers += 2)
    if (pcq_header_is_secret (headers[0]))
      pcq_keyring_remember_header (uri, headers[0], headers[1]);
}

/**
 * pcq_engine_submit_download:
 * @sha256: (nullable): as for pcq_engine_submit_checked ()
 * @headers: (nullable) (array zero-terminated=1): request headers to
 *   add, as name, value, name, value…, each checked with
 *   pcq_input_check_header ()
 *
 * As pcq_engine_submit_checked (), with @headers sent on every attempt
 * and on redirects within the URL's origin; not to another origin.
 *
 * Returns: (transfer none): the new job, owned by the engine's list
 */
PcqJob *
pcq_engine_submit_download (PcqEngine          *self,
                            const char         *url,
                            const char         *output_dir,
                            const char         *name,
                            const char         *sha256,
                            const char * const *headers)
{
  g_autoptr(PcqJob) job = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *bare_url = NULL;
  g_autofree char *safe_url = NULL;

  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (output_dir != NULL, NULL);

  /* Absolute, so that a recorded path means the same after a restart. */
  dir = g_canonicalize_filename (output_dir, NULL);
  /* No control character reaches the list, the store or the wire. */
  safe_url = pcq_url_escape_controls (url);
  /* A password in the URL is kept apart (pcq-keyring.c): never in the
   * job, so never in the queue file or the list. */
  bare_url = pcq_keyring_take_url_password (safe_url);
  job = pcq_job_new (++self->last_id, bare_url, dir, name);
  if (sha256 != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (sha256, -1);

      g_return_val_if_fail (strlen (lower) == 64 && strspn (lower, "0123456789abcdef") == 64, NULL);
      _pcq_job_set_sha256 (job, lower);
    }
  if (headers != NULL)
    {
      g_return_val_if_fail (g_strv_length ((char **) headers) % 2 == 0, NULL);
      _pcq_job_set_headers (job, headers);
      remember_secret_headers (bare_url, headers);
    }
  add_job (self, job);

  return job;
}

/**
 * pcq_engine_submit_prompt:
 * @self: a #PcqEngine
 * @prompt: what to ask
 * @output_dir: the folder to save the answer into
 * @name: (nullable): the file name, or %NULL for `SLUG.md` made from
 *   the prompt's first words
 *
 * Queues an API task: @prompt goes to the chat-completions endpoint of
 * #PcqEngine:api-base, with #PcqEngine:model and #PcqEngine:system-prompt
 * as they are when it runs first, and the answer is saved as a file.
 *
 * Returns: (transfer none): the new job, owned by the engine's list
 */
PcqJob *
pcq_engine_submit_prompt (PcqEngine  *self,
                          const char *prompt,
                          const char *output_dir,
                          const char *name)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);
  g_return_val_if_fail (prompt != NULL, NULL);
  g_return_val_if_fail (output_dir != NULL, NULL);

  return submit_api (self, PCQ_JOB_ASK, prompt, output_dir, name);
}

/**
 * pcq_engine_submit_request:
 * @self: a #PcqEngine
 * @body: a chat-completions request body, as JSON text (an object)
 * @output_dir: the folder to save the answer into
 * @name: the file name (sanitized when it runs; conflicts numbered)
 *
 * Queues an API task from a batch file line: @body goes as given to the
 * chat-completions endpoint of #PcqEngine:api-base; #PcqEngine:model is
 * added only if @body has no "model", and #PcqEngine:system-prompt is
 * not used. The answer's content is saved as a file.
 *
 * Returns: (transfer none): the new job, owned by the engine's list
 */
PcqJob *
pcq_engine_submit_request (PcqEngine  *self,
                           const char *body,
                           const char *output_dir,
                           const char *name)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);
  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (output_dir != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return submit_api (self, PCQ_JOB_BATCH, body, output_dir, name);
}

/**
 * pcq_engine_reserve_name:
 * @output_dir: a folder jobs save into
 * @name: a file name (no folder)
 * @error: return location for an error
 *
 * Reserves a free name in @output_dir for a file the caller writes
 * beside the jobs' results (headless mode's errors.jsonl): "NAME", or
 * "NAME (1)" and so on if a file or a job has that. No job of this
 * engine takes it afterwards; a job that would be named so takes the
 * next free name, as after any conflict.
 *
 * Returns: (transfer full) (nullable): the reserved path
 */
char *
pcq_engine_reserve_name (PcqEngine   *self,
                         const char  *output_dir,
                         const char  *name,
                         GError     **error)
{
  g_autofree char *dir = NULL;

  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);
  g_return_val_if_fail (output_dir != NULL, NULL);
  g_return_val_if_fail (name != NULL && *name != '\0' && strchr (name, '/') == NULL, NULL);

  /* The same folder as the jobs' (made absolute alike), so that the
   * same path is reserved. */
  dir = g_canonicalize_filename (output_dir, NULL);

  return pcq_sink_reserve (self->names, dir, name, error);
}

/**
 * pcq_engine_cancel:
 *
 * Cancels a queued, paused or running job. A queued or paused job is
 * cancelled at once; a running one stops within moments and removes its
 * temp file.
 */
void
pcq_engine_cancel (PcqEngine *self,
                   PcqJob    *job)
{
  guint64 id;
  PcqRun *run;
  gboolean removed;

  g_return_if_fail (PCQ_IS_ENGINE (self));
  g_return_if_fail (PCQ_IS_JOB (job));

  if (pcq_job_get_state (job) == PCQ_JOB_PAUSED)
    {
      cancel_paused (self, job);
      maybe_finish_shutdown (self);
      return;
    }

  id = pcq_job_get_id (job);
  run = g_hash_table_lookup (self->run_by_id, &id);
  if (run == NULL || pcq_job_is_finished (job))
    return;

  if (run->pausing)
    {
      /* A worker that has not stopped yet stops as cancelled, and
       * removes the part; one that has stopped as paused left it, and
       * requeue_run () cancels the paused job. */
      g_atomic_int_set (&run->interrupted, FALSE);
      run->cancel_paused = TRUE;
      return;
    }

  pcq_run_cancel (run);

  if (!run->accepted)
    {
      /* Not even in the backlog yet (the store has not committed it). */
      finish_run (self, job, run, PCQ_JOB_CANCELLED);
      maybe_finish_shutdown (self);
      return;
    }

  /* Still waiting in the backlog or for a retry: take it out now. */
  removed = self->scheduler != NULL && pcq_scheduler_remove (self->scheduler, run);

  if (removed)
    {
      finish_run (self, job, run, PCQ_JOB_CANCELLED);
      maybe_finish_shutdown (self);
    }
}

/* Cancel of a paused job, which has no run: its part file goes. */
static void
cancel_paused (PcqEngine *self,
               PcqJob    *job)
{
  g_autofree char *part_path = pcq_sink_part_path (pcq_job_get_output_dir (job), self->part_tag,
                                                    pcq_job_get_id (job));

  /* A "job-finished" handler may remove the job from the list. */
  g_object_ref (job);
  pcq_sink_remove_part (part_path);
  _pcq_job_set_validator (job, NULL);
  set_job_state (self, job, PCQ_JOB_CANCELLED);
  save_job (self, job);
  g_signal_emit (self, signals[JOB_FINISHED], 0, job);
  g_object_unref (job);
}

/**
 * pcq_engine_pause_job:
 *
 * Pauses one queued or running job; the queue goes on with the others.
 * A queued (or waiting) job leaves the queue at once. A running one
 * stops within moments, as a forced stop stops it: its part file stays
 * for pcq_engine_resume_job(). A paused job counts as neither queued nor
 * active (#PcqEngine:n-paused), is not started, and stays paused after
 * a restart.
 *
 * Returns: %TRUE if the job is paused or about to be
 */
gboolean
pcq_engine_pause_job (PcqEngine *self,
                      PcqJob    *job)
{
  PcqJobState state;
  guint64 id;
  PcqRun *run;

  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);

  state = pcq_job_get_state (job);
  if ((state != PCQ_JOB_QUEUED && state != PCQ_JOB_ACTIVE) || self->scheduler == NULL)
    return FALSE;

  id = pcq_job_get_id (job);
  run = g_hash_table_lookup (self->run_by_id, &id);
  if (run == NULL || run->pausing || pcq_run_is_cancelled (run))
    return FALSE;

  if (run->accepted && !pcq_scheduler_pause (self->scheduler, run))
    {
      /* A worker has it: requeue_run () pauses it when it ends. */
      run->pausing = TRUE;
      return TRUE;
    }

  /* Out of the queue (or never in it: accepted_cb () will not find it). */
  if (!run->accepted)
    pcq_sink_release (run->names, run->output_path);
  run->pausing = TRUE;
  g_object_freeze_notify (G_OBJECT (self));
  requeue_run (self, job, run);
  g_object_thaw_notify (G_OBJECT (self));
  maybe_finish_shutdown (self);

  return TRUE;
}

/**
 * pcq_engine_resume_job:
 *
 * Queues a paused job again, at the place in the queue it had (by
 * submission order), not at the end. A download whose server gave a
 * validator resumes its part file with `Range`; anything else (no
 * validator, an API task's POST) starts again from the beginning.
 *
 * Returns: %TRUE if the job was paused and is queued again
 */
gboolean
pcq_engine_resume_job (PcqEngine *self,
                       PcqJob    *job)
{
  g_autofree char *host = NULL;
  PcqRun *run;

  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);

  if (pcq_job_get_state (job) != PCQ_JOB_PAUSED)
    return FALSE;

  host = pcq_check_url (pcq_job_get_url (job), NULL);
  if (host == NULL)
    return FALSE;

  run = run_for_job (self, job, g_steal_pointer (&host));

  g_object_freeze_notify (G_OBJECT (self));
  _pcq_job_set_error (job, NULL);
  set_job_state (self, job, PCQ_JOB_QUEUED);
  enqueue_run (self, job, run);
  g_object_thaw_notify (G_OBJECT (self));

  return TRUE;
}

/**
 * pcq_engine_retry:
 *
 * Queues a failed or cancelled job again, at the end of the queue: it
 * takes the last position, and so moves to the end of the list too.
 *
 * Returns: %TRUE if the job was queued again
 */
gboolean
pcq_engine_retry (PcqEngine *self,
                  PcqJob    *job)
{
  g_autofree char *host = NULL;
  PcqJobState state;
  PcqRun *run;
  guint index;

  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);

  state = pcq_job_get_state (job);
  if (state != PCQ_JOB_FAILED && state != PCQ_JOB_CANCELLED)
    return FALSE;

  host = pcq_check_url (pcq_job_get_url (job), NULL);
  if (host == NULL)
    return FALSE;

  /* Stored with the job by enqueue_run (). */
  if (pcq_job_list_find (self->jobs, job, &index))
    {
      _pcq_job_set_position (job, (gint64) ++self->last_id);
      pcq_job_list_move_to_end (self->jobs, index);
    }
  run = run_for_job (self, job, g_steal_pointer (&host));

  g_object_freeze_notify (G_OBJECT (self));
  _pcq_job_set_error (job, NULL);
  _pcq_job_set_attempts (job, 0);
  _pcq_job_set_progress (job, 0, -1);
  set_job_state (self, job, PCQ_JOB_QUEUED);
  enqueue_run (self, job, run);
  g_object_thaw_notify (G_OBJECT (self));

  return TRUE;
}

/**
 * pcq_engine_retry_now:
 *
 * Starts the next attempt of a job that waits for it (its backoff, or
 * the server's `Retry-After`) as soon as a slot is free.
 *
 * Returns: %TRUE if the job was waiting
 */
gboolean
pcq_engine_retry_now (PcqEngine *self,
                      PcqJob    *job)
{
  guint64 id;
  PcqRun *run;

  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);

  id = pcq_job_get_id (job);
  run = g_hash_table_lookup (self->run_by_id, &id);
  if (run == NULL || pcq_job_get_retry_at (job, NULL) == 0 ||
      !pcq_scheduler_hurry (self->scheduler, run))
    return FALSE;

  _pcq_job_set_retry_at (job, 0, FALSE);
  return TRUE;
}

/* ---- the order of the queue ---------------------------------------- */

/* Only what waits may move: queued (or waiting to retry) and paused
 * jobs. The others keep their places in the list. */
static gboolean
is_movable (PcqJob *job)
{
  PcqJobState state = pcq_job_get_state (job);

  return state == PCQ_JOB_QUEUED || state == PCQ_JOB_PAUSED;
}

/* The movable job nearest @from (itself included) going by @step, or
 * -1. */
static gint64
find_movable (PcqEngine *self,
              gint64     from,
              int        step)
{
  GListModel *jobs = G_LIST_MODEL (self->jobs);
  gint64 n = g_list_model_get_n_items (jobs);

  for (gint64 i = from; i >= 0 && i < n; i += step)
    {
      g_autoptr(PcqJob) item = g_list_model_get_item (jobs, i);

      if (is_movable (item))
        return i;
    }

  return -1;
}

/* The job whose place @job takes for @where, or -1. */
static gint64
move_target (PcqEngine *self,
             PcqJob    *job,
             PcqMove    where)
{
  guint index;
  gint64 target;

  if (!is_movable (job) || !pcq_job_list_find (self->jobs, job, &index))
    return -1;

  switch (where)
    {
    case PCQ_MOVE_TOP:
      target = find_movable (self, 0, +1);
      break;
    case PCQ_MOVE_UP:
      target = find_movable (self, (gint64) index - 1, -1);
      break;
    case PCQ_MOVE_DOWN:
      target = find_movable (self, (gint64) index + 1, +1);
      break;
    case PCQ_MOVE_BOTTOM:
      target = find_movable (self, (gint64) g_list_model_get_n_items (G_LIST_MODEL (self->jobs)) - 1, -1);
      break;
    default:
      g_return_val_if_reached (-1);
    }

  return target == (gint64) index ? -1 : target;
}

/* @jobs take @positions, in this order: the jobs, their runs (wherever
 * they wait) and the store. */
static void
set_positions (PcqEngine *self,
               GPtrArray *jobs,
               gint64    *positions)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new ();
  g_autoptr(GArray) run_positions = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < jobs->len; i++)
    {
      PcqJob *job = g_ptr_array_index (jobs, i);
      guint64 id = pcq_job_get_id (job);
      PcqRun *run = g_hash_table_lookup (self->run_by_id, &id);

      _pcq_job_set_position (job, positions[i]);
      if (self->store != NULL)
        pcq_store_put_position (self->store, id, positions[i]);

      /* A paused job has no run. One not accepted yet is the engine's
       * alone: accepted_cb () pushes it to its new place. */
      if (run == NULL)
        continue;
      if (self->scheduler == NULL || !run->accepted)
        run->position = positions[i];
      else
        {
          g_ptr_array_add (runs, run);
          g_array_append_val (run_positions, positions[i]);
        }
    }

  if (runs->len > 0)
    pcq_scheduler_reorder (self->scheduler, runs, (const gint64 *) run_positions->data);
}

/* @job takes the place of the movable job at @target; the movable jobs
 * between them move one place towards where @job was. Positions are
 * handed round among these jobs only: the others (running, finished)
 * keep theirs, and with them their places in the list. */
static void
move_to_index (PcqEngine *self,
               PcqJob    *job,
               guint      index,
               guint      target)
{
  GListModel *list = G_LIST_MODEL (self->jobs);
  guint first = MIN (index, target);
  guint last = MAX (index, target);
  g_autoptr(GPtrArray) moving = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* Kept alive while the list drops and takes back its items. */
  g_autoptr(PcqJob) held G_GNUC_UNUSED = g_object_ref (job);

  for (guint i = first; i <= last; i++)
    {
      g_autoptr(PcqJob) item = g_list_model_get_item (list, i);
      gint64 position = pcq_job_get_position (item);

      if (!is_movable (item))
        continue;
      g_array_append_val (positions, position);
      if (item != job)
        g_ptr_array_add (moving, g_steal_pointer (&item));
    }

  /* The new order of these jobs: @job first when it moves up. */
  if (target < index)
    g_ptr_array_insert (moving, 0, g_object_ref (job));
  else
    g_ptr_array_add (moving, g_object_ref (job));

  set_positions (self, moving, (gint64 *) positions->data);

  /* One change for the range: a list view keeps the rows' widgets for
   * the jobs it finds again there, and the relay passes it through
   * (nothing new to pace). */
  pcq_job_list_sort_range (self->jobs, first, last);
}

/* For the tests: how many jobs wait for the store to take them. A job
 * moved meanwhile reaches the queue when it is taken, after the jobs
 * taken before it, which may have started by then. */
guint
_pcq_engine_get_n_accepting (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->n_accepting;
}

/**
 * pcq_engine_can_move_job:
 *
 * Returns: whether pcq_engine_move_job() would move @job: it waits
 *   (queued or paused) and is not already where @where would put it
 */
gboolean
pcq_engine_can_move_job (PcqEngine *self,
                         PcqJob    *job,
                         PcqMove    where)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);

  return move_target (self, job, where) >= 0;
}

/**
 * pcq_engine_move_job:
 * @where: to the top of the queue, one place up or down, or to its end
 *
 * Moves a job that waits (queued, waiting to retry, or paused) among
 * the others that wait: the queue starts them in the new order, the
 * list shows it, and the store keeps it for the next start. Running and
 * finished jobs do not move, and others move past them.
 *
 * Returns: whether @job moved
 */
gboolean
pcq_engine_move_job (PcqEngine *self,
                     PcqJob    *job,
                     PcqMove    where)
{
  gint64 target;
  guint index;

  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);

  target = move_target (self, job, where);
  if (target < 0 || !pcq_job_list_find (self->jobs, job, &index))
    return FALSE;

  move_to_index (self, job, index, target);
  return TRUE;
}

/**
 * pcq_engine_move_job_to:
 * @other: the job whose place @job takes
 *
 * Moves @job to where @other is (drag and drop): when @job comes from
 * above, it goes after @other, else before it. Both must wait (queued
 * or paused).
 *
 * Returns: whether @job moved
 */
gboolean
pcq_engine_move_job_to (PcqEngine *self,
                        PcqJob    *job,
                        PcqJob    *other)
{
  guint index, target;

  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (other), FALSE);

  if (job == other || !is_movable (job) || !is_movable (other) ||
      !pcq_job_list_find (self->jobs, job, &index) ||
      !pcq_job_list_find (self->jobs, other, &target))
    return FALSE;

  move_to_index (self, job, index, target);
  return TRUE;
}

/* The job leaves the list and the counts. */
static void
forget_job (PcqEngine *self,
            PcqJob    *job)
{
  guint64 id = pcq_job_get_id (job);

  count_state (self, pcq_job_get_state (job), -1);
  count_usage (self, job, -1);
  g_hash_table_remove (self->run_by_id, &id);
  g_hash_table_remove (self->job_by_id, &id);
  if (self->store != NULL)
    pcq_store_delete (self->store, id);
}

/**
 * pcq_engine_remove:
 *
 * Removes @job from the list, cancelling it first if it has not finished.
 */
void
pcq_engine_remove (PcqEngine *self,
                   PcqJob    *job)
{
  g_autoptr(PcqJob) hold = NULL;

  g_return_if_fail (PCQ_IS_ENGINE (self));
  g_return_if_fail (PCQ_IS_JOB (job));

  hold = g_object_ref (job);
  if (!pcq_job_is_finished (job))
    pcq_engine_cancel (self, job);

  if (pcq_job_list_remove (self->jobs, job))
    forget_job (self, job);

  maybe_finish_shutdown (self);
}

static gboolean
remove_if_done (gpointer key,
                gpointer value,
                gpointer user_data)
{
  PcqEngine *self = user_data;
  PcqJob *job = key;

  if (pcq_job_get_state (job) != PCQ_JOB_DONE)
    return FALSE;

  forget_job (self, job);
  return TRUE;
}

/**
 * pcq_engine_clear_finished:
 *
 * Removes every job that is done from the list (failed and cancelled
 * ones stay, to be retried or removed one by one).
 *
 * Returns: how many jobs were removed
 */
guint
pcq_engine_clear_finished (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);

  return pcq_job_list_remove_all (self->jobs, remove_if_done, self);
}

gboolean
pcq_engine_get_paused (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  return self->paused;
}

/* The user's pause and a start time to come both keep the scheduler
 * from starting anything. */
static void
update_gate (PcqEngine *self)
{
  if (self->scheduler != NULL)
    pcq_scheduler_set_paused (self->scheduler, self->paused || self->start_at != 0);
}

/**
 * pcq_engine_set_paused:
 *
 * A paused engine starts no job; running jobs go on to the end.
 */
void
pcq_engine_set_paused (PcqEngine *self,
                       gboolean   paused)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  paused = !!paused;
  if (self->paused == paused)
    return;

  self->paused = paused;
  update_gate (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
  maybe_finish_shutdown (self);
}

/* ---- start later --------------------------------------------------- */

gint64
pcq_engine_get_start_at (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->start_at;
}

static gboolean start_at_due_cb (gpointer user_data);

/* Looks at the wall clock at least once a minute, not only at the time
 * it was asked for: a suspended or corrected clock moves the moment. */
static void
arm_start_at (PcqEngine *self)
{
  gint64 left_ms;

  g_clear_handle_id (&self->start_at_source, g_source_remove);
  if (self->start_at == 0)
    return;

  left_ms = (self->start_at * G_USEC_PER_SEC - g_get_real_time () + 999) / 1000;
  if (left_ms <= 0)
    {
      self->start_at = 0;
      update_gate (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_START_AT]);
      return;
    }

  self->start_at_source = g_timeout_add ((guint) MIN (left_ms, 60 * 1000), start_at_due_cb, self);
}

static gboolean
start_at_due_cb (gpointer user_data)
{
  PcqEngine *self = user_data;

  self->start_at_source = 0;
  arm_start_at (self);
  return G_SOURCE_REMOVE;
}

/**
 * pcq_engine_set_start_at:
 * @unix_seconds: when the queue may start (seconds since the epoch), or
 *   0 to start now
 *
 * Nothing starts before then; what runs goes on. A time that has come
 * already starts the queue at once (and reads back as 0).
 */
void
pcq_engine_set_start_at (PcqEngine *self,
                         gint64     unix_seconds)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  unix_seconds = CLAMP (unix_seconds, 0, G_MAXINT64 / G_USEC_PER_SEC);
  if (self->start_at == unix_seconds)
    return;

  self->start_at = unix_seconds;
  update_gate (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_START_AT]);
  /* May set it back to 0 (and notify again) if the time has come. */
  arm_start_at (self);
}

/* ---- the network --------------------------------------------------- */

static void
update_network (PcqEngine *self)
{
  gboolean offline = FALSE;
  gboolean metered = FALSE;

  if (self->network_monitor != NULL)
    {
      offline = !g_network_monitor_get_network_available (self->network_monitor);
      metered = !offline && g_network_monitor_get_network_metered (self->network_monitor);
    }

  if (self->scheduler != NULL)
    pcq_scheduler_set_network_hold (self->scheduler,
                                    offline || (metered && !self->download_on_metered));

  if (offline != self->offline)
    {
      self->offline = offline;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE]);
    }
  if (metered != self->metered)
    {
      self->metered = metered;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_METERED]);
    }
}

static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         available,
                    PcqEngine       *self)
{
  update_network (self);
}

static void
network_metered_cb (GNetworkMonitor *monitor,
                    GParamSpec      *pspec,
                    PcqEngine       *self)
{
  update_network (self);
}

static void
follow_network_monitor (PcqEngine       *self,
                        GNetworkMonitor *monitor)
{
  if (self->network_monitor == monitor)
    return;

  if (self->network_monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->network_monitor, self);
      g_clear_object (&self->network_monitor);
    }

  if (monitor != NULL)
    {
      self->network_monitor = g_object_ref (monitor);
      g_signal_connect (monitor, "network-changed", G_CALLBACK (network_changed_cb), self);
      g_signal_connect (monitor, "notify::network-metered", G_CALLBACK (network_metered_cb), self);
    }

  update_network (self);
}

static void
get_default_monitor_thread (GTask        *task,
                            gpointer      source_object,
                            gpointer      task_data,
                            GCancellable *cancellable)
{
  g_task_return_pointer (task, g_object_ref (g_network_monitor_get_default ()), g_object_unref);
}

static void
got_default_monitor_cb (GObject      *source_object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GNetworkMonitor) monitor = g_task_propagate_pointer (G_TASK (result), NULL);
  g_autoptr(PcqEngine) self = g_weak_ref_get (user_data);

  if (self != NULL && !self->network_monitor_given)
    follow_network_monitor (self, monitor);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Making the default monitor costs some 5 ms of CPU (GIO's modules, a
 * D-Bus connection, a netlink socket), while the first transfer needs
 * every bit of the two cores here. So it is made once the main loop
 * has nothing else to do, on a thread of GTask's, whose thread-default
 * context is the global default one: its signals come where they
 * always came. Until then the network counts as present, and an
 * attempt that fails meanwhile counts, as one always did before the
 * monitor's first word. Only a weak reference waits for it: the engine
 * may be finalized first. */
static gboolean
follow_default_monitor_cb (gpointer user_data)
{
  g_autoptr(PcqEngine) self = g_weak_ref_get (user_data);
  g_autoptr(GTask) task = NULL;

  if (self == NULL || self->network_monitor_given)
    {
      weak_ref_free (user_data);
      return G_SOURCE_REMOVE;
    }

  task = g_task_new (NULL, NULL, got_default_monitor_cb, user_data);
  g_task_set_source_tag (task, follow_default_monitor);
  g_task_set_task_data (task, user_data, weak_ref_free);
  g_task_run_in_thread (task, get_default_monitor_thread);
  return G_SOURCE_REMOVE;
}

static void
follow_default_monitor (PcqEngine *self)
{
  g_autoptr(GSource) source = g_idle_source_new ();
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  g_source_set_priority (source, G_PRIORITY_LOW);
  g_source_set_callback (source, follow_default_monitor_cb, ref, NULL);
  g_source_set_static_name (source, "[pcq] network monitor");
  g_source_attach (source, self->main_context);
}

/**
 * pcq_engine_set_network_monitor:
 * @monitor: (nullable): the monitor to follow, or %NULL to take the
 *   network as always there
 *
 * The engine follows g_network_monitor_get_default() from its first
 * idle moment (see follow_default_monitor()), unless given one here
 * first; tests give their own. Its signals must come on the engine's
 * context.
 * Only a network said to be missing holds jobs back, and never those
 * for loopback hosts (the monitor knows nothing of them).
 */
void
pcq_engine_set_network_monitor (PcqEngine       *self,
                                GNetworkMonitor *monitor)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));
  g_return_if_fail (!monitor || G_IS_NETWORK_MONITOR (monitor));

  self->network_monitor_given = TRUE;
  follow_network_monitor (self, monitor);
}

gboolean
pcq_engine_get_offline (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  return self->offline;
}

gboolean
pcq_engine_get_metered (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  return self->metered;
}

gboolean
pcq_engine_get_download_on_metered (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), TRUE);
  return self->download_on_metered;
}

void
pcq_engine_set_download_on_metered (PcqEngine *self,
                                    gboolean   download)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  download = !!download;
  if (self->download_on_metered == download)
    return;

  self->download_on_metered = download;
  update_network (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOWNLOAD_ON_METERED]);
}

/**
 * pcq_engine_get_network_held:
 *
 * Returns: %TRUE while jobs wait for the network (offline, or metered
 *   and not allowed there)
 */
gboolean
pcq_engine_get_network_held (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  return self->offline || (self->metered && !self->download_on_metered);
}

/* For tests, whose servers are all on loopback: hold those as well. */
void
_pcq_engine_set_hold_loopback (PcqEngine *self,
                               gboolean   hold)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  if (self->scheduler != NULL)
    pcq_scheduler_set_hold_loopback (self->scheduler, hold);
}

guint
pcq_engine_get_max_active (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->max_active;
}

/**
 * pcq_engine_set_max_active:
 *
 * Changes how many jobs may run at once (1 to 64), while running.
 * Lowering it lets running jobs finish; none starts until fewer than
 * @max_active run.
 */
void
pcq_engine_set_max_active (PcqEngine *self,
                           guint      max_active)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  max_active = CLAMP (max_active, 1, PCQ_ENGINE_MAX_ACTIVE_LIMIT);
  if (self->max_active == max_active)
    return;

  self->max_active = max_active;
  if (self->scheduler != NULL)
    pcq_scheduler_set_max_active (self->scheduler, max_active);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_ACTIVE]);
}

guint
pcq_engine_get_max_api_active (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->max_api_active;
}

/**
 * pcq_engine_set_max_api_active:
 *
 * Changes how many API tasks may run at once (1 to 64), while running.
 * Raising it starts parked API tasks at once; lowering it lets running
 * ones finish.
 */
void
pcq_engine_set_max_api_active (PcqEngine *self,
                               guint      max_api_active)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  max_api_active = CLAMP (max_api_active, 1, PCQ_ENGINE_MAX_ACTIVE_LIMIT);
  if (self->max_api_active == max_api_active)
    return;

  self->max_api_active = max_api_active;
  if (self->scheduler != NULL)
    pcq_scheduler_set_max_api_active (self->scheduler, max_api_active);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_API_ACTIVE]);
}

guint
pcq_engine_get_max_per_host (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->max_per_host;
}

/**
 * pcq_engine_set_max_per_host:
 * @max_per_host: 1 to 64, or 0 for no limit
 *
 * Changes how many tasks for one host may run at once, while running.
 * Raising it (or 0) starts the tasks it held back at once; lowering it
 * lets running ones finish (and counts them: a host that has more
 * running than a new limit starts no more until it is below it).
 */
void
pcq_engine_set_max_per_host (PcqEngine *self,
                             guint      max_per_host)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  max_per_host = MIN (max_per_host, PCQ_ENGINE_MAX_ACTIVE_LIMIT);
  if (self->max_per_host == max_per_host)
    return;

  self->max_per_host = max_per_host;
  if (self->scheduler != NULL)
    pcq_scheduler_set_max_per_host (self->scheduler, max_per_host);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_PER_HOST]);
}

guint
pcq_engine_get_retries (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->retries;
}

void
pcq_engine_set_retries (PcqEngine *self,
                        guint      retries)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  if (self->retries == retries)
    return;

  self->retries = retries;
  if (self->scheduler != NULL)
    pcq_scheduler_set_retries (self->scheduler, retries);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRIES]);
}

guint
pcq_engine_get_stall_timeout (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->stall_timeout;
}

/**
 * pcq_engine_set_stall_timeout:
 *
 * Seconds without a byte after which an attempt fails (and may be
 * retried). Applies to attempts that start after the change.
 */
void
pcq_engine_set_stall_timeout (PcqEngine *self,
                              guint      seconds)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));
  g_return_if_fail (seconds > 0);

  if (self->stall_timeout == seconds)
    return;

  self->stall_timeout = seconds;
  if (self->scheduler != NULL)
    pcq_scheduler_set_stall_timeout (self->scheduler, seconds);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STALL_TIMEOUT]);
}

guint
pcq_engine_get_min_speed (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->min_speed;
}

/**
 * pcq_engine_set_min_speed:
 * @bytes_per_second: 0 for no minimum
 *
 * Applies to attempts that start after the change.
 */
void
pcq_engine_set_min_speed (PcqEngine *self,
                          guint      bytes_per_second)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  if (self->min_speed == bytes_per_second)
    return;

  self->min_speed = bytes_per_second;
  if (self->scheduler != NULL)
    pcq_scheduler_set_min_speed (self->scheduler, bytes_per_second);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MIN_SPEED]);
}

guint
pcq_engine_get_split (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 1);
  return self->split;
}

/**
 * pcq_engine_set_split:
 * @split: connections a large download may use at once, 1 to 16
 *
 * Applies to attempts that start after the change.
 */
void
pcq_engine_set_split (PcqEngine *self,
                      guint      split)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  split = CLAMP (split, 1, 16);
  if (self->split == split)
    return;

  self->split = split;
  if (self->scheduler != NULL)
    pcq_scheduler_set_split (self->scheduler, split);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPLIT]);
}

guint
pcq_engine_get_api_rpm (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->api_rpm;
}

/**
 * pcq_engine_set_api_rpm:
 * @rpm: 1 to %PCQ_ENGINE_API_RPM_LIMIT requests a minute per API host,
 *   or 0 for no limit
 *
 * Model providers publish this limit. API tasks past it wait, in
 * order, until a request leaves the last 60 s. Applies at once.
 */
void
pcq_engine_set_api_rpm (PcqEngine *self,
                        guint      rpm)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  rpm = MIN (rpm, PCQ_ENGINE_API_RPM_LIMIT);
  if (self->api_rpm == rpm)
    return;

  self->api_rpm = rpm;
  if (self->scheduler != NULL)
    pcq_scheduler_set_api_rpm (self->scheduler, rpm, self->api_rpm_window);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_API_RPM]);
}

/* Tests: a "minute" of @window_ms. */
void
_pcq_engine_set_api_rpm_window (PcqEngine *self,
                                guint      window_ms)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  self->api_rpm_window = (gint64) window_ms * 1000;
  if (self->scheduler != NULL)
    pcq_scheduler_set_api_rpm (self->scheduler, self->api_rpm, self->api_rpm_window);
}

gboolean
pcq_engine_get_record_checksums (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  return self->record_checksums;
}

/* Applies to attempts that start after the change. */
void
pcq_engine_set_record_checksums (PcqEngine *self,
                                 gboolean   record)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  record = !!record;
  if (self->record_checksums == record)
    return;

  self->record_checksums = record;
  if (self->scheduler != NULL)
    pcq_scheduler_set_record_checksums (self->scheduler, record);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORD_CHECKSUMS]);
}

guint
pcq_engine_get_speed_limit (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->speed_limit;
}

/**
 * pcq_engine_set_speed_limit:
 * @bytes_per_second: what all downloads together may read per second,
 *   up to %G_MAXINT; 0 for no limit
 *
 * Applies at once, to running downloads too. Downloads that start
 * while a limit is set use HTTP/1.1, where slower reads slow the server.
 */
void
pcq_engine_set_speed_limit (PcqEngine *self,
                            guint      bytes_per_second)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  bytes_per_second = MIN (bytes_per_second, (guint) G_MAXINT);
  if (self->speed_limit == bytes_per_second)
    return;

  self->speed_limit = bytes_per_second;
  if (self->scheduler != NULL)
    pcq_scheduler_set_speed_limit (self->scheduler, bytes_per_second);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEED_LIMIT]);
}

guint
pcq_engine_get_n_queued (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->n_queued;
}

guint
pcq_engine_get_n_active (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->n_active;
}

guint
pcq_engine_get_n_done (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->n_done;
}

guint
pcq_engine_get_n_failed (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->n_failed;
}

guint
pcq_engine_get_n_paused (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->n_paused;
}

guint
pcq_engine_get_n_cancelled (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->n_cancelled;
}

guint64
pcq_engine_get_bytes_per_second (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->bytes_per_second;
}

/**
 * pcq_engine_get_bytes_done:
 *
 * Returns: the body bytes written to the files of finished jobs
 */
guint64
pcq_engine_get_bytes_done (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), 0);
  return self->bytes_done;
}

const char *
pcq_engine_get_api_base (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);
  return self->api_base;
}

/**
 * pcq_engine_set_api_base:
 * @base: (nullable): an OpenAI-compatible base URL, or %NULL for the
 *   default (`http://localhost:11434/v1`)
 *
 * Applies to API tasks submitted from now on.
 */
void
pcq_engine_set_api_base (PcqEngine  *self,
                         const char *base)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  if (base == NULL || *base == '\0')
    base = PCQ_API_DEFAULT_BASE;

  if (pcq_set_str (&self->api_base, base))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_API_BASE]);
}

const char *
pcq_engine_get_model (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);
  return self->model;
}

void
pcq_engine_set_model (PcqEngine  *self,
                      const char *model)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  if (model != NULL && *model == '\0')
    model = NULL;

  if (pcq_set_str (&self->model, model))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

const char *
pcq_engine_get_system_prompt (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);
  return self->system_prompt;
}

void
pcq_engine_set_system_prompt (PcqEngine  *self,
                              const char *system_prompt)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  if (system_prompt != NULL && *system_prompt == '\0')
    system_prompt = NULL;

  if (pcq_set_str (&self->system_prompt, system_prompt))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYSTEM_PROMPT]);
}

gboolean
pcq_engine_get_commit_results (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  return self->commit_results;
}

/**
 * pcq_engine_set_commit_results:
 *
 * Turns the Git step on or off for jobs that become done from now on.
 */
void
pcq_engine_set_commit_results (PcqEngine *self,
                               gboolean   commit_results)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  commit_results = !!commit_results;
  if (self->commit_results == commit_results)
    return;

  self->commit_results = commit_results;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMMIT_RESULTS]);
}

/**
 * pcq_engine_has_api_key:
 *
 * Returns: whether the engine has an API key (the key itself is not
 *   available outside the engine)
 */
gboolean
pcq_engine_has_api_key (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);

  return self->has_api_key;
}

/**
 * pcq_engine_set_api_key:
 * @api_key: (nullable): the key, or %NULL for none
 *
 * Replaces the key API tasks send (from the keyring or typed in); it
 * reaches every API task that starts from now on, queued ones too. The
 * engine keeps it in memory only.
 */
void
pcq_engine_set_api_key (PcqEngine  *self,
                        const char *api_key)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (PCQ_IS_ENGINE (self));

  if (!pcq_api_check_key (api_key, PCQ_API_KEY_FROM_ENTRY, &error))
    {
      pcq_engine_refuse_api_key (self, error);
      return;
    }

  g_clear_pointer (&self->api_key_error, g_free);
  if (self->scheduler != NULL)
    pcq_scheduler_set_api_key (self->scheduler, api_key);
  self->has_api_key = self->scheduler != NULL && pcq_scheduler_has_api_key (self->scheduler);
}

/**
 * pcq_engine_refuse_api_key:
 * @error: why the key given was not taken (see pcq_api_check_key())
 *
 * A key was given (from PCQ_API_KEY, the keyring) but cannot be sent:
 * API tasks that start from now on fail with @error's message and send
 * nothing, rather than go out without a key. The engine counts as
 * having a key, so that no other one is looked for behind the one the
 * user chose; pcq_engine_set_api_key() with a usable key ends it.
 */
void
pcq_engine_refuse_api_key (PcqEngine    *self,
                           const GError *error)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));
  g_return_if_fail (error != NULL);

  g_free (self->api_key_error);
  self->api_key_error = g_strdup (error->message);
  if (self->scheduler != NULL)
    pcq_scheduler_refuse_api_key (self->scheduler, error->message);
  self->has_api_key = TRUE;
}

static void
models_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GStrv models = pcq_api_list_models_finish (result, &error);

  if (models == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, models, (GDestroyNotify) g_strfreev);
}

/**
 * pcq_engine_list_models_async:
 *
 * Asks the API base for the models it offers (`GET {base}/models`),
 * with the engine's key, on the main context. The key never leaves
 * the engine: the caller gets the list or a message fit to show.
 */
void
pcq_engine_list_models_async (PcqEngine           *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  char *key;

  g_return_if_fail (PCQ_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_engine_list_models_async);

  /* A refused key: nothing goes out without it, as for API tasks. */
  if (self->api_key_error != NULL)
    {
      g_task_return_new_error (task, PCQ_ERROR, PCQ_ERROR_API_KEY, "%s", self->api_key_error);
      return;
    }

  key = self->scheduler != NULL ? pcq_scheduler_dup_api_key (self->scheduler) : NULL;
  pcq_api_list_models_async (self->api_base, key, cancellable, models_listed_cb,
                             g_steal_pointer (&task));
  pcq_secret_free (key);
}

/**
 * pcq_engine_list_models_finish:
 *
 * Returns: (transfer full) (nullable): the model ids, sorted, or %NULL
 *   with @error set (%G_IO_ERROR_CANCELLED whenever @cancellable was
 *   cancelled before this, even if the request had ended: a caller may
 *   rely on it to know it is gone)
 */
GStrv
pcq_engine_list_models_finish (PcqEngine     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * pcq_engine_get_tokens:
 * @prompt_tokens: (out) (optional): see #PcqEngine:prompt-tokens
 * @completion_tokens: (out) (optional): see #PcqEngine:completion-tokens
 */
void
pcq_engine_get_tokens (PcqEngine *self,
                       gint64    *prompt_tokens,
                       gint64    *completion_tokens)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  if (prompt_tokens != NULL)
    *prompt_tokens = self->prompt_tokens;
  if (completion_tokens != NULL)
    *completion_tokens = self->completion_tokens;
}

/**
 * pcq_engine_get_api_key_error:
 *
 * Returns: (nullable): why the key given was refused, or %NULL
 */
const char *
pcq_engine_get_api_key_error (PcqEngine *self)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), NULL);

  return self->api_key_error;
}

/**
 * pcq_engine_set_dispatch_interval:
 * @interval_us: at least this long between two dispatches of results
 *   on the main thread (0: as soon as they come; by default 2 ms)
 *
 * A window sets one frame (%PCQ_ENGINE_FRAME_INTERVAL): whatever the
 * workers, the store and Git report meanwhile is applied together, once
 * per frame, within a time budget, so that results never cost the
 * window its frames. Headless sets the same, to wake its main thread
 * less often.
 */
void
pcq_engine_set_dispatch_interval (PcqEngine *self,
                                  gint64     interval_us)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));
  g_return_if_fail (interval_us >= 0);

  pcq_dispatcher_set_interval (self->dispatcher, interval_us);
}

/**
 * pcq_engine_set_threads_in_background:
 *
 * Runs the worker threads and the store's thread (of the store set now
 * or later) at a lower priority (nice 10) than the thread that draws:
 * on two cores under the heaviest load, a window whose workers compete
 * with it as equals lost frames (p99 67 ms between frames); behind them
 * it kept one frame in two at worst (p99 33 ms, max 50 ms). With the
 * store's thread behind it too, it lost a frame in 4 of 1457 intervals
 * where it had in 39 of 1487 (p99 17 ms), and the downloads were no
 * slower.
 */
void
pcq_engine_set_threads_in_background (PcqEngine *self)
{
  g_return_if_fail (PCQ_IS_ENGINE (self));

  self->in_background = TRUE;
  if (self->scheduler != NULL)
    pcq_scheduler_set_nice (self->scheduler, BACKGROUND_NICE);
  if (self->store != NULL)
    pcq_store_set_nice (self->store, BACKGROUND_NICE);
}

/**
 * pcq_engine_shutdown_async:
 * @mode: %PCQ_SHUTDOWN_WAIT lets every job that can run finish (when
 *   paused, only the running ones); %PCQ_SHUTDOWN_FORCE interrupts
 *   running jobs and starts no other
 *
 * Stops the worker threads once the jobs have settled. Queued jobs that
 * did not run stay queued; jobs a forced stop interrupted are queued
 * again, their part files kept for the next start to resume when the
 * server gave a validator. Only pcq_engine_cancel() cancels. Calling it
 * again with %PCQ_SHUTDOWN_FORCE while a wait is in progress turns it
 * into a forced one.
 */
void
pcq_engine_shutdown_async (PcqEngine           *self,
                           PcqShutdownMode      mode,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PCQ_IS_ENGINE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_engine_shutdown_async);

  if (mode == PCQ_SHUTDOWN_FORCE)
    {
      GHashTableIter iter;
      gpointer run;

      /* Once paused no worker takes another run, and every run a
       * worker took before is marked taken, even if the main thread has
       * not heard that it started. */
      pcq_engine_set_paused (self, TRUE);
      g_hash_table_iter_init (&iter, self->run_by_id);
      while (self->scheduler != NULL && g_hash_table_iter_next (&iter, NULL, &run))
        pcq_scheduler_interrupt (self->scheduler, run);
    }

  if (self->stopped && self->scheduler == NULL && self->shutdown_tasks->len == 0)
    {
      /* Stopped already. */
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* A second call (force after wait) finishes together with the first. */
  g_ptr_array_add (self->shutdown_tasks, g_steal_pointer (&task));
  maybe_finish_shutdown (self);
}

gboolean
pcq_engine_shutdown_finish (PcqEngine     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
