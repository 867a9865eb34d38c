/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* API tasks against a loopback chat-completions server that runs in a
 * thread of its own. What the server does depends on the prompt's first
 * word, so that every case sends its own prompts. */

#define G_LOG_DOMAIN "test-api"

#define _GNU_SOURCE

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sqlite3.h>

#include "pcq-api.h"
#include "pcq-api-models.h"
#include "pcq-engine.h"
#include "pcq-test-engine.h"
#include "pcq-test-headless.h"
#include "pcq-test-server.h"
#include "pcq-test-soup-thread.h"
#include "pcq-test-util.h"
#include "pcq-error.h"
#include "pcq-job.h"
#include "pcq-keyring.h"
#include "pcq-store.h"
#include "store-support.h"


#define TEST_KEY "sk-test-0123456789-secret"
#define WAIT_MS 10000

/* ---- the server ----------------------------------------------------- */

typedef struct
{
  char   *prompt;
  char   *body;           /* the request body as sent */
  char   *authorization;
  char   *idempotency_key;
  gint64  when;           /* monotonic µs */
} Request;

typedef struct
{
  PcqTestSoupThread *soup;
  GMainContext *context;  /* the server thread's */
  char         *base;     /* http://127.0.0.1:PORT/v1 */

  GMutex        lock;
  GPtrArray    *requests; /* of Request, under @lock */
  GPtrArray    *held;     /* paused "hold " messages, under @lock */
  guint         max_held; /* the most held at once, under @lock */
} Server;

static Server server;

static void
request_free (Request *request)
{
  g_free (request->prompt);
  g_free (request->body);
  g_free (request->authorization);
  g_free (request->idempotency_key);
  g_free (request);
}

/* What the server answers to @prompt: byte-exact checks compare with it. */
static char *
expected_answer (const char *prompt)
{
  return g_strdup_printf ("# Answer\n\nYou asked: “%s”.\n\tTabs, \"quotes\", \\backslash\\, "
                          "ünïcödé ✓ and a line\r\nend.\n", prompt);
}

static guint
count_attempts_locked (const char *prompt)
{
  guint n = 0;

  for (guint i = 0; i < server.requests->len; i++)
    {
      Request *request = g_ptr_array_index (server.requests, i);

      if (g_strcmp0 (request->prompt, prompt) == 0)
        n++;
    }

  return n;
}

static void
respond_error (SoupServerMessage *msg,
               guint              status,
               const char        *message)
{
  g_autofree char *body = NULL;
  g_autofree char *escaped = g_strescape (message, NULL);

  body = g_strdup_printf ("{\"error\": {\"message\": \"%s\", \"type\": \"test\"}}", escaped);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

/* A whole chat-completions answer; with @usage (JSON text), its
 * "usage" member as given. */
static void
respond_plain_usage (SoupServerMessage *msg,
                     const char        *answer,
                     const char        *usage)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *body = NULL;
  gsize length;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "object");
  json_builder_add_string_value (builder, "chat.completion");
  json_builder_set_member_name (builder, "choices");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "index");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "message");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "assistant");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, answer);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "finish_reason");
  json_builder_add_string_value (builder, "stop");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  if (usage != NULL)
    {
      /* json-glib would not write the numbers no gint64 holds. */
      json[strlen (json) - 1] = '\0';
      body = g_strdup_printf ("%s, \"usage\": %s}", json, usage);
    }
  else
    body = g_steal_pointer (&json);
  length = strlen (body);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, length);
}

static void
respond_plain (SoupServerMessage *msg,
               const char        *answer)
{
  respond_plain_usage (msg, answer, NULL);
}

static char *
delta_event (const char *content)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "choices");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "delta");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, content);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "finish_reason");
  json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  return g_strdup_printf ("data: %s\n\n", json);
}

static void
append_static (SoupMessageBody *body,
               const char      *text)
{
  soup_message_body_append (body, SOUP_MEMORY_STATIC, text, strlen (text));
}

/* Server-sent events, in several chunks, with a comment, a role-only
 * first event, CRLF lines and the answer cut mid-character. */
static void
respond_stream_full (SoupServerMessage *msg,
                     const char        *answer,
                     const char        *tail,
                     gboolean           complete)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize length = strlen (answer);
  gsize cut = length / 3;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);

  append_static (body, ": keep-alive\n\n");
  append_static (body, "data: {\"choices\": [{\"delta\": {\"role\": \"assistant\"}}]}\r\n\r\n");

  /* Split inside the JSON of an event, too. */
  for (gsize start = 0, n; start < length; start += n)
    {
      g_autofree char *piece = NULL;
      g_autofree char *event = NULL;
      gsize half;

      n = MIN (MAX (cut, 1), length - start);
      /* Keep pieces valid UTF-8: move the cut back to a boundary. */
      while (start + n < length && (answer[start + n] & 0xC0) == 0x80)
        n--;
      piece = g_strndup (answer + start, n);
      event = delta_event (piece);
      half = strlen (event) / 2;
      soup_message_body_append (body, SOUP_MEMORY_COPY, event, half);
      soup_message_body_append (body, SOUP_MEMORY_COPY, event + half, strlen (event) - half);
    }

  append_static (body, "data: {\"choices\": [{\"delta\": {}, \"finish_reason\": \"stop\"}],"
                       " \"usage\": null}\n\n");
  if (tail != NULL)
    append_static (body, tail);
  /* Not complete: the body stays open, with no [DONE]. */
  if (!complete)
    return;
  append_static (body, "data: [DONE]\n\n");
  soup_message_body_complete (body);
}

static void
respond_stream (SoupServerMessage *msg,
                const char        *answer)
{
  respond_stream_full (msg, answer, NULL, TRUE);
}

/* "usage" members of whole answers, by the number after "usagejson ",
 * and what is kept of them. */
static const struct
{
  const char *json;
  gint64      prompt_tokens;
  gint64      completion_tokens;
} usages[] = {
  { "{\"prompt_tokens\": 120, \"completion_tokens\": 350, \"total_tokens\": 470}", 120, 350 },
  { "{\"prompt_tokens\": -5, \"completion_tokens\": 99999999999999999999}", -1, -1 },
  { "{\"prompt_tokens\": \"12\", \"completion_tokens\": 1.5}", -1, -1 },
  { "[120, 350]", -1, -1 },
  { "{\"prompt_tokens\": 9223372036854775807, \"completion_tokens\": 9223372036854775808}",
    G_MAXINT64, -1 },
  { "null", -1, -1 },
  { "{\"prompt_tokens\": 7, \"completion_tokens\": 1e3}", 7, -1 },
  { "{\"prompt_tokens\": true, \"completion_tokens\": {\"n\": 1}}", -1, -1 },
  { "{\"prompt_tokens\": 0, \"completion_tokens\": 18446744073709551617}", 0, -1 },
};

static void
chat_cb (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *answer = NULL;
  Request *request;
  JsonArray *messages;
  const char *prompt;
  guint attempt;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), NULL))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "expected a JSON POST");
      return;
    }

  messages = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "messages");
  prompt = json_object_get_string_member (json_array_get_object_element (messages,
                                                                         json_array_get_length (messages) - 1),
                                          "content");

  request = g_new0 (Request, 1);
  request->prompt = g_strdup (prompt);
  request->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  request->authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  request->idempotency_key = g_strdup (soup_message_headers_get_one (headers, "Idempotency-Key"));
  request->when = g_get_monotonic_time ();

  g_mutex_lock (&server.lock);
  g_ptr_array_add (server.requests, request);
  attempt = count_attempts_locked (prompt);
  g_mutex_unlock (&server.lock);

  answer = expected_answer (prompt);

  if (g_str_has_prefix (prompt, "plain "))
    respond_plain (msg, answer);
  else if (g_str_has_prefix (prompt, "usagejson "))
    {
      guint64 i = g_ascii_strtoull (prompt + strlen ("usagejson "), NULL, 10);

      respond_plain_usage (msg, answer, usages[MIN (i, G_N_ELEMENTS (usages) - 1)].json);
    }
  else if (g_str_has_prefix (prompt, "streamusage "))
    /* As OpenAI sends it: after the last choice, an event with no
     * choices and the counts; an earlier one is replaced. */
    respond_stream_full (msg, answer,
                         "data: {\"choices\": [], \"usage\": {\"prompt_tokens\": 1, "
                         "\"completion_tokens\": 1}}\n\n"
                         ": and the last one\n\n"
                         "data: {\"choices\": [], \"usage\": {\"prompt_tokens\": 11, "
                         "\"completion_tokens\": 22, \"total_tokens\": 33}}\n\n",
                         TRUE);
  else if (g_str_has_prefix (prompt, "streambadusage "))
    respond_stream_full (msg, answer,
                         "data: {\"choices\": [], \"usage\": {\"prompt_tokens\": -1, "
                         "\"completion_tokens\": \"22\"}}\n\n",
                         TRUE);
  else if (g_str_has_prefix (prompt, "streamopen "))
    /* No counts, no [DONE], no end of the body. */
    respond_stream_full (msg, answer, NULL, FALSE);
  else if (g_str_has_prefix (prompt, "stream "))
    respond_stream (msg, answer);
  else if (g_str_has_prefix (prompt, "fail401 "))
    respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "bad key");
  else if (g_str_has_prefix (prompt, "echo401 "))
    {
      g_autofree char *message = g_strdup_printf ("Incorrect API key provided: %s (%s)",
                                                  request->authorization + strlen ("Bearer "),
                                                  request->authorization);

      respond_error (msg, SOUP_STATUS_UNAUTHORIZED, message);
    }
  else if (g_str_has_prefix (prompt, "fail400 "))
    respond_error (msg, SOUP_STATUS_BAD_REQUEST, "the prompt is too long");
  else if (g_str_has_prefix (prompt, "slow429 ") && attempt == 1)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "1");
      respond_error (msg, 429, "rate limited, slow down");
    }
  else if (g_str_has_prefix (prompt, "hold ") ||
           (g_str_has_prefix (prompt, "holdonce ") && attempt == 1))
    {
      /* Answered by release_held (), so the test sees how many run at once. */
      soup_server_message_pause (msg);
      g_mutex_lock (&server.lock);
      g_ptr_array_add (server.held, g_object_ref (msg));
      server.max_held = MAX (server.max_held, server.held->len);
      g_mutex_unlock (&server.lock);
    }
  else if (g_str_has_prefix (prompt, "flaky500 ") && attempt <= 2)
    respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "overloaded");
  else
    respond_stream (msg, answer);
}

static void
file_cb (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "file\n", 5);
}

static gboolean
release_held_cb (gpointer data)
{
  g_autoptr(GPtrArray) held = NULL;

  g_mutex_lock (&server.lock);
  held = g_steal_pointer (&server.held);
  server.held = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&server.lock);

  for (guint i = 0; i < held->len; i++)
    {
      SoupServerMessage *msg = g_ptr_array_index (held, i);

      respond_plain (msg, "held\n");
      soup_server_message_unpause (msg);
    }

  return G_SOURCE_REMOVE;
}

/* Answers every held request, on the server's thread. */
static void
release_held (void)
{
  g_main_context_invoke (server.context, release_held_cb, NULL);
}

/* Forgets the held requests without answering them (their clients
 * are gone), on the server's thread. */
static gboolean
drop_held_cb (gpointer data)
{
  g_mutex_lock (&server.lock);
  g_ptr_array_set_size (server.held, 0);
  g_mutex_unlock (&server.lock);

  return G_SOURCE_REMOVE;
}

static guint
n_held (void)
{
  guint n;

  g_mutex_lock (&server.lock);
  n = server.held->len;
  g_mutex_unlock (&server.lock);

  return n;
}

/* GET {base}/models for the bases {root}/lists/KIND: what it answers
 * depends on KIND. The last Authorization header is kept. */
static char *models_authorization;

