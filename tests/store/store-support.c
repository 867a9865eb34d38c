/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "pcq-test-soup-thread.h"
#include "store-support.h"


/* ---- content ------------------------------------------------------- */

static inline guint32
mix32 (guint32 x)
{
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

static inline guint32
content_word (guint32 seed,
              guint64 index)
{
  return mix32 (seed * 0x9e3779b9U ^ mix32 ((guint32) index) ^
                mix32 ((guint32) (index >> 32) + seed));
}

void
store_content_fill (guint32  seed,
                    guint64  offset,
                    guint8  *buf,
                    gsize    len)
{
  guint64 index = offset / 4;
  guint32 word = content_word (seed, index);

  for (gsize i = 0; i < len; i++)
    {
      guint64 at = offset + i;

      if (at / 4 != index)
        {
          index = at / 4;
          word = content_word (seed, index);
        }
      buf[i] = (word >> (8 * (at % 4))) & 0xff;
    }
}

gboolean
store_content_matches (const char  *path,
                       guint32      seed,
                       gsize        size,
                       char       **why)
{
  g_autofree char *data = NULL;
  g_autofree guint8 *want = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &error))
    {
      if (why != NULL)
        *why = g_strdup (error->message);
      return FALSE;
    }

  if (len != size)
    {
      if (why != NULL)
        *why = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes instead of %" G_GSIZE_FORMAT, len, size);
      return FALSE;
    }

  want = g_malloc (MAX (size, 1));
  store_content_fill (seed, 0, want, size);
  for (gsize i = 0; i < size; i++)
    {
      if ((guint8) data[i] != want[i])
        {
          if (why != NULL)
            *why = g_strdup_printf ("byte %" G_GSIZE_FORMAT " differs", i);
          return FALSE;
        }
    }

  return TRUE;
}

/* ---- server -------------------------------------------------------- */

struct _StoreServer
{
  PcqTestSoupThread *soup;
  GMainContext   *context;      /* the server thread's */
  const char     *base;

  /* Server thread only. */
  GHashTable     *responses;

  /* Under @lock. */
  GMutex          lock;
  guint           chunk;
  guint           delay_ms;
  StoreValidator  validator;
  StoreRanges     ranges;
  gint64          stall_after;
  guint           version;
  GPtrArray      *requests;
  StoreRequestHook hook;
  gpointer        hook_data;
};

/* One answer being written, in the server thread. */
typedef struct
{
  StoreServer       *server;
  SoupServerMessage *msg;
  StoreRequest      *request;   /* owned by server->requests */
  guint32            seed;
  gint64             next;      /* next body offset to append */
  gint64             end;       /* exclusive */
  gint64             stall_at;  /* offset where it stops sending, or -1 */
  guint              chunk;
  guint              delay_ms;
  GSource           *timer;
} Response;

void
store_request_free (StoreRequest *request)
{
  if (request == NULL)
    return;

  g_free (request->path);
  g_free (request->if_range);
  g_free (request);
}

static StoreRequest *
request_copy (const StoreRequest *request)
{
  StoreRequest *copy = g_memdup2 (request, sizeof *request);

  copy->path = g_strdup (request->path);
  copy->if_range = g_strdup (request->if_range);
  return copy;
}

guint32
store_server_content_seed (StoreServer *self,
                           guint32      seed)
{
  guint version;

  g_mutex_lock (&self->lock);
  version = self->version;
  g_mutex_unlock (&self->lock);

  return version == 0 ? seed : mix32 (seed ^ (version * 0x85ebca6bU));
}

static void
response_free (Response *r)
{
  if (r->timer != NULL)
    {
      g_source_destroy (r->timer);
      g_source_unref (r->timer);
    }
  g_signal_handlers_disconnect_by_data (r->msg, r);
  g_object_unref (r->msg);
  g_free (r);
}

/* Appends the next piece of the body: one chunk when paced, else all
 * of it, never past the stall point. */
static void
feed (Response *r)
{
  SoupMessageBody *body = soup_server_message_get_response_body (r->msg);
  gint64 limit = r->stall_at >= 0 ? MIN (r->end, r->stall_at) : r->end;

  do
    {
      gint64 n = MIN ((gint64) r->chunk, limit - r->next);
      guint8 *buf;

      if (n <= 0)
        break;

      buf = g_malloc (n);
      store_content_fill (r->seed, r->next, buf, n);
      soup_message_body_append_take (body, buf, n);
      r->next += n;
    }
  while (r->delay_ms == 0);

  if (r->next >= r->end)
    soup_message_body_complete (body);
}

