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
#include "pcq-transfer.h"

/* An API task: a chat-completions POST (never redirected, never sent
 * again once it may have been processed) whose answer, streamed as
 * server-sent events or whole as JSON, is saved as a file. */

/* A model may think for minutes before its first byte (always, when
 * the answer is not streamed): API requests wait at least this long. */
#define API_MIN_TIMEOUT_S 300
#define MAX_ERROR_BODY (64 * 1024)
/* The most an answer may have, streamed or whole. */
#define MAX_ANSWER (64 * 1024 * 1024)
/* The most a stream may send around it: events, comments, keep-alives.
 * A stream of empty events writes nothing, and would never end. */
#define MAX_STREAM (4 * MAX_ANSWER)
/* How long a stream whose last choice came may take for the token
 * counts that follow it: a server that does not send them (nor [DONE],
 * nor the end of the body) holds the answer no longer than this. */
#define USAGE_GRACE_MS 1000

static void stream_read_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data);

/* What the answer cost, kept with the run for the engine. */
static void
set_usage (PcqTransfer       *self,
           const PcqApiUsage *usage)
{
  self->run->prompt_tokens = usage->prompt_tokens;
  self->run->completion_tokens = usage->completion_tokens;
}

static void
set_too_large (PcqTransfer *self)
{
  g_clear_error (&self->error);
  g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_API,
               _("The server's answer is larger than %d MiB"), MAX_ANSWER / (1024 * 1024));
}

/* Writes the new text of a streamed answer. A stream that never ends
 * fails at the size a whole answer may have; the part file is removed
 * with the failed attempt, so nothing lands under the final name. */
static gboolean
write_delta (PcqTransfer *self)
{
  if ((guint64) self->bytes + self->delta->len > MAX_ANSWER)
    {
      set_too_large (self);
      return FALSE;
    }

  return pcq_transfer_write (self, self->delta->str, self->delta->len);
}

/* A failed read of the answer: the request was processed, so it is
 * never sent again by itself. */
static void
end_reading (PcqTransfer *self)
{
  g_autofree char *count = pcq_count_text (self->bytes);

  if (g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_CANCELLED);
      return;
    }

  if (g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      self->stall_timeout = MAX (self->stall_timeout, API_MIN_TIMEOUT_S);
      pcq_transfer_end_stalled (self, PCQ_OUTCOME_FAILED);
      return;
    }

  g_prefix_error (&self->error,
                  g_dngettext (GETTEXT_PACKAGE,
                               "The answer broke off after %s byte: ",
                               "The answer broke off after %s bytes: ",
                               pcq_plural_n (self->bytes)),
                  count);
  pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
}

static void
stream_ended (PcqTransfer *self)
{
  g_autofree char *count = NULL;

  /* The last line may lack its newline. */
  g_string_truncate (self->delta, 0);
  if (!pcq_api_stream_is_done (self->stream) &&
      !pcq_api_stream_feed (self->stream, "\n", 1, self->delta, &self->error))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }
  if (!write_delta (self))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  if (pcq_api_stream_is_done (self->stream))
    {
      PcqApiUsage usage;

      pcq_api_stream_get_usage (self->stream, &usage);
      set_usage (self, &usage);
      pcq_transfer_commit (self);
      return;
    }

  count = pcq_count_text (self->bytes);
  g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_SHORT_BODY,
               g_dngettext (GETTEXT_PACKAGE,
                            "The streamed answer ended before it was complete "
                            "(after %s byte)",
                            "The streamed answer ended before it was complete "
                            "(after %s bytes)",
                            pcq_plural_n (self->bytes)),
               count);
  pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
}

static gboolean
grace_over_cb (gpointer user_data)
{
  PcqTransfer *self = user_data;

  self->grace_over = TRUE;
  g_clear_pointer (&self->grace_timer, g_source_unref);
  g_cancellable_cancel (self->grace);
  return G_SOURCE_REMOVE;
}

static void
cancel_grace_cb (GCancellable *cancellable,
                 GCancellable *grace)
{
  g_cancellable_cancel (grace);
}

/* Whether to read on after the last choice: the token counts come in
 * one more event (include_usage), and the last event that has them
 * counts, so the stream is read to its end ([DONE], or the end of the
 * body) — for USAGE_GRACE_MS at most. */
static gboolean
reads_on (PcqTransfer *self)
{
  return !self->grace_over && !pcq_api_stream_saw_done (self->stream);
}

/* Reads on after the last choice, for USAGE_GRACE_MS at most: through
 * a cancellable of its own that the timer cancels, as does a cancel of
 * the attempt. */
static void
read_in_grace (PcqTransfer *self)
{
  if (self->grace == NULL)
    {
      self->grace = g_cancellable_new ();
      /* Runs at once if the attempt is cancelled already. */
      self->grace_handler = g_cancellable_connect (self->cancellable, G_CALLBACK (cancel_grace_cb),
                                                   self->grace, NULL);
      self->grace_timer = g_timeout_source_new (USAGE_GRACE_MS);
      g_source_set_callback (self->grace_timer, grace_over_cb, self, NULL);
      g_source_attach (self->grace_timer, g_main_context_get_thread_default ());
    }

  g_input_stream_read_async (self->in, self->buffer, PCQ_TRANSFER_BUFFER_SIZE,
                             G_PRIORITY_DEFAULT, self->grace, stream_read_cb, self);
}

