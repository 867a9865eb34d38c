/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-row-slots"

#include "config.h"

#include "pcq-row-slots.h"

#include "pcq-job-row.h"

/*
 * What the list view shows: a selection model over the window's, whose
 * items are places in the list (PcqRowSlot), each holding the job
 * shown there.
 *
 * GTK 4.8's list view keeps about 200 row widgets, and a row is made
 * for an item, never given another: when a search replaces the items
 * at the top of the list, it destroys 200 rows and builds 200 new ones,
 * at about a millisecond each, on every keystroke. Here, when the list
 * below changes items in place (some removed and some added at one
 * spot: a search, a filter, a job moved), the slots stay where they are
 * and get their new jobs; rows follow their slot's "job" and show the
 * new one. The list view hears only of the length changing at the end.
 *
 * Plain insertions and removals pass through as they are, so that the
 * list view keeps its place on the rows around them.
 *
 * Only the slots the list view asked for exist (it holds them); a slot
 * leaves the table when the last reference to it goes.
 *
 * The rows themselves (pcq_row_slots_new_factory()) are kept when the
 * list view lets go of them, and given to the next list item it makes:
 * a search that empties the list and fills it again, or a scroll,
 * builds no rows once there are enough.
 */

/* Rows kept for later: about what GTK 4.8's list view holds at once. */
#define ROW_POOL_MAX 256

/* ---- a slot -------------------------------------------------------- */

struct _PcqRowSlot
{
  GObject      parent_instance;

  PcqRowSlots *owner;     /* unowned; NULL once it left the list */
  guint        position;
  PcqJob      *job;
};

enum {
  SLOT_PROP_0,
  SLOT_PROP_JOB,
  SLOT_N_PROPS
};

static GParamSpec *slot_properties[SLOT_N_PROPS];

G_DEFINE_FINAL_TYPE (PcqRowSlot, pcq_row_slot, G_TYPE_OBJECT)

struct _PcqRowSlots
{
  GObject            parent_instance;

  GtkSelectionModel *model;
  guint              n_items;
  GHashTable        *slots;   /* position → PcqRowSlot (unowned) */
};

static void
slot_leave (PcqRowSlot *slot)
{
  if (slot->owner == NULL)
    return;

  if (g_hash_table_lookup (slot->owner->slots, GUINT_TO_POINTER (slot->position)) == slot)
    g_hash_table_remove (slot->owner->slots, GUINT_TO_POINTER (slot->position));
  slot->owner = NULL;
}

static void
pcq_row_slot_finalize (GObject *object)
{
  PcqRowSlot *self = PCQ_ROW_SLOT (object);

  slot_leave (self);
  g_clear_object (&self->job);

  G_OBJECT_CLASS (pcq_row_slot_parent_class)->finalize (object);
}

static void
pcq_row_slot_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PcqRowSlot *self = PCQ_ROW_SLOT (object);

  switch (prop_id)
    {
    case SLOT_PROP_JOB:
      g_value_set_object (value, self->job);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_row_slot_class_init (PcqRowSlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pcq_row_slot_finalize;
  object_class->get_property = pcq_row_slot_get_property;

  slot_properties[SLOT_PROP_JOB] =
    g_param_spec_object ("job", NULL, NULL, PCQ_TYPE_JOB,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, SLOT_N_PROPS, slot_properties);
}

static void
pcq_row_slot_init (PcqRowSlot *self)
{
}

/**
 * pcq_row_slot_get_job:
 *
 * Returns: (transfer none) (nullable): the job shown at this place
 */
PcqJob *
pcq_row_slot_get_job (PcqRowSlot *self)
{
  g_return_val_if_fail (PCQ_IS_ROW_SLOT (self), NULL);
  return self->job;
}

static void
slot_set_job (PcqRowSlot *self,
              PcqJob     *job)
{
  if (g_set_object (&self->job, job))
    g_object_notify_by_pspec (G_OBJECT (self), slot_properties[SLOT_PROP_JOB]);
}

/* ---- the list ------------------------------------------------------ */

static void list_model_iface_init (GListModelInterface *iface);
static void selection_model_iface_init (GtkSelectionModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PcqRowSlots, pcq_row_slots, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init)
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SELECTION_MODEL, selection_model_iface_init))

static GType
pcq_row_slots_get_item_type (GListModel *model)
{
  return PCQ_TYPE_ROW_SLOT;
}

static guint
pcq_row_slots_get_n_items (GListModel *model)
{
  return PCQ_ROW_SLOTS (model)->n_items;
}