static void
models_cb (SoupServer        *soup_server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  const char *good = "{\"object\": \"list\", \"data\": ["
                     "{\"id\": \"zeta-2\", \"object\": \"model\"}, {\"id\": \"alpha\"}, "
                     "{\"id\": 7}, {\"id\": \"alpha\"}, \"beta\", {\"id\": \"\"}]}";
  const char *authorization;

  g_mutex_lock (&server.lock);
  g_free (models_authorization);
  authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                "Authorization");
  models_authorization = g_strdup (authorization);
  g_mutex_unlock (&server.lock);

  if (g_str_equal (path, "/v1/models") || g_str_equal (path, "/lists/good/models"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        good, strlen (good));
    }
  else if (g_str_equal (path, "/lists/huge/models"))
    {
      /* Endless, in chunks, with no length given. */
      SoupMessageBody *body = soup_server_message_get_response_body (msg);
      g_autofree char *filler = g_strnfill (64 * 1024, ' ');

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                         SOUP_ENCODING_CHUNKED);
      append_static (body, "{\"data\": [");
      for (guint i = 0; i < 20; i++)
        soup_message_body_append (body, SOUP_MEMORY_COPY, filler, strlen (filler));
      append_static (body, "]}");
      soup_message_body_complete (body);
    }
  else if (g_str_equal (path, "/lists/redirect/models"))
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, "/v1/models");
    }
  else if (g_str_equal (path, "/lists/hold/models"))
    {
      /* Never answered: the client cancels. */
      soup_server_message_pause (msg);
      g_mutex_lock (&server.lock);
      g_ptr_array_add (server.held, g_object_ref (msg));
      g_mutex_unlock (&server.lock);
    }
  else
    respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "no models here");
}

static void
setup_cb (SoupServer *soup_server,
          gpointer    user_data)
{
  soup_server_add_handler (soup_server, "/v1/models", models_cb, NULL, NULL);
  soup_server_add_handler (soup_server, "/lists", models_cb, NULL, NULL);
  soup_server_add_handler (soup_server, "/v1/chat/completions", chat_cb, NULL, NULL);
  soup_server_add_handler (soup_server, "/file", file_cb, NULL, NULL);
}

/* Held requests end with the server. */
static void
teardown_cb (SoupServer *soup_server,
             gpointer    user_data)
{
  g_mutex_lock (&server.lock);
  g_ptr_array_set_size (server.held, 0);
  g_mutex_unlock (&server.lock);
}

static void
server_start (void)
{
  g_mutex_init (&server.lock);
  server.requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  server.held = g_ptr_array_new_with_free_func (g_object_unref);
  server.soup = pcq_test_soup_thread_start ("test-api-server", "test-api ", FALSE, setup_cb, NULL);
  server.context = pcq_test_soup_thread_get_context (server.soup);
  server.base = g_strconcat (pcq_test_soup_thread_get_base (server.soup), "/v1", NULL);
}

static void
server_stop (void)
{
  pcq_test_soup_thread_stop (server.soup, teardown_cb, NULL);
  g_ptr_array_unref (server.requests);
  g_ptr_array_unref (server.held);
  g_free (server.base);
}

/* Copies of the requests that carried @prompt, in order. */
static GPtrArray *
requests_for (const char *prompt)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);

  g_mutex_lock (&server.lock);
  for (guint i = 0; i < server.requests->len; i++)
    {
      Request *request = g_ptr_array_index (server.requests, i);
      Request *copy;

      if (g_strcmp0 (request->prompt, prompt) != 0)
        continue;

      copy = g_memdup2 (request, sizeof *request);
      copy->prompt = g_strdup (request->prompt);
      copy->body = g_strdup (request->body);
      copy->authorization = g_strdup (request->authorization);
      copy->idempotency_key = g_strdup (request->idempotency_key);
      g_ptr_array_add (found, copy);
    }
  g_mutex_unlock (&server.lock);

  return found;
}

/* ---- helpers -------------------------------------------------------- */

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;

  return memmem (contents, length, needle, strlen (needle)) != NULL;
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

typedef struct
{
  char      *dir;
  char      *out;
  char      *store_path;
  PcqStore  *store;
  PcqEngine *engine;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("pcq-api-XXXXXX", &error);
  g_assert_no_error (error);
  f->out = g_build_filename (f->dir, "out", NULL);
  g_assert_cmpint (g_mkdir (f->out, 0700), ==, 0);
  f->store_path = g_build_filename (f->dir, "queue.sqlite", NULL);

  f->store = pcq_test_store_open (f->store_path);

  f->engine = pcq_engine_new ();
  pcq_engine_set_store (f->engine, f->store);
  pcq_engine_set_api_base (f->engine, server.base);
  pcq_engine_set_model (f->engine, "test-model");
  g_object_set (f->engine, "retry-base-delay", 10, NULL);
  g_assert_true (pcq_engine_has_api_key (f->engine));
}

static void
fixture_close (Fixture *f)
{
  if (f->engine == NULL)
    return;

  pcq_test_engine_shutdown (f->engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  g_clear_object (&f->engine);
  pcq_store_close (f->store);
  g_clear_object (&f->store);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  fixture_close (f);
  pcq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->out);
  g_free (f->store_path);
}

static PcqJob *
ask (Fixture    *f,
     const char *prompt,
     const char *name)
{
  return g_object_ref (pcq_engine_submit_prompt (f->engine, prompt, f->out, name));
}

/* ---- unit cases ----------------------------------------------------- */

static void
test_request_body (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *url = NULL;
  JsonObject *root;
  JsonArray *messages;
  gsize length;

  json = pcq_api_build_request ("m1", "Be brief.", "Hi \"there\"", TRUE, &length);
  g_assert_cmpuint (length, ==, strlen (json));
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);

  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "model"), ==, "m1");
  g_assert_true (json_object_get_boolean_member (root, "stream"));
  messages = json_object_get_array_member (root, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"),
                   ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "content"),
                   ==, "Be brief.");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "role"),
                   ==, "user");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"),
                   ==, "Hi \"there\"");

  g_clear_pointer (&json, g_free);
  json = pcq_api_build_request (NULL, NULL, "x", FALSE, NULL);
  g_assert_cmpstr (json, ==, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":false}");

  url = pcq_api_chat_url ("http://h:1/v1//");
  g_assert_cmpstr (url, ==, "http://h:1/v1/chat/completions");
  g_clear_pointer (&url, g_free);
  url = pcq_api_chat_url (NULL);
  g_assert_cmpstr (url, ==, PCQ_API_DEFAULT_BASE "/chat/completions");
}

static void
test_slug (void)
{
  struct { const char *prompt; const char *slug; } cases[] = {
    { "What's the capital of France?", "whats-the-capital-of-france" },
    { "  Écris un poème\nsur la mer  ", "écris-un-poème-sur-la-mer" },
    { "../../etc/passwd", "etc-passwd" },
    { "one two three four five six seven eight nine ten", "one-two-three-four-five-six-seven-eight" },
    { "?!…", "answer" },
    { "", "answer" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *slug = pcq_api_slug (cases[i].prompt);

      g_assert_cmpstr (slug, ==, cases[i].slug);
    }

  {
    g_autofree char *long_prompt = g_strnfill (500, 'a');
    g_autofree char *slug = pcq_api_slug (long_prompt);

    g_assert_cmpuint (strlen (slug), <=, 60);
  }
}

/* json-glib 1.6 quotes what it could not read in its error, bytes that
 * are not UTF-8 included: the message Pcq makes of it is text (the
 * input fuzz-api found, tests/fuzz/corpus/fuzz-api/json-error-bytes). */
static void
test_parse_error_text (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", "fuzz-api",
                                                 "json-error-bytes", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *input = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *body = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &input, &length, NULL));
  g_assert_cmpuint (length, >, 1);
  /* The first byte is the fuzz target's own (how the stream arrives);
   * the body has no NUL after it, as a server's has none. */
  body = g_memdup2 (input + 1, length - 1);
  answer = pcq_api_parse_answer (body, length - 1, NULL, &error);
  g_assert_null (answer);
  g_assert_nonnull (error);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
