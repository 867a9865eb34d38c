/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The one parser of input lines (src/core/pcq-input.c), that the window
 * and `pcq --headless --input` share: the four kinds of task and the
 * lines that cannot run, with the messages headless mode reports.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "pcq-input.h"
#include "pcq-test-engine.h"

#define BATCH_PREFIX "{\"custom_id\": \"req-1\", \"method\": \"POST\", "

/* Parses @line, which must be of @expected kind; returns the task (a
 * bad line's tells its kind, custom_id and error). */
static PcqInputTask *
parse (const char       *line,
       PcqInputFlags     flags,
       PcqInputLineKind  expected)
{
  PcqInputTask *task = NULL;

  g_assert_cmpint (pcq_input_parse_line_full (line, flags, &task), ==, expected);
  g_assert_nonnull (task);
  if (expected == PCQ_INPUT_LINE_INVALID)
    g_assert_true (task->error != NULL && *task->error != '\0');
  else
    g_assert_null (task->error);

  return task;
}

#define parse_ok(line, flags)  parse ((line), (flags), PCQ_INPUT_LINE_TASK)
#define parse_bad(line, flags) parse ((line), (flags), PCQ_INPUT_LINE_INVALID)

static void
assert_bad (const char       *line,
            PcqInputTaskKind  kind,
            const char       *custom_id,
            const char       *error)
{
  g_autoptr(PcqInputTask) task = parse_bad (line, PCQ_INPUT_FLAGS_NONE);

  g_assert_cmpint (task->kind, ==, kind);
  g_assert_cmpstr (task->custom_id, ==, custom_id);
  if (error != NULL)
    g_assert_cmpstr (task->error, ==, error);
}

static void
test_empty (void)
{
  PcqInputTask *task = GINT_TO_POINTER (1);

  g_assert_cmpint (pcq_input_parse_line ("", NULL), ==, PCQ_INPUT_LINE_EMPTY);
  g_assert_cmpint (pcq_input_parse_line ("  \t ", NULL), ==, PCQ_INPUT_LINE_EMPTY);
  g_assert_cmpint (pcq_input_parse_line ("   # x", &task), ==, PCQ_INPUT_LINE_EMPTY);
  g_assert_null (task);
  g_assert_cmpint (pcq_input_parse_line_full ("#{\"url\": 1}", PCQ_INPUT_FLAGS_NONE, NULL), ==,
                   PCQ_INPUT_LINE_EMPTY);
}

static void
test_link (void)
{
  g_autoptr(PcqInputTask) plain = parse_ok ("  http://host/x  ", PCQ_INPUT_CHECK_LINKS);
  g_autoptr(PcqInputTask) json = NULL;
  g_autoptr(PcqInputTask) unchecked = NULL;
  g_autoptr(PcqInputTask) bad = NULL;

  g_assert_cmpint (plain->kind, ==, PCQ_INPUT_TASK_LINK);
  g_assert_cmpstr (plain->url, ==, "http://host/x");
  g_assert_null (plain->name);
  g_assert_null (plain->prompt);
  g_assert_null (plain->body);

  json = parse_ok ("{\"url\": \"https://example.org/d\", \"output\": \"d.bin\"}",
                   PCQ_INPUT_CHECK_LINKS);
  g_assert_cmpint (json->kind, ==, PCQ_INPUT_TASK_LINK);
  g_assert_cmpstr (json->url, ==, "https://example.org/d");
  g_assert_cmpstr (json->name, ==, "d.bin");

  /* The window checks links as the engine would; … */
  g_assert_cmpint (pcq_input_parse_line ("mailto:a@b.c", NULL), ==, PCQ_INPUT_LINE_INVALID);
  g_assert_cmpint (pcq_input_parse_line ("not a link", NULL), ==, PCQ_INPUT_LINE_INVALID);
  g_assert_cmpint (pcq_input_parse_line ("http://", NULL), ==, PCQ_INPUT_LINE_INVALID);
  bad = parse_bad ("{\"url\": \"file:///etc/passwd\"}", PCQ_INPUT_CHECK_LINKS);
  g_assert_cmpint (bad->kind, ==, PCQ_INPUT_TASK_LINK);
  g_assert_cmpstr (bad->url, ==, "file:///etc/passwd");

  /* … headless mode queues them, and the engine fails them with its
   * own message, as a task. */
  unchecked = parse_ok ("ftp://example.org/b", PCQ_INPUT_FLAGS_NONE);
  g_assert_cmpint (unchecked->kind, ==, PCQ_INPUT_TASK_LINK);
  g_assert_cmpstr (unchecked->url, ==, "ftp://example.org/b");

  g_assert_true (pcq_input_is_link ("HTTPS://Example.org/"));
  g_assert_false (pcq_input_is_link ("example.org/file"));
  g_assert_false (pcq_input_is_link (""));
  g_assert_false (pcq_input_is_link (NULL));
}

