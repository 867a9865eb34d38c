/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Crash safety, end to end: `pcq --headless` downloads 200 files from a
 * slow loopback server and is killed with SIGKILL at pseudo-random
 * moments, several times, then run again with --resume (the URLs are
 * given to the first run only). In the end every job must be done
 * exactly once, every file complete and right under its own name, with
 * no part file and no "name (1)" left behind.
 *
 * The kill moments come from a seed that is logged; set PCQ_CRASH_SEED
 * to run the same moments again. */

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "pcq-job.h"
#include "store-support.h"

#define N_FILES        200
#define MIN_SIZE       (2 * 1024)
#define MAX_SIZE       (300 * 1024)
#define CHUNK          4096
#define CHUNK_DELAY_MS 4
#define JOBS           "4"
#define ACCEPT_MS      20000   /* the first run must commit its 200 jobs in this */
#define FINAL_RUN_MS   60000

typedef struct
{
  guint32  seed;
  gsize    size;
  char    *name;
  char    *url;
  char    *path;   /* as the server's handler sees it */
} File;

typedef struct
{
  char        *tmp;
  StoreHome   *home;
  StoreServer *server;
  File         files[N_FILES];
  char        *list_path;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (200);
  g_autoptr(GString) list = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  double log_min = log ((double) MIN_SIZE);
  double log_max = log ((double) MAX_SIZE);

  f->tmp = pcq_test_make_tmpdir ("pcq-crash-XXXXXX");
  f->home = store_home_new (f->tmp);
  f->server = store_server_new ();
  store_server_set_pacing (f->server, CHUNK, CHUNK_DELAY_MS);

  /* Sizes spread evenly on a log scale: many small, some large. */
  for (guint i = 0; i < N_FILES; i++)
    {
      File *file = &f->files[i];

      file->seed = 1000 + i;
      file->size = exp (g_rand_double_range (rand, log_min, log_max));
      file->name = g_strdup_printf ("file-%03u.dat", i);
      file->url = store_server_file_url (f->server, file->seed, file->size, file->name);
      file->path = g_strdup_printf ("/f/%u/%" G_GSIZE_FORMAT "/%s",
                                    file->seed, file->size, file->name);
      g_string_append_printf (list, "%s\n", file->url);
    }

  f->list_path = g_build_filename (f->tmp, "urls.txt", NULL);
  g_file_set_contents (f->list_path, list->str, list->len, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->server, store_server_free);
  for (guint i = 0; i < N_FILES; i++)
    {
      g_free (f->files[i].name);
      g_free (f->files[i].url);
      g_free (f->files[i].path);
    }
  if (g_getenv ("PCQ_TEST_KEEP") != NULL)
    g_test_message ("kept %s", f->tmp);
  else
    pcq_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->list_path);
  store_home_free (f->home);
}

static gboolean
all_accepted (gpointer data)
{
  Fixture *f = data;

  return store_db_query_int (f->home->store_path, "SELECT count(*) FROM jobs") == N_FILES;
}

static const File *
file_for_url (Fixture    *f,
              const char *url)
{
  for (guint i = 0; i < N_FILES; i++)
    {
      if (g_strcmp0 (f->files[i].url, url) == 0)
        return &f->files[i];
    }

  return NULL;
}

static void
log_stderr (StoreProc  *proc,
            const char *what)
{
  g_autofree char *err = store_proc_read_stderr (proc);

  if (*err != '\0')
    g_test_message ("%s: pcq stderr:\n%s", what, err);
}

/* What the store says is done after a kill, with the number of
 * requests each of those files had had by then: none may follow. */
typedef struct
{
  guint run;
  guint n_done;
  guint requests[N_FILES];   /* G_MAXUINT: not done at that point */
} Snapshot;

