/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The one bridge to the main context (src/core/pcq-dispatcher.c): order
 * across threads, the time budget and the priorities, the minimum
 * interval and what may skip it, close, flush, the batch functions,
 * the observer, and references dropped at awkward moments. Every wait
 * is bounded.
 */

#define G_LOG_DOMAIN "test-dispatcher"

#include "config.h"

#include <time.h>

#include "pcq-dispatcher.h"
#include "pcq-main.h"
#include "pcq-test-util.h"

#define WAIT_MS 20000

/* Busy for @us of wall time. */
static void
spin_wall (gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;

  while (g_get_monotonic_time () < end)
    ;
}

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  g_assert_cmpint (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts), ==, 0);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Busy for @us of this thread's CPU time. */
static void
spin_cpu (gint64 us)
{
  gint64 end = thread_cpu_us () + us;

  while (thread_cpu_us () < end)
    ;
}

/* ---- order across threads ----------------------------------------- */

#define N_THREADS 4
#define N_PER_THREAD 10000

typedef struct
{
  PcqDispatcher *dispatcher;
  guint          thread;
} Poster;

static guint order_next[N_THREADS];   /* main thread */
static guint order_seen;              /* main thread */
static guint order_destroyed;         /* atomic: destroy runs where it is called */

#define ORDER_DATA(t, i) GUINT_TO_POINTER (((guint) (t) + 1) << 20 | (guint) (i))

static void
order_cb (gpointer data)
{
  guint value = GPOINTER_TO_UINT (data);
  guint thread = (value >> 20) - 1;
  guint i = value & 0xfffff;

  g_assert_cmpuint (thread, <, N_THREADS);
  /* Each thread's items in its order, each once. */
  g_assert_cmpuint (i, ==, order_next[thread]);
  order_next[thread]++;
  order_seen++;
}

static void
order_destroy (gpointer data)
{
  g_atomic_int_inc (&order_destroyed);
}

static gpointer
order_thread (gpointer data)
{
  Poster *poster = data;

  for (guint i = 0; i < N_PER_THREAD; i++)
    pcq_dispatcher_post (poster->dispatcher, order_cb, ORDER_DATA (poster->thread, i),
                         order_destroy);

  return NULL;
}

static void
test_order (void)
{
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (NULL, "[pcq] test order");
  Poster posters[N_THREADS];
  GThread *threads[N_THREADS];

  for (guint t = 0; t < N_THREADS; t++)
    {
      posters[t].dispatcher = dispatcher;
      posters[t].thread = t;
      threads[t] = g_thread_new ("poster", order_thread, &posters[t]);
    }

  PCQ_TEST_WAIT_FOR (order_seen == N_THREADS * N_PER_THREAD, WAIT_MS);

  for (guint t = 0; t < N_THREADS; t++)
    {
      g_thread_join (threads[t]);
      g_assert_cmpuint (order_next[t], ==, N_PER_THREAD);
    }

  g_assert_cmpuint (g_atomic_int_get (&order_destroyed), ==, N_THREADS * N_PER_THREAD);
}

/* ---- budget and priorities ---------------------------------------- */

#define N_SLOW 40
#define SLOW_US 300

typedef struct
{
  guint iteration;    /* of the test's loop, when a dispatch ran it */
  gint  priority;     /* of the source that ran it */
} SlowRun;

static guint slow_iteration;
static guint slow_done;
static SlowRun slow_runs[N_SLOW];
static guint ticks_between;   /* timer ticks with some but not all items done */

static void
slow_cb (gpointer data)
{
  guint i = GPOINTER_TO_UINT (data);
  GSource *source = g_main_current_source ();

  g_assert_cmpuint (i, ==, slow_done);
  g_assert_cmpstr (g_source_get_name (source), ==, "[pcq] test budget");
  slow_runs[i].iteration = slow_iteration;
  slow_runs[i].priority = g_source_get_priority (source);
  slow_done++;
  spin_wall (SLOW_US);
}

static gboolean
tick_cb (gpointer user_data)
{
  if (slow_done > 0 && slow_done < N_SLOW)
    ticks_between++;

  return G_SOURCE_CONTINUE;
}

