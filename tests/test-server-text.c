/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Hostile server text: escape sequences in a Location, a reason phrase,
 * an API error and an ETag, a bidi override in a file name, and a
 * streamed answer that never ends. `pcq --headless` runs against a
 * loopback server in a thread of the test; what it prints and what it
 * stores must hold none of it. */

#define G_LOG_DOMAIN "test-server-text"

#define _GNU_SOURCE

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "pcq-test-headless.h"
#include "pcq-test-soup-thread.h"
#include "pcq-test-util.h"

#define RUN_TIMEOUT_MS 20000

/* Retitles a terminal (OSC 0 … BEL). */
#define OSC_TITLE "\x1b]0;pwned\x07"
/* Clears it: CSI 2 J, as ESC [ and as the one C1 character U+009B. */
#define CSI_CLEAR "\x1b[2J\xc2\x9b" "2J"

/* The streamed answer's events: 64 KiB of text each, more of them
 * than 64 MiB holds. */
#define STREAM_PIECE (64 * 1024)
#define STREAM_EVENTS (64 * 16 + 8)
/* 256 MiB of comments and a little more. */
#define COMMENT_SIZE (64 * 1024)
#define COMMENT_EVENTS (256 * 16 + 8)

static PcqTestSoupThread *server;
static char *base;       /* http://127.0.0.1:PORT */
static char *api_base;   /* BASE/v1 */

/* ---- the server ----------------------------------------------------- */

static void
evil_cb (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_str_equal (path, "/evil/location"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FOUND, NULL);
      soup_message_headers_replace (headers, "Location",
                                    "ftp://example.invalid/" OSC_TITLE CSI_CLEAR);
    }
  else if (g_str_equal (path, "/evil/reason"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN,
                                      "Go" OSC_TITLE " away" CSI_CLEAR "\xe2\x80\xae");
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "no\n", 3);
    }
  else if (g_str_equal (path, "/evil/name"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_replace (headers, "Content-Disposition",
                                    "attachment; filename*=UTF-8''%E2%80%AEtxt.exe");
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                        "file\n", 5);
    }
  else if (g_str_equal (path, "/evil/etag.bin"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_replace (headers, "ETag", "\"v1" OSC_TITLE "\"");
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                        "etag\n", 5);
    }
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static char *
delta_event (const char *content)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "choices");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "delta");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, content);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  return g_strdup_printf ("data: %s\n\n", json);
}

/* An answer with no end in sight: events past the size an answer may
 * have, and no [DONE]. */
static void
respond_endless (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *piece = g_strnfill (STREAM_PIECE, 'a');
  g_autoptr(GBytes) event = NULL;
  char *text = delta_event (piece);

  event = g_bytes_new_take (text, strlen (text));
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  for (guint i = 0; i < STREAM_EVENTS; i++)
    soup_message_body_append_bytes (body, event);
  soup_message_body_complete (body);
}

/* A stream of comments only, past what a stream may send: no answer
 * ever grows, so only the stream's own cap ends it. */
static void
respond_comments (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *comment = g_strnfill (COMMENT_SIZE, 'x');
  g_autoptr(GBytes) event = NULL;

  comment[0] = ':';
  comment[COMMENT_SIZE - 2] = '\n';
  comment[COMMENT_SIZE - 1] = '\n';
  event = g_bytes_new_take (g_steal_pointer (&comment), COMMENT_SIZE);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  for (guint i = 0; i < COMMENT_EVENTS; i++)
    soup_message_body_append_bytes (body, event);
  soup_message_body_complete (body);
}

static void
chat_cb (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  const char *request = g_bytes_get_data (bytes, NULL);
  const char *body = "{\"error\": {\"message\": \"bad\\u001b]0;pwned\\u0007 key\\u009b2J\\n"
                     "second line\\u202e\", \"type\": \"test\"}}";

  if (request != NULL && memmem (request, g_bytes_get_size (bytes), "endless", 7) != NULL)
    {
      respond_endless (msg);
      return;
    }
  if (request != NULL && memmem (request, g_bytes_get_size (bytes), "comments", 8) != NULL)
    {
      respond_comments (msg);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, "Who" OSC_TITLE);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    body, strlen (body));
}

