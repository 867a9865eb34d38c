/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-scheduler"

#define _GNU_SOURCE
#include "config.h"

#include <unistd.h>

#include "pcq-defaults.h"
#include "pcq-scheduler.h"
#include "pcq-sink.h"
#include "pcq-util.h"

/*
 * The backlog is a GAsyncQueue of runs in queue order (by position:
 * submission order, unless the person moved a job). A
 * GThreadPool runs one loop per worker thread (about one per CPU); each
 * loop owns a PcqWorker, which runs several transfers at once on the
 * thread's own GMainContext.
 *
 * The backlog's own lock guards everything below marked "locked": the
 * pause gate, how many runs are taken (max-active is exact: a loop takes
 * a run only while fewer than max-active are taken), runs deferred for
 * a retry delay or a host's Retry-After, host holds, API slots and the
 * runs taken per host (while max-per-host is set: without a limit, a
 * run costs no hash table lookup; a limit set later counts the runs
 * already taken, from the list of them, whose links are the runs' own)
 * and the runs that wait for a slot of their host: a queue per host,
 * apart from the deferred runs, so that a long queue for one host is
 * not walked each time a run ends.
 *
 * A loop takes runs in order until its share of max-active is reached,
 * then sleeps in its context's poll. A host that answers over HTTP/2 is
 * the exception while its files are small: its runs go to one loop,
 * beyond that loop's share (see note_protocol_locked ()). Whatever may
 * let a run start (a push, resume, a higher max-active, a slot set
 * free) wakes the loops that sleep; a loop with deferred runs also
 * wakes itself when the first is due.
 */

#define MAX_BACKOFF_MS (60 * 1000)
#define MAX_THREADS 64
#define MAX_SPREAD_HOSTS 4096

typedef struct
{
  PcqScheduler *scheduler;
  PcqWorker    *worker;
  gboolean      sleeping;   /* locked */
} Loop;

struct _PcqScheduler
{
  const PcqSchedulerCallbacks *callbacks;
  gpointer       user_data;

  GAsyncQueue   *backlog;
  GThreadPool   *pool;
  guint          n_threads;

  /* Locked. */
  GPtrArray     *loops;
  gboolean       paused;
  gboolean       network_hold;  /* offline or metered: not the user's pause */
  gboolean       hold_loopback; /* tests: loopback is held too */
  gboolean       stopping;
  guint          max_active;
  guint          n_taken;
  GQueue         deferred;
  GHashTable    *host_holds;    /* host → gint64 monotonic µs */
  char          *api_key;       /* never logged, stored or shown */
  char          *api_key_error; /* why the key given was refused, or NULL */
  guint          max_api_active;
  guint          n_api_taken;
  guint          max_per_host;  /* 0: no limit */
  GHashTable    *host_taken;    /* host → guint*: runs taken with host_slot */
  GQueue         taken;         /* the runs taken (PcqRun.taken_link) */
  GHashTable    *host_parked;   /* host → GQueue of runs waiting for its slots, in order */
  GHashTable    *host_loop;     /* host → the Loop whose HTTP/2 connection it answers on, or may */
  GHashTable    *spread_hosts;  /* HTTPS hosts every loop takes: last heard over
                                 * HTTP/1.x, or over HTTP/2 with a large body */
  guint          api_rpm;       /* API requests a minute per API host; 0: no limit */
  gint64         api_rpm_window;  /* µs: a minute, shorter in tests */
  GHashTable    *api_starts;    /* API host → GQueue of gint64*: its starts in the window */

  /* Thread-safe. */
  PcqRateLimit  *rate_limit;

  /* Atomics. */
  guint          retries;
  guint          stall_timeout;
  guint          min_speed;
  guint          split;             /* connections per large download */
  gint           record_checksums;
  guint          retry_base_delay;  /* ms */
  gint           nice;              /* of the worker threads */
  gint          *draining;          /* the owner's: the backlog was empty when last
                                     * looked at, every run still to end is taken */
};

/* The queue's order: by position, which is the id unless the person
 * moved the job (pcq_scheduler_reorder ()). Positions are unique. */
static gint
compare_run_position (gconstpointer a,
                      gconstpointer b,
                      gpointer      user_data)
{
  const PcqRun *ra = a;
  const PcqRun *rb = b;

  return ra->position < rb->position ? -1 : ra->position > rb->position;
}

/* Written only when it changes: the loops take many times a second,
 * and the owner reads the flag on other threads, whose copy of its
 * cache line a write of the same value would void for nothing. Every
 * writer holds the backlog's lock, so the compare is race-free. */
static void
set_draining_locked (PcqScheduler *self,
                     gboolean      draining)
{
  if (g_atomic_int_get (self->draining) != draining)
    g_atomic_int_set (self->draining, draining);
}

/* Into the backlog, in the queue's order. */
static void
push_locked (PcqScheduler *self,
             PcqRun       *run)
{
  g_async_queue_push_sorted_unlocked (self->backlog, run, compare_run_position, NULL);
  set_draining_locked (self, FALSE);
}

static void
wake_loop_locked (Loop *loop)
{
  if (loop->sleeping)
    {
      loop->sleeping = FALSE;
      g_main_context_wakeup (pcq_worker_get_context (loop->worker));
    }
}

static void
wake_locked (PcqScheduler *self)
{
  for (guint i = 0; i < self->loops->len; i++)
    wake_loop_locked (g_ptr_array_index (self->loops, i));
}

static gboolean
may_multiplex (PcqRun *run)
{
  return g_ascii_strncasecmp (run->url, "https:", 6) == 0;
}

/* The loop whose HTTP/2 connection @run's host answers on, if any. */
static Loop *
host_loop_locked (PcqScheduler *self,
                  PcqRun       *run)
{
  if (run->host == NULL || g_hash_table_size (self->host_loop) == 0)
    return NULL;

  return g_hash_table_lookup (self->host_loop, run->host);
}