/* A batch of 12 ms is split into dispatches of one budget each, the
 * first ahead of drawing and the rest behind; a default-priority timer
 * runs in between. */
static void
test_budget (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (context, "[pcq] test budget");
  g_autoptr(GSource) timer = g_timeout_source_new (1);
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  guint per_iteration = 0;
  guint max_per_iteration = 0;
  guint n_dispatches = 0;

  g_source_set_priority (timer, G_PRIORITY_DEFAULT);
  g_source_set_callback (timer, tick_cb, NULL, NULL);
  g_source_attach (timer, context);

  for (guint i = 0; i < N_SLOW; i++)
    pcq_dispatcher_post (dispatcher, slow_cb, GUINT_TO_POINTER (i), NULL);

  while (slow_done < N_SLOW && g_get_monotonic_time () < deadline)
    {
      slow_iteration++;
      g_main_context_iteration (context, TRUE);  /* the timer wakes it */
    }
  g_assert_cmpuint (slow_done, ==, N_SLOW);
  g_source_destroy (timer);

  for (guint i = 0; i < N_SLOW; i++)
    {
      if (i == 0 || slow_runs[i].iteration != slow_runs[i - 1].iteration)
        {
          n_dispatches++;
          per_iteration = 0;
        }
      per_iteration++;
      max_per_iteration = MAX (max_per_iteration, per_iteration);

      /* The first dispatch is ahead of drawing, the ones after a spent
       * budget behind it. */
      g_assert_cmpint (slow_runs[i].priority, ==,
                       n_dispatches == 1 ? PCQ_PRIORITY_RESULTS : PCQ_PRIORITY_RESULTS_MORE);
    }

  /* 1.5 ms of 0.3 ms items: at most five a dispatch, then the budget is
   * spent (fewer if the machine is busy). */
  g_assert_cmpuint (max_per_iteration, <=, PCQ_DISPATCH_BUDGET_US / SLOW_US);
  g_assert_cmpuint (n_dispatches, >=, N_SLOW * SLOW_US / PCQ_DISPATCH_BUDGET_US);
  g_assert_cmpuint (ticks_between, >, 0);

  /* Nothing is left pending. */
  g_assert_false (g_main_context_iteration (context, FALSE));
}

/* After a quiet spell, the first dispatch is ahead of drawing again. */
static void
priority_cb (gpointer data)
{
  *(gint *) data = g_source_get_priority (g_main_current_source ());
}

static void
test_priority_after_quiet (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (context, "[pcq] test quiet");
  gint priorities[3] = { -1, -1, -1 };

  /* A budget of 0 runs one item a dispatch. */
  pcq_dispatcher_set_budget (dispatcher, 0);
  pcq_dispatcher_post (dispatcher, priority_cb, &priorities[0], NULL);
  pcq_dispatcher_post (dispatcher, priority_cb, &priorities[1], NULL);
  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_false (g_main_context_iteration (context, FALSE));

  pcq_dispatcher_post (dispatcher, priority_cb, &priorities[2], NULL);
  g_assert_true (g_main_context_iteration (context, FALSE));

  g_assert_cmpint (priorities[0], ==, PCQ_PRIORITY_RESULTS);
  g_assert_cmpint (priorities[1], ==, PCQ_PRIORITY_RESULTS_MORE);
  g_assert_cmpint (priorities[2], ==, PCQ_PRIORITY_RESULTS);
}

/* A window that draws all the time (its frame source always ready, as
 * when every frame is late): with an interval, a dispatch that spent its
 * budget is followed by the next one after the interval, not starved
 * behind drawing. */
