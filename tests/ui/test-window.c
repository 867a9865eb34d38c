/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The real window, driven as a person would (entry, actions, row
 * actions, the close dialog), against a loopback HTTP server. Every wait
 * spins the main loop on a condition, with a deadline.
 */

#include "config.h"

#include <locale.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "pcq-application.h"
#include "pcq-clock.h"
#include "pcq-job-row.h"
#include "pcq-keyring.h"
#include "pcq-test-monitor.h"
#include "pcq-test-server.h"
#include "pcq-test-util.h"
#include "pcq-test-ui.h"
#include "pcq-answer-window.h"
#include "pcq-preferences-window.h"
#include "pcq-clock.h"
#include "pcq-window-private.h"

#define WAIT_MS 60000  /* generous: the ASan run shares two cores with every other test */

typedef struct
{
  PcqTestServer  *server;
  PcqApplication *app;
  PcqWindow      *window;   /* weak: NULL once the window is gone */
  PcqEngine      *engine;
  GSettings      *settings;
  char           *out_dir;
  char           *store_path;
} Fixture;

/* A small, fast file. */
static char *
data_url (Fixture    *f,
          const char *name,
          guint       size)
{
  return pcq_test_server_url (f->server, "/data/ui/%s?size=%u", name, size);
}

/* A file that takes about @seconds to arrive. */
static char *
slow_url (Fixture    *f,
          const char *name,
          double      seconds)
{
  guint chunk = 4096;
  guint delay = 50;
  guint size = (guint) (seconds * 1000 / delay) * chunk;

  return pcq_test_server_url (f->server, "/data/ui/%s?size=%u&chunk=%u&delay=%u",
                              name, size, chunk, delay);
}

typedef void (*TestBody) (Fixture       *f,
                          gconstpointer  data);

static PcqApplication *
new_app (Fixture *f)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  PcqApplication *app;

  /* Settings first: the application reads them when it starts. The
   * memory backend is shared by every GSettings in this process. */
  g_settings_set_string (settings, "output-folder", f->out_dir);
  g_settings_set_uint (settings, "max-active", 4);
  g_settings_set_uint (settings, "retries", 1);
  g_settings_set_boolean (settings, "notify-when-finished", TRUE);
  g_settings_set_boolean (settings, "commit-results", FALSE);
  /* The window keeps its size in the settings as it closes. */
  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
  g_settings_reset (settings, "window-maximized");

  /* Not unique: tests run in parallel on one session bus. Each test
   * has its own queue store. */
  app = pcq_application_new ("com.example.Pcq.Test", G_APPLICATION_NON_UNIQUE);
  _pcq_application_set_store_path (app, f->store_path);

  return app;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = pcq_test_server_new ();
  f->out_dir = pcq_test_make_tmpdir ("pcq-ui-XXXXXX");
  f->store_path = g_build_filename (f->out_dir, ".state", "queue.sqlite", NULL);
  f->app = new_app (f);
}

/* The test proper, with the fixture's view of the application. */
static void
run_body (GtkWindow *window,
          gpointer   user_data)
{
  Fixture *f = user_data;
  TestBody body = g_object_get_data (G_OBJECT (f->app), "pcq-test-body");

  f->settings = pcq_application_get_settings (f->app);
  f->engine = pcq_application_get_engine (f->app);
  g_assert_cmpuint (pcq_engine_get_max_active (f->engine), ==, 4);

  f->window = PCQ_WINDOW (window);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  body (f, NULL);
}

/* The whole life of the application, as `pcq` runs it. */
static void
run_in_app (Fixture       *f,
            gconstpointer  data)
{
  g_object_set_data (G_OBJECT (f->app), "pcq-test-body", (gpointer) data);
  pcq_test_ui_run (f->app, TRUE, run_body, f);
  g_assert_null (f->window);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->app);
  f->app = NULL;
  f->engine = NULL;
  f->settings = NULL;

  g_clear_pointer (&f->server, pcq_test_server_free);
  pcq_test_rm_rf (f->out_dir);
  g_clear_pointer (&f->out_dir, g_free);
  g_clear_pointer (&f->store_path, g_free);
}

/* ---- helpers ------------------------------------------------------- */

static PcqJob *
job_at (Fixture *f,
        guint    position)
{
  g_autoptr(PcqJob) job = g_list_model_get_item (pcq_engine_get_jobs (f->engine), position);

  return job;  /* the list keeps it alive */
}

static guint
n_jobs (Fixture *f)
{
  return g_list_model_get_n_items (pcq_engine_get_jobs (f->engine));
}

static void
collect_rows (GtkWidget *widget,
              GPtrArray *rows)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (PCQ_IS_JOB_ROW (child))
        {
          if (pcq_job_row_get_job (PCQ_JOB_ROW (child)) != NULL && gtk_widget_get_mapped (child))
            g_ptr_array_add (rows, child);
        }
      else
        collect_rows (child, rows);
    }
}

static PcqJobRow *
row_for_job (Fixture *f,
             PcqJob  *job)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  collect_rows (_pcq_window_get_list_view (f->window), rows);
  for (guint i = 0; i < rows->len; i++)
    if (pcq_job_row_get_job (rows->pdata[i]) == job)
      return rows->pdata[i];

  return NULL;
}

/* TRUE when @n rows are shown and every one's detail line starts with
 * @prefix. */
static gboolean
rows_say (Fixture    *f,
          guint       n,
          const char *prefix)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  collect_rows (_pcq_window_get_list_view (f->window), rows);
  if (rows->len != n)
    return FALSE;

  for (guint i = 0; i < rows->len; i++)
    if (!g_str_has_prefix (pcq_job_row_get_detail_text (rows->pdata[i]), prefix))
      return FALSE;

  return TRUE;
}

static gboolean
subtitle_is (Fixture    *f,
             const char *expected)
{
  return g_strcmp0 (_pcq_window_get_subtitle (f->window), expected) == 0;
}

static gboolean
job_is (PcqJob      *job,
        PcqJobState  state)
{
  return pcq_job_get_state (job) == state;
}

static gboolean
job_has_bytes (PcqJob *job)
{
  return pcq_job_get_state (job) == PCQ_JOB_ACTIVE && pcq_job_get_bytes (job) > 0;
}

/* The rows in the queue store, or -1 if it cannot be read yet. */
static int
store_rows (Fixture *f)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int n = -1;

  if (sqlite3_open_v2 (f->store_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT count(*) FROM jobs", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int (stmt, 0);

  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

static guint
n_shown (Fixture *f)
{
  return g_list_model_get_n_items (_pcq_window_get_shown_jobs (f->window));
}

/* A PcqTestWidgetMatch for libadwaita's toast widgets: does it show
 * @toast? */
static gboolean
shows_toast (GtkWidget     *widget,
             gconstpointer  toast)
{
  g_autoptr(AdwToast) shown = NULL;

  g_object_get (widget, "toast", &shown, NULL);
  return shown == toast;
}

/* The widget an overlay shows @toast with, or NULL while it is queued
 * (the type is libadwaita's own: known by name once one was made). */
static GtkWidget *
toast_widget (GtkWidget *widget,
              AdwToast  *toast)
{
  GType type = g_type_from_name ("AdwToastWidget");

  return type != 0 ? pcq_test_find_first (widget, type, shows_toast, toast) : NULL;
}

static void
last_frame_time_cb (GdkFrameClock *clock,
                    gint64        *frame_time)
{
  *frame_time = gdk_frame_clock_get_frame_time (clock);
}

/* libadwaita 1.2 crashes when a toast is dismissed while it still
 * slides in: its show animation (300 ms, 500 ms when it replaces
 * another toast) outlives the hide one. A person cannot click that
 * fast, a test can. The animation starts on the window's frame clock
 * when the toast's widget goes into the overlay, and ends in the first
 * frame 500 ms later: wait for that frame. A toast still queued has no
 * widget yet, and dismissing it is safe. */
static void
wait_toast_shown (Fixture  *f,
                  AdwToast *toast)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (f->window));
  gint64 frame_time = 0;
  gint64 over;
  gulong handler;

  if (toast_widget (GTK_WIDGET (f->window), toast) == NULL)
    return;

  over = gdk_frame_clock_get_frame_time (clock) + 500 * G_TIME_SPAN_MILLISECOND;
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (last_frame_time_cb), &frame_time);
  while (frame_time <= over)
    {
      gint64 seen = frame_time;

      gtk_widget_queue_draw (GTK_WIDGET (f->window));
      PCQ_TEST_WAIT_FOR (frame_time != seen, WAIT_MS);
    }
  g_signal_handler_disconnect (clock, handler);
}

/* The toast going away (its timeout, or the user's ×). */
static void
dismiss_toast (Fixture *f)
{
  AdwToast *toast = _pcq_window_get_last_toast_object (f->window);

  g_assert_nonnull (toast);
  wait_toast_shown (f, toast);
  adw_toast_dismiss (toast);
}

/* The toast's Undo, as a click gives it: the button, then the toast
 * goes away. */
static void
undo_toast (Fixture *f)
{
  AdwToast *toast = _pcq_window_get_last_toast_object (f->window);

  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Undo");
  wait_toast_shown (f, toast);
  g_signal_emit_by_name (toast, "button-clicked");
  adw_toast_dismiss (toast);
}

static void
set_entry (Fixture    *f,
           const char *text)
{
  gtk_editable_set_text (_pcq_window_get_entry (f->window), text);
}

static void
activate_entry (Fixture *f)
{
  g_signal_emit_by_name (_pcq_window_get_entry (f->window), "activate");
}

static void
set_max_active (Fixture *f,
                guint    max_active)
{
  g_settings_set_uint (f->settings, "max-active", max_active);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_max_active (f->engine) == max_active, WAIT_MS);
}

/* With two tasks at a time, adds @n slow tasks (PREFIX0.bin, …) of
 * @seconds each through the entry. */
static void
add_slow_tasks (Fixture    *f,
                const char *prefix,
                guint       n,
                double      seconds)
{
  g_autoptr(GString) urls = g_string_new (NULL);

  set_max_active (f, 2);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s%u.bin", prefix, i);
      g_autofree char *url = slow_url (f, name, seconds);

      g_string_append_printf (urls, "%s\n", url);
    }
  set_entry (f, urls->str);
  activate_entry (f);
}

/* ---- adding -------------------------------------------------------- */

static void
test_add_three (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *a = data_url (f, "a.bin", 1000);
  g_autofree char *b = data_url (f, "b.bin", 2000);
  g_autofree char *c = data_url (f, "c.bin", 3000);
  g_autofree char *two = g_strdup_printf ("%s\n%s", a, b);

  g_assert_true (subtitle_is (f, "No tasks"));

  /* Two lines through the entry (Enter), one through the Add action. */
  set_entry (f, two);
  activate_entry (f);
  g_assert_cmpuint (n_jobs (f), ==, 2);
  g_assert_cmpstr (gtk_editable_get_text (_pcq_window_get_entry (f->window)), ==, "");

  set_entry (f, c);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.add", NULL);
  g_assert_cmpuint (n_jobs (f), ==, 3);
  g_assert_cmpstr (gtk_editable_get_text (_pcq_window_get_entry (f->window)), ==, "");

  PCQ_TEST_WAIT_FOR (rows_say (f, 3, "Done") && subtitle_is (f, "3 finished"), WAIT_MS);

  for (guint i = 0; i < 3; i++)
    {
      PcqJob *job = job_at (f, i);
      g_autofree char *dir = g_path_get_dirname (pcq_job_get_output_path (job));

      g_assert_cmpstr (dir, ==, f->out_dir);
      pcq_test_assert_content (pcq_job_get_output_path (job), 0, 1000 * (i + 1));
    }

  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "all"), ==, "3");
  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "finished"), ==, "3");
  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "queued"), ==, "0");
  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "running"), ==, "0");
  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "failed"), ==, "0");
  g_assert_false (_pcq_application_get_inhibited (f->app));

  /* The queue drained: a window that is not in front gets told. */
  if (!gtk_window_is_active (GTK_WINDOW (f->window)))
    {
      PCQ_TEST_WAIT_FOR (_pcq_application_get_last_notification (f->app) != NULL, WAIT_MS);
      g_assert_cmpstr (_pcq_application_get_last_notification (f->app), ==, "3 tasks finished");
    }
  else
    g_assert_null (_pcq_application_get_last_notification (f->app));

  /* Clear Finished empties the list, the queue once its toast goes
  * away; the status page says what to do. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.clear-finished", NULL);
  g_assert_cmpuint (n_shown (f), ==, 0);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "3 tasks removed");
  dismiss_toast (f);
  g_assert_cmpuint (n_jobs (f), ==, 0);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "No tasks"), WAIT_MS);
}

static void
test_paste_mixed (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *a = data_url (f, "p1.bin", 500);
  g_autofree char *b = data_url (f, "p2.bin", 600);
  g_autofree char *pasted = NULL;
  GtkEditable *entry = _pcq_window_get_entry (f->window);
  GtkWidget *text = GTK_WIDGET (gtk_editable_get_delegate (entry));

  pasted = g_strdup_printf ("%s\nnot a link\n\nftp://127.0.0.1/x.iso\n  %s  \n", a, b);

  /* A real paste: through the clipboard, into the entry. */
  gdk_clipboard_set_text (gtk_widget_get_clipboard (text), pasted);
  gtk_widget_grab_focus (GTK_WIDGET (entry));
  gtk_widget_activate_action (text, "clipboard.paste", NULL);
  PCQ_TEST_WAIT_FOR (strstr (gtk_editable_get_text (entry), "ftp://") != NULL, WAIT_MS);
  g_assert_nonnull (strstr (gtk_editable_get_text (entry), "not a link\n"));

  activate_entry (f);

  /* The two links are queued; the two other lines stay, to be fixed. */
  g_assert_cmpuint (n_jobs (f), ==, 2);
  g_assert_cmpstr (pcq_job_get_url (job_at (f, 0)), ==, a);
  g_assert_cmpstr (pcq_job_get_url (job_at (f, 1)), ==, b);
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "not a link\nftp://127.0.0.1/x.iso");
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==,
                   "2 lines are not valid links and were not added");

  PCQ_TEST_WAIT_FOR (rows_say (f, 2, "Done") && subtitle_is (f, "2 finished"), WAIT_MS);

  /* Adding only bad lines queues nothing and keeps them all. */
  set_entry (f, "still not a link");
  activate_entry (f);
  g_assert_cmpuint (n_jobs (f), ==, 2);
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "still not a link");
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==,
                   "1 line is not a valid link and was not added");
}

/* ---- pause, cancel, filters ---------------------------------------- */

static void
test_pause_resume (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *a = data_url (f, "q1.bin", 700);
  g_autofree char *b = data_url (f, "q2.bin", 800);
  g_autofree char *both = g_strdup_printf ("%s\n%s", a, b);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL);
  g_assert_true (pcq_engine_get_paused (f->engine));
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "Paused · No tasks"), WAIT_MS);

  set_entry (f, both);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "Paused · 2 queued") && rows_say (f, 2, "Queued"), WAIT_MS);
  g_assert_false (_pcq_application_get_inhibited (f->app));

  /* Nothing may start while paused. */
  pcq_test_spin (500);
  g_assert_cmpuint (pcq_test_server_count_requests (f->server, NULL), ==, 0);
  g_assert_true (job_is (job_at (f, 0), PCQ_JOB_QUEUED));
  g_assert_true (job_is (job_at (f, 1), PCQ_JOB_QUEUED));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL);
  g_assert_false (pcq_engine_get_paused (f->engine));

  PCQ_TEST_WAIT_FOR (rows_say (f, 2, "Done") && subtitle_is (f, "2 finished"), WAIT_MS);
  g_assert_cmpuint (pcq_test_server_count_requests (f->server, NULL), ==, 2);
}

static void maybe_shoot_widget (GtkWidget  *widget,
                                const char *name);

static gboolean
widget_has_name (GtkWidget     *widget,
                 gconstpointer  name)
{
  return g_strcmp0 (gtk_widget_get_name (widget), name) == 0;
}

static gboolean
row_says (GtkWidget     *row,
          gconstpointer  data)
{
  const char * const *pair = data;

  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), pair[0]) == 0 &&
         g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), pair[1]) == 0;
}

static gboolean
is_details_window (GtkWindow *window)
{
  return window != NULL && g_strcmp0 (gtk_window_get_title (window), "Task Details") == 0;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Details shows the report's fields of one task; Export Report writes
 * a line per task. */
static void
test_details_export (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *url = data_url (f, "detail&s.bin", 1500);
  g_autofree char *dir = g_dir_make_tmp ("pcq-report-XXXXXX", NULL);
  g_autofree char *report = g_build_filename (dir, "report.jsonl", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *status[] = { "HTTP Status", "200" };
  const char *state[] = { "State", "Done" };
  const char *link[] = { "Link", url };
  GtkWindow *details;
  JsonObject *line;
  PcqJob *job;

  set_entry (f, url);
  activate_entry (f);
  job = job_at (f, 0);
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_DONE), WAIT_MS);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-details", "t",
                              pcq_job_get_id (job));
  PCQ_TEST_WAIT_FOR (is_details_window (details = pcq_test_find_toplevel (ADW_TYPE_WINDOW)) &&
                     gtk_widget_get_mapped (GTK_WIDGET (details)), WAIT_MS);
  g_assert_nonnull (pcq_test_find_first (GTK_WIDGET (details), ADW_TYPE_ACTION_ROW, row_says, status));
  g_assert_nonnull (pcq_test_find_first (GTK_WIDGET (details), ADW_TYPE_ACTION_ROW, row_says, state));
  /* Rows read markup (libadwaita 1.2 gives back the text shown): the
   * "&" in the link shows as it is. */
  g_assert_nonnull (strstr (url, "&"));
  g_assert_nonnull (pcq_test_find_first (GTK_WIDGET (details), ADW_TYPE_ACTION_ROW, row_says, link));
  maybe_shoot_widget (GTK_WIDGET (details), "details");
  gtk_window_destroy (details);

  _pcq_window_export_report_async (f->window, report, store_result_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, WAIT_MS);
  g_assert_true (_pcq_window_export_report_finish (f->window, result, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (report, &contents, NULL, NULL));
  g_assert_true (g_str_has_suffix (contents, "}\n"));
  g_assert_true (strchr (contents, '\n') == contents + strlen (contents) - 1);
  g_assert_true (json_parser_load_from_data (parser, contents, -1, NULL));
  line = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (line, "id"), ==, pcq_job_get_id (job));
  g_assert_cmpstr (json_object_get_string_member (line, "state"), ==, "done");
  g_assert_cmpint (json_object_get_int_member (line, "http_status"), ==, 200);
  g_assert_cmpint (json_object_get_int_member (line, "bytes"), ==, 1500);
  pcq_test_rm_rf (dir);
}

static guint
count_toplevels (GType type)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();
  guint n = 0;

  for (GList *l = toplevels; l != NULL; l = l->next)
    n += G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data);
  return n;
}

/* A server that asks for a user name and password: one dialog for its
 * two tasks; signing in runs both again with the credentials, which
 * the keyring keeps when asked to. */
