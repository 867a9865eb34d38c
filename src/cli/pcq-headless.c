/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-headless"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pcq-api.h"
#include "pcq-clock.h"
#include "pcq-defaults.h"
#include "pcq-engine.h"
#include "pcq-error.h"
#include "pcq-headless.h"
#include "pcq-input.h"
#include "pcq-report.h"
#include "pcq-keyring.h"
#include "pcq-run.h"
#include "pcq-session.h"
#include "pcq-sink.h"
#include "pcq-vcs.h"

#define READ_SIZE (256 * 1024)

typedef struct
{
  PcqEngine    *engine;
  PcqSession   *session;
  GMainLoop    *loop;
  guint         n_submitted;
  guint         n_finished;
  guint         n_bad_lines;
  guint         n_interrupts;
  gboolean      shutting_down;
  gint64        started;
  gboolean      progress;
  guint         progress_source;
  char         *error;           /* why the run exits 2, for the summary */
  gboolean      api_ran;         /* an API task was attempted in this run */
  gboolean      keyring_asked;   /* for the API key, once */
  gint64        prompt_tokens;   /* the usage its done API tasks reported */
  gint64        completion_tokens;

  /* The input file, read on the main loop as jobs already run: stdin
   * may be slow, and Ctrl+C must work while it is read. A regular file
   * was checked whole before (check_whole_input()). */
  char           *input;
  char           *output_dir;
  int             input_fd;
  GInputStream   *input_stream;
  GCancellable   *input_cancellable;
  PcqInputReader *reader;

  /* Batch files: the input line (and custom_id) of each unfinished
   * job from the input, and one JSON line per line that failed, for
   * errors.jsonl (whose name is reserved before any task from the
   * input is queued). */
  GHashTable   *input_jobs;
  GPtrArray    *errors;
  guint         n_batch_lines;
  char         *errors_path;
  char         *errors_written;  /* where they went */

  /* --report: "-" for stdout, else where it goes (reserved when in the
   * output folder), and where it went. */
  char         *report_path;
  char         *report_written;
} Headless;

typedef struct
{
  guint64  id;         /* the key of its entry */
  guint    line;
  char    *custom_id;  /* nullable */
  PcqJob  *job;
} InputLine;

/* PCQ_API_KEY wins; without it, the key stored in the keyring (if the
 * keyring can be reached: a run without a session bus just has none). */
static void
use_keyring_key (PcqEngine *engine)
{
  g_autoptr(GError) error = NULL;
  char *key = pcq_keyring_lookup_sync (NULL, &error);

  if (error != NULL)
    g_debug ("No API key from the keyring: %s", error->message);
  g_clear_error (&error);

  /* One with a line break is refused: API tasks fail saying so. */
  if (pcq_api_check_key (key, PCQ_API_KEY_FROM_KEYRING, &error))
    pcq_engine_set_api_key (engine, key);
  else
    pcq_engine_refuse_api_key (engine, error);
  pcq_keyring_free_key (key);
}

/* Once a run has an API task, before it is queued: a locked keyring
 * must not ask to be unlocked for a list of plain downloads. */
static void
need_api_key (Headless *h)
{
  if (h->keyring_asked)
    return;

  h->keyring_asked = TRUE;
  if (!pcq_engine_has_api_key (h->engine))
    use_keyring_key (h->engine);
}

static void
input_line_free (gpointer data)
{
  InputLine *info = data;

  g_free (info->custom_id);
  g_clear_object (&info->job);
  g_free (info);
}

static void maybe_done (Headless *h);
static void clear_progress_line (Headless *h);

static char *
default_output_dir (void)
{
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  if (downloads == NULL)
    return g_build_filename (g_get_home_dir (), "Downloads", "Pcq", NULL);

  return g_build_filename (downloads, "Pcq", NULL);
}

/* Makes *@dir and checks that files can be created in it; then makes
 * *@dir absolute, once: the engine makes each task's folder absolute,
 * and for a relative one that means asking for the current folder (two
 * stat ()s) once per task. */
static gboolean
prepare_output_dir (char    **dir,
                    GError  **error)
{
  char *absolute;

  if (g_mkdir_with_parents (*dir, 0755) != 0 || access (*dir, W_OK | X_OK) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot use output folder “%s”: %s"), *dir, g_strerror (errsv));
      return FALSE;
    }

  absolute = g_canonicalize_filename (*dir, NULL);
  g_free (*dir);
  *dir = absolute;

  return TRUE;
}

/* One line of errors.jsonl: {"line": N, "custom_id": …, "error": {"message": …}}. */
static void
add_error (Headless   *h,
           guint       line,
           const char *custom_id,
           const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "line");
  json_builder_add_int_value (builder, line);
  json_builder_set_member_name (builder, "custom_id");
  if (custom_id != NULL)
    json_builder_add_string_value (builder, custom_id);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  /* The line number first, zero-padded: sorted as strings, in line order. */
  g_ptr_array_add (h->errors, g_strdup_printf ("%010u%s", line, json));
}

/* A "pcq: …" line about a task: its URL, prompt or name come from the
 * input and its reason may quote a server (already made safe by the
 * engine). Whatever it holds, no escape sequence reaches the terminal. */
static void G_GNUC_PRINTF (1, 2)
print_task_line (const char *format,
                 ...)
{
  g_autofree char *line = NULL;
  g_autofree char *safe = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  safe = pcq_text_sanitize (line, -1);
  g_printerr ("pcq: %s\n", safe);
}

