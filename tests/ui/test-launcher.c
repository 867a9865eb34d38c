/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Open and Show in Folder: the launcher alone, against a fake file
 * manager and a fake OpenURI portal on a private session bus; then the
 * window, whose Open has its own icon and, for a file no app opens,
 * says so with a Show in Folder button. No app opens anything here:
 * XDG_DATA_DIRS holds icons and schemas, but no applications.
 */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>

#include "pcq-application.h"
#include "pcq-job-row.h"
#include "pcq-launcher.h"
#include "pcq-test-server.h"
#include "pcq-test-util.h"
#include "pcq-test-ui.h"
#include "pcq-window-private.h"

#define WAIT_MS 20000

/* ---- the fake desktop ---------------------------------------------- */

static const char fake_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.FileManager1'>"
  "    <method name='ShowItems'>"
  "      <arg type='as' name='uris' direction='in'/>"
  "      <arg type='s' name='startup_id' direction='in'/>"
  "    </method>"
  "  </interface>"
  "  <interface name='org.freedesktop.portal.OpenURI'>"
  "    <method name='OpenDirectory'>"
  "      <arg type='s' name='parent_window' direction='in'/>"
  "      <arg type='h' name='fd' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "  </interface>"
  /* What libsecret asks first for a lookup; the fake never answers. */
  "  <interface name='org.freedesktop.Secret.Service'>"
  "    <method name='OpenSession'>"
  "      <arg type='s' name='algorithm' direction='in'/>"
  "      <arg type='v' name='input' direction='in'/>"
  "      <arg type='v' name='output' direction='out'/>"
  "      <arg type='o' name='result' direction='out'/>"
  "    </method>"
  "    <method name='SearchItems'>"
  "      <arg type='a{ss}' name='attributes' direction='in'/>"
  "      <arg type='ao' name='unlocked' direction='out'/>"
  "      <arg type='ao' name='locked' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct
{
  GDBusConnection *bus;        /* the service side */
  GPtrArray       *shown;      /* ShowItems' URIs, in order */
  gboolean         fail_show;  /* ShowItems answers an error */
  guint            n_open_directory;
  struct stat      opened;     /* what OpenDirectory's descriptor was */
  GPtrArray       *unanswered; /* the keyring's calls, held */
  guint            file_manager_id;
} FakeDesktop;

static FakeDesktop fake;

static void
fake_method_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  if (g_strcmp0 (method_name, "ShowItems") == 0)
    {
      g_autofree const char **uris = NULL;

      g_variant_get (parameters, "(^a&s&s)", &uris, NULL);
      for (guint i = 0; uris[i] != NULL; i++)
        g_ptr_array_add (fake.shown, g_strdup (uris[i]));

      if (fake.fail_show)
        g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.Failed",
                                                    "the fake file manager is broken");
      else
        g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_strcmp0 (method_name, "OpenDirectory") == 0)
    {
      GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);
      GUnixFDList *fds = g_dbus_message_get_unix_fd_list (message);
      g_autoptr(GError) error = NULL;
      gint32 handle;
      int fd;

      g_variant_get (parameters, "(&sh@a{sv})", NULL, &handle, NULL);
      g_assert_nonnull (fds);
      fd = g_unix_fd_list_get (fds, handle, &error);
      g_assert_no_error (error);
      g_assert_cmpint (fstat (fd, &fake.opened), ==, 0);
      close (fd);
      fake.n_open_directory++;

      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(o)", "/org/freedesktop/portal/desktop/request/1_1/t"));
    }
  else if (g_strcmp0 (interface_name, "org.freedesktop.Secret.Service") == 0)
    g_ptr_array_add (fake.unanswered, invocation);  /* ours until answered */
  else
    g_assert_not_reached ();
}

static guint n_acquired;

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  n_acquired++;
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  g_error ("Cannot own %s on the test bus", name);
}

