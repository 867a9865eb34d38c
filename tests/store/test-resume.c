/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Resume of partial downloads, end to end: `pcq --headless` is killed
 * (SIGKILL) in the middle of a download, then run again with --resume.
 * With a server that honours Range + If-Range it must fetch only the
 * rest (a 206 from the part file's size); with one that ignores ranges,
 * changed the file, or answers with the wrong part, it must start from
 * zero. Every way, the file must end up byte-identical.
 *
 * Between the two runs an attacker (or another program) may plant
 * something at the part file's path or the final name: the second run
 * never adopts, follows or replaces what Pcq did not write. And a crash
 * just after the finished file was put in place is recognised: the
 * file is the job's own (the part file it made), so the job is done. */

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pcq-job.h"
#include "store-support.h"

#define FILE_SIZE   (3 * 1024 * 1024 + 517)
#define STALL_AT    (1024 * 1024 + 12345)   /* the first run gets this far */
#define FILE_SEED   77
#define FILE_NAME   "big file.bin"
#define RUN_MS      30000

typedef enum
{
  SERVER_RANGES_ETAG,
  SERVER_RANGES_LAST_MODIFIED,
  SERVER_NO_RANGES,
  SERVER_FILE_CHANGED,
  SERVER_WRONG_RANGE,
  PLANTED_PART_FILE,       /* a copy of the part, another file */
  PLANTED_PART_SYMLINK,    /* a symlink to a file outside */
  PLANTED_PART_FIFO,
  PLANTED_FINAL_FILE,      /* the final name is recorded, and taken */
  FINISHED_BEFORE_CRASH,   /* the file was in place; "done" was not stored */
  CHECKSUM_RIGHT,          /* as SERVER_RANGES_ETAG, with the file's SHA-256 given */
  CHECKSUM_WRONG,          /* the same with another SHA-256: fails after the resume */
} Scenario;

typedef struct
{
  char        *tmp;
  StoreHome   *home;
  StoreServer *server;
  char        *url;
  char        *url_path;
  char        *final_path;
  char        *part_path;
  char        *outside_path;  /* a file outside the output folder */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GUri) uri = NULL;

  f->tmp = pcq_test_make_tmpdir ("pcq-resume-XXXXXX");
  f->home = store_home_new (f->tmp);
  f->server = store_server_new ();
  f->url = store_server_file_url (f->server, FILE_SEED, FILE_SIZE, "big%20file.bin");
  /* The server logs paths as its handlers get them: decoded. */
  uri = g_uri_parse (f->url, G_URI_FLAGS_NONE, NULL);
  f->url_path = g_strdup (g_uri_get_path (uri));
  f->final_path = g_build_filename (f->home->out, FILE_NAME, NULL);
  f->outside_path = g_build_filename (f->tmp, "outside.bin", NULL);
}

/* A part file is named after its job, not its final name: the one
 * part file in the output folder, once there is one. */
static const char *
find_part (Fixture *f)
{
  if (f->part_path == NULL)
    f->part_path = pcq_test_find_part_file (f->home->out);

  return f->part_path;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->server, store_server_free);
  pcq_test_rm_rf (f->tmp);
  g_free (f->tmp);
  store_home_free (f->home);
  g_free (f->url);
  g_free (f->url_path);
  g_free (f->final_path);
  g_free (f->part_path);
  g_free (f->outside_path);
}

typedef struct
{
  Fixture *f;
  char    *validator;  /* what the store recorded */
} Interrupted;

/* The first run has written all it will get, and the store knows the
 * part file's validator: the moment to kill it. (The final name is
 * recorded only when the file is complete.) */
static gboolean
part_ready (gpointer data)
{
  Interrupted *state = data;
  Fixture *f = state->f;
  g_autoptr(GPtrArray) rows = NULL;
  StoreRow *row;

  if (find_part (f) == NULL || store_file_size (f->part_path) != STALL_AT)
    return FALSE;

  rows = store_db_read_rows (f->home->store_path);
  if (rows == NULL || rows->len != 1)
    return FALSE;

  row = g_ptr_array_index (rows, 0);
  if (row->validator == NULL)
    return FALSE;

  g_free (state->validator);
  state->validator = g_strdup (row->validator);
  return TRUE;
}