static void
test_sign_in (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *a = pcq_test_server_url (f->server, "/auth/ui/signed-a.bin?size=1000&seed=1");
  g_autofree char *b = pcq_test_server_url (f->server, "/auth/ui/signed-b.bin?size=2000&seed=2");
  g_autofree char *both = g_strdup_printf ("%s\n%s", a, b);
  g_autofree char *origin = g_strdup_printf ("http://127.0.0.1:%u",
                                             pcq_test_server_get_port (f->server));
  g_autofree char *encoded = g_base64_encode ((const guchar *) "ann:pw-4u", 9);
  g_autofree char *wanted = g_strconcat ("Basic ", encoded, NULL);
  g_autofree char *asked = NULL;
  g_autofree char *answered = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(PcqBasicAuth) kept = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *user, *password, *remember;

  pcq_test_server_set_basic_auth (f->server, "ann", "pw-4u");
  set_entry (f, both);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job_at (f, 0)) == PCQ_JOB_FAILED &&
                     pcq_job_get_state (job_at (f, 1)) == PCQ_JOB_FAILED, WAIT_MS);
  g_assert_true (pcq_job_get_needs_sign_in (job_at (f, 0)));
  g_assert_true (pcq_job_get_needs_sign_in (job_at (f, 1)));

  /* One dialog for the server, however many of its tasks asked. */
  dialog = ADW_MESSAGE_DIALOG (_pcq_window_get_sign_in_dialog (f->window));
  g_assert_nonnull (dialog);
  PCQ_TEST_WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (dialog)), WAIT_MS);
  g_assert_cmpuint (count_toplevels (ADW_TYPE_MESSAGE_DIALOG), ==, 1);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Sign In");
  g_assert_true (g_str_has_prefix (adw_message_dialog_get_body (dialog), origin));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "sign-in"));

  user = pcq_test_find_first (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, widget_has_name, "sign-in-user");
  password = pcq_test_find_first (GTK_WIDGET (dialog), ADW_TYPE_PASSWORD_ENTRY_ROW,
                                  widget_has_name, "sign-in-password");
  remember = pcq_test_find_first (GTK_WIDGET (dialog), GTK_TYPE_SWITCH, widget_has_name, "sign-in-remember");
  g_assert_nonnull (user);
  g_assert_nonnull (password);
  g_assert_nonnull (remember);
  gtk_editable_set_text (GTK_EDITABLE (user), "ann");
  gtk_editable_set_text (GTK_EDITABLE (password), "pw-4u");
  gtk_switch_set_active (GTK_SWITCH (remember), TRUE);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "sign-in"));
  maybe_shoot_widget (GTK_WIDGET (dialog), "sign-in-dialog");
  adw_message_dialog_response (dialog, "sign-in");
  gtk_window_close (GTK_WINDOW (dialog));

  /* Both run again, and are let in. */
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job_at (f, 0)) == PCQ_JOB_DONE &&
                     pcq_job_get_state (job_at (f, 1)) == PCQ_JOB_DONE, WAIT_MS);
  g_assert_null (_pcq_window_get_sign_in_dialog (f->window));
  /* Even when their start was never shown, the new attempt cleared it. */
  g_assert_false (pcq_job_get_needs_sign_in (job_at (f, 0)));
  g_assert_false (pcq_job_get_needs_sign_in (job_at (f, 1)));
  pcq_test_assert_content (pcq_job_get_output_path (job_at (f, 0)), 1, 1000);
  pcq_test_assert_content (pcq_job_get_output_path (job_at (f, 1)), 2, 2000);
  g_assert_cmpuint (pcq_test_server_count_requests (f->server, "/auth/ui/signed-a.bin"), ==, 2);
  asked = pcq_test_server_dup_authorization (f->server, "/auth/ui/signed-a.bin", 0);
  answered = pcq_test_server_dup_authorization (f->server, "/auth/ui/signed-a.bin", 1);
  g_assert_null (asked);
  g_assert_cmpstr (answered, ==, wanted);

  /* Remembered: what a new process would find in the keyring. */
  pcq_keyring_wait_stored ();
  pcq_keyring_forget_passwords ();
  uri = g_uri_parse (a, G_URI_FLAGS_NONE, NULL);
  kept = pcq_keyring_basic_auth_for_challenge (uri);
  g_assert_cmpstr (pcq_basic_auth_header_for (kept, uri), ==, wanted);
  pcq_keyring_forget_passwords ();

  /* A URL that names its user, whose password is not known: asked for
   * that user only, and nothing is sent before. */
  {
    g_autofree char *c = g_strdup_printf ("http://bob@127.0.0.1:%u/auth/ui/signed-c.bin?size=700&seed=3",
                                          pcq_test_server_get_port (f->server));
    g_autofree char *bob = g_base64_encode ((const guchar *) "bob:pw-2", 8);
    g_autofree char *bob_wanted = g_strconcat ("Basic ", bob, NULL);
    g_autofree char *sent = NULL;

    pcq_test_server_set_basic_auth (f->server, "bob", "pw-2");
    set_entry (f, c);
    activate_entry (f);
    PCQ_TEST_WAIT_FOR (pcq_job_get_state (job_at (f, 2)) == PCQ_JOB_FAILED, WAIT_MS);
    g_assert_cmpuint (pcq_test_server_count_requests (f->server, "/auth/ui/signed-c.bin"), ==, 0);
    dialog = ADW_MESSAGE_DIALOG (_pcq_window_get_sign_in_dialog (f->window));
    g_assert_nonnull (dialog);
    user = pcq_test_find_first (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, widget_has_name, "sign-in-user");
    password = pcq_test_find_first (GTK_WIDGET (dialog), ADW_TYPE_PASSWORD_ENTRY_ROW,
                                    widget_has_name, "sign-in-password");
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (user)), ==, "bob");
    g_assert_false (gtk_editable_get_editable (GTK_EDITABLE (user)));
    g_assert_true (adw_message_dialog_get_response_enabled (dialog, "sign-in"));
    gtk_editable_set_text (GTK_EDITABLE (password), "pw-2");
    adw_message_dialog_response (dialog, "sign-in");
    gtk_window_close (GTK_WINDOW (dialog));

    PCQ_TEST_WAIT_FOR (pcq_job_get_state (job_at (f, 2)) == PCQ_JOB_DONE, WAIT_MS);
    pcq_test_assert_content (pcq_job_get_output_path (job_at (f, 2)), 3, 700);
    g_assert_cmpuint (pcq_test_server_count_requests (f->server, "/auth/ui/signed-c.bin"), ==, 1);
    sent = pcq_test_server_dup_authorization (f->server, "/auth/ui/signed-c.bin", 0);
    g_assert_cmpstr (sent, ==, bob_wanted);
    pcq_keyring_forget_passwords ();
  }
}

/* Start later, from the Pause button's menu: the dialog sets the
 * engine's start time (kept in GSettings), the subtitle says when, a
 * task waits, and Start Now lets it run. */
static void
test_start_later (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *url = data_url (f, "later.bin", 900);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) then = NULL;
  g_autofree char *clock = NULL;
  AdwMessageDialog *dialog;
  GtkSpinButton *hour, *minute;
  gint64 expected;

  g_assert_cmpint (pcq_engine_get_start_at (f->engine), ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.start-later", NULL);
  PCQ_TEST_WAIT_FOR ((dialog = (AdwMessageDialog *) pcq_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL &&
                     gtk_widget_get_mapped (GTK_WIDGET (dialog)), WAIT_MS);
  hour = GTK_SPIN_BUTTON (pcq_test_find_first (GTK_WIDGET (dialog), GTK_TYPE_SPIN_BUTTON,
                                               widget_has_name, "hour"));
  minute = GTK_SPIN_BUTTON (pcq_test_find_first (GTK_WIDGET (dialog), GTK_TYPE_SPIN_BUTTON,
                                                 widget_has_name, "minute"));
  g_assert_nonnull (hour);
  g_assert_nonnull (minute);

  /* Two hours from now, on the minute. */
  then = g_date_time_add_hours (now, 2);
  gtk_spin_button_set_value (hour, g_date_time_get_hour (then));
  gtk_spin_button_set_value (minute, g_date_time_get_minute (then));
  expected = pcq_clock_next (now, g_date_time_get_hour (then), g_date_time_get_minute (then), 0);
  maybe_shoot_widget (GTK_WIDGET (dialog), "start-later-dialog");
  adw_message_dialog_response (dialog, "schedule");

  g_assert_cmpint (pcq_engine_get_start_at (f->engine), ==, expected);
  g_assert_cmpint (g_settings_get_int64 (f->settings, "start-at"), ==, expected);

  set_entry (f, url);
  activate_entry (f);
  clock = g_date_time_format (then, "%H:%M");
  PCQ_TEST_WAIT_FOR (rows_say (f, 1, "Queued") &&
                     g_str_has_prefix (_pcq_window_get_subtitle (f->window), "Starts ") &&
                     strstr (_pcq_window_get_subtitle (f->window), clock) != NULL &&
                     g_str_has_suffix (_pcq_window_get_subtitle (f->window), " · 1 queued"), WAIT_MS);
  g_assert_true (job_is (job_at (f, 0), PCQ_JOB_QUEUED));
  g_assert_cmpuint (pcq_test_server_count_requests (f->server, NULL), ==, 0);
  maybe_shoot_widget (GTK_WIDGET (f->window), "start-later");

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.start-now", NULL);
  g_assert_cmpint (pcq_engine_get_start_at (f->engine), ==, 0);
  g_assert_cmpint (g_settings_get_int64 (f->settings, "start-at"), ==, 0);
  PCQ_TEST_WAIT_FOR (rows_say (f, 1, "Done") && subtitle_is (f, "1 finished"), WAIT_MS);
}

static void
test_cancel_row (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *url = slow_url (f, "slow.bin", 30);
  PcqJobRow *row;
  PcqJob *job;

  set_entry (f, url);
  activate_entry (f);
  job = job_at (f, 0);

  PCQ_TEST_WAIT_FOR (job_has_bytes (job), WAIT_MS);
  PCQ_TEST_WAIT_FOR ((row = row_for_job (f, job)) != NULL, WAIT_MS);
  g_assert_true (_pcq_application_get_inhibited (f->app));

  gtk_widget_activate_action (GTK_WIDGET (row), "job.cancel", NULL);

  /* Stopped at once, paused while Undo can bring it back (the part
   * of a file with no validator is not kept: see cancel-undo)… */
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "1 task cancelled");
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_PAUSED), WAIT_MS);

  /* … cancelled for real when the toast goes away. */
  dismiss_toast (f);
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_CANCELLED) && rows_say (f, 1, "Cancelled") &&
                     subtitle_is (f, "1 failed"), WAIT_MS);
  /* The state says it; no “Operation was cancelled” under it. */
  g_assert_null (pcq_job_get_error (job));
  g_assert_null (pcq_job_row_get_error_text (row_for_job (f, job)));
  g_assert_false (pcq_test_dir_has_part_files (f->out_dir));
  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "failed"), ==, "1");
  PCQ_TEST_WAIT_FOR (!_pcq_application_get_inhibited (f->app), WAIT_MS);
}

static const char *
button_action (Fixture *f,
               PcqJob  *job)
{
  PcqJobRow *row = row_for_job (f, job);
  GtkWidget *button = row != NULL ? pcq_job_row_get_action_button (row) : NULL;

  if (button == NULL || !gtk_widget_get_visible (button))
    return NULL;

  return gtk_actionable_get_action_name (GTK_ACTIONABLE (button));
}

/* Pause on a running row's button: the row says Paused, the task is
 * counted as queued (it has not finished), its part stays; the button
 * turns into Resume. Cancel, in the menu, still works on it. */
static void
test_pause_task (Fixture       *f,
                 gconstpointer  data)
{
  /* The first request is slow, the next one quick. */
  g_autofree char *url = pcq_test_server_url (f->server,
                                              "/flaky/ui/pt.bin?fail=1&mode=slow&etag=1&size=100000&seed=3");
  PcqJobRow *row = NULL;
  PcqJob *job;

  set_entry (f, url);
  activate_entry (f);
  job = job_at (f, 0);
  PCQ_TEST_WAIT_FOR (job_has_bytes (job) && (row = row_for_job (f, job)) != NULL, WAIT_MS);
  PCQ_TEST_WAIT_FOR (g_strcmp0 (button_action (f, job), "job.pause") == 0, WAIT_MS);
  g_assert_cmpstr (pcq_job_row_get_action_tooltip (row), ==, "Pause");

  gtk_widget_activate (pcq_job_row_get_action_button (row));
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_PAUSED) && rows_say (f, 1, "Paused") &&
                     subtitle_is (f, "1 queued"), WAIT_MS);
  g_assert_true (pcq_test_dir_has_part_files (f->out_dir));
  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "queued"), ==, "1");
  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "running"), ==, "0");
  PCQ_TEST_WAIT_FOR (g_strcmp0 (button_action (f, job), "job.resume") == 0, WAIT_MS);
  g_assert_cmpstr (pcq_job_row_get_action_tooltip (row_for_job (f, job)), ==, "Resume");
  PCQ_TEST_WAIT_FOR (!_pcq_application_get_inhibited (f->app), WAIT_MS);

  /* The menu keeps Cancel; a paused task cannot be paused again. */
  row = row_for_job (f, job);
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (row), "job.pause", NULL) &&
                  !job_is (job, PCQ_JOB_PAUSED));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "job.cancel", NULL));
  g_assert_true (job_is (job, PCQ_JOB_PAUSED));
  dismiss_toast (f);
  g_assert_true (job_is (job, PCQ_JOB_CANCELLED));
  PCQ_TEST_WAIT_FOR (rows_say (f, 1, "Cancelled") && subtitle_is (f, "1 failed"), WAIT_MS);
  g_assert_false (pcq_test_dir_has_part_files (f->out_dir));
}

/* Ctrl+P (win.pause-selected) pauses the selected running task and
 * resumes it; it finishes with the rest asked for by Range. */
static void
test_pause_selected (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *url = pcq_test_server_url (f->server,
                                              "/flaky/ui/ps.bin?fail=1&mode=slow&etag=1&size=100000&seed=4");
  g_autofree char *range = NULL;
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  PcqJob *job;

  set_entry (f, url);
  activate_entry (f);
  job = job_at (f, 0);
  PCQ_TEST_WAIT_FOR (job_has_bytes (job), WAIT_MS);

  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 0);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause-selected", NULL);
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_PAUSED) && rows_say (f, 1, "Paused"), WAIT_MS);
  g_assert_cmpuint (pcq_test_server_count_requests (f->server, NULL), ==, 1);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause-selected", NULL);
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_DONE) && rows_say (f, 1, "Done") &&
                     subtitle_is (f, "1 finished"), WAIT_MS);
  g_assert_cmpuint (pcq_test_server_count_requests (f->server, NULL), ==, 2);
  range = pcq_test_server_dup_range (f->server, "/flaky/ui/ps.bin", 1);
  g_assert_nonnull (range);
  g_assert_true (g_str_has_prefix (range, "bytes="));
  g_assert_cmpuint (g_ascii_strtoull (range + strlen ("bytes="), NULL, 10), >, 0);
}

static PcqJobRow *
focused_row (Fixture *f)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

  if (focus == NULL)
    return NULL;
  if (PCQ_IS_JOB_ROW (gtk_widget_get_first_child (focus)))
    return PCQ_JOB_ROW (gtk_widget_get_first_child (focus));
  return PCQ_JOB_ROW (gtk_widget_get_ancestor (focus, PCQ_TYPE_JOB_ROW));
}

/* The names of the tasks shown, in the list's order: "a b c". */
static char *
shown_names (Fixture *f)
{
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (shown, i);
      g_autofree char *base = g_path_get_basename (pcq_job_get_url (job));

      base[strcspn (base, "?")] = '\0';
      g_string_append_printf (names, "%s%s", i > 0 ? " " : "", base);
    }

  return g_string_free (g_steal_pointer (&names), FALSE);
}

static gboolean
shown_names_are (Fixture    *f,
                 const char *expected)
{
  g_autofree char *names = shown_names (f);

  return g_str_equal (names, expected);
}

/* The list view's key for win.move-selected with @where, if any. */
static char *
move_trigger (Fixture    *f,
              const char *where)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (_pcq_window_get_list_view (f->window));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);
          GVariant *arguments = gtk_shortcut_get_arguments (shortcut);

          if (GTK_IS_NAMED_ACTION (action) &&
              g_str_equal (gtk_named_action_get_action_name (GTK_NAMED_ACTION (action)),
                           "win.move-selected") &&
              arguments != NULL && g_str_equal (g_variant_get_string (arguments, NULL), where))
            return gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));
        }
    }

  return NULL;
}

/* @row's controller of @type (a drag source, a drop target). */
static GtkEventController *
row_controller (PcqJobRow *row,
                GType      type)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (row));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (controller, type))
        return controller;  /* the row keeps it */
    }

  return NULL;
}

/* What dragging @row would carry: the job, or NULL (no drag). */
static GdkContentProvider *
drag_row (PcqJobRow *row)
{
  GtkEventController *source = row_controller (row, GTK_TYPE_DRAG_SOURCE);
  GdkContentProvider *content = NULL;

  g_assert_nonnull (source);
  g_signal_emit_by_name (source, "prepare", 1.0, 1.0, &content);
  return content;
}

/* Drops what @content carries on @row. */
static gboolean
drop_on_row (PcqJobRow          *row,
             GdkContentProvider *content)
{
  GtkEventController *target = row_controller (row, GTK_TYPE_DROP_TARGET);
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  gboolean dropped = FALSE;

  g_assert_nonnull (target);
  g_value_init (&value, PCQ_TYPE_JOB);
  g_assert_true (gdk_content_provider_get_value (content, &value, &error));
  g_assert_no_error (error);
  g_signal_emit_by_name (target, "drop", &value, 1.0, 1.0, &dropped);
  return dropped;
}

/* Queued tasks move from their rows' menus, by keyboard (the selected
 * task, which stays selected) and by drag and drop (win.move-task-to);
 * the list shows the new order and the queue runs in it. Finished
 * tasks do not move. */
static void
test_move (Fixture       *f,
           gconstpointer  data)
{
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  g_autoptr(GString) all = g_string_new (NULL);
  g_autoptr(GPtrArray) paths = NULL;
  const char * const letters[] = { "a", "b", "c", "d" };
  const char * const keys[][2] = {
    { "up", "<Alt>Up" }, { "down", "<Alt>Down" }, { "top", "<Alt>Home" }, { "bottom", "<Alt>End" },
  };
  const char * const expected[] = { "/data/ui/a", "/data/ui/d", "/data/ui/b", "/data/ui/c" };
  PcqJob *a, *b, *d;
  PcqJobRow *row;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *trigger = move_trigger (f, keys[i][0]);

      g_assert_nonnull (trigger);
      g_assert_true (g_str_has_prefix (trigger, keys[i][1]));
    }

  set_max_active (f, 1);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (letters); i++)
    {
      g_autofree char *url = pcq_test_server_url (f->server, "/data/ui/%s?size=100", letters[i]);

      g_string_append_printf (all, "%s\n", url);
    }
  set_entry (f, all->str);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 4 && (row = row_for_job (f, job_at (f, 3))) != NULL,
                     WAIT_MS);
  a = job_at (f, 0);
  b = job_at (f, 1);
  d = job_at (f, 3);

  /* From the rows' menus. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row_for_job (f, d)), "job.move-top", NULL));
  g_assert_true (shown_names_are (f, "d a b c"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row_for_job (f, a)), "job.move-bottom", NULL));
  g_assert_true (shown_names_are (f, "d b c a"));

  /* By keyboard, on the selected row: it stays selected and focused,
   * for the next key. */
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.move-selected", "s", "up"));
  g_assert_true (shown_names_are (f, "b d c a"));
  g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (shown)), ==, 0);
  PCQ_TEST_WAIT_FOR ((row = focused_row (f)) != NULL && pcq_job_row_get_job (row) == b, WAIT_MS);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.move-selected", "s", "down");
  g_assert_true (shown_names_are (f, "d b c a"));
  g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (shown)), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.move-selected", "s", "bottom");
  g_assert_true (shown_names_are (f, "d c a b"));
  g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (shown)), ==, 3);
  PCQ_TEST_WAIT_FOR ((row = focused_row (f)) != NULL && pcq_job_row_get_job (row) == b, WAIT_MS);
  /* Nowhere to go: nothing changes. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.move-selected", "s", "down");
  g_assert_true (shown_names_are (f, "d c a b"));

  /* A drop: a's row onto d's takes its place, above it; b takes c's,
   * below it. */
  {
    g_autoptr(GdkContentProvider) content = NULL;

    PCQ_TEST_WAIT_FOR (row_for_job (f, a) != NULL && row_for_job (f, d) != NULL, WAIT_MS);
    content = drag_row (row_for_job (f, a));
    g_assert_nonnull (content);
    g_assert_true (drop_on_row (row_for_job (f, d), content));
    g_assert_true (shown_names_are (f, "a d c b"));
  }
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.move-task-to", "(tt)",
                              pcq_job_get_id (b), pcq_job_get_id (job_at (f, 2)));
  g_assert_true (shown_names_are (f, "a d b c"));

  /* A task starts once the store has it: tasks moved before that are
   * queued as the store takes them, in the order they were added. */
  PCQ_TEST_WAIT_FOR (_pcq_engine_get_n_accepting (f->engine) == 0, WAIT_MS);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "4 finished"), WAIT_MS);
  paths = pcq_test_server_dup_paths (f->server);
  g_assert_cmpuint (paths->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (g_ptr_array_index (paths, i), ==, expected[i]);

  /* Finished: the rows' moves are off, and nothing moves: not by the
   * menu, not by keyboard, and a finished row does not drag. */
  PCQ_TEST_WAIT_FOR ((row = row_for_job (f, b)) != NULL && rows_say (f, 4, "Done"), WAIT_MS);
  gtk_widget_activate_action (GTK_WIDGET (row), "job.move-top", NULL);
  g_assert_null (drag_row (row));
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 3);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.move-selected", "s", "top");
  g_assert_true (shown_names_are (f, "a d b c"));
}

