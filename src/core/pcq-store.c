/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-store"

#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "pcq-keyring.h"
#include "pcq-store.h"
#include "pcq-util.h"

/*
 * The store thread owns the SQLite connection: no SQLite call ever runs
 * on the main thread, where an fsync or a checkpoint would cost frames.
 * The main thread pushes mutations into @mutations; the store thread
 * takes everything that is there, applies it in one transaction (group
 * commit), calls syncfs() once per output file system if the batch
 * marks files as done, commits, and then posts the mutations'
 * "committed" callbacks to the dispatcher, which calls them on the main
 * context.
 *
 * One post per callback, not one per batch: a batch may hold thousands,
 * and the dispatcher's budget can only split between items. A batch
 * item that re-posted its remainder would need a budget of its own, and
 * the post is cheap (one lock, no allocation: the item is the callback
 * and its data).
 */

#define MAX_BATCH 20000
#define FINISH_LINGER_US (2 * G_TIME_SPAN_MILLISECOND)
#define FINISH_BATCH_US (25 * G_TIME_SPAN_MILLISECOND)

typedef enum
{
  MUTATION_PUT,
  MUTATION_PROGRESS,
  MUTATION_DELETE,
  MUTATION_POSITION,
  MUTATION_FINISH,
  MUTATION_FLUSH,
  MUTATION_CLOSE,
} MutationKind;

typedef struct
{
  MutationKind       kind;
  const PcqStoreRecord *record;  /* MUTATION_PUT: inside its Put */
  guint64            id;
  gint64             bytes;
  gint64             total;
  gint64             position;    /* MUTATION_POSITION */
  PcqStoreCommitted  committed;
  gpointer           user_data;
  gboolean           soon;      /* its callback goes at once (pcq_dispatcher_post_full ()) */
  char              *validator;   /* MUTATION_PROGRESS */
  PcqStoreFinish    *finish;      /* MUTATION_FINISH */
  PcqDispatchFunc    finished;
  GMutex            *done_lock;   /* FLUSH and CLOSE: the caller waits */
  GCond             *done_cond;
  gboolean          *done;
} Mutation;

/* The statements the store thread runs, each prepared once when the
 * store opens and finalized when it closes. */
typedef enum
{
  STMT_PUT,
  STMT_PROGRESS,
  STMT_DELETE,
  STMT_POSITION,
  STMT_DONE,
  STMT_PLACING,
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  N_STATEMENTS
} Statement;

static const char * const statement_sql[N_STATEMENTS] = {
  [STMT_PUT] =
    "INSERT OR REPLACE INTO jobs (id, url, output_dir, name, state, bytes,"
    " total, attempts, error, output_path, validator, created, finished,"
    " kind, prompt, commit_note, sha256, prompt_tokens, completion_tokens,"
    " started, http_status, position, headers)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  [STMT_PROGRESS] = "UPDATE jobs SET bytes = ?, total = ?, validator = ? WHERE id = ?",
  [STMT_DELETE] = "DELETE FROM jobs WHERE id = ?",
  [STMT_POSITION] = "UPDATE jobs SET position = ? WHERE id = ?",
  [STMT_DONE] =
    "UPDATE jobs SET state = ?, bytes = ?, total = ?, attempts = ?, error = ?,"
    " output_path = ?, validator = ?, finished = ?, prompt_tokens = ?,"
    " completion_tokens = ?,"
    " started = CASE WHEN started > 0 THEN started ELSE ? END,"
    " http_status = ?, sha256 = COALESCE (?, sha256) WHERE id = ?",
  [STMT_PLACING] = "INSERT OR REPLACE INTO placing (slot, ids) VALUES (0, ?)",
  /* A transaction's three too: each batch's would be parsed again. */
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
};

struct _PcqStore
{
  GObject       parent_instance;

  char          *path;
  PcqDispatcher *dispatcher;   /* read by the store thread after a push */
  gboolean       posted;       /* a put with a callback was pushed */
  GAsyncQueue   *mutations;
  GThread       *thread;

  /* Store thread only. */
  sqlite3      *db;
  sqlite3_stmt *statements[N_STATEMENTS];  /* prepared once, from statement_sql */
  gint64        finish_at;    /* when the last batch with files came */
  gboolean      full_sync;

  gint          nice;         /* atomic: the store thread's, only ever raised */
};

G_DEFINE_FINAL_TYPE (PcqStore, pcq_store, G_TYPE_OBJECT)

/* A record's strings, each named once: what a put packs and what
 * pcq_store_record_free () frees. */
#define N_RECORD_STRINGS 10

static void
record_strings (PcqStoreRecord *record,
                char           **strings[N_RECORD_STRINGS])
{
  char **all[N_RECORD_STRINGS] = {
    &record->prompt, &record->url, &record->output_dir, &record->name, &record->error,
    &record->output_path, &record->validator, &record->commit_note, &record->sha256,
    &record->headers,
  };

  memcpy (strings, all, sizeof all);
}

void
pcq_store_record_free (PcqStoreRecord *record)
{
  char **strings[N_RECORD_STRINGS];

  if (record == NULL)
    return;

  record_strings (record, strings);
  for (guint i = 0; i < N_RECORD_STRINGS; i++)
    g_free (*strings[i]);
  g_free (record);
}

/* A put is one block: the mutation, then its record, then the record's
 * strings. The main thread makes it and the store thread frees it, and
 * glibc gives a block back to the heap of the thread that made it, under
 * that heap's lock: with five blocks a job, the two threads waited on
 * each other's lock a tenth of the time while 100 000 jobs were
 * submitted. (Freeing it on the main thread instead, after its callback,
 * cost no less, and kept 100 000 of them alive until then.) */
typedef struct
{
  Mutation       mutation;
  PcqStoreRecord record;
  char           strings[];
} Put;

static Mutation *
put_new (const PcqStoreRecord *record)
{
  PcqStoreRecord copy = *record;
  char **strings[N_RECORD_STRINGS];
  gsize sizes[N_RECORD_STRINGS];
  gsize size = 0;
  Put *put;
  char *cursor;

  record_strings (&copy, strings);
  for (guint i = 0; i < N_RECORD_STRINGS; i++)
    size += sizes[i] = *strings[i] != NULL ? strlen (*strings[i]) + 1 : 0;

  put = g_malloc0 (sizeof (Put) + size);
  cursor = put->strings;
  for (guint i = 0; i < N_RECORD_STRINGS; i++)
    {
      if (*strings[i] == NULL)
        continue;
      *strings[i] = memcpy (cursor, *strings[i], sizes[i]);
      cursor += sizes[i];
    }

  put->record = copy;
  put->mutation.kind = MUTATION_PUT;
  put->mutation.record = &put->record;
  return &put->mutation;
}

