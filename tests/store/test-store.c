/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Unit tests of PcqStore (round trip, migrations, corrupt files, group
 * commit, pruning, the lock) and of how PcqEngine restores from it. */

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "pcq-engine.h"
#include "pcq-keyring.h"
#include "pcq-sink.h"
#include "pcq-store.h"
#include "pcq-test-engine.h"
#include "store-support.h"

#define WAIT_MS 20000

/* ---- logging ------------------------------------------------------- */

/* The store warns (g_warning) when it cannot open a file. Tests that
 * provoke that collect the warnings here instead of aborting; any other
 * warning stays fatal. */
static GMutex log_lock;
static gboolean collect_store_warnings;
static GPtrArray *store_warnings;

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;
  gboolean collected = FALSE;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }

  g_mutex_lock (&log_lock);
  if (collect_store_warnings && (level & G_LOG_LEVEL_WARNING) &&
      g_strcmp0 (domain, "pcq-store") == 0)
    {
      g_ptr_array_add (store_warnings, g_strdup (message));
      collected = TRUE;
    }
  g_mutex_unlock (&log_lock);

  if (collected)
    return G_LOG_WRITER_HANDLED;

  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
expect_store_warnings (gboolean expect)
{
  g_mutex_lock (&log_lock);
  collect_store_warnings = expect;
  g_ptr_array_set_size (store_warnings, 0);
  g_mutex_unlock (&log_lock);
}

static guint
n_store_warnings (void)
{
  guint n;

  g_mutex_lock (&log_lock);
  n = store_warnings->len;
  g_mutex_unlock (&log_lock);

  return n;
}

/* ---- fixture ------------------------------------------------------- */

typedef struct
{
  char *dir;
  char *path;   /* dir/queue.sqlite */
  char *out;    /* dir/out */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = pcq_test_make_tmpdir ("pcq-store-XXXXXX");
  f->path = g_build_filename (f->dir, "queue.sqlite", NULL);
  f->out = g_build_filename (f->dir, "out", NULL);
  g_assert_cmpint (g_mkdir (f->out, 0700), ==, 0);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  expect_store_warnings (FALSE);
  pcq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_free (f->out);
}

static PcqStore *
open_store (const char  *path,
            GTimeSpan    prune_age,
            GPtrArray  **records,
            char       **notice)
{
  g_autoptr(GError) error = NULL;
  PcqStore *store = pcq_store_new (path);
  GPtrArray *result;

  result = pcq_store_open_sync (store, prune_age, notice, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);

  if (records != NULL)
    *records = result;
  else
    g_ptr_array_unref (result);

  return store;
}

static void
close_store (PcqStore *store)
{
  pcq_store_close (store);
  g_object_unref (store);
}

static PcqStoreRecord *
find_record (GPtrArray *records,
             guint64    id)
{
  for (guint i = 0; i < records->len; i++)
    {
      PcqStoreRecord *record = g_ptr_array_index (records, i);

      if (record->id == id)
        return record;
    }

  return NULL;
}

static void
assert_record_equal (const PcqStoreRecord *a,
                     const PcqStoreRecord *b)
{
  g_assert_cmpuint (a->id, ==, b->id);
  g_assert_cmpstr (a->url, ==, b->url);
  g_assert_cmpstr (a->output_dir, ==, b->output_dir);
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpint (a->state, ==, b->state);
  g_assert_cmpint (a->bytes, ==, b->bytes);
  g_assert_cmpint (a->total, ==, b->total);
  g_assert_cmpuint (a->attempts, ==, b->attempts);
  g_assert_cmpstr (a->error, ==, b->error);
  g_assert_cmpstr (a->output_path, ==, b->output_path);
  g_assert_cmpstr (a->validator, ==, b->validator);
  g_assert_cmpstr (a->sha256, ==, b->sha256);
  g_assert_cmpint (a->created, ==, b->created);
  g_assert_cmpint (a->finished, ==, b->finished);
}

/* Runs raw SQL on a file, outside the store. */
static void
sql_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- round trip ---------------------------------------------------- */

typedef struct
{
  GPtrArray    *records;
  GAsyncResult *result;
} AsyncOpen;

static void
open_async_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncOpen *open = user_data;

  open->result = g_object_ref (result);
}

static gboolean
async_open_done (gpointer data)
{
  return ((AsyncOpen *) data)->result != NULL;
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *dir_u = g_build_filename (f->dir, "Dö wnloads «x»", NULL);
  g_autofree char *out_path = g_build_filename (dir_u, "explicit name (2).tar.gz", NULL);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *notice = NULL;
  g_autoptr(PcqStore) reopened = NULL;
  AsyncOpen open = { 0 };
  PcqStore *store;
  PcqStoreRecord full = {
    .id = 42,
    .url = "https://example.com/a%20b/%C3%BC.bin?q=1&x=%20#frag",
    .output_dir = dir_u,
    .name = "explicit name (2).tar.gz",
    .state = PCQ_JOB_ACTIVE,
    .bytes = G_GINT64_CONSTANT (123456789012),
    .total = G_MAXINT64,
    .attempts = 7,
    .error = "Server answered 503 — «busy»\nsecond line",
    .output_path = out_path,
    .validator = "\"etag-ü-1\"",
    .created = 1700000000,
    .finished = 0,
    .sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  };
  PcqStoreRecord empty = {
    .id = 7,
    .url = "http://127.0.0.1:1/x",
    .output_dir = "/",
    .state = PCQ_JOB_QUEUED,
    .total = -1,
  };
  PcqStoreRecord finished[3];

  for (guint i = 0; i < G_N_ELEMENTS (finished); i++)
    {
      finished[i] = (PcqStoreRecord) {
        .id = 100 + i,
        .url = "https://example.org/f",
        .output_dir = f->out,
        .state = PCQ_JOB_DONE + i,
        .bytes = 1000 * i,
        .total = 1000 * i,
        .attempts = 1,
        .error = i > 0 ? "failed or cancelled" : NULL,
        .output_path = i == 0 ? "/somewhere/f" : NULL,
        .validator = i == 0 ? "Wed, 21 Oct 2015 07:28:00 GMT" : NULL,
        .created = now_s () - 3600,
        .finished = now_s () - 60 + i,
      };
    }

  /* Out of id order: the store gives them back by id. */
  g_ptr_array_add (expected, &empty);
  g_ptr_array_add (expected, &full);
  for (guint i = 0; i < G_N_ELEMENTS (finished); i++)
    g_ptr_array_add (expected, &finished[i]);

  store = open_store (f->path, 0, &records, &notice);
  g_assert_null (notice);
  g_assert_cmpuint (records->len, ==, 0);
  g_clear_pointer (&records, g_ptr_array_unref);

  for (guint i = G_N_ELEMENTS (finished); i > 0; i--)
    pcq_store_put (store, &finished[i - 1], NULL, NULL);
  pcq_store_put (store, &full, NULL, NULL);
  pcq_store_put (store, &empty, NULL, NULL);
  close_store (store);

  /* The asynchronous way in, as the window does it. */
  reopened = pcq_store_new (f->path);
  pcq_store_open_async (reopened, 0, NULL, open_async_cb, &open);
  g_assert_true (store_wait_until (async_open_done, &open, WAIT_MS, 1000));
  records = pcq_store_open_finish (reopened, open.result, &notice, &error);
  g_clear_object (&open.result);
  g_assert_no_error (error);
  g_assert_null (notice);

  g_assert_cmpuint (records->len, ==, expected->len);
  for (guint i = 0; i < records->len; i++)
    assert_record_equal (g_ptr_array_index (records, i), g_ptr_array_index (expected, i));

  /* Still the same after one more close, as nothing changed. */
  pcq_store_close (reopened);
  g_clear_pointer (&records, g_ptr_array_unref);
  store = open_store (f->path, 0, &records, NULL);
  g_assert_cmpuint (records->len, ==, expected->len);
  for (guint i = 0; i < records->len; i++)
    assert_record_equal (g_ptr_array_index (records, i), g_ptr_array_index (expected, i));
  close_store (store);
}

