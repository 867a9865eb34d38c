/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "pcq-engine.h"
#include "pcq-job.h"
#include "pcq-sink.h"
#include "pcq-test-server.h"
#include "pcq-test-engine.h"
#include "pcq-test-monitor.h"
#include "pcq-test-util.h"
#include "pcq-worker.h"

/* Bounds of the waits. Generous, so that a loaded machine does not make a
 * correct engine fail; a stuck engine still fails in seconds. */
#define SHORT_WAIT_MS 5000
#define LONG_WAIT_MS  15000

/* A slow body that outlives any test: 10 MB at 8 KiB per 50 ms. */
#define ENDLESS_QUERY "size=10000000&chunk=8192&delay=50"

typedef struct
{
  PcqTestServer *server;
  PcqEngine     *engine;
  char          *tmp;        /* removed at the end */
  char          *out;        /* tmp/out, the output folder */
  GPtrArray     *jobs;       /* submitted jobs (ref'd) */
  GPtrArray     *finished;   /* one entry per "job-finished" emission */
  GThread       *main_thread;
  guint          off_main;   /* notifies or signals seen off the main thread */
  guint          not_finished_at_signal;
  guint          max_n_active;
  guint          n_count_notifies;
  guint64        max_bytes_per_second;
  gboolean       shut_down;
} Ctx;

/* Context */

static void
note_thread (Ctx *ctx)
{
  if (g_thread_self () != ctx->main_thread)
    g_atomic_int_inc (&ctx->off_main);
}

static void
engine_notify_cb (GObject    *object,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  Ctx *ctx = user_data;
  const char *name = g_param_spec_get_name (pspec);

  note_thread (ctx);

  if (g_thread_self () != ctx->main_thread)
    return;

  if (g_str_has_prefix (name, "n-"))
    ctx->n_count_notifies++;
  if (g_str_equal (name, "n-active"))
    ctx->max_n_active = MAX (ctx->max_n_active,
                             pcq_engine_get_n_active (PCQ_ENGINE (object)));
  if (g_str_equal (name, "bytes-per-second"))
    ctx->max_bytes_per_second = MAX (ctx->max_bytes_per_second,
                                     pcq_engine_get_bytes_per_second (PCQ_ENGINE (object)));
}

static void
job_finished_cb (PcqEngine *engine,
                 PcqJob    *job,
                 gpointer   user_data)
{
  Ctx *ctx = user_data;

  note_thread (ctx);
  if (g_thread_self () != ctx->main_thread)
    return;

  g_assert_true (PCQ_IS_JOB (job));
  if (!pcq_job_is_finished (job))
    ctx->not_finished_at_signal++;
  g_ptr_array_add (ctx->finished, g_object_ref (job));
}

static void
job_notify_cb (GObject    *object,
               GParamSpec *pspec,
               gpointer    user_data)
{
  note_thread (user_data);
}

/* Sets an integer property whatever its exact integer type. */
static void
set_uint_property (gpointer    object,
                   const char *name,
                   guint       value)
{
  GValue v = G_VALUE_INIT;

  g_assert_nonnull (g_object_class_find_property (G_OBJECT_GET_CLASS (object), name));
  g_value_init (&v, G_TYPE_UINT);
  g_value_set_uint (&v, value);
  g_object_set_property (object, name, &v);
  g_value_unset (&v);
}

/* Through the property, as GSettings sets it. */
static void
set_int64_start_at (PcqEngine *engine,
                    gint64     value)
{
  g_object_set (engine, "start-at", value, NULL);
}

static guint64
get_uint_property (gpointer    object,
                   const char *name)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);
  GValue v = G_VALUE_INIT;
  GValue u = G_VALUE_INIT;
  guint64 result;

  g_assert_nonnull (pspec);
  g_value_init (&v, pspec->value_type);
  g_object_get_property (object, name, &v);
  g_value_init (&u, G_TYPE_UINT64);
  g_assert_true (g_value_transform (&v, &u));
  result = g_value_get_uint64 (&u);
  g_value_unset (&v);
  g_value_unset (&u);

  return result;
}

static Ctx *
ctx_new_for (PcqTestServer *server)
{
  Ctx *ctx = g_new0 (Ctx, 1);

  ctx->main_thread = g_thread_self ();
  ctx->tmp = pcq_test_make_tmpdir ("pcq-engine-XXXXXX");
  ctx->out = g_build_filename (ctx->tmp, "out", NULL);
  g_assert_cmpint (g_mkdir (ctx->out, 0700), ==, 0);
  ctx->jobs = g_ptr_array_new_with_free_func (g_object_unref);
  ctx->finished = g_ptr_array_new_with_free_func (g_object_unref);
  ctx->server = server;

  ctx->engine = pcq_engine_new ();
  g_assert_true (PCQ_IS_ENGINE (ctx->engine));
  /* Short backoff and a bounded stall timeout keep the suite fast. */
  set_uint_property (ctx->engine, "retry-base-delay", 50);
  pcq_engine_set_stall_timeout (ctx->engine, 10);

  g_signal_connect (ctx->engine, "notify", G_CALLBACK (engine_notify_cb), ctx);
  g_signal_connect (ctx->engine, "job-finished", G_CALLBACK (job_finished_cb), ctx);

  return ctx;
}

static Ctx *
ctx_new (void)
{
  return ctx_new_for (pcq_test_server_new ());
}

/* Shuts the engine down and waits for it; returns how long it took (ms). */
static gint64
ctx_shutdown (Ctx             *ctx,
              PcqShutdownMode  mode,
              guint            timeout_ms)
{
  g_assert_false (ctx->shut_down);
  ctx->shut_down = TRUE;

  return pcq_test_engine_shutdown (ctx->engine, mode, timeout_ms);
}

static void
ctx_free (Ctx *ctx)
{
  if (ctx->engine != NULL)
    {
      if (!ctx->shut_down)
        ctx_shutdown (ctx, PCQ_SHUTDOWN_FORCE, SHORT_WAIT_MS);
      g_signal_handlers_disconnect_by_data (ctx->engine, ctx);
      g_clear_object (&ctx->engine);
    }

  for (guint i = 0; i < ctx->jobs->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (ctx->jobs, i), ctx);

  /* Every notify and every signal came on the main thread. */
  g_assert_cmpuint (ctx->off_main, ==, 0);
  g_assert_cmpuint (ctx->not_finished_at_signal, ==, 0);

  g_clear_pointer (&ctx->server, pcq_test_server_free);
  g_ptr_array_unref (ctx->jobs);
  g_ptr_array_unref (ctx->finished);
  pcq_test_rm_rf (ctx->tmp);
  g_free (ctx->tmp);
  g_free (ctx->out);
  g_free (ctx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ctx, ctx_free)

static PcqJob *
ctx_submit_to (Ctx        *ctx,
               const char *url,
               const char *dir,
               const char *name)
{
  PcqJob *job;

  job = pcq_engine_submit (ctx->engine, url, dir, name);
  g_assert_nonnull (job);
  g_assert_true (PCQ_IS_JOB (job));
  g_ptr_array_add (ctx->jobs, g_object_ref (job));
  g_signal_connect (job, "notify", G_CALLBACK (job_notify_cb), ctx);

  return job;
}

static PcqJob *
ctx_submit (Ctx        *ctx,
            const char *url,
            const char *name)
{
  return ctx_submit_to (ctx, url, ctx->out, name);
}

/* Submits @url and waits (at most @timeout_ms) until its job ends. */
static PcqJob *
ctx_run_one (Ctx        *ctx,
             const char *url,
             guint       timeout_ms)
{
  PcqJob *job = ctx_submit (ctx, url, NULL);

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), timeout_ms);
  return job;
}

static char *
ctx_out_path (Ctx        *ctx,
              const char *name)
{
  return g_build_filename (ctx->out, name, NULL);
}

static guint
n_finished_signals (Ctx    *ctx,
                    PcqJob *job)
{
  guint n = 0;

  for (guint i = 0; i < ctx->finished->len; i++)
    {
      if (g_ptr_array_index (ctx->finished, i) == job)
        n++;
    }

  return n;
}

static gboolean
all_finished (Ctx *ctx)
{
  for (guint i = 0; i < ctx->jobs->len; i++)
    {
      if (!pcq_job_is_finished (g_ptr_array_index (ctx->jobs, i)))
        return FALSE;
    }

  return TRUE;
}

/* Assertions */

#define assert_job_state(job, state) \
  assert_job_state_impl ((job), (state), __FILE__, __LINE__, G_STRFUNC)

static void
assert_job_state_impl (PcqJob      *job,
                       PcqJobState  expected,
                       const char  *file,
                       int          line,
                       const char  *func)
{
  g_autofree char *msg = NULL;

  if (pcq_job_get_state (job) == expected)
    return;

  msg = g_strdup_printf ("job %s is %s, expected %s (attempts %u, error: %s)",
                         pcq_job_get_url (job),
                         pcq_job_state_to_string (pcq_job_get_state (job)),
                         pcq_job_state_to_string (expected),
                         pcq_job_get_attempts (job),
                         pcq_job_get_error (job));
  g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

#define assert_error_contains(job, text) \
  assert_error_contains_impl ((job), (text), __FILE__, __LINE__, G_STRFUNC)

static void
assert_error_contains_impl (PcqJob     *job,
                            const char *text,
                            const char *file,
                            int         line,
                            const char *func)
{
  const char *error = pcq_job_get_error (job);
  g_autofree char *msg = NULL;

  if (error != NULL && *error != '\0' && pcq_test_str_contains_ci (error, text))
    return;

  msg = g_strdup_printf ("error of job %s is \"%s\", expected it to mention \"%s\"",
                         pcq_job_get_url (job), error, text);
  g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

static void
assert_has_error (PcqJob *job)
{
  const char *error = pcq_job_get_error (job);

  pcq_test_note ("job %s: error \"%s\"", pcq_job_get_url (job), error);
  g_assert_nonnull (error);
  g_assert_cmpstr (error, !=, "");
}

/* TRUE if both paths name the same existing folder. */
static gboolean
same_dir (const char *a,
          const char *b)
{
  GStatBuf sa;
  GStatBuf sb;

  return g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0
         && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void
assert_output_in (PcqJob     *job,
                  const char *dir,
                  const char *expected_name)
{
  const char *path = pcq_job_get_output_path (job);
  g_autofree char *parent = NULL;
  g_autofree char *base = NULL;

  g_assert_nonnull (path);
  parent = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  pcq_test_note ("job %s saved to %s", pcq_job_get_url (job), path);

  g_assert_true (g_path_is_absolute (path));
  g_assert_true (same_dir (parent, dir));
  if (expected_name != NULL)
    g_assert_cmpstr (base, ==, expected_name);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

static void
assert_dir_empty (const char *dir)
{
  g_autofree char *listing = pcq_test_describe_dir (dir);

  g_assert_cmpstr (listing, ==, "[]");
}

/* Waits for @cond by polling, WITHOUT dispatching the main context: the
 * engine's events stay undelivered, so the main thread still sees the
 * jobs as they were. Only for races where the main thread must lag
 * behind the workers; everything else uses PCQ_TEST_WAIT_FOR. */
#define WAIT_WITHOUT_DISPATCH(cond, timeout_ms)                                 \
  G_STMT_START                                                                  \
    {                                                                           \
      gint64 pcq_wait_deadline_ = g_get_monotonic_time ()                       \
                                  + (gint64) (timeout_ms) * 1000;               \
      while (!(cond) && g_get_monotonic_time () < pcq_wait_deadline_)          \
        g_usleep (1000);                                                        \
      if (!(cond))                                                              \
        g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,       \
                             "timed out waiting for: " #cond);                  \
    }                                                                           \
  G_STMT_END

/* Startup */

/* The workers warm up GIO's proxy resolver as soon as they start, which
 * may register GDBusConnection on their thread while the main thread
 * initialises a D-Bus proxy class that asks for it: GLib 2.74 deadlocks
 * there (about one headless start in a hundred hung). The engine
 * registers the type before any worker starts. */
static void
test_dbus_type_first (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(PcqEngine) engine = NULL;

      /* Else this would prove nothing. */
      g_assert_cmpuint (g_type_from_name ("GDBusConnection"), ==, 0);
      engine = pcq_engine_new ();
      g_assert_cmpuint (g_type_from_name ("GDBusConnection"), !=, 0);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Properties */

static void
test_defaults (void)
{
  g_autoptr(PcqEngine) engine = pcq_engine_new ();
  GListModel *jobs = pcq_engine_get_jobs (engine);

  g_assert_cmpuint (pcq_engine_get_retries (engine), ==, 3);
  g_assert_cmpuint (get_uint_property (engine, "retries"), ==, 3);
  g_assert_cmpuint (pcq_engine_get_stall_timeout (engine), ==, 30);
  g_assert_cmpuint (get_uint_property (engine, "stall-timeout"), ==, 30);
  g_assert_cmpuint (get_uint_property (engine, "retry-base-delay"), ==, 1000);
  g_assert_false (pcq_engine_get_paused (engine));
  g_assert_cmpuint (pcq_engine_get_max_active (engine), >=, 1);
  g_assert_cmpuint (pcq_engine_get_max_active (engine), <=, PCQ_ENGINE_MAX_ACTIVE_LIMIT);

  g_assert_cmpuint (pcq_engine_get_n_queued (engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_active (engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_done (engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_failed (engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_bytes_per_second (engine), ==, 0);

  g_assert_true (G_IS_LIST_MODEL (jobs));
  g_assert_cmpuint (g_list_model_get_n_items (jobs), ==, 0);
  g_assert_true (g_list_model_get_item_type (jobs) == PCQ_TYPE_JOB);

  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, SHORT_WAIT_MS);
}

static void
test_max_active_range (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  GParamSpec *pspec;
  GParamSpecUInt *uint_spec;

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (ctx->engine), "max-active");
  g_assert_nonnull (pspec);
  g_assert_true (G_IS_PARAM_SPEC_UINT (pspec));
  uint_spec = G_PARAM_SPEC_UINT (pspec);
  g_assert_cmpuint (uint_spec->minimum, ==, 1);
  g_assert_cmpuint (uint_spec->maximum, ==, PCQ_ENGINE_MAX_ACTIVE_LIMIT);

  pcq_engine_set_max_active (ctx->engine, 64);
  g_assert_cmpuint (pcq_engine_get_max_active (ctx->engine), ==, 64);
  pcq_engine_set_max_active (ctx->engine, 1);
  g_assert_cmpuint (pcq_engine_get_max_active (ctx->engine), ==, 1);
  set_uint_property (ctx->engine, "max-active", 7);
  g_assert_cmpuint (pcq_engine_get_max_active (ctx->engine), ==, 7);

  pcq_engine_set_retries (ctx->engine, 5);
  g_assert_cmpuint (pcq_engine_get_retries (ctx->engine), ==, 5);
  pcq_engine_set_stall_timeout (ctx->engine, 2);
  g_assert_cmpuint (pcq_engine_get_stall_timeout (ctx->engine), ==, 2);
  g_assert_cmpuint (get_uint_property (ctx->engine, "retry-base-delay"), ==, 50);
}

/* Downloads */

static void
test_download_basic (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/basic.bin?size=300000&seed=7");
  g_autofree char *final = ctx_out_path (ctx, "basic.bin");
  GListModel *model = pcq_engine_get_jobs (ctx->engine);
  g_autoptr(PcqJob) item = NULL;
  g_autofree char *listing = NULL;
  PcqJob *job;

  job = ctx_submit (ctx, url, NULL);
  g_assert_cmpstr (pcq_job_get_url (job), ==, url);
  g_assert_cmpstr (pcq_job_get_output_dir (job), ==, ctx->out);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  item = g_list_model_get_item (model, 0);
  g_assert_true (item == job);

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);

  assert_output_in (job, ctx->out, "basic.bin");
  pcq_test_assert_content (final, 7, 300000);
  g_assert_cmpint (pcq_job_get_bytes (job), ==, 300000);
  g_assert_cmpint (pcq_job_get_total (job), ==, 300000);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);
  g_assert_true (pcq_job_get_error (job) == NULL || *pcq_job_get_error (job) == '\0');
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/basic.bin"), ==, 1);

  /* The counts settle on the main thread. */
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_done (ctx->engine) == 1, SHORT_WAIT_MS);
  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_active (ctx->engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_failed (ctx->engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_bytes_done (ctx->engine), ==, 300000);
  g_assert_cmpuint (n_finished_signals (ctx, job), ==, 1);

  /* The part file is gone: the folder holds the result only. */
  listing = pcq_test_describe_dir (ctx->out);
  g_assert_cmpstr (listing, ==, "[\"basic.bin\"]");
}

/* The last jobs of a queue end one by one, and nothing comes to join
 * their reports: those are dispatched at once, not after the front
 * end's dispatch interval (here a minute, which no wait below reaches).
 * A file the store puts in place, and the worker's own end of one that
 * failed, without a store; then queues longer than max-active, whose
 * last ends the main thread cannot see coming (it counts at dispatches):
 * the workers know that no run waits any more. */
static void
test_last_ends_soon (void)
{
  g_autoptr(Ctx) stored = ctx_new ();
  g_autoptr(Ctx) bare = ctx_new ();
  g_autofree char *store_path = g_build_filename (stored->tmp, "queue.sqlite", NULL);
  g_autoptr(PcqStore) store = pcq_test_store_open (store_path);
  g_autofree char *url = pcq_test_server_url (stored->server, "/data/soon.bin?size=1000&seed=3");
  g_autofree char *missing = pcq_test_server_url (bare->server, "/flaky/soon/gone.bin?fail=1&code=404&size=10");
  guint n_many = 3 * pcq_engine_get_max_active (stored->engine) + 1;
  g_autoptr(GPtrArray) many = g_ptr_array_new ();
  PcqJob *done;
  PcqJob *failed;

  pcq_engine_set_store (stored->engine, store);
  pcq_engine_set_dispatch_interval (stored->engine, 60 * G_USEC_PER_SEC);
  pcq_engine_set_dispatch_interval (bare->engine, 60 * G_USEC_PER_SEC);

  done = ctx_submit (stored, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (done), SHORT_WAIT_MS);
  assert_job_state (done, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (done), 3, 1000);

  failed = ctx_submit (bare, missing, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (failed), SHORT_WAIT_MS);
  assert_job_state (failed, PCQ_JOB_FAILED);

  for (guint i = 0; i < n_many; i++)
    {
      g_autofree char *many_url = pcq_test_server_url (i % 2 ? stored->server : bare->server,
                                                       "/data/many-%u.bin?size=2000&seed=%u", i, i);

      g_ptr_array_add (many, ctx_submit (i % 2 ? stored : bare, many_url, NULL));
    }
  for (guint i = 0; i < n_many; i++)
    {
      PcqJob *job = g_ptr_array_index (many, i);

      PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);
      assert_job_state (job, PCQ_JOB_DONE);
    }

  /* Shutting down waits for dispatches too. */
  pcq_engine_set_dispatch_interval (stored->engine, 0);
  pcq_engine_set_dispatch_interval (bare->engine, 0);
}

static void
test_download_large (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = NULL;
  g_autofree char *final = ctx_out_path (ctx, "large.bin");
  const gsize size = 6 * 1024 * 1024;
  PcqJob *job;

  url = pcq_test_server_url (ctx->server, "/data/large.bin?size=%" G_GSIZE_FORMAT
                             "&seed=11&chunk=65536", size);
  job = ctx_run_one (ctx, url, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (final, 11, size);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

static void
test_download_empty (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/empty.txt?size=0");
  g_autofree char *final = ctx_out_path (ctx, "empty.txt");
  PcqJob *job;

  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (final, 0, 0);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

static void
test_download_chunked (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/chunked.bin?size=150000&seed=12&chunked=1&chunk=10000");
  g_autofree char *final = ctx_out_path (ctx, "chunked.bin");
  PcqJob *job;

  /* No Content-Length: the size is known at the end only. */
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (final, 12, 150000);
  g_assert_cmpint (pcq_job_get_bytes (job), ==, 150000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  GString *log = user_data;

  g_string_append_printf (log, "%u-%u+%u;", position, removed, added);
}

static void
test_job_list_model (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  GListModel *model = pcq_engine_get_jobs (ctx->engine);

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), log);
  pcq_engine_set_paused (ctx->engine, TRUE);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *url = pcq_test_server_url (ctx->server, "/data/model-%u.bin?size=10", i);

      ctx_submit (ctx, url, NULL);
    }

  /* One insertion at the end per submitted job. */
  g_assert_cmpstr (log->str, ==, "0-0+1;1-0+1;2-0+1;");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);

  /* Running and finishing jobs changes their rows, not the list. */
  g_string_truncate (log, 0);
  pcq_engine_set_paused (ctx->engine, FALSE);
  PCQ_TEST_WAIT_FOR (all_finished (ctx), SHORT_WAIT_MS);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_cmpstr (log->str, ==, "");
  g_signal_handlers_disconnect_by_data (model, log);
}

/* Queue order and concurrency */

static void
test_submission_order (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(GPtrArray) paths = NULL;
  GListModel *model = pcq_engine_get_jobs (ctx->engine);
  const guint n = 6;

  pcq_engine_set_max_active (ctx->engine, 1);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *url = pcq_test_server_url (ctx->server, "/data/order-%u.bin?size=2048", i);

      ctx_submit (ctx, url, NULL);
    }

  /* The model lists the jobs in submission order, with rising ids. */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PcqJob) item = g_list_model_get_item (model, i);

      g_assert_true (item == g_ptr_array_index (ctx->jobs, i));
      if (i > 0)
        g_assert_cmpuint (pcq_job_get_id (item), >,
                          pcq_job_get_id (g_ptr_array_index (ctx->jobs, i - 1)));
    }

  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);

  /* The server saw them in the same order. */
  paths = pcq_test_server_dup_paths (ctx->server);
  g_assert_cmpuint (paths->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *expected = g_strdup_printf ("/data/order-%u.bin", i);

      assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);
      g_assert_cmpstr (g_ptr_array_index (paths, i), ==, expected);
    }
}