static void
mutation_free (Mutation *m)
{
  if (m == NULL)   /* a finish's, handed on (post_committed ()) */
    return;

  /* A put's record and a finish's mutation share its block. */
  if (m->kind == MUTATION_FINISH)
    {
      pcq_store_finish_free (m->finish);
      return;
    }

  g_free (m->validator);
  g_free (m);
}

/* ---- store thread -------------------------------------------------- */

static gboolean
set_sqlite_error (GError      **error,
                  sqlite3      *db,
                  const char   *what)
{
  g_set_error (error, G_IO_ERROR,
               sqlite3_errcode (db) == SQLITE_CORRUPT || sqlite3_errcode (db) == SQLITE_NOTADB
                 ? G_IO_ERROR_INVALID_DATA : G_IO_ERROR_FAILED,
               "%s: %s", what, sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
exec (sqlite3     *db,
      const char  *sql,
      GError     **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, sql);
  return TRUE;
}

static const char *schema_v1 =
  "CREATE TABLE jobs ("
  "  id          INTEGER PRIMARY KEY,"
  "  url         TEXT NOT NULL,"
  "  output_dir  TEXT NOT NULL,"
  "  name        TEXT,"
  "  state       INTEGER NOT NULL,"
  "  bytes       INTEGER NOT NULL DEFAULT 0,"
  "  total       INTEGER NOT NULL DEFAULT -1,"
  "  attempts    INTEGER NOT NULL DEFAULT 0,"
  "  error       TEXT,"
  "  output_path TEXT,"
  "  validator   TEXT,"
  "  created     INTEGER NOT NULL,"
  "  finished    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX jobs_finished ON jobs (finished) WHERE finished > 0;";

/* Each entry takes the schema from version i to i + 1. */
static const char *migrations[] = {
  NULL,  /* 0 → 1 is schema_v1 */
  /* 1 → 2: API tasks. An API key is never a column. */
  "ALTER TABLE jobs ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE jobs ADD COLUMN prompt TEXT;",
  /* 2 → 3: the Git step's note ("not committed: …") outlives a restart. */
  "ALTER TABLE jobs ADD COLUMN commit_note TEXT;",
  /* 3 → 4: the SHA-256 a download is checked against, kept so that a
   * resumed one is still checked. */
  "ALTER TABLE jobs ADD COLUMN sha256 TEXT;",
  /* 4 → 5: the tokens an API task's answer took, as the server said
   * (NULL: it did not). */
  "ALTER TABLE jobs ADD COLUMN prompt_tokens INTEGER;"
  "ALTER TABLE jobs ADD COLUMN completion_tokens INTEGER;",
  /* 5 → 6: what a report tells of a task: when its first attempt
   * began, and its last HTTP status. */
  "ALTER TABLE jobs ADD COLUMN started INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE jobs ADD COLUMN http_status INTEGER NOT NULL DEFAULT 0;",
  /* 6 → 7: the order of the queue, which the person may change: the
   * list (and the queue) go by position. Until then it was the id's. */
  "ALTER TABLE jobs ADD COLUMN position INTEGER NOT NULL DEFAULT 0;"
  "UPDATE jobs SET position = id;",
  /* 7 → 8: the request headers an input line gave a download, as a
   * JSON object; a secret one's value is null (never stored: see
   * pcq_job_dup_stored_headers ()). */
  "ALTER TABLE jobs ADD COLUMN headers TEXT;",
  /* 8 → 9: the jobs of the last batch of finished files, committed as
   * done before their part files were moved to their names: a crash
   * between the two is mended when the queue is opened again
   * (PcqStoreRecord.placing). One row: their ids, 8 bytes each,
   * little-endian. */
  "CREATE TABLE placing (slot INTEGER PRIMARY KEY, ids BLOB NOT NULL);",
  /* 9 → 10: no index of finished jobs. It kept every finished file's
   * commit writing a second b-tree, for the history's pruning, which
   * runs once when the queue is opened and reads the whole table then
   * anyway. */
  "DROP INDEX IF EXISTS jobs_finished;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == PCQ_STORE_SCHEMA_VERSION);

static gboolean
migrate (sqlite3  *db,
         GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int version;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_finalize (stmt);
      return set_sqlite_error (error, db, _("Cannot read the schema version"));
    }
  version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);

  if (version > PCQ_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("The queue was written by a newer Pcq (schema %d)"), version);
      return FALSE;
    }

  if (version == PCQ_STORE_SCHEMA_VERSION)
    return TRUE;

  if (!exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;

  for (int v = version; v < PCQ_STORE_SCHEMA_VERSION; v++)
    {
      const char *sql = v == 0 ? schema_v1 : migrations[v];

      if (!exec (db, sql, error))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }
    }

  {
    g_autofree char *set = g_strdup_printf ("PRAGMA user_version = %d", PCQ_STORE_SCHEMA_VERSION);

    if (!exec (db, set, error) || !exec (db, "COMMIT", error))
      {
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        return FALSE;
      }
  }

  return TRUE;
}

static char *
dup_column (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* A count of tokens: NULL, or anything but a non-negative integer
 * (the file may have been edited), is unknown. */
static gint64
token_column (sqlite3_stmt *stmt,
              int           column)
{
  gint64 n;

  if (sqlite3_column_type (stmt, column) != SQLITE_INTEGER)
    return -1;

  n = sqlite3_column_int64 (stmt, column);
  return n >= 0 ? n : -1;
}

static gint
compare_record_position (gconstpointer a,
                         gconstpointer b)
{
  const PcqStoreRecord *ra = *(const PcqStoreRecord **) a;
  const PcqStoreRecord *rb = *(const PcqStoreRecord **) b;

  if (ra->position != rb->position)
    return ra->position < rb->position ? -1 : 1;
  return ra->id < rb->id ? -1 : ra->id > rb->id;
}

static gboolean
records_in_position_order (GPtrArray *records)
{
  for (guint i = 1; i < records->len; i++)
    {
      if (compare_record_position (&g_ptr_array_index (records, i - 1),
                                   &g_ptr_array_index (records, i)) > 0)
        return FALSE;
    }

  return TRUE;
}

/* The ids of the last batch's jobs committed as done before their
 * files were moved (the table "placing"). */
static GHashTable *
load_placing (sqlite3  *db,
              GError  **error)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (db, "SELECT ids FROM placing", -1, &stmt, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, _("Cannot read the queue")), NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const guint8 *blob = sqlite3_column_blob (stmt, 0);
      gsize size = sqlite3_column_bytes (stmt, 0);

      for (gsize at = 0; blob != NULL && at + sizeof (guint64) <= size; at += sizeof (guint64))
        {
          guint64 id;

          memcpy (&id, blob + at, sizeof id);
          id = GUINT64_FROM_LE (id);
          g_hash_table_add (ids, g_memdup2 (&id, sizeof id));
        }
    }

  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (error, db, _("Cannot read the queue")), NULL;

  return g_steal_pointer (&ids);
}