/* ---- migrations ---------------------------------------------------- */

static void
assert_schema_current (const char *path)
{
  g_assert_cmpint (store_db_query_int (path, "PRAGMA user_version"), ==, PCQ_STORE_SCHEMA_VERSION);
  g_assert_cmpint (store_db_query_int (path, "SELECT count(*) FROM sqlite_master"
                                             " WHERE type = 'table' AND name = 'jobs'"), ==, 1);
  /* No index: a finished file's commit writes the jobs table alone. */
  g_assert_cmpint (store_db_query_int (path, "SELECT count(*) FROM sqlite_master"
                                             " WHERE type = 'index'"), ==, 0);
}

static void
put_simple (PcqStore   *store,
            guint64     id,
            PcqJobState state,
            const char *dir)
{
  PcqStoreRecord record = {
    .id = id,
    .url = "http://127.0.0.1:1/simple",
    .output_dir = (char *) dir,
    .state = state,
    .total = -1,
    .created = now_s (),
    .finished = state >= PCQ_JOB_DONE ? now_s () : 0,
  };

  pcq_store_put (store, &record, NULL, NULL);
}

static void
test_migrate_from_zero (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *notice = NULL;
  PcqStore *store;

  /* A version 0 file: no jobs table, an unrelated table to keep. */
  sql_exec (f->path, "CREATE TABLE other (x INTEGER); INSERT INTO other VALUES (5);"
                     " PRAGMA user_version = 0;");
  g_assert_cmpint (store_db_query_int (f->path, "PRAGMA user_version"), ==, 0);

  store = open_store (f->path, 0, &records, &notice);
  g_assert_null (notice);
  g_assert_cmpuint (records->len, ==, 0);
  put_simple (store, 1, PCQ_JOB_QUEUED, f->out);
  close_store (store);

  assert_schema_current (f->path);
  g_assert_cmpint (store_db_query_int (f->path, "SELECT x FROM other"), ==, 5);
  g_assert_cmpint (store_db_query_int (f->path, "SELECT count(*) FROM jobs"), ==, 1);

  /* Opening again migrates nothing more and keeps the row. */
  g_clear_pointer (&records, g_ptr_array_unref);
  store = open_store (f->path, 0, &records, &notice);
  g_assert_null (notice);
  g_assert_cmpuint (records->len, ==, 1);
  close_store (store);
}

/* The ids of @records, in their order: "3 1 2". */
static char *
record_ids (GPtrArray *records)
{
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < records->len; i++)
    g_string_append_printf (ids, "%s%" G_GUINT64_FORMAT, i > 0 ? " " : "",
                            ((PcqStoreRecord *) g_ptr_array_index (records, i))->id);

  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* A version 4 queue (before tasks could move) keeps its order: each
 * position is the id. Moved positions are kept, and records come back
 * in queue order. */
static void
test_migrate_positions (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *notice = NULL;
  g_autofree char *ids = NULL;
  PcqStore *store;

  sql_exec (f->path,
            "CREATE TABLE jobs (id INTEGER PRIMARY KEY, url TEXT NOT NULL,"
            " output_dir TEXT NOT NULL, name TEXT, state INTEGER NOT NULL,"
            " bytes INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT -1,"
            " attempts INTEGER NOT NULL DEFAULT 0, error TEXT, output_path TEXT,"
            " validator TEXT, created INTEGER NOT NULL,"
            " finished INTEGER NOT NULL DEFAULT 0, kind INTEGER NOT NULL DEFAULT 0,"
            " prompt TEXT, commit_note TEXT, sha256 TEXT);"
            "INSERT INTO jobs (id, url, output_dir, state, created)"
            " VALUES (1, 'http://127.0.0.1:1/a', '/tmp/x', 0, 1),"
            "        (2, 'http://127.0.0.1:1/b', '/tmp/x', 0, 1),"
            "        (3, 'http://127.0.0.1:1/c', '/tmp/x', 0, 1);"
            "PRAGMA user_version = 4;");

  store = open_store (f->path, 0, &records, &notice);
  g_assert_null (notice);
  ids = record_ids (records);
  g_assert_cmpstr (ids, ==, "1 2 3");
  for (guint i = 0; i < records->len; i++)
    g_assert_cmpint (((PcqStoreRecord *) g_ptr_array_index (records, i))->position, ==, i + 1);

  /* 3 to the top: the positions go round. */
  pcq_store_put_position (store, 3, 1);
  pcq_store_put_position (store, 1, 2);
  pcq_store_put_position (store, 2, 3);
  put_simple (store, 4, PCQ_JOB_QUEUED, f->out);
  close_store (store);
  assert_schema_current (f->path);
  g_assert_cmpint (store_db_query_int (f->path, "SELECT position FROM jobs WHERE id = 4"), ==, 4);

  g_clear_pointer (&records, g_ptr_array_unref);
  g_clear_pointer (&ids, g_free);
  store = open_store (f->path, 0, &records, &notice);
  ids = record_ids (records);
  g_assert_cmpstr (ids, ==, "3 1 2 4");
  close_store (store);
}

static void
test_migrate_empty_file (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *notice = NULL;
  g_autoptr(GError) error = NULL;
  PcqStore *store;

  /* A zero-length file is an empty database to SQLite. */
  g_file_set_contents (f->path, "", 0, &error);
  g_assert_no_error (error);

  store = open_store (f->path, 0, &records, &notice);
  g_assert_null (notice);
  g_assert_cmpuint (records->len, ==, 0);
  put_simple (store, 1, PCQ_JOB_QUEUED, f->out);
  close_store (store);

  assert_schema_current (f->path);
}

static gboolean
newer_data_kept (const char *dir,
                 const char *path)
{
  g_autoptr(GPtrArray) names = pcq_test_list_dir (dir);

  if (store_db_query_int (path, "PRAGMA user_version") == PCQ_STORE_SCHEMA_VERSION + 1 &&
      store_db_query_int (path, "SELECT count(*) FROM future") == 3)
    return TRUE;

  /* Or it was moved aside, untouched. */
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *aside = g_build_filename (dir, g_ptr_array_index (names, i), NULL);

      if (g_str_has_prefix (g_ptr_array_index (names, i), "queue.sqlite.corrupt-") &&
          store_db_query_int (aside, "PRAGMA user_version") == PCQ_STORE_SCHEMA_VERSION + 1 &&
          store_db_query_int (aside, "SELECT count(*) FROM future") == 3)
        return TRUE;
    }

  return FALSE;
}