#define SHA_UPPER "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
#define SHA_LOWER "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* "sha256": 64 hex digits, kept in lowercase; anything else is a bad
 * line, said so. */
static void
test_sha256 (void)
{
  g_autoptr(PcqInputTask) checked = NULL;
  g_autoptr(PcqInputTask) plain = NULL;

  checked = parse_ok ("{\"url\": \"https://example.org/d\", \"sha256\": \"" SHA_UPPER "\"}",
                      PCQ_INPUT_CHECK_LINKS);
  g_assert_cmpint (checked->kind, ==, PCQ_INPUT_TASK_LINK);
  g_assert_cmpstr (checked->sha256, ==, SHA_LOWER);
  plain = parse_ok ("{\"url\": \"https://example.org/d\"}", PCQ_INPUT_CHECK_LINKS);
  g_assert_null (plain->sha256);

  assert_bad ("{\"url\": \"http://h/a\", \"sha256\": \"abc\"}", PCQ_INPUT_TASK_LINK, NULL,
              "\"sha256\" must be a string of 64 hexadecimal digits");
  /* 63 and 65 digits, a non-hex digit, a number, null, white space. */
  assert_bad ("{\"url\": \"http://h/a\", \"sha256\": \"" SHA_LOWER "0\"}", PCQ_INPUT_TASK_LINK, NULL,
              "\"sha256\" must be a string of 64 hexadecimal digits");
  assert_bad ("{\"url\": \"http://h/a\", \"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\"}",
              PCQ_INPUT_TASK_LINK, NULL, "\"sha256\" must be a string of 64 hexadecimal digits");
  assert_bad ("{\"url\": \"http://h/a\", \"sha256\": \"g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}",
              PCQ_INPUT_TASK_LINK, NULL, "\"sha256\" must be a string of 64 hexadecimal digits");
  assert_bad ("{\"url\": \"http://h/a\", \"sha256\": \" e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\"}",
              PCQ_INPUT_TASK_LINK, NULL, "\"sha256\" must be a string of 64 hexadecimal digits");
  assert_bad ("{\"url\": \"http://h/a\", \"sha256\": 42}", PCQ_INPUT_TASK_LINK, NULL,
              "\"sha256\" must be a string of 64 hexadecimal digits");
  assert_bad ("{\"url\": \"http://h/a\", \"sha256\": null}", PCQ_INPUT_TASK_LINK, NULL,
              "\"sha256\" must be a string of 64 hexadecimal digits");
  assert_bad ("{\"prompt\": \"p\", \"sha256\": \"" SHA_LOWER "\"}", PCQ_INPUT_TASK_NONE, NULL,
              "\"sha256\" is for a \"url\", not a \"prompt\"");
}

static void
test_prompt (void)
{
  g_autoptr(PcqInputTask) task = NULL;
  g_autoptr(PcqInputTask) named = NULL;

  task = parse_ok ("{\"prompt\": \"What is a queue?\\nIn one line.\"}", PCQ_INPUT_CHECK_LINKS);
  g_assert_cmpint (task->kind, ==, PCQ_INPUT_TASK_PROMPT);
  g_assert_cmpstr (task->prompt, ==, "What is a queue?\nIn one line.");
  g_assert_null (task->name);
  g_assert_null (task->url);

  named = parse_ok ("{\"prompt\": \"hello\", \"output\": \"hello.md\"}", PCQ_INPUT_FLAGS_NONE);
  g_assert_cmpint (named->kind, ==, PCQ_INPUT_TASK_PROMPT);
  g_assert_cmpstr (named->name, ==, "hello.md");
}

