/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "pcq-engine.h"

G_BEGIN_DECLS

/* Turning a line of input into a task: what a person typed, pasted,
 * dropped or imported in the window, and what `pcq --headless --input`
 * reads. One parser for both, so that a file means the same in each. */

typedef enum
{
  PCQ_INPUT_LINE_EMPTY,    /* blank or a # comment */
  PCQ_INPUT_LINE_TASK,     /* a task (see PcqInputTask.kind) */
  PCQ_INPUT_LINE_INVALID,  /* cannot run: PcqInputTask.error says why */
} PcqInputLineKind;

typedef enum
{
  PCQ_INPUT_TASK_NONE,     /* a bad line that is no task of any kind */
  PCQ_INPUT_TASK_LINK,     /* a link, or {"url": …, "output": …} */
  PCQ_INPUT_TASK_PROMPT,   /* {"prompt": …, "output": …} */
  PCQ_INPUT_TASK_BATCH,    /* an OpenAI Batch input line */
} PcqInputTaskKind;

typedef enum
{
  PCQ_INPUT_FLAGS_NONE  = 0,
  /* Links the engine cannot download are bad lines (the window keeps
   * them in its entry, to be fixed). Without it they become tasks that
   * fail with the engine's own message (headless mode). */
  PCQ_INPUT_CHECK_LINKS = 1 << 0,
} PcqInputFlags;

typedef struct
{
  PcqInputTaskKind  kind;
  char             *url;        /* LINK */
  char             *name;       /* nullable: the file name to save to; BATCH: CUSTOM_ID.md */
  char             *prompt;     /* PROMPT */
  char             *custom_id;  /* BATCH; nullable on a bad line */
  JsonObject       *body;       /* BATCH: the chat-completions request body */
  char             *error;      /* INVALID: why the line cannot run */
} PcqInputTask;

PcqInputTask     *pcq_input_task_new_link    (const char          *url,
                                              const char          *name);
void              pcq_input_task_free        (PcqInputTask        *task);
PcqJob           *pcq_input_task_submit      (const PcqInputTask  *task,
                                              PcqEngine           *engine,
                                              const char          *output_dir);

gboolean          pcq_input_is_link          (const char          *text);
PcqInputLineKind  pcq_input_parse_line       (const char          *line,
                                              PcqInputTask       **task);
PcqInputLineKind  pcq_input_parse_line_full  (const char          *line,
                                              PcqInputFlags        flags,
                                              PcqInputTask       **task);
guint             pcq_input_split_lines      (const char          *text,
                                              GPtrArray           *tasks,
                                              GString             *rejected);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqInputTask, pcq_input_task_free)

G_END_DECLS
