/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-worker"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "pcq-api.h"
#include "pcq-error.h"
#include "pcq-sink.h"
#include "pcq-util.h"
#include "pcq-worker.h"

/* One read, one write, one progress report: with 64 KiB a loopback
 * gigabyte took 1.50 s, with 512 KiB 0.73 s (bench-download.sh set C on
 * tmpfs). Allocated once per worker; pages that a small file never
 * reaches are never touched. */
#define BUFFER_SIZE (512 * 1024)
#define MAX_REDIRECTS 10
#define MAX_RETRY_AFTER_S 600
/* A model may think for minutes before its first byte (always, when
 * the answer is not streamed): API requests wait at least this long. */
#define API_MIN_TIMEOUT_S 300
#define MAX_ERROR_BODY (64 * 1024)
#define MAX_ANSWER (64 * 1024 * 1024)

struct _PcqWorker
{
  GMainContext    *context;
  SoupSession     *session;
  guint            stall_timeout;
  SoupSession     *api_session;
  guint            api_timeout;
  const PcqWorkerCallbacks *callbacks;
  gpointer         user_data;
  guint8          *buffer;
};

PcqRun *
pcq_run_new (guint64     id,
             const char *url,
             const char *output_dir,
             const char *name,
             const char *host)
{
  PcqRun *run = g_new0 (PcqRun, 1);

  g_atomic_ref_count_init (&run->ref_count);
  run->id = id;
  run->url = g_strdup (url);
  run->output_dir = g_strdup (output_dir);
  run->name = g_strdup (name);
  run->host = g_strdup (host);
  run->cancellable = g_cancellable_new ();
  run->total = -1;

  return run;
}

/* The same for the whole process: with the job id it makes an
 * Idempotency-Key no other process sends. */
static const char *
process_nonce (void)
{
  static gsize nonce;

  if (g_once_init_enter (&nonce))
    {
      char *value = g_strdup_printf ("%08x%08x%08x%08x",
                                     g_random_int (), g_random_int (),
                                     g_random_int (), g_random_int ());

      g_once_init_leave (&nonce, (gsize) value);
    }

  return (const char *) nonce;
}

/**
 * pcq_run_set_ask:
 * @run: a run whose url is a chat-completions URL
 *
 * Makes @run an API task. Call before the run is shared.
 */
void
pcq_run_set_ask (PcqRun     *run,
                 const char *prompt,
                 const char *model,
                 const char *system_prompt)
{
  run->kind = PCQ_JOB_ASK;
  run->prompt = g_strdup (prompt);
  run->model = g_strdup (model);
  run->system_prompt = g_strdup (system_prompt);
  run->idempotency_key = g_strdup_printf ("pcq-%s-%" G_GUINT64_FORMAT, process_nonce (), run->id);
}

/**
 * pcq_run_set_batch:
 * @run: a run whose url is a chat-completions URL
 * @body: the request body from a batch file, as JSON text
 * @model: (nullable): used only if @body names no model
 *
 * Makes @run an API task that posts @body. Call before the run is shared.
 */
void
pcq_run_set_batch (PcqRun     *run,
                   const char *body,
                   const char *model)
{
  pcq_run_set_ask (run, body, model, NULL);
  run->kind = PCQ_JOB_BATCH;
}

/**
 * pcq_run_set_api_key:
 *
 * Gives @run the key its next attempt sends, wiping the one before.
 * Only for the thread that holds @run.
 */
void
pcq_run_set_api_key (PcqRun     *run,
                     const char *api_key)
{
  pcq_secret_free (run->api_key);
  run->api_key = g_strdup (api_key);
}

PcqRun *
pcq_run_ref (PcqRun *run)
{
  g_atomic_ref_count_inc (&run->ref_count);
  return run;
}