static gpointer
pcq_row_slots_get_item (GListModel *model,
                        guint       position)
{
  PcqRowSlots *self = PCQ_ROW_SLOTS (model);
  PcqRowSlot *slot;

  if (position >= self->n_items)
    return NULL;

  slot = g_hash_table_lookup (self->slots, GUINT_TO_POINTER (position));
  if (slot != NULL)
    return g_object_ref (slot);

  slot = g_object_new (PCQ_TYPE_ROW_SLOT, NULL);
  slot->owner = self;
  slot->position = position;
  slot->job = g_list_model_get_item (G_LIST_MODEL (self->model), position);
  g_hash_table_insert (self->slots, GUINT_TO_POINTER (position), slot);

  return slot;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = pcq_row_slots_get_item_type;
  iface->get_n_items = pcq_row_slots_get_n_items;
  iface->get_item = pcq_row_slots_get_item;
}

/* The selection is the window's: asked and changed there. */
static gboolean
pcq_row_slots_is_selected (GtkSelectionModel *model,
                           guint              position)
{
  return gtk_selection_model_is_selected (PCQ_ROW_SLOTS (model)->model, position);
}

static GtkBitset *
pcq_row_slots_get_selection_in_range (GtkSelectionModel *model,
                                      guint              position,
                                      guint              n_items)
{
  return gtk_selection_model_get_selection_in_range (PCQ_ROW_SLOTS (model)->model,
                                                     position, n_items);
}

static gboolean
pcq_row_slots_set_selection (GtkSelectionModel *model,
                             GtkBitset         *selected,
                             GtkBitset         *mask)
{
  return gtk_selection_model_set_selection (PCQ_ROW_SLOTS (model)->model, selected, mask);
}

static gboolean
pcq_row_slots_select_item (GtkSelectionModel *model,
                           guint              position,
                           gboolean           unselect_rest)
{
  return gtk_selection_model_select_item (PCQ_ROW_SLOTS (model)->model, position, unselect_rest);
}

static gboolean
pcq_row_slots_unselect_item (GtkSelectionModel *model,
                             guint              position)
{
  return gtk_selection_model_unselect_item (PCQ_ROW_SLOTS (model)->model, position);
}

static gboolean
pcq_row_slots_select_range (GtkSelectionModel *model,
                            guint              position,
                            guint              n_items,
                            gboolean           unselect_rest)
{
  return gtk_selection_model_select_range (PCQ_ROW_SLOTS (model)->model, position, n_items,
                                           unselect_rest);
}

static gboolean
pcq_row_slots_unselect_range (GtkSelectionModel *model,
                              guint              position,
                              guint              n_items)
{
  return gtk_selection_model_unselect_range (PCQ_ROW_SLOTS (model)->model, position, n_items);
}

static gboolean
pcq_row_slots_select_all (GtkSelectionModel *model)
{
  return gtk_selection_model_select_all (PCQ_ROW_SLOTS (model)->model);
}

static gboolean
pcq_row_slots_unselect_all (GtkSelectionModel *model)
{
  return gtk_selection_model_unselect_all (PCQ_ROW_SLOTS (model)->model);
}

static void
selection_model_iface_init (GtkSelectionModelInterface *iface)
{
  iface->is_selected = pcq_row_slots_is_selected;
  iface->get_selection_in_range = pcq_row_slots_get_selection_in_range;
  iface->set_selection = pcq_row_slots_set_selection;
  iface->select_item = pcq_row_slots_select_item;
  iface->unselect_item = pcq_row_slots_unselect_item;
  iface->select_range = pcq_row_slots_select_range;
  iface->unselect_range = pcq_row_slots_unselect_range;
  iface->select_all = pcq_row_slots_select_all;
  iface->unselect_all = pcq_row_slots_unselect_all;
}

static void
selection_changed_cb (PcqRowSlots       *self,
                      guint              position,
                      guint              n_items,
                      GtkSelectionModel *model)
{
  gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), position, n_items);
}

/* Items at @position on are shown in place, @removed and @added
 * telling how they moved. Slots in the removed range leave, those after
 * it move by @added - @removed, or, with @in_place, stay and take the
 * job now at their place. */
static void
move_slots (PcqRowSlots *self,
            guint        position,
            guint        removed,
            guint        added,
            gboolean     in_place)
{
  g_autoptr(GPtrArray) moved = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PcqRowSlot *slot = value;

      if (slot->position < position)
        continue;

      g_hash_table_iter_remove (&iter);
      if (in_place ? slot->position >= self->n_items : slot->position < position + removed)
        slot->owner = NULL;  /* gone from the list */
      else
        g_ptr_array_add (moved, slot);
    }

  for (guint i = 0; i < moved->len; i++)
    {
      PcqRowSlot *slot = g_ptr_array_index (moved, i);

      if (!in_place)
        slot->position = slot->position + added - removed;
      g_hash_table_insert (self->slots, GUINT_TO_POINTER (slot->position), slot);
    }

  /* After the table is right: a row may ask for items as it changes. */
  if (in_place)
    for (guint i = 0; i < moved->len; i++)
      {
        PcqRowSlot *slot = g_ptr_array_index (moved, i);
        g_autoptr(PcqJob) job = g_list_model_get_item (G_LIST_MODEL (self->model), slot->position);

        slot_set_job (slot, job);
      }
}