/* The last path segment of each job in @model, in list order, joined
 * by spaces: "a b c". */
static char *
list_names (GListModel *model)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (model, i);
      g_autofree char *base = g_path_get_basename (pcq_job_get_url (job));
      char *query = strchr (base, '?');

      if (query != NULL)
        *query = '\0';
      g_string_append_printf (names, "%s%s", i > 0 ? " " : "", base);
    }

  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* With one slot, A holds it (its request never ends) while B C D wait.
 * D goes to the top and B to the bottom: once A goes, the server sees
 * D, C, B in that order, and the list shows it. The running A cannot
 * move, and nothing moves past the ends. */
static void
test_move_order (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(GPtrArray) paths = NULL;
  g_autofree char *names = NULL;
  GListModel *model = pcq_engine_get_jobs (ctx->engine);
  const char *expected[] = { "/hang/mv-a", "/data/mv-d", "/data/mv-c", "/data/mv-b" };
  PcqJob *a, *b, *c, *d;
  g_autofree char *url_a = pcq_test_server_url (ctx->server, "/hang/mv-a");
  g_autofree char *url_b = pcq_test_server_url (ctx->server, "/data/mv-b?size=100");
  g_autofree char *url_c = pcq_test_server_url (ctx->server, "/data/mv-c?size=100");
  g_autofree char *url_d = pcq_test_server_url (ctx->server, "/data/mv-d?size=100");

  pcq_engine_set_max_active (ctx->engine, 1);
  a = ctx_submit (ctx, url_a, NULL);
  b = ctx_submit (ctx, url_b, NULL);
  c = ctx_submit (ctx, url_c, NULL);
  d = ctx_submit (ctx, url_d, NULL);
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, "/hang/mv-a") == 1 &&
                     pcq_job_get_state (a) == PCQ_JOB_ACTIVE, SHORT_WAIT_MS);

  g_assert_false (pcq_engine_can_move_job (ctx->engine, a, PCQ_MOVE_BOTTOM));
  g_assert_false (pcq_engine_move_job (ctx->engine, a, PCQ_MOVE_BOTTOM));
  g_assert_false (pcq_engine_move_job_to (ctx->engine, d, a));
  g_assert_false (pcq_engine_can_move_job (ctx->engine, b, PCQ_MOVE_UP));
  g_assert_false (pcq_engine_can_move_job (ctx->engine, d, PCQ_MOVE_DOWN));

  g_assert_true (pcq_engine_move_job (ctx->engine, d, PCQ_MOVE_TOP));
  g_assert_true (pcq_engine_move_job (ctx->engine, b, PCQ_MOVE_BOTTOM));
  names = list_names (model);
  g_assert_cmpstr (names, ==, "mv-a mv-d mv-c mv-b");
  g_assert_false (pcq_engine_can_move_job (ctx->engine, d, PCQ_MOVE_TOP));
  g_assert_false (pcq_engine_can_move_job (ctx->engine, b, PCQ_MOVE_DOWN));
  g_assert_true (pcq_engine_can_move_job (ctx->engine, c, PCQ_MOVE_UP));

  /* A goes: the slot is free for the others, in their new order. */
  pcq_engine_cancel (ctx->engine, a);
  PCQ_TEST_WAIT_FOR (all_finished (ctx), SHORT_WAIT_MS);
  assert_job_state (b, PCQ_JOB_DONE);
  assert_job_state (c, PCQ_JOB_DONE);
  assert_job_state (d, PCQ_JOB_DONE);
  paths = pcq_test_server_dup_paths (ctx->server);
  g_assert_cmpuint (paths->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (g_ptr_array_index (paths, i), ==, expected[i]);

  /* Finished, they stay where they are. */
  g_assert_false (pcq_engine_can_move_job (ctx->engine, b, PCQ_MOVE_TOP));
}

/* The nice values of this process's threads named @name ("pcq-store"),
 * from /proc: the field after the process state's 16 others. */
static GArray *
thread_nices (const char *name)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  GArray *nices = g_array_new (FALSE, FALSE, sizeof (int));
  const char *tid;

  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", tid, "stat", NULL);
      g_autofree char *stat = NULL;
      g_auto(GStrv) fields = NULL;
      const char *open, *close;
      int nice;

      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;  /* the thread ended meanwhile */
      open = strchr (stat, '(');
      close = strrchr (stat, ')');
      g_assert_true (open != NULL && close != NULL && close > open);
      if ((gsize) (close - open - 1) != strlen (name) || strncmp (open + 1, name, strlen (name)) != 0)
        continue;

      /* state ppid pgrp session tty tpgid flags minflt cminflt majflt
       * cmajflt utime stime cutime cstime priority nice */
      fields = g_strsplit (close + 2, " ", 0);
      g_assert_cmpuint (g_strv_length (fields), >, 16);
      nice = (int) g_ascii_strtoll (fields[16], NULL, 10);
      g_array_append_val (nices, nice);
    }

  return nices;
}

static guint
count_threads (const char *name)
{
  g_autoptr(GArray) nices = thread_nices (name);

  return nices->len;
}

/* One download through @ctx's engine, set in the background before or
 * after it gets a store: the store's thread takes nice 10 with the
 * job's first batch. */
static void
assert_store_thread_in_background (Ctx      *ctx,
                                   gboolean  store_first)
{
  g_autofree char *store_path = g_build_filename (ctx->tmp, "queue.sqlite", NULL);
  g_autoptr(PcqStore) store = pcq_test_store_open (store_path);
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/bg.bin?size=1000&seed=3");
  g_autoptr(GArray) nices = NULL;
  int base = getpriority (PRIO_PROCESS, 0);
  PcqJob *job;

  /* Room to see the change, under whatever nice the tests run. */
  g_assert_cmpint (base, <, 10);

  /* A thread names itself once it runs. */
  PCQ_TEST_WAIT_FOR (count_threads ("pcq-store") == 1, SHORT_WAIT_MS);
  nices = thread_nices ("pcq-store");
  g_assert_cmpuint (nices->len, ==, 1);
  g_assert_cmpint (g_array_index (nices, int, 0), ==, base);
  g_clear_pointer (&nices, g_array_unref);

  if (store_first)
    pcq_engine_set_store (ctx->engine, store);
  pcq_engine_set_threads_in_background (ctx->engine);
  if (!store_first)
    pcq_engine_set_store (ctx->engine, store);

  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 3, 1000);

  nices = thread_nices ("pcq-store");
  g_assert_cmpuint (nices->len, ==, 1);
  g_assert_cmpint (g_array_index (nices, int, 0), ==, 10);

  ctx_shutdown (ctx, PCQ_SHUTDOWN_WAIT, SHORT_WAIT_MS);
  pcq_store_close (store);
}

/* The window puts the engine's threads behind the one that draws: the
 * store's thread too, whether the store comes before or after. */
static void
test_background_store_thread (void)
{
  g_autoptr(Ctx) before = ctx_new ();
  g_autoptr(Ctx) after = ctx_new ();

  assert_store_thread_in_background (before, TRUE);
  assert_store_thread_in_background (after, FALSE);
}

/* Up and down, one place at a time, by drag and drop (one job takes
 * another's place), and a paused job among them. The order survives a
 * restart: the new engine shows it and runs the jobs in it. */
static void
test_move_stored (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *store_path = g_build_filename (ctx->tmp, "queue.sqlite", NULL);
  g_autoptr(PcqStore) store = pcq_test_store_open (store_path);
  g_autoptr(PcqEngine) engine = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *notice = NULL;
  g_autofree char *names = NULL;
  const char * const letters[] = { "a", "b", "c", "d", "e" };
  PcqJob *jobs[G_N_ELEMENTS (letters)];
  GListModel *model;

  pcq_engine_set_store (ctx->engine, store);
  pcq_engine_set_paused (ctx->engine, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (letters); i++)
    {
      g_autofree char *url = pcq_test_server_url (ctx->server, "/data/ms-%s?size=100", letters[i]);

      jobs[i] = ctx_submit (ctx, url, NULL);
    }

  /* a b c d e → a c b d e → a c b e d */
  g_assert_true (pcq_engine_move_job (ctx->engine, jobs[1], PCQ_MOVE_DOWN));
  g_assert_true (pcq_engine_move_job (ctx->engine, jobs[4], PCQ_MOVE_UP));
  /* Drag e onto c, above it: e takes c's place → a e c b d. */
  g_assert_true (pcq_engine_move_job_to (ctx->engine, jobs[4], jobs[2]));
  /* A paused job moves too: a onto b, below it → e c b a d. */
  g_assert_true (pcq_engine_pause_job (ctx->engine, jobs[0]));
  g_assert_true (pcq_engine_move_job_to (ctx->engine, jobs[0], jobs[1]));
  names = list_names (pcq_engine_get_jobs (ctx->engine));
  g_assert_cmpstr (names, ==, "ms-e ms-c ms-b ms-a ms-d");
  g_assert_true (pcq_engine_resume_job (ctx->engine, jobs[0]));

  pcq_store_flush (store);
  ctx_shutdown (ctx, PCQ_SHUTDOWN_FORCE, SHORT_WAIT_MS);
  pcq_store_close (store);
  g_clear_object (&store);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);

  /* The next start. */
  store = pcq_store_new (store_path);
  records = pcq_store_open_sync (store, 0, &notice, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, G_N_ELEMENTS (letters));

  engine = pcq_engine_new ();
  pcq_engine_set_max_active (engine, 1);
  pcq_engine_set_paused (engine, TRUE);
  pcq_engine_set_store (engine, store);
  pcq_engine_restore (engine, records, PCQ_RESTORE_UNFINISHED | PCQ_RESTORE_FINISHED);
  model = pcq_engine_get_jobs (engine);
  g_clear_pointer (&names, g_free);
  names = list_names (model);
  g_assert_cmpstr (names, ==, "ms-e ms-c ms-b ms-a ms-d");

  /* Restored runs wait in the scheduler: moved there. */
  {
    g_autoptr(PcqJob) first = g_list_model_get_item (model, 0);

    g_assert_true (pcq_engine_move_job (engine, first, PCQ_MOVE_BOTTOM));
    g_clear_pointer (&names, g_free);
    names = list_names (model);
    g_assert_cmpstr (names, ==, "ms-c ms-b ms-a ms-d ms-e");
    pcq_engine_set_paused (engine, FALSE);
  }

  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_done (engine) == G_N_ELEMENTS (letters), LONG_WAIT_MS);
  paths = pcq_test_server_dup_paths (ctx->server);
  g_assert_cmpuint (paths->len, ==, G_N_ELEMENTS (letters));
  g_assert_cmpstr (g_ptr_array_index (paths, 0), ==, "/data/ms-c");
  g_assert_cmpstr (g_ptr_array_index (paths, 1), ==, "/data/ms-b");
  g_assert_cmpstr (g_ptr_array_index (paths, 2), ==, "/data/ms-a");
  g_assert_cmpstr (g_ptr_array_index (paths, 3), ==, "/data/ms-d");
  g_assert_cmpstr (g_ptr_array_index (paths, 4), ==, "/data/ms-e");

  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, SHORT_WAIT_MS);
  pcq_store_close (store);
}

/* Many waiting jobs: a move past thousands sorts the queue once; moves
 * past a few take their runs out and back. Either way the queue runs
 * in the order the list shows. */
static void
test_move_many (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(GPtrArray) paths = NULL;
  GListModel *model = pcq_engine_get_jobs (ctx->engine);
  const guint n = 40;

  pcq_engine_set_max_active (ctx->engine, 1);
  pcq_engine_set_paused (ctx->engine, TRUE);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *url = pcq_test_server_url (ctx->server, "/data/mm-%02u?size=10", i);

      ctx_submit (ctx, url, NULL);
    }

  g_assert_true (pcq_engine_move_job (ctx->engine, g_ptr_array_index (ctx->jobs, n - 1), PCQ_MOVE_TOP));
  g_assert_true (pcq_engine_move_job (ctx->engine, g_ptr_array_index (ctx->jobs, 0), PCQ_MOVE_BOTTOM));
  g_assert_true (pcq_engine_move_job_to (ctx->engine, g_ptr_array_index (ctx->jobs, 5),
                                         g_ptr_array_index (ctx->jobs, 2)));
  g_assert_true (pcq_engine_move_job (ctx->engine, g_ptr_array_index (ctx->jobs, 20), PCQ_MOVE_UP));

  pcq_engine_set_paused (ctx->engine, FALSE);
  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);

  paths = pcq_test_server_dup_paths (ctx->server);
  g_assert_cmpuint (paths->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (model, i);
      g_autofree char *url = g_strdup (pcq_job_get_url (job));

      *strchr (url, '?') = '\0';
      g_assert_true (g_str_has_suffix (url, g_ptr_array_index (paths, i)));
      if (i > 0)
        {
          g_autoptr(PcqJob) before = g_list_model_get_item (model, i - 1);

          g_assert_cmpint (pcq_job_get_position (before), <, pcq_job_get_position (job));
        }
    }
  g_assert_cmpstr (g_ptr_array_index (paths, 0), ==, "/data/mm-39");
  g_assert_cmpstr (g_ptr_array_index (paths, 1), ==, "/data/mm-01");
  g_assert_cmpstr (g_ptr_array_index (paths, 2), ==, "/data/mm-05");
  g_assert_cmpstr (g_ptr_array_index (paths, n - 1), ==, "/data/mm-00");
}

/* Submits @n jobs of @size bytes sent in 8 chunks @delay ms apart,
 * named @prefix-N.bin, the content of seed N. */
static void
submit_sized (Ctx        *ctx,
              guint       n,
              const char *prefix,
              guint       size,
              guint       delay)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *url = NULL;

      url = pcq_test_server_url (ctx->server,
                                 "/data/%s-%u.bin?size=%u&chunk=%u&delay=%u&seed=%u",
                                 prefix, i, size, size / 8, delay, i);
      ctx_submit (ctx, url, NULL);
    }
}

/* Eight chunks of 4 KiB, @delay ms apart. */
static void
submit_slow_with_delay (Ctx        *ctx,
                        guint       n,
                        const char *prefix,
                        guint       delay)
{
  submit_sized (ctx, n, prefix, 32768, delay);
}

/* About 320 ms each. */
static void
submit_slow (Ctx        *ctx,
             guint       n,
             const char *prefix)
{
  submit_slow_with_delay (ctx, n, prefix, 40);
}

static void
test_max_active (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();

  pcq_engine_set_max_active (ctx->engine, 3);
  submit_slow (ctx, 9, "max");

  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);

  for (guint i = 0; i < ctx->jobs->len; i++)
    assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);

  /* Reached, never exceeded: as counted by the server and as notified. */
  g_assert_cmpuint (pcq_test_server_get_max_in_flight (ctx->server), ==, 3);
  g_assert_cmpuint (ctx->max_n_active, <=, 3);
  g_assert_cmpuint (ctx->max_n_active, >=, 2);
}

/* The paths of the requests that start with @prefix, in arrival order. */
static GPtrArray *
paths_with_prefix (Ctx        *ctx,
                   const char *prefix)
{
  g_autoptr(GPtrArray) paths = pcq_test_server_dup_paths (ctx->server);
  GPtrArray *result = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < paths->len; i++)
    {
      if (g_str_has_prefix (g_ptr_array_index (paths, i), prefix))
        g_ptr_array_add (result, g_strdup (g_ptr_array_index (paths, i)));
    }

  return result;
}

/* With two slots: request PREFIX-I arrived before PREFIX-(I+2). */
static void
assert_in_order_per_slots (Ctx        *ctx,
                           const char *prefix,
                           guint       n)
{
  for (guint i = 0; i + 2 < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("/data/%s-%u.bin", prefix, i);
      g_autofree char *later = g_strdup_printf ("/data/%s-%u.bin", prefix, i + 2);
      gint64 time = pcq_test_server_get_request_time (ctx->server, path, 0);

      g_assert_cmpint (time, >=, 0);
      g_assert_cmpint (time, <, pcq_test_server_get_request_time (ctx->server, later, 0));
    }
}

/* max-per-host 2 with max-active 8: one host never has more than 2 in
 * flight, while another host's tasks (queued after all of the first's)
 * start meanwhile; each host's tasks start in submission order. The
 * server is reached as two hosts: 127.0.0.1 and localhost. */
static void
test_max_per_host (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(GPtrArray) a_paths = NULL;
  g_autoptr(GPtrArray) b_paths = NULL;
  guint16 port = pcq_test_server_get_port (ctx->server);
  gint64 b_first, a_third;

  pcq_engine_set_max_active (ctx->engine, 8);
  pcq_engine_set_max_per_host (ctx->engine, 2);
  g_assert_cmpuint (get_uint_property (ctx->engine, "max-per-host"), ==, 2);

  submit_slow (ctx, 6, "host-a");
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *url = NULL;

      url = g_strdup_printf ("http://localhost:%u/data/host-b-%u.bin?size=32768&chunk=4096&delay=40&seed=%u",
                             port, i, i);
      ctx_submit (ctx, url, NULL);
    }

  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);

  for (guint i = 0; i < ctx->jobs->len; i++)
    {
      PcqJob *job = g_ptr_array_index (ctx->jobs, i);

      assert_job_state (job, PCQ_JOB_DONE);
      pcq_test_assert_content (pcq_job_get_output_path (job), i < 6 ? i : i - 6, 32768);
    }

  g_assert_cmpuint (pcq_test_server_get_max_in_flight_for_host (ctx->server, "127.0.0.1"), ==, 2);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight_for_host (ctx->server, "localhost"), ==, 2);

  /* In order per host: two that start together may reach the server
   * either way round, but none before a task two places ahead of it,
   * which could only start once one of the two before it had ended. */
  a_paths = paths_with_prefix (ctx, "/data/host-a-");
  b_paths = paths_with_prefix (ctx, "/data/host-b-");
  g_assert_cmpuint (a_paths->len, ==, 6);
  g_assert_cmpuint (b_paths->len, ==, 3);
  assert_in_order_per_slots (ctx, "host-a", 6);
  assert_in_order_per_slots (ctx, "host-b", 3);

  /* The second host did not wait for the first one's queue. */
  b_first = pcq_test_server_get_request_time (ctx->server, "/data/host-b-0.bin", 0);
  a_third = pcq_test_server_get_request_time (ctx->server, "/data/host-a-2.bin", 0);
  g_assert_cmpint (b_first, >=, 0);
  g_assert_cmpint (b_first, <, a_third);
}