void
pcq_run_unref (PcqRun *run)
{
  if (!g_atomic_ref_count_dec (&run->ref_count))
    return;

  g_free (run->url);
  g_free (run->output_dir);
  g_free (run->name);
  g_free (run->host);
  g_free (run->output_path);
  g_free (run->validator);
  g_free (run->prompt);
  g_free (run->model);
  g_free (run->system_prompt);
  pcq_secret_free (run->api_key);
  g_free (run->idempotency_key);
  g_object_unref (run->cancellable);
  g_free (run);
}

void
pcq_attempt_clear (PcqAttempt *attempt)
{
  g_clear_error (&attempt->error);
  g_clear_pointer (&attempt->output_path, g_free);
  attempt->retry_after_ms = -1;
}

/* Byte counts in translatable messages go in as text (xgettext cannot
 * read G_GINT64_FORMAT); the plural form is chosen by their last digits. */
static char *
count_text (gint64 n)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, n);
}

static gulong
plural_n (gint64 n)
{
  return n < 0 ? 0 : (gulong) (n > 1000000 ? 1000000 + n % 1000000 : n);
}

static gboolean
is_http_scheme (const char *scheme)
{
  return g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0;
}

/**
 * pcq_check_url:
 * @url: what a person typed
 * @error: return location for a %PCQ_ERROR_INVALID_URL
 *
 * Returns: (transfer full) (nullable): the URL's host if it is an
 *   absolute http or https URL with a host, else %NULL
 */
char *
pcq_check_url (const char  *url,
               GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *host;

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_INVALID_URL,
                   _("Not a valid URL: “%s”"), url);
      return NULL;
    }

  if (!is_http_scheme (g_uri_get_scheme (uri)))
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_INVALID_URL,
                   _("Unsupported scheme “%s”: only http and https links can be downloaded"),
                   g_uri_get_scheme (uri));
      return NULL;
    }

  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0' || strpbrk (host, " \t\r\n") != NULL)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_INVALID_URL,
                   _("No host in URL “%s”"), url);
      return NULL;
    }

  return g_ascii_strdown (host, -1);
}

PcqWorker *
pcq_worker_new (const PcqWorkerCallbacks *callbacks,
                gpointer                  user_data)
{
  PcqWorker *self = g_new0 (PcqWorker, 1);

  /* Everything libsoup attaches to a context (idle connection and host
   * keep-alive timers) must stay in this thread: push our own context
   * before the session exists. */
  self->context = g_main_context_new ();
  g_main_context_push_thread_default (self->context);

  self->callbacks = callbacks;
  self->user_data = user_data;
  self->buffer = g_malloc (BUFFER_SIZE);

  return self;
}

/* Lets libsoup's timers run between jobs, so idle connections close. */
void
pcq_worker_idle (PcqWorker *self)
{
  while (g_main_context_iteration (self->context, FALSE))
    ;
}

void
pcq_worker_free (PcqWorker *self)
{
  g_clear_object (&self->session);
  g_clear_object (&self->api_session);
  pcq_worker_idle (self);
  g_main_context_pop_thread_default (self->context);
  g_main_context_unref (self->context);
  g_free (self->buffer);
  g_free (self);
}

/* A session whose "timeout" is @timeout, made anew when it changes. */
static SoupSession *
ensure_session_with_timeout (SoupSession **session,
                             guint        *current,
                             guint         timeout)
{
  if (*session != NULL && *current != timeout)
    g_clear_object (session);

  if (*session == NULL)
    {
      *session = soup_session_new_with_options ("timeout", timeout,
                                                "idle-timeout", 60,
                                                "user-agent", "Pcq/" PACKAGE_VERSION " ",
                                                NULL);
      *current = timeout;
    }

  return *session;
}