test_parse (void)
{
  const char *events = ": comment\r\n\r\n"
                       "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
                       "event: message\n"
                       "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                       "data:{\"choices\":[{\"delta\":{\"content\":\"lo ✓\\n\"}}]}\r\n\r\n"
                       "data: [DONE]\n\n"
                       "data: {\"choices\":[{\"delta\":{\"content\":\"ignored\"}}]}\n\n";
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *message = NULL;
  g_autofree char *redacted = NULL;

  /* Fed one byte at a time, and all at once: the same text. */
  for (guint step = 1; step <= 2; step++)
    {
      g_autoptr(PcqApiStream) stream = pcq_api_stream_new ();
      g_autoptr(GString) content = g_string_new (NULL);
      gsize length = strlen (events);

      for (gsize i = 0; i < length; i += (step == 1 ? 1 : length))
        {
          g_assert_true (pcq_api_stream_feed (stream, events + i, step == 1 ? 1 : length,
                                              content, &error));
          g_assert_no_error (error);
        }
      g_assert_true (pcq_api_stream_is_done (stream));
      g_assert_cmpstr (content->str, ==, "Hello ✓\n");
    }

  /* Token counts: from the last event that has any, only whole
   * non-negative numbers; none before. */
  {
    g_autoptr(PcqApiStream) stream = pcq_api_stream_new ();
    g_autoptr(GString) content = g_string_new (NULL);
    const char *counted = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n"
                          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n"
                          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":-6}}\n\n"
                          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":\"7\"}}\n\n"
                          "data: [DONE]\n\n"
                          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":9}}\n\n";
    PcqApiUsage usage;

    g_assert_false (pcq_api_stream_get_usage (stream, &usage));
    g_assert_cmpint (usage.prompt_tokens, ==, -1);
    g_assert_true (pcq_api_stream_feed (stream, counted, strlen (counted), content, &error));
    g_assert_no_error (error);
    g_assert_true (pcq_api_stream_saw_done (stream));
    g_assert_true (pcq_api_stream_get_usage (stream, &usage));
    g_assert_cmpint (usage.prompt_tokens, ==, 5);
    g_assert_cmpint (usage.completion_tokens, ==, -1);
  }

  {
    g_autoptr(PcqApiStream) stream = pcq_api_stream_new ();
    g_autoptr(GString) content = g_string_new (NULL);
    const char *bad = "data: {\"error\": {\"message\": \"model overloaded\"}}\n";

    g_assert_false (pcq_api_stream_feed (stream, bad, strlen (bad), content, &error));
    g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
    g_assert_nonnull (strstr (error->message, "model overloaded"));
    g_clear_error (&error);
  }

  answer = pcq_api_parse_answer ("{\"choices\":[{\"message\":{\"content\":\"42\"}}]}", -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (answer, ==, "42");

  g_assert_null (pcq_api_parse_answer ("{\"choices\":[]}", -1, NULL, &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
  g_clear_error (&error);
  g_assert_null (pcq_api_parse_answer ("<html>", -1, NULL, &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
  g_clear_error (&error);

  message = pcq_api_parse_error ("{\"error\":{\"message\":\"bad key\",\"code\":401}}", -1);
  g_assert_cmpstr (message, ==, "bad key");
  g_assert_null (pcq_api_parse_error ("not json", -1));
  /* Members of the wrong kind are no message, and no critical (found
   * by fuzz-api: a "message" that was an object). */
  g_assert_null (pcq_api_parse_error ("{\"message\":{}}", -1));
  g_assert_null (pcq_api_parse_error ("{\"message\":[1]}", -1));
  g_assert_null (pcq_api_parse_error ("{\"error\":{\"message\":{}}}", -1));
  g_assert_null (pcq_api_parse_error ("{\"error\":[\"x\"]}", -1));
  g_assert_null (pcq_api_parse_error ("{\"error\":7}", -1));
  g_clear_pointer (&message, g_free);
  message = pcq_api_parse_error ("{\"error\":\"plain\"}", -1);
  g_assert_cmpstr (message, ==, "plain");

  redacted = pcq_api_redact ("key sk-1 and sk-1 again", "sk-1");
  g_assert_cmpstr (redacted, ==, "key [redacted] and [redacted] again");
}

static GStrv
parse_models (const char  *json,
              GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));

  return pcq_api_parse_models (bytes, error);
}

/* GET {base}/models answers: good ones, wrong types, a huge one,
 * ids that are no names to offer. */
static void
test_parse_models (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  g_autoptr(GString) many = g_string_new ("{\"data\": [");
  g_autoptr(GBytes) huge = NULL;
  const char *bad_bodies[] = {
    "",
    "not json",
    "[{\"id\": \"a\"}]",
    "{\"data\": {\"id\": \"a\"}}",
    "{\"data\": \"a\"}",
    "{\"data\": null}",
    "{\"models\": []}",
  };

  models = parse_models ("{\"object\": \"list\", \"data\": [{\"id\": \"m2\", \"owned_by\": \"x\"}, "
                         "{\"id\": \"m1\", \"created\": 1}, {\"id\": \"ünï-✓\"}]}", &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (models, ((const char *[]) { "m1", "m2", "ünï-✓", NULL }));
  g_clear_pointer (&models, g_strfreev);

  /* An empty list is a list. */
  models = parse_models ("{\"data\": []}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (models), ==, 0);
  g_clear_pointer (&models, g_strfreev);

  for (guint i = 0; i < G_N_ELEMENTS (bad_bodies); i++)
    {
      g_assert_null (parse_models (bad_bodies[i], &error));
      g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
      g_clear_error (&error);
    }

  /* An error object: its message, made safe. */
  g_assert_null (parse_models ("{\"error\": {\"message\": \"no\\u001b[2J access\"}}", &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
  g_assert_nonnull (strstr (error->message, "access"));
  g_assert_null (strchr (error->message, '\033'));
  g_clear_error (&error);

  /* Entries of the wrong kind, and ids that are no name to offer: left out. */
  {
    g_autofree char *long_id = g_strnfill (300, 'x');
    g_autofree char *json = g_strdup_printf ("{\"data\": [1, \"s\", null, [], {}, {\"id\": null}, "
                                             "{\"id\": 3}, {\"id\": {}}, {\"id\": [\"a\"]}, "
                                             "{\"id\": \"\"}, {\"id\": \"a\\nb\"}, "
                                             "{\"id\": \"x\\u202Eexe\"}, {\"id\": \"c\\u007fd\"}, "
                                             "{\"id\": \"%s\"}, {\"id\": \"ok\"}, {\"id\": \"ok\"}]}",
                                             long_id);

    models = parse_models (json, &error);
    g_assert_no_error (error);
    g_assert_cmpstrv (models, ((const char *[]) { "ok", NULL }));
    g_clear_pointer (&models, g_strfreev);
  }

  /* Bytes that are not UTF-8, raw and as escapes json-glib lets through. */
  models = parse_models ("{\"data\": [{\"id\": \"bad\xff\xfe\"}, {\"id\": \"fine\"}]}", &error);
  if (models != NULL)
    {
      for (guint i = 0; models[i] != NULL; i++)
        g_assert_true (g_utf8_validate (models[i], -1, NULL));
      g_clear_pointer (&models, g_strfreev);
    }
  g_clear_error (&error);
  models = parse_models ("{\"data\": [{\"id\": \"lone\\ud800\"}, {\"id\": \"fine\"}]}", &error);
  if (models != NULL)
    {
      for (guint i = 0; models[i] != NULL; i++)
        g_assert_true (g_utf8_validate (models[i], -1, NULL));
      g_clear_pointer (&models, g_strfreev);
    }
  g_clear_error (&error);

  /* At most PCQ_API_MODELS_MAX. */
  for (guint i = 0; i < PCQ_API_MODELS_MAX + 500; i++)
    g_string_append_printf (many, "%s{\"id\": \"m%05u\"}", i > 0 ? ", " : "", i);
  g_string_append (many, "]}");
  models = parse_models (many->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (models), ==, PCQ_API_MODELS_MAX);
  g_assert_cmpstr (models[0], ==, "m00000");
  g_clear_pointer (&models, g_strfreev);

  /* Over 1 MiB: refused before it is parsed. */
  g_string_truncate (many, 0);
  g_string_append (many, "{\"data\": [");
  while (many->len <= PCQ_API_MODELS_MAX_BODY)
    g_string_append (many, "{\"id\": \"m\"}, ");
  g_string_append (many, "{\"id\": \"m\"}]}");
  huge = g_bytes_new (many->str, many->len);
  g_assert_null (pcq_api_parse_models (huge, &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
  g_clear_error (&error);

  /* Nested deep: refused, not a stack overflow. */
  {
    g_autofree char *open = g_strnfill (100000, '[');
    g_autofree char *json = g_strconcat ("{\"data\": ", open, NULL);

    g_assert_null (parse_models (json, &error));
    g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
    g_clear_error (&error);
  }
}

static void
models_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GStrv
list_models (const char    *base,
             const char    *api_key,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pcq_api_list_models_async (base, api_key, cancellable, models_done_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, WAIT_MS);
  return pcq_api_list_models_finish (result, error);
}

static char *
lists_base (const char *kind)
{
  return g_strconcat (pcq_test_soup_thread_get_base (server.soup), "/lists/", kind, NULL);
}

static char *
dup_models_authorization (void)
{
  char *authorization;

  g_mutex_lock (&server.lock);
  authorization = g_strdup (models_authorization);
  g_mutex_unlock (&server.lock);

  return authorization;
}

static gboolean
cancel_later_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* GET {base}/models against the loopback server. */
static void
test_list_models (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *base = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  /* With a key, sent as a bearer token (the trailing slash is no matter). */
  base = g_strconcat (server.base, "/", NULL);
  models = list_models (base, " " TEST_KEY "\n", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (models, ((const char *[]) { "alpha", "zeta-2", NULL }));
  authorization = dup_models_authorization ();
  g_assert_cmpstr (authorization, ==, "Bearer " TEST_KEY);
  g_clear_pointer (&models, g_strfreev);
  g_clear_pointer (&authorization, g_free);
  g_clear_pointer (&base, g_free);

  /* Without one, none. */
  base = lists_base ("good");
  models = list_models (base, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (models), ==, 2);
  authorization = dup_models_authorization ();
  g_assert_null (authorization);
  g_clear_pointer (&models, g_strfreev);
  g_clear_pointer (&base, g_free);

  /* A server error: the status, for the message. */
  base = lists_base ("none");
  g_assert_null (list_models (base, TEST_KEY, NULL, &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
  g_assert_nonnull (strstr (error->message, "500"));
  g_clear_error (&error);
  g_clear_pointer (&base, g_free);

  /* A redirect is not followed: the key would go with it. */
  base = lists_base ("redirect");
  g_assert_null (list_models (base, TEST_KEY, NULL, &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
  g_assert_nonnull (strstr (error->message, "302"));
  g_clear_error (&error);
  g_clear_pointer (&base, g_free);

  /* Over 1 MiB without a length: refused as it comes. */
  base = lists_base ("huge");
  g_assert_null (list_models (base, NULL, NULL, &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
  g_assert_nonnull (strstr (error->message, "larger than 1 MiB"));
  g_clear_error (&error);
  g_clear_pointer (&base, g_free);

  /* A key with a line break is not sent. */
  g_assert_null (list_models (server.base, "sk-1\r\nX-Injected: 1", NULL, &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API_KEY);
  g_clear_error (&error);

  /* No http URL, no request. */
  g_assert_null (list_models ("file:///etc", NULL, NULL, &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API);
  g_clear_error (&error);

  /* Cancelled while the server holds the answer. */
  base = lists_base ("hold");
  g_timeout_add (50, cancel_later_cb, cancellable);
  g_assert_null (list_models (base, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_main_context_invoke (server.context, drop_held_cb, NULL);
}

/* ---- engine cases --------------------------------------------------- */

static GStrv
engine_list_models (PcqEngine  *engine,
                    GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pcq_engine_list_models_async (engine, NULL, models_done_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, WAIT_MS);
  return pcq_engine_list_models_finish (engine, result, error);
}

/* The engine asks its base with its key, which the caller never sees;
 * a refused key sends nothing. */
static void
test_engine_models (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) refused = NULL;
  g_auto(GStrv) models = NULL;
  g_autofree char *authorization = NULL;

  models = engine_list_models (f->engine, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (models, ((const char *[]) { "alpha", "zeta-2", NULL }));
  authorization = dup_models_authorization ();
  g_assert_cmpstr (authorization, ==, "Bearer " TEST_KEY);
  g_clear_pointer (&authorization, g_free);

  g_mutex_lock (&server.lock);
  g_clear_pointer (&models_authorization, g_free);
  g_mutex_unlock (&server.lock);
  g_set_error_literal (&refused, PCQ_ERROR, PCQ_ERROR_API_KEY, "refused for the test");
  pcq_engine_refuse_api_key (f->engine, refused);
  g_assert_null (engine_list_models (f->engine, &error));
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_API_KEY);
  g_assert_cmpstr (error->message, ==, "refused for the test");
  authorization = dup_models_authorization ();
  g_assert_null (authorization);
}

static void
assert_saved (PcqJob     *job,
              const char *dir,
              const char *file_name,
              const char *prompt)
{
  g_autofree char *expected_path = g_build_filename (dir, file_name, NULL);
  g_autofree char *expected = expected_answer (prompt);
  g_autofree char *contents = NULL;

  g_assert_cmpstr (pcq_job_get_error (job), ==, NULL);
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_DONE);
  g_assert_cmpstr (pcq_job_get_output_path (job), ==, expected_path);
  contents = read_file (expected_path);
  g_assert_cmpstr (contents, ==, expected);
  g_assert_cmpint (pcq_job_get_bytes (job), ==, strlen (expected));
}

static void
test_answers_saved (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(PcqJob) plain = NULL;
  g_autoptr(PcqJob) streamed = NULL;
  g_autoptr(PcqJob) again = NULL;
  g_autoptr(PcqJob) named = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *notice = NULL;
  JsonObject *root;
  PcqStore *store;

  pcq_engine_set_system_prompt (f->engine, "Answer in Markdown.");
  plain = ask (f, "plain What is a queue?", NULL);
  streamed = ask (f, "stream Tell me about threads", NULL);
  g_assert_cmpint (pcq_job_get_kind (plain), ==, PCQ_JOB_ASK);
  g_assert_cmpstr (pcq_job_get_prompt (plain), ==, "plain What is a queue?");
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (plain) && pcq_job_is_finished (streamed), WAIT_MS);

  assert_saved (plain, f->out, "plain-what-is-a-queue.md", "plain What is a queue?");
  assert_saved (streamed, f->out, "stream-tell-me-about-threads.md", "stream Tell me about threads");
  g_assert_cmpuint (pcq_job_get_attempts (plain), ==, 1);

  /* The same prompt again: a numbered name, the first one untouched. */
  again = ask (f, "plain What is a queue?", NULL);
  named = ask (f, "stream Named output", "answer.txt");
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (again) && pcq_job_is_finished (named), WAIT_MS);
  g_assert_cmpint (pcq_job_get_state (again), ==, PCQ_JOB_DONE);
  g_assert_cmpstr (pcq_job_get_output_path (again), !=, pcq_job_get_output_path (plain));
  g_assert_true (g_str_has_suffix (pcq_job_get_output_path (again), ".md"));
  assert_saved (named, f->out, "answer.txt", "stream Named output");
  assert_saved (plain, f->out, "plain-what-is-a-queue.md", "plain What is a queue?");

  /* What was sent. */
  requests = requests_for ("stream Tell me about threads");
  g_assert_cmpuint (requests->len, ==, 1);
  json_parser_load_from_data (parser, ((Request *) requests->pdata[0])->body, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "model"), ==, "test-model");
  g_assert_true (json_object_get_boolean_member (root, "stream"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "messages")), ==, 2);
  g_assert_cmpstr (((Request *) requests->pdata[0])->authorization, ==, "Bearer " TEST_KEY);
  g_assert_nonnull (((Request *) requests->pdata[0])->idempotency_key);

  /* The store gives the API tasks back as they were. */
  fixture_close (f);
  store = pcq_store_new (f->store_path);
  records = pcq_store_open_sync (store, 0, &notice, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 4);
  for (guint i = 0; i < records->len; i++)
    {
      PcqStoreRecord *record = g_ptr_array_index (records, i);

      g_assert_cmpint (record->kind, ==, PCQ_JOB_ASK);
      g_assert_cmpint (record->state, ==, PCQ_JOB_DONE);
      g_assert_true (g_str_has_prefix (record->url, server.base));
      g_assert_true (g_str_has_suffix (record->url, "/chat/completions"));
    }
  g_assert_cmpstr (((PcqStoreRecord *) records->pdata[0])->prompt, ==, "plain What is a queue?");
  g_assert_cmpstr (((PcqStoreRecord *) records->pdata[3])->name, ==, "answer.txt");
  pcq_store_close (store);
  g_object_unref (store);
}

static JsonObject *
request_root (JsonParser *parser,
              const char *prompt)
{
  g_autoptr(GPtrArray) requests = requests_for (prompt);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (requests->len, ==, 1);
  json_parser_load_from_data (parser, ((Request *) requests->pdata[0])->body, -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* The token counts a server reports: whole or streamed (asked for with
 * include_usage), only non-negative integers that fit in gint64, kept
 * in the store and summed by the engine, restored so. */
static void
test_usage (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PcqJob) streamed = NULL;
  g_autoptr(PcqJob) streamed_bad = NULL;
  g_autoptr(PcqJob) plain = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PcqStore) store = NULL;
  g_autoptr(PcqEngine) engine = NULL;
  JsonObject *root;
  JsonNode *options;
  gint64 prompt_tokens, completion_tokens;
  gint64 want_prompt = 11, want_completion = 22;

  for (guint i = 0; i < G_N_ELEMENTS (usages); i++)
    {
      g_autofree char *prompt = g_strdup_printf ("usagejson %u answer", i);

      g_ptr_array_add (jobs, ask (f, prompt, NULL));
    }
  streamed = ask (f, "streamusage Count me", NULL);
  streamed_bad = ask (f, "streambadusage Count me not", NULL);
  plain = ask (f, "stream No counts at all", NULL);
  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_done (f->engine) == jobs->len + 3, WAIT_MS);

  for (guint i = 0; i < jobs->len; i++)
    {
      PcqJob *job = jobs->pdata[i];

      g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_DONE);
      g_assert_cmpint (pcq_job_get_prompt_tokens (job), ==, usages[i].prompt_tokens);
      g_assert_cmpint (pcq_job_get_completion_tokens (job), ==, usages[i].completion_tokens);
    }
  assert_saved (streamed, f->out, "streamusage-count-me.md", "streamusage Count me");
  g_assert_cmpint (pcq_job_get_prompt_tokens (streamed), ==, 11);
  g_assert_cmpint (pcq_job_get_completion_tokens (streamed), ==, 22);
  assert_saved (streamed_bad, f->out, "streambadusage-count-me-not.md", "streambadusage Count me not");
  g_assert_cmpint (pcq_job_get_prompt_tokens (streamed_bad), ==, -1);
  g_assert_cmpint (pcq_job_get_completion_tokens (streamed_bad), ==, -1);
  g_assert_cmpint (pcq_job_get_prompt_tokens (plain), ==, -1);
  g_assert_cmpint (pcq_job_get_completion_tokens (plain), ==, -1);

  /* The streamed requests asked for the counts. */
  root = request_root (parser, "streamusage Count me");
  g_assert_true (json_object_get_boolean_member (root, "stream"));
  options = json_object_get_member (root, "stream_options");
  g_assert_nonnull (options);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (options));
  g_assert_true (json_object_get_boolean_member (json_node_get_object (options), "include_usage"));

  /* The sums: saturated by the one at G_MAXINT64. */
  for (guint i = 0; i < G_N_ELEMENTS (usages); i++)
    {
      if (usages[i].prompt_tokens > 0)
        want_prompt = usages[i].prompt_tokens > G_MAXINT64 - want_prompt
                      ? G_MAXINT64 : want_prompt + usages[i].prompt_tokens;
      if (usages[i].completion_tokens > 0)
        want_completion += usages[i].completion_tokens;
    }
  pcq_engine_get_tokens (f->engine, &prompt_tokens, &completion_tokens);
  g_assert_cmpint (prompt_tokens, ==, G_MAXINT64);
  g_assert_cmpint (prompt_tokens, ==, want_prompt);
  g_assert_cmpint (completion_tokens, ==, want_completion);
  g_assert_cmpint (completion_tokens, ==, 372);

  /* The one with 9223372036854775807 leaves the list: the sum stays
   * saturated (what it was without it is not known). */
  pcq_engine_remove (f->engine, jobs->pdata[4]);
  pcq_engine_get_tokens (f->engine, &prompt_tokens, &completion_tokens);
  g_assert_cmpint (completion_tokens, ==, 372);
  pcq_engine_remove (f->engine, jobs->pdata[0]);
  pcq_engine_get_tokens (f->engine, &prompt_tokens, &completion_tokens);
  g_assert_cmpint (completion_tokens, ==, 22);

  /* Kept across a restart, and summed again. */
  fixture_close (f);
  store = pcq_store_new (f->store_path);
  records = pcq_store_open_sync (store, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, jobs->len + 3 - 2);
  for (guint i = 0; i < records->len; i++)
    {
      PcqStoreRecord *record = records->pdata[i];

      if (g_str_equal (record->prompt, "streamusage Count me"))
        {
          g_assert_cmpint (record->prompt_tokens, ==, 11);
          g_assert_cmpint (record->completion_tokens, ==, 22);
        }
      else if (g_str_equal (record->prompt, "usagejson 6 answer"))
        {
          g_assert_cmpint (record->prompt_tokens, ==, 7);
          g_assert_cmpint (record->completion_tokens, ==, -1);
        }
      else if (g_str_equal (record->prompt, "usagejson 8 answer"))
        {
          g_assert_cmpint (record->prompt_tokens, ==, 0);
          g_assert_cmpint (record->completion_tokens, ==, -1);
        }
      else
        {
          g_assert_cmpint (record->prompt_tokens, ==, -1);
          g_assert_cmpint (record->completion_tokens, ==, -1);
        }
    }

  engine = pcq_engine_new ();
  pcq_engine_restore (engine, records, PCQ_RESTORE_UNFINISHED | PCQ_RESTORE_FINISHED);
  pcq_engine_get_tokens (engine, &prompt_tokens, &completion_tokens);
  g_assert_cmpint (prompt_tokens, ==, 11 + 7);
  g_assert_cmpint (completion_tokens, ==, 22);
  for (guint i = 0; i < g_list_model_get_n_items (pcq_engine_get_jobs (engine)); i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (pcq_engine_get_jobs (engine), i);

      if (g_str_equal (pcq_job_get_prompt (job), "streamusage Count me"))
        {
          g_assert_cmpint (pcq_job_get_prompt_tokens (job), ==, 11);
          g_assert_cmpint (pcq_job_get_completion_tokens (job), ==, 22);
        }
    }
  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  pcq_store_close (store);
}

/* A stream that ends its last choice and then neither sends the counts
 * nor [DONE] nor ends its body: the answer is saved once the short wait
 * for the counts is over, not after the stall timeout. */
static void
test_usage_stream_open (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(PcqJob) job = ask (f, "streamopen And then nothing", NULL);
  gint64 started = g_get_monotonic_time ();

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), WAIT_MS);
  assert_saved (job, f->out, "streamopen-and-then-nothing.md", "streamopen And then nothing");
  g_assert_cmpint (pcq_job_get_prompt_tokens (job), ==, -1);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_USEC_PER_SEC);
}

static void
test_unauthorized (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(PcqJob) job = ask (f, "fail401 Who am I?", NULL);
  g_autoptr(PcqJob) echo = ask (f, "echo401 Show my key", NULL);
  g_autoptr(GPtrArray) requests = NULL;
  g_autofree char *wal = NULL;

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job) && pcq_job_is_finished (echo), WAIT_MS);

  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_FAILED);
  g_assert_cmpstr (pcq_job_get_error (job), ==, "Server answered 401 Unauthorized: bad key");
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);
  requests = requests_for ("fail401 Who am I?");
  g_assert_cmpuint (requests->len, ==, 1);
  g_assert_null (pcq_job_get_output_path (job));

  /* A server that repeats the key: the message shown does not. */
  g_assert_cmpint (pcq_job_get_state (echo), ==, PCQ_JOB_FAILED);
  g_assert_null (strstr (pcq_job_get_error (echo), TEST_KEY));
  g_assert_nonnull (strstr (pcq_job_get_error (echo), "Incorrect API key provided: [redacted]"));

  /* Nor does the store, in its file or its log. */
  wal = g_strconcat (f->store_path, "-wal", NULL);
  g_assert_false (file_contains (f->store_path, TEST_KEY));
  g_assert_false (file_contains (wal, TEST_KEY));
  fixture_close (f);
  g_assert_true (g_file_test (f->store_path, G_FILE_TEST_EXISTS));
  g_assert_true (file_contains (f->store_path, "echo401 Show my key"));
  g_assert_true (file_contains (f->store_path, "[redacted]"));
  g_assert_false (file_contains (f->store_path, TEST_KEY));
  g_assert_false (file_contains (wal, TEST_KEY));
}

static void
test_bad_request_not_retried (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(PcqJob) job = ask (f, "fail400 A very long prompt", NULL);
  g_autoptr(GPtrArray) requests = NULL;

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), WAIT_MS);

  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_FAILED);
  g_assert_cmpstr (pcq_job_get_error (job), ==, "Server answered 400 Bad Request: the prompt is too long");
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 1);
  requests = requests_for ("fail400 A very long prompt");
  g_assert_cmpuint (requests->len, ==, 1);
}

static void
test_rate_limited (Fixture       *f,
                   gconstpointer  data)
{
  const char *prompt = "slow429 Wait for it";
  g_autoptr(PcqJob) job = ask (f, prompt, NULL);
  g_autoptr(GPtrArray) requests = NULL;
  Request *first, *second;

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), WAIT_MS);

  assert_saved (job, f->out, "slow429-wait-for-it.md", prompt);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 2);

  requests = requests_for (prompt);
  g_assert_cmpuint (requests->len, ==, 2);
  first = requests->pdata[0];
  second = requests->pdata[1];
  /* Retry-After: 1, not the 10 ms backoff. */
  g_assert_cmpint (second->when - first->when, >=, 900 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpstr (first->idempotency_key, ==, second->idempotency_key);
}

