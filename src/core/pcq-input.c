/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-input"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "pcq-error.h"
#include "pcq-input.h"
#include "pcq-json.h"
#include "pcq-worker.h"

void
pcq_input_task_free (PcqInputTask *task)
{
  if (task == NULL)
    return;

  g_free (task->url);
  g_free (task->name);
  g_free (task->sha256);
  g_strfreev (task->headers);
  g_free (task->prompt);
  g_free (task->custom_id);
  g_clear_pointer (&task->body, json_object_unref);
  g_free (task->error);
  g_free (task);
}

static PcqInputTask *
task_new (PcqInputTaskKind kind)
{
  PcqInputTask *task = g_new0 (PcqInputTask, 1);

  task->kind = kind;

  return task;
}

/**
 * pcq_input_task_new_link:
 * @url: a link to download
 * @name: (nullable): the file name to save to
 *
 * Returns: (transfer full): a download task
 */
PcqInputTask *
pcq_input_task_new_link (const char *url,
                         const char *name)
{
  PcqInputTask *task;

  g_return_val_if_fail (url != NULL, NULL);

  task = task_new (PCQ_INPUT_TASK_LINK);
  task->url = g_strdup (url);
  task->name = g_strdup (name);

  return task;
}

static PcqInputLineKind invalid (PcqInputTask **task,
                                 PcqInputTask  *partial,
                                 const char    *format,
                                 ...) G_GNUC_PRINTF (3, 4);

/* A bad line: @partial (if any) keeps what was recognised; the task
 * says why it cannot run. */
static PcqInputLineKind
invalid (PcqInputTask **task,
         PcqInputTask  *partial,
         const char    *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (partial == NULL)
    partial = task_new (PCQ_INPUT_TASK_NONE);

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* Messages quote the line (a parser's words on it, too): shown and
   * logged, they are text like any other from outside. */
  partial->error = pcq_text_sanitize (message, -1);

  *task = partial;

  return PCQ_INPUT_LINE_INVALID;
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
parse_link (const char     *url,
            const char     *name,
            PcqInputFlags   flags,
            PcqInputTask  **task)
{
  if (flags & PCQ_INPUT_CHECK_LINKS)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *host = pcq_check_url (url, &error);

      if (host == NULL)
        return invalid (task, pcq_input_task_new_link (url, name), "%s", error->message);
    }

  *task = pcq_input_task_new_link (url, name);

  return PCQ_INPUT_LINE_TASK;
}

/* An OpenAI Batch input line: {"custom_id": …, "method": "POST",
 * "url": "/v1/chat/completions", "body": {…}}. The answer goes to
 * CUSTOM_ID.md. */
static PcqInputLineKind
parse_batch_object (JsonObject    *object,
                    PcqInputTask **task)
{
  g_autoptr(PcqInputTask) batch = task_new (PCQ_INPUT_TASK_BATCH);
  const char *custom_id = pcq_json_get_string (object, "custom_id");
  const char *method = pcq_json_get_string (object, "method");
  const char *url = pcq_json_get_string (object, "url");
  JsonNode *body = json_object_get_member (object, "body");

  if (custom_id == NULL || *custom_id == '\0')
    return invalid (task, g_steal_pointer (&batch),
                    _("batch request: missing \"custom_id\" string"));

  batch->custom_id = g_strdup (custom_id);

  if (g_strcmp0 (method, "POST") != 0)
    return invalid (task, g_steal_pointer (&batch),
                    _("batch request “%s”: unsupported \"method\" (only \"POST\")"), custom_id);

  if (g_strcmp0 (url, "/v1/chat/completions") != 0 && g_strcmp0 (url, "/chat/completions") != 0)
    return invalid (task, g_steal_pointer (&batch),
                    _("batch request “%s”: unsupported \"url\" (only \"/v1/chat/completions\")"),
                    custom_id);

  if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body))
    return invalid (task, g_steal_pointer (&batch),
                    _("batch request “%s”: \"body\" must be a JSON object"), custom_id);

  batch->body = json_object_ref (json_node_get_object (body));
  batch->name = g_strconcat (custom_id, ".md", NULL);
  *task = g_steal_pointer (&batch);

  return PCQ_INPUT_LINE_TASK;
}

