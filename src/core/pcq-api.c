/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-api"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "pcq-api.h"
#include "pcq-json.h"
#include "pcq-error.h"

#define SLUG_MAX_WORDS 8
#define SLUG_MAX_BYTES 60
#define MAX_LINE (1024 * 1024)

/* @base (the default when unset) with no white space around it and no
 * trailing slashes, then @path. */
static char *
endpoint_url (const char *base,
              const char *path)
{
  g_autofree char *trimmed = NULL;
  gsize len;

  if (base == NULL || *base == '\0')
    base = PCQ_API_DEFAULT_BASE;

  trimmed = g_strstrip (g_strdup (base));
  len = strlen (trimmed);
  while (len > 0 && trimmed[len - 1] == '/')
    trimmed[--len] = '\0';

  return g_strconcat (trimmed, path, NULL);
}

/**
 * pcq_api_chat_url:
 * @base: an OpenAI-compatible base URL, such as `http://localhost:11434/v1`
 *
 * Returns: (transfer full): `@base/chat/completions`
 */
char *
pcq_api_chat_url (const char *base)
{
  return endpoint_url (base, "/chat/completions");
}

/**
 * pcq_api_models_url:
 * @base: an OpenAI-compatible base URL
 *
 * Returns: (transfer full): `@base/models`, where the server lists the
 *   models it offers
 */
char *
pcq_api_models_url (const char *base)
{
  return endpoint_url (base, "/models");
}

static void
add_message (JsonBuilder *builder,
             const char  *role,
             const char  *content)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, role);
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, content);
  json_builder_end_object (builder);
}

/**
 * pcq_api_build_request:
 * @model: (nullable): the model; left out when %NULL or empty (servers
 *   with one model need none)
 * @system_prompt: (nullable): sent first, as the "system" message
 * @prompt: the user's message
 * @stream: ask for server-sent events (and for the token counts at
 *   their end: `"stream_options": {"include_usage": true}`)
 * @length: (out) (optional): the body's length
 *
 * Returns: (transfer full): the JSON body of a chat-completions request
 */
char *
pcq_api_build_request (const char *model,
                       const char *system_prompt,
                       const char *prompt,
                       gboolean    stream,
                       gsize      *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (prompt != NULL, NULL);

  json_builder_begin_object (builder);
  if (model != NULL && *model != '\0')
    {
      json_builder_set_member_name (builder, "model");
      json_builder_add_string_value (builder, model);
    }
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  if (system_prompt != NULL && *system_prompt != '\0')
    add_message (builder, "system", system_prompt);
  add_message (builder, "user", prompt);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, stream);
  if (stream)
    {
      /* The token counts come in one more event, after the last choice. */
      json_builder_set_member_name (builder, "stream_options");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "include_usage");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, length);
}

/**
 * pcq_api_build_batch_request:
 * @body: a chat-completions request body from a batch file (JSON text)
 * @model: (nullable): the model to add if @body names none
 * @length: (out): the request's length
 * @error: set when @body is not a JSON object
 *
 * Returns: (transfer full): @body as given, or, when it has no "model"
 *   and @model is set, @body with "model": @model added. Nothing else
 *   is changed: "stream" stays as it is, or absent.
 */
char *
pcq_api_build_batch_request (const char  *body,
                             const char  *model,
                             gsize       *length,
                             GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = NULL;
  JsonObject *object;

  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (length != NULL, NULL);

  object = pcq_json_parse_object (parser, body, -1, error);
  if (object == NULL)
    {
      g_prefix_error (error, _("The batch request body cannot be read: "));
      return NULL;
    }

  if (json_object_has_member (object, "model") || model == NULL || *model == '\0')
    {
      *length = strlen (body);
      return g_strdup (body);
    }

  json_object_set_string_member (object, "model", model);
  generator = json_generator_new ();
  json_generator_set_root (generator, json_parser_get_root (parser));
  return json_generator_to_data (generator, length);
}

