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
