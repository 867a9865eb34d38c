/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "pcq-headless.h"
#include "pcq-test-server.h"
#include "pcq-test-headless.h"
#include "pcq-test-util.h"


#define RUN_TIMEOUT_MS 20000

/* The exit statuses of the headless contract. */
#define EXIT_ALL_DONE    0
#define EXIT_SOME_FAILED 1
#define EXIT_USAGE       2
#define EXIT_INTERRUPTED 130

/* The code says the same. */
G_STATIC_ASSERT (PCQ_EXIT_OK == EXIT_ALL_DONE);
G_STATIC_ASSERT (PCQ_EXIT_FAILED == EXIT_SOME_FAILED);
G_STATIC_ASSERT (PCQ_EXIT_USAGE == EXIT_USAGE);
G_STATIC_ASSERT (PCQ_EXIT_INTERRUPTED == EXIT_INTERRUPTED);

typedef struct
{
  PcqTestServer *server;
  char          *tmp;     /* removed at the end */
  char          *out;     /* tmp/out, the output folder (exists) */
  char          *home;
  char          *state;
  char          *config;
} Ctx;

/* Context */

static Ctx *
ctx_new (void)
{
  Ctx *ctx = g_new0 (Ctx, 1);

  ctx->tmp = pcq_test_make_tmpdir ("pcq-headless-XXXXXX");
  ctx->out = pcq_test_make_subdir (ctx->tmp, "out");
  ctx->home = pcq_test_make_subdir (ctx->tmp, "home");
  ctx->state = pcq_test_make_subdir (ctx->tmp, "state");
  ctx->config = pcq_test_make_subdir (ctx->tmp, "config");
  ctx->server = pcq_test_server_new ();

  return ctx;
}

static void
ctx_free (Ctx *ctx)
{
  g_clear_pointer (&ctx->server, pcq_test_server_free);
  pcq_test_rm_rf (ctx->tmp);
  g_free (ctx->tmp);
  g_free (ctx->out);
  g_free (ctx->home);
  g_free (ctx->state);
  g_free (ctx->config);
  g_free (ctx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ctx, ctx_free)

/* Running the binary */

/* Starts `pcq --headless ARGS…` in @cwd (the output folder if NULL),
 * with its own HOME and XDG folders; @input (nullable) is its stdin. */
static PcqTestRun *
run_start_full (Ctx                *ctx,
                const char         *cwd,
                const char         *input,
                const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;

  if (input != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  launcher = pcq_test_headless_launcher (flags, ctx->home, ctx->state, ctx->config);
  g_subprocess_launcher_set_cwd (launcher, cwd != NULL ? cwd : ctx->out);

  return pcq_test_run_spawn (launcher, input, args);
}

static PcqTestRun *
run_start (Ctx                *ctx,
           const char * const *args)
{
  return run_start_full (ctx, NULL, NULL, args);
}

/* The summary line, which must also count a run shorter than the
 * timeout it was given. */
static PcqTestSummary
run_summary (PcqTestRun *run)
{
  PcqTestSummary summary = pcq_test_run_summary (run);

  g_assert_cmpfloat (summary.seconds, <, RUN_TIMEOUT_MS / 1000.0);
  return summary;
}

static char *
write_input (Ctx        *ctx,
             const char *name,
             const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (ctx->tmp, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  return path;
}

static char *
out_path (Ctx        *ctx,
          const char *name)
{
  return g_build_filename (ctx->out, name, NULL);
}

/* Tests */

static void
test_all_done (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/h-a.bin?size=10000&seed=1");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/h-b.bin?size=20000&seed=2");
  g_autofree char *c = pcq_test_server_url (ctx->server, "/data/h-c.bin?size=30000&seed=3");
  g_autofree char *pa = out_path (ctx, "h-a.bin");
  g_autofree char *pb = out_path (ctx, "h-b.bin");
  g_autofree char *pc = out_path (ctx, "h-c.bin");
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-j", "2", a, b, c, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 3);
  g_assert_cmpint (summary.failed, ==, 0);
  g_assert_cmpint (summary.cancelled, ==, 0);
  g_assert_cmpint (summary.left, ==, 0);
  g_assert_cmpint (summary.bytes, ==, 60000);

  pcq_test_assert_content (pa, 1, 10000);
  pcq_test_assert_content (pb, 2, 20000);
  pcq_test_assert_content (pc, 3, 30000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* --report */

static JsonObject *
parse_report_line (const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static gboolean
member_is_null (JsonObject *object,
                const char *member)
{
  g_assert_true (json_object_has_member (object, member));
  return json_node_is_null (json_object_get_member (object, member));
}

static void
assert_iso_time (JsonObject *object,
                 const char *member,
                 gint64      not_before)
{
  const char *text = json_object_get_string_member (object, member);
  g_autoptr(GDateTime) time = NULL;

  g_assert_nonnull (text);
  g_assert_true (g_str_has_suffix (text, "Z"));
  time = g_date_time_new_from_iso8601 (text, NULL);
  g_assert_nonnull (time);
  g_assert_cmpint (g_date_time_to_unix (time), >=, not_before);
  g_assert_cmpint (g_date_time_to_unix (time), <=, g_get_real_time () / G_USEC_PER_SEC);
}

/* One line per task in input order, each field checked: a done
 * download (with the SHA-256 of what was saved), a failed one whose URL
 * carried a password (never in the report), all fifteen members. */
static void
test_report (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *ok = pcq_test_server_url (ctx->server, "/data/rep-ok.bin?size=5000&seed=7");
  g_autofree char *missing_path = pcq_test_server_url (ctx->server, "/status/404/rep-missing.bin");
  g_autofree char *missing = NULL;
  g_autofree char *report = g_build_filename (ctx->tmp, "report.jsonl", NULL);
  g_autofree char *ok_path = g_build_filename (ctx->out, "rep-ok.bin", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *digest = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  static const char * const members[] = {
    "id", "kind", "url", "prompt", "custom_id", "file", "state", "http_status", "bytes",
    "sha256", "attempts", "started", "finished", "error", "usage",
  };
  gsize length;

  /* http://user:secret@127.0.0.1:PORT/… */
  missing = g_strdup_printf ("http://user:secret@%s", missing_path + strlen ("http://"));
  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "--retries=0", "--report", report,
                                          ok, missing, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_SOME_FAILED);
  g_assert_nonnull (strstr (pcq_test_run_get_stdout (run), "\"report_file\": "));

  g_assert_true (g_file_get_contents (report, &contents, &length, NULL));
  g_assert_null (strstr (contents, "secret"));
  g_assert_true (g_str_has_suffix (contents, "\n"));
  lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");
  first = parse_report_line (lines[0]);
  second = parse_report_line (lines[1]);

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      g_assert_true (json_object_has_member (first, members[i]));
      g_assert_true (json_object_has_member (second, members[i]));
    }
  g_assert_cmpuint (json_object_get_size (first), ==, G_N_ELEMENTS (members));

  g_assert_cmpint (json_object_get_int_member (first, "id"), <,
                   json_object_get_int_member (second, "id"));
  g_assert_cmpstr (json_object_get_string_member (first, "kind"), ==, "download");
  g_assert_cmpstr (json_object_get_string_member (first, "url"), ==, ok);
  g_assert_true (member_is_null (first, "prompt"));
  g_assert_true (member_is_null (first, "custom_id"));
  g_assert_cmpstr (json_object_get_string_member (first, "file"), ==, ok_path);
  g_assert_cmpstr (json_object_get_string_member (first, "state"), ==, "done");
  g_assert_cmpint (json_object_get_int_member (first, "http_status"), ==, 200);
  g_assert_cmpint (json_object_get_int_member (first, "bytes"), ==, 5000);
  g_free (contents);
  g_assert_true (g_file_get_contents (ok_path, &contents, &length, NULL));
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  g_assert_cmpstr (json_object_get_string_member (first, "sha256"), ==, digest);
  g_assert_cmpint (json_object_get_int_member (first, "attempts"), ==, 1);
  assert_iso_time (first, "started", before);
  assert_iso_time (first, "finished", before);
  g_assert_true (member_is_null (first, "error"));
  g_assert_true (member_is_null (first, "usage"));

  g_assert_cmpstr (json_object_get_string_member (second, "url"), ==, missing_path);
  g_assert_true (member_is_null (second, "file"));
  g_assert_cmpstr (json_object_get_string_member (second, "state"), ==, "failed");
  g_assert_cmpint (json_object_get_int_member (second, "http_status"), ==, 404);
  g_assert_true (member_is_null (second, "sha256"));
  g_assert_nonnull (strstr (json_object_get_string_member (second, "error"), "404"));
  assert_iso_time (second, "finished", before);
}

/* "-": the lines go to stdout, before the summary line. */
static void
test_report_stdout (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/rep-out.bin?size=100");
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(JsonObject) line = NULL;
  g_auto(GStrv) lines = NULL;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "--report=-", url, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);

  lines = g_strsplit (pcq_test_run_get_stdout (run), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  line = parse_report_line (lines[0]);
  g_assert_cmpstr (json_object_get_string_member (line, "state"), ==, "done");
  g_assert_true (g_str_has_prefix (lines[1], "{\"done\": 1,"));
  g_assert_cmpstr (lines[2], ==, "");
}

/* A symbolic link at FILE is refused before anything runs, and what it
 * points to is untouched. In the output folder, the report's name is
 * reserved: a task asking for that name gets the next one. */
static void
test_report_refused_and_reserved (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/rep-res.bin?size=300&seed=2");
  g_autofree char *target = write_input (ctx, "target.txt", "keep me");
  g_autofree char *link = g_build_filename (ctx->tmp, "link.jsonl", NULL);
  g_autofree char *inside = g_build_filename (ctx->out, "report.jsonl", NULL);
  g_autofree char *taken = g_build_filename (ctx->out, "report (1).jsonl", NULL);
  g_autofree char *line = g_strdup_printf ("{\"url\": \"%s\", \"output\": \"report.jsonl\"}\n", url);
  g_autofree char *input = write_input (ctx, "in.jsonl", line);
  g_autofree char *contents = NULL;
  g_autoptr(PcqTestRun) refused = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(JsonObject) report = NULL;

  g_assert_cmpint (symlink (target, link), ==, 0);
  refused = run_start (ctx, (const char *[]) { "-o", ctx->out, "--report", link, url, NULL });
  pcq_test_run_wait (refused, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (refused), ==, EXIT_USAGE);
  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep me");
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "--report", inside, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  pcq_test_assert_content (taken, 2, 300);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (inside, &contents, NULL, NULL));
  g_strchomp (contents);
  report = parse_report_line (contents);
  g_assert_cmpstr (json_object_get_string_member (report, "file"), ==, taken);
}

/* --limit-rate=128k, as curl reads it (128 KiB per second), shared by
 * two downloads of 256 KiB: nothing is saved up at the start, so the
 * run cannot take less than the 3.9 s that all but the first read
 * need. A lower bound only: a busy machine is slower, never faster. */
static void
test_limit_rate (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/rate-a.bin?size=262144&seed=1");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/rate-b.bin?size=262144&seed=2");
  g_autofree char *a_path = g_build_filename (ctx->out, "rate-a.bin", NULL);
  g_autofree char *b_path = g_build_filename (ctx->out, "rate-b.bin", NULL);
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;
  gint64 start = g_get_monotonic_time ();

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "--limit-rate=128k", a, b, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 2);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3 * G_USEC_PER_SEC);
  pcq_test_assert_content (a_path, 1, 262144);
  pcq_test_assert_content (b_path, 2, 262144);
}

