/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-close-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "pcq-close-dialog.h"
#include "pcq-closures.h"

/**
 * pcq_close_dialog_new:
 *
 * The wait-or-force question asked when the window closes with tasks
 * queued or running. Responses: %PCQ_CLOSE_RESPONSE_CANCEL (also on
 * Escape), %PCQ_CLOSE_RESPONSE_STOP (destructive),
 * %PCQ_CLOSE_RESPONSE_BACKGROUND (wait with the window hidden) and
 * %PCQ_CLOSE_RESPONSE_WAIT (the default).
 *
 * Returns: (transfer none): the dialog, owned by GTK until it closes
 */
AdwMessageDialog *
pcq_close_dialog_new (GtkWindow *parent)
{
  g_autoptr(GtkBuilder) builder = NULL;
  AdwMessageDialog *dialog;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), NULL);

  builder = gtk_builder_new_from_resource ("/com/example/Pcq/ui/pcq-close-dialog.ui");
  dialog = ADW_MESSAGE_DIALOG (gtk_builder_get_object (builder, "dialog"));
  gtk_window_set_transient_for (GTK_WINDOW (dialog), parent);

  return dialog;
}

/**
 * pcq_close_dialog_set_counts:
 *
 * Says what each choice does with how many tasks (see
 * pcq_format_close_body()). Called again whenever the counts change.
 */
void
pcq_close_dialog_set_counts (AdwMessageDialog *dialog,
                             guint             n_active,
                             guint             n_queued)
{
  g_autofree char *body = NULL;

  g_return_if_fail (ADW_IS_MESSAGE_DIALOG (dialog));

  body = pcq_format_close_body (n_active, n_queued);
  if (g_strcmp0 (adw_message_dialog_get_body (dialog), body) != 0)
    adw_message_dialog_set_body (dialog, body);
}

static PcqCloseChoice
choice_for (const char *response)
{
  if (g_strcmp0 (response, PCQ_CLOSE_RESPONSE_STOP) == 0)
    return PCQ_CLOSE_CHOICE_STOP;
  if (g_strcmp0 (response, PCQ_CLOSE_RESPONSE_WAIT) == 0)
    return PCQ_CLOSE_CHOICE_WAIT;
  if (g_strcmp0 (response, PCQ_CLOSE_RESPONSE_BACKGROUND) == 0)
    return PCQ_CLOSE_CHOICE_BACKGROUND;
  return PCQ_CLOSE_CHOICE_CANCEL;
}

static void
chosen_cb (AdwMessageDialog *dialog,
           const char       *response,
           GTask            *task)
{
  g_signal_handlers_disconnect_by_data (dialog, task);
  g_task_return_int (task, choice_for (response));
  g_object_unref (task);
}

static void
destroyed_cb (AdwMessageDialog *dialog,
              GTask            *task)
{
  g_signal_handlers_disconnect_by_data (dialog, task);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "The dialog went away unanswered");
  g_object_unref (task);
}

/**
 * pcq_close_dialog_choose_async:
 *
 * Presents @dialog and finishes with the choice made. The counts may
 * still change meanwhile (pcq_close_dialog_set_counts()). Destroying
 * the dialog unanswered finishes with %G_IO_ERROR_CANCELLED.
 */
void
pcq_close_dialog_choose_async (AdwMessageDialog    *dialog,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ADW_IS_MESSAGE_DIALOG (dialog));

  task = g_task_new (dialog, NULL, callback, user_data);
  g_task_set_source_tag (task, pcq_close_dialog_choose_async);
  g_signal_connect (dialog, "response", G_CALLBACK (chosen_cb), task);
  g_signal_connect (dialog, "destroy", G_CALLBACK (destroyed_cb), task);
  gtk_window_present (GTK_WINDOW (dialog));
}

/**
 * pcq_close_dialog_choose_finish:
 *
 * Returns: the choice; %PCQ_CLOSE_CHOICE_CANCEL with @error set when
 *   the dialog went away unanswered
 */
PcqCloseChoice
pcq_close_dialog_choose_finish (AdwMessageDialog  *dialog,
                                GAsyncResult      *result,
                                GError           **error)
{
  gssize choice;

  g_return_val_if_fail (g_task_is_valid (result, dialog), PCQ_CLOSE_CHOICE_CANCEL);

  choice = g_task_propagate_int (G_TASK (result), error);
  return choice < 0 ? PCQ_CLOSE_CHOICE_CANCEL : (PcqCloseChoice) choice;
}