static void
setup_cb (SoupServer *soup_server,
          gpointer    user_data)
{
  soup_server_add_handler (soup_server, "/evil", evil_cb, NULL, NULL);
  soup_server_add_handler (soup_server, "/v1/chat/completions", chat_cb, NULL, NULL);
}

/* Each case runs in a process of its own, with a server of its own. */
static void
server_start (void)
{
  server = pcq_test_soup_thread_start ("test-server-text", "test-server-text ", FALSE,
                                      setup_cb, NULL);
  base = g_strdup (pcq_test_soup_thread_get_base (server));
  api_base = g_strconcat (base, "/v1", NULL);
}

/* ---- helpers -------------------------------------------------------- */

/* TRUE if @text holds a C0 or C1 control, DEL or a bidi control, or is
 * not valid UTF-8: what no terminal, list or store may get from a
 * server. Tabs and newlines count: the lines checked are one each. */
static gboolean
has_unsafe_chars (const char *text,
                  gboolean    newlines_ok)
{
  if (!g_utf8_validate (text, -1, NULL))
    return TRUE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (newlines_ok && c == '\n')
        continue;
      if (g_unichar_iscntrl (c) || c == 0x200E || c == 0x200F || c == 0x061C ||
          (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
        return TRUE;
    }

  return FALSE;
}

static void
assert_output_safe (const char *what,
                    const char *text)
{
  g_autofree char *shown = g_strescape (text, NULL);

  if (has_unsafe_chars (text, TRUE))
    g_error ("%s holds unsafe characters: \"%s\"", what, shown);
}

typedef struct
{
  char *tmp;
  char *out;
  char *home;
  char *state;
  char *config;
} Ctx;

static Ctx *
ctx_new (void)
{
  Ctx *ctx = g_new0 (Ctx, 1);

  ctx->tmp = pcq_test_make_tmpdir ("pcq-server-text-XXXXXX");
  ctx->out = pcq_test_make_subdir (ctx->tmp, "out");
  ctx->home = pcq_test_make_subdir (ctx->tmp, "home");
  ctx->state = pcq_test_make_subdir (ctx->tmp, "state");
  ctx->config = pcq_test_make_subdir (ctx->tmp, "config");
  return ctx;
}

static void
ctx_free (Ctx *ctx)
{
  pcq_test_rm_rf (ctx->tmp);
  g_free (ctx->tmp);
  g_free (ctx->out);
  g_free (ctx->home);
  g_free (ctx->state);
  g_free (ctx->config);
  g_free (ctx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ctx, ctx_free)

static PcqTestRun *
run_headless (Ctx                *ctx,
              const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  PcqTestRun *run;

  launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                         G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                         ctx->home, ctx->state, ctx->config);
  g_subprocess_launcher_setenv (launcher, "PCQ_API_KEY", "sk-test-key", TRUE);
  /* The messages checked are the English ones, printed as UTF-8. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  run = pcq_test_run_spawn (launcher, NULL, args);
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  return run;
}

/* Every job's error, output path and validator in the headless store
 * (url and name are the user's own). Returns the number of jobs. */
static guint
assert_store_safe (Ctx *ctx)
{
  g_autofree char *path = g_build_filename (ctx->state, "pcq", "headless.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint n = 0;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT error, output_path, validator FROM jobs",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      for (int i = 0; i < 3; i++)
        {
          const char *text = (const char *) sqlite3_column_text (stmt, i);
          g_autofree char *shown = NULL;

          if (text == NULL)
            continue;
          shown = g_strescape (text, NULL);
          pcq_test_note ("stored: %s", shown);
          if (has_unsafe_chars (text, FALSE))
            g_error ("the store holds unsafe characters: \"%s\"", shown);
        }
      n++;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return n;
}

/* ---- cases ---------------------------------------------------------- */

static void
test_headless_messages (void)
{
  g_autoptr(Ctx) ctx = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autofree char *location = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *name = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *input = NULL;
  g_autofree char *input_text = NULL;
  g_autofree char *renamed = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;
  const char *out, *err;

  server_start ();
  ctx = ctx_new ();
  location = g_strconcat (base, "/evil/location", NULL);
  reason = g_strconcat (base, "/evil/reason", NULL);
  name = g_strconcat (base, "/evil/name", NULL);
  etag = g_strconcat (base, "/evil/etag.bin", NULL);
  renamed = g_build_filename (ctx->out, "txt.exe", NULL);
  input = g_build_filename (ctx->tmp, "input.txt", NULL);
  /* The input's own lines are printed too: a task from a line with an
   * escape in it, and one that is not a task. */
  input_text = g_strconcat (base, "/evil/reason?" OSC_TITLE "\n",
                            "{\"url\": 1, \"x\": \"" "\\u001b]0;line\\u0007" "\"}\n", NULL);
  g_file_set_contents (input, input_text, -1, &error);
  g_assert_no_error (error);

  run = run_headless (ctx, (const char *[]) {
                        "-o", ctx->out, "--api-base", api_base, "--prompt", "Hello",
                        "-i", input, location, reason, name, etag, NULL });
  out = pcq_test_run_get_stdout (run);
  err = pcq_test_run_get_stderr (run);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, 1);
  assert_output_safe ("stdout", out);
  assert_output_safe ("stderr", err);

  /* What went wrong is still said, without the escapes. */
  g_assert_nonnull (strstr (err, "Redirected to an unusable location “ftp://example.invalid/"));
  g_assert_nonnull (strstr (err, "403 Go]0;pwned away[2J2J"));
  g_assert_nonnull (strstr (err, "Server answered 401 Who]0;pwned: bad]0;pwned key2J second line"));

  /* The file is named as it is, not as the override would show it. */
  files = pcq_test_list_dir (ctx->out);
  g_assert_true (g_file_test (renamed, G_FILE_TEST_IS_REGULAR));
  for (guint i = 0; i < files->len; i++)
    g_assert_false (has_unsafe_chars (g_ptr_array_index (files, i), FALSE));

  g_assert_cmpuint (assert_store_safe (ctx), ==, 6);
}

static void
test_endless_stream (void)
{
  g_autoptr(Ctx) ctx = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(GPtrArray) files = NULL;
  gint64 started;
  PcqTestSummary summary;

  server_start ();
  ctx = ctx_new ();
  started = g_get_monotonic_time ();

  run = run_headless (ctx, (const char *[]) {
                        "-o", ctx->out, "--api-base", api_base, "--prompt", "endless story",
                        NULL });
  pcq_test_note ("the run took %.2f s",
                 (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, 1);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (run),
                            "prompt “endless story”: failed: "
                            "The server's answer is larger than 64 MiB"));
  summary = pcq_test_run_summary (run);
  g_assert_cmpint (summary.failed, ==, 1);
  g_assert_cmpint (summary.done, ==, 0);

  /* Nothing under the final name, and no part file left. */
  files = pcq_test_list_dir (ctx->out);
  if (files->len != 0)
    g_error ("the output folder holds %s", pcq_test_describe_dir (ctx->out));
}

static void
test_endless_comments (void)
{
  g_autoptr(Ctx) ctx = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(GPtrArray) files = NULL;
  PcqTestSummary summary;

  server_start ();
  ctx = ctx_new ();

  run = run_headless (ctx, (const char *[]) {
                        "-o", ctx->out, "--api-base", api_base, "--prompt", "only comments",
                        NULL });

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, 1);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (run),
                            "prompt “only comments”: failed: "
                            "The server's stream is larger than 256 MiB"));
  summary = pcq_test_run_summary (run);
  g_assert_cmpint (summary.failed, ==, 1);
  files = pcq_test_list_dir (ctx->out);
  if (files->len != 0)
    g_error ("the output folder holds %s", pcq_test_describe_dir (ctx->out));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  pcq_test_init_isolation ();

  pcq_test_add_isolated ("/pcq/server-text/headless-messages", test_headless_messages, 30);
  pcq_test_add_isolated ("/pcq/server-text/endless-stream", test_endless_stream, 30);
  pcq_test_add_isolated ("/pcq/server-text/endless-comments", test_endless_comments, 30);

  status = g_test_run ();
  if (server != NULL)
    pcq_test_soup_thread_stop (server, NULL, NULL);
  g_free (base);
  g_free (api_base);

  return status;
}