static void
stream_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  PcqTransfer *self = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &self->error);

  /* The grace after the last choice is over: the answer is complete,
   * without token counts. */
  if (n < 0 && self->grace_over && !g_cancellable_is_cancelled (self->cancellable) &&
      g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&self->error);
      n = 0;
    }

  if (n < 0)
    {
      end_reading (self);
      return;
    }
  if (n == 0)
    {
      stream_ended (self);
      return;
    }

  self->stream_bytes += n;
  if (self->stream_bytes > MAX_STREAM)
    {
      g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_API,
                   _("The server's stream is larger than %d MiB"), MAX_STREAM / (1024 * 1024));
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  g_string_truncate (self->delta, 0);
  if (!pcq_api_stream_feed (self->stream, (const char *) self->buffer, n, self->delta, &self->error) ||
      !write_delta (self))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  if (!pcq_api_stream_is_done (self->stream))
    pcq_transfer_read (self, stream_read_cb);
  else if (reads_on (self))
    read_in_grace (self);
  else
    stream_ended (self);
}

static void
answer_read (PcqTransfer *self)
{
  g_autofree char *answer = NULL;
  PcqApiUsage usage;

  if (self->body == NULL)
    {
      end_reading (self);
      return;
    }
  if (self->too_long)
    {
      set_too_large (self);
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  answer = pcq_api_parse_answer ((const char *) self->body->data, self->body->len, &usage,
                                 &self->error);
  if (answer == NULL || !pcq_transfer_write (self, answer, strlen (answer)))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }
  set_usage (self, &usage);

  pcq_transfer_commit (self);
}

static void
error_body_read (PcqTransfer *self)
{
  g_autofree char *message = NULL;

  g_clear_error (&self->error);
  if (self->body != NULL && !self->too_long)
    message = pcq_api_parse_error ((const char *) self->body->data, self->body->len);

  pcq_transfer_end_with_status (self, message);
}

static char *
choose_name (PcqRun *run)
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

static void
wrote_headers_cb (SoupMessage *msg,
                  gpointer     user_data)
{
  PcqTransfer *self = user_data;

  self->sent = TRUE;
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  PcqTransfer *self = user_data;
  g_autofree char *name = NULL;
  const char *content_type;

  pcq_transfer_send_finish (self, result);
  g_signal_handlers_disconnect_by_func (self->msg, wrote_headers_cb, self);
  if (self->in == NULL)
    {
      if (!self->sent || g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Nothing reached the server: safe to send again. */
          pcq_transfer_end (self, pcq_transfer_classify (self));
        }
      else
        {
          if (g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            g_prefix_error (&self->error, _("No answer from the server: "));
          else
            g_prefix_error (&self->error, _("The connection broke after the request was sent "
                                            "(not sent again: it may have been processed): "));
          pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
        }
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (self->msg)))
    {
      pcq_transfer_read_body (self, MAX_ERROR_BODY, error_body_read);
      return;
    }

  /* The answer is there: its name is chosen now, as for downloads. */
  g_clear_pointer (&self->run->validator, g_free);
  name = choose_name (self->run);
  if (!pcq_transfer_choose_path (self, name) || !pcq_transfer_open_part (self))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (self->msg),
                                                        NULL);
  if (g_strcmp0 (content_type, "text/event-stream") == 0)
    {
      self->stream = pcq_api_stream_new ();
      self->delta = g_string_new (NULL);
      pcq_transfer_read (self, stream_read_cb);
    }
  else
    pcq_transfer_read_body (self, MAX_ANSWER, answer_read);
}

static SoupMessage *
build_message (PcqRun  *run,
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
  if (!pcq_api_check_key (run->api_key, PCQ_API_KEY_FROM_ENTRY, error))
    return NULL;
  if (run->api_key != NULL && *run->api_key != '\0')
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", run->api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", authorization);
    }

  return g_steal_pointer (&msg);
}

void
pcq_transfer_start_ask (PcqTransfer *self)
{
  pcq_atomic_set64 (&self->run->total, -1);
  self->run->prompt_tokens = -1;
  self->run->completion_tokens = -1;

  /* A key that was given but refused: nothing goes out without it. */
  if (self->run->api_key_error != NULL)
    {
      g_set_error_literal (&self->error, PCQ_ERROR, PCQ_ERROR_API_KEY, self->run->api_key_error);
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  self->session = pcq_worker_get_session (self->worker, MAX (self->stall_timeout, API_MIN_TIMEOUT_S),
                                          FALSE);
  self->msg = build_message (self->run, &self->error);
  if (self->msg == NULL)
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  g_signal_connect (self->msg, "wrote-headers", G_CALLBACK (wrote_headers_cb), self);
  soup_session_send_async (self->session, self->msg, G_PRIORITY_DEFAULT,
                           self->cancellable, sent_cb, self);
}