/* --start-at=HH:MM:SS, 2 to 3 s ahead on the local clock: the file is
 * not asked for before then (a lower bound; 20 ms for reading the two
 * clocks apart), and the run waits for it and ends by itself. */
static void
test_start_at (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/later.bin?size=1000&seed=3");
  g_autofree char *path = g_build_filename (ctx->out, "later.bin", NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) then = NULL;
  g_autofree char *when = NULL;
  g_autofree char *arg = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  gint64 due;

  /* Whole seconds: the next one, plus two. */
  /* In whole microseconds: a double can land a hair before the second. */
  then = g_date_time_add (now, 3 * G_TIME_SPAN_SECOND - g_date_time_get_microsecond (now));
  when = g_date_time_format (then, "%H:%M:%S");
  arg = g_strconcat ("--start-at=", when, NULL);
  due = g_get_monotonic_time () + g_date_time_difference (then, now);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, arg, url, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  g_assert_cmpint (run_summary (run).done, ==, 1);
  g_assert_cmpint (pcq_test_server_get_request_time (ctx->server, "/data/later.bin", 0), >=,
                   due - 20 * 1000);
  pcq_test_assert_content (path, 3, 1000);
}

/* -j 8 --max-per-host=2: 127.0.0.1 never has more than two requests in
 * flight while localhost's tasks (given after all of them) run
 * meanwhile, and each host's tasks start in the order given. */
static void
test_max_per_host (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PcqTestRun) run = NULL;
  guint16 port = pcq_test_server_get_port (ctx->server);
  PcqTestSummary summary;

  g_ptr_array_add (args, g_strdup ("-o"));
  g_ptr_array_add (args, g_strdup (ctx->out));
  g_ptr_array_add (args, g_strdup ("-j"));
  g_ptr_array_add (args, g_strdup ("8"));
  g_ptr_array_add (args, g_strdup ("--max-per-host=2"));
  for (guint i = 0; i < 6; i++)
    g_ptr_array_add (args, pcq_test_server_url (ctx->server,
                                                "/data/ph-a-%u.bin?size=32768&chunk=4096&delay=40&seed=%u",
                                                i, i));
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (args, g_strdup_printf ("http://localhost:%u/data/ph-b-%u.bin?"
                                            "size=32768&chunk=4096&delay=40&seed=%u", port, i, i));
  g_ptr_array_add (args, NULL);

  run = run_start (ctx, (const char * const *) args->pdata);
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 9);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight_for_host (ctx->server, "127.0.0.1"), ==, 2);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight_for_host (ctx->server, "localhost"), ==, 2);

  /* Two that start together may arrive either way round; none before
   * a task two places ahead of it in its host's order. */
  for (guint i = 0; i + 2 < 6; i++)
    {
      g_autofree char *path = g_strdup_printf ("/data/ph-a-%u.bin", i);
      g_autofree char *later = g_strdup_printf ("/data/ph-a-%u.bin", i + 2);

      g_assert_cmpint (pcq_test_server_get_request_time (ctx->server, path, 0), <,
                       pcq_test_server_get_request_time (ctx->server, later, 0));
    }
  g_assert_cmpint (pcq_test_server_get_request_time (ctx->server, "/data/ph-b-0.bin", 0), <,
                   pcq_test_server_get_request_time (ctx->server, "/data/ph-b-2.bin", 0));
  /* localhost did not wait for 127.0.0.1's queue. */
  g_assert_cmpint (pcq_test_server_get_request_time (ctx->server, "/data/ph-b-0.bin", 0), <,
                   pcq_test_server_get_request_time (ctx->server, "/data/ph-a-2.bin", 0));
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("ph-a-%u.bin", i);
      g_autofree char *path = out_path (ctx, name);

      pcq_test_assert_content (path, i, 32768);
    }
}

/* "sha256" in an input line: the file that matches is done, the one
 * that does not fails, saying both digests, and leaves nothing. */
static void
test_sha256 (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *good = pcq_test_server_url (ctx->server, "/data/sum-good.bin?size=5000&seed=3");
  g_autofree char *bad = pcq_test_server_url (ctx->server, "/data/sum-bad.bin?size=5000&seed=4");
  g_autofree guint8 *data = g_malloc (5000);
  g_autofree char *sha256 = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *input = NULL;
  g_autofree char *good_path = out_path (ctx, "sum-good.bin");
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  pcq_test_content_fill (3, 0, data, 5000);
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, 5000);
  contents = g_strdup_printf ("{\"url\": \"%s\", \"sha256\": \"%s\"}\n"
                              "{\"url\": \"%s\", \"sha256\": \"%s\"}\n",
                              good, sha256, bad, sha256);
  input = write_input (ctx, "sums.jsonl", contents);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "--retries", "3", "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_SOME_FAILED);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 1);
  g_assert_cmpint (summary.failed, ==, 1);
  pcq_test_assert_content (good_path, 3, 5000);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (run), "Checksum mismatch (expected "));
  /* Not retried, and nothing of it left. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/sum-bad.bin"), ==, 1);
  names = pcq_test_list_dir (ctx->out);
  g_assert_cmpuint (names->len, ==, 1);
}

#define HEADER_COOKIE "session=cookie-value-never-stored"

static void
assert_line_headers (PcqTestServer *server,
                     const char    *path,
                     gboolean       present)
{
  g_autofree char *cookie = pcq_test_server_dup_header (server, path, 0, "Cookie");
  g_autofree char *referer = pcq_test_server_dup_header (server, path, 0, "Referer");
  g_autofree char *custom = pcq_test_server_dup_header (server, path, 0, "X-Pcq-Test");
  g_autofree char *agent = pcq_test_server_dup_header (server, path, 0, "User-Agent");

  g_assert_cmpuint (pcq_test_server_count_requests (server, path), ==, 1);
  if (present)
    {
      g_assert_cmpstr (cookie, ==, HEADER_COOKIE);
      g_assert_cmpstr (referer, ==, "https://example.org/from");
      g_assert_cmpstr (custom, ==, "caf\xc3\xa9; a=b");
      /* The line's, not the session's with it. */
      g_assert_cmpstr (agent, ==, "Pcq-Test-Agent/1");
    }
  else
    {
      g_assert_null (cookie);
      g_assert_null (referer);
      g_assert_null (custom);
      g_assert_nonnull (agent);
      g_assert_true (g_str_has_prefix (agent, "Pcq/"));
    }
}

/* @needle is in no byte of any store file (database, journal, WAL). */
static void
assert_not_in_store (Ctx        *ctx,
                     const char *needle)
{
  g_autofree char *store_dir = g_build_filename (ctx->state, "pcq", NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint n_files = 0;

  dir = g_dir_open (store_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (store_dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      g_file_get_contents (path, &contents, &length, &error);
      g_assert_no_error (error);
      if (g_strstr_len (contents, length, needle) != NULL)
        g_error ("“%s” is in %s", needle, path);
      n_files++;
    }
  g_assert_cmpuint (n_files, >, 0);
}

/* The "headers" column of each job that has one, in id order. */
static GPtrArray *
stored_headers (Ctx *ctx)
{
  g_autofree char *path = g_build_filename (ctx->state, "pcq", "headless.sqlite", NULL);
  GPtrArray *result = g_ptr_array_new_with_free_func (g_free);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT headers FROM jobs WHERE headers IS NOT NULL"
                                           " ORDER BY id", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (result, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return result;
}

/* "headers" in an input line: sent on the request and on a redirect
 * within the origin; a redirect to another origin (localhost is not
 * 127.0.0.1) gets none of them. */
static void
test_line_headers (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  guint16 port = pcq_test_server_get_port (ctx->server);
  g_autofree char *same = pcq_test_server_url (ctx->server, "/redirect/1/h-same.bin?size=700&seed=1");
  g_autofree char *away = g_strdup_printf ("http://localhost:%u/data/h-away.bin?size=800&seed=2", port);
  g_autofree char *escaped = g_uri_escape_string (away, NULL, FALSE);
  g_autofree char *cross = pcq_test_server_url (ctx->server, "/goto/h-cross.bin?to=%s", escaped);
  const char *headers = "\"headers\": {\"Cookie\": \"" HEADER_COOKIE "\", "
                        "\"Referer\": \"https://example.org/from\", \"X-Pcq-Test\": \"caf\\u00e9; a=b\", "
                        "\"User-Agent\": \"Pcq-Test-Agent/1\"}";
  g_autofree char *contents = g_strdup_printf ("{\"url\": \"%s\", %s}\n"
                                               "{\"url\": \"%s\", \"output\": \"h-cross.bin\", %s}\n",
                                               same, headers, cross, headers);
  g_autofree char *input = write_input (ctx, "headers.jsonl", contents);
  g_autofree char *same_path = out_path (ctx, "h-same.bin");
  g_autofree char *cross_path = out_path (ctx, "h-cross.bin");
  g_autoptr(GPtrArray) kept = NULL;
  g_autoptr(PcqTestRun) run = NULL;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  pcq_test_assert_content (same_path, 1, 700);
  pcq_test_assert_content (cross_path, 2, 800);

  assert_line_headers (ctx->server, "/redirect/1/h-same.bin", TRUE);
  assert_line_headers (ctx->server, "/redirect/0/h-same.bin", TRUE);
  assert_line_headers (ctx->server, "/goto/h-cross.bin", TRUE);
  assert_line_headers (ctx->server, "/data/h-away.bin", FALSE);

  g_assert_null (strstr (pcq_test_run_get_stdout (run), HEADER_COOKIE));
  g_assert_null (strstr (pcq_test_run_get_stderr (run), HEADER_COOKIE));

  /* The store has the others, and only the cookie's name. */
  assert_not_in_store (ctx, "cookie-value-never-stored");
  kept = stored_headers (ctx);
  g_assert_cmpuint (kept->len, ==, 2);
  for (guint i = 0; i < kept->len; i++)
    {
      const char *json = g_ptr_array_index (kept, i);

      g_assert_nonnull (strstr (json, "\"Cookie\":null"));
      g_assert_nonnull (strstr (json, "\"Referer\":\"https://example.org/from\""));
    }
}

/* A task stopped with a cookie and resumed by another run without a
 * keyring: the cookie was not kept, so the task fails saying so, and
 * sends nothing. */
static void
test_line_headers_resume (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/hang/h-kept.bin");
  g_autofree char *contents = g_strdup_printf ("{\"url\": \"%s\", \"headers\": "
                                               "{\"Cookie\": \"" HEADER_COOKIE "\"}}\n", url);
  g_autofree char *input = write_input (ctx, "kept.jsonl", contents);
  g_autofree char *sent = NULL;
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;
  PcqTestSummary summary;

  first = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, "/hang/h-kept.bin") == 1,
                     RUN_TIMEOUT_MS);
  sent = pcq_test_server_dup_header (ctx->server, "/hang/h-kept.bin", 0, "Cookie");
  g_assert_cmpstr (sent, ==, HEADER_COOKIE);
  /* Stopped for good: the task waits for --resume. */
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_spin (300);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);
  g_assert_cmpint (run_summary (first).left, ==, 1);

  second = run_start (ctx, (const char *[]) { "-o", ctx->out, "--resume", NULL });
  pcq_test_run_wait (second, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, EXIT_SOME_FAILED);
  summary = run_summary (second);
  g_assert_cmpint (summary.failed, ==, 1);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (second),
                            "The task’s Cookie header was not kept: no keyring was available"));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
  assert_not_in_store (ctx, "cookie-value-never-stored");
}