static GPtrArray *
load (sqlite3    *db,
      GTimeSpan   prune_age,
      GError    **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) pcq_store_record_free);
  g_autoptr(GHashTable) placing = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (prune_age > 0)
    {
      gint64 before = g_get_real_time () / G_USEC_PER_SEC - prune_age / G_USEC_PER_SEC;

      if (sqlite3_prepare_v2 (db, "DELETE FROM jobs WHERE finished > 0 AND finished < ?",
                              -1, &stmt, NULL) != SQLITE_OK)
        return set_sqlite_error (error, db, _("Cannot prune the history")), NULL;
      sqlite3_bind_int64 (stmt, 1, before);
      rc = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        return set_sqlite_error (error, db, _("Cannot prune the history")), NULL;
    }

  placing = load_placing (db, error);
  if (placing == NULL)
    return NULL;

  if (sqlite3_prepare_v2 (db,
                          "SELECT id, url, output_dir, name, state, bytes, total, attempts,"
                          " error, output_path, validator, created, finished, kind, prompt,"
                          " commit_note, sha256, prompt_tokens, completion_tokens, started,"
                          " http_status, position, headers"
                          " FROM jobs ORDER BY id",
                          -1, &stmt, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, _("Cannot read the queue")), NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PcqStoreRecord *record = g_new0 (PcqStoreRecord, 1);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->url = dup_column (stmt, 1);
      record->output_dir = dup_column (stmt, 2);
      record->name = dup_column (stmt, 3);
      record->state = CLAMP (sqlite3_column_int (stmt, 4), PCQ_JOB_QUEUED, PCQ_JOB_PAUSED);
      record->bytes = sqlite3_column_int64 (stmt, 5);
      record->total = sqlite3_column_int64 (stmt, 6);
      record->attempts = sqlite3_column_int (stmt, 7);
      record->error = dup_column (stmt, 8);
      record->output_path = dup_column (stmt, 9);
      record->validator = dup_column (stmt, 10);
      record->created = sqlite3_column_int64 (stmt, 11);
      record->finished = sqlite3_column_int64 (stmt, 12);
      record->kind = CLAMP (sqlite3_column_int (stmt, 13), PCQ_JOB_DOWNLOAD, PCQ_JOB_BATCH);
      record->prompt = dup_column (stmt, 14);
      record->commit_note = dup_column (stmt, 15);
      record->sha256 = dup_column (stmt, 16);
      record->prompt_tokens = token_column (stmt, 17);
      record->completion_tokens = token_column (stmt, 18);
      record->started = MAX (0, sqlite3_column_int64 (stmt, 19));
      record->http_status = CLAMP (sqlite3_column_int (stmt, 20), 0, 999);
      record->position = sqlite3_column_int64 (stmt, 21);
      record->headers = dup_column (stmt, 22);
      record->placing = record->state == PCQ_JOB_DONE && g_hash_table_contains (placing, &record->id);

      if (record->url == NULL || record->output_dir == NULL ||
          (record->kind != PCQ_JOB_DOWNLOAD && record->prompt == NULL))
        {
          pcq_store_record_free (record);
          continue;
        }

      g_ptr_array_add (records, record);
    }

  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (error, db, _("Cannot read the queue")), NULL;

  /* By id, the order of the table, is what most queues are in: sorted
   * by position only if a task was moved. */
  if (!records_in_position_order (records))
    g_ptr_array_sort (records, compare_record_position);

  return g_steal_pointer (&records);
}

/* A queue written before passwords were kept apart may have
 * `user:password@` in a URL. The password leaves the file now, its
 * bytes overwritten (secure_delete, then a checkpoint that empties the
 * WAL), and goes where it is kept today: an unfinished task's to the
 * keyring (or this run's memory), a finished task's nowhere. The
 * records loaded lose it in any case; should the file not be written
 * (a warning says so), the next change of each task writes it without. */
static void
drop_url_passwords (sqlite3   *db,
                    GPtrArray *records)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean writing = TRUE;
  guint n = 0;

  for (guint i = 0; i < records->len; i++)
    {
      PcqStoreRecord *record = g_ptr_array_index (records, i);
      const PcqJobStateInfo *info = pcq_job_state_info (record->state);
      char *bare;

      if (!pcq_keyring_url_has_password (record->url))
        continue;

      bare = info != NULL && info->finished ? pcq_keyring_drop_url_password (record->url)
                                            : pcq_keyring_take_url_password (record->url);
      pcq_secret_free (record->url);
      record->url = bare;

      if (n++ == 0 &&
          (!exec (db, "PRAGMA secure_delete = ON", &error) ||
           !exec (db, "BEGIN IMMEDIATE", &error) ||
           sqlite3_prepare_v2 (db, "UPDATE jobs SET url = ? WHERE id = ?", -1, &stmt,
                               NULL) != SQLITE_OK))
        writing = FALSE;
      if (!writing)
        continue;

      sqlite3_bind_text (stmt, 1, record->url, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, record->id);
      writing = sqlite3_step (stmt) == SQLITE_DONE;
      sqlite3_reset (stmt);
    }

  if (n == 0)
    return;

  if (writing && sqlite3_finalize (g_steal_pointer (&stmt)) == SQLITE_OK &&
      exec (db, "COMMIT", &error) &&
      exec (db, "PRAGMA wal_checkpoint(TRUNCATE)", &error) &&
      exec (db, "PRAGMA secure_delete = OFF", &error))
    return;

  if (error == NULL)
    set_sqlite_error (&error, db, _("Cannot save the queue"));
  sqlite3_finalize (stmt);
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_exec (db, "PRAGMA secure_delete = OFF", NULL, NULL, NULL);
  g_warning ("Passwords in URLs stay in the queue file for now: %s", error->message);
}

static gboolean
prepare_statements (PcqStore  *self,
                    GError   **error)
{
  for (guint i = 0; i < N_STATEMENTS; i++)
    {
      if (sqlite3_prepare_v3 (self->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                              &self->statements[i], NULL) != SQLITE_OK)
        return set_sqlite_error (error, self->db, _("Cannot prepare the store"));
    }

  return TRUE;
}