static void
test_batch (void)
{
  g_autoptr(PcqInputTask) task = NULL;
  g_autoptr(PcqInputTask) short_url = NULL;
  JsonArray *messages;

  task = parse_ok (BATCH_PREFIX "\"url\": \"/v1/chat/completions\", "
                   "\"body\": {\"model\": \"m\", \"messages\": [{\"role\": \"user\", "
                   "\"content\": \"Hi\"}]}}", PCQ_INPUT_CHECK_LINKS);
  g_assert_cmpint (task->kind, ==, PCQ_INPUT_TASK_BATCH);
  g_assert_cmpstr (task->custom_id, ==, "req-1");
  g_assert_cmpstr (task->name, ==, "req-1.md");
  g_assert_null (task->url);
  g_assert_nonnull (task->body);
  g_assert_cmpstr (json_object_get_string_member (task->body, "model"), ==, "m");
  messages = json_object_get_array_member (task->body, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);

  /* The path without /v1 is the same endpoint. */
  short_url = parse_ok (BATCH_PREFIX "\"url\": \"/chat/completions\", \"body\": {}}",
                        PCQ_INPUT_FLAGS_NONE);
  g_assert_cmpint (short_url->kind, ==, PCQ_INPUT_TASK_BATCH);
}

/* What headless mode reports for lines that cannot run (stderr with the
 * line number, and errors.jsonl). */
static void
test_bad_lines (void)
{
  g_autoptr(PcqInputTask) broken = NULL;

  /* Not JSON: json-glib's own message. */
  broken = parse_bad ("{\"url\": \"http://h/a\", ", PCQ_INPUT_FLAGS_NONE);
  g_assert_cmpint (broken->kind, ==, PCQ_INPUT_TASK_NONE);
  g_assert_null (broken->custom_id);
  g_clear_pointer (&broken, pcq_input_task_free);
  broken = parse_bad (BATCH_PREFIX "\"url\": ", PCQ_INPUT_FLAGS_NONE);
  g_assert_null (broken->custom_id);

  assert_bad ("\xff\xfe not UTF-8", PCQ_INPUT_TASK_NONE, NULL, "not valid UTF-8");
  assert_bad ("[1, 2]", PCQ_INPUT_TASK_NONE, NULL, "expected a JSON object");
  assert_bad ("\"a string\"", PCQ_INPUT_TASK_NONE, NULL, "expected a JSON object");
  assert_bad ("{\"output\": \"x.bin\"}", PCQ_INPUT_TASK_NONE, NULL,
              "expected a \"url\" or \"prompt\" string member");
  assert_bad ("{\"url\": 42}", PCQ_INPUT_TASK_NONE, NULL,
              "expected a \"url\" or \"prompt\" string member");
  assert_bad ("{\"url\": \"http://h/a\", \"output\": 7}", PCQ_INPUT_TASK_NONE, NULL,
              "\"output\" must be a string");
  assert_bad ("{\"url\": \"http://h/a\", \"prompt\": \"p\"}", PCQ_INPUT_TASK_NONE, NULL,
              "give either \"url\" or \"prompt\", not both");
  assert_bad ("{\"prompt\": \"\"}", PCQ_INPUT_TASK_PROMPT, NULL, "\"prompt\" is empty");

  /* Batch lines: recognised as such (they count as batch lines), with
   * their custom_id where they have one. */
  assert_bad ("{\"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {}}",
              PCQ_INPUT_TASK_BATCH, NULL, "batch request: missing \"custom_id\" string");
  assert_bad ("{\"custom_id\": \"\", \"body\": {}}",
              PCQ_INPUT_TASK_BATCH, NULL, "batch request: missing \"custom_id\" string");
  assert_bad ("{\"custom_id\": \"eps\", \"method\": \"GET\", \"url\": \"/v1/chat/completions\", "
              "\"body\": {\"messages\": []}}",
              PCQ_INPUT_TASK_BATCH, "eps",
              "batch request “eps”: unsupported \"method\" (only \"POST\")");
  assert_bad (BATCH_PREFIX "\"body\": {}}",
              PCQ_INPUT_TASK_BATCH, "req-1",
              "batch request “req-1”: unsupported \"url\" (only \"/v1/chat/completions\")");
  assert_bad (BATCH_PREFIX "\"url\": \"/v1/embeddings\", \"body\": {}}",
              PCQ_INPUT_TASK_BATCH, "req-1",
              "batch request “req-1”: unsupported \"url\" (only \"/v1/chat/completions\")");
  assert_bad (BATCH_PREFIX "\"url\": \"/v1/chat/completions\", \"body\": \"text\"}",
              PCQ_INPUT_TASK_BATCH, "req-1",
              "batch request “req-1”: \"body\" must be a JSON object");
  assert_bad (BATCH_PREFIX "\"url\": \"/v1/chat/completions\"}",
              PCQ_INPUT_TASK_BATCH, "req-1",
              "batch request “req-1”: \"body\" must be a JSON object");
}

