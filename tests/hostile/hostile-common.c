/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "hostile-common.h"
#include "pcq-test-util.h"

/* The fixture */

static void
write_or_die (const char *path,
              const char *contents,
              gssize      len)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
}

HostileCtx *
hostile_ctx_new (void)
{
  HostileCtx *ctx = g_new0 (HostileCtx, 1);

  ctx->tmp = pcq_test_make_tmpdir ("pcq-hostile-XXXXXX");
  ctx->out = pcq_test_make_subdir (ctx->tmp, "out");
  ctx->outside = pcq_test_make_subdir (ctx->tmp, "outside");
  ctx->cwd = pcq_test_make_subdir (ctx->tmp, "cwd");
  ctx->home = pcq_test_make_subdir (ctx->tmp, "home");
  ctx->state = pcq_test_make_subdir (ctx->tmp, "state");
  ctx->config = pcq_test_make_subdir (ctx->tmp, "config");
  ctx->canary = g_build_filename (ctx->outside, "canary.txt", NULL);
  ctx->target = g_build_filename (ctx->outside, "target.txt", NULL);
  ctx->env = g_ptr_array_new_with_free_func (g_free);
  write_or_die (ctx->canary, "canary: must never change\n", -1);
  write_or_die (ctx->target, "target of planted links: must never change\n", -1);
  {
    g_autofree char *sibling = g_build_filename (ctx->tmp, "sibling.txt", NULL);

    write_or_die (sibling, "beside out/\n", -1);
  }
  ctx->server = pcq_test_server_new ();
  hostile_snapshot (ctx);

  return ctx;
}

void
hostile_ctx_free (HostileCtx *ctx)
{
  g_clear_pointer (&ctx->raw, hostile_raw_free);
  g_clear_pointer (&ctx->server, pcq_test_server_free);
  pcq_test_rm_rf (ctx->tmp);
  g_clear_pointer (&ctx->snapshot, g_hash_table_unref);
  g_ptr_array_unref (ctx->env);
  g_free (ctx->tmp);
  g_free (ctx->out);
  g_free (ctx->outside);
  g_free (ctx->cwd);
  g_free (ctx->home);
  g_free (ctx->state);
  g_free (ctx->config);
  g_free (ctx->canary);
  g_free (ctx->target);
  g_free (ctx);
}

static char *
describe_entry (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return g_strdup_printf ("gone (%s)", g_strerror (errno));

  if (S_ISREG (st.st_mode))
    {
      g_autofree char *contents = NULL;
      g_autofree char *sum = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
      return g_strdup_printf ("file mode %o size %" G_GINT64_FORMAT " mtime %ld.%09ld sha256 %s",
                              st.st_mode, (gint64) st.st_size, (long) st.st_mtim.tv_sec,
                              (long) st.st_mtim.tv_nsec, sum);
    }
  if (S_ISLNK (st.st_mode))
    {
      g_autofree char *target = g_file_read_link (path, NULL);

      return g_strdup_printf ("link to %s", target);
    }
  if (S_ISDIR (st.st_mode))
    return g_strdup_printf ("dir mode %o mtime %ld.%09ld", st.st_mode,
                            (long) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec);

  return g_strdup_printf ("other mode %o", st.st_mode);
}

static void
walk (const char *root,
      const char *rel,
      GHashTable *into)
{
  g_autofree char *dir_path = g_build_filename (root, rel, NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_rel = *rel != '\0' ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *child = g_build_filename (root, child_rel, NULL);

      /* What pcq may change: its output folder and its state. */
      if (g_strcmp0 (child_rel, "out") == 0 || g_strcmp0 (child_rel, "state") == 0)
        continue;

      g_hash_table_insert (into, g_strdup (child_rel), describe_entry (child));
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        walk (root, child_rel, into);
    }
}

static GHashTable *
take_snapshot (HostileCtx *ctx)
{
  GHashTable *snapshot = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_hash_table_insert (snapshot, g_strdup ("."), describe_entry (ctx->tmp));
  walk (ctx->tmp, "", snapshot);
  return snapshot;
}