static void
assert_summary (StoreProc *proc,
                gint64     done,
                gint64     bytes)
{
  g_autofree char *out = store_proc_read_stdout (proc);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (out), "\n", -1);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *summary;
  guint n = g_strv_length (lines);

  g_assert_cmpuint (n, >, 0);
  json_parser_load_from_data (parser, lines[n - 1], -1, &error);
  g_assert_no_error (error);
  summary = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (summary, "done"), ==, done);
  g_assert_cmpint (json_object_get_int_member (summary, "failed"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (summary, "cancelled"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (summary, "bytes"), ==, bytes);
}

static void
assert_exit (StoreProc *proc,
             int        status)
{
  if (proc->status != status)
    {
      g_autofree char *err = store_proc_read_stderr (proc);

      g_test_message ("pcq stderr:\n%s", err);
    }
  g_assert_cmpint (proc->status, ==, status);
}

/* The store keeps which part file the job made ("DEV:INO:BIRTH"), then the
 * server's validator. */
static const char *
server_validator (const char *resume)
{
  const char *space = strchr (resume, ' ');

  g_assert_nonnull (space);
  return space + 1;
}

static void
write_content (const char *path,
               guint32     seed,
               gsize       size)
{
  g_autofree guint8 *buf = g_malloc (size);

  store_content_fill (seed, 0, buf, size);
  g_assert_true (g_file_set_contents (path, (const char *) buf, size, NULL));
}

static char *
sql_quote (const char *text)
{
  g_autoptr(GString) quoted = g_string_new (text);

  g_string_replace (quoted, "'", "''", 0);
  return g_string_free (g_steal_pointer (&quoted), FALSE);
}

/* What lies in the output folder after the crash, changed as the
 * scenario wants. */
static void
plant (Fixture  *f,
       Scenario  scenario)
{
  g_autofree char *quoted = sql_quote (f->final_path);
  g_autofree char *sql = g_strdup_printf ("UPDATE jobs SET output_path = '%s'", quoted);

  switch (scenario)
    {
    case PLANTED_PART_FILE:
      /* Same bytes, another file: still not Pcq's. */
      g_assert_cmpint (g_unlink (f->part_path), ==, 0);
      write_content (f->part_path, FILE_SEED, STALL_AT);
      break;

    case PLANTED_PART_SYMLINK:
      write_content (f->outside_path, FILE_SEED, STALL_AT);
      g_assert_cmpint (g_unlink (f->part_path), ==, 0);
      g_assert_cmpint (symlink (f->outside_path, f->part_path), ==, 0);
      break;

    case PLANTED_PART_FIFO:
      g_assert_cmpint (g_unlink (f->part_path), ==, 0);
      g_assert_cmpint (mkfifo (f->part_path, 0600), ==, 0);
      break;

    case PLANTED_FINAL_FILE:
      /* The name was committed (as it is when the name is chosen), then
       * something else took it. */
      g_assert_true (store_db_exec (f->home->store_path, sql));
      g_assert_true (g_file_set_contents (f->final_path, "not Pcq's", -1, NULL));
      break;

    case FINISHED_BEFORE_CRASH:
      {
        /* The part file, complete, renamed into place (keeping its
         * identity), the name committed; "done" never was. */
        g_autofree guint8 *rest = g_malloc (FILE_SIZE - STALL_AT);
        g_autoptr(GFile) part = g_file_new_for_path (f->part_path);
        g_autoptr(GFileOutputStream) out = g_file_append_to (part, G_FILE_CREATE_NONE, NULL, NULL);

        store_content_fill (FILE_SEED, STALL_AT, rest, FILE_SIZE - STALL_AT);
        g_assert_nonnull (out);
        g_assert_true (g_output_stream_write_all (G_OUTPUT_STREAM (out), rest, FILE_SIZE - STALL_AT,
                                                  NULL, NULL, NULL));
        g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL));
        g_assert_true (store_db_exec (f->home->store_path, sql));
        g_assert_cmpint (g_rename (f->part_path, f->final_path), ==, 0);
      }
      break;

    case SERVER_RANGES_ETAG:
    case SERVER_RANGES_LAST_MODIFIED:
    case SERVER_NO_RANGES:
    case SERVER_FILE_CHANGED:
    case SERVER_WRONG_RANGE:
    case CHECKSUM_RIGHT:
    case CHECKSUM_WRONG:
    default:
      break;
    }
}

