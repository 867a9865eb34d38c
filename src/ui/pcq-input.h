/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Turning what a person typed, pasted, dropped or imported into tasks.
 * Pure functions: no engine, no widget. */

typedef enum
{
  PCQ_INPUT_LINE_EMPTY,    /* blank or a # comment */
  PCQ_INPUT_LINE_TASK,     /* a link, maybe with a file name */
  PCQ_INPUT_LINE_INVALID,  /* not a link, or a JSON line without one */
} PcqInputLineKind;

typedef struct
{
  char *url;
  char *name;   /* nullable: the file name to save to */
} PcqInputTask;

void             pcq_input_task_free   (PcqInputTask *task);

gboolean         pcq_input_is_link     (const char   *text);
PcqInputLineKind pcq_input_parse_line  (const char   *line,
                                        PcqInputTask **task);
guint            pcq_input_split_links (const char   *text,
                                        GPtrArray    *tasks,
                                        GString      *rejected);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqInputTask, pcq_input_task_free)

G_END_DECLS
