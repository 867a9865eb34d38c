/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-application"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pcq-application.h"
#include "pcq-closures.h"
#include "pcq-api.h"
#include "pcq-keyring.h"
#include "pcq-util.h"
#include "pcq-preferences-window.h"
#include "pcq-resources.h"
#include "pcq-session.h"
#include "pcq-window.h"
#include "pcq-window-private.h"

#define OUTPUT_DIR_HINT "output-dir="
#define NOTIFICATION_ID "queue-finished"

/* An activate or open that came before the store was read. */
typedef struct
{
  GPtrArray *files;  /* NULL for activate */
  char      *hint;
} Pending;

static void
pending_free (Pending *pending)
{
  g_clear_pointer (&pending->files, g_ptr_array_unref);
  g_free (pending->hint);
  g_free (pending);
}

struct _PcqApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  PcqEngine      *engine;

  /* The queue of the window, kept between runs (queue.sqlite). */
  char           *store_path;
  PcqSession     *session;
  gboolean        store_ready;
  char           *store_notice;
  GPtrArray      *pending;

  /* Where the engine's API key came from; the key itself is only in
   * the engine (and the keyring). */
  PcqApiKeySource api_key_source;
  /* The keyring lookup's: it holds no reference, so that a lookup
   * slower than the window (a keyring that takes its time) does not
   * keep the application alive; dispose cancels it. */
  GCancellable   *cancellable;

  /* Logout inhibition while the queue works. */
  guint           inhibit_cookie;
  gboolean        busy;

  /* What finished since the queue last started working, for the
   * notification when it drains. */
  gboolean        run_started;
  guint           run_done;
  guint           run_failed;
  guint           drained_source;
  char           *last_notification;
};

G_DEFINE_FINAL_TYPE (PcqApplication, pcq_application, ADW_TYPE_APPLICATION)