/* "sha256": exactly 64 hexadecimal digits (either case), kept in
 * lowercase as g_checksum_get_string () gives it. */
static char *
parse_sha256 (const char *value)
{
  if (value == NULL || strlen (value) != 64)
    return NULL;

  for (const char *p = value; *p != '\0'; p++)
    {
      if (!g_ascii_isxdigit (*p))
        return NULL;
    }

  return g_ascii_strdown (value, -1);
}

/* RFC 9110 tchar: what a header's name may be made of. */
static gboolean
is_token (const char *name)
{
  if (*name == '\0')
    return FALSE;

  for (const char *p = name; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`|~", *p) == NULL)
        return FALSE;
    }

  return TRUE;
}

/* Headers that say how the message is framed, where it goes or which
 * part of the file comes: libsoup's and the download's own. */
static gboolean
is_reserved (const char *name)
{
  static const char * const reserved[] = {
    "Host", "Content-Length", "Transfer-Encoding", "Connection", "Range", "If-Range",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (reserved); i++)
    {
      if (g_ascii_strcasecmp (name, reserved[i]) == 0)
        return TRUE;
    }

  return g_ascii_strncasecmp (name, "Proxy-", 6) == 0;
}

/**
 * pcq_input_check_header:
 * @name: a header's name, from outside
 * @value: its value, from outside
 *
 * Whether a task may send @name: @value: a token name that is not one
 * the download must set itself, and a UTF-8 value of at most
 * %PCQ_INPUT_HEADER_VALUE_MAX bytes without CR, LF or NUL (which would
 * start another header, or end the request).
 *
 * Returns: %TRUE if it may
 */
gboolean
pcq_input_check_header (const char  *name,
                        const char  *value,
                        GError     **error)
{
  g_return_val_if_fail (name != NULL, FALSE);

  /* The name is only quoted once known to be a token. */
  if (!is_token (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("\"headers\": a header name must be a token (letters, digits, !#$%%&'*+-.^_`|~)"));
      return FALSE;
    }

  if (is_reserved (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("\"headers\": “%s” is set by Pcq itself"), name);
      return FALSE;
    }

  if (value == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("\"headers\": the value of “%s” must be a string"), name);
      return FALSE;
    }

  if (strlen (value) > PCQ_INPUT_HEADER_VALUE_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("\"headers\": the value of “%s” is longer than %d bytes"),
                   name, PCQ_INPUT_HEADER_VALUE_MAX);
      return FALSE;
    }

  if (!g_utf8_validate (value, -1, NULL) || strpbrk (value, "\r\n") != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("\"headers\": the value of “%s” must be one line of UTF-8 text"), name);
      return FALSE;
    }

  return TRUE;
}

/* "headers": {"Name": "value", …}, checked member by member. A name
 * given twice (in any case) is refused: which one was meant? */
static char **
parse_headers (JsonNode  *node,
               GError   **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GList) members = NULL;
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("\"headers\" must be a JSON object"));
      return NULL;
    }

  object = json_node_get_object (node);
  if (json_object_get_size (object) > PCQ_INPUT_HEADERS_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("\"headers\": more than %d headers"), PCQ_INPUT_HEADERS_MAX);
      return NULL;
    }

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      const char *value = pcq_json_get_string (object, name);

      if (!pcq_input_check_header (name, value, error))
        return NULL;

      if (!g_hash_table_add (seen, g_ascii_strdown (name, -1)))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("\"headers\": “%s” is given twice"), name);
          return NULL;
        }

      g_strv_builder_add (builder, name);
      g_strv_builder_add (builder, value);
    }

  return g_strv_builder_end (builder);
}

/* A JSON Lines object: {"url": …, "output": …, "sha256": …},
 * {"prompt": …, "output": …} or an OpenAI Batch request. */