static SoupSession *
ensure_session (PcqWorker *self,
                guint      stall_timeout)
{
  /* The "timeout" applies per socket operation, which is exactly a
   * stall timeout: no byte for that long is an error. It is read when a
   * connection is made, so a new value needs a new session. */
  return ensure_session_with_timeout (&self->session, &self->stall_timeout, stall_timeout);
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

/* How an I/O error from libsoup or a stream ends this attempt. */
static PcqOutcome
classify_io_error (GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return PCQ_OUTCOME_CANCELLED;

  if (error->domain == G_TLS_ERROR)
    return PCQ_OUTCOME_FAILED;

  /* Refused, reset, closed, timed out, unreachable, DNS failures and
   * malformed responses are transient as far as we can tell. */
  return PCQ_OUTCOME_RETRY;
}

/* What If-Range may carry: a strong ETag, else Last-Modified. */
static char *
get_validator (SoupMessage *msg)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *etag = soup_message_headers_get_one (headers, "ETag");

  if (etag != NULL && !g_str_has_prefix (etag, "W/"))
    return g_strdup (etag);

  return g_strdup (soup_message_headers_get_one (headers, "Last-Modified"));
}

static char *
choose_name (PcqRun      *run,
             SoupMessage *msg,
             GUri        *uri)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  g_autofree char *raw = NULL;
  char *name;

  if ((name = pcq_sink_sanitize_name (run->name)) != NULL)
    return name;

  raw = pcq_sink_name_from_disposition (soup_message_headers_get_one (headers, "Content-Disposition"));
  if ((name = pcq_sink_sanitize_name (raw)) != NULL)
    return name;

  g_clear_pointer (&raw, g_free);
  raw = pcq_sink_name_from_uri (uri);
  if ((name = pcq_sink_sanitize_name (raw)) != NULL)
    return name;

  return g_strdup ("download");
}

/* Sends GET for @run, following redirects ourselves so that the limit
 * is ours (10) and a loop is named as such. */
static GInputStream *
send_following_redirects (PcqWorker    *self,
                          SoupSession  *session,
                          PcqRun       *run,
                          gint64        resume_from,
                          SoupMessage **out_msg,
                          GUri        **out_uri,
                          GError      **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GUri) uri = g_uri_parse (run->url, SOUP_HTTP_URI_FLAGS, error);

  if (uri == NULL)
    return NULL;

  for (guint redirects = 0; ; redirects++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
      g_autoptr(GInputStream) in = NULL;
      g_autoptr(GUri) next = NULL;
      g_autofree char *next_str = NULL;
      const char *location;
      guint status;

      soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
      /* Save the bytes the server sends, as they are: no transparent
       * decompression (and byte ranges stay meaningful). */
      soup_message_disable_feature (msg, SOUP_TYPE_CONTENT_DECODER);

      if (resume_from > 0)
        {
          SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

          /* The rest, but only if it is still the same file. */
          soup_message_headers_set_range (headers, resume_from, -1);
          soup_message_headers_replace (headers, "If-Range", run->validator);
        }

      g_hash_table_add (seen, g_uri_to_string (uri));

      in = soup_session_send (session, msg, run->cancellable, error);
      if (in == NULL)
        return NULL;

      status = soup_message_get_status (msg);
      location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
      if (!SOUP_STATUS_IS_REDIRECTION (status) || status == SOUP_STATUS_NOT_MODIFIED ||
          location == NULL)
        {
          *out_msg = g_steal_pointer (&msg);
          *out_uri = g_steal_pointer (&uri);
          return g_steal_pointer (&in);
        }

      g_input_stream_close (in, NULL, NULL);

      next = g_uri_parse_relative (uri, location, SOUP_HTTP_URI_FLAGS, NULL);
      if (next == NULL || !is_http_scheme (g_uri_get_scheme (next)))
        {
          g_set_error (error, PCQ_ERROR, PCQ_ERROR_REDIRECT,
                       _("Redirected to an unusable location “%s”"), location);
          return NULL;
        }

      next_str = g_uri_to_string (next);
      if (g_hash_table_contains (seen, next_str) || redirects + 1 > MAX_REDIRECTS)
        {
          if (g_hash_table_contains (seen, next_str))
            g_set_error (error, PCQ_ERROR, PCQ_ERROR_REDIRECT,
                         _("Redirect loop: “%s” redirects back to “%s”"), run->url, next_str);
          else
            g_set_error (error, PCQ_ERROR, PCQ_ERROR_REDIRECT,
                         _("Too many redirects (more than %d)"), MAX_REDIRECTS);
          return NULL;
        }

      g_clear_pointer (&uri, g_uri_unref);
      uri = g_steal_pointer (&next);
    }
}