G_DEFINE_ENUM_TYPE (PcqApiKeySource, pcq_api_key_source,
                    G_DEFINE_ENUM_VALUE (PCQ_API_KEY_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (PCQ_API_KEY_KEYRING, "keyring"),
                    G_DEFINE_ENUM_VALUE (PCQ_API_KEY_ENVIRONMENT, "environment"),
                    G_DEFINE_ENUM_VALUE (PCQ_API_KEY_SESSION, "session"))

enum {
  PROP_0,
  PROP_API_KEY_SOURCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * pcq_settings_dup_output_dir:
 *
 * Returns: (transfer full): the configured output folder, or the
 *   default: the Downloads folder’s “Pcq” subfolder
 */
char *
pcq_settings_dup_output_dir (GSettings *settings)
{
  g_autofree char *configured = NULL;
  const char *downloads;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  configured = g_settings_get_string (settings, "output-folder");
  if (configured != NULL && *configured != '\0')
    return g_steal_pointer (&configured);

  downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  if (downloads == NULL)
    return g_build_filename (g_get_home_dir (), "Downloads", "Pcq", NULL);

  return g_build_filename (downloads, "Pcq", NULL);
}

GtkWindow *
pcq_application_get_window (PcqApplication *self)
{
  g_return_val_if_fail (PCQ_IS_APPLICATION (self), NULL);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (PCQ_IS_WINDOW (l->data))
      return l->data;

  return NULL;
}

static void window_active_cb (PcqApplication *self,
                              GParamSpec     *pspec,
                              GtkWindow      *window);

static PcqWindow *
ensure_window (PcqApplication *self)
{
  GtkWindow *window = pcq_application_get_window (self);

  if (window == NULL)
    {
      window = GTK_WINDOW (pcq_window_new (GTK_APPLICATION (self), self->engine, self->settings));
      g_signal_connect_object (window, "notify::is-active",
                               G_CALLBACK (window_active_cb), self, G_CONNECT_SWAPPED);
    }

  return PCQ_WINDOW (window);
}

/* ---- inhibit and notify -------------------------------------------- */

static void
window_active_cb (PcqApplication *self,
                  GParamSpec     *pspec,
                  GtkWindow      *window)
{
  if (gtk_window_is_active (window))
    g_application_withdraw_notification (G_APPLICATION (self), NOTIFICATION_ID);
}

static void
send_finished_notification (PcqApplication *self)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *body = NULL;
  GtkWindow *window = pcq_application_get_window (self);

  if (window == NULL)
    return;

  /* Waiting in the background was chosen with this notification in
   * mind: it comes whatever the setting says. Otherwise: only when
   * asked for, and not to someone looking at the window already. */
  if (!pcq_window_is_in_background (PCQ_WINDOW (window)) &&
      (!g_settings_get_boolean (self->settings, "notify-when-finished") ||
       gtk_window_is_active (window) || pcq_window_is_closing (PCQ_WINDOW (window))))
    return;

  if (self->run_done + self->run_failed == 0)
    return;

  body = pcq_format_finished (self->run_done, self->run_failed);
  notification = g_notification_new (_("Queue Finished"));
  g_notification_set_body (notification, body);
  g_notification_set_default_action (notification, "app.present");
  g_application_send_notification (G_APPLICATION (self), NOTIFICATION_ID, notification);

  g_free (self->last_notification);
  self->last_notification = g_steal_pointer (&body);
}

static gboolean
drained_idle_cb (gpointer user_data)
{
  PcqApplication *self = user_data;

  self->drained_source = 0;

  if (self->run_started &&
      pcq_engine_get_n_active (self->engine) == 0 &&
      pcq_engine_get_n_queued (self->engine) == 0)
    {
      self->run_started = FALSE;
      send_finished_notification (self);
    }

  return G_SOURCE_REMOVE;
}

static void
engine_state_cb (PcqApplication *self,
                 GParamSpec     *pspec,
                 PcqEngine      *engine)
{
  guint n_active = pcq_engine_get_n_active (engine);
  guint n_queued = pcq_engine_get_n_queued (engine);
  gboolean busy = n_active > 0 || (n_queued > 0 && !pcq_engine_get_paused (engine));

  if (busy && !self->run_started)
    {
      self->run_started = TRUE;
      self->run_done = 0;
      self->run_failed = 0;
    }

  if (busy != self->busy)
    {
      self->busy = busy;

      if (busy)
        {
          GtkWindow *window = pcq_application_get_window (self);

          self->inhibit_cookie = gtk_application_inhibit (GTK_APPLICATION (self), window,
                                                          GTK_APPLICATION_INHIBIT_LOGOUT |
                                                          GTK_APPLICATION_INHIBIT_SUSPEND,
                                                          _("Tasks are running"));
        }
      else if (self->inhibit_cookie != 0)
        {
          gtk_application_uninhibit (GTK_APPLICATION (self), self->inhibit_cookie);
          self->inhibit_cookie = 0;
        }
    }

  /* Drained. The counts change before "job-finished" is emitted for
   * the last job: look again once this dispatch is over. */
  if (self->run_started && n_active == 0 && n_queued == 0 && self->drained_source == 0)
    {
      self->drained_source = g_idle_add (drained_idle_cb, self);
      g_source_set_name_by_id (self->drained_source, "[pcq] queue drained");
    }
}

static void
job_finished_cb (PcqApplication *self,
                 PcqJob         *job,
                 PcqEngine      *engine)
{
  switch (pcq_job_get_state (job))
    {
    case PCQ_JOB_DONE:
      self->run_done++;
      break;
    case PCQ_JOB_FAILED:
      self->run_failed++;
      break;
    case PCQ_JOB_QUEUED:
    case PCQ_JOB_ACTIVE:
    case PCQ_JOB_CANCELLED:
    case PCQ_JOB_PAUSED:
    default:
      break;
    }
}

gboolean
_pcq_application_get_inhibited (PcqApplication *self)
{
  g_return_val_if_fail (PCQ_IS_APPLICATION (self), FALSE);
  return self->busy;
}

const char *
_pcq_application_get_last_notification (PcqApplication *self)
{
  g_return_val_if_fail (PCQ_IS_APPLICATION (self), NULL);
  return self->last_notification;
}

/* ---- the API key ---------------------------------------------------- */

static void
set_api_key_source (PcqApplication  *self,
                    PcqApiKeySource  source)
{
  if (self->api_key_source == source)
    return;

  self->api_key_source = source;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_API_KEY_SOURCE]);
}