static void
close_db (PcqStore *self)
{
  for (guint i = 0; i < N_STATEMENTS; i++)
    g_clear_pointer (&self->statements[i], sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
}

static GPtrArray *
open_db (PcqStore    *self,
         const char  *path,
         GTimeSpan    prune_age,
         GError     **error)
{
  GPtrArray *records = NULL;

  if (sqlite3_open_v2 (path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      if (self->db == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Out of memory opening the queue"));
      else
        set_sqlite_error (error, self->db, _("Cannot open the queue"));
      close_db (self);
      return NULL;
    }

  sqlite3_busy_timeout (self->db, 5000);

  /* WAL: readers never block the writer. FULL: a committed job survives
   * a power cut too, not only a crash of the process. */
  if (!exec (self->db, "PRAGMA journal_mode = WAL", error) ||
      !exec (self->db, "PRAGMA synchronous = FULL", error) ||
      !migrate (self->db, error) ||
      (records = load (self->db, prune_age, error)) == NULL ||
      !prepare_statements (self, error))
    {
      g_clear_pointer (&records, g_ptr_array_unref);
      close_db (self);
      return NULL;
    }

  drop_url_passwords (self->db, records);
  self->full_sync = TRUE;

  return records;
}

/* A store that cannot be read is moved aside, never deleted: someone
 * may want to look at it. */
static char *
move_aside (const char *path)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *aside = g_strdup_printf ("%s.corrupt-%s", path, stamp);

  for (guint i = 1; g_file_test (aside, G_FILE_TEST_EXISTS) && i < 100; i++)
    {
      g_free (aside);
      aside = g_strdup_printf ("%s.corrupt-%s-%u", path, stamp, i);
    }

  if (g_rename (path, aside) != 0)
    return NULL;

  for (guint i = 0; i < 2; i++)
    {
      const char *suffix = i == 0 ? "-wal" : "-shm";
      g_autofree char *from = g_strconcat (path, suffix, NULL);
      g_autofree char *to = g_strconcat (aside, suffix, NULL);

      g_rename (from, to);
    }

  return g_steal_pointer (&aside);
}

typedef struct
{
  GTimeSpan  prune_age;
  GPtrArray *records;
  char      *notice;
} OpenResult;

static void
open_result_free (OpenResult *result)
{
  g_clear_pointer (&result->records, g_ptr_array_unref);
  g_free (result->notice);
  g_free (result);
}

static void
open_with_fallbacks (PcqStore   *self,
                     OpenResult *result)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *aside = NULL;

  g_mkdir_with_parents (dir, 0700);

  result->records = open_db (self, self->path, result->prune_age, &error);
  if (result->records != NULL)
    return;

  g_warning ("%s", error->message);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) &&
      (aside = move_aside (self->path)) != NULL)
    {
      g_clear_error (&error);
      result->records = open_db (self, self->path, result->prune_age, &error);
      if (result->records != NULL)
        {
          result->notice = g_strdup_printf (_("The saved queue could not be read and was moved "
                                              "to “%s”. Pcq starts with an empty queue."), aside);
          return;
        }
      g_warning ("%s", error->message);
    }

  /* Still nothing: run on, but say that nothing will be kept. */
  result->notice = g_strdup_printf (_("The queue cannot be saved (%s). Tasks will not be kept "
                                      "after Pcq closes."), error->message);
  g_clear_error (&error);
  result->records = open_db (self, ":memory:", 0, &error);
  g_assert (result->records != NULL);
}

static gboolean
bind_text (sqlite3_stmt *stmt,
           int           column,
           const char   *text)
{
  if (text == NULL)
    return sqlite3_bind_null (stmt, column) == SQLITE_OK;
  return sqlite3_bind_text (stmt, column, text, -1, SQLITE_STATIC) == SQLITE_OK;
}

/* A count of tokens, NULL when unknown. */
static gboolean
bind_tokens (sqlite3_stmt *stmt,
             int           column,
             gint64        n)
{
  if (n < 0)
    return sqlite3_bind_null (stmt, column) == SQLITE_OK;
  return sqlite3_bind_int64 (stmt, column, n) == SQLITE_OK;
}

static gboolean
step_and_reset (PcqStore     *self,
                sqlite3_stmt *stmt)
{
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE;

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return ok;
}

/* A finished file's job, done under its name, committed before the
 * file moves there (or failed, if it could not be moved). */
static gboolean
apply_finish (PcqStore       *self,
              PcqStoreFinish *f)
{
  sqlite3_stmt *stmt = self->statements[STMT_DONE];
  gboolean done = f->error == NULL;

  sqlite3_bind_int (stmt, 1, done ? PCQ_JOB_DONE : PCQ_JOB_FAILED);
  sqlite3_bind_int64 (stmt, 2, f->bytes);
  sqlite3_bind_int64 (stmt, 3, f->total);
  sqlite3_bind_int (stmt, 4, f->attempts);
  bind_text (stmt, 5, done ? NULL : f->error->message);
  bind_text (stmt, 6, done ? f->output_path : NULL);
  bind_text (stmt, 7, f->validator);
  sqlite3_bind_int64 (stmt, 8, g_get_real_time () / G_USEC_PER_SEC);
  bind_tokens (stmt, 9, done ? f->prompt_tokens : -1);
  bind_tokens (stmt, 10, done ? f->completion_tokens : -1);
  sqlite3_bind_int64 (stmt, 11, f->started);
  sqlite3_bind_int (stmt, 12, f->http_status);
  bind_text (stmt, 13, f->sha256);
  sqlite3_bind_int64 (stmt, 14, f->id);
  return step_and_reset (self, stmt);
}

static gboolean
to_place (Mutation *m)
{
  return m->kind == MUTATION_FINISH && !m->finish->placed && m->finish->error == NULL;
}

/* Which jobs of @batch are committed as done with their files not yet
 * moved to their names: one row, replaced by each batch that has
 * such files (those of the batch before are in place by then). */
static gboolean
note_placing (PcqStore  *self,
              GPtrArray *batch)
{
  sqlite3_stmt *stmt = self->statements[STMT_PLACING];
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint64));

  for (guint i = 0; i < batch->len; i++)
    {
      Mutation *m = g_ptr_array_index (batch, i);
      guint64 id;

      if (!to_place (m))
        continue;
      id = GUINT64_TO_LE (m->finish->id);
      g_array_append_val (ids, id);
    }

  if (ids->len == 0)
    return TRUE;

  sqlite3_bind_blob (stmt, 1, ids->data, ids->len * sizeof (guint64), SQLITE_TRANSIENT);
  return step_and_reset (self, stmt);
}