/* A limit set while a host has more running counts those: none of its
 * tasks starts until fewer than the limit run. */
static void
test_max_per_host_set_later (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();

  pcq_engine_set_max_active (ctx->engine, 4);
  submit_slow (ctx, 3, "host-later");
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 3, SHORT_WAIT_MS);

  pcq_engine_set_max_per_host (ctx->engine, 1);
  submit_slow (ctx, 2, "host-later-more");
  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);

  for (guint i = 0; i < ctx->jobs->len; i++)
    assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);
  /* The two later ones ran one at a time, after the first three. */
  g_assert_cmpuint (pcq_test_server_max_in_flight_since (ctx->server,
                                                         pcq_test_server_get_request_time (ctx->server,
                                                                                           "/data/host-later-more-0.bin",
                                                                                           0)),
                    ==, 1);
}

/* Tasks that wait for their host's slot can be cancelled, paused and
 * resumed like any queued task. */
static void
test_max_per_host_parked (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  PcqJob *paused, *cancelled;

  pcq_engine_set_max_active (ctx->engine, 4);
  pcq_engine_set_max_per_host (ctx->engine, 1);
  submit_slow (ctx, 3, "host-parked");
  paused = g_ptr_array_index (ctx->jobs, 1);
  cancelled = g_ptr_array_index (ctx->jobs, 2);
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, SHORT_WAIT_MS);

  pcq_engine_cancel (ctx->engine, cancelled);
  g_assert_true (pcq_engine_pause_job (ctx->engine, paused));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (cancelled) == PCQ_JOB_CANCELLED &&
                     pcq_job_get_state (paused) == PCQ_JOB_PAUSED, SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (g_ptr_array_index (ctx->jobs, 0)), LONG_WAIT_MS);
  assert_job_state (g_ptr_array_index (ctx->jobs, 0), PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);

  g_assert_true (pcq_engine_resume_job (ctx->engine, paused));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (paused), LONG_WAIT_MS);
  assert_job_state (paused, PCQ_JOB_DONE);
  assert_job_state (cancelled, PCQ_JOB_CANCELLED);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 2);
}

/* Lifting the limit while tasks wait for their host starts them at once. */
static void
test_max_per_host_runtime (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();

  pcq_engine_set_max_active (ctx->engine, 4);
  pcq_engine_set_max_per_host (ctx->engine, 1);
  submit_slow_with_delay (ctx, 4, "host-live", 100);

  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, SHORT_WAIT_MS);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);

  pcq_engine_set_max_per_host (ctx->engine, 0);
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, NULL) == 4, SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);
  for (guint i = 0; i < ctx->jobs->len; i++)
    assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);
}

/* Many transfers on one worker thread: max-active stays exact (the
 * server never sees more in flight than -j) and a cancel still stops
 * one of them within 200 ms while the others go on. */
static void
test_multiplexed (void)
{
  g_autoptr(Ctx) ctx = NULL;
  PcqJob *victim;
  gint64 start;
  gint64 cancel_ms;

  g_setenv ("PCQ_WORKER_THREADS", "1", TRUE);
  ctx = ctx_new ();
  pcq_engine_set_max_active (ctx->engine, 8);
  submit_slow (ctx, 24, "mux");

  /* Reached, never exceeded, also as transfers end and others start. */
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, NULL) >= 12, LONG_WAIT_MS);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight (ctx->server), ==, 8);

  victim = g_ptr_array_index (ctx->jobs, 13);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (victim) > 0, LONG_WAIT_MS);

  start = g_get_monotonic_time ();
  pcq_engine_cancel (ctx->engine, victim);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (victim) == PCQ_JOB_CANCELLED, 1000);
  cancel_ms = (g_get_monotonic_time () - start) / 1000;
  pcq_test_note ("cancelled one of 8 transfers on one thread after %" G_GINT64_FORMAT " ms",
                 cancel_ms);
  g_assert_cmpint (cancel_ms, <=, 200);

  g_unsetenv ("PCQ_WORKER_THREADS");
  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);
  for (guint i = 0; i < ctx->jobs->len; i++)
    {
      if (i != 13)
        assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);
    }

  g_assert_cmpuint (ctx->max_n_active, <=, 8);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* The worker threads that took each response, in order. */
static GMutex reading_lock;
static GPtrArray *reading_threads;

static GInputStream *
note_reading_thread (GInputStream *body)
{
  g_mutex_lock (&reading_lock);
  g_ptr_array_add (reading_threads, g_thread_self ());
  g_mutex_unlock (&reading_lock);

  return body;
}

/* How many threads took the responses from the @from-th on. */
static guint
n_reading_threads (guint from)
{
  g_autoptr(GHashTable) threads = g_hash_table_new (NULL, NULL);

  g_mutex_lock (&reading_lock);
  for (guint i = from; i < reading_threads->len; i++)
    g_hash_table_add (threads, g_ptr_array_index (reading_threads, i));
  g_mutex_unlock (&reading_lock);

  return g_hash_table_size (threads);
}

/* Waits for every job of @ctx, files named @prefix-N.bin of @size
 * bytes (submit_sized ()), stops noting the reading threads, and checks
 * that each job is done, with its file, read once. */
static void
end_reading (Ctx        *ctx,
             const char *prefix,
             guint       size)
{
  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);
  _pcq_worker_set_body_filter (NULL);
  _pcq_worker_set_all_http2 (FALSE);

  for (guint i = 0; i < ctx->jobs->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s-%u.bin", ctx->out, prefix, i);

      assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);
      pcq_test_assert_content (path, i, size);
    }
  g_assert_cmpuint (reading_threads->len, ==, ctx->jobs->len);
}

/* Runs @n files of @size bytes (eight chunks, 10 ms apart) on two
 * worker threads, four at a time, every answer taken as HTTP/2 or as
 * HTTP/1.1, noting which thread read each; all of them are checked.
 * @since: when the first four had ended. */
static Ctx *
run_on_two_threads (gboolean    http2,
                    const char *prefix,
                    guint       n,
                    guint       size,
                    gint64     *since)
{
  Ctx *ctx;

  g_setenv ("PCQ_WORKER_THREADS", "2", TRUE);
  ctx = ctx_new ();
  g_unsetenv ("PCQ_WORKER_THREADS");
  reading_threads = g_ptr_array_new ();
  _pcq_worker_set_body_filter (note_reading_thread);
  _pcq_worker_set_all_http2 (http2);
  pcq_engine_set_max_active (ctx->engine, 4);
  submit_sized (ctx, n, prefix, size, 10);

  /* The first four, two on each thread (their share), have ended. */
  for (guint i = 0; i < 4; i++)
    PCQ_TEST_WAIT_FOR (pcq_job_is_finished (g_ptr_array_index (ctx->jobs, i)), LONG_WAIT_MS);
  *since = g_get_monotonic_time ();
  end_reading (ctx, prefix, size);
  g_assert_cmpuint (n_reading_threads (0), ==, 2);
  g_assert_cmpuint (ctx->max_n_active, <=, 4);

  return ctx;
}

/* libsoup shares an HTTP/2 connection only among the requests of one
 * thread. Once a host has answered over HTTP/2, its transfers go to
 * the worker thread that has its connection, all of max-active there;
 * over HTTP/1.1 they spread over the threads, each its share. The
 * workers take the test server's answers as HTTP/2 (SoupServer 3.2
 * speaks HTTP/1.1 only). */
static void
test_http2_one_thread (void)
{
  for (guint http2 = 0; http2 <= 1; http2++)
    {
      gint64 since;
      g_autoptr(Ctx) ctx = run_on_two_threads (http2, http2 ? "h2" : "h1", 16, 32768, &since);

      /* Those that started after one had ended. */
      g_assert_cmpuint (n_reading_threads (4), ==, (http2 ? 1 : 2));
      /* Over HTTP/2, that one thread ran four at once. */
      g_assert_cmpuint (pcq_test_server_max_in_flight_since (ctx->server, since), ==, 4);
      g_clear_pointer (&reading_threads, g_ptr_array_unref);
    }
}

/* A host whose files are large is every thread's, over HTTP/2 too: on
 * one connection, one thread would decrypt and write all of their
 * bytes while the other waits. Each thread then takes its share of
 * max-active, on a connection of its own. */
static void
test_http2_large_files (void)
{
  gint64 since;
  g_autoptr(Ctx) ctx = run_on_two_threads (TRUE, "big", 12, PCQ_RUN_RESUME_WORTH, &since);

  /* Those that started after one had ended: on both threads. */
  g_assert_cmpuint (n_reading_threads (4), ==, 2);
  g_assert_cmpuint (pcq_test_server_max_in_flight_since (ctx->server, since), ==, 4);
  g_clear_pointer (&reading_threads, g_ptr_array_unref);
}

static guint
n_read (void)
{
  guint n;

  g_mutex_lock (&reading_lock);
  n = reading_threads->len;
  g_mutex_unlock (&reading_lock);

  return n;
}

/* Until a new HTTPS host first answers, its transfers go to one
 * thread: it may answer over HTTP/2, whose one connection libsoup
 * shares among one thread's requests only. An answer over HTTP/1.1
 * spreads its later transfers over the threads again; one over HTTP/2
 * keeps them all on the first thread. The server holds the bodies at
 * their first chunk while the test counts what is in flight: a TLS
 * handshake can take most of a second under AddressSanitizer. */
static void
test_https_new_host (void)
{
  g_autoptr(GTlsDatabase) database = pcq_test_tls_database ();

  _pcq_worker_set_tls_database (database);
  for (guint http2 = 0; http2 <= 1; http2++)
    {
      const char *prefix = http2 ? "h2" : "h1";
      g_autoptr(Ctx) ctx = NULL;

      g_setenv ("PCQ_WORKER_THREADS", "2", TRUE);
      ctx = ctx_new_for (pcq_test_server_new_tls ());
      g_unsetenv ("PCQ_WORKER_THREADS");
      g_assert_true (g_str_has_prefix (pcq_test_server_get_base (ctx->server), "https://"));
      reading_threads = g_ptr_array_new ();
      _pcq_worker_set_body_filter (note_reading_thread);
      _pcq_worker_set_all_http2 (http2);
      pcq_engine_set_max_active (ctx->engine, 4);
      /* Held bodies must not stall out (and come again) while waited for. */
      pcq_engine_set_stall_timeout (ctx->engine, 30);
      pcq_test_server_set_hold (ctx->server, TRUE);
      submit_slow_with_delay (ctx, 16, prefix, 10);

      /* The first four, sent before any answer: all at once (beyond
       * the share of two), from one thread. */
      PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 4 && n_read () == 4,
                         LONG_WAIT_MS);
      g_assert_cmpuint (n_reading_threads (0), ==, 1);

      /* Once one has ended, four at once again: over HTTP/1.1 the
       * thread that had more than its share leaves the rest to the
       * other one, which it wakes. */
      pcq_test_server_set_hold (ctx->server, FALSE);
      PCQ_TEST_WAIT_FOR (pcq_job_is_finished (g_ptr_array_index (ctx->jobs, 0)), LONG_WAIT_MS);
      pcq_test_server_set_hold (ctx->server, TRUE);
      PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 4, LONG_WAIT_MS);
      pcq_test_server_set_hold (ctx->server, FALSE);

      end_reading (ctx, prefix, 32768);
      /* Those sent after an answer. */
      g_assert_cmpuint (n_reading_threads (4), ==, (http2 ? 1 : 2));
      g_assert_cmpuint (pcq_test_server_get_max_in_flight (ctx->server), ==, 4);
      g_assert_cmpuint (ctx->max_n_active, <=, 4);
      g_clear_pointer (&reading_threads, g_ptr_array_unref);
    }
  _pcq_worker_set_tls_database (NULL);
}

/* A proxy that asks for credentials (407) gets those of its URL, as
 * HTTP Basic, and the same request goes again to the same URL (libsoup's
 * own auth manager would send it to the proxy's URL instead). The
 * worker then sends them with each request to that origin. */
static void
test_proxy_credentials (void)
{
  PcqTestServer *server = pcq_test_server_new ();
  g_autofree char *proxy = g_strdup_printf ("http://pcq:s3cr%%40t@127.0.0.1:%u",
                                            pcq_test_server_get_port (server));
  g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (proxy, NULL);
  g_autoptr(Ctx) ctx = NULL;
  g_autofree char *wanted = NULL;
  PcqJob *one, *two, *refused;

  /* "s3cr%40t" in the proxy's URL. */
  pcq_test_server_set_basic_auth (server, "pcq", "s3cr@t");
  wanted = pcq_test_server_dup_basic_auth (server);
  _pcq_worker_set_proxy_resolver (resolver);
  /* One worker: what it learns holds for the second job. */
  g_setenv ("PCQ_WORKER_THREADS", "1", TRUE);
  ctx = ctx_new_for (server);
  g_unsetenv ("PCQ_WORKER_THREADS");

  /* Any host: the proxy answers for it. */
  one = ctx_run_one (ctx, "http://127.0.0.9:9/proxy-auth/one?size=3000&seed=5", LONG_WAIT_MS);
  assert_job_state (one, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (one), 5, 3000);
  two = ctx_run_one (ctx, "http://127.0.0.9:9/proxy-auth/two?size=2000&seed=6", LONG_WAIT_MS);
  assert_job_state (two, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (two), 6, 2000);

  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/proxy-auth/one"), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *given = pcq_test_server_dup_header (ctx->server, "/proxy-auth/one", i,
                                                           "Proxy-Authorization");

      g_assert_cmpstr (given, ==, i == 1 ? wanted : NULL);
    }
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/proxy-auth/two"), ==, 1);
  {
    g_autofree char *given = pcq_test_server_dup_header (ctx->server, "/proxy-auth/two", 0,
                                                         "Proxy-Authorization");

    g_assert_cmpstr (given, ==, wanted);
  }

  /* Credentials the proxy refuses are not sent again: the task fails. */
  pcq_test_server_set_basic_auth (server, "pcq", "changed");
  refused = ctx_run_one (ctx, "http://127.0.0.9:9/proxy-auth/three?size=100", LONG_WAIT_MS);
  assert_job_state (refused, PCQ_JOB_FAILED);
  g_assert_nonnull (strstr (pcq_job_get_error (refused), "407"));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/proxy-auth/three"), ==, 1);
  /* Forgotten: the next task looks them up again (refused again). */
  refused = ctx_run_one (ctx, "http://127.0.0.9:9/proxy-auth/four?size=100", LONG_WAIT_MS);
  assert_job_state (refused, PCQ_JOB_FAILED);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/proxy-auth/four"), ==, 2);
  {
    g_autofree char *first = pcq_test_server_dup_header (ctx->server, "/proxy-auth/four", 0,
                                                         "Proxy-Authorization");
    g_autofree char *second = pcq_test_server_dup_header (ctx->server, "/proxy-auth/four", 1,
                                                          "Proxy-Authorization");

    g_assert_null (first);
    g_assert_cmpstr (second, ==, wanted);
  }
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
  g_clear_pointer (&ctx, ctx_free);
  _pcq_worker_set_proxy_resolver (NULL);
}

static void
test_max_active_runtime (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  gint64 shrunk;

  /* About 640 ms each, so that growing is seen before the first ends. */
  pcq_engine_set_max_active (ctx->engine, 1);
  submit_slow_with_delay (ctx, 12, "runtime", 80);

  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, SHORT_WAIT_MS);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight (ctx->server), ==, 1);

  /* Growing takes effect at once, without waiting for the running job. */
  pcq_engine_set_max_active (ctx->engine, 4);
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 4, 400);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight (ctx->server), <=, 4);

  /* Shrinking lets the running jobs finish and starts no new one until
   * fewer than 2 run: every request that starts from now on finds at
   * most one other in flight. */
  shrunk = g_get_monotonic_time ();
  pcq_engine_set_max_active (ctx->engine, 2);

  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);
  for (guint i = 0; i < ctx->jobs->len; i++)
    assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_test_server_max_in_flight_since (ctx->server, shrunk), <=, 2);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 12);
}

/* Shrinking while runs wait for a retry: those runs must not slip past
 * the limit when they become due. */
static void
test_max_active_shrink_retries (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  gint64 shrunk;

  set_uint_property (ctx->engine, "retry-base-delay", 300);
  pcq_engine_set_max_active (ctx->engine, 4);

  /* Four that fail at once and are due again in about 300 ms (then take
   * about 240 ms)... */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *url = NULL;

      url = pcq_test_server_url (ctx->server,
                                 "/flaky/shrink-%u/b.bin?fail=1&code=503&size=16384&chunk=4096&delay=80&seed=%u",
                                 i, i);
      ctx_submit (ctx, url, NULL);
    }
  /* ...and four that run for about 640 ms meanwhile. */
  submit_slow_with_delay (ctx, 4, "shrink-a", 80);

  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 4
                     && pcq_test_server_count_requests (ctx->server, NULL) == 8, SHORT_WAIT_MS);

  shrunk = g_get_monotonic_time ();
  pcq_engine_set_max_active (ctx->engine, 1);

  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);
  for (guint i = 0; i < ctx->jobs->len; i++)
    assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);
  pcq_test_note ("most in flight after the shrink: %u",
                 pcq_test_server_max_in_flight_since (ctx->server, shrunk));
  g_assert_cmpuint (pcq_test_server_max_in_flight_since (ctx->server, shrunk), <=, 1);
}

/* Pause */

static void
test_pause_before_start (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();

  pcq_engine_set_paused (ctx->engine, TRUE);
  g_assert_true (pcq_engine_get_paused (ctx->engine));
  submit_slow (ctx, 3, "paused");

  /* Nothing starts while paused. */
  pcq_test_spin (400);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);
  for (guint i = 0; i < ctx->jobs->len; i++)
    assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_QUEUED);
  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 3);
  g_assert_cmpuint (pcq_engine_get_n_active (ctx->engine), ==, 0);

  pcq_engine_set_paused (ctx->engine, FALSE);
  g_assert_false (pcq_engine_get_paused (ctx->engine));
  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);
  for (guint i = 0; i < ctx->jobs->len; i++)
    assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);
}

static void
test_pause_running_finish (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  guint started;
  guint n_done = 0;
  guint n_queued = 0;

  pcq_engine_set_max_active (ctx->engine, 2);
  submit_slow (ctx, 6, "pause-run");
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 2, SHORT_WAIT_MS);

  pcq_engine_set_paused (ctx->engine, TRUE);

  /* The running jobs run to the end... */
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_active (ctx->engine) == 0
                     && pcq_test_server_get_in_flight (ctx->server) == 0, SHORT_WAIT_MS);
  started = pcq_test_server_count_requests (ctx->server, NULL);
  g_assert_cmpuint (started, >=, 2);
  g_assert_cmpuint (started, <=, 3);

  /* ...and no other one starts. */
  pcq_test_spin (400);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, started);
  for (guint i = 0; i < ctx->jobs->len; i++)
    {
      PcqJobState state = pcq_job_get_state (g_ptr_array_index (ctx->jobs, i));

      g_assert_true (state == PCQ_JOB_DONE || state == PCQ_JOB_QUEUED);
      n_done += state == PCQ_JOB_DONE;
      n_queued += state == PCQ_JOB_QUEUED;
    }
  g_assert_cmpuint (n_done, ==, started);
  g_assert_cmpuint (n_queued, ==, 6 - started);
  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 6 - started);

  pcq_engine_set_paused (ctx->engine, FALSE);
  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);
  for (guint i = 0; i < ctx->jobs->len; i++)
    assert_job_state (g_ptr_array_index (ctx->jobs, i), PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 6);
}

/* Pause of one task */

static guint64
range_start (const char *range)
{
  g_assert_nonnull (range);
  g_assert_true (g_str_has_prefix (range, "bytes="));
  return g_ascii_strtoull (range + strlen ("bytes="), NULL, 10);
}

/* A running download with a validator pauses within moments: no longer
 * active nor queued, its part kept, no request while paused; Resume
 * fetches the rest with Range into a byte-identical file. */