static void
test_migrate_newer (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *notice = NULL;
  g_autofree char *sql = NULL;
  PcqStore *store;

  sql = g_strdup_printf ("CREATE TABLE future (y TEXT);"
                         " INSERT INTO future VALUES ('a'), ('b'), ('c');"
                         " PRAGMA user_version = %d;", PCQ_STORE_SCHEMA_VERSION + 1);
  sql_exec (f->path, sql);

  expect_store_warnings (TRUE);
  store = open_store (f->path, 0, &records, &notice);

  /* Told, never crashed, and still usable (even if only in memory). */
  g_assert_nonnull (notice);
  g_test_message ("notice: %s", notice);
  g_assert_cmpuint (records->len, ==, 0);
  put_simple (store, 1, PCQ_JOB_QUEUED, f->out);
  put_simple (store, 2, PCQ_JOB_DONE, f->out);
  pcq_store_put_progress (store, 1, 10, 20, NULL);
  pcq_store_delete (store, 2);
  pcq_store_flush (store);
  close_store (store);
  g_assert_cmpuint (n_store_warnings (), >=, 1);

  /* What the newer Pcq wrote is not destroyed. */
  g_assert_true (newer_data_kept (f->dir, f->path));
}

/* ---- corrupt files ------------------------------------------------- */

static char *
find_aside (const char *dir)
{
  g_autoptr(GPtrArray) names = pcq_test_list_dir (dir);
  g_autoptr(GRegex) pattern = g_regex_new ("^queue\\.sqlite\\.corrupt-[0-9]{8}-[0-9]{6}$",
                                           0, 0, NULL);
  char *found = NULL;

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      if (g_regex_match (pattern, name, 0, NULL))
        {
          g_assert_null (found);  /* exactly one */
          found = g_build_filename (dir, name, NULL);
        }
    }

  return found;
}

/* Opens a store over whatever @f->path holds now, which cannot be read,
 * and checks the whole recovery: moved aside as it was, told once,
 * empty queue, a store that works and keeps what it gets. */
static void
check_corrupt_recovery (Fixture    *f,
                        GBytes     *original)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *notice = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *aside_data = NULL;
  gsize aside_len = 0;
  PcqStore *store;

  expect_store_warnings (TRUE);
  store = open_store (f->path, 0, &records, &notice);

  g_assert_nonnull (notice);
  g_test_message ("notice: %s", notice);
  g_assert_cmpuint (records->len, ==, 0);

  aside = find_aside (f->dir);
  g_assert_nonnull (aside);
  g_assert_nonnull (strstr (notice, aside));
  g_assert_true (g_file_get_contents (aside, &aside_data, &aside_len, NULL));
  g_assert_cmpmem (aside_data, aside_len,
                   g_bytes_get_data (original, NULL), g_bytes_get_size (original));
  g_assert_cmpuint (n_store_warnings (), >=, 1);
  expect_store_warnings (FALSE);

  /* The new store is a real file that keeps jobs. */
  put_simple (store, 5, PCQ_JOB_QUEUED, f->out);
  put_simple (store, 6, PCQ_JOB_DONE, f->out);
  close_store (store);
  assert_schema_current (f->path);

  /* Told once: the next start has nothing to say, and the jobs are there. */
  g_clear_pointer (&records, g_ptr_array_unref);
  g_clear_pointer (&notice, g_free);
  store = open_store (f->path, 0, &records, &notice);
  g_assert_null (notice);
  g_assert_cmpuint (records->len, ==, 2);
  close_store (store);

  g_clear_pointer (&aside, g_free);
  aside = find_aside (f->dir);  /* still exactly one */
  g_assert_nonnull (aside);
}

static void
test_corrupt_garbage (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(GBytes) garbage = NULL;
  g_autoptr(GError) error = NULL;
  guint8 buf[8192];

  for (gsize i = 0; i < sizeof buf; i++)
    buf[i] = g_rand_int (rand);
  garbage = g_bytes_new (buf, sizeof buf);
  g_file_set_contents (f->path, (const char *) buf, sizeof buf, &error);
  g_assert_no_error (error);

  check_corrupt_recovery (f, garbage);
}

static void
test_corrupt_short (Fixture       *f,
                    gconstpointer  data)
{
  static const char text[] = "this is not a queue\n";
  g_autoptr(GBytes) garbage = g_bytes_new_static (text, strlen (text));
  g_autoptr(GError) error = NULL;

  g_file_set_contents (f->path, text, -1, &error);
  g_assert_no_error (error);

  check_corrupt_recovery (f, garbage);
}

/* A real store whose header survived but whose pages did not. */
static void
test_corrupt_pages (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) damaged = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  PcqStore *store;

  store = open_store (f->path, 0, NULL, NULL);
  for (guint i = 1; i <= 2000; i++)
    put_simple (store, i, i % 3 == 0 ? PCQ_JOB_DONE : PCQ_JOB_QUEUED, f->out);
  close_store (store);

  g_assert_true (g_file_get_contents (f->path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 8 * 4096);
  for (gsize i = 4096; i < len; i++)
    contents[i] = g_rand_int (rand);
  g_file_set_contents (f->path, contents, len, &error);
  g_assert_no_error (error);
  damaged = g_bytes_new (contents, len);

  check_corrupt_recovery (f, damaged);
}

/* ---- group commit under concurrent updates ------------------------- */

typedef struct
{
  gboolean deleted;
  PcqJobState state;
  gint64 bytes;
  gint64 total;
  guint attempts;
} ModelRow;

typedef struct
{
  guint       called;
  gboolean    wrong_thread;
  GHashTable *batches;   /* ids of the idle sources that ran callbacks */
  GThread    *main_thread;
} Callbacks;

static void
committed_cb (gpointer user_data)
{
  Callbacks *cb = user_data;
  GSource *source = g_main_current_source ();

  cb->called++;
  if (g_thread_self () != cb->main_thread)
    cb->wrong_thread = TRUE;
  if (source != NULL)
    g_hash_table_add (cb->batches, GUINT_TO_POINTER (g_source_get_id (source)));
}

typedef struct
{
  Callbacks *cb;
  guint      expected;
} CallbackWait;

static gboolean
callbacks_done (gpointer data)
{
  CallbackWait *wait = data;

  return wait->cb->called >= wait->expected;
}