static void
take_snapshot (Fixture  *f,
               guint     run,
               Snapshot *snapshot)
{
  g_autoptr(GPtrArray) rows = store_db_read_rows (f->home->store_path);

  snapshot->run = run;
  snapshot->n_done = 0;
  for (guint i = 0; i < N_FILES; i++)
    snapshot->requests[i] = G_MAXUINT;

  if (rows == NULL)
    return;  /* killed before the store was even there */

  for (guint i = 0; i < rows->len; i++)
    {
      StoreRow *row = g_ptr_array_index (rows, i);
      const File *file = file_for_url (f, row->url);

      g_assert_nonnull (file);
      if (row->state == PCQ_JOB_DONE)
        {
          snapshot->requests[file - f->files] = store_server_count_requests (f->server, file->path);
          snapshot->n_done++;
        }
    }
}

/* The folder: exactly the 200 names, nothing else (no part file, no
 * "name (1)"), every file complete and right. */
static void
check_folder (Fixture *f,
              GString *problems)
{
  g_autoptr(GPtrArray) names = pcq_test_list_dir (f->home->out);
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      gboolean known = FALSE;

      g_hash_table_add (present, (gpointer) name);
      for (guint j = 0; j < N_FILES && !known; j++)
        known = strcmp (name, f->files[j].name) == 0;
      if (!known)
        g_string_append_printf (problems, "unexpected %s in the output folder: “%s”\n",
                                g_str_has_suffix (name, ".pcq-part") ? "part file" :
                                strstr (name, " (") != NULL ? "duplicate name" : "file",
                                name);
    }

  for (guint i = 0; i < N_FILES; i++)
    {
      g_autofree char *path = g_build_filename (f->home->out, f->files[i].name, NULL);
      g_autofree char *why = NULL;

      if (!g_hash_table_contains (present, f->files[i].name))
        g_string_append_printf (problems, "missing from the output folder: “%s”\n",
                                f->files[i].name);
      else if (!store_content_matches (path, f->files[i].seed, f->files[i].size, &why))
        g_string_append_printf (problems, "wrong content in “%s”: %s\n", f->files[i].name, why);
    }
}

/* The store: every job once, done, under its own name. */
static void
check_store (Fixture *f,
             GString *problems)
{
  g_autoptr(GPtrArray) rows = store_db_read_rows (f->home->store_path);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (rows == NULL)
    {
      g_string_append (problems, "the store cannot be read\n");
      return;
    }

  if (rows->len != N_FILES)
    g_string_append_printf (problems, "the store has %u jobs instead of %d\n", rows->len, N_FILES);

  for (guint i = 0; i < rows->len; i++)
    {
      StoreRow *row = g_ptr_array_index (rows, i);
      const File *file = file_for_url (f, row->url);
      g_autofree char *expected_path = NULL;

      if (file == NULL)
        {
          g_string_append_printf (problems, "job %" G_GINT64_FORMAT " has an unknown URL %s\n",
                                  row->id, row->url);
          continue;
        }
      if (g_hash_table_contains (seen, row->url))
        g_string_append_printf (problems, "%s is in the store twice\n", file->name);
      g_hash_table_add (seen, row->url);

      expected_path = g_build_filename (f->home->out, file->name, NULL);
      if (row->state != PCQ_JOB_DONE)
        g_string_append_printf (problems,
                                "job %" G_GINT64_FORMAT " (%s) is in state %d, not done\n",
                                row->id, file->name, row->state);
      if (g_strcmp0 (row->output_path, expected_path) != 0)
        g_string_append_printf (problems, "job %" G_GINT64_FORMAT " (%s) ended as “%s”\n",
                                row->id, file->name, row->output_path);
    }
}

/* Done once: a job the store had as done was never fetched again. */
static void
check_done_once (Fixture        *f,
                 const Snapshot *snapshots,
                 guint           n_snapshots,
                 GString        *problems)
{
  for (guint k = 0; k < n_snapshots; k++)
    {
      for (guint i = 0; i < N_FILES; i++)
        {
          guint then = snapshots[k].requests[i];

          if (then != G_MAXUINT &&
              store_server_count_requests (f->server, f->files[i].path) != then)
            g_string_append_printf (problems, "%s was done after run %u, yet fetched again later\n",
                                    f->files[i].name, snapshots[k].run);
        }
    }
}

