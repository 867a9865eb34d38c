/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The task-line parser: one line (both strictness levels) and a pasted
 * block of lines, as the window and `pcq --headless --input` read them. */

#include "pcq-fuzz.h"
#include "pcq-input.h"

PCQ_FUZZ_INIT ()

static void
check_task (PcqInputLineKind    kind,
            const PcqInputTask *task)
{
  switch (kind)
    {
    case PCQ_INPUT_LINE_EMPTY:
      g_assert_null (task);
      break;

    case PCQ_INPUT_LINE_TASK:
      g_assert_nonnull (task);
      g_assert_null (task->error);
      switch (task->kind)
        {
        case PCQ_INPUT_TASK_LINK:
          g_assert_nonnull (task->url);
          g_assert_true (g_utf8_validate (task->url, -1, NULL));
          /* Whatever headers a task has are ones it may send. */
          if (task->headers != NULL)
            {
              guint n = g_strv_length (task->headers);

              g_assert_cmpuint (n % 2, ==, 0);
              g_assert_cmpuint (n / 2, <=, PCQ_INPUT_HEADERS_MAX);
              for (guint i = 0; i < n; i += 2)
                g_assert_true (pcq_input_check_header (task->headers[i], task->headers[i + 1], NULL));
            }
          break;
        case PCQ_INPUT_TASK_PROMPT:
          g_assert_nonnull (task->prompt);
          g_assert_true (g_utf8_validate (task->prompt, -1, NULL));
          g_assert_null (task->headers);
          break;
        case PCQ_INPUT_TASK_BATCH:
          g_assert_nonnull (task->custom_id);
          g_assert_nonnull (task->body);
          break;
        case PCQ_INPUT_TASK_NONE:
        default:
          g_assert_not_reached ();
        }
      if (task->name != NULL)
        g_assert_true (g_utf8_validate (task->name, -1, NULL));
      break;

    case PCQ_INPUT_LINE_INVALID:
      g_assert_nonnull (task);
      g_assert_nonnull (task->error);
      g_assert_true (g_utf8_validate (task->error, -1, NULL));
      break;

    default:
      g_assert_not_reached ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const PcqInputFlags flags[] = { PCQ_INPUT_FLAGS_NONE, PCQ_INPUT_CHECK_LINKS };
  /* The parsers take C strings: the input up to its first NUL. */
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) pcq_input_task_free);
  g_autoptr(GString) rejected = g_string_new (NULL);
  guint n_rejected;

  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      g_autoptr(PcqInputTask) task = NULL;
      PcqInputLineKind kind = pcq_input_parse_line_full (text, flags[i], &task);

      check_task (kind, task);
    }

  n_rejected = pcq_input_split_lines (text, tasks, rejected);
  g_assert_true ((n_rejected == 0) == (rejected->len == 0));
  for (guint i = 0; i < tasks->len; i++)
    check_task (PCQ_INPUT_LINE_TASK, tasks->pdata[i]);

  return 0;
}