/* HTTP/2 carries all of a host's requests on one connection, but
 * libsoup shares a connection only among the requests sent from one
 * thread. So once a host has answered over HTTP/2, its runs go to the
 * loop that has that connection, beyond the loop's share, the way curl
 * and browsers use one connection per host: a second thread would only
 * add a connection, a TLS handshake and its CPU (over HTTPS, 2000 small
 * files took a quarter less CPU on one thread than on two). That holds
 * while its files are small. A large file costs its bytes, not its
 * request: the one thread decrypts and writes them all while the other
 * waits (200 files of 1 MiB took a quarter longer on one connection
 * than on one per thread, for the same CPU). So a host whose last
 * answer was a large body, like a host that answers over HTTP/1.x, is
 * every loop's, each with its own connection. */
static void
note_protocol_locked (PcqScheduler *self,
                      Loop         *loop,
                      PcqRun       *run,
                      gboolean      multiplexed)
{
  Loop *owner = host_loop_locked (self, run);
  gboolean one_loop;

  if (run->host == NULL)
    return;

  one_loop = multiplexed && !pcq_run_is_large (run);
  if (one_loop)
    {
      g_hash_table_remove (self->spread_hosts, run->host);
      if (owner == NULL)
        g_hash_table_insert (self->host_loop, g_strdup (run->host), loop);
    }
  /* An HTTP/1.x answer on another loop than the host's leaves the host
   * there; a large body over HTTP/2 spreads it from any loop. */
  else if (multiplexed || owner == NULL || owner == loop)
    {
      g_hash_table_remove (self->host_loop, run->host);
      if (may_multiplex (run) && !g_hash_table_contains (self->spread_hosts, run->host))
        {
          /* A window open for weeks meets many hosts: forgetting them
           * costs each one more first answer on one loop. */
          if (g_hash_table_size (self->spread_hosts) >= MAX_SPREAD_HOSTS)
            g_hash_table_remove_all (self->spread_hosts);
          g_hash_table_add (self->spread_hosts, g_strdup (run->host));
        }
    }
}

/* Only TLS offers HTTP/2 (libsoup speaks no cleartext HTTP/2). An HTTPS
 * host not heard from yet is one loop's until its first answer: were
 * the first runs spread, each loop would open its own connection, and
 * with GLib networking before 2.78.1 each TLS connection also loads its
 * own copy of the system's trusted certificates (5 MiB with Debian's).
 * curl --parallel waits for a new host's first connection the same way. */
static Loop *
try_host_on_locked (PcqScheduler *self,
                    Loop         *loop,
                    PcqRun       *run)
{
  if (run->host == NULL || !may_multiplex (run) ||
      g_hash_table_contains (self->spread_hosts, run->host))
    return NULL;

  g_hash_table_insert (self->host_loop, g_strdup (run->host), loop);
  return loop;
}

static gboolean
is_loop (gpointer key,
         gpointer value,
         gpointer user_data)
{
  return value == user_data;
}

static gint64
host_hold_locked (PcqScheduler *self,
                  const char   *host)
{
  gpointer until;

  if (host != NULL && g_hash_table_lookup_extended (self->host_holds, host, NULL, &until))
    return *(gint64 *)until;

  return 0;
}

