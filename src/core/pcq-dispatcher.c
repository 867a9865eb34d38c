/* Placeholder until the real dispatcher lands (helper branch). */
#include "config.h"
#include "pcq-dispatcher.h"
#include "pcq-main.h"

typedef struct { PcqDispatchFunc func; gpointer data; GDestroyNotify destroy; } Item;

struct _PcqDispatcher
{
  gatomicrefcount ref;
  GMainContext *context;
  GMutex lock;
  GQueue items;
  GSource *source;
  gboolean closed;
};

PcqDispatcher *
pcq_dispatcher_new (GMainContext *context, const char *name)
{
  PcqDispatcher *self = g_new0 (PcqDispatcher, 1);
  g_atomic_ref_count_init (&self->ref);
  self->context = g_main_context_ref (context);
  g_mutex_init (&self->lock);
  return self;
}

PcqDispatcher *pcq_dispatcher_ref (PcqDispatcher *self) { g_atomic_ref_count_inc (&self->ref); return self; }

void
pcq_dispatcher_unref (PcqDispatcher *self)
{
  if (!g_atomic_ref_count_dec (&self->ref))
    return;
  pcq_dispatcher_close (self);
  g_main_context_unref (self->context);
  g_free (self);
}

static gboolean
dispatch_cb (gpointer user_data)
{
  PcqDispatcher *self = user_data;
  gint64 deadline = g_get_monotonic_time () + PCQ_DISPATCH_BUDGET_US;
  for (;;)
    {
      Item *item;
      g_mutex_lock (&self->lock);
      item = g_queue_pop_head (&self->items);
      if (item == NULL)
        {
          g_clear_pointer (&self->source, g_source_unref);
          g_mutex_unlock (&self->lock);
          return G_SOURCE_REMOVE;
        }
      g_mutex_unlock (&self->lock);
      item->func (item->data);
      if (item->destroy) item->destroy (item->data);
      g_free (item);
      if (g_get_monotonic_time () > deadline)
        {
          g_source_set_priority (g_main_current_source (), PCQ_PRIORITY_RESULTS_MORE);
          return G_SOURCE_CONTINUE;
        }
    }
}

void
pcq_dispatcher_post (PcqDispatcher *self, PcqDispatchFunc func, gpointer data, GDestroyNotify destroy)
{
  Item *item = g_new (Item, 1);
  item->func = func; item->data = data; item->destroy = destroy;
  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      if (destroy) destroy (data);
      g_free (item);
      return;
    }
  g_queue_push_tail (&self->items, item);
  if (self->source == NULL)
    {
      self->source = g_idle_source_new ();
      g_source_set_priority (self->source, PCQ_PRIORITY_RESULTS);
      g_source_set_callback (self->source, dispatch_cb, self, NULL);
      g_source_attach (self->source, self->context);
    }
  g_mutex_unlock (&self->lock);
}

void pcq_dispatcher_set_budget (PcqDispatcher *self, gint64 budget_us) {}
void pcq_dispatcher_set_interval (PcqDispatcher *self, gint64 interval_us) {}

void
pcq_dispatcher_flush (PcqDispatcher *self)
{
  Item *item;
  for (;;)
    {
      g_mutex_lock (&self->lock);
      item = g_queue_pop_head (&self->items);
      g_mutex_unlock (&self->lock);
      if (item == NULL) break;
      item->func (item->data);
      if (item->destroy) item->destroy (item->data);
      g_free (item);
    }
}

void
pcq_dispatcher_close (PcqDispatcher *self)
{
  Item *item;
  g_mutex_lock (&self->lock);
  self->closed = TRUE;
  if (self->source) { g_source_destroy (self->source); g_clear_pointer (&self->source, g_source_unref); }
  while ((item = g_queue_pop_head (&self->items)))
    { if (item->destroy) item->destroy (item->data); g_free (item); }
  g_mutex_unlock (&self->lock);
}

void pcq_dispatcher_set_observer (PcqDispatchObserver observer, gpointer user_data) {}
