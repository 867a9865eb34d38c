/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pcq-application.h"
#include "pcq-close-dialog.h"
#include "pcq-closures.h"
#include "pcq-window-private.h"

/*
 * Closing the window while tasks remain: the Stop Tasks? dialog, the
 * waiting banner (Keep Open, Stop Now), waiting in the background, and
 * the engine's shutdown before the window really closes.
 */

/* ---- closing ------------------------------------------------------- */

static void
save_window_state (PcqWindow *self)
{
  int width = 0;
  int height = 0;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);
}

void
_pcq_window_forget_close_dialog (PcqWindow *self)
{
  if (self->close_dialog == NULL)
    return;

  g_object_remove_weak_pointer (G_OBJECT (self->close_dialog), (gpointer *) &self->close_dialog);
  self->close_dialog = NULL;
}

static void
store_closed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(PcqWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pcq_application_close_store_finish (PCQ_APPLICATION (object), result, &error))
    g_warning ("Closing the queue failed: %s", error->message);

  self->close_state = CLOSE_DONE;
  gtk_window_close (GTK_WINDOW (self));
}

static void
shutdown_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PcqWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  GtkApplication *app;

  if (!pcq_engine_shutdown_finish (PCQ_ENGINE (object), result, &error))
    g_warning ("Stopping the queue failed: %s", error->message);

  /* Wait, then Stop Now: both calls finish together; close once. */
  if (self->close_state == CLOSE_DONE || self->store_closing)
    return;

  /* The engine is stopped; the store gets its last commit, off the
   * main thread, then the window goes. */
  app = gtk_window_get_application (GTK_WINDOW (self));
  if (PCQ_IS_APPLICATION (app))
    {
      self->store_closing = TRUE;
      pcq_application_close_store_async (PCQ_APPLICATION (app), store_closed_cb,
                                         g_object_ref (self));
      return;
    }

  self->close_state = CLOSE_DONE;
  gtk_window_close (GTK_WINDOW (self));
}

/* While it waits to close, the window takes no new tasks; Keep Open
 * gives it back. */
static void
set_accepting_tasks (PcqWindow *self,
                     gboolean   accepting)
{
  self->refusing_tasks = !accepting;
  gtk_widget_set_sensitive (self->submit_bar, accepting);
  _pcq_window_actions_update (self);
}

static void
destroy_close_dialog (PcqWindow *self)
{
  GtkWindow *dialog = GTK_WINDOW (self->close_dialog);

  if (dialog == NULL)
    return;

  _pcq_window_forget_close_dialog (self);
  gtk_window_destroy (dialog);
}

void
_pcq_window_begin_shutdown (PcqWindow       *self,
                PcqShutdownMode  mode)
{
  if (mode == PCQ_SHUTDOWN_WAIT &&
      (self->close_state == CLOSE_WAITING || self->close_state == CLOSE_BACKGROUND))
    {
      /* The queue drained while waiting: nothing left to stop, and
       * too late to keep open. */
      self->close_state = CLOSE_STOPPING;
      save_window_state (self);
      gtk_widget_set_visible (self->banner_keep_button, FALSE);
      gtk_widget_set_visible (self->banner_stop_button, FALSE);
    }
  else if (mode == PCQ_SHUTDOWN_FORCE &&
           (self->close_state == CLOSE_NONE || self->close_state == CLOSE_WAITING))
    {
      self->close_state = CLOSE_STOPPING;
      save_window_state (self);

      /* The window stays until the workers have returned (moments), and
       * says why. It is not hidden meanwhile: hiding a GTK 4.8 window
       * on X11 and destroying it right after made GTK touch the freed
       * window now and then in the tests; and a hidden window that
       * lingers would come back half-closed if Pcq were started again. */
      if (pcq_engine_get_n_active (self->engine) > 0)
        {
          gtk_label_set_text (self->banner_label, _("Stopping tasks…"));
          gtk_widget_set_visible (self->banner_stop_button, FALSE);
          gtk_widget_set_visible (self->banner_keep_button, FALSE);
          gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
        }
    }
  else
    return;

  /* Closing or quitting with a toast up: what it said is done (the
   * store hears of it before it closes). */
  _pcq_window_commit_removal (self);

  /* Whatever happens now, no new work comes in. */
  set_accepting_tasks (self, FALSE);
  destroy_close_dialog (self);

  pcq_engine_shutdown_async (self->engine, mode, NULL, shutdown_done_cb, g_object_ref (self));
}

static void
background_requested_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  /* The portal's answer comes later, as a Request signal; a refusal
   * only means the desktop may say that Pcq runs without a window. */
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    g_message ("Cannot ask to run in the background: %s", error->message);
}

/* In a Flatpak, a hidden app asks the Background portal to go on
 * running (GNOME lists it as running in the background; without the
 * request it may be stopped). Outside one, the hidden window alone
 * keeps the application running. libportal is not a dependency: this
 * is its one call. */
static void
request_background (PcqWindow *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  GDBusConnection *bus;
  GVariantBuilder options;

  if (app == NULL || !pcq_launcher_get_sandboxed (self->launcher))
    return;

  bus = g_application_get_dbus_connection (app);
  if (bus == NULL)
    return;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "reason",
                         g_variant_new_string (_("Finishing the tasks in the queue")));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (FALSE));

  g_dbus_connection_call (bus, "org.freedesktop.portal.Desktop",
                          "/org/freedesktop/portal/desktop",
                          "org.freedesktop.portal.Background", "RequestBackground",
                          g_variant_new ("(sa{sv})", "", &options), G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, background_requested_cb, NULL);
}

