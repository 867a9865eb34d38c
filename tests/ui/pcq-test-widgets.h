/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Finding widgets the way a person sees them: for the window tests. */

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