/* A line of the input file that cannot be run. */
static void
bad_line (Headless   *h,
          const char *file,
          guint       line,
          const char *custom_id,
          const char *message)
{
  print_task_line ("%s:%u: %s", file, line, message);
  h->n_bad_lines++;
  add_error (h, line, custom_id, message);
}

static void
track_input_job (Headless   *h,
                 PcqJob     *job,
                 guint       line,
                 const char *custom_id)
{
  InputLine *info = g_new0 (InputLine, 1);

  info->id = pcq_job_get_id (job);
  info->line = line;
  info->custom_id = g_strdup (custom_id);
  info->job = g_object_ref (job);
  g_hash_table_replace (h->input_jobs, &info->id, info);
}

/* One line of the input file: a task, or a bad line. */
static void
submit_line (const char *line,
             guint       number,
             gpointer    user_data)
{
  Headless *h = user_data;
  g_autoptr(PcqInputTask) task = NULL;
  PcqInputLineKind kind;

  kind = pcq_input_parse_line_full (line, PCQ_INPUT_FLAGS_NONE, &task);
  if (kind == PCQ_INPUT_LINE_EMPTY)
    return;

  if (task->kind == PCQ_INPUT_TASK_BATCH)
    h->n_batch_lines++;

  if (kind == PCQ_INPUT_LINE_INVALID)
    {
      bad_line (h, h->input, number, task->custom_id, task->error);
      return;
    }

  if (task->kind != PCQ_INPUT_TASK_LINK)
    need_api_key (h);
  track_input_job (h, pcq_input_task_submit (task, h->engine, h->output_dir),
                   number, task->custom_id);
  h->n_submitted++;
}

static void
stop_reading (Headless *h)
{
  g_clear_object (&h->input_stream);
  g_clear_object (&h->input_cancellable);
  g_clear_pointer (&h->reader, pcq_input_reader_free);
  maybe_done (h);
}

/* A streamed input turned out to be no list of tasks (a regular file
 * was checked before anything started, so this is a pipe, or a file
 * that changed meanwhile): no task of it starts from now on. Those of
 * its earlier lines still queued are cancelled, the running ones end as
 * they would, and the run exits 2. */
static void
refuse_input (Headless     *h,
              const GError *error)
{
  g_autoptr(GPtrArray) queued = g_ptr_array_new ();
  GHashTableIter iter;
  InputLine *info;

  clear_progress_line (h);
  g_printerr ("pcq: %s: %s\n", h->input, error->message);
  g_free (h->error);
  h->error = g_strdup_printf ("%s: %s", h->input, error->message);

  g_hash_table_iter_init (&iter, h->input_jobs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &info))
    {
      if (pcq_job_get_state (info->job) == PCQ_JOB_QUEUED)
        g_ptr_array_add (queued, info->job);
    }

  /* Cancelling may finish a job at once: not while iterating. */
  for (guint i = 0; i < queued->len; i++)
    pcq_engine_cancel (h->engine, g_ptr_array_index (queued, i));
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Headless *h = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  const char *data;
  gsize size;
  gboolean fed;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("pcq: %s: %s\n", h->input, error->message);
          h->n_bad_lines++;
        }
      stop_reading (h);
      return;
    }

  data = g_bytes_get_data (bytes, &size);
  if (size == 0)
    {
      pcq_input_reader_end (h->reader, submit_line, h);
      stop_reading (h);
      return;
    }

  /* Each line is checked before it is parsed: nothing of a line that
   * is too long or holds a NUL, nor of any after it, is queued. The
   * counts a chunk's lines change are notified once, at its end. */
  g_object_freeze_notify (G_OBJECT (h->engine));
  fed = pcq_input_reader_feed (h->reader, data, size, submit_line, h, &error);
  g_object_thaw_notify (G_OBJECT (h->engine));
  if (!fed)
    {
      refuse_input (h, error);
      stop_reading (h);
      return;
    }

  g_input_stream_read_bytes_async (h->input_stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   h->input_cancellable, read_cb, h);
}

static void
start_reading (Headless *h)
{
  /* stdin stays open: only a file opened here is closed. */
  h->input_stream = g_unix_input_stream_new (h->input_fd, h->input_fd != STDIN_FILENO);
  h->input_fd = -1;
  h->input_cancellable = g_cancellable_new ();
  h->reader = pcq_input_reader_new ();
  g_input_stream_read_bytes_async (h->input_stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   h->input_cancellable, read_cb, h);
}

static gboolean
set_input_error (GError     **error,
                 int          errsv,
                 const char  *input)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               "%s: %s", input, g_strerror (errsv));
  return FALSE;
}

/* A regular file (given by name or as stdin) is read whole once before
 * any task starts, and refused if it is no list of tasks: then nothing
 * of it runs. It is read again from where it was for its tasks. A pipe
 * cannot be read twice: it is checked line by line as it is read
 * (read_cb()). */