void
hostile_snapshot (HostileCtx *ctx)
{
  g_clear_pointer (&ctx->snapshot, g_hash_table_unref);
  ctx->snapshot = take_snapshot (ctx);
}

void
hostile_assert_outside_unchanged (HostileCtx *ctx)
{
  g_autoptr(GHashTable) now = take_snapshot (ctx);
  g_autoptr(GString) diff = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, ctx->snapshot);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *after = g_hash_table_lookup (now, key);

      if (after == NULL)
        g_string_append_printf (diff, "  %s: removed (was %s)\n", (char *) key, (char *) value);
      else if (strcmp (after, value) != 0)
        g_string_append_printf (diff, "  %s: was %s, now %s\n", (char *) key, (char *) value, after);
    }

  g_hash_table_iter_init (&iter, now);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_hash_table_contains (ctx->snapshot, key))
        g_string_append_printf (diff, "  %s: appeared (%s)\n", (char *) key, (char *) value);
    }

  if (diff->len > 0)
    g_error ("changed outside the output folder:\n%s", diff->str);
}

char *
hostile_write_file (HostileCtx *ctx,
                    const char *name,
                    const char *contents,
                    gssize      len)
{
  char *path = g_build_filename (ctx->tmp, name, NULL);

  write_or_die (path, contents, len);
  hostile_snapshot (ctx);
  return path;
}

char *
hostile_out_path (HostileCtx *ctx,
                  const char *name)
{
  return g_build_filename (ctx->out, name, NULL);
}

char *
hostile_store_path (HostileCtx *ctx)
{
  /* As headless makes it from XDG_STATE_HOME. */
  return g_build_filename (ctx->state, "pcq", "headless.sqlite", NULL);
}

char *
hostile_part_path (HostileCtx *ctx,
                   guint64     id)
{
  g_autofree char *store = hostile_store_path (ctx);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, store, -1);
  g_autofree char *base = g_strdup_printf (".%.8s-%" G_GUINT64_FORMAT ".pcq-part", digest, id);

  return g_build_filename (ctx->out, base, NULL);
}

/* Running pcq */

static void
child_setup (gpointer user_data)
{
  HostileCtx *ctx = user_data;

  if (ctx->fsize_limit != 0)
    {
      struct rlimit limit = { ctx->fsize_limit, ctx->fsize_limit };

      /* A write past the limit then fails with EFBIG instead of killing. */
      signal (SIGXFSZ, SIG_IGN);
      setrlimit (RLIMIT_FSIZE, &limit);
    }

  if (ctx->as_limit != 0)
    {
      struct rlimit limit = { ctx->as_limit, ctx->as_limit };

      setrlimit (RLIMIT_AS, &limit);
    }
}

PcqTestRun *
hostile_start (HostileCtx         *ctx,
               const char         *stdin_text,
               const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;

  if (stdin_text != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  launcher = pcq_test_headless_launcher (flags, ctx->home, ctx->state, ctx->config);
  g_subprocess_launcher_set_cwd (launcher, ctx->cwd);
  g_subprocess_launcher_unsetenv (launcher, "PCQ_API_KEY");
  for (guint i = 0; i < ctx->env->len; i++)
    {
      const char *assignment = g_ptr_array_index (ctx->env, i);
      const char *eq = strchr (assignment, '=');
      g_autofree char *name = g_strndup (assignment, eq - assignment);

      g_subprocess_launcher_setenv (launcher, name, eq + 1, TRUE);
    }
  if (ctx->fsize_limit != 0 || ctx->as_limit != 0)
    g_subprocess_launcher_set_child_setup (launcher, child_setup, ctx, NULL);

  return pcq_test_run_spawn (launcher, stdin_text, args);
}

void
hostile_finish (HostileCtx *ctx,
                PcqTestRun *run,
                int         status,
                guint       timeout_ms)
{
  pcq_test_run_wait (run, timeout_ms);
  pcq_test_note ("pcq stdout:\n%s", pcq_test_run_get_stdout (run));
  /* To see what pcq said in a case that passes. */
  if (g_getenv ("PCQ_HOSTILE_VERBOSE") != NULL)
    g_printerr ("pcq exit %d\nstdout:\n%s\nstderr:\n%s\n", pcq_test_run_exit_status (run),
                pcq_test_run_get_stdout (run), pcq_test_run_get_stderr (run));
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, status);
  hostile_assert_clean_text ("stdout", pcq_test_run_get_stdout (run));
  hostile_assert_clean_text ("stderr", pcq_test_run_get_stderr (run));
  hostile_assert_outside_unchanged (ctx);
}