static gboolean
drawing_cb (gpointer data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static void
test_busy_drawing (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (context, "[pcq] test drawing");
  g_autoptr(GSource) drawing = g_idle_source_new ();
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  gint priorities[4] = { -1, -1, -1, -1 };
  guint frames = 0;

  g_source_set_priority (drawing, G_PRIORITY_HIGH_IDLE + 20);  /* GDK_PRIORITY_REDRAW */
  g_source_set_callback (drawing, drawing_cb, &frames, NULL);
  g_source_attach (drawing, context);

  /* One item a dispatch, 5 ms apart. */
  pcq_dispatcher_set_budget (dispatcher, 0);
  pcq_dispatcher_set_interval (dispatcher, 5000);
  for (guint i = 0; i < G_N_ELEMENTS (priorities); i++)
    pcq_dispatcher_post (dispatcher, priority_cb, &priorities[i], NULL);

  while (priorities[G_N_ELEMENTS (priorities) - 1] == -1 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (priorities); i++)
    g_assert_cmpint (priorities[i], ==, PCQ_PRIORITY_RESULTS);
  /* Drawing went on between the dispatches. */
  g_assert_cmpuint (frames, >, G_N_ELEMENTS (priorities));
  g_source_destroy (drawing);
}

/* ---- interval ----------------------------------------------------- */

#define INTERVAL_MS 25
#define N_SPACED 6

typedef struct
{
  GMutex  lock;
  GCond   cond;
  guint   n_run;                   /* under @lock */
  gint64  context_time[N_SPACED];  /* main thread */
  PcqDispatcher *dispatcher;
} Spaced;

static void
spaced_cb (gpointer data)
{
  Spaced *spaced = data;

  g_mutex_lock (&spaced->lock);
  /* The time the context checked the source's ready time with: no
   * earlier than that ready time, no later than the dispatch's start.
   * So two of them are at least the interval apart, exactly. */
  spaced->context_time[spaced->n_run] = g_source_get_time (g_main_current_source ());
  spaced->n_run++;
  g_cond_signal (&spaced->cond);
  g_mutex_unlock (&spaced->lock);
}

/* Posts one item at a time, each once the one before it ran: some come
 * while a dispatch is still running, some after its source is gone. */
static gpointer
spaced_thread (gpointer data)
{
  Spaced *spaced = data;

  for (guint i = N_SPACED / 2; i < N_SPACED; i++)
    {
      gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

      pcq_dispatcher_post (spaced->dispatcher, spaced_cb, spaced, NULL);

      g_mutex_lock (&spaced->lock);
      while (spaced->n_run <= i)
        if (!g_cond_wait_until (&spaced->cond, &spaced->lock, deadline))
          break;
      g_mutex_unlock (&spaced->lock);
    }

  return NULL;
}

static guint
spaced_n_run (Spaced *spaced)
{
  guint n;

  g_mutex_lock (&spaced->lock);
  n = spaced->n_run;
  g_mutex_unlock (&spaced->lock);

  return n;
}

static void
test_interval (void)
{
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (NULL, "[pcq] test interval");
  Spaced spaced = { .dispatcher = dispatcher };
  GThread *thread;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  g_mutex_init (&spaced.lock);
  g_cond_init (&spaced.cond);

  /* One item a dispatch, at least INTERVAL_MS apart. */
  pcq_dispatcher_set_budget (dispatcher, 0);
  pcq_dispatcher_set_interval (dispatcher, INTERVAL_MS * 1000);

  /* Half at once, from here ... */
  for (guint i = 0; i < N_SPACED / 2; i++)
    pcq_dispatcher_post (dispatcher, spaced_cb, &spaced, NULL);
  PCQ_TEST_WAIT_FOR (spaced_n_run (&spaced) == N_SPACED / 2, WAIT_MS);

  /* ... and half one by one from another thread. */
  thread = g_thread_new ("spaced", spaced_thread, &spaced);
  PCQ_TEST_WAIT_FOR (spaced_n_run (&spaced) == N_SPACED, WAIT_MS);
  g_thread_join (thread);
  elapsed = g_get_monotonic_time () - start;

  for (guint i = 1; i < N_SPACED; i++)
    {
      gint64 gap = spaced.context_time[i] - spaced.context_time[i - 1];

      g_test_message ("dispatch %u: %" G_GINT64_FORMAT " us after the one before", i, gap);
      g_assert_cmpint (gap, >=, INTERVAL_MS * 1000);
    }
  g_assert_cmpint (elapsed, >=, (N_SPACED - 1) * INTERVAL_MS * 1000);

  g_mutex_clear (&spaced.lock);
  g_cond_clear (&spaced.cond);
}

/* ---- close -------------------------------------------------------- */

#define N_CLOSED 100

typedef struct
{
  guint ran;
  guint destroyed;   /* atomic */
} Counts;

static void
count_run (gpointer data)
{
  ((Counts *) data)->ran++;
}

static void
count_destroy (gpointer data)
{
  g_atomic_int_inc (&((Counts *) data)->destroyed);
}

static gpointer
post_after_close_thread (gpointer data)
{
  PcqDispatcher *dispatcher = data;
  static Counts late;

  pcq_dispatcher_post (dispatcher, count_run, &late, count_destroy);
  return &late;
}

/* Pending items are destroyed once and never run; later ones are
 * destroyed at once, from whatever thread posts them. */
static void
test_close (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (context, "[pcq] test close");
  Counts counts[N_CLOSED] = { 0 };
  Counts after = { 0 };
  Counts *late;

  for (guint i = 0; i < N_CLOSED; i++)
    pcq_dispatcher_post (dispatcher, count_run, &counts[i], count_destroy);

  pcq_dispatcher_close (dispatcher);
  pcq_dispatcher_close (dispatcher);  /* idempotent */

  for (guint i = 0; i < N_CLOSED; i++)
    {
      g_assert_cmpuint (counts[i].ran, ==, 0);
      g_assert_cmpuint (counts[i].destroyed, ==, 1);
    }

  pcq_dispatcher_post (dispatcher, count_run, &after, count_destroy);
  g_assert_cmpuint (after.destroyed, ==, 1);
  late = g_thread_join (g_thread_new ("late", post_after_close_thread, dispatcher));
  g_assert_cmpuint (late->destroyed, ==, 1);

  /* Its source is gone: nothing runs, nothing is destroyed again. */
  g_assert_false (g_main_context_iteration (context, FALSE));
  g_clear_pointer (&dispatcher, pcq_dispatcher_unref);

  for (guint i = 0; i < N_CLOSED; i++)
    g_assert_cmpuint (counts[i].destroyed, ==, 1);
  g_assert_cmpuint (after.ran, ==, 0);
  g_assert_cmpuint (after.destroyed, ==, 1);
  g_assert_cmpuint (late->ran, ==, 0);
  g_assert_cmpuint (late->destroyed, ==, 1);
}

typedef struct
{
  PcqDispatcher *dispatcher;
  Counts        *counts;
} Closer;

static void
close_cb (gpointer data)
{
  Closer *closer = data;

  closer->counts->ran++;
  /* Drops the test's reference too: the running dispatch holds one. */
  pcq_dispatcher_close (closer->dispatcher);
  pcq_dispatcher_unref (closer->dispatcher);
}

static void
closer_destroy (gpointer data)
{
  count_destroy (((Closer *) data)->counts);
}

/* A callback closes the dispatcher and drops the last reference to it:
 * the running dispatch stops, the rest is destroyed, nothing is freed
 * under it (ASan would say). */
static void
test_close_in_callback (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  PcqDispatcher *dispatcher = pcq_dispatcher_new (context, "[pcq] test close in callback");
  Counts counts[10] = { 0 };
  Closer closer = { dispatcher, &counts[0] };

  pcq_dispatcher_post (dispatcher, close_cb, &closer, closer_destroy);
  for (guint i = 1; i < G_N_ELEMENTS (counts); i++)
    pcq_dispatcher_post (dispatcher, count_run, &counts[i], count_destroy);

  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_false (g_main_context_iteration (context, FALSE));

  g_assert_cmpuint (counts[0].ran, ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_assert_cmpuint (counts[i].ran, ==, i == 0 ? 1 : 0);
      g_assert_cmpuint (counts[i].destroyed, ==, 1);
    }
}

/* ---- references ---------------------------------------------------- */

static void
unref_cb (gpointer data)
{
  pcq_dispatcher_unref (data);
}

/* A callback drops the last reference: that closes the dispatcher (the
 * rest is destroyed, not run) without freeing it under the dispatch
 * that runs the callback (ASan would say). */
static void
test_unref_in_callback (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  PcqDispatcher *dispatcher = pcq_dispatcher_new (context, "[pcq] test unref");
  Counts counts[5] = { 0 };

  pcq_dispatcher_post (dispatcher, count_run, &counts[0], count_destroy);
  pcq_dispatcher_post (dispatcher, unref_cb, dispatcher, NULL);
  for (guint i = 1; i < G_N_ELEMENTS (counts); i++)
    pcq_dispatcher_post (dispatcher, count_run, &counts[i], count_destroy);

  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_false (g_main_context_iteration (context, FALSE));

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_assert_cmpuint (counts[i].ran, ==, i == 0 ? 1 : 0);
      g_assert_cmpuint (counts[i].destroyed, ==, 1);
    }
}