static gboolean
check_whole_input (Headless  *h,
                   GError   **error)
{
  g_autoptr(PcqInputReader) reader = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *buffer = NULL;
  struct stat st;
  off_t start;

  if (fstat (h->input_fd, &st) != 0)
    return set_input_error (error, errno, h->input);
  if (S_ISDIR (st.st_mode))
    return set_input_error (error, EISDIR, h->input);
  if (!S_ISREG (st.st_mode))
    return TRUE;

  start = lseek (h->input_fd, 0, SEEK_CUR);
  if (start < 0)
    return set_input_error (error, errno, h->input);

  reader = pcq_input_reader_new ();
  buffer = g_malloc (READ_SIZE);
  for (;;)
    {
      gssize n = read (h->input_fd, buffer, READ_SIZE);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return set_input_error (error, errno, h->input);
      if (n == 0)
        break;

      if (!pcq_input_reader_feed (reader, buffer, n, NULL, NULL, &local_error))
        {
          g_set_error (error, local_error->domain, local_error->code,
                       "%s: %s", h->input, local_error->message);
          return FALSE;
        }
    }

  if (lseek (h->input_fd, start, SEEK_SET) != start)
    return set_input_error (error, errno, h->input);

  return TRUE;
}

/* Opens the input: stdin, or a local file. */
static gboolean
open_input (Headless  *h,
            GError   **error)
{
  if (g_strcmp0 (h->input, "-") == 0)
    h->input_fd = STDIN_FILENO;
  else
    h->input_fd = g_open (h->input, O_RDONLY | O_CLOEXEC, 0);

  if (h->input_fd < 0)
    return set_input_error (error, errno, h->input);

  return check_whole_input (h, error);
}

static void
clear_progress_line (Headless *h)
{
  if (h->progress)
    g_printerr ("\r\033[K");
}

static gboolean
progress_cb (gpointer user_data)
{
  Headless *h = user_data;
  g_autofree char *rate = g_format_size (pcq_engine_get_bytes_per_second (h->engine));

  g_printerr ("\r\033[K");
  /* TRANSLATORS: the progress line: finished of submitted, active, failed, speed */
  g_printerr (_("%u of %u finished · %u active · %u failed · %s/s"),
              h->n_finished, h->n_submitted,
              pcq_engine_get_n_active (h->engine),
              pcq_engine_get_n_failed (h->engine),
              rate);
  if (pcq_engine_get_offline (h->engine) && pcq_engine_get_n_queued (h->engine) > 0 &&
      pcq_engine_get_n_active (h->engine) == 0)
    /* TRANSLATORS: appended to the progress line while offline */
    g_printerr ("%s", _(" · waiting for the network"));

  return G_SOURCE_CONTINUE;
}

/* The queue holds itself while offline (see PcqEngine:offline); say so
 * once when the network goes and once when it is back. */
static void
offline_cb (PcqEngine  *engine,
            GParamSpec *pspec,
            Headless   *h)
{
  if (h->progress)
    return;  /* the progress line says it */

  if (pcq_engine_get_offline (engine))
    g_printerr ("pcq: %s\n", _("waiting for the network"));
  else
    g_printerr ("pcq: %s\n", _("the network is back"));
}

static void
shutdown_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Headless *h = user_data;

  pcq_engine_shutdown_finish (PCQ_ENGINE (object), result, NULL);
  g_main_loop_quit (h->loop);
}

static void
begin_shutdown (Headless        *h,
                PcqShutdownMode  mode)
{
  h->shutting_down = TRUE;
  pcq_engine_shutdown_async (h->engine, mode, NULL, shutdown_cb, h);
}

/* The state a finished task is reported in, for people to read. */
static const char *
state_label (PcqJobState state)
{
  return state == PCQ_JOB_CANCELLED ? _("cancelled") : _("failed");
}

/* A download by its URL, an API task by its prompt's first line. */
static char *
job_label (PcqJob *job)
{
  const char *prompt = pcq_job_get_prompt (job);
  g_autofree char *line = NULL;
  const char *end;

  /* A batch request by its custom_id (its name is CUSTOM_ID.md). */
  if (pcq_job_get_kind (job) == PCQ_JOB_BATCH)
    {
      const char *name = pcq_job_get_name (job);
      gsize length = name != NULL ? strlen (name) : 0;

      if (name != NULL && g_str_has_suffix (name, ".md"))
        length -= 3;
      return g_strdup_printf (_("request “%.*s”"), (int) length, name != NULL ? name : "");
    }

  if (pcq_job_get_kind (job) != PCQ_JOB_ASK || prompt == NULL)
    return g_strdup (pcq_job_get_url (job));

  end = strchr (prompt, '\n');
  line = end != NULL ? g_strndup (prompt, end - prompt) : g_strdup (prompt);
  if (g_utf8_strlen (line, -1) > 60)
    {
      g_autofree char *cut = g_utf8_substring (line, 0, 59);

      return g_strdup_printf (_("prompt “%s…”"), cut);
    }

  return g_strdup_printf (_("prompt “%s”"), line);
}

/* Sums what the server said (-1: nothing), up to G_MAXINT64. */
static void
add_tokens (gint64 *sum,
            gint64  n)
{
  if (n > 0)
    *sum = n > G_MAXINT64 - *sum ? G_MAXINT64 : *sum + n;
}