static gboolean
row_error_has (Fixture    *f,
               PcqJob     *job,
               const char *text)
{
  PcqJobRow *row = row_for_job (f, job);
  const char *error = row != NULL ? pcq_job_row_get_error_text (row) : NULL;

  return error != NULL && strstr (error, text) != NULL;
}

/* A server's Retry-After shows on the row, and Retry Now does not wait
 * for it. */
static void
test_retry_now (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *url = pcq_test_server_url (f->server, "/flaky/ui/busy.bin?fail=1&code=503&retry_after=600");
  PcqJobRow *row;
  PcqJob *job;

  set_entry (f, url);
  activate_entry (f);
  job = job_at (f, 0);

  PCQ_TEST_WAIT_FOR (row_error_has (f, job, "(the server asked)") && row_error_has (f, job, "503"),
                     WAIT_MS);
  row = row_for_job (f, job);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "job.retry-now", NULL));

  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_DONE) && rows_say (f, 1, "Done"), WAIT_MS);
  g_assert_null (pcq_job_row_get_error_text (row_for_job (f, job)));
}

/* The filter each state belongs to: the same groups as the window's. */
static const char *
group_of (PcqJob *job)
{
  switch (pcq_job_get_state (job))
    {
    case PCQ_JOB_QUEUED:
    case PCQ_JOB_PAUSED:
      return "queued";
    case PCQ_JOB_ACTIVE:
      return "running";
    case PCQ_JOB_DONE:
      return "finished";
    case PCQ_JOB_FAILED:
    case PCQ_JOB_CANCELLED:
      return "failed";
    default:
      g_assert_not_reached ();
    }
}

/* Shows @filter: its rows are exactly the jobs of its group, as many
 * as its badge says. */
static void
assert_filter (Fixture    *f,
               const char *filter,
               guint       expected)
{
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  guint n_shown;
  guint n_group = 0;
  g_autofree char *count = g_strdup_printf ("%u", expected);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.filter", "s", filter);
  n_shown = g_list_model_get_n_items (shown);
  g_assert_cmpuint (n_shown, ==, expected);
  /* The badges follow once per main-loop iteration. */
  PCQ_TEST_WAIT_FOR (g_strcmp0 (_pcq_window_get_filter_label (f->window, filter), count) == 0,
                     WAIT_MS);

  for (guint i = 0; i < n_shown; i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (shown, i);

      if (g_strcmp0 (filter, "all") != 0)
        g_assert_cmpstr (group_of (job), ==, filter);
    }

  for (guint i = 0; i < n_jobs (f); i++)
    if (g_strcmp0 (filter, "all") == 0 || g_strcmp0 (group_of (job_at (f, i)), filter) == 0)
      n_group++;
  g_assert_cmpuint (n_group, ==, n_shown);
}

/* Every state at once: each filter shows exactly its group, its badge
 * counts its rows, the subtitle says the same in the same words. */
static void
test_filters (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *ok = data_url (f, "ok.bin", 100);
  g_autofree char *missing = pcq_test_server_url (f->server, "/status/404/missing.bin");
  g_autofree char *first = g_strdup_printf ("%s\n%s", ok, missing);
  g_autofree char *slow_a = slow_url (f, "fa.bin", 30);
  g_autofree char *slow_b = slow_url (f, "fb.bin", 30);
  g_autofree char *running = g_strdup_printf ("%s\n%s", slow_a, slow_b);
  g_autofree char *slow_c = slow_url (f, "fc.bin", 30);
  g_autofree char *slow_d = slow_url (f, "fd.bin", 30);
  g_autofree char *queued = g_strdup_printf ("%s\n%s", slow_c, slow_d);
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  PcqJob *a, *b, *c, *d;

  /* Finished and failed. */
  set_entry (f, first);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (job_is (job_at (f, 0), PCQ_JOB_DONE) &&
                     job_is (job_at (f, 1), PCQ_JOB_FAILED), WAIT_MS);

  /* Two running; one of them paused by hand. */
  set_entry (f, running);
  activate_entry (f);
  a = job_at (f, 2);
  b = job_at (f, 3);
  PCQ_TEST_WAIT_FOR (job_has_bytes (a) && job_has_bytes (b), WAIT_MS);
  g_assert_true (pcq_engine_pause_job (f->engine, b));

  /* Two queued behind the paused queue; one of them cancelled. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL);
  set_entry (f, queued);
  activate_entry (f);
  c = job_at (f, 4);
  d = job_at (f, 5);
  pcq_engine_cancel (f->engine, d);

  PCQ_TEST_WAIT_FOR (job_is (b, PCQ_JOB_PAUSED) && job_is (c, PCQ_JOB_QUEUED) &&
                     job_is (d, PCQ_JOB_CANCELLED) && job_is (a, PCQ_JOB_ACTIVE), WAIT_MS);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "Paused · 2 queued · 1 running · 1 finished · 2 failed"),
                     WAIT_MS);

  assert_filter (f, "all", 6);
  assert_filter (f, "queued", 2);
  assert_filter (f, "running", 1);
  assert_filter (f, "finished", 1);
  assert_filter (f, "failed", 2);

  /* A job that starts while Queued shows leaves it at once, for
   * Running (the relay follows every change of state, not only the
   * end). */
  assert_filter (f, "queued", 2);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL);
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 1 && job_has_bytes (c), WAIT_MS);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "1 queued · 2 running · 1 finished · 2 failed"), WAIT_MS);
  assert_filter (f, "queued", 1);
  assert_filter (f, "running", 2);

  /* A job that finishes while a filter shows leaves it at once… */
  pcq_engine_cancel (f->engine, c);
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 1, WAIT_MS);

  /* … and shows up in the one it moved to. Retrying moves it back. */
  assert_filter (f, "failed", 3);
  _pcq_window_retry_job (f->window, c);
  g_assert_false (job_is (c, PCQ_JOB_CANCELLED));
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 2);

  assert_filter (f, "all", 6);
}

/* Whether @accel is one of @accels, however each is spelled. */
static gboolean
accels_contain (const char * const *accels,
                const char         *accel)
{
  guint key, k;
  GdkModifierType mods, m;

  g_assert_true (gtk_accelerator_parse (accel, &key, &mods));
  for (guint i = 0; accels != NULL && accels[i] != NULL; i++)
    if (gtk_accelerator_parse (accels[i], &k, &m) && k == key && m == mods)
      return TRUE;

  return FALSE;
}

static void
collect_accels (GtkWidget *widget,
                GPtrArray *accels)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      char *accel = NULL;

      g_object_get (widget, "accelerator", &accel, NULL);
      g_ptr_array_add (accels, accel);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_accels (child, accels);
}

/* The window's shortcuts: each one is an application accelerator (so
 * it works wherever the focus is), listed in the shortcuts window, and
 * its action does what it says. */
static void
test_shortcuts (Fixture       *f,
                gconstpointer  data)
{
  static const struct {
    const char *action;
    const char *accel;
  } accels[] = {
    { "win.filter::all", "<Alt>1" },
    { "win.filter::queued", "<Alt>2" },
    { "win.filter::running", "<Alt>3" },
    { "win.filter::finished", "<Alt>4" },
    { "win.filter::failed", "<Alt>5" },
    { "win.pause", "<Control><Shift>p" },
    { "win.pause-selected", "<Control>p" },
    { "win.cancel-selected", "<Control><Shift>c" },
    { "win.retry-selected", "<Control>r" },
    { "win.retry-failed", "<Control><Shift>r" },
    { "win.clear-finished", "<Control><Shift>k" },
    { "win.focus-entry", "<Control>l" },
    { "win.import", "<Control>o" },
  };
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/com/example/Pcq/ui/pcq-shortcuts-window.ui");
  GtkWidget *shortcuts = GTK_WIDGET (gtk_builder_get_object (builder, "shortcuts_window"));
  g_autofree char *ok = data_url (f, "sk.bin", 100);
  g_autofree char *missing = pcq_test_server_url (f->server, "/status/404/sk-missing.bin");
  g_autofree char *missing2 = pcq_test_server_url (f->server, "/status/404/sk-missing2.bin");
  g_autofree char *slow = slow_url (f, "sk-slow.bin", 30);
  g_autofree char *all = g_strdup_printf ("%s\n%s\n%s\n%s", ok, missing, missing2, slow);
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  GPtrArray *listed = g_ptr_array_new_with_free_func (g_free);
  PcqJob *missing_job, *missing2_job, *slow_job;

  /* Every accelerator of the shortcuts window, as GTK spells them. */
  collect_accels (shortcuts, listed);
  g_assert_cmpuint (listed->len, >, G_N_ELEMENTS (accels));

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    {
      g_auto(GStrv) set = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app),
                                                                 accels[i].action);
      gboolean found = FALSE;

      g_test_message ("%s %s", accels[i].action, accels[i].accel);
      g_assert_true (accels_contain ((const char * const *) set, accels[i].accel));
      for (guint j = 0; j < listed->len && !found; j++)
        {
          g_auto(GStrv) keys = g_strsplit (listed->pdata[j], " ", -1);

          found = accels_contain ((const char * const *) keys, accels[i].accel);
        }
      g_assert_true (found);
    }
  g_ptr_array_unref (listed);
  gtk_window_destroy (GTK_WINDOW (shortcuts));

  set_entry (f, all);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (job_is (job_at (f, 0), PCQ_JOB_DONE) &&
                     job_is (job_at (f, 1), PCQ_JOB_FAILED) &&
                     job_is (job_at (f, 2), PCQ_JOB_FAILED) &&
                     job_has_bytes (job_at (f, 3)), WAIT_MS);

  /* Ctrl+Shift+P pauses and resumes the queue. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL));
  g_assert_true (pcq_engine_get_paused (f->engine));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL));
  g_assert_false (pcq_engine_get_paused (f->engine));

  /* Ctrl+Shift+C cancels the selected task (under Running). */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.filter", "s", "running");
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 1);
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.cancel-selected", NULL));
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "1 task cancelled");
  dismiss_toast (f);
  PCQ_TEST_WAIT_FOR (job_is (job_at (f, 3), PCQ_JOB_CANCELLED), WAIT_MS);

  /* Ctrl+R retries the selected one (under Failed: the first). A
   * retried task goes to the end of the queue, and of the list. */
  missing_job = job_at (f, 1);
  missing2_job = job_at (f, 2);
  slow_job = job_at (f, 3);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.filter", "s", "failed");
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 3);
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.retry-selected", NULL));
  g_assert_false (job_is (missing_job, PCQ_JOB_FAILED));
  g_assert_true (job_at (f, 3) == missing_job);
  PCQ_TEST_WAIT_FOR (job_is (missing_job, PCQ_JOB_FAILED), WAIT_MS);

  /* Ctrl+Shift+R retries all of them, failed or cancelled. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.retry-failed", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 0);
  g_assert_false (job_is (slow_job, PCQ_JOB_CANCELLED));
  PCQ_TEST_WAIT_FOR (job_is (missing_job, PCQ_JOB_FAILED) &&
                     job_is (missing2_job, PCQ_JOB_FAILED), WAIT_MS);

  /* Clear Failed removes what Failed shows; the slow one runs on. */
  pcq_engine_cancel (f->engine, slow_job);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "1 finished · 3 failed"), WAIT_MS);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.clear-failed", NULL));
  g_assert_true (subtitle_is (f, "1 finished"));
  dismiss_toast (f);
  PCQ_TEST_WAIT_FOR (n_jobs (f) == 1, WAIT_MS);

  /* Ctrl+Shift+K clears the finished one. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.clear-finished", NULL));
  g_assert_true (subtitle_is (f, "No tasks"));
  dismiss_toast (f);
  PCQ_TEST_WAIT_FOR (n_jobs (f) == 0, WAIT_MS);
}

static void
test_remove_selected (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *ok = data_url (f, "keep.bin", 100);
  g_autofree char *slow = slow_url (f, "slow.bin", 30);
  g_autofree char *both = g_strdup_printf ("%s\n%s", ok, slow);
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  PcqJob *slow_job;

  set_entry (f, both);
  activate_entry (f);
  slow_job = job_at (f, 1);
  PCQ_TEST_WAIT_FOR (job_is (job_at (f, 0), PCQ_JOB_DONE) && job_has_bytes (slow_job), WAIT_MS);

  /* Delete on a running task does nothing… */
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 1);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.remove-selected", NULL);
  g_assert_cmpuint (n_jobs (f), ==, 2);
  g_assert_true (job_is (slow_job, PCQ_JOB_ACTIVE));

  /* … and removes a finished one. */
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 0);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.remove-selected", NULL);
  g_assert_cmpuint (n_shown (f), ==, 1);
  dismiss_toast (f);
  g_assert_cmpuint (n_jobs (f), ==, 1);
  g_assert_true (job_at (f, 0) == slow_job);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "1 running"), WAIT_MS);
}

/* ---- removals that can be undone ---------------------------------- */

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          guint      *count)
{
  (*count)++;
}

/* With PCQ_TEST_SHOT_DIR set, a picture of the window as it is drawn
 * now, to look at (the toasts): NAME.png there. */
static void
maybe_shoot_widget (GtkWidget  *widget,
                    const char *name)
{
  const char *dir = g_getenv ("PCQ_TEST_SHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;

  if (dir == NULL)
    return;

  /* The toast slides in: let it arrive. */
  pcq_test_spin (600);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot),
                          gdk_paintable_get_intrinsic_width (paintable),
                          gdk_paintable_get_intrinsic_height (paintable));
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)),
                                         node, NULL);
  file = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static void
maybe_shoot (Fixture    *f,
             const char *name)
{
  maybe_shoot_widget (GTK_WIDGET (f->window), name);
}

/* The row whose list item holds the keyboard focus, if any. */

/* Screen readers: Tab reaches the list once, on its first row, and
 * each row is one stop whose name says name, state and why it failed;
 * the row's buttons are out of the Tab order. (The AT-SPI tree itself
 * is read by tests/ui/test-a11y.py.) */
static void
test_keyboard_rows (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GString) all = g_string_new (NULL);
  GtkWidget *list_view = _pcq_window_get_list_view (f->window);
  PcqJobRow *row;

  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *url = pcq_test_server_url (f->server, "/data/ui/k%02u.bin?size=%u",
                                                  i, 100 + i);

      g_string_append_printf (all, "%s\n", url);
    }
  set_entry (f, all->str);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "12 finished"), WAIT_MS);

  /* Tab from the entry: the first stop in the list is row 1. */
  gtk_widget_grab_focus (GTK_WIDGET (_pcq_window_get_entry (f->window)));
  for (guint i = 0; i < 20 && !gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (f->window)), list_view); i++)
    gtk_widget_child_focus (GTK_WIDGET (f->window), GTK_DIR_TAB_FORWARD);
  row = focused_row (f);
  g_assert_nonnull (row);
  g_assert_true (pcq_job_row_get_job (row) == job_at (f, 0));
  /* The row's own buttons are not stops (shortcuts and the menu reach them). */
  g_assert_false (gtk_widget_get_focusable (pcq_job_row_get_action_button (row)));

  /* Tab goes to the next row: one stop a row, its buttons skipped. */
  gtk_widget_child_focus (GTK_WIDGET (f->window), GTK_DIR_TAB_FORWARD);
  row = focused_row (f);
  g_assert_nonnull (row);
  g_assert_true (pcq_job_row_get_job (row) == job_at (f, 1));
}

static void
search_for (Fixture    *f,
            const char *text)
{
  gtk_editable_set_text (_pcq_window_get_search_entry (f->window), text);
}

/* Under a search, Up and Down trade places with the next task shown,
 * going past the ones the search hides. */
static void
test_move_searched (Fixture       *f,
                    gconstpointer  data)
{
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  g_autoptr(GString) all = g_string_new (NULL);
  const char * const names[] = { "x-1", "y-1", "x-2", "y-2" };

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *url = pcq_test_server_url (f->server, "/data/ui/%s?size=100", names[i]);

      g_string_append_printf (all, "%s\n", url);
    }
  set_entry (f, all->str);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 4, WAIT_MS);

  search_for (f, "x-");
  PCQ_TEST_WAIT_FOR (shown_names_are (f, "x-1 x-2"), WAIT_MS);
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.move-selected", "s", "down"));
  g_assert_true (shown_names_are (f, "x-2 x-1"));
  g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (shown)), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.move-selected", "s", "up");
  g_assert_true (shown_names_are (f, "x-1 x-2"));
  /* Nothing shown above: nothing moves, though y-1 is. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.move-selected", "s", "up");
  g_assert_true (shown_names_are (f, "x-1 x-2"));

  search_for (f, "");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 4, WAIT_MS);
  g_assert_true (shown_names_are (f, "y-1 x-1 x-2 y-2"));
}

/* Ctrl+F searches names, links and prompts, ignoring case (and "ß" is
 * "ss"), together with the filters; Escape ends it. */
static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *a = data_url (f, "Quarterly-Report.pdf", 100);
  g_autofree char *b = data_url (f, "photo.jpg", 777);
  g_autofree char *c = data_url (f, "Stra%C3%9Fe.txt", 100);
  g_autofree char *missing = pcq_test_server_url (f->server, "/status/404/report-draft.txt");
  g_autofree char *all = g_strdup_printf ("%s\n%s\n%s\n%s", a, b, c, missing);
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);

  set_entry (f, all);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "3 finished · 1 failed"), WAIT_MS);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 4);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL));
  PCQ_TEST_WAIT_FOR (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (f->window)),
                                             GTK_WIDGET (_pcq_window_get_search_entry (f->window))),
                     WAIT_MS);

  search_for (f, "REPORT");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 2, WAIT_MS);
  /* Narrower, then wider again. */
  search_for (f, "report.");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 1, WAIT_MS);
  search_for (f, "rep");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 2, WAIT_MS);

  /* Within the filter shown. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.filter", "s", "failed");
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.filter", "s", "all");

  /* The link counts too, and case folding beyond ASCII. */
  search_for (f, "size=777");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 1, WAIT_MS);
  search_for (f, "STRASSE");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 1, WAIT_MS);
  {
    g_autoptr(PcqJob) job = g_list_model_get_item (shown, 0);

    g_autofree char *base = g_path_get_basename (pcq_job_get_output_path (job));

    g_assert_cmpstr (base, ==, "Straße.txt");
  }

  search_for (f, "nothing like it");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 0, WAIT_MS);
  g_assert_cmpstr (_pcq_window_get_status_title (f->window), ==, "No Matching Tasks");

  /* Escape ends the search and shows everything again. */
  g_signal_emit_by_name (_pcq_window_get_search_entry (f->window), "stop-search");
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 4);
  g_assert_cmpstr (gtk_editable_get_text (_pcq_window_get_search_entry (f->window)), ==, "");
}

/* TRUE when the list view's rows are exactly the shown jobs, in order,
 * each marked selected just when its job is (the rows keep their
 * places as a search changes the jobs in them: see pcq-row-slots.c). */
static gboolean
rows_are_shown (Fixture *f)
{
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  collect_rows (_pcq_window_get_list_view (f->window), rows);
  if (rows->len != g_list_model_get_n_items (shown))
    return FALSE;

  for (guint i = 0; i < rows->len; i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (shown, i);
      GtkWidget *item = gtk_widget_get_parent (rows->pdata[i]);
      gboolean selected = (gtk_widget_get_state_flags (item) & GTK_STATE_FLAG_SELECTED) != 0;

      if (pcq_job_row_get_job (rows->pdata[i]) != job ||
          selected != gtk_selection_model_is_selected (GTK_SELECTION_MODEL (shown), i))
        return FALSE;
    }

  return TRUE;
}

