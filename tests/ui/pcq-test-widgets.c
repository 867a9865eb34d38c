/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "pcq-test-widgets.h"

/**
 * pcq_test_find_toplevel:
 *
 * Returns: (transfer none) (nullable): the first visible toplevel of
 *   @type
 */
GtkWindow *
pcq_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

static void
collect (GtkWidget *widget,
         GType      type,
         GPtrArray *found)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        g_ptr_array_add (found, child);
      collect (child, type, found);
    }
}

/**
 * pcq_test_find_all:
 *
 * Returns: (transfer container): every descendant of @widget of @type,
 *   depth first
 */
GPtrArray *
pcq_test_find_all (GtkWidget *widget,
                   GType      type)
{
  GPtrArray *found = g_ptr_array_new ();

  collect (widget, type, found);
  return found;
}

/**
 * pcq_test_find_first:
 * @match: (nullable): which of them; %NULL for any
 *
 * Returns: (transfer none) (nullable): the first descendant of @widget
 *   of @type (depth first) that @match accepts
 */
GtkWidget *
pcq_test_find_first (GtkWidget          *widget,
                     GType               type,
                     PcqTestWidgetMatch  match,
                     gconstpointer       data)
{
  g_autoptr(GPtrArray) found = pcq_test_find_all (widget, type);

  for (guint i = 0; i < found->len; i++)
    if (match == NULL || match (found->pdata[i], data))
      return found->pdata[i];

  return NULL;
}

/* A PcqTestWidgetMatch for GtkButtons: is its label @label? */
gboolean
pcq_test_button_has_label (GtkWidget     *button,
                           gconstpointer  label)
{
  return g_strcmp0 (gtk_button_get_label (GTK_BUTTON (button)), label) == 0;
}
