/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* O_PATH */
#define _GNU_SOURCE

#define G_LOG_DOMAIN "pcq-launcher"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>

#include "pcq-launcher.h"

/*
 * Opening a file, or its folder, outside Pcq
 *
 * Open goes to the file type's default app (GLib asks the OpenURI portal
 * by itself inside a Flatpak). Show in Folder asks the file manager to
 * select the file: over org.freedesktop.FileManager1 on the session bus,
 * or, in the Flatpak, whose manifest may not talk to that name, through
 * the OpenURI portal's OpenDirectory with a descriptor of the file.
 * Where neither answers, the folder is opened as a plain location.
 *
 * The bus and the sandbox are given to pcq_launcher_new(), so a test can
 * put a fake file manager or portal on a bus of its own.
 */

struct _PcqLauncher
{
  GObject          parent_instance;

  GDBusConnection *connection;   /* NULL: no session bus */
  gboolean         sandboxed;
};

G_DEFINE_TYPE (PcqLauncher, pcq_launcher, G_TYPE_OBJECT)

G_DEFINE_QUARK (pcq-launcher-error-quark, pcq_launcher_error)

static void
pcq_launcher_dispose (GObject *object)
{
  PcqLauncher *self = PCQ_LAUNCHER (object);

  g_clear_object (&self->connection);

  G_OBJECT_CLASS (pcq_launcher_parent_class)->dispose (object);
}

static void
pcq_launcher_class_init (PcqLauncherClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pcq_launcher_dispose;
}

static void
pcq_launcher_init (PcqLauncher *self)
{
}

/**
 * pcq_launcher_new:
 * @connection: (nullable): the session bus, or a test's
 * @sandboxed: whether to go through the portal (in a Flatpak)
 *
 * Returns: (transfer full): a new launcher
 */
PcqLauncher *
pcq_launcher_new (GDBusConnection *connection,
                  gboolean         sandboxed)
{
  PcqLauncher *self;

  g_return_val_if_fail (connection == NULL || G_IS_DBUS_CONNECTION (connection), NULL);

  self = g_object_new (PCQ_TYPE_LAUNCHER, NULL);
  g_set_object (&self->connection, connection);
  self->sandboxed = sandboxed;

  return self;
}

/**
 * pcq_launcher_new_for_session:
 *
 * A launcher on the session bus (the one GApplication has already
 * opened, if any), through the portal when in a Flatpak.
 *
 * Returns: (transfer full): a new launcher
 */
PcqLauncher *
pcq_launcher_new_for_session (void)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (connection == NULL)
    g_debug ("No session bus: folders are opened, not shown: %s", error->message);

  return pcq_launcher_new (connection, g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS));
}

/**
 * pcq_launcher_get_sandboxed:
 *
 * Returns: whether the launcher goes through the portals, as Pcq does
 *   in a Flatpak (and only there)
 */
gboolean
pcq_launcher_get_sandboxed (PcqLauncher *self)
{
  g_return_val_if_fail (PCQ_IS_LAUNCHER (self), FALSE);

  return self->sandboxed;
}

static GAppLaunchContext *
launch_context_for (GtkWindow *parent)
{
  GdkDisplay *display;

  display = parent != NULL ? gtk_widget_get_display (GTK_WIDGET (parent)) : gdk_display_get_default ();
  if (display == NULL)
    return NULL;

  return G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (display));
}

/* ---- open ---------------------------------------------------------- */

static void
open_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GFile *file = g_task_get_task_data (task);
  GError *error = NULL;

  if (g_app_info_launch_default_for_uri_finish (result, &error))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* GLib's "Failed to find default application for content type …"
   * speaks of MIME types; say it as a person would. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      g_autofree char *name = g_file_get_basename (file);
      g_autofree char *display_name = g_filename_display_name (name);

      g_clear_error (&error);
      /* Translators: %s is a file name */
      error = g_error_new (PCQ_LAUNCHER_ERROR, PCQ_LAUNCHER_ERROR_NO_APP,
                           _("No app is installed that opens “%s”"), display_name);
    }

  g_task_return_error (task, error);
}

/**
 * pcq_launcher_open_async:
 * @self: a #PcqLauncher
 * @file: a local file
 * @parent: (nullable): the window asking
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the app was started, or could not be
 * @user_data: data for @callback
 *
 * Opens @file in its type's default app. When there is none, the
 * error is %PCQ_LAUNCHER_ERROR_NO_APP, with a message for people.
 */
void
pcq_launcher_open_async (PcqLauncher         *self,
                         GFile               *file,
                         GtkWindow           *parent,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GAppLaunchContext) context = NULL;
  g_autofree char *uri = NULL;

  g_return_if_fail (PCQ_IS_LAUNCHER (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_launcher_open_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);

  context = launch_context_for (parent);
  uri = g_file_get_uri (file);
  g_app_info_launch_default_for_uri_async (uri, context, cancellable,
                                           open_done_cb, g_steal_pointer (&task));
}

