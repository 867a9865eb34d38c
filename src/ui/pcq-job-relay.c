/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-job-relay"

#include "config.h"

#include "pcq-job-relay.h"

/*
 * The list between the engine and the list view. It does two things.
 *
 * 1. It announces a job again (items-changed at its position, 1
 *    removed, 1 added) when the job crosses from one filter of the
 *    window to another, so that a GtkFilterListModel on top re-checks
 *    that one item instead of the whole list. The filters are Queued
 *    (queued, paused), Running, Finished (done) and Failed (failed,
 *    cancelled); a job moves between them only when its state changes
 *    (the engine's "job-state-changed"). Its
 *    place is found by a binary search on the job's position: the
 *    engine's list is in that order. Should that ever not hold, a
 *    linear scan keeps it right.
 *
 * 2. It paces the list view while the list is short. GTK 4.8's list
 *    view keeps up to 200 row widgets and builds one for every new item
 *    in that range, in the frame after the item arrives; a row costs
 *    about a millisecond, so 300 tasks pasted at once would stall one
 *    frame for a fifth of a second. So the relay shows the engine's
 *    list up to some length (@exposed), and lets that grow by at most
 *    PCQ_JOB_RELAY_STEP per tick (about a frame). The jobs themselves
 *    are queued and run at once: only their rows come in gradually.
 *    After a pause, up to PCQ_JOB_RELAY_BURST show at once.
 *    Once the list is PCQ_JOB_RELAY_RAMP_LENGTH long, every row widget
 *    is built and every change passes straight through.
 */

struct _PcqJobRelay
{
  GObject     parent_instance;

  PcqEngine  *engine;   /* nullable */
  GListModel *jobs;
  gboolean    enabled;