static PcqInputLineKind
parse_json_line (const char     *line,
                 PcqInputFlags   flags,
                 PcqInputTask  **task)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = NULL;
  g_auto(GStrv) headers = NULL;
  PcqInputLineKind kind;
  JsonObject *object;
  const char *url;
  const char *prompt;
  const char *output;

  object = pcq_json_parse_object (parser, line, -1, &error);
  if (object == NULL)
    return invalid (task, NULL, "%s", error->message);

  if (json_object_has_member (object, "custom_id") || json_object_has_member (object, "body") ||
      json_object_has_member (object, "method"))
    return parse_batch_object (object, task);

  url = pcq_json_get_string (object, "url");
  prompt = pcq_json_get_string (object, "prompt");
  output = pcq_json_get_string (object, "output");
  if (json_object_has_member (object, "output") && output == NULL)
    return invalid (task, NULL, _("\"output\" must be a string"));

  if (url != NULL && prompt != NULL)
    return invalid (task, NULL, _("give either \"url\" or \"prompt\", not both"));

  /* An answer is new each time: there is nothing to compare it with. */
  if (prompt != NULL && json_object_has_member (object, "sha256"))
    return invalid (task, NULL, _("\"sha256\" is for a \"url\", not a \"prompt\""));
  if (prompt != NULL && json_object_has_member (object, "headers"))
    return invalid (task, NULL, _("\"headers\" is for a \"url\", not a \"prompt\""));

  if (prompt != NULL)
    {
      PcqInputTask *ask = task_new (PCQ_INPUT_TASK_PROMPT);

      ask->prompt = g_strdup (prompt);
      ask->name = g_strdup (output);
      if (*prompt == '\0')
        return invalid (task, ask, _("\"prompt\" is empty"));

      *task = ask;
      return PCQ_INPUT_LINE_TASK;
    }

  if (url == NULL)
    return invalid (task, NULL, _("expected a \"url\" or \"prompt\" string member"));

  if (json_object_has_member (object, "sha256"))
    {
      sha256 = parse_sha256 (pcq_json_get_string (object, "sha256"));
      if (sha256 == NULL)
        return invalid (task, pcq_input_task_new_link (url, output),
                        _("\"sha256\" must be a string of 64 hexadecimal digits"));
    }

  if (json_object_has_member (object, "headers"))
    {
      headers = parse_headers (json_object_get_member (object, "headers"), &error);
      if (headers == NULL)
        return invalid (task, pcq_input_task_new_link (url, output), "%s", error->message);
    }

  kind = parse_link (url, output, flags, task);
  (*task)->sha256 = g_steal_pointer (&sha256);
  (*task)->headers = g_steal_pointer (&headers);
  return kind;
}

/**
 * pcq_input_parse_line_full:
 * @line: one line of a URL list or JSON Lines file (UTF-8 or not)
 * @flags: how strict to be
 * @task: (out) (optional): the task, for %PCQ_INPUT_LINE_TASK; for
 *   %PCQ_INPUT_LINE_INVALID, what was recognised (its kind, a batch
 *   line's custom_id) and the error message
 *
 * Blank lines and lines starting with `#` are skipped. A line that
 * starts like JSON (`{`, `[`, `"`) is a JSON object: `{"url": …,
 * "output": …}`, `{"prompt": …, "output": …}` or an OpenAI Batch
 * request `{"custom_id": …, "method": "POST", "url":
 * "/v1/chat/completions", "body": {…}}`. Any other line is a link.
 */
PcqInputLineKind
pcq_input_parse_line_full (const char     *line,
                           PcqInputFlags   flags,
                           PcqInputTask  **task)
{
  g_autofree char *copy = NULL;
  PcqInputTask *parsed = NULL;
  PcqInputLineKind kind;
  char *text;

  g_return_val_if_fail (line != NULL, PCQ_INPUT_LINE_INVALID);

  if (!g_utf8_validate (line, -1, NULL))
    kind = invalid (&parsed, NULL, _("not valid UTF-8"));
  else
    {
      copy = g_strdup (line);
      text = g_strstrip (copy);

      if (*text == '\0' || *text == '#')
        kind = PCQ_INPUT_LINE_EMPTY;
      else if (strchr ("{[\"", *text) != NULL)
        kind = parse_json_line (text, flags, &parsed);
      else
        kind = parse_link (text, NULL, flags, &parsed);
    }

  if (task != NULL)
    *task = parsed;
  else
    pcq_input_task_free (parsed);

  return kind;
}