static gboolean
name_has_owner (const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (fake.bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static guint
own (const char *name)
{
  guint id;

  n_acquired = 0;
  id = g_bus_own_name_on_connection (fake.bus, name, G_BUS_NAME_OWNER_FLAGS_NONE,
                                     name_acquired_cb, name_lost_cb, NULL, NULL);
  PCQ_TEST_WAIT_FOR (n_acquired == 1, WAIT_MS);
  return id;
}

static void
unown (guint       id,
       const char *name)
{
  g_bus_unown_name (id);
  PCQ_TEST_WAIT_FOR (!name_has_owner (name), WAIT_MS);
}

/* On the private session bus that GTestDBus made. */
static void
start_fake_desktop (void)
{
  static const GDBusInterfaceVTable vtable = { fake_method_cb, NULL, NULL };
  /* Where each of fake_xml's interfaces lives, in its order. */
  const char *paths[] = {
    "/org/freedesktop/FileManager1",
    "/org/freedesktop/portal/desktop",
    "/org/freedesktop/secrets",
  };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = g_dbus_node_info_new_for_xml (fake_xml, &error);
  g_assert_no_error (error);

  fake.shown = g_ptr_array_new_with_free_func (g_free);
  fake.bus = g_dbus_connection_new_for_address_sync (g_getenv ("DBUS_SESSION_BUS_ADDRESS"),
                                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                     NULL, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_dbus_connection_register_object (fake.bus, paths[i], info->interfaces[i], &vtable,
                                         NULL, NULL, &error);
      g_assert_no_error (error);
    }
  fake.unanswered = g_ptr_array_new ();

  fake.file_manager_id = own ("org.freedesktop.FileManager1");
}


static void
reset_fake_desktop (void)
{
  g_ptr_array_set_size (fake.shown, 0);
  fake.fail_show = FALSE;
  fake.n_open_directory = 0;
  memset (&fake.opened, 0, sizeof fake.opened);
}

/* ---- the launcher alone -------------------------------------------- */

static GDBusConnection *
client_bus (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

  g_assert_no_error (error);
  return bus;
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
show_in_folder (PcqLauncher  *launcher,
                GFile        *file,
                GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pcq_launcher_show_in_folder_async (launcher, file, NULL, NULL, result_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, WAIT_MS);
  return pcq_launcher_show_in_folder_finish (launcher, result, error);
}

static char *
make_file (const char *dir,
           const char *name)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  /* Not text: no sniffing makes it something an app might take. */
  g_file_set_contents (path, "\x01\x02\x03\x04pcq", 7, &error);
  g_assert_no_error (error);
  return path;
}

/* Outside a sandbox: FileManager1.ShowItems with the file's URI. */
static void
test_show_items (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-launcher-XXXXXX");
  g_autofree char *path = make_file (dir, "shown.pcqunknown");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *uri = g_file_get_uri (file);
  g_autoptr(GDBusConnection) bus = client_bus ();
  g_autoptr(PcqLauncher) launcher = pcq_launcher_new (bus, FALSE);
  g_autoptr(GError) error = NULL;

  reset_fake_desktop ();
  g_assert_true (show_in_folder (launcher, file, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake.shown->len, ==, 1);
  g_assert_cmpstr (fake.shown->pdata[0], ==, uri);
  g_assert_cmpuint (fake.n_open_directory, ==, 0);

  pcq_test_rm_rf (dir);
}

/* In the Flatpak: the portal's OpenDirectory, given a descriptor of
 * the file itself; FileManager1 is not asked. */
static void
test_portal_open_directory (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-launcher-XXXXXX");
  g_autofree char *path = make_file (dir, "portal.pcqunknown");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GDBusConnection) bus = client_bus ();
  g_autoptr(PcqLauncher) launcher = pcq_launcher_new (bus, TRUE);
  g_autoptr(GError) error = NULL;
  /* The portal, only while a test needs it: GTK asks it for more (the
   * Inhibit portal) and warns when the fake does not answer. */
  guint portal_id = own ("org.freedesktop.portal.Desktop");
  struct stat st;

  reset_fake_desktop ();
  g_assert_true (show_in_folder (launcher, file, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake.n_open_directory, ==, 1);
  g_assert_cmpuint (fake.shown->len, ==, 0);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (fake.opened.st_dev, ==, st.st_dev);
  g_assert_cmpuint (fake.opened.st_ino, ==, st.st_ino);

  /* A file that is gone: an error, and nothing sent. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_false (show_in_folder (launcher, file, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "the file no longer exists");
  g_assert_cmpuint (fake.n_open_directory, ==, 1);

  unown (portal_id, "org.freedesktop.portal.Desktop");
  pcq_test_rm_rf (dir);
}

/* A file manager that fails: the folder is opened instead, which here
 * no app does either, and that is the error. */
static void
test_show_items_fails (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-launcher-XXXXXX");
  g_autofree char *path = make_file (dir, "fallback.pcqunknown");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GDBusConnection) bus = client_bus ();
  g_autoptr(PcqLauncher) launcher = pcq_launcher_new (bus, FALSE);
  g_autoptr(GError) error = NULL;

  reset_fake_desktop ();
  fake.fail_show = TRUE;
  g_assert_false (show_in_folder (launcher, file, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpuint (fake.shown->len, ==, 1);

  pcq_test_rm_rf (dir);
}

/* No app for the type: PCQ_LAUNCHER_ERROR_NO_APP, in words. */
static void
test_open_no_app (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-launcher-XXXXXX");
  g_autofree char *path = make_file (dir, "orphan.pcqunknown");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(PcqLauncher) launcher = pcq_launcher_new (NULL, FALSE);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  pcq_launcher_open_async (launcher, file, NULL, NULL, result_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, WAIT_MS);
  g_assert_false (pcq_launcher_open_finish (launcher, result, &error));
  g_assert_error (error, PCQ_LAUNCHER_ERROR, PCQ_LAUNCHER_ERROR_NO_APP);
  g_assert_cmpstr (error->message, ==, "No app is installed that opens “orphan.pcqunknown”");

  pcq_test_rm_rf (dir);
}

/* ---- in the window ------------------------------------------------- */

typedef struct
{
  PcqTestServer  *server;
  PcqApplication *app;
  char           *out_dir;
  char           *store_path;
} Fixture;

static gboolean
button_has_action (GtkWidget     *button,
                   gconstpointer  action)
{
  return g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), action) == 0;
}

static PcqJobRow *
find_row (GtkWidget *list)
{
  g_autoptr(GPtrArray) rows = pcq_test_find_all (list, PCQ_TYPE_JOB_ROW);

  for (guint i = 0; i < rows->len; i++)
    if (pcq_job_row_get_job (rows->pdata[i]) != NULL && gtk_widget_get_mapped (rows->pdata[i]))
      return rows->pdata[i];

  return NULL;
}

/* A finished download whose type no app opens: the row's Open is not
 * Import's folder; Open says so, and its toast's Show in Folder asks
 * the file manager for the file. */
static void
window_body (GtkWindow *window,
             gpointer   user_data)
{
  Fixture *f = user_data;
  PcqEngine *engine = pcq_application_get_engine (f->app);
  g_autofree char *url = pcq_test_server_url (f->server, "/data/ui/result.pcqunknown?size=300");
  g_autofree char *path = g_build_filename (f->out_dir, "result.pcqunknown", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *uri = g_file_get_uri (file);
  g_autoptr(GFile) source = g_file_new_for_uri (url);
  GtkWidget *import;
  GtkWidget *open;
  PcqJobRow *row;
  AdwToast *toast;

  reset_fake_desktop ();
  g_application_open (G_APPLICATION (f->app), &source, 1, "");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (pcq_engine_get_jobs (engine)) == 1 &&
                     g_strcmp0 (_pcq_window_get_subtitle (PCQ_WINDOW (window)), "1 finished") == 0,
                     WAIT_MS);
  PCQ_TEST_WAIT_FOR ((row = find_row (_pcq_window_get_list_view (PCQ_WINDOW (window)))) != NULL,
                     WAIT_MS);

  import = pcq_test_find_first (GTK_WIDGET (window), GTK_TYPE_BUTTON, button_has_action, "win.import");
  open = pcq_test_find_first (GTK_WIDGET (row), GTK_TYPE_BUTTON, button_has_action, "job.open");
  g_assert_nonnull (import);
  g_assert_nonnull (open);
  g_assert_true (gtk_widget_get_visible (open));
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (open)), !=,
                   gtk_button_get_icon_name (GTK_BUTTON (import)));
  /* And the icon is there (from the resources), not a broken image. */
  g_assert_true (gtk_icon_theme_has_icon (gtk_icon_theme_get_for_display (gtk_widget_get_display (open)),
                                          gtk_button_get_icon_name (GTK_BUTTON (open))));

  /* The task's “1 task added” toast came first. */
  gtk_widget_activate (open);
  PCQ_TEST_WAIT_FOR (g_strcmp0 (_pcq_window_get_last_toast (PCQ_WINDOW (window)),
                                "No app is installed that opens “result.pcqunknown”") == 0,
                     WAIT_MS);
  toast = _pcq_window_get_last_toast_object (PCQ_WINDOW (window));
  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "Show in Folder");

  g_signal_emit_by_name (toast, "button-clicked");
  PCQ_TEST_WAIT_FOR (fake.shown->len == 1, WAIT_MS);
  g_assert_cmpstr (fake.shown->pdata[0], ==, uri);

  gtk_window_destroy (window);
}