static gboolean
paced_feed_cb (gpointer user_data)
{
  Response *r = user_data;

  g_clear_pointer (&r->timer, g_source_unref);
  feed (r);
  soup_server_message_unpause (r->msg);

  return G_SOURCE_REMOVE;
}

/* The server wrote everything it had (headers or a chunk): the next
 * chunk comes after the delay, unless the body is complete or stalls. */
static void
schedule_next (Response *r)
{
  if (r->next >= r->end || r->next == r->stall_at || r->timer != NULL)
    return;

  r->timer = g_timeout_source_new (r->delay_ms);
  g_source_set_callback (r->timer, paced_feed_cb, r, NULL);
  g_source_attach (r->timer, r->server->context);
}

static void
wrote_headers_cb (SoupServerMessage *msg,
                  Response          *r)
{
  schedule_next (r);
}

static void
wrote_chunk_cb (SoupServerMessage *msg,
                Response          *r)
{
  schedule_next (r);
}

static void
wrote_body_data_cb (SoupServerMessage *msg,
                    guint              n,
                    Response          *r)
{
  g_mutex_lock (&r->server->lock);
  r->request->bytes_written += n;
  r->request->complete = r->request->bytes_written == r->request->body_length;
  g_mutex_unlock (&r->server->lock);
}

static void
finished_cb (SoupServerMessage *msg,
             Response          *r)
{
  g_hash_table_remove (r->server->responses, r);
}

static gboolean
parse_file_path (const char  *path,
                 guint32     *seed,
                 gint64      *size)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", 0);
  guint64 value;

  /* "", "f", SEED, SIZE, NAME */
  if (g_strv_length (parts) != 5 || strcmp (parts[1], "f") != 0 || *parts[4] == '\0')
    return FALSE;

  if (!g_ascii_string_to_unsigned (parts[2], 10, 0, G_MAXUINT32, &value, NULL))
    return FALSE;
  *seed = value;

  if (!g_ascii_string_to_unsigned (parts[3], 10, 1, G_MAXINT64, &value, NULL))
    return FALSE;
  *size = value;

  return TRUE;
}