PcqTestSummary
hostile_run (HostileCtx         *ctx,
             const char         *stdin_text,
             const char * const *args,
             int                 status)
{
  g_autoptr(PcqTestRun) run = hostile_start (ctx, stdin_text, args);

  hostile_finish (ctx, run, status, HOSTILE_RUN_TIMEOUT_MS);
  return pcq_test_run_summary (run);
}

void
hostile_interrupt (PcqTestRun *run)
{
  /* The second Ctrl+C interrupts running tasks too. */
  g_subprocess_send_signal (pcq_test_run_get_process (run), SIGINT);
  pcq_test_spin (100);
  g_subprocess_send_signal (pcq_test_run_get_process (run), SIGINT);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GPtrArray *
hostile_list_out (HostileCtx *ctx)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = g_dir_open (ctx->out, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);

  return names;
}

static char *
join_names (GPtrArray *names)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *escaped = g_strescape (g_ptr_array_index (names, i), NULL);

      g_string_append_printf (text, "%s\"%s\"", i > 0 ? ", " : "", escaped);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

void
hostile_assert_out (HostileCtx *ctx,
                    ...)
{
  g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) have = hostile_list_out (ctx);
  g_autofree char *want_text = NULL;
  g_autofree char *have_text = NULL;
  const char *name;
  va_list args;

  va_start (args, ctx);
  while ((name = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (want, g_strdup (name));
  va_end (args);
  g_ptr_array_sort (want, compare_strings);

  want_text = join_names (want);
  have_text = join_names (have);
  g_assert_cmpstr (have_text, ==, want_text);
}

/* C0 (but newline and tab), DEL, C1, and the bidi format characters. */
static gboolean
is_hostile_char (gunichar c)
{
  return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c <= 0x9f) ||
         c == 0x200e || c == 0x200f || c == 0x061c || (c >= 0x202a && c <= 0x202e) ||
         (c >= 0x2066 && c <= 0x2069);
}

void
hostile_assert_clean_text (const char *what,
                           const char *text)
{
  const char *end = NULL;

  if (text == NULL)
    return;

  if (!g_utf8_validate (text, -1, &end))
    g_error ("%s is not UTF-8 at byte %" G_GSIZE_FORMAT, what, (gsize) (end - text));

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_hostile_char (c))
        {
          g_autofree char *escaped = g_strescape (text, NULL);

          g_error ("%s holds control character U+%04X at byte %" G_GSIZE_FORMAT ": %s",
                   what, c, (gsize) (p - text), escaped);
        }
    }
}

void
hostile_assert_error_json (PcqTestRun *run)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = g_strsplit (pcq_test_run_get_stdout (run), "\n", -1);
  const char *members[] = { "done", "failed", "cancelled", "left", "bytes", "seconds" };
  const char *last = NULL;
  JsonNode *error_node;
  JsonObject *object;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (*lines[i] != '\0')
        last = lines[i];
    }
  if (last == NULL)
    g_error ("exit 2 printed no JSON on stdout (issue 11, item 10)");

  json_parser_load_from_data (parser, last, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  object = json_node_get_object (json_parser_get_root (parser));
  error_node = json_object_get_member (object, "error");
  g_assert_nonnull (error_node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (error_node));
  g_assert_true (json_node_get_value_type (error_node) == G_TYPE_STRING);
  g_assert_cmpstr (json_node_get_string (error_node), !=, "");
  /* The rest of the summary is there too. */
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      if (!json_object_has_member (object, members[i]))
        g_error ("the summary of exit 2 has no \"%s\"", members[i]);
    }
}

