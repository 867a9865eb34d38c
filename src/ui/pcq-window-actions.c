/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pcq-job-row.h"
#include "pcq-window-private.h"

/*
 * The window's actions: what the menus, buttons and shortcuts do. Each
 * is one call to the engine or to another part of the window; which of
 * them can be used now is decided in one place,
 * _pcq_window_actions_update().
 */

static void
download_on_metered_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  _pcq_window_allow_metered (PCQ_WINDOW (widget));
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  _pcq_window_add_from_entry (PCQ_WINDOW (widget));
}

static void
import_response_cb (PcqWindow       *self,
                    int              response,
                    GtkNativeDialog *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL && _pcq_window_accepts_tasks (self))
        _pcq_window_import_file (self, file, NULL);
    }

  g_clear_object (&self->import_chooser);
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(GtkFileFilter) lists = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileChooserNative *chooser;

  if (self->import_chooser != NULL)
    {
      gtk_native_dialog_show (self->import_chooser);
      return;
    }

  chooser = gtk_file_chooser_native_new (_("Import a List of Links"),
                                         GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Import"),
                                         _("_Cancel"));

  gtk_file_filter_set_name (lists, _("Link Lists and JSON Lines"));
  gtk_file_filter_add_mime_type (lists, "text/plain");
  gtk_file_filter_add_suffix (lists, "txt");
  gtk_file_filter_add_suffix (lists, "list");
  gtk_file_filter_add_suffix (lists, "jsonl");
  gtk_file_filter_add_suffix (lists, "ndjson");
  gtk_file_filter_add_suffix (lists, "json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), lists);

  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (import_response_cb),
                           self, G_CONNECT_SWAPPED);

  self->import_chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->import_chooser);
}

/* ---- the list ------------------------------------------------------ */

static PcqJob *
dup_selected_job (PcqWindow *self,
                  guint     *position)
{
  guint selected = gtk_single_selection_get_selected (self->selection);

  if (selected == GTK_INVALID_LIST_POSITION)
    return NULL;

  if (position != NULL)
    *position = selected;

  return g_list_model_get_item (G_LIST_MODEL (self->selection), selected);
}

static void
remove_selected_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(PcqJob) job = NULL;
  guint position = 0;
  guint n_items;

  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();

  job = dup_selected_job (self, &position);
  if (job == NULL || !pcq_job_is_finished (job))
    {
      gtk_widget_error_bell (widget);
      return;
    }

  g_ptr_array_add (jobs, job);
  _pcq_window_remove_jobs (self, jobs);

  /* Keep the keyboard where it was: on the next task. */
  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  if (n_items > 0)
    {
      position = MIN (position, n_items - 1);
      gtk_single_selection_set_selected (self->selection, position);
      gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
    }
}

/* Pause or resume the selected task, whichever it needs: one key for
 * both, as a play/pause key. */
static void
pause_selected_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(PcqJob) job = dup_selected_job (self, NULL);
  gboolean changed = FALSE;

  if (job != NULL && pcq_job_get_state (job) == PCQ_JOB_PAUSED)
    changed = pcq_engine_resume_job (self->engine, job);
  else if (job != NULL)
    changed = pcq_engine_pause_job (self->engine, job);

  if (!changed)
    gtk_widget_error_bell (widget);
}

/* ---- the order of the queue ---------------------------------------- */

static const struct
{
  const char *name;      /* win.move-selected's parameter */
  const char *action;    /* the rows' action */
  PcqMove     where;
} moves[] = {
  { "top", "win.move-task-top", PCQ_MOVE_TOP },
  { "up", "win.move-task-up", PCQ_MOVE_UP },
  { "down", "win.move-task-down", PCQ_MOVE_DOWN },
  { "bottom", "win.move-task-bottom", PCQ_MOVE_BOTTOM },
};

static gboolean
focus_if_shows (PcqJobRow     *row,
                GtkWidget     *item,
                gconstpointer  job)
{
  return pcq_job_row_get_job (row) == job && gtk_widget_grab_focus (item);
}

/* The list item that shows @job takes the focus (GTK 4.8's list view
 * would give it back to the item it had, which a move replaced). */