/* The About window's icon: the app's, from the resources, even with
 * nothing installed. */
static void
about_icon_body (GtkWindow *window,
                 gpointer   user_data)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (window)));

  g_assert_true (gtk_icon_theme_has_icon (theme, APPLICATION_ID));
  gtk_window_destroy (window);
}

/* The keyring is still looking the API key up when the window goes. */
static void
keyring_body (GtkWindow *window,
              gpointer   user_data)
{
  PCQ_TEST_WAIT_FOR (fake.unanswered->len > 0, WAIT_MS);
  gtk_window_destroy (window);
}

static void
run_window (PcqTestUiBody body)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  Fixture f = { 0 };

  f.server = pcq_test_server_new ();
  f.out_dir = pcq_test_make_tmpdir ("pcq-launcher-ui-XXXXXX");
  f.store_path = g_build_filename (f.out_dir, ".state", "queue.sqlite", NULL);
  g_settings_set_string (settings, "output-folder", f.out_dir);
  g_settings_set_boolean (settings, "commit-results", FALSE);
  g_settings_set_boolean (settings, "notify-when-finished", FALSE);

  f.app = pcq_application_new ("com.example.Pcq.Test", G_APPLICATION_NON_UNIQUE);
  _pcq_application_set_store_path (f.app, f.store_path);
  pcq_test_ui_run (f.app, TRUE, body, &f);

  g_assert_finalize_object (f.app);
  pcq_test_server_free (f.server);
  pcq_test_rm_rf (f.out_dir);
  g_free (f.out_dir);
  g_free (f.store_path);
}