/* The store */

static void
row_free (gpointer data)
{
  HostileRow *row = data;

  g_free (row->url);
  g_free (row->name);
  g_free (row->error);
  g_free (row->output_path);
  g_free (row->prompt);
  g_free (row);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           i)
{
  const unsigned char *text = sqlite3_column_text (stmt, i);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

GPtrArray *
hostile_store_rows (HostileCtx *ctx)
{
  g_autofree char *path = hostile_store_path (ctx);
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT id, url, name, state, bytes, error, output_path,"
                                           " prompt FROM jobs ORDER BY id", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      HostileRow *row = g_new0 (HostileRow, 1);

      row->id = sqlite3_column_int64 (stmt, 0);
      row->url = column_text (stmt, 1);
      row->name = column_text (stmt, 2);
      row->state = sqlite3_column_int (stmt, 3);
      row->bytes = sqlite3_column_int64 (stmt, 4);
      row->error = column_text (stmt, 5);
      row->output_path = column_text (stmt, 6);
      row->prompt = column_text (stmt, 7);
      pcq_test_note ("store: id %" G_GINT64_FORMAT " state %d bytes %" G_GINT64_FORMAT
                     " name %s output_path %s error %s", row->id, row->state, row->bytes,
                     row->name, row->output_path, row->error);
      g_ptr_array_add (rows, row);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return rows;
}

void
hostile_assert_store_sane (HostileCtx *ctx,
                           GPtrArray  *rows)
{
  for (guint i = 0; i < rows->len; i++)
    {
      HostileRow *row = g_ptr_array_index (rows, i);

      hostile_assert_clean_text ("stored url", row->url);
      hostile_assert_clean_text ("stored error", row->error);
      /* row->name is the name an input line asked for, as given: what
       * counts is output_path. */
      if (row->output_path != NULL)
        {
          g_autofree char *dir = g_path_get_dirname (row->output_path);
          g_autofree char *base = g_path_get_basename (row->output_path);

          hostile_assert_clean_text ("stored output_path", row->output_path);
          g_assert_cmpstr (dir, ==, ctx->out);
          g_assert_cmpstr (base, !=, ".");
          g_assert_cmpstr (base, !=, "..");
        }
    }
}

HostileRow *
hostile_assert_one_row (HostileCtx  *ctx,
                        GPtrArray   *rows,
                        PcqJobState  state)
{
  HostileRow *row;

  hostile_assert_store_sane (ctx, rows);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpint (row->state, ==, state);
  if (state == PCQ_JOB_FAILED)
    g_assert_nonnull (row->error);
  return row;
}

/* Isolated cases: each runs in its own process, so that one that fails
 * (or hangs) does not take the others with it. */

typedef struct
{
  GTestDataFunc  func;
  GTestFunc      simple;
  gconstpointer  data;
  guint          timeout_s;
} IsolatedCase;

static void
run_isolated (gconstpointer data)
{
  const IsolatedCase *c = data;
  g_autofree char *root = NULL;
  g_autofree char *notes_name = NULL;
  g_autofree char *notes = NULL;
  g_autofree char *contents = NULL;

  if (g_test_subprocess ())
    {
      if (c->simple != NULL)
        c->simple ();
      else
        c->func (c->data);
      return;
    }

  /* Where pcq_test_make_tmpdir () and pcq_test_note () put a case's
   * folders and notes (see pcq-test-util.c). */
  root = g_strdup_printf ("%s/pcq-test-%d", g_get_tmp_dir (), (int) getpid ());
  notes_name = g_strdup (g_test_get_path ());
  g_strdelimit (notes_name, "/", '_');
  notes = g_strdup_printf ("%s/pcq-test-notes-%d%s", g_get_tmp_dir (), (int) getpid (), notes_name);
  g_unlink (notes);

  g_test_trap_subprocess (NULL, (guint64) c->timeout_s * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  if (g_test_trap_reached_timeout ())
    g_test_message ("the case was killed after %u s", c->timeout_s);
  if (!g_test_trap_has_passed () && g_file_get_contents (notes, &contents, NULL, NULL))
    {
      g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);

      g_test_message ("notes of the failed case:");
      for (guint i = 0; lines[i] != NULL; i++)
        g_test_message ("  %s", lines[i]);
    }
  g_unlink (notes);
  pcq_test_rm_rf (root);

  g_test_trap_assert_passed ();
}

/* GLib frees a case's data only when the case runs, and an isolated
 * case's own process runs just that one: keep them all here, for the
 * life of the process, or LeakSanitizer reports the others. */
static IsolatedCase *
new_case (void)
{
  static GPtrArray *cases;
  IsolatedCase *c = g_new0 (IsolatedCase, 1);

  if (cases == NULL)
    cases = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (cases, c);
  return c;
}

void
hostile_add (const char    *path,
             GTestDataFunc  func,
             gconstpointer  data,
             guint          timeout_s)
{
  IsolatedCase *c = new_case ();

  c->func = func;
  c->data = data;
  c->timeout_s = timeout_s;
  g_test_add_data_func (path, c, run_isolated);
}

void
hostile_add_simple (const char *path,
                    GTestFunc   func,
                    guint       timeout_s)
{
  IsolatedCase *c = new_case ();

  c->simple = func;
  c->timeout_s = timeout_s;
  g_test_add_data_func (path, c, run_isolated);
}

/* The raw server */

struct _HostileRaw
{
  GSocket        *listener;
  guint16         port;
  HostileRawFunc  func;
  gpointer        data;
  GCancellable   *cancellable;
  GThread        *accept_thread;
  GMutex          lock;
  GCond           cond;
  gboolean        stopping;
  GPtrArray      *threads;
  GHashTable     *counts;   /* path → count */
  guint           total;
};

static gboolean
read_head (HostileRaw *raw,
           GSocket    *socket,
           GString    *head)
{
  char buf[4096];

  while (strstr (head->str, "\r\n\r\n") == NULL && head->len < 1024 * 1024)
    {
      gssize n = g_socket_receive (socket, buf, sizeof buf - 1, raw->cancellable, NULL);

      if (n <= 0)
        return FALSE;
      g_string_append_len (head, buf, n);
    }

  return TRUE;
}

static gpointer
conn_thread (gpointer data)
{
  HostileConn *conn = data;
  HostileRaw *raw = conn->raw;
  g_autoptr(GString) head = g_string_new (NULL);

  if (read_head (raw, conn->socket, head))
    {
      g_auto(GStrv) words = g_strsplit (head->str, " ", 3);
      guint *count;

      g_autofree char *lower = g_ascii_strdown (head->str, -1);
      const char *length = strstr (lower, "\r\ncontent-length:");
      const char *end = strstr (head->str, "\r\n\r\n") + 4;
      gsize want = length != NULL ? g_ascii_strtoull (length + 17, NULL, 10) : 0;
      gsize have = head->len - (end - head->str);
      char buf[4096];

      /* Read a POST's body, so that closing does not reset the
       * connection under the answer. */
      while (have < want && want < 16 * 1024 * 1024)
        {
          gssize n = g_socket_receive (conn->socket, buf, sizeof buf, raw->cancellable, NULL);

          if (n <= 0)
            break;
          have += n;
        }

      conn->headers = g_strdup (head->str);
      conn->path = g_strdup (words[0] != NULL && words[1] != NULL ? words[1] : "");
      g_mutex_lock (&raw->lock);
      count = g_hash_table_lookup (raw->counts, conn->path);
      if (count == NULL)
        {
          count = g_new0 (guint, 1);
          g_hash_table_insert (raw->counts, g_strdup (conn->path), count);
        }
      conn->nth = (*count)++;
      raw->total++;
      g_mutex_unlock (&raw->lock);

      raw->func (conn);
    }

  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
  g_socket_close (conn->socket, NULL);
  g_object_unref (conn->socket);
  g_free (conn->path);
  g_free (conn->headers);
  g_free (conn);

  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  HostileRaw *raw = data;

  for (;;)
    {
      GSocket *socket = g_socket_accept (raw->listener, raw->cancellable, NULL);
      HostileConn *conn;

      if (socket == NULL)
        break;

      conn = g_new0 (HostileConn, 1);
      conn->raw = raw;
      conn->socket = socket;
      conn->data = raw->data;
      g_mutex_lock (&raw->lock);
      g_ptr_array_add (raw->threads, g_thread_new ("hostile-conn", conn_thread, conn));
      g_mutex_unlock (&raw->lock);
    }

  return NULL;
}

HostileRaw *
hostile_raw_new (HostileRawFunc func,
                 gpointer       data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  HostileRaw *raw = g_new0 (HostileRaw, 1);

  raw->func = func;
  raw->data = data;
  raw->cancellable = g_cancellable_new ();
  raw->threads = g_ptr_array_new ();
  raw->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&raw->lock);
  g_cond_init (&raw->cond);

  raw->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                &error);
  g_assert_no_error (error);
  g_socket_bind (raw->listener, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (raw->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (raw->listener, &error);
  g_assert_no_error (error);
  raw->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  raw->accept_thread = g_thread_new ("hostile-accept", accept_thread, raw);
  return raw;
}

void
hostile_raw_free (HostileRaw *raw)
{
  g_mutex_lock (&raw->lock);
  raw->stopping = TRUE;
  g_cond_broadcast (&raw->cond);
  g_mutex_unlock (&raw->lock);
  g_cancellable_cancel (raw->cancellable);
  g_thread_join (raw->accept_thread);
  g_socket_close (raw->listener, NULL);

  /* No new threads now. */
  for (guint i = 0; i < raw->threads->len; i++)
    g_thread_join (g_ptr_array_index (raw->threads, i));

  g_ptr_array_unref (raw->threads);
  g_hash_table_unref (raw->counts);
  g_object_unref (raw->listener);
  g_object_unref (raw->cancellable);
  g_mutex_clear (&raw->lock);
  g_cond_clear (&raw->cond);
  g_free (raw);
}

char *
hostile_raw_url (HostileRaw *raw,
                 const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", raw->port, path);
}

guint16
hostile_raw_port (HostileRaw *raw)
{
  return raw->port;
}

guint
hostile_raw_count (HostileRaw *raw)
{
  guint total;

  g_mutex_lock (&raw->lock);
  total = raw->total;
  g_mutex_unlock (&raw->lock);
  return total;
}

gboolean
hostile_conn_send (HostileConn *conn,
                   const void  *buf,
                   gssize       len)
{
  const char *p = buf;
  gsize left = len < 0 ? strlen (buf) : (gsize) len;

  while (left > 0)
    {
      gssize n = g_socket_send (conn->socket, p, left, conn->raw->cancellable, NULL);

      if (n <= 0)
        return FALSE;
      p += n;
      left -= n;
    }

  return TRUE;
}

gboolean
hostile_conn_sendf (HostileConn *conn,
                    const char  *format,
                    ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  return hostile_conn_send (conn, text, -1);
}

gboolean
hostile_conn_sleep (HostileConn *conn,
                    guint        ms)
{
  HostileRaw *raw = conn->raw;
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  gboolean stopping;

  g_mutex_lock (&raw->lock);
  while (!raw->stopping && g_cond_wait_until (&raw->cond, &raw->lock, end))
    ;
  stopping = raw->stopping;
  g_mutex_unlock (&raw->lock);

  return !stopping;
}

void
hostile_conn_wait_closed (HostileConn *conn,
                          guint        max_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) max_ms * 1000;
  char buf[1024];

  g_socket_set_blocking (conn->socket, FALSE);
  while (g_get_monotonic_time () < end && hostile_conn_sleep (conn, 0))
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (!g_socket_condition_timed_wait (conn->socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                          50 * 1000, conn->raw->cancellable, &error) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        break;
      if (error != NULL)
        continue;
      n = g_socket_receive (conn->socket, buf, sizeof buf, NULL, NULL);
      if (n == 0 || (n < 0))
        break;
    }
  g_socket_set_blocking (conn->socket, TRUE);
}