static void
focus_row (PcqWindow *self,
           PcqJob    *job)
{
  if (_pcq_window_find_row (self, focus_if_shows, job) == NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static gboolean
shown_at (GListModel *model,
          gint64      position,
          PcqJob     *job)
{
  g_autoptr(PcqJob) item = NULL;

  if (position < 0 || position >= g_list_model_get_n_items (model))
    return FALSE;

  item = g_list_model_get_item (model, position);
  return item == job;
}

/* The row of @job, if shown: selected, scrolled to and focused, so
 * that the next key moves it on. It is looked for from @near outwards:
 * a job moved one place is found at once in a long list. */
static void
select_job (PcqWindow *self,
            PcqJob    *job,
            guint      near)
{
  GListModel *model = G_LIST_MODEL (self->selection);
  gint64 n_items = g_list_model_get_n_items (model);

  for (gint64 d = 0; d <= n_items; d++)
    {
      gint64 found = shown_at (model, (gint64) near - d, job) ? (gint64) near - d
                   : shown_at (model, (gint64) near + d, job) ? (gint64) near + d
                   : -1;

      if (found >= 0)
        {
          gtk_single_selection_set_selected (self->selection, found);
          gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                                      (guint) found);
          focus_row (self, job);
          return;
        }
    }
}

/* The waiting task shown next to @job going by @step (a filter or a
 * search may hide the ones between), or NULL. */
static PcqJob *
shown_neighbour (PcqWindow *self,
                 PcqJob    *job,
                 int        step)
{
  GListModel *shown = G_LIST_MODEL (self->selection);
  gint64 n_items = g_list_model_get_n_items (shown);
  gint64 at = -1;

  for (gint64 i = 0; i < n_items && at < 0; i++)
    {
      g_autoptr(PcqJob) item = g_list_model_get_item (shown, i);

      if (item == job)
        at = i;
    }

  for (gint64 i = at + step; at >= 0 && i >= 0 && i < n_items; i += step)
    {
      g_autoptr(PcqJob) item = g_list_model_get_item (shown, i);
      PcqJobState state = pcq_job_get_state (item);

      if (state == PCQ_JOB_QUEUED || state == PCQ_JOB_PAUSED)
        return item;  /* the list keeps it */
    }

  return NULL;
}

/* Moves @job in the queue (see pcq_engine_move_job()); a bell if it
 * cannot go there. Up and Down go past the tasks the list hides: the
 * task trades places with the next waiting one shown, so that a press
 * never seems to do nothing. */
static gboolean
move_job (PcqWindow *self,
          PcqJob    *job,
          PcqMove    where)
{
  gboolean moved;

  if (where == PCQ_MOVE_UP || where == PCQ_MOVE_DOWN)
    {
      PcqJob *other = shown_neighbour (self, job, where == PCQ_MOVE_UP ? -1 : +1);

      moved = other != NULL && pcq_engine_move_job_to (self->engine, job, other);
    }
  else
    moved = pcq_engine_move_job (self->engine, job, where);

  if (!moved)
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return FALSE;
    }

  return TRUE;
}

/* Alt+Up, Alt+Down, Alt+Home, Alt+End on the list: the selected (the
 * focused) task moves, and stays selected. */
static void
move_selected_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  guint position = 0;
  g_autoptr(PcqJob) job = dup_selected_job (self, &position);
  const char *name = g_variant_get_string (param, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (moves); i++)
    {
      guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->selection));

      if (!g_str_equal (name, moves[i].name))
        continue;

      if (job == NULL)
        gtk_widget_error_bell (widget);
      else if (move_job (self, job, moves[i].where))
        select_job (self, job,
                    moves[i].where == PCQ_MOVE_TOP ? 0
                    : moves[i].where == PCQ_MOVE_BOTTOM ? MAX (n_items, 1) - 1
                    : position);
      return;
    }

  g_warning ("No such move: %s", name);
}

static void
move_task_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  PcqJob *job = pcq_engine_lookup_job (self->engine, g_variant_get_uint64 (param));

  if (job == NULL)
    {
      gtk_widget_error_bell (widget);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (moves); i++)
    if (g_str_equal (action_name, moves[i].action))
      move_job (self, job, moves[i].where);
}

/* Drag and drop: the first task takes the second's place. */
static void
move_task_to_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  guint64 id, other_id;
  PcqJob *job, *other;

  g_variant_get (param, "(tt)", &id, &other_id);
  job = pcq_engine_lookup_job (self->engine, id);
  other = pcq_engine_lookup_job (self->engine, other_id);
  if (job == NULL || other == NULL || !pcq_engine_move_job_to (self->engine, job, other))
    gtk_widget_error_bell (widget);
}