static gboolean
apply (PcqStore *self,
       Mutation *m)
{
  const PcqStoreRecord *r = m->record;
  sqlite3_stmt *stmt;

  switch (m->kind)
    {
    case MUTATION_PUT:
      stmt = self->statements[STMT_PUT];
      sqlite3_bind_int64 (stmt, 1, r->id);
      bind_text (stmt, 2, r->url);
      bind_text (stmt, 3, r->output_dir);
      bind_text (stmt, 4, r->name);
      sqlite3_bind_int (stmt, 5, r->state);
      sqlite3_bind_int64 (stmt, 6, r->bytes);
      sqlite3_bind_int64 (stmt, 7, r->total);
      sqlite3_bind_int (stmt, 8, r->attempts);
      bind_text (stmt, 9, r->error);
      bind_text (stmt, 10, r->output_path);
      bind_text (stmt, 11, r->validator);
      sqlite3_bind_int64 (stmt, 12, r->created);
      sqlite3_bind_int64 (stmt, 13, r->finished);
      sqlite3_bind_int (stmt, 14, r->kind);
      bind_text (stmt, 15, r->prompt);
      bind_text (stmt, 16, r->commit_note);
      bind_text (stmt, 17, r->sha256);
      bind_tokens (stmt, 18, r->prompt_tokens);
      bind_tokens (stmt, 19, r->completion_tokens);
      sqlite3_bind_int64 (stmt, 20, r->started);
      sqlite3_bind_int (stmt, 21, r->http_status);
      /* No position given (0): the id's, as for a job never moved. */
      sqlite3_bind_int64 (stmt, 22, r->position != 0 ? r->position : (gint64) r->id);
      bind_text (stmt, 23, r->headers);
      return step_and_reset (self, stmt);

    case MUTATION_PROGRESS:
      stmt = self->statements[STMT_PROGRESS];
      sqlite3_bind_int64 (stmt, 1, m->bytes);
      sqlite3_bind_int64 (stmt, 2, m->total);
      bind_text (stmt, 3, m->validator);
      sqlite3_bind_int64 (stmt, 4, m->id);
      return step_and_reset (self, stmt);

    case MUTATION_DELETE:
      stmt = self->statements[STMT_DELETE];
      sqlite3_bind_int64 (stmt, 1, m->id);
      return step_and_reset (self, stmt);

    case MUTATION_POSITION:
      stmt = self->statements[STMT_POSITION];
      sqlite3_bind_int64 (stmt, 1, m->position);
      sqlite3_bind_int64 (stmt, 2, m->id);
      return step_and_reset (self, stmt);

    case MUTATION_FINISH:
      return apply_finish (self, m->finish);

    case MUTATION_FLUSH:
    case MUTATION_CLOSE:
    default:
      return TRUE;
    }
}

/* Every commit is safe against a crash of the process (WAL frames are
 * in the page cache). Against a power cut, only accepting a job must
 * wait for the disk: losing the last state changes of a job only makes
 * it run again, into its own name. So a batch that accepts a job is
 * committed with synchronous=FULL, one that only records names,
 * progress or state changes without — and the next full sync covers
 * those too. On a disk, this is what keeps the names and the done
 * states of finished files from waiting for an fsync every batch. */
static gboolean
needs_full_sync (GPtrArray *batch)
{
  for (guint i = 0; i < batch->len; i++)
    {
      Mutation *m = g_ptr_array_index (batch, i);

      if (m->kind == MUTATION_PUT && m->committed != NULL)
        return TRUE;
    }

  return FALSE;
}

/* One transaction: @step for each mutation of @batch, all or nothing. */
static gboolean
transact (PcqStore   *self,
          GPtrArray  *batch,
          gboolean  (*step) (PcqStore *, Mutation *))
{
  if (!step_and_reset (self, self->statements[STMT_BEGIN]))
    return FALSE;

  for (guint i = 0; i < batch->len; i++)
    {
      if (!step (self, g_ptr_array_index (batch, i)))
        {
          step_and_reset (self, self->statements[STMT_ROLLBACK]);
          return FALSE;
        }
    }

  if (!note_placing (self, batch) || !step_and_reset (self, self->statements[STMT_COMMIT]))
    {
      step_and_reset (self, self->statements[STMT_ROLLBACK]);
      return FALSE;
    }

  return TRUE;
}

static gboolean
has_finish (GPtrArray *batch)
{
  for (guint i = 0; i < batch->len; i++)
    {
      if (((Mutation *) g_ptr_array_index (batch, i))->kind == MUTATION_FINISH)
        return TRUE;
    }

  return FALSE;
}

/* Moves the finished files of @batch, whose jobs are committed as
 * done under those names, to them. Should another file have taken a
 * name meanwhile, the job takes the next free one; should a file not
 * move at all, the job fails. Returns whether either happened, so that
 * the new names (or the failures) are committed before the next try. */
static gboolean
move_files (GPtrArray *batch)
{
  gboolean changed = FALSE;

  for (guint i = 0; i < batch->len; i++)
    {
      Mutation *m = g_ptr_array_index (batch, i);
      PcqStoreFinish *f = m->finish;

      if (!to_place (m))
        continue;

      if (pcq_sink_rename_part (f->part_path, f->output_path, &f->error))
        {
          f->placed = TRUE;
          pcq_sink_release (f->names, f->output_path);
          continue;
        }

      changed = TRUE;
      if (!g_error_matches (f->error, G_IO_ERROR, G_IO_ERROR_EXISTS) || ++f->conflicts > 10)
        continue;

      g_clear_error (&f->error);
      pcq_sink_take_next_name (f->names, &f->output_path, &f->error);
    }

  return changed;
}

/* One syncfs() per file system for the finished files of @batch that
 * are (or are to be) in place: before their jobs are committed as
 * done, their contents are on disk. Each folder is opened once a
 * batch, however many of its files it holds. */
static void
sync_finished (GPtrArray *batch)
{
  g_autoptr(GHashTable) dirs = NULL;
  g_autoptr(GHashTable) synced = NULL;
  const char *last = NULL;
  gsize last_len = 0;

  if (!has_finish (batch))
    return;

  dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  synced = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < batch->len; i++)
    {
      Mutation *m = g_ptr_array_index (batch, i);
      const char *path;
      const char *slash;
      char *dir;
      struct stat st;
      int fd;

      if (m->kind != MUTATION_FINISH || m->finish->error != NULL)
        continue;

      /* Most often in the folder of the file before. */
      path = m->finish->output_path;
      slash = strrchr (path, G_DIR_SEPARATOR);
      if (last != NULL && slash != NULL && (gsize) (slash - path) == last_len &&
          strncmp (path, last, last_len) == 0)
        continue;

      /* The set keeps this copy, even when it held the folder already. */
      dir = g_path_get_dirname (path);
      last = dir;
      last_len = strlen (dir);
      if (!g_hash_table_add (dirs, dir))
        continue;

      fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
      if (fd < 0)
        continue;

      if (fstat (fd, &st) == 0 && !g_hash_table_contains (synced, &(gint64){ st.st_dev }))
        {
          if (syncfs (fd) != 0)
            g_warning ("syncfs on “%s” failed: %s", dir, g_strerror (errno));
          g_hash_table_add (synced, g_memdup2 (&(gint64){ st.st_dev }, sizeof (gint64)));
        }

      close (fd);
    }
}