static void
items_changed_cb (PcqRowSlots *self,
                  guint        position,
                  guint        removed,
                  guint        added,
                  GListModel  *model)
{
  guint old = self->n_items;
  guint common;

  self->n_items = g_list_model_get_n_items (model);

  if (removed == 0 || added == 0)
    {
      /* Appended (tasks coming in): no slot is after them. */
      if (position < old)
        move_slots (self, position, removed, added, FALSE);
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
      return;
    }

  /* Replaced: in place, and only the length changes, at the end. */
  move_slots (self, position, removed, added, TRUE);
  common = MIN (old, self->n_items);
  if (old != self->n_items)
    g_list_model_items_changed (G_LIST_MODEL (self), common, old - common, self->n_items - common);
  if (common > position)
    gtk_selection_model_selection_changed (GTK_SELECTION_MODEL (self), position, common - position);
}

static void
pcq_row_slots_dispose (GObject *object)
{
  PcqRowSlots *self = PCQ_ROW_SLOTS (object);

  if (self->slots != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->slots);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        ((PcqRowSlot *) value)->owner = NULL;
      g_hash_table_remove_all (self->slots);
    }
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (pcq_row_slots_parent_class)->dispose (object);
}

static void
pcq_row_slots_finalize (GObject *object)
{
  PcqRowSlots *self = PCQ_ROW_SLOTS (object);

  g_clear_pointer (&self->slots, g_hash_table_unref);

  G_OBJECT_CLASS (pcq_row_slots_parent_class)->finalize (object);
}

static void
pcq_row_slots_class_init (PcqRowSlotsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pcq_row_slots_dispose;
  object_class->finalize = pcq_row_slots_finalize;
}

static void
pcq_row_slots_init (PcqRowSlots *self)
{
  self->slots = g_hash_table_new (NULL, NULL);
}

/**
 * pcq_row_slots_new:
 * @model: the selection model whose items (#PcqJob) to show
 */
PcqRowSlots *
pcq_row_slots_new (GtkSelectionModel *model)
{
  PcqRowSlots *self;

  g_return_val_if_fail (GTK_IS_SELECTION_MODEL (model), NULL);

  self = g_object_new (PCQ_TYPE_ROW_SLOTS, NULL);
  self->model = g_object_ref (model);
  self->n_items = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_signal_connect_object (model, "items-changed",
                           G_CALLBACK (items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (model, "selection-changed",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);

  return self;
}

/* ---- the rows ------------------------------------------------------ */

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          GPtrArray                *pool)
{
  g_autoptr(GtkWidget) row = NULL;

  if (pool->len > 0)
    row = g_ptr_array_steal_index_fast (pool, pool->len - 1);
  else
    row = g_object_ref_sink (g_object_new (PCQ_TYPE_JOB_ROW, NULL));

  gtk_list_item_set_child (item, row);
  /* GTK 4.8 takes the child away before "teardown": hold on to it. */
  g_object_set_data_full (G_OBJECT (item), "pcq-row", g_steal_pointer (&row), g_object_unref);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         GPtrArray                *pool)
{
  GBinding *binding = g_object_bind_property (gtk_list_item_get_item (item), "job",
                                              gtk_list_item_get_child (item), "job",
                                              G_BINDING_SYNC_CREATE);

  g_object_set_data (G_OBJECT (item), "pcq-row-binding", binding);
}

/* The row keeps its job until it is bound again or let go of. */
static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           GPtrArray                *pool)
{
  GBinding *binding = g_object_steal_data (G_OBJECT (item), "pcq-row-binding");

  if (binding != NULL)
    g_binding_unbind (binding);
}

static void
teardown_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             GPtrArray                *pool)
{
  g_autoptr(GtkWidget) row = g_object_steal_data (G_OBJECT (item), "pcq-row");

  if (row == NULL)
    return;

  pcq_job_row_set_job (PCQ_JOB_ROW (row), NULL);
  if (gtk_list_item_get_child (item) == row)
    gtk_list_item_set_child (item, NULL);

  /* Whole (not disposed) and let go of: kept for the next item. */
  if (pool->len < ROW_POOL_MAX && gtk_widget_get_parent (row) == NULL &&
      gtk_widget_get_first_child (row) != NULL)
    g_ptr_array_add (pool, g_steal_pointer (&row));
}

/**
 * pcq_row_slots_new_factory:
 *
 * Returns: (transfer full): the factory of the rows (#PcqJobRow) of a
 *   list view over a #PcqRowSlots, each showing its slot's job
 */
GtkListItemFactory *
pcq_row_slots_new_factory (void)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GPtrArray *pool = g_ptr_array_new_with_free_func (g_object_unref);

  g_object_set_data_full (G_OBJECT (factory), "pcq-row-pool", pool,
                          (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), pool);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), pool);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), pool);
  g_signal_connect (factory, "teardown", G_CALLBACK (teardown_cb), pool);

  return factory;
}