static void
test_batch_concurrent (Fixture       *f,
                       gconstpointer  data)
{
  const guint n_ids = 3000;
  const guint n_ops = 40000;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  g_autofree ModelRow *model = g_new0 (ModelRow, n_ids + 1);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) batches = g_hash_table_new (NULL, NULL);
  Callbacks cb = { 0, FALSE, batches, g_thread_self () };
  CallbackWait wait = { &cb, 0 };
  guint n_put = 0;
  guint n_live = 0;
  PcqStore *store;

  store = open_store (f->path, 0, NULL, NULL);

  /* Every id is first put once, then puts, progress and deletes of ids
   * already seen are mixed in, from this (the main) thread, while the
   * store thread commits what has arrived so far. */
  for (guint op = 0; op < n_ops; op++)
    {
      guint kind = g_rand_int_range (rand, 0, 10);
      guint64 id;

      if (n_put < n_ids && (kind < 3 || op < 50))
        {
          id = ++n_put;
          kind = 0;
        }
      else
        {
          id = g_rand_int_range (rand, 1, n_put + 1);
          kind = 1 + kind % 3;
        }

      if (kind <= 1)
        {
          ModelRow *row = &model[id];
          PcqStoreRecord record = {
            .id = id,
            .url = "http://127.0.0.1:1/batch",
            .output_dir = f->out,
            .state = g_rand_int_range (rand, PCQ_JOB_QUEUED, PCQ_JOB_CANCELLED + 1),
            .bytes = g_rand_int_range (rand, 0, 1 << 30),
            .total = g_rand_int_range (rand, -1, 1 << 30),
            .attempts = g_rand_int_range (rand, 0, 5),
            .created = 1000 + id,
          };

          row->deleted = FALSE;
          row->state = record.state;
          row->bytes = record.bytes;
          row->total = record.total;
          row->attempts = record.attempts;
          if (g_rand_boolean (rand))
            {
              pcq_store_put (store, &record, committed_cb, &cb);
              wait.expected++;
            }
          else
            pcq_store_put (store, &record, NULL, NULL);
        }
      else if (kind == 2)
        {
          gint64 bytes = g_rand_int (rand);
          gint64 total = bytes + g_rand_int_range (rand, 0, 1000);

          if (!model[id].deleted)
            {
              model[id].bytes = bytes;
              model[id].total = total;
            }
          pcq_store_put_progress (store, id, bytes, total, NULL);
        }
      else
        {
          model[id].deleted = TRUE;
          pcq_store_delete (store, id);
        }

      /* Let earlier batches' callbacks run now and then, as a window would. */
      if (op % 997 == 0)
        g_main_context_iteration (NULL, FALSE);
    }
  g_assert_cmpuint (n_put, ==, n_ids);

  pcq_store_flush (store);

  /* Committed: another connection sees exactly the model now. */
  rows = store_db_read_rows (f->path);
  g_assert_nonnull (rows);
  for (guint64 id = 1; id <= n_ids; id++)
    n_live += !model[id].deleted;
  g_assert_cmpuint (rows->len, ==, n_live);

  g_assert_true (store_wait_until (callbacks_done, &wait, WAIT_MS, 1000));
  g_assert_cmpuint (cb.called, ==, wait.expected);
  g_assert_false (cb.wrong_thread);
  g_test_message ("%u puts with a callback were committed in %u batches",
                  cb.called, g_hash_table_size (batches));
  /* Group commit: far fewer commits than puts. */
  g_assert_cmpuint (g_hash_table_size (batches) * 4, <=, cb.called);

  close_store (store);

  store = open_store (f->path, 0, &records, NULL);
  g_assert_cmpuint (records->len, ==, n_live);
  for (guint64 id = 1; id <= n_ids; id++)
    {
      PcqStoreRecord *record = find_record (records, id);

      if (model[id].deleted)
        {
          g_assert_null (record);
          continue;
        }

      g_assert_nonnull (record);
      g_assert_cmpint (record->state, ==, model[id].state);
      g_assert_cmpint (record->bytes, ==, model[id].bytes);
      g_assert_cmpint (record->total, ==, model[id].total);
      g_assert_cmpuint (record->attempts, ==, model[id].attempts);
      g_assert_cmpint (record->created, ==, 1000 + (gint64) id);
    }
  close_store (store);
}

/* ---- pruning ------------------------------------------------------- */

static void
test_prune (Fixture       *f,
            gconstpointer  data)
{
  const gint64 day = 24 * 3600;
  const gint64 now = now_s ();
  struct
  {
    guint64 id;
    PcqJobState state;
    gint64 created;
    gint64 finished;
    gboolean kept;
  } cases[] = {
    { 1, PCQ_JOB_DONE, now - 41 * day, now - 40 * day, FALSE },
    { 2, PCQ_JOB_FAILED, now - 32 * day, now - 31 * day, FALSE },
    { 3, PCQ_JOB_CANCELLED, now - 30 * day, now - 29 * day, TRUE },
    { 4, PCQ_JOB_DONE, now - 2 * 3600, now - 3600, TRUE },
    /* Unfinished jobs are never history, however old. */
    { 5, PCQ_JOB_QUEUED, now - 100 * day, 0, TRUE },
    { 6, PCQ_JOB_ACTIVE, now - 100 * day, 0, TRUE },
  };
  g_autoptr(GPtrArray) records = NULL;
  PcqStore *store;

  store = open_store (f->path, 0, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PcqStoreRecord record = {
        .id = cases[i].id,
        .url = "http://127.0.0.1:1/prune",
        .output_dir = f->out,
        .state = cases[i].state,
        .total = -1,
        .created = cases[i].created,
        .finished = cases[i].finished,
      };

      pcq_store_put (store, &record, NULL, NULL);
    }
  close_store (store);

  /* No age: everything stays. */
  store = open_store (f->path, 0, &records, NULL);
  g_assert_cmpuint (records->len, ==, G_N_ELEMENTS (cases));
  close_store (store);
  g_clear_pointer (&records, g_ptr_array_unref);

  store = open_store (f->path, 30 * G_TIME_SPAN_DAY, &records, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (cases[i].kept)
        g_assert_nonnull (find_record (records, cases[i].id));
      else
        g_assert_null (find_record (records, cases[i].id));
    }
  close_store (store);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* Deleted from the file, not only left out. */
  g_assert_cmpint (store_db_query_int (f->path, "SELECT count(*) FROM jobs WHERE id IN (1, 2)"),
                   ==, 0);
  store = open_store (f->path, 0, &records, NULL);
  g_assert_cmpuint (records->len, ==, 4);
  close_store (store);
}

/* ---- the lock ------------------------------------------------------ */

static void
test_lock (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *lock_path = g_strconcat (f->path, ".lock", NULL);
  g_autofree char *pid_text = NULL;
  g_autofree char *pid_words = g_strdup_printf ("pid %d", (int) getpid ());
  int fd = -1;
  int fd2 = -1;

  g_assert_true (pcq_store_lock (f->path, &fd, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);

  g_assert_true (g_file_get_contents (lock_path, &pid_text, NULL, NULL));
  g_assert_cmpint (atoi (pid_text), ==, getpid ());

  /* A second lock fails, even from the same process, and names us. */
  g_assert_false (pcq_store_lock (f->path, &fd2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, pid_words));
  g_assert_cmpint (fd2, ==, -1);
  g_clear_error (&error);

  /* Once given up, it can be taken again. */
  close (fd);
  g_assert_true (pcq_store_lock (f->path, &fd2, &error));
  g_assert_no_error (error);
  close (fd2);
}

/* ---- engine restore ------------------------------------------------ */

static PcqJob *
find_job (PcqEngine *engine,
          guint64    id)
{
  GListModel *jobs = pcq_engine_get_jobs (engine);

  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (jobs, i);

      if (pcq_job_get_id (job) == id)
        return job;  /* the list keeps it alive */
    }

  return NULL;
}

/* Five jobs of an earlier run, one in each state. The ids are high so
 * that they are above whatever this process handed out before. */
typedef struct
{
  StoreServer *server;
  guint64      base;
  char        *url_queued;
  char        *url_active;
  char        *recorded_path;  /* the active job's recorded final name */
} Earlier;