static void
test_pause_job_running (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/flaky/pj/pj.bin";
  /* The first request is slow (1 KiB per 100 ms), the next one quick. */
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?fail=1&mode=slow&etag=1&size=200000&seed=5",
                                              path);
  g_autofree char *range = NULL;
  PcqJob *job;
  gint64 paused_bytes;

  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (job) >= 2048, SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_ACTIVE);

  g_assert_true (pcq_engine_pause_job (ctx->engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_PAUSED, SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 0, SHORT_WAIT_MS);
  paused_bytes = pcq_job_get_bytes (job);
  pcq_test_note ("paused with %" G_GINT64_FORMAT " bytes", paused_bytes);

  g_assert_cmpuint (pcq_engine_get_n_paused (ctx->engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_active (ctx->engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 0);
  g_assert_false (pcq_job_is_finished (job));
  g_assert_null (pcq_job_get_error (job));
  g_assert_cmpuint (n_finished_signals (ctx, job), ==, 0);
  g_assert_true (pcq_test_dir_has_part_files (ctx->out));
  /* Pausing twice, or resuming what is not paused, does nothing. */
  g_assert_false (pcq_engine_pause_job (ctx->engine, job));

  /* Nothing asks the server while it is paused. */
  pcq_test_spin (400);
  assert_job_state (job, PCQ_JOB_PAUSED);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);

  g_assert_true (pcq_engine_resume_job (ctx->engine, job));
  g_assert_false (pcq_engine_resume_job (ctx->engine, job));
  g_assert_cmpuint (pcq_engine_get_n_paused (ctx->engine), ==, 0);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 5, 200000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));

  /* The second request asked for the rest of the part. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 2);
  range = pcq_test_server_dup_range (ctx->server, path, 1);
  pcq_test_note ("resumed with %s", range);
  g_assert_cmpuint (range_start (range), >, 0);
  g_assert_cmpuint (range_start (range), <=, 200000);
  g_assert_cmpuint (pcq_engine_get_n_done (ctx->engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_paused (ctx->engine), ==, 0);
}

/* Without a validator there is nothing to resume safely: Resume starts
 * from zero, and the file is still right. */
static void
test_pause_job_no_validator (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/flaky/pn/pn.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?fail=1&mode=slow&size=100000&seed=6", path);
  g_autofree char *range = NULL;
  PcqJob *job;

  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (job) >= 2048, SHORT_WAIT_MS);

  g_assert_true (pcq_engine_pause_job (ctx->engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_PAUSED, SHORT_WAIT_MS);

  g_assert_true (pcq_engine_resume_job (ctx->engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 6, 100000);

  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, path), ==, 2);
  range = pcq_test_server_dup_range (ctx->server, path, 1);
  g_assert_null (range);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* A queued task leaves the queue at once and is not started while
 * paused; resumed, it goes back to its place: before a task submitted
 * after it. */
static void
test_pause_job_queued (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url_a = pcq_test_server_url (ctx->server, "/data/pq-a.bin?size=65536&chunk=8192&delay=40");
  g_autofree char *url_b = pcq_test_server_url (ctx->server, "/data/pq-b.bin?size=1000");
  g_autofree char *url_c = pcq_test_server_url (ctx->server, "/data/pq-c.bin?size=1000");
  g_autoptr(GPtrArray) paths = NULL;
  PcqJob *a;
  PcqJob *b;
  PcqJob *c;

  pcq_engine_set_max_active (ctx->engine, 1);
  a = ctx_submit (ctx, url_a, NULL);
  b = ctx_submit (ctx, url_b, NULL);
  c = ctx_submit (ctx, url_c, NULL);
  /* The server sees the request moments before this thread hears that
   * the job started. */
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1 &&
                     pcq_job_get_state (a) == PCQ_JOB_ACTIVE, SHORT_WAIT_MS);
  assert_job_state (a, PCQ_JOB_ACTIVE);
  assert_job_state (b, PCQ_JOB_QUEUED);

  /* At once, not within moments. */
  g_assert_true (pcq_engine_pause_job (ctx->engine, b));
  assert_job_state (b, PCQ_JOB_PAUSED);
  g_assert_cmpuint (pcq_engine_get_n_paused (ctx->engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_active (ctx->engine), ==, 1);

  /* Resumed while A still runs: back before C. */
  g_assert_true (pcq_engine_resume_job (ctx->engine, b));
  assert_job_state (b, PCQ_JOB_QUEUED);
  PCQ_TEST_WAIT_FOR (all_finished (ctx), SHORT_WAIT_MS);
  assert_job_state (a, PCQ_JOB_DONE);
  assert_job_state (b, PCQ_JOB_DONE);
  assert_job_state (c, PCQ_JOB_DONE);
  paths = pcq_test_server_dup_paths (ctx->server);
  g_assert_cmpuint (paths->len, ==, 3);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (paths, 1), "/data/pq-b.bin"));
  g_assert_true (g_str_has_prefix (g_ptr_array_index (paths, 2), "/data/pq-c.bin"));

  /* Paused again, with nothing else running: not started by the queue. */
  g_assert_false (pcq_engine_pause_job (ctx->engine, b));
}

/* Paused while nothing else runs: the queue goes on with the others and
 * leaves it alone; a wait shutdown does not wait for it. */
static void
test_pause_job_not_started (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url_a = pcq_test_server_url (ctx->server, "/data/pn-a.bin?size=1000");
  g_autofree char *url_b = pcq_test_server_url (ctx->server, "/data/pn-b.bin?size=1000");
  PcqJob *a;
  PcqJob *b;

  pcq_engine_set_paused (ctx->engine, TRUE);
  a = ctx_submit (ctx, url_a, NULL);
  b = ctx_submit (ctx, url_b, NULL);
  PCQ_TEST_WAIT_FOR (pcq_engine_pause_job (ctx->engine, b), SHORT_WAIT_MS);
  assert_job_state (b, PCQ_JOB_PAUSED);

  pcq_engine_set_paused (ctx->engine, FALSE);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (a), SHORT_WAIT_MS);
  pcq_test_spin (400);
  assert_job_state (b, PCQ_JOB_PAUSED);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/pn-b.bin"), ==, 0);

  ctx_shutdown (ctx, PCQ_SHUTDOWN_WAIT, SHORT_WAIT_MS);
  assert_job_state (b, PCQ_JOB_PAUSED);
}

/* Cancel of a paused task, and Cancel while a pause is under way: the
 * task ends cancelled and its part goes. So does the part of one removed
 * from the list while a pause is under way. */
static void
test_pause_job_cancel (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url_a = pcq_test_server_url (ctx->server, "/flaky/pc/a.bin?fail=1&mode=slow&etag=1&size=200000");
  g_autofree char *url_b = pcq_test_server_url (ctx->server, "/flaky/pc/b.bin?fail=1&mode=slow&etag=1&size=200000");
  g_autofree char *url_c = pcq_test_server_url (ctx->server, "/flaky/pc/c.bin?fail=1&mode=slow&etag=1&size=200000");
  PcqJob *a;
  PcqJob *b;
  PcqJob *c;

  a = ctx_submit (ctx, url_a, NULL);
  b = ctx_submit (ctx, url_b, NULL);
  c = ctx_submit (ctx, url_c, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (a) >= 2048 && pcq_job_get_bytes (b) >= 2048 &&
                     pcq_job_get_bytes (c) >= 2048, SHORT_WAIT_MS);

  g_assert_true (pcq_engine_pause_job (ctx->engine, a));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (a) == PCQ_JOB_PAUSED, SHORT_WAIT_MS);
  pcq_engine_cancel (ctx->engine, a);
  assert_job_state (a, PCQ_JOB_CANCELLED);
  g_assert_cmpuint (n_finished_signals (ctx, a), ==, 1);

  g_assert_true (pcq_engine_pause_job (ctx->engine, b));
  pcq_engine_cancel (ctx->engine, b);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (b) == PCQ_JOB_CANCELLED, SHORT_WAIT_MS);
  g_assert_cmpuint (n_finished_signals (ctx, b), ==, 1);

  g_assert_true (pcq_engine_pause_job (ctx->engine, c));
  pcq_engine_remove (ctx->engine, c);
  g_assert_cmpuint (g_list_model_get_n_items (pcq_engine_get_jobs (ctx->engine)), ==, 2);
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 0, SHORT_WAIT_MS);

  PCQ_TEST_WAIT_FOR (!pcq_test_dir_has_part_files (ctx->out), SHORT_WAIT_MS);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (ctx->engine), ==, 2);
  g_assert_cmpuint (pcq_engine_get_n_paused (ctx->engine), ==, 0);
  assert_dir_empty (ctx->out);
}

/* Cancel and retry */

static void
test_cancel_queued (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url_a = NULL;
  g_autofree char *url_b = NULL;
  PcqJob *running;
  PcqJob *queued;

  pcq_engine_set_max_active (ctx->engine, 1);
  url_a = pcq_test_server_url (ctx->server, "/data/cq-a.bin?size=65536&chunk=8192&delay=40");
  url_b = pcq_test_server_url (ctx->server, "/data/cq-b.bin?size=1000");
  running = ctx_submit (ctx, url_a, NULL);
  queued = ctx_submit (ctx, url_b, NULL);

  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, SHORT_WAIT_MS);
  assert_job_state (queued, PCQ_JOB_QUEUED);

  pcq_engine_cancel (ctx->engine, queued);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (queued) == PCQ_JOB_CANCELLED, 200);
  PCQ_TEST_WAIT_FOR (n_finished_signals (ctx, queued) == 1, 200);

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (running), SHORT_WAIT_MS);
  assert_job_state (running, PCQ_JOB_DONE);

  /* The cancelled job never reached the server. */
  pcq_test_spin (200);
  assert_job_state (queued, PCQ_JOB_CANCELLED);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/cq-b.bin"), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (ctx->engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_done (ctx->engine), ==, 1);
  g_assert_cmpuint (n_finished_signals (ctx, queued), ==, 1);
}

static void
test_cancel_running (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/cancel.bin?" ENDLESS_QUERY);
  PcqJob *job;
  gint64 start;
  gint64 state_ms;
  gint64 part_ms;

  job = ctx_submit (ctx, url, NULL);

  /* Running and writing its part file. */
  PCQ_TEST_WAIT_FOR (pcq_test_dir_has_part_files (ctx->out), SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_ACTIVE, SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (job) > 0, SHORT_WAIT_MS);

  start = g_get_monotonic_time ();
  pcq_engine_cancel (ctx->engine, job);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_CANCELLED, 1000);
  state_ms = (g_get_monotonic_time () - start) / 1000;
  PCQ_TEST_WAIT_FOR (!pcq_test_dir_has_part_files (ctx->out), 1000);
  part_ms = (g_get_monotonic_time () - start) / 1000;
  pcq_test_note ("cancelled after %" G_GINT64_FORMAT " ms, part file gone after %"
                 G_GINT64_FORMAT " ms", state_ms, part_ms);

  /* Stopped within 200 ms, temp file removed. */
  g_assert_cmpint (state_ms, <=, 200);
  g_assert_cmpint (part_ms, <=, 200);

  /* And the transfer really stopped: the server sees the connection go. */
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 0, 2000);
  assert_dir_empty (ctx->out);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (ctx->engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_n_active (ctx->engine), ==, 0);
  g_assert_cmpuint (n_finished_signals (ctx, job), ==, 1);
}

/* A job waiting for its next attempt (with the part of the file it
 * already has, kept to resume) is cancelled like a queued one, and its
 * temp file goes too. */
static void
test_cancel_waiting_for_retry (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = NULL;
  PcqJob *job;

  set_uint_property (ctx->engine, "retry-base-delay", 3000);
  url = pcq_test_server_url (ctx->server, "/flaky/cancel-wait/w.bin?fail=1&mode=close&etag=1&size=100000&seed=3");
  job = ctx_submit (ctx, url, NULL);

  /* The first attempt was cut short: the job waits for its retry. */
  PCQ_TEST_WAIT_FOR (pcq_job_get_attempts (job) == 1 && pcq_job_get_state (job) == PCQ_JOB_QUEUED
                     && pcq_test_server_count_requests (ctx->server, NULL) == 1, SHORT_WAIT_MS);

  pcq_engine_cancel (ctx->engine, job);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_CANCELLED, 200);
  PCQ_TEST_WAIT_FOR (!pcq_test_dir_has_part_files (ctx->out), 200);
  assert_dir_empty (ctx->out);

  /* And it does not come back. */
  pcq_test_spin (300);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
}

static void
test_retry_cancelled (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/again.bin?size=5000&seed=2");
  g_autofree char *final = ctx_out_path (ctx, "again.bin");
  PcqJob *job;

  pcq_engine_set_paused (ctx->engine, TRUE);
  job = ctx_submit (ctx, url, NULL);
  pcq_engine_cancel (ctx->engine, job);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_CANCELLED, 200);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_cancelled (ctx->engine) == 1, 200);

  g_assert_true (pcq_engine_retry (ctx->engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_QUEUED, 200);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_queued (ctx->engine) == 1, 200);

  pcq_engine_set_paused (ctx->engine, FALSE);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (final, 2, 5000);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/again.bin"), ==, 1);

  /* The counts describe the jobs as they are now. */
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_done (ctx->engine) == 1, SHORT_WAIT_MS);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (ctx->engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 0);
  g_assert_cmpuint (n_finished_signals (ctx, job), ==, 2);
}

static void
test_retry_failed (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = NULL;
  g_autofree char *final = ctx_out_path (ctx, "later.bin");
  PcqJob *job;

  /* A 404 the first time, then the file. */
  url = pcq_test_server_url (ctx->server, "/flaky/retry-failed/later.bin?fail=1&code=404&size=3000&seed=5");
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_FAILED);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);

  g_assert_true (pcq_engine_retry (ctx->engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_DONE, SHORT_WAIT_MS);
  pcq_test_assert_content (final, 5, 3000);
  g_assert_true (pcq_job_get_error (job) == NULL || *pcq_job_get_error (job) == '\0');
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/flaky/retry-failed/later.bin"), ==, 2);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_done (ctx->engine) == 1, SHORT_WAIT_MS);
  g_assert_cmpuint (pcq_engine_get_n_failed (ctx->engine), ==, 0);
}

static void
test_retry_refused (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url_a = pcq_test_server_url (ctx->server, "/data/rr-a.bin?size=100");
  g_autofree char *url_b = pcq_test_server_url (ctx->server, "/data/rr-b.bin?size=100");
  PcqJob *done;
  PcqJob *queued;

  done = ctx_submit (ctx, url_a, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (done), SHORT_WAIT_MS);
  assert_job_state (done, PCQ_JOB_DONE);

  /* Only failed and cancelled jobs can be retried. */
  g_assert_false (pcq_engine_retry (ctx->engine, done));
  assert_job_state (done, PCQ_JOB_DONE);

  pcq_engine_set_paused (ctx->engine, TRUE);
  queued = ctx_submit (ctx, url_b, NULL);
  g_assert_false (pcq_engine_retry (ctx->engine, queued));
  assert_job_state (queued, PCQ_JOB_QUEUED);

  pcq_test_spin (100);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/rr-a.bin"), ==, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/data/rr-b.bin"), ==, 0);
}

/* Counts and signals */

static void
test_counts (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *ok_a = pcq_test_server_url (ctx->server, "/data/count-a.bin?size=1000");
  g_autofree char *ok_b = pcq_test_server_url (ctx->server, "/data/count-b.bin?size=2000");
  g_autofree char *missing = pcq_test_server_url (ctx->server, "/status/404/count-c.bin");
  g_autofree char *later = pcq_test_server_url (ctx->server, "/data/count-d.bin?size=100");
  PcqJob *cancelled;

  pcq_engine_set_paused (ctx->engine, TRUE);
  ctx_submit (ctx, ok_a, NULL);
  ctx_submit (ctx, ok_b, NULL);
  ctx_submit (ctx, missing, NULL);
  cancelled = ctx_submit (ctx, later, NULL);

  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_queued (ctx->engine) == 4, 200);
  pcq_engine_cancel (ctx->engine, cancelled);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_cancelled (ctx->engine) == 1, 200);
  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 3);

  pcq_engine_set_paused (ctx->engine, FALSE);
  PCQ_TEST_WAIT_FOR (all_finished (ctx), SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_done (ctx->engine) == 2
                     && pcq_engine_get_n_failed (ctx->engine) == 1, SHORT_WAIT_MS);

  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_active (ctx->engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (ctx->engine), ==, 1);
  g_assert_cmpuint (pcq_engine_get_bytes_done (ctx->engine), ==, 3000);
  g_assert_cmpuint (get_uint_property (ctx->engine, "n-done"), ==, 2);
  g_assert_cmpuint (get_uint_property (ctx->engine, "n-failed"), ==, 1);
  g_assert_cmpuint (get_uint_property (ctx->engine, "n-cancelled"), ==, 1);

  /* They were notified (on the main thread: checked in ctx_free). */
  g_assert_cmpuint (ctx->n_count_notifies, >=, 4);
}

static void
test_bytes_per_second (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = NULL;
  PcqJob *job;

  /* About 1.2 s at ~330 KB/s. */
  url = pcq_test_server_url (ctx->server, "/data/rate.bin?size=400000&chunk=16384&delay=50");
  job = ctx_submit (ctx, url, NULL);

  PCQ_TEST_WAIT_FOR (ctx->max_bytes_per_second > 0, SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);

  /* A sane figure: above 10 KB/s, below 100 MB/s for a throttled body. */
  pcq_test_note ("highest rate notified: %" G_GUINT64_FORMAT " B/s", ctx->max_bytes_per_second);
  g_assert_cmpuint (ctx->max_bytes_per_second, >, 10000);
  g_assert_cmpuint (ctx->max_bytes_per_second, <, 100000000);

  /* Idle again: the rate goes back to zero. */
  PCQ_TEST_WAIT_FOR (pcq_engine_get_bytes_per_second (ctx->engine) == 0, SHORT_WAIT_MS);
}

static void
test_job_finished_signal (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *ok = pcq_test_server_url (ctx->server, "/data/sig-a.bin?size=100");
  g_autofree char *bad = pcq_test_server_url (ctx->server, "/status/404/sig-b.bin");
  g_autofree char *slow = pcq_test_server_url (ctx->server, "/data/sig-c.bin?" ENDLESS_QUERY);
  PcqJob *done;
  PcqJob *failed;
  PcqJob *cancelled;

  done = ctx_submit (ctx, ok, NULL);
  failed = ctx_submit (ctx, bad, NULL);
  cancelled = ctx_submit (ctx, slow, NULL);

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (done) && pcq_job_is_finished (failed), SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (cancelled) == PCQ_JOB_ACTIVE, SHORT_WAIT_MS);
  g_assert_cmpuint (n_finished_signals (ctx, cancelled), ==, 0);
  pcq_engine_cancel (ctx->engine, cancelled);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (cancelled), SHORT_WAIT_MS);

  /* Once each, on the main thread, with the job already finished (both
   * checked in the handler and in ctx_free). */
  pcq_test_spin (100);
  g_assert_cmpuint (n_finished_signals (ctx, done), ==, 1);
  g_assert_cmpuint (n_finished_signals (ctx, failed), ==, 1);
  g_assert_cmpuint (n_finished_signals (ctx, cancelled), ==, 1);
  g_assert_cmpuint (ctx->finished->len, ==, 3);
  assert_job_state (done, PCQ_JOB_DONE);
  assert_job_state (failed, PCQ_JOB_FAILED);
  assert_job_state (cancelled, PCQ_JOB_CANCELLED);
}

/* HTTP errors */

static void
test_http_404 (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/status/404/missing.bin");
  PcqJob *job;

  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);

  /* Failed at once, not retried, with status and reason; nothing saved. */
  assert_job_state (job, PCQ_JOB_FAILED);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);
  assert_error_contains (job, "404 Not Found");
  pcq_test_spin (200);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/status/404/missing.bin"), ==, 1);
  assert_dir_empty (ctx->out);
}