/* Hostile "headers": each line is refused, saying why, and nothing is
 * sent. */
static void
test_line_headers_refused (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/h-bad.bin?size=10");
  const char *bad[] = {
    "{\"Host\": \"evil.example\"}", "\"headers\": “Host” is set by Pcq itself",
    "{\"proxy-authorization\": \"x\"}", "“proxy-authorization” is set by Pcq itself",
    "{\"X-A\": \"a\\r\\nX-B: b\"}", "the value of “X-A” must be one line of UTF-8 text",
    "{\"X A\": \"a\"}", "a header name must be a token",
    "{\"X-A\": 5}", "the value of “X-A” must be a string",
    "[\"Cookie\"]", "\"headers\" must be a JSON object",
    "{\"X-A\": \"a\", \"x-a\": \"b\"}", "“x-a” is given twice",
    NULL,
  };
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autofree char *input = NULL;
  g_autoptr(PcqTestRun) run = NULL;

  for (guint i = 0; bad[i] != NULL; i += 2)
    g_string_append_printf (contents, "{\"url\": \"%s\", \"headers\": %s}\n", url, bad[i]);
  input = write_input (ctx, "bad-headers.jsonl", contents->str);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), !=, EXIT_ALL_DONE);
  for (guint i = 0; bad[i] != NULL; i += 2)
    if (strstr (pcq_test_run_get_stderr (run), bad[i + 1]) == NULL)
      g_error ("no “%s” in: %s", bad[i + 1], pcq_test_run_get_stderr (run));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);
}

static void
test_some_failed (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *ok = pcq_test_server_url (ctx->server, "/data/fine.bin?size=500");
  g_autofree char *missing = pcq_test_server_url (ctx->server, "/status/404/gone.bin");
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-j", "2", ok, missing, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_SOME_FAILED);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 1);
  g_assert_cmpint (summary.failed, ==, 1);
  g_assert_cmpint (summary.cancelled, ==, 0);
  g_assert_cmpint (summary.bytes, ==, 500);
  /* The failure is explained on stderr. */
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (run), "404"));
}

/* A server's Retry-After is said, with the time the task waits until. */
static void
test_retry_after_said (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/flaky/said/f.bin?fail=1&code=503&retry_after=1");
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) later = g_date_time_add_seconds (now, 1);
  g_autofree char *at = g_date_time_format (later, "%H:%M");
  g_autofree char *expected = g_strdup_printf ("Waiting until %s (the server asked)", at);
  g_autoptr(GDateTime) minute_on = g_date_time_add_seconds (now, 61);
  g_autofree char *next_minute = g_date_time_format (minute_on, "%H:%M");
  const char *err;
  PcqTestSummary summary;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, url, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, 0);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 1);
  err = pcq_test_run_get_stderr (run);
  /* The minute may have turned between the two clocks. */
  if (strstr (err, expected) == NULL)
    {
      g_free (expected);
      expected = g_strdup_printf ("Waiting until %s (the server asked)", next_minute);
    }
  g_assert_nonnull (strstr (err, expected));
  g_assert_nonnull (strstr (err, "503"));
}

static void
test_all_invalid (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  /* Only tasks that fail before they start: the run still ends. */
  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "not a url", "ftp://127.0.0.1/x", NULL });
  pcq_test_run_wait (run, 5000);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_SOME_FAILED);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 0);
  g_assert_cmpint (summary.failed, ==, 2);
}

static void
test_jobs_limit (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  g_ptr_array_add (args, g_strdup ("-o"));
  g_ptr_array_add (args, g_strdup (ctx->out));
  g_ptr_array_add (args, g_strdup ("-j"));
  g_ptr_array_add (args, g_strdup ("2"));
  for (guint i = 0; i < 6; i++)
    g_ptr_array_add (args, pcq_test_server_url (ctx->server,
                                                "/data/j-%u.bin?size=16384&chunk=4096&delay=60&seed=%u",
                                                i, i));
  g_ptr_array_add (args, NULL);

  run = run_start (ctx, (const char * const *) args->pdata);
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 6);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight (ctx->server), ==, 2);
}

/* A string member of the summary (the last stdout line), or NULL. */
static char *
summary_string (PcqTestRun *run,
                const char *name)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = g_strsplit (pcq_test_run_get_stdout (run), "\n", -1);
  guint n = g_strv_length (lines);
  JsonObject *object;
  JsonNode *node;

  g_assert_cmpuint (n, >=, 2);
  json_parser_load_from_data (parser, lines[n - 2], -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  node = json_object_get_member (object, name);
  if (node == NULL)
    return NULL;
  g_assert_true (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING);

  return g_strdup (json_node_get_string (node));
}

/* Exit 2, before anything ran: said why on stderr, and in the summary
 * (zeros, and an "error"). Returns that error. */
static char *
assert_refused (PcqTestRun *run)
{
  PcqTestSummary summary;
  char *error;

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_USAGE);
  g_assert_cmpstr (pcq_test_run_get_stderr (run), !=, "");

  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 0);
  g_assert_cmpint (summary.failed, ==, 0);
  g_assert_cmpint (summary.cancelled, ==, 0);
  g_assert_cmpint (summary.left, ==, 0);
  g_assert_cmpint (summary.bytes, ==, 0);
  error = summary_string (run, "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (error, !=, "");
  /* The same words as on stderr. */
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (run), error));

  return error;
}

static void
assert_usage_error (Ctx                *ctx,
                    const char * const *args)
{
  g_autoptr(PcqTestRun) run = run_start (ctx, args);
  g_autofree char *error = NULL;

  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  error = assert_refused (run);
}

/* An input file with one line: @url, with the "sha256" of the test
 * server's content for @seed and @size. */
static char *
write_checked_input (Ctx        *ctx,
                     const char *name,
                     const char *url,
                     guint       seed,
                     gsize       size)
{
  g_autofree guint8 *data = g_malloc (size);
  g_autofree char *sha256 = NULL;
  g_autofree char *contents = NULL;

  pcq_test_content_fill (seed, 0, data, size);
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  contents = g_strdup_printf ("{\"url\": \"%s\", \"sha256\": \"%s\"}\n", url, sha256);
  return write_input (ctx, name, contents);
}

/* --split=4: a 16 MiB file with an ETag from a server that takes
 * ranges comes over four connections at once, and the "sha256" of its
 * line is checked on the joined file. */
static void
test_split (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const gsize size = 16 * 1024 * 1024;
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/split.bin?size=%" G_GSIZE_FORMAT
                                              "&seed=5&etag=1&chunk=262144&delay=5", size);
  g_autofree char *input = write_checked_input (ctx, "split.jsonl", url, 5, size);
  g_autofree char *path = out_path (ctx, "split.bin");
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "--split=4", "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 1);
  pcq_test_assert_content (path, 5, size);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/split.bin"), ==, 4);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight (ctx->server), ==, 4);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* The size of the part file in @dir (with holes: up to its last byte
 * written), or -1. */
static gint64
part_file_size (const char *dir)
{
  g_autofree char *path = pcq_test_find_part_file (dir);
  GStatBuf info;

  if (path == NULL || g_stat (path, &info) != 0)
    return -1;

  return info.st_size;
}

/* Runs "--split=4 --resume": the one task is done, its file is the
 * @size bytes made with @seed, and no part is left. */
static void
assert_split_resumes_whole (Ctx        *ctx,
                            const char *path,
                            guint       seed,
                            gsize       size)
{
  g_autoptr(PcqTestRun) run = run_start (ctx, (const char *[]) { "-o", ctx->out, "--split=4", "--resume", NULL });

  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  g_assert_cmpint (run_summary (run).done, ==, 1);
  pcq_test_assert_content (path, seed, size);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* A split download stopped by a second Ctrl+C goes on with --resume
 * where each segment stopped, and its "sha256" is checked on the whole
 * file. */
static void
test_split_resume (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const gsize size = 16 * 1024 * 1024;
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/resumed.bin?size=%" G_GSIZE_FORMAT
                                              "&seed=6&etag=1&chunk=65536&delay=20", size);
  g_autofree char *input = write_checked_input (ctx, "resumed.jsonl", url, 6, size);
  g_autofree char *path = out_path (ctx, "resumed.bin");
  g_autoptr(PcqTestRun) first = NULL;
  guint n_requests, n_resumed = 0;

  first = run_start (ctx, (const char *[]) { "-o", ctx->out, "--split=4", "-i", input, NULL });
  /* The last segment has written: all four are under way. */
  PCQ_TEST_WAIT_FOR (part_file_size (ctx->out) > (gint64) (size / 4 * 3), RUN_TIMEOUT_MS);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_spin (300);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (first), ==, EXIT_INTERRUPTED);
  g_assert_cmpint (run_summary (first).left, ==, 1);
  g_assert_true (pcq_test_dir_has_part_files (ctx->out));

  assert_split_resumes_whole (ctx, path, 6, size);

  /* Each request of the second run asks for a segment's rest. */
  n_requests = pcq_test_server_count_requests (ctx->server, "/data/resumed.bin");
  g_assert_cmpuint (n_requests, >, 4);
  for (guint i = 4; i < n_requests; i++)
    {
      g_autofree char *range = pcq_test_server_dup_range (ctx->server, "/data/resumed.bin", i);

      g_assert_nonnull (range);
      n_resumed += g_ascii_strtoll (range + strlen ("bytes="), NULL, 10) % (size / 4) != 0;
    }
  g_assert_cmpuint (n_resumed, >, 0);
}

/* The resume token the store holds for the one job, or NULL (while
 * the running pcq writes, a busy store is "not yet"). */
static char *
stored_token (Ctx *ctx)
{
  g_autofree char *path = g_build_filename (ctx->state, "pcq", "headless.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *token = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_busy_timeout (db, 200) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT validator FROM jobs", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    token = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return token;
}

/* How much a stored split token ("… split/4/TOTAL/POS,…/VALIDATOR")
 * says its segments hold; -1 for a token without segments. @ranges
 * (if not NULL) gets the Range each unfinished segment resumes with. */
static gint64
token_held (const char *token,
            gsize       size,
            GPtrArray  *ranges)
{
  const char *split = token != NULL ? strstr (token, "split/4/") : NULL;
  g_auto(GStrv) fields = NULL;
  g_auto(GStrv) positions = NULL;
  gint64 held = 0, seg = size / 4;

  if (split == NULL)
    return -1;

  fields = g_strsplit (split, "/", 5);
  g_assert_cmpuint (g_strv_length (fields), ==, 5);
  g_assert_cmpint (g_ascii_strtoll (fields[2], NULL, 10), ==, size);
  positions = g_strsplit (fields[3], ",", -1);
  g_assert_cmpuint (g_strv_length (positions), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      gint64 pos = g_ascii_strtoll (positions[i], NULL, 10);
      gint64 end = i == 3 ? (gint64) size : (i + 1) * seg;

      g_assert_cmpint (pos, >=, i * seg);
      g_assert_cmpint (pos, <=, end);
      held += pos - i * seg;
      if (ranges != NULL && pos < end)
        g_ptr_array_add (ranges, g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                                                  pos, end - 1));
    }

  return held;
}