PcqApiKeySource
pcq_application_get_api_key_source (PcqApplication *self)
{
  g_return_val_if_fail (PCQ_IS_APPLICATION (self), PCQ_API_KEY_NONE);
  return self->api_key_source;
}

static void
keyring_lookup_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PcqApplication *self = user_data;
  g_autoptr(GError) error = NULL;
  char *key = pcq_keyring_lookup_finish (result, &error);

  /* Cancelled: @self is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    g_debug ("No API key from the keyring: %s", error->message);
  else if (key != NULL && self->engine != NULL &&
           self->api_key_source != PCQ_API_KEY_ENVIRONMENT)
    {
      /* A key with a line break would go out as no key at all: refused,
       * and API tasks fail saying so (Preferences shows it too). */
      if (pcq_api_check_key (key, PCQ_API_KEY_FROM_KEYRING, &error))
        pcq_engine_set_api_key (self->engine, key);
      else
        pcq_engine_refuse_api_key (self->engine, error);
      set_api_key_source (self, PCQ_API_KEY_KEYRING);
    }

  pcq_keyring_free_key (key);
}

/* PCQ_API_KEY (read by the engine) wins; otherwise the keyring's, which
 * reaches queued API tasks too when it arrives. */
static void
load_api_key (PcqApplication *self)
{
  if (pcq_engine_has_api_key (self->engine))
    {
      set_api_key_source (self, PCQ_API_KEY_ENVIRONMENT);
      return;
    }

  self->cancellable = g_cancellable_new ();
  pcq_keyring_lookup_async (self->cancellable, keyring_lookup_cb, self);
}

static void
keyring_stored_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PcqApplication *self = g_task_get_source_object (task);
  const char *key = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* No keyring on this session (no Secret Service, a locked one): the
   * key still works until Pcq closes. Why, only in the log: D-Bus's
   * words mean nothing to most people. */
  if (!pcq_keyring_store_finish (result, &error))
    g_debug ("Cannot store the API key in the keyring: %s", error->message);

  if (self->engine != NULL)
    pcq_engine_set_api_key (self->engine, key);
  set_api_key_source (self, error == NULL ? PCQ_API_KEY_KEYRING : PCQ_API_KEY_SESSION);
  g_task_return_boolean (task, TRUE);
}

/**
 * pcq_application_save_api_key_async:
 *
 * Stores @api_key in the keyring and gives it to the engine, for API
 * tasks that start from now on. Not while PCQ_API_KEY is set.
 */
void
pcq_application_save_api_key_async (PcqApplication      *self,
                                    const char          *api_key,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  char *key;

  g_return_if_fail (PCQ_IS_APPLICATION (self));
  g_return_if_fail (api_key != NULL);
  g_return_if_fail (self->api_key_source != PCQ_API_KEY_ENVIRONMENT);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, pcq_application_save_api_key_async);

  /* Refused where it is typed: it is neither stored nor used. */
  if (!pcq_api_check_key (api_key, PCQ_API_KEY_FROM_ENTRY, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  key = g_strstrip (g_strdup (api_key));
  g_task_set_task_data (task, key, (GDestroyNotify) pcq_secret_free);
  if (*key == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The API key is empty"));
      return;
    }

  pcq_keyring_store_async (key, NULL, keyring_stored_cb, g_steal_pointer (&task));
}

gboolean
pcq_application_save_api_key_finish (PcqApplication  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
keyring_cleared_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PcqApplication *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!pcq_keyring_clear_finish (result, &error))
    {
      g_debug ("Cannot remove the API key from the keyring: %s", error->message);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The keyring is not available"));
      return;
    }

  if (self->engine != NULL)
    pcq_engine_set_api_key (self->engine, NULL);
  set_api_key_source (self, PCQ_API_KEY_NONE);
  g_task_return_boolean (task, TRUE);
}

/**
 * pcq_application_remove_api_key_async:
 *
 * Removes the key from the keyring and from the engine.
 */