#define EARLIER_SIZE_QUEUED 20000
#define EARLIER_SIZE_ACTIVE 70000

static void
earlier_fill (Earlier    *e,
              Fixture    *f,
              guint64     base)
{
  PcqStore *store;
  PcqStoreRecord done = {
    .id = base + 1, .url = "http://127.0.0.1:1/done.bin", .output_dir = f->out,
    .state = PCQ_JOB_DONE, .bytes = 10, .total = 10, .attempts = 1,
    .output_path = "/nowhere/done.bin", .created = now_s () - 100, .finished = now_s () - 50,
  };
  PcqStoreRecord failed = {
    .id = base + 2, .url = "http://127.0.0.1:1/failed.bin", .output_dir = f->out,
    .state = PCQ_JOB_FAILED, .total = -1, .attempts = 4,
    .error = "Server answered 404 Not Found", .created = now_s () - 100, .finished = now_s () - 40,
  };
  PcqStoreRecord cancelled = {
    .id = base + 3, .url = "http://127.0.0.1:1/cancelled.bin", .output_dir = f->out,
    .state = PCQ_JOB_CANCELLED, .total = -1, .attempts = 1,
    .created = now_s () - 100, .finished = now_s () - 30,
  };
  PcqStoreRecord queued = {
    .id = base + 4, .output_dir = f->out, .state = PCQ_JOB_QUEUED, .total = -1,
    .created = now_s () - 100,
  };
  PcqStoreRecord active = {
    .id = base + 5, .output_dir = f->out, .state = PCQ_JOB_ACTIVE,
    .bytes = 1234, .total = EARLIER_SIZE_ACTIVE, .attempts = 1, .created = now_s () - 100,
  };

  e->base = base;
  e->server = store_server_new ();
  e->url_queued = store_server_file_url (e->server, 11, EARLIER_SIZE_QUEUED, "queued.bin");
  e->url_active = store_server_file_url (e->server, 12, EARLIER_SIZE_ACTIVE, "from-url.bin");
  /* Not the URL's name: the job must land under what it recorded. */
  e->recorded_path = g_build_filename (f->out, "recorded name.bin", NULL);

  queued.url = e->url_queued;
  active.url = e->url_active;
  active.output_path = e->recorded_path;

  store = open_store (f->path, 0, NULL, NULL);
  pcq_store_put (store, &done, NULL, NULL);
  pcq_store_put (store, &failed, NULL, NULL);
  pcq_store_put (store, &cancelled, NULL, NULL);
  pcq_store_put (store, &queued, NULL, NULL);
  pcq_store_put (store, &active, NULL, NULL);
  close_store (store);
}

static void
earlier_clear (Earlier *e)
{
  g_clear_pointer (&e->server, store_server_free);
  g_free (e->url_queued);
  g_free (e->url_active);
  g_free (e->recorded_path);
}

static void
test_restore_finished (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(PcqEngine) engine = NULL;
  Earlier e = { 0 };
  PcqStore *store;
  PcqJob *job;

  earlier_fill (&e, f, 1000000);

  store = open_store (f->path, 0, &records, NULL);
  engine = pcq_engine_new ();
  pcq_engine_set_store (engine, store);
  pcq_engine_restore (engine, records, PCQ_RESTORE_FINISHED);

  g_assert_cmpuint (g_list_model_get_n_items (pcq_engine_get_jobs (engine)), ==, 3);
  g_assert_cmpuint (pcq_engine_get_n_done (engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_failed (engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_queued (engine), ==, 0);

  job = find_job (engine, e.base + 1);
  g_assert_nonnull (job);
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_DONE);
  g_assert_cmpstr (pcq_job_get_output_path (job), ==, "/nowhere/done.bin");
  g_assert_cmpint (pcq_job_get_bytes (job), ==, 10);

  job = find_job (engine, e.base + 2);
  g_assert_nonnull (job);
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_FAILED);
  g_assert_cmpstr (pcq_job_get_error (job), ==, "Server answered 404 Not Found");
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 4);

  job = find_job (engine, e.base + 3);
  g_assert_nonnull (job);
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_CANCELLED);

  g_assert_null (find_job (engine, e.base + 4));
  g_assert_null (find_job (engine, e.base + 5));

  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  g_clear_object (&engine);
  close_store (store);

  /* Nothing ran, and what was not taken back is still stored. */
  g_assert_cmpuint (store_server_count_requests (e.server, NULL), ==, 0);
  g_assert_cmpint (store_db_query_int (f->path, "SELECT count(*) FROM jobs"), ==, 5);
  /* The two unfinished ones (state < done). */
  g_assert_cmpint (store_db_query_int (f->path, "SELECT count(*) FROM jobs WHERE state < 2"),
                   ==, 2);

  earlier_clear (&e);
}

/* A task paused while it ran is stored paused, with its part file and
 * validator: the next start shows it paused and does not start it, and
 * Resume fetches only the rest, with Range. */
static void
test_restore_paused (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(StoreServer) server = store_server_new ();
  g_autofree char *url = store_server_file_url (server, 21, 200000, "paused.bin");
  g_autofree char *final = g_build_filename (f->out, "paused.bin", NULL);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(PcqEngine) engine = NULL;
  g_autofree char *sql = NULL;
  const StoreRequest *second;
  PcqStore *store;
  PcqJob *job;
  guint64 id;

  /* 4 KiB every 50 ms: running long enough to be paused. */
  store_server_set_pacing (server, 4096, 50);
  store = open_store (f->path, 0, NULL, NULL);
  engine = pcq_engine_new ();
  pcq_engine_set_store (engine, store);
  job = pcq_engine_submit (engine, url, f->out, NULL);
  id = pcq_job_get_id (job);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (job) >= 8192, WAIT_MS);
  g_assert_true (pcq_engine_pause_job (engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_PAUSED, WAIT_MS);

  /* A wait shutdown does not wait for a paused task. */
  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  g_clear_object (&engine);
  close_store (store);

  sql = g_strdup_printf ("SELECT state FROM jobs WHERE id = %" G_GUINT64_FORMAT, id);
  g_assert_cmpint (store_db_query_int (f->path, sql), ==, PCQ_JOB_PAUSED);
  g_assert_true (pcq_test_dir_has_part_files (f->out));

  /* The next start. */
  store_server_set_pacing (server, 0, 0);
  store = open_store (f->path, 0, &records, NULL);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_nonnull (((PcqStoreRecord *) g_ptr_array_index (records, 0))->validator);
  engine = pcq_engine_new ();
  pcq_engine_set_store (engine, store);
  pcq_engine_restore (engine, records, PCQ_RESTORE_UNFINISHED | PCQ_RESTORE_FINISHED);
  job = find_job (engine, id);
  g_assert_nonnull (job);
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_PAUSED);
  g_assert_cmpuint (pcq_engine_get_n_paused (engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_queued (engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_active (engine), ==, 0);

  /* Not started by the queue. */
  pcq_test_spin (300);
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_PAUSED);
  g_assert_cmpuint (store_server_count_requests (server, NULL), ==, 1);

  g_assert_true (pcq_engine_resume_job (engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), WAIT_MS);
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_DONE);
  g_assert_cmpstr (pcq_job_get_output_path (job), ==, final);
  store_assert_content (final, store_server_content_seed (server, 21), 200000);
  g_assert_false (pcq_test_dir_has_part_files (f->out));

  requests = store_server_dup_requests (server, NULL);
  g_assert_cmpuint (requests->len, ==, 2);
  second = g_ptr_array_index (requests, 1);
  g_assert_cmpint (second->range_start, >, 0);
  g_assert_cmpuint (second->status, ==, 206);

  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  g_clear_object (&engine);
  close_store (store);
}

