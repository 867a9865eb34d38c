/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-worker"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "pcq-error.h"
#include "pcq-rate-limit.h"
#include "pcq-transfer.h"
#include "pcq-util.h"

/* One read, one write, one progress report: with 64 KiB a loopback
 * gigabyte took 1.50 s, with 512 KiB 0.73 s (bench-download.sh set C on
 * tmpfs). Buffers are kept for the next transfer: pages that a small
 * file never reaches are never touched, and none is mapped anew. */
#define MAX_SPARE_BUFFERS 64
#define MAX_RETRY_AFTER_S 600
/* Everything libsoup keeps open to a host: more than max-active can
 * ever ask for. The per-host default of 2 would serialise the
 * transfers of one thread. */
#define MAX_CONNS 64

struct _PcqWorker
{
  GMainContext             *context;
  /* The "timeout" of a session applies per socket operation, which is
   * exactly a stall timeout; it is read when a connection is made, so
   * another value needs another session. Downloads and API tasks use
   * different ones. */
  GHashTable               *sessions;   /* session_key () → SoupSession */
  PcqRateLimit             *limit;
  GPtrArray                *spare_buffers;
  guint                     n_running;
  const PcqWorkerCallbacks *callbacks;
  gpointer                  user_data;
  PcqWorkerDoneFunc         done;
  gpointer                  done_data;
  /* http: origin → Proxy-Authorization, once a proxy asked (NULL before) */
  GHashTable               *proxy_authorization;
};

PcqWorker *
pcq_worker_new (const PcqWorkerCallbacks *callbacks,
                gpointer                  user_data,
                PcqWorkerDoneFunc         done,
                gpointer                  done_data,
                PcqRateLimit             *limit)
{
  PcqWorker *self = g_new0 (PcqWorker, 1);

  /* Everything libsoup attaches to a context (connections, idle and
   * keep-alive timers) must stay in this thread: push our own context
   * before any session exists. */
  self->context = g_main_context_new ();
  g_main_context_push_thread_default (self->context);

  self->sessions = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->spare_buffers = g_ptr_array_new_with_free_func (g_free);
  self->callbacks = callbacks;
  self->user_data = user_data;
  self->done = done;
  self->done_data = done_data;
  self->limit = pcq_rate_limit_ref (limit);

  return self;
}

GMainContext *
pcq_worker_get_context (PcqWorker *self)
{
  return self->context;
}

guint
pcq_worker_get_n_running (PcqWorker *self)
{
  return self->n_running;
}

void
pcq_worker_free (PcqWorker *self)
{
  g_assert (self->n_running == 0);

  g_hash_table_remove_all (self->sessions);
  g_clear_pointer (&self->limit, pcq_rate_limit_unref);
  /* Lets the sessions' last sources run, so connections close here. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_hash_table_unref (self->sessions);
  g_clear_pointer (&self->proxy_authorization, g_hash_table_unref);
  g_ptr_array_unref (self->spare_buffers);
  g_main_context_pop_thread_default (self->context);
  g_main_context_unref (self->context);
  g_free (self);
}

/* Under a speed limit, a download must not be read ahead of Pcq: over
 * HTTP/2, libsoup 3.2 grants the server a 32 MB window whatever is
 * read, so slowing the reads would only fill a buffer. libsoup 3.2 has
 * no public way to ask one message for HTTP/1.1, but the TLS connection
 * it makes for a message is handed to the message's "network-event"
 * before the handshake: offering only "http/1.1" in ALPN then makes
 * every connection of that session HTTP/1.1. */
static void
offer_http1_only_cb (SoupMessage        *msg,
                     GSocketClientEvent  event,
                     GIOStream          *connection,
                     gpointer            user_data)
{
  static const char * const http1[] = { "http/1.1", NULL };

  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && G_IS_TLS_CONNECTION (connection))
    g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (connection), http1);
}

static void
request_queued_cb (SoupSession *session,
                   SoupMessage *msg,
                   gpointer     user_data)
{
  g_signal_connect (msg, "network-event", G_CALLBACK (offer_http1_only_cb), NULL);
}

static GTlsDatabase *tls_database;

/* Set before any engine exists, cleared after the last is freed. */
void
_pcq_worker_set_tls_database (GTlsDatabase *database)
{
  g_set_object (&tls_database, database);
}