/* Writes @len bytes of a result to @sink and publishes the new count. */
static gboolean
write_and_report (PcqWorker   *self,
                  PcqRun      *run,
                  PcqSink     *sink,
                  const void  *data,
                  gsize        len,
                  gint64      *bytes,
                  GError     **error)
{
  if (len == 0)
    return TRUE;

  if (!pcq_sink_write (sink, data, len, error))
    return FALSE;

  *bytes += len;
  pcq_atomic_set64 (&run->bytes, *bytes);
  self->callbacks->progress (run, self->user_data);
  return TRUE;
}

/* Renames the finished temp file into place: the attempt is done. */
static PcqOutcome
finish_file (PcqSink     *sink,
               PcqAttempt  *attempt,
               GError     **error)
{
  if (!pcq_sink_commit (sink, error))
    return PCQ_OUTCOME_FAILED;

  attempt->output_path = g_strdup (pcq_sink_get_path (sink));
  return PCQ_OUTCOME_DONE;
}

/* ---- API tasks ----------------------------------------------------- */

static SoupSession *
ensure_api_session (PcqWorker *self,
                    guint      stall_timeout)
{
  return ensure_session_with_timeout (&self->api_session, &self->api_timeout,
                                      MAX (stall_timeout, API_MIN_TIMEOUT_S));
}

static void
wrote_headers_cb (SoupMessage *msg,
                  gpointer     user_data)
{
  gboolean *sent = user_data;

  *sent = TRUE;
}

/* At most @max bytes of @in; the rest is left unread. */
static GByteArray *
read_bounded (GInputStream  *in,
              gsize          max,
              guint8        *buffer,
              GCancellable  *cancellable,
              gboolean      *too_long,
              GError       **error)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  *too_long = FALSE;
  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, BUFFER_SIZE, cancellable, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      if (body->len + (gsize) n > max)
        {
          *too_long = TRUE;
          break;
        }
      g_byte_array_append (body, buffer, n);
    }

  return g_steal_pointer (&body);
}

static SoupMessage *
build_ask_message (PcqRun  *run,
                   GError **error)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GUri) uri = NULL;
  SoupMessageHeaders *headers;
  char *json;
  gsize length;

  uri = g_uri_parse (run->url, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL)
    return NULL;

  msg = soup_message_new_from_uri (SOUP_METHOD_POST, uri);
  /* A POST is never sent again elsewhere behind our back. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);

  if (run->kind == PCQ_JOB_BATCH)
    {
      json = pcq_api_build_batch_request (run->prompt, run->model, &length, error);
      if (json == NULL)
        return NULL;
    }
  else
    json = pcq_api_build_request (run->model, run->system_prompt, run->prompt, TRUE, &length);
  body = g_bytes_new_take (json, length);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "text/event-stream, application/json");
  soup_message_headers_replace (headers, "Idempotency-Key", run->idempotency_key);
  if (run->api_key != NULL && *run->api_key != '\0')
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", run->api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", authorization);
    }

  return g_steal_pointer (&msg);
}

static char *
choose_ask_name (PcqRun *run)
{
  g_autofree char *slug = NULL;
  char *name;

  if ((name = pcq_sink_sanitize_name (run->name)) != NULL)
    return name;

  /* A batch request's prompt is its JSON body: no slug from that. */
  if (run->kind == PCQ_JOB_BATCH)
    return g_strdup ("request.md");

  slug = pcq_api_slug (run->prompt);
  return g_strconcat (slug, ".md", NULL);
}

