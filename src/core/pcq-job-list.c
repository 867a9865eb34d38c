/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-job-list"

#include <stdlib.h>

#include "pcq-job-list.h"

struct _PcqJobList
{
  GObject    parent_instance;
  GPtrArray *items;
};

static GType
pcq_job_list_get_item_type (GListModel *model)
{
  return PCQ_TYPE_JOB;
}

static guint
pcq_job_list_get_n_items (GListModel *model)
{
  return PCQ_JOB_LIST (model)->items->len;
}

static gpointer
pcq_job_list_get_item (GListModel *model,
                       guint       position)
{
  PcqJobList *self = PCQ_JOB_LIST (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = pcq_job_list_get_item_type;
  iface->get_n_items = pcq_job_list_get_n_items;
  iface->get_item = pcq_job_list_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (PcqJobList, pcq_job_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
pcq_job_list_finalize (GObject *object)
{
  PcqJobList *self = (PcqJobList *)object;

  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (pcq_job_list_parent_class)->finalize (object);
}

static void
pcq_job_list_class_init (PcqJobListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pcq_job_list_finalize;
}

static void
pcq_job_list_init (PcqJobList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

PcqJobList *
pcq_job_list_new (void)
{
  return g_object_new (PCQ_TYPE_JOB_LIST, NULL);
}

void
pcq_job_list_append (PcqJobList *self,
                     PcqJob     *job)
{
  g_return_if_fail (PCQ_IS_JOB_LIST (self));
  g_return_if_fail (PCQ_IS_JOB (job));

  g_ptr_array_add (self->items, g_object_ref (job));
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
}

/**
 * pcq_job_list_append_many:
 * @jobs: (element-type PcqJob): jobs to add, with one ::items-changed
 */
void
pcq_job_list_append_many (PcqJobList *self,
                          GPtrArray  *jobs)
{
  guint position;

  g_return_if_fail (PCQ_IS_JOB_LIST (self));
  g_return_if_fail (jobs != NULL);

  if (jobs->len == 0)
    return;

  position = self->items->len;
  for (guint i = 0; i < jobs->len; i++)
    g_ptr_array_add (self->items, g_object_ref (g_ptr_array_index (jobs, i)));
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, jobs->len);
}

gboolean
pcq_job_list_remove (PcqJobList *self,
                     PcqJob     *job)
{
  guint position;

  g_return_val_if_fail (PCQ_IS_JOB_LIST (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);

  if (!g_ptr_array_find (self->items, job, &position))
    return FALSE;

  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  return TRUE;
}

/**
 * pcq_job_list_remove_all:
 * @func: returns %TRUE for each job (the key) to remove
 *
 * Removes every job @func selects with one ::items-changed.
 *
 * Returns: how many jobs were removed
 */
guint
pcq_job_list_remove_all (PcqJobList *self,
                         GHRFunc     func,
                         gpointer    user_data)
{
  g_autoptr(GPtrArray) kept = NULL;
  guint old_len;
  guint first = G_MAXUINT;

  g_return_val_if_fail (PCQ_IS_JOB_LIST (self), 0);

  old_len = self->items->len;
  kept = g_ptr_array_new_full (old_len, g_object_unref);
  for (guint i = 0; i < old_len; i++)
    {
      PcqJob *job = g_ptr_array_index (self->items, i);

      if (func (job, NULL, user_data))
        first = MIN (first, i);
      else
        g_ptr_array_add (kept, g_object_ref (job));
    }

  if (first == G_MAXUINT)
    return 0;

  g_clear_pointer (&self->items, g_ptr_array_unref);
  self->items = g_steal_pointer (&kept);
  g_list_model_items_changed (G_LIST_MODEL (self), first, old_len - first, self->items->len - first);

  return old_len - self->items->len;
}

/**
 * pcq_job_list_find:
 * @position: (out): where @job is
 *
 * The list is sorted by pcq_job_get_position(): a binary search finds
 * @job (a linear scan should that ever not hold).
 *
 * Returns: whether @job is in the list
 */
gboolean
pcq_job_list_find (PcqJobList *self,
                   PcqJob     *job,
                   guint      *position)
{
  gint64 key;
  guint lo = 0;
  guint hi;

  g_return_val_if_fail (PCQ_IS_JOB_LIST (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);

  key = pcq_job_get_position (job);
  hi = self->items->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      PcqJob *item = g_ptr_array_index (self->items, mid);

      if (item == job)
        {
          *position = mid;
          return TRUE;
        }

      if (pcq_job_get_position (item) < key)
        lo = mid + 1;
      else
        hi = mid;
    }

  return g_ptr_array_find (self->items, job, position);
}

static gint
compare_position (gconstpointer a,
                  gconstpointer b)
{
  gint64 pa = pcq_job_get_position (*(PcqJob **) a);
  gint64 pb = pcq_job_get_position (*(PcqJob **) b);

  return pa < pb ? -1 : pa > pb;
}

/**
 * pcq_job_list_sort_range:
 * @first: the first item whose job may have a new position
 * @last: the last one
 *
 * Puts the items from @first to @last in order again after their jobs'
 * positions changed among themselves, with one ::items-changed.
 */
void
pcq_job_list_sort_range (PcqJobList *self,
                         guint       first,
                         guint       last)
{
  g_return_if_fail (PCQ_IS_JOB_LIST (self));
  g_return_if_fail (first <= last && last < self->items->len);

  qsort (self->items->pdata + first, last - first + 1, sizeof (gpointer), compare_position);
  g_list_model_items_changed (G_LIST_MODEL (self), first, last - first + 1, last - first + 1);
}

/**
 * pcq_job_list_move:
 * @from: the item to move
 * @to: where it goes
 *
 * Moves one item, as one removal and one insertion: a list view keeps
 * every other row as it is.
 */
void
pcq_job_list_move (PcqJobList *self,
                   guint       from,
                   guint       to)
{
  PcqJob *job;

  g_return_if_fail (PCQ_IS_JOB_LIST (self));
  g_return_if_fail (from < self->items->len && to < self->items->len);

  if (from == to)
    return;

  job = g_ptr_array_steal_index (self->items, from);
  g_list_model_items_changed (G_LIST_MODEL (self), from, 1, 0);
  g_ptr_array_insert (self->items, to, job);
  g_list_model_items_changed (G_LIST_MODEL (self), to, 0, 1);
}

/**
 * pcq_job_list_move_to_end:
 * @position: the item to move
 *
 * Moves one item to the end (its job now has the last position).
 */
void
pcq_job_list_move_to_end (PcqJobList *self,
                          guint       position)
{
  g_return_if_fail (PCQ_IS_JOB_LIST (self));
  g_return_if_fail (position < self->items->len);

  pcq_job_list_move (self, position, self->items->len - 1);
}