static GProxyResolver *proxy_resolver;

/* Set before any engine exists, cleared after the last is freed. */
void
_pcq_worker_set_proxy_resolver (GProxyResolver *resolver)
{
  g_set_object (&proxy_resolver, resolver);
}

static gpointer
session_key (guint    timeout,
             gboolean http1_only)
{
  return GUINT_TO_POINTER (timeout * 2 + !!http1_only);
}

/**
 * pcq_worker_get_session:
 * @timeout: the stall timeout, in seconds
 * @http1_only: whether the session's connections must be HTTP/1.x
 *
 * Returns: (transfer none): this thread's session for them
 */
SoupSession *
pcq_worker_get_session (PcqWorker *self,
                        guint      timeout,
                        gboolean   http1_only)
{
  SoupSession *session = g_hash_table_lookup (self->sessions, session_key (timeout, http1_only));

  if (session == NULL)
    {
      session = soup_session_new_with_options ("timeout", timeout,
                                               "idle-timeout", 60,
                                               "max-conns", MAX_CONNS,
                                               "max-conns-per-host", MAX_CONNS,
                                               "user-agent", "Pcq/" PACKAGE_VERSION " ",
                                               NULL);
      if (tls_database != NULL)
        soup_session_set_tls_database (session, tls_database);
      if (proxy_resolver != NULL)
        soup_session_set_proxy_resolver (session, proxy_resolver);
      if (http1_only)
        g_signal_connect (session, "request-queued", G_CALLBACK (request_queued_cb), NULL);
      g_hash_table_insert (self->sessions, session_key (timeout, http1_only), session);
    }

  return session;
}

/**
 * pcq_worker_get_proxy_authorization:
 * @uri: where a request goes
 *
 * Returns: (nullable): the Proxy-Authorization for requests to the
 *   origin of @uri, once a proxy asked for it
 *   (pcq_worker_set_proxy_authorization ())
 */
const char *
pcq_worker_get_proxy_authorization (PcqWorker *self,
                                    GUri      *uri)
{
  g_autofree char *origin = NULL;

  if (self->proxy_authorization == NULL)
    return NULL;

  origin = pcq_uri_dup_origin (uri);
  return g_hash_table_lookup (self->proxy_authorization, origin);
}

/* @value: (transfer full) (nullable): a secret; %NULL forgets the one
 * for @uri's origin */
void
pcq_worker_set_proxy_authorization (PcqWorker *self,
                                    GUri      *uri,
                                    char      *value)
{
  g_autofree char *origin = pcq_uri_dup_origin (uri);

  if (self->proxy_authorization == NULL && value != NULL)
    self->proxy_authorization = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) pcq_secret_free);
  if (value != NULL)
    g_hash_table_replace (self->proxy_authorization, g_steal_pointer (&origin), value);
  else if (self->proxy_authorization != NULL)
    g_hash_table_remove (self->proxy_authorization, origin);
}

static gboolean
cancel_here_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* On the thread that cancelled the run (the main thread): pass it on
 * to the transfer's thread. No poll source per transfer: a source on a
 * cancellable costs an eventfd, and most transfers are never cancelled. */
static void
run_cancelled_cb (gpointer user_data)
{
  PcqTransfer *t = user_data;

  g_main_context_invoke_full (t->worker->context, G_PRIORITY_HIGH, cancel_here_cb,
                              g_object_ref (t->cancellable), g_object_unref);
}

/**
 * pcq_worker_warm_up:
 * @stall_timeout: the stall timeout the first downloads will have
 *
 * Does now, while the front end opens its store, what the first
 * transfer would otherwise wait for: the session, and GIO's proxy
 * resolver (which loads modules, libproxy among them: several ms).
 */
void
pcq_worker_warm_up (PcqWorker *self,
                    guint      stall_timeout)
{
  pcq_worker_get_session (self, stall_timeout, FALSE);
  g_proxy_resolver_get_default ();
}