static gboolean
job_named (PcqJob     *job,
           const char *name)
{
  return job != NULL && strstr (pcq_job_get_url (job), name) != NULL;
}

/* While a search is on, the rows follow it, tasks added and tasks
 * changing state: the rows are exactly the matching tasks. */
static void
test_search_rows (Fixture       *f,
                  gconstpointer  data)
{
  const char *names[] = { "kiwi-a.txt", "plum-a.txt", "kiwi-b.txt", "plum-b.txt",
                          "kiwi-c.txt", "fig.txt" };
  g_autoptr(GString) links = g_string_new (NULL);
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  g_autofree char *more_kiwi = data_url (f, "kiwi-d.txt", 100);
  g_autofree char *more_fig = data_url (f, "fig-b.txt", 100);
  g_autofree char *more = g_strdup_printf ("%s\n%s", more_fig, more_kiwi);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *url = data_url (f, names[i], 100);

      g_string_append_printf (links, "%s\n", url);
    }

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL);
  set_entry (f, links->str);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 6 && rows_are_shown (f), WAIT_MS);

  /* The last kiwi selected: it stays so as the rows change under it. */
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (shown), 4, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL));
  search_for (f, "kiwi");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 3 && rows_are_shown (f), WAIT_MS);
  g_assert_true (gtk_selection_model_is_selected (GTK_SELECTION_MODEL (shown), 2));
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (shown, i);

      g_assert_true (job_named (job, "kiwi-"));
    }

  /* Other rows in the same places, fewer, then more again. */
  search_for (f, "plum");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 2 && rows_are_shown (f), WAIT_MS);
  search_for (f, "-");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 5 && rows_are_shown (f), WAIT_MS);
  /* No rows at all, then rows again (the kept ones, given new jobs). */
  search_for (f, "nothing like it");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 0 && rows_are_shown (f), WAIT_MS);
  search_for (f, "kiwi");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 3 && rows_are_shown (f), WAIT_MS);

  /* Added while searching, under the Queued filter: only the match. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.filter", "s", "queued");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 3 && rows_are_shown (f), WAIT_MS);
  set_entry (f, more);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 4 && rows_are_shown (f), WAIT_MS);
  {
    g_autoptr(PcqJob) job = g_list_model_get_item (shown, 3);

    g_assert_true (job_named (job, "kiwi-d.txt"));
  }

  /* They run and leave the Queued filter: no rows are left. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.pause", NULL);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "8 finished"), WAIT_MS);
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 0 && rows_are_shown (f), WAIT_MS);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.filter", "s", "finished");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 4 && rows_are_shown (f), WAIT_MS);

  /* Escape: every task, every row. */
  g_signal_emit_by_name (_pcq_window_get_search_entry (f->window), "stop-search");
  PCQ_TEST_WAIT_FOR (g_list_model_get_n_items (shown) == 8 && rows_are_shown (f), WAIT_MS);
}

/* Every shown widget of @widget's tree lies inside the window: across
 * always, and down too outside scrolled content. */
static void
assert_inside (GtkWidget *widget,
               GtkWidget *window,
               gboolean   scrolled)
{
  double width = gtk_widget_get_width (window);
  double height = gtk_widget_get_height (window);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      graphene_rect_t bounds;

      /* Popovers and dialogs are surfaces of their own. */
      if (!gtk_widget_get_mapped (child) || GTK_IS_NATIVE (child))
        continue;

      /* One pixel of slack: the header bar reaches over the window's
       * border by design. */
      g_assert_true (gtk_widget_compute_bounds (child, window, &bounds));
      if (bounds.origin.x < -1.5 || bounds.origin.x + bounds.size.width > width + 1.5 ||
          (!scrolled && (bounds.origin.y < -1.5 ||
                         bounds.origin.y + bounds.size.height > height + 1.5)))
        g_error ("%s (%s) lies at %.0f,%.0f %.0f×%.0f, outside the %.0f×%.0f window",
                 G_OBJECT_TYPE_NAME (child), gtk_widget_get_css_name (child),
                 bounds.origin.x, bounds.origin.y, bounds.size.width, bounds.size.height,
                 width, height);

      /* An overlay scrollbar's slider grows past its trough on hover. */
      if (!GTK_IS_SCROLLBAR (child))
        assert_inside (child, window, scrolled || GTK_IS_SCROLLED_WINDOW (child));
    }
}

static void
count_frame_cb (GdkFrameClock *clock,
                guint         *n_frames)
{
  (*n_frames)++;
}

/* Until the window has drawn @n frames more: its layout has settled
 * (rows just bound are measured in the next one). */
static void
wait_frames (Fixture *f,
             guint    n)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (f->window));
  guint n_frames = 0;
  gulong handler;

  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (count_frame_cb), &n_frames);
  while (n_frames < n)
    {
      guint seen = n_frames;

      gtk_widget_queue_draw (GTK_WIDGET (f->window));
      PCQ_TEST_WAIT_FOR (n_frames > seen, WAIT_MS);
    }
  g_signal_handler_disconnect (clock, handler);
}

/* A mapped window keeps its size when the default changes (Xvfb has no
 * window manager to ask): shown again, it takes the new one. The
 * default counts the decorations' margins, so a second try adds what
 * the first one shows them to take. */
static void
resize_window (Fixture *f,
               int      width,
               int      height)
{
  GtkWidget *window = GTK_WIDGET (f->window);
  int extra_width = 0;
  int extra_height = 0;

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      gtk_widget_set_visible (window, FALSE);
      gtk_widget_unrealize (window);
      gtk_window_set_default_size (GTK_WINDOW (window), width + extra_width,
                                   height + extra_height);
      gtk_window_present (GTK_WINDOW (window));
      PCQ_TEST_WAIT_FOR (gtk_widget_get_mapped (window) && gtk_widget_get_width (window) > 0,
                         WAIT_MS);
      extra_width = width + extra_width - gtk_widget_get_width (window);
      extra_height = height + extra_height - gtk_widget_get_height (window);
      if (gtk_widget_get_width (window) == width && gtk_widget_get_height (window) == height)
        return;
    }

  g_error ("the window is %d×%d, not %d×%d", gtk_widget_get_width (window),
           gtk_widget_get_height (window), width, height);
}

static gboolean
filter_menu_says (Fixture    *f,
                  const char *text)
{
  g_autofree char *shown = _pcq_window_get_filter_menu_text (f->window);

  return g_strcmp0 (shown, text) == 0;
}

/* The HIG's smallest window, 360 × 294: the filters fold into one
 * button, the kinds into icons, and nothing lies outside the window. */
static void
test_small_screen (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *ok = data_url (f, "a-rather-long-file-name-for-a-small-screen.bin", 100);
  g_autofree char *missing = pcq_test_server_url (f->server, "/status/404/missing.bin");
  g_autofree char *slow = slow_url (f, "slow.bin", 30);
  g_autofree char *all = g_strdup_printf ("%s\n%s\n%s", ok, missing, slow);
  GtkWidget *window = GTK_WIDGET (f->window);
  GtkWidget *filter_button = _pcq_window_get_filter_menu_button (f->window);
  int minimum;

  /* The most window buttons a desktop puts in the header bar. */
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout",
                "menu:minimize,maximize,close", NULL);

  gtk_widget_measure (window, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  gtk_widget_measure (window, GTK_ORIENTATION_VERTICAL, 360, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 294);

  set_entry (f, all);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (job_is (job_at (f, 0), PCQ_JOB_DONE) &&
                     job_is (job_at (f, 1), PCQ_JOB_FAILED) &&
                     job_has_bytes (job_at (f, 2)), WAIT_MS);

  /* Wide: the filter buttons, not the menu. */
  resize_window (f, 900, 600);
  wait_frames (f, 2);
  g_assert_false (gtk_widget_get_mapped (filter_button));
  assert_inside (window, window, FALSE);

  resize_window (f, 360, 294);
  wait_frames (f, 2);
  g_assert_true (gtk_widget_get_mapped (filter_button));
  assert_inside (window, window, FALSE);
  maybe_shoot (f, "small-download");

  /* The menu's filter is the window's, and the button says it. */
  gtk_widget_activate_action (window, "win.filter", "s", "failed");
  g_assert_true (filter_menu_says (f, "Failed 1"));
  gtk_widget_activate_action (window, "win.filter", "s", "all");
  g_assert_true (filter_menu_says (f, "All 3"));

  gtk_widget_activate_action (window, "win.mode", "s", "ask");
  wait_frames (f, 2);
  assert_inside (window, window, FALSE);
  maybe_shoot (f, "small-ask");

  pcq_engine_cancel (f->engine, job_at (f, 2));
}

/* Remove from List and Delete hide the row at once; the engine and the
 * store forget it only when the toast goes away, and Undo brings it
 * back. Removals in a row share one toast, its count growing. */
static void
test_remove_undo (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *a = data_url (f, "ra.bin", 100);
  g_autofree char *b = data_url (f, "rb.bin", 200);
  g_autofree char *c = data_url (f, "rc.bin", 300);
  g_autofree char *all = g_strdup_printf ("%s\n%s\n%s", a, b, c);
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  AdwToast *toast;
  PcqJobRow *row;

  set_entry (f, all);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (rows_say (f, 3, "Done") && store_rows (f) == 3, WAIT_MS);

  /* Delete: gone from the list, not from the queue. */
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 0);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.remove-selected", NULL);
  g_assert_cmpuint (n_shown (f), ==, 2);
  g_assert_cmpuint (n_jobs (f), ==, 3);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "1 task removed");

  /* Undo: back in its place. */
  undo_toast (f);
  g_assert_cmpuint (n_shown (f), ==, 3);
  {
    g_autoptr(PcqJob) first = g_list_model_get_item (shown, 0);

    g_assert_true (first == job_at (f, 0));
  }
  pcq_test_spin (200);
  g_assert_cmpint (store_rows (f), ==, 3);

  /* Remove from List on a row, then Delete: one toast, two tasks. */
  PCQ_TEST_WAIT_FOR ((row = row_for_job (f, job_at (f, 1))) != NULL, WAIT_MS);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "job.remove", NULL));
  toast = _pcq_window_get_last_toast_object (f->window);
  g_assert_nonnull (toast);
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 0);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.remove-selected", NULL);
  g_assert_true (_pcq_window_get_last_toast_object (f->window) == toast);
  g_assert_cmpstr (adw_toast_get_title (toast), ==, "2 tasks removed");
  /* The counts say what the list shows. */
  g_assert_true (subtitle_is (f, "1 finished"));
  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "all"), ==, "1");
  g_assert_cmpstr (_pcq_window_get_filter_label (f->window, "finished"), ==, "1");
  maybe_shoot (f, "toast-removed");
  g_assert_cmpuint (n_shown (f), ==, 1);
  g_assert_cmpuint (n_jobs (f), ==, 3);

  /* The toast goes away: the queue and its store forget them. */
  dismiss_toast (f);
  g_assert_cmpuint (n_jobs (f), ==, 1);
  g_assert_cmpuint (n_shown (f), ==, 1);
  {
    g_autofree char *name = g_path_get_basename (pcq_job_get_output_path (job_at (f, 0)));

    g_assert_cmpstr (name, ==, "rc.bin");
  }
  PCQ_TEST_WAIT_FOR (store_rows (f) == 1, WAIT_MS);

  /* Closing the window with a toast up: the removal is done. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.remove-selected", NULL);
  g_assert_cmpuint (n_jobs (f), ==, 1);
  gtk_window_close (GTK_WINDOW (f->window));
  g_assert_cmpuint (n_jobs (f), ==, 0);
  PCQ_TEST_WAIT_FOR (f->window == NULL, WAIT_MS);
  g_assert_cmpint (store_rows (f), ==, 0);
}

/* Clear Finished takes 15 rows at once, and Undo brings all back. */
static void
test_clear_finished_undo (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GString) urls = g_string_new (NULL);

  for (guint i = 0; i < 15; i++)
    {
      g_autofree char *name = g_strdup_printf ("cf%u.bin", i);
      g_autofree char *url = data_url (f, name, 100 + i);

      g_string_append_printf (urls, "%s\n", url);
    }
  set_entry (f, urls->str);
  activate_entry (f);
  /* The rows come in a few at a time (the relay paces them). */
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "15 finished") && n_shown (f) == 15, WAIT_MS);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.clear-finished", NULL);
  g_assert_cmpuint (n_shown (f), ==, 0);
  g_assert_cmpuint (n_jobs (f), ==, 15);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "15 tasks removed");

  undo_toast (f);
  g_assert_cmpuint (n_shown (f), ==, 15);
  g_assert_cmpuint (n_jobs (f), ==, 15);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.clear-finished", NULL);
  g_assert_cmpuint (n_shown (f), ==, 0);
  dismiss_toast (f);
  g_assert_cmpuint (n_jobs (f), ==, 0);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "No tasks") && store_rows (f) == 0, WAIT_MS);
}

/* Cancel stops a download at once and keeps its part; Undo resumes it
 * with Range, and it finishes. The round button, changed under the
 * pointer, ignores clicks for a moment. */
static void
test_cancel_undo (Fixture       *f,
                  gconstpointer  data)
{
  /* The first request is slow, the next one quick. */
  g_autofree char *url = pcq_test_server_url (f->server,
                                              "/flaky/ui/cu.bin?fail=1&mode=slow&etag=1&size=100000&seed=5");
  g_autofree char *range = NULL;
  GtkWidget *button;
  PcqJobRow *row = NULL;
  guint n_sensitive = 0;
  PcqJob *job;

  set_entry (f, url);
  activate_entry (f);
  job = job_at (f, 0);
  PCQ_TEST_WAIT_FOR (job_has_bytes (job) && (row = row_for_job (f, job)) != NULL, WAIT_MS);
  PCQ_TEST_WAIT_FOR (g_strcmp0 (button_action (f, job), "job.pause") == 0, WAIT_MS);
  button = pcq_job_row_get_action_button (row);
  g_signal_connect (button, "notify::sensitive", G_CALLBACK (count_cb), &n_sensitive);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "job.cancel", NULL));
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "1 task cancelled");
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_PAUSED), WAIT_MS);
  g_assert_true (pcq_test_dir_has_part_files (f->out_dir));
  g_assert_cmpuint (pcq_test_server_count_requests (f->server, NULL), ==, 1);
  maybe_shoot (f, "toast-cancelled");

  /* The button changed (Pause to Resume): off, then on again. */
  PCQ_TEST_WAIT_FOR (row_for_job (f, job) == row && n_sensitive == 2, WAIT_MS);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_handlers_disconnect_by_func (button, count_cb, &n_sensitive);

  undo_toast (f);
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_DONE) && rows_say (f, 1, "Done"), WAIT_MS);
  g_assert_cmpuint (pcq_test_server_count_requests (f->server, NULL), ==, 2);
  range = pcq_test_server_dup_range (f->server, "/flaky/ui/cu.bin", 1);
  g_assert_nonnull (range);
  g_assert_true (g_str_has_prefix (range, "bytes="));
  g_assert_cmpuint (g_ascii_strtoull (range + strlen ("bytes="), NULL, 10), >, 0);
  g_assert_false (pcq_test_dir_has_part_files (f->out_dir));
}

/* Retry All Failed and Clear Failed: the failed and cancelled ones,
 * every one at once. */
static void
test_retry_clear_failed (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *ok = data_url (f, "fine.bin", 100);
  g_autofree char *m1 = pcq_test_server_url (f->server, "/status/404/m1.bin");
  g_autofree char *m2 = pcq_test_server_url (f->server, "/status/404/m2.bin");
  g_autofree char *all = g_strdup_printf ("%s\n%s\n%s", ok, m1, m2);
  guint n_requests;

  set_entry (f, all);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "1 finished · 2 failed"), WAIT_MS);
  n_requests = pcq_test_server_count_requests (f->server, NULL);

  dismiss_toast (f);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.retry-failed", NULL);
  g_assert_false (job_is (job_at (f, 1), PCQ_JOB_FAILED));
  g_assert_false (job_is (job_at (f, 2), PCQ_JOB_FAILED));
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "2 tasks queued again");
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "1 finished · 2 failed") &&
                     pcq_test_server_count_requests (f->server, NULL) == n_requests + 2, WAIT_MS);
  dismiss_toast (f);

  /* One row's Retry, under the Failed filter that hides it at once:
   * the toast is the sign. */
  g_object_set (f->window, "filter", "failed", NULL);
  {
    PcqJobRow *row;

    PCQ_TEST_WAIT_FOR ((row = row_for_job (f, job_at (f, 1))) != NULL, WAIT_MS);
    gtk_widget_activate_action (GTK_WIDGET (row), "job.retry", NULL);
  }
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "1 task queued again");
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "1 finished · 2 failed") &&
                     pcq_test_server_count_requests (f->server, NULL) == n_requests + 3, WAIT_MS);
  dismiss_toast (f);
  g_object_set (f->window, "filter", "all", NULL);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.clear-failed", NULL);
  g_assert_cmpuint (n_shown (f), ==, 1);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "2 tasks removed");
  dismiss_toast (f);
  g_assert_cmpuint (n_jobs (f), ==, 1);
  g_assert_true (job_is (job_at (f, 0), PCQ_JOB_DONE));
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "1 finished") && store_rows (f) == 1, WAIT_MS);
}

/* ---- feedback on adding ------------------------------------------- */

/* Adds @n small tasks NAME0.bin, … through the entry. */
static void
add_named_tasks (Fixture    *f,
                 const char *prefix,
                 guint       first,
                 guint       n)
{
  g_autoptr(GString) urls = g_string_new (NULL);

  for (guint i = first; i < first + n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s%u.bin", prefix, i);
      g_autofree char *url = data_url (f, name, 100);

      g_string_append_printf (urls, "%s\n", url);
    }
  set_entry (f, urls->str);
  activate_entry (f);
}

static gboolean
toast_is (Fixture    *f,
          const char *title)
{
  return g_strcmp0 (_pcq_window_get_last_toast (f->window), title) == 0;
}

/* Its row is within the list's view (the list view keeps rows around
 * it mapped too). */
static gboolean
row_in_view (Fixture *f,
             PcqJob  *job)
{
  GtkWidget *list_view = _pcq_window_get_list_view (f->window);
  PcqJobRow *row = row_for_job (f, job);
  graphene_rect_t bounds;

  return row != NULL &&
         gtk_widget_compute_bounds (GTK_WIDGET (row), list_view, &bounds) &&
         bounds.size.height > 0 &&  /* allocated, not just made */
         bounds.origin.y >= -1 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (list_view) + 1;
}

/* Until when a job's row stands out: see pcq_job_row_mark_new(). */
static gboolean
job_marked_new (PcqJob *job)
{
  return pcq_job_row_get_new_until (job) > g_get_monotonic_time ();
}

static gboolean
row_is_new (Fixture *f,
            PcqJob  *job)
{
  PcqJobRow *row = row_for_job (f, job);

  return row != NULL && pcq_job_row_get_stands_out (row);
}

/* Adding tells how many were added, scrolls to them and makes them
 * stand out for a moment; a filter that would hide them gives way. */