static void
check_planted (Fixture   *f,
               Scenario   scenario,
               StoreProc *second)
{
  g_autoptr(GPtrArray) requests = store_server_dup_requests (f->server, f->url_path);
  g_autoptr(GPtrArray) names = pcq_test_list_dir (f->home->out);
  g_autofree char *other = g_build_filename (f->home->out, "big file (1).bin", NULL);
  g_autofree char *planted = NULL;
  StoreRequest *request;
  GStatBuf st;

  g_assert_cmpint (store_db_query_int (f->home->store_path, "SELECT state FROM jobs"),
                   ==, PCQ_JOB_DONE);

  switch (scenario)
    {
    case PLANTED_PART_FILE:
    case PLANTED_PART_SYMLINK:
    case PLANTED_PART_FIFO:
      /* Not adopted: the whole file again, without a Range. */
      assert_summary (second, 1, FILE_SIZE);
      g_assert_cmpuint (requests->len, ==, 2);
      request = g_ptr_array_index (requests, 1);
      g_assert_cmpint (request->range_start, ==, -1);
      g_assert_cmpuint (request->status, ==, 200);
      g_assert_true (request->complete);
      g_assert_cmpint (g_lstat (f->final_path, &st), ==, 0);
      g_assert_true (S_ISREG (st.st_mode));
      store_assert_content (f->final_path, FILE_SEED, FILE_SIZE);
      g_assert_cmpuint (names->len, ==, 1);
      if (scenario == PLANTED_PART_SYMLINK)
        store_assert_content (f->outside_path, FILE_SEED, STALL_AT);
      break;

    case PLANTED_FINAL_FILE:
      /* Resumed (the part is Pcq's), and put under the next free name:
       * the file at the recorded name stays as it was. */
      g_assert_cmpuint (requests->len, ==, 2);
      request = g_ptr_array_index (requests, 1);
      g_assert_cmpint (request->range_start, ==, STALL_AT);
      g_assert_cmpuint (request->status, ==, 206);
      g_assert_true (g_file_get_contents (f->final_path, &planted, NULL, NULL));
      g_assert_cmpstr (planted, ==, "not Pcq's");
      store_assert_content (other, FILE_SEED, FILE_SIZE);
      g_assert_cmpuint (names->len, ==, 2);
      break;

    case FINISHED_BEFORE_CRASH:
      /* Recognised as the job's own result: nothing asked again. */
      g_assert_cmpuint (requests->len, ==, 1);
      store_assert_content (f->final_path, FILE_SEED, FILE_SIZE);
      g_assert_cmpuint (names->len, ==, 1);
      break;

    case SERVER_RANGES_ETAG:
    case SERVER_RANGES_LAST_MODIFIED:
    case SERVER_NO_RANGES:
    case SERVER_FILE_CHANGED:
    case SERVER_WRONG_RANGE:
    case CHECKSUM_RIGHT:
    case CHECKSUM_WRONG:
    default:
      g_assert_not_reached ();
    }
}

/* An input file with one line: the URL and the SHA-256 of the content
 * made with @seed (or of another, for a wrong one). */
static char *
write_checked_input (Fixture *f,
                     guint32  seed)
{
  g_autofree guint8 *data = g_malloc (FILE_SIZE);
  g_autofree char *sha256 = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->tmp, "checked.jsonl", NULL);

  store_content_fill (seed, 0, data, FILE_SIZE);
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, FILE_SIZE);
  line = g_strdup_printf ("{\"url\": \"%s\", \"sha256\": \"%s\"}\n", f->url, sha256);
  g_file_set_contents (path, line, -1, &error);
  g_assert_no_error (error);

  return path;
}

/* The digest was kept with the job, and checked after the resume: the
 * file that does not match never takes its name, and no part is left. */