static void
job_finished_cb (PcqEngine *engine,
                 PcqJob    *job,
                 Headless  *h)
{
  PcqJobState state = pcq_job_get_state (job);
  guint64 id = pcq_job_get_id (job);

  h->n_finished++;

  if (pcq_job_get_kind (job) != PCQ_JOB_DOWNLOAD && pcq_job_get_attempts (job) > 0)
    {
      h->api_ran = TRUE;
      add_tokens (&h->prompt_tokens, pcq_job_get_prompt_tokens (job));
      add_tokens (&h->completion_tokens, pcq_job_get_completion_tokens (job));
    }

  if (state == PCQ_JOB_FAILED || state == PCQ_JOB_CANCELLED)
    {
      g_autofree char *label = job_label (job);
      InputLine *info = g_hash_table_lookup (h->input_jobs, &id);
      const char *reason = pcq_job_get_error (job);

      if (reason == NULL && state == PCQ_JOB_CANCELLED && h->error != NULL)
        reason = _("its input was refused");
      else if (reason == NULL)
        reason = _("no reason given");

      clear_progress_line (h);
      if (info != NULL && pcq_job_get_kind (job) == PCQ_JOB_BATCH)
        print_task_line ("%s:%u: %s: %s: %s", h->input, info->line, label,
                         state_label (state), reason);
      else
        print_task_line ("%s: %s: %s", label, state_label (state), reason);

      if (info != NULL)
        add_error (h, info->line, info->custom_id, reason);
    }

  /* Nothing asks for a finished job's input line again: it goes now,
   * while the transfers wait on the network, not all at the exit. */
  g_hash_table_remove (h->input_jobs, &id);
  maybe_done (h);
}

/* A task waits because the server asked (Retry-After, up to 10
 * minutes): say until when. Pcq's own short backoffs go unsaid. */
static void
job_waiting_cb (PcqEngine *engine,
                PcqJob    *job,
                Headless  *h)
{
  g_autofree char *label = NULL;
  g_autofree char *wait = NULL;
  const char *reason = pcq_job_get_error (job) ? pcq_job_get_error (job) : _("no reason given");
  gboolean asked = FALSE;

  pcq_job_get_retry_at (job, &asked);
  if (!asked)
    return;

  label = job_label (job);
  wait = pcq_job_dup_wait_text (job);
  clear_progress_line (h);
  print_task_line ("%s: %s: %s", label, wait, reason);
}

/* Everything read has finished: stop. */
static void
maybe_done (Headless *h)
{
  if (h->input_stream == NULL && h->n_finished == h->n_submitted && !h->shutting_down)
    begin_shutdown (h, PCQ_SHUTDOWN_WAIT);
}

static gboolean
interrupt_cb (gpointer user_data)
{
  Headless *h = user_data;

  h->n_interrupts++;
  clear_progress_line (h);

  if (h->input_cancellable != NULL)
    g_cancellable_cancel (h->input_cancellable);

  if (h->n_interrupts == 1)
    {
      g_printerr ("pcq: %s\n", _("finishing the running tasks, starting no new ones "
                                 "(press Ctrl+C again to stop them now)"));
      pcq_engine_set_paused (h->engine, TRUE);
      begin_shutdown (h, PCQ_SHUTDOWN_WAIT);
    }
  else
    {
      g_printerr ("pcq: %s\n", _("stopping the running tasks"));
      begin_shutdown (h, PCQ_SHUTDOWN_FORCE);
    }

  return G_SOURCE_CONTINUE;
}

/* A batch file's lines that failed go to errors.jsonl in the output
 * folder, in input order. Its name was reserved like a result's, so no
 * result of this run takes it, and it replaces no file: should one lie
 * there (an earlier run's, or anybody's), it takes the next free name,
 * "errors (1).jsonl", as a result would. */
static gint
compare_error_lines (gconstpointer a,
                     gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
set_write_error (GError     **error,
                 int          errsv,
                 const char  *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               _("Cannot write “%s”: %s"), display, g_strerror (errsv));
  return FALSE;
}

/* Writes @text to a temp file beside *@path and renames it there, never
 * replacing a file: should the name have been taken meanwhile (by
 * another program), the next free one. */
static gboolean
write_new_file (Headless  *h,
                char     **path,
                GString   *text,
                GError   **error)
{
  g_autofree char *dir = g_path_get_dirname (*path);
  g_autofree char *tmp = pcq_sink_write_temp (dir, "errors.jsonl", text->str, text->len, error);

  if (tmp == NULL)
    return FALSE;

  for (guint i = 0; ; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (pcq_sink_rename_part (tmp, *path, &local_error))
        return TRUE;

      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_unlink (tmp);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      if (i == 16)
        {
          g_unlink (tmp);
          return set_write_error (error, EEXIST, *path);
        }

      /* The name taken stays reserved: the next free one. */
      g_free (*path);
      *path = pcq_engine_reserve_name (h->engine, dir, "errors.jsonl", error);
      if (*path == NULL)
        {
          g_unlink (tmp);
          return FALSE;
        }
    }
}

static void
write_errors (Headless *h)
{
  g_autoptr(GString) text = NULL;
  g_autoptr(GError) error = NULL;

  if (h->n_batch_lines == 0 || h->errors->len == 0)
    return;

  if (h->errors_path == NULL)
    {
      g_printerr ("pcq: %s\n", _("no free name for errors.jsonl in the output folder"));
      return;
    }

  g_ptr_array_sort (h->errors, compare_error_lines);
  text = g_string_new (NULL);
  for (guint i = 0; i < h->errors->len; i++)
    {
      const char *entry = g_ptr_array_index (h->errors, i);

      g_string_append (text, entry + 10);  /* after the line number */
      g_string_append_c (text, '\n');
    }

  if (!write_new_file (h, &h->errors_path, text, &error))
    g_printerr ("pcq: %s\n", error->message);
  else
    {
      h->errors_written = g_filename_display_name (h->errors_path);
      g_printerr ("pcq: ");
      g_printerr (g_dngettext (GETTEXT_PACKAGE, "%u failed line of %s listed in %s",
                               "%u failed lines of %s listed in %s", h->errors->len),
                  h->errors->len, h->input, h->errors_written);
      g_printerr ("\n");
    }
}