static void
test_crash_and_resume (Fixture       *f,
                       gconstpointer  data)
{
  const char * const first_args[] = { "-j", JOBS, "-i", f->list_path, NULL };
  const char * const resume_args[] = { "-j", JOBS, "--resume", NULL };
  const char *seed_env = g_getenv ("PCQ_CRASH_SEED");
  guint32 seed = seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10)
                                  : (guint32) g_get_real_time ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint n_kills = g_rand_int_range (rand, 4, 7);
  g_autofree Snapshot *snapshots = g_new0 (Snapshot, n_kills);
  g_autoptr(StoreProc) last = NULL;
  g_autoptr(GString) problems = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  JsonObject *summary;
  guint n_killed = 0;

  g_test_message ("seed %u (PCQ_CRASH_SEED=%u repeats it): %u kills", seed, seed, n_kills);

  for (guint run = 0; run < n_kills; run++)
    {
      g_autofree char *tag = g_strdup_printf ("run%u", run);
      g_autoptr(StoreProc) proc = NULL;
      guint delay_ms;
      gint64 started;

      proc = store_proc_start (f->home, tag, run == 0 ? first_args : resume_args);
      started = g_get_monotonic_time ();

      if (run == 0)
        {
          /* The list is given once: the jobs must be accepted (in the
           * store) before a kill, or they would be lost by design. */
          if (!store_wait_until (all_accepted, f, ACCEPT_MS, 5))
            {
              log_stderr (proc, tag);
              g_error ("the first run did not accept %d jobs in %d ms", N_FILES, ACCEPT_MS);
            }
          delay_ms = g_rand_int_range (rand, 0, 700);
        }
      else
        delay_ms = g_rand_int_range (rand, 30, 1200);

      /* Wait for the moment (or the end, if the work runs out first). */
      if (store_proc_wait (proc, delay_ms))
        {
          g_test_message ("%s ended by itself with status %d after %.3f s", tag, proc->status,
                          (g_get_monotonic_time () - started) / 1e6);
          if (proc->status != 0)
            log_stderr (proc, tag);
          g_assert_cmpint (proc->status, ==, 0);
        }
      else
        {
          store_proc_kill (proc);
          g_assert_true (store_proc_wait (proc, 10000));
          n_killed++;
        }

      take_snapshot (f, run, &snapshots[run]);
      g_test_message ("%s: %s after %.3f s (+%u ms), %u of %d done in the store", tag,
                      proc->signalled ? "killed" : "ended",
                      (g_get_monotonic_time () - started) / 1e6, delay_ms,
                      snapshots[run].n_done, N_FILES);
    }

  /* Not every run may have ended by itself: then nothing was tested. */
  g_assert_cmpuint (n_killed, >=, 2);

  last = store_proc_start (f->home, "final", resume_args);
  g_assert_true (store_proc_wait (last, FINAL_RUN_MS));
  if (last->status != 0)
    log_stderr (last, "final");
  g_assert_cmpint (last->status, ==, 0);

  out = store_proc_read_stdout (last);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >, 0);
  json_parser_load_from_data (parser, lines[g_strv_length (lines) - 1], -1, &error);
  g_assert_no_error (error);
  summary = json_node_get_object (json_parser_get_root (parser));
  g_test_message ("final run: %s", lines[g_strv_length (lines) - 1]);
  g_assert_cmpint (json_object_get_int_member (summary, "failed"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (summary, "cancelled"), ==, 0);

  /* Everything that is wrong, at once: one missing file says little
   * without the part file or "name (1)" that took its place. */
  problems = g_string_new (NULL);
  check_folder (f, problems);
  check_store (f, problems);
  check_done_once (f, snapshots, n_kills, problems);
  if (problems->len > 0)
    {
      g_auto(GStrv) list = g_strsplit (g_strchomp (problems->str), "\n", -1);
      g_autofree char *first = g_strdup_printf ("%u problem(s) after the crashes, the first: %s",
                                                g_strv_length (list), list[0]);

      /* Fails this test, and lets the others run. */
      for (guint i = 0; list[i] != NULL; i++)
        g_test_message ("%s", list[i]);
      g_test_fail_printf ("%s", first);
    }
}

