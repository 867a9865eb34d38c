/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include <json-glib/json-glib.h>

#include "pcq-test-headless.h"
#include "pcq-test-util.h"

struct _PcqTestRun
{
  GSubprocess *proc;
  gboolean     done;
  char        *out;
  char        *err;
  GError      *error;
};

/**
 * pcq_test_headless_launcher:
 *
 * Returns: (transfer full): a launcher with @flags whose children have
 *   @home, @state and @config as their HOME and XDG folders, and no
 *   display or session bus
 */
GSubprocessLauncher *
pcq_test_headless_launcher (GSubprocessFlags  flags,
                            const char       *home,
                            const char       *state,
                            const char       *config)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  pcq_test_launcher_isolate (launcher, home, state, config);
  return launcher;
}

void
pcq_test_run_free (PcqTestRun *run)
{
  if (run->proc != NULL && !run->done)
    g_subprocess_force_exit (run->proc);
  g_clear_object (&run->proc);
  g_free (run->out);
  g_free (run->err);
  g_clear_error (&run->error);
  g_free (run);
}

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  PcqTestRun *run = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                        &run->out, &run->err, &run->error);
  run->done = TRUE;
}

static PcqTestRun *
spawn (GSubprocessLauncher *launcher,
       const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  PcqTestRun *run = g_new0 (PcqTestRun, 1);

  g_ptr_array_add (argv, (gpointer) pcq_test_binary ());
  g_ptr_array_add (argv, (gpointer) "--headless");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  run->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  return run;
}

/**
 * pcq_test_run_spawn:
 * @launcher: made with stdout and stderr pipes, and a stdin pipe if
 *   @input is given
 * @input: (nullable): what pcq reads on stdin (then stdin ends)
 *
 * Starts `pcq --headless ARGS…` and collects its output.
 */
PcqTestRun *
pcq_test_run_spawn (GSubprocessLauncher *launcher,
                    const char          *input,
                    const char * const  *args)
{
  PcqTestRun *run = spawn (launcher, args);

  g_subprocess_communicate_utf8_async (run->proc, input, NULL, communicate_cb, run);
  return run;
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  PcqTestRun *run = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &run->error);
  run->done = TRUE;
}

static char *
read_stream (GInputStream *stream)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();

  g_output_stream_splice (mem, stream, G_OUTPUT_STREAM_SPLICE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (mem, "", 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (mem, NULL, &error);
  g_assert_no_error (error);

  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (mem));
}

/**
 * pcq_test_run_spawn_open_stdin:
 * @launcher: made with stdin, stdout and stderr pipes
 *
 * Starts `pcq --headless ARGS…` with a stdin the test writes to
 * (pcq_test_run_write_stdin()) and may leave open; the output is read
 * once pcq has exited, so it must fit in the pipes.
 */
PcqTestRun *
pcq_test_run_spawn_open_stdin (GSubprocessLauncher *launcher,
                               const char * const  *args)
{
  PcqTestRun *run = spawn (launcher, args);

  g_subprocess_wait_async (run->proc, NULL, wait_cb, run);
  return run;
}

/**
 * pcq_test_run_write_stdin:
 *
 * For runs started with pcq_test_run_spawn_open_stdin(): writes @text
 * and, if @close, ends stdin.
 */