/* Loopback hosts answer without a network: they are never held. */
static gboolean
run_is_local (PcqRun *run)
{
  g_autoptr(GInetAddress) address = NULL;

  /* No host: the attempt fails at once whatever the network does. */
  if (run->host == NULL)
    return TRUE;

  if (g_strcmp0 (run->host, "localhost") == 0 || g_str_has_suffix (run->host, ".localhost"))
    return TRUE;

  address = g_inet_address_new_from_string (run->host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* Whether @run must wait for the network: while offline (or metered and
 * not allowed), no attempt starts that could only fail and spend a
 * retry. */
static gboolean
held_for_network_locked (PcqScheduler *self,
                         PcqRun       *run)
{
  return self->network_hold && (self->hold_loopback || !run_is_local (run));
}

static gint64
ready_time_locked (PcqScheduler *self,
                   PcqRun       *run)
{
  if (run->hurry)
    return 0;

  if (held_for_network_locked (self, run))
    return G_MAXINT64;

  return MAX (run->not_before, host_hold_locked (self, run->host));
}

static guint
host_taken_locked (PcqScheduler *self,
                   const char   *host)
{
  guint *n = g_hash_table_lookup (self->host_taken, host);

  return n != NULL ? *n : 0;
}

/* Whether @run must wait for one of its host's runs to end. */
static gboolean
host_is_full_locked (PcqScheduler *self,
                     PcqRun       *run)
{
  return self->max_per_host > 0 && run->host != NULL &&
         host_taken_locked (self, run->host) >= self->max_per_host;
}

/* Counted in place: a host's entry (and its key) is made when its
 * first run is taken and goes with its last, not with every run. */
static void
count_host_locked (PcqScheduler *self,
                   PcqRun       *run)
{
  guint *n = g_hash_table_lookup (self->host_taken, run->host);

  if (n == NULL)
    {
      n = g_new0 (guint, 1);
      g_hash_table_insert (self->host_taken, g_strdup (run->host), n);
    }
  (*n)++;
  run->host_slot = TRUE;
}

static void
uncount_host_locked (PcqScheduler *self,
                     PcqRun       *run)
{
  guint *n = g_hash_table_lookup (self->host_taken, run->host);

  g_assert (n != NULL && *n > 0);
  run->host_slot = FALSE;
  if (--(*n) == 0)
    g_hash_table_remove (self->host_taken, run->host);
}

/* Runs come mostly in order: the tail is looked at first. */
static void
queue_insert_in_order (GQueue *queue,
                       PcqRun *run)
{
  PcqRun *last = g_queue_peek_tail (queue);

  if (last == NULL || last->position < run->position)
    g_queue_push_tail (queue, run);
  else
    g_queue_insert_sorted (queue, run, compare_run_position, NULL);
}

/* @run waits, in order, until one of its host's runs ends. */
static void
park_for_host_locked (PcqScheduler *self,
                      PcqRun       *run)
{
  GQueue *parked = g_hash_table_lookup (self->host_parked, run->host);

  if (parked == NULL)
    {
      parked = g_queue_new ();
      g_hash_table_insert (self->host_parked, g_strdup (run->host), parked);
    }

  queue_insert_in_order (parked, run);
}

/* Back to their places in the backlog: as many of @host's parked runs
 * as it has free slots (all of them without a limit), oldest first. */
static void
release_host_locked (PcqScheduler *self,
                     const char   *host)
{
  GQueue *parked = g_hash_table_lookup (self->host_parked, host);
  guint taken = host_taken_locked (self, host);
  guint n = 0;

  if (parked == NULL)
    return;

  while (!g_queue_is_empty (parked) &&
         (self->max_per_host == 0 || taken + n < self->max_per_host))
    {
      push_locked (self, g_queue_pop_head (parked));
      n++;
    }

  /* Last: @host may be the key's own string. */
  if (g_queue_is_empty (parked))
    g_hash_table_remove (self->host_parked, host);
  if (n > 0)
    wake_locked (self);
}

static gboolean
take_out_parked_locked (PcqScheduler *self,
                        PcqRun       *run)
{
  GQueue *parked = run->host != NULL ? g_hash_table_lookup (self->host_parked, run->host) : NULL;

  if (parked == NULL || !g_queue_remove (parked, run))
    return FALSE;

  if (g_queue_is_empty (parked))
    g_hash_table_remove (self->host_parked, run->host);
  return TRUE;
}

/* The requests-per-minute limit: when @run's API host may start one
 * more request, or 0 if it may now. Start times older than the window
 * are dropped here. */
static gint64
api_rate_ready_locked (PcqScheduler *self,
                       PcqRun       *run,
                       gint64        now)
{
  GQueue *starts;
  guint n;

  if (self->api_rpm == 0 || !pcq_run_is_api (run) || run->host == NULL ||
      (starts = g_hash_table_lookup (self->api_starts, run->host)) == NULL)
    return 0;

  while (!g_queue_is_empty (starts) &&
         *(gint64 *) g_queue_peek_head (starts) + self->api_rpm_window <= now)
    g_free (g_queue_pop_head (starts));

  n = g_queue_get_length (starts);
  if (n < self->api_rpm)
    return 0;

  /* The start that must leave the window before one more fits. */
  return *(gint64 *) g_queue_peek_nth (starts, n - self->api_rpm) + self->api_rpm_window;
}

static void
count_api_start_locked (PcqScheduler *self,
                        PcqRun       *run,
                        gint64        now)
{
  GQueue *starts;

  if (self->api_rpm == 0 || run->host == NULL)
    return;

  starts = g_hash_table_lookup (self->api_starts, run->host);
  if (starts == NULL)
    {
      starts = g_queue_new ();
      g_hash_table_insert (self->api_starts, g_strdup (run->host), starts);
    }
  g_queue_push_tail (starts, g_memdup2 (&now, sizeof now));
}

static guint
free_api_slots_locked (PcqScheduler *self)
{
  return self->max_api_active > self->n_api_taken ? self->max_api_active - self->n_api_taken : 0;
}

/* Moves deferred runs whose time has come back to the head of the
 * backlog, oldest first, and returns how long until the next one. */
static gint64
release_deferred_locked (PcqScheduler *self,
                         gint64        now)
{
  g_autoptr(GPtrArray) due = NULL;
  gint64 next = G_MAXINT64;
  guint api_slots = free_api_slots_locked (self);
  GList *l = self->deferred.head;

  while (l != NULL)
    {
      GList *next_link = l->next;
      PcqRun *run = l->data;
      gint64 ready = ready_time_locked (self, run);

      if (ready > now)
        next = MIN (next, ready);
      else if (!pcq_run_is_api (run) || api_slots > 0)
        {
          if (pcq_run_is_api (run))
            api_slots--;
          if (due == NULL)
            due = g_ptr_array_new ();
          g_ptr_array_add (due, run);
          g_queue_delete_link (&self->deferred, l);
        }
      /* else parked until an API slot is free */

      l = next_link;
    }

  for (guint i = 0; due != NULL && i < due->len; i++)
    push_locked (self, g_ptr_array_index (due, i));
  if (due != NULL)
    wake_locked (self);

  return next == G_MAXINT64 ? G_MAXINT64 : next - now;
}

/* A run the loop took goes back: the slot it held is free. The loop
 * that held it looks for work next, so no other is woken for it (a
 * wakeup is a syscall and, on a busy machine, a context switch).
 * Returns whether that was the last run taken while paused: the caller
 * tells the engine with tell_drained (), once unlocked. */
static gboolean
give_back_locked (PcqScheduler *self,
                  PcqRun       *run)
{
  g_atomic_int_set (&run->taken, FALSE);
  g_assert (self->n_taken > 0);
  self->n_taken--;
  g_queue_unlink (&self->taken, &run->taken_link);

  if (run->api_slot)
    {
      run->api_slot = FALSE;
      g_assert (self->n_api_taken > 0);
      self->n_api_taken--;
      if (!self->stopping)
        release_deferred_locked (self, g_get_monotonic_time ());
    }

  if (run->host_slot)
    {
      uncount_host_locked (self, run);
      if (!self->stopping)
        release_host_locked (self, run->host);
    }

  return self->n_taken == 0 && self->paused;
}

/* The engine hears of a run's end before the run is given back: a wait
 * shutdown that found a run still taken settles when this comes. */
static void
tell_drained (PcqScheduler *self,
              gboolean      drained)
{
  if (drained)
    self->callbacks->drained (self->user_data);
}

/* A run that ends without a file gives its name back; unless a forced
 * stop interrupted it (queued again, to be resumed), it leaves no part
 * file behind. */
static void
finish (PcqScheduler *self,
        PcqRun       *run,
        PcqJobState   state,
        PcqAttempt   *attempt)
{
  if (state != PCQ_JOB_DONE)
    pcq_sink_release (run->names, run->output_path);
  if (state == PCQ_JOB_FAILED || state == PCQ_JOB_CANCELLED)
    pcq_sink_remove_part (run->part_path);

  self->callbacks->finished (run, state, attempt, self->user_data);
}

/* Takes, in order, the runs this loop may start now. Runs that must
 * wait go to @deferred; cancelled ones to @cancelled. Returns how long
 * until a deferred run is due. */
static gint64
take_locked (PcqScheduler *self,
             Loop         *loop,
             GPtrArray    *start,
             GPtrArray    *cancelled)
{
  gint64 now = g_get_monotonic_time ();
  gint64 wait = release_deferred_locked (self, now);
  guint share = (self->max_active + self->n_threads - 1) / self->n_threads;

  while (!self->paused && !self->stopping && self->n_taken < self->max_active)
    {
      gboolean full = pcq_worker_get_n_running (loop->worker) + start->len >= share;
      PcqRun *run;
      Loop *owner;

      /* Only an HTTP/2 host's runs go beyond the share. A loop left
       * over its share (a new HTTPS host's first runs, then answered
       * over HTTP/1.1) leaves the rest of max-active to the others. */
      if (full && g_hash_table_size (self->host_loop) == 0)
        {
          if (g_async_queue_length_unlocked (self->backlog) > 0)
            wake_locked (self);
          break;
        }

      run = g_async_queue_try_pop_unlocked (self->backlog);
      if (run == NULL)
        break;

      if (pcq_run_is_cancelled (run))
        {
          g_ptr_array_add (cancelled, run);
          continue;
        }

      if (ready_time_locked (self, run) > now)
        {
          gint64 ready = ready_time_locked (self, run);

          /* Held for the network: pcq_scheduler_set_network_hold() releases it. */
          g_queue_insert_sorted (&self->deferred, run, compare_run_position, NULL);
          if (ready != G_MAXINT64)
            wait = MIN (wait, ready - now);
          continue;
        }
      if (pcq_run_is_api (run) && free_api_slots_locked (self) == 0)
        {
          /* Parked: give_back_locked() releases it with the next slot. */
          queue_insert_in_order (&self->deferred, run);
          continue;
        }
      run->rpm_held = FALSE;
      if (api_rate_ready_locked (self, run, now) > now)
        {
          /* Its API host had its requests for this minute: it waits,
           * in order, among the deferred runs until one more fits. */
          run->not_before = api_rate_ready_locked (self, run, now);
          run->rpm_held = TRUE;
          wait = MIN (wait, run->not_before - now);
          queue_insert_in_order (&self->deferred, run);
          continue;
        }
      if (host_is_full_locked (self, run))
        {
          /* Parked: give_back_locked() releases it when one of its
           * host's runs ends. The runs of other hosts go on. */
          park_for_host_locked (self, run);
          continue;
        }

      owner = host_loop_locked (self, run);
      if (owner == NULL && !full)
        owner = try_host_on_locked (self, loop, run);
      if (owner != NULL ? owner != loop : full)
        {
          /* Another loop's: its HTTP/2 host's loop, or one with room. */
          g_async_queue_push_front_unlocked (self->backlog, run);
          if (owner != NULL)
            wake_loop_locked (owner);
          else
            wake_locked (self);
          break;
        }

      /* Under the lock, so that a forced stop sees it. */
      g_atomic_int_set (&run->taken, TRUE);
      run->hurry = FALSE;
      self->n_taken++;
      run->taken_link = (GList) { run, NULL, NULL };
      g_queue_push_tail_link (&self->taken, &run->taken_link);
      if (self->max_per_host > 0 && run->host != NULL)
        count_host_locked (self, run);
      if (pcq_run_is_api (run))
        {
          run->api_slot = TRUE;
          self->n_api_taken++;
          count_api_start_locked (self, run, now);
          /* The key as it is now: one set after the job was queued
           * (read from the keyring, typed in) still reaches it. */
          pcq_run_set_api_key (run, self->api_key);
          g_free (run->api_key_error);
          run->api_key_error = g_strdup (self->api_key_error);
        }
      g_ptr_array_add (start, run);
    }

  set_draining_locked (self, g_async_queue_length_unlocked (self->backlog) <= 0);
  return wait;
}

static gint64
backoff_ms (PcqScheduler *self,
            guint         attempts)
{
  gint64 base = g_atomic_int_get (&self->retry_base_delay);
  gint64 delay = base << MIN (attempts - 1, 20);

  delay = MIN (delay, MAX_BACKOFF_MS);
  return delay * g_random_double_range (0.8, 1.2);
}

/* The attempt failed in a way worth another one: the run waits, in
 * order, for its delay or its host's Retry-After. */
static void
defer (PcqScheduler *self,
       PcqRun       *run,
       gint64        retry_after_ms,
       gint64        delay_ms)
{
  gint64 now = g_get_monotonic_time ();
  gboolean drained;

  g_async_queue_lock (self->backlog);
  drained = give_back_locked (self, run);

  /* Interrupted is set under this lock (pcq_scheduler_pause ()), the
   * cancellable just after: either stops the run here. */
  if (pcq_run_is_cancelled (run) || g_atomic_int_get (&run->interrupted))
    {
      /* Cancelled (or a forced stop, or a pause) while the attempt ended:
       * pcq_engine_cancel () could not find it in the queue, so it ends
       * here. */
      g_async_queue_unlock (self->backlog);
      tell_drained (self, drained);
      finish (self, run, g_atomic_int_get (&run->interrupted) ? PCQ_JOB_QUEUED : PCQ_JOB_CANCELLED,
              NULL);
      pcq_run_unref (run);
      return;
    }

  if (retry_after_ms >= 0)
    {
      /* The server asked every client to wait: hold back all of this
       * host's queued jobs, not just this one. */
      gint64 until = now + retry_after_ms * 1000;

      if (until > host_hold_locked (self, run->host))
        g_hash_table_insert (self->host_holds, g_strdup (run->host),
                             g_memdup2 (&until, sizeof until));
      run->not_before = until;
    }
  else
    run->not_before = now + delay_ms * 1000;

  g_queue_insert_sorted (&self->deferred, run, compare_run_position, NULL);
  g_async_queue_unlock (self->backlog);
  tell_drained (self, drained);
}

static gboolean
held_for_network (PcqScheduler *self,
                  PcqRun       *run)
{
  gboolean held;

  g_async_queue_lock (self->backlog);
  held = held_for_network_locked (self, run);
  g_async_queue_unlock (self->backlog);

  return held;
}

static void
worker_done_cb (PcqWorker  *worker,
                PcqRun     *run,
                PcqOutcome  outcome,
                PcqAttempt *attempt,
                gpointer    user_data)
{
  Loop *loop = user_data;
  PcqScheduler *self = loop->scheduler;
  PcqJobState state;
  gboolean drained;

  switch (outcome)
    {
    case PCQ_OUTCOME_RETRY:
      if (!pcq_run_is_cancelled (run) && held_for_network (self, run))
        {
          /* Failed while the network hold is on (offline: most likely
           * because the network went): the attempt does not count, and
           * the run waits for the hold to end rather than a backoff. A
           * failure that comes before the monitor has said so counts
           * as usual. */
          run->attempts--;
          attempt->retry_at = g_get_real_time ();
          self->callbacks->waiting (run, attempt, self->user_data);
          defer (self, run, -1, 0);
          return;
        }
      if (run->attempts <= (guint) g_atomic_int_get (&self->retries) &&
          !pcq_run_is_cancelled (run) && !g_atomic_int_get (&run->interrupted))
        {
          gint64 delay_ms = attempt->retry_after_ms >= 0 ? attempt->retry_after_ms
                                                         : backoff_ms (self, run->attempts);

          attempt->retry_at = g_get_real_time () + delay_ms * 1000;
          self->callbacks->waiting (run, attempt, self->user_data);
          defer (self, run, attempt->retry_after_ms, delay_ms);
          return;
        }
      state = g_atomic_int_get (&run->interrupted) ? PCQ_JOB_QUEUED
            : pcq_run_is_cancelled (run) ? PCQ_JOB_CANCELLED
            : PCQ_JOB_FAILED;
      break;
    case PCQ_OUTCOME_FAILED:
      state = PCQ_JOB_FAILED;
      break;
    case PCQ_OUTCOME_CANCELLED:
      state = PCQ_JOB_CANCELLED;
      break;
    case PCQ_OUTCOME_INTERRUPTED:
      state = PCQ_JOB_QUEUED;
      break;
    case PCQ_OUTCOME_DONE:
      state = PCQ_JOB_DONE;
      break;
    case PCQ_OUTCOME_HANDED_OVER:
      /* The store finishes it, and the engine hears from the store. */
      state = PCQ_JOB_ACTIVE;
      break;
    default:
      g_assert_not_reached ();
    }

  if (state != PCQ_JOB_ACTIVE)
    finish (self, run, state, attempt);

  g_async_queue_lock (self->backlog);
  if (attempt->answered)
    note_protocol_locked (self, loop, run, attempt->multiplexed);
  if (outcome == PCQ_OUTCOME_DONE || outcome == PCQ_OUTCOME_HANDED_OVER)
    {
      /* A whole body from the host (say after Retry Now): it serves
       * again, whatever it asked before. */
      if (run->host != NULL && g_hash_table_remove (self->host_holds, run->host) && !self->stopping)
        release_deferred_locked (self, g_get_monotonic_time ());
    }
  drained = give_back_locked (self, run);
  g_async_queue_unlock (self->backlog);
  tell_drained (self, drained);
  pcq_run_unref (run);
}

static gboolean
due_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* One worker thread: take what may start, start it, sleep until
 * something changes. */
static void
loop_thread (gpointer data,
             gpointer user_data)
{
  PcqScheduler *self = user_data;
  g_autoptr(GPtrArray) start = g_ptr_array_new ();
  g_autoptr(GPtrArray) cancelled = g_ptr_array_new ();
  Loop loop = { self, NULL, FALSE };
  GMainContext *context;
  int applied_nice = 0;

  /* Its transfers end on this thread, with this loop. */
  loop.worker = pcq_worker_new (&self->callbacks->transfer, self->user_data, worker_done_cb, &loop,
                                self->rate_limit);
  context = pcq_worker_get_context (loop.worker);

  g_async_queue_lock (self->backlog);
  g_ptr_array_add (self->loops, &loop);
  g_async_queue_unlock (self->backlog);

  pcq_worker_warm_up (loop.worker, g_atomic_int_get (&self->stall_timeout));

  for (;;)
    {
      GSource *due = NULL;
      guint running;
      gint64 wait;

      pcq_lower_thread_priority (g_atomic_int_get (&self->nice), &applied_nice);

      g_async_queue_lock (self->backlog);
      if (self->stopping && pcq_worker_get_n_running (loop.worker) == 0)
        {
          g_ptr_array_remove_fast (self->loops, &loop);
          g_hash_table_foreach_remove (self->host_loop, is_loop, &loop);
          g_async_queue_unlock (self->backlog);
          break;
        }
      wait = take_locked (self, &loop, start, cancelled);
      loop.sleeping = TRUE;
      g_async_queue_unlock (self->backlog);

      for (guint i = 0; i < cancelled->len; i++)
        {
          PcqRun *run = g_ptr_array_index (cancelled, i);

          finish (self, run, PCQ_JOB_CANCELLED, NULL);
          pcq_run_unref (run);
        }

      running = pcq_worker_get_n_running (loop.worker) + start->len;
      for (guint i = 0; i < start->len; i++)
        {
          PcqRun *run = g_ptr_array_index (start, i);

          run->attempts++;
          if (run->started == 0)
            run->started = g_get_real_time ();
          self->callbacks->started (run, self->user_data);
          pcq_worker_start (loop.worker, run, g_atomic_int_get (&self->stall_timeout),
                            g_atomic_int_get (&self->min_speed),
                            g_atomic_int_get (&self->record_checksums),
                            g_atomic_int_get (&self->split));
        }

      /* An attempt that ended at once (a bad URL, a folder that cannot
       * be written) left room: look again before sleeping. */
      if (pcq_worker_get_n_running (loop.worker) < running || cancelled->len > 0)
        {
          g_ptr_array_set_size (start, 0);
          g_ptr_array_set_size (cancelled, 0);
          continue;
        }
      g_ptr_array_set_size (start, 0);

      if (wait != G_MAXINT64)
        {
          due = g_timeout_source_new (MAX (wait / 1000, 1));
          g_source_set_callback (due, due_cb, NULL, NULL);
          g_source_attach (due, context);
        }

      /* Until a transfer moves, or something wakes this loop. */
      g_main_context_iteration (context, TRUE);

      if (due != NULL)
        {
          g_source_destroy (due);
          g_source_unref (due);
        }
    }

  pcq_worker_free (loop.worker);
}

static void
backlog_item_free (gpointer item)
{
  pcq_run_unref (item);
}

static void
free_starts (gpointer queue)
{
  g_queue_free_full (queue, g_free);
}

static void
free_parked (gpointer queue)
{
  g_queue_free_full (queue, (GDestroyNotify) pcq_run_unref);
}

PcqScheduler *
pcq_scheduler_new (const PcqSchedulerCallbacks *callbacks,
                   gpointer                     user_data,
                   guint                        max_active,
                   guint                        max_api_active,
                   gint                        *draining)
{
  PcqScheduler *self = g_new0 (PcqScheduler, 1);
  g_autoptr(GError) error = NULL;
  const char *threads = g_getenv ("PCQ_WORKER_THREADS");

  self->callbacks = callbacks;
  self->user_data = user_data;
  self->backlog = g_async_queue_new_full (backlog_item_free);
  self->draining = draining;
  g_atomic_int_set (draining, TRUE);
  self->loops = g_ptr_array_new ();
  self->host_holds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->host_taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->deferred);
  g_queue_init (&self->taken);
  self->host_parked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_parked);
  self->host_loop = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->spread_hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->rate_limit = pcq_rate_limit_new ();
  self->api_starts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_starts);
  self->api_rpm_window = 60 * G_USEC_PER_SEC;
  self->max_active = max_active;
  self->max_api_active = max_api_active;
  /* Until the engine says otherwise: the workers warm up with it. */
  self->retries = PCQ_DEFAULT_RETRIES;
  self->stall_timeout = PCQ_DEFAULT_STALL_TIMEOUT;
  self->min_speed = PCQ_DEFAULT_MIN_SPEED;
  self->split = 1;

  /* About one thread per CPU: each runs many transfers. */
  self->n_threads = threads != NULL ? (guint) g_ascii_strtoull (threads, NULL, 10)
                                    : g_get_num_processors ();
  self->n_threads = CLAMP (self->n_threads, 1, MAX_THREADS);

  /* The workers warm up GIO's proxy resolver, whose modules read
   * GSettings over D-Bus and so may be first to register
   * GDBusConnection. Meanwhile this thread may initialise a D-Bus proxy
   * class (libsecret's, looking up the API key), whose class_init asks
   * for that type: GLib 2.74 then deadlocks, each thread holding what
   * the other waits for. Registered here first, it cannot. */
  g_type_ensure (G_TYPE_DBUS_CONNECTION);

  self->pool = g_thread_pool_new (loop_thread, self, self->n_threads, TRUE, &error);
  if (self->pool == NULL)
    g_error ("Cannot start worker threads: %s", error->message);

  for (guint i = 0; i < self->n_threads; i++)
    g_thread_pool_push (self->pool, GUINT_TO_POINTER (i + 1), NULL);

  return self;
}