/**
 * pcq_input_parse_line:
 *
 * pcq_input_parse_line_full() with %PCQ_INPUT_CHECK_LINKS: what the
 * window takes.
 */
PcqInputLineKind
pcq_input_parse_line (const char    *line,
                      PcqInputTask **task)
{
  return pcq_input_parse_line_full (line, PCQ_INPUT_CHECK_LINKS, task);
}

/**
 * pcq_input_split_lines:
 * @text: what a person typed, pasted or dropped: one task per line
 * @tasks: (element-type PcqInputTask): where the tasks go
 * @rejected: (nullable): the lines that are no tasks, joined with
 *   newlines, so that they can be shown again and fixed
 *
 * Returns: how many lines were rejected
 */
guint
pcq_input_split_lines (const char *text,
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
      g_autoptr(PcqInputTask) task = NULL;
      char *line = g_strstrip (lines[i]);

      switch (pcq_input_parse_line (line, &task))
        {
        case PCQ_INPUT_LINE_EMPTY:
          break;

        case PCQ_INPUT_LINE_TASK:
          g_ptr_array_add (tasks, g_steal_pointer (&task));
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

/* Reading a list of tasks */

G_DEFINE_QUARK (pcq-input-error-quark, pcq_input_error)

struct _PcqInputReader
{
  GString  *line;      /* the line being read, without its newline */
  gsize     max;       /* its bound: a link line's, until it starts like JSON */
  gboolean  started;   /* a byte other than a blank was seen in it */
  guint     number;    /* lines ended so far */
  gsize     max_held;
  gboolean  failed;
};

/**
 * pcq_input_reader_new:
 *
 * A reader for a list of tasks of any size, from a file or a stream: it
 * looks at each byte once and holds one line at most, so that a file
 * that is no list (a binary, /dev/zero) costs little time and memory
 * before it is refused.
 *
 * Returns: (transfer full): a reader at line 1
 */
PcqInputReader *
pcq_input_reader_new (void)
{
  PcqInputReader *self = g_new0 (PcqInputReader, 1);

  self->line = g_string_new (NULL);
  self->max = PCQ_INPUT_LINK_LINE_MAX;

  return self;
}

void
pcq_input_reader_free (PcqInputReader *self)
{
  if (self == NULL)
    return;

  g_string_free (self->line, TRUE);
  g_free (self);
}

/* The error names the line by its number only: its bytes are whatever
 * the file held, and are not shown. */
static gboolean
reader_fail (PcqInputReader  *self,
             PcqInputError    code,
             GError         **error)
{
  guint number = self->number + 1;

  self->failed = TRUE;

  if (code == PCQ_INPUT_ERROR_NUL)
    {
      g_set_error (error, PCQ_INPUT_ERROR, code,
                   _("line %u contains a NUL byte: not a list of tasks"), number);
    }
  else
    {
      g_autofree char *size = NULL;

      if (self->max % (1024 * 1024) == 0)
        size = g_strdup_printf ("%" G_GSIZE_FORMAT " MiB", self->max / (1024 * 1024));
      else
        size = g_strdup_printf ("%" G_GSIZE_FORMAT " KiB", self->max / 1024);
      /* TRANSLATORS: %s is a size, “64 KiB” */
      g_set_error (error, PCQ_INPUT_ERROR, code,
                   _("line %u is longer than %s: not a list of tasks"), number, size);
    }

  return FALSE;
}

/* Adds @size bytes (no newline among them) to the current line. */
static gboolean
reader_append (PcqInputReader  *self,
               const char      *data,
               gsize            size,
               GError         **error)
{
  if (memchr (data, '\0', size) != NULL)
    return reader_fail (self, PCQ_INPUT_ERROR_NUL, error);

  /* Its first byte other than a blank says which bound applies, as it
   * says how pcq_input_parse_line_full() reads it. */
  for (gsize i = 0; !self->started && i < size; i++)
    {
      if (g_ascii_isspace (data[i]))
        continue;

      self->started = TRUE;
      if (strchr ("{[\"", data[i]) != NULL)
        self->max = PCQ_INPUT_JSON_LINE_MAX;
    }

  if (size > self->max - self->line->len)
    return reader_fail (self, PCQ_INPUT_ERROR_LINE_TOO_LONG, error);

  g_string_append_len (self->line, data, size);
  self->max_held = MAX (self->max_held, self->line->len);

  return TRUE;
}

static void
reader_end_line (PcqInputReader   *self,
                 PcqInputLineFunc  func,
                 gpointer          user_data)
{
  self->number++;
  if (func != NULL)
    func (self->line->str, self->number, user_data);

  g_string_truncate (self->line, 0);
  self->max = PCQ_INPUT_LINK_LINE_MAX;
  self->started = FALSE;
}

/**
 * pcq_input_reader_feed:
 * @data: (array length=size): the next bytes of the input
 * @func: (nullable): called with each line they end (none: only check)
 * @error: return location for a %PCQ_INPUT_ERROR
 *
 * Returns: %FALSE if the input is no list of tasks: a line is longer
 *   than its bound, or holds a NUL byte. The reader takes nothing more
 *   then.
 */
gboolean
pcq_input_reader_feed (PcqInputReader    *self,
                       const char        *data,
                       gsize              size,
                       PcqInputLineFunc   func,
                       gpointer           user_data,
                       GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->failed, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  while (size > 0)
    {
      const char *newline = memchr (data, '\n', size);
      gsize length = newline != NULL ? (gsize) (newline - data) : size;

      if (!reader_append (self, data, length, error))
        return FALSE;

      if (newline == NULL)
        break;

      reader_end_line (self, func, user_data);
      data = newline + 1;
      size -= length + 1;
    }

  return TRUE;
}

/**
 * pcq_input_reader_end:
 *
 * The input ended: its last line may lack its newline.
 */
void
pcq_input_reader_end (PcqInputReader   *self,
                      PcqInputLineFunc  func,
                      gpointer          user_data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->failed);

  if (self->line->len > 0)
    reader_end_line (self, func, user_data);
}

/**
 * pcq_input_reader_get_max_held:
 *
 * Returns: the most bytes of one line the reader held at once
 */
gsize
pcq_input_reader_get_max_held (PcqInputReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->max_held;
}

/**
 * pcq_input_task_submit:
 * @task: a task from pcq_input_parse_line() (not a bad line's)
 * @engine: the engine to queue it on
 * @output_dir: where its result goes
 *
 * Queues @task: a download, an API task with the engine's API base and
 * model, or a batch request sent as given.
 *
 * Returns: (transfer none): the new job, owned by the engine's list
 */
PcqJob *
pcq_input_task_submit (const PcqInputTask *task,
                       PcqEngine          *engine,
                       const char         *output_dir)
{
  g_return_val_if_fail (task != NULL, NULL);
  g_return_val_if_fail (task->error == NULL, NULL);
  g_return_val_if_fail (PCQ_IS_ENGINE (engine), NULL);

  switch (task->kind)
    {
    case PCQ_INPUT_TASK_LINK:
      return pcq_engine_submit_download (engine, task->url, output_dir, task->name, task->sha256,
                                         (const char * const *) task->headers);

    case PCQ_INPUT_TASK_PROMPT:
      return pcq_engine_submit_prompt (engine, task->prompt, output_dir, task->name);

    case PCQ_INPUT_TASK_BATCH:
      {
        g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), task->body);
        g_autofree char *json = json_to_string (node, FALSE);

        return pcq_engine_submit_request (engine, json, output_dir, task->name);
      }

    case PCQ_INPUT_TASK_NONE:
    default:
      g_return_val_if_reached (NULL);
    }
}