void
pcq_test_run_write_stdin (PcqTestRun *run,
                          const char *text,
                          gboolean    close)
{
  g_autoptr(GError) error = NULL;
  GOutputStream *in = g_subprocess_get_stdin_pipe (run->proc);

  g_assert_true (g_output_stream_write_all (in, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_flush (in, NULL, &error));
  g_assert_no_error (error);

  if (close)
    {
      g_assert_true (g_output_stream_close (in, NULL, &error));
      g_assert_no_error (error);
    }
}

/**
 * pcq_test_run_wait:
 *
 * Waits for the process to end, spinning the thread-default main
 * context; kills it (and fails) after @timeout_ms.
 */
void
pcq_test_run_wait (PcqTestRun *run,
                   guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!run->done && pcq_test_iterate (deadline))
    ;

  if (!run->done)
    {
      g_subprocess_force_exit (run->proc);
      g_error ("pcq did not exit within %u ms", timeout_ms);
    }

  g_assert_no_error (run->error);

  /* A stdin run: the pipes are read once the process is gone. */
  if (run->out == NULL && g_subprocess_get_stdout_pipe (run->proc) != NULL)
    run->out = read_stream (g_subprocess_get_stdout_pipe (run->proc));
  if (run->err == NULL && g_subprocess_get_stderr_pipe (run->proc) != NULL)
    run->err = read_stream (g_subprocess_get_stderr_pipe (run->proc));

  pcq_test_note ("pcq stderr:\n%s", run->err != NULL ? run->err : "");
}

gboolean
pcq_test_run_is_running (PcqTestRun *run)
{
  return !run->done;
}

GSubprocess *
pcq_test_run_get_process (PcqTestRun *run)
{
  return run->proc;
}

/**
 * pcq_test_run_exit_status:
 *
 * Returns: the exit status of a run that ended; fails the test if pcq
 *   was killed by a signal
 */
int
pcq_test_run_exit_status (PcqTestRun *run)
{
  g_assert_true (run->done);

  if (g_subprocess_get_if_signaled (run->proc))
    g_error ("pcq was killed by signal %d; stderr:\n%s",
             g_subprocess_get_term_sig (run->proc), run->err);

  g_assert_true (g_subprocess_get_if_exited (run->proc));

  return g_subprocess_get_exit_status (run->proc);
}

const char *
pcq_test_run_get_stdout (PcqTestRun *run)
{
  g_assert_true (run->done);
  return run->out != NULL ? run->out : "";
}

const char *
pcq_test_run_get_stderr (PcqTestRun *run)
{
  g_assert_true (run->done);
  return run->err != NULL ? run->err : "";
}

static gint64
get_int_member (JsonObject *object,
                const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    g_error ("summary has no \"%s\"", name);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_true (json_node_get_value_type (node) == G_TYPE_INT64);

  return json_node_get_int (node);
}

/**
 * pcq_test_run_summary:
 *
 * Parses the last stdout line, the summary object of the headless
 * contract, and checks that it is the last line and well formed.
 */
PcqTestSummary
pcq_test_run_summary (PcqTestRun *run)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  const char *last = NULL;
  JsonObject *object;
  JsonNode *seconds;
  PcqTestSummary summary;

  g_assert_nonnull (run->out);
  pcq_test_note ("pcq stdout:\n%s", run->out);

  /* The last line, and it ends the output. */
  g_assert_true (g_str_has_suffix (run->out, "\n"));
  lines = g_strsplit (run->out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (*lines[i] != '\0')
        last = lines[i];
    }
  g_assert_nonnull (last);
  g_assert_true (lines[g_strv_length (lines) - 1][0] == '\0');
  g_assert_true (last == lines[g_strv_length (lines) - 2]);

  json_parser_load_from_data (parser, last, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  object = json_node_get_object (json_parser_get_root (parser));

  summary.done = get_int_member (object, "done");
  summary.failed = get_int_member (object, "failed");
  summary.cancelled = get_int_member (object, "cancelled");
  summary.left = get_int_member (object, "left");
  summary.bytes = get_int_member (object, "bytes");

  seconds = json_object_get_member (object, "seconds");
  g_assert_nonnull (seconds);
  g_assert_true (JSON_NODE_HOLDS_VALUE (seconds));
  g_assert_true (json_node_get_value_type (seconds) == G_TYPE_DOUBLE
                 || json_node_get_value_type (seconds) == G_TYPE_INT64);
  summary.seconds = json_node_get_double (seconds);
  g_assert_cmpfloat (summary.seconds, >=, 0.0);

  return summary;
}