static gint64
parse_range_start (const char *range)
{
  guint64 start;
  const char *dash;
  g_autofree char *digits = NULL;

  if (range == NULL || !g_str_has_prefix (range, "bytes="))
    return -1;

  range += strlen ("bytes=");
  dash = strchr (range, '-');
  if (dash == NULL || dash[1] != '\0')
    return -1;  /* only "bytes=N-" */

  digits = g_strndup (range, dash - range);
  if (!g_ascii_string_to_unsigned (digits, 10, 0, G_MAXINT64, &start, NULL))
    return -1;

  return start;
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  StoreServer *self = user_data;
  SoupMessageHeaders *in = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *out = soup_server_message_get_response_headers (msg);
  StoreRequest *request = g_new0 (StoreRequest, 1);
  g_autofree char *etag = NULL;
  g_autofree char *last_modified = NULL;
  g_autoptr(GDateTime) date = NULL;
  StoreValidator validator;
  StoreRanges ranges;
  StoreRequestHook hook;
  gpointer hook_data;
  const char *validator_value;
  guint chunk, delay_ms;
  gint64 stall_after;
  guint32 seed;
  gint64 size;
  gint64 first = 0;
  Response *r;

  request->path = g_strdup (path);
  request->range_start = parse_range_start (soup_message_headers_get_one (in, "Range"));
  request->if_range = g_strdup (soup_message_headers_get_one (in, "If-Range"));
  request->hook_value = -1;

  g_mutex_lock (&self->lock);
  hook = self->hook;
  hook_data = self->hook_data;
  g_mutex_unlock (&self->lock);
  if (hook != NULL)
    request->hook_value = hook (path, hook_data);

  g_mutex_lock (&self->lock);
  validator = self->validator;
  ranges = self->ranges;
  chunk = self->chunk;
  delay_ms = self->delay_ms;
  stall_after = self->stall_after;
  g_ptr_array_add (self->requests, request);
  g_mutex_unlock (&self->lock);

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_GET) != 0 ||
      !parse_file_path (path, &seed, &size))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      g_mutex_lock (&self->lock);
      request->status = SOUP_STATUS_NOT_FOUND;
      g_mutex_unlock (&self->lock);
      return;
    }

  seed = store_server_content_seed (self, seed);
  etag = g_strdup_printf ("\"%08x-%" G_GINT64_FORMAT "\"", seed, size);
  date = g_date_time_new_from_unix_utc (1577836800 + (seed % 100000) * 60);
  last_modified = soup_date_time_to_string (date, SOUP_DATE_HTTP);

  if (validator == STORE_VALIDATOR_ETAG)
    soup_message_headers_replace (out, "ETag", etag);
  if (validator != STORE_VALIDATOR_NONE)
    soup_message_headers_replace (out, "Last-Modified", last_modified);
  validator_value = validator == STORE_VALIDATOR_ETAG ? etag :
                    validator == STORE_VALIDATOR_LAST_MODIFIED ? last_modified : NULL;

  if (ranges != STORE_RANGES_IGNORE && request->range_start >= 0 &&
      request->range_start < size &&
      (request->if_range == NULL || g_strcmp0 (request->if_range, validator_value) == 0))
    {
      g_autofree char *content_range = NULL;

      /* The wrong start is what a confused cache or proxy might send. */
      first = ranges == STORE_RANGES_WRONG_START ? request->range_start / 2 : request->range_start;
      content_range = g_strdup_printf ("bytes %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT
                                       "/%" G_GINT64_FORMAT,
                                       first, size - 1, size);
      soup_message_headers_replace (out, "Content-Range", content_range);
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }

  if (ranges == STORE_RANGES_HONOUR)
    soup_message_headers_replace (out, "Accept-Ranges", "bytes");

  soup_message_headers_set_content_type (out, "application/octet-stream", NULL);
  soup_message_headers_set_encoding (out, SOUP_ENCODING_CONTENT_LENGTH);
  soup_message_headers_set_content_length (out, size - first);

  g_mutex_lock (&self->lock);
  request->status = soup_server_message_get_status (msg);
  request->first_byte = first;
  request->body_length = size - first;
  g_mutex_unlock (&self->lock);

  r = g_new0 (Response, 1);
  r->server = self;
  r->msg = g_object_ref (msg);
  r->request = request;
  r->seed = seed;
  r->next = first;
  r->end = size;
  r->stall_at = stall_after >= 0 ? first + stall_after : -1;
  r->chunk = MAX (chunk, 1);
  r->delay_ms = delay_ms;
  g_hash_table_add (self->responses, r);

  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (wrote_body_data_cb), r);
  g_signal_connect (msg, "finished", G_CALLBACK (finished_cb), r);

  if (delay_ms == 0)
    {
      feed (r);
    }
  else
    {
      g_signal_connect (msg, "wrote-headers", G_CALLBACK (wrote_headers_cb), r);
      g_signal_connect (msg, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), r);
    }
}

static void
setup_cb (SoupServer *server,
          gpointer    user_data)
{
  soup_server_add_handler (server, NULL, handle_request, user_data, NULL);
}

/* Answers still held open (stalled) end with the server. */
static void
teardown_cb (SoupServer *server,
             gpointer    user_data)
{
  StoreServer *self = user_data;

  g_hash_table_remove_all (self->responses);
}

StoreServer *
store_server_new (void)
{
  StoreServer *self = g_new0 (StoreServer, 1);

  g_mutex_init (&self->lock);
  self->responses = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) response_free, NULL);
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) store_request_free);
  self->chunk = 64 * 1024;
  self->stall_after = -1;
  self->validator = STORE_VALIDATOR_ETAG;
  self->ranges = STORE_RANGES_HONOUR;

  self->soup = pcq_test_soup_thread_start ("store-test-server", "store-test ", FALSE,
                                           setup_cb, self);
  self->context = pcq_test_soup_thread_get_context (self->soup);
  self->base = pcq_test_soup_thread_get_base (self->soup);

  return self;
}

void
store_server_free (StoreServer *self)
{
  if (self == NULL)
    return;

  pcq_test_soup_thread_stop (self->soup, teardown_cb, self);

  g_hash_table_unref (self->responses);
  g_ptr_array_unref (self->requests);
  g_mutex_clear (&self->lock);
  g_free (self);
}

const char *
store_server_get_base (StoreServer *self)
{
  return self->base;
}

char *
store_server_file_url (StoreServer *self,
                       guint32      seed,
                       gsize        size,
                       const char  *name)
{
  return g_strdup_printf ("%s/f/%u/%" G_GSIZE_FORMAT "/%s", self->base, seed, size, name);
}

void
store_server_set_pacing (StoreServer *self,
                         guint        chunk,
                         guint        delay_ms)
{
  g_mutex_lock (&self->lock);
  self->chunk = chunk;
  self->delay_ms = delay_ms;
  g_mutex_unlock (&self->lock);
}