static void
row_menu_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (widget));

  for (GtkWidget *w = focus; w != NULL; w = gtk_widget_get_parent (w))
    {
      if (PCQ_IS_JOB_ROW (w))
        {
          pcq_job_row_popup_menu (PCQ_JOB_ROW (w));
          return;
        }
    }

  /* The focus is on the list item that holds the row. */
  if (focus != NULL && PCQ_IS_JOB_ROW (gtk_widget_get_first_child (focus)))
    pcq_job_row_popup_menu (PCQ_JOB_ROW (gtk_widget_get_first_child (focus)));
}

/* Clear Finished, Clear Failed: every task in either state, at once. */
static guint
remove_in_states (PcqWindow   *self,
                  PcqJobState  state1,
                  PcqJobState  state2)
{
  GListModel *model = pcq_engine_get_jobs (self->engine);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (model, i);
      PcqJobState state = pcq_job_get_state (job);

      if (state == state1 || state == state2)
        g_ptr_array_add (jobs, g_steal_pointer (&job));
    }

  if (jobs->len == 0)
    return 0;
  return _pcq_window_remove_jobs (self, jobs);
}

static void
clear_finished_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);

  if (remove_in_states (self, PCQ_JOB_DONE, PCQ_JOB_DONE) == 0)
    gtk_widget_error_bell (widget);
}

static void
clear_failed_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);

  if (remove_in_states (self, PCQ_JOB_FAILED, PCQ_JOB_CANCELLED) == 0)
    gtk_widget_error_bell (widget);
}

static void
retry_failed_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  GListModel *model = pcq_engine_get_jobs (self->engine);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);

  /* Gathered first: a retry changes the counts, and the list with them. */
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (model, i);
      PcqJobState state = pcq_job_get_state (job);

      if ((state == PCQ_JOB_FAILED || state == PCQ_JOB_CANCELLED) &&
          !_pcq_window_is_removing (self, job))
        g_ptr_array_add (jobs, g_steal_pointer (&job));
    }

  if (_pcq_window_retry_jobs (self, (PcqJob **) jobs->pdata, jobs->len) == 0)
    gtk_widget_error_bell (widget);
}

static void
cancel_selected_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(PcqJob) job = dup_selected_job (self, NULL);

  if (job == NULL || !_pcq_window_cancel_job (self, job))
    gtk_widget_error_bell (widget);
}

static void
retry_selected_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(PcqJob) job = dup_selected_job (self, NULL);

  if (job == NULL || _pcq_window_filter_for_state (pcq_job_get_state (job)) != FILTER_FAILED)
    {
      gtk_widget_error_bell (widget);
      return;
    }

  _pcq_window_retry_job (self, job);
}

static void
focus_entry_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);

  gtk_widget_grab_focus (_pcq_window_get_input (self));
}

static void
keep_open_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  _pcq_window_keep_open (PCQ_WINDOW (widget));
}

static void
stop_now_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  _pcq_window_begin_shutdown (PCQ_WINDOW (widget), PCQ_SHUTDOWN_FORCE);
}

/* Ctrl+F: the search bar, its entry focused. */
static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* ---- one task, named by its id (the rows' actions) ----------------- */

static PcqJob *
job_for (PcqWindow *self,
         GVariant  *param)
{
  PcqJob *job = pcq_engine_lookup_job (self->engine, g_variant_get_uint64 (param));

  if (job == NULL)
    gtk_widget_error_bell (GTK_WIDGET (self));

  return job;
}

static void
task_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  PcqJob *job = job_for (self, param);

  if (job == NULL)
    return;

  if (g_str_equal (action_name, "win.pause-task"))
    pcq_engine_pause_job (self->engine, job);
  else if (g_str_equal (action_name, "win.resume-task"))
    pcq_engine_resume_job (self->engine, job);
  else if (g_str_equal (action_name, "win.cancel-task"))
    _pcq_window_cancel_job (self, job);
  else if (g_str_equal (action_name, "win.retry-task"))
    _pcq_window_retry_job (self, job);
  else if (g_str_equal (action_name, "win.retry-task-now"))
    pcq_engine_retry_now (self->engine, job);
  else if (g_str_equal (action_name, "win.open-task"))
    _pcq_window_open_job (self, job, FALSE);
  else if (g_str_equal (action_name, "win.show-task-in-folder"))
    _pcq_window_open_job (self, job, TRUE);
  else if (g_str_equal (action_name, "win.show-answer"))
    _pcq_window_show_answer (self, job);
  else if (g_str_equal (action_name, "win.show-details"))
    _pcq_window_show_details (self, job);
  else if (g_str_equal (action_name, "win.remove-task"))
    {
      g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);

      /* Hiding it unbinds its row: held until done. */
      g_ptr_array_add (jobs, g_object_ref (job));
      _pcq_window_remove_jobs (self, jobs);
    }
  else
    g_assert_not_reached ();
}

