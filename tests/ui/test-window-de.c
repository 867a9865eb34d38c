/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The real window in German (LANGUAGE=de, with the .mo this build made,
 * found through PCQ_LOCALEDIR): its widgets, the main menu and the
 * preferences show the strings of po/de.po, and so do the messages the
 * engine makes (a 404, a redirect loop), in a row of the window and on
 * the terminal of a headless run.
 */

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "pcq-application.h"
#include "pcq-closures.h"
#include "pcq-job-row.h"
#include "pcq-test-server.h"
#include "pcq-test-headless.h"
#include "pcq-test-util.h"
#include "pcq-test-ui.h"
#include "pcq-window-private.h"

#define WAIT_MS 20000

typedef struct
{
  PcqTestServer  *server;
  PcqApplication *app;
  PcqWindow      *window;   /* weak: NULL once the window is gone */
  char           *out_dir;
} Fixture;

typedef void (*TestBody) (Fixture *f);

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *store_path = NULL;

  f->server = pcq_test_server_new ();
  f->out_dir = pcq_test_make_tmpdir ("pcq-ui-de-XXXXXX");
  store_path = g_build_filename (f->out_dir, ".state", "queue.sqlite", NULL);

  /* Read when the application starts. No notification: no server for
   * them here. */
  g_settings_set_string (settings, "output-folder", f->out_dir);
  g_settings_set_uint (settings, "max-active", 4);
  g_settings_set_uint (settings, "retries", 0);
  g_settings_set_boolean (settings, "notify-when-finished", FALSE);
  g_settings_set_boolean (settings, "commit-results", FALSE);

  /* Not unique: the ui tests run in parallel on one session bus. */
  f->app = pcq_application_new ("com.example.Pcq.TestDe", G_APPLICATION_NON_UNIQUE);
  _pcq_application_set_store_path (f->app, store_path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->app);
  f->app = NULL;
  g_clear_pointer (&f->server, pcq_test_server_free);
  pcq_test_rm_rf (f->out_dir);
  g_clear_pointer (&f->out_dir, g_free);
}

static void
run_body (GtkWindow *window,
          gpointer   user_data)
{
  Fixture *f = user_data;
  TestBody body = g_object_get_data (G_OBJECT (f->app), "pcq-test-body");

  f->window = PCQ_WINDOW (window);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  body (f);
}

static void
run_in_app (Fixture       *f,
            gconstpointer  data)
{
  g_object_set_data (G_OBJECT (f->app), "pcq-test-body", (gpointer) data);
  pcq_test_ui_run (f->app, FALSE, run_body, f);
  g_assert_null (f->window);
}

/* ---- widget tree --------------------------------------------------- */

/* TRUE if a label under @widget says @text. */
static gboolean
has_label (GtkWidget  *widget,
           const char *text)
{
  g_autoptr(GPtrArray) labels = pcq_test_find_all (widget, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_text (labels->pdata[i]), text) == 0)
      return TRUE;

  return FALSE;
}

static GtkWidget *
find_with_action (GtkWidget  *widget,
                  const char *action)
{
  g_autoptr(GPtrArray) actionables = pcq_test_find_all (widget, GTK_TYPE_ACTIONABLE);

  for (guint i = 0; i < actionables->len; i++)
    if (g_strcmp0 (gtk_actionable_get_action_name (actionables->pdata[i]), action) == 0)
      return actionables->pdata[i];

  return NULL;
}

/* The labels of a menu and its sections and submenus, in order. */
static void
collect_menu_labels (GMenuModel *model,
                     GPtrArray  *labels)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autoptr(GMenuLinkIter) links = NULL;
      char *label = NULL;

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
        g_ptr_array_add (labels, label);

      links = g_menu_model_iterate_item_links (model, i);
      while (g_menu_link_iter_next (links))
        {
          g_autoptr(GMenuModel) link = g_menu_link_iter_get_value (links);

          collect_menu_labels (link, labels);
        }
    }
}

static gboolean
str_array_has (GPtrArray  *strings,
               const char *string)
{
  for (guint i = 0; i < strings->len; i++)
    if (g_strcmp0 (strings->pdata[i], string) == 0)
      return TRUE;

  return FALSE;
}

