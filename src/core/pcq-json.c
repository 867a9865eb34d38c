/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "pcq-error.h"
#include "pcq-json.h"

/* json-glib parses nested arrays and objects by recursion: 100 000
 * brackets in a line of 100 KB overflow the stack. No answer or task
 * line Pcq reads nests anywhere near this deep. */
#define MAX_DEPTH 256

static gboolean
check_depth (const char  *text,
             gsize        length,
             GError     **error)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_DEPTH)
            {
              g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           _("JSON nested deeper than %d levels"), MAX_DEPTH);
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }

  return TRUE;
}

/**
 * pcq_json_parse_object:
 * @parser: the parser that keeps the result alive
 *
 * Returns: (transfer none) (nullable): the object @text holds, or %NULL
 *   with @error set when it is not JSON or not an object
 */
JsonObject *
pcq_json_parse_object (JsonParser  *parser,
                       const char  *text,
                       gssize       length,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (!check_depth (text, length < 0 ? strlen (text) : (gsize) length, error))
    return NULL;

  if (!json_parser_load_from_data (parser, text, length, &local_error))
    {
      /* json-glib 1.6 quotes the text it could not read in its message,
       * bytes that are not UTF-8 included (found by fuzz-api): every
       * caller shows or stores this message. */
      if (!g_utf8_validate (local_error->message, -1, NULL))
        {
          char *clean = pcq_text_sanitize (local_error->message, -1);

          g_free (local_error->message);
          local_error->message = clean;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           _("expected a JSON object"));
      return NULL;
    }

  return json_node_get_object (root);
}

/**
 * pcq_json_get_string:
 *
 * Returns: (transfer none) (nullable): the string member @member of
 *   @object, or %NULL if it is missing or not a string of valid UTF-8
 */
const char *
pcq_json_get_string (JsonObject *object,
                     const char *member)
{
  JsonNode *node = json_object_get_member (object, member);
  const char *text;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  /* json-glib 1.6 lets some bad escapes through as bytes that are not
   * UTF-8 (found by fuzz-input): such a member is no string either. */
  text = json_node_get_string (node);
  return g_utf8_validate (text, -1, NULL) ? text : NULL;
}