/**
 * _pcq_window_actions_update:
 *
 * Enables each action that can do something now, and disables the
 * others: the one place that decides it, called when the counts change
 * and when the window starts to close.
 */
void
_pcq_window_actions_update (PcqWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  guint hidden[PCQ_JOB_PAUSED + 1];
  guint n_done, n_failed;
  gboolean accepting = !self->refusing_tasks;

  if (self->engine == NULL)
    return;  /* still being made */

  _pcq_window_count_hidden (self, hidden);
  n_done = pcq_engine_get_n_done (self->engine) - hidden[PCQ_JOB_DONE];
  n_failed = pcq_engine_get_n_failed (self->engine) - hidden[PCQ_JOB_FAILED] +
             pcq_engine_get_n_cancelled (self->engine) - hidden[PCQ_JOB_CANCELLED];

  gtk_widget_action_set_enabled (widget, "win.add", accepting && _pcq_window_has_input (self));
  gtk_widget_action_set_enabled (widget, "win.import", accepting);
  gtk_widget_action_set_enabled (widget, "win.clear-finished", n_done > 0);
  gtk_widget_action_set_enabled (widget, "win.retry-failed", n_failed > 0);
  gtk_widget_action_set_enabled (widget, "win.clear-failed", n_failed > 0);
  gtk_widget_action_set_enabled (widget, "win.start-now", pcq_engine_get_start_at (self->engine) != 0);
}

void
_pcq_window_class_init_actions (GtkWidgetClass *widget_class)
{
  const char * const task_actions[] = {
    "win.pause-task", "win.resume-task", "win.cancel-task", "win.retry-task",
    "win.retry-task-now", "win.open-task", "win.show-task-in-folder", "win.remove-task",
    "win.show-answer", "win.show-details",
  };

  for (guint i = 0; i < G_N_ELEMENTS (task_actions); i++)
    gtk_widget_class_install_action (widget_class, task_actions[i], "t", task_action);
  for (guint i = 0; i < G_N_ELEMENTS (moves); i++)
    gtk_widget_class_install_action (widget_class, moves[i].action, "t", move_task_action);
  gtk_widget_class_install_action (widget_class, "win.move-task-to", "(tt)", move_task_to_action);
  gtk_widget_class_install_action (widget_class, "win.move-selected", "s", move_selected_action);
  gtk_widget_class_install_action (widget_class, "win.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "win.clear-finished", NULL, clear_finished_action);
  gtk_widget_class_install_action (widget_class, "win.focus-entry", NULL, focus_entry_action);
  gtk_widget_class_install_action (widget_class, "win.remove-selected", NULL, remove_selected_action);
  gtk_widget_class_install_action (widget_class, "win.clear-failed", NULL, clear_failed_action);
  gtk_widget_class_install_action (widget_class, "win.retry-failed", NULL, retry_failed_action);
  gtk_widget_class_install_action (widget_class, "win.row-menu", NULL, row_menu_action);
  gtk_widget_class_install_action (widget_class, "win.pause-selected", NULL, pause_selected_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-selected", NULL, cancel_selected_action);
  gtk_widget_class_install_action (widget_class, "win.retry-selected", NULL, retry_selected_action);
  gtk_widget_class_install_action (widget_class, "win.stop-now", NULL, stop_now_action);
  gtk_widget_class_install_action (widget_class, "win.keep-open", NULL, keep_open_action);
  gtk_widget_class_install_action (widget_class, "win.download-on-metered", NULL,
                                   download_on_metered_action);
}