/* A split download killed outright (no chance to say anything) after
 * its segments' progress was recorded: --resume asks each unfinished
 * segment for its rest from where the store says it got, and the
 * joined file passes its line's "sha256". */
static void
test_split_kill_resume (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const gsize size = 16 * 1024 * 1024;
  const char *server_path = "/data/killed.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?size=%" G_GSIZE_FORMAT
                                              "&seed=7&etag=1&chunk=65536&delay=100", server_path, size);
  g_autofree char *input = write_checked_input (ctx, "killed.jsonl", url, 7, size);
  g_autofree char *path = out_path (ctx, "killed.bin");
  g_autofree char *token = NULL;
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PcqTestRun) first = NULL;
  gint64 held;

  first = run_start (ctx, (const char *[]) { "-o", ctx->out, "--split=4", "-i", input, NULL });
  /* A checkpoint (every 2 s) with something in it is in the store. */
  PCQ_TEST_WAIT_FOR ((g_free (token), token = stored_token (ctx), token_held (token, size, NULL) > 0),
                     RUN_TIMEOUT_MS);
  g_subprocess_force_exit (pcq_test_run_get_process (first));
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 0, RUN_TIMEOUT_MS);
  g_assert_true (pcq_test_dir_has_part_files (ctx->out));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* What the store held when the run died: maybe a later checkpoint. */
  g_free (token);
  token = stored_token (ctx);
  held = token_held (token, size, expected);
  g_assert_cmpint (held, >, 0);
  g_assert_cmpuint (expected->len, >, 0);
  g_test_message ("killed with %" G_GINT64_FORMAT " bytes recorded", held);

  assert_split_resumes_whole (ctx, path, 7, size);

  /* One request an unfinished segment, each from where it got. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, server_path), ==, 4 + expected->len);
  for (guint i = 4; i < 4 + expected->len; i++)
    {
      g_autofree char *range = pcq_test_server_dup_range (ctx->server, server_path, i);
      guint index;

      g_assert_nonnull (range);
      g_assert_true (g_ptr_array_find_with_equal_func (expected, range, g_str_equal, &index));
      g_ptr_array_remove_index (expected, index);
    }
}

static void
test_usage_errors (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/never.bin");

  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "-j", "0", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "-j", "65", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "-j", "many", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--no-such-option", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--api-jobs", "0", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--max-per-host", "0", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--max-per-host", "65", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--max-per-host=-1", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--retries", "11", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--split", "0", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--split", "17", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--stall-timeout", "0", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--min-speed", "fast", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--min-speed", "-1k", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--min-speed", "99999999M", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--api-rpm=-1", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--api-rpm=100001", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--start-at=24:00", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--start-at=9:30", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--start-at=tomorrow", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--limit-rate", "fast", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--limit-rate=-500k", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--limit-rate=1.5M", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--limit-rate=4096M", url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "--prompt", "", NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "-i", "no-such-file.txt", NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", ctx->out, "-i", ctx->tmp, NULL });

  /* Nothing was fetched by a run that refused to start. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);
}

static void
test_unusable_output (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/never.bin");
  g_autofree char *file = write_input (ctx, "a-file", "not a folder");
  g_autofree char *below = g_build_filename (file, "sub", NULL);

  /* A regular file, or a folder below one: unusable (for root too). */
  assert_usage_error (ctx, (const char *[]) { "-o", file, url, NULL });
  assert_usage_error (ctx, (const char *[]) { "-o", below, url, NULL });
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);
}

static void
test_input_urls (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/in-a.bin?size=1000&seed=4");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/in-b.bin?size=2000&seed=5");
  g_autofree char *c = pcq_test_server_url (ctx->server, "/data/in-c.bin?size=3000&seed=6");
  g_autofree char *contents = NULL;
  g_autofree char *input = NULL;
  g_autofree char *pa = out_path (ctx, "in-a.bin");
  g_autofree char *pb = out_path (ctx, "in-b.bin");
  g_autofree char *pc = out_path (ctx, "in-c.bin");
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  contents = g_strdup_printf ("# a comment\n"
                              "%s\n"
                              "\n"
                              "   \n"
                              "%s\n"
                              "# %s/data/commented-out.bin\n"
                              "%s",   /* no newline at the end */
                              a, b, pcq_test_server_get_base (ctx->server), c);
  input = write_input (ctx, "urls.txt", contents);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-j", "2", "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 3);
  g_assert_cmpint (summary.failed, ==, 0);
  g_assert_cmpint (summary.bytes, ==, 6000);
  pcq_test_assert_content (pa, 4, 1000);
  pcq_test_assert_content (pb, 5, 2000);
  pcq_test_assert_content (pc, 6, 3000);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 3);
}

static void
test_input_json_lines (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/json-a.bin?size=1500&seed=7");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/json-b.bin?size=2500&seed=8");
  g_autofree char *contents = NULL;
  g_autofree char *input = NULL;
  g_autofree char *named = out_path (ctx, "named.bin");
  g_autofree char *pb = out_path (ctx, "json-b.bin");
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  contents = g_strdup_printf ("{\"url\": \"%s\", \"output\": \"named.bin\"}\n"
                              "{\"url\": \"%s\"}\n",
                              a, b);
  input = write_input (ctx, "tasks.jsonl", contents);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 2);
  g_assert_cmpint (summary.bytes, ==, 4000);
  /* "output" names the result (the run's working folder is the output
   * folder, so this holds whether it is read as a name or a path). */
  pcq_test_assert_content (named, 7, 1500);
  pcq_test_assert_content (pb, 8, 2500);
}

/* TRUE if @text has a line that mentions line @lineno ("line 3",
 * "file:3:"). */
static gboolean
mentions_line (const char *text,
               guint       lineno)
{
  g_autofree char *pattern = g_strdup_printf ("(line\\s*|:)%u\\b", lineno);

  return g_regex_match_simple (pattern, text, G_REGEX_CASELESS | G_REGEX_MULTILINE, 0);
}

static void
test_input_bad_lines (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/bl-a.bin?size=100&seed=1");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/bl-b.bin?size=200&seed=2");
  g_autofree char *c = pcq_test_server_url (ctx->server, "/data/bl-c.bin?size=300&seed=3");
  g_autofree char *d = pcq_test_server_url (ctx->server, "/data/bl-d.bin?size=400&seed=4");
  g_autofree char *contents = NULL;
  g_autofree char *input = NULL;
  g_autofree char *pc = out_path (ctx, "bl-c.bin");
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;
  int status;

  contents = g_strdup_printf ("{\"url\": \"%s\"}\n"          /* 1 */
                              "\n"                           /* 2 */
                              "{\"url\": \"%s\", \n"         /* 3: broken JSON */
                              "{\"url\": \"%s\"}\n"          /* 4 */
                              "# comment\n"                  /* 5 */
                              "{\"output\": \"x.bin\"}\n"    /* 6: no url */
                              "{\"url\": 42}\n"               /* 7: url not a string */
                              "{\"url\": \"%s\"}\n"          /* 8 */
                              "\xff\xfe not UTF-8\n"          /* 9 */
                              "{\"url\": \"%s\"}\n",         /* 10 */
                              a, a, b, c, d);
  input = write_input (ctx, "mixed.jsonl", contents);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  /* Each bad line is reported with its number... */
  g_assert_true (mentions_line (pcq_test_run_get_stderr (run), 3));
  g_assert_true (mentions_line (pcq_test_run_get_stderr (run), 6));
  g_assert_true (mentions_line (pcq_test_run_get_stderr (run), 7));
  g_assert_true (mentions_line (pcq_test_run_get_stderr (run), 9));
  g_assert_false (mentions_line (pcq_test_run_get_stderr (run), 4));
  g_assert_false (mentions_line (pcq_test_run_get_stderr (run), 8));
  g_assert_false (mentions_line (pcq_test_run_get_stderr (run), 10));

  /* ...and the rest went on. */
  status = pcq_test_run_exit_status (run);
  g_assert_true (status == EXIT_ALL_DONE || status == EXIT_SOME_FAILED);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 4);
  g_assert_cmpint (summary.bytes, ==, 1000);
  pcq_test_assert_content (pc, 3, 300);
}

/* In a JSON Lines file, a line that is JSON but no object is a bad line
 * too (reported with its number), not a URL. */
static void
test_input_json_not_object (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/no-a.bin?size=100&seed=1");
  g_autofree char *contents = NULL;
  g_autofree char *input = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  int status;

  contents = g_strdup_printf ("{\"url\": \"%s\"}\n"   /* 1 */
                              "[1, 2, 3]\n"             /* 2 */
                              "\"a string\"\n",         /* 3 */
                              a);
  input = write_input (ctx, "arrays.jsonl", contents);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_true (mentions_line (pcq_test_run_get_stderr (run), 2));
  g_assert_true (mentions_line (pcq_test_run_get_stderr (run), 3));
  status = pcq_test_run_exit_status (run);
  g_assert_true (status == EXIT_ALL_DONE || status == EXIT_SOME_FAILED);
  g_assert_cmpint (run_summary (run).done, ==, 1);
}

static void
test_input_stdin (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/stdin-a.bin?size=700&seed=1");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/stdin-b.bin?size=800&seed=2");
  g_autofree char *text = g_strdup_printf ("%s\n# comment\n%s\n", a, b);
  g_autofree char *pa = out_path (ctx, "stdin-a.bin");
  g_autofree char *pb = out_path (ctx, "stdin-b.bin");
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  run = run_start_full (ctx, NULL, text, (const char *[]) { "-o", ctx->out, "-i", "-", NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 2);
  pcq_test_assert_content (pa, 1, 700);
  pcq_test_assert_content (pb, 2, 800);
}