/* A gate in the server: the first request waits until the test opens
 * it, so that the test can act while the job is known to be running. */
typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean seen;
  gboolean open;
} Gate;

static gint64
gate_hook (const char *path,
           gpointer    user_data)
{
  Gate *gate = user_data;
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&gate->lock);
  gate->seen = TRUE;
  g_cond_broadcast (&gate->cond);
  while (!gate->open && g_cond_wait_until (&gate->cond, &gate->lock, deadline))
    ;
  g_mutex_unlock (&gate->lock);

  return 0;
}

static gboolean
gate_seen (gpointer data)
{
  Gate *gate = data;
  gboolean seen;

  g_mutex_lock (&gate->lock);
  seen = gate->seen;
  g_mutex_unlock (&gate->lock);

  return seen;
}

static void
gate_open (Gate *gate)
{
  g_mutex_lock (&gate->lock);
  gate->open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

/* Where job @id of the headless store keeps its part file: named after
 * the store and the job (pcq_sink_part_path ()). */
static char *
part_path_for (Fixture *f,
               guint64  id)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                          f->home->store_path, -1);
  g_autofree char *name = g_strdup_printf (".%.8s-%" G_GUINT64_FORMAT ".pcq-part", digest, id);

  return g_build_filename (f->home->out, name, NULL);
}

/* The final name must be in the store before anything is written under
 * it (the part file included): a kill in between must not make the
 * re-run pick "name (1)" and leave the part file behind. The test
 * makes that moment last: it holds the store's write lock while the
 * job starts, so the name cannot be committed, and kills then. */
static void
test_kill_before_name_committed (Fixture       *f,
                                 gconstpointer  data)
{
  const File *file = &f->files[7];
  const char * const first_args[] = { file->url, NULL };
  const char * const resume_args[] = { "--resume", NULL };
  g_autofree char *part_path = part_path_for (f, 1);
  g_autofree char *final_path = g_build_filename (f->home->out, file->name, NULL);
  g_autoptr(StoreProc) first = NULL;
  g_autoptr(StoreProc) second = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  sqlite3 *db = NULL;
  gboolean part_seen;
  Gate gate = { 0 };

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  store_server_set_pacing (f->server, CHUNK, 0);
  store_server_set_stall_after (f->server, 0);   /* headers, then nothing */
  store_server_set_request_hook (f->server, gate_hook, &gate);

  first = store_proc_start (f->home, "first", first_args);
  /* The request arrives only after the job was accepted (committed). */
  g_assert_true (store_wait_until (gate_seen, &gate, ACCEPT_MS, 5));

  g_assert_cmpint (sqlite3_open_v2 (f->home->store_path, &db, SQLITE_OPEN_READWRITE, NULL),
                   ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);

  /* Now the job gets its headers and chooses its name; the store cannot
   * commit it. A correct pcq may well write nothing yet: then there is
   * no part file to wait for, and the kill comes after 2 s. */
  gate_open (&gate);
  part_seen = store_wait_until (file_exists, part_path, 2000, 5);
  store_proc_kill (first);
  g_assert_true (store_proc_wait (first, 10000));
  g_test_message ("killed %s a part file, before the name was committed",
                  part_seen ? "after it created" : "without");

  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (db);

  store_server_set_request_hook (f->server, NULL, NULL);
  store_server_set_stall_after (f->server, -1);
  second = store_proc_start (f->home, "second", resume_args);
  g_assert_true (store_proc_wait (second, FINAL_RUN_MS));
  if (second->status != 0)
    log_stderr (second, "second");
  g_assert_cmpint (second->status, ==, 0);

  {
    g_autoptr(GPtrArray) names = pcq_test_list_dir (f->home->out);
    g_autoptr(GPtrArray) rows = store_db_read_rows (f->home->store_path);

    for (guint i = 0; i < names->len; i++)
      {
        if (strcmp (g_ptr_array_index (names, i), file->name) != 0)
          g_string_append_printf (problems, "unexpected “%s” in the output folder\n",
                                  (const char *) g_ptr_array_index (names, i));
      }
    if (!g_file_test (final_path, G_FILE_TEST_EXISTS))
      g_string_append_printf (problems, "missing “%s”\n", file->name);
    else
      store_assert_content (final_path, file->seed, file->size);

    g_assert_nonnull (rows);
    g_assert_cmpuint (rows->len, ==, 1);
    if (g_strcmp0 (((StoreRow *) g_ptr_array_index (rows, 0))->output_path, final_path) != 0)
      g_string_append_printf (problems, "the job ended as “%s”\n",
                              ((StoreRow *) g_ptr_array_index (rows, 0))->output_path);
  }

  if (problems->len > 0)
    {
      g_auto(GStrv) list = g_strsplit (g_strchomp (problems->str), "\n", -1);

      for (guint i = 0; list[i] != NULL; i++)
        g_test_message ("%s", list[i]);
      g_test_fail_printf ("a kill before the name was committed left a part file or a "
                          "duplicate name (see above)");
    }

  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
}