/* error.message of an OpenAI-style error object, or a bare "error" string. */
static const char *
error_message (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "error");

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    return pcq_json_get_string (json_node_get_object (node), "message");

  return pcq_json_get_string (object, "error");
}

/* choices[0].@member.content, when it is a string. */
static const char *
choice_content (JsonObject *object,
                const char *member)
{
  JsonArray *choices;
  JsonNode *node;
  JsonObject *message;

  node = json_object_get_member (object, "choices");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  choices = json_node_get_array (node);
  if (json_array_get_length (choices) == 0)
    return NULL;

  node = json_array_get_element (choices, 0);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  node = json_object_get_member (json_node_get_object (node), member);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  message = json_node_get_object (node);
  return pcq_json_get_string (message, "content");
}

/* A count of tokens: an integer from 0 to G_MAXINT64, else -1. JSON
 * numbers beyond gint64 come out of json-glib 1.6 as negative ones
 * (wrapped or clamped to -1), so they are refused too; 1.0 or 1e3 are
 * doubles, and no counts either. */
static gint64
token_count (JsonObject *usage,
             const char *member)
{
  JsonNode *node = json_object_get_member (usage, member);
  gint64 n;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;

  n = json_node_get_int (node);
  return n >= 0 ? n : -1;
}

/* @object's "usage": {"prompt_tokens": N, "completion_tokens": M}.
 * Returns whether it had at least one count; @usage is only changed
 * then. */
static gboolean
read_usage (JsonObject  *object,
            PcqApiUsage *usage)
{
  JsonNode *node = json_object_get_member (object, "usage");
  PcqApiUsage found;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;

  found.prompt_tokens = token_count (json_node_get_object (node), "prompt_tokens");
  found.completion_tokens = token_count (json_node_get_object (node), "completion_tokens");
  if (found.prompt_tokens < 0 && found.completion_tokens < 0)
    return FALSE;

  *usage = found;
  return TRUE;
}

/**
 * pcq_api_parse_answer:
 * @body: a chat-completions response body
 * @usage: (out) (optional): the token counts the answer reports, -1
 *   where it has none
 *
 * Returns: (transfer full) (nullable): `choices[0].message.content`, or
 *   %NULL with a %PCQ_ERROR_API error saying what was wrong
 */
char *
pcq_api_parse_answer (const char   *body,
                      gssize        length,
                      PcqApiUsage  *usage,
                      GError      **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  const char *content;

  if (usage != NULL)
    *usage = PCQ_API_USAGE_UNKNOWN;

  object = pcq_json_parse_object (parser, body, length, &local_error);
  if (object == NULL)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_API,
                   _("The server's answer is not chat-completions JSON: %s"), local_error->message);
      return NULL;
    }

  if ((content = error_message (object)) != NULL)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_API, _("The server answered with an error: %s"), content);
      return NULL;
    }

  content = choice_content (object, "message");
  if (content == NULL)
    {
      g_set_error_literal (error, PCQ_ERROR, PCQ_ERROR_API,
                           _("The server's answer has no choices[0].message.content"));
      return NULL;
    }

  if (usage != NULL)
    read_usage (object, usage);

  return g_strdup (content);
}

/**
 * pcq_api_parse_error:
 * @body: an error response body
 *
 * Returns: (transfer full) (nullable): its `error.message`, if any
 */
char *
pcq_api_parse_error (const char *body,
                     gssize      length)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *object;
  const char *message;

  if (body == NULL || length == 0)
    return NULL;

  object = pcq_json_parse_object (parser, body, length, NULL);
  if (object == NULL)
    return NULL;

  message = error_message (object);
  if (message == NULL)
    message = pcq_json_get_string (object, "message");
  if (message == NULL || *message == '\0')
    return NULL;

  return g_strdup (message);
}

/* The longest model id that is offered; longer ones are no name anyone
 * types. */
