/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pcq-closures.h"
#include "pcq-input.h"
#include "pcq-job-row.h"
#include "pcq-window-private.h"

/*
 * Dropping links and files on the window: a file that holds a list of
 * links is imported as one; links become tasks.
 *
 * Dragging a waiting task's row onto another's: the task takes that
 * place in the queue (win.move-task-to). What is dragged is the job
 * itself, within the process: nothing to parse.
 */

static gboolean
is_web_link (GFile *file)
{
  return g_file_has_uri_scheme (file, "http") || g_file_has_uri_scheme (file, "https");
}

/**
 * pcq_window_add_files:
 * @files: (array length=n_files): links (http, https) to queue, and
 *   local files to import as task lists (links, JSON Lines)
 * @output_dir: (nullable): where these go, or %NULL for the configured
 *   folder
 *
 * What the command line and drops give the window.
 */
void
pcq_window_add_files (PcqWindow   *self,
                      GFile      **files,
                      guint        n_files,
                      const char  *output_dir)
{
  g_autoptr(GPtrArray) tasks = NULL;
  guint n_rejected = 0;

  g_return_if_fail (PCQ_IS_WINDOW (self));

  if (!_pcq_window_accepts_tasks (self))
    return;

  tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) pcq_input_task_free);

  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);

      if (is_web_link (files[i]) && pcq_input_is_link (uri))
        g_ptr_array_add (tasks, pcq_input_task_new_link (uri, NULL));
      else if (g_file_is_native (files[i]))
        _pcq_window_import_file (self, files[i], output_dir);
      else
        n_rejected++;
    }

  _pcq_window_submit_tasks (self, tasks, output_dir);

  if (n_rejected > 0)
    {
      g_autofree char *message = pcq_format_rejected (n_rejected);

      _pcq_window_toast (self, message);
    }
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         PcqWindow     *self)
{
  if (!_pcq_window_accepts_tasks (self))
    return FALSE;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *list = g_value_get_boxed (value);
      g_autoptr(GPtrArray) files = g_ptr_array_new ();

      for (GSList *l = list; l != NULL; l = l->next)
        g_ptr_array_add (files, l->data);

      pcq_window_add_files (self, (GFile **) files->pdata, files->len, NULL);
      return TRUE;
    }

  if (G_VALUE_HOLDS_STRING (value))
    {
      g_autoptr(GString) rejected = g_string_new (NULL);
      const char *text = g_value_get_string (value);
      guint n_rejected;

      if (text == NULL)
        return FALSE;

      n_rejected = pcq_window_add_text (self, text, rejected);
      if (n_rejected > 0)
        {
          g_autofree char *message = pcq_format_rejected (n_rejected);
          const char *current = gtk_editable_get_text (GTK_EDITABLE (self->entry));
          g_autofree char *joined = NULL;

          /* Like the entry: what was not a link lands there, to be fixed. */
          joined = *current ? g_strconcat (current, "\n", rejected->str, NULL)
                            : g_strdup (rejected->str);
          gtk_editable_set_text (GTK_EDITABLE (self->entry), joined);
          _pcq_window_toast (self, message);
        }
      return TRUE;
    }

  return FALSE;
}

void
_pcq_window_dnd_init (PcqWindow *self)
{
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_STRING };
  GtkDropTarget *target;

  target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

/* ---- reordering rows ----------------------------------------------- */

static gboolean
row_job_waits (GtkWidget *row)
{
  PcqJob *job = pcq_job_row_get_job (PCQ_JOB_ROW (row));
  PcqJobState state = job != NULL ? pcq_job_get_state (job) : PCQ_JOB_DONE;

  return state == PCQ_JOB_QUEUED || state == PCQ_JOB_PAUSED;
}

static GdkContentProvider *
row_drag_prepare_cb (GtkDragSource *source,
                     double         x,
                     double         y,
                     GtkWidget     *row)
{
  /* Only what waits moves: running and finished rows do not drag. */
  if (!row_job_waits (row))
    return NULL;

  return gdk_content_provider_new_typed (PCQ_TYPE_JOB, pcq_job_row_get_job (PCQ_JOB_ROW (row)));
}

static void
row_drag_begin_cb (GtkDragSource *source,
                   GdkDrag       *drag,
                   GtkWidget     *row)
{
  g_autoptr(GdkPaintable) icon = gtk_widget_paintable_new (row);

  gtk_drag_source_set_icon (source, icon, 0, 0);
}

static GdkDragAction
row_drop_enter_cb (GtkDropTarget *target,
                   double         x,
                   double         y,
                   GtkWidget     *row)
{
  return row_job_waits (row) ? GDK_ACTION_MOVE : 0;
}

static gboolean
row_drop_cb (GtkDropTarget *target,
             const GValue  *value,
             double         x,
             double         y,
             GtkWidget     *row)
{
  PcqJob *dragged = g_value_get_object (value);
  PcqJob *job = pcq_job_row_get_job (PCQ_JOB_ROW (row));

  if (dragged == NULL || job == NULL || dragged == job || !row_job_waits (row))
    return FALSE;

  gtk_widget_activate_action (row, "win.move-task-to", "(tt)",
                              pcq_job_get_id (dragged), pcq_job_get_id (job));
  return TRUE;
}

/**
 * _pcq_window_dnd_init_row:
 * @row: a #PcqJobRow
 *
 * Lets @row be dragged, and dropped on, to reorder the queue.
 */
void
_pcq_window_dnd_init_row (GtkWidget *row)
{
  GtkDragSource *source = gtk_drag_source_new ();
  GtkDropTarget *target = gtk_drop_target_new (PCQ_TYPE_JOB, GDK_ACTION_MOVE);

  gtk_drag_source_set_actions (source, GDK_ACTION_MOVE);
  g_signal_connect_object (source, "prepare", G_CALLBACK (row_drag_prepare_cb), row, 0);
  g_signal_connect_object (source, "drag-begin", G_CALLBACK (row_drag_begin_cb), row, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (source));

  g_signal_connect_object (target, "enter", G_CALLBACK (row_drop_enter_cb), row, 0);
  g_signal_connect_object (target, "drop", G_CALLBACK (row_drop_cb), row, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (target));
}

