/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pcq-closures.h"
#include "pcq-report.h"
#include "pcq-window-private.h"

/* What happened to a task: its details (the report's fields, as text),
 * and Export Report… for all of them (JSON Lines, as headless
 * --report writes). */

static const char *
kind_label (PcqJobKind kind)
{
  switch (kind)
    {
    case PCQ_JOB_ASK:
      return _("Prompt");
    case PCQ_JOB_BATCH:
      return _("Batch request");
    case PCQ_JOB_DOWNLOAD:
    default:
      return _("Download");
    }
}

static char *
local_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = NULL;

  if (unix_seconds <= 0 || (time = g_date_time_new_from_unix_local (unix_seconds)) == NULL)
    return NULL;

  return g_date_time_format (time, "%x %X");
}

static void
add_row (AdwPreferencesGroup *group,
         const char          *title,
         const char          *value)
{
  GtkWidget *row;
  g_autofree char *valid = NULL;
  g_autofree char *escaped = NULL;

  if (value == NULL || *value == '\0')
    return;

  /* Rows read markup: a link with "&" is text. */
  valid = g_utf8_make_valid (value, -1);
  escaped = g_markup_escape_text (valid, -1);
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped);
  gtk_widget_add_css_class (row, "property");
  adw_preferences_group_add (group, row);
}

static void
copy_clicked_cb (GtkButton *button,
                 PcqJob    *job)
{
  g_autofree char *line = pcq_report_line (job);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), line);
}

/**
 * _pcq_window_show_details:
 *
 * Shows what happened to @job, field by field, with a button that
 * copies its report line.
 */
GtkWindow *
_pcq_window_show_details (PcqWindow *self,
                          PcqJob    *job)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  GtkWidget *page = adw_preferences_page_new ();
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  g_autofree char *url = pcq_report_url (pcq_job_get_url (job));
  g_autofree char *status = NULL;
  g_autofree char *size = NULL;
  g_autofree char *attempts = NULL;
  g_autofree char *started = local_time (pcq_job_get_started (job));
  g_autofree char *finished = local_time (pcq_job_get_finished (job));
  g_autofree char *tokens = NULL;
  PcqJobKind kind = pcq_job_get_kind (job);

  gtk_window_set_title (GTK_WINDOW (window), _("Task Details"));
  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (self));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 520, 600);

  gtk_widget_set_tooltip_text (copy, _("Copy as JSON"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Copy as JSON"), -1);
  g_signal_connect_object (copy, "clicked", G_CALLBACK (copy_clicked_cb), job, 0);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), copy);

  if (pcq_job_get_http_status (job) != 0)
    status = g_strdup_printf ("%u", pcq_job_get_http_status (job));
  if (pcq_job_get_bytes (job) > 0 || pcq_job_is_finished (job))
    {
      g_autofree char *human = g_format_size (pcq_job_get_bytes (job));
      g_autofree char *bytes = g_strdup_printf ("%" G_GINT64_FORMAT, pcq_job_get_bytes (job));

      /* Translators: a size, then its bytes: “4.2 MB (4200000 bytes)” */
      size = g_strdup_printf (_("%s (%s bytes)"), human, bytes);
    }
  attempts = g_strdup_printf ("%u", pcq_job_get_attempts (job));
  if (pcq_job_get_prompt_tokens (job) >= 0 || pcq_job_get_completion_tokens (job) >= 0)
    {
      g_autofree char *in = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (pcq_job_get_prompt_tokens (job), 0));
      g_autofree char *out = g_strdup_printf ("%" G_GINT64_FORMAT,
                                              MAX (pcq_job_get_completion_tokens (job), 0));

      /* Translators: tokens as the server counted them: “120 for the prompt, 350 for the answer” */
      tokens = g_strdup_printf (_("%s for the prompt, %s for the answer"), in, out);
    }

  add_row (group, _("Kind"), kind_label (kind));
  add_row (group, kind == PCQ_JOB_DOWNLOAD ? _("Link") : _("Endpoint"), url);
  if (kind == PCQ_JOB_ASK)
    add_row (group, _("Prompt"), pcq_job_get_prompt (job));
  add_row (group, _("State"), pcq_job_state_label (pcq_job_get_state (job)));
  if (pcq_job_get_state (job) == PCQ_JOB_DONE)
    add_row (group, _("File"), pcq_job_get_output_path (job));
  add_row (group, _("HTTP Status"), status);
  add_row (group, _("Size"), size);
  if (kind == PCQ_JOB_DOWNLOAD)
    add_row (group, _("SHA-256"), pcq_job_get_sha256 (job));
  add_row (group, _("Attempts"), attempts);
  add_row (group, _("Started"), started);
  add_row (group, _("Ended"), finished);
  add_row (group, _("Error"), pcq_job_get_error (job));
  add_row (group, _("Tokens"), tokens);

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), group);
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (window), box);

  gtk_window_present (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

typedef struct
{
  char   *path;
  GBytes *text;
} Export;

static void
export_free (Export *export)
{
  g_free (export->path);
  g_bytes_unref (export->text);
  g_free (export);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Export *export = task_data;
  GError *error = NULL;

  if (pcq_report_write (export->path, export->text, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * _pcq_window_export_report_async:
 * @path: where the report goes (beside it, then renamed over it)
 *
 * Writes one line per task in the list, oldest first. The lines are
 * made here (the jobs are the main thread's); the file is written and
 * synced on a thread of its own, never while a frame waits.
 */
void
_pcq_window_export_report_async (PcqWindow           *self,
                                 const char          *path,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GPtrArray) jobs = pcq_report_jobs (pcq_engine_get_jobs (self->engine));
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Export *export = g_new0 (Export, 1);

  /* Rows waiting for their Undo toast to go are gone for the user. */
  for (guint i = jobs->len; i > 0; i--)
    {
      if (_pcq_window_hides (self, g_ptr_array_index (jobs, i - 1)))
        g_ptr_array_remove_index (jobs, i - 1);
    }

  export->path = g_strdup (path);
  export->text = pcq_report_text (jobs);
  g_task_set_source_tag (task, _pcq_window_export_report_async);
  g_task_set_task_data (task, export, (GDestroyNotify) export_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
_pcq_window_export_report_finish (PcqWindow     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  PcqWindow *self = PCQ_WINDOW (object);
  Export *export = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (_pcq_window_export_report_finish (self, result, &error))
    {
      g_autofree char *name = g_path_get_basename (export->path);
      g_autofree char *display = g_filename_display_name (name);
      /* Translators: %s is a file name */
      g_autofree char *title = g_strdup_printf (_("Report saved as “%s”"), display);

      _pcq_window_toast (self, title);
    }
  else
    {
      g_warning ("Export Report: %s", error->message);
      _pcq_window_toast (self, _("The report could not be saved"));
    }
}

static void
export_response_cb (PcqWindow            *self,
                    int                   response,
                    GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_object_unref (chooser);
  if (file == NULL || (path = g_file_get_path (file)) == NULL)
    return;

  _pcq_window_export_report_async (self, path, exported_cb, NULL);
}

static void
export_report_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Export Report"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "pcq-report.jsonl");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (export_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
_pcq_window_class_init_report (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.export-report", NULL, export_report_action);
}
