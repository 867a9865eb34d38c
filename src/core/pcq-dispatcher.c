/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-dispatcher"

#include "config.h"

#include "pcq-dispatcher.h"
#include "pcq-main.h"
#include "pcq-util.h"

/*
 * Posting
 *
 * The pending items are a ring of plain structs under @lock, so that a
 * post from a worker is one lock and, most of the time, no allocation:
 * the ring only grows (doubling) when it is full.
 *
 * The source
 *
 * A pending dispatch is a GSource of our own with neither prepare nor
 * check: its ready time alone says when it may run (0: now; with an
 * interval: not before the last dispatch's start plus the interval).
 * Without them GLib never calls into us with the context's lock held,
 * so taking the context's lock under @lock (g_source_attach (),
 * g_source_set_ready_time ()) cannot deadlock.
 *
 * The source exists only while something is pending. It is added by
 * the post that finds the ring empty and no source, and removed by the
 * dispatch that empties the ring, by flush () when that empties it, or
 * by close ().
 *
 * Who keeps whom alive
 *
 * Two counts. @ref_count is the owners' references: when the last goes,
 * the dispatcher is closed (see pcq_dispatcher_unref()). @alive keeps
 * the struct's memory: one for all the owners together, and one held by
 * the pending source as its callback data. So the source never keeps
 * the dispatcher open in a cycle (dispatcher → context → source →
 * dispatcher) — the last owner's unref destroys it — and yet a callback
 * may close the dispatcher or drop the last reference to it while the
 * dispatch that runs it still needs the struct: GLib lets go of the
 * callback data of a source destroyed during its dispatch only once the
 * dispatch has returned.
 */

typedef struct
{
  PcqDispatchFunc func;
  gpointer        data;
  GDestroyNotify  destroy;
} Item;

struct _PcqDispatcher
{
  gatomicrefcount  ref_count;    /* the owners' */
  gatomicrefcount  alive;        /* the struct's: the owners, a pending source */
  GMainContext    *context;
  char            *name;

  /* Context thread only. */
  gint64           budget_us;
  PcqDispatchFunc  batch_begin;
  PcqDispatchFunc  batch_end;
  gpointer         batch_data;

  GMutex           lock;
  /* Under @lock. @len items from @head in a ring of @alloc slots (0 or
   * a power of two). */
  Item            *items;
  gsize            head;
  gsize            len;
  gsize            alloc;
  GSource         *source;       /* the pending dispatch, or NULL */
  gint64           ready_time;   /* @source's */
  gboolean         soon;         /* a post asked for soon since the ring was
                                  * last empty: the next dispatch is due now */
  gboolean         closed;
  gint64           interval_us;
  gint64           last_start;   /* monotonic µs of the last dispatch */
};

/* Process-wide; set on the main thread before any dispatch. */
static PcqDispatchObserver dispatch_observer;
static gpointer dispatch_observer_data;

/* Once drained, a ring that grew in a flood is given back. */
#define RING_KEEP 1024

/* ---- the ring ------------------------------------------------------ */

static void
ring_grow (PcqDispatcher *self)
{
  gsize new_alloc = MAX (self->alloc * 2, 64);
  Item *items = g_new (Item, new_alloc);

  /* Unrolled, so that the new ring starts at 0. */
  for (gsize i = 0; i < self->len; i++)
    items[i] = self->items[(self->head + i) & (self->alloc - 1)];

  g_free (self->items);
  self->items = items;
  self->head = 0;
  self->alloc = new_alloc;
}

static void
ring_push (PcqDispatcher *self,
           const Item    *item)
{
  if (self->len == self->alloc)
    ring_grow (self);

  self->items[(self->head + self->len) & (self->alloc - 1)] = *item;
  self->len++;
}

static gboolean
ring_pop (PcqDispatcher *self,
          Item          *out)
{
  if (self->len == 0)
    return FALSE;

  *out = self->items[self->head];
  self->head = (self->head + 1) & (self->alloc - 1);
  self->len--;

  return TRUE;
}

static void
ring_shrink_if_empty (PcqDispatcher *self)
{
  if (self->len == 0 && self->alloc > RING_KEEP)
    {
      g_clear_pointer (&self->items, g_free);
      self->head = 0;
      self->alloc = 0;
    }
}