static void
test_http_other_4xx (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  static const struct
  {
    guint       code;
    const char *text;
  } cases[] = {
    { 400, "400 Bad Request" },
    { 401, "401 Unauthorized" },
    { 403, "403 Forbidden" },
    { 410, "410 Gone" },
  };
  PcqJob *jobs[G_N_ELEMENTS (cases)];

  pcq_engine_set_max_active (ctx->engine, 4);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *url = pcq_test_server_url (ctx->server, "/status/%u/f.bin", cases[i].code);

      jobs[i] = ctx_submit (ctx, url, NULL);
    }

  PCQ_TEST_WAIT_FOR (all_finished (ctx), SHORT_WAIT_MS);
  pcq_test_spin (200);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/status/%u/f.bin", cases[i].code);

      assert_job_state (jobs[i], PCQ_JOB_FAILED);
      g_assert_cmpuint (pcq_job_get_attempts (jobs[i]), ==, 1);
      assert_error_contains (jobs[i], cases[i].text);
      g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, path), ==, 1);
    }
  assert_dir_empty (ctx->out);
}

/* Only 2xx answers are saved: a 3xx that is no redirect is an error. */
static void
test_http_not_2xx (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/status/300/choices.bin");
  PcqJob *job;

  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_FAILED);
  assert_error_contains (job, "300");
  assert_dir_empty (ctx->out);
}

static void
test_http_short_body (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/short/cut.bin?size=1000&send=100");
  PcqJob *job;

  pcq_engine_set_retries (ctx->engine, 0);
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);

  assert_job_state (job, PCQ_JOB_FAILED);
  assert_error_contains (job, "connection closed after 100 of 1000 bytes");
  /* Nothing under the final name, no part file either. */
  assert_dir_empty (ctx->out);
}

/* A Content-Length no disk can hold (2^60 bytes, while 100 come): the
 * task fails at once, saying how much it needs, without a retry and
 * without leaving a file or a part behind. */
static void
test_output_no_space (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = NULL;
  PcqJob *job;

  url = pcq_test_server_url (ctx->server, "/short/huge.bin?size=1000&send=100&announce=%"
                             G_GUINT64_FORMAT, G_GUINT64_CONSTANT (1) << 60);
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);

  assert_job_state (job, PCQ_JOB_FAILED);
  /* g_format_size () puts a no-break space before the unit. */
  assert_error_contains (job, "Not enough space: needs 1.2\xc2\xa0" "EB, ");
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
  assert_dir_empty (ctx->out);
}

/* A body stream that ends with the error libsoup 3.6.5 and later give
 * for a chunked body cut short (G_IO_ERROR_PARTIAL_INPUT), where older
 * ones give a plain end of stream: armed for a number of bodies. */
typedef struct
{
  GFilterInputStream parent_instance;
  gboolean           cut;
} TestCutStream;

typedef GFilterInputStreamClass TestCutStreamClass;

GType test_cut_stream_get_type (void);
G_DEFINE_TYPE (TestCutStream, test_cut_stream, G_TYPE_FILTER_INPUT_STREAM)

static int cut_bodies;  /* atomic: how many more bodies end with the error */

static gssize
test_cut_stream_read (GInputStream  *stream,
                      void          *buffer,
                      gsize          count,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_assert_not_reached ();
}

static void
cut_read_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TestCutStream *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (n < 0)
    g_task_return_error (task, error);
  else if (n == 0 && self->cut)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                             "Connection terminated unexpectedly");
  else
    g_task_return_int (task, n);
}

static void
test_cut_stream_read_async (GInputStream        *stream,
                            void                *buffer,
                            gsize                count,
                            int                  priority,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_input_stream_read_async (g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream)),
                             buffer, count, priority, cancellable, cut_read_cb, task);
}

static gssize
test_cut_stream_read_finish (GInputStream  *stream,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

static void
test_cut_stream_class_init (TestCutStreamClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  stream_class->read_fn = test_cut_stream_read;
  stream_class->read_async = test_cut_stream_read_async;
  stream_class->read_finish = test_cut_stream_read_finish;
}

static void
test_cut_stream_init (TestCutStream *self)
{
}

static GInputStream *
cut_body (GInputStream *body)
{
  TestCutStream *cut = g_object_new (test_cut_stream_get_type (), "base-stream", body, NULL);

  cut->cut = g_atomic_int_add (&cut_bodies, -1) > 0;
  g_object_unref (body);
  return G_INPUT_STREAM (cut);
}

/* A chunked body that ends without its last chunk is an incomplete
 * download (retried, never put in place), not a finished one. */
static void
test_http_partial_input (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/cut.bin?size=150000&seed=5&chunked=1&chunk=10000");
  g_autofree char *final = ctx_out_path (ctx, "cut.bin");
  PcqJob *job;

  g_atomic_int_set (&cut_bodies, 1);
  _pcq_worker_set_body_filter (cut_body);
  pcq_engine_set_retries (ctx->engine, 0);
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);

  assert_job_state (job, PCQ_JOB_FAILED);
  assert_error_contains (job, "Incomplete download: connection closed after 150");
  assert_dir_empty (ctx->out);

  /* The next attempt gets the whole body and finishes. */
  g_atomic_int_set (&cut_bodies, 1);
  pcq_engine_set_retries (ctx->engine, 2);
  g_assert_true (pcq_engine_retry (ctx->engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_DONE, SHORT_WAIT_MS);
  _pcq_worker_set_body_filter (NULL);

  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 2);
  pcq_test_assert_content (final, 5, 150000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

static void
test_http_reset (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/short/reset.bin?size=200000&send=20000&reset=1");
  PcqJob *job;

  pcq_engine_set_retries (ctx->engine, 0);
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);

  assert_job_state (job, PCQ_JOB_FAILED);
  assert_has_error (job);
  assert_dir_empty (ctx->out);
}

/* Retries */

static void
test_retry_statuses (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  static const guint codes[] = { 408, 429, 500, 502, 503, 504 };
  PcqJob *jobs[G_N_ELEMENTS (codes)];

  pcq_engine_set_max_active (ctx->engine, G_N_ELEMENTS (codes));
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *url = NULL;

      url = pcq_test_server_url (ctx->server, "/flaky/code-%u/f-%u.bin?fail=1&code=%u&size=2000&seed=%u",
                                 codes[i], codes[i], codes[i], i);
      jobs[i] = ctx_submit (ctx, url, NULL);
    }

  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *path = g_strdup_printf ("/flaky/code-%u/f-%u.bin", codes[i], codes[i]);

      pcq_test_note ("status %u", codes[i]);
      assert_job_state (jobs[i], PCQ_JOB_DONE);
      g_assert_cmpuint (pcq_job_get_attempts (jobs[i]), ==, 2);
      g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, path), ==, 2);
      pcq_test_assert_content (pcq_job_get_output_path (jobs[i]), i, 2000);
    }
}

static void
test_retry_exhausted (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/flaky/exhausted/f.bin?fail=100&code=500");
  PcqJob *job;

  pcq_engine_set_retries (ctx->engine, 2);
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);

  /* One attempt and two retries, then the error. */
  assert_job_state (job, PCQ_JOB_FAILED);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 3);
  assert_error_contains (job, "500");
  pcq_test_spin (200);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, "/flaky/exhausted/f.bin"), ==, 3);
  assert_dir_empty (ctx->out);
}

static void
test_retry_after_seconds (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/flaky/ra-seconds/f.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?fail=2&code=503&retry_after=1", path);
  PcqJob *job;
  gint64 t0, t1, t2;

  job = ctx_run_one (ctx, url, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 3);

  t0 = pcq_test_server_get_request_time (ctx->server, path, 0);
  t1 = pcq_test_server_get_request_time (ctx->server, path, 1);
  t2 = pcq_test_server_get_request_time (ctx->server, path, 2);
  pcq_test_note ("gaps: %" G_GINT64_FORMAT " ms, %" G_GINT64_FORMAT " ms",
                 (t1 - t0) / 1000, (t2 - t1) / 1000);

  /* Retry-After: 1 wins over the 50 ms backoff. */
  g_assert_cmpint (t1 - t0, >=, 900 * 1000);
  g_assert_cmpint (t2 - t1, >=, 900 * 1000);
  g_assert_cmpint (t2 - t0, <, 6 * G_USEC_PER_SEC);
}

/* A job that waits for the server's Retry-After says until when, and
 * Retry Now sends the next attempt at once. */
static void
test_retry_after_retry_now (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/flaky/ra-now/f.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?fail=1&code=503&retry_after=300", path);
  g_autofree char *other = pcq_test_server_url (ctx->server, "/flaky/ra-now/g.bin?fail=1&code=500");
  PcqJob *job, *backoff;
  gint64 before = g_get_real_time ();
  gint64 at;
  gboolean asked = FALSE;

  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_retry_at (job, NULL) != 0, SHORT_WAIT_MS);
  at = pcq_job_get_retry_at (job, &asked);
  g_assert_true (asked);
  g_assert_cmpint (at, >=, before + 299 * G_USEC_PER_SEC);
  g_assert_cmpint (at, <=, g_get_real_time () + 301 * G_USEC_PER_SEC);
  assert_job_state (job, PCQ_JOB_QUEUED);

  g_assert_true (pcq_engine_retry_now (ctx->engine, job));
  g_assert_cmpint (pcq_job_get_retry_at (job, NULL), ==, 0);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, path), ==, 2);
  g_assert_false (pcq_engine_retry_now (ctx->engine, job));

  /* Pcq's own backoff is a wait too, not the server's. */
  set_uint_property (ctx->engine, "retry-base-delay", 60000);
  backoff = ctx_submit (ctx, other, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_retry_at (backoff, NULL) != 0, SHORT_WAIT_MS);
  pcq_job_get_retry_at (backoff, &asked);
  g_assert_false (asked);
  g_assert_true (pcq_engine_retry_now (ctx->engine, backoff));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (backoff), SHORT_WAIT_MS);
  assert_job_state (backoff, PCQ_JOB_DONE);
}

static void
test_retry_after_date (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/flaky/ra-date/f.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?fail=1&code=429&retry_date=2", path);
  PcqJob *job;
  gint64 t0, t1;

  job = ctx_run_one (ctx, url, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 2);

  t0 = pcq_test_server_get_request_time (ctx->server, path, 0);
  t1 = pcq_test_server_get_request_time (ctx->server, path, 1);
  pcq_test_note ("gap: %" G_GINT64_FORMAT " ms", (t1 - t0) / 1000);

  /* An HTTP date 2 s ahead, at one-second resolution: more than 1 s. */
  g_assert_cmpint (t1 - t0, >=, 900 * 1000);
  g_assert_cmpint (t1 - t0, <, 5 * G_USEC_PER_SEC);
}

static void
test_retry_after_holds_host (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path_a = "/flaky/hold/a.bin";
  g_autofree char *url_a = pcq_test_server_url (ctx->server, "%s?fail=1&code=429&retry_after=1", path_a);
  g_autofree char *url_b = pcq_test_server_url (ctx->server, "/data/hold-b.bin?size=100");
  PcqJob *a;
  PcqJob *b;
  gint64 t0, ta, tb;

  pcq_engine_set_max_active (ctx->engine, 2);
  a = ctx_submit (ctx, url_a, NULL);
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, path_a) == 1, SHORT_WAIT_MS);
  /* Give the engine time to read the 429 (there is nothing to wait on). */
  pcq_test_spin (300);

  /* A free slot and a job for the same host: it must wait for the
   * Retry-After to expire. */
  b = ctx_submit (ctx, url_b, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (a) && pcq_job_is_finished (b), LONG_WAIT_MS);
  assert_job_state (a, PCQ_JOB_DONE);
  assert_job_state (b, PCQ_JOB_DONE);

  t0 = pcq_test_server_get_request_time (ctx->server, path_a, 0);
  ta = pcq_test_server_get_request_time (ctx->server, path_a, 1);
  tb = pcq_test_server_get_request_time (ctx->server, "/data/hold-b.bin", 0);
  pcq_test_note ("retry after %" G_GINT64_FORMAT " ms, other job after %" G_GINT64_FORMAT " ms",
                 (ta - t0) / 1000, (tb - t0) / 1000);
  g_assert_cmpint (ta - t0, >=, 900 * 1000);
  g_assert_cmpint (tb - t0, >=, 900 * 1000);
}

static void
test_retry_connection_refused (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/refused.bin",
                                          pcq_test_unused_port ());
  PcqJob *job;

  pcq_engine_set_retries (ctx->engine, 2);
  job = ctx_run_one (ctx, url, LONG_WAIT_MS);

  assert_job_state (job, PCQ_JOB_FAILED);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 3);
  assert_has_error (job);
  assert_dir_empty (ctx->out);
}

static void
test_retry_connection_closed (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/flaky/closed/f.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?fail=1&mode=close&size=20000&seed=9", path);
  PcqJob *job;

  job = ctx_run_one (ctx, url, LONG_WAIT_MS);

  /* The body cut in the middle the first time is fetched again. */
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 2);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, path), ==, 2);
  pcq_test_assert_content (pcq_job_get_output_path (job), 9, 20000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* Stalls */

/* With a 1 s stall timeout and no retries, a request to @path (plus
 * @query) that stops sending fails about 1 s after it was made. */
static void
check_stall_fails (const char *what,
                   const char *path,
                   const char *query)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s%s", path, query);
  PcqJob *job;
  gint64 failed_at;
  gint64 elapsed_ms;

  pcq_engine_set_stall_timeout (ctx->engine, 1);
  pcq_engine_set_retries (ctx->engine, 0);
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);
  failed_at = g_get_monotonic_time ();

  elapsed_ms = (failed_at - pcq_test_server_get_request_time (ctx->server, path, 0)) / 1000;
  pcq_test_note ("%s: failed %" G_GINT64_FORMAT " ms after its request", what, elapsed_ms);
  assert_job_state (job, PCQ_JOB_FAILED);
  assert_has_error (job);
  g_assert_cmpint (elapsed_ms, >=, 900);
  g_assert_cmpint (elapsed_ms, <, 4000);
  assert_dir_empty (ctx->out);
}

static void
test_stall_mid_body (void)
{
  check_stall_fails ("stalled body", "/data/stall.bin", "?size=100000&stall=1000");
}

static void
test_stall_before_headers (void)
{
  check_stall_fails ("silent server", "/hang/silent.bin", "");
}

/* A server that keeps a trickle going never stalls, but is too slow:
 * under min-speed for a whole stall period ends the attempt. */
static void
test_stall_too_slow (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *slow = pcq_test_server_url (ctx->server, "/data/trickle.bin?size=100000&chunk=100&delay=200");
  g_autofree char *enough = pcq_test_server_url (ctx->server, "/data/slow-enough.bin?size=600&chunk=100&delay=200");
  g_autofree char *final = ctx_out_path (ctx, "slow-enough.bin");
  PcqJob *job;

  pcq_engine_set_stall_timeout (ctx->engine, 1);
  pcq_engine_set_retries (ctx->engine, 0);
  g_assert_cmpuint (pcq_engine_get_min_speed (ctx->engine), ==, 1024);
  job = ctx_run_one (ctx, slow, LONG_WAIT_MS);

  assert_job_state (job, PCQ_JOB_FAILED);
  /* g_format_size () puts a no-break space before the unit. */
  assert_error_contains (job, "Too slow: less than 1.0\u00a0kB/s for 1 s");
  assert_dir_empty (ctx->out);

  /* 500 bytes a second beat a minimum of 100. */
  pcq_engine_set_min_speed (ctx->engine, 100);
  job = ctx_run_one (ctx, enough, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (final, 0, 600);
}

static void
test_stall_retried (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/data/stall-again.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?size=5000&stall=10", path);
  PcqJob *job;

  /* A stall is a timeout, and timeouts are retried. */
  pcq_engine_set_stall_timeout (ctx->engine, 1);
  pcq_engine_set_retries (ctx->engine, 1);
  job = ctx_run_one (ctx, url, LONG_WAIT_MS);

  assert_job_state (job, PCQ_JOB_FAILED);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 2);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, path), ==, 2);
  assert_dir_empty (ctx->out);
}

/* Redirects */

static void
test_redirect_followed (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/redirect/3/moved.bin?size=5000&seed=4");
  PcqJob *job;

  job = ctx_submit (ctx, url, "moved.bin");
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  assert_output_in (job, ctx->out, "moved.bin");
  pcq_test_assert_content (pcq_job_get_output_path (job), 4, 5000);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 4);
}

/* Redirects from @path that never end (or not soon enough): the job
 * fails, and the chain was cut after a bounded number of hops. */
static void
check_redirect_cut (const char *path)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s", path);
  PcqJob *job;

  pcq_engine_set_retries (ctx->engine, 0);
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);

  assert_job_state (job, PCQ_JOB_FAILED);
  assert_error_contains (job, "redirect");
  pcq_test_spin (200);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), <=, 12);
  assert_dir_empty (ctx->out);
}

static void
test_redirect_loop (void)
{
  check_redirect_cut ("/loop/a");
}

static void
test_redirect_too_many (void)
{
  check_redirect_cut ("/redirect/20/far.bin");
}

/* Bad input */

static void
test_invalid_urls (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *ftp = g_strdup_printf ("ftp://127.0.0.1:%u/data/x.bin",
                                          pcq_test_server_get_port (ctx->server));
  g_autofree char *good_url = pcq_test_server_url (ctx->server, "/data/after-bad.bin?size=10");
  const char *urls[] = {
    "not a url",
    ftp,
    "file:///etc/hostname",
    "http://",
    "https://",
    "http:///no-host.bin",
    "http://127.0.0.1:99999/bad-port.bin",
    "http://[::1/unbalanced.bin",
    "javascript:alert(1)",
    "127.0.0.1/no-scheme.bin",
  };
  g_autofree char *listing = NULL;
  PcqJob *good;

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    ctx_submit (ctx, urls[i], NULL);
  good = ctx_submit (ctx, good_url, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      PcqJob *job = g_ptr_array_index (ctx->jobs, i);

      PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), 2000);
      assert_job_state (job, PCQ_JOB_FAILED);
      assert_has_error (job);
      g_assert_cmpuint (pcq_job_get_attempts (job), <=, 1);
    }

  /* The rest of the queue goes on. */
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (good), SHORT_WAIT_MS);
  assert_job_state (good, PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
  listing = pcq_test_describe_dir (ctx->out);
  g_assert_cmpstr (listing, ==, "[\"after-bad.bin\"]");
}

static void
test_unwritable_output (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *file = g_build_filename (ctx->tmp, "a-file", NULL);
  g_autofree char *bad_dir = g_build_filename (file, "sub", NULL);
  g_autofree char *url_a = pcq_test_server_url (ctx->server, "/data/nowhere.bin?size=100");
  g_autofree char *url_b = pcq_test_server_url (ctx->server, "/data/somewhere.bin?size=100");
  g_autoptr(GError) error = NULL;
  PcqJob *bad_sub;
  PcqJob *bad_file;
  PcqJob *good;

  /* Neither a folder below a regular file nor a regular file can be an
   * output folder (for root too, unlike permission bits). */
  g_file_set_contents (file, "not a folder", -1, &error);
  g_assert_no_error (error);

  pcq_engine_set_max_active (ctx->engine, 1);
  bad_sub = ctx_submit_to (ctx, url_a, bad_dir, NULL);
  bad_file = ctx_submit_to (ctx, url_a, file, NULL);
  good = ctx_submit (ctx, url_b, NULL);

  PCQ_TEST_WAIT_FOR (all_finished (ctx), SHORT_WAIT_MS);
  assert_job_state (bad_sub, PCQ_JOB_FAILED);
  assert_has_error (bad_sub);
  assert_job_state (bad_file, PCQ_JOB_FAILED);
  assert_has_error (bad_file);
  assert_job_state (good, PCQ_JOB_DONE);
  assert_output_in (good, ctx->out, "somewhere.bin");
}

/* Names */

static void
test_name_explicit (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = NULL;
  PcqJob *job;

  /* The job's name wins over both the URL and Content-Disposition. */
  url = pcq_test_server_url (ctx->server, "/data/url-name.bin?size=10&cd=attachment%%3B%%20filename%%3D%%22cd.bin%%22");
  job = ctx_submit (ctx, url, "explicit.dat");
  g_assert_cmpstr (pcq_job_get_name (job), ==, "explicit.dat");
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  assert_output_in (job, ctx->out, "explicit.dat");
}