static void
test_relative_paths (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/rel.bin?size=900&seed=9");
  g_autofree char *contents = g_strdup_printf ("%s\n", a);
  g_autofree char *expected = g_build_filename (ctx->tmp, "rel-out", "rel.bin", NULL);
  g_autoptr(PcqTestRun) run = NULL;

  g_free (write_input (ctx, "rel.txt", contents));
  /* -o and -i relative to the caller's working folder. */
  run = run_start_full (ctx, ctx->tmp, NULL,
                        (const char *[]) { "-o", "rel-out", "-i", "rel.txt", NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  g_assert_cmpint (run_summary (run).done, ==, 1);
  pcq_test_assert_content (expected, 9, 900);
}

/* An input that is no list of tasks is refused whole: exit 2 naming
 * the line, before any task of it (or of the command line) starts, with
 * nothing written: no result, no queue file. */
static void
assert_input_refused (Ctx        *ctx,
                      PcqTestRun *run,
                      guint       line)
{
  g_autofree char *error = assert_refused (run);
  g_autofree char *store = g_build_filename (ctx->state, "pcq", "headless.sqlite", NULL);
  g_autofree char *listing = pcq_test_describe_dir (ctx->out);

  g_assert_true (mentions_line (error, line));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);
  g_assert_cmpstr (listing, ==, "[]");
  g_assert_false (g_file_test (store, G_FILE_TEST_EXISTS));

  /* The line itself is not shown (only its number). */
  g_assert_null (strstr (pcq_test_run_get_stderr (run), "xxxxxxxx"));
  g_assert_cmpuint (strlen (pcq_test_run_get_stderr (run)), <, 1000);
}

/* A line of @length bytes: a link padded with x, or a JSON line. */
static char *
long_line (Ctx        *ctx,
           gboolean    json,
           gsize       length)
{
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/long.bin?size=10&pad=");
  GString *line = g_string_new (NULL);

  if (json)
    g_string_append_printf (line, "{\"url\": \"%s\", \"pad\": \"", url);
  else
    g_string_append (line, url);
  while (line->len < length - (json ? 2 : 0))
    g_string_append_c (line, 'x');
  if (json)
    g_string_append (line, "\"}");
  g_assert_cmpuint (line->len, ==, length);

  return g_string_free (line, FALSE);
}

static void
test_input_too_long (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/tl-a.bin?size=100");
  g_autofree char *link_max = long_line (ctx, FALSE, 64 * 1024);
  g_autofree char *link_over = long_line (ctx, FALSE, 64 * 1024 + 1);
  g_autofree char *json_over = long_line (ctx, TRUE, 1024 * 1024 + 1);
  g_autofree char *contents = NULL;
  g_autofree char *input = NULL;
  g_autoptr(PcqTestRun) run = NULL;

  /* A link line of 64 KiB and 1 byte, after good ones: nothing runs,
   * not even the URL given on the command line. */
  contents = g_strdup_printf ("%s\n%s\n%s\n%s\n", a, link_max, link_over, a);
  input = write_input (ctx, "long-link.txt", contents);
  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, a, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  assert_input_refused (ctx, run, 3);
  g_clear_pointer (&run, pcq_test_run_free);
  g_clear_pointer (&contents, g_free);
  g_clear_pointer (&input, g_free);

  /* A JSON line of 1 MiB and 1 byte, the last one, without a newline. */
  contents = g_strdup_printf ("%s\n\n%s", a, json_over);
  input = write_input (ctx, "long-json.jsonl", contents);
  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  assert_input_refused (ctx, run, 3);
}

/* The bounds are those of the line's kind: a JSON line may be longer
 * than a link line; a link line of exactly 64 KiB is read. */
static void
test_input_long_json_runs (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *json = long_line (ctx, TRUE, 512 * 1024);
  g_autofree char *contents = g_strdup_printf ("%s\n", json);
  g_autofree char *input = write_input (ctx, "long-ok.jsonl", contents);
  g_autoptr(PcqTestRun) run = NULL;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  g_assert_cmpint (run_summary (run).done, ==, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
}

static void
test_input_nul (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/nul-a.bin?size=100");
  g_autofree char *input = g_build_filename (ctx->tmp, "nul.txt", NULL);
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(PcqTestRun) redirected = NULL;

  g_string_append_printf (contents, "%s\n%s", a, a);
  g_string_append_len (contents, "\0xxxxxxxxx\n", 11);
  g_string_append_printf (contents, "%s\n", a);
  g_file_set_contents (input, contents->str, contents->len, &error);
  g_assert_no_error (error);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  assert_input_refused (ctx, run, 2);

  /* The same file as stdin (a file, not a pipe): checked whole first. */
  {
    g_autoptr(GSubprocessLauncher) launcher = NULL;

    launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                           G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                           ctx->home, ctx->state, ctx->config);
    g_subprocess_launcher_set_cwd (launcher, ctx->out);
    g_subprocess_launcher_set_stdin_file_path (launcher, input);
    redirected = pcq_test_run_spawn (launcher, NULL, (const char *[]) {
                                       "-o", ctx->out, "-i", "-", NULL });
  }
  pcq_test_run_wait (redirected, RUN_TIMEOUT_MS);
  assert_input_refused (ctx, redirected, 2);
}

/* A pipe is read as it comes, and cannot be checked whole before its
 * tasks start: a bad line stops it there. Nothing of that line or after
 * it runs, what of it is still queued is cancelled, nothing is left for
 * --resume, and the run exits 2. */
static void
test_input_stdin_refused (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/pipe-a.bin?size=100");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/pipe-b.bin?size=100");
  g_autofree char *over = long_line (ctx, FALSE, 64 * 1024 + 1);
  g_autofree char *text = g_strdup_printf ("%s\n%s\n%s\n", a, over, b);
  g_autofree char *error = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  run = run_start_full (ctx, NULL, text, (const char *[]) { "-o", ctx->out, "-i", "-", NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_USAGE);
  summary = run_summary (run);
  error = summary_string (run, "error");
  g_assert_nonnull (error);
  g_assert_true (mentions_line (error, 2));
  g_assert_null (strstr (pcq_test_run_get_stderr (run), "xxxxxxxx"));
  /* Line 1 either ran before line 2 was read, or was cancelled (maybe
   * as it started); line 3 was never queued. */
  g_assert_cmpint (summary.done + summary.cancelled, ==, 1);
  g_assert_cmpint (summary.left, ==, 0);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/pipe-a.bin"), <=, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/pipe-b.bin"), ==, 0);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), <=, 1);
}

/* errors.jsonl is one of the run's files: a result that would be named
 * so (by its "output" or its URL) takes the next free name, and a file
 * of that name that Pcq did not write is never replaced. The summary
 * and stderr say where the list went. */
static void
test_errors_file_name (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *by_url = pcq_test_server_url (ctx->server, "/data/errors.jsonl?size=100&seed=1");
  g_autofree char *data = pcq_test_server_url (ctx->server, "/data/e2.bin?size=200&seed=2");
  g_autofree char *contents = NULL;
  g_autofree char *input = NULL;
  g_autofree char *errors = out_path (ctx, "errors.jsonl");
  g_autofree char *errors1 = out_path (ctx, "errors (1).jsonl");
  g_autofree char *errors2 = out_path (ctx, "errors (2).jsonl");
  g_autofree char *errors3 = out_path (ctx, "errors (3).jsonl");
  g_autofree char *listed = NULL;
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(PcqTestRun) again = NULL;

  /* A download named errors.jsonl by its URL, and a batch line that
   * fails (line 2). */
  contents = g_strdup_printf ("%s\n"
                              "{\"custom_id\": \"r2\", \"method\": \"GET\", "
                              "\"url\": \"/v1/chat/completions\", \"body\": {}}\n",
                              by_url);
  input = write_input (ctx, "batch.jsonl", contents);

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_SOME_FAILED);
  g_assert_cmpint (run_summary (run).done, ==, 1);
  g_assert_null (summary_string (run, "error"));

  /* The list has the name; the result took the next one. */
  pcq_test_assert_content (errors1, 1, 100);
  g_file_get_contents (errors, &text, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "\"custom_id\":\"r2\""));
  file = summary_string (run, "errors_file");
  g_assert_cmpstr (file, ==, errors);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (run), errors));
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&file, g_free);
  g_clear_pointer (&contents, g_free);
  g_clear_pointer (&input, g_free);

  /* Now errors.jsonl is there: the next run's list does not replace it,
   * nor does a result named so by its "output". */
  g_assert_true (g_file_set_contents (errors, "not Pcq's\n", -1, &error));
  g_assert_no_error (error);
  contents = g_strdup_printf ("{\"url\": \"%s\", \"output\": \"errors.jsonl\"}\n"
                              "{\"custom_id\": \"r2\", \"method\": \"GET\", "
                              "\"url\": \"/v1/chat/completions\", \"body\": {}}\n",
                              data);
  input = write_input (ctx, "batch2.jsonl", contents);

  again = run_start (ctx, (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  pcq_test_run_wait (again, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (again), ==, EXIT_SOME_FAILED);
  g_assert_cmpint (run_summary (again).done, ==, 1);

  g_file_get_contents (errors, &text, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "not Pcq's\n");
  pcq_test_assert_content (errors1, 1, 100);
  /* The list took the first free name, the result the one after. */
  pcq_test_assert_content (errors3, 2, 200);
  g_clear_pointer (&text, g_free);
  g_file_get_contents (errors2, &text, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "\"line\":2"));
  file = summary_string (again, "errors_file");
  g_assert_cmpstr (file, ==, errors2);
  listed = pcq_test_describe_dir (ctx->out);
  g_assert_cmpstr (listed, ==,
                   "[\"errors (1).jsonl\", \"errors (2).jsonl\", \"errors (3).jsonl\", \"errors.jsonl\"]");
}

/* About one second each: 8 chunks of 8 KiB, 120 ms apart. */
#define SLOW_QUERY "size=65536&chunk=8192&delay=120"
#define ENDLESS_QUERY "size=10000000&chunk=4096&delay=100"

static void
test_sigint_once (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/int-a.bin?" SLOW_QUERY "&seed=1");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/int-b.bin?" SLOW_QUERY "&seed=2");
  g_autofree char *c = pcq_test_server_url (ctx->server, "/data/int-c.bin?" SLOW_QUERY "&seed=3");
  g_autofree char *pa = out_path (ctx, "int-a.bin");
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-j", "1", a, b, c, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, RUN_TIMEOUT_MS);
  g_assert_true (pcq_test_run_is_running (run));

  g_subprocess_send_signal (pcq_test_run_get_process (run), SIGINT);
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  /* The running task was finished, no other one started. */
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_INTERRUPTED);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 1);
  g_assert_cmpint (summary.failed, ==, 0);
  g_assert_cmpint (summary.bytes, ==, 65536);
  pcq_test_assert_content (pa, 1, 65536);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

static void
test_sigint_twice (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/int2-a.bin?" ENDLESS_QUERY);
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/int2-b.bin?size=10");
  g_autofree char *listing = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;
  gint64 second;
  gint64 elapsed_ms;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, "-j", "1", a, b, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, RUN_TIMEOUT_MS);

  /* The first one lets the running task go on... */
  g_subprocess_send_signal (pcq_test_run_get_process (run), SIGINT);
  pcq_test_spin (500);
  g_assert_true (pcq_test_run_is_running (run));
  g_assert_cmpuint (pcq_test_server_get_in_flight (ctx->server), ==, 1);

  /* ...the second one stops it. */
  second = g_get_monotonic_time ();
  g_subprocess_send_signal (pcq_test_run_get_process (run), SIGINT);
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);
  elapsed_ms = (g_get_monotonic_time () - second) / 1000;
  pcq_test_note ("exited %" G_GINT64_FORMAT " ms after the second SIGINT", elapsed_ms);
  g_assert_cmpint (elapsed_ms, <, 2000);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_INTERRUPTED);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 0);
  /* Interrupted, not cancelled: both wait for --resume. */
  g_assert_cmpint (summary.cancelled, ==, 0);
  g_assert_cmpint (summary.left, ==, 2);
  g_assert_cmpint (summary.bytes, ==, 0);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/int2-b.bin"), ==, 0);

  /* No partial file under any name (without a validator, the part of
   * the interrupted one cannot be resumed: it is gone). */
  listing = pcq_test_describe_dir (ctx->out);
  g_assert_cmpstr (listing, ==, "[]");
}