void
pcq_scheduler_free (PcqScheduler *self)
{
  pcq_scheduler_stop (self);
  g_thread_pool_free (self->pool, FALSE, TRUE);

  g_queue_clear_full (&self->deferred, (GDestroyNotify) pcq_run_unref);
  g_async_queue_unref (self->backlog);
  g_ptr_array_unref (self->loops);
  g_hash_table_unref (self->host_holds);
  pcq_rate_limit_unref (self->rate_limit);
  g_hash_table_unref (self->api_starts);
  g_hash_table_unref (self->host_taken);
  g_hash_table_unref (self->host_parked);
  g_hash_table_unref (self->host_loop);
  g_hash_table_unref (self->spread_hosts);
  pcq_secret_free (self->api_key);
  g_free (self->api_key_error);
  g_free (self);
}

/* Takes a reference to @run, which goes to its place by position. A
 * new run's is the last: the sorted push looks at the newest end first
 * (GAsyncQueue pushes there), so that costs one comparison. A resumed
 * one goes back to its place among the waiting ones, not to the end:
 * a walk from the end to that place, which a resume can afford. */
void
pcq_scheduler_push (PcqScheduler *self,
                    PcqRun       *run)
{
  g_async_queue_lock (self->backlog);
  push_locked (self, pcq_run_ref (run));
  if (!self->paused)
    wake_locked (self);
  g_async_queue_unlock (self->backlog);
}

