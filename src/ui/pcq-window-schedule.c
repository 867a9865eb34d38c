/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pcq-clock.h"
#include "pcq-window-private.h"

/* Start later: the Pause button's menu asks for a time of day, and the
 * engine holds the queue until then (its start-at, kept in GSettings by
 * the application, so a restart keeps it). */

#define RESPONSE_SCHEDULE "schedule"

static gboolean
two_digits_cb (GtkSpinButton *spin,
               gpointer       user_data)
{
  g_autofree char *text = g_strdup_printf ("%02d", gtk_spin_button_get_value_as_int (spin));

  if (g_strcmp0 (text, gtk_editable_get_text (GTK_EDITABLE (spin))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static GtkSpinButton *
time_spin (guint       max,
           guint       value,
           const char *id,
           const char *label)
{
  GtkWidget *spin = gtk_spin_button_new_with_range (0, max, 1);

  gtk_spin_button_set_wrap (GTK_SPIN_BUTTON (spin), TRUE);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (spin), GTK_ORIENTATION_VERTICAL);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  g_signal_connect (spin, "output", G_CALLBACK (two_digits_cb), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_widget_set_name (spin, id);
  return GTK_SPIN_BUTTON (spin);
}

static void
schedule_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      PcqWindow        *self)
{
  GtkSpinButton *hour = g_object_get_data (G_OBJECT (dialog), "hour");
  GtkSpinButton *minute = g_object_get_data (G_OBJECT (dialog), "minute");
  g_autoptr(GDateTime) now = NULL;

  if (g_strcmp0 (response, RESPONSE_SCHEDULE) != 0 || self->engine == NULL)
    return;

  now = g_date_time_new_now_local ();
  pcq_engine_set_start_at (self->engine,
                           pcq_clock_next (now, gtk_spin_button_get_value_as_int (hour),
                                           gtk_spin_button_get_value_as_int (minute), 0));
}

/* The time shown first: the one set, else the next full hour. */
static GDateTime *
proposed_time (PcqWindow *self)
{
  gint64 start_at = pcq_engine_get_start_at (self->engine);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (start_at != 0)
    return g_date_time_new_from_unix_local (start_at);

  return g_date_time_add_full (now, 0, 0, 0, 1, -g_date_time_get_minute (now),
                               -g_date_time_get_seconds (now));
}

static void
start_later_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(GDateTime) proposed = proposed_time (self);
  GtkWidget *dialog;
  GtkWidget *box;
  GtkSpinButton *hour, *minute;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Start the Queue Later"),
                                   _("Nothing starts before this time; tasks already running go on."));
  hour = time_spin (23, g_date_time_get_hour (proposed), "hour", _("Hour"));
  minute = time_spin (59, g_date_time_get_minute (proposed), "minute", _("Minute"));

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (hour));
  gtk_box_append (GTK_BOX (box), gtk_label_new (":"));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (minute));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  g_object_set_data (G_OBJECT (dialog), "hour", hour);
  g_object_set_data (G_OBJECT (dialog), "minute", minute);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    RESPONSE_SCHEDULE, _("_Start Later"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), RESPONSE_SCHEDULE,
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), RESPONSE_SCHEDULE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (schedule_response_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
start_now_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);

  pcq_engine_set_start_at (self->engine, 0);
}

/**
 * _pcq_window_start_at_text:
 *
 * Returns: (nullable): "Starts at 23:30" (with "tomorrow" when it is
 *   not today), or %NULL when the queue is not waiting for a time
 */
char *
_pcq_window_start_at_text (PcqWindow *self)
{
  gint64 start_at = pcq_engine_get_start_at (self->engine);
  g_autoptr(GDateTime) then = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *time = NULL;

  if (start_at == 0)
    return NULL;

  then = g_date_time_new_from_unix_local (start_at);
  now = g_date_time_new_now_local ();
  time = g_date_time_format (then, "%H:%M");
  if (g_date_time_get_day_of_year (then) != g_date_time_get_day_of_year (now))
    /* Translators: %s is a time of day, as in “Starts tomorrow at 06:00” */
    return g_strdup_printf (_("Starts tomorrow at %s"), time);

  /* Translators: %s is a time of day, as in “Starts at 23:30” */
  return g_strdup_printf (_("Starts at %s"), time);
}

void
_pcq_window_class_init_schedule (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.start-later", NULL, start_later_action);
  gtk_widget_class_install_action (widget_class, "win.start-now", NULL, start_now_action);
}