  guint       exposed;  /* the first @exposed jobs are shown */
  guint       budget;   /* how many more may be shown before the tick */
  guint       tick_source;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PcqJobRelay, pcq_job_relay, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
pcq_job_relay_get_item_type (GListModel *model)
{
  return PCQ_TYPE_JOB;
}

static guint
pcq_job_relay_get_n_items (GListModel *model)
{
  return PCQ_JOB_RELAY (model)->exposed;
}

static gpointer
pcq_job_relay_get_item (GListModel *model,
                        guint       position)
{
  PcqJobRelay *self = PCQ_JOB_RELAY (model);

  if (position >= self->exposed)
    return NULL;

  return g_list_model_get_item (self->jobs, position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = pcq_job_relay_get_item_type;
  iface->get_n_items = pcq_job_relay_get_n_items;
  iface->get_item = pcq_job_relay_get_item;
}

/* ---- pacing -------------------------------------------------------- */

static guint
n_real (PcqJobRelay *self)
{
  return g_list_model_get_n_items (self->jobs);
}

guint
pcq_job_relay_get_n_held (PcqJobRelay *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_RELAY (self), 0);
  return n_real (self) - self->exposed;
}

/* How many of @wanted more rows may be shown now, after @kept. */
static guint
grant (PcqJobRelay *self,
       guint        kept,
       guint        wanted)
{
  guint granted;

  if (kept + self->budget >= PCQ_JOB_RELAY_RAMP_LENGTH)
    return wanted;  /* the list is long enough: no more pacing */

  granted = MIN (wanted, self->budget);
  self->budget -= granted;

  return granted;
}

static gboolean tick_cb (gpointer user_data);

static void
ensure_tick (PcqJobRelay *self)
{
  if (self->tick_source != 0)
    return;

  if (pcq_job_relay_get_n_held (self) == 0 && self->budget == PCQ_JOB_RELAY_BURST)
    return;

  self->tick_source = g_timeout_add (PCQ_JOB_RELAY_TICK_MS, tick_cb, self);
  g_source_set_name_by_id (self->tick_source, "[pcq] relay tick");
}

void
_pcq_job_relay_tick (PcqJobRelay *self)
{
  guint held = pcq_job_relay_get_n_held (self);
  guint old = self->exposed;

  self->budget = MIN (self->budget + PCQ_JOB_RELAY_STEP, PCQ_JOB_RELAY_BURST);

  if (held > 0)
    {
      self->exposed += grant (self, old, held);
      g_list_model_items_changed (G_LIST_MODEL (self), old, 0, self->exposed - old);
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  PcqJobRelay *self = user_data;

  _pcq_job_relay_tick (self);

  if (pcq_job_relay_get_n_held (self) == 0 && self->budget == PCQ_JOB_RELAY_BURST)
    {
      self->tick_source = 0;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
items_changed_cb (PcqJobRelay *self,
                  guint        position,
                  guint        removed,
                  guint        added,
                  GListModel  *jobs)
{
  guint old = self->exposed;
  guint real = n_real (self);
  guint held_before = real + removed - added - old;
  guint removed_shown = position < old ? MIN (removed, old - position) : 0;
  guint kept = old - removed_shown;
  guint wanted = real - kept;
  guint granted;

  /* Reordered (a task moved): as many rows as before, all shown
   * already. Nothing new to pace. */
  if (removed == added && position + removed <= old)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
      return;
    }

  /* A long list: straight through. */
  if (held_before == 0 && old >= PCQ_JOB_RELAY_RAMP_LENGTH)
    {
      self->exposed = real;
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
      return;
    }

  granted = grant (self, kept, wanted);
  self->exposed = kept + granted;

  if (held_before == 0 && granted == wanted)
    g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  else if (position >= old)
    {
      if (self->exposed > old)
        g_list_model_items_changed (G_LIST_MODEL (self), old, 0, self->exposed - old);
    }
  else
    /* Short by construction: the whole tail of what is shown. */
    g_list_model_items_changed (G_LIST_MODEL (self), position,
                                old - position, self->exposed - position);

  ensure_tick (self);
}

/* ---- re-announcing jobs -------------------------------------------- */

static gint64
key_at (GListModel *model,
        guint       position)
{
  g_autoptr(PcqJob) job = g_list_model_get_item (model, position);

  return pcq_job_get_position (job);
}

static gboolean
find_job (PcqJobRelay *self,
          PcqJob      *job,
          guint       *position)
{
  gint64 key = pcq_job_get_position (job);
  guint lo = 0;
  guint hi = self->exposed;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      gint64 mid_key = key_at (self->jobs, mid);

      if (mid_key == key)
        {
          *position = mid;
          return TRUE;
        }

      if (mid_key < key)
        lo = mid + 1;
      else
        hi = mid;
    }

  /* Not sorted after all (or not shown): look at every shown item. */
  for (guint i = 0; i < self->exposed; i++)
    {
      g_autoptr(PcqJob) item = g_list_model_get_item (self->jobs, i);

      if (item == job)
        {
          *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * pcq_job_relay_job_changed:
 *
 * Announces @job again, if the relay is enabled and @job is shown.
 */
void
pcq_job_relay_job_changed (PcqJobRelay *self,
                           PcqJob      *job)
{
  guint position;

  g_return_if_fail (PCQ_IS_JOB_RELAY (self));
  g_return_if_fail (PCQ_IS_JOB (job));

  if (!self->enabled)
    return;

  if (find_job (self, job, &position))
    g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
}

static void
job_state_changed_cb (PcqJobRelay *self,
                      PcqJob      *job,
                      PcqEngine   *engine)
{
  pcq_job_relay_job_changed (self, job);
}

/**
 * pcq_job_relay_set_enabled:
 *
 * With no filter, nobody needs the announcements: leave them off.
 */
void
pcq_job_relay_set_enabled (PcqJobRelay *self,
                           gboolean     enabled)
{
  g_return_if_fail (PCQ_IS_JOB_RELAY (self));

  self->enabled = !!enabled;
}

/* ---- object -------------------------------------------------------- */

static void
pcq_job_relay_dispose (GObject *object)
{
  PcqJobRelay *self = (PcqJobRelay *)object;

  g_clear_handle_id (&self->tick_source, g_source_remove);
  if (self->jobs != NULL)
    g_signal_handlers_disconnect_by_data (self->jobs, self);
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->jobs);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (pcq_job_relay_parent_class)->dispose (object);
}

static void
pcq_job_relay_class_init (PcqJobRelayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pcq_job_relay_dispose;
}

static void
pcq_job_relay_init (PcqJobRelay *self)
{
  self->budget = PCQ_JOB_RELAY_BURST;
}

/**
 * pcq_job_relay_new:
 * @jobs: a #GListModel of #PcqJob in queue order (the engine's)
 * @engine: (nullable): the engine whose "job-state-changed" to follow
 */
PcqJobRelay *
pcq_job_relay_new (GListModel *jobs,
                   PcqEngine  *engine)
{
  PcqJobRelay *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (jobs), NULL);
  g_return_val_if_fail (!engine || PCQ_IS_ENGINE (engine), NULL);

  self = g_object_new (PCQ_TYPE_JOB_RELAY, NULL);
  self->jobs = g_object_ref (jobs);
  self->engine = engine ? g_object_ref (engine) : NULL;

  /* What is there already is shown at once (a restored history). */
  self->exposed = n_real (self);

  g_signal_connect_object (self->jobs, "items-changed",
                           G_CALLBACK (items_changed_cb), self, G_CONNECT_SWAPPED);
  if (engine != NULL)
    g_signal_connect_object (engine, "job-state-changed",
                             G_CALLBACK (job_state_changed_cb), self, G_CONNECT_SWAPPED);

  return self;
}
