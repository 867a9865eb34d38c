/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The responses of the “Stop Tasks?” dialog. */
#define PCQ_CLOSE_RESPONSE_CANCEL "cancel"
#define PCQ_CLOSE_RESPONSE_STOP   "stop"
#define PCQ_CLOSE_RESPONSE_WAIT   "wait"
#define PCQ_CLOSE_RESPONSE_BACKGROUND "background"

typedef enum
{
  PCQ_CLOSE_CHOICE_CANCEL,      /* keep the window open, nothing changes */
  PCQ_CLOSE_CHOICE_STOP,        /* stop now: running tasks are interrupted and kept */
  PCQ_CLOSE_CHOICE_WAIT,        /* close once the queue is empty */
  PCQ_CLOSE_CHOICE_BACKGROUND,  /* the same, with the window hidden */
} PcqCloseChoice;

AdwMessageDialog *pcq_close_dialog_new        (GtkWindow        *parent);
void              pcq_close_dialog_choose_async  (AdwMessageDialog    *dialog,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
PcqCloseChoice    pcq_close_dialog_choose_finish (AdwMessageDialog    *dialog,
                                                  GAsyncResult        *result,
                                                  GError             **error);
void              pcq_close_dialog_set_counts (AdwMessageDialog *dialog,
                                               guint             n_active,
                                               guint             n_queued);

G_END_DECLS