/* All of @batch or nothing; its finished files' contents synced first. */
static gboolean
commit_batch (PcqStore  *self,
              GPtrArray *batch)
{
  gboolean full = needs_full_sync (batch);

  sync_finished (batch);

  if (full != self->full_sync &&
      sqlite3_exec (self->db, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                    NULL, NULL, NULL) == SQLITE_OK)
    self->full_sync = full;

  return transact (self, batch, apply);
}

/* A finished file whose move changed its job: a new name, or a failure. */
static gboolean
apply_moved (PcqStore *self,
             Mutation *m)
{
  if (m->kind != MUTATION_FINISH || m->finish->placed)
    return TRUE;

  return apply_finish (self, m->finish);
}

/* The finished files of a committed batch (their contents synced, their
 * jobs done under their names) moved into place. A file that cannot be
 * moved leaves no part file. When no more work is queued, the moves are
 * synced too; otherwise the next batch's sync covers them. */
static gboolean
finish_files (PcqStore  *self,
              GPtrArray *batch)
{
  while (move_files (batch))
    {
      if (!transact (self, batch, apply_moved))
        return FALSE;
    }

  for (guint i = 0; i < batch->len; i++)
    {
      Mutation *m = g_ptr_array_index (batch, i);

      if (m->kind == MUTATION_FINISH && m->finish->error != NULL)
        pcq_sink_remove_part (m->finish->part_path);
    }

  if (g_async_queue_length (self->mutations) <= 0)
    sync_finished (batch);
  return TRUE;
}

/* Hands a committed batch's callbacks to the main context, in order. */
static void
post_committed (PcqStore  *self,
                GPtrArray *batch)
{
  for (guint i = 0; i < batch->len; i++)
    {
      Mutation *m = g_ptr_array_index (batch, i);

      if (m->kind == MUTATION_FINISH)
        {
          /* Its mutation is inside it: both are the callback's now. */
          pcq_dispatcher_post_full (self->dispatcher, m->finished, m->finish,
                                    (GDestroyNotify) pcq_store_finish_free, m->soon);
          batch->pdata[i] = NULL;
        }
      else if (m->committed != NULL)
        pcq_dispatcher_post_full (self->dispatcher, m->committed, m->user_data, NULL, m->soon);
    }
}

static void
signal_waiter (Mutation *m)
{
  g_mutex_lock (m->done_lock);
  *m->done = TRUE;
  g_cond_signal (m->done_cond);
  g_mutex_unlock (m->done_lock);
}

/* Group commit: adds @m (if any) and whatever else is queued now to
 * @batch. Returns whether it took the close (nothing comes after it). */
static gboolean
take_queued (PcqStore  *self,
             GPtrArray *batch,
             Mutation  *m)
{
  for (;;)
    {
      if (m == NULL &&
          (batch->len >= MAX_BATCH || (m = g_async_queue_try_pop (self->mutations)) == NULL))
        return FALSE;

      g_ptr_array_add (batch, m);
      if (m->kind == MUTATION_CLOSE)
        return TRUE;
      m = NULL;
    }
}

static gboolean
has_waiter (GPtrArray *batch,
            guint      from)
{
  for (guint i = from; i < batch->len; i++)
    {
      if (((Mutation *) g_ptr_array_index (batch, i))->done != NULL)
        return TRUE;
    }

  return FALSE;
}

/* Gathers more of a flow of finished files into @batch: a moment at a
 * time, for as long as each moment brings more, until @until. A flow
 * that stops (the run's last files) is committed a moment after its
 * last file; a steady one in batches of @until's worth, which keeps a
 * long queue's commits cheap (each rewrites the pages its rows share).
 * Someone waiting for the batch ends it. Returns take_queued ()'s. */
static gboolean
linger (PcqStore  *self,
        GPtrArray *batch,
        gint64     until)
{
  guint before;

  do
    {
      before = batch->len;
      g_usleep (FINISH_LINGER_US);
      if (take_queued (self, batch, NULL))
        return TRUE;
    }
  while (batch->len > before && batch->len < MAX_BATCH && !has_waiter (batch, before) &&
         g_get_monotonic_time () < until);

  return FALSE;
}

static gpointer
store_thread (gpointer data)
{
  PcqStore *self = data;
  /* One array for every batch, emptied after each. */
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) mutation_free);
  gboolean closing = FALSE;
  int applied_nice = 0;

  while (!closing)
    {
      gboolean committed;
      Mutation *m;

      closing = take_queued (self, batch, g_async_queue_pop (self->mutations));
      pcq_lower_thread_priority (g_atomic_int_get (&self->nice), &applied_nice);

      /* Files finish one after another when the queue is busy: moments
       * for the next ones turn a commit per file into one per batch.
       * Only when files came moments ago too: the first file of a run is
       * not held up. Asleep, not waiting on the queue, so that no
       * hand-over wakes the thread meanwhile. */
      if (!closing && has_finish (batch))
        {
          gint64 since = g_get_monotonic_time ();

          if (since - self->finish_at < 2 * FINISH_LINGER_US)
            closing = linger (self, batch, since + FINISH_BATCH_US);
          self->finish_at = g_get_monotonic_time ();
        }

      /* A batch that cannot be committed (disk full, a lock, an I/O
       * error) is tried again: its callbacks say "committed", so they
       * must not run before it is. Only a closing store gives up. */
      committed = commit_batch (self, batch) && finish_files (self, batch);
      for (guint attempt = 0; !committed; attempt++)
        {
          if (attempt % 10 == 0)
            g_warning ("Cannot save the queue, trying again: %s", sqlite3_errmsg (self->db));
          if (closing && attempt >= 10)
            {
              g_warning ("Giving up saving the queue");
              break;
            }
          g_usleep (MIN (100 * 1000 << MIN (attempt, 5), 2 * G_USEC_PER_SEC));
          committed = commit_batch (self, batch) && finish_files (self, batch);
        }

      for (guint i = 0; i < batch->len; i++)
        {
          m = g_ptr_array_index (batch, i);
          if (m->done != NULL)
            signal_waiter (m);
        }

      if (committed)
        post_committed (self, batch);
      g_ptr_array_set_size (batch, 0);
    }

  sqlite3_exec (self->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  close_db (self);

  return NULL;
}