/**
 * pcq_worker_start:
 * @self: the calling thread's worker
 * @run: (transfer full): the run to attempt once
 * @stall_timeout: seconds without a byte before the attempt fails
 * @min_speed: bytes per second a download must beat over each
 *   @stall_timeout (0: no minimum)
 * @record_checksum: whether a download's SHA-256 is computed (into
 *   run->digest) even when it has none to match
 * @split: how many connections a large download may use at once
 *   (pcq-worker-segments.c); 1 for one
 *
 * Starts one attempt at @run: a GET streamed into the job's part file
 * and renamed into place when complete, or for an API task a
 * chat-completions POST whose answer is saved the same way. Returns at
 * once; the worker's callbacks report how it goes, and "done" hands
 * @run back.
 */
void
pcq_worker_start (PcqWorker *self,
                  PcqRun    *run,
                  guint      stall_timeout,
                  guint      min_speed,
                  gboolean   record_checksum,
                  guint      split)
{
  PcqTransfer *t = g_new0 (PcqTransfer, 1);

  t->worker = self;
  t->run = run;
  t->stall_timeout = stall_timeout;
  t->min_speed = min_speed;
  t->record_checksum = record_checksum;
  t->split = split;
  t->limit = self->limit;
  t->total = -1;
  t->attempt.retry_after_ms = -1;
  if (self->spare_buffers->len > 0)
    t->buffer = g_ptr_array_steal_index_fast (self->spare_buffers,
                                              self->spare_buffers->len - 1);
  else
    t->buffer = g_malloc (PCQ_TRANSFER_BUFFER_SIZE);

  t->cancellable = g_cancellable_new ();
  /* Runs at once if the run is cancelled already. */
  pcq_run_set_on_cancel (run, run_cancelled_cb, t);

  self->n_running++;
  pcq_atomic_set64 (&run->bytes, 0);

  if (pcq_run_is_api (run))
    pcq_transfer_start_ask (t);
  else
    pcq_transfer_start_download (t);
}

/* ---- the shared steps ---------------------------------------------- */

/* Byte counts in translatable messages go in as text (xgettext cannot
 * read G_GINT64_FORMAT); the plural form is chosen by their last digits. */
char *
pcq_count_text (gint64 n)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, n);
}

gulong
pcq_plural_n (gint64 n)
{
  return n < 0 ? 0 : (gulong) (n > 1000000 ? 1000000 + n % 1000000 : n);
}

/**
 * pcq_transfer_end:
 *
 * Ends the attempt with @outcome and the error in @self, hands the run
 * back and frees @self. A forced stop (the run interrupted, not
 * cancelled) keeps a part file that a validator lets the next attempt
 * resume.
 */
void
pcq_transfer_end (PcqTransfer *self,
                  PcqOutcome   outcome)
{
  PcqWorker *worker = self->worker;
  PcqRun *run = self->run;

  if (outcome == PCQ_OUTCOME_CANCELLED && g_atomic_int_get (&run->interrupted))
    outcome = PCQ_OUTCOME_INTERRUPTED;

  if (self->sink != NULL &&
      (outcome == PCQ_OUTCOME_INTERRUPTED || outcome == PCQ_OUTCOME_RETRY) &&
      run->validator != NULL && !pcq_run_is_api (run))
    pcq_sink_keep_part (self->sink);

  if (self->in != NULL)
    g_input_stream_close (self->in, NULL, NULL);

  g_clear_object (&self->in);
  g_clear_object (&self->msg);
  if (self->grace_handler != 0)
    g_cancellable_disconnect (self->cancellable, self->grace_handler);
  if (self->grace_timer != NULL)
    g_source_destroy (self->grace_timer);
  g_clear_pointer (&self->grace_timer, g_source_unref);
  g_clear_object (&self->grace);
  /* Waits for a cancel telling it on another thread. */
  pcq_run_set_on_cancel (run, NULL, NULL);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_clear_pointer (&self->sink, pcq_sink_free);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_clear_pointer (&self->basic_auth, pcq_basic_auth_free);
  for (char **h = self->kept_headers; h != NULL && *h != NULL; h++)
    pcq_secret_free (g_steal_pointer (h));
  g_clear_pointer (&self->kept_headers, g_free);
  g_clear_pointer (&self->checksum, g_checksum_free);
  g_clear_pointer (&self->split_validator, g_free);
  g_clear_pointer (&self->split_resume, g_free);
  g_clear_pointer (&self->stream, pcq_api_stream_free);
  if (self->delta != NULL)
    g_string_free (self->delta, TRUE);
  g_clear_pointer (&self->body, g_byte_array_unref);

  if (worker->spare_buffers->len < MAX_SPARE_BUFFERS)
    g_ptr_array_add (worker->spare_buffers, g_steal_pointer (&self->buffer));
  else
    g_free (self->buffer);

  /* Where a worker's message leaves it: whatever a server put into it
   * (a reason phrase, a Location, an API error) is made safe to show
   * and store here, once. Before the key is looked for, so that no
   * control character inside it hides it. */
  if (self->error != NULL)
    {
      char *safe = pcq_text_sanitize (self->error->message, -1);

      g_free (self->error->message);
      self->error->message = safe;
    }

  /* Whatever the server or a library said, an API key is not repeated. */
  if (self->error != NULL && run->api_key != NULL && *run->api_key != '\0' &&
      strstr (self->error->message, run->api_key) != NULL)
    {
      char *redacted = pcq_api_redact (self->error->message, run->api_key);

      g_free (self->error->message);
      self->error->message = redacted;
    }

  self->attempt.error = g_steal_pointer (&self->error);
  worker->n_running--;
  worker->done (worker, run, outcome, &self->attempt, worker->done_data);
  pcq_attempt_clear (&self->attempt);
  g_free (self);
}