void
pcq_application_remove_api_key_async (PcqApplication      *self,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PCQ_IS_APPLICATION (self));
  g_return_if_fail (self->api_key_source != PCQ_API_KEY_ENVIRONMENT);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, pcq_application_remove_api_key_async);

  /* Never reached the keyring: forgetting it is enough. */
  if (self->api_key_source == PCQ_API_KEY_SESSION)
    {
      if (self->engine != NULL)
        pcq_engine_set_api_key (self->engine, NULL);
      set_api_key_source (self, PCQ_API_KEY_NONE);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  pcq_keyring_clear_async (NULL, keyring_cleared_cb, task);
}

gboolean
pcq_application_remove_api_key_finish (PcqApplication  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- actions ------------------------------------------------------- */

static PcqPreferencesWindow *
show_preferences (PcqApplication *self)
{
  PcqPreferencesWindow *preferences;

  preferences = pcq_preferences_window_new (self);
  gtk_window_set_transient_for (GTK_WINDOW (preferences), pcq_application_get_window (self));
  gtk_window_present (GTK_WINDOW (preferences));
  return preferences;
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  show_preferences (user_data);
}

/* "Set Up API…": Preferences, at the API group. */
static void
preferences_api_action (GSimpleAction *action,
                        GVariant      *param,
                        gpointer       user_data)
{
  pcq_preferences_window_show_api (show_preferences (user_data));
}

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  PcqApplication *self = user_data;
  g_autoptr(GtkBuilder) builder = NULL;
  GtkWindow *shortcuts;

  builder = gtk_builder_new_from_resource ("/com/example/Pcq/ui/pcq-shortcuts-window.ui");
  shortcuts = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));
  gtk_window_set_transient_for (shortcuts, pcq_application_get_window (self));
  gtk_window_present (shortcuts);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  PcqApplication *self = user_data;
  const char *developers[] = { "The Pcq authors", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", pcq_application_get_window (self),
                        "application-name", _("Pcq"),
                        "application-icon", APPLICATION_ID,
                        "version", PACKAGE_VERSION,
                        "comments", _("Download links and ask AI models in a queue while you keep working"),
                        "developer-name", _("The Pcq authors"),
                        "developers", developers,
                        "copyright", "© 2026 The Pcq authors",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* As in the metainfo. */
                        "website", "https://example.com/pcq",
                        "issue-url", "https://example.com/pcq/issues",
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  PcqApplication *self = user_data;
  GtkWindow *window = pcq_application_get_window (self);

  /* The window asks whether to wait for or stop the tasks, and closes
   * when the engine has stopped; the application ends with it. */
  if (window != NULL)
    gtk_window_close (window);
  else
    g_application_quit (G_APPLICATION (self));
}

static void
present_action (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  PcqApplication *self = user_data;

  gtk_window_present (GTK_WINDOW (ensure_window (self)));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_action },
  { "preferences-api", preferences_api_action },
  { "shortcuts", shortcuts_action },
  { "about", about_action },
  { "quit", quit_action },
  { "present", present_action },
};

/* ---- the store ----------------------------------------------------- */

static void
store_ready (PcqApplication *self)
{
  g_autoptr(GPtrArray) pending = g_steal_pointer (&self->pending);

  self->store_ready = TRUE;
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);

  /* Replay what came meanwhile: now nothing submitted can be lost. */
  for (guint i = 0; i < pending->len; i++)
    {
      Pending *p = g_ptr_array_index (pending, i);

      if (p->files == NULL)
        g_application_activate (G_APPLICATION (self));
      else
        g_application_open (G_APPLICATION (self), (GFile **) p->files->pdata,
                            p->files->len, p->hint ? p->hint : "");
    }

  if (self->store_notice != NULL)
    {
      GtkWindow *window = pcq_application_get_window (self);

      if (window != NULL)
        _pcq_window_toast (PCQ_WINDOW (window), self->store_notice);
      g_clear_pointer (&self->store_notice, g_free);
    }
}