static void
item_destroy (Item *item)
{
  if (item->destroy != NULL)
    item->destroy (item->data);
}

/* Destroys, in order, the items of a ring taken out of a dispatcher. */
static void
ring_destroy_items (Item  *items,
                    gsize  head,
                    gsize  len,
                    gsize  alloc)
{
  for (gsize i = 0; i < len; i++)
    item_destroy (&items[(head + i) & (alloc - 1)]);

  g_free (items);
}

/* ---- the struct's memory ------------------------------------------ */

static PcqDispatcher *
hold (PcqDispatcher *self)
{
  g_atomic_ref_count_inc (&self->alive);
  return self;
}

static void
release (PcqDispatcher *self)
{
  if (!g_atomic_ref_count_dec (&self->alive))
    return;

  /* Closed by then: no items, no source. */
  g_assert (self->source == NULL && self->len == 0);
  g_free (self->items);
  g_main_context_unref (self->context);
  g_free (self->name);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* ---- the source ---------------------------------------------------- */

static gboolean
source_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  /* Destroyed meanwhile: its callback data is gone. */
  if (callback == NULL)
    return G_SOURCE_REMOVE;

  return callback (user_data);
}

static GSourceFuncs source_funcs = {
  .prepare = NULL,   /* the ready time decides */
  .check = NULL,
  .dispatch = source_dispatch,
  .finalize = NULL,
};

/* Under @lock. */
static gint64
next_ready_time (PcqDispatcher *self)
{
  if (self->interval_us <= 0 || self->last_start == 0)
    return 0;

  return self->last_start + self->interval_us;
}

static gboolean dispatch_cb (gpointer user_data);

/* Under @lock. */
static void
set_ready_time (PcqDispatcher *self,
                gint64         ready_time)
{
  self->ready_time = ready_time;
  g_source_set_ready_time (self->source, ready_time);
}

/* Under @lock: when the pending dispatch may run. */
static gint64
pending_ready_time (PcqDispatcher *self)
{
  return self->soon && self->len > 0 ? 0 : next_ready_time (self);
}

/* Under @lock: the ring went from empty to non-empty. */
static void
add_source (PcqDispatcher *self)
{
  GSource *source = g_source_new (&source_funcs, sizeof (GSource));

  g_source_set_name (source, self->name);
  /* After a quiet spell, ahead of drawing: see pcq-main.h. */
  g_source_set_priority (source, PCQ_PRIORITY_RESULTS);
  g_source_set_callback (source, dispatch_cb, hold (self), (GDestroyNotify) release);
  self->source = source;
  set_ready_time (self, pending_ready_time (self));
  g_source_attach (source, self->context);
}

static void
source_remove (GSource *source)
{
  if (source != NULL)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
}

/* ---- running ------------------------------------------------------- */

static gboolean
take (PcqDispatcher *self,
      Item          *out)
{
  gboolean taken;

  g_mutex_lock (&self->lock);
  taken = !self->closed && ring_pop (self, out);
  g_mutex_unlock (&self->lock);

  return taken;
}

/* Runs at most @max items, and no more once @deadline (monotonic µs)
 * has passed; at least one if there is one. Items are taken one at a
 * time, so that a callback may post, flush or close. Returns how many
 * ran. */
static gsize
run_items (PcqDispatcher *self,
           gint64         deadline,
           gsize          max)
{
  gboolean begun = FALSE;
  Item item;
  gsize n = 0;

  while (n < max && take (self, &item))
    {
      /* Only with an item in hand: a closed dispatcher yields none, so
       * its owner, maybe gone, is never called. */
      if (!begun)
        {
          begun = TRUE;
          if (self->batch_begin != NULL)
            self->batch_begin (self->batch_data);
        }

      item.func (item.data);
      item_destroy (&item);
      n++;

      if (g_get_monotonic_time () >= deadline)
        break;
    }

  if (begun && self->batch_end != NULL)
    self->batch_end (self->batch_data);

  return n;
}

/* Runs items as run_items (), and tells the observer what it cost, if
 * it ran any. */
static gsize
run_items_observed (PcqDispatcher *self,
                    gint64         deadline,
                    gsize          max)
{
  PcqDispatchObserver func = dispatch_observer;
  gint64 cpu_start;
  gsize n;

  if (func == NULL)
    return run_items (self, deadline, max);

  cpu_start = pcq_thread_cpu_time_us ();
  n = run_items (self, deadline, max);
  if (n > 0)
    func (pcq_thread_cpu_time_us () - cpu_start, dispatch_observer_data);

  return n;
}