static void
test_added_feedback (Fixture       *f,
                     gconstpointer  data)
{
  GtkAdjustment *vadjustment;
  g_autofree char *filter = NULL;
  PcqJob *first;

  /* More than the window shows, through the feeder. */
  add_named_tasks (f, "many", 0, 40);
  PCQ_TEST_WAIT_FOR (toast_is (f, "40 tasks added"), WAIT_MS);
  g_assert_cmpuint (n_jobs (f), ==, 40);
  dismiss_toast (f);

  /* Back to the top, out of sight of the end. */
  vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (_pcq_window_get_list_view (f->window)));
  PCQ_TEST_WAIT_FOR (n_shown (f) == 40 &&
                     gtk_adjustment_get_upper (vadjustment) > 2 * gtk_adjustment_get_page_size (vadjustment),
                     WAIT_MS);
  gtk_adjustment_set_value (vadjustment, 0);
  PCQ_TEST_WAIT_FOR (row_in_view (f, job_at (f, 0)) && !row_in_view (f, job_at (f, 39)), WAIT_MS);
  /* The first forty no longer stand out, for the picture. */
  PCQ_TEST_WAIT_FOR (!job_marked_new (job_at (f, 39)), WAIT_MS);

  add_named_tasks (f, "more", 0, 3);
  g_assert_cmpuint (n_jobs (f), ==, 43);
  first = job_at (f, 40);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "3 tasks added");

  /* Scrolled to the new rows, which stand out. */
  PCQ_TEST_WAIT_FOR (row_in_view (f, first) && row_in_view (f, job_at (f, 42)), WAIT_MS);
  g_assert_true (row_is_new (f, first));
  g_assert_true (row_is_new (f, job_at (f, 41)));
  g_assert_true (row_is_new (f, job_at (f, 42)));
  g_assert_cmpfloat (gtk_adjustment_get_value (vadjustment), >, 0);
  g_assert_false (row_in_view (f, job_at (f, 0)));
  maybe_shoot (f, "added-toast");

  /* Only for a moment. */
  PCQ_TEST_WAIT_FOR (row_for_job (f, first) != NULL && !row_is_new (f, first), WAIT_MS);
  dismiss_toast (f);

  /* Under Finished a queued task would not show: back to All. One more
   * right after counts into the same toast. */
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "43 finished"), WAIT_MS);
  g_object_set (f->window, "filter", "finished", NULL);
  add_named_tasks (f, "one", 0, 1);
  g_object_get (f->window, "filter", &filter, NULL);
  g_assert_cmpstr (filter, ==, "all");
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "1 task added");
  add_named_tasks (f, "one", 1, 1);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "2 tasks added");
  PCQ_TEST_WAIT_FOR (row_is_new (f, job_at (f, 44)), WAIT_MS);
  dismiss_toast (f);
}

static AdwMessageDialog *
duplicate_dialog (Fixture *f)
{
  return ADW_MESSAGE_DIALOG (_pcq_window_get_duplicate_dialog (f->window));
}

/* As a response button does: the response, then the dialog closes. */
static void
respond_duplicates (Fixture    *f,
                    const char *response)
{
  AdwMessageDialog *dialog = duplicate_dialog (f);

  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, response);
  gtk_window_close (GTK_WINDOW (dialog));
}

/* Links already in the list (or twice in what is added) are asked
 * about once: Skip Them adds the others, Add Anyway all, Cancel none. */
static void
test_duplicates (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *a = data_url (f, "dup-a.bin", 100);
  g_autofree char *b = data_url (f, "dup-b.bin", 100);
  g_autofree char *c = data_url (f, "dup-c.bin", 100);
  g_autofree char *d = data_url (f, "dup-d.bin", 100);
  g_autofree char *e = data_url (f, "dup-e.bin", 100);
  g_autofree char *ab = g_strdup_printf ("%s\n%s", a, b);
  g_autofree char *abcd = g_strdup_printf ("%s\n%s\n%s\n%s", a, c, b, d);
  g_autofree char *aee = g_strdup_printf ("%s\n%s\n%s", a, e, e);

  set_entry (f, ab);
  activate_entry (f);
  g_assert_cmpuint (n_jobs (f), ==, 2);
  g_assert_null (duplicate_dialog (f));
  dismiss_toast (f);

  /* Two of four are in the list already. */
  set_entry (f, abcd);
  activate_entry (f);
  g_assert_nonnull (duplicate_dialog (f));
  g_assert_cmpstr (adw_message_dialog_get_heading (duplicate_dialog (f)), ==, "Add Duplicate Links?");
  g_assert_cmpstr (adw_message_dialog_get_body (duplicate_dialog (f)), ==,
                   "2 of 4 links are already in the list.");
  g_assert_cmpstr (adw_message_dialog_get_default_response (duplicate_dialog (f)), ==, "skip");
  g_assert_cmpuint (n_jobs (f), ==, 2);
  maybe_shoot_widget (GTK_WIDGET (duplicate_dialog (f)), "duplicate-dialog");

  respond_duplicates (f, "skip");
  PCQ_TEST_WAIT_FOR (duplicate_dialog (f) == NULL, WAIT_MS);
  g_assert_cmpuint (n_jobs (f), ==, 4);
  g_assert_cmpstr (pcq_job_get_url (job_at (f, 2)), ==, c);
  g_assert_cmpstr (pcq_job_get_url (job_at (f, 3)), ==, d);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "2 tasks added");
  dismiss_toast (f);

  /* One in the list, one twice in the batch: Add Anyway adds all three. */
  set_entry (f, aee);
  activate_entry (f);
  g_assert_nonnull (duplicate_dialog (f));
  g_assert_cmpstr (adw_message_dialog_get_body (duplicate_dialog (f)), ==,
                   "2 of 3 links are already in the list.");
  respond_duplicates (f, "add");
  PCQ_TEST_WAIT_FOR (duplicate_dialog (f) == NULL, WAIT_MS);
  g_assert_cmpuint (n_jobs (f), ==, 7);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==, "3 tasks added");
  dismiss_toast (f);

  /* Cancel adds nothing. */
  set_entry (f, b);
  activate_entry (f);
  g_assert_cmpstr (adw_message_dialog_get_body (duplicate_dialog (f)), ==,
                   "The link is already in the list.");
  respond_duplicates (f, "cancel");
  PCQ_TEST_WAIT_FOR (duplicate_dialog (f) == NULL, WAIT_MS);
  g_assert_cmpuint (n_jobs (f), ==, 7);
  /* The link is back in the entry, as typed. */
  g_assert_cmpstr (gtk_editable_get_text (_pcq_window_get_entry (f->window)), ==, b);
  set_entry (f, "");

  /* A removed task's link is no duplicate, even while Undo is offered. */
  {
    g_autoptr(GPtrArray) jobs = g_ptr_array_new ();

    g_assert_cmpstr (pcq_job_get_url (job_at (f, 2)), ==, c);
    g_ptr_array_add (jobs, job_at (f, 2));
    _pcq_window_remove_jobs (f->window, jobs);
  }
  set_entry (f, c);
  activate_entry (f);
  g_assert_null (duplicate_dialog (f));
  g_assert_cmpuint (n_jobs (f), ==, 8);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "7 finished"), WAIT_MS);
  dismiss_toast (f);

  /* A list file is asked about too, before any of it is added. */
  {
    g_autofree char *path = g_build_filename (f->out_dir, "dups.txt", NULL);
    g_autofree char *f1 = data_url (f, "dup-f.bin", 100);
    g_autofree char *list = g_strdup_printf ("%s\n%s\n%s\n", b, f1, f1);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autoptr(GError) error = NULL;

    g_file_set_contents (path, list, -1, &error);
    g_assert_no_error (error);
    pcq_window_add_files (f->window, &file, 1, NULL);
    PCQ_TEST_WAIT_FOR (duplicate_dialog (f) != NULL, WAIT_MS);
    g_assert_cmpstr (adw_message_dialog_get_body (duplicate_dialog (f)), ==,
                     "2 of 3 links are already in the list.");
    g_assert_cmpuint (n_jobs (f), ==, 8);
    respond_duplicates (f, "skip");
    PCQ_TEST_WAIT_FOR (toast_is (f, "Added 1 task from “dups.txt”"), WAIT_MS);
    g_assert_cmpuint (n_jobs (f), ==, 9);
    g_assert_cmpstr (pcq_job_get_url (job_at (f, 8)), ==, f1);
  }
}

/* A cancel and a removal while one toast is up: it counts both, and
 * Undo takes back both. */
static void
test_removal_kinds (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *ok = data_url (f, "kind.bin", 100);
  g_autofree char *slow = slow_url (f, "kinds.bin", 30);
  g_autofree char *both = g_strdup_printf ("%s\n%s", ok, slow);
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  AdwToast *toast;
  PcqJobRow *row = NULL;
  PcqJob *slow_job;

  set_entry (f, both);
  activate_entry (f);
  slow_job = job_at (f, 1);
  PCQ_TEST_WAIT_FOR (job_is (job_at (f, 0), PCQ_JOB_DONE) && job_has_bytes (slow_job) &&
                     (row = row_for_job (f, slow_job)) != NULL, WAIT_MS);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "job.cancel", NULL));
  toast = _pcq_window_get_last_toast_object (f->window);
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), 0);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.remove-selected", NULL);
  g_assert_true (_pcq_window_get_last_toast_object (f->window) == toast);
  g_assert_cmpstr (adw_toast_get_title (toast), ==, "1 task removed · 1 task cancelled");
  g_assert_cmpuint (n_shown (f), ==, 1);
  PCQ_TEST_WAIT_FOR (job_is (slow_job, PCQ_JOB_PAUSED), WAIT_MS);

  undo_toast (f);
  g_assert_cmpuint (n_shown (f), ==, 2);
  PCQ_TEST_WAIT_FOR (job_is (slow_job, PCQ_JOB_ACTIVE), WAIT_MS);
  g_assert_cmpuint (n_jobs (f), ==, 2);
}

/* ---- preferences and notifications -------------------------------- */

/* A stand-in for the desktop's notification server
 * (org.freedesktop.Notifications), on the test's session bus: it keeps
 * what it was sent. */
static struct
{
  guint  n_notify;
  guint  n_close;
  char  *summary;
  char  *body;
  char  *actions;  /* the action keys, joined with spaces */
} notifications;

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "      <arg type='u' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "    <method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "    <signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "    <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "  </interface>"
  "</node>";

static void
notifications_method_cb (GDBusConnection       *connection,
                         const char            *sender,
                         const char            *object_path,
                         const char            *interface_name,
                         const char            *method_name,
                         GVariant              *parameters,
                         GDBusMethodInvocation *invocation,
                         gpointer               user_data)
{
  if (g_strcmp0 (method_name, "Notify") == 0)
    {
      g_autofree const char **actions = NULL;
      g_autoptr(GString) keys = g_string_new (NULL);
      const char *summary;
      const char *body;

      g_variant_get (parameters, "(&su&s&s&s^a&s@a{sv}i)",
                     NULL, NULL, NULL, &summary, &body, &actions, NULL, NULL);

      /* Actions come as key, label pairs. */
      for (guint i = 0; actions[i] != NULL && actions[i + 1] != NULL; i += 2)
        g_string_append_printf (keys, "%s%s", keys->len ? " " : "", actions[i]);

      notifications.n_notify++;
      g_free (notifications.summary);
      g_free (notifications.body);
      g_free (notifications.actions);
      notifications.summary = g_strdup (summary);
      notifications.body = g_strdup (body);
      notifications.actions = g_string_free (g_steal_pointer (&keys), FALSE);

      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(u)", notifications.n_notify));
    }
  else if (g_strcmp0 (method_name, "CloseNotification") == 0)
    {
      notifications.n_close++;
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    {
      const char *caps[] = { "body", "actions", NULL };

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
start_notification_server (void)
{
  static const GDBusInterfaceVTable vtable = { notifications_method_cb, NULL, NULL };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  gboolean acquired = FALSE;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);

  info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, "/org/freedesktop/Notifications",
                                     info->interfaces[0], &vtable, NULL, NULL, &error);
  g_assert_no_error (error);

  g_bus_own_name_on_connection (bus, "org.freedesktop.Notifications",
                                G_BUS_NAME_OWNER_FLAGS_NONE,
                                name_acquired_cb, NULL, &acquired, NULL);
  PCQ_TEST_WAIT_FOR (acquired, WAIT_MS);
}

static GtkSpinButton *
find_spin_button (GtkWidget *widget)
{
  return GTK_SPIN_BUTTON (pcq_test_find_first (widget, GTK_TYPE_SPIN_BUTTON, NULL, NULL));
}

static gboolean
row_has_title (GtkWidget     *row,
               gconstpointer  title)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), title) == 0;
}

static gboolean
settings_mention (GSettings  *settings,
                  const char *text)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (settings, keys[i]);
      g_autofree char *printed = g_variant_print (value, FALSE);

      if (strstr (printed, text) != NULL)
        return TRUE;
    }

  return FALSE;
}

/* The API key typed into Preferences goes to the keyring and the engine,
 * never to a setting; Remove takes it out of both. The test process
 * uses libsecret's file backend (see main ()). */
static void
test_preferences_api_key (Fixture       *f,
                          gconstpointer  data)
{
  const char *key = "sk-typed-in-preferences-5";
  GtkWindow *preferences;
  GtkWidget *key_row;
  AdwActionRow *status_row;
  GtkWidget *remove_button;
  g_autoptr(GError) error = NULL;
  char *stored;

  g_assert_cmpint (pcq_application_get_api_key_source (f->app), ==, PCQ_API_KEY_NONE);
  g_assert_false (pcq_engine_has_api_key (f->engine));

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "preferences", NULL);
  PCQ_TEST_WAIT_FOR ((preferences = pcq_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW)) != NULL &&
                     gtk_widget_get_mapped (GTK_WIDGET (preferences)), WAIT_MS);
  key_row = pcq_test_find_first (GTK_WIDGET (preferences), ADW_TYPE_PASSWORD_ENTRY_ROW, NULL, NULL);
  status_row = ADW_ACTION_ROW (pcq_test_find_first (GTK_WIDGET (preferences), ADW_TYPE_ACTION_ROW,
                                                row_has_title, "Saved Key"));
  remove_button = pcq_test_find_first (GTK_WIDGET (status_row), GTK_TYPE_BUTTON,
                                   pcq_test_button_has_label, "_Remove");
  g_assert_nonnull (key_row);
  g_assert_nonnull (remove_button);
  g_assert_cmpstr (adw_action_row_get_subtitle (status_row), ==,
                   "None: API tasks are sent without a key");
  g_assert_false (gtk_widget_get_visible (remove_button));
  g_assert_true (gtk_widget_get_sensitive (key_row));

  /* A key with a line break is refused in the entry, which says so,
   * and goes neither to the keyring nor to the engine. */
  gtk_editable_set_text (GTK_EDITABLE (key_row), "sk-pasted-badly\r\nX-Injected: 1");
  g_signal_emit_by_name (key_row, "apply");
  PCQ_TEST_WAIT_FOR (gtk_widget_has_css_class (key_row, "error") &&
                     gtk_widget_get_sensitive (key_row), WAIT_MS);
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (key_row), "line break"));
  g_assert_cmpint (pcq_application_get_api_key_source (f->app), ==, PCQ_API_KEY_NONE);
  g_assert_false (pcq_engine_has_api_key (f->engine));
  stored = pcq_keyring_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_null (stored);

  /* Typed and applied, as with the row's apply button or Enter. */
  gtk_editable_set_text (GTK_EDITABLE (key_row), key);
  g_assert_false (gtk_widget_has_css_class (key_row, "error"));
  g_signal_emit_by_name (key_row, "apply");
  PCQ_TEST_WAIT_FOR (pcq_application_get_api_key_source (f->app) == PCQ_API_KEY_KEYRING &&
                     pcq_engine_has_api_key (f->engine), WAIT_MS);
  PCQ_TEST_WAIT_FOR (gtk_widget_get_sensitive (key_row), WAIT_MS);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (key_row)), ==, "");
  g_assert_cmpstr (adw_action_row_get_subtitle (status_row), ==, "In the keyring");
  g_assert_true (gtk_widget_get_visible (remove_button));

  stored = pcq_keyring_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, key);
  pcq_keyring_free_key (stored);
  g_assert_false (settings_mention (f->settings, key));

  /* Removed: from the keyring and the engine. */
  gtk_widget_activate (remove_button);
  PCQ_TEST_WAIT_FOR (pcq_application_get_api_key_source (f->app) == PCQ_API_KEY_NONE, WAIT_MS);
  g_assert_false (pcq_engine_has_api_key (f->engine));
  g_assert_false (gtk_widget_get_visible (remove_button));
  stored = pcq_keyring_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_null (stored);

  gtk_window_destroy (preferences);
}

static void
test_preferences_notify (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *ok = data_url (f, "n1.bin", 100);
  g_autofree char *missing = pcq_test_server_url (f->server, "/status/404/n2.bin");
  g_autofree char *both = g_strdup_printf ("%s\n%s", ok, missing);
  GtkWindow *preferences;
  GtkSpinButton *max_active;
  GtkSpinButton *per_host;
  GtkSpinButton *speed_limit;
  GtkSpinButton *api_rpm;
  guint n_before;

  g_assert_null (_pcq_application_get_last_notification (f->app));

  /* The preferences come to the front; the main window is not active. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "preferences", NULL);
  PCQ_TEST_WAIT_FOR ((preferences = pcq_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW)) != NULL &&
                     gtk_widget_get_mapped (GTK_WIDGET (preferences)), WAIT_MS);
  PCQ_TEST_WAIT_FOR (!gtk_window_is_active (GTK_WINDOW (f->window)), WAIT_MS);
  g_assert_true (gtk_window_get_transient_for (preferences) == GTK_WINDOW (f->window));

  /* The first spin button is the maximum of active tasks: live. */
  max_active = find_spin_button (GTK_WIDGET (preferences));
  g_assert_nonnull (max_active);
  g_assert_cmpfloat (gtk_spin_button_get_value (max_active), ==, 4);
  gtk_spin_button_set_value (max_active, 7);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "max-active"), ==, 7);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_max_active (f->engine) == 7, WAIT_MS);

  /* Tasks per server: 0 (no limit) at first, live too. */
  per_host = find_spin_button (pcq_test_find_first (GTK_WIDGET (preferences), ADW_TYPE_ACTION_ROW,
                                                    row_has_title,
                                                    "Maximum Active Tasks per Server"));
  g_assert_nonnull (per_host);
  g_assert_cmpfloat (gtk_spin_button_get_value (per_host), ==, 0);
  gtk_spin_button_set_value (per_host, 2);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "max-per-host"), ==, 2);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_max_per_host (f->engine) == 2, WAIT_MS);
  gtk_spin_button_set_value (per_host, 0);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_max_per_host (f->engine) == 0, WAIT_MS);

  maybe_shoot_widget (GTK_WIDGET (preferences), "preferences");

  /* The speed limit, in KiB/s: off at first, live too. */
  speed_limit = find_spin_button (pcq_test_find_first (GTK_WIDGET (preferences), ADW_TYPE_ACTION_ROW,
                                                       row_has_title, "Speed Limit"));
  g_assert_nonnull (speed_limit);
  g_assert_cmpfloat (gtk_spin_button_get_value (speed_limit), ==, 0);
  g_assert_cmpuint (pcq_engine_get_speed_limit (f->engine), ==, 0);
  gtk_spin_button_set_value (speed_limit, 512);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "speed-limit"), ==, 512);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_speed_limit (f->engine) == 512 * 1024, WAIT_MS);
  gtk_spin_button_set_value (speed_limit, 0);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_speed_limit (f->engine) == 0, WAIT_MS);

  /* API requests per minute: off at first, live too. */
  api_rpm = find_spin_button (pcq_test_find_first (GTK_WIDGET (preferences), ADW_TYPE_ACTION_ROW,
                                                   row_has_title, "Requests per Minute"));
  g_assert_nonnull (api_rpm);
  g_assert_cmpfloat (gtk_spin_button_get_value (api_rpm), ==, 0);
  gtk_spin_button_set_value (api_rpm, 30);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "api-rpm"), ==, 30);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_api_rpm (f->engine) == 30, WAIT_MS);
  gtk_spin_button_set_value (api_rpm, 0);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_api_rpm (f->engine) == 0, WAIT_MS);

  /* The queue drains while the window is behind: a notification, with
   * a default action (it presents the window). */
  n_before = notifications.n_notify;
  pcq_window_add_text (f->window, both, NULL);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "1 finished · 1 failed") &&
                     _pcq_application_get_last_notification (f->app) != NULL, WAIT_MS);
  g_assert_cmpstr (_pcq_application_get_last_notification (f->app), ==,
                   "1 task finished, 1 failed");
  PCQ_TEST_WAIT_FOR (notifications.n_notify == n_before + 1, WAIT_MS);
  g_assert_cmpstr (notifications.summary, ==, "Queue Finished");
  g_assert_cmpstr (notifications.body, ==, "1 task finished, 1 failed");
  g_assert_cmpstr (notifications.actions, ==, "default");

  /* GIO can withdraw it only once the server's answer (its id) is in:
   * a round trip on the same connection comes back after that answer,
   * and a few iterations hand it to GIO. */
  {
    g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
    g_autoptr(GVariant) reply = NULL;

    reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                         G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
    for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
      ;
  }

  /* Back in front: the notification is withdrawn. */
  n_before = notifications.n_close;
  gtk_window_destroy (preferences);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "present", NULL);
  PCQ_TEST_WAIT_FOR (gtk_window_is_active (GTK_WINDOW (f->window)), WAIT_MS);
  PCQ_TEST_WAIT_FOR (notifications.n_close == n_before + 1, WAIT_MS);
}

