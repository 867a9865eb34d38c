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
#include "pcq-window-private.h"

/*
 * Dropping links and files on the window: a file that holds a list of
 * links is imported as one; links become tasks.
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
