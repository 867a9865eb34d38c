/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-window"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pcq-window-private.h"

/*
 * Removals and cancels that can be undone: Remove from List, Delete,
 * Clear Finished, Clear Failed and Cancel hide (or pause) their tasks
 * behind one toast with Undo; the engine, and so the store, hear of
 * them only when the toast goes away.
 */

/* Removed or cancelled tasks that Undo can bring back: nothing
 * reaches the engine (and the store) until the toast goes away. */
typedef enum
{
  REMOVAL_REMOVE,  /* hidden from the list until then */
  REMOVAL_CANCEL,  /* paused until then: the part file stays */
} RemovalKind;

typedef struct
{
  PcqJob      *job;
  RemovalKind  kind;
  gulong       state_handler;
  gboolean  resume;       /* Cancel paused it: Undo resumes it */
  gboolean  seen_paused;  /* it stopped as paused since */
} RemovalEntry;

struct _PcqRemoval
{
  AdwToast    *toast;     /* weak */
  GPtrArray   *entries;   /* RemovalEntry */
  GHashTable  *hidden;    /* PcqJob set: the REMOVAL_REMOVE ones */
};

/* ---- removals that can be undone ----------------------------------- */

static void
removal_entry_free (gpointer data)
{
  RemovalEntry *entry = data;

  g_clear_signal_handler (&entry->state_handler, entry->job);
  g_object_unref (entry->job);
  g_free (entry);
}

static void
removal_free (PcqRemoval *removal)
{
  g_clear_weak_pointer (&removal->toast);
  g_ptr_array_unref (removal->entries);
  g_hash_table_unref (removal->hidden);
  g_free (removal);
}

static char *
removal_title (PcqRemoval *removal)
{
  guint n_removed = g_hash_table_size (removal->hidden);
  guint n_cancelled = removal->entries->len - n_removed;
  g_autofree char *removed = NULL;
  g_autofree char *cancelled = NULL;

  removed = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u task removed",
                                          "%u tasks removed", n_removed), n_removed);
  cancelled = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u task cancelled",
                                            "%u tasks cancelled", n_cancelled), n_cancelled);
  if (n_cancelled == 0)
    return g_steal_pointer (&removed);
  if (n_removed == 0)
    return g_steal_pointer (&cancelled);
  /* Translators: both counts, as in “2 tasks removed · 1 task cancelled” */
  return g_strdup_printf (_("%s · %s"), removed, cancelled);
}

/* A task resumed by hand while its Cancel could still be undone is the
 * user's again: the toast going away does not cancel it. */
static void
cancel_entry_state_cb (PcqJob       *job,
                       GParamSpec   *pspec,
                       RemovalEntry *entry)
{
  if (pcq_job_get_state (job) == PCQ_JOB_PAUSED)
    entry->seen_paused = TRUE;
}

static gboolean
resume_idle_cb (gpointer user_data)
{
  GPtrArray *pair = user_data;  /* engine, job */

  pcq_engine_resume_job (g_ptr_array_index (pair, 0), g_ptr_array_index (pair, 1));
  return G_SOURCE_REMOVE;
}

static void
resume_when_paused_cb (PcqJob     *job,
                       GParamSpec *pspec,
                       PcqWindow  *self)
{
  PcqJobState state = pcq_job_get_state (job);
  GPtrArray *pair;

  if (state == PCQ_JOB_ACTIVE)
    return;

  g_signal_handlers_disconnect_by_func (job, resume_when_paused_cb, self);
  if (state != PCQ_JOB_PAUSED)
    return;

  /* Not from inside the engine's own state change: it is still taking
   * the old run apart. */
  pair = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (pair, g_object_ref (self->engine));
  g_ptr_array_add (pair, g_object_ref (job));
  g_idle_add_full (G_PRIORITY_DEFAULT, resume_idle_cb, pair, (GDestroyNotify) g_ptr_array_unref);
}

static void
undo_cancel (PcqWindow    *self,
             RemovalEntry *entry)
{
  if (!entry->resume)
    return;

  /* Undo came before the worker stopped: resume it once it has. */
  if (pcq_job_get_state (entry->job) == PCQ_JOB_ACTIVE && !entry->seen_paused)
    g_signal_connect_object (entry->job, "notify::state",
                             G_CALLBACK (resume_when_paused_cb), self, 0);
  else
    pcq_engine_resume_job (self->engine, entry->job);
}