static gboolean
dispatch_cb (gpointer user_data)
{
  PcqDispatcher *self = user_data;
  GSource *current = g_main_current_source ();
  GSource *done = NULL;
  gint64 start = g_get_monotonic_time ();
  gboolean again;
  gsize ran;

  ran = run_items_observed (self, start + self->budget_us, G_MAXSIZE);

  g_mutex_lock (&self->lock);
  if (ran > 0)
    self->last_start = start;
  /* A callback may have flushed (removing this source, maybe adding a
   * new one) or closed the dispatcher. With an interval, a dispatch that
   * ran something stays for one more: what comes meanwhile then wakes
   * no one, and a steady flow costs one wakeup per interval, not two. */
  again = !self->closed && self->source == current &&
          (self->len > 0 || (ran > 0 && self->interval_us > 0));
  if (again)
    {
      /* What is left when the budget ran out, or comes while the
       * source is kept, waits for the interval; without one, behind
       * drawing (why: pcq-main.h). */
      g_source_set_priority (current, self->interval_us > 0 ? PCQ_PRIORITY_RESULTS
                                                            : PCQ_PRIORITY_RESULTS_MORE);
      set_ready_time (self, pending_ready_time (self));
    }
  else if (self->source == current)
    {
      done = g_steal_pointer (&self->source);
      ring_shrink_if_empty (self);
    }
  if (self->len == 0)
    self->soon = FALSE;
  g_mutex_unlock (&self->lock);

  g_clear_pointer (&done, g_source_unref);

  return again ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* ---- API ----------------------------------------------------------- */

/**
 * pcq_dispatcher_new:
 * @context: (nullable): where the callbacks run; %NULL is the global
 *   default context
 * @name: the name of its GSource, for profilers and debugging
 *
 * Returns: (transfer full): a dispatcher with the default budget and no
 *   minimum interval
 */
PcqDispatcher *
pcq_dispatcher_new (GMainContext *context,
                    const char   *name)
{
  PcqDispatcher *self = g_new0 (PcqDispatcher, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_atomic_ref_count_init (&self->alive);
  self->context = g_main_context_ref (context != NULL ? context : g_main_context_default ());
  self->name = g_strdup (name != NULL ? name : "[pcq] dispatcher");
  self->budget_us = PCQ_DISPATCH_BUDGET_US;
  g_mutex_init (&self->lock);

  return self;
}

PcqDispatcher *
pcq_dispatcher_ref (PcqDispatcher *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * pcq_dispatcher_unref:
 *
 * Drops a reference. The last one closes the dispatcher (what is
 * pending is destroyed, not run), on whatever thread drops it; it may
 * be dropped from within a callback.
 */
void
pcq_dispatcher_unref (PcqDispatcher *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  pcq_dispatcher_close (self);
  release (self);
}

/**
 * pcq_dispatcher_post:
 * @func: called once on the dispatcher's context, in posting order
 * @data: (nullable): passed to @func and @destroy
 * @destroy: (nullable): frees @data after @func, or instead of it when
 *   the dispatcher is closed
 *
 * Any thread. After pcq_dispatcher_close(), @data is destroyed at once,
 * on the calling thread.
 */
void
pcq_dispatcher_post (PcqDispatcher   *self,
                     PcqDispatchFunc  func,
                     gpointer         data,
                     GDestroyNotify   destroy)
{
  pcq_dispatcher_post_full (self, func, data, destroy, FALSE);
}

/**
 * pcq_dispatcher_post_full:
 * @soon: the dispatch that runs @func does not wait for the interval:
 *   for what ends a flow (the last tasks of a queue), where the
 *   interval would only be a wait. It runs after what was posted
 *   before it, as always.
 *
 * As pcq_dispatcher_post().
 */
void
pcq_dispatcher_post_full (PcqDispatcher   *self,
                          PcqDispatchFunc  func,
                          gpointer         data,
                          GDestroyNotify   destroy,
                          gboolean         soon)
{
  Item item = { func, data, destroy };

  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  g_mutex_lock (&self->lock);

  if (G_UNLIKELY (self->closed))
    {
      g_mutex_unlock (&self->lock);
      item_destroy (&item);
      return;
    }

  ring_push (self, &item);
  self->soon |= soon;
  if (self->source == NULL)
    add_source (self);
  else if (soon && self->ready_time != 0)
    set_ready_time (self, 0);

  g_mutex_unlock (&self->lock);
}

/**
 * pcq_dispatcher_set_budget:
 * @budget_us: how long a dispatch runs callbacks, in µs; one callback
 *   runs in every dispatch, however small the budget
 */
void
pcq_dispatcher_set_budget (PcqDispatcher *self,
                           gint64         budget_us)
{
  g_return_if_fail (self != NULL);

  self->budget_us = MAX (budget_us, 0);
}

/**
 * pcq_dispatcher_set_interval:
 * @interval_us: the least time between the starts of two dispatches,
 *   in µs; 0 (the default) dispatches as soon as the context can
 */
void
pcq_dispatcher_set_interval (PcqDispatcher *self,
                             gint64         interval_us)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->interval_us = MAX (interval_us, 0);
  if (self->source != NULL)
    set_ready_time (self, pending_ready_time (self));
  g_mutex_unlock (&self->lock);
}

/**
 * pcq_dispatcher_set_batch_funcs:
 * @begin: (nullable): called before the first callback of each
 *   dispatch or flush that runs any
 * @end: (nullable): called after the last one
 * @data: passed to both. It must stay alive until the dispatcher is
 *   closed, and from @begin to @end (a callback may drop its owner's
 *   last reference: @begin can take one)
 *
 * Context thread only. Lets the owner gather what the callbacks of one
 * dispatch change, for example by freezing an object's notifications
 * for its duration.
 */
void
pcq_dispatcher_set_batch_funcs (PcqDispatcher   *self,
                                PcqDispatchFunc  begin,
                                PcqDispatchFunc  end,
                                gpointer         data)
{
  g_return_if_fail (self != NULL);

  self->batch_begin = begin;
  self->batch_end = end;
  self->batch_data = data;
}

/**
 * pcq_dispatcher_flush:
 *
 * Runs what is pending now, whatever the budget and the interval. What
 * those callbacks post, or other threads post meanwhile, waits for the
 * next dispatch: a callback that always posts again cannot make this
 * loop for ever.
 */
void
pcq_dispatcher_flush (PcqDispatcher *self)
{
  GSource *done = NULL;
  gsize pending;

  g_return_if_fail (self != NULL);

  /* A callback may drop the last reference: that closes, and stops the
   * loop, but the struct must outlive it. */
  hold (self);

  g_mutex_lock (&self->lock);
  pending = self->len;
  g_mutex_unlock (&self->lock);

  run_items_observed (self, G_MAXINT64, pending);

  g_mutex_lock (&self->lock);
  if (self->len == 0)
    {
      done = g_steal_pointer (&self->source);
      ring_shrink_if_empty (self);
      self->soon = FALSE;
    }
  g_mutex_unlock (&self->lock);

  source_remove (done);
  release (self);
}

/**
 * pcq_dispatcher_close:
 *
 * Destroys what is pending, in order, without running it; later posts
 * destroy their data at once. Idempotent.
 */
void
pcq_dispatcher_close (PcqDispatcher *self)
{
  Item *items;
  gsize head, len, alloc;
  GSource *source;

  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->closed = TRUE;
  items = g_steal_pointer (&self->items);
  head = self->head;
  len = self->len;
  alloc = self->alloc;
  self->head = self->len = self->alloc = 0;
  source = g_steal_pointer (&self->source);
  g_mutex_unlock (&self->lock);

  /* Outside the lock: a destroy function may post (and be refused), or
   * drop the last reference. */
  hold (self);
  source_remove (source);
  ring_destroy_items (items, head, len, alloc);
  release (self);
}

/**
 * pcq_dispatcher_set_observer:
 * @observer: (nullable): called after each dispatch or flush that ran
 *   callbacks, with the thread CPU time they took, in µs; %NULL to stop
 *
 * For the stall probe. Set it on the main thread before any dispatcher
 * runs: it is read without a lock.
 */
void
pcq_dispatcher_set_observer (PcqDispatchObserver observer,
                             gpointer            user_data)
{
  dispatch_observer = observer;
  dispatch_observer_data = user_data;
}
