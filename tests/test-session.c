/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "pcq-defaults.h"
#include "pcq-session.h"
#include "pcq-store.h"
#include "pcq-test-util.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = pcq_test_make_tmpdir ("pcq-session-XXXXXX");
  f->path = g_build_filename (f->dir, "queue.sqlite", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  pcq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

/* A store with two unfinished jobs (one queued, one that was running)
 * and one done, written straight through PcqStore. */
static void
write_store (Fixture *f)
{
  static const PcqJobState states[] = { PCQ_JOB_QUEUED, PCQ_JOB_ACTIVE, PCQ_JOB_DONE };
  g_autoptr(PcqStore) store = pcq_store_new (f->path);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  records = pcq_store_open_sync (store, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:9/s-%u.bin", i);
      PcqStoreRecord record = {
        .id = i + 1,
        .kind = PCQ_JOB_DOWNLOAD,
        .url = url,
        .output_dir = f->dir,
        .state = states[i],
        .created = g_get_real_time () / G_USEC_PER_SEC,
        .finished = states[i] == PCQ_JOB_DONE ? g_get_real_time () / G_USEC_PER_SEC : 0,
      };

      pcq_store_put (store, &record, NULL, NULL);
    }

  pcq_store_close (store);
}

static guint
n_jobs (PcqEngine *engine)
{
  return g_list_model_get_n_items (pcq_engine_get_jobs (engine));
}

static void
test_sync_restore (Fixture       *f,
                   gconstpointer  data)
{
  PcqRestoreFlags flags = GPOINTER_TO_UINT (data);
  g_autoptr(PcqEngine) engine = pcq_engine_new ();
  g_autoptr(PcqSession) session = NULL;
  g_autoptr(GError) error = NULL;

  write_store (f);

  /* Paused: restored jobs stay queued, nothing is fetched. */
  pcq_engine_set_paused (engine, TRUE);
  session = pcq_session_new_sync (engine, f->path, PCQ_DEFAULT_HISTORY_DAYS, flags, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);
  g_assert_true (pcq_session_get_engine (session) == engine);
  g_assert_cmpstr (pcq_session_get_path (session), ==, f->path);
  g_assert_null (pcq_session_get_notice (session));

  if (flags & PCQ_RESTORE_UNFINISHED)
    {
      g_assert_cmpuint (pcq_engine_get_n_queued (engine), ==, 2);
      g_assert_cmpuint (pcq_session_get_n_held_back (session), ==, 0);
    }
  else
    {
      g_assert_cmpuint (pcq_engine_get_n_queued (engine), ==, 0);
      g_assert_cmpuint (pcq_session_get_n_held_back (session), ==, 2);
    }
  g_assert_cmpuint (pcq_engine_get_n_done (engine), ==, (flags & PCQ_RESTORE_FINISHED) ? 1 : 0);
  g_assert_cmpuint (n_jobs (engine),
                    ==,
                    ((flags & PCQ_RESTORE_UNFINISHED) ? 2 : 0) + ((flags & PCQ_RESTORE_FINISHED) ? 1 : 0));

  pcq_session_close (session);
  /* Twice is fine. */
  pcq_session_close (session);
}

/* One process at a time: the second session is refused with the
 * first one's pid; once the first is closed, it opens. */
static void
test_busy (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(PcqEngine) engine = pcq_engine_new ();
  g_autoptr(PcqEngine) other = pcq_engine_new ();
  g_autoptr(PcqSession) session = NULL;
  g_autoptr(PcqSession) refused = NULL;
  g_autoptr(PcqSession) later = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());

  session = pcq_session_new_sync (engine, f->path, 0, 0, NULL, &error);
  g_assert_no_error (error);

  refused = pcq_session_new_sync (other, f->path, 0, 0, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, pid));
  g_clear_error (&error);

  pcq_session_close (session);
  later = pcq_session_new_sync (other, f->path, 0, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (later);
}