/* A first Ctrl+C leaves what did not start for --resume and says how
 * many in "left"; --resume then finishes them and leaves none. */
static void
test_sigint_left (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/rest-a.bin?" SLOW_QUERY "&seed=1");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/rest-b.bin?" SLOW_QUERY "&seed=2");
  g_autofree char *c = pcq_test_server_url (ctx->server, "/data/rest-c.bin?" SLOW_QUERY "&seed=3");
  g_autofree char *pa = out_path (ctx, "rest-a.bin");
  g_autofree char *pb = out_path (ctx, "rest-b.bin");
  g_autofree char *pc = out_path (ctx, "rest-c.bin");
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;
  PcqTestSummary summary;

  first = run_start (ctx, (const char *[]) { "-o", ctx->out, "-j", "1", a, b, c, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, RUN_TIMEOUT_MS);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);

  /* The running task finished; the two that never started are left. */
  g_assert_cmpint (pcq_test_run_exit_status (first), ==, EXIT_INTERRUPTED);
  summary = run_summary (first);
  g_assert_cmpint (summary.done, ==, 1);
  g_assert_cmpint (summary.failed, ==, 0);
  g_assert_cmpint (summary.cancelled, ==, 0);
  g_assert_cmpint (summary.left, ==, 2);
  pcq_test_assert_content (pa, 1, 65536);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);

  /* --resume runs exactly those, and nothing is left. */
  second = run_start (ctx, (const char *[]) { "-o", ctx->out, "-j", "1", "--resume", NULL });
  pcq_test_run_wait (second, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, EXIT_ALL_DONE);
  summary = run_summary (second);
  g_assert_cmpint (summary.done, ==, 2);
  g_assert_cmpint (summary.failed, ==, 0);
  g_assert_cmpint (summary.left, ==, 0);
  g_assert_cmpint (summary.bytes, ==, 2 * 65536);
  pcq_test_assert_content (pb, 2, 65536);
  pcq_test_assert_content (pc, 3, 65536);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 3);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* A second Ctrl+C loses nothing: the running download is interrupted
 * with its part file kept (its server gave an ETag), the run exits 130
 * with it in "left", and --resume asks for the rest (a 206) into a
 * byte-identical file. */
static void
test_sigint_twice_resumes (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  /* The first request is slow (1 KiB per 100 ms), the next one quick. */
  g_autofree char *a = pcq_test_server_url (ctx->server,
                                            "/flaky/kept/kept.bin?fail=1&mode=slow&etag=1&size=200000&seed=5");
  g_autofree char *pa = out_path (ctx, "kept.bin");
  g_autofree char *range = NULL;
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;
  PcqTestSummary summary;

  first = run_start (ctx, (const char *[]) { "-o", ctx->out, a, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_dir_has_part_files (ctx->out), RUN_TIMEOUT_MS);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_spin (300);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (first), ==, EXIT_INTERRUPTED);
  summary = run_summary (first);
  g_assert_cmpint (summary.done, ==, 0);
  g_assert_cmpint (summary.cancelled, ==, 0);
  g_assert_cmpint (summary.left, ==, 1);
  g_assert_true (pcq_test_dir_has_part_files (ctx->out));
  g_assert_false (g_file_test (pa, G_FILE_TEST_EXISTS));

  second = run_start (ctx, (const char *[]) { "-o", ctx->out, "--resume", NULL });
  pcq_test_run_wait (second, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, EXIT_ALL_DONE);
  summary = run_summary (second);
  g_assert_cmpint (summary.done, ==, 1);
  g_assert_cmpint (summary.left, ==, 0);
  pcq_test_assert_content (pa, 5, 200000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));

  /* The second request asked for the rest of what the part held. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 2);
  range = pcq_test_server_dup_range (ctx->server, "/flaky/kept/kept.bin", 1);
  g_assert_nonnull (range);
  g_assert_cmpint (g_ascii_strtoll (range + strlen ("bytes="), NULL, 10), >, 0);
}

/* SIGINT while the input is still being read from stdin (a producer
 * piping tasks in): the run stops reading, finishes what runs and exits
 * 130 with its summary. */
static void
test_sigint_while_reading_stdin (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/int3-a.bin?" SLOW_QUERY "&seed=4");
  g_autofree char *line = g_strdup_printf ("%s\n", a);
  g_autofree char *pa = out_path (ctx, "int3-a.bin");
  g_autoptr(PcqTestRun) run = NULL;
  gboolean started;
  gint64 deadline;
  PcqTestSummary summary;

  {
    g_autoptr(GSubprocessLauncher) launcher = NULL;

    launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                           G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                           G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                           ctx->home, ctx->state, ctx->config);
    g_subprocess_launcher_set_cwd (launcher, ctx->out);
    run = pcq_test_run_spawn_open_stdin (launcher, (const char *[]) {
                                           "-o", ctx->out, "-j", "1", "-i", "-", NULL });
  }
  pcq_test_run_write_stdin (run, line, FALSE);

  /* The task may start while stdin is still open; give it a moment. */
  deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (pcq_test_server_get_in_flight (ctx->server) == 0 && pcq_test_iterate (deadline))
    ;
  started = pcq_test_server_count_requests (ctx->server, NULL) > 0;
  pcq_test_note ("task started before SIGINT: %s", started ? "yes" : "no");
  g_assert_true (pcq_test_run_is_running (run));

  g_subprocess_send_signal (pcq_test_run_get_process (run), SIGINT);

  /* Wait for the exit with stdin still open (the output is small enough
   * for the pipes, so it is read afterwards). */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (pcq_test_run_is_running (run) && pcq_test_iterate (deadline))
    ;
  if (pcq_test_run_is_running (run))
    {
      /* End stdin so that the run ends, then report. */
      pcq_test_run_write_stdin (run, "", TRUE);
      pcq_test_run_wait (run, 5000);
      g_error ("pcq was still running 5 s after SIGINT, blocked on its open stdin");
    }
  pcq_test_run_wait (run, 1000);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_INTERRUPTED);
  summary = run_summary (run);
  if (started)
    {
      g_assert_cmpint (summary.done, ==, 1);
      pcq_test_assert_content (pa, 4, 65536);
    }
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* A run counts its own tasks only, not what earlier runs did. */
static void
test_second_run_counts (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/run1.bin?size=111");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/run2.bin?size=222");
  g_autofree char *bad = pcq_test_server_url (ctx->server, "/status/404/run1-missing.bin");
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;
  PcqTestSummary summary;

  first = run_start (ctx, (const char *[]) { "-o", ctx->out, a, bad, NULL });
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (first), ==, EXIT_SOME_FAILED);

  second = run_start (ctx, (const char *[]) { "-o", ctx->out, b, NULL });
  pcq_test_run_wait (second, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, EXIT_ALL_DONE);
  summary = run_summary (second);
  g_assert_cmpint (summary.done, ==, 1);
  g_assert_cmpint (summary.failed, ==, 0);
  g_assert_cmpint (summary.bytes, ==, 222);

  /* Nothing of the first run was fetched again. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/run1.bin"), ==, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/status/404/run1-missing.bin"), ==, 1);
}

/* What an interrupted run left queued runs again with --resume only. */
static void
test_resume_unfinished (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/left-a.bin?" SLOW_QUERY "&seed=1");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/left-b.bin?size=4000&seed=2");
  g_autofree char *c = pcq_test_server_url (ctx->server, "/data/other-c.bin?size=100&seed=3");
  g_autofree char *pb = out_path (ctx, "left-b.bin");
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;
  g_autoptr(PcqTestRun) third = NULL;
  PcqTestSummary summary;

  /* Interrupted while the first of two runs: the second never started. */
  first = run_start (ctx, (const char *[]) { "-o", ctx->out, "-j", "1", a, b, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, RUN_TIMEOUT_MS);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (first), ==, EXIT_INTERRUPTED);
  g_assert_cmpint (run_summary (first).done, ==, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/left-b.bin"), ==, 0);

  /* Without --resume, only what is asked for runs; what waits for
   * --resume is still counted as left. */
  second = run_start (ctx, (const char *[]) { "-o", ctx->out, c, NULL });
  pcq_test_run_wait (second, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, EXIT_ALL_DONE);
  summary = run_summary (second);
  g_assert_cmpint (summary.done, ==, 1);
  g_assert_cmpint (summary.left, ==, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/left-b.bin"), ==, 0);

  /* With it, the task left behind runs (and only that one). */
  third = run_start (ctx, (const char *[]) { "-o", ctx->out, "--resume", NULL });
  pcq_test_run_wait (third, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (third), ==, EXIT_ALL_DONE);
  summary = run_summary (third);
  g_assert_cmpint (summary.done, ==, 1);
  g_assert_cmpint (summary.left, ==, 0);
  g_assert_cmpint (summary.bytes, ==, 4000);
  pcq_test_assert_content (pb, 2, 4000);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/left-a.bin"), ==, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/other-c.bin"), ==, 1);
}

static void
test_second_run_locked (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *slow = pcq_test_server_url (ctx->server, "/data/lock-a.bin?" ENDLESS_QUERY);
  g_autofree char *other = pcq_test_server_url (ctx->server, "/data/lock-b.bin?size=10");
  g_autofree char *other_out = g_build_filename (ctx->tmp, "out2", NULL);
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;
  g_autofree char *locked = NULL;
  const char *pid;

  first = run_start (ctx, (const char *[]) { "-o", ctx->out, slow, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, RUN_TIMEOUT_MS);
  pid = g_subprocess_get_identifier (pcq_test_run_get_process (first));
  g_assert_nonnull (pid);

  /* Same state folder: refused, naming the running one. */
  g_assert_cmpint (g_mkdir (other_out, 0700), ==, 0);
  second = run_start (ctx, (const char *[]) { "-o", other_out, other, NULL });
  pcq_test_run_wait (second, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, EXIT_USAGE);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (second), pid));
  locked = summary_string (second, "error");
  g_assert_nonnull (strstr (locked, pid));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/lock-b.bin"), ==, 0);

  /* Stop the first run: two signals, apart (signals sent back to back
   * may be delivered as one). */
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_spin (300);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (first), ==, EXIT_INTERRUPTED);
}

/* Secrets */

#define AUTH_USER "alice"
#define AUTH_PASSWORD "p@ss-9f3Kx7"
/* As it is written in a URL. */
#define AUTH_PASSWORD_IN_URL "p%40ss-9f3Kx7"
/* A part of it that no encoding changes. */
#define AUTH_PASSWORD_CORE "9f3Kx7"

/* `pcq --headless` with @env (NAME, VALUE, … NULL) added, and surely
 * without a keyring: no session bus, not even the user's own one. */