static void
test_idempotency_key (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(PcqJob) flaky = ask (f, "flaky500 Try again", NULL);
  g_autoptr(PcqJob) other = ask (f, "plain Another task", NULL);
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GPtrArray) others = NULL;

  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (flaky) && pcq_job_is_finished (other), WAIT_MS);

  assert_saved (flaky, f->out, "flaky500-try-again.md", "flaky500 Try again");
  g_assert_cmpuint (pcq_job_get_attempts (flaky), ==, 3);

  requests = requests_for ("flaky500 Try again");
  g_assert_cmpuint (requests->len, ==, 3);
  for (guint i = 0; i < requests->len; i++)
    {
      Request *request = requests->pdata[i];

      g_assert_nonnull (request->idempotency_key);
      g_assert_cmpstr (request->idempotency_key, ==, ((Request *) requests->pdata[0])->idempotency_key);
      g_assert_cmpstr (request->body, ==, ((Request *) requests->pdata[0])->body);
    }

  /* Another job has a key of its own. */
  others = requests_for ("plain Another task");
  g_assert_cmpuint (others->len, ==, 1);
  g_assert_cmpstr (((Request *) others->pdata[0])->idempotency_key, !=,
                   ((Request *) requests->pdata[0])->idempotency_key);
}

static void
test_connection_refused (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PcqJob) job = NULL;
  g_autofree char *base = NULL;

  /* A port that is bound but not listening refuses connections. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  base = g_strdup_printf ("http://127.0.0.1:%u/v1",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  pcq_engine_set_retries (f->engine, 2);
  pcq_engine_set_api_base (f->engine, base);
  job = ask (f, "plain Nobody there", NULL);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), WAIT_MS);

  /* Never sent, so sent again: every attempt was made. */
  g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_FAILED);
  g_assert_cmpuint (pcq_job_get_attempts (job), ==, 3);
  g_assert_nonnull (pcq_job_get_error (job));
  g_assert_null (strstr (pcq_job_get_error (job), TEST_KEY));
}