static void
test_split_lines (void)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) pcq_input_task_free);
  g_autoptr(GString) rejected = g_string_new (NULL);
  PcqInputTask *task;
  guint n;

  n = pcq_input_split_lines ("  http://example.org/a.iso  \r\n"
                             "not a link\n"
                             "\n"
                             "ftp://example.org/b\n"
                             "# a comment\n"
                             "https://example.org/c?x=1\n"
                             "{\"url\": \"https://example.org/d\", \"output\": \"d.bin\"}\n"
                             "{\"prompt\": \"hello\"}\n"
                             BATCH_PREFIX "\"url\": \"/v1/chat/completions\", \"body\": {}}\n"
                             "{\"prompt\": 1}\n"
                             "http://\n",
                             tasks, rejected);

  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpstr (rejected->str, ==,
                   "not a link\nftp://example.org/b\n{\"prompt\": 1}\nhttp://");
  g_assert_cmpuint (tasks->len, ==, 5);

  task = g_ptr_array_index (tasks, 0);
  g_assert_cmpint (task->kind, ==, PCQ_INPUT_TASK_LINK);
  g_assert_cmpstr (task->url, ==, "http://example.org/a.iso");
  g_assert_null (task->name);
  task = g_ptr_array_index (tasks, 1);
  g_assert_cmpstr (task->url, ==, "https://example.org/c?x=1");
  task = g_ptr_array_index (tasks, 2);
  g_assert_cmpstr (task->url, ==, "https://example.org/d");
  g_assert_cmpstr (task->name, ==, "d.bin");
  task = g_ptr_array_index (tasks, 3);
  g_assert_cmpint (task->kind, ==, PCQ_INPUT_TASK_PROMPT);
  g_assert_cmpstr (task->prompt, ==, "hello");
  task = g_ptr_array_index (tasks, 4);
  g_assert_cmpint (task->kind, ==, PCQ_INPUT_TASK_BATCH);
  g_assert_cmpstr (task->custom_id, ==, "req-1");
}

/* Each kind becomes the engine's job of that kind. Paused: nothing is
 * sent anywhere. */