/* Wait (in the background): the queue runs on and the window closes
 * once it is empty (update_counts() sees it). The engine is not told
 * yet, so that Keep Open can take it back. */
static void
begin_waiting (PcqWindow *self,
               gboolean   background)
{
  if (self->close_state != CLOSE_NONE)
    return;

  self->close_state = background ? CLOSE_BACKGROUND : CLOSE_WAITING;
  set_accepting_tasks (self, FALSE);
  destroy_close_dialog (self);

  gtk_widget_set_visible (self->banner_stop_button, TRUE);
  gtk_widget_set_visible (self->banner_keep_button, TRUE);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);

  if (background)
    {
      self->in_background = TRUE;
      request_background (self);
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
    }

  _pcq_window_update_counts (self);
}

/* Keep Open: everything as before the window was closed. */
void
_pcq_window_keep_open (PcqWindow *self)
{
  if (self->close_state != CLOSE_WAITING && self->close_state != CLOSE_BACKGROUND)
    return;

  self->close_state = CLOSE_NONE;
  self->in_background = FALSE;
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  set_accepting_tasks (self, TRUE);
}

/* Shown again (`pcq` started again, the notification, app.present)
 * while waiting in the background: the person is back, and the window
 * stays. */
static void
visible_cb (PcqWindow  *self,
            GParamSpec *pspec,
            gpointer    user_data)
{
  if (gtk_widget_get_visible (GTK_WIDGET (self)) && self->close_state == CLOSE_BACKGROUND)
    _pcq_window_keep_open (self);
}

static void
close_dialog_chosen_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(PcqWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  PcqCloseChoice choice;

  choice = pcq_close_dialog_choose_finish (ADW_MESSAGE_DIALOG (object), result, &error);
  self->n_close_choices--;
  if (error != NULL)
    return;  /* the window took it away */

  /* The dialog closes itself after a response. */
  _pcq_window_forget_close_dialog (self);

  switch (choice)
    {
    case PCQ_CLOSE_CHOICE_STOP:
      _pcq_window_begin_shutdown (self, PCQ_SHUTDOWN_FORCE);
      break;
    case PCQ_CLOSE_CHOICE_WAIT:
      begin_waiting (self, FALSE);
      break;
    case PCQ_CLOSE_CHOICE_BACKGROUND:
      begin_waiting (self, TRUE);
      break;
    case PCQ_CLOSE_CHOICE_CANCEL:
    default:
      break;
    }
}

static void
present_close_dialog (PcqWindow *self)
{
  guint n_active;
  guint n_queued;

  if (self->close_dialog == NULL)
    {
      self->close_dialog = pcq_close_dialog_new (GTK_WINDOW (self));
      g_object_add_weak_pointer (G_OBJECT (self->close_dialog), (gpointer *) &self->close_dialog);
      self->n_close_choices++;
      pcq_close_dialog_choose_async (self->close_dialog, close_dialog_chosen_cb,
                                     g_object_ref (self));
    }

  /* Already waiting: the choices are Stop Now and going on waiting. */
  adw_message_dialog_set_response_enabled (self->close_dialog, PCQ_CLOSE_RESPONSE_BACKGROUND,
                                           self->close_state == CLOSE_NONE);

  _pcq_window_get_pending (self, &n_active, &n_queued);
  pcq_close_dialog_set_counts (self->close_dialog, n_active, n_queued);
  gtk_window_present (GTK_WINDOW (self->close_dialog));
}

/* Returns: TRUE if the window stays open for now */
gboolean
_pcq_window_close_request (PcqWindow *self)
{
  GtkWindow *window = GTK_WINDOW (self);
  guint n_active;
  guint n_queued;

  switch (self->close_state)
    {
    case CLOSE_DONE:
      return FALSE;

    case CLOSE_STOPPING:
      return TRUE;

    case CLOSE_BACKGROUND:
      /* Quit while hidden: show the window (that keeps it open) and
       * ask again. */
      gtk_window_present (window);
      G_GNUC_FALLTHROUGH;

    case CLOSE_WAITING:
      /* Closing again while waiting: offer to stop now. */
      present_close_dialog (self);
      return TRUE;

    case CLOSE_NONE:
      _pcq_window_get_pending (self, &n_active, &n_queued);
      if (n_active + n_queued == 0)
        {
          /* Nothing to wait for: the engine stops at once. */
          _pcq_window_begin_shutdown (self, PCQ_SHUTDOWN_FORCE);
          return TRUE;
        }
      present_close_dialog (self);
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

/**
 * pcq_window_is_closing:
 *
 * Returns: %TRUE once the person chose to close the window (it may
 *   still be waiting for the queue)
 */
gboolean
pcq_window_is_closing (PcqWindow *self)
{
  g_return_val_if_fail (PCQ_IS_WINDOW (self), FALSE);
  return self->close_state != CLOSE_NONE;
}

/**
 * pcq_window_is_in_background:
 *
 * Returns: %TRUE while the window is hidden to wait for the queue
 *   (“Wait in Background”), also while it closes after that
 */
gboolean
pcq_window_is_in_background (PcqWindow *self)
{
  g_return_val_if_fail (PCQ_IS_WINDOW (self), FALSE);
  return self->in_background;
}

void
_pcq_window_close_init (PcqWindow *self)
{
  g_signal_connect (self, "notify::visible", G_CALLBACK (visible_cb), NULL);
}