/* Tasks waiting for --resume: what this run leaves unfinished in the
 * store (never started, or interrupted and queued again), and what
 * earlier runs left there that this one did not resume. */
static guint
count_left (Headless *h)
{
  if (h->engine == NULL || h->session == NULL)
    return 0;

  return pcq_engine_get_n_queued (h->engine) + pcq_engine_get_n_active (h->engine) +
         pcq_session_get_n_held_back (h->session);
}

/* @text as a JSON string (made valid UTF-8 first: a message may hold a
 * file name). */
static char *
json_string (const char *text)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *valid = g_utf8_make_valid (text, -1);

  json_node_set_string (node, valid);
  return json_to_string (node, FALSE);
}

/* The contract's last stdout line, on every exit: a run refused before
 * it started has zeros, and says why in "error". */
static void
print_summary (Headless *h)
{
  g_autoptr(GString) line = g_string_new (NULL);
  char seconds[G_ASCII_DTOSTR_BUF_SIZE];
  PcqEngine *engine = h->engine;

  g_ascii_formatd (seconds, sizeof seconds, "%.3f",
                   (g_get_monotonic_time () - h->started) / (double) G_USEC_PER_SEC);
  g_string_append_printf (line, "{\"done\": %u, \"failed\": %u, \"cancelled\": %u, \"left\": %u, "
                          "\"bytes\": %" G_GUINT64_FORMAT ", \"seconds\": %s",
                          engine != NULL ? pcq_engine_get_n_done (engine) : 0,
                          (engine != NULL ? pcq_engine_get_n_failed (engine) : 0) + h->n_bad_lines,
                          engine != NULL ? pcq_engine_get_n_cancelled (engine) : 0,
                          count_left (h),
                          engine != NULL ? pcq_engine_get_bytes_done (engine) : 0,
                          seconds);
  /* Only when an API task ran: what its answers cost, as the server
   * said (0 when it said nothing). */
  if (h->api_ran)
    g_string_append_printf (line, ", \"prompt_tokens\": %" G_GINT64_FORMAT
                            ", \"completion_tokens\": %" G_GINT64_FORMAT,
                            h->prompt_tokens, h->completion_tokens);
  if (h->errors_written != NULL)
    {
      g_autofree char *file = json_string (h->errors_written);

      g_string_append_printf (line, ", \"errors_file\": %s", file);
    }
  if (h->report_written != NULL)
    {
      g_autofree char *file = json_string (h->report_written);

      g_string_append_printf (line, ", \"report_file\": %s", file);
    }
  if (h->error != NULL)
    {
      g_autofree char *error = json_string (h->error);

      g_string_append_printf (line, ", \"error\": %s", error);
    }
  g_string_append (line, "}\n");

  g_print ("%s", line->str);
}

static void
headless_clear (Headless *h)
{
  g_clear_object (&h->engine);
  /* A password given in a URL reaches the keyring even in a short run. */
  pcq_keyring_wait_stored ();
  g_clear_pointer (&h->loop, g_main_loop_unref);
  g_clear_pointer (&h->input_jobs, g_hash_table_unref);
  g_clear_pointer (&h->errors, g_ptr_array_unref);
  /* The last commit, then the lock goes. */
  if (h->session != NULL)
    pcq_session_close (h->session);
  g_clear_object (&h->session);
  if (h->input_fd > STDIN_FILENO)
    close (h->input_fd);
  h->input_fd = -1;
  g_clear_pointer (&h->error, g_free);
  g_clear_pointer (&h->errors_path, g_free);
  g_clear_pointer (&h->errors_written, g_free);
  g_clear_pointer (&h->report_path, g_free);
  g_clear_pointer (&h->report_written, g_free);
}

/* --report: one line per task of the run (and the ones it resumed), in
 * input order, before the summary. */
static void
write_report (Headless *h)
{
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) error = NULL;

  if (h->report_path == NULL || h->engine == NULL)
    return;

  jobs = pcq_report_jobs (pcq_engine_get_jobs (h->engine));

  if (g_str_equal (h->report_path, "-"))
    {
      for (guint i = 0; i < jobs->len; i++)
        {
          g_autofree char *line = pcq_report_line (g_ptr_array_index (jobs, i));

          g_print ("%s\n", line);
        }
      return;
    }

  if (!pcq_report_write_file (h->report_path, jobs, &error))
    g_printerr ("pcq: %s\n", error->message);
  else
    h->report_written = g_filename_display_name (h->report_path);
}

/* Where --report goes: refused if something other than a regular file
 * is there; in the output folder (@output_dir, absolute), a name
 * reserved like a result's (the next free one if a file or task has
 * it). */
static char *
choose_report_path (Headless    *h,
                    const char  *report,
                    const char  *output_dir,
                    GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *name = NULL;
  g_autofree char *canonical_dir = NULL;
  GStatBuf st;

  if (g_str_equal (report, "-"))
    return g_strdup (report);

  name = g_path_get_basename (report);
  if (g_lstat (report, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("--report: “%s” exists and is not a regular file"), report);
      return NULL;
    }
  if (*name == '\0' || g_str_equal (name, ".") || g_str_equal (name, "..") ||
      g_str_equal (name, G_DIR_SEPARATOR_S))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("--report: “%s” is not a file name"), report);
      return NULL;
    }

  dir = g_path_get_dirname (report);
  canonical_dir = g_canonicalize_filename (dir, NULL);
  if (g_str_equal (canonical_dir, output_dir))
    return pcq_engine_reserve_name (h->engine, output_dir, name, error);

  return g_strdup (report);
}