#define MODEL_ID_MAX 256

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/**
 * pcq_api_parse_models:
 * @body: the answer to `GET {base}/models`: `{"data": [{"id": …}, …]}`
 *
 * Entries that are not objects, or whose "id" is not a string of valid
 * UTF-8, is empty, is longer than 256 bytes or would need sanitizing
 * (line breaks, control or bidi characters: the server would not know
 * the sanitized name), are left out, and so are repeated ids. At most
 * %PCQ_API_MODELS_MAX entries are read.
 *
 * Returns: (transfer full) (nullable): the model ids, sorted, or %NULL
 *   with a %PCQ_ERROR_API error when @body is larger than
 *   %PCQ_API_MODELS_MAX_BODY or is not such a list
 */
GStrv
pcq_api_parse_models (GBytes  *body,
                      GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GHashTable) seen = NULL;
  const char *data;
  gsize size;
  JsonObject *object;
  JsonNode *node;
  JsonArray *array;
  guint n;

  g_return_val_if_fail (body != NULL, NULL);

  data = g_bytes_get_data (body, &size);
  if (size > PCQ_API_MODELS_MAX_BODY)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_API, _("The list of models is larger than %d MiB"),
                   PCQ_API_MODELS_MAX_BODY / (1024 * 1024));
      return NULL;
    }

  object = pcq_json_parse_object (parser, size > 0 ? data : "", size, &local_error);
  if (object == NULL)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_API, _("The list of models is not JSON: %s"),
                   local_error->message);
      return NULL;
    }

  node = json_object_get_member (object, "data");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      const char *message = error_message (object);
      g_autofree char *safe = message != NULL ? pcq_text_sanitize (message, -1) : NULL;

      if (safe != NULL)
        g_set_error (error, PCQ_ERROR, PCQ_ERROR_API, _("The server answered with an error: %s"),
                     safe);
      else
        g_set_error_literal (error, PCQ_ERROR, PCQ_ERROR_API,
                             _("The server's answer has no \"data\" list of models"));
      return NULL;
    }

  array = json_node_get_array (node);
  n = MIN (json_array_get_length (array), PCQ_API_MODELS_MAX);
  ids = g_ptr_array_new_with_free_func (g_free);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *safe = NULL;
      const char *id;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      id = pcq_json_get_string (json_node_get_object (element), "id");
      if (id == NULL || *id == '\0' || strlen (id) > MODEL_ID_MAX)
        continue;
      safe = pcq_text_sanitize (id, -1);
      if (strcmp (safe, id) != 0 || g_hash_table_contains (seen, safe))
        continue;

      g_hash_table_add (seen, safe);
      g_ptr_array_add (ids, g_steal_pointer (&safe));
    }

  g_ptr_array_sort (ids, compare_ids);
  g_ptr_array_add (ids, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

/**
 * pcq_api_slug:
 * @prompt: a prompt
 *
 * Returns: (transfer full): a file name stem from the prompt's first
 *   words: lower case letters and digits joined by '-'; "answer" when
 *   the prompt has none
 */
char *
pcq_api_slug (const char *prompt)
{
  g_autofree char *valid = g_utf8_make_valid (prompt != NULL ? prompt : "", -1);
  g_autoptr(GString) slug = g_string_new (NULL);
  guint words = 0;
  gboolean in_word = FALSE;

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c))
        {
          char buf[6];
          int n = g_unichar_to_utf8 (g_unichar_tolower (c), buf);

          if (!in_word)
            {
              if (words == SLUG_MAX_WORDS)
                break;
              if (slug->len > 0)
                {
                  if (slug->len + 1 + n > SLUG_MAX_BYTES)
                    break;
                  g_string_append_c (slug, '-');
                }
              words++;
              in_word = TRUE;
            }

          if (slug->len + n > SLUG_MAX_BYTES)
            break;
          g_string_append_len (slug, buf, n);
        }
      else if (c == '\'' || c == 0x2019)
        {
          /* "what's" is one word */
        }
      else
        in_word = FALSE;
    }

  if (slug->len > 0 && slug->str[slug->len - 1] == '-')
    g_string_truncate (slug, slug->len - 1);

  if (slug->len == 0)
    g_string_assign (slug, "answer");

  return g_string_free (g_steal_pointer (&slug), FALSE);
}