/* Which of the scheduler's queues @run waits in (none: a worker has
 * it, or it is not pushed yet). */
static GQueue *
find_queue_locked (PcqScheduler  *self,
                   PcqRun        *run,
                   gboolean      *in_backlog)
{
  GQueue *parked;

  *in_backlog = FALSE;
  if (g_async_queue_remove_unlocked (self->backlog, run))
    {
      *in_backlog = TRUE;
      return NULL;
    }
  if (g_queue_remove (&self->deferred, run))
    return &self->deferred;

  parked = run->host != NULL ? g_hash_table_lookup (self->host_parked, run->host) : NULL;
  if (parked != NULL && g_queue_remove (parked, run))
    return parked;

  return NULL;
}

static void
sort_parked (gpointer key,
             gpointer value,
             gpointer user_data)
{
  g_queue_sort (value, compare_run_position, NULL);
}

/* Beyond this many runs, one sort of every queue is cheaper than taking
 * each run out and putting it back (two walks each). */
#define REORDER_ONE_BY_ONE 8

/**
 * pcq_scheduler_reorder:
 * @runs: (element-type PcqRun): runs whose jobs moved
 * @positions: their new positions, one for each
 *
 * The person moved jobs: their runs wait in the new order, wherever they
 * wait (the backlog, a retry's delay, their host's slot). A run a
 * worker has already taken only keeps its new position. A few runs are
 * taken out and put back; many (a job moved past thousands) cost one
 * sort of the queues: O(n log n) once, not per run taken.
 */
