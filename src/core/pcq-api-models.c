/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-api"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "pcq-api.h"
#include "pcq-api-models.h"
#include "pcq-error.h"

/* A list of models comes at once or not at all. */
#define MODELS_TIMEOUT_S 30
#define READ_SIZE (64 * 1024)

typedef struct
{
  SoupSession  *session;
  SoupMessage  *msg;
  GInputStream *in;
  GByteArray   *body;
  char         *api_key;  /* only to redact it from messages */
} ListModels;

static void
list_models_free (ListModels *self)
{
  g_clear_object (&self->in);
  g_clear_object (&self->msg);
  g_clear_object (&self->session);
  g_clear_pointer (&self->body, g_byte_array_unref);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  g_free (self);
}

/* Fails @task with @error's message made safe to show: one line, no
 * control characters, and never the key. */
static void
return_error (GTask  *task,
              GError *error)
{
  ListModels *self = g_task_get_task_data (task);
  g_autofree char *redacted = pcq_api_redact (error->message, self->api_key);
  g_autofree char *safe = pcq_text_sanitize (redacted, -1);

  g_task_return_new_error (task, error->domain, error->code, "%s", safe);
  g_error_free (error);
}

static void read_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data);

static void
read_more (GTask *task)
{
  ListModels *self = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (self->in, READ_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), read_cb, task);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ListModels *self = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;
  GStrv models;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (chunk == NULL)
    {
      return_error (task, error);
      return;
    }

  if (g_bytes_get_size (chunk) > 0)
    {
      /* One byte over the limit is enough to refuse the list. */
      if (self->body->len + g_bytes_get_size (chunk) > PCQ_API_MODELS_MAX_BODY)
        {
          g_task_return_new_error (task, PCQ_ERROR, PCQ_ERROR_API,
                                   _("The list of models is larger than %d MiB"),
                                   PCQ_API_MODELS_MAX_BODY / (1024 * 1024));
          return;
        }
      g_byte_array_append (self->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
      read_more (g_steal_pointer (&task));
      return;
    }

  body = g_byte_array_free_to_bytes (g_steal_pointer (&self->body));
  models = pcq_api_parse_models (body, &error);
  if (models == NULL)
    return_error (task, error);
  else
    g_task_return_pointer (task, models, (GDestroyNotify) g_strfreev);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ListModels *self = g_task_get_task_data (task);
  GError *error = NULL;
  guint status;

  self->in = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (self->in == NULL)
    {
      return_error (task, error);
      return;
    }

  status = soup_message_get_status (self->msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *reason = soup_message_get_reason_phrase (self->msg);

      /* The reason phrase is the server's: return_error () makes it safe. */
      error = g_error_new (PCQ_ERROR, PCQ_ERROR_API, _("Server answered %u %s"),
                           status, reason != NULL ? reason : "");
      return_error (task, error);
      return;
    }

  if (soup_message_headers_get_content_length (soup_message_get_response_headers (self->msg))
      > PCQ_API_MODELS_MAX_BODY)
    {
      g_task_return_new_error (task, PCQ_ERROR, PCQ_ERROR_API,
                               _("The list of models is larger than %d MiB"),
                               PCQ_API_MODELS_MAX_BODY / (1024 * 1024));
      return;
    }

  self->body = g_byte_array_new ();
  read_more (g_steal_pointer (&task));
}

/**
 * pcq_api_list_models_async:
 * @base: an OpenAI-compatible base URL (the default when %NULL or empty)
 * @api_key: (nullable): sent as `Authorization: Bearer` when set
 * @cancellable: (nullable): ends the request
 *
 * Asks the server for the models it offers: one GET, not redirected
 * (the key must not follow it elsewhere), on the thread-default main
 * context, at most %PCQ_API_MODELS_MAX_BODY read.
 */
void
pcq_api_list_models_async (const char          *base,
                           const char          *api_key,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = pcq_api_models_url (base);
  g_autoptr(GUri) uri = NULL;
  GError *error = NULL;
  ListModels *self;
  SoupMessageHeaders *headers;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_api_list_models_async);
  self = g_new0 (ListModels, 1);
  if (api_key != NULL)
    self->api_key = g_strstrip (g_strdup (api_key));
  g_task_set_task_data (task, self, (GDestroyNotify) list_models_free);

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      g_clear_error (&error);
      g_task_return_new_error (task, PCQ_ERROR, PCQ_ERROR_API,
                               _("The base URL is not an http or https URL"));
      return;
    }

  if (!pcq_api_check_key (self->api_key, PCQ_API_KEY_FROM_ENTRY, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  self->session = soup_session_new_with_options ("timeout", MODELS_TIMEOUT_S,
                                                 "idle-timeout", MODELS_TIMEOUT_S,
                                                 NULL);
  self->msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  soup_message_add_flags (self->msg, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (self->msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (self->api_key != NULL && *self->api_key != '\0')
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", self->api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", authorization);
      memset (authorization, 0, strlen (authorization));
    }

  soup_session_send_async (self->session, self->msg, G_PRIORITY_DEFAULT, cancellable,
                           sent_cb, g_steal_pointer (&task));
}

/**
 * pcq_api_list_models_finish:
 *
 * Returns: (transfer full) (nullable): the model ids, sorted (perhaps
 *   none), or %NULL with @error set: a %G_IO_ERROR_CANCELLED when the
 *   request was cancelled, else a message fit to show
 */
GStrv
pcq_api_list_models_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