/**
 * pcq_api_redact:
 * @text: (nullable): a message
 * @secret: (nullable): what must never appear in it
 *
 * Returns: (transfer full) (nullable): @text with every occurrence of
 *   @secret replaced by "[redacted]"
 */
char *
pcq_api_redact (const char *text,
                const char *secret)
{
  g_autoptr(GString) out = NULL;
  const char *hit;
  gsize secret_len;

  if (text == NULL)
    return NULL;

  if (secret == NULL || *secret == '\0')
    return g_strdup (text);

  secret_len = strlen (secret);
  out = g_string_new (NULL);
  while ((hit = strstr (text, secret)) != NULL)
    {
      g_string_append_len (out, text, hit - text);
      g_string_append (out, "[redacted]");
      text = hit + secret_len;
    }
  g_string_append (out, text);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- streamed answers ---------------------------------------------- */

struct _PcqApiStream
{
  GString     *line;
  gboolean     done;       /* "data: [DONE]" */
  gboolean     finished;   /* a choice had a finish_reason */
  gboolean     has_usage;
  PcqApiUsage  usage;      /* from the last event that had it */
};

PcqApiStream *
pcq_api_stream_new (void)
{
  PcqApiStream *self = g_new0 (PcqApiStream, 1);

  self->line = g_string_new (NULL);
  self->usage = PCQ_API_USAGE_UNKNOWN;
  return self;
}

void
pcq_api_stream_free (PcqApiStream *self)
{
  if (self == NULL)
    return;

  g_string_free (self->line, TRUE);
  g_free (self);
}

/**
 * pcq_api_stream_is_done:
 *
 * Returns: %TRUE once the stream said it is complete ("[DONE]", or a
 *   choice with a finish_reason)
 */
gboolean
pcq_api_stream_is_done (PcqApiStream *self)
{
  return self->done || self->finished;
}

/**
 * pcq_api_stream_saw_done:
 *
 * Returns: %TRUE once "data: [DONE]" came: nothing follows it
 */
gboolean
pcq_api_stream_saw_done (PcqApiStream *self)
{
  return self->done;
}

/**
 * pcq_api_stream_get_usage:
 * @usage: (out): the token counts of the last event that had any
 *
 * Returns: whether an event had token counts
 */
gboolean
pcq_api_stream_get_usage (PcqApiStream *self,
                          PcqApiUsage  *usage)
{
  *usage = self->usage;
  return self->has_usage;
}

static gboolean
handle_data (PcqApiStream  *self,
             const char    *data,
             GString       *content,
             GError       **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  JsonNode *node;
  const char *text;

  if (strcmp (data, "[DONE]") == 0)
    {
      self->done = TRUE;
      return TRUE;
    }

  object = pcq_json_parse_object (parser, data, -1, &local_error);
  if (object == NULL)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_API,
                   _("The server's streamed answer is not JSON: %s"), local_error->message);
      return FALSE;
    }

  if ((text = error_message (object)) != NULL)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_API, _("The server answered with an error: %s"), text);
      return FALSE;
    }

  if ((text = choice_content (object, "delta")) != NULL)
    g_string_append (content, text);

  /* With include_usage, the event after the last choice has the counts
   * (and "choices": []); others have "usage": null, or none. */
  if (read_usage (object, &self->usage))
    self->has_usage = TRUE;

  /* choices[0].finish_reason: the last chunk (some servers send no [DONE]). */
  node = json_object_get_member (object, "choices");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node) &&
      json_array_get_length (json_node_get_array (node)) > 0)
    {
      JsonNode *choice = json_array_get_element (json_node_get_array (node), 0);

      if (JSON_NODE_HOLDS_OBJECT (choice))
        {
          JsonNode *reason = json_object_get_member (json_node_get_object (choice), "finish_reason");

          if (reason != NULL && !JSON_NODE_HOLDS_NULL (reason))
            self->finished = TRUE;
        }
    }

  return TRUE;
}