void
pcq_scheduler_reorder (PcqScheduler  *self,
                       GPtrArray     *runs,
                       const gint64  *positions)
{
  g_async_queue_lock (self->backlog);

  if (runs->len > REORDER_ONE_BY_ONE)
    {
      for (guint i = 0; i < runs->len; i++)
        ((PcqRun *) g_ptr_array_index (runs, i))->position = positions[i];

      g_async_queue_sort_unlocked (self->backlog, compare_run_position, NULL);
      g_queue_sort (&self->deferred, compare_run_position, NULL);
      g_hash_table_foreach (self->host_parked, sort_parked, NULL);
    }
  else
    {
      g_autoptr(GPtrArray) queues = g_ptr_array_new ();
      gboolean in_backlog[REORDER_ONE_BY_ONE];

      /* All out first: positions change only outside the queues. */
      for (guint i = 0; i < runs->len; i++)
        g_ptr_array_add (queues, find_queue_locked (self, g_ptr_array_index (runs, i),
                                                    &in_backlog[i]));

      for (guint i = 0; i < runs->len; i++)
        {
          PcqRun *run = g_ptr_array_index (runs, i);
          GQueue *queue = g_ptr_array_index (queues, i);

          run->position = positions[i];
          if (in_backlog[i])
            push_locked (self, run);
          else if (queue != NULL)
            g_queue_insert_sorted (queue, run, compare_run_position, NULL);
        }
    }

  g_async_queue_unlock (self->backlog);
}