static void
open_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PcqStore *self = source_object;
  OpenResult *result = task_data;

  open_with_fallbacks (self, result);

  /* From here on, the connection belongs to the store thread. */
  self->thread = g_thread_new ("pcq-store", store_thread, self);
  g_task_return_boolean (task, TRUE);
}

/* ---- main thread --------------------------------------------------- */

static void
pcq_store_dispose (GObject *object)
{
  pcq_store_close (PCQ_STORE (object));

  G_OBJECT_CLASS (pcq_store_parent_class)->dispose (object);
}

static void
pcq_store_finalize (GObject *object)
{
  PcqStore *self = (PcqStore *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->mutations, g_async_queue_unref);
  /* Not closed first: callbacks still pending run all the same, unless
   * this was the last reference (see pcq_store_put()). */
  g_clear_pointer (&self->dispatcher, pcq_dispatcher_unref);

  G_OBJECT_CLASS (pcq_store_parent_class)->finalize (object);
}

static void
pcq_store_class_init (PcqStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pcq_store_dispose;
  object_class->finalize = pcq_store_finalize;
}

static void
pcq_store_init (PcqStore *self)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  self->dispatcher = pcq_dispatcher_new (context, "[pcq] store committed");
  self->mutations = g_async_queue_new_full ((GDestroyNotify) mutation_free);
}

/**
 * pcq_store_new:
 * @path: the SQLite file (its folder is created when needed)
 *
 * Creates a store. Nothing is read or written until pcq_store_open_async().
 */
PcqStore *
pcq_store_new (const char *path)
{
  PcqStore *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (PCQ_TYPE_STORE, NULL);
  self->path = g_strdup (path);

  return self;
}

/**
 * pcq_store_set_dispatcher:
 * @dispatcher: brings the "committed" callbacks to the main context
 *   (a reference is kept)
 *
 * Shares @dispatcher instead of the one the store made on the context
 * that was current at pcq_store_new(). Call it before the first put
 * with a callback: the store thread posts to it without a lock.
 */
void
pcq_store_set_dispatcher (PcqStore      *self,
                          PcqDispatcher *dispatcher)
{
  g_return_if_fail (PCQ_IS_STORE (self));
  g_return_if_fail (dispatcher != NULL);
  g_return_if_fail (!self->posted);

  pcq_dispatcher_ref (dispatcher);
  g_clear_pointer (&self->dispatcher, pcq_dispatcher_unref);
  self->dispatcher = dispatcher;
}

const char *
pcq_store_get_path (PcqStore *self)
{
  g_return_val_if_fail (PCQ_IS_STORE (self), NULL);
  return self->path;
}

/**
 * pcq_store_open_async:
 * @prune_age: finished jobs older than this are deleted; 0 keeps all
 *
 * Opens (creating or migrating) the store off the main thread and reads
 * every job. A store that cannot be read is moved aside and replaced by
 * an empty one; the finish function then gives a notice to show once.
 */
void
pcq_store_open_async (PcqStore            *self,
                      GTimeSpan            prune_age,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OpenResult *result;

  g_return_if_fail (PCQ_IS_STORE (self));
  g_return_if_fail (self->thread == NULL);

  result = g_new0 (OpenResult, 1);
  result->prune_age = prune_age;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_store_open_async);
  g_task_set_task_data (task, result, (GDestroyNotify) open_result_free);
  g_task_run_in_thread (task, open_in_thread);
}

/**
 * pcq_store_open_finish:
 * @notice: (out) (optional): a message for the person, or %NULL
 *
 * Returns: (transfer full): the stored jobs as #PcqStoreRecord, in queue order (by position)
 */