static PcqTestRun *
run_start_env (Ctx                *ctx,
               const char * const *env,
               const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;

  launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                         ctx->home, ctx->state, ctx->config);
  g_subprocess_launcher_set_cwd (launcher, ctx->out);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", ctx->home, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "SECRET_BACKEND");
  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);

  return pcq_test_run_spawn (launcher, NULL, args);
}

static gboolean
bytes_contain (const char *data,
               gsize       length,
               const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; n <= length && i <= length - n; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;

  return FALSE;
}

/* The password is nowhere: not in what pcq printed, not in any byte of
 * its store (the database, its journal and WAL, read raw). */
static void
assert_password_nowhere (Ctx        *ctx,
                         PcqTestRun *run)
{
  const char *needles[] = { AUTH_PASSWORD, AUTH_PASSWORD_IN_URL, AUTH_PASSWORD_CORE, NULL };
  g_autofree char *store_dir = g_build_filename (ctx->state, "pcq", NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint n_files = 0;

  for (guint i = 0; needles[i] != NULL; i++)
    {
      g_assert_null (strstr (pcq_test_run_get_stdout (run), needles[i]));
      g_assert_null (strstr (pcq_test_run_get_stderr (run), needles[i]));
    }

  dir = g_dir_open (store_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (store_dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      g_file_get_contents (path, &contents, &length, &error);
      g_assert_no_error (error);
      for (guint i = 0; needles[i] != NULL; i++)
        if (bytes_contain (contents, length, needles[i]))
          g_error ("the password is in %s", path);
      n_files++;
    }
  /* There was a store to look into. */
  g_assert_cmpuint (n_files, >, 0);
}

static char *
expected_authorization (void)
{
  const char *pair = AUTH_USER ":" AUTH_PASSWORD;
  g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));

  return g_strconcat ("Basic ", encoded, NULL);
}

/* user:password in a URL: the request carries them as Basic auth, and
 * the password is neither stored nor printed. */
static void
test_url_password (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = g_strdup_printf ("http://%s:%s@127.0.0.1:%u/auth/locked.bin?size=5000&seed=4",
                                          AUTH_USER, AUTH_PASSWORD_IN_URL,
                                          pcq_test_server_get_port (ctx->server));
  g_autofree char *path = out_path (ctx, "locked.bin");
  g_autofree char *wanted = expected_authorization ();
  g_autofree char *sent = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  pcq_test_server_set_basic_auth (ctx->server, AUTH_USER, AUTH_PASSWORD);
  run = run_start_env (ctx, NULL, (const char *[]) { "-o", ctx->out, url, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  summary = run_summary (run);
  g_assert_cmpint (summary.done, ==, 1);
  pcq_test_assert_content (path, 4, 5000);

  /* Sent at once, not after a 401. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/auth/locked.bin"), ==, 1);
  sent = pcq_test_server_dup_authorization (ctx->server, "/auth/locked.bin", 0);
  g_assert_cmpstr (sent, ==, wanted);

  assert_password_nowhere (ctx, run);
}

/* A redirect to another origin goes there without the credentials. */
static void
test_url_password_redirect (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(PcqTestServer) other = pcq_test_server_new ();
  g_autofree char *target = pcq_test_server_url (other, "/data/moved.bin?size=3000&seed=5");
  g_autofree char *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("http://%s:%s@127.0.0.1:%u/auth/moved.bin?to=%s",
                                          AUTH_USER, AUTH_PASSWORD_IN_URL,
                                          pcq_test_server_get_port (ctx->server), escaped);
  g_autofree char *path = out_path (ctx, "moved.bin");
  g_autofree char *wanted = expected_authorization ();
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(PcqTestRun) run = NULL;

  pcq_test_server_set_basic_auth (ctx->server, AUTH_USER, AUTH_PASSWORD);
  run = run_start_env (ctx, NULL, (const char *[]) { "-o", ctx->out, url, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  pcq_test_assert_content (path, 5, 3000);

  first = pcq_test_server_dup_authorization (ctx->server, "/auth/moved.bin", 0);
  g_assert_cmpstr (first, ==, wanted);
  g_assert_cmpuint (pcq_test_server_count_requests (other, "/data/moved.bin"), ==, 1);
  second = pcq_test_server_dup_authorization (other, "/data/moved.bin", 0);
  g_assert_null (second);

  assert_password_nowhere (ctx, run);
}

static char *
write_netrc (Ctx        *ctx,
             const char *contents,
             int         mode)
{
  char *path = write_input (ctx, "netrc", contents);

  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

/* --netrc-file: the user and password the file has for the host go
 * as Basic credentials at once; a redirect to another origin gets
 * none, even with a `default` entry that would match it. */
static void
test_netrc (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  guint16 port = pcq_test_server_get_port (ctx->server);
  g_autofree char *away = g_strdup_printf ("http://localhost:%u/data/n-away.bin?size=900&seed=7", port);
  g_autofree char *escaped = g_uri_escape_string (away, NULL, FALSE);
  g_autofree char *url = pcq_test_server_url (ctx->server, "/auth/n-here.bin?size=600&seed=6");
  g_autofree char *moved = pcq_test_server_url (ctx->server, "/auth/n-moved.bin?to=%s", escaped);
  g_autofree char *netrc = write_netrc (ctx, "machine other.example login x password y\n"
                                             "machine 127.0.0.1\n login " AUTH_USER
                                             "\n password " AUTH_PASSWORD "\n"
                                             "default login " AUTH_USER " password " AUTH_PASSWORD "\n",
                                        0600);
  g_autofree char *wanted = expected_authorization ();
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *netrc_option = g_strconcat ("--netrc-file=", netrc, NULL);
  g_autofree char *here_path = out_path (ctx, "n-here.bin");
  g_autoptr(PcqTestRun) run = NULL;

  pcq_test_server_set_basic_auth (ctx->server, AUTH_USER, AUTH_PASSWORD);
  run = run_start_env (ctx, NULL, (const char *[]) { "-o", ctx->out, netrc_option, url, moved, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_ALL_DONE);
  pcq_test_assert_content (here_path, 6, 600);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/auth/n-here.bin"), ==, 1);
  first = pcq_test_server_dup_authorization (ctx->server, "/auth/n-here.bin", 0);
  g_assert_cmpstr (first, ==, wanted);
  second = pcq_test_server_dup_authorization (ctx->server, "/auth/n-moved.bin", 0);
  g_assert_cmpstr (second, ==, wanted);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/n-away.bin"), ==, 1);
  third = pcq_test_server_dup_authorization (ctx->server, "/data/n-away.bin", 0);
  g_assert_null (third);
  assert_password_nowhere (ctx, run);
}

/* A .netrc others may read is refused before anything is sent. */
static void
test_netrc_refused (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/n.bin?size=10");
  g_autofree char *netrc = write_netrc (ctx, "default login a password b\n", 0644);
  g_autofree char *netrc_option = g_strconcat ("--netrc-file=", netrc, NULL);
  g_autoptr(PcqTestRun) run = NULL;

  run = run_start (ctx, (const char *[]) { "-o", ctx->out, netrc_option, url, NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_USAGE);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (run), "may be read by others"));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);
}

/* libsecret's file backend in the test's home: a keyring without a
 * Secret Service, the one a Flatpak uses. */
static char **
keyring_env (Ctx *ctx)
{
  g_autofree char *path = g_build_filename (ctx->home, "test-keyring", NULL);

  return g_strdupv ((char *[]) { "SECRET_BACKEND", "file", "SECRET_FILE_TEST_PATH", path,
                                 "SECRET_FILE_TEST_PASSWORD", "test-keyring-password", NULL });
}

/* With a keyring, a task stopped with a cookie and resumed by another
 * run sends the cookie again: the keyring kept it, the store did not. */
static void
test_line_headers_resume_keyring (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_auto(GStrv) env = keyring_env (ctx);
  g_autofree char *url = pcq_test_server_url (ctx->server,
                                              "/flaky/kc/kept.bin?fail=1&mode=slow&size=200000&seed=3");
  g_autofree char *contents = g_strdup_printf ("{\"url\": \"%s\", \"headers\": "
                                               "{\"Cookie\": \"" HEADER_COOKIE "\"}}\n", url);
  g_autofree char *input = write_input (ctx, "kept.jsonl", contents);
  g_autofree char *path = out_path (ctx, "kept.bin");
  g_autofree char *first_cookie = NULL;
  g_autofree char *second_cookie = NULL;
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;

  first = run_start_env (ctx, (const char * const *) env,
                         (const char *[]) { "-o", ctx->out, "-i", input, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, "/flaky/kc/kept.bin") == 1,
                     RUN_TIMEOUT_MS);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_spin (300);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);
  g_assert_cmpint (run_summary (first).left, ==, 1);

  second = run_start_env (ctx, (const char * const *) env,
                          (const char *[]) { "-o", ctx->out, "--resume", NULL });
  pcq_test_run_wait (second, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, EXIT_ALL_DONE);
  g_assert_cmpint (run_summary (second).done, ==, 1);
  pcq_test_assert_content (path, 3, 200000);

  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/flaky/kc/kept.bin"), ==, 2);
  first_cookie = pcq_test_server_dup_header (ctx->server, "/flaky/kc/kept.bin", 0, "Cookie");
  second_cookie = pcq_test_server_dup_header (ctx->server, "/flaky/kc/kept.bin", 1, "Cookie");
  g_assert_cmpstr (first_cookie, ==, HEADER_COOKIE);
  g_assert_cmpstr (second_cookie, ==, HEADER_COOKIE);
  assert_not_in_store (ctx, "cookie-value-never-stored");
}

/* A server that asks (401, Basic) for a URL that names no user, with
 * nothing known for it: the task fails asking to sign in, after one
 * request. A challenge that only looks like Basic is a plain 401. */
static void
test_sign_in_required (void)
{
  const struct {
    const char *challenge;  /* WWW-Authenticate, as a query value */
    gboolean basic;
  } cases[] = {
    { "Basic%20realm%3D%22x%22", TRUE },
    { "Negotiate%2C%20bAsIc%20realm%3D%22a%2C%20b%22", TRUE },
    { "Digest%20realm%3D%22Basic%20x%22%2C%20nonce%3D%22Basic%22", FALSE },
    { "Basically%20realm%3D%22x%22", FALSE },
    { "Bearer%20error%3D%22%5C%22%2C%20Basic%22", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Ctx) ctx = ctx_new ();
      g_autofree char *url = pcq_test_server_url (ctx->server, "/auth/asked.bin?size=10&challenge=%s",
                                                  cases[i].challenge);
      g_autoptr(PcqTestRun) run = NULL;
      const char *err;

      pcq_test_server_set_basic_auth (ctx->server, AUTH_USER, AUTH_PASSWORD);
      run = run_start_env (ctx, NULL, (const char *[]) { "-o", ctx->out, url, NULL });
      pcq_test_run_wait (run, RUN_TIMEOUT_MS);

      g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_SOME_FAILED);
      g_assert_cmpint (run_summary (run).failed, ==, 1);
      err = pcq_test_run_get_stderr (run);
      g_assert_cmpint (strstr (err, "asks for a user name and password") != NULL, ==, cases[i].basic);
      g_assert_cmpint (strstr (err, "Server answered 401") != NULL, ==, !cases[i].basic);
      g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/auth/asked.bin"), ==, 1);
    }
}

/* The keyring's password for an origin answers its 401 for a URL that
 * names no user: here kept by an earlier run that was given it in a
 * URL (the window keeps what a person types the same way). */
static void
test_sign_in_from_keyring (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_auto(GStrv) env = keyring_env (ctx);
  g_autofree char *given = g_strdup_printf ("http://%s:%s@127.0.0.1:%u/auth/given.bin?size=100&seed=1",
                                            AUTH_USER, AUTH_PASSWORD_IN_URL,
                                            pcq_test_server_get_port (ctx->server));
  g_autofree char *url = pcq_test_server_url (ctx->server, "/auth/later.bin?size=3000&seed=2");
  g_autofree char *path = out_path (ctx, "later.bin");
  g_autofree char *wanted = expected_authorization ();
  g_autofree char *asked = NULL;
  g_autofree char *answered = NULL;
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;

  pcq_test_server_set_basic_auth (ctx->server, AUTH_USER, AUTH_PASSWORD);
  first = run_start_env (ctx, (const char * const *) env,
                         (const char *[]) { "-o", ctx->out, given, NULL });
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (first), ==, EXIT_ALL_DONE);

  second = run_start_env (ctx, (const char * const *) env,
                          (const char *[]) { "-o", ctx->out, url, NULL });
  pcq_test_run_wait (second, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, EXIT_ALL_DONE);
  pcq_test_assert_content (path, 2, 3000);

  /* Asked without credentials, answered with the keyring's. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/auth/later.bin"), ==, 2);
  asked = pcq_test_server_dup_authorization (ctx->server, "/auth/later.bin", 0);
  answered = pcq_test_server_dup_authorization (ctx->server, "/auth/later.bin", 1);
  g_assert_null (asked);
  g_assert_cmpstr (answered, ==, wanted);
  assert_password_nowhere (ctx, second);
}

/* Without a keyring the password lives in the run that was given it:
 * --resume fails that task and says why, and sends nothing. */
static void
test_url_password_resume_without_keyring (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  guint16 port = pcq_test_server_get_port (ctx->server);
  g_autofree char *url = g_strdup_printf ("http://%s:%s@127.0.0.1:%u/hang/kept.bin",
                                          AUTH_USER, AUTH_PASSWORD_IN_URL, port);
  g_autofree char *message = g_strdup_printf ("The password for " AUTH_USER "@127.0.0.1:%u "
                                              "was not kept: no keyring was available; add "
                                              "the task again with its password", port);
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;
  PcqTestSummary summary;

  first = run_start_env (ctx, NULL, (const char *[]) { "-o", ctx->out, url, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, "/hang/kept.bin") == 1,
                     RUN_TIMEOUT_MS);
  /* Stopped for good: the task waits for --resume. */
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_spin (300);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_run_wait (first, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (first), ==, EXIT_INTERRUPTED);
  g_assert_cmpint (run_summary (first).left, ==, 1);
  assert_password_nowhere (ctx, first);

  second = run_start_env (ctx, NULL, (const char *[]) { "-o", ctx->out, "--resume", NULL });
  pcq_test_run_wait (second, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, EXIT_SOME_FAILED);
  summary = run_summary (second);
  g_assert_cmpint (summary.failed, ==, 1);
  g_assert_cmpint (summary.left, ==, 0);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (second), message));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
  assert_password_nowhere (ctx, second);
}

/* An API key with a line break inside is refused where it comes from,
 * and the task fails saying so: no request goes out at all. */
static void
test_api_key_line_break (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *base = pcq_test_server_url (ctx->server, "/v1");
  g_autoptr(PcqTestRun) run = NULL;
  PcqTestSummary summary;

  run = run_start_env (ctx,
                       (const char *[]) { "PCQ_API_KEY", "sk-test-7Qz\r\nX-Injected: yes", NULL },
                       (const char *[]) { "-o", ctx->out, "--api-base", base,
                                          "--prompt", "Say hello", NULL });
  pcq_test_run_wait (run, RUN_TIMEOUT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, EXIT_SOME_FAILED);
  summary = run_summary (run);
  g_assert_cmpint (summary.failed, ==, 1);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (run),
                            "The API key in PCQ_API_KEY contains a line break"));
  g_assert_null (strstr (pcq_test_run_get_stderr (run), "sk-test-7Qz"));
  g_assert_null (strstr (pcq_test_run_get_stdout (run), "sk-test-7Qz"));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);
}