static gboolean
take_out_locked (PcqScheduler *self,
                 PcqRun       *run)
{
  return g_async_queue_remove_unlocked (self->backlog, run) ||
         g_queue_remove (&self->deferred, run) ||
         take_out_parked_locked (self, run);
}

/* Takes @run out if it is still waiting, in the backlog or for a
 * retry; returns whether it was (and drops the queue's reference). */
gboolean
pcq_scheduler_remove (PcqScheduler *self,
                      PcqRun       *run)
{
  gboolean removed;

  g_async_queue_lock (self->backlog);
  removed = take_out_locked (self, run);
  g_async_queue_unlock (self->backlog);

  if (removed)
    {
      pcq_sink_remove_part (run->part_path);
      pcq_sink_release (run->names, run->output_path);
      pcq_run_unref (run);
    }

  return removed;
}

/**
 * pcq_scheduler_pause:
 *
 * Pause for one run. One still waiting (in the backlog or for a retry)
 * is taken out at once, its part file kept and its name given back:
 * returns %TRUE (and drops the queue's reference). One a worker has
 * stops like a forced stop does (see pcq_scheduler_interrupt ()): it
 * ends as queued, part kept, and the caller makes that paused; returns
 * %FALSE. Marked under the lock, so that neither a worker taking it
 * nor one deferring it for a retry misses the mark.
 */
gboolean
pcq_scheduler_pause (PcqScheduler *self,
                     PcqRun       *run)
{
  gboolean removed;

  g_async_queue_lock (self->backlog);
  removed = take_out_locked (self, run);
  if (!removed)
    g_atomic_int_set (&run->interrupted, TRUE);
  g_async_queue_unlock (self->backlog);

  if (removed)
    {
      pcq_sink_release (run->names, run->output_path);
      pcq_run_unref (run);
    }
  else
    pcq_run_cancel (run);

  return removed;
}

/* Retry Now: a run that waits for its next attempt is due at once,
 * whatever its delay or its host's hold. The engine hears of the wait
 * before the worker's thread has deferred the run: one still taken is
 * between the two, and is due at once when it gets there. Returns
 * whether it waited. */
gboolean
pcq_scheduler_hurry (PcqScheduler *self,
                     PcqRun       *run)
{
  gboolean deferred, waiting;

  g_async_queue_lock (self->backlog);
  deferred = g_queue_find (&self->deferred, run) != NULL;
  waiting = deferred || g_atomic_int_get (&run->taken);
  if (waiting)
    run->hurry = TRUE;
  if (deferred && !self->stopping)
    release_deferred_locked (self, g_get_monotonic_time ());
  g_async_queue_unlock (self->backlog);

  return waiting;
}

void
pcq_scheduler_set_paused (PcqScheduler *self,
                          gboolean      paused)
{
  g_async_queue_lock (self->backlog);
  self->paused = paused;
  wake_locked (self);
  g_async_queue_unlock (self->backlog);
}

/* The network hold, apart from the user's pause: while @held, runs
 * for hosts other than loopback wait (deferred, in order), and an
 * attempt that fails meanwhile is not counted. Back online, they go
 * back to the backlog's head. */
void
pcq_scheduler_set_network_hold (PcqScheduler *self,
                                gboolean      held)
{
  g_async_queue_lock (self->backlog);
  self->network_hold = held;
  if (!held && !self->stopping)
    release_deferred_locked (self, g_get_monotonic_time ());
  g_async_queue_unlock (self->backlog);
}

/* Tests have only loopback servers: hold them too. */
void
pcq_scheduler_set_hold_loopback (PcqScheduler *self,
                                 gboolean      hold)
{
  g_async_queue_lock (self->backlog);
  self->hold_loopback = hold;
  g_async_queue_unlock (self->backlog);
}

void
pcq_scheduler_set_max_active (PcqScheduler *self,
                              guint         max_active)
{
  g_async_queue_lock (self->backlog);
  self->max_active = max_active;
  wake_locked (self);
  g_async_queue_unlock (self->backlog);
}

void
pcq_scheduler_set_max_api_active (PcqScheduler *self,
                                  guint         max_api_active)
{
  g_async_queue_lock (self->backlog);
  self->max_api_active = max_api_active;
  if (!self->stopping)
    release_deferred_locked (self, g_get_monotonic_time ());
  wake_locked (self);
  g_async_queue_unlock (self->backlog);
}

/* Runs taken while there was no limit were not counted (so that
 * without one a run costs nothing here): a limit set now counts them. */
void
pcq_scheduler_set_max_per_host (PcqScheduler *self,
                                guint         max_per_host)
{
  g_async_queue_lock (self->backlog);
  if (self->max_per_host == 0 && max_per_host > 0)
    {
      for (GList *l = self->taken.head; l != NULL; l = l->next)
        {
          PcqRun *run = l->data;

          if (!run->host_slot && run->host != NULL)
            count_host_locked (self, run);
        }
    }
  self->max_per_host = max_per_host;
  if (!self->stopping)
    {
      g_autofree gpointer *hosts = (gpointer *) g_hash_table_get_keys_as_array (self->host_parked, NULL);

      /* A higher limit, or none: what waits for its host may start. */
      for (guint i = 0; hosts[i] != NULL; i++)
        release_host_locked (self, hosts[i]);
    }
  wake_locked (self);
  g_async_queue_unlock (self->backlog);
}

void
pcq_scheduler_set_retries (PcqScheduler *self,
                           guint         retries)
{
  g_atomic_int_set (&self->retries, retries);
}

/* Applies to attempts that start after the change. */
void
pcq_scheduler_set_stall_timeout (PcqScheduler *self,
                                 guint         seconds)
{
  g_atomic_int_set (&self->stall_timeout, seconds);
}