static void
test_name_explicit_traversal (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/x.bin?size=10");
  g_autofree char *listing = NULL;
  PcqJob *job;

  job = ctx_submit (ctx, url, "../escape.txt");
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);

  /* Saved inside the folder under a safe name, or refused. */
  if (pcq_job_get_state (job) == PCQ_JOB_DONE)
    assert_output_in (job, ctx->out, NULL);
  else
    assert_job_state (job, PCQ_JOB_FAILED);
  listing = pcq_test_describe_dir (ctx->tmp);
  g_assert_cmpstr (listing, ==, "[\"out\"]");
}

static void
test_name_from_url (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url_a = pcq_test_server_url (ctx->server, "/data/sub/hello%%20world.txt?size=10");
  g_autofree char *url_b = pcq_test_server_url (ctx->server, "/data/na%%C3%%AFve.txt?size=10");
  PcqJob *a;
  PcqJob *b;

  a = ctx_submit (ctx, url_a, NULL);
  b = ctx_submit (ctx, url_b, NULL);
  PCQ_TEST_WAIT_FOR (all_finished (ctx), SHORT_WAIT_MS);

  assert_job_state (a, PCQ_JOB_DONE);
  assert_job_state (b, PCQ_JOB_DONE);
  assert_output_in (a, ctx->out, "hello world.txt");
  assert_output_in (b, ctx->out, "naïve.txt");
}

static void
test_name_fallback (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/");
  PcqJob *job;

  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  assert_output_in (job, ctx->out, "download");
}

static char *
disposition_url (Ctx        *ctx,
                 const char *path,
                 const char *header)
{
  g_autofree char *escaped = g_uri_escape_string (header, NULL, FALSE);

  return pcq_test_server_url (ctx->server, "%s?size=64&cd=%s", path, escaped);
}

static void
test_name_disposition (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  static const struct
  {
    const char *header;
    const char *expected;
  } cases[] = {
    { "attachment; filename=\"report.csv\"", "report.csv" },
    { "attachment; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt", "naïve résumé.txt" },
    { "attachment; filename=\"fallback.txt\"; filename*=UTF-8''preferred.txt", "preferred.txt" },
    /* Nothing usable: the URL's name. */
    { "attachment; filename=\"\"", "url-name-3.bin" },
    { "attachment", "url-name-4.bin" },
  };
  PcqJob *jobs[G_N_ELEMENTS (cases)];

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/data/cd-%u/url-name-%u.bin", i, i);
      g_autofree char *url = disposition_url (ctx, path, cases[i].header);

      jobs[i] = ctx_submit (ctx, url, NULL);
    }

  PCQ_TEST_WAIT_FOR (all_finished (ctx), SHORT_WAIT_MS);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      assert_job_state (jobs[i], PCQ_JOB_DONE);
      assert_output_in (jobs[i], ctx->out, cases[i].expected);
    }
}

static void
test_name_disposition_traversal (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  static const char * const headers[] = {
    "attachment; filename=\"../../etc/passwd\"",
    "attachment; filename*=UTF-8''..%2F..%2Fevil.txt",
    "attachment; filename=\"/etc/shadow\"",
    "attachment; filename=\".hidden\"",
  };
  g_autofree char *base_listing = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *path = g_strdup_printf ("/data/trav-%u/file.bin", i);
      g_autofree char *url = disposition_url (ctx, path, headers[i]);

      ctx_submit (ctx, url, NULL);
    }

  PCQ_TEST_WAIT_FOR (all_finished (ctx), SHORT_WAIT_MS);
  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      PcqJob *job = g_ptr_array_index (ctx->jobs, i);
      g_autofree char *name = NULL;

      assert_job_state (job, PCQ_JOB_DONE);
      assert_output_in (job, ctx->out, NULL);
      name = g_path_get_basename (pcq_job_get_output_path (job));
      g_assert_cmpint (name[0], !=, '.');
      g_assert_null (strstr (name, ".."));
    }

  /* Nothing landed beside or above the output folder. */
  base_listing = pcq_test_describe_dir (ctx->tmp);
  g_assert_cmpstr (base_listing, ==, "[\"out\"]");
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* A cancelled job that is retried must not take (and overwrite) the
 * name another job took meanwhile. */
static void
test_name_retry_keeps_others (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url_a = NULL;
  g_autofree char *url_b = pcq_test_server_url (ctx->server, "/data/x.bin?size=1000&seed=2");
  g_autofree char *final = ctx_out_path (ctx, "x.bin");
  PcqJob *a;
  PcqJob *b;

  /* The first request for A is slow, the second one quick. */
  url_a = pcq_test_server_url (ctx->server, "/flaky/overwrite/x.bin?fail=1&mode=slow&size=200000&seed=1");
  a = ctx_submit (ctx, url_a, NULL);
  PCQ_TEST_WAIT_FOR (pcq_test_dir_has_part_files (ctx->out), SHORT_WAIT_MS);
  pcq_engine_cancel (ctx->engine, a);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (a) == PCQ_JOB_CANCELLED, SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (!pcq_test_dir_has_part_files (ctx->out), SHORT_WAIT_MS);

  /* Meanwhile B takes the free name. */
  b = ctx_submit (ctx, url_b, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (b), SHORT_WAIT_MS);
  assert_job_state (b, PCQ_JOB_DONE);
  assert_output_in (b, ctx->out, "x.bin");

  g_assert_true (pcq_engine_retry (ctx->engine, a));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (a), SHORT_WAIT_MS);
  assert_job_state (a, PCQ_JOB_DONE);
  assert_output_in (a, ctx->out, NULL);

  /* Two files: B's is intact, A's is beside it. */
  g_assert_cmpstr (pcq_job_get_output_path (a), !=, pcq_job_get_output_path (b));
  pcq_test_assert_content (final, 2, 1000);
  pcq_test_assert_content (pcq_job_get_output_path (a), 1, 200000);
}

static void
test_name_duplicates (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *existing = ctx_out_path (ctx, "dup.bin");
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *old = NULL;
  const guint n = 8;

  g_file_set_contents (existing, "existing", -1, &error);
  g_assert_no_error (error);

  /* Eight workers choose a name for "dup.bin" at the same time. */
  pcq_engine_set_max_active (ctx->engine, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *url = NULL;

      url = pcq_test_server_url (ctx->server, "/data/dup.bin?size=20000&chunk=5000&delay=30&seed=%u", i);
      ctx_submit (ctx, url, NULL);
    }

  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight (ctx->server), >=, 2);

  for (guint i = 0; i < n; i++)
    {
      PcqJob *job = g_ptr_array_index (ctx->jobs, i);
      char *name;

      assert_job_state (job, PCQ_JOB_DONE);
      assert_output_in (job, ctx->out, NULL);
      pcq_test_assert_content (pcq_job_get_output_path (job), i, 20000);
      name = g_path_get_basename (pcq_job_get_output_path (job));
      g_assert_false (g_hash_table_contains (names, name));
      g_hash_table_add (names, name);
    }

  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *expected = g_strdup_printf ("dup (%u).bin", i);

      g_assert_true (g_hash_table_contains (names, expected));
    }

  /* The file that was there first is untouched. */
  g_file_get_contents (existing, &old, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (old, ==, "existing");
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* Segmented downloads (split) */

#define SPLIT_SIZE (16 * 1024 * 1024)

static char *content_sha256 (guint seed,
                             gsize size);

/* With split=4, a 16 MiB file with an ETag from a server that takes
 * ranges comes over four connections at once, byte for byte. */
static void
test_split_basic (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/data/split.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?size=%d&seed=21&etag=1&chunk=262144&delay=5",
                                              path, SPLIT_SIZE);
  g_autofree char *range1 = NULL;
  g_autofree char *range3 = NULL;
  PcqJob *job;

  g_assert_cmpuint (get_uint_property (ctx->engine, "split"), ==, 1);
  set_uint_property (ctx->engine, "split", 4);
  /* A line's headers go with every segment's request. */
  job = pcq_engine_submit_download (ctx->engine, url, ctx->out, NULL, NULL,
                                    (const char *[]) { "Referer", "https://example.org/", NULL });
  g_ptr_array_add (ctx->jobs, g_object_ref (job));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);

  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 21, SPLIT_SIZE);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *referer = pcq_test_server_dup_header (ctx->server, path, i, "Referer");

      g_assert_cmpstr (referer, ==, "https://example.org/");
    }
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 4);
  g_assert_cmpuint (pcq_test_server_get_max_in_flight (ctx->server), ==, 4);
  range1 = pcq_test_server_dup_range (ctx->server, path, 1);
  range3 = pcq_test_server_dup_range (ctx->server, path, 3);
  g_assert_nonnull (range1);
  g_assert_nonnull (range3);
  pcq_test_note ("segment ranges: %s … %s", range1, range3);
  g_assert_null (pcq_test_server_dup_range (ctx->server, path, 0));
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);
}

/* No validator, or no Accept-Ranges: one request, as without split. */
static void
test_split_needs_ranges (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *plain = pcq_test_server_url (ctx->server, "/data/plain.bin?size=%d&seed=22", SPLIT_SIZE);
  g_autofree char *noranges = pcq_test_server_url (ctx->server, "/data/noranges.bin?size=%d&seed=23&etag=1&noranges=1",
                                                   SPLIT_SIZE);
  PcqJob *job;

  set_uint_property (ctx->engine, "split", 4);
  job = ctx_run_one (ctx, plain, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 22, SPLIT_SIZE);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);

  job = ctx_run_one (ctx, noranges, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 23, SPLIT_SIZE);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 2);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* A server that says it takes ranges but answers a segment with the
 * whole file: the attempt is retried in one piece, from zero. */
static void
test_split_refused (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/refused.bin?size=%d&seed=24&etag=1&badrange=1",
                                              SPLIT_SIZE);
  PcqJob *job;

  set_uint_property (ctx->engine, "split", 4);
  job = ctx_run_one (ctx, url, LONG_WAIT_MS);

  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 24, SPLIT_SIZE);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 2);
  /* Four for the split attempt, one for the next. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 5);
  g_assert_null (pcq_test_server_dup_range (ctx->server, "/data/refused.bin", 4));
}

/* A cancel stops every segment within 200 ms; no part is left. */
static void
test_split_cancel (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/slow-split.bin?size=%d&seed=25&etag=1&chunk=65536&delay=50",
                                              SPLIT_SIZE);
  PcqJob *job;
  gint64 start, cancel_ms;

  set_uint_property (ctx->engine, "split", 4);
  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, NULL) == 4 &&
                     pcq_job_get_bytes (job) > 0, LONG_WAIT_MS);

  start = g_get_monotonic_time ();
  pcq_engine_cancel (ctx->engine, job);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_CANCELLED, 1000);
  cancel_ms = (g_get_monotonic_time () - start) / 1000;
  pcq_test_note ("cancelled a split download after %" G_GINT64_FORMAT " ms", cancel_ms);
  g_assert_cmpint (cancel_ms, <=, 200);
  PCQ_TEST_WAIT_FOR (!pcq_test_dir_has_part_files (ctx->out), SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 0, SHORT_WAIT_MS);
}

/* The digest of a split download is taken from the joined part: the
 * right one is done, a wrong one fails with nothing left. */
static void
test_split_checksum (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/sum-split.bin?size=%d&seed=26&etag=1", SPLIT_SIZE);
  g_autofree char *sha256 = content_sha256 (26, SPLIT_SIZE);
  g_autofree char *other = content_sha256 (27, SPLIT_SIZE);
  g_autofree char *bad_dir = g_build_filename (ctx->out, "bad", NULL);
  PcqJob *job, *bad;

  g_assert_cmpint (g_mkdir (bad_dir, 0700), ==, 0);
  set_uint_property (ctx->engine, "split", 4);
  job = pcq_engine_submit_checked (ctx->engine, url, ctx->out, NULL, sha256);
  g_ptr_array_add (ctx->jobs, g_object_ref (job));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 26, SPLIT_SIZE);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 4);

  bad = pcq_engine_submit_checked (ctx->engine, url, bad_dir, NULL, other);
  g_ptr_array_add (ctx->jobs, g_object_ref (bad));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (bad), LONG_WAIT_MS);
  assert_job_state (bad, PCQ_JOB_FAILED);
  g_assert_true (g_str_has_prefix (pcq_job_get_error (bad), "Checksum mismatch"));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 8);
  assert_dir_empty (bad_dir);
}

/* The speed limit holds for the sum of the segments: 16 MiB at 8 MiB/s
 * over four connections cannot take less than the 1.5 s the bytes
 * after each segment's first read (an eighth of a second's worth)
 * need; a lower bound only. */
static void
test_split_speed_limit (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/limited-split.bin?size=%d&seed=29&etag=1",
                                              SPLIT_SIZE);
  gint64 start;
  PcqJob *job;

  set_uint_property (ctx->engine, "split", 4);
  set_uint_property (ctx->engine, "speed-limit", 8 * 1024 * 1024);
  start = g_get_monotonic_time ();
  job = ctx_run_one (ctx, url, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3 * G_USEC_PER_SEC / 2);
  pcq_test_assert_content (pcq_job_get_output_path (job), 29, SPLIT_SIZE);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 4);
}

/* Resuming cut downloads */

static void
test_resume_range (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/flaky/resume/r.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?fail=1&mode=close&etag=1&size=100000&seed=4", path);
  g_autofree char *range = NULL;
  PcqJob *job;

  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);

  /* Whether the second attempt asked for the rest or for everything,
   * the file is exactly the server's. */
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 2);
  pcq_test_assert_content (pcq_job_get_output_path (job), 4, 100000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
  range = pcq_test_server_dup_range (ctx->server, path, 1);
  pcq_test_note ("second attempt: Range %s", range);
}

/* The file changed between the attempts: the server ignores the Range
 * (If-Range no longer matches) and the engine must start over. */
static void
test_resume_changed (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/flaky/resume-changed/r.bin";
  g_autofree char *url = NULL;
  PcqJob *job;

  url = pcq_test_server_url (ctx->server, "%s?fail=1&mode=close&etag=1&size=100000&seed=5&ok_seed=6", path);
  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);

  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 6, 100000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* Checksums */

/* The SHA-256 of the test server's body of @size bytes made with @seed. */
static char *
content_sha256 (guint seed,
                gsize size)
{
  g_autofree guint8 *data = g_malloc (MAX (size, 1));

  pcq_test_content_fill (seed, 0, data, size);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
}

static void
test_checksum_match (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/sum.bin?size=700000&seed=7");
  g_autofree char *sha256 = content_sha256 (7, 700000);
  g_autofree char *upper = g_ascii_strup (sha256, -1);
  PcqJob *job;

  job = pcq_engine_submit_checked (ctx->engine, url, ctx->out, NULL, upper);
  g_ptr_array_add (ctx->jobs, g_object_ref (job));
  g_assert_cmpstr (pcq_job_get_sha256 (job), ==, sha256);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);

  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), 7, 700000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* The body is not the file asked for: failed at once (no retry would
 * bring another), nothing under the final name, no part file. */
static void
test_checksum_mismatch (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/wrong.bin?size=700000&seed=8");
  g_autofree char *expected = content_sha256 (7, 700000);
  g_autofree char *got = content_sha256 (8, 700000);
  g_autofree char *message = g_strdup_printf ("Checksum mismatch (expected %s, got %s)", expected, got);
  PcqJob *job;

  job = pcq_engine_submit_checked (ctx->engine, url, ctx->out, NULL, expected);
  g_ptr_array_add (ctx->jobs, g_object_ref (job));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), SHORT_WAIT_MS);

  assert_job_state (job, PCQ_JOB_FAILED);
  g_assert_cmpstr (pcq_job_get_error (job), ==, message);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
  assert_dir_empty (ctx->out);
}

/* The body is cut half way once; the second attempt asks for the rest
 * (Range), and the digest covers the kept half too: right digest, done;
 * a wrong one, failed with no part left. */
static void
test_checksum_resumed (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/flaky/sum-resume/r.bin";
  const char *bad_path = "/flaky/sum-resume-bad/r.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?fail=1&mode=close&etag=1&size=900000&seed=9",
                                              path);
  g_autofree char *bad_url = pcq_test_server_url (ctx->server,
                                                  "%s?fail=1&mode=close&etag=1&size=900000&seed=9",
                                                  bad_path);
  g_autofree char *sha256 = content_sha256 (9, 900000);
  g_autofree char *other = content_sha256 (10, 900000);
  g_autofree char *range = NULL;
  g_autofree char *bad_range = NULL;
  g_autofree char *bad_dir = g_build_filename (ctx->out, "bad", NULL);
  PcqJob *job, *bad;

  job = pcq_engine_submit_checked (ctx->engine, url, ctx->out, NULL, sha256);
  g_ptr_array_add (ctx->jobs, g_object_ref (job));
  bad = pcq_engine_submit_checked (ctx->engine, bad_url, bad_dir, NULL, other);
  g_ptr_array_add (ctx->jobs, g_object_ref (bad));
  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);

  range = pcq_test_server_dup_range (ctx->server, path, 1);
  g_assert_cmpstr (range, ==, "bytes=450000-");
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 2);
  pcq_test_assert_content (pcq_job_get_output_path (job), 9, 900000);

  bad_range = pcq_test_server_dup_range (ctx->server, bad_path, 1);
  g_assert_cmpstr (bad_range, ==, "bytes=450000-");
  assert_job_state (bad, PCQ_JOB_FAILED);
  g_assert_true (strstr (pcq_job_get_error (bad), "Checksum mismatch") != NULL);
  assert_dir_empty (bad_dir);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* Shutdown */

static void
test_shutdown_wait (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  gint64 elapsed;

  pcq_engine_set_max_active (ctx->engine, 1);
  submit_slow (ctx, 3, "wait");
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 1, SHORT_WAIT_MS);

  /* Finishes only once the backlog is drained. */
  elapsed = ctx_shutdown (ctx, PCQ_SHUTDOWN_WAIT, LONG_WAIT_MS);
  pcq_test_note ("wait shutdown took %" G_GINT64_FORMAT " ms", elapsed);
  for (guint i = 0; i < ctx->jobs->len; i++)
    {
      PcqJob *job = g_ptr_array_index (ctx->jobs, i);

      assert_job_state (job, PCQ_JOB_DONE);
      pcq_test_assert_content (pcq_job_get_output_path (job), i, 32768);
    }
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 3);
}

/* A pause and a wait shutdown that come before this thread has heard
 * that a worker started a job (as a Ctrl+C just after a start can) do
 * not take the running job for a queued one: the wait goes on, and a
 * forced stop after it (a second Ctrl+C) interrupts that job at once
 * and keeps its part file. */