typedef struct
{
  const char *path;
  guint       n_done;
  guint       n_not_durable;
} DoneCheck;

/* A job is reported done only once the store says so. */
static void
job_finished_cb (PcqEngine *engine,
                 PcqJob    *job,
                 DoneCheck *check)
{
  g_autofree char *sql = NULL;

  if (pcq_job_get_state (job) != PCQ_JOB_DONE)
    return;

  check->n_done++;
  sql = g_strdup_printf ("SELECT state FROM jobs WHERE id = %" G_GUINT64_FORMAT " AND finished > 0",
                         pcq_job_get_id (job));
  if (store_db_query_int (check->path, sql) != PCQ_JOB_DONE)
    check->n_not_durable++;
}

static gboolean
all_done (gpointer data)
{
  DoneCheck *check = data;

  return check->n_done >= 2;
}

static void
test_restore_unfinished (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(PcqEngine) engine = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autofree char *queued_path = NULL;
  g_autofree char *sql = NULL;
  DoneCheck check = { f->path, 0, 0 };
  gboolean with_history = GPOINTER_TO_INT (data);
  Earlier e = { 0 };
  PcqStore *store;
  PcqJob *job;

  earlier_fill (&e, f, with_history ? 3000000 : 4000000);

  store = open_store (f->path, 0, &records, NULL);
  engine = pcq_engine_new ();
  pcq_engine_set_store (engine, store);
  g_signal_connect (engine, "job-finished", G_CALLBACK (job_finished_cb), &check);

  /* Paused, to look at the restored state before anything runs. */
  pcq_engine_set_paused (engine, TRUE);
  pcq_engine_restore (engine, records,
                      PCQ_RESTORE_UNFINISHED | (with_history ? PCQ_RESTORE_FINISHED : 0));

  g_assert_cmpuint (g_list_model_get_n_items (pcq_engine_get_jobs (engine)),
                    ==, with_history ? 5 : 2);
  g_assert_cmpuint (pcq_engine_get_n_queued (engine), ==, 2);
  g_assert_cmpuint (pcq_engine_get_n_active (engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_done (engine), ==, with_history ? 1 : 0);

  job = find_job (engine, e.base + 5);
  g_assert_nonnull (job);
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_QUEUED);   /* was active */
  g_assert_cmpstr (pcq_job_get_output_path (job), ==, e.recorded_path);
  job = find_job (engine, e.base + 4);
  g_assert_nonnull (job);
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_QUEUED);

  pcq_engine_set_paused (engine, FALSE);
  g_assert_true (store_wait_until (all_done, &check, WAIT_MS, 1000));
  g_assert_cmpuint (check.n_not_durable, ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_done (engine), ==, with_history ? 3 : 2);
  g_assert_cmpuint (pcq_engine_get_n_failed (engine), ==, with_history ? 1 : 0);

  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  g_clear_object (&engine);
  close_store (store);

  /* The active one reused its recorded name; the queued one took the URL's. */
  queued_path = g_build_filename (f->out, "queued.bin", NULL);
  store_assert_content (e.recorded_path, 12, EARLIER_SIZE_ACTIVE);
  store_assert_content (queued_path, 11, EARLIER_SIZE_QUEUED);
  names = pcq_test_list_dir (f->out);
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_cmpuint (store_server_count_requests (e.server, NULL), ==, 2);

  sql = g_strdup_printf ("SELECT count(*) FROM jobs WHERE id > %" G_GUINT64_FORMAT
                         " AND state = %d AND finished > 0", e.base + 3, PCQ_JOB_DONE);
  g_assert_cmpint (store_db_query_int (f->path, sql), ==, 2);

  earlier_clear (&e);
}

static void
test_restore_ids (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(PcqEngine) engine = NULL;
  PcqStoreRecord top = {
    .id = 9000000, .url = "http://127.0.0.1:1/top.bin", .output_dir = f->out,
    .state = PCQ_JOB_DONE, .total = -1, .created = now_s (), .finished = now_s (),
  };
  PcqStore *store;
  PcqJob *job;

  store = open_store (f->path, 0, NULL, NULL);
  pcq_store_put (store, &top, NULL, NULL);
  close_store (store);

  /* Not even shown (no history asked for), yet its id is taken. */
  store = open_store (f->path, 0, &records, NULL);
  engine = pcq_engine_new ();
  pcq_engine_set_store (engine, store);
  pcq_engine_set_paused (engine, TRUE);
  pcq_engine_restore (engine, records, PCQ_RESTORE_UNFINISHED);
  g_assert_cmpuint (g_list_model_get_n_items (pcq_engine_get_jobs (engine)), ==, 0);

  job = pcq_engine_submit (engine, "http://127.0.0.1:1/new.bin", f->out, NULL);
  g_assert_cmpuint (pcq_job_get_id (job), >, top.id);
  pcq_store_flush (store);

  /* Both rows: the new job did not replace the stored one. */
  g_assert_cmpint (store_db_query_int (f->path, "SELECT count(*) FROM jobs"), ==, 2);
  g_assert_cmpint (store_db_query_int (f->path, "SELECT state FROM jobs WHERE id = 9000000"),
                   ==, PCQ_JOB_DONE);

  pcq_engine_cancel (engine, job);
  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  g_clear_object (&engine);
  close_store (store);
}

/* Jobs start only once their row is committed: the server asks the
 * store file, from its own thread, when each request arrives. */
typedef struct
{
  const char *path;
} HookData;

static gint64
row_committed_hook (const char *path,
                    gpointer    user_data)
{
  HookData *hook = user_data;
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM jobs WHERE url LIKE '%%%s'", path);

  return store_db_query_int (hook->path, sql);
}

static gboolean
any_request (gpointer data)
{
  return store_server_count_requests (data, NULL) > 0;
}

static gboolean
n_done_is (gpointer data)
{
  gpointer *args = data;

  return pcq_engine_get_n_done (args[0]) == GPOINTER_TO_UINT (args[1]);
}