GPtrArray *
pcq_store_open_finish (PcqStore      *self,
                       GAsyncResult  *result,
                       char         **notice,
                       GError       **error)
{
  OpenResult *data;

  g_return_val_if_fail (PCQ_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  data = g_task_get_task_data (G_TASK (result));
  if (notice != NULL)
    *notice = g_steal_pointer (&data->notice);

  return g_steal_pointer (&data->records);
}

static void
open_sync_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/**
 * pcq_store_open_sync:
 *
 * Like pcq_store_open_async(), waiting for the store thread. For
 * programs without a window (headless mode, tests).
 */
GPtrArray *
pcq_store_open_sync (PcqStore   *self,
                     GTimeSpan   prune_age,
                     char      **notice,
                     GError    **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;
  GPtrArray *records;

  g_main_context_push_thread_default (context);
  pcq_store_open_async (self, prune_age, NULL, open_sync_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  records = pcq_store_open_finish (self, result, notice, error);
  g_main_context_pop_thread_default (context);

  return records;
}

static void
push (PcqStore *self,
      Mutation *m)
{
  if (self->thread == NULL)
    {
      g_critical ("Store “%s” is not open", self->path);
      mutation_free (m);
      return;
    }

  g_async_queue_push (self->mutations, m);
}

/**
 * pcq_store_put:
 * @record: the whole job (copied)
 * @committed: (nullable): called on the main context once committed
 *   (through the store's dispatcher: not if that is closed first, or
 *   dropped with the store's last reference)
 */
void
pcq_store_put (PcqStore             *self,
               const PcqStoreRecord *record,
               PcqStoreCommitted     committed,
               gpointer              user_data)
{
  pcq_store_put_full (self, record, committed, user_data, FALSE);
}

/**
 * pcq_store_put_full:
 * @soon: @committed does not wait for the dispatch interval: someone
 *   waits for it (idle workers, for a job that may start)
 *
 * As pcq_store_put ().
 */
void
pcq_store_put_full (PcqStore             *self,
                    const PcqStoreRecord *record,
                    PcqStoreCommitted     committed,
                    gpointer              user_data,
                    gboolean              soon)
{
  Mutation *m;

  g_return_if_fail (PCQ_IS_STORE (self));
  g_return_if_fail (record != NULL);

  m = put_new (record);
  m->committed = committed;
  m->user_data = user_data;
  m->soon = soon;
  self->posted |= committed != NULL;
  push (self, m);
}

/**
 * pcq_store_put_progress:
 * @validator: (nullable): what lets the job's part file be resumed
 */
void
pcq_store_put_progress (PcqStore   *self,
                        guint64     id,
                        gint64      bytes,
                        gint64      total,
                        const char *validator)
{
  Mutation *m;

  g_return_if_fail (PCQ_IS_STORE (self));

  m = g_new0 (Mutation, 1);
  m->kind = MUTATION_PROGRESS;
  m->id = id;
  m->bytes = bytes;
  m->total = total;
  m->validator = g_strdup (validator);
  push (self, m);
}

void
pcq_store_delete (PcqStore *self,
                  guint64   id)
{
  Mutation *m;

  g_return_if_fail (PCQ_IS_STORE (self));

  m = g_new0 (Mutation, 1);
  m->kind = MUTATION_DELETE;
  m->id = id;
  push (self, m);
}

/**
 * pcq_store_put_position:
 *
 * Keeps where a moved job is in the queue. Moving one job past many
 * changes many positions: each is one small row update, and they are
 * committed together with whatever else is waiting.
 */
void
pcq_store_put_position (PcqStore *self,
                        guint64   id,
                        gint64    position)
{
  Mutation *m;

  g_return_if_fail (PCQ_IS_STORE (self));

  m = g_new0 (Mutation, 1);
  m->kind = MUTATION_POSITION;
  m->id = id;
  m->position = position;
  push (self, m);
}

static void
push_and_wait (PcqStore *self,
               Mutation *m)
{
  GMutex lock;
  GCond cond;
  gboolean done = FALSE;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  m->done_lock = &lock;
  m->done_cond = &cond;
  m->done = &done;
  push (self, m);

  g_mutex_lock (&lock);
  while (!done)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);

  g_mutex_clear (&lock);
  g_cond_clear (&cond);
}

/**
 * pcq_store_set_nice:
 * @nice: the store thread's nice value (only ever raised)
 *
 * The thread takes it before its next batch.
 */
void
pcq_store_set_nice (PcqStore *self,
                    int       nice)
{
  g_return_if_fail (PCQ_IS_STORE (self));

  g_atomic_int_set (&self->nice, CLAMP (nice, 0, 19));
}

/**
 * pcq_store_flush:
 *
 * Waits until everything pushed so far is committed. Blocks: for
 * shutdown and tests only.
 */
void
pcq_store_flush (PcqStore *self)
{
  g_return_if_fail (PCQ_IS_STORE (self));

  if (self->thread != NULL)
    {
      Mutation *m = g_new0 (Mutation, 1);

      m->kind = MUTATION_FLUSH;
      push_and_wait (self, m);
    }
}

/* A finish and the mutation that carries it to the store thread: one
 * block, made by a worker and freed on the main thread. */
typedef struct
{
  PcqStoreFinish finish;
  Mutation       mutation;
} Finish;

/**
 * pcq_store_finish_new:
 *
 * Returns: (transfer full): an empty finish, for pcq_store_finish_file ()
 */
PcqStoreFinish *
pcq_store_finish_new (void)
{
  Finish *block = g_new0 (Finish, 1);

  return &block->finish;
}

void
pcq_store_finish_free (PcqStoreFinish *finish)
{
  if (finish == NULL)
    return;

  g_free (finish->part_path);
  g_free (finish->output_path);
  g_free (finish->validator);
  g_free (finish->sha256);
  g_clear_pointer (&finish->names, pcq_names_unref);
  g_clear_error (&finish->error);
  if (finish->user_data_free != NULL)
    finish->user_data_free (finish->user_data);
  g_free ((Finish *) finish);
}

/**
 * pcq_store_finish_file:
 * @finish: (transfer full): a job whose body is complete in its part
 *   file, made with pcq_store_finish_new ()
 * @finished: called with @finish on the main context once the job is
 *   committed as done (or, should its file not be movable, as failed
 *   with @finish's error set)
 * @soon: @finished does not wait for the dispatch interval (one of the
 *   queue's last files)
 *
 * Puts a finished file in place for its job: the part file is synced,
 * the job committed as done under its final name (with a note that its
 * file is on its way there), and the part file moved there, never
 * replacing a file (a name taken meanwhile gives way to the next free
 * one, committed first). A crash at any point leaves no file under a
 * name the store does not know as the job's own, and a job committed
 * as done whose file was not moved yet has it moved when the queue is
 * opened again (pcq_engine_restore ()). Thread-safe: workers hand
 * their files over and go on.
 */
void
pcq_store_finish_file (PcqStore        *self,
                       PcqStoreFinish  *finish,
                       PcqDispatchFunc  finished,
                       gboolean         soon)
{
  Mutation *m;

  g_return_if_fail (PCQ_IS_STORE (self));
  g_return_if_fail (finish != NULL && finish->part_path != NULL && finish->output_path != NULL);

  m = &((Finish *) finish)->mutation;
  m->kind = MUTATION_FINISH;
  m->finish = finish;
  m->finished = finished;
  m->soon = soon;
  push (self, m);
}

/**
 * pcq_store_close:
 *
 * Commits what is pending and closes the database. Blocks until the
 * store thread has finished.
 */
void
pcq_store_close (PcqStore *self)
{
  g_return_if_fail (PCQ_IS_STORE (self));

  if (self->thread == NULL)
    return;

  {
    Mutation *m = g_new0 (Mutation, 1);

    m->kind = MUTATION_CLOSE;
    push_and_wait (self, m);
  }
  g_thread_join (g_steal_pointer (&self->thread));
}

/**
 * pcq_store_lock:
 * @path: the store's path
 * @out_fd: (out): the lock's file descriptor, to keep open while in use
 *
 * Takes the lock beside a store, so that one process at a time uses it.
 *
 * Returns: %FALSE with %G_IO_ERROR_BUSY naming the other process's pid
 *   when the store is in use
 */
gboolean
pcq_store_lock (const char  *path,
                int         *out_fd,
                GError     **error)
{
  g_autofree char *lock_path = g_strconcat (path, ".lock", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *pid = NULL;
  int fd;

  g_mkdir_with_parents (dir, 0700);
  fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot lock “%s”: %s"), lock_path, g_strerror (errsv));
      return FALSE;
    }

  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      char buf[32] = { 0 };
      ssize_t n = pread (fd, buf, sizeof buf - 1, 0);

      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   /* Translators: the first %s is a process id, or “unknown” */
                   _("Another Pcq (pid %s) is using “%s”"),
                   /* Translators: in “Another Pcq (pid unknown) is using …” */
                   n > 0 ? g_strstrip (buf) : _("unknown"), path);
      return FALSE;
    }

  pid = g_strdup_printf ("%d\n", (int) getpid ());
  if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, strlen (pid), 0) < 0)
    g_warning ("Cannot write the pid to “%s”", lock_path);

  *out_fd = fd;
  return TRUE;
}