/* "500", "500k", "2M" (KiB and MiB, as curl reads them): at most
 * G_MAXINT bytes per second. */
static gboolean
parse_rate (const char *text,
            guint64    *rate)
{
  g_autofree char *digits = g_strdup (text);
  gsize len = strlen (digits);
  guint64 unit = 1;
  guint64 value;

  if (len > 0 && (digits[len - 1] == 'k' || digits[len - 1] == 'K'))
    unit = 1024;
  else if (len > 0 && (digits[len - 1] == 'm' || digits[len - 1] == 'M'))
    unit = 1024 * 1024;
  if (unit != 1)
    digits[len - 1] = '\0';

  if (!g_ascii_isdigit (*digits) ||
      !g_ascii_string_to_unsigned (digits, 10, 0, G_MAXINT / unit, &value, NULL))
    return FALSE;

  *rate = value * unit;
  return TRUE;
}

static int usage_error (Headless   *h,
                        const char *format,
                        ...) G_GNUC_PRINTF (2, 3);

/* Exit 2, before any task ran: why, on stderr and in the summary. */
static int
usage_error (Headless   *h,
             const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_free (h->error);
  h->error = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("pcq: %s\n", h->error);
  print_summary (h);
  headless_clear (h);

  return PCQ_EXIT_USAGE;
}

/**
 * pcq_headless_run:
 *
 * `pcq --headless`: runs the queue given on the command line until it
 * is empty, then prints a JSON summary as the last line on stdout.
 *
 * Returns: the exit status
 */