static void
session_ready_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PcqApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The window shows the history and goes on with what was left. */
  self->session = pcq_session_new_finish (result, &error);
  if (self->session != NULL)
    {
      self->store_notice = g_strdup (pcq_session_get_notice (self->session));
    }
  else
    {
      /* In use by another Pcq (the message names its pid), or no lock
       * can be made: the queue runs, in memory only. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
        g_warning ("Cannot open the queue “%s”: %s", self->store_path, error->message);
      else
        g_message ("%s", error->message);
      /* A toast: short, and the pid and path are for the log. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
        self->store_notice = g_strdup (_("Another Pcq is open: tasks here will not be kept"));
      else
        self->store_notice = g_strdup (_("The queue cannot be opened: tasks will not be kept"));
    }

  store_ready (self);
  g_application_release (G_APPLICATION (self));
}

static void
open_store (PcqApplication *self)
{
  if (self->store_path == NULL)
    self->store_path = g_build_filename (g_get_user_state_dir (), "pcq", "queue.sqlite", NULL);

  /* Read off the main thread; activations wait for it. History older
   * than the configured age is pruned as it is read. */
  g_application_hold (G_APPLICATION (self));
  pcq_session_new_async (self->engine, self->store_path,
                         g_settings_get_uint (self->settings, "history-days"),
                         PCQ_RESTORE_FINISHED | PCQ_RESTORE_UNFINISHED,
                         NULL, session_ready_cb, g_object_ref (self));
}