/* A finished file's job is committed as done (its name with it)
 * before its part file is moved to that name, and the store notes that
 * the move is under way. A kill between the two leaves the part file:
 * the next start moves it into place, with --resume or without (the
 * note lasts only until the next files finish). Should the name have
 * been taken meanwhile, the job runs again, and ends under the next
 * free name, leaving the file there intact. The test makes that state
 * from a finished run: its file back at its part path, as the kill
 * would have left it. */
static void
test_kill_before_file_moved (Fixture       *f,
                             gconstpointer  data)
{
  gboolean taken = GPOINTER_TO_INT (data);
  const File *file = &f->files[5];
  const File *other = &f->files[6];
  const char * const first_args[] = { file->url, NULL };
  const char * const second_args[] = { other->url, NULL };
  const char * const resume_args[] = { "--resume", NULL };
  g_autofree char *part_path = part_path_for (f, 1);
  g_autofree char *final_path = g_build_filename (f->home->out, file->name, NULL);
  g_autofree char *other_path = g_build_filename (f->home->out, other->name, NULL);
  g_autofree char *next_path = g_strdup_printf ("%s/%.*s (1).dat", f->home->out,
                                                (int) strlen (file->name) - 4, file->name);
  g_autofree char *done_sql = g_strdup_printf ("SELECT count(*) FROM jobs WHERE id = 1 AND state = %d",
                                               PCQ_JOB_DONE);
  g_autofree char *text = NULL;
  g_autoptr(StoreProc) first = NULL;
  g_autoptr(StoreProc) second = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  store_server_set_pacing (f->server, CHUNK, 0);
  first = store_proc_start (f->home, "first", first_args);
  g_assert_true (store_proc_wait (first, FINAL_RUN_MS));
  g_assert_cmpint (first->status, ==, 0);

  /* Job 1 is done, and the note names it: the last file to finish. */
  g_assert_cmpint (store_db_query_int (f->home->store_path, done_sql), ==, 1);
  g_assert_cmpint (store_db_query_int (f->home->store_path,
                                       "SELECT count(*) FROM placing WHERE length (ids) = 8"
                                       " AND hex (ids) = '0100000000000000'"), ==, 1);

  /* Killed before the move: the very file, at its part path. */
  g_assert_cmpint (g_rename (final_path, part_path), ==, 0);
  if (taken)
    {
      g_file_set_contents (final_path, "not ours", -1, &error);
      g_assert_no_error (error);
    }

  second = store_proc_start (f->home, "second", taken ? resume_args : second_args);
  g_assert_true (store_proc_wait (second, FINAL_RUN_MS));
  if (second->status != 0)
    log_stderr (second, "second");
  g_assert_cmpint (second->status, ==, 0);

  names = pcq_test_list_dir (f->home->out);
  rows = store_db_read_rows (f->home->store_path);
  g_assert_false (pcq_test_dir_has_part_files (f->home->out));
  if (taken)
    {
      /* Run again (--resume), under the next name; the other file kept. */
      g_assert_true (g_file_get_contents (final_path, &text, NULL, NULL));
      g_assert_cmpstr (text, ==, "not ours");
      store_assert_content (next_path, file->seed, file->size);
      g_assert_cmpuint (names->len, ==, 2);
      g_assert_cmpuint (rows->len, ==, 1);
      g_assert_cmpstr (((StoreRow *) g_ptr_array_index (rows, 0))->output_path, ==, next_path);
    }
  else
    {
      /* Moved into place by a run that did not even resume. */
      store_assert_content (final_path, file->seed, file->size);
      store_assert_content (other_path, other->seed, other->size);
      g_assert_cmpuint (names->len, ==, 2);
      g_assert_cmpuint (rows->len, ==, 2);
      g_assert_cmpstr (((StoreRow *) g_ptr_array_index (rows, 0))->output_path, ==, final_path);
    }
  g_assert_cmpint (store_db_query_int (f->home->store_path, done_sql), ==, 1);
}