static GtkWidget *
shown_popover (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER (child) && gtk_widget_get_visible (child))
      return child;

  return NULL;
}

static void
test_keyboard_and_windows (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *url = data_url (f, "k.bin", 100);
  GtkWindow *window;
  PcqJobRow *row;

  /* Ctrl+L's action puts the focus in the entry. */
  gtk_widget_grab_focus (_pcq_window_get_list_view (f->window));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.focus-entry", NULL);
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (f->window)),
                                         GTK_WIDGET (_pcq_window_get_entry (f->window))));

  set_entry (f, url);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (rows_say (f, 1, "Done"), WAIT_MS);

  /* Menu (or Shift+F10) on the focused row opens its menu. */
  row = row_for_job (f, job_at (f, 0));
  g_assert_nonnull (row);
  gtk_widget_grab_focus (gtk_widget_get_parent (GTK_WIDGET (row)));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.row-menu", NULL);
  PCQ_TEST_WAIT_FOR (shown_popover (GTK_WIDGET (row)) != NULL, WAIT_MS);
  gtk_popover_popdown (GTK_POPOVER (shown_popover (GTK_WIDGET (row))));

  /* The shortcuts window and the about window open. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "shortcuts", NULL);
  PCQ_TEST_WAIT_FOR ((window = pcq_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW)) != NULL, WAIT_MS);
  g_assert_true (gtk_window_get_transient_for (window) == GTK_WINDOW (f->window));
  gtk_window_destroy (window);

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "about", NULL);
  PCQ_TEST_WAIT_FOR ((window = pcq_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW)) != NULL, WAIT_MS);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (window)), ==, "Pcq");
  gtk_window_destroy (window);
}

/* Every row's menu shows the one menu model, and what is chosen in it
 * acts on that row's job. */
static void
test_row_menu (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *url_a = data_url (f, "menu-a.bin", 100);
  g_autofree char *url_b = data_url (f, "menu-b.bin", 100);
  GListModel *shown = _pcq_window_get_shown_jobs (f->window);
  GtkWidget *popovers[2];
  GMenuModel *model;
  PcqJob *first;

  set_entry (f, url_a);
  activate_entry (f);
  set_entry (f, url_b);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (rows_say (f, 2, "Done"), WAIT_MS);
  first = job_at (f, 0);

  for (guint i = 0; i < 2; i++)
    {
      PcqJobRow *row = row_for_job (f, job_at (f, i));

      g_assert_nonnull (row);
      gtk_widget_grab_focus (gtk_widget_get_parent (GTK_WIDGET (row)));
      gtk_widget_activate_action (GTK_WIDGET (f->window), "win.row-menu", NULL);
      PCQ_TEST_WAIT_FOR ((popovers[i] = shown_popover (GTK_WIDGET (row))) != NULL, WAIT_MS);
      if (i == 1)
        maybe_shoot_widget (popovers[i], "row-menu");
      gtk_popover_popdown (GTK_POPOVER (popovers[i]));
    }

  model = gtk_popover_menu_get_menu_model (GTK_POPOVER_MENU (popovers[0]));
  g_assert_nonnull (model);
  g_assert_true (gtk_popover_menu_get_menu_model (GTK_POPOVER_MENU (popovers[1])) == model);
  g_assert_cmpint (g_menu_model_get_n_items (model), ==, 4);

  /* Remove from List in the second row's menu: the second task goes. */
  g_assert_true (gtk_widget_activate_action (popovers[1], "job.remove", NULL));
  g_assert_cmpuint (n_shown (f), ==, 1);
  {
    g_autoptr(PcqJob) left = g_list_model_get_item (shown, 0);

    g_assert_true (left == first);
  }
}

/* ---- the command line and imports ---------------------------------- */

static void
test_open_files (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *direct = data_url (f, "direct.bin", 300);
  g_autofree char *listed = data_url (f, "listed.bin", 400);
  g_autofree char *named = data_url (f, "ignored-name.bin", 500);
  g_autofree char *list_path = g_build_filename (f->out_dir, "list.txt", NULL);
  g_autofree char *other_dir = g_build_filename (f->out_dir, "other", NULL);
  g_autofree char *hint = g_strconcat ("output-dir=", other_dir, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *named_path = NULL;
  g_autoptr(GError) error = NULL;
  GFile *files[2];

  contents = g_strdup_printf ("# links\n%s\n{\"url\": \"%s\", \"output\": \"named.bin\"}\n"
                              "not a link\n",
                              listed, named);
  g_file_set_contents (list_path, contents, -1, &error);
  g_assert_no_error (error);

  /* What `pcq -o DIR URL list.txt` hands the primary instance. */
  files[0] = g_file_new_for_uri (direct);
  files[1] = g_file_new_for_path (list_path);
  g_application_open (G_APPLICATION (f->app), files, 2, hint);
  g_object_unref (files[0]);
  g_object_unref (files[1]);

  PCQ_TEST_WAIT_FOR (n_jobs (f) == 3 && subtitle_is (f, "3 finished"), WAIT_MS);
  /* The list's report comes once its feed has ended, which may be a
   * slice after its last task: its tasks may be done by then. */
  PCQ_TEST_WAIT_FOR (toast_is (f, "Added 2 tasks from “list.txt”; 1 line was not a valid task"),
                     WAIT_MS);

  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (pcq_job_get_output_dir (job_at (f, i)), ==, other_dir);

  named_path = g_build_filename (other_dir, "named.bin", NULL);
  pcq_test_assert_content (named_path, 0, 500);
}

/* A file that is no list of tasks (a NUL byte, a line over its bound,
 * /dev/zero) is refused whole, with the line's number: none of its
 * tasks is added, and /dev/zero is not read on and on. */
static void
test_import_refused (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *first = data_url (f, "refused-1.bin", 100);
  g_autofree char *list_path = g_build_filename (f->out_dir, "nul.txt", NULL);
  g_autofree char *long_path = g_build_filename (f->out_dir, "long.txt", NULL);
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) long_file = NULL;
  g_autoptr(GFile) zero = g_file_new_for_path ("/dev/zero");

  g_string_append_printf (contents, "%s\nhttp://x/", first);
  g_string_append_len (contents, "\0y\n", 3);
  g_file_set_contents (list_path, contents->str, contents->len, &error);
  g_assert_no_error (error);
  file = g_file_new_for_path (list_path);
  pcq_window_add_files (f->window, &file, 1, NULL);
  PCQ_TEST_WAIT_FOR (_pcq_window_get_last_toast (f->window) != NULL, WAIT_MS);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==,
                   "Cannot import “nul.txt”: line 2 contains a NUL byte: not a list of tasks");

  g_string_truncate (contents, 0);
  g_string_append_printf (contents, "%s\n", first);
  while (contents->len < 200 * 1024)
    g_string_append_c (contents, 'x');
  g_file_set_contents (long_path, contents->str, contents->len, &error);
  g_assert_no_error (error);
  long_file = g_file_new_for_path (long_path);
  pcq_window_add_files (f->window, &long_file, 1, NULL);
  PCQ_TEST_WAIT_FOR (g_str_has_prefix (_pcq_window_get_last_toast (f->window), "Cannot import “long.txt”"),
                     WAIT_MS);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==,
                   "Cannot import “long.txt”: line 2 is longer than 64 KiB: not a list of tasks");

  pcq_window_add_files (f->window, &zero, 1, NULL);
  PCQ_TEST_WAIT_FOR (g_str_has_prefix (_pcq_window_get_last_toast (f->window), "Cannot import “zero”"),
                     WAIT_MS);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==,
                   "Cannot import “zero”: line 1 contains a NUL byte: not a list of tasks");

  g_assert_cmpuint (n_jobs (f), ==, 0);
  g_assert_cmpuint (pcq_test_server_count_requests (f->server, NULL), ==, 0);
}

/* ---- ask tasks ----------------------------------------------------- */

#define CHAT_ANSWER "A queue is a line: first in, first out.\n\n*Ünïcode* too."

/* A chat-completions endpoint on the test's own main context: the
 * engine's worker asks from its thread, the test's waits spin this
 * context, so the handler runs. A prompt that starts with "slow " is
 * answered with a stream of SLOW_CHUNKS pieces of SLOW_PIECE bytes that
 * the test sends when it wants them (slow_stream_send ()), so what the
 * row shows in between does not depend on how busy the machine is. */
#define SLOW_CHUNKS      20
#define SLOW_PIECE       250

typedef struct
{
  SoupServer *server;
  char       *base;
  GPtrArray  *prompts;
  GPtrArray  *models;   /* the "model" of each request, "" if none */
  GList      *streams;  /* SlowStream */
} ChatServer;

typedef struct
{
  ChatServer        *chat;
  SoupServerMessage *msg;
  guint              n_sent;
  gulong             finished_id;
} SlowStream;

static void
slow_stream_free (SlowStream *stream)
{
  g_clear_signal_handler (&stream->finished_id, stream->msg);
  stream->chat->streams = g_list_remove (stream->chat->streams, stream);
  g_object_unref (stream->msg);
  g_free (stream);
}

static void
slow_stream_finished_cb (SoupServerMessage *msg,
                         SlowStream        *stream)
{
  slow_stream_free (stream);
}

/* Sends the next @n pieces of the one slow stream (all that are left,
 * and the end, once @n reaches them). */
static void
slow_stream_send (ChatServer *chat,
                  guint       n)
{
  SlowStream *stream;
  SoupMessageBody *body;

  g_assert_nonnull (chat->streams);
  stream = chat->streams->data;
  body = soup_server_message_get_response_body (stream->msg);

  for (guint i = 0; i < n && stream->n_sent < SLOW_CHUNKS; i++)
    {
      g_autofree char *piece = g_strnfill (SLOW_PIECE, 'a' + stream->n_sent % 26);
      g_autofree char *event = NULL;

      /* Letters only: nothing to escape. */
      event = g_strdup_printf ("data: {\"choices\": [{\"delta\": {\"content\": \"%s\"}}]}\n\n", piece);
      soup_message_body_append (body, SOUP_MEMORY_COPY, event, strlen (event));
      stream->n_sent++;
    }

  if (stream->n_sent == SLOW_CHUNKS)
    {
      const char *done = "data: [DONE]\n\n";

      soup_message_body_append (body, SOUP_MEMORY_STATIC, done, strlen (done));
      soup_message_body_complete (body);
    }
  soup_server_message_unpause (stream->msg);
}

/* The headers and a first event with no content at once; the answer
 * a piece at a time. Once libsoup has written all it has, it pauses
 * the message until the next piece is appended and unpaused. */
static void
respond_slow_stream (ChatServer        *chat,
                     SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  const char *role = "data: {\"choices\": [{\"delta\": {\"role\": \"assistant\"}}]}\n\n";
  SlowStream *stream = g_new0 (SlowStream, 1);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_append (body, SOUP_MEMORY_STATIC, role, strlen (role));

  stream->chat = chat;
  stream->msg = g_object_ref (msg);
  stream->finished_id = g_signal_connect (msg, "finished",
                                          G_CALLBACK (slow_stream_finished_cb), stream);
  chat->streams = g_list_prepend (chat->streams, stream);
}

/* What the slow stream's answer adds up to. */
static char *
slow_answer (void)
{
  GString *answer = g_string_new (NULL);

  for (guint i = 0; i < SLOW_CHUNKS; i++)
    for (guint j = 0; j < SLOW_PIECE; j++)
      g_string_append_c (answer, 'a' + i % 26);

  return g_string_free (answer, FALSE);
}

static void
chat_cb (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  ChatServer *chat = user_data;
  g_autoptr(GBytes) request = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  JsonObject *request_object;
  JsonArray *messages;
  JsonObject *last;
  const char *prompt;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST ||
      !json_parser_load_from_data (parser, g_bytes_get_data (request, NULL),
                                   g_bytes_get_size (request), NULL))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }

  request_object = json_node_get_object (json_parser_get_root (parser));
  messages = json_object_get_array_member (request_object, "messages");
  last = json_array_get_object_element (messages, json_array_get_length (messages) - 1);
  prompt = json_object_get_string_member (last, "content");
  g_ptr_array_add (chat->prompts, g_strdup (prompt));
  g_ptr_array_add (chat->models,
                   g_strdup (json_object_get_string_member_with_default (request_object, "model", "")));

  if (g_str_has_prefix (prompt, "slow "))
    {
      respond_slow_stream (chat, msg);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "choices");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "message");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "assistant");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, CHAT_ANSWER);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  if (g_str_has_prefix (prompt, "usage "))
    {
      json_builder_set_member_name (builder, "usage");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "prompt_tokens");
      json_builder_add_int_value (builder, 120);
      json_builder_set_member_name (builder, "completion_tokens");
      json_builder_add_int_value (builder, 350);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

/* The models the chat server offers, in no order, one twice. */
static void
models_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  const char *body = "{\"object\": \"list\", \"data\": [{\"id\": \"zeta\"}, "
                     "{\"id\": \"alpha\"}, {\"id\": \"zeta\"}, {\"id\": 1}]}";

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    body, strlen (body));
}

static void
chat_server_start (ChatServer *chat)
{
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  chat->prompts = g_ptr_array_new_with_free_func (g_free);
  chat->models = g_ptr_array_new_with_free_func (g_free);
  chat->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (chat->server, "/v1/chat/completions", chat_cb, chat, NULL);
  soup_server_add_handler (chat->server, "/v1/models", models_cb, chat, NULL);
  soup_server_listen (chat->server, address, 0, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (chat->server);
  chat->base = g_strdup_printf ("http://127.0.0.1:%d/v1", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
chat_server_stop (ChatServer *chat)
{
  while (chat->streams != NULL)
    slow_stream_free (chat->streams->data);
  soup_server_disconnect (chat->server);
  g_clear_object (&chat->server);
  g_clear_pointer (&chat->base, g_free);
  g_clear_pointer (&chat->prompts, g_ptr_array_unref);
  g_clear_pointer (&chat->models, g_ptr_array_unref);
}

/* Starts @chat and makes it the configured API base. */
static void
use_chat_server (Fixture    *f,
                 ChatServer *chat)
{
  chat_server_start (chat);
  g_settings_set_string (f->settings, "api-base", chat->base);
  PCQ_TEST_WAIT_FOR (g_strcmp0 (pcq_engine_get_api_base (f->engine), chat->base) == 0, WAIT_MS);
}

static void
stop_using_chat_server (Fixture    *f,
                        ChatServer *chat)
{
  g_settings_reset (f->settings, "api-base");
  chat_server_stop (chat);
}

static gboolean
subtitle_starts_with (AdwActionRow *row,
                      const char   *prefix)
{
  return g_str_has_prefix (adw_action_row_get_subtitle (row), prefix);
}

/* The models the server lists are offered beside the model's entry;
 * one is picked, another typed; a server that cannot list them says
 * so in the row below. */
static void
test_preferences_models (Fixture       *f,
                         gconstpointer  data)
{
  ChatServer chat = { 0 };
  g_autofree char *broken = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GtkWindow *preferences;
  AdwActionRow *status_row;
  GtkWidget *model_row;
  GtkWidget *button;
  GtkWidget *list;

  use_chat_server (f, &chat);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "preferences", NULL);
  PCQ_TEST_WAIT_FOR ((preferences = pcq_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW)) != NULL &&
                     gtk_widget_get_mapped (GTK_WIDGET (preferences)), WAIT_MS);
  status_row = ADW_ACTION_ROW (pcq_test_find_first (GTK_WIDGET (preferences), ADW_TYPE_ACTION_ROW,
                                                    row_has_title, "Models on the Server"));
  model_row = pcq_test_find_first (GTK_WIDGET (preferences), ADW_TYPE_ENTRY_ROW,
                                   row_has_title, "Model");
  g_assert_nonnull (status_row);
  g_assert_nonnull (model_row);
  button = pcq_test_find_first (model_row, GTK_TYPE_MENU_BUTTON, NULL, NULL);
  list = pcq_test_find_first (model_row, GTK_TYPE_LIST_BOX, NULL, NULL);
  g_assert_nonnull (button);
  g_assert_nonnull (list);

  PCQ_TEST_WAIT_FOR (subtitle_starts_with (status_row, "2 models offered"), WAIT_MS);
  g_assert_true (gtk_widget_get_sensitive (button));
  rows = pcq_test_find_all (list, GTK_TYPE_LABEL);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_cmpstr (gtk_label_get_text (rows->pdata[0]), ==, "alpha");
  g_assert_cmpstr (gtk_label_get_text (rows->pdata[1]), ==, "zeta");

  /* Picked from the list: the model setting, which the engine follows. */
  g_signal_emit_by_name (list, "row-activated",
                         gtk_widget_get_ancestor (rows->pdata[1], GTK_TYPE_LIST_BOX_ROW));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (model_row)), ==, "zeta");
  {
    g_autofree char *model = g_settings_get_string (f->settings, "model");

    g_assert_cmpstr (model, ==, "zeta");
  }

  /* A base with no models: the reason, inline; any name may still be typed. */
  broken = g_strconcat (chat.base, "/broken", NULL);
  g_settings_set_string (f->settings, "api-base", broken);
  PCQ_TEST_WAIT_FOR (subtitle_starts_with (status_row, "Could not list models: "), WAIT_MS);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (status_row), "404"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (status_row), "error"));
  g_assert_false (gtk_widget_get_sensitive (button));
  gtk_editable_set_text (GTK_EDITABLE (model_row), "my-own-model");
  {
    g_autofree char *model = g_settings_get_string (f->settings, "model");

    g_assert_cmpstr (model, ==, "my-own-model");
  }

  /* Back to the good base: listed again, the error gone. */
  g_settings_set_string (f->settings, "api-base", chat.base);
  PCQ_TEST_WAIT_FOR (subtitle_starts_with (status_row, "2 models offered"), WAIT_MS);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (status_row), "error"));

  /* Closed while a request is under way: it is cancelled, and nothing
   * touches the window after. */
  g_settings_set_string (f->settings, "api-base", broken);
  gtk_window_destroy (preferences);
  g_settings_reset (f->settings, "model");
  stop_using_chat_server (f, &chat);
}

static gboolean
row_done (Fixture *f,
          PcqJob  *job)
{
  PcqJobRow *row = row_for_job (f, job);

  return row != NULL && g_str_has_prefix (pcq_job_row_get_detail_text (row), "Done");
}

static gboolean
row_has_note (Fixture *f,
              PcqJob  *job)
{
  PcqJobRow *row = row_for_job (f, job);

  return row != NULL && *pcq_job_row_get_note_text (row) != '\0';
}

/* Commit results on, an output folder outside any repository: the task
 * is done and its row says it was not committed, and offers to make
 * one; what finishes after that is committed. */
static void
test_commit_no_repository (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *url = data_url (f, "git-a.bin", 1500);
  g_autofree char *url2 = data_url (f, "git-b.bin", 1500);
  g_autofree char *git_dir = g_build_filename (f->out_dir, ".git", NULL);
  g_autofree char *git = NULL;
  PcqJobRow *row;
  PcqJob *job;

  g_settings_set_boolean (f->settings, "commit-results", TRUE);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_commit_results (f->engine), WAIT_MS);

  set_entry (f, url);
  activate_entry (f);
  g_assert_cmpuint (n_jobs (f), ==, 1);
  job = job_at (f, 0);

  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_DONE) && row_done (f, job), WAIT_MS);
  PCQ_TEST_WAIT_FOR (row_has_note (f, job), WAIT_MS);
  row = row_for_job (f, job);

  if (g_strcmp0 (pcq_job_get_commit_note (job), "not committed: built without Git support") == 0)
    {
      g_assert_cmpstr (pcq_job_row_get_note_text (row), ==,
                       "not committed: built without Git support");
      g_test_skip ("built without Git support");
      return;
    }

  g_assert_cmpstr (pcq_job_row_get_note_text (row), ==, "not committed: no Git repository");
  g_assert_true (g_file_test (pcq_job_get_output_path (job), G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (git_dir, G_FILE_TEST_EXISTS));

  /* The row's offer: `git init` in the output folder. */
  git = g_find_program_in_path ("git");
  if (git == NULL)
    return;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "job.init-git", NULL));
  PCQ_TEST_WAIT_FOR (_pcq_window_get_last_toast (f->window) != NULL &&
                     g_str_has_prefix (_pcq_window_get_last_toast (f->window),
                                       "Initialized a Git repository in "), WAIT_MS);
  g_assert_true (g_file_test (git_dir, G_FILE_TEST_IS_DIR));

  /* The next one is committed. */
  set_entry (f, url2);
  activate_entry (f);
  g_assert_cmpuint (n_jobs (f), ==, 2);
  job = g_strcmp0 (pcq_job_get_url (job_at (f, 0)), url2) == 0 ? job_at (f, 0) : job_at (f, 1);
  g_assert_cmpstr (pcq_job_get_url (job), ==, url2);
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_DONE) && row_has_note (f, job), WAIT_MS);
  g_assert_true (g_str_has_prefix (pcq_job_row_get_note_text (row_for_job (f, job)), "committed "));
}