void
store_server_set_validator (StoreServer    *self,
                            StoreValidator  validator)
{
  g_mutex_lock (&self->lock);
  self->validator = validator;
  g_mutex_unlock (&self->lock);
}

void
store_server_set_ranges (StoreServer *self,
                         StoreRanges  ranges)
{
  g_mutex_lock (&self->lock);
  self->ranges = ranges;
  g_mutex_unlock (&self->lock);
}

void
store_server_set_stall_after (StoreServer *self,
                              gint64       bytes)
{
  g_mutex_lock (&self->lock);
  self->stall_after = bytes;
  g_mutex_unlock (&self->lock);
}

void
store_server_set_request_hook (StoreServer      *self,
                               StoreRequestHook  hook,
                               gpointer          user_data)
{
  g_mutex_lock (&self->lock);
  self->hook = hook;
  self->hook_data = user_data;
  g_mutex_unlock (&self->lock);
}

void
store_server_set_version (StoreServer *self,
                          guint        version)
{
  g_mutex_lock (&self->lock);
  self->version = version;
  g_mutex_unlock (&self->lock);
}

guint
store_server_count_requests (StoreServer *self,
                             const char  *path)
{
  guint n = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      StoreRequest *request = g_ptr_array_index (self->requests, i);

      if (path == NULL || strcmp (request->path, path) == 0)
        n++;
    }
  g_mutex_unlock (&self->lock);

  return n;
}

GPtrArray *
store_server_dup_requests (StoreServer *self,
                           const char  *path)
{
  GPtrArray *copies = g_ptr_array_new_with_free_func ((GDestroyNotify) store_request_free);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      StoreRequest *request = g_ptr_array_index (self->requests, i);

      if (path == NULL || strcmp (request->path, path) == 0)
        g_ptr_array_add (copies, request_copy (request));
    }
  g_mutex_unlock (&self->lock);

  return copies;
}

gint64
store_server_bytes_written (StoreServer *self,
                            const char  *path)
{
  gint64 bytes = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      StoreRequest *request = g_ptr_array_index (self->requests, i);

      if (path == NULL || strcmp (request->path, path) == 0)
        bytes += request->bytes_written;
    }
  g_mutex_unlock (&self->lock);

  return bytes;
}

/* ---- waiting ------------------------------------------------------- */

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

gboolean
store_wait_until (StoreCondition  cond,
                  gpointer        data,
                  guint           timeout_ms,
                  guint           poll_ms)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data))
    {
      gint64 left = deadline - g_get_monotonic_time ();
      GSource *timer;

      if (left <= 0)
        return cond (data);

      timer = g_timeout_source_new (MAX (1, MIN ((gint64) poll_ms, left / 1000)));
      g_source_set_callback (timer, wake_cb, NULL, NULL);
      g_source_attach (timer, context);
      g_main_context_iteration (context, TRUE);
      g_source_destroy (timer);
      g_source_unref (timer);
    }

  return TRUE;
}

/* ---- the headless binary ------------------------------------------- */

StoreHome *
store_home_new (const char *root)
{
  StoreHome *home = g_new0 (StoreHome, 1);

  home->root = g_strdup (root);
  home->home = pcq_test_make_subdir (root, "home");
  home->state = pcq_test_make_subdir (root, "state");
  home->config = pcq_test_make_subdir (root, "config");
  home->out = pcq_test_make_subdir (root, "out");
  home->store_path = g_build_filename (home->state, "pcq", "headless.sqlite", NULL);

  return home;
}

void
store_home_free (StoreHome *home)
{
  if (home == NULL)
    return;

  g_free (home->root);
  g_free (home->home);
  g_free (home->state);
  g_free (home->config);
  g_free (home->out);
  g_free (home->store_path);
  g_free (home);
}