static gboolean
lock_taken (gpointer data)
{
  gpointer *args = data;
  StoreHome *home = args[0];
  StoreProc *proc = args[1];
  g_autofree char *lock_path = g_strconcat (home->store_path, ".lock", NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (lock_path, &text, NULL, NULL))
    return FALSE;

  return g_strcmp0 (g_strstrip (text), proc->pid) == 0;
}

/* One store, one process: a second headless run is refused, names the
 * first one's pid, and leaves the store alone. */
static void
test_second_run_refused (Fixture       *f,
                         gconstpointer  data)
{
  const char * const first_args[] = { f->files[0].url, NULL };
  const char * const second_args[] = { f->files[1].url, NULL };
  g_autoptr(StoreProc) first = NULL;
  g_autoptr(StoreProc) second = NULL;
  g_autofree char *err = NULL;
  g_autofree char *pid_words = NULL;
  gpointer args[2];

  /* The first run hangs on its one download. */
  store_server_set_stall_after (f->server, 0);
  first = store_proc_start (f->home, "holder", first_args);
  args[0] = f->home;
  args[1] = first;
  g_assert_true (store_wait_until (lock_taken, args, ACCEPT_MS, 5));

  second = store_proc_start (f->home, "second", second_args);
  g_assert_true (store_proc_wait (second, 10000));
  err = store_proc_read_stderr (second);
  g_test_message ("second run: status %d, stderr: %s", second->status, err);
  g_assert_cmpint (second->status, ==, 2);  /* bad usage, per the contract */
  pid_words = g_strdup_printf ("pid %s", first->pid);
  g_assert_nonnull (strstr (err, pid_words));

  g_assert_false (first->exited);
  store_proc_kill (first);
  g_assert_true (store_proc_wait (first, 10000));

  /* Only the first run's job is in the store. */
  g_assert_cmpint (store_db_query_int (f->home->store_path, "SELECT count(*) FROM jobs"), <=, 1);
  g_assert_cmpint (store_server_count_requests (f->server, f->files[1].path), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store/crash/second-run-refused", Fixture, NULL,
              fixture_setup, test_second_run_refused, fixture_teardown);
  g_test_add ("/store/crash/kill-before-file-moved", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_kill_before_file_moved, fixture_teardown);
  g_test_add ("/store/crash/kill-before-file-moved/name-taken", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_kill_before_file_moved, fixture_teardown);
  g_test_add ("/store/crash/kill-before-name-committed", Fixture, NULL,
              fixture_setup, test_kill_before_name_committed, fixture_teardown);
  g_test_add ("/store/crash/kill-and-resume", Fixture, NULL,
              fixture_setup, test_crash_and_resume, fixture_teardown);

  return g_test_run ();
}