static gboolean
button_has_action (GtkWidget     *widget,
                   gconstpointer  name)
{
  return g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), name) == 0;
}

/* Whether the action of the window's button for it is enabled: the
 * button follows it (GTK 4.8 has no gtk_widget_get_action_group()). */
static gboolean
action_enabled (Fixture    *f,
                const char *name)
{
  GtkWidget *button = pcq_test_find_first (GTK_WIDGET (f->window), GTK_TYPE_BUTTON,
                                           button_has_action, name);

  g_assert_nonnull (button);
  return gtk_widget_get_sensitive (button);
}

/* A key as the window's own key handler on @widget gets it (in the
 * capture phase, before the widget's own): whether it was handled. */
static gboolean
press_key (GtkWidget       *widget,
           guint            keyval,
           GdkModifierType  state)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);
      gboolean handled = FALSE;

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller) &&
          gtk_event_controller_get_propagation_phase (controller) == GTK_PHASE_CAPTURE)
        {
          g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
          return handled;
        }
    }

  g_assert_not_reached ();
}

static char *
prompt_text (Fixture *f)
{
  GtkTextBuffer *buffer = _pcq_window_get_prompt_buffer (f->window);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
clipboard_text_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
}

static void
test_ask (Fixture       *f,
          gconstpointer  data)
{
  const char *prompt = "What is a queue?\nAnswer in one line, please.";
  ChatServer chat = { 0 };
  GtkWidget *ask_button;
  GtkWidget *input;
  g_autofree char *mode = NULL;
  g_autofree char *answer = NULL;
  g_autoptr(GError) error = NULL;
  PcqJobRow *row;
  PcqJob *job;

  use_chat_server (f, &chat);

  /* Ask mode, as a person picks it: the Ask toggle. */
  ask_button = _pcq_window_get_mode_button (f->window, "ask");
  g_assert_nonnull (ask_button);
  g_assert_true (gtk_widget_get_sensitive (ask_button));
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ask_button)));
  /* (A keyboard activation shows the press for a moment, then clicks.) */
  gtk_widget_activate (ask_button);
  PCQ_TEST_WAIT_FOR (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ask_button)), WAIT_MS);
  g_object_get (f->window, "mode", &mode, NULL);
  g_assert_cmpstr (mode, ==, "ask");
  g_assert_false (gtk_toggle_button_get_active (
                    GTK_TOGGLE_BUTTON (_pcq_window_get_mode_button (f->window, "download"))));
  /* The prompt: several lines of text; Add waits for some. */
  input = _pcq_window_get_input (f->window);
  g_assert_true (GTK_IS_TEXT_VIEW (input));
  g_assert_true (gtk_widget_get_mapped (input));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (_pcq_window_get_entry (f->window))));
  g_assert_false (action_enabled (f, "win.add"));
  gtk_text_buffer_set_text (_pcq_window_get_prompt_buffer (f->window), "  \n ", -1);
  g_assert_false (action_enabled (f, "win.add"));

  /* Shift+Enter is the text view's (a new line); Enter sends: two lines
   * are one prompt, one task. */
  gtk_text_buffer_set_text (_pcq_window_get_prompt_buffer (f->window), prompt, -1);
  g_assert_true (action_enabled (f, "win.add"));
  maybe_shoot (f, "ask-prompt");
  g_assert_false (press_key (input, GDK_KEY_Return, GDK_SHIFT_MASK));
  g_assert_cmpuint (n_jobs (f), ==, 0);
  g_assert_true (press_key (input, GDK_KEY_Return, 0));
  g_assert_cmpuint (n_jobs (f), ==, 1);
  {
    g_autofree char *left = prompt_text (f);

    g_assert_cmpstr (left, ==, "");
  }
  g_assert_false (action_enabled (f, "win.add"));

  job = job_at (f, 0);
  g_assert_cmpint (pcq_job_get_kind (job), ==, PCQ_JOB_ASK);
  g_assert_cmpstr (pcq_job_get_prompt (job), ==, prompt);

  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_DONE) && row_done (f, job), WAIT_MS);
  g_assert_cmpuint (n_jobs (f), ==, 1);
  g_assert_cmpuint (chat.prompts->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (chat.prompts, 0), ==, prompt);

  /* The row: the prompt's first line, the chat icon. */
  row = row_for_job (f, job);
  g_assert_cmpstr (pcq_job_row_get_source_text (row), ==, "What is a queue?");
  g_assert_true (pcq_job_row_get_shows_prompt (row));

  /* The answer, in the output folder, as the server said it. */
  g_assert_nonnull (pcq_job_get_output_path (job));
  g_assert_true (g_str_has_suffix (pcq_job_get_output_path (job), ".md"));
  {
    g_autofree char *dir = g_path_get_dirname (pcq_job_get_output_path (job));

    g_assert_cmpstr (dir, ==, f->out_dir);
  }
  g_file_get_contents (pcq_job_get_output_path (job), &answer, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (answer, ==, CHAT_ANSWER);

  /* Read inside Pcq: the row's Show Answer, then Copy. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "job.show-answer", NULL));
  {
    GtkWindow *shown = _pcq_window_get_last_answer (f->window);
    g_autofree char *copied = NULL;

    g_assert_nonnull (shown);
    g_assert_true (gtk_window_get_transient_for (shown) == GTK_WINDOW (f->window));
    PCQ_TEST_WAIT_FOR (_pcq_answer_window_get_text (PCQ_ANSWER_WINDOW (shown)) != NULL, WAIT_MS);
    g_assert_cmpstr (_pcq_answer_window_get_text (PCQ_ANSWER_WINDOW (shown)), ==, CHAT_ANSWER);
    maybe_shoot_widget (GTK_WIDGET (shown), "answer");

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (shown), "answer.copy", NULL));
    gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (shown)), NULL,
                                   clipboard_text_cb, &copied);
    PCQ_TEST_WAIT_FOR (copied != NULL, WAIT_MS);
    g_assert_cmpstr (copied, ==, CHAT_ANSWER);
    gtk_window_destroy (shown);
  }

  /* Back to links: a link task's row has no chat icon. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.mode", "s", "download");
  g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (_pcq_window_get_entry (f->window))),
                   ==, "Paste links, one per line, and press Enter");

  stop_using_chat_server (f, &chat);
}

/* An Ask task whose server is not there: the toast and the row lead to
 * Preferences → API. */
static void
test_ask_setup (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autofree char *base = NULL;
  AdwToast *toast;
  GtkWindow *preferences;
  PcqJobRow *row;
  PcqJob *job;

  /* A loopback port that refuses: bound, never listened on. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_nonnull (socket);
  address = g_inet_socket_address_new (loopback, 0);
  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  g_clear_object (&address);
  address = g_socket_get_local_address (socket, NULL);
  base = g_strdup_printf ("http://127.0.0.1:%u/v1",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  g_settings_set_uint (f->settings, "retries", 0);
  g_settings_set_string (f->settings, "api-base", base);
  PCQ_TEST_WAIT_FOR (g_strcmp0 (pcq_engine_get_api_base (f->engine), base) == 0, WAIT_MS);

  job = pcq_window_ask (f->window, "Is anyone there?");
  g_assert_nonnull (job);
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_FAILED), WAIT_MS);
  g_assert_true (pcq_job_get_needs_setup (job));

  toast = _pcq_window_get_last_toast_object (f->window);
  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_title (toast), ==,
                   "The API server cannot be reached or refused the key");
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "Set _Up API…");
  g_assert_cmpstr (adw_toast_get_action_name (toast), ==, "app.preferences-api");

  /* The row's menu has it too. */
  PCQ_TEST_WAIT_FOR ((row = row_for_job (f, job)) != NULL, WAIT_MS);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "job.setup-api", NULL));
  PCQ_TEST_WAIT_FOR ((preferences = pcq_test_find_toplevel (PCQ_TYPE_PREFERENCES_WINDOW)) != NULL,
                     WAIT_MS);
  PCQ_TEST_WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (preferences)), WAIT_MS);
  {
    GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (preferences));
    GtkWidget *row_widget = focus ? gtk_widget_get_ancestor (focus, ADW_TYPE_ENTRY_ROW) : NULL;

    g_assert_nonnull (row_widget);
    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row_widget)), ==,
                     "Base URL");
  }
  gtk_window_destroy (preferences);

  g_settings_reset (f->settings, "api-base");
  g_settings_reset (f->settings, "retries");
}

static char *
read_answer (PcqJob *job)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_assert_nonnull (pcq_job_get_output_path (job));
  g_file_get_contents (pcq_job_get_output_path (job), &contents, NULL, &error);
  g_assert_no_error (error);

  return contents;
}

static gboolean
jobs_done_with_rows (Fixture *f,
                     guint    n)
{
  if (n_jobs (f) != n)
    return FALSE;

  for (guint i = 0; i < n; i++)
    if (!job_is (job_at (f, i), PCQ_JOB_DONE) || !row_done (f, job_at (f, i)))
      return FALSE;

  return TRUE;
}

/* An imported file of JSON Lines: a prompt becomes an Ask task, a batch
 * line a batch request, both against the configured API base (and the
 * configured model where the request names none). A pasted prompt
 * line too. */
static void
test_import_api_tasks (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *list_path = g_build_filename (f->out_dir, "api.jsonl", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  ChatServer chat = { 0 };
  const char *contents =
    "# API tasks\n"
    "{\"prompt\": \"What is a queue?\\nIn one line.\"}\n"
    "{\"custom_id\": \"req-42\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", "
    "\"body\": {\"model\": \"batch-model\", "
    "\"messages\": [{\"role\": \"user\", \"content\": \"Batch question\"}]}}\n"
    "{\"custom_id\": \"bad\", \"method\": \"GET\", \"url\": \"/v1/chat/completions\", "
    "\"body\": {}}\n";
  PcqJob *ask;
  PcqJob *batch;
  PcqJob *pasted;
  PcqJobRow *row;

  use_chat_server (f, &chat);
  g_settings_set_string (f->settings, "model", "configured-model");
  PCQ_TEST_WAIT_FOR (g_strcmp0 (pcq_engine_get_model (f->engine), "configured-model") == 0, WAIT_MS);

  g_file_set_contents (list_path, contents, -1, &error);
  g_assert_no_error (error);
  file = g_file_new_for_path (list_path);
  pcq_window_add_files (f->window, &file, 1, NULL);

  PCQ_TEST_WAIT_FOR (jobs_done_with_rows (f, 2), WAIT_MS);
  /* The report may come a feeder slice after the last task. */
  PCQ_TEST_WAIT_FOR (toast_is (f, "Added 2 tasks from “api.jsonl”; 1 line was not a valid task"),
                     WAIT_MS);

  ask = job_at (f, 0);
  batch = job_at (f, 1);
  g_assert_cmpint (pcq_job_get_kind (ask), ==, PCQ_JOB_ASK);
  g_assert_cmpstr (pcq_job_get_prompt (ask), ==, "What is a queue?\nIn one line.");
  g_assert_cmpint (pcq_job_get_kind (batch), ==, PCQ_JOB_BATCH);

  /* The rows: the prompt's first line; the batch request by its
   * custom_id and model, not by the endpoint. */
  row = row_for_job (f, ask);
  g_assert_cmpstr (pcq_job_row_get_title_text (row), ==, "what-is-a-queue-in-one-line.md");
  g_assert_cmpstr (pcq_job_row_get_source_text (row), ==, "What is a queue?");
  g_assert_true (pcq_job_row_get_shows_prompt (row));
  row = row_for_job (f, batch);
  g_assert_cmpstr (pcq_job_row_get_title_text (row), ==, "req-42.md");
  g_assert_cmpstr (pcq_job_row_get_source_text (row), ==, "req-42 · batch-model");
  g_assert_null (strstr (pcq_job_row_get_source_text (row), "/chat/completions"));
  g_assert_true (pcq_job_row_get_shows_prompt (row));

  /* The answers, in the output folder, as the server said them. */
  {
    g_autofree char *ask_name = g_path_get_basename (pcq_job_get_output_path (ask));
    g_autofree char *batch_name = g_path_get_basename (pcq_job_get_output_path (batch));
    g_autofree char *ask_answer = read_answer (ask);
    g_autofree char *batch_answer = read_answer (batch);

    g_assert_cmpstr (ask_name, ==, "what-is-a-queue-in-one-line.md");
    g_assert_cmpstr (batch_name, ==, "req-42.md");
    g_assert_cmpstr (ask_answer, ==, CHAT_ANSWER);
    g_assert_cmpstr (batch_answer, ==, CHAT_ANSWER);
  }

  /* What the server was asked: the configured model for the prompt,
   * the batch request's own. */
  g_assert_cmpuint (chat.prompts->len, ==, 2);
  for (guint i = 0; i < chat.prompts->len; i++)
    {
      const char *prompt = g_ptr_array_index (chat.prompts, i);
      const char *model = g_ptr_array_index (chat.models, i);

      if (g_strcmp0 (prompt, "Batch question") == 0)
        g_assert_cmpstr (model, ==, "batch-model");
      else
        {
          g_assert_cmpstr (prompt, ==, "What is a queue?\nIn one line.");
          g_assert_cmpstr (model, ==, "configured-model");
        }
    }

  /* A prompt line pasted into the entry is an Ask task too. */
  set_entry (f, "{\"prompt\": \"Pasted question\", \"output\": \"pasted.md\"}");
  activate_entry (f);
  g_assert_cmpstr (gtk_editable_get_text (_pcq_window_get_entry (f->window)), ==, "");
  g_assert_cmpuint (n_jobs (f), ==, 3);
  pasted = job_at (f, 2);
  g_assert_cmpint (pcq_job_get_kind (pasted), ==, PCQ_JOB_ASK);
  PCQ_TEST_WAIT_FOR (jobs_done_with_rows (f, 3), WAIT_MS);
  {
    g_autofree char *name = g_path_get_basename (pcq_job_get_output_path (pasted));

    g_assert_cmpstr (name, ==, "pasted.md");
  }

  g_settings_reset (f->settings, "model");
  stop_using_chat_server (f, &chat);
}

static gboolean
row_detail_is (Fixture    *f,
               PcqJob     *job,
               const char *text)
{
  PcqJobRow *row = row_for_job (f, job);

  return row != NULL && g_strcmp0 (pcq_job_row_get_detail_text (row), text) == 0;
}

/* The row's detail line while the answer streams in, "1.2 kB received",
 * or NULL. */
static const char *
row_received (Fixture *f,
              PcqJob  *job)
{
  PcqJobRow *row = row_for_job (f, job);
  const char *detail;

  if (row == NULL)
    return NULL;

  detail = pcq_job_row_get_detail_text (row);
  if (!g_regex_match_simple ("^[0-9.,]+\\W+(bytes|kB) received( · |$)", detail, 0, 0))
    return NULL;

  return detail;
}

/* A streamed answer: the row waits, then shows the size received so far
 * growing, then the size of the answer when done. */
/* A done Ask task shows what it cost, and the title's tooltip sums it;
 * one whose server said nothing shows nothing. */
static void
test_ask_tokens (Fixture       *f,
                 gconstpointer  data)
{
  ChatServer chat = { 0 };
  PcqJob *job;
  PcqJob *silent;
  const char *detail;

  use_chat_server (f, &chat);
  g_assert_null (_pcq_window_get_title_tooltip (f->window));

  job = pcq_window_ask (f->window, "usage What did this cost?");
  silent = pcq_window_ask (f->window, "No usage here");
  g_assert_nonnull (job);
  g_assert_nonnull (silent);
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_DONE) && row_done (f, job) &&
                     job_is (silent, PCQ_JOB_DONE) && row_done (f, silent), WAIT_MS);

  detail = pcq_job_row_get_detail_text (row_for_job (f, job));
  g_assert_true (g_str_has_prefix (detail, "Done · "));
  g_assert_true (g_str_has_suffix (detail, " · 120 + 350 tokens"));
  g_assert_null (strstr (pcq_job_row_get_detail_text (row_for_job (f, silent)), "token"));
  PCQ_TEST_WAIT_FOR (_pcq_window_get_title_tooltip (f->window) != NULL, WAIT_MS);
  g_assert_cmpstr (_pcq_window_get_title_tooltip (f->window), ==,
                   "API tokens of the tasks in the list: 120 for prompts, 350 for answers");

  /* Gone from the list, gone from the sums. */
  pcq_engine_remove (f->engine, job);
  PCQ_TEST_WAIT_FOR (_pcq_window_get_title_tooltip (f->window) == NULL, WAIT_MS);

  stop_using_chat_server (f, &chat);
}

static void
test_ask_streamed (Fixture       *f,
                   gconstpointer  data)
{
  ChatServer chat = { 0 };
  g_autofree char *first = NULL;
  gint64 first_bytes;
  g_autofree char *expected = slow_answer ();
  g_autofree char *answer = NULL;
  g_autofree char *done = NULL;
  g_autofree char *size = NULL;
  PcqJob *job;

  use_chat_server (f, &chat);

  job = pcq_window_ask (f->window, "slow Tell me a long story");
  g_assert_nonnull (job);

  /* Nothing yet: the server thinks. */
  PCQ_TEST_WAIT_FOR (chat.streams != NULL && job_is (job, PCQ_JOB_ACTIVE) &&
                     row_detail_is (f, job, "Waiting for the answer…"), WAIT_MS);

  /* The first pieces, then more, while the answer is still coming. */
  slow_stream_send (&chat, 4);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (job) == 4 * SLOW_PIECE && row_received (f, job) != NULL,
                     WAIT_MS);
  first = g_strdup (row_received (f, job));
  first_bytes = pcq_job_get_bytes (job);
  slow_stream_send (&chat, 8);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (job) == 12 * SLOW_PIECE && row_received (f, job) != NULL &&
                     g_strcmp0 (row_received (f, job), first) != 0, WAIT_MS);
  g_assert_true (job_is (job, PCQ_JOB_ACTIVE));
  g_assert_cmpint (pcq_job_get_bytes (job), >, first_bytes);

  /* Done: the answer's size, and the answer. */
  slow_stream_send (&chat, SLOW_CHUNKS);
  PCQ_TEST_WAIT_FOR (job_is (job, PCQ_JOB_DONE) && row_done (f, job), WAIT_MS);
  size = g_format_size (SLOW_CHUNKS * SLOW_PIECE);
  done = g_strdup_printf ("Done · %s", size);
  g_assert_cmpstr (pcq_job_row_get_detail_text (row_for_job (f, job)), ==, done);
  answer = read_answer (job);
  g_assert_cmpstr (answer, ==, expected);

  stop_using_chat_server (f, &chat);
}

/* ---- closing ------------------------------------------------------- */