/* The pending source does not keep the dispatcher open (that would be
 * a cycle through the context it holds): the last reference closes it,
 * and its source is gone from the context at once. */
static void
test_unref_pending (void)
{
  GMainContext *context = g_main_context_new ();
  PcqDispatcher *dispatcher = pcq_dispatcher_new (context, "[pcq] test unref pending");
  Counts counts[3] = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    pcq_dispatcher_post (dispatcher, count_run, &counts[i], count_destroy);

  pcq_dispatcher_unref (dispatcher);
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_assert_cmpuint (counts[i].ran, ==, 0);
      g_assert_cmpuint (counts[i].destroyed, ==, 1);
    }

  g_assert_false (g_main_context_iteration (context, FALSE));
  g_main_context_unref (context);
}

/* A reference held elsewhere (a worker's, say) keeps it open. */
static void
test_ref_keeps_open (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  PcqDispatcher *dispatcher = pcq_dispatcher_new (context, "[pcq] test ref");
  PcqDispatcher *other = pcq_dispatcher_ref (dispatcher);
  Counts counts = { 0 };

  pcq_dispatcher_post (dispatcher, count_run, &counts, count_destroy);
  pcq_dispatcher_unref (dispatcher);
  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_cmpuint (counts.ran, ==, 1);
  g_assert_cmpuint (counts.destroyed, ==, 1);
  pcq_dispatcher_unref (other);
}