static void
test_store_migration (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pcq-api-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "queue.sqlite", NULL);
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *notice = NULL;
  PcqStoreRecord *record;
  PcqStore *store;
  sqlite3 *db;

  /* A version 1 queue, as the previous release wrote it. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "CREATE TABLE jobs (id INTEGER PRIMARY KEY, url TEXT NOT NULL,"
                                 " output_dir TEXT NOT NULL, name TEXT, state INTEGER NOT NULL,"
                                 " bytes INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT -1,"
                                 " attempts INTEGER NOT NULL DEFAULT 0, error TEXT, output_path TEXT,"
                                 " validator TEXT, created INTEGER NOT NULL,"
                                 " finished INTEGER NOT NULL DEFAULT 0);"
                                 "CREATE INDEX jobs_finished ON jobs (finished) WHERE finished > 0;"
                                 "INSERT INTO jobs (id, url, output_dir, name, state, bytes, total,"
                                 " attempts, error, output_path, validator, created, finished)"
                                 " VALUES (7, 'http://127.0.0.1:1/a', '/tmp/x', 'a.bin', 3, 5, 10, 2,"
                                 " 'boom', '/tmp/x/a.bin', '\"v\"', 100, 200);"
                                 "PRAGMA user_version = 1;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = pcq_store_new (path);
  records = pcq_store_open_sync (store, 0, &notice, &error);
  g_assert_no_error (error);
  g_assert_null (notice);
  g_assert_cmpuint (records->len, ==, 1);
  record = records->pdata[0];
  g_assert_cmpint (record->kind, ==, PCQ_JOB_DOWNLOAD);
  g_assert_null (record->prompt);
  g_assert_cmpuint (record->id, ==, 7);
  g_assert_cmpstr (record->url, ==, "http://127.0.0.1:1/a");
  g_assert_cmpstr (record->name, ==, "a.bin");
  g_assert_cmpint (record->state, ==, PCQ_JOB_FAILED);
  g_assert_cmpint (record->bytes, ==, 5);
  g_assert_cmpint (record->total, ==, 10);
  g_assert_cmpuint (record->attempts, ==, 2);
  g_assert_cmpstr (record->error, ==, "boom");
  g_assert_cmpstr (record->output_path, ==, "/tmp/x/a.bin");
  g_assert_cmpstr (record->validator, ==, "\"v\"");
  g_assert_cmpint (record->created, ==, 100);
  g_assert_cmpint (record->finished, ==, 200);
  /* No usage was kept then: unknown, not zero. */
  g_assert_cmpint (record->prompt_tokens, ==, -1);
  g_assert_cmpint (record->completion_tokens, ==, -1);

  /* Every field of an API task round-trips. */
  {
    PcqStoreRecord put = {
      .id = 8, .kind = PCQ_JOB_ASK, .prompt = (char *) "Why?\nBecause.",
      .url = (char *) "http://127.0.0.1:1/v1/chat/completions", .output_dir = (char *) "/tmp/x",
      .name = (char *) "why.md", .state = PCQ_JOB_QUEUED, .bytes = 3, .total = -1, .attempts = 1,
      .error = (char *) "e", .output_path = (char *) "/tmp/x/why.md", .validator = NULL,
      .created = 300, .finished = 0, .prompt_tokens = 120, .completion_tokens = G_MAXINT64,
    };

    PcqStoreRecord batch = {
      .id = 9, .kind = PCQ_JOB_BATCH,
      .prompt = (char *) "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
      .url = (char *) "http://127.0.0.1:1/v1/chat/completions", .output_dir = (char *) "/tmp/x",
      .name = (char *) "req-1.md", .state = PCQ_JOB_FAILED, .bytes = 0, .total = -1, .attempts = 1,
      .error = (char *) "Server answered 400", .output_path = NULL, .validator = NULL,
      .created = 400, .finished = 500, .prompt_tokens = -1, .completion_tokens = -1,
      .started = 450, .http_status = 400,
    };

    pcq_store_put (store, &put, NULL, NULL);
    pcq_store_put (store, &batch, NULL, NULL);
  }
  pcq_store_close (store);
  g_object_unref (store);

  g_assert_cmpint (store_db_query_int (path, "PRAGMA user_version"), ==, PCQ_STORE_SCHEMA_VERSION);
  g_assert_cmpint (PCQ_STORE_SCHEMA_VERSION, ==, 10);
  /* The version 1 index of finished jobs is gone. */
  g_assert_cmpint (store_db_query_int (path, "SELECT count(*) FROM sqlite_master"
                                             " WHERE type = 'index'"), ==, 0);

  g_clear_pointer (&records, g_ptr_array_unref);
  store = pcq_store_new (path);
  records = pcq_store_open_sync (store, 0, &notice, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 3);
  record = records->pdata[1];
  g_assert_cmpint (record->kind, ==, PCQ_JOB_ASK);
  g_assert_cmpstr (record->prompt, ==, "Why?\nBecause.");
  g_assert_cmpstr (record->url, ==, "http://127.0.0.1:1/v1/chat/completions");
  g_assert_cmpstr (record->name, ==, "why.md");
  g_assert_cmpint (record->bytes, ==, 3);
  g_assert_cmpuint (record->attempts, ==, 1);
  g_assert_cmpstr (record->error, ==, "e");
  g_assert_cmpstr (record->output_path, ==, "/tmp/x/why.md");
  g_assert_null (record->validator);
  g_assert_cmpint (record->created, ==, 300);
  g_assert_cmpint (record->prompt_tokens, ==, 120);
  g_assert_cmpint (record->completion_tokens, ==, G_MAXINT64);
  record = records->pdata[2];
  g_assert_cmpint (record->kind, ==, PCQ_JOB_BATCH);
  g_assert_cmpstr (record->prompt, ==, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
  g_assert_cmpstr (record->name, ==, "req-1.md");
  g_assert_cmpint (record->state, ==, PCQ_JOB_FAILED);
  /* Schema 5: a report's first start and last status. */
  g_assert_cmpint (record->started, ==, 450);
  g_assert_cmpuint (record->http_status, ==, 400);
  g_assert_cmpstr (record->error, ==, "Server answered 400");
  g_assert_null (record->output_path);
  g_assert_cmpint (record->created, ==, 400);
  g_assert_cmpint (record->finished, ==, 500);
  g_assert_cmpint (record->prompt_tokens, ==, -1);
  g_assert_cmpint (record->completion_tokens, ==, -1);
  pcq_store_close (store);
  g_object_unref (store);

  pcq_test_rm_rf (dir);
}

/* At most max-api-active API tasks run at once; downloads queued
 * behind parked ones still start; raising the limit starts more. */
static void
test_api_limit (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) asks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) downloads = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *file_url = NULL;
  gboolean downloads_done;

  /* server.base is http://127.0.0.1:PORT/v1 */
  file_url = g_strdup_printf ("%.*s/file", (int) (strlen (server.base) - strlen ("/v1")), server.base);

  g_object_set (f->engine, "max-active", 4, "max-api-active", 2, NULL);
  g_mutex_lock (&server.lock);
  server.max_held = 0;
  g_mutex_unlock (&server.lock);

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("hold Task %u", i);
      g_ptr_array_add (asks, ask (f, prompt, NULL));
    }
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("file-%u.txt", i);
      g_ptr_array_add (downloads,
                       g_object_ref (pcq_engine_submit (f->engine, file_url, f->out, name)));
    }

  /* Two asks hold their slots; the downloads, queued after five asks,
   * run past the three parked ones. */
  PCQ_TEST_WAIT_FOR (n_held () == 2, WAIT_MS);
  PCQ_TEST_WAIT_FOR (({
                       downloads_done = TRUE;
                       for (guint i = 0; i < downloads->len; i++)
                         downloads_done &= pcq_job_get_state (downloads->pdata[i]) == PCQ_JOB_DONE;
                       downloads_done;
                     }), WAIT_MS);
  g_assert_cmpuint (n_held (), ==, 2);
  g_assert_cmpuint (pcq_engine_get_n_active (f->engine), ==, 2);
  g_assert_cmpint (pcq_job_get_state (asks->pdata[2]), ==, PCQ_JOB_QUEUED);
  g_assert_cmpint (pcq_job_get_state (asks->pdata[4]), ==, PCQ_JOB_QUEUED);

  /* One more slot: one more starts at once, the oldest parked one. */
  pcq_engine_set_max_api_active (f->engine, 3);
  PCQ_TEST_WAIT_FOR (n_held () == 3, WAIT_MS);
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (asks->pdata[2]) == PCQ_JOB_ACTIVE, WAIT_MS);
  g_assert_cmpint (pcq_job_get_state (asks->pdata[3]), ==, PCQ_JOB_QUEUED);

  /* Answer what is held until all five are done. */
  PCQ_TEST_WAIT_FOR (({
                       gboolean all_done = TRUE;
                       if (n_held () > 0)
                         release_held ();
                       for (guint i = 0; i < asks->len; i++)
                         all_done &= pcq_job_get_state (asks->pdata[i]) == PCQ_JOB_DONE;
                       all_done;
                     }), WAIT_MS);

  g_mutex_lock (&server.lock);
  g_assert_cmpuint (server.max_held, ==, 3);
  g_mutex_unlock (&server.lock);
}

/* Requests per minute, with a "minute" of 700 ms: two a window, so the
 * k-th request (from 0) cannot start before k / 2 windows have passed
 * since the tasks were queued. Lower bounds only (a start is taken,
 * then sent: it reaches the server later, never sooner); without the
 * limit all six arrive within milliseconds. */
#define RPM_WINDOW_MS 700

static gint
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
test_api_rpm (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) asks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 queued;

  g_object_set (f->engine, "max-api-active", 4, NULL);
  _pcq_engine_set_api_rpm_window (f->engine, RPM_WINDOW_MS);
  g_object_set (f->engine, "api-rpm", 2, NULL);
  g_assert_cmpuint (pcq_engine_get_api_rpm (f->engine), ==, 2);

  queued = g_get_monotonic_time ();
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("rpm Task %u", i);
      g_ptr_array_add (asks, ask (f, prompt, NULL));
    }
  PCQ_TEST_WAIT_FOR (({
                       gboolean all_done = TRUE;
                       for (guint i = 0; i < asks->len; i++)
                         all_done &= pcq_job_get_state (asks->pdata[i]) == PCQ_JOB_DONE;
                       all_done;
                     }), WAIT_MS);

  g_mutex_lock (&server.lock);
  for (guint i = 0; i < server.requests->len; i++)
    {
      Request *request = g_ptr_array_index (server.requests, i);

      if (request->prompt != NULL && g_str_has_prefix (request->prompt, "rpm "))
        g_array_append_val (times, request->when);
    }
  g_mutex_unlock (&server.lock);

  g_assert_cmpuint (times->len, ==, 6);
  g_array_sort (times, compare_int64);
  for (guint k = 0; k < times->len; k++)
    g_assert_cmpint (g_array_index (times, gint64, k) - queued, >=,
                     (gint64) (k / 2) * RPM_WINDOW_MS * 1000);

  /* Off again: nothing is held. */
  pcq_engine_set_api_rpm (f->engine, 0);
  g_assert_cmpuint (pcq_engine_get_api_rpm (f->engine), ==, 0);
}