static void
test_shutdown_wait_unheard (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  /* 1 KiB per 100 ms, with an ETag: resumable. */
  g_autofree char *url = pcq_test_server_url (ctx->server,
                                              "/flaky/kept/unheard.bin?fail=1&mode=slow&etag=1&size=200000&seed=7");
  g_autofree char *quick = pcq_test_server_url (ctx->server, "/data/unheard-q.bin?size=10");
  gint64 deadline = g_get_monotonic_time () + SHORT_WAIT_MS * 1000;
  PcqJob *running;
  PcqJob *queued;
  gint64 elapsed;

  pcq_engine_set_max_active (ctx->engine, 1);
  running = ctx_submit (ctx, url, NULL);
  queued = ctx_submit (ctx, quick, NULL);

  /* The server runs on a thread of its own: waited for without running
   * this thread's main context, the start stays unheard. */
  while (pcq_test_server_get_in_flight (ctx->server) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_cmpuint (pcq_test_server_get_in_flight (ctx->server), ==, 1);
  assert_job_state (running, PCQ_JOB_QUEUED);

  pcq_engine_set_paused (ctx->engine, TRUE);
  pcq_engine_shutdown_async (ctx->engine, PCQ_SHUTDOWN_WAIT, NULL, NULL, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (running) >= 2048, SHORT_WAIT_MS);

  elapsed = ctx_shutdown (ctx, PCQ_SHUTDOWN_FORCE, SHORT_WAIT_MS);
  g_assert_cmpint (elapsed, <, 1000);
  assert_job_state (running, PCQ_JOB_QUEUED);
  assert_job_state (queued, PCQ_JOB_QUEUED);
  g_assert_true (pcq_test_dir_has_part_files (ctx->out));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
}

static void
test_shutdown_force (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/forced.bin?" ENDLESS_QUERY);
  g_autofree char *url_q1 = pcq_test_server_url (ctx->server, "/data/forced-q1.bin?size=10");
  g_autofree char *url_q2 = pcq_test_server_url (ctx->server, "/data/forced-q2.bin?size=10");
  g_autofree char *final = ctx_out_path (ctx, "forced.bin");
  PcqJob *running;
  gint64 elapsed;

  pcq_engine_set_max_active (ctx->engine, 1);
  running = ctx_submit (ctx, url, NULL);
  ctx_submit (ctx, url_q1, NULL);
  ctx_submit (ctx, url_q2, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (running) > 0, SHORT_WAIT_MS);

  /* The running job is interrupted and queued again, the queued ones
   * are not started: nothing is cancelled. */
  elapsed = ctx_shutdown (ctx, PCQ_SHUTDOWN_FORCE, SHORT_WAIT_MS);
  pcq_test_note ("forced shutdown took %" G_GINT64_FORMAT " ms", elapsed);
  g_assert_cmpint (elapsed, <, 1000);

  assert_job_state (running, PCQ_JOB_QUEUED);
  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 3);
  g_assert_cmpuint (pcq_engine_get_n_cancelled (ctx->engine), ==, 0);
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 0, 2000);
  pcq_test_spin (200);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  /* Without a validator the part could not be resumed: it is gone. */
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));
}

/* Stop Now loses nothing: a forced stop interrupts a download from a
 * server that gave a strong ETag, keeps its part file and its job
 * queued in the store; the next start resumes it with Range + If-Range
 * (a 206) into a byte-identical file under its own name. */
static void
test_shutdown_force_resumes (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *store_path = g_build_filename (ctx->tmp, "queue.sqlite", NULL);
  /* The first request is slow (1 KiB per 100 ms), the next one quick. */
  g_autofree char *url = pcq_test_server_url (ctx->server,
                                              "/flaky/kept/kept.bin?fail=1&mode=slow&etag=1&size=200000&seed=7");
  g_autofree char *final = ctx_out_path (ctx, "kept.bin");
  g_autofree char *range = NULL;
  g_autoptr(PcqStore) store = pcq_test_store_open (store_path);
  g_autoptr(PcqEngine) engine = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *notice = NULL;
  PcqJob *job;
  gint64 kept;

  pcq_engine_set_store (ctx->engine, store);
  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (job) >= 2048, SHORT_WAIT_MS);

  ctx_shutdown (ctx, PCQ_SHUTDOWN_FORCE, SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_QUEUED);
  g_assert_true (pcq_test_dir_has_part_files (ctx->out));
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  pcq_store_close (store);
  g_clear_object (&store);

  /* The next start: a new engine on the same store. */
  store = pcq_store_new (store_path);
  records = pcq_store_open_sync (store, 0, &notice, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  kept = ((PcqStoreRecord *) g_ptr_array_index (records, 0))->bytes;
  g_assert_nonnull (((PcqStoreRecord *) g_ptr_array_index (records, 0))->validator);

  engine = pcq_engine_new ();
  pcq_engine_set_store (engine, store);
  pcq_engine_restore (engine, records, PCQ_RESTORE_UNFINISHED | PCQ_RESTORE_FINISHED);
  job = g_list_model_get_item (pcq_engine_get_jobs (engine), 0);
  g_object_unref (job);  /* the list holds it */
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);

  g_assert_cmpstr (pcq_job_get_output_path (job), ==, final);
  pcq_test_assert_content (final, 7, 200000);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));

  /* The second request asked for the rest of what the part held. */
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 2);
  range = pcq_test_server_dup_range (ctx->server, "/flaky/kept/kept.bin", 1);
  g_assert_nonnull (range);
  g_assert_true (g_str_has_prefix (range, "bytes="));
  g_assert_cmpint (g_ascii_strtoll (range + strlen ("bytes="), NULL, 10), >, 0);
  pcq_test_note ("stopped with %" G_GINT64_FORMAT " bytes stored; resumed with %s", kept, range);

  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, SHORT_WAIT_MS);
  pcq_store_close (store);
}

/* Starts a 4-way split download of @path (slowly), stops the engine
 * by force once a MiB is in, and opens the store again: its one record
 * in @records. Returns the store. */
static PcqStore *
split_and_stop (Ctx         *ctx,
                const char  *store_path,
                const char  *path,
                guint        seed,
                GPtrArray  **records)
{
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?size=%d&seed=%u&etag=1&chunk=65536&delay=20",
                                              path, SPLIT_SIZE, seed);
  g_autoptr(PcqStore) store = pcq_test_store_open (store_path);
  g_autoptr(GError) error = NULL;
  g_autofree char *notice = NULL;
  const char *token;
  PcqJob *job;

  pcq_engine_set_store (ctx->engine, store);
  set_uint_property (ctx->engine, "split", 4);
  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, NULL) == 4 &&
                     pcq_job_get_bytes (job) >= 1024 * 1024, LONG_WAIT_MS);

  ctx_shutdown (ctx, PCQ_SHUTDOWN_FORCE, SHORT_WAIT_MS);
  assert_job_state (job, PCQ_JOB_QUEUED);
  /* The part, holes and all, stays for the next start. */
  g_assert_true (pcq_test_dir_has_part_files (ctx->out));
  pcq_store_close (store);
  g_clear_object (&store);

  store = pcq_store_new (store_path);
  *records = pcq_store_open_sync (store, 0, &notice, &error);
  g_assert_no_error (error);
  g_assert_cmpuint ((*records)->len, ==, 1);
  /* The resume token names the part file and how far each segment got. */
  token = ((PcqStoreRecord *) g_ptr_array_index (*records, 0))->validator;
  g_assert_nonnull (token);
  g_assert_nonnull (strstr (token, " split/4/"));
  pcq_test_note ("stopped: %s", strchr (token, ' ') + 1);

  return g_steal_pointer (&store);
}

/* A new engine on @store, restoring @records, split 4: runs the job to
 * its end. */
static PcqEngine *
split_restart (PcqStore  *store,
               GPtrArray *records,
               PcqJob   **job)
{
  PcqEngine *engine = pcq_engine_new ();

  set_uint_property (engine, "split", 4);
  pcq_engine_set_store (engine, store);
  pcq_engine_restore (engine, records, PCQ_RESTORE_UNFINISHED | PCQ_RESTORE_FINISHED);
  *job = g_list_model_get_item (pcq_engine_get_jobs (engine), 0);
  g_object_unref (*job);  /* the list holds it */
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (*job), LONG_WAIT_MS);
  return engine;
}

/* The requests after a split download's first four (its second start):
 * one to four, each a range within one segment. Returns how many start
 * past their segment's start; @asked gets how many bytes they ask for. */
static guint
assert_segment_rests (Ctx        *ctx,
                      const char *path,
                      gint64     *asked)
{
  guint n_requests = pcq_test_server_count_requests (ctx->server, NULL);
  guint n_resumed = 0;

  g_assert_cmpuint (n_requests, >, 4);
  g_assert_cmpuint (n_requests, <=, 8);
  *asked = 0;
  for (guint i = 4; i < n_requests; i++)
    {
      g_autofree char *range = pcq_test_server_dup_range (ctx->server, path, i);
      gint64 from, to;
      char *end;

      g_assert_nonnull (range);
      g_assert_true (g_str_has_prefix (range, "bytes="));
      from = g_ascii_strtoll (range + strlen ("bytes="), &end, 10);
      g_assert_cmpint (*end, ==, '-');
      to = g_ascii_strtoll (end + 1, NULL, 10);
      g_assert_cmpint (from / (SPLIT_SIZE / 4), ==, to / (SPLIT_SIZE / 4));
      n_resumed += from % (SPLIT_SIZE / 4) != 0;
      *asked += to - from + 1;
    }
  pcq_test_note ("second start: %u requests for %" G_GINT64_FORMAT " of %d bytes",
                 n_requests - 4, *asked, SPLIT_SIZE);

  return n_resumed;
}

/* A forced stop of a split download keeps its part and how far each
 * segment got; the next start asks each segment only for its rest, and
 * the file is whole, byte for byte. */
static void
test_split_force_stop (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *store_path = g_build_filename (ctx->tmp, "queue.sqlite", NULL);
  const char *path = "/data/stopped.bin";
  g_autofree char *final = ctx_out_path (ctx, "stopped.bin");
  g_autoptr(PcqStore) store = NULL;
  g_autoptr(PcqEngine) engine = NULL;
  g_autoptr(GPtrArray) records = NULL;
  guint n_resumed;
  gint64 asked;
  PcqJob *job;

  store = split_and_stop (ctx, store_path, path, 28, &records);
  engine = split_restart (store, records, &job);
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpstr (pcq_job_get_output_path (job), ==, final);
  pcq_test_assert_content (final, 28, SPLIT_SIZE);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));

  /* Some start past their segment's start; all of them together ask
   * for less than the file, by at least what the first start had. */
  n_resumed = assert_segment_rests (ctx, path, &asked);
  g_assert_cmpuint (n_resumed, >, 0);
  g_assert_cmpint (asked, <=, SPLIT_SIZE - 1024 * 1024);

  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, SHORT_WAIT_MS);
  pcq_store_close (store);
}

/* The file changed between the two starts (another validator): the
 * resumed range is answered with the whole file, and the download
 * starts again from zero, split again, byte for byte. */
static void
test_split_changed (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *store_path = g_build_filename (ctx->tmp, "queue.sqlite", NULL);
  const char *path = "/data/changed.bin";
  g_autofree char *final = ctx_out_path (ctx, "changed.bin");
  g_autoptr(PcqStore) store = NULL;
  g_autoptr(PcqEngine) engine = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *resumed = NULL;
  PcqStoreRecord *record;
  char *validator;
  PcqJob *job;

  store = split_and_stop (ctx, store_path, path, 30, &records);
  /* As if the server's ETag had changed meanwhile. */
  record = g_ptr_array_index (records, 0);
  validator = strrchr (record->validator, '/');
  g_assert_nonnull (validator);
  validator[1] = '\0';
  validator = g_strconcat (record->validator, "\"changed\"", NULL);
  g_free (record->validator);
  record->validator = validator;

  engine = split_restart (store, records, &job);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (final, 30, SPLIT_SIZE);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));

  /* Asked for a rest, got the whole file, split it again. */
  resumed = pcq_test_server_dup_range (ctx->server, path, 4);
  g_assert_nonnull (resumed);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 8);

  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, SHORT_WAIT_MS);
  pcq_store_close (store);
}

/* Starts a split download of @path (4 segments, ETag, slow chunks) and
 * returns its job once the four segments have brought 4 MiB in. */
static PcqJob *
split_slowly (Ctx        *ctx,
              const char *path,
              guint       seed)
{
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?size=%d&seed=%u&etag=1&chunk=65536&delay=20",
                                              path, SPLIT_SIZE, seed);
  PcqJob *job;

  set_uint_property (ctx->engine, "split", 4);
  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_test_server_count_requests (ctx->server, NULL) == 4 &&
                     pcq_job_get_bytes (job) >= 4 * 1024 * 1024, LONG_WAIT_MS);
  return job;
}

/* @job, started by split_slowly () and interrupted, ends whole, byte
 * for byte; no second request came from a segment's start, and nothing
 * the first attempt had was asked for again. */
static void
assert_split_goes_on (Ctx        *ctx,
                      PcqJob     *job,
                      const char *path,
                      guint       seed)
{
  gint64 asked;

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (pcq_job_get_output_path (job), seed, SPLIT_SIZE);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));

  g_assert_cmpuint (assert_segment_rests (ctx, path, &asked), ==,
                    pcq_test_server_count_requests (ctx->server, NULL) - 4);
  g_assert_cmpint (asked, <=, SPLIT_SIZE - 4 * 1024 * 1024);
}

/* Pause and Resume of a split download go on from where its segments
 * got, in the same engine (the token stays with the paused job). */
static void
test_split_pause (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/data/paused-split.bin";
  PcqJob *job = split_slowly (ctx, path, 32);

  g_assert_true (pcq_engine_pause_job (ctx->engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_PAUSED, SHORT_WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 0, SHORT_WAIT_MS);
  g_assert_true (pcq_test_dir_has_part_files (ctx->out));

  g_assert_true (pcq_engine_resume_job (ctx->engine, job));
  assert_split_goes_on (ctx, job, path, 32);
}

/* A split attempt that fails (every segment stalls) keeps its part and
 * how far its segments got: the retry asks each segment for its rest
 * only, and the file is whole. */
static void
test_split_retry (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  const char *path = "/data/retried-split.bin";
  PcqJob *job;

  set_uint_property (ctx->engine, "stall-timeout", 1);
  job = split_slowly (ctx, path, 33);
  pcq_test_server_set_hold (ctx->server, TRUE);

  /* The attempt failed, and waits for its retry with its part. */
  PCQ_TEST_WAIT_FOR (pcq_job_get_error (job) != NULL, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_QUEUED);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);
  g_assert_true (pcq_test_dir_has_part_files (ctx->out));
  pcq_test_note ("failed with: %s", pcq_job_get_error (job));
  pcq_test_server_set_hold (ctx->server, FALSE);

  assert_split_goes_on (ctx, job, path, 33);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 2);
}

/* The part was cut short between the two starts (the same file, so
 * its identity still matches): what the token says each segment had is
 * no longer there, and the download starts again from zero instead of
 * leaving holes of zeros. */
static void
test_split_truncated (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *store_path = g_build_filename (ctx->tmp, "queue.sqlite", NULL);
  const char *path = "/data/truncated.bin";
  g_autofree char *final = ctx_out_path (ctx, "truncated.bin");
  g_autoptr(PcqStore) store = NULL;
  g_autoptr(PcqEngine) engine = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *part = NULL;
  PcqJob *job;

  store = split_and_stop (ctx, store_path, path, 31, &records);
  part = pcq_test_find_part_file (ctx->out);
  g_assert_nonnull (part);
  g_assert_no_errno (truncate (part, 4096));

  engine = split_restart (store, records, &job);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (final, 31, SPLIT_SIZE);
  g_assert_false (pcq_test_dir_has_part_files (ctx->out));

  /* No rest asked for: the second start asked for the whole file and
   * split it again. */
  g_assert_null (pcq_test_server_dup_range (ctx->server, path, 4));
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 8);

  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, SHORT_WAIT_MS);
  pcq_store_close (store);
}

/* A job a worker has just started, before the main thread heard of it,
 * is running too: a forced shutdown cancels it. */
static void
test_shutdown_force_just_started (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/fresh.bin?" ENDLESS_QUERY);
  g_autofree char *final = ctx_out_path (ctx, "fresh.bin");
  PcqJob *job;
  gint64 elapsed;

  job = ctx_submit (ctx, url, NULL);
  WAIT_WITHOUT_DISPATCH (pcq_test_server_get_in_flight (ctx->server) == 1, SHORT_WAIT_MS);
  pcq_test_note ("state seen by the main thread at shutdown: %s",
                 pcq_job_state_to_string (pcq_job_get_state (job)));

  elapsed = ctx_shutdown (ctx, PCQ_SHUTDOWN_FORCE, 3000);
  pcq_test_note ("forced shutdown took %" G_GINT64_FORMAT " ms", elapsed);
  g_assert_cmpint (elapsed, <, 1000);

  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (ctx->server) == 0, 2000);
  g_assert_cmpint (pcq_job_get_state (job), !=, PCQ_JOB_DONE);
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
}

static void
test_shutdown_finalize (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/fin.bin?size=100");
  PcqEngine *engine = ctx->engine;
  GListModel *model;
  PcqJob *job;

  job = ctx_run_one (ctx, url, SHORT_WAIT_MS);
  ctx_shutdown (ctx, PCQ_SHUTDOWN_WAIT, SHORT_WAIT_MS);

  /* After a shutdown the last reference really frees the engine (no
   * worker, source or cycle keeps it alive) and its job list. */
  model = g_object_ref (pcq_engine_get_jobs (engine));
  g_object_add_weak_pointer (G_OBJECT (model), (gpointer *) &model);
  g_signal_handlers_disconnect_by_data (engine, ctx);
  g_object_add_weak_pointer (G_OBJECT (engine), (gpointer *) &ctx->engine);
  g_object_unref (model);
  g_object_unref (engine);
  PCQ_TEST_WAIT_FOR (ctx->engine == NULL && model == NULL, 2000);

  /* Jobs the caller still holds stay usable. */
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpstr (pcq_job_get_url (job), ==, url);
}

/* Network */

/* A test monitor for the engine, which holds loopback as if it were the network
 * (the test server is on loopback, which is never held otherwise). */
static PcqTestMonitor *
ctx_use_test_monitor (Ctx *ctx)
{
  PcqTestMonitor *monitor = pcq_test_monitor_new ();

  pcq_engine_set_network_monitor (ctx->engine, G_NETWORK_MONITOR (monitor));
  _pcq_engine_set_hold_loopback (ctx->engine, TRUE);
  return monitor;
}

static void
test_network_offline_holds (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(PcqTestMonitor) monitor = ctx_use_test_monitor (ctx);
  g_autofree char *a = pcq_test_server_url (ctx->server, "/data/net-a.bin?size=3000");
  g_autofree char *b = pcq_test_server_url (ctx->server, "/data/net-b.bin?size=4000");
  PcqJob *job_a;
  PcqJob *job_b;

  g_assert_false (pcq_engine_get_offline (ctx->engine));
  pcq_test_monitor_set (monitor, FALSE, FALSE);
  g_assert_true (pcq_engine_get_offline (ctx->engine));
  g_assert_true (pcq_engine_get_network_held (ctx->engine));
  /* Not the user's pause. */
  g_assert_false (pcq_engine_get_paused (ctx->engine));

  pcq_engine_set_retries (ctx->engine, 0);
  job_a = ctx_submit (ctx, a, NULL);
  job_b = ctx_submit (ctx, b, NULL);

  /* Offline: nothing starts, nothing fails. */
  pcq_test_spin (400);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 0);
  assert_job_state (job_a, PCQ_JOB_QUEUED);
  assert_job_state (job_b, PCQ_JOB_QUEUED);
  g_assert_cmpuint (pcq_job_get_attempts (job_a), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_queued (ctx->engine), ==, 2);

  /* Back online: the queue goes on by itself. */
  pcq_test_monitor_set (monitor, TRUE, FALSE);
  g_assert_false (pcq_engine_get_offline (ctx->engine));
  PCQ_TEST_WAIT_FOR (all_finished (ctx), LONG_WAIT_MS);
  assert_job_state (job_a, PCQ_JOB_DONE);
  assert_job_state (job_b, PCQ_JOB_DONE);
  g_assert_cmpuint (pcq_job_get_attempts (job_a), ==, 1);
}

/* An attempt that fails while the network is gone does not count: with
 * no retries, the job waits instead of failing, and fails only once an
 * attempt fails with the network there. */
static void
test_network_failure_offline_not_counted (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(PcqTestMonitor) monitor = ctx_use_test_monitor (ctx);
  const char *path = "/data/net-stall.bin";
  g_autofree char *url = pcq_test_server_url (ctx->server, "%s?size=100000&stall=1000", path);
  PcqJob *job;

  pcq_engine_set_stall_timeout (ctx->engine, 1);
  pcq_engine_set_retries (ctx->engine, 0);
  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_ACTIVE, LONG_WAIT_MS);

  /* The network goes while it runs; the stall ends the attempt. */
  pcq_test_monitor_set (monitor, FALSE, FALSE);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) != PCQ_JOB_ACTIVE, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_QUEUED);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_failed (ctx->engine), ==, 0);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, path), ==, 1);

  /* It does not start again until the network is back. */
  pcq_test_spin (300);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, path), ==, 1);

  pcq_test_monitor_set (monitor, TRUE, FALSE);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_FAILED);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, path), ==, 2);
}