/* ---- flush -------------------------------------------------------- */

typedef struct
{
  PcqDispatcher *dispatcher;
  Counts         counts;
} Reposter;

static void
reposter_cb (gpointer data)
{
  Reposter *reposter = data;

  reposter->counts.ran++;
  pcq_dispatcher_post (reposter->dispatcher, reposter_cb, reposter, NULL);
}

/* Everything pending runs now, in order, whatever the budget; what the
 * callbacks post waits for a dispatch. */
static void
test_flush (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (context, "[pcq] test flush");
  Counts counts[50] = { 0 };
  Reposter reposter = { dispatcher, { 0 } };

  pcq_dispatcher_set_budget (dispatcher, 0);
  pcq_dispatcher_set_interval (dispatcher, 60 * G_USEC_PER_SEC);

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    pcq_dispatcher_post (dispatcher, count_run, &counts[i], count_destroy);
  pcq_dispatcher_flush (dispatcher);

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_assert_cmpuint (counts[i].ran, ==, 1);
      g_assert_cmpuint (counts[i].destroyed, ==, 1);
    }
  /* Its source went with the last item. */
  g_assert_false (g_main_context_iteration (context, FALSE));

  /* A callback that always posts again does not keep flush () busy. */
  pcq_dispatcher_post (dispatcher, reposter_cb, &reposter, NULL);
  pcq_dispatcher_flush (dispatcher);
  g_assert_cmpuint (reposter.counts.ran, ==, 1);
  pcq_dispatcher_flush (dispatcher);
  g_assert_cmpuint (reposter.counts.ran, ==, 2);
  pcq_dispatcher_close (dispatcher);
}

/* ---- batches ------------------------------------------------------- */

typedef struct
{
  PcqDispatcher *dispatcher;
  guint          begun;
  guint          ended;        /* inside a batch while begun > ended */
  guint          ran;
  gboolean       all_inside;   /* every item ran inside one */
  gboolean       close_at_2;   /* the second item closes the dispatcher */
} Batch;

static void
batch_begin_cb (gpointer data)
{
  Batch *batch = data;

  g_assert_cmpuint (batch->begun, ==, batch->ended);
  batch->begun++;
}