/* How an I/O error from libsoup or a stream ends this attempt. */
PcqOutcome
pcq_transfer_classify (PcqTransfer *self)
{
  if (g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return PCQ_OUTCOME_CANCELLED;

  if (self->error->domain == G_TLS_ERROR || self->error->domain == PCQ_ERROR)
    return PCQ_OUTCOME_FAILED;

  /* Refused, reset, closed, timed out, unreachable, DNS failures and
   * malformed responses are transient as far as we can tell. */
  return PCQ_OUTCOME_RETRY;
}

/* The request got no answer. */
void
pcq_transfer_end_with_io_error (PcqTransfer *self)
{
  PcqOutcome outcome = pcq_transfer_classify (self);

  if (g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_prefix_error (&self->error, _("No answer from the server: "));

  pcq_transfer_end (self, outcome);
}

static gboolean
is_retryable_status (guint status)
{
  switch (status)
    {
    case SOUP_STATUS_REQUEST_TIMEOUT:
    case 429:  /* Too Many Requests: no SOUP_STATUS_ name in 3.2 */
    case SOUP_STATUS_INTERNAL_SERVER_ERROR:
    case SOUP_STATUS_BAD_GATEWAY:
    case SOUP_STATUS_SERVICE_UNAVAILABLE:
    case SOUP_STATUS_GATEWAY_TIMEOUT:
      return TRUE;
    default:
      return FALSE;
    }
}

static PcqBodyFilter body_filter;
static gint all_http2;

void
_pcq_worker_set_body_filter (PcqBodyFilter filter)
{
  g_atomic_pointer_set (&body_filter, filter);
}

void
_pcq_worker_set_all_http2 (gboolean value)
{
  g_atomic_int_set (&all_http2, value);
}

/**
 * pcq_transfer_send_finish:
 *
 * Takes the response body stream (through the tests' filter, if one
 * is set).
 *
 * Returns: %FALSE, with the error in @self, if there is none
 */
gboolean
pcq_transfer_send_finish (PcqTransfer  *self,
                          GAsyncResult *result)
{
  PcqBodyFilter filter = g_atomic_pointer_get (&body_filter);

  self->in = soup_session_send_finish (self->session, result, &self->error);
  if (self->in != NULL)
    {
      self->run->http_status = soup_message_get_status (self->msg);
      self->attempt.answered = TRUE;
      self->attempt.multiplexed = soup_message_get_http_version (self->msg) == SOUP_HTTP_2_0 ||
                                  g_atomic_int_get (&all_http2);
    }
  if (self->in != NULL && filter != NULL)
    self->in = filter (self->in);

  return self->in != NULL;
}

/* Retry-After is either delta-seconds or an HTTP date. */
static gint64
parse_retry_after (SoupMessage *msg)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *value = soup_message_headers_get_one (headers, "Retry-After");
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *trimmed = NULL;
  guint64 seconds;

  if (value == NULL)
    return -1;

  trimmed = g_strstrip (g_strdup (value));
  if (g_ascii_string_to_unsigned (trimmed, 10, 0, G_MAXUINT32, &seconds, NULL))
    return MIN (seconds, MAX_RETRY_AFTER_S) * 1000;

  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return -1;

  now = g_date_time_new_now_utc ();
  return CLAMP (g_date_time_difference (date, now) / 1000, 0, MAX_RETRY_AFTER_S * 1000);
}

/**
 * pcq_transfer_end_with_status:
 * @message: (nullable): what the server said in its body
 *
 * Ends an attempt the server answered with a status that is not 2xx:
 * retried for 408, 429 and 5xx (after Retry-After, if it said so).
 */
void
pcq_transfer_end_with_status (PcqTransfer *self,
                              const char  *message)
{
  guint status = soup_message_get_status (self->msg);
  const char *reason = soup_message_get_reason_phrase (self->msg);
  PcqOutcome outcome;
  PcqError code;

  if (pcq_run_is_cancelled (self->run))
    {
      g_clear_error (&self->error);
      g_set_error_literal (&self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      pcq_transfer_end (self, PCQ_OUTCOME_CANCELLED);
      return;
    }

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);

  outcome = is_retryable_status (status) ? PCQ_OUTCOME_RETRY : PCQ_OUTCOME_FAILED;
  if (outcome == PCQ_OUTCOME_RETRY)
    code = PCQ_ERROR_HTTP_RETRYABLE;
  else if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    code = PCQ_ERROR_HTTP_AUTH;
  else
    code = PCQ_ERROR_HTTP;
  g_clear_error (&self->error);
  if (message != NULL)
    g_set_error (&self->error, PCQ_ERROR, code, _("Server answered %u %s: %s"),
                 status, reason, message);
  else
    g_set_error (&self->error, PCQ_ERROR, code, _("Server answered %u %s"), status, reason);

  if (outcome == PCQ_OUTCOME_RETRY)
    self->attempt.retry_after_ms = parse_retry_after (self->msg);

  pcq_transfer_end (self, outcome);
}

/**
 * pcq_transfer_end_stalled:
 *
 * Ends an attempt that read no byte for the stall timeout.
 */
void
pcq_transfer_end_stalled (PcqTransfer *self,
                          PcqOutcome   outcome)
{
  g_autofree char *count = pcq_count_text (self->bytes);
  gulong n = pcq_plural_n (self->bytes);

  g_clear_error (&self->error);
  if (pcq_run_is_api (self->run))
    g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_STALLED,
                 g_dngettext (GETTEXT_PACKAGE,
                              "Stalled: no data for %u s after %s byte of the answer",
                              "Stalled: no data for %u s after %s bytes of the answer", n),
                 self->stall_timeout, count);
  else
    g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_STALLED,
                 g_dngettext (GETTEXT_PACKAGE,
                              "Stalled: no data for %u s after %s byte",
                              "Stalled: no data for %u s after %s bytes", n),
                 self->stall_timeout, count);
  pcq_transfer_end (self, outcome);
}