/**
 * pcq_scheduler_set_api_rpm:
 * @rpm: how many API requests may start per API host in any minute; 0
 *   for no limit
 * @window_us: the minute, in µs (tests make it shorter)
 *
 * On top of max-api-active. Runs held back by a lower limit wait among
 * the deferred ones; a higher one lets them go at the next look.
 */
void
pcq_scheduler_set_api_rpm (PcqScheduler *self,
                           guint         rpm,
                           gint64        window_us)
{
  g_async_queue_lock (self->backlog);
  self->api_rpm = rpm;
  self->api_rpm_window = window_us;
  /* Recounted from the next start: the old counts were kept for
   * another limit, or not at all. */
  g_hash_table_remove_all (self->api_starts);
  if (!self->stopping)
    {
      for (GList *l = self->deferred.head; l != NULL; l = l->next)
        {
          PcqRun *run = l->data;

          /* Looked at again under the new limit; a retry's backoff
           * stays. */
          if (run->rpm_held)
            {
              run->rpm_held = FALSE;
              run->not_before = 0;
            }
        }
      wake_locked (self);
    }
  g_async_queue_unlock (self->backlog);
}

/* Shared by every running download, and applies to their next read.
 * Downloads that start while a limit is set use HTTP/1.1. */
void
pcq_scheduler_set_speed_limit (PcqScheduler *self,
                               guint         bytes_per_second)
{
  pcq_rate_limit_set_rate (self->rate_limit, bytes_per_second);
}

/* Applies to attempts that start after the change. */
void
pcq_scheduler_set_record_checksums (PcqScheduler *self,
                                    gboolean      record)
{
  g_atomic_int_set (&self->record_checksums, !!record);
}

/* Applies to attempts that start after the change. */
void
pcq_scheduler_set_min_speed (PcqScheduler *self,
                             guint         bytes_per_second)
{
  g_atomic_int_set (&self->min_speed, bytes_per_second);
}

/* Applies to attempts that start after the change. The segments of a
 * split download are one task: they do not count against max-active
 * or max-per-host. */
void
pcq_scheduler_set_split (PcqScheduler *self,
                         guint         split)
{
  g_atomic_int_set (&self->split, CLAMP (split, 1, 16));
}

void
pcq_scheduler_set_retry_base_delay (PcqScheduler *self,
                                    guint         ms)
{
  g_atomic_int_set (&self->retry_base_delay, ms);
}

void
pcq_scheduler_set_api_key (PcqScheduler *self,
                           const char   *api_key)
{
  char *old;

  g_async_queue_lock (self->backlog);
  old = g_steal_pointer (&self->api_key);
  if (api_key != NULL && *api_key != '\0')
    self->api_key = g_strstrip (g_strdup (api_key));
  g_clear_pointer (&self->api_key_error, g_free);
  g_async_queue_unlock (self->backlog);

  pcq_secret_free (old);
}

/* A key was given and refused: API tasks that start from now on fail
 * with @message instead of going out without a key. */
void
pcq_scheduler_refuse_api_key (PcqScheduler *self,
                              const char   *message)
{
  char *old;

  g_async_queue_lock (self->backlog);
  old = g_steal_pointer (&self->api_key);
  g_free (self->api_key_error);
  self->api_key_error = g_strdup (message);
  g_async_queue_unlock (self->backlog);

  pcq_secret_free (old);
}

/* A copy of the key, for a request the engine makes itself; free it
 * with pcq_secret_free (). */
char *
pcq_scheduler_dup_api_key (PcqScheduler *self)
{
  char *key;

  g_async_queue_lock (self->backlog);
  key = g_strdup (self->api_key);
  g_async_queue_unlock (self->backlog);

  return key;
}

gboolean
pcq_scheduler_has_api_key (PcqScheduler *self)
{
  gboolean has_key;

  g_async_queue_lock (self->backlog);
  has_key = self->api_key != NULL;
  g_async_queue_unlock (self->backlog);

  return has_key;
}

/**
 * pcq_scheduler_interrupt:
 *
 * A forced stop: if a worker has @run, it stops at once and the run goes
 * back to the queue with its part file (see PCQ_OUTCOME_INTERRUPTED).
 * Call it after pausing, so that no other run starts.
 */
void
pcq_scheduler_interrupt (PcqScheduler *self,
                         PcqRun       *run)
{
  gboolean taken;

  /* Under the lock: a run is either taken or still in the queue. */
  g_async_queue_lock (self->backlog);
  taken = g_atomic_int_get (&run->taken);
  if (taken)
    g_atomic_int_set (&run->interrupted, TRUE);
  g_async_queue_unlock (self->backlog);

  if (taken)
    pcq_run_cancel (run);
}

/**
 * pcq_scheduler_set_nice:
 * @nice: the worker threads' nice value (only ever raised)
 *
 * Wakes the loops so that they apply it at once.
 */
void
pcq_scheduler_set_nice (PcqScheduler *self,
                        int           nice)
{
  g_async_queue_lock (self->backlog);
  g_atomic_int_set (&self->nice, CLAMP (nice, 0, 19));
  for (guint i = 0; i < self->loops->len; i++)
    g_main_context_wakeup (pcq_worker_get_context (((Loop *) g_ptr_array_index (self->loops, i))->worker));
  g_async_queue_unlock (self->backlog);
}

/**
 * pcq_scheduler_has_taken:
 *
 * Whether a worker has a run, whether or not the engine has heard that
 * it started.
 */
gboolean
pcq_scheduler_has_taken (PcqScheduler *self)
{
  gboolean taken;

  g_async_queue_lock (self->backlog);
  taken = self->n_taken > 0;
  g_async_queue_unlock (self->backlog);

  return taken;
}

/* Every loop ends once its transfers have. */
void
pcq_scheduler_stop (PcqScheduler *self)
{
  g_async_queue_lock (self->backlog);
  self->stopping = TRUE;
  for (guint i = 0; i < self->loops->len; i++)
    {
      Loop *loop = g_ptr_array_index (self->loops, i);

      loop->sleeping = FALSE;
      g_main_context_wakeup (pcq_worker_get_context (loop->worker));
    }
  g_async_queue_unlock (self->backlog);
}