static void
batch_end_cb (gpointer data)
{
  Batch *batch = data;

  g_assert_cmpuint (batch->begun, ==, batch->ended + 1);
  batch->ended++;
}

static void
batch_item_cb (gpointer data)
{
  Batch *batch = data;

  batch->all_inside &= batch->begun == batch->ended + 1;
  if (++batch->ran == 2 && batch->close_at_2)
    pcq_dispatcher_close (batch->dispatcher);
}

/* One begin before the first callback of a dispatch, one end after its
 * last, however many it runs; none for a flush with nothing to run, and
 * none once a callback closed the dispatcher (but the end of the
 * dispatch that closed it). */
static void
test_batch (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (context, "[pcq] test batch");
  Batch batch = { .dispatcher = dispatcher, .all_inside = TRUE };

  pcq_dispatcher_set_batch_funcs (dispatcher, batch_begin_cb, batch_end_cb, &batch);

  for (guint i = 0; i < 5; i++)
    pcq_dispatcher_post (dispatcher, batch_item_cb, &batch, NULL);
  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_cmpuint (batch.ran, ==, 5);
  g_assert_cmpuint (batch.begun, ==, 1);
  g_assert_cmpuint (batch.ended, ==, 1);

  pcq_dispatcher_flush (dispatcher);
  g_assert_cmpuint (batch.begun, ==, 1);

  for (guint i = 0; i < 3; i++)
    pcq_dispatcher_post (dispatcher, batch_item_cb, &batch, NULL);
  pcq_dispatcher_flush (dispatcher);
  g_assert_cmpuint (batch.ran, ==, 8);
  g_assert_cmpuint (batch.begun, ==, 2);
  g_assert_cmpuint (batch.ended, ==, 2);
  g_assert_true (batch.all_inside);

  batch.ran = 0;
  batch.close_at_2 = TRUE;
  for (guint i = 0; i < 4; i++)
    pcq_dispatcher_post (dispatcher, batch_item_cb, &batch, NULL);
  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_cmpuint (batch.ran, ==, 2);
  g_assert_cmpuint (batch.begun, ==, 3);
  g_assert_cmpuint (batch.ended, ==, 3);

  pcq_dispatcher_post (dispatcher, batch_item_cb, &batch, NULL);
  pcq_dispatcher_flush (dispatcher);
  g_assert_false (g_main_context_iteration (context, FALSE));
  g_assert_cmpuint (batch.ran, ==, 2);
  g_assert_cmpuint (batch.begun, ==, 3);
  g_assert_cmpuint (batch.ended, ==, 3);
  g_assert_true (batch.all_inside);
}

/* ---- observer ------------------------------------------------------ */

#define N_OBSERVED 4
#define OBSERVED_CPU_US 1000

typedef struct
{
  guint  n_calls;
  gint64 cpu_us;
} Observed;

static void
observe_cb (gint64   cpu_us,
            gpointer user_data)
{
  Observed *observed = user_data;

  g_assert_cmpint (cpu_us, >=, 0);
  observed->n_calls++;
  observed->cpu_us += cpu_us;
}

static void
busy_cb (gpointer data)
{
  spin_cpu (OBSERVED_CPU_US);
  (*(guint *) data)++;
}

/* Called once per dispatch, with at least the CPU time the callbacks
 * spent. */
static void
test_observer (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (context, "[pcq] test observer");
  Observed observed = { 0 };
  guint n_run = 0;
  guint n_iterations = 0;

  pcq_dispatcher_set_observer (observe_cb, &observed);

  /* One item a dispatch. */
  pcq_dispatcher_set_budget (dispatcher, 0);
  for (guint i = 0; i < N_OBSERVED; i++)
    pcq_dispatcher_post (dispatcher, busy_cb, &n_run, NULL);

  while (g_main_context_iteration (context, FALSE))
    n_iterations++;

  pcq_dispatcher_set_observer (NULL, NULL);

  g_assert_cmpuint (n_run, ==, N_OBSERVED);
  g_assert_cmpuint (n_iterations, ==, N_OBSERVED);
  g_assert_cmpuint (observed.n_calls, ==, N_OBSERVED);
  g_assert_cmpint (observed.cpu_us, >=, N_OBSERVED * OBSERVED_CPU_US);
  /* Not wildly more, either: the callbacks are nearly all of it. */
  g_assert_cmpint (observed.cpu_us, <, N_OBSERVED * OBSERVED_CPU_US * 20);

  /* Unset, it is not called. */
  pcq_dispatcher_post (dispatcher, busy_cb, &n_run, NULL);
  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_cmpuint (observed.n_calls, ==, N_OBSERVED);
}

