/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pcq-json.h"

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
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, length, error))
    return NULL;

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
 *   @object, or %NULL if it is missing or not a string
 */
const char *
pcq_json_get_string (JsonObject *object,
                     const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}