static void
test_window_open_no_app (void)
{
  run_window (window_body);
}

static void
test_about_icon (void)
{
  run_window (about_icon_body);
}

/* Returns once what the fake sent so far has reached this process's
 * session connection (the application's too) and what it set off has
 * run: a call made after it is answered, since the bus keeps one
 * sender's messages in order. */
static void
wait_for_answers_sent (void)
{
  g_autoptr(GDBusConnection) bus = client_bus ();
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (bus, g_dbus_connection_get_unique_name (fake.bus), "/",
                                       "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, &error);
  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A keyring that never answers does not keep the application alive
 * once its window is gone (run_window () sees it finalized), and its
 * late answer reaches nothing. */
static void
test_keyring_never_answers (void)
{
  guint id = own ("org.freedesktop.secrets");

  run_window (keyring_body);

  unown (id, "org.freedesktop.secrets");
  /* Answered at last: the lookup was cancelled with the application,
   * and its callback must not touch it. */
  for (guint i = 0; i < fake.unanswered->len; i++)
    g_dbus_method_invocation_return_dbus_error (fake.unanswered->pdata[i],
                                                "org.freedesktop.DBus.Error.Failed", "too late");
  g_ptr_array_set_size (fake.unanswered, 0);
  wait_for_answers_sent ();
}

/* ---- setup ---------------------------------------------------------- */

/* Data folders with the icons and the schemas, and no applications:
 * one beside each system data folder, linking all else that counts;
 * no mimeapps.list anywhere. */
static void
isolate_apps (const char *home)
{
  const char *links[] = { "icons", "glib-2.0", "mime", "fonts" };
  /* Read from the environment, not g_get_system_data_dirs(): that
   * caches its answer, and GIO would go on finding the apps. */
  const char *data_dirs = g_getenv ("XDG_DATA_DIRS");
  g_auto(GStrv) dirs = g_strsplit (data_dirs != NULL && *data_dirs != '\0'
                                   ? data_dirs : "/usr/local/share:/usr/share", ":", -1);
  g_autoptr(GStrvBuilder) isolated = g_strv_builder_new ();
  g_auto(GStrv) isolated_dirs = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *config = g_build_filename (home, "etc-xdg", NULL);

  for (guint j = 0; dirs[j] != NULL; j++)
    {
      g_autofree char *name = g_strdup_printf ("share-%u", j);
      g_autofree char *share = g_build_filename (home, name, NULL);

      g_assert_cmpint (g_mkdir_with_parents (share, 0700), ==, 0);
      for (guint i = 0; i < G_N_ELEMENTS (links); i++)
        {
          g_autofree char *target = g_build_filename (dirs[j], links[i], NULL);
          g_autofree char *link = g_build_filename (share, links[i], NULL);

          if (g_file_test (target, G_FILE_TEST_IS_DIR))
            g_assert_cmpint (symlink (target, link), ==, 0);
        }
      g_strv_builder_add (isolated, share);
    }

  isolated_dirs = g_strv_builder_end (isolated);
  joined = g_strjoinv (":", isolated_dirs);
  g_assert_cmpint (g_mkdir_with_parents (config, 0700), ==, 0);
  g_setenv ("XDG_DATA_DIRS", joined, TRUE);
  g_setenv ("XDG_CONFIG_DIRS", config, TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  /* Kept (static) for the life of the process: see the end. */
  static GTestDBus *dbus;
  g_autofree char *display = NULL;
  int status;

  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  home = pcq_test_ui_private_home ("pcq-launcher-home-XXXXXX");
  isolate_apps (home);
  g_unsetenv ("PCQ_API_KEY");

  g_test_init (&argc, &argv, NULL);
  pcq_test_ui_quiet_soup ();

  /* A bus of our own: no real file manager answers, and the fake names
   * are free whatever else runs. */
  display = g_strdup (g_getenv ("DISPLAY"));
  dbus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (dbus);
  /* GTestDBus unsets it (against X11 bus autolaunch): GTK needs it. */
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);
  start_fake_desktop ();

  g_test_add_func ("/pcq/launcher/show-items", test_show_items);
  g_test_add_func ("/pcq/launcher/portal-open-directory", test_portal_open_directory);
  g_test_add_func ("/pcq/launcher/show-items-fails", test_show_items_fails);
  g_test_add_func ("/pcq/launcher/open-no-app", test_open_no_app);
  g_test_add_func ("/pcq/launcher/window-open-no-app", test_window_open_no_app);
  g_test_add_func ("/pcq/launcher/about-icon", test_about_icon);
  g_test_add_func ("/pcq/launcher/keyring-never-answers", test_keyring_never_answers);

  status = g_test_run ();

  g_bus_unown_name (fake.file_manager_id);
  g_dbus_connection_flush_sync (fake.bus, NULL, NULL);
  g_clear_object (&fake.bus);
  g_clear_pointer (&fake.shown, g_ptr_array_unref);
  g_clear_pointer (&fake.unanswered, g_ptr_array_unref);
  /* Not _down(), nor the last unref (which calls it): that waits for
   * the last reference to the session bus, and libadwaita's settings
   * keep one for the life of the process. */
  g_test_dbus_stop (dbus);
  pcq_test_rm_rf (home);
  return status;
}
