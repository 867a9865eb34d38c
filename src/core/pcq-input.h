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
  char             *sha256;     /* LINK, nullable: the digest the file must have (64
                                 * lowercase hex digits) */
  char            **headers;    /* LINK, nullable: request headers a line adds, as
                                 * name, value, name, value…, NULL (checked:
                                 * pcq_input_check_header ()) */
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

gboolean          pcq_input_check_header     (const char          *name,
                                              const char          *value,
                                              GError             **error);
gboolean          pcq_input_is_link          (const char          *text);
PcqInputLineKind  pcq_input_parse_line       (const char          *line,
                                              PcqInputTask       **task);
PcqInputLineKind  pcq_input_parse_line_full  (const char          *line,
                                              PcqInputFlags        flags,
                                              PcqInputTask       **task);
guint             pcq_input_split_lines      (const char          *text,
                                              GPtrArray           *tasks,
                                              GString             *rejected);

/* How long a line may be (in bytes, before its newline): a link line,
 * and a line that starts like JSON (`{`, `[`, `"` after blanks). A
 * longer line, or a NUL byte in any line, means the input is no list of
 * tasks at all. */
#define PCQ_INPUT_LINK_LINE_MAX (64 * 1024)
#define PCQ_INPUT_JSON_LINE_MAX (1024 * 1024)

/* A line's "headers": at most this many, each value at most this long. */
#define PCQ_INPUT_HEADERS_MAX 32
#define PCQ_INPUT_HEADER_VALUE_MAX (8 * 1024)

#define PCQ_INPUT_ERROR (pcq_input_error_quark ())

typedef enum
{
  PCQ_INPUT_ERROR_LINE_TOO_LONG,
  PCQ_INPUT_ERROR_NUL,
} PcqInputError;

/* Cuts a stream of bytes into lines, in linear time, holding no more
 * than one line (at most PCQ_INPUT_JSON_LINE_MAX bytes). */
typedef struct _PcqInputReader PcqInputReader;

/* @line: one line without its newline (NUL-terminated, no NUL inside);
 * @number: its number, from 1 */
typedef void (*PcqInputLineFunc) (const char *line,
                                  guint       number,
                                  gpointer    user_data);

GQuark            pcq_input_error_quark      (void);
PcqInputReader   *pcq_input_reader_new       (void);
void              pcq_input_reader_free      (PcqInputReader      *self);
gboolean          pcq_input_reader_feed      (PcqInputReader      *self,
                                              const char          *data,
                                              gsize                size,
                                              PcqInputLineFunc     func,
                                              gpointer             user_data,
                                              GError             **error);
void              pcq_input_reader_end       (PcqInputReader      *self,
                                              PcqInputLineFunc     func,
                                              gpointer             user_data);
gsize             pcq_input_reader_get_max_held (PcqInputReader   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqInputTask, pcq_input_task_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqInputReader, pcq_input_reader_free)

G_END_DECLS