static void
test_submit (void)
{
  g_autoptr(PcqEngine) engine = pcq_engine_new ();
  g_autofree char *dir = g_dir_make_tmp ("pcq-input-XXXXXX", NULL);
  g_autoptr(PcqInputTask) link = parse_ok ("{\"url\": \"http://127.0.0.1:1/a\", \"output\": \"a.bin\"}",
                                           PCQ_INPUT_FLAGS_NONE);
  g_autoptr(PcqInputTask) prompt = parse_ok ("{\"prompt\": \"Why?\"}", PCQ_INPUT_FLAGS_NONE);
  g_autoptr(PcqInputTask) batch = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *body;
  PcqJob *job;

  batch = parse_ok (BATCH_PREFIX "\"url\": \"/v1/chat/completions\", "
                    "\"body\": {\"model\": \"m\", \"messages\": []}}", PCQ_INPUT_FLAGS_NONE);

  g_assert_nonnull (dir);
  pcq_engine_set_paused (engine, TRUE);

  job = pcq_input_task_submit (link, engine, dir);
  g_assert_cmpint (pcq_job_get_kind (job), ==, PCQ_JOB_DOWNLOAD);
  g_assert_cmpstr (pcq_job_get_url (job), ==, "http://127.0.0.1:1/a");
  g_assert_cmpstr (pcq_job_get_name (job), ==, "a.bin");

  g_assert_null (pcq_job_get_sha256 (job));

  {
    g_autoptr(PcqInputTask) checked = parse_ok ("{\"url\": \"http://127.0.0.1:1/c\", \"sha256\": \""
                                                SHA_UPPER "\"}", PCQ_INPUT_FLAGS_NONE);
    PcqJob *checked_job = pcq_input_task_submit (checked, engine, dir);

    g_assert_cmpstr (pcq_job_get_sha256 (checked_job), ==, SHA_LOWER);
  }

  job = pcq_input_task_submit (prompt, engine, dir);
  g_assert_cmpint (pcq_job_get_kind (job), ==, PCQ_JOB_ASK);
  g_assert_cmpstr (pcq_job_get_prompt (job), ==, "Why?");
  g_assert_null (pcq_job_get_name (job));

  job = pcq_input_task_submit (batch, engine, dir);
  g_assert_cmpint (pcq_job_get_kind (job), ==, PCQ_JOB_BATCH);
  g_assert_cmpstr (pcq_job_get_name (job), ==, "req-1.md");
  /* The body, as given. */
  json_parser_load_from_data (parser, pcq_job_get_prompt (job), -1, &error);
  g_assert_no_error (error);
  body = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "m");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (body, "messages")), ==, 0);

  g_assert_cmpuint (g_list_model_get_n_items (pcq_engine_get_jobs (engine)), ==, 4);
  pcq_test_engine_shutdown (engine, PCQ_SHUTDOWN_FORCE, 10000);
  g_rmdir (dir);
}

/* Reading a list: the lines a reader ends, in order. */

static void
collect_line (const char *line,
              guint       number,
              gpointer    user_data)
{
  GPtrArray *lines = user_data;

  /* Numbered from 1, one after the other. */
  g_assert_cmpuint (number, ==, lines->len + 1);
  g_ptr_array_add (lines, g_strdup (line));
}

/* Feeds @text in pieces of @piece bytes; returns the lines (NULL-ended). */
static char **
read_all (const char *text,
          gsize       size,
          gsize       piece)
{
  g_autoptr(PcqInputReader) reader = pcq_input_reader_new ();
  GPtrArray *lines = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  for (gsize at = 0; at < size; at += piece)
    {
      g_assert_true (pcq_input_reader_feed (reader, text + at, MIN (piece, size - at),
                                            collect_line, lines, &error));
      g_assert_no_error (error);
    }
  pcq_input_reader_end (reader, collect_line, lines);
  g_ptr_array_add (lines, NULL);

  return (char **) g_ptr_array_free (lines, FALSE);
}

static void
test_reader_lines (void)
{
  static const char text[] = "http://a/1\r\n\n  {\"url\": \"http://a/2\"}\n# c\nhttp://a/3";
  const char * const expected[] = {
    "http://a/1\r", "", "  {\"url\": \"http://a/2\"}", "# c", "http://a/3", NULL
  };

  /* The same lines however the bytes arrive. */
  for (gsize piece = 1; piece <= sizeof text; piece++)
    {
      g_auto(GStrv) lines = read_all (text, sizeof text - 1, piece);

      g_assert_cmpstrv (lines, expected);
    }

  /* A newline at the end ends the last line; nothing follows it. */
  {
    g_auto(GStrv) lines = read_all ("x\n", 2, 2);

    g_assert_cmpstrv (lines, ((const char * const[]) { "x", NULL }));
  }
}

/* Feeds @line (then a newline) to a fresh reader in pieces of @piece
 * bytes; TRUE if it took all of it, else @error says why. */
static gboolean
feed_line (const char      *line,
           gsize            size,
           gsize            piece,
           gsize           *max_held,
           GError         **error)
{
  g_autoptr(PcqInputReader) reader = pcq_input_reader_new ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  gboolean ok = TRUE;

  for (gsize at = 0; ok && at < size; at += piece)
    ok = pcq_input_reader_feed (reader, line + at, MIN (piece, size - at),
                                collect_line, lines, error);
  if (ok)
    ok = pcq_input_reader_feed (reader, "\n", 1, collect_line, lines, error);

  g_assert_cmpuint (lines->len, ==, ok ? 1 : 0);
  if (ok)
    g_assert_cmpuint (strlen (g_ptr_array_index (lines, 0)), ==, size);
  *max_held = pcq_input_reader_get_max_held (reader);

  return ok;
}

