/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "pcq-test-ui.h"
#include "pcq-test-util.h"

#define WAIT_MS 20000

/**
 * pcq_test_ui_private_home:
 * @tmpl: a g_dir_make_tmp() template
 *
 * Makes a temp folder with home, config, data, cache and state folders
 * and points HOME and the XDG variables at them. Not
 * G_TEST_OPTION_ISOLATE_DIRS: that also hides XDG_DATA_DIRS, and with
 * it the icon theme and the MIME database.
 *
 * Returns: (transfer full): the temp folder, for pcq_test_rm_rf()
 */
char *
pcq_test_ui_private_home (const char *tmpl)
{
  static const char *const xdg_vars[][2] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_STATE_HOME", "state" },
  };
  char *home = g_dir_make_tmp (tmpl, NULL);

  g_assert_nonnull (home);
  for (guint i = 0; i < G_N_ELEMENTS (xdg_vars); i++)
    {
      g_autofree char *dir = g_build_filename (home, xdg_vars[i][1], NULL);

      g_mkdir_with_parents (dir, 0700);
      g_setenv (xdg_vars[i][0], dir, TRUE);
    }

  return home;
}

static GTestDBus *private_bus;

/**
 * pcq_test_ui_private_bus:
 *
 * Starts a session bus of the test's own, with no services to
 * activate, and points DBUS_SESSION_BUS_ADDRESS at it. Call it before
 * anything talks to the session bus.
 *
 * Whatever else the bus of `dbus-run-session` offers must not decide
 * the result: there, libadwaita's settings lookup activates
 * xdg-desktop-portal, and then GtkApplication's inhibit goes through
 * the portal, whose backend warns when it cannot open the display
 * (it can't when the bus was started outside `xvfb-run`), and the
 * warning is fatal in a test. GTK 4.8 has no switch to keep it off
 * the portal (GDK_DEBUG has only "portals", to force them), so the
 * window gets a bus with no portal on it. The application inhibits
 * nothing then; the tests check the application's own state.
 */
void
pcq_test_ui_private_bus (void)
{
  g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));

  g_assert_null (private_bus);
  private_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (private_bus);

  /* g_test_dbus_up() unsets DISPLAY too; the window needs Xvfb's. */
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);
}

/**
 * pcq_test_ui_private_bus_stop:
 *
 * Stops the bus of pcq_test_ui_private_bus(), after g_test_run().
 * Not g_test_dbus_down(): GTK keeps its reference to the bus
 * connection until the process exits, and that one would wait for it.
 */
void
pcq_test_ui_private_bus_stop (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

  g_assert_nonnull (private_bus);
  /* The bus going away must not end the process with SIGTERM. */
  if (bus != NULL)
    g_dbus_connection_set_exit_on_close (bus, FALSE);
  g_test_dbus_stop (private_bus);
}

/* Stop Now and finished tests reset connections in the middle of a
 * body; the server's libsoup then warns that its peer is gone. That is
 * expected, not a fault: keep it out of the TAP output (where a fatal
 * warning reads as “Bail out!”). Anything else goes on as usual. */
static void
soup_log_cb (const char     *log_domain,
             GLogLevelFlags  log_level,
             const char     *message,
             gpointer        user_data)
{
  if (message != NULL &&
      (strstr (message, "could not get remote address") != NULL ||
       strstr (message, "could not get local address") != NULL))
    return;

  g_log_default_handler (log_domain, log_level, message, user_data);
}

void
pcq_test_ui_quiet_soup (void)
{
  g_log_set_handler ("libsoup", G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL, soup_log_cb, NULL);
}

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

typedef struct
{
  gboolean       focus;
  PcqTestUiBody  body;
  gpointer       user_data;
  gboolean       ran;
  GtkWindow     *window;  /* weak */
} Run;

static void
started_cb (GApplication *app,
            Run          *run)
{
  /* No blinking cursor: with no window manager, the X focus moves
   * between the windows of consecutive tests in its own time, and the
   * blink timer then warns that it missed a focus-out. */
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);
}

/* The first activation waits until the queue store is read; the window
 * comes with the second. */
static void
activated_cb (GApplication *app,
              Run          *run)
{
  GtkWindow *window = pcq_application_get_window (PCQ_APPLICATION (app));

  if (window == NULL || run->ran)
    return;

  run->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &run->window);
  /* Mapped, and focused if the test types into it. (With no window
   * manager, the X server hands the focus over when the window maps.) */
  PCQ_TEST_WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (run->window)) &&
                     (!run->focus || gtk_window_is_active (run->window)), WAIT_MS);

  /* Marked first: a body may activate the application itself. */
  run->ran = TRUE;
  run->body (window, run->user_data);

  /* Returning with no window left ends g_application_run(). */
  if (run->window != NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (run->window), "win.stop-now", NULL);
      PCQ_TEST_WAIT_FOR (run->window == NULL, WAIT_MS);
    }
}

/**
 * pcq_test_ui_run:
 *
 * Runs @app as `pcq` runs it: @body gets its window once that is shown;
 * a window @body leaves open is stopped with Stop Now. Fails the test
 * unless @body ran, the window is gone and the application exited 0.
 */
void
pcq_test_ui_run (PcqApplication *app,
                 gboolean        focus,
                 PcqTestUiBody   body,
                 gpointer        user_data)
{
  char *argv[] = { (char *) "pcq", NULL };
  Run run = { focus, body, user_data, FALSE, NULL };
  gulong started, activated;
  int status;

  started = g_signal_connect_after (app, "startup", G_CALLBACK (started_cb), &run);
  activated = g_signal_connect_after (app, "activate", G_CALLBACK (activated_cb), &run);

  status = g_application_run (G_APPLICATION (app), 1, argv);

  g_signal_handler_disconnect (app, started);
  g_signal_handler_disconnect (app, activated);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (run.ran);
  g_assert_null (run.window);
}