/* The window's row of @job, once it is shown. */
static PcqJobRow *
row_for_job (Fixture *f,
             PcqJob  *job)
{
  g_autoptr(GPtrArray) rows = pcq_test_find_all (_pcq_window_get_list_view (f->window), PCQ_TYPE_JOB_ROW);

  for (guint i = 0; i < rows->len; i++)
    if (pcq_job_row_get_job (rows->pdata[i]) == job && gtk_widget_get_mapped (rows->pdata[i]))
      return rows->pdata[i];

  return NULL;
}

static PcqJob *
job_at (Fixture *f,
        guint    position)
{
  GListModel *jobs = pcq_engine_get_jobs (pcq_application_get_engine (f->app));
  g_autoptr(PcqJob) job = g_list_model_get_item (jobs, position);

  return job;  /* the list keeps it alive */
}

/* ---- the tests ----------------------------------------------------- */

static gboolean
is_primary_menu (GtkWidget     *widget,
                 gconstpointer  data)
{
  return gtk_menu_button_get_primary (GTK_MENU_BUTTON (widget));
}

static void
test_widgets (Fixture *f)
{
  GtkWidget *window = GTK_WIDGET (f->window);
  g_autoptr(GPtrArray) menu_labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) groups = NULL;
  GtkWidget *status_page;
  GtkWidget *pause;
  GtkWidget *menu_button;
  GtkWidget *page;
  GtkWindow *preferences;
  GtkEditable *entry = _pcq_window_get_entry (f->window);
  gboolean queue_group = FALSE;
  gboolean network_group = FALSE;

  /* The header bar, the empty list and the entry. */
  g_assert_cmpstr (_pcq_window_get_subtitle (f->window), ==, "Keine Aufgaben");

  status_page = pcq_test_find_first (window, ADW_TYPE_STATUS_PAGE, NULL, NULL);
  g_assert_nonnull (status_page);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status_page)), ==, "Keine Aufgaben");
  g_assert_true (g_str_has_prefix (adw_status_page_get_description (ADW_STATUS_PAGE (status_page)),
                                   "Fügen Sie oben Links ein"));

  g_assert_true (GTK_IS_ENTRY (entry));
  g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (entry)), ==,
                   "Links einfügen, einer pro Zeile, und Eingabetaste drücken");

  g_assert_nonnull (pcq_test_find_first (window, GTK_TYPE_BUTTON, pcq_test_button_has_label, "_Hinzufügen"));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (_pcq_window_get_mode_button (f->window, "download"))),
                   ==, "Herunter_laden");
  g_assert_true (has_label (window, "Fehlgeschlagen"));  /* a filter */

  pause = find_with_action (window, "win.pause");
  g_assert_nonnull (pause);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pause), ==, "Warteschlange anhalten");

  /* The main menu (the primary one: Pause has a menu too). */
  menu_button = pcq_test_find_first (window, GTK_TYPE_MENU_BUTTON, is_primary_menu, NULL);
  g_assert_nonnull (menu_button);
  g_assert_nonnull (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (menu_button)));
  collect_menu_labels (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (menu_button)), menu_labels);
  g_assert_true (str_array_has (menu_labels, "_Einstellungen"));
  g_assert_true (str_array_has (menu_labels, "_Tastenkürzel"));
  g_assert_true (str_array_has (menu_labels, "Inf_o zu Pcq"));

  /* The preferences, opened as the menu opens them. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "preferences", NULL);
  PCQ_TEST_WAIT_FOR ((preferences = pcq_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW)) != NULL &&
                     gtk_widget_get_mapped (GTK_WIDGET (preferences)), WAIT_MS);
  g_assert_cmpstr (gtk_window_get_title (preferences), ==, "Einstellungen");

  page = pcq_test_find_first (GTK_WIDGET (preferences), ADW_TYPE_PREFERENCES_PAGE, NULL, NULL);
  g_assert_nonnull (page);
  g_assert_cmpstr (adw_preferences_page_get_title (ADW_PREFERENCES_PAGE (page)), ==, "Allgemein");

  groups = pcq_test_find_all (GTK_WIDGET (preferences), ADW_TYPE_PREFERENCES_GROUP);
  for (guint i = 0; i < groups->len; i++)
    if (g_strcmp0 (adw_preferences_group_get_title (groups->pdata[i]), "Warteschlange") == 0)
      queue_group = TRUE;
    else if (g_strcmp0 (adw_preferences_group_get_title (groups->pdata[i]), "Netzwerk") == 0)
      network_group = TRUE;
  g_assert_true (queue_group);
  g_assert_true (network_group);
  g_assert_true (has_label (GTK_WIDGET (preferences), "Bei getakteten Verbindungen herunterladen"));

  gtk_window_destroy (preferences);
  PCQ_TEST_WAIT_FOR (pcq_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW) == NULL, WAIT_MS);

  /* The close dialog says what each choice does, in German, with
   * plural forms; the banner's way back is there. */
  {
    g_autofree char *body = pcq_format_close_body (2, 1);
    g_autofree char *one = pcq_format_close_body (1, 0);

    g_assert_cmpstr (body, ==,
                     "„Jetzt stoppen“ unterbricht 2 laufende Aufgaben; sie gehen beim nächsten "
                     "Mal weiter, ebenso 1 wartende Aufgabe. „Warten“ lässt die 3 Aufgaben zu "
                     "Ende laufen und schließt dann das Fenster.");
    g_assert_cmpstr (one, ==,
                     "„Jetzt stoppen“ unterbricht 1 laufende Aufgabe; sie geht beim nächsten "
                     "Mal weiter. „Warten“ lässt die Aufgabe zu Ende laufen und schließt dann "
                     "das Fenster.");
  }
  g_assert_nonnull (pcq_test_find_first (window, GTK_TYPE_BUTTON, pcq_test_button_has_label,
                                         "_Offen lassen"));
}