static void
test_reader_bounds (void)
{
  gsize big = 20 * 1024 * 1024;
  g_autofree char *line = g_malloc (big);
  g_autoptr(GError) error = NULL;
  gsize held;

  memset (line, 'a', big);

  /* A link line: up to 64 KiB, … */
  g_assert_true (feed_line (line, PCQ_INPUT_LINK_LINE_MAX, 4096, &held, &error));
  g_assert_no_error (error);
  g_assert_false (feed_line (line, PCQ_INPUT_LINK_LINE_MAX + 1, 4096, &held, &error));
  g_assert_error (error, PCQ_INPUT_ERROR, PCQ_INPUT_ERROR_LINE_TOO_LONG);
  g_assert_cmpstr (error->message, ==, "line 1 is longer than 64 KiB: not a list of tasks");
  g_clear_error (&error);

  /* … and a line of 20 MB without a newline is refused, the reader
   * never holding more than the bound of it (nor copying it into the
   * message). */
  g_assert_false (feed_line (line, big, 256 * 1024, &held, &error));
  g_assert_error (error, PCQ_INPUT_ERROR, PCQ_INPUT_ERROR_LINE_TOO_LONG);
  g_assert_cmpuint (held, <=, PCQ_INPUT_LINK_LINE_MAX);
  g_assert_null (strstr (error->message, "aaaa"));
  g_clear_error (&error);

  /* Blanks count: whitespace is no way around the bound. */
  memset (line, ' ', PCQ_INPUT_LINK_LINE_MAX + 1);
  g_assert_false (feed_line (line, PCQ_INPUT_LINK_LINE_MAX + 1, 1000, &held, &error));
  g_assert_error (error, PCQ_INPUT_ERROR, PCQ_INPUT_ERROR_LINE_TOO_LONG);
  g_clear_error (&error);

  /* A JSON line (its first byte other than a blank is “{”, even in a
   * later piece): up to 1 MiB, fed a byte at a time (a reader that
   * looked at its line again for each piece would take hours here). */
  memset (line, 'a', big);
  line[0] = ' ';
  line[1] = '{';
  g_assert_true (feed_line (line, PCQ_INPUT_JSON_LINE_MAX, 1, &held, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (held, ==, PCQ_INPUT_JSON_LINE_MAX);
  g_assert_false (feed_line (line, PCQ_INPUT_JSON_LINE_MAX + 1, 65536, &held, &error));
  g_assert_error (error, PCQ_INPUT_ERROR, PCQ_INPUT_ERROR_LINE_TOO_LONG);
  g_assert_cmpstr (error->message, ==, "line 1 is longer than 1 MiB: not a list of tasks");
  g_clear_error (&error);
  g_assert_false (feed_line (line, big, 256 * 1024, &held, &error));
  g_assert_error (error, PCQ_INPUT_ERROR, PCQ_INPUT_ERROR_LINE_TOO_LONG);
  g_assert_cmpuint (held, <=, PCQ_INPUT_JSON_LINE_MAX);
}

static void
test_reader_nul (void)
{
  static const char text[] = "http://a/1\n{\"url\": \"http://a/\0b\"}\nhttp://a/3\n";
  g_autoptr(PcqInputReader) reader = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  /* Whatever the pieces, line 1 is read and line 2 refused; nothing of
   * it or after it is handed on. */
  for (gsize piece = 1; piece <= sizeof text; piece++)
    {
      g_clear_pointer (&reader, pcq_input_reader_free);
      g_clear_pointer (&lines, g_ptr_array_unref);
      g_clear_error (&error);
      reader = pcq_input_reader_new ();
      lines = g_ptr_array_new_with_free_func (g_free);
      ok = TRUE;

      for (gsize at = 0; ok && at < sizeof text - 1; at += piece)
        ok = pcq_input_reader_feed (reader, text + at, MIN (piece, sizeof text - 1 - at),
                                    collect_line, lines, &error);

      g_assert_false (ok);
      g_assert_error (error, PCQ_INPUT_ERROR, PCQ_INPUT_ERROR_NUL);
      g_assert_cmpstr (error->message, ==, "line 2 contains a NUL byte: not a list of tasks");
      g_assert_cmpuint (lines->len, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (lines, 0), ==, "http://a/1");
    }
}

static void
test_headers (void)
{
  g_autoptr(PcqInputTask) task = NULL;
  g_autoptr(GString) line = g_string_new ("{\"url\": \"https://example.org/a\", \"headers\": {");
  g_autofree char *long_value = g_strnfill (PCQ_INPUT_HEADER_VALUE_MAX + 1, 'v');
  g_autofree char *long_line = NULL;

  g_assert_cmpint (pcq_input_parse_line ("{\"url\": \"https://example.org/a\", \"headers\": "
                                         "{\"Cookie\": \"a=b\", \"User-Agent\": \"x/1\"}}", &task),
                   ==, PCQ_INPUT_LINE_TASK);
  g_assert_nonnull (task->headers);
  g_assert_cmpuint (g_strv_length (task->headers), ==, 4);
  g_assert_cmpstr (task->headers[0], ==, "Cookie");
  g_assert_cmpstr (task->headers[1], ==, "a=b");
  g_assert_cmpstr (task->headers[2], ==, "User-Agent");
  g_assert_cmpstr (task->headers[3], ==, "x/1");
  g_clear_pointer (&task, pcq_input_task_free);

  /* One too many. */
  for (guint i = 0; i <= PCQ_INPUT_HEADERS_MAX; i++)
    g_string_append_printf (line, "%s\"X-%u\": \"v\"", i > 0 ? ", " : "", i);
  g_string_append (line, "}}");
  g_assert_cmpint (pcq_input_parse_line (line->str, &task), ==, PCQ_INPUT_LINE_INVALID);
  g_assert_cmpstr (task->error, ==, "\"headers\": more than 32 headers");
  g_clear_pointer (&task, pcq_input_task_free);

  long_line = g_strdup_printf ("{\"url\": \"https://example.org/a\", \"headers\": {\"X-Long\": \"%s\"}}",
                               long_value);
  g_assert_cmpint (pcq_input_parse_line (long_line, &task), ==, PCQ_INPUT_LINE_INVALID);
  g_assert_cmpstr (task->error, ==, "\"headers\": the value of “X-Long” is longer than 8192 bytes");
  g_clear_pointer (&task, pcq_input_task_free);

  g_assert_cmpint (pcq_input_parse_line ("{\"prompt\": \"hi\", \"headers\": {}}", &task),
                   ==, PCQ_INPUT_LINE_INVALID);
  g_clear_pointer (&task, pcq_input_task_free);

  for (guint i = 0; i < 4; i++)
    {
      static const char *names[] = { "Transfer-Encoding", "connection", "If-Range", "Proxy-Foo" };

      g_assert_false (pcq_input_check_header (names[i], "x", NULL));
    }
  g_assert_false (pcq_input_check_header ("X", "a\rb", NULL));
  g_assert_false (pcq_input_check_header ("", "a", NULL));
  g_assert_false (pcq_input_check_header ("X:Y", "a", NULL));
  g_assert_true (pcq_input_check_header ("X-Ok", "", NULL));
}

int
main (int    argc,
      char **argv)
{
  /* No text domain is bound here: the messages are the untranslated ones. */
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pcq/input/empty", test_empty);
  g_test_add_func ("/pcq/input/link", test_link);
  g_test_add_func ("/pcq/input/prompt", test_prompt);
  g_test_add_func ("/pcq/input/sha256", test_sha256);
  g_test_add_func ("/pcq/input/batch", test_batch);
  g_test_add_func ("/pcq/input/bad-lines", test_bad_lines);
  g_test_add_func ("/pcq/input/split-lines", test_split_lines);
  g_test_add_func ("/pcq/input/submit", test_submit);
  g_test_add_func ("/pcq/input/reader/lines", test_reader_lines);
  g_test_add_func ("/pcq/input/reader/bounds", test_reader_bounds);
  g_test_add_func ("/pcq/input/reader/nul", test_reader_nul);
  g_test_add_func ("/pcq/input/headers", test_headers);

  return g_test_run ();
}