/* ---- a steady flow ------------------------------------------------- */

#define FLOW_INTERVAL_MS 500

typedef struct
{
  GMutex         lock;
  GCond          cond;
  gboolean       polling;      /* under @lock */
  guint          n_polls;      /* context thread */
  guint          ran;          /* context thread */
  PcqDispatcher *dispatcher;
} Flow;

/* A poll function has no user data. */
static Flow *flow_polled;

static gint
flow_poll (GPollFD *fds,
           guint    n_fds,
           gint     timeout)
{
  Flow *flow = flow_polled;

  flow->n_polls++;
  g_mutex_lock (&flow->lock);
  flow->polling = TRUE;
  g_cond_signal (&flow->cond);
  g_mutex_unlock (&flow->lock);

  return g_poll (fds, n_fds, timeout);
}

static void
flow_cb (gpointer data)
{
  ((Flow *) data)->ran++;
}

/* Posts once the context thread polls. */
static gpointer
flow_thread (gpointer data)
{
  Flow *flow = data;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  g_mutex_lock (&flow->lock);
  while (!flow->polling)
    if (!g_cond_wait_until (&flow->cond, &flow->lock, deadline))
      break;
  g_mutex_unlock (&flow->lock);

  pcq_dispatcher_post (flow->dispatcher, flow_cb, flow, NULL);
  return NULL;
}

/* With an interval, a dispatch that ran something keeps its source for
 * one more: what another thread posts meanwhile waits for it without
 * waking the context, so a steady flow wakes it once an interval. */
static void
test_interval_flow (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (context, "[pcq] test flow");
  Flow flow = { .dispatcher = dispatcher };
  Observed observed = { 0 };
  GThread *thread;

  g_mutex_init (&flow.lock);
  g_cond_init (&flow.cond);
  flow_polled = &flow;
  g_main_context_set_poll_func (context, flow_poll);
  pcq_dispatcher_set_interval (dispatcher, FLOW_INTERVAL_MS * 1000);
  pcq_dispatcher_set_observer (observe_cb, &observed);

  /* The first runs at once. */
  pcq_dispatcher_post (dispatcher, flow_cb, &flow, NULL);
  g_assert_true (g_main_context_iteration (context, TRUE));
  g_assert_cmpuint (flow.ran, ==, 1);

  /* The next is posted while the context sleeps until the interval
   * ends: the poll goes on, and that one iteration runs it. */
  flow.n_polls = 0;
  thread = g_thread_new ("flow", flow_thread, &flow);
  g_assert_true (g_main_context_iteration (context, TRUE));
  g_thread_join (thread);
  g_assert_cmpuint (flow.ran, ==, 2);
  g_assert_cmpuint (flow.n_polls, ==, 1);

  /* A pass that finds nothing ends it: the context is left with none. */
  g_assert_true (g_main_context_iteration (context, TRUE));
  g_assert_cmpuint (flow.ran, ==, 2);
  g_assert_false (g_main_context_iteration (context, FALSE));

  /* After that quiet pass, the next post runs at once again. */
  pcq_dispatcher_post (dispatcher, flow_cb, &flow, NULL);
  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_cmpuint (flow.ran, ==, 3);
  /* The pass that ran nothing was no dispatch to the stall probe. */
  g_assert_cmpuint (observed.n_calls, ==, 3);

  pcq_dispatcher_set_observer (NULL, NULL);
  pcq_dispatcher_close (dispatcher);
  g_main_context_set_poll_func (context, NULL);
  flow_polled = NULL;
  g_mutex_clear (&flow.lock);
  g_cond_clear (&flow.cond);
}