/* Waits until @job failed and its row shows @error, in German. */
static void
assert_row_error (Fixture    *f,
                  PcqJob     *job,
                  const char *error)
{
  PcqJobRow *row = NULL;

  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_FAILED, WAIT_MS);
  g_assert_cmpstr (pcq_job_get_error (job), ==, error);

  PCQ_TEST_WAIT_FOR ((row = row_for_job (f, job)) != NULL &&
                     has_label (GTK_WIDGET (row), error), WAIT_MS);
  g_assert_true (g_str_has_prefix (pcq_job_row_get_detail_text (row), "Fehlgeschlagen"));
}

static void
test_core_errors (Fixture *f)
{
  g_autofree char *missing = pcq_test_server_url (f->server, "/status/404/fehlt.bin");
  g_autofree char *loop = pcq_test_server_url (f->server, "/loop/a");
  g_autofree char *both = g_strdup_printf ("%s\n%s", missing, loop);
  g_autofree char *loop_start = g_strdup_printf ("Umleitungsschleife: „%s“ leitet zurück auf „", loop);
  PcqJob *looping;

  g_assert_cmpuint (pcq_window_add_text (f->window, both, NULL), ==, 0);  /* none rejected */
  g_assert_cmpuint (g_list_model_get_n_items (pcq_engine_get_jobs (pcq_application_get_engine (f->app))),
                    ==, 2);

  /* The worker's GError messages, as the row shows them. */
  assert_row_error (f, job_at (f, 0), "Der Server antwortete mit 404 Not Found");

  /* Two URLs in one sentence: the order of a German translation. */
  looping = job_at (f, 1);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (looping) == PCQ_JOB_FAILED, WAIT_MS);
  g_assert_true (g_str_has_prefix (pcq_job_get_error (looping), loop_start));
  g_assert_true (g_str_has_suffix (pcq_job_get_error (looping), "/loop/a“ um"));
  assert_row_error (f, looping, pcq_job_get_error (looping));

  PCQ_TEST_WAIT_FOR (g_strcmp0 (_pcq_window_get_subtitle (f->window), "2 fehlgeschlagen") == 0,
                     WAIT_MS);
}