/* The keyring is asked for the API key only once a run has an API
 * task: a locked one must not ask to be unlocked for plain downloads.
 * This keyring is a file libsecret cannot read, as Pcq's debug message
 * says whenever it looks for the key (GLib 2.74 prints debug messages
 * on stdout). */
static void
test_keyring_only_for_api (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *keyring = g_build_filename (ctx->home, "test-keyring", NULL);
  g_autofree char *base = pcq_test_server_url (ctx->server, "/v1");
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/a.bin");
  g_autofree char *links_text = g_strdup_printf ("%s\n", url);
  g_autofree char *mixed_text = g_strdup_printf ("%s\n{\"prompt\": \"Say hello\", \"output\": \"hello.txt\"}\n", url);
  g_autofree char *links = write_input (ctx, "links.txt", links_text);
  g_autofree char *mixed = write_input (ctx, "mixed.txt", mixed_text);
  g_autofree char *file = out_path (ctx, "a.bin");
  const char *env[] = { "SECRET_BACKEND", "file", "SECRET_FILE_TEST_PATH", keyring,
                        "SECRET_FILE_TEST_PASSWORD", "test-keyring-password",
                        "G_MESSAGES_DEBUG", "pcq-headless", NULL };
  g_autoptr(PcqTestRun) plain = NULL;
  g_autoptr(PcqTestRun) api = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (keyring, "not a keyring\n", -1, &error));

  plain = run_start_env (ctx, env, (const char *[]) { "-o", ctx->out, "-i", links, NULL });
  pcq_test_run_wait (plain, RUN_TIMEOUT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (plain), ==, 0);
  pcq_test_assert_content (file, 0, 1024);
  g_assert_null (strstr (pcq_test_run_get_stdout (plain), "from the keyring"));

  api = run_start_env (ctx, env, (const char *[]) { "-o", ctx->out, "--api-base", base,
                                                    "-i", mixed, NULL });
  pcq_test_run_wait (api, RUN_TIMEOUT_MS);
  g_assert_nonnull (strstr (pcq_test_run_get_stdout (api), "No API key from the keyring"));
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  pcq_test_init_isolation ();

  g_test_message ("binary: %s", pcq_test_binary ());

  pcq_test_add_isolated ("/pcq/headless/summary/all-done", test_all_done, 30);
  pcq_test_add_isolated ("/pcq/headless/summary/some-failed", test_some_failed, 30);
  pcq_test_add_isolated ("/pcq/headless/summary/all-invalid", test_all_invalid, 30);
  pcq_test_add_isolated ("/pcq/headless/retry-after-said", test_retry_after_said, 30);
  pcq_test_add_isolated ("/pcq/headless/jobs-limit", test_jobs_limit, 30);
  pcq_test_add_isolated ("/pcq/headless/max-per-host", test_max_per_host, 30);
  pcq_test_add_isolated ("/pcq/headless/limit-rate", test_limit_rate, 30);
  pcq_test_add_isolated ("/pcq/headless/start-at", test_start_at, 30);
  pcq_test_add_isolated ("/pcq/headless/report/fields", test_report, 30);
  pcq_test_add_isolated ("/pcq/headless/report/stdout", test_report_stdout, 30);
  pcq_test_add_isolated ("/pcq/headless/report/refused-and-reserved", test_report_refused_and_reserved, 30);
  pcq_test_add_isolated ("/pcq/headless/sha256", test_sha256, 30);
  pcq_test_add_isolated ("/pcq/headless/split-resume", test_split_resume, 60);
  pcq_test_add_isolated ("/pcq/headless/split-kill-resume", test_split_kill_resume, 60);
  pcq_test_add_isolated ("/pcq/headless/split", test_split, 60);
  pcq_test_add_isolated ("/pcq/headless/headers", test_line_headers, 30);
  pcq_test_add_isolated ("/pcq/headless/headers-refused", test_line_headers_refused, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/headers-resume", test_line_headers_resume, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/headers-resume-keyring",
                         test_line_headers_resume_keyring, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/sign-in-required", test_sign_in_required, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/sign-in-keyring", test_sign_in_from_keyring, 30);
  pcq_test_add_isolated ("/pcq/headless/usage/bad-options", test_usage_errors, 30);
  pcq_test_add_isolated ("/pcq/headless/usage/unusable-output", test_unusable_output, 30);
  pcq_test_add_isolated ("/pcq/headless/input/urls", test_input_urls, 30);
  pcq_test_add_isolated ("/pcq/headless/input/json-lines", test_input_json_lines, 30);
  pcq_test_add_isolated ("/pcq/headless/input/bad-lines", test_input_bad_lines, 30);
  pcq_test_add_isolated ("/pcq/headless/input/json-not-object", test_input_json_not_object, 30);
  pcq_test_add_isolated ("/pcq/headless/input/stdin", test_input_stdin, 30);
  pcq_test_add_isolated ("/pcq/headless/input/relative-paths", test_relative_paths, 30);
  pcq_test_add_isolated ("/pcq/headless/input/too-long", test_input_too_long, 30);
  pcq_test_add_isolated ("/pcq/headless/input/long-json-runs", test_input_long_json_runs, 30);
  pcq_test_add_isolated ("/pcq/headless/input/nul", test_input_nul, 30);
  pcq_test_add_isolated ("/pcq/headless/input/stdin-refused", test_input_stdin_refused, 30);
  pcq_test_add_isolated ("/pcq/headless/input/errors-file-name", test_errors_file_name, 30);
  pcq_test_add_isolated ("/pcq/headless/sigint/once", test_sigint_once, 30);
  pcq_test_add_isolated ("/pcq/headless/sigint/twice", test_sigint_twice, 30);
  pcq_test_add_isolated ("/pcq/headless/sigint/left-for-resume", test_sigint_left, 30);
  pcq_test_add_isolated ("/pcq/headless/sigint/twice-resumes", test_sigint_twice_resumes, 30);
  pcq_test_add_isolated ("/pcq/headless/sigint/while-reading-stdin", test_sigint_while_reading_stdin, 30);
  pcq_test_add_isolated ("/pcq/headless/store/second-run-counts", test_second_run_counts, 30);
  pcq_test_add_isolated ("/pcq/headless/store/resume", test_resume_unfinished, 30);
  pcq_test_add_isolated ("/pcq/headless/store/second-run-locked", test_second_run_locked, 30);

  pcq_test_add_isolated ("/pcq/headless/secrets/url-password", test_url_password, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/netrc", test_netrc, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/netrc-refused", test_netrc_refused, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/url-password-redirect", test_url_password_redirect, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/resume-without-keyring",
                         test_url_password_resume_without_keyring, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/api-key-line-break", test_api_key_line_break, 30);
  pcq_test_add_isolated ("/pcq/headless/secrets/keyring-only-for-api", test_keyring_only_for_api, 30);

  return g_test_run ();
}