gboolean
pcq_launcher_open_finish (PcqLauncher   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pcq_launcher_open_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- show in folder ------------------------------------------------ */

typedef struct
{
  GFile             *file;
  GAppLaunchContext *context;   /* nullable */
} ShowData;

static void
show_data_free (gpointer data)
{
  ShowData *show = data;

  g_clear_object (&show->file);
  g_clear_object (&show->context);
  g_free (show);
}

static void
open_folder_done_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_app_info_launch_default_for_uri_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The last resort: the folder, without the file selected. */
static void
open_folder (GTask *task)
{
  ShowData *show = g_task_get_task_data (task);
  g_autoptr(GFile) folder = g_file_get_parent (show->file);
  g_autofree char *uri = NULL;

  if (folder == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The file has no folder"));
      g_object_unref (task);
      return;
    }

  uri = g_file_get_uri (folder);
  g_app_info_launch_default_for_uri_async (uri, show->context, g_task_get_cancellable (task),
                                           open_folder_done_cb, task);
}

static void
show_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_with_unix_fd_list_finish (G_DBUS_CONNECTION (object),
                                                           NULL, result, &error);
  if (reply != NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  /* No file manager on the bus, or a portal too old for OpenDirectory. */
  g_debug ("Cannot show the file in its folder: %s", error->message);
  open_folder (task);
}

/* FileManager1.ShowItems: opens a window with the file selected. */
static void
show_with_file_manager (PcqLauncher *self,
                        GTask       *task)
{
  ShowData *show = g_task_get_task_data (task);
  g_autofree char *uri = g_file_get_uri (show->file);
  const char *uris[] = { uri, NULL };

  g_dbus_connection_call_with_unix_fd_list (self->connection,
                                            "org.freedesktop.FileManager1",
                                            "/org/freedesktop/FileManager1",
                                            "org.freedesktop.FileManager1",
                                            "ShowItems",
                                            g_variant_new ("(^ass)", uris, ""),
                                            NULL,
                                            G_DBUS_CALL_FLAGS_NONE,
                                            -1,
                                            NULL,
                                            g_task_get_cancellable (task),
                                            show_done_cb,
                                            task);
}

/* The OpenURI portal's OpenDirectory: the sandbox passes a descriptor
 * of the file, not its path, which may mean nothing outside. */
static void
show_with_portal (PcqLauncher *self,
                  GTask       *task)
{
  ShowData *show = g_task_get_task_data (task);
  g_autofree char *path = g_file_get_path (show->file);
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autoptr(GError) error = NULL;
  GVariantBuilder options;
  int fd;
  int handle;

  fd = path != NULL ? open (path, O_PATH | O_CLOEXEC) : -1;
  if (fd < 0)
    {
      int saved_errno = path != NULL ? errno : ENOENT;

      /* Read after "Cannot show the folder: " */
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s",
                               saved_errno == ENOENT ? _("the file no longer exists")
                                                     : g_strerror (saved_errno));
      g_object_unref (task);
      return;
    }

  fd_list = g_unix_fd_list_new ();
  handle = g_unix_fd_list_append (fd_list, fd, &error);
  close (fd);
  if (handle < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_dbus_connection_call_with_unix_fd_list (self->connection,
                                            "org.freedesktop.portal.Desktop",
                                            "/org/freedesktop/portal/desktop",
                                            "org.freedesktop.portal.OpenURI",
                                            "OpenDirectory",
                                            g_variant_new ("(sha{sv})", "", handle, &options),
                                            G_VARIANT_TYPE ("(o)"),
                                            G_DBUS_CALL_FLAGS_NONE,
                                            -1,
                                            fd_list,
                                            g_task_get_cancellable (task),
                                            show_done_cb,
                                            task);
}

/**
 * pcq_launcher_show_in_folder_async:
 * @self: a #PcqLauncher
 * @file: a local file
 * @parent: (nullable): the window asking
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the file manager was asked, or could not be
 * @user_data: data for @callback
 *
 * Shows @file selected in its folder, in the file manager; opens the
 * folder when no file manager can be asked to select it.
 */
void
pcq_launcher_show_in_folder_async (PcqLauncher         *self,
                                   GFile               *file,
                                   GtkWindow           *parent,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  ShowData *show;

  g_return_if_fail (PCQ_IS_LAUNCHER (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  show = g_new0 (ShowData, 1);
  show->file = g_object_ref (file);
  show->context = launch_context_for (parent);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_launcher_show_in_folder_async);
  g_task_set_task_data (task, show, show_data_free);

  if (self->connection == NULL)
    open_folder (task);
  else if (self->sandboxed)
    show_with_portal (self, task);
  else
    show_with_file_manager (self, task);
}

gboolean
pcq_launcher_show_in_folder_finish (PcqLauncher   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pcq_launcher_show_in_folder_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