int
pcq_headless_run (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output_dir = NULL;
  g_autofree char *input = NULL;
  g_auto(GStrv) prompts = NULL;
  g_auto(GStrv) urls = NULL;
  g_autofree char *api_base = NULL;
  g_autofree char *model = NULL;
  gboolean headless = FALSE;
  gboolean resume = FALSE;
  gboolean commit = FALSE;
  g_autofree char *store_path = NULL;
  int jobs = PCQ_DEFAULT_MAX_ACTIVE;
  int api_jobs = PCQ_DEFAULT_MAX_API_ACTIVE;
  int max_per_host = G_MININT;  /* not given: no limit but --jobs */
  int api_rpm = 0;
  int stall_timeout = PCQ_DEFAULT_STALL_TIMEOUT;
  int retries = PCQ_DEFAULT_RETRIES;
  int split = 1;
  g_autofree char *min_speed_text = NULL;
  guint64 min_speed = PCQ_DEFAULT_MIN_SPEED;
  g_autofree char *limit_rate_text = NULL;
  g_autofree char *start_at_text = NULL;
  g_autofree char *report = NULL;
  gboolean use_netrc = FALSE;
  g_autofree char *netrc_file = NULL;
  gint64 start_at = 0;
  guint64 limit_rate = 0;
  Headless h = { 0 };
  int status;
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless, N_("Run the queue without a window, then exit"), NULL },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &output_dir, N_("Where results go (default: ~/Downloads/Pcq)"), N_("DIR") },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, N_("Maximum active tasks, 1–64 (default: 4)"), N_("N") },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input, N_("Tasks from FILE ('-' for stdin): one URL per line, or JSON Lines"), N_("FILE") },
    { "prompt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &prompts, N_("Queue an API task (repeatable)"), N_("TEXT") },
    { "api-base", 0, 0, G_OPTION_ARG_STRING, &api_base, N_("OpenAI-compatible base URL (…/v1)"), N_("URL") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("Model for API tasks"), N_("NAME") },
    { "api-jobs", 0, 0, G_OPTION_ARG_INT, &api_jobs, N_("Maximum active API tasks, 1–64 (default: 2)"), N_("N") },
    { "api-rpm", 0, 0, G_OPTION_ARG_INT, &api_rpm, N_("Most API requests to start in any minute, per API server; 0 for no limit (the default)"), N_("N") },
    { "max-per-host", 0, 0, G_OPTION_ARG_INT, &max_per_host, N_("Maximum active tasks for one host, 1–64 (default: no limit but --jobs)"), N_("N") },
    { "split", 0, 0, G_OPTION_ARG_INT, &split, N_("Connections one large download may use at once, 1–16 (default: 1)"), N_("N") },
    { "retries", 0, 0, G_OPTION_ARG_INT, &retries, N_("More tries after a temporary failure, 0–10 (default: 3)"), N_("N") },
    { "stall-timeout", 0, 0, G_OPTION_ARG_INT, &stall_timeout, N_("Seconds without data before an attempt is given up, 1–3600 (default: 30)"), N_("SECONDS") },
    { "min-speed", 0, 0, G_OPTION_ARG_STRING, &min_speed_text, N_("Bytes per second a download must beat over the stall timeout, with k or M for KiB or MiB; 0 turns it off (default: 1k)"), N_("RATE") },
    { "limit-rate", 0, 0, G_OPTION_ARG_STRING, &limit_rate_text, N_("Bytes per second all downloads together may read, with k or M for KiB or MiB; 0 for no limit (the default)"), N_("RATE") },
    { "start-at", 0, 0, G_OPTION_ARG_STRING, &start_at_text, N_("Start nothing before this time of day, HH:MM or HH:MM:SS (today, or tomorrow if it has passed)"), N_("TIME") },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &report, N_("When the run ends, write one JSON line per task to FILE ('-' for stdout, before the summary)"), N_("FILE") },
    { "netrc", 0, 0, G_OPTION_ARG_NONE, &use_netrc, N_("Send the user and password ~/.netrc has for a download’s host (HTTP Basic, to that origin only)"), NULL },
    { "netrc-file", 0, 0, G_OPTION_ARG_FILENAME, &netrc_file, N_("As --netrc, from FILE"), N_("FILE") },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, N_("Also run what an earlier run left unfinished"), NULL },
    { "commit", 0, 0, G_OPTION_ARG_NONE, &commit, N_("Commit each finished result to the Git repository at the output folder"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &urls, NULL, N_("[URL…]") },
    { NULL }
  };

  h.started = g_get_monotonic_time ();
  h.input_fd = -1;

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Download URLs and ask an OpenAI-compatible API in a queue, "
                                           "without a window. The API key comes from PCQ_API_KEY or the keyring."));
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (&h, "%s", error->message);

  if (api_jobs < 1 || api_jobs > PCQ_ENGINE_MAX_ACTIVE_LIMIT)
    return usage_error (&h, _("--api-jobs must be between 1 and %d"), PCQ_ENGINE_MAX_ACTIVE_LIMIT);

  if (jobs < 1 || jobs > PCQ_ENGINE_MAX_ACTIVE_LIMIT)
    return usage_error (&h, _("--jobs must be between 1 and %d"), PCQ_ENGINE_MAX_ACTIVE_LIMIT);

  if (max_per_host != G_MININT && (max_per_host < 1 || max_per_host > PCQ_ENGINE_MAX_ACTIVE_LIMIT))
    return usage_error (&h, _("--max-per-host must be between 1 and %d"), PCQ_ENGINE_MAX_ACTIVE_LIMIT);

  if (api_rpm < 0 || api_rpm > PCQ_ENGINE_API_RPM_LIMIT)
    return usage_error (&h, _("--api-rpm must be between 0 (no limit) and %d"), PCQ_ENGINE_API_RPM_LIMIT);

  if (split < 1 || split > 16)
    return usage_error (&h, "%s", _("--split must be between 1 and 16"));

  if (retries < 0 || retries > 10)
    return usage_error (&h, "%s", _("--retries must be between 0 and 10"));

  if (stall_timeout < 1 || stall_timeout > 3600)
    return usage_error (&h, "%s", _("--stall-timeout must be between 1 and 3600 seconds"));

  if (min_speed_text != NULL && !parse_rate (min_speed_text, &min_speed))
    return usage_error (&h, "%s", _("--min-speed must be a number of bytes per second, "
                                    "with k or M for KiB or MiB (as 500k)"));

  if (limit_rate_text != NULL && !parse_rate (limit_rate_text, &limit_rate))
    return usage_error (&h, "%s", _("--limit-rate must be a number of bytes per second, "
                                    "with k or M for KiB or MiB (as 500k)"));

  if (start_at_text != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      guint hour, minute, second;

      if (!pcq_clock_parse (start_at_text, &hour, &minute, &second))
        return usage_error (&h, "%s", _("--start-at must be a time of day as HH:MM or HH:MM:SS (as 23:30)"));
      start_at = pcq_clock_next (now, hour, minute, second);
    }

  if (commit && !pcq_vcs_is_supported ())
    return usage_error (&h, "%s", _("--commit: this build has no Git support"));

  for (guint i = 0; prompts != NULL && prompts[i] != NULL; i++)
    {
      if (*prompts[i] == '\0' || !g_utf8_validate (prompts[i], -1, NULL))
        return usage_error (&h, "%s", _("--prompt must be non-empty UTF-8 text"));
    }

  if (api_base != NULL)
    {
      g_autofree char *endpoint = pcq_api_chat_url (api_base);
      g_autofree char *host = NULL;

      /* API tasks send the API key; a password would only be stored. */
      if (pcq_keyring_url_has_password (api_base))
        return usage_error (&h, "--api-base: %s",
                            _("a password in the URL is not used: give the API key in "
                              "PCQ_API_KEY or the keyring"));

      host = pcq_check_url (endpoint, &error);
      if (host == NULL)
        return usage_error (&h, "--api-base: %s", error->message);
    }

  /* Read before anything starts, and kept in memory only. */
  if (use_netrc || netrc_file != NULL)
    {
      g_autofree char *path = netrc_file != NULL ? g_strdup (netrc_file)
                                                 : g_build_filename (g_get_home_dir (), ".netrc", NULL);
      PcqNetrc *netrc = pcq_netrc_load (path, &error);

      if (netrc == NULL)
        return usage_error (&h, "--netrc: %s", error->message);
      pcq_keyring_use_netrc (netrc);
    }

  if (urls == NULL && prompts == NULL && input == NULL && !resume)
    return usage_error (&h, "%s", _("nothing to do: give URLs, --prompt TEXT or --input FILE (see --help)"));

  /* An input that is no list of tasks is refused before anything of
   * the run starts (a pipe, as it is read). */
  h.input = input;
  if (input != NULL && !open_input (&h, &error))
    return usage_error (&h, "%s", error->message);

  if (output_dir == NULL)
    output_dir = default_output_dir ();
  if (!prepare_output_dir (&output_dir, &error))
    return usage_error (&h, "%s", error->message);

  h.engine = pcq_engine_new ();
  /* Nothing starts before the engine is set up and has its key. */
  pcq_engine_set_paused (h.engine, TRUE);
  pcq_engine_set_max_active (h.engine, jobs);
  pcq_engine_set_commit_results (h.engine, commit);
  if (api_base != NULL)
    pcq_engine_set_api_base (h.engine, api_base);
  if (model != NULL)
    pcq_engine_set_model (h.engine, model);
  pcq_engine_set_max_api_active (h.engine, api_jobs);
  pcq_engine_set_api_rpm (h.engine, api_rpm);
  if (max_per_host != G_MININT)
    pcq_engine_set_max_per_host (h.engine, max_per_host);
  pcq_engine_set_retries (h.engine, retries);
  pcq_engine_set_split (h.engine, split);
  pcq_engine_set_stall_timeout (h.engine, stall_timeout);
  pcq_engine_set_min_speed (h.engine, min_speed);
  pcq_engine_set_speed_limit (h.engine, limit_rate);
  pcq_engine_set_start_at (h.engine, start_at);
  /* Reports come together, at most once per 16 ms, as in the window:
   * this thread wakes less often, and a small file that is done by then
   * is never shown active (its "started" is moot). */
  pcq_engine_set_dispatch_interval (h.engine, PCQ_ENGINE_FRAME_INTERVAL);
  g_signal_connect (h.engine, "job-finished", G_CALLBACK (job_finished_cb), &h);
  g_signal_connect (h.engine, "job-waiting", G_CALLBACK (job_waiting_cb), &h);

  /* Headless runs keep their own store, apart from the window's; what
   * earlier runs left unfinished runs again with --resume only, and
   * their history is not shown. */
  store_path = g_build_filename (g_get_user_state_dir (), "pcq", "headless.sqlite", NULL);
  h.session = pcq_session_new_sync (h.engine, store_path, PCQ_DEFAULT_HISTORY_DAYS,
                                    resume ? PCQ_RESTORE_UNFINISHED : 0, NULL, &error);
  if (h.session == NULL)
    {
      /* Another run (named by its pid) has the store. */
      return usage_error (&h, "%s", error->message);
    }
  if (pcq_session_get_notice (h.session) != NULL)
    g_printerr ("pcq: %s\n", pcq_session_get_notice (h.session));

  /* errors.jsonl is a file of this run like its results: its name is
   * taken before any task is queued (those restored hold theirs
   * already), so that no result takes it. */
  if (input != NULL)
    {
      h.errors_path = pcq_engine_reserve_name (h.engine, output_dir, "errors.jsonl", &error);
      if (h.errors_path == NULL)
        g_debug ("No name for errors.jsonl: %s", error->message);
      g_clear_error (&error);
    }

  /* The report's name likewise; with a report, every download's
   * SHA-256 is computed for it. */
  if (report != NULL)
    {
      h.report_path = choose_report_path (&h, report, output_dir, &error);
      if (h.report_path == NULL)
        return usage_error (&h, "%s", error->message);
      pcq_engine_set_record_checksums (h.engine, TRUE);
    }

  /* Prompts, and whatever a resumed queue holds, may ask the API; an
   * input's lines look when one does (submit_line ()). */
  if (prompts != NULL || resume)
    need_api_key (&h);
  h.n_submitted = pcq_engine_get_n_queued (h.engine);

  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    {
      pcq_engine_submit (h.engine, urls[i], output_dir, NULL);
      h.n_submitted++;
    }

  for (guint i = 0; prompts != NULL && prompts[i] != NULL; i++)
    {
      pcq_engine_submit_prompt (h.engine, prompts[i], output_dir, NULL);
      h.n_submitted++;
    }

  pcq_engine_set_paused (h.engine, FALSE);

  h.loop = g_main_loop_new (NULL, FALSE);
  h.progress = isatty (STDERR_FILENO);
  h.output_dir = output_dir;
  h.input_jobs = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, input_line_free);
  h.errors = g_ptr_array_new_with_free_func (g_free);
  if (input != NULL)
    start_reading (&h);
  maybe_done (&h);

  g_unix_signal_add (SIGINT, interrupt_cb, &h);
  g_unix_signal_add (SIGTERM, interrupt_cb, &h);
  if (h.progress)
    h.progress_source = g_timeout_add (250, progress_cb, &h);
  g_signal_connect (h.engine, "notify::offline", G_CALLBACK (offline_cb), &h);
  if (pcq_engine_get_offline (h.engine))
    offline_cb (h.engine, NULL, &h);

  g_main_loop_run (h.loop);

  g_clear_handle_id (&h.progress_source, g_source_remove);
  clear_progress_line (&h);
  write_errors (&h);
  write_report (&h);
  print_summary (&h);

  if (h.error != NULL)
    status = PCQ_EXIT_USAGE;
  else if (h.n_interrupts > 0)
    status = PCQ_EXIT_INTERRUPTED;
  else if (pcq_engine_get_n_failed (h.engine) + pcq_engine_get_n_cancelled (h.engine) +
           h.n_bad_lines > 0)
    status = PCQ_EXIT_FAILED;
  else
    status = PCQ_EXIT_OK;

  headless_clear (&h);

  return status;
}
