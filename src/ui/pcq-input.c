/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-input"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "pcq-input.h"
#include "pcq-worker.h"

void
pcq_input_task_free (PcqInputTask *task)
{
  if (task == NULL)
    return;

  g_free (task->url);
  g_free (task->name);
  g_free (task);
}

static PcqInputTask *
pcq_input_task_new (const char *url,
                    const char *name)
{
  PcqInputTask *task = g_new0 (PcqInputTask, 1);

  task->url = g_strdup (url);
  task->name = (name != NULL && *name != '\0') ? g_strdup (name) : NULL;

  return task;
}

/**
 * pcq_input_is_link:
 *
 * Returns: %TRUE if @text is a link the engine can download: the same
 *   test the engine applies (pcq_check_url())
 */
gboolean
pcq_input_is_link (const char *text)
{
  g_autofree char *host = NULL;

  if (text == NULL || *text == '\0')
    return FALSE;

  host = pcq_check_url (text, NULL);

  return host != NULL;
}

static PcqInputLineKind
parse_json_line (const char    *line,
                 PcqInputTask **task)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *object;
  const char *url;
  const char *output;

  if (!json_parser_load_from_data (parser, line, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return PCQ_INPUT_LINE_INVALID;

  object = json_node_get_object (json_parser_get_root (parser));

  /* {"prompt": …} tasks need the API engine, which is not there yet. */
  url = json_object_get_string_member_with_default (object, "url", NULL);
  if (url == NULL || !pcq_input_is_link (url))
    return PCQ_INPUT_LINE_INVALID;

  output = json_object_get_string_member_with_default (object, "output", NULL);
  *task = pcq_input_task_new (url, output);

  return PCQ_INPUT_LINE_TASK;
}

/**
 * pcq_input_parse_line:
 * @line: one line of a URL list or JSON Lines file
 * @task: (out) (optional): the task, for %PCQ_INPUT_LINE_TASK
 *
 * Blank lines and lines starting with `#` are skipped. A line starting
 * with `{` is a JSON object `{"url": …, "output": …}`; any other line is
 * a link.
 */
PcqInputLineKind
pcq_input_parse_line (const char    *line,
                      PcqInputTask **task)
{
  g_autofree char *copy = g_strdup (line);
  PcqInputTask *parsed = NULL;
  PcqInputLineKind kind;
  char *text = g_strstrip (copy);

  if (*text == '\0' || *text == '#')
    kind = PCQ_INPUT_LINE_EMPTY;
  else if (*text == '{')
    kind = parse_json_line (text, &parsed);
  else if (pcq_input_is_link (text))
    {
      parsed = pcq_input_task_new (text, NULL);
      kind = PCQ_INPUT_LINE_TASK;
    }
  else
    kind = PCQ_INPUT_LINE_INVALID;

  if (task != NULL)
    *task = parsed;
  else
    pcq_input_task_free (parsed);

  return kind;
}

/**
 * pcq_input_split_links:
 * @text: what a person typed, pasted or dropped: one link per line
 * @tasks: (element-type PcqInputTask): where the tasks go
 * @rejected: (nullable): the lines that are not links, joined with
 *   newlines, so that they can be shown again and fixed
 *
 * Returns: how many lines were rejected
 */
guint
pcq_input_split_links (const char *text,
                       GPtrArray  *tasks,
                       GString    *rejected)
{
  g_auto(GStrv) lines = NULL;
  guint n_rejected = 0;

  g_return_val_if_fail (text != NULL, 0);
  g_return_val_if_fail (tasks != NULL, 0);

  lines = g_strsplit_set (text, "\r\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      PcqInputTask *task = NULL;
      char *line = g_strstrip (lines[i]);

      switch (pcq_input_parse_line (line, &task))
        {
        case PCQ_INPUT_LINE_EMPTY:
          break;

        case PCQ_INPUT_LINE_TASK:
          g_ptr_array_add (tasks, task);
          break;

        case PCQ_INPUT_LINE_INVALID:
          n_rejected++;
          if (rejected != NULL)
            {
              if (rejected->len > 0)
                g_string_append_c (rejected, '\n');
              g_string_append (rejected, line);
            }
          break;

        default:
          g_assert_not_reached ();
        }
    }

  return n_rejected;
}