/* ---- headless ------------------------------------------------------ */

/* A headless run in German: its own words (the state of the failed
 * task, --help) and the engine's message. The server answers on this
 * thread's main context, which pcq_test_run_wait () turns. */
static void
test_headless (void)
{
  g_autoptr(PcqTestServer) server = pcq_test_server_new ();
  g_autofree char *home = pcq_test_make_tmpdir ("pcq-ui-de-headless-XXXXXX");
  g_autofree char *state = pcq_test_make_subdir (home, "state");
  g_autofree char *config = pcq_test_make_subdir (home, "config");
  g_autofree char *out = pcq_test_make_subdir (home, "out");
  g_autofree char *missing = pcq_test_server_url (server, "/status/404/fehlt.bin");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(PcqTestRun) failed = NULL;
  g_autoptr(PcqTestRun) help = NULL;
  const char *err;

  launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                         G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                         home, state, config);
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "de", TRUE);

  failed = pcq_test_run_spawn (launcher, NULL, (const char *[]) { "-o", out, missing, NULL });
  pcq_test_run_wait (failed, WAIT_MS);
  err = pcq_test_run_get_stderr (failed);
  g_assert_cmpint (pcq_test_run_exit_status (failed), !=, 0);
  g_assert_nonnull (strstr (err, "Der Server antwortete mit 404 Not Found"));
  g_assert_nonnull (strstr (err, ": fehlgeschlagen: "));
  g_assert_null (strstr (err, "Server answered"));

  help = pcq_test_run_spawn (launcher, NULL, (const char *[]) { "--help", NULL });
  pcq_test_run_wait (help, WAIT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (help), ==, 0);
  g_assert_nonnull (strstr (pcq_test_run_get_stdout (help), "Maximal aktive API-Aufgaben, 1–64"));
  g_assert_nonnull (strstr (pcq_test_run_get_stdout (help),
                            "ohne Fenster. Der API-Schlüssel kommt aus PCQ_API_KEY oder dem Schlüsselbund."));

  pcq_test_rm_rf (home);
}

/* ---- main ---------------------------------------------------------- */

int
main (int    argc,
      char **argv)
{
  const char *localedir = g_getenv ("PCQ_LOCALEDIR");
  const char *locale;
  g_autofree char *mo = NULL;
  g_autofree char *home = NULL;
  int status;

  /* German, as main.c sets it up. gettext ignores LANGUAGE in the plain
   * "C" locale: C.UTF-8 is a real one. */
  g_setenv ("LANGUAGE", "de", TRUE);
  locale = setlocale (LC_ALL, "");
  if (locale == NULL || g_str_equal (locale, "C") || g_str_equal (locale, "POSIX"))
    setlocale (LC_ALL, "C.UTF-8");

  g_test_init (&argc, &argv, NULL);
  pcq_test_ui_private_bus ();

  if (localedir == NULL || *localedir == '\0')
    g_error ("PCQ_LOCALEDIR is not set: run this test with meson test");
  mo = g_build_filename (localedir, "de", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  if (!g_file_test (mo, G_FILE_TEST_IS_REGULAR))
    g_error ("%s is missing: the po targets were not built", mo);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (g_strcmp0 (_("No Tasks"), "Keine Aufgaben") != 0)
    g_error ("no German translation with locale %s: %s",
             setlocale (LC_MESSAGES, NULL), _("No Tasks"));

  /* Private home, config, data, cache and state folders. */
  home = pcq_test_ui_private_home ("pcq-ui-de-home-XXXXXX");

  pcq_test_ui_quiet_soup ();

  g_test_add ("/pcq/window-de/widgets", Fixture, (gconstpointer) test_widgets,
              fixture_setup, run_in_app, fixture_teardown);
  g_test_add ("/pcq/window-de/core-errors", Fixture, (gconstpointer) test_core_errors,
              fixture_setup, run_in_app, fixture_teardown);
  g_test_add_func ("/pcq/window-de/headless-error", test_headless);

  status = g_test_run ();
  pcq_test_ui_private_bus_stop ();
  pcq_test_rm_rf (home);

  return status;
}