static void
new_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The window's way: opened and closed off the main thread. */
static void
test_async (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(PcqEngine) engine = pcq_engine_new ();
  g_autoptr(PcqEngine) other = pcq_engine_new ();
  g_autoptr(PcqSession) session = NULL;
  g_autoptr(PcqSession) refused = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  write_store (f);
  pcq_engine_set_paused (engine, TRUE);
  pcq_session_new_async (engine, f->path, 0, PCQ_RESTORE_FINISHED | PCQ_RESTORE_UNFINISHED,
                         NULL, new_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, 5000);
  session = pcq_session_new_finish (result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);
  g_assert_cmpuint (n_jobs (engine), ==, 3);
  g_clear_object (&result);

  pcq_session_new_async (other, f->path, 0, 0, NULL, new_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, 5000);
  refused = pcq_session_new_finish (result, &error);
  g_assert_null (refused);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  g_clear_object (&result);

  pcq_session_close_async (session, NULL, new_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, 5000);
  g_assert_true (pcq_session_close_finish (session, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* The lock went with it. */
  pcq_session_new_async (other, f->path, 0, 0, NULL, new_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, 5000);
  g_clear_object (&refused);
  refused = pcq_session_new_finish (result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (refused);
}

/* Set while the store may warn (from its own thread). */
static gint store_may_warn;

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  if (g_atomic_int_get (&store_may_warn) && (log_level & G_LOG_LEVEL_WARNING))
    {
      for (gsize i = 0; i < n_fields; i++)
        {
          if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0 &&
              g_strcmp0 (fields[i].value, "pcq-store") == 0)
            return G_LOG_WRITER_HANDLED;
        }
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* A store that cannot be read is moved aside; the session opens, and
 * says so. */
static void
test_notice (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(PcqEngine) engine = pcq_engine_new ();
  g_autoptr(PcqSession) session = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (f->path, "this is not SQLite, not at all, no, no", -1, &error);
  g_assert_no_error (error);

  /* The store warns about the file it moves aside. */
  g_atomic_int_set (&store_may_warn, TRUE);
  session = pcq_session_new_sync (engine, f->path, 0, PCQ_RESTORE_UNFINISHED, NULL, &error);
  g_atomic_int_set (&store_may_warn, FALSE);
  g_assert_no_error (error);
  g_assert_nonnull (pcq_session_get_notice (session));
  g_assert_cmpuint (n_jobs (engine), ==, 0);
}

/* The schema repeats the defaults of pcq-defaults.h: they agree. */
static void
test_schema_defaults (void)
{
  static const struct { const char *key; guint value; } defaults[] = {
    { "max-active", PCQ_DEFAULT_MAX_ACTIVE },
    { "max-api-active", PCQ_DEFAULT_MAX_API_ACTIVE },
    { "max-per-host", 0 },
    { "retries", PCQ_DEFAULT_RETRIES },
    { "stall-timeout", PCQ_DEFAULT_STALL_TIMEOUT },
    { "min-speed", PCQ_DEFAULT_MIN_SPEED / 1024 },  /* KiB/s */
    { "history-days", PCQ_DEFAULT_HISTORY_DAYS },
  };
  g_autoptr(GSettingsSchemaSource) source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(PcqEngine) engine = pcq_engine_new ();
  g_autoptr(GError) error = NULL;

  source = g_settings_schema_source_new_from_directory (PCQ_SCHEMA_DIR, NULL, TRUE, &error);
  g_assert_no_error (error);
  schema = g_settings_schema_source_lookup (source, APPLICATION_ID, FALSE);
  g_assert_nonnull (schema);

  for (guint i = 0; i < G_N_ELEMENTS (defaults); i++)
    {
      g_autoptr(GSettingsSchemaKey) key = g_settings_schema_get_key (schema, defaults[i].key);
      g_autoptr(GVariant) value = g_settings_schema_key_get_default_value (key);

      g_test_message ("%s", defaults[i].key);
      g_assert_cmpuint (g_variant_get_uint32 (value), ==, defaults[i].value);
    }

  /* And the engine starts with them. */
  g_assert_cmpuint (pcq_engine_get_max_active (engine), ==, PCQ_DEFAULT_MAX_ACTIVE);
  g_assert_cmpuint (pcq_engine_get_max_api_active (engine), ==, PCQ_DEFAULT_MAX_API_ACTIVE);
  g_assert_cmpuint (pcq_engine_get_max_per_host (engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_retries (engine), ==, PCQ_DEFAULT_RETRIES);
  g_assert_cmpuint (pcq_engine_get_stall_timeout (engine), ==, PCQ_DEFAULT_STALL_TIMEOUT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_log_set_writer_func (log_writer, NULL, NULL);

#define ADD(path, data, func) \
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown)

  ADD ("/pcq/session/restore/window",
       GUINT_TO_POINTER (PCQ_RESTORE_FINISHED | PCQ_RESTORE_UNFINISHED), test_sync_restore);
  ADD ("/pcq/session/restore/headless", GUINT_TO_POINTER (0), test_sync_restore);
  ADD ("/pcq/session/restore/headless-resume",
       GUINT_TO_POINTER (PCQ_RESTORE_UNFINISHED), test_sync_restore);
  ADD ("/pcq/session/busy", NULL, test_busy);
  ADD ("/pcq/session/async", NULL, test_async);
  ADD ("/pcq/session/notice", NULL, test_notice);
  g_test_add_func ("/pcq/session/schema-defaults", test_schema_defaults);

  return g_test_run ();
}