static void
session_closed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (pcq_session_close_finish (PCQ_SESSION (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/**
 * pcq_application_close_store_async:
 *
 * Closes the queue's store once the engine has stopped, off the main
 * thread (the last commit may wait for the disk), and releases its lock.
 */
void
pcq_application_close_store_async (PcqApplication      *self,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(PcqSession) session = NULL;

  g_return_if_fail (PCQ_IS_APPLICATION (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, pcq_application_close_store_async);

  session = g_steal_pointer (&self->session);
  if (session == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  pcq_session_close_async (session, NULL, session_closed_cb, g_steal_pointer (&task));
}

gboolean
pcq_application_close_store_finish (PcqApplication  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (PCQ_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
_pcq_application_set_store_path (PcqApplication *self,
                                 const char     *path)
{
  g_return_if_fail (PCQ_IS_APPLICATION (self));

  g_free (self->store_path);
  self->store_path = g_strdup (path);
}

/* ---- GApplication -------------------------------------------------- */

/* The setting is in KiB/s, the engine's minimum in bytes/s. */
static gboolean
kib_to_bytes (GValue   *value,
              GVariant *variant,
              gpointer  user_data)
{
  g_value_set_uint (value, (guint) MIN (g_variant_get_uint32 (variant) * (guint64) 1024, G_MAXINT));
  return TRUE;
}

static void
pcq_application_startup (GApplication *application)
{
  PcqApplication *self = PCQ_APPLICATION (application);
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.shortcuts", { "<Control>question", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.focus-entry", { "<Control>l", NULL } },
    { "win.import", { "<Control>o", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.filter::all", { "<Alt>1", NULL } },
    { "win.filter::queued", { "<Alt>2", NULL } },
    { "win.filter::running", { "<Alt>3", NULL } },
    { "win.filter::finished", { "<Alt>4", NULL } },
    { "win.filter::failed", { "<Alt>5", NULL } },
    /* Keys the entry does not use for editing: application accels
     * come before the focused widget's own keys. */
    { "win.pause", { "<Control><Shift>p", NULL } },
    { "win.pause-selected", { "<Control>p", NULL } },
    { "win.cancel-selected", { "<Control><Shift>c", NULL } },
    { "win.retry-selected", { "<Control>r", NULL } },
    { "win.retry-failed", { "<Control><Shift>r", NULL } },
    { "win.clear-finished", { "<Control><Shift>k", NULL } },
  };

  G_APPLICATION_CLASS (pcq_application_parent_class)->startup (application);

  self->settings = g_settings_new (APPLICATION_ID);
  self->engine = pcq_engine_new ();
  /* Results reach the window once a frame (60 Hz), all together. */
  pcq_engine_set_dispatch_interval (self->engine, PCQ_ENGINE_FRAME_INTERVAL);
  /* Drawing first: the workers and the store take what the window leaves. */
  pcq_engine_set_threads_in_background (self->engine);

  g_settings_bind (self->settings, "max-active", self->engine, "max-active", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "max-api-active", self->engine, "max-api-active",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "max-per-host", self->engine, "max-per-host",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "split", self->engine, "split", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "api-rpm", self->engine, "api-rpm", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "record-checksums", self->engine, "record-checksums",
                   G_SETTINGS_BIND_GET);
  /* Both ways: the engine sets it back to 0 when the time has come. */
  g_settings_bind (self->settings, "start-at", self->engine, "start-at", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "retries", self->engine, "retries", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "stall-timeout", self->engine, "stall-timeout",
                   G_SETTINGS_BIND_GET);
  g_settings_bind_with_mapping (self->settings, "min-speed", self->engine, "min-speed",
                                G_SETTINGS_BIND_GET, kib_to_bytes, NULL, NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "speed-limit", self->engine, "speed-limit",
                                G_SETTINGS_BIND_GET, kib_to_bytes, NULL, NULL, NULL);
  /* Ask tasks. The key is not a setting: PCQ_API_KEY or the keyring. */
  g_settings_bind (self->settings, "api-base", self->engine, "api-base", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "model", self->engine, "model", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "system-prompt", self->engine, "system-prompt",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "commit-results", self->engine, "commit-results",
                   G_SETTINGS_BIND_GET);

  g_signal_connect_object (self->engine, "notify::n-active",
                           G_CALLBACK (engine_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "notify::n-queued",
                           G_CALLBACK (engine_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "notify::paused",
                           G_CALLBACK (engine_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "job-finished",
                           G_CALLBACK (job_finished_cb), self, G_CONNECT_SWAPPED);
  load_api_key (self);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  open_store (self);
}

static void
defer (PcqApplication  *self,
       GFile          **files,
       int              n_files,
       const char      *hint)
{
  Pending *pending = g_new0 (Pending, 1);

  if (files != NULL)
    {
      pending->files = g_ptr_array_new_with_free_func (g_object_unref);
      for (int i = 0; i < n_files; i++)
        g_ptr_array_add (pending->files, g_object_ref (files[i]));
    }
  pending->hint = g_strdup (hint);
  g_ptr_array_add (self->pending, pending);
}

static void
pcq_application_activate (GApplication *application)
{
  PcqApplication *self = PCQ_APPLICATION (application);

  if (!self->store_ready)
    {
      defer (self, NULL, 0, NULL);
      return;
    }

  gtk_window_present (GTK_WINDOW (ensure_window (self)));
}

static void
pcq_application_open (GApplication  *application,
                      GFile        **files,
                      int            n_files,
                      const char    *hint)
{
  PcqApplication *self = PCQ_APPLICATION (application);
  PcqWindow *window;
  const char *output_dir = NULL;

  if (!self->store_ready)
    {
      defer (self, files, n_files, hint);
      return;
    }

  window = ensure_window (self);

  if (hint != NULL && g_str_has_prefix (hint, OUTPUT_DIR_HINT) &&
      g_path_is_absolute (hint + strlen (OUTPUT_DIR_HINT)))
    output_dir = hint + strlen (OUTPUT_DIR_HINT);

  pcq_window_add_files (window, files, n_files, output_dir);
  gtk_window_present (GTK_WINDOW (window));
}

/* `pcq [-o DIR] [-i FILE] [URL…]`: paths are resolved here, in the
 * caller's folder, then everything goes to the primary instance (this
 * one, or the one already running) as one open call. */
static int
pcq_application_handle_local_options (GApplication *application,
                                      GVariantDict *options)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *output_dir = NULL;
  g_autofree char *input = NULL;
  g_autofree char *hint = NULL;
  g_autofree const char **remaining = NULL;
  gboolean version = FALSE;

  if (g_variant_dict_lookup (options, "version", "b", &version) && version)
    {
      g_print ("pcq %s\n", PACKAGE_VERSION);
      return 0;
    }

  g_variant_dict_lookup (options, "output-dir", "^ay", &output_dir);
  g_variant_dict_lookup (options, "input", "^ay", &input);
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &remaining);

  for (guint i = 0; remaining != NULL && remaining[i] != NULL; i++)
    g_ptr_array_add (files, g_file_new_for_commandline_arg (remaining[i]));

  if (input != NULL)
    {
      if (g_strcmp0 (input, "-") == 0)
        {
          g_printerr ("pcq: --input - (stdin) needs --headless\n");
          return 2;
        }
      g_ptr_array_add (files, g_file_new_for_commandline_arg (input));
    }

  if (output_dir != NULL)
    {
      g_autoptr(GFile) dir = g_file_new_for_commandline_arg (output_dir);
      g_autofree char *path = g_file_get_path (dir);

      if (path == NULL)
        {
          g_printerr ("pcq: --output-dir must be a local folder\n");
          return 2;
        }
      hint = g_strconcat (OUTPUT_DIR_HINT, path, NULL);
    }

  if (files->len == 0)
    return -1;  /* just show the window */

  if (!g_application_register (application, NULL, &error))
    {
      g_printerr ("pcq: %s\n", error->message);
      return 1;
    }

  g_application_open (application, (GFile **) files->pdata, files->len, hint ? hint : "");

  /* A remote instance is done; the primary goes on to show its window. */
  return g_application_get_is_remote (application) ? 0 : -1;
}

static void
pcq_application_shutdown (GApplication *application)
{
  PcqApplication *self = PCQ_APPLICATION (application);

  if (self->inhibit_cookie != 0)
    {
      gtk_application_uninhibit (GTK_APPLICATION (self), self->inhibit_cookie);
      self->inhibit_cookie = 0;
    }

  /* Normally the window closed the store already; if the application
   * ends any other way, close it here (this may wait for the disk). */
  if (self->session != NULL)
    pcq_session_close (self->session);
  g_clear_object (&self->session);

  G_APPLICATION_CLASS (pcq_application_parent_class)->shutdown (application);
}

static void
pcq_application_dispose (GObject *object)
{
  PcqApplication *self = (PcqApplication *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->drained_source, g_source_remove);
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->engine);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pcq_application_parent_class)->dispose (object);
}

static void
pcq_application_finalize (GObject *object)
{
  PcqApplication *self = (PcqApplication *)object;

  g_clear_pointer (&self->last_notification, g_free);
  g_clear_pointer (&self->store_path, g_free);
  g_clear_pointer (&self->store_notice, g_free);
  g_clear_pointer (&self->pending, g_ptr_array_unref);

  G_OBJECT_CLASS (pcq_application_parent_class)->finalize (object);
}

static void
pcq_application_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PcqApplication *self = PCQ_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_API_KEY_SOURCE:
      g_value_set_enum (value, self->api_key_source);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_application_class_init (PcqApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = pcq_application_dispose;
  object_class->finalize = pcq_application_finalize;
  object_class->get_property = pcq_application_get_property;

  /**
   * PcqApplication:api-key-source:
   *
   * Where the key API tasks send comes from.
   */
  properties[PROP_API_KEY_SOURCE] =
    g_param_spec_enum ("api-key-source", NULL, NULL,
                       PCQ_TYPE_API_KEY_SOURCE, PCQ_API_KEY_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  app_class->startup = pcq_application_startup;
  app_class->activate = pcq_application_activate;
  app_class->open = pcq_application_open;
  app_class->handle_local_options = pcq_application_handle_local_options;
  app_class->shutdown = pcq_application_shutdown;

  /* A static library: its resources are registered by hand. */
  pcq_register_resource ();
}

static void
pcq_application_init (PcqApplication *self)
{
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Run the queue without a window, then exit (see pcq --headless --help)"), NULL },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Where the tasks given here are saved (default: the configured folder)"), N_("DIR") },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Tasks from FILE: one URL per line, or JSON Lines"), N_("FILE") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL, NULL, N_("[URL…]") },
    { NULL }
  };

  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Queue downloads in the Pcq window."));
}

/**
 * pcq_application_new:
 * @application_id: the D-Bus name (tests pass their own)
 * @flags: flags added to %G_APPLICATION_HANDLES_OPEN
 */
PcqApplication *
pcq_application_new (const char        *application_id,
                     GApplicationFlags  flags)
{
  return g_object_new (PCQ_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/com/example/Pcq",
                       NULL);
}

PcqEngine *
pcq_application_get_engine (PcqApplication *self)
{
  g_return_val_if_fail (PCQ_IS_APPLICATION (self), NULL);
  return self->engine;
}

GSettings *
pcq_application_get_settings (PcqApplication *self)
{
  g_return_val_if_fail (PCQ_IS_APPLICATION (self), NULL);
  return self->settings;
}