/* Pause interrupts a running API task; nothing is saved. Resume sends
 * the same request again (a POST: no Range), with the same
 * Idempotency-Key, and saves the answer under the task's name. */
static void
test_pause_resume (Fixture       *f,
                   gconstpointer  data)
{
  const char *prompt = "holdonce Pause this question";
  g_autoptr(PcqJob) job = ask (f, prompt, "paused.md");
  g_autofree char *path = g_build_filename (f->out, "paused.md", NULL);
  g_autoptr(GPtrArray) requests = NULL;
  Request *first;
  Request *second;

  PCQ_TEST_WAIT_FOR (n_held () == 1 && pcq_job_get_state (job) == PCQ_JOB_ACTIVE, WAIT_MS);
  g_assert_true (pcq_engine_pause_job (f->engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_get_state (job) == PCQ_JOB_PAUSED, WAIT_MS);
  g_assert_cmpuint (pcq_engine_get_n_active (f->engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_queued (f->engine), ==, 0);
  g_assert_cmpuint (pcq_engine_get_n_paused (f->engine), ==, 1);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (pcq_test_dir_has_part_files (f->out));
  g_main_context_invoke (server.context, drop_held_cb, NULL);
  PCQ_TEST_WAIT_FOR (n_held () == 0, WAIT_MS);

  requests = requests_for (prompt);
  g_assert_cmpuint (requests->len, ==, 1);
  g_clear_pointer (&requests, g_ptr_array_unref);

  g_assert_true (pcq_engine_resume_job (f->engine, job));
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), WAIT_MS);
  assert_saved (job, f->out, "paused.md", prompt);
  g_assert_cmpuint (pcq_engine_get_n_paused (f->engine), ==, 0);

  requests = requests_for (prompt);
  g_assert_cmpuint (requests->len, ==, 2);
  first = g_ptr_array_index (requests, 0);
  second = g_ptr_array_index (requests, 1);
  g_assert_cmpstr (second->body, ==, first->body);
  g_assert_nonnull (first->idempotency_key);
  g_assert_cmpstr (second->idempotency_key, ==, first->idempotency_key);
}

/* A key set after a task was queued (read from the keyring, typed in
 * Preferences) is the one that task sends. */
static void
test_key_set_later (Fixture       *f,
                    gconstpointer  data)
{
  const char *prompt = "plain Key set later";
  g_autoptr(PcqJob) job = NULL;
  g_autoptr(GPtrArray) requests = NULL;

  pcq_engine_set_paused (f->engine, TRUE);
  job = ask (f, prompt, NULL);
  pcq_engine_set_api_key (f->engine, "  sk-later-42\n");
  pcq_engine_set_paused (f->engine, FALSE);
  PCQ_TEST_WAIT_FOR (pcq_job_is_finished (job), WAIT_MS);

  assert_saved (job, f->out, "plain-key-set-later.md", prompt);
  requests = requests_for (prompt);
  g_assert_cmpuint (requests->len, ==, 1);
  g_assert_cmpstr (((Request *) requests->pdata[0])->authorization, ==, "Bearer sk-later-42");

  pcq_engine_set_api_key (f->engine, NULL);
  g_assert_false (pcq_engine_has_api_key (f->engine));
}

static void
keyring_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
keyring_wait (GAsyncResult **slot)
{
  PCQ_TEST_WAIT_FOR (*slot != NULL, WAIT_MS);
  return *slot;
}

/* The key in the keyring: stored, found, replaced, removed. The test
 * process uses libsecret's file backend (see main ()). */