/* In the child, before exec: die with the test. A failed assertion
 * aborts the test process, and a pcq left behind would run on. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

StoreProc *
store_proc_start (StoreHome          *home,
                  const char         *tag,
                  const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out_name = g_strdup_printf ("%s.stdout", tag);
  g_autofree char *err_name = g_strdup_printf ("%s.stderr", tag);
  StoreProc *proc = g_new0 (StoreProc, 1);

  proc->stdout_path = g_build_filename (home->root, out_name, NULL);
  proc->stderr_path = g_build_filename (home->root, err_name, NULL);

  pcq_test_launcher_isolate (launcher, home->home, home->state, home->config);
  g_subprocess_launcher_unsetenv (launcher, "http_proxy");
  g_subprocess_launcher_unsetenv (launcher, "HTTP_PROXY");
  g_subprocess_launcher_set_cwd (launcher, home->root);
  g_subprocess_launcher_set_stdout_file_path (launcher, proc->stdout_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, proc->stderr_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);

  g_ptr_array_add (argv, (gpointer) pcq_test_binary ());
  g_ptr_array_add (argv, (gpointer) "--headless");
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, home->out);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  proc->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  proc->pid = g_strdup (g_subprocess_get_identifier (proc->proc));

  return proc;
}

static void
proc_waited_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  StoreProc *proc = user_data;
  GSubprocess *sub = G_SUBPROCESS (object);

  g_subprocess_wait_finish (sub, result, NULL);
  if (g_subprocess_get_if_signaled (sub))
    {
      proc->signalled = TRUE;
      proc->status = 128 + g_subprocess_get_term_sig (sub);
    }
  else
    proc->status = g_subprocess_get_exit_status (sub);
  proc->exited = TRUE;
  g_object_unref (sub);
}

static gboolean
proc_exited (gpointer data)
{
  return ((StoreProc *) data)->exited;
}

gboolean
store_proc_wait (StoreProc *proc,
                 guint      timeout_ms)
{
  static const char waiting_key[] = "store-proc-waiting";

  if (proc->exited)
    return TRUE;

  if (g_object_get_data (G_OBJECT (proc->proc), waiting_key) == NULL)
    {
      g_object_set_data (G_OBJECT (proc->proc), waiting_key, GINT_TO_POINTER (1));
      g_subprocess_wait_async (proc->proc, NULL, proc_waited_cb, proc);
      /* The callback holds a reference until the child is reaped. */
      g_object_ref (proc->proc);
    }

  return store_wait_until (proc_exited, proc, timeout_ms, 1000);
}

void
store_proc_kill (StoreProc *proc)
{
  if (!proc->exited)
    g_subprocess_send_signal (proc->proc, SIGKILL);
}

static char *
read_all (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

char *
store_proc_read_stdout (StoreProc *proc)
{
  return read_all (proc->stdout_path);
}

char *
store_proc_read_stderr (StoreProc *proc)
{
  return read_all (proc->stderr_path);
}

void
store_proc_free (StoreProc *proc)
{
  if (proc == NULL)
    return;

  /* Never leave a child behind, and reap it. */
  if (!proc->exited)
    {
      store_proc_kill (proc);
      if (!store_proc_wait (proc, 10000))
        g_warning ("pcq (pid %s) did not end after SIGKILL", proc->pid);
    }

  g_clear_object (&proc->proc);
  g_free (proc->pid);
  g_free (proc->stdout_path);
  g_free (proc->stderr_path);
  g_free (proc);
}

/* ---- looking into a store file ------------------------------------- */

void
store_row_free (StoreRow *row)
{
  if (row == NULL)
    return;

  g_free (row->url);
  g_free (row->output_path);
  g_free (row->validator);
  g_free (row);
}

static sqlite3 *
open_read_only (const char *path)
{
  sqlite3 *db = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      return NULL;
    }

  sqlite3_busy_timeout (db, 2000);
  return db;
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

GPtrArray *
store_db_read_rows (const char *path)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) store_row_free);
  sqlite3 *db = open_read_only (path);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (db == NULL)
    return NULL;

  if (sqlite3_prepare_v2 (db, "SELECT id, url, state, bytes, output_path, validator"
                              " FROM jobs ORDER BY id", -1, &stmt, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      return NULL;
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      StoreRow *row = g_new0 (StoreRow, 1);

      row->id = sqlite3_column_int64 (stmt, 0);
      row->url = column_dup (stmt, 1);
      row->state = sqlite3_column_int (stmt, 2);
      row->bytes = sqlite3_column_int64 (stmt, 3);
      row->output_path = column_dup (stmt, 4);
      row->validator = column_dup (stmt, 5);
      g_ptr_array_add (rows, row);
    }

  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return rc == SQLITE_DONE ? g_steal_pointer (&rows) : NULL;
}

gint64
store_db_query_int (const char *path,
                    const char *sql)
{
  sqlite3 *db = open_read_only (path);
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  if (db == NULL)
    return -1;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);

  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return value;
}

/* What a crash at one exact moment leaves in the store, made by hand:
 * the test writes as the store thread would have. */
gboolean
store_db_exec (const char *path,
               const char *sql)
{
  sqlite3 *db = NULL;
  gboolean ok;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      return FALSE;
    }

  ok = sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK;
  sqlite3_close (db);
  return ok;
}

/* ---- files --------------------------------------------------------- */

gint64
store_file_size (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return -1;
  return st.st_size;
}