/* Sets the error for a non-2xx answer, with the server's error.message. */
static PcqOutcome
fail_with_status (PcqWorker     *self,
                  PcqRun        *run,
                  SoupMessage   *msg,
                  GInputStream  *in,
                  PcqAttempt    *attempt,
                  GError       **error)
{
  guint status = soup_message_get_status (msg);
  const char *reason = soup_message_get_reason_phrase (msg);
  g_autoptr(GByteArray) body = NULL;
  g_autofree char *message = NULL;
  gboolean too_long;
  PcqOutcome outcome;

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);

  body = read_bounded (in, MAX_ERROR_BODY, self->buffer, run->cancellable, &too_long, NULL);
  if (body != NULL && !too_long)
    message = pcq_api_parse_error ((const char *) body->data, body->len);
  g_input_stream_close (in, NULL, NULL);

  if (g_cancellable_is_cancelled (run->cancellable))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return PCQ_OUTCOME_CANCELLED;
    }

  outcome = is_retryable_status (status) ? PCQ_OUTCOME_RETRY : PCQ_OUTCOME_FAILED;
  if (message != NULL)
    g_set_error (error, PCQ_ERROR,
                 outcome == PCQ_OUTCOME_RETRY ? PCQ_ERROR_HTTP_RETRYABLE : PCQ_ERROR_HTTP,
                 _("Server answered %u %s: %s"), status, reason, message);
  else
    g_set_error (error, PCQ_ERROR,
                 outcome == PCQ_OUTCOME_RETRY ? PCQ_ERROR_HTTP_RETRYABLE : PCQ_ERROR_HTTP,
                 _("Server answered %u %s"), status, reason);

  if (outcome == PCQ_OUTCOME_RETRY)
    attempt->retry_after_ms = parse_retry_after (msg);

  return outcome;
}

/* Sets @error for a failed read of the answer: the request was
 * processed, so it is never sent again by itself. */
static PcqOutcome
fail_reading (PcqRun  *run,
              guint    timeout,
              gint64   bytes,
              GError **error)
{
  g_autofree char *count = count_text (bytes);

  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return PCQ_OUTCOME_CANCELLED;

  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_clear_error (error);
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_STALLED,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Stalled: no data for %u s after %s byte of the answer",
                                "Stalled: no data for %u s after %s bytes of the answer",
                                plural_n (bytes)),
                   timeout, count);
    }
  else
    g_prefix_error (error,
                    g_dngettext (GETTEXT_PACKAGE,
                                 "The answer broke off after %s byte: ",
                                 "The answer broke off after %s bytes: ",
                                 plural_n (bytes)),
                    count);

  return PCQ_OUTCOME_FAILED;
}