static void
commit_cancel (PcqWindow    *self,
               RemovalEntry *entry)
{
  PcqJobState state = pcq_job_get_state (entry->job);

  /* Still pausing, or paused: cancelled for real, the part removed. */
  if (state == PCQ_JOB_PAUSED ||
      ((state == PCQ_JOB_ACTIVE || state == PCQ_JOB_QUEUED) && !entry->seen_paused))
    pcq_engine_cancel (self->engine, entry->job);
}

/* Takes the removal off the window before acting: the engine's changes
 * refilter the list, and the toast's "dismissed" must find nothing. */
static PcqRemoval *
steal_removal (PcqWindow *self)
{
  PcqRemoval *removal = g_steal_pointer (&self->removal);

  if (removal != NULL && g_hash_table_size (removal->hidden) > 0)
    {
      _pcq_window_update_filter (self);
      _pcq_window_update_counts (self);
    }
  return removal;
}

/* Undo, or the toast gone: the removals and cancels are taken back, or
 * reach the engine. */
static void
end_removal (PcqWindow *self,
             gboolean   undo)
{
  PcqRemoval *removal = steal_removal (self);

  if (removal == NULL)
    return;

  for (guint i = 0; i < removal->entries->len; i++)
    {
      RemovalEntry *entry = g_ptr_array_index (removal->entries, i);

      if (entry->kind == REMOVAL_CANCEL && undo)
        undo_cancel (self, entry);
      else if (entry->kind == REMOVAL_CANCEL)
        commit_cancel (self, entry);
      else if (!undo)
        pcq_engine_remove (self->engine, entry->job);
    }
  removal_free (removal);
}

/* The toast is left alone: libadwaita 1.2 frees a toast dismissed
 * while it still slides in (its show animation outlives the hide one)
 * and then crashes; its Undo does nothing once this has run. */
void
_pcq_window_commit_removal (PcqWindow *self)
{
  end_removal (self, FALSE);
}

static void
undo_removal (PcqWindow *self)
{
  end_removal (self, TRUE);
}

static void
removal_toast_undo_cb (AdwToast  *toast,
                       PcqWindow *self)
{
  if (self->removal != NULL && self->removal->toast == toast)
    undo_removal (self);
}

static void
removal_toast_dismissed_cb (AdwToast  *toast,
                            PcqWindow *self)
{
  if (self->removal != NULL && self->removal->toast == toast)
    _pcq_window_commit_removal (self);
}

/* One toast at a time, its count growing with each removal or cancel
 * while it is up: toasts queue behind each other, and an Undo waiting
 * behind another toast would hold its tasks back for nothing. Undo
 * takes back everything the toast counts. */
static PcqRemoval *
begin_removal (PcqWindow *self)
{
  PcqRemoval *removal;

  if (self->removal != NULL && self->removal->toast != NULL)
    return self->removal;

  /* Its toast is gone without a "dismissed" (never, but be safe). */
  _pcq_window_commit_removal (self);

  removal = g_new0 (PcqRemoval, 1);
  removal->entries = g_ptr_array_new_with_free_func (removal_entry_free);
  removal->hidden = g_hash_table_new (NULL, NULL);
  self->removal = removal;
  return removal;
}

