/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-headless"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pcq-api.h"
#include "pcq-defaults.h"
#include "pcq-engine.h"
#include "pcq-headless.h"
#include "pcq-input.h"
#include "pcq-keyring.h"
#include "pcq-run.h"
#include "pcq-session.h"
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

  /* The input file, read on the main loop as jobs already run: stdin
   * may be slow, and Ctrl+C must work while it is read. */
  char         *input;
  char         *output_dir;
  GInputStream *input_stream;
  GCancellable *input_cancellable;
  GString      *input_pending;
  guint         input_line;

  /* Batch files: the input line (and custom_id) of each job from the
   * input, and one JSON line per line that failed, for errors.jsonl. */
  GHashTable   *input_jobs;
  GPtrArray    *errors;
  guint         n_batch_lines;
} Headless;

typedef struct
{
  guint  line;
  char  *custom_id;  /* nullable */
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

static void
input_line_free (gpointer data)
{
  InputLine *info = data;

  g_free (info->custom_id);
  g_free (info);
}

static void maybe_done (Headless *h);

static char *
default_output_dir (void)
{
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  if (downloads == NULL)
    return g_build_filename (g_get_home_dir (), "Downloads", "Pcq", NULL);

  return g_build_filename (downloads, "Pcq", NULL);
}

/* Makes @dir and checks that files can be created in it. */
static gboolean
check_output_dir (const char  *dir,
                  GError     **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0 || access (dir, W_OK | X_OK) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot use output folder “%s”: %s"), dir, g_strerror (errsv));
      return FALSE;
    }

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

/* A line of the input file that cannot be run. */
static void
bad_line (Headless   *h,
          const char *file,
          guint       line,
          const char *custom_id,
          const char *message)
{
  g_printerr ("pcq: %s:%u: %s\n", file, line, message);
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
  guint64 *id = g_new (guint64, 1);

  *id = pcq_job_get_id (job);
  info->line = line;
  info->custom_id = g_strdup (custom_id);
  g_hash_table_replace (h->input_jobs, id, info);
}

/* One line of the input file: a task, or a bad line. */
static void
submit_line (Headless *h,
             char     *line)
{
  g_autoptr(PcqInputTask) task = NULL;
  PcqInputLineKind kind;

  h->input_line++;

  kind = pcq_input_parse_line_full (line, PCQ_INPUT_FLAGS_NONE, &task);
  if (kind == PCQ_INPUT_LINE_EMPTY)
    return;

  if (task->kind == PCQ_INPUT_TASK_BATCH)
    h->n_batch_lines++;

  if (kind == PCQ_INPUT_LINE_INVALID)
    {
      bad_line (h, h->input, h->input_line, task->custom_id, task->error);
      return;
    }

  track_input_job (h, pcq_input_task_submit (task, h->engine, h->output_dir),
                   h->input_line, task->custom_id);
  h->n_submitted++;
}

static void
stop_reading (Headless *h)
{
  g_clear_object (&h->input_stream);
  g_clear_object (&h->input_cancellable);
  if (h->input_pending != NULL)
    g_string_free (g_steal_pointer (&h->input_pending), TRUE);
  maybe_done (h);
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
  gsize start = 0;

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
      /* The last line may lack its newline. */
      if (h->input_pending->len > 0)
        submit_line (h, h->input_pending->str);
      stop_reading (h);
      return;
    }

  g_string_append_len (h->input_pending, data, size);
  for (gsize i = 0; i < h->input_pending->len; i++)
    {
      if (h->input_pending->str[i] != '\n')
        continue;

      h->input_pending->str[i] = '\0';
      submit_line (h, h->input_pending->str + start);
      start = i + 1;
    }
  g_string_erase (h->input_pending, 0, start);

  g_input_stream_read_bytes_async (h->input_stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   h->input_cancellable, read_cb, h);
}

static gboolean
start_reading (Headless    *h,
               GError     **error)
{
  if (g_strcmp0 (h->input, "-") == 0)
    {
      h->input_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
    }
  else
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (h->input);

      h->input_stream = G_INPUT_STREAM (g_file_read (file, NULL, error));
      if (h->input_stream == NULL)
        return FALSE;
    }

  h->input_cancellable = g_cancellable_new ();
  h->input_pending = g_string_new (NULL);
  g_input_stream_read_bytes_async (h->input_stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   h->input_cancellable, read_cb, h);
  return TRUE;
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

  return G_SOURCE_CONTINUE;
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