/* ---- soon -------------------------------------------------------- */

static GArray *soon_order;   /* main thread: the items' numbers, as they ran */

static void
soon_cb (gpointer data)
{
  guint i = GPOINTER_TO_UINT (data);

  g_array_append_val (soon_order, i);
}

static gpointer
post_soon_thread (gpointer data)
{
  pcq_dispatcher_post_full (data, soon_cb, GUINT_TO_POINTER (4), NULL, TRUE);
  return NULL;
}

/* How long the context spins to see that what waits for the test's
 * interval (a minute) does not run. */
#define SOON_QUIET_MS 50

/* What ends a flow does not wait for the interval: it runs at once,
 * after what was posted before it, from any thread; then the interval
 * holds again. */
static void
test_soon (void)
{
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (NULL, "[pcq] test soon");
  GThread *thread;

  soon_order = g_array_new (FALSE, FALSE, sizeof (guint));
  pcq_dispatcher_set_interval (dispatcher, 60 * G_USEC_PER_SEC);

  /* The first runs at once; the next waits for the interval. */
  pcq_dispatcher_post (dispatcher, soon_cb, GUINT_TO_POINTER (0), NULL);
  PCQ_TEST_WAIT_FOR (soon_order->len == 1, WAIT_MS);
  pcq_dispatcher_post (dispatcher, soon_cb, GUINT_TO_POINTER (1), NULL);
  pcq_test_spin (SOON_QUIET_MS);
  g_assert_cmpuint (soon_order->len, ==, 1);

  /* One posted soon takes it along. */
  pcq_dispatcher_post_full (dispatcher, soon_cb, GUINT_TO_POINTER (2), NULL, TRUE);
  PCQ_TEST_WAIT_FOR (soon_order->len == 3, WAIT_MS);

  /* That dispatch ran something: the next waits for the interval again,
   * unless another thread posts one soon, which wakes the context. */
  pcq_dispatcher_post (dispatcher, soon_cb, GUINT_TO_POINTER (3), NULL);
  pcq_test_spin (SOON_QUIET_MS);
  g_assert_cmpuint (soon_order->len, ==, 3);
  thread = g_thread_new ("soon", post_soon_thread, dispatcher);
  PCQ_TEST_WAIT_FOR (soon_order->len == 5, WAIT_MS);
  g_thread_join (thread);

  for (guint i = 0; i < soon_order->len; i++)
    g_assert_cmpuint (g_array_index (soon_order, guint, i), ==, i);

  /* Nothing soon is pending any more: an ordinary post waits. */
  pcq_dispatcher_post (dispatcher, soon_cb, GUINT_TO_POINTER (5), NULL);
  pcq_test_spin (SOON_QUIET_MS);
  g_assert_cmpuint (soon_order->len, ==, 5);

  pcq_dispatcher_close (dispatcher);
  g_clear_pointer (&soon_order, g_array_unref);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pcq/dispatcher/order", test_order);
  g_test_add_func ("/pcq/dispatcher/budget", test_budget);
  g_test_add_func ("/pcq/dispatcher/priority-after-quiet", test_priority_after_quiet);
  g_test_add_func ("/pcq/dispatcher/busy-drawing", test_busy_drawing);
  g_test_add_func ("/pcq/dispatcher/interval", test_interval);
  g_test_add_func ("/pcq/dispatcher/interval-flow", test_interval_flow);
  g_test_add_func ("/pcq/dispatcher/soon", test_soon);
  g_test_add_func ("/pcq/dispatcher/close", test_close);
  g_test_add_func ("/pcq/dispatcher/close-in-callback", test_close_in_callback);
  g_test_add_func ("/pcq/dispatcher/unref-in-callback", test_unref_in_callback);
  g_test_add_func ("/pcq/dispatcher/unref-pending", test_unref_pending);
  g_test_add_func ("/pcq/dispatcher/ref-keeps-open", test_ref_keeps_open);
  g_test_add_func ("/pcq/dispatcher/flush", test_flush);
  g_test_add_func ("/pcq/dispatcher/batch", test_batch);
  g_test_add_func ("/pcq/dispatcher/observer", test_observer);

  return g_test_run ();
}