/* Clicks the dialog's response button, as a person would. */
static void
click_response (AdwMessageDialog *dialog,
                const char       *label)
{
  GtkWidget *button = pcq_test_find_first (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, pcq_test_button_has_label, label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static AdwMessageDialog *
close_dialog (Fixture *f)
{
  return ADW_MESSAGE_DIALOG (_pcq_window_get_close_dialog (f->window));
}

/* A response of Stop Tasks?, and the window acting on it. */
static void
choose_to_close (Fixture    *f,
                 const char *label)
{
  click_response (close_dialog (f), label);
  PCQ_TEST_WAIT_FOR (f->window == NULL || !_pcq_window_is_asking_to_close (f->window), WAIT_MS);
}

/* ---- the network --------------------------------------------------- */

static void
test_network (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(PcqTestMonitor) monitor = pcq_test_monitor_new ();
  g_autofree char *a = data_url (f, "net-a.bin", 1000);
  g_autofree char *b = data_url (f, "net-b.bin", 1000);
  AdwMessageDialog *dialog;

  /* The test server is on loopback: held like any other host here. */
  pcq_engine_set_network_monitor (f->engine, G_NETWORK_MONITOR (monitor));
  _pcq_engine_set_hold_loopback (f->engine, TRUE);
  {
    g_autofree char *metered = g_settings_get_string (f->settings, "metered-downloads");

    g_assert_cmpstr (metered, ==, "ask");
  }

  /* Offline: the task waits, and the subtitle says why. */
  pcq_test_monitor_set (monitor, FALSE, FALSE);
  set_entry (f, a);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "Waiting for the network · 1 queued"), WAIT_MS);
  g_assert_true (job_is (job_at (f, 0), PCQ_JOB_QUEUED));
  g_assert_cmpuint (pcq_job_get_attempts (job_at (f, 0)), ==, 0);
  g_assert_false (pcq_engine_get_paused (f->engine));

  /* Back: it runs by itself. */
  pcq_test_monitor_set (monitor, TRUE, FALSE);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "1 finished"), WAIT_MS);

  /* Metered, the setting on “ask”: Pcq asks before it starts. */
  pcq_test_monitor_set (monitor, TRUE, TRUE);
  set_entry (f, b);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (_pcq_window_get_metered_dialog (f->window) != NULL, WAIT_MS);
  dialog = ADW_MESSAGE_DIALOG (_pcq_window_get_metered_dialog (f->window));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==,
                   "Download on a Metered Connection?");
  g_assert_true (job_is (job_at (f, 1), PCQ_JOB_QUEUED));

  /* Not Now: it waits, says so, and a toast offers the way back. */
  click_response (dialog, "_Not Now");
  PCQ_TEST_WAIT_FOR (_pcq_window_get_metered_dialog (f->window) == NULL, WAIT_MS);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "Waiting for a connection that is not metered · "
                                     "1 queued · 1 finished"), WAIT_MS);
  g_assert_cmpstr (_pcq_window_get_last_toast (f->window), ==,
                   "Tasks wait for a connection that is not metered");
  g_assert_null (_pcq_window_get_metered_dialog (f->window));
  g_assert_true (job_is (job_at (f, 1), PCQ_JOB_QUEUED));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.download-on-metered", NULL);
  PCQ_TEST_WAIT_FOR (subtitle_is (f, "2 finished"), WAIT_MS);

  /* “Always” in the preferences: no question any more. */
  g_settings_set_string (f->settings, "metered-downloads", "always");
  pcq_test_monitor_set (monitor, TRUE, FALSE);
  pcq_test_monitor_set (monitor, TRUE, TRUE);
  g_assert_true (pcq_engine_get_download_on_metered (f->engine));
  g_settings_reset (f->settings, "metered-downloads");

  _pcq_engine_set_hold_loopback (f->engine, FALSE);
}

static void
test_close_shows_dialog (Fixture       *f,
                         gconstpointer  data)
{
  AdwMessageDialog *dialog;

  add_slow_tasks (f, "s", 4, 30);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_active (f->engine) == 2 &&
                     pcq_engine_get_n_queued (f->engine) == 2, WAIT_MS);

  gtk_window_close (GTK_WINDOW (f->window));
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL &&
                     gtk_widget_get_visible (GTK_WIDGET (close_dialog (f))), WAIT_MS);

  dialog = close_dialog (f);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Stop Tasks?");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   "Stop Now interrupts 2 running tasks; they continue next time, as do 2 "
                   "queued tasks. Wait lets the 4 tasks finish, then closes the window.");
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "wait");
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "cancel");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "stop"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_true (adw_message_dialog_has_response (dialog, "background"));
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "background"));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));

  /* Cancel: nothing changes. */
  click_response (dialog, "_Cancel");
  PCQ_TEST_WAIT_FOR (close_dialog (f) == NULL, WAIT_MS);
  g_assert_nonnull (f->window);
  g_assert_false (pcq_window_is_closing (f->window));
  g_assert_cmpuint (pcq_engine_get_n_active (f->engine), ==, 2);

  /* app.quit goes the same way; closing the dialog (Escape) cancels. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL, WAIT_MS);
  gtk_window_close (GTK_WINDOW (close_dialog (f)));
  PCQ_TEST_WAIT_FOR (close_dialog (f) == NULL, WAIT_MS);
  g_assert_nonnull (f->window);
  g_assert_false (pcq_window_is_closing (f->window));
  g_assert_cmpuint (pcq_engine_get_n_active (f->engine), ==, 2);
}

static void
test_close_wait (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *w0 = slow_url (f, "w0.bin", 1.0);
  g_autofree char *w1 = slow_url (f, "w1.bin", 1.0);
  g_autofree char *w2 = slow_url (f, "w2.bin", 4.0);
  g_autofree char *urls = g_strdup_printf ("%s\n%s\n%s\n", w0, w1, w2);
  gint64 started;

  /* Two short tasks and a long one queued behind them: once the short
   * ones are done, the long one runs alone for seconds, however busy
   * the machine is, and the banner has time to say so. */
  set_max_active (f, 2);
  set_entry (f, urls);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_active (f->engine) == 2, WAIT_MS);

  gtk_window_close (GTK_WINDOW (f->window));
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL, WAIT_MS);
  g_assert_cmpstr (adw_message_dialog_get_body (close_dialog (f)), ==,
                   "Stop Now interrupts 2 running tasks; they continue next time, as does 1 "
                   "queued task. Wait lets the 3 tasks finish, then closes the window.");

  started = g_get_monotonic_time ();
  choose_to_close (f, "_Wait");

  /* The window stays, says why, and takes no new tasks. */
  g_assert_nonnull (f->window);
  g_assert_true (pcq_window_is_closing (f->window));
  g_assert_true (_pcq_window_get_banner_revealed (f->window));
  g_assert_cmpstr (_pcq_window_get_banner_text (f->window), ==,
                   "Pcq will close when 3 tasks are done");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));

  /* The banner counts down… */
  PCQ_TEST_WAIT_FOR (f->window == NULL ||
                     g_strcmp0 (_pcq_window_get_banner_text (f->window),
                                "Pcq will close when 1 task is done") == 0, WAIT_MS);
  g_assert_nonnull (f->window);

  /* … and the window closes by itself once the queue is empty. */
  PCQ_TEST_WAIT_FOR (f->window == NULL, WAIT_MS);
  g_assert_cmpuint (pcq_engine_get_n_done (f->engine), ==, 3);
  g_assert_cmpuint (pcq_engine_get_n_queued (f->engine), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, G_USEC_PER_SEC);

  for (guint i = 0; i < 3; i++)
    g_assert_true (job_is (job_at (f, i), PCQ_JOB_DONE));
  g_assert_false (pcq_test_dir_has_part_files (f->out_dir));
}

static void
test_close_stop (Fixture       *f,
                 gconstpointer  data)
{
  gint64 started;

  add_slow_tasks (f, "x", 3, 60);
  PCQ_TEST_WAIT_FOR (job_has_bytes (job_at (f, 0)) && job_has_bytes (job_at (f, 1)), WAIT_MS);

  gtk_window_close (GTK_WINDOW (f->window));
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL, WAIT_MS);

  started = g_get_monotonic_time ();
  choose_to_close (f, "_Stop Now");

  /* It says so, and closes as soon as the workers have returned. */
  g_assert_true (f->window == NULL ||
                 (_pcq_window_get_banner_revealed (f->window) &&
                  g_strcmp0 (_pcq_window_get_banner_text (f->window), "Stopping tasks…") == 0));
  PCQ_TEST_WAIT_FOR (f->window == NULL, 5000);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 3 * G_USEC_PER_SEC);

  /* Stop Now loses nothing: the running tasks were interrupted and are
   * queued again, for the next start, like the one that never ran.
   * (This server gives no validator: their part files are gone.) */
  g_assert_true (job_is (job_at (f, 0), PCQ_JOB_QUEUED));
  g_assert_true (job_is (job_at (f, 1), PCQ_JOB_QUEUED));
  g_assert_true (job_is (job_at (f, 2), PCQ_JOB_QUEUED));
  g_assert_false (pcq_test_dir_has_part_files (f->out_dir));
}

/* The banner's button with @label, as a person would find it. */
static GtkWidget *
banner_button (Fixture    *f,
               const char *label)
{
  GtkWidget *button = pcq_test_find_first (GTK_WIDGET (f->window), GTK_TYPE_BUTTON,
                                           pcq_test_button_has_label, label);

  g_assert_nonnull (button);
  return button;
}

static void
test_close_keep_open (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *later = data_url (f, "after-keep.bin", 100);
  GtkWidget *keep;

  add_slow_tasks (f, "k", 3, 30);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_active (f->engine) == 2, WAIT_MS);

  gtk_window_close (GTK_WINDOW (f->window));
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL, WAIT_MS);
  choose_to_close (f, "_Wait");
  g_assert_true (pcq_window_is_closing (f->window));
  g_assert_true (_pcq_window_get_banner_revealed (f->window));
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (_pcq_window_get_entry (f->window))));

  /* Keep Open: the banner goes, the tasks run on, new ones come in. */
  keep = banner_button (f, "_Keep Open");
  g_assert_true (gtk_widget_get_visible (keep));
  g_signal_emit_by_name (keep, "clicked");
  g_assert_false (pcq_window_is_closing (f->window));
  g_assert_false (_pcq_window_get_banner_revealed (f->window));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (_pcq_window_get_entry (f->window))));
  g_assert_cmpuint (pcq_engine_get_n_active (f->engine), ==, 2);
  g_assert_false (pcq_engine_get_paused (f->engine));

  set_entry (f, later);
  activate_entry (f);
  g_assert_cmpuint (n_jobs (f), ==, 4);

  /* It can be asked to close again. */
  gtk_window_close (GTK_WINDOW (f->window));
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL, WAIT_MS);
  g_assert_nonnull (f->window);
  choose_to_close (f, "_Stop Now");
  PCQ_TEST_WAIT_FOR (f->window == NULL, 5000);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (f->engine), ==, 0);
}

static void
test_close_background (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *b0 = slow_url (f, "b0.bin", 1.0);
  g_autofree char *b1 = slow_url (f, "b1.bin", 1.0);
  g_autofree char *urls = g_strdup_printf ("%s\n%s\n", b0, b1);
  guint n_before;

  /* The notification comes even when finished queues are not told
   * otherwise: it is what waiting in the background promised. */
  g_settings_set_boolean (f->settings, "notify-when-finished", FALSE);

  set_max_active (f, 1);
  set_entry (f, urls);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_active (f->engine) == 1, WAIT_MS);

  gtk_window_close (GTK_WINDOW (f->window));
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL, WAIT_MS);
  n_before = notifications.n_notify;
  choose_to_close (f, "Wait in _Background");

  /* The window hides; the queue runs on. */
  g_assert_nonnull (f->window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  g_assert_true (pcq_window_is_closing (f->window));
  g_assert_true (pcq_window_is_in_background (f->window));
  g_assert_cmpuint (pcq_engine_get_n_active (f->engine) + pcq_engine_get_n_queued (f->engine),
                    ==, 2);

  /* Once it is empty: a notification, and Pcq ends. */
  PCQ_TEST_WAIT_FOR (f->window == NULL, WAIT_MS);
  g_assert_cmpuint (pcq_engine_get_n_done (f->engine), ==, 2);
  g_assert_cmpstr (_pcq_application_get_last_notification (f->app), ==, "2 tasks finished");
  PCQ_TEST_WAIT_FOR (notifications.n_notify == n_before + 1, WAIT_MS);
  g_assert_cmpstr (notifications.summary, ==, "Queue Finished");
  g_assert_cmpstr (notifications.body, ==, "2 tasks finished");
  g_assert_cmpstr (notifications.actions, ==, "default");
}

static void
test_close_background_return (Fixture       *f,
                              gconstpointer  data)
{
  add_slow_tasks (f, "r", 3, 30);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_active (f->engine) == 2, WAIT_MS);

  gtk_window_close (GTK_WINDOW (f->window));
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL, WAIT_MS);
  choose_to_close (f, "Wait in _Background");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window)));

  /* `pcq` again (an activation of the primary instance): the same
   * window is back, open as before, and the tasks never stopped. */
  g_application_activate (G_APPLICATION (f->app));
  PCQ_TEST_WAIT_FOR (f->window != NULL && gtk_widget_get_visible (GTK_WIDGET (f->window)),
                     WAIT_MS);
  g_assert_false (pcq_window_is_closing (f->window));
  g_assert_false (pcq_window_is_in_background (f->window));
  g_assert_false (_pcq_window_get_banner_revealed (f->window));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (_pcq_window_get_entry (f->window))));
  g_assert_cmpuint (pcq_engine_get_n_active (f->engine), ==, 2);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (f->app))), ==, 1);

  /* Quit asks again. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL, WAIT_MS);
  choose_to_close (f, "_Stop Now");
  PCQ_TEST_WAIT_FOR (f->window == NULL, 5000);
}

static void
resume_first_run (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *slow = slow_url (f, "stopped.bin", 60);
  g_autofree char *later = slow_url (f, "later.bin", 0.5);
  g_autofree char *both = g_strdup_printf ("%s\n%s", slow, later);

  set_max_active (f, 1);
  set_entry (f, both);
  activate_entry (f);
  PCQ_TEST_WAIT_FOR (job_has_bytes (job_at (f, 0)) && job_is (job_at (f, 1), PCQ_JOB_QUEUED),
                     WAIT_MS);

  gtk_window_close (GTK_WINDOW (f->window));
  PCQ_TEST_WAIT_FOR (close_dialog (f) != NULL, WAIT_MS);
  g_assert_cmpstr (adw_message_dialog_get_body (close_dialog (f)), ==,
                   "Stop Now interrupts 1 running task; it continues next time, as does 1 "
                   "queued task. Wait lets the 2 tasks finish, then closes the window.");
  choose_to_close (f, "_Stop Now");
  PCQ_TEST_WAIT_FOR (f->window == NULL, 5000);
  g_assert_true (job_is (job_at (f, 1), PCQ_JOB_QUEUED));
}

static void
resume_second_run (Fixture       *f,
                   gconstpointer  data)
{
  /* The list is back, and Stop Now lost nothing: the interrupted task
   * and the queued one are both queued again, and both run. */
  PCQ_TEST_WAIT_FOR (n_jobs (f) == 2, WAIT_MS);
  g_assert_nonnull (strstr (pcq_job_get_url (job_at (f, 0)), "/stopped.bin?"));
  g_assert_false (job_is (job_at (f, 0), PCQ_JOB_CANCELLED));
  set_max_active (f, 2);
  PCQ_TEST_WAIT_FOR (job_is (job_at (f, 1), PCQ_JOB_DONE) &&
                     job_is (job_at (f, 0), PCQ_JOB_ACTIVE) &&
                     job_has_bytes (job_at (f, 0)), WAIT_MS);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (f->engine), ==, 0);
  g_assert_cmpstr (pcq_job_get_output_dir (job_at (f, 1)), ==, f->out_dir);
}

static void
test_resume_after_stop (Fixture       *f,
                        gconstpointer  data)
{
  /* Two lives of Pcq on one queue store. */
  run_in_app (f, resume_first_run);
  g_assert_finalize_object (f->app);
  f->app = new_app (f);
  run_in_app (f, resume_second_run);
}

static void
test_close_idle (Fixture       *f,
                 gconstpointer  data)
{
  /* Nothing queued or running: the window closes without a question. */
  gtk_window_close (GTK_WINDOW (f->window));
  g_assert_true (f->window == NULL || _pcq_window_get_close_dialog (f->window) == NULL);
  PCQ_TEST_WAIT_FOR (f->window == NULL, 5000);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = NULL;
  g_autofree char *keyring = NULL;
  int status;
  /* The expected strings are the untranslated ones. */
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");

  /* Private home, config, data, cache and state folders. */
  home = pcq_test_ui_private_home ("pcq-ui-home-XXXXXX");

  /* The API key: none from the environment; the keyring is libsecret's
   * file backend (the one a Flatpak uses), in the private home. */
  g_unsetenv ("PCQ_API_KEY");
  keyring = g_build_filename (home, "data", "test-keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test-keyring-password", TRUE);

  g_test_init (&argc, &argv, NULL);
  pcq_test_ui_private_bus ();
  pcq_test_ui_quiet_soup ();
  start_notification_server ();

#define ADD(path, func) \
  g_test_add (path, Fixture, (gconstpointer) func, fixture_setup, run_in_app, fixture_teardown)

  ADD ("/pcq/window/add-three", test_add_three);
  ADD ("/pcq/window/paste-mixed", test_paste_mixed);
  ADD ("/pcq/window/pause-resume", test_pause_resume);
  ADD ("/pcq/window/cancel-row", test_cancel_row);
  ADD ("/pcq/window/pause-task", test_pause_task);
  ADD ("/pcq/window/pause-selected", test_pause_selected);
  ADD ("/pcq/window/move", test_move);
  ADD ("/pcq/window/move-searched", test_move_searched);
  ADD ("/pcq/window/retry-now", test_retry_now);
  ADD ("/pcq/window/filters", test_filters);
  ADD ("/pcq/window/small-screen", test_small_screen);
  ADD ("/pcq/window/start-later", test_start_later);
  ADD ("/pcq/window/sign-in", test_sign_in);
  ADD ("/pcq/window/details-export", test_details_export);
  ADD ("/pcq/window/search", test_search);
  ADD ("/pcq/window/search-rows", test_search_rows);
  ADD ("/pcq/window/keyboard-rows", test_keyboard_rows);
  ADD ("/pcq/window/shortcuts", test_shortcuts);
  ADD ("/pcq/window/remove-selected", test_remove_selected);
  ADD ("/pcq/window/remove-undo", test_remove_undo);
  ADD ("/pcq/window/clear-finished-undo", test_clear_finished_undo);
  ADD ("/pcq/window/cancel-undo", test_cancel_undo);
  ADD ("/pcq/window/retry-clear-failed", test_retry_clear_failed);
  ADD ("/pcq/window/added-feedback", test_added_feedback);
  ADD ("/pcq/window/duplicates", test_duplicates);
  ADD ("/pcq/window/removal-kinds", test_removal_kinds);
  ADD ("/pcq/window/open-files", test_open_files);
  ADD ("/pcq/window/import-refused", test_import_refused);
  ADD ("/pcq/window/ask", test_ask);
  ADD ("/pcq/window/ask-setup", test_ask_setup);
  ADD ("/pcq/window/import-api-tasks", test_import_api_tasks);
  ADD ("/pcq/window/ask-streamed", test_ask_streamed);
  ADD ("/pcq/window/ask-tokens", test_ask_tokens);
  ADD ("/pcq/window/commit-no-repository", test_commit_no_repository);
  ADD ("/pcq/window/preferences-notify", test_preferences_notify);
  ADD ("/pcq/window/preferences-api-key", test_preferences_api_key);
  ADD ("/pcq/window/preferences-models", test_preferences_models);
  ADD ("/pcq/window/keyboard-and-windows", test_keyboard_and_windows);
  ADD ("/pcq/window/row-menu", test_row_menu);
  ADD ("/pcq/window/close-shows-dialog", test_close_shows_dialog);
  ADD ("/pcq/window/close-wait", test_close_wait);
  ADD ("/pcq/window/close-stop", test_close_stop);
  ADD ("/pcq/window/close-idle", test_close_idle);
  ADD ("/pcq/window/network", test_network);
  ADD ("/pcq/window/close-keep-open", test_close_keep_open);
  ADD ("/pcq/window/close-background", test_close_background);
  ADD ("/pcq/window/close-background-return", test_close_background_return);
  g_test_add ("/pcq/window/resume-after-stop", Fixture, NULL,
              fixture_setup, test_resume_after_stop, fixture_teardown);

#undef ADD

  status = g_test_run ();
  pcq_test_ui_private_bus_stop ();
  pcq_test_rm_rf (home);

  return status;
}