static void
show_removal (PcqWindow *self)
{
  PcqRemoval *removal = self->removal;
  g_autofree char *title = removal_title (removal);
  AdwToast *toast;

  _pcq_window_update_filter (self);
  _pcq_window_update_counts (self);

  g_free (self->last_toast);
  self->last_toast = g_strdup (title);

  if (removal->toast != NULL)
    {
      adw_toast_set_title (removal->toast, title);
      /* Added again: its time starts again (the overlay takes a ref). */
      adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (removal->toast));
      return;
    }

  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_timeout (toast, 10);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (removal_toast_undo_cb), self, 0);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (removal_toast_dismissed_cb), self, 0);
  g_set_weak_pointer (&removal->toast, toast);
  g_set_weak_pointer (&self->last_toast_object, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static RemovalEntry *
removal_find (PcqRemoval *removal,
              PcqJob  *job)
{
  for (guint i = 0; i < removal->entries->len; i++)
    if (((RemovalEntry *) g_ptr_array_index (removal->entries, i))->job == job)
      return g_ptr_array_index (removal->entries, i);
  return NULL;
}

static RemovalEntry *
removal_add (PcqRemoval     *removal,
             PcqJob      *job,
             RemovalKind  kind)
{
  RemovalEntry *entry = g_new0 (RemovalEntry, 1);

  entry->job = g_object_ref (job);
  entry->kind = kind;
  g_ptr_array_add (removal->entries, entry);
  if (kind == REMOVAL_REMOVE)
    g_hash_table_add (removal->hidden, job);
  return entry;
}

/**
 * _pcq_window_remove_jobs:
 * @jobs: (element-type PcqJob): what to take off the list
 *
 * Hides @jobs from the list at once; the engine and the store forget
 * them when the toast goes away, unless Undo is pressed.
 *
 * Returns: how many were not already on their way out
 */
guint
_pcq_window_remove_jobs (PcqWindow *self,
                         GPtrArray *jobs)
{
  PcqRemoval *removal;
  guint n_added = 0;

  g_return_val_if_fail (PCQ_IS_WINDOW (self), 0);

  removal = begin_removal (self);
  for (guint i = 0; i < jobs->len; i++)
    {
      PcqJob *job = g_ptr_array_index (jobs, i);
      RemovalEntry *entry = removal_find (removal, job);

      if (entry != NULL && entry->kind == REMOVAL_REMOVE)
        continue;
      if (entry != NULL)
        {
          /* Cancelled, then removed: both, when the toast goes. */
          entry->kind = REMOVAL_REMOVE;
          g_hash_table_add (removal->hidden, job);
        }
      else
        removal_add (removal, job, REMOVAL_REMOVE);
      n_added++;
    }

  if (removal->entries->len == 0)
    removal_free (steal_removal (self));
  else
    show_removal (self);

  return n_added;
}

/**
 * _pcq_window_cancel_job:
 *
 * Stops @job at once, as a pause does (its part file stays), and
 * cancels it for real when the toast goes away; Undo resumes it.
 *
 * Returns: %FALSE if there was nothing to cancel
 */
gboolean
_pcq_window_cancel_job (PcqWindow *self,
                        PcqJob    *job)
{
  PcqJobState state = pcq_job_get_state (job);
  RemovalEntry *entry;
  gboolean resume;

  g_return_val_if_fail (PCQ_IS_WINDOW (self), FALSE);

  if (state != PCQ_JOB_QUEUED && state != PCQ_JOB_ACTIVE && state != PCQ_JOB_PAUSED)
    return FALSE;
  if (self->removal != NULL && removal_find (self->removal, job) != NULL)
    return FALSE;

  resume = state != PCQ_JOB_PAUSED && pcq_engine_pause_job (self->engine, job);
  if (state != PCQ_JOB_PAUSED && !resume)
    {
      /* It cannot pause (it is stopping already): no Undo for it. */
      pcq_engine_cancel (self->engine, job);
      return TRUE;
    }

  entry = removal_add (begin_removal (self), job, REMOVAL_CANCEL);
  entry->resume = resume;
  /* A queued task pauses at once; a running one when its worker stops. */
  entry->seen_paused = pcq_job_get_state (job) == PCQ_JOB_PAUSED;
  if (resume)
    entry->state_handler = g_signal_connect (job, "notify::state",
                                             G_CALLBACK (cancel_entry_state_cb), entry);
  show_removal (self);
  return TRUE;
}

/**
 * _pcq_window_count_hidden:
 * @hidden: (out caller-allocates) (optional): the hidden tasks of each state
 *
 * Returns: how many tasks are hidden until their toast goes away
 */
guint
_pcq_window_count_hidden (PcqWindow *self,
                          guint      hidden[PCQ_JOB_PAUSED + 1])
{
  GHashTableIter iter;
  gpointer job;

  if (hidden != NULL)
    memset (hidden, 0, sizeof (guint) * (PCQ_JOB_PAUSED + 1));
  if (self->removal == NULL)
    return 0;

  if (hidden != NULL)
    {
      g_hash_table_iter_init (&iter, self->removal->hidden);
      while (g_hash_table_iter_next (&iter, &job, NULL))
        hidden[pcq_job_get_state (job)]++;
    }

  return g_hash_table_size (self->removal->hidden);
}

/* Returns: whether @job is hidden until its toast goes away */
gboolean
_pcq_window_hides (PcqWindow *self,
                   PcqJob    *job)
{
  return self->removal != NULL && g_hash_table_contains (self->removal->hidden, job);
}

/* Returns: whether @job is removed or cancelled behind the toast */
gboolean
_pcq_window_is_removing (PcqWindow *self,
                         PcqJob    *job)
{
  return self->removal != NULL && removal_find (self->removal, job) != NULL;
}