static PcqOutcome
run_ask (PcqWorker  *self,
         PcqRun     *run,
         guint       stall_timeout,
         PcqAttempt *attempt)
{
  SoupSession *session = ensure_api_session (self, stall_timeout);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(PcqSink) sink = NULL;
  g_autoptr(PcqApiStream) stream = NULL;
  g_autoptr(GString) delta = NULL;
  g_autofree char *name = NULL;
  g_autofree char *answer = NULL;
  g_autoptr(GError) error = NULL;
  const char *content_type;
  PcqOutcome outcome;
  gboolean sent = FALSE;
  gboolean replace;
  gint64 bytes = 0;

  attempt->retry_after_ms = -1;
  pcq_atomic_set64 (&run->bytes, 0);
  pcq_atomic_set64 (&run->total, -1);

  msg = build_ask_message (run, &error);
  if (msg == NULL)
    {
      outcome = PCQ_OUTCOME_FAILED;
      goto out;
    }

  g_signal_connect (msg, "wrote-headers", G_CALLBACK (wrote_headers_cb), &sent);
  in = soup_session_send (session, msg, run->cancellable, &error);
  g_signal_handlers_disconnect_by_func (msg, wrote_headers_cb, &sent);
  if (in == NULL)
    {
      if (!sent || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Nothing reached the server: safe to send again. */
          outcome = classify_io_error (error);
        }
      else
        {
          outcome = PCQ_OUTCOME_FAILED;
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            g_prefix_error (&error, _("No answer from the server: "));
          else
            g_prefix_error (&error, _("The connection broke after the request was sent "
                                      "(not sent again: it may have been processed): "));
        }
      goto out;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      outcome = fail_with_status (self, run, msg, in, attempt, &error);
      goto out;
    }

  /* The answer is there: its name is chosen and recorded before any
   * file exists under it, as for downloads. */
  replace = run->output_path != NULL;
  if (run->output_path == NULL)
    {
      name = choose_ask_name (run);
      run->output_path = pcq_sink_reserve (run->output_dir, name, &error);
      if (run->output_path == NULL)
        {
          outcome = PCQ_OUTCOME_FAILED;
          goto out;
        }
    }
  g_clear_pointer (&run->validator, g_free);
  self->callbacks->named (run, self->user_data);

  sink = pcq_sink_open_exact (run->output_path, 0, replace, &error);
  if (sink == NULL)
    {
      outcome = PCQ_OUTCOME_FAILED;
      goto out;
    }

  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg),
                                                        NULL);
  if (g_strcmp0 (content_type, "text/event-stream") == 0)
    {
      stream = pcq_api_stream_new ();
      delta = g_string_new (NULL);

      for (;;)
        {
          gssize n = g_input_stream_read (in, self->buffer, BUFFER_SIZE, run->cancellable, &error);

          if (n < 0)
            {
              outcome = fail_reading (run, self->api_timeout, bytes, &error);
              goto out;
            }
          if (n == 0)
            break;

          g_string_truncate (delta, 0);
          if (!pcq_api_stream_feed (stream, (const char *) self->buffer, n, delta, &error))
            {
              outcome = PCQ_OUTCOME_FAILED;
              goto out;
            }

          if (!write_and_report (self, run, sink, delta->str, delta->len, &bytes, &error))
            {
              outcome = PCQ_OUTCOME_FAILED;
              goto out;
            }

          if (pcq_api_stream_is_done (stream))
            break;
        }

      /* The last line may lack its newline. */
      g_string_truncate (delta, 0);
      if (!pcq_api_stream_is_done (stream) &&
          !pcq_api_stream_feed (stream, "\n", 1, delta, &error))
        {
          outcome = PCQ_OUTCOME_FAILED;
          goto out;
        }
      if (!write_and_report (self, run, sink, delta->str, delta->len, &bytes, &error))
        {
          outcome = PCQ_OUTCOME_FAILED;
          goto out;
        }

      if (!pcq_api_stream_is_done (stream))
        {
          g_autofree char *count = count_text (bytes);

          g_set_error (&error, PCQ_ERROR, PCQ_ERROR_SHORT_BODY,
                       g_dngettext (GETTEXT_PACKAGE,
                                    "The streamed answer ended before it was complete "
                                    "(after %s byte)",
                                    "The streamed answer ended before it was complete "
                                    "(after %s bytes)",
                                    plural_n (bytes)),
                       count);
          outcome = PCQ_OUTCOME_FAILED;
          goto out;
        }
    }
  else
    {
      g_autoptr(GByteArray) body = NULL;
      gboolean too_long;
      gsize length;

      body = read_bounded (in, MAX_ANSWER, self->buffer, run->cancellable, &too_long, &error);
      if (body == NULL)
        {
          outcome = fail_reading (run, self->api_timeout, 0, &error);
          goto out;
        }
      if (too_long)
        {
          g_set_error (&error, PCQ_ERROR, PCQ_ERROR_API,
                       _("The server's answer is larger than %d MiB"), MAX_ANSWER / (1024 * 1024));
          outcome = PCQ_OUTCOME_FAILED;
          goto out;
        }

      answer = pcq_api_parse_answer ((const char *) body->data, body->len, &error);
      if (answer == NULL)
        {
          outcome = PCQ_OUTCOME_FAILED;
          goto out;
        }

      length = strlen (answer);
      if (!write_and_report (self, run, sink, answer, length, &bytes, &error))
        {
          outcome = PCQ_OUTCOME_FAILED;
          goto out;
        }
    }

  g_input_stream_close (in, NULL, NULL);
  outcome = finish_file (sink, attempt, &error);