static void
test_commit_before_start (Fixture       *f,
                          gconstpointer  data)
{
  const guint n = 40;
  g_autoptr(StoreServer) server = store_server_new ();
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(PcqEngine) engine = NULL;
  HookData hook = { f->path };
  DoneCheck check = { f->path, 0, 0 };
  sqlite3 *hold = NULL;
  gpointer args[2];
  PcqStore *store;

  store_server_set_request_hook (server, row_committed_hook, &hook);

  store = open_store (f->path, 0, NULL, NULL);
  engine = pcq_engine_new ();
  pcq_engine_set_store (engine, store);
  pcq_engine_set_max_active (engine, 8);
  g_signal_connect (engine, "job-finished", G_CALLBACK (job_finished_cb), &check);

  /* Another connection holds the write lock while the jobs are
   * submitted: the store cannot commit them, so none may start. Any
   * request that arrives meanwhile finds no row and shows. */
  g_assert_cmpint (sqlite3_open_v2 (f->path, &hold, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (hold, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("c%02u.bin", i);
      g_autofree char *url = store_server_file_url (server, 500 + i, 3000 + 97 * i, name);

      pcq_engine_submit (engine, url, f->out, NULL);
    }

  /* Bounded: a correct engine sends nothing at all while the lock is held. */
  store_wait_until (any_request, server, 300, 5);
  sqlite3_exec (hold, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (hold);

  args[0] = engine;
  args[1] = GUINT_TO_POINTER (n);
  g_assert_true (store_wait_until (n_done_is, args, WAIT_MS, 1000));
  g_assert_cmpuint (check.n_not_durable, ==, 0);
  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  g_clear_object (&engine);
  close_store (store);

  requests = store_server_dup_requests (server, NULL);
  g_assert_cmpuint (requests->len, ==, n);
  for (guint i = 0; i < requests->len; i++)
    {
      StoreRequest *request = g_ptr_array_index (requests, i);

      if (request->hook_value != 1)
        g_error ("%s was requested before its job was committed", request->path);
    }
}

/* ---- a shared dispatcher ------------------------------------------- */

#define N_SHARED 50

typedef struct
{
  guint    n_called;
  guint    order[N_SHARED];
  gboolean wrong_source;
} Shared;

typedef struct
{
  Shared *shared;
  guint   index;
} SharedPut;

static void
shared_committed_cb (gpointer user_data)
{
  SharedPut *put = user_data;
  GSource *source = g_main_current_source ();

  if (source == NULL || g_strcmp0 (g_source_get_name (source), "[pcq] test store") != 0)
    put->shared->wrong_source = TRUE;
  put->shared->order[put->shared->n_called++] = put->index;
}

static gboolean
shared_all_called (gpointer data)
{
  return ((Shared *) data)->n_called == N_SHARED;
}

/* With pcq_store_set_dispatcher (), the callbacks come through the
 * dispatcher given, in the order of the puts, also when its budget
 * splits them one a dispatch. */
static void
test_shared_dispatcher (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (NULL, "[pcq] test store");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  PcqStore *store = pcq_store_new (f->path);
  Shared shared = { 0 };
  SharedPut puts[N_SHARED];

  pcq_dispatcher_set_budget (dispatcher, 0);
  pcq_store_set_dispatcher (store, dispatcher);
  records = pcq_store_open_sync (store, 0, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < N_SHARED; i++)
    {
      PcqStoreRecord record = {
        .id = i + 1, .url = "http://127.0.0.1:1/shared", .output_dir = f->out,
        .state = PCQ_JOB_QUEUED, .total = -1, .created = now_s (),
      };

      puts[i].shared = &shared;
      puts[i].index = i;
      pcq_store_put (store, &record, shared_committed_cb, &puts[i]);
    }

  g_assert_true (store_wait_until (shared_all_called, &shared, WAIT_MS, 1000));
  g_assert_false (shared.wrong_source);
  for (guint i = 0; i < N_SHARED; i++)
    g_assert_cmpuint (shared.order[i], ==, i);

  close_store (store);
}

/* ---- a commit that cannot happen ---------------------------------- */

typedef struct
{
  const char *path;
  gboolean    called;
  gint64      rows_when_called;
} Accepted;

static void
accepted_check_cb (gpointer user_data)
{
  Accepted *accepted = user_data;

  accepted->called = TRUE;
  accepted->rows_when_called = store_db_query_int (accepted->path,
                                                   "SELECT count(*) FROM jobs WHERE id = 77");
}

static gboolean
accepted_called (gpointer data)
{
  return ((Accepted *) data)->called;
}

/* "Committed" must mean committed: while another process holds the
 * write lock (longer than the store's busy timeout), or the disk is
 * full, a put cannot be stored, and its callback (which the engine
 * takes as "accepted" or "done") must not run as if it had been. */
static void
test_commit_blocked (Fixture       *f,
                     gconstpointer  data)
{
  Accepted accepted = { f->path, FALSE, -1 };
  PcqStoreRecord record = {
    .id = 77, .url = "http://127.0.0.1:1/blocked", .output_dir = f->out,
    .state = PCQ_JOB_QUEUED, .total = -1, .created = now_s (),
  };
  sqlite3 *hold = NULL;
  PcqStore *store;

  store = open_store (f->path, 0, NULL, NULL);

  g_assert_cmpint (sqlite3_open_v2 (f->path, &hold, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (hold, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);

  /* The store may warn that it cannot write; it must not pretend. */
  expect_store_warnings (TRUE);
  pcq_store_put (store, &record, accepted_check_cb, &accepted);
  store_wait_until (accepted_called, &accepted, 7000, 1000);

  /* Once the lock is gone, the put is stored after all, and said so. */
  sqlite3_exec (hold, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (hold);
  if (accepted.called && accepted.rows_when_called != 1)
    {
      /* Fails this test, and lets the others run. */
      g_test_message ("store warnings: %u", n_store_warnings ());
      g_test_fail_printf ("the put was reported committed while it was not in the store");
    }
  else
    {
      g_assert_true (store_wait_until (accepted_called, &accepted, WAIT_MS, 1000));
      g_assert_cmpint (accepted.rows_when_called, ==, 1);
    }

  close_store (store);
}

/* ---- finished files ----------------------------------------------- */

typedef struct
{
  guint                 n_called;
  GPtrArray            *finished;   /* PcqStoreFinish, as the callbacks got them */
} Finished;

static void
finished_cb (gpointer data)
{
  PcqStoreFinish *finish = data;
  Finished *finished = finish->user_data;

  finished->n_called++;
  /* The dispatcher frees @finish after this: keep what the test reads. */
  g_ptr_array_add (finished->finished, g_strdup (finish->placed ? finish->output_path : "(failed)"));
}

static gboolean
all_finished (gpointer data)
{
  return ((Finished *) data)->n_called == 3;
}

static PcqStoreFinish *
finish_new (PcqNames    *names,
            const char  *out,
            guint64      id,
            const char  *name,
            const char  *contents,
            Finished    *finished)
{
  PcqStoreFinish *finish = pcq_store_finish_new ();
  g_autofree char *part = g_strdup_printf (".test-%" G_GUINT64_FORMAT ".pcq-part", id);
  g_autoptr(GError) error = NULL;

  finish->id = id;
  finish->part_path = g_build_filename (out, part, NULL);
  finish->output_path = pcq_sink_reserve (names, out, name, &error);
  g_assert_no_error (error);
  finish->bytes = finish->total = strlen (contents);
  finish->attempts = 1;
  finish->names = pcq_names_ref (names);
  finish->user_data = finished;
  g_file_set_contents (finish->part_path, contents, -1, &error);
  g_assert_no_error (error);

  return finish;
}

/* A finished file is put in place by the store: the job committed as
 * done under its name, the part renamed, and only then the callback. A
 * file that appeared at the reserved name meanwhile is never replaced:
 * the job takes the next free name, committed first. */
static void
test_finish_files (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(PcqNames) names = pcq_names_new ();
  g_autofree char *taken = g_build_filename (f->out, "b.txt", NULL);
  g_autofree char *b1 = g_build_filename (f->out, "b (1).txt", NULL);
  g_autofree char *text = NULL;
  g_autofree char *done_sql = NULL;
  g_autoptr(GError) error = NULL;
  Finished finished = { 0, g_ptr_array_new_with_free_func (g_free) };
  PcqStoreFinish *finishes[3];
  PcqStore *store;

  store = open_store (f->path, 0, NULL, NULL);
  for (guint i = 1; i <= 3; i++)
    {
      PcqStoreRecord record = {
        .id = i, .url = "http://127.0.0.1:1/f", .output_dir = f->out,
        .state = PCQ_JOB_ACTIVE, .total = -1, .created = now_s (),
      };

      pcq_store_put (store, &record, NULL, NULL);
    }

  finishes[0] = finish_new (names, f->out, 1, "a.txt", "one", &finished);
  finishes[1] = finish_new (names, f->out, 2, "b.txt", "two", &finished);
  finishes[2] = finish_new (names, f->out, 3, "c.txt", "three", &finished);

  /* Someone else's file, at the name job 2 reserved. */
  g_file_set_contents (taken, "not ours", -1, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 3; i++)
    pcq_store_finish_file (store, finishes[i], finished_cb, FALSE);

  g_assert_true (store_wait_until (all_finished, &finished, WAIT_MS, 1000));

  /* In order, each under its name; the file that was there is intact. */
  g_assert_cmpstr (g_ptr_array_index (finished.finished, 1), ==, b1);
  g_assert_true (g_str_has_suffix (g_ptr_array_index (finished.finished, 0), "/a.txt"));
  g_assert_true (g_str_has_suffix (g_ptr_array_index (finished.finished, 2), "/c.txt"));
  g_assert_true (g_file_get_contents (taken, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "not ours");
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (b1, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "two");
  g_assert_false (pcq_test_dir_has_part_files (f->out));

  /* The store says so: done, under the names the files have. */
  done_sql = g_strdup_printf ("SELECT count(*) FROM jobs WHERE state = %d", PCQ_JOB_DONE);
  g_assert_cmpint (store_db_query_int (f->path, done_sql), ==, 3);
  g_assert_cmpint (store_db_query_int (f->path,
                                       "SELECT count(*) FROM jobs WHERE id = 2 AND output_path LIKE '%/b (1).txt'"),
                   ==, 1);

  g_ptr_array_unref (finished.finished);
  close_store (store);
}

/* ---- passwords ----------------------------------------------------- */

static gboolean
file_has_bytes (const char *path,
                const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length = 0, n = strlen (needle);

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  for (gsize i = 0; n <= length && i <= length - n; i++)
    if (memcmp (contents + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* A queue written before passwords were kept apart: opened, it has
 * them no more (not in a byte of the file or its WAL), and an
 * unfinished task's password is still at hand for this run. */
static void
test_old_url_passwords (Fixture       *f,
                        gconstpointer  data)
{
  const char *password = "0ld-Secret-Qx";
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(PcqBasicAuth) auth = NULL;
  g_autoptr(GError) error = NULL;
  PcqStoreRecord queued = {
    .id = 1, .url = "http://olga:0ld-Secret-Qx@127.0.0.1:1/queued.bin",
    .output_dir = f->out, .state = PCQ_JOB_QUEUED, .total = -1, .created = now_s (),
  };
  PcqStoreRecord done = {
    .id = 2, .url = "http://olga:0ld-Secret-Qx@127.0.0.1:1/done.bin",
    .output_dir = f->out, .state = PCQ_JOB_DONE, .total = -1, .created = now_s (),
    .finished = now_s (),
  };
  PcqStore *store;

  /* Written as an older Pcq did: the URL as given. */
  store = open_store (f->path, 0, NULL, NULL);
  pcq_store_put (store, &queued, NULL, NULL);
  pcq_store_put (store, &done, NULL, NULL);
  close_store (store);
  g_assert_true (file_has_bytes (f->path, password) || file_has_bytes (wal, password));

  store = open_store (f->path, 0, &records, NULL);
  g_assert_cmpstr (find_record (records, 1)->url, ==, "http://olga@127.0.0.1:1/queued.bin");
  g_assert_cmpstr (find_record (records, 2)->url, ==, "http://olga@127.0.0.1:1/done.bin");
  g_assert_false (file_has_bytes (f->path, password));
  g_assert_false (file_has_bytes (wal, password));
  close_store (store);
  g_assert_false (file_has_bytes (f->path, password));
  g_assert_false (file_has_bytes (wal, password));

  /* The queued task can still authenticate. */
  uri = g_uri_parse (find_record (records, 1)->url, G_URI_FLAGS_HAS_PASSWORD, NULL);
  auth = pcq_keyring_basic_auth_for_uri (uri, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pcq_basic_auth_header_for (auth, uri), ==,
                   "Basic b2xnYTowbGQtU2VjcmV0LVF4");  /* olga:0ld-Secret-Qx */
  pcq_keyring_wait_stored ();
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring_path = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  store_warnings = g_ptr_array_new_with_free_func (g_free);

  /* Passwords found in old queues go to a keyring: libsecret's file
   * backend, in a file of this run's own, never the user's keyring. */
  keyring_dir = g_dir_make_tmp ("pcq-keyring-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring_path = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring_path, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test-keyring-password", TRUE);
  g_log_set_writer_func (log_writer, NULL, NULL);

#define ADD(path, func, data) \
  g_test_add ("/store/" path, Fixture, data, fixture_setup, func, fixture_teardown)

  ADD ("round-trip", test_round_trip, NULL);
  ADD ("migrate/from-zero", test_migrate_from_zero, NULL);
  ADD ("migrate/empty-file", test_migrate_empty_file, NULL);
  ADD ("migrate/positions", test_migrate_positions, NULL);
  ADD ("migrate/newer", test_migrate_newer, NULL);
  ADD ("corrupt/garbage", test_corrupt_garbage, NULL);
  ADD ("corrupt/short", test_corrupt_short, NULL);
  ADD ("corrupt/pages", test_corrupt_pages, NULL);
  ADD ("batch/concurrent", test_batch_concurrent, NULL);
  ADD ("prune", test_prune, NULL);
  ADD ("lock", test_lock, NULL);
  ADD ("engine/restore-finished", test_restore_finished, NULL);
  ADD ("engine/restore-unfinished", test_restore_unfinished, GINT_TO_POINTER (FALSE));
  ADD ("engine/restore-all", test_restore_unfinished, GINT_TO_POINTER (TRUE));
  ADD ("engine/restore-ids", test_restore_ids, NULL);
  ADD ("engine/restore-paused", test_restore_paused, NULL);
  ADD ("engine/commit-before-start", test_commit_before_start, NULL);
  ADD ("durability/commit-blocked", test_commit_blocked, NULL);
  ADD ("dispatcher/shared", test_shared_dispatcher, NULL);
  ADD ("finish/files", test_finish_files, NULL);
  ADD ("passwords/old-queue", test_old_url_passwords, NULL);

#undef ADD

  status = g_test_run ();
  pcq_test_rm_rf (keyring_dir);

  return status;
}