static void
test_keyring (void)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  char *key;

  pcq_keyring_store_async ("sk-first", NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_store_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  pcq_keyring_store_async ("sk-second", NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_store_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  pcq_keyring_lookup_async (NULL, keyring_done_cb, &result);
  key = pcq_keyring_lookup_finish (keyring_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-second");
  pcq_keyring_free_key (key);
  g_clear_object (&result);

  pcq_keyring_clear_async (NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_clear_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  key = pcq_keyring_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_null (key);

  /* Removing what is not there is not an error. */
  pcq_keyring_clear_async (NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_clear_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
}

/* Where the API key was kept before one schema held every secret: it
 * is still found there, and leaves it when the key is saved again. */
static const SecretSchema legacy_schema = {
  "com.example.Pcq.ApiKey", SECRET_SCHEMA_NONE,
  {
    { "purpose", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static void
test_keyring_legacy (void)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  char *key;

  g_assert_true (secret_password_store_sync (&legacy_schema, SECRET_COLLECTION_DEFAULT, "old",
                                             "sk-old-schema", NULL, &error,
                                             "purpose", "api-key", NULL));
  g_assert_no_error (error);

  key = pcq_keyring_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-old-schema");
  pcq_keyring_free_key (key);

  pcq_keyring_lookup_async (NULL, keyring_done_cb, &result);
  key = pcq_keyring_lookup_finish (keyring_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-old-schema");
  pcq_keyring_free_key (key);
  g_clear_object (&result);

  pcq_keyring_store_async ("sk-new-schema", NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_store_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  key = secret_password_lookup_sync (&legacy_schema, NULL, &error, "purpose", "api-key", NULL);
  g_assert_no_error (error);
  g_assert_null (key);
  key = pcq_keyring_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-new-schema");
  pcq_keyring_free_key (key);

  pcq_keyring_clear_async (NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_clear_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  key = pcq_keyring_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_null (key);
}

static const SecretSchema secret_schema = {
  "com.example.Pcq.Secret", SECRET_SCHEMA_NONE,
  {
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "origin", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static char *
auth_header_for (const char  *url,
                 GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  g_autoptr(PcqBasicAuth) auth = pcq_keyring_basic_auth_for_uri (uri, error);

  return g_strdup (pcq_basic_auth_header_for (auth, uri));
}

/* A password in a URL: out of the URL, into one keyring item per
 * origin and user (not per task), found there by a later run, and
 * offered to its own origin only. */
static void
test_keyring_url_password (void)
{
  g_autoptr(GError) error = NULL;
  g_autolist (SecretRetrievable) items = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *header = NULL;
  g_autofree char *other = NULL;

  a = pcq_keyring_take_url_password ("http://carol:pw%3A1@Example.ORG/a.bin");
  b = pcq_keyring_take_url_password ("http://carol:pw%3A1@example.org:80/b.bin?x=1");
  g_assert_cmpstr (a, ==, "http://carol@Example.ORG/a.bin");
  g_assert_cmpstr (b, ==, "http://carol@example.org:80/b.bin?x=1");
  pcq_keyring_wait_stored ();

  items = secret_password_search_sync (&secret_schema, SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK,
                                       NULL, &error, "kind", "basic", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  attributes = secret_retrievable_get_attributes (items->data);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "origin"), ==, "http://example.org:80");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "user"), ==, "carol");

  /* What a new process knows: only the keyring. */
  pcq_keyring_forget_passwords ();
  header = auth_header_for (a, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (header, ==, "Basic Y2Fyb2w6cHc6MQ==");  /* carol:pw:1 */

  /* Not for another port, scheme or host. */
  other = auth_header_for ("http://carol@example.org:8080/a.bin", &error);
  g_assert_nonnull (error);
  g_assert_null (other);
  g_clear_error (&error);
  {
    g_autoptr(GUri) same = g_uri_parse (a, SOUP_HTTP_URI_FLAGS, NULL);
    g_autoptr(GUri) elsewhere = g_uri_parse ("https://example.org/a.bin", SOUP_HTTP_URI_FLAGS, NULL);
    g_autoptr(PcqBasicAuth) auth = pcq_keyring_basic_auth_for_uri (same, &error);

    g_assert_no_error (error);
    g_assert_nonnull (pcq_basic_auth_header_for (auth, same));
    g_assert_null (pcq_basic_auth_header_for (auth, elsewhere));
  }

  /* A user the keyring has no password for. */
  other = auth_header_for ("http://dave@example.org/a.bin", &error);
  g_assert_error (error, PCQ_ERROR, PCQ_ERROR_NO_PASSWORD);
  g_assert_nonnull (strstr (error->message, "No password for dave@example.org in the keyring"));
  g_clear_error (&error);

  /* No user, no credentials, no error. */
  other = auth_header_for ("http://example.org/a.bin", &error);
  g_assert_no_error (error);
  g_assert_null (other);

  secret_password_clear_sync (&secret_schema, NULL, &error, "kind", "basic", NULL);
  g_assert_no_error (error);
  pcq_keyring_forget_passwords ();
}

/* A key in the keyring with a line break is refused: the API task
 * fails saying where the key came from, and sends nothing. */
static void
test_headless_keyring_bad_key (void)
{
  const char *prompt = "plain Bad key in the keyring";
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pcq-api-XXXXXX", &error);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  GAsyncResult *result = NULL;

  g_assert_no_error (error);
  pcq_keyring_store_async ("sk-bad-key\r\nX-Injected: 1", NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_store_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                         dir, state, dir);
  g_subprocess_launcher_unsetenv (launcher, "PCQ_API_KEY");
  run = pcq_test_run_spawn (launcher, NULL, (const char *[]) {
                              "-o", out, "--api-base", server.base, "--prompt", prompt, NULL });
  pcq_test_run_wait (run, WAIT_MS);

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, 1);
  g_assert_nonnull (strstr (pcq_test_run_get_stderr (run),
                            "The API key in the keyring contains a line break"));
  g_assert_null (strstr (pcq_test_run_get_stderr (run), "sk-bad-key"));
  requests = requests_for (prompt);
  g_assert_cmpuint (requests->len, ==, 0);

  pcq_keyring_clear_async (NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_clear_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  pcq_test_rm_rf (dir);
}

/* With a keyring, a password given to one run serves --resume in the
 * next: the task left over downloads with it. */
static void
test_headless_url_password_resume (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pcq-api-XXXXXX", &error);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *store_path = g_build_filename (state, "pcq", "headless.sqlite", NULL);
  g_autoptr(PcqTestServer) files = pcq_test_server_new ();
  g_autofree char *slow = pcq_test_server_url (files, "/data/first.bin?size=65536&chunk=8192&delay=120");
  g_autofree char *locked = g_strdup_printf ("http://erin:%s@127.0.0.1:%u/auth/second.bin?size=2000&seed=6",
                                             "k33p-me-Xy", pcq_test_server_get_port (files));
  g_autofree char *second_path = g_build_filename (out, "second.bin", NULL);
  g_autofree char *sent = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(PcqTestRun) first = NULL;
  g_autoptr(PcqTestRun) second = NULL;

  g_assert_no_error (error);
  pcq_test_server_set_basic_auth (files, "erin", "k33p-me-Xy");
  launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                         dir, state, dir);

  /* One at a time: the locked one is still queued at the Ctrl+C. */
  first = pcq_test_run_spawn (launcher, NULL, (const char *[]) { "-o", out, "-j", "1", slow, locked, NULL });
  PCQ_TEST_WAIT_FOR (pcq_test_server_get_in_flight (files) == 1, WAIT_MS);
  g_subprocess_send_signal (pcq_test_run_get_process (first), SIGINT);
  pcq_test_run_wait (first, WAIT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (first), ==, 130);
  g_assert_cmpuint (pcq_test_server_count_requests (files, "/auth/second.bin"), ==, 0);

  second = pcq_test_run_spawn (launcher, NULL, (const char *[]) { "-o", out, "--resume", NULL });
  pcq_test_run_wait (second, WAIT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (second), ==, 0);
  pcq_test_assert_content (second_path, 6, 2000);
  sent = pcq_test_server_dup_authorization (files, "/auth/second.bin", 0);
  g_assert_cmpstr (sent, ==, "Basic ZXJpbjprMzNwLW1lLVh5");  /* erin:k33p-me-Xy */

  g_assert_false (file_contains (store_path, "k33p-me-Xy"));
  g_assert_null (strstr (pcq_test_run_get_stderr (first), "k33p-me-Xy"));
  g_assert_null (strstr (pcq_test_run_get_stderr (second), "k33p-me-Xy"));

  secret_password_clear_sync (&secret_schema, NULL, &error, "kind", "basic", NULL);
  g_assert_no_error (error);
  pcq_test_rm_rf (dir);
}

/* ---- headless ------------------------------------------------------- */

static void
test_headless_prompts (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pcq-api-XXXXXX", &error);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *config = g_build_filename (dir, "config", NULL);
  g_autofree char *input = g_build_filename (dir, "tasks.jsonl", NULL);
  g_autofree char *stdout_buf = NULL;
  g_autofree char *stderr_buf = NULL;
  g_autofree char *first_answer = expected_answer ("plain Headless first");
  g_autofree char *second_answer = expected_answer ("stream Headless second");
  g_autofree char *third_answer = expected_answer ("stream From a file");
  g_autofree char *store_path = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(GStrv) lines = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  JsonObject *summary;
  const char *lines_input =
    "{\"prompt\": \"stream From a file\", \"output\": \"from-file.md\"}\n"
    "{\"prompt\": \"fail400 Refused line\"}\n";
  guint n;

  g_assert_no_error (error);
  g_file_set_contents (input, lines_input, -1, &error);
  g_assert_no_error (error);

  launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                         dir, state, config);
  g_subprocess_launcher_setenv (launcher, "PCQ_API_KEY", TEST_KEY, TRUE);
  run = pcq_test_run_spawn (launcher, NULL, (const char *[]) {
                              "-o", out, "--api-base", server.base, "--model", "m", "--prompt",
                              "plain Headless first", "--prompt", "stream Headless second", "-i",
                              input, NULL });
  pcq_test_run_wait (run, WAIT_MS);
  stdout_buf = g_strdup (pcq_test_run_get_stdout (run));
  stderr_buf = g_strdup (pcq_test_run_get_stderr (run));

  /* One task failed (the 400): exit 1, and it says why. */
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, 1);
  g_assert_nonnull (strstr (stderr_buf, "Server answered 400 Bad Request: the prompt is too long"));
  g_assert_nonnull (strstr (stderr_buf, "fail400 Refused line"));
  g_assert_null (strstr (stderr_buf, TEST_KEY));
  g_assert_null (strstr (stdout_buf, TEST_KEY));

  lines = g_strsplit (g_strchomp (stdout_buf), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >=, 1);
  json_parser_load_from_data (parser, lines[n - 1], -1, &error);
  g_assert_no_error (error);
  summary = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (summary, "done"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (summary, "failed"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (summary, "cancelled"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (summary, "bytes"), ==,
                   strlen (first_answer) + strlen (second_answer) + strlen (third_answer));
  g_assert_true (json_object_has_member (summary, "seconds"));

  path = g_build_filename (out, "plain-headless-first.md", NULL);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, first_answer);
  g_clear_pointer (&path, g_free);
  g_clear_pointer (&contents, g_free);
  path = g_build_filename (out, "stream-headless-second.md", NULL);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, second_answer);
  g_clear_pointer (&path, g_free);
  g_clear_pointer (&contents, g_free);
  path = g_build_filename (out, "from-file.md", NULL);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, third_answer);

  store_path = g_build_filename (state, "pcq", "headless.sqlite", NULL);
  g_assert_true (g_file_test (store_path, G_FILE_TEST_EXISTS));
  g_assert_true (file_contains (store_path, "plain Headless first"));
  g_assert_false (file_contains (store_path, TEST_KEY));

  pcq_test_rm_rf (dir);
}

/* Without PCQ_API_KEY, a headless run takes the key from the keyring,
 * and it goes no further than the request's Authorization header. */
static void
test_headless_keyring (void)
{
  const char *key = "sk-from-the-keyring-77";
  const char *prompt = "plain Keyring please";
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pcq-api-XXXXXX", &error);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *store_path = g_build_filename (state, "pcq", "headless.sqlite", NULL);
  g_autofree char *stdout_buf = NULL;
  g_autofree char *stderr_buf = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autofree char *expected = NULL;
  GAsyncResult *result = NULL;

  g_assert_no_error (error);
  pcq_keyring_store_async (key, NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_store_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                         dir, state, dir);
  g_subprocess_launcher_unsetenv (launcher, "PCQ_API_KEY");
  run = pcq_test_run_spawn (launcher, NULL, (const char *[]) {
                              "-o", out, "--api-base", server.base, "--prompt", prompt, NULL });
  pcq_test_run_wait (run, WAIT_MS);
  stdout_buf = g_strdup (pcq_test_run_get_stdout (run));
  stderr_buf = g_strdup (pcq_test_run_get_stderr (run));

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, 0);
  requests = requests_for (prompt);
  g_assert_cmpuint (requests->len, ==, 1);
  g_assert_cmpstr (((Request *) requests->pdata[0])->authorization, ==, "Bearer sk-from-the-keyring-77");

  expected = g_build_filename (out, "plain-keyring-please.md", NULL);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_REGULAR));
  g_assert_null (strstr (stdout_buf, key));
  g_assert_null (strstr (stderr_buf, key));
  g_assert_true (file_contains (store_path, prompt));
  g_assert_false (file_contains (store_path, key));

  pcq_keyring_clear_async (NULL, keyring_done_cb, &result);
  g_assert_true (pcq_keyring_clear_finish (keyring_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  pcq_test_rm_rf (dir);
}

/* An OpenAI Batch input file: two good requests (one plain, one
 * streamed), one the server refuses, a malformed line and one with an
 * unsupported method. */
static void
test_headless_batch (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pcq-api-XXXXXX", &error);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *config = g_build_filename (dir, "config", NULL);
  g_autofree char *input = g_build_filename (dir, "batch.jsonl", NULL);
  g_autofree char *stdout_buf = NULL;
  g_autofree char *stderr_buf = NULL;
  g_autofree char *alpha_answer = expected_answer ("plain Batch alpha");
  g_autofree char *beta_answer = expected_answer ("stream Batch beta");
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *store_path = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(PcqStore) store = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) errors = NULL;
  JsonObject *object;
  JsonObject *body;
  Request *request;
  guint n_batch = 0;
  guint n;
  const char *batch =
    "{\"custom_id\": \"alpha\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", "
    "\"body\": {\"model\": \"batch-model\", \"temperature\": 0.5, "
    "\"messages\": [{\"role\": \"user\", \"content\": \"plain Batch alpha\"}]}}\n"
    "{\"custom_id\": \"beta/two\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", "
    "\"body\": {\"stream\": true, "
    "\"messages\": [{\"role\": \"user\", \"content\": \"stream Batch beta\"}]}}\n"
    "{\"custom_id\": \"gamma\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", "
    "\"body\": {\"messages\": [{\"role\": \"user\", \"content\": \"fail400 Batch gamma\"}]}}\n"
    "{\"custom_id\": \"delta\", \"method\": \"POST\", \"url\": \n"
    "{\"custom_id\": \"eps\", \"method\": \"GET\", \"url\": \"/v1/chat/completions\", "
    "\"body\": {\"messages\": []}}\n";

  g_assert_no_error (error);
  g_file_set_contents (input, batch, -1, &error);
  g_assert_no_error (error);

  /* A file of that name is there already: the answer is numbered. */
  g_assert_cmpint (g_mkdir_with_parents (out, 0755), ==, 0);
  path = g_build_filename (out, "alpha.md", NULL);
  g_file_set_contents (path, "old", -1, &error);
  g_assert_no_error (error);
  g_clear_pointer (&path, g_free);

  launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                         dir, state, config);
  g_subprocess_launcher_setenv (launcher, "PCQ_API_KEY", TEST_KEY, TRUE);
  run = pcq_test_run_spawn (launcher, NULL, (const char *[]) {
                              "-o", out, "--api-base", server.base, "--model", "configured", "-i",
                              input, NULL });
  pcq_test_run_wait (run, WAIT_MS);
  stdout_buf = g_strdup (pcq_test_run_get_stdout (run));
  stderr_buf = g_strdup (pcq_test_run_get_stderr (run));

  g_assert_cmpint (pcq_test_run_exit_status (run), ==, 1);

  /* The bad lines by number, the refused request with the server's message. */
  {
    g_autofree char *line4 = g_strdup_printf ("pcq: %s:4: ", input);
    g_autofree char *line5 = g_strdup_printf ("pcq: %s:5: batch request “eps”: unsupported \"method\"",
                                              input);

    g_assert_nonnull (strstr (stderr_buf, line4));
    g_assert_nonnull (strstr (stderr_buf, line5));
  }
  {
    g_autofree char *line3 = g_strdup_printf ("pcq: %s:3: request “gamma”: failed: Server answered "
                                              "400 Bad Request: the prompt is too long", input);

    g_assert_nonnull (strstr (stderr_buf, line3));
  }
  g_assert_null (strstr (stderr_buf, TEST_KEY));

  lines = g_strsplit (g_strchomp (stdout_buf), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >=, 1);
  json_parser_load_from_data (parser, lines[n - 1], -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (object, "done"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (object, "failed"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (object, "cancelled"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (object, "bytes"), ==,
                   strlen (alpha_answer) + strlen (beta_answer));

  /* The answers, byte-exact, under their custom_id (sanitized, numbered). */
  path = g_build_filename (out, "alpha.md", NULL);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "old");
  g_clear_pointer (&path, g_free);
  g_clear_pointer (&contents, g_free);
  path = g_build_filename (out, "alpha (1).md", NULL);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, alpha_answer);
  g_clear_pointer (&path, g_free);
  g_clear_pointer (&contents, g_free);
  path = g_build_filename (out, "beta_two.md", NULL);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, beta_answer);
  g_clear_pointer (&path, g_free);
  g_clear_pointer (&contents, g_free);
  path = g_build_filename (out, "gamma.md", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&path, g_free);

  /* The bodies went as given: the body's model wins, the configured one
   * fills in, and "stream" is neither forced nor dropped. */
  requests = requests_for ("plain Batch alpha");
  g_assert_cmpuint (requests->len, ==, 1);
  request = requests->pdata[0];
  json_parser_load_from_data (parser, request->body, -1, &error);
  g_assert_no_error (error);
  body = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "batch-model");
  g_assert_false (json_object_has_member (body, "stream"));
  g_assert_cmpfloat (json_object_get_double_member (body, "temperature"), ==, 0.5);
  g_assert_cmpstr (request->authorization, ==, "Bearer " TEST_KEY);
  g_clear_pointer (&requests, g_ptr_array_unref);

  requests = requests_for ("stream Batch beta");
  g_assert_cmpuint (requests->len, ==, 1);
  request = requests->pdata[0];
  json_parser_load_from_data (parser, request->body, -1, &error);
  g_assert_no_error (error);
  body = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "configured");
  g_assert_true (json_object_get_boolean_member (body, "stream"));
  g_clear_pointer (&requests, g_ptr_array_unref);

  /* Refused once, not again. */
  requests = requests_for ("fail400 Batch gamma");
  g_assert_cmpuint (requests->len, ==, 1);

  /* errors.jsonl: the failed lines, in order. */
  path = g_build_filename (out, "errors.jsonl", NULL);
  contents = read_file (path);
  errors = g_strsplit (g_strchomp (contents), "\n", -1);
  g_assert_cmpuint (g_strv_length (errors), ==, 3);
  {
    const struct { gint64 line; const char *custom_id; const char *message; } expected[] = {
      { 3, "gamma", "Server answered 400 Bad Request: the prompt is too long" },
      { 4, NULL, NULL },
      { 5, "eps", "unsupported \"method\"" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        JsonObject *entry;
        JsonObject *entry_error;

        json_parser_load_from_data (parser, errors[i], -1, &error);
        g_assert_no_error (error);
        entry = json_node_get_object (json_parser_get_root (parser));
        g_assert_cmpint (json_object_get_int_member (entry, "line"), ==, expected[i].line);
        if (expected[i].custom_id != NULL)
          g_assert_cmpstr (json_object_get_string_member (entry, "custom_id"), ==,
                           expected[i].custom_id);
        else
          g_assert_true (json_object_get_null_member (entry, "custom_id"));
        entry_error = json_object_get_object_member (entry, "error");
        g_assert_nonnull (json_object_get_string_member (entry_error, "message"));
        if (expected[i].message != NULL)
          g_assert_nonnull (strstr (json_object_get_string_member (entry_error, "message"),
                                    expected[i].message));
      }
  }

  /* The requests were stored with their whole body, the key was not. */
  store_path = g_build_filename (state, "pcq", "headless.sqlite", NULL);
  g_assert_false (file_contains (store_path, TEST_KEY));
  store = pcq_store_new (store_path);
  records = pcq_store_open_sync (store, 0, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < records->len; i++)
    {
      PcqStoreRecord *record = records->pdata[i];

      if (record->kind != PCQ_JOB_BATCH)
        continue;
      n_batch++;
      g_assert_nonnull (strstr (record->prompt, "\"messages\""));
    }
  g_assert_cmpuint (n_batch, ==, 3);
  pcq_store_close (store);

  pcq_test_rm_rf (dir);
}

/* The last stdout line of @run, parsed. */
static JsonObject *
summary_of (PcqTestRun *run,
            JsonParser *parser)
{
  g_autofree char *stdout_buf = g_strdup (pcq_test_run_get_stdout (run));
  g_auto(GStrv) lines = g_strsplit (g_strchomp (stdout_buf), "\n", -1);
  g_autoptr(GError) error = NULL;
  guint n = g_strv_length (lines);

  g_assert_cmpuint (n, >=, 1);
  json_parser_load_from_data (parser, lines[n - 1], -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* The summary sums the tokens of this run's API tasks; with none, it
 * has no such members. */
static void
test_headless_tokens (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pcq-api-XXXXXX", &error);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *config = g_build_filename (dir, "config", NULL);
  g_autofree char *file_url = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *summary;

  g_assert_no_error (error);

  /* Whole (120 + 350), streamed (11 + 22), malformed (nothing), none. */
  {
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(PcqTestRun) run = NULL;

    launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                           G_SUBPROCESS_FLAGS_STDERR_PIPE, dir, state, config);
    g_subprocess_launcher_setenv (launcher, "PCQ_API_KEY", TEST_KEY, TRUE);
    run = pcq_test_run_spawn (launcher, NULL, (const char *[]) {
                                "-o", out, "--api-base", server.base,
                                "--prompt", "usagejson 0 headless",
                                "--prompt", "streamusage headless",
                                "--prompt", "usagejson 2 headless",
                                "--prompt", "stream headless without",
                                "--report", "-", NULL });
    g_auto(GStrv) lines = NULL;
    static const gint64 expected[][2] = { { 120, 350 }, { 11, 22 }, { -1, -1 }, { -1, -1 } };

    pcq_test_run_wait (run, WAIT_MS);
    g_assert_cmpint (pcq_test_run_exit_status (run), ==, 0);
    summary = summary_of (run, parser);
    g_assert_cmpint (json_object_get_int_member (summary, "done"), ==, 4);
    g_assert_cmpint (json_object_get_int_member (summary, "prompt_tokens"), ==, 131);
    g_assert_cmpint (json_object_get_int_member (summary, "completion_tokens"), ==, 372);

    /* The report: one line per prompt, in order, with its usage. */
    lines = g_strsplit (pcq_test_run_get_stdout (run), "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 6);
    for (guint i = 0; i < 4; i++)
      {
        g_autoptr(JsonParser) line_parser = json_parser_new ();
        JsonObject *line;
        JsonNode *usage;

        g_assert_true (json_parser_load_from_data (line_parser, lines[i], -1, NULL));
        line = json_node_get_object (json_parser_get_root (line_parser));
        g_assert_cmpstr (json_object_get_string_member (line, "kind"), ==, "ask");
        g_assert_cmpstr (json_object_get_string_member (line, "state"), ==, "done");
        g_assert_nonnull (json_object_get_string_member (line, "prompt"));
        g_assert_cmpint (json_object_get_int_member (line, "http_status"), ==, 200);
        usage = json_object_get_member (line, "usage");
        if (expected[i][0] < 0)
          {
            g_assert_true (json_node_is_null (usage));
            continue;
          }
        g_assert_cmpint (json_object_get_int_member (json_node_get_object (usage), "prompt_tokens"), ==,
                         expected[i][0]);
        g_assert_cmpint (json_object_get_int_member (json_node_get_object (usage), "completion_tokens"), ==,
                         expected[i][1]);
      }
  }

  /* An API task that failed ran too: the members are there, with 0. */
  {
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(PcqTestRun) run = NULL;

    launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                           G_SUBPROCESS_FLAGS_STDERR_PIPE, dir, state, config);
    g_subprocess_launcher_setenv (launcher, "PCQ_API_KEY", TEST_KEY, TRUE);
    run = pcq_test_run_spawn (launcher, NULL, (const char *[]) {
                                "-o", out, "--api-base", server.base,
                                "--prompt", "fail400 headless tokens", NULL });
    pcq_test_run_wait (run, WAIT_MS);
    g_assert_cmpint (pcq_test_run_exit_status (run), ==, 1);
    summary = summary_of (run, parser);
    g_assert_cmpint (json_object_get_int_member (summary, "prompt_tokens"), ==, 0);
    g_assert_cmpint (json_object_get_int_member (summary, "completion_tokens"), ==, 0);
  }

  /* Downloads only: no token members. */
  {
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(PcqTestRun) run = NULL;

    file_url = g_strconcat (pcq_test_soup_thread_get_base (server.soup), "/file", NULL);
    launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                           G_SUBPROCESS_FLAGS_STDERR_PIPE, dir, state, config);
    run = pcq_test_run_spawn (launcher, NULL, (const char *[]) { "-o", out, file_url, NULL });
    pcq_test_run_wait (run, WAIT_MS);
    g_assert_cmpint (pcq_test_run_exit_status (run), ==, 0);
    summary = summary_of (run, parser);
    g_assert_cmpint (json_object_get_int_member (summary, "done"), ==, 1);
    g_assert_false (json_object_has_member (summary, "prompt_tokens"));
    g_assert_false (json_object_has_member (summary, "completion_tokens"));
  }

  pcq_test_rm_rf (dir);
}

static void
test_headless_usage (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pcq-api-XXXXXX", &error);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  const char *cases[][2] = {
    { "--api-base=ftp://example.com/v1", "--prompt=x" },
    { "--prompt=", NULL },
    /* Refused without repeating the password. */
    { "--api-base=http://u:pw-Zq81@127.0.0.1:1/v1", "--prompt=x" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = NULL;
      g_autoptr(PcqTestRun) run = NULL;
      g_autofree char *out = g_build_filename (dir, "out", NULL);

      launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                             G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                             dir, state, dir);
      run = pcq_test_run_spawn (launcher, NULL, (const char *[]) {
                                  "-o", out, cases[i][0], cases[i][1], NULL });
      pcq_test_run_wait (run, WAIT_MS);
      g_assert_cmpint (pcq_test_run_exit_status (run), ==, 2);
      g_assert_null (strstr (pcq_test_run_get_stderr (run), "pw-Zq81"));
    }

  pcq_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring_path = NULL;
  int status;

  /* Read once, when an engine is made. */
  g_setenv ("PCQ_API_KEY", TEST_KEY, TRUE);
  g_test_init (&argc, &argv, NULL);

  /* libsecret's file backend (the one a Flatpak uses), in a keyring
   * file of this run's own, with no Secret Service needed. Children
   * (headless runs) inherit it. */
  keyring_dir = g_dir_make_tmp ("pcq-keyring-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring_path = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring_path, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test-keyring-password", TRUE);

  server_start ();

  g_test_add_func ("/pcq/api/request-body", test_request_body);
  g_test_add_func ("/pcq/api/slug", test_slug);
  g_test_add_func ("/pcq/api/parse", test_parse);
  g_test_add_func ("/pcq/api/parse-error-text", test_parse_error_text);
  g_test_add_func ("/pcq/api/models/parse", test_parse_models);
  g_test_add_func ("/pcq/api/models/list", test_list_models);
  g_test_add_func ("/pcq/api/store-migration", test_store_migration);
  g_test_add ("/pcq/api/models/engine", Fixture, NULL,
              fixture_set_up, test_engine_models, fixture_tear_down);
  g_test_add ("/pcq/api/answers-saved", Fixture, NULL,
              fixture_set_up, test_answers_saved, fixture_tear_down);
  g_test_add ("/pcq/api/usage", Fixture, NULL,
              fixture_set_up, test_usage, fixture_tear_down);
  g_test_add ("/pcq/api/usage/stream-open", Fixture, NULL,
              fixture_set_up, test_usage_stream_open, fixture_tear_down);
  g_test_add ("/pcq/api/unauthorized", Fixture, NULL,
              fixture_set_up, test_unauthorized, fixture_tear_down);
  g_test_add ("/pcq/api/bad-request-not-retried", Fixture, NULL,
              fixture_set_up, test_bad_request_not_retried, fixture_tear_down);
  g_test_add ("/pcq/api/rate-limited", Fixture, NULL,
              fixture_set_up, test_rate_limited, fixture_tear_down);
  g_test_add ("/pcq/api/requests-per-minute", Fixture, NULL,
              fixture_set_up, test_api_rpm, fixture_tear_down);
  g_test_add ("/pcq/api/idempotency-key", Fixture, NULL,
              fixture_set_up, test_idempotency_key, fixture_tear_down);
  g_test_add ("/pcq/api/connection-refused", Fixture, NULL,
              fixture_set_up, test_connection_refused, fixture_tear_down);
  g_test_add ("/pcq/api/limit", Fixture, NULL,
              fixture_set_up, test_api_limit, fixture_tear_down);
  g_test_add ("/pcq/api/pause-resume", Fixture, NULL,
              fixture_set_up, test_pause_resume, fixture_tear_down);
  g_test_add ("/pcq/api/key-set-later", Fixture, NULL,
              fixture_set_up, test_key_set_later, fixture_tear_down);
  g_test_add_func ("/pcq/api/keyring", test_keyring);
  g_test_add_func ("/pcq/api/keyring/legacy-schema", test_keyring_legacy);
  g_test_add_func ("/pcq/api/keyring/url-password", test_keyring_url_password);
  g_test_add_func ("/pcq/api/headless/prompts", test_headless_prompts);
  g_test_add_func ("/pcq/api/headless/batch", test_headless_batch);
  g_test_add_func ("/pcq/api/headless/keyring", test_headless_keyring);
  g_test_add_func ("/pcq/api/headless/keyring-bad-key", test_headless_keyring_bad_key);
  g_test_add_func ("/pcq/api/headless/url-password-resume", test_headless_url_password_resume);
  g_test_add_func ("/pcq/api/headless/usage", test_headless_usage);
  g_test_add_func ("/pcq/api/headless/tokens", test_headless_tokens);

  status = g_test_run ();
  server_stop ();
  pcq_test_rm_rf (keyring_dir);
  g_free (models_authorization);

  return status;
}