static void
job_finished_cb (PcqEngine *engine,
                 PcqJob    *job,
                 Headless  *h)
{
  PcqJobState state = pcq_job_get_state (job);

  h->n_finished++;

  if (state == PCQ_JOB_FAILED || state == PCQ_JOB_CANCELLED)
    {
      g_autofree char *label = job_label (job);
      guint64 id = pcq_job_get_id (job);
      InputLine *info = g_hash_table_lookup (h->input_jobs, &id);
      const char *reason = pcq_job_get_error (job) ? pcq_job_get_error (job) : _("no reason given");

      clear_progress_line (h);
      if (info != NULL && pcq_job_get_kind (job) == PCQ_JOB_BATCH)
        g_printerr ("pcq: %s:%u: %s: %s: %s\n", h->input, info->line, label,
                    state_label (state), reason);
      else
        g_printerr ("pcq: %s: %s: %s\n", label, state_label (state), reason);

      if (info != NULL)
        add_error (h, info->line, info->custom_id, reason);
    }

  maybe_done (h);
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
 * folder (replacing the one of an earlier run), in input order. */
static gint
compare_error_lines (gconstpointer a,
                     gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
write_errors (Headless *h)
{
  g_autoptr(GString) text = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (h->n_batch_lines == 0 || h->errors->len == 0)
    return;

  g_ptr_array_sort (h->errors, compare_error_lines);
  text = g_string_new (NULL);
  for (guint i = 0; i < h->errors->len; i++)
    {
      const char *entry = g_ptr_array_index (h->errors, i);

      g_string_append (text, entry + 10);  /* after the line number */
      g_string_append_c (text, '\n');
    }

  path = g_build_filename (h->output_dir, "errors.jsonl", NULL);
  if (!g_file_set_contents (path, text->str, text->len, &error))
    g_printerr ("pcq: %s\n", error->message);
  else
    {
      g_printerr ("pcq: ");
      g_printerr (g_dngettext (GETTEXT_PACKAGE, "%u failed line of %s listed in %s",
                               "%u failed lines of %s listed in %s", h->errors->len),
                  h->errors->len, h->input, path);
      g_printerr ("\n");
    }
}

/* Tasks waiting for --resume: what this run leaves unfinished in the
 * store (never started, or interrupted and queued again), and what
 * earlier runs left there that this one did not resume. */
static guint
count_left (Headless *h)
{
  return pcq_engine_get_n_queued (h->engine) + pcq_engine_get_n_active (h->engine) +
         pcq_session_get_n_held_back (h->session);
}

/* The contract's last stdout line. Only numbers: no JSON escaping needed. */
static void
print_summary (Headless *h)
{
  char seconds[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (seconds, sizeof seconds, "%.3f",
                   (g_get_monotonic_time () - h->started) / (double) G_USEC_PER_SEC);
  g_print ("{\"done\": %u, \"failed\": %u, \"cancelled\": %u, \"left\": %u, "
           "\"bytes\": %" G_GUINT64_FORMAT ", \"seconds\": %s}\n",
           pcq_engine_get_n_done (h->engine),
           pcq_engine_get_n_failed (h->engine) + h->n_bad_lines,
           pcq_engine_get_n_cancelled (h->engine),
           count_left (h),
           pcq_engine_get_bytes_done (h->engine),
           seconds);
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
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, N_("Also run what an earlier run left unfinished"), NULL },
    { "commit", 0, 0, G_OPTION_ARG_NONE, &commit, N_("Commit each finished result to the Git repository at the output folder"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &urls, NULL, N_("[URL…]") },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Download URLs and ask an OpenAI-compatible API in a queue, "
                                           "without a window. The API key comes from PCQ_API_KEY or the keyring."));
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("pcq: %s\n", error->message);
      return PCQ_EXIT_USAGE;
    }

  if (api_jobs < 1 || api_jobs > PCQ_ENGINE_MAX_ACTIVE_LIMIT)
    {
      g_printerr ("pcq: ");
      g_printerr (_("--api-jobs must be between 1 and %d"), PCQ_ENGINE_MAX_ACTIVE_LIMIT);
      g_printerr ("\n");
      return PCQ_EXIT_USAGE;
    }

  if (jobs < 1 || jobs > PCQ_ENGINE_MAX_ACTIVE_LIMIT)
    {
      g_printerr ("pcq: ");
      g_printerr (_("--jobs must be between 1 and %d"), PCQ_ENGINE_MAX_ACTIVE_LIMIT);
      g_printerr ("\n");
      return PCQ_EXIT_USAGE;
    }

  if (commit && !pcq_vcs_is_supported ())
    {
      g_printerr ("pcq: %s\n", _("--commit: this build has no Git support"));
      return PCQ_EXIT_USAGE;
    }

  for (guint i = 0; prompts != NULL && prompts[i] != NULL; i++)
    {
      if (*prompts[i] == '\0' || !g_utf8_validate (prompts[i], -1, NULL))
        {
          g_printerr ("pcq: %s\n", _("--prompt must be non-empty UTF-8 text"));
          return PCQ_EXIT_USAGE;
        }
    }

  if (api_base != NULL)
    {
      g_autofree char *endpoint = pcq_api_chat_url (api_base);
      g_autofree char *host = NULL;

      /* API tasks send the API key; a password would only be stored. */
      if (pcq_keyring_url_has_password (api_base))
        {
          g_printerr ("pcq: --api-base: %s\n",
                      _("a password in the URL is not used: give the API key in PCQ_API_KEY "
                        "or the keyring"));
          return PCQ_EXIT_USAGE;
        }

      host = pcq_check_url (endpoint, &error);
      if (host == NULL)
        {
          g_printerr ("pcq: --api-base: %s\n", error->message);
          return PCQ_EXIT_USAGE;
        }
    }

  if (urls == NULL && prompts == NULL && input == NULL && !resume)
    {
      g_printerr ("pcq: %s\n", _("nothing to do: give URLs, --prompt TEXT or --input FILE (see --help)"));
      return PCQ_EXIT_USAGE;
    }

  if (input != NULL && g_strcmp0 (input, "-") != 0 && access (input, R_OK) != 0)
    {
      int errsv = errno;

      g_printerr ("pcq: %s: %s\n", input, g_strerror (errsv));
      return PCQ_EXIT_USAGE;
    }

  if (output_dir == NULL)
    output_dir = default_output_dir ();
  if (!check_output_dir (output_dir, &error))
    {
      g_printerr ("pcq: %s\n", error->message);
      return PCQ_EXIT_USAGE;
    }

  h.started = g_get_monotonic_time ();
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
  g_signal_connect (h.engine, "job-finished", G_CALLBACK (job_finished_cb), &h);

  /* Headless runs keep their own store, apart from the window's; what
   * earlier runs left unfinished runs again with --resume only, and
   * their history is not shown. */
  store_path = g_build_filename (g_get_user_state_dir (), "pcq", "headless.sqlite", NULL);
  h.session = pcq_session_new_sync (h.engine, store_path, PCQ_DEFAULT_HISTORY_DAYS,
                                    resume ? PCQ_RESTORE_UNFINISHED : 0, NULL, &error);
  if (h.session == NULL)
    {
      /* Another run (named by its pid) has the store. */
      g_printerr ("pcq: %s\n", error->message);
      g_clear_object (&h.engine);
      return PCQ_EXIT_USAGE;
    }
  if (pcq_session_get_notice (h.session) != NULL)
    g_printerr ("pcq: %s\n", pcq_session_get_notice (h.session));

  /* Only runs that may ask the API look in the keyring: a locked one
   * would otherwise prompt for plain downloads. */
  if (!pcq_engine_has_api_key (h.engine) && (prompts != NULL || input != NULL || resume))
    use_keyring_key (h.engine);
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
  h.input = input;
  h.output_dir = output_dir;
  h.input_jobs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, input_line_free);
  h.errors = g_ptr_array_new_with_free_func (g_free);
  if (input != NULL && !start_reading (&h, &error))
    {
      g_printerr ("pcq: %s: %s\n", input, error->message);
      g_clear_error (&error);
      h.n_bad_lines++;
    }
  maybe_done (&h);

  g_unix_signal_add (SIGINT, interrupt_cb, &h);
  g_unix_signal_add (SIGTERM, interrupt_cb, &h);
  if (h.progress)
    h.progress_source = g_timeout_add (250, progress_cb, &h);

  g_main_loop_run (h.loop);

  g_clear_handle_id (&h.progress_source, g_source_remove);
  clear_progress_line (&h);
  write_errors (&h);
  print_summary (&h);

  if (h.n_interrupts > 0)
    status = PCQ_EXIT_INTERRUPTED;
  else if (pcq_engine_get_n_failed (h.engine) + pcq_engine_get_n_cancelled (h.engine) +
           h.n_bad_lines > 0)
    status = PCQ_EXIT_FAILED;
  else
    status = PCQ_EXIT_OK;

  g_clear_object (&h.engine);
  /* A password given in a URL reaches the keyring even in a short run. */
  pcq_keyring_wait_stored ();
  g_clear_pointer (&h.loop, g_main_loop_unref);
  g_clear_pointer (&h.input_jobs, g_hash_table_unref);
  g_clear_pointer (&h.errors, g_ptr_array_unref);
  /* The last commit, then the lock goes. */
  pcq_session_close (h.session);
  g_clear_object (&h.session);

  return status;
}