static gboolean
handle_line (PcqApiStream  *self,
             const char    *line,
             GString       *content,
             GError       **error)
{
  const char *value;

  /* Blank lines end events; ':' starts a comment; only data matters. */
  if (!g_str_has_prefix (line, "data:"))
    return TRUE;

  value = line + strlen ("data:");
  if (*value == ' ')
    value++;

  return handle_data (self, value, content, error);
}

/**
 * pcq_api_stream_feed:
 * @data: the next bytes of a `text/event-stream` body
 * @content: (out caller-allocates): the answer's new text is appended here
 *
 * Returns: %FALSE with a %PCQ_ERROR_API error if the stream carries an
 *   error or is not what a chat-completions stream looks like
 */
gboolean
pcq_api_stream_feed (PcqApiStream  *self,
                     const char    *data,
                     gsize          length,
                     GString       *content,
                     GError       **error)
{
  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (self->done)
        return TRUE;  /* nothing counts after [DONE] */

      if (c == '\n')
        {
          if (self->line->len > 0 && self->line->str[self->line->len - 1] == '\r')
            g_string_truncate (self->line, self->line->len - 1);
          if (!handle_line (self, self->line->str, content, error))
            return FALSE;
          g_string_truncate (self->line, 0);
          continue;
        }

      if (self->line->len >= MAX_LINE)
        {
          g_set_error_literal (error, PCQ_ERROR, PCQ_ERROR_API,
                               _("The server's streamed answer has a line over 1 MiB"));
          return FALSE;
        }
      g_string_append_c (self->line, c);
    }

  return TRUE;
}

/**
 * pcq_api_check_key:
 * @key: (nullable): an API key as given, before its surrounding white
 *   space is trimmed
 * @from: where it came from, for the message
 * @error: return location for a %PCQ_ERROR_API_KEY
 *
 * A key goes into a header line: a line break in it would end the
 * header (libsoup then drops the whole header and the request goes out
 * without any key), and no other control character belongs in one.
 * White space around the key is trimmed where it is used, as before.
 *
 * Returns: whether @key may be sent (%NULL and empty keys may: they
 *   mean "no key")
 */
gboolean
pcq_api_check_key (const char     *key,
                   PcqApiKeyFrom   from,
                   GError        **error)
{
  const char *start, *end;

  if (key == NULL)
    return TRUE;

  for (start = key; g_ascii_isspace (*start); start++)
    ;
  for (end = start + strlen (start); end > start && g_ascii_isspace (end[-1]); end--)
    ;

  for (const char *p = start; p < end; p++)
    {
      if (!g_ascii_iscntrl (*p))
        continue;

      switch (from)
        {
        case PCQ_API_KEY_FROM_ENVIRONMENT:
          g_set_error_literal (error, PCQ_ERROR, PCQ_ERROR_API_KEY,
                               _("The API key in PCQ_API_KEY contains a line break or another "
                                 "control character, so it was not used and nothing was sent. "
                                 "Set PCQ_API_KEY to the key alone."));
          break;
        case PCQ_API_KEY_FROM_KEYRING:
          g_set_error_literal (error, PCQ_ERROR, PCQ_ERROR_API_KEY,
                               _("The API key in the keyring contains a line break or another "
                                 "control character, so it was not used and nothing was sent. "
                                 "Enter the key again in Preferences."));
          break;
        case PCQ_API_KEY_FROM_ENTRY:
        default:
          g_set_error_literal (error, PCQ_ERROR, PCQ_ERROR_API_KEY,
                               _("The API key contains a line break or another control "
                                 "character. Enter the key alone."));
          break;
        }
      return FALSE;
    }

  return TRUE;
}
