/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pcq-application.h"

G_BEGIN_DECLS

/* Helpers for the window tests: a private home and session bus,
 * libsoup's expected warnings kept quiet, and finding widgets the way a person sees them. */

char      *pcq_test_ui_private_home  (const char         *tmpl);
void       pcq_test_ui_quiet_soup    (void);
void       pcq_test_ui_private_bus   (void);
void       pcq_test_ui_private_bus_stop (void);

/* Called with the application's main window, mapped (and focused, when
 * asked for). */
typedef void (*PcqTestUiBody) (GtkWindow *window,
                               gpointer   user_data);

void       pcq_test_ui_run           (PcqApplication     *app,
                                      gboolean            focus,
                                      PcqTestUiBody       body,
                                      gpointer            user_data);

typedef gboolean (*PcqTestWidgetMatch) (GtkWidget     *widget,
                                        gconstpointer  data);

GtkWindow *pcq_test_find_toplevel   (GType               type);
GPtrArray *pcq_test_find_all        (GtkWidget          *widget,
                                     GType               type);
GtkWidget *pcq_test_find_first      (GtkWidget          *widget,
                                     GType               type,
                                     PcqTestWidgetMatch  match,
                                     gconstpointer       data);
gboolean   pcq_test_button_has_label (GtkWidget         *button,
                                      gconstpointer      label);

G_END_DECLS
