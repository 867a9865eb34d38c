/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-answer-window"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pcq-answer-window.h"

/*
 * An Ask task's answer, read inside Pcq: the saved Markdown as text,
 * with Copy and Open (which goes through the window's win.open-task,
 * like a row's Open).
 */

/* More than anyone reads in a window; the file itself has it all. */
#define MAX_SHOWN (4 * 1024 * 1024)

struct _PcqAnswerWindow
{
  AdwWindow        parent_instance;

  PcqJob          *job;
  GtkWindow       *parent;        /* weak */
  GCancellable    *cancellable;
  char            *text;          /* as shown, once read */

  /* Template children */
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle  *window_title;
  GtkTextView     *text_view;
};

G_DEFINE_FINAL_TYPE (PcqAnswerWindow, pcq_answer_window, ADW_TYPE_WINDOW)

static void
show_text (PcqAnswerWindow *self,
           const char      *text,
           gsize            length,
           gboolean         cut)
{
  g_autofree char *valid = g_utf8_make_valid (text, length);

  if (cut)
    {
      char *with_note = g_strconcat (valid, "\n\n",
                                     _("[The answer goes on: open the file to read it all.]"),
                                     NULL);

      g_free (valid);
      valid = with_note;
    }

  g_free (self->text);
  self->text = g_steal_pointer (&valid);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), self->text, -1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "answer.copy", TRUE);
}

static gboolean
read_more_cb (const char *file_contents,
              goffset     file_size,
              gpointer    user_data)
{
  return file_size <= MAX_SHOWN;
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PcqAnswerWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_load_partial_contents_finish (G_FILE (object), result, &contents, &length, NULL,
                                            &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *message = g_strdup_printf (_("The answer could not be read: %s"),
                                                      error->message);

          gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), message, -1);
        }
      return;
    }

  show_text (self, contents, MIN (length, MAX_SHOWN), length > MAX_SHOWN);
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  PcqAnswerWindow *self = PCQ_ANSWER_WINDOW (widget);

  if (self->text == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->text);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Answer copied")));
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  PcqAnswerWindow *self = PCQ_ANSWER_WINDOW (widget);

  if (self->parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self->parent), "win.open-task", "t",
                                pcq_job_get_id (self->job));
}

static void
pcq_answer_window_dispose (GObject *object)
{
  PcqAnswerWindow *self = PCQ_ANSWER_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_weak_pointer (&self->parent);

  G_OBJECT_CLASS (pcq_answer_window_parent_class)->dispose (object);
}

static void
pcq_answer_window_finalize (GObject *object)
{
  PcqAnswerWindow *self = PCQ_ANSWER_WINDOW (object);

  g_clear_object (&self->job);
  g_clear_object (&self->cancellable);
  g_free (self->text);

  G_OBJECT_CLASS (pcq_answer_window_parent_class)->finalize (object);
}

static void
pcq_answer_window_class_init (PcqAnswerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pcq_answer_window_dispose;
  object_class->finalize = pcq_answer_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Pcq/ui/pcq-answer-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PcqAnswerWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PcqAnswerWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, PcqAnswerWindow, text_view);

  gtk_widget_class_install_action (widget_class, "answer.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "answer.open", NULL, open_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "answer.copy", NULL);
}

static void
pcq_answer_window_init (PcqAnswerWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "answer.copy", FALSE);
}

/**
 * pcq_answer_window_new:
 * @parent: the window, whose win.open-task opens the file
 * @job: a finished Ask task
 *
 * Returns: (transfer none): a new window showing @job's answer, read
 *   from its file as it opens
 */
PcqAnswerWindow *
pcq_answer_window_new (GtkWindow *parent,
                       PcqJob    *job)
{
  PcqAnswerWindow *self;
  g_autoptr(GFile) file = NULL;
  g_autofree char *name = NULL;
  const char *path;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PCQ_IS_JOB (job), NULL);

  self = g_object_new (PCQ_TYPE_ANSWER_WINDOW, "transient-for", parent, NULL);
  self->job = g_object_ref (job);
  g_set_weak_pointer (&self->parent, parent);

  path = pcq_job_get_output_path (job);
  g_return_val_if_fail (path != NULL, self);

  name = g_filename_display_basename (path);
  adw_window_title_set_title (self->window_title, name);

  file = g_file_new_for_path (path);
  g_file_load_partial_contents_async (file, self->cancellable, read_more_cb, loaded_cb,
                                      g_object_ref (self));

  return self;
}

const char *
_pcq_answer_window_get_text (PcqAnswerWindow *self)
{
  return self->text;
}