static void
check_wrong_checksum (Fixture   *f,
                      StoreProc *second)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  StoreRow *row;

  assert_exit (second, 1);
  names = pcq_test_list_dir (f->home->out);
  g_assert_cmpuint (names->len, ==, 0);

  requests = store_server_dup_requests (f->server, f->url_path);
  g_assert_cmpuint (requests->len, ==, 2);
  g_assert_cmpint (((StoreRequest *) g_ptr_array_index (requests, 1))->range_start, ==, STALL_AT);

  rows = store_db_read_rows (f->home->store_path);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpint (row->state, ==, PCQ_JOB_FAILED);
  g_assert_cmpint (store_db_query_int (f->home->store_path,
                                       "SELECT count(*) FROM jobs"
                                       " WHERE error LIKE 'Checksum mismatch (expected %'"), ==, 1);
}

static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  Scenario scenario = GPOINTER_TO_INT (data);
  g_autofree char *input = NULL;
  const char *first_args[] = { "-j", "1", f->url, NULL, NULL };
  const char * const resume_args[] = { "--resume", NULL };
  g_autoptr(StoreProc) first = NULL;
  g_autoptr(StoreProc) second = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GPtrArray) names = NULL;
  Interrupted interrupted = { f, NULL };
  StoreRequest *request;
  guint32 seed = FILE_SEED;
  gint64 sent_again;

  switch (scenario)
    {
    case SERVER_RANGES_LAST_MODIFIED:
      store_server_set_validator (f->server, STORE_VALIDATOR_LAST_MODIFIED);
      break;
    case SERVER_NO_RANGES:
      store_server_set_ranges (f->server, STORE_RANGES_IGNORE);
      break;
    case SERVER_RANGES_ETAG:
    case SERVER_FILE_CHANGED:
    case SERVER_WRONG_RANGE:
    case PLANTED_PART_FILE:
    case PLANTED_PART_SYMLINK:
    case PLANTED_PART_FIFO:
    case PLANTED_FINAL_FILE:
    case FINISHED_BEFORE_CRASH:
    default:
      break;
    case CHECKSUM_RIGHT:
    case CHECKSUM_WRONG:
      input = write_checked_input (f, scenario == CHECKSUM_RIGHT ? FILE_SEED : FILE_SEED + 1);
      first_args[2] = "-i";
      first_args[3] = input;
      break;
    }

  /* Run 1: the server sends STALL_AT bytes and then nothing. */
  store_server_set_stall_after (f->server, STALL_AT);
  first = store_proc_start (f->home, "first", first_args);
  if (!store_wait_until (part_ready, &interrupted, RUN_MS, 10))
    {
      g_autofree char *err = store_proc_read_stderr (first);

      g_error ("the first run never got %d bytes into %s (it has %" G_GINT64_FORMAT ");"
               " stderr:\n%s", STALL_AT, f->part_path, f->part_path ? store_file_size (f->part_path) : -1, err);
    }
  store_proc_kill (first);
  g_assert_true (store_proc_wait (first, RUN_MS));
  g_assert_true (first->signalled);

  /* What a crash leaves: the part file, no final file. */
  g_assert_cmpint (store_file_size (f->part_path), ==, STALL_AT);
  g_assert_false (g_file_test (f->final_path, G_FILE_TEST_EXISTS));
  g_test_message ("killed with %d bytes in the part file; validator %s",
                  STALL_AT, interrupted.validator);

  plant (f, scenario);

  /* Run 2, with the server as the scenario wants it. */
  store_server_set_stall_after (f->server, -1);
  if (scenario == SERVER_FILE_CHANGED)
    {
      store_server_set_version (f->server, 1);
      seed = store_server_content_seed (f->server, FILE_SEED);
    }
  else if (scenario == SERVER_WRONG_RANGE)
    store_server_set_ranges (f->server, STORE_RANGES_WRONG_START);

  second = store_proc_start (f->home, "second", resume_args);
  g_assert_true (store_proc_wait (second, RUN_MS));

  if (scenario == CHECKSUM_WRONG)
    {
      check_wrong_checksum (f, second);
      g_free (interrupted.validator);
      return;
    }

  assert_exit (second, 0);

  if (scenario >= PLANTED_PART_FILE && scenario <= FINISHED_BEFORE_CRASH)
    {
      check_planted (f, scenario, second);
      g_free (interrupted.validator);
      return;
    }

  assert_summary (second, 1, FILE_SIZE);

  /* The file is whole and right, alone, without its part file. */
  store_assert_content (f->final_path, seed, FILE_SIZE);
  names = pcq_test_list_dir (f->home->out);
  g_assert_cmpuint (names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, FILE_NAME);
  g_assert_cmpint (store_db_query_int (f->home->store_path, "SELECT state FROM jobs"),
                   ==, PCQ_JOB_DONE);

  requests = store_server_dup_requests (f->server, f->url_path);
  g_assert_cmpuint (requests->len, >=, 2);

  request = g_ptr_array_index (requests, 0);
  g_assert_cmpint (request->range_start, ==, -1);
  g_assert_cmpuint (request->status, ==, 200);
  g_assert_cmpint (request->bytes_written, ==, STALL_AT);

  /* The run after the crash asks for the rest of what it has, if it is
   * still the same file. */
  request = g_ptr_array_index (requests, 1);
  g_assert_cmpint (request->range_start, ==, STALL_AT);
  g_assert_cmpstr (request->if_range, ==, server_validator (interrupted.validator));

  switch (scenario)
    {
    case SERVER_RANGES_ETAG:
    case SERVER_RANGES_LAST_MODIFIED:
    case CHECKSUM_RIGHT:
      /* The 206 path: only the rest went over the wire (and with a
       * digest, it was kept with the job, and matched). */
      if (scenario == CHECKSUM_RIGHT)
        g_assert_cmpint (store_db_query_int (f->home->store_path, "SELECT length(sha256) FROM jobs"),
                         ==, 64);
      g_assert_cmpuint (requests->len, ==, 2);
      g_assert_cmpuint (request->status, ==, 206);
      g_assert_cmpint (request->first_byte, ==, STALL_AT);
      g_assert_true (request->complete);
      sent_again = store_server_bytes_written (f->server, f->url_path) - STALL_AT;
      g_assert_cmpint (sent_again, ==, FILE_SIZE - STALL_AT);
      g_assert_cmpint (sent_again, <, FILE_SIZE);
      break;

    case SERVER_NO_RANGES:
    case SERVER_FILE_CHANGED:
      /* A 200: the whole file again, from zero. */
      g_assert_cmpuint (requests->len, ==, 2);
      g_assert_cmpuint (request->status, ==, 200);
      g_assert_true (request->complete);
      g_assert_cmpint (request->bytes_written, ==, FILE_SIZE);
      break;

    case SERVER_WRONG_RANGE:
      /* A 206 that does not start at the part's end is refused; the
       * next attempt starts from zero, without a Range. */
      g_assert_cmpuint (request->status, ==, 206);
      g_assert_cmpint (request->first_byte, !=, STALL_AT);
      g_assert_cmpuint (requests->len, ==, 3);
      request = g_ptr_array_index (requests, 2);
      g_assert_cmpint (request->range_start, ==, -1);
      g_assert_cmpuint (request->status, ==, 200);
      g_assert_true (request->complete);
      break;

    case PLANTED_PART_FILE:
    case PLANTED_PART_SYMLINK:
    case PLANTED_PART_FIFO:
    case PLANTED_FINAL_FILE:
    case FINISHED_BEFORE_CRASH:
    case CHECKSUM_WRONG:
    default:
      g_assert_not_reached ();
    }

  g_free (interrupted.validator);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, scenario) \
  g_test_add ("/store/resume/" path, Fixture, GINT_TO_POINTER (scenario), \
              fixture_setup, test_resume, fixture_teardown)

  ADD ("range-etag", SERVER_RANGES_ETAG);
  ADD ("range-last-modified", SERVER_RANGES_LAST_MODIFIED);
  ADD ("no-range-support", SERVER_NO_RANGES);
  ADD ("file-changed", SERVER_FILE_CHANGED);
  ADD ("wrong-range", SERVER_WRONG_RANGE);
  ADD ("planted-part-file", PLANTED_PART_FILE);
  ADD ("planted-part-symlink", PLANTED_PART_SYMLINK);
  ADD ("planted-part-fifo", PLANTED_PART_FIFO);
  ADD ("planted-final-file", PLANTED_FINAL_FILE);
  ADD ("finished-before-crash", FINISHED_BEFORE_CRASH);
  ADD ("checksum-right", CHECKSUM_RIGHT);
  ADD ("checksum-wrong", CHECKSUM_WRONG);

#undef ADD

  return g_test_run ();
}