out:
  if (in != NULL && outcome != PCQ_OUTCOME_DONE)
    g_input_stream_close (in, NULL, NULL);

  /* Whatever the server or a library said, the key is not repeated. */
  if (error != NULL && run->api_key != NULL && *run->api_key != '\0' &&
      strstr (error->message, run->api_key) != NULL)
    {
      char *redacted = pcq_api_redact (error->message, run->api_key);

      g_free (error->message);
      error->message = redacted;
    }

  attempt->error = g_steal_pointer (&error);
  return outcome;
}

/**
 * pcq_worker_run:
 * @self: the calling thread's worker
 * @run: the job to run once
 * @stall_timeout: seconds without a byte before the attempt fails
 * @attempt: (out caller-allocates): error, output path, Retry-After
 *
 * Makes one attempt at @run: a GET, streamed into a temp file beside
 * the destination, renamed into place when complete; for an API task,
 * a chat-completions POST whose answer is saved the same way.
 */
PcqOutcome
pcq_worker_run (PcqWorker  *self,
                PcqRun     *run,
                guint       stall_timeout,
                PcqAttempt *attempt)
{
  SoupSession *session;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(PcqSink) sink = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  PcqOutcome outcome;
  guint status;
  gint64 total = -1;
  gint64 bytes = 0;
  gint64 resume_from = 0;
  gboolean replace;

  if (run->kind == PCQ_JOB_ASK || run->kind == PCQ_JOB_BATCH)
    return run_ask (self, run, stall_timeout, attempt);

  session = ensure_session (self, stall_timeout);
  attempt->retry_after_ms = -1;

  pcq_atomic_set64 (&run->bytes, 0);
  if (run->output_path != NULL && run->validator != NULL)
    resume_from = MAX (0, pcq_sink_part_size (run->output_path));

  in = send_following_redirects (self, session, run, resume_from, &msg, &uri, &error);
  if (in == NULL)
    {
      outcome = error->domain == PCQ_ERROR ? PCQ_OUTCOME_FAILED : classify_io_error (error);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_prefix_error (&error, _("No answer from the server: "));
      goto out;
    }

  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *reason = soup_message_get_reason_phrase (msg);

      if (reason == NULL || *reason == '\0')
        reason = soup_status_get_phrase (status);

      outcome = is_retryable_status (status) ? PCQ_OUTCOME_RETRY : PCQ_OUTCOME_FAILED;
      g_set_error (&error, PCQ_ERROR,
                   outcome == PCQ_OUTCOME_RETRY ? PCQ_ERROR_HTTP_RETRYABLE : PCQ_ERROR_HTTP,
                   _("Server answered %u %s"), status, reason);
      if (outcome == PCQ_OUTCOME_RETRY)
        attempt->retry_after_ms = parse_retry_after (msg);
      g_input_stream_close (in, NULL, NULL);
      goto out;
    }

  if (soup_message_headers_get_encoding (soup_message_get_response_headers (msg)) ==
      SOUP_ENCODING_CONTENT_LENGTH)
    total = soup_message_headers_get_content_length (soup_message_get_response_headers (msg));

  if (status == SOUP_STATUS_PARTIAL_CONTENT && resume_from > 0)
    {
      goffset start, end, length;

      if (!soup_message_headers_get_content_range (soup_message_get_response_headers (msg),
                                                   &start, &end, &length) ||
          start != resume_from)
        {
          /* Not the rest we asked for: start again from zero next time. */
          g_clear_pointer (&run->validator, g_free);
          g_set_error (&error, PCQ_ERROR, PCQ_ERROR_HTTP_RETRYABLE,
                       _("The server sent a different part of the file than asked for"));
          outcome = PCQ_OUTCOME_RETRY;
          g_input_stream_close (in, NULL, NULL);
          goto out;
        }

      bytes = resume_from;
      total = length >= 0 ? length : (total >= 0 ? resume_from + total : -1);
    }
  else
    resume_from = 0;  /* a 200: the whole file again */

  pcq_atomic_set64 (&run->total, total);
  pcq_atomic_set64 (&run->bytes, bytes);

  /* A name recorded earlier is this job's own: what lies there is its
   * result from before a crash. A fresh name must never replace. */
  replace = run->output_path != NULL;
  if (run->output_path == NULL)
    {
      name = choose_name (run, msg, uri);
      run->output_path = pcq_sink_reserve (run->output_dir, name, &error);
      if (run->output_path == NULL)
        {
          outcome = PCQ_OUTCOME_FAILED;
          goto out;
        }
    }

  if (resume_from == 0)
    {
      /* Recorded (durably, when there is a store) before any file
       * exists under that name: a crash can then never leave a file
       * the next run does not know as its own. */
      g_free (run->validator);
      run->validator = get_validator (msg);
      self->callbacks->named (run, self->user_data);
    }

  sink = pcq_sink_open_exact (run->output_path, resume_from, replace, &error);
  if (sink == NULL)
    {
      outcome = PCQ_OUTCOME_FAILED;
      goto out;
    }

  for (;;)
    {
      /* Our cancellable on every read: libsoup swaps its own out once
       * the headers are in. */
      gssize n = g_input_stream_read (in, self->buffer, BUFFER_SIZE, run->cancellable, &error);

      if (n < 0)
        {
          outcome = classify_io_error (error);
          if (outcome == PCQ_OUTCOME_CANCELLED)
            goto out;
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            {
              g_autofree char *count = count_text (bytes);

              g_clear_error (&error);
              g_set_error (&error, PCQ_ERROR, PCQ_ERROR_STALLED,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "Stalled: no data for %u s after %s byte",
                                        "Stalled: no data for %u s after %s bytes",
                                        plural_n (bytes)),
                           stall_timeout, count);
              if (run->validator != NULL)
                pcq_sink_keep_part (sink);
              goto out;
            }
          break;
        }

      if (n == 0)
        break;

      if (!write_and_report (self, run, sink, self->buffer, n, &bytes, &error))
        {
          outcome = PCQ_OUTCOME_FAILED;
          goto out;
        }
    }

  if (error != NULL || (total >= 0 && bytes < total))
    {
      g_autofree char *count = count_text (bytes);
      g_autofree char *total_count = count_text (total);

      g_clear_error (&error);
      if (total >= 0)
        g_set_error (&error, PCQ_ERROR, PCQ_ERROR_SHORT_BODY,
                     g_dngettext (GETTEXT_PACKAGE,
                                  "Incomplete download: connection closed after %s of %s byte",
                                  "Incomplete download: connection closed after %s of %s bytes",
                                  plural_n (total)),
                     count, total_count);
      else
        g_set_error (&error, PCQ_ERROR, PCQ_ERROR_SHORT_BODY,
                     g_dngettext (GETTEXT_PACKAGE,
                                  "Incomplete download: connection closed after %s byte",
                                  "Incomplete download: connection closed after %s bytes",
                                  plural_n (bytes)),
                     count);
      outcome = PCQ_OUTCOME_RETRY;
      /* With a validator, the next attempt asks for the rest. */
      if (run->validator != NULL)
        pcq_sink_keep_part (sink);
      goto out;
    }

  g_input_stream_close (in, NULL, NULL);
  outcome = finish_file (sink, attempt, &error);

out:
  attempt->error = g_steal_pointer (&error);
  return outcome;
}