/**
 * pcq_transfer_choose_path:
 * @name: a sanitized file name
 *
 * Reserves the final name, unless the run has one already: a name
 * recorded earlier is this job's own, so that it lands under the name
 * it had before a restart, not "name (1)".
 *
 * Returns: %FALSE with the error in @self
 */
gboolean
pcq_transfer_choose_path (PcqTransfer *self,
                          const char  *name)
{
  PcqRun *run = self->run;

  if (run->output_path != NULL)
    return TRUE;

  /* A small file's name is said only once the file is in place, and
   * its move finds a name taken on disk meanwhile anyway. */
  if (pcq_run_is_small (run))
    run->output_path = pcq_sink_claim (run->names, run->output_dir, name, &self->error);
  else
    run->output_path = pcq_sink_reserve (run->names, run->output_dir, name, &self->error);

  return run->output_path != NULL;
}

/**
 * pcq_transfer_open_part:
 *
 * Opens the part file (resuming only the one the run made) and says the
 * final name, with which file the part is, so that the store can tell
 * this job's file from one planted at its path.
 *
 * Returns: %FALSE with the error in @self
 */
gboolean
pcq_transfer_open_part (PcqTransfer *self)
{
  PcqRun *run = self->run;

  self->sink = pcq_sink_open_part (run->part_path, self->resume_from, &run->part_id, &self->error);
  if (self->sink == NULL)
    return FALSE;

  pcq_sink_get_file_id (self->sink, &run->part_id);
  self->worker->callbacks->named (run, self->worker->user_data);
  return TRUE;
}