static void
test_network_metered (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(PcqTestMonitor) monitor = ctx_use_test_monitor (ctx);
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/net-metered.bin?size=2000");
  PcqJob *job;

  /* Metered, and downloads there are allowed (the default): they run. */
  pcq_test_monitor_set (monitor, TRUE, TRUE);
  g_assert_true (pcq_engine_get_metered (ctx->engine));
  g_assert_true (pcq_engine_get_download_on_metered (ctx->engine));
  g_assert_false (pcq_engine_get_network_held (ctx->engine));
  job = ctx_run_one (ctx, url, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);

  /* Not allowed: held until they are. */
  pcq_engine_set_download_on_metered (ctx->engine, FALSE);
  g_assert_true (pcq_engine_get_network_held (ctx->engine));
  g_assert_false (pcq_engine_get_offline (ctx->engine));
  job = ctx_submit (ctx, url, NULL);
  pcq_test_spin (300);
  assert_job_state (job, PCQ_JOB_QUEUED);
  g_assert_cmpuint (pcq_test_server_count_requests (ctx->server, NULL), ==, 1);

  pcq_engine_set_download_on_metered (ctx->engine, TRUE);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
}

/* The default monitor never holds loopback jobs, whatever it says. */
static void
test_network_loopback_not_held (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autoptr(PcqTestMonitor) monitor = pcq_test_monitor_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/net-local.bin?size=1000");
  PcqJob *job;

  pcq_engine_set_network_monitor (ctx->engine, G_NETWORK_MONITOR (monitor));
  pcq_test_monitor_set (monitor, FALSE, FALSE);
  g_assert_true (pcq_engine_get_offline (ctx->engine));
  job = ctx_run_one (ctx, url, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
}

/* Start later: nothing reaches the server before the time given (a
 * lower bound: the two clocks are read a moment apart, allowed 20 ms),
 * then the queue runs by itself and the time reads back as 0. A time
 * that has passed starts at once. */
static void
test_start_at (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/later.bin?size=2000&seed=6");
  gint64 real_now = g_get_real_time ();
  gint64 start_at = real_now / G_USEC_PER_SEC + 2;
  gint64 due = g_get_monotonic_time () + (start_at * G_USEC_PER_SEC - real_now);
  PcqJob *job;

  g_assert_cmpint (pcq_engine_get_start_at (ctx->engine), ==, 0);
  pcq_engine_set_start_at (ctx->engine, start_at);
  g_assert_cmpint (pcq_engine_get_start_at (ctx->engine), ==, start_at);
  g_assert_false (pcq_engine_get_paused (ctx->engine));

  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpint (pcq_test_server_get_request_time (ctx->server, "/data/later.bin", 0), >=,
                   due - 20 * 1000);
  g_assert_cmpint (pcq_engine_get_start_at (ctx->engine), ==, 0);

  set_int64_start_at (ctx->engine, real_now / G_USEC_PER_SEC - 60);
  g_assert_cmpint (pcq_engine_get_start_at (ctx->engine), ==, 0);
}

/* Speed limit */

/* 1 MiB at 256 KiB/s: nothing is saved up when the limit is set, so
 * it cannot take less than the 3.9 s the bytes after the first read
 * need (a lower bound only: a busy machine makes it slower, never
 * faster). The server itself sends as fast as it is read. */
static void
test_speed_limit_throttles (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/limited.bin?size=1048576&seed=3");
  g_autofree char *final = ctx_out_path (ctx, "limited.bin");
  gint64 start;
  PcqJob *job;

  g_assert_cmpuint (pcq_engine_get_speed_limit (ctx->engine), ==, 0);
  set_uint_property (ctx->engine, "speed-limit", 256 * 1024);
  g_assert_cmpuint (pcq_engine_get_speed_limit (ctx->engine), ==, 256 * 1024);

  start = g_get_monotonic_time ();
  job = ctx_run_one (ctx, url, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3 * G_USEC_PER_SEC);
  pcq_test_assert_content (final, 3, 1048576);
}

/* A limit changes under a running download: 4 MiB at 16 KiB/s would
 * take over four minutes; once the limit is lifted it ends within the
 * wait. */
static void
test_speed_limit_live (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/lifted.bin?size=4194304&seed=4");
  g_autofree char *final = ctx_out_path (ctx, "lifted.bin");
  PcqJob *job;

  pcq_engine_set_speed_limit (ctx->engine, 16 * 1024);
  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_get_bytes (job) > 0, LONG_WAIT_MS);
  g_assert_false (pcq_job_is_finished (job));

  pcq_engine_set_speed_limit (ctx->engine, 0);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (final, 4, 4194304);
}

/* Waiting for the limit is not slowness: 3000 bytes at 1000 B/s pass a
 * minimum speed of 2 KiB/s over a 1 s stall timeout. */
static void
test_speed_limit_not_too_slow (void)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  g_autofree char *url = pcq_test_server_url (ctx->server, "/data/held.bin?size=3000&seed=5");
  g_autofree char *final = ctx_out_path (ctx, "held.bin");
  PcqJob *job;

  pcq_engine_set_stall_timeout (ctx->engine, 1);
  pcq_engine_set_min_speed (ctx->engine, 2048);
  pcq_engine_set_retries (ctx->engine, 0);
  pcq_engine_set_speed_limit (ctx->engine, 1000);

  job = ctx_run_one (ctx, url, LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_DONE);
  pcq_test_assert_content (final, 5, 3000);
}

/* What a TLS client offers in ALPN, read from its ClientHello on a
 * plain TCP listener (no handshake is ever completed: no certificate is
 * needed). */
typedef struct
{
  GSocketService *service;
  guint16         port;
  char           *offered;  /* "h2,http/1.1,…", or "" without ALPN */
} HelloServer;

static gboolean
take (const guint8 **p,
      const guint8  *end,
      gsize          n,
      const guint8 **out)
{
  if ((gsize) (end - *p) < n)
    return FALSE;
  *out = *p;
  *p += n;
  return TRUE;
}

static gboolean
take_vector (const guint8 **p,
             const guint8  *end,
             gsize          len_bytes,
             const guint8 **out,
             gsize         *out_len)
{
  const guint8 *len;
  gsize n = 0;

  if (!take (p, end, len_bytes, &len))
    return FALSE;
  for (gsize i = 0; i < len_bytes; i++)
    n = n << 8 | len[i];
  *out_len = n;
  return take (p, end, n, out);
}

static char *
parse_client_hello_alpn (const guint8 *data,
                         gsize         len)
{
  const guint8 *p = data, *end = data + len, *skip, *exts, *ext;
  gsize n, exts_len;
  GString *offered = g_string_new (NULL);

  /* Record header, handshake header, version, random. */
  if (!take (&p, end, 5 + 4 + 2 + 32, &skip) || data[0] != 0x16 || data[5] != 0x01)
    return g_string_free (offered, TRUE);
  if (!take_vector (&p, end, 1, &skip, &n) ||      /* session id */
      !take_vector (&p, end, 2, &skip, &n) ||      /* cipher suites */
      !take_vector (&p, end, 1, &skip, &n) ||      /* compression */
      !take_vector (&p, end, 2, &exts, &exts_len))
    return g_string_free (offered, TRUE);

  p = exts;
  end = exts + exts_len;
  while (p < end)
    {
      const guint8 *type;
      gsize ext_len;

      if (!take (&p, end, 2, &type) || !take_vector (&p, end, 2, &ext, &ext_len))
        break;
      if (type[0] == 0 && type[1] == 16)
        {
          const guint8 *q = ext, *list, *name;
          gsize list_len, name_len;

          if (!take_vector (&q, ext + ext_len, 2, &list, &list_len))
            break;
          q = list;
          while (take_vector (&q, list + list_len, 1, &name, &name_len))
            {
              if (offered->len > 0)
                g_string_append_c (offered, ',');
              g_string_append_len (offered, (const char *) name, name_len);
            }
        }
    }

  return g_string_free (offered, FALSE);
}

static gboolean
hello_incoming_cb (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source,
                   gpointer           user_data)
{
  HelloServer *hello = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  guint8 buffer[16384];
  gsize got = 0, record_len;

  if (hello->offered != NULL)
    return TRUE;

  /* The client writes its hello at once; bounded by the socket timeout. */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
  if (!g_input_stream_read_all (in, buffer, 5, &got, NULL, NULL) || got != 5)
    return TRUE;
  record_len = (gsize) buffer[3] << 8 | buffer[4];
  if (record_len > sizeof buffer - 5 ||
      !g_input_stream_read_all (in, buffer + 5, record_len, &got, NULL, NULL) || got != record_len)
    return TRUE;

  hello->offered = parse_client_hello_alpn (buffer, 5 + record_len);
  return TRUE;
}

static HelloServer *
hello_server_new (void)
{
  HelloServer *hello = g_new0 (HelloServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  hello->service = g_socket_service_new ();
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (hello->service), address,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &bound, NULL));
  hello->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (hello->service, "incoming", G_CALLBACK (hello_incoming_cb), hello);
  g_socket_service_start (hello->service);

  return hello;
}

static void
hello_server_free (HelloServer *hello)
{
  g_socket_service_stop (hello->service);
  g_socket_listener_close (G_SOCKET_LISTENER (hello->service));
  g_object_unref (hello->service);
  g_free (hello->offered);
  g_free (hello);
}

static char *
offered_protocols (guint speed_limit)
{
  g_autoptr(Ctx) ctx = ctx_new ();
  HelloServer *hello = hello_server_new ();
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u/offered.bin", hello->port);
  char *offered;
  PcqJob *job;

  pcq_engine_set_retries (ctx->engine, 0);
  pcq_engine_set_speed_limit (ctx->engine, speed_limit);
  job = ctx_submit (ctx, url, NULL);
  PCQ_TEST_WAIT_FOR (hello->offered != NULL, LONG_WAIT_MS);
  offered = g_strdup (hello->offered);

  /* Never a handshake: the attempt fails once the listener is gone. */
  hello_server_free (hello);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), LONG_WAIT_MS);
  assert_job_state (job, PCQ_JOB_FAILED);

  return offered;
}

/* HTTP/2 would let the server send ahead of the reads (libsoup 3.2
 * opens a 32 MB window): downloads that start under a limit offer only
 * HTTP/1.1. */
static void
test_speed_limit_http1 (void)
{
  g_autofree char *unlimited = offered_protocols (0);
  g_autofree char *limited = offered_protocols (1024 * 1024);

  g_assert_nonnull (strstr (unlimited, "h2"));
  g_assert_cmpstr (limited, ==, "http/1.1");
}

int
main (int   argc,
      char *argv[])
{
  /* The isolated XDG folders hide the system's GSettings schemas, which
   * the GNOME proxy resolver module needs; loopback needs no proxy. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  pcq_test_init_isolation ();

  g_test_add_func ("/pcq/engine/startup/dbus-type-first", test_dbus_type_first);
  g_test_add_func ("/pcq/engine/properties/defaults", test_defaults);
  g_test_add_func ("/pcq/engine/properties/max-active-range", test_max_active_range);
  g_test_add_func ("/pcq/engine/download/basic", test_download_basic);
  g_test_add_func ("/pcq/engine/download/large", test_download_large);
  g_test_add_func ("/pcq/engine/dispatch/last-ends-soon", test_last_ends_soon);
  g_test_add_func ("/pcq/engine/download/empty", test_download_empty);
  g_test_add_func ("/pcq/engine/download/chunked", test_download_chunked);
  g_test_add_func ("/pcq/engine/jobs/list-model", test_job_list_model);
  g_test_add_func ("/pcq/engine/queue/submission-order", test_submission_order);
  g_test_add_func ("/pcq/engine/queue/max-active", test_max_active);
  g_test_add_func ("/pcq/engine/queue/move", test_move_order);
  g_test_add_func ("/pcq/engine/queue/move-stored", test_move_stored);
  g_test_add_func ("/pcq/engine/background/store-thread", test_background_store_thread);
  g_test_add_func ("/pcq/engine/queue/move-many", test_move_many);
  g_test_add_func ("/pcq/engine/queue/max-active-runtime", test_max_active_runtime);
  g_test_add_func ("/pcq/engine/queue/multiplexed", test_multiplexed);
  g_test_add_func ("/pcq/engine/queue/max-per-host", test_max_per_host);
  g_test_add_func ("/pcq/engine/queue/max-per-host-runtime", test_max_per_host_runtime);
  g_test_add_func ("/pcq/engine/queue/max-per-host-set-later", test_max_per_host_set_later);
  g_test_add_func ("/pcq/engine/queue/max-per-host-parked", test_max_per_host_parked);
  g_test_add_func ("/pcq/engine/queue/max-active-shrink-with-retries", test_max_active_shrink_retries);
  g_test_add_func ("/pcq/engine/pause/before-start", test_pause_before_start);
  g_test_add_func ("/pcq/engine/network/offline-holds", test_network_offline_holds);
  g_test_add_func ("/pcq/engine/network/failure-offline-not-counted",
                   test_network_failure_offline_not_counted);
  g_test_add_func ("/pcq/engine/network/metered", test_network_metered);
  g_test_add_func ("/pcq/engine/network/loopback-not-held", test_network_loopback_not_held);
  g_test_add_func ("/pcq/engine/pause/running-jobs-finish", test_pause_running_finish);
  g_test_add_func ("/pcq/engine/pause-job/running", test_pause_job_running);
  g_test_add_func ("/pcq/engine/pause-job/no-validator", test_pause_job_no_validator);
  g_test_add_func ("/pcq/engine/pause-job/queued", test_pause_job_queued);
  g_test_add_func ("/pcq/engine/pause-job/not-started", test_pause_job_not_started);
  g_test_add_func ("/pcq/engine/pause-job/cancel", test_pause_job_cancel);
  g_test_add_func ("/pcq/engine/cancel/queued", test_cancel_queued);
  g_test_add_func ("/pcq/engine/cancel/running", test_cancel_running);
  g_test_add_func ("/pcq/engine/cancel/waiting-for-retry", test_cancel_waiting_for_retry);
  g_test_add_func ("/pcq/engine/retry/cancelled", test_retry_cancelled);
  g_test_add_func ("/pcq/engine/retry/failed", test_retry_failed);
  g_test_add_func ("/pcq/engine/retry/refused-when-not-finished", test_retry_refused);
  g_test_add_func ("/pcq/engine/counts/states", test_counts);
  g_test_add_func ("/pcq/engine/counts/bytes-per-second", test_bytes_per_second);
  g_test_add_func ("/pcq/engine/signal/job-finished", test_job_finished_signal);
  g_test_add_func ("/pcq/engine/http/404", test_http_404);
  g_test_add_func ("/pcq/engine/http/other-4xx", test_http_other_4xx);
  g_test_add_func ("/pcq/engine/http/not-2xx", test_http_not_2xx);
  g_test_add_func ("/pcq/engine/http/short-body", test_http_short_body);
  g_test_add_func ("/pcq/engine/http/reset-mid-body", test_http_reset);
  g_test_add_func ("/pcq/engine/http/partial-input", test_http_partial_input);
  g_test_add_func ("/pcq/engine/retry/retryable-statuses", test_retry_statuses);
  g_test_add_func ("/pcq/engine/retry/exhausted", test_retry_exhausted);
  g_test_add_func ("/pcq/engine/retry/retry-after-seconds", test_retry_after_seconds);
  g_test_add_func ("/pcq/engine/retry/retry-after-date", test_retry_after_date);
  g_test_add_func ("/pcq/engine/retry/retry-after-retry-now", test_retry_after_retry_now);
  g_test_add_func ("/pcq/engine/retry/retry-after-holds-host", test_retry_after_holds_host);
  g_test_add_func ("/pcq/engine/retry/connection-refused", test_retry_connection_refused);
  g_test_add_func ("/pcq/engine/retry/connection-closed", test_retry_connection_closed);
  g_test_add_func ("/pcq/engine/stall/mid-body", test_stall_mid_body);
  g_test_add_func ("/pcq/engine/stall/before-headers", test_stall_before_headers);
  g_test_add_func ("/pcq/engine/stall/retried", test_stall_retried);
  g_test_add_func ("/pcq/engine/stall/too-slow", test_stall_too_slow);
  g_test_add_func ("/pcq/engine/redirect/followed", test_redirect_followed);
  g_test_add_func ("/pcq/engine/redirect/loop", test_redirect_loop);
  g_test_add_func ("/pcq/engine/redirect/too-many", test_redirect_too_many);
  g_test_add_func ("/pcq/engine/input/invalid-urls", test_invalid_urls);
  g_test_add_func ("/pcq/engine/output/unwritable", test_unwritable_output);
  g_test_add_func ("/pcq/engine/output/no-space", test_output_no_space);
  g_test_add_func ("/pcq/engine/names/explicit", test_name_explicit);
  g_test_add_func ("/pcq/engine/names/explicit-traversal", test_name_explicit_traversal);
  g_test_add_func ("/pcq/engine/names/from-url", test_name_from_url);
  g_test_add_func ("/pcq/engine/names/fallback", test_name_fallback);
  g_test_add_func ("/pcq/engine/names/disposition", test_name_disposition);
  g_test_add_func ("/pcq/engine/names/disposition-traversal", test_name_disposition_traversal);
  g_test_add_func ("/pcq/engine/names/duplicates-concurrent", test_name_duplicates);
  g_test_add_func ("/pcq/engine/names/retry-keeps-others", test_name_retry_keeps_others);
  g_test_add_func ("/pcq/engine/resume/range", test_resume_range);
  g_test_add_func ("/pcq/engine/resume/changed-file", test_resume_changed);
  g_test_add_func ("/pcq/engine/queue/start-at", test_start_at);
  g_test_add_func ("/pcq/engine/speed-limit/throttles", test_speed_limit_throttles);
  g_test_add_func ("/pcq/engine/speed-limit/live", test_speed_limit_live);
  g_test_add_func ("/pcq/engine/speed-limit/not-too-slow", test_speed_limit_not_too_slow);
  g_test_add_func ("/pcq/engine/speed-limit/http1", test_speed_limit_http1);
  g_test_add_func ("/pcq/engine/http2/one-thread", test_http2_one_thread);
  g_test_add_func ("/pcq/engine/http2/large-files", test_http2_large_files);
  g_test_add_func ("/pcq/engine/http2/https-new-host", test_https_new_host);
  g_test_add_func ("/pcq/engine/download/proxy-credentials", test_proxy_credentials);
  g_test_add_func ("/pcq/engine/checksum/match", test_checksum_match);
  g_test_add_func ("/pcq/engine/checksum/mismatch", test_checksum_mismatch);
  g_test_add_func ("/pcq/engine/checksum/resumed", test_checksum_resumed);
  g_test_add_func ("/pcq/engine/split/basic", test_split_basic);
  g_test_add_func ("/pcq/engine/split/needs-ranges", test_split_needs_ranges);
  g_test_add_func ("/pcq/engine/split/refused", test_split_refused);
  g_test_add_func ("/pcq/engine/split/cancel", test_split_cancel);
  g_test_add_func ("/pcq/engine/split/checksum", test_split_checksum);
  g_test_add_func ("/pcq/engine/split/force-stop", test_split_force_stop);
  g_test_add_func ("/pcq/engine/split/changed", test_split_changed);
  g_test_add_func ("/pcq/engine/split/truncated", test_split_truncated);
  g_test_add_func ("/pcq/engine/split/pause", test_split_pause);
  g_test_add_func ("/pcq/engine/split/retry", test_split_retry);
  g_test_add_func ("/pcq/engine/split/speed-limit", test_split_speed_limit);
  g_test_add_func ("/pcq/engine/shutdown/wait", test_shutdown_wait);
  g_test_add_func ("/pcq/engine/shutdown/wait-unheard", test_shutdown_wait_unheard);
  g_test_add_func ("/pcq/engine/shutdown/force", test_shutdown_force);
  g_test_add_func ("/pcq/engine/shutdown/force-just-started", test_shutdown_force_just_started);
  g_test_add_func ("/pcq/engine/shutdown/force-resumes", test_shutdown_force_resumes);
  g_test_add_func ("/pcq/engine/shutdown/finalize", test_shutdown_finalize);

  return g_test_run ();
}