/**
 * pcq_transfer_save_resume:
 *
 * Says the run's resume token (part file and validator) again, for the
 * store: a split download's progress as it goes.
 */
void
pcq_transfer_save_resume (PcqTransfer *self)
{
  self->worker->callbacks->named (self->run, self->worker->user_data);
}

/* Writes @len bytes of a result and publishes the new count. */
gboolean
pcq_transfer_write (PcqTransfer *self,
                    const void  *data,
                    gsize        len)
{
  if (len == 0)
    return TRUE;

  if (!pcq_sink_write (self->sink, data, len, &self->error))
    return FALSE;

  if (self->checksum != NULL)
    g_checksum_update (self->checksum, data, len);

  self->bytes += len;
  pcq_atomic_set64 (&self->run->bytes, self->bytes);
  self->worker->callbacks->progress (self->run, self->worker->user_data);
  return TRUE;
}

/* Bytes written elsewhere (a segment's): counted and published. */
void
pcq_transfer_add_bytes (PcqTransfer *self,
                        gsize        len)
{
  self->bytes += len;
  pcq_atomic_set64 (&self->run->bytes, self->bytes);
  self->worker->callbacks->progress (self->run, self->worker->user_data);
}

/* One read of the body into the buffer. Our cancellable on every read:
 * libsoup swaps its own out once the headers are in. */
void
pcq_transfer_read (PcqTransfer        *self,
                   GAsyncReadyCallback callback)
{
  g_input_stream_read_async (self->in, self->buffer, PCQ_TRANSFER_BUFFER_SIZE,
                             G_PRIORITY_DEFAULT, self->cancellable, callback, self);
}

static void
read_body_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  PcqTransfer *self = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &self->error);

  if (n > 0 && self->body->len + (gsize) n <= self->body_max)
    {
      g_byte_array_append (self->body, self->buffer, n);
      pcq_transfer_read (self, read_body_cb);
      return;
    }

  self->too_long = n > 0;
  if (n < 0)
    g_clear_pointer (&self->body, g_byte_array_unref);
  self->body_read (self);
}

/**
 * pcq_transfer_read_body:
 * @max: read at most this many bytes; the rest is left unread
 * @then: called with self->body set (NULL and self->error set on a
 *   read error; self->too_long when there was more than @max)
 */
void
pcq_transfer_read_body (PcqTransfer     *self,
                        gsize            max,
                        PcqTransferFunc  then)
{
  self->body = g_byte_array_new ();
  self->body_max = max;
  self->too_long = FALSE;
  self->body_read = then;
  pcq_transfer_read (self, read_body_cb);
}

/**
 * pcq_transfer_commit:
 *
 * The body is complete in the part file. With a store, the store puts
 * it in place: it commits the final name first, so that a crash can
 * never leave a file under a name the store does not know as this
 * job's; the worker goes on meanwhile. Without one, the worker renames
 * it here, taking the next free name should another file have taken
 * the one reserved.
 */
void
pcq_transfer_commit (PcqTransfer *self)
{
  PcqRun *run = self->run;

  g_input_stream_close (self->in, NULL, NULL);
  g_clear_object (&self->in);

  if (!pcq_sink_finish (self->sink, &self->error))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  if (self->worker->callbacks->hand_over (run, self->worker->user_data))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_HANDED_OVER);
      return;
    }

  while (!pcq_sink_rename_part (run->part_path, run->output_path, &self->error))
    {
      if (!g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
          return;
        }

      g_clear_error (&self->error);
      if (!pcq_sink_take_next_name (run->names, &run->output_path, &self->error))
        {
          pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
          return;
        }
    }

  pcq_sink_release (run->names, run->output_path);
  self->attempt.output_path = g_strdup (run->output_path);
  pcq_transfer_end (self, PCQ_OUTCOME_DONE);
}
