/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-closures"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pcq-closures.h"

/* Token counts go in as text (xgettext cannot read G_GINT64_FORMAT);
 * the plural form is chosen by their last digits. */
static gulong
plural_n (gint64 n)
{
  return n < 0 ? 0 : (gulong) (n > 1000000 ? 1000000 + n % 1000000 : n);
}

/**
 * pcq_format_tokens:
 * @prompt_tokens: what the prompt took, as the server said, or -1
 * @completion_tokens: what the answer took, or -1
 *
 * A part of a done API task's detail line: "120 + 350 tokens".
 *
 * Returns: (transfer full) (nullable): %NULL when neither is known
 */
char *
pcq_format_tokens (gint64 prompt_tokens,
                   gint64 completion_tokens)
{
  g_autofree char *prompt = g_strdup_printf ("%" G_GINT64_FORMAT, prompt_tokens);
  g_autofree char *completion = g_strdup_printf ("%" G_GINT64_FORMAT, completion_tokens);

  if (prompt_tokens >= 0 && completion_tokens >= 0)
    /* Translators: the tokens of the prompt + those of the answer, as
     * the API server counted them, “120 + 350 tokens” */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s + %s token", "%s + %s tokens",
                                         plural_n (completion_tokens)),
                            prompt, completion);
  if (prompt_tokens >= 0)
    /* Translators: the tokens of the prompt, the server said nothing of the answer's */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s prompt token", "%s prompt tokens",
                                         plural_n (prompt_tokens)),
                            prompt);
  if (completion_tokens >= 0)
    /* Translators: the tokens of the answer, the server said nothing of the prompt's */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s answer token", "%s answer tokens",
                                         plural_n (completion_tokens)),
                            completion);
  return NULL;
}

/**
 * pcq_format_token_sums:
 * @prompt_tokens: the tokens of all prompts in the list
 * @completion_tokens: the tokens of all answers in the list
 *
 * The window title's tooltip: what the tasks in the list cost.
 *
 * Returns: (transfer full) (nullable): %NULL when both are 0
 */
char *
pcq_format_token_sums (gint64 prompt_tokens,
                       gint64 completion_tokens)
{
  g_autofree char *prompt = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (prompt_tokens, 0));
  g_autofree char *completion = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (completion_tokens, 0));

  if (prompt_tokens <= 0 && completion_tokens <= 0)
    return NULL;

  /* Translators: the window title's tooltip; the sums of the tokens
   * the API server reported for the tasks in the list */
  return g_strdup_printf (_("API tokens of the tasks in the list: %s for prompts, %s for answers"),
                          prompt, completion);
}

/**
 * pcq_format_counts:
 * @paused: whether the queue is paused
 * @n_queued: queued, waiting to retry and paused tasks (the Queued filter)
 * @n_running: running tasks (the Running filter)
 * @n_finished: tasks that are done (the Finished filter)
 * @n_failed: failed and cancelled tasks (the Failed filter)
 *
 * The window subtitle: "Paused · 3 queued · 2 running · 10 finished · 1 failed",
 * in the words and groups of the filters, so the two never disagree.
 * Zero counts are left out; an empty list says so.
 */
char *
pcq_format_counts (gboolean paused,
                   guint    n_queued,
                   guint    n_running,
                   guint    n_finished,
                   guint    n_failed)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (paused)
    g_ptr_array_add (parts, g_strdup (_("Paused")));
  if (n_queued > 0)
    /* Translators: a part of the window subtitle, “3 queued · 2 running · 10 finished”;
     * the words are those of the filters (Queued, Running, Finished, Failed) */
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u queued",
                                                          "%u queued", n_queued),
                                             n_queued));
  if (n_running > 0)
    /* Translators: a part of the window subtitle, “2 running” */
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u running",
                                                          "%u running", n_running),
                                             n_running));
  if (n_finished > 0)
    /* Translators: a part of the window subtitle, “10 finished” */
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u finished",
                                                          "%u finished", n_finished),
                                             n_finished));
  if (n_failed > 0)
    /* Translators: a part of the window subtitle, “1 failed” (failed or cancelled) */
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u failed",
                                                          "%u failed", n_failed),
                                             n_failed));

  if (n_queued + n_running + n_finished + n_failed == 0)
    g_ptr_array_add (parts, g_strdup (_("No tasks")));

  g_ptr_array_add (parts, NULL);

  return g_strjoinv (" · ", (char **) parts->pdata);
}

/**
 * pcq_format_duration:
 *
 * A short, rounded-up duration: "6 s", "3 min", "2 h 5 min".
 */
char *
pcq_format_duration (guint64 seconds)
{
  if (seconds < 60)
    /* Translators: a duration in seconds, as in “6 s left” */
    return g_strdup_printf (_("%u s"), (guint) seconds);

  if (seconds < 3600)
    /* Translators: a duration in minutes, as in “3 min left” */
    return g_strdup_printf (_("%u min"), (guint) ((seconds + 59) / 60));

  if (seconds < 100 * 3600)
    {
      guint64 minutes = (seconds + 59) / 60;

      if (minutes % 60 == 0)
        /* Translators: a duration in hours, as in “2 h left” */
        return g_strdup_printf (_("%u h"), (guint) (minutes / 60));

      /* Translators: a duration in hours and minutes, as in “2 h 5 min left” */
      return g_strdup_printf (_("%u h %u min"), (guint) (minutes / 60), (guint) (minutes % 60));
    }

  /* Translators: a long duration in days, as in “5 days left” */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u day", "%u days",
                                       (gulong) (seconds / 86400)),
                          (guint) (seconds / 86400));
}

/**
 * pcq_format_detail:
 * @total: -1 when unknown
 * @bytes_per_second: 0 when unknown
 * @attempts: attempts made so far
 * @max_attempts: the most attempts a task may make (retries + 1)
 *
 * The detail line of a row: "3.2 MB of 10 MB · 1.1 MB/s · 6 s left".
 */
char *
pcq_format_detail (PcqJobState state,
                   gint64      bytes,
                   gint64      total,
                   double      bytes_per_second,
                   guint       attempts,
                   guint       max_attempts)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  switch (state)
    {
    case PCQ_JOB_QUEUED:
      if (attempts > 0)
        /* Translators: a queued task that failed for a temporary reason */
        return g_strdup_printf (_("Waiting to retry · attempt %u of %u"),
                                attempts + 1, MAX (max_attempts, attempts + 1));
      return g_strdup (_("Queued"));

    case PCQ_JOB_ACTIVE:
      if (bytes <= 0 && total < 0)
        return g_strdup (_("Starting…"));

      if (total >= 0)
        {
          g_autofree char *done = g_format_size (bytes);
          g_autofree char *all = g_format_size (total);

          /* Translators: progress of a download, “3.2 MB of 10 MB” */
          g_ptr_array_add (parts, g_strdup_printf (_("%s of %s"), done, all));
        }
      else
        g_ptr_array_add (parts, g_format_size (bytes));

      if (bytes_per_second >= 1)
        {
          g_autofree char *rate = g_format_size ((guint64) bytes_per_second);

          /* Translators: a transfer rate, “1.1 MB/s” */
          g_ptr_array_add (parts, g_strdup_printf (_("%s/s"), rate));

          if (total >= 0 && total >= bytes)
            {
              guint64 left = (guint64) ((total - bytes) / bytes_per_second + 0.5);
              g_autofree char *duration = pcq_format_duration (left);

              /* Translators: the time until a download is done, “6 s left” */
              g_ptr_array_add (parts, g_strdup_printf (_("%s left"), duration));
            }
        }
      if (attempts > 1)
        g_ptr_array_add (parts, g_strdup_printf (_("attempt %u"), attempts));
      break;

    case PCQ_JOB_PAUSED:
      g_ptr_array_add (parts, g_strdup (_("Paused")));
      if (total > 0 && bytes > 0)
        {
          g_autofree char *done = g_format_size (bytes);
          g_autofree char *all = g_format_size (total);

          g_ptr_array_add (parts, g_strdup_printf (_("%s of %s"), done, all));
        }
      break;

    case PCQ_JOB_DONE:
      g_ptr_array_add (parts, g_strdup (_("Done")));
      if (bytes >= 0)
        g_ptr_array_add (parts, g_format_size (bytes));
      break;

    case PCQ_JOB_FAILED:
      if (attempts > 1)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Failed after %u attempt",
                                             "Failed after %u attempts",
                                             attempts),
                                attempts);
      return g_strdup (_("Failed"));

    case PCQ_JOB_CANCELLED:
      return g_strdup (_("Cancelled"));

    default:
      g_assert_not_reached ();
    }

  g_ptr_array_add (parts, NULL);

  return g_strjoinv (" · ", (char **) parts->pdata);
}

static char *
last_path_segment (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_PARSE_RELAXED | G_URI_FLAGS_ENCODED, NULL);
  g_autofree char *path = NULL;
  const char *slash;

  if (uri == NULL)
    return NULL;

  path = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  if (path == NULL)
    return NULL;

  while (g_str_has_suffix (path, "/"))
    path[strlen (path) - 1] = '\0';

  slash = strrchr (path, '/');
  if (slash != NULL && slash[1] != '\0')
    return g_strdup (slash + 1);

  if (g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0')
    return g_strdup (g_uri_get_host (uri));

  return NULL;
}

/**
 * pcq_format_job_name:
 *
 * What a row is called: the name given, else the name of the file it
 * was saved to, else the last part of the URL.
 */
char *
pcq_format_job_name (const char *name,
                     const char *output_path,
                     const char *url)
{
  char *segment;

  if (name != NULL && *name != '\0')
    return g_strdup (name);

  if (output_path != NULL && *output_path != '\0')
    return g_path_get_basename (output_path);

  if (url != NULL && (segment = last_path_segment (url)) != NULL)
    return segment;

  return g_strdup (url != NULL ? url : "");
}

const char *
pcq_job_state_icon_name (PcqJobState state)
{
  switch (state)
    {
    case PCQ_JOB_QUEUED:
      return "document-open-recent-symbolic";
    case PCQ_JOB_ACTIVE:
      return "folder-download-symbolic";
    case PCQ_JOB_DONE:
      return "emblem-ok-symbolic";
    case PCQ_JOB_FAILED:
      return "dialog-error-symbolic";
    case PCQ_JOB_CANCELLED:
      return "action-unavailable-symbolic";
    case PCQ_JOB_PAUSED:
      return "media-playback-pause-symbolic";
    default:
      g_assert_not_reached ();
    }
}

const char *
pcq_job_state_label (PcqJobState state)
{
  switch (state)
    {
    case PCQ_JOB_QUEUED:
      return _("Queued");
    case PCQ_JOB_ACTIVE:
      return _("Downloading");
    case PCQ_JOB_DONE:
      return _("Done");
    case PCQ_JOB_FAILED:
      return _("Failed");
    case PCQ_JOB_CANCELLED:
      return _("Cancelled");
    case PCQ_JOB_PAUSED:
      return _("Paused");
    default:
      g_assert_not_reached ();
    }
}

/* What Stop Now does: "Stop Now interrupts 2 running tasks; they
 * continue next time, as do 3 queued tasks." */
static char *
format_close_stop (guint n_active,
                   guint n_queued)
{
  g_autofree char *running = NULL;

  if (n_active == 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Stop Now leaves %u queued task for next time.",
                                         "Stop Now leaves %u queued tasks for next time.",
                                         n_queued),
                            n_queued);

  if (n_queued == 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Stop Now interrupts %u running task; "
                                         "it continues next time.",
                                         "Stop Now interrupts %u running tasks; "
                                         "they continue next time.",
                                         n_active),
                            n_active);

  /* Translators: the first half of “Stop Now interrupts 2 running
   * tasks; they continue next time, as do 3 queued tasks.” */
  running = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Stop Now interrupts %u running task; "
                                          "it continues next time",
                                          "Stop Now interrupts %u running tasks; "
                                          "they continue next time",
                                          n_active),
                             n_active);

  /* Translators: %s is “Stop Now interrupts 2 running tasks; they
   * continue next time” */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%s, as does %u queued task.",
                                       "%s, as do %u queued tasks.",
                                       n_queued),
                          running, n_queued);
}

/**
 * pcq_format_close_body:
 *
 * The body of the close dialog says what each choice does: "Stop Now
 * interrupts 2 running tasks; they continue next time, as do 3 queued
 * tasks. Wait lets the 5 tasks finish, then closes the window."
 * Stop Now loses nothing (the engine queues interrupted tasks again,
 * their part files kept), and the text must not suggest it does.
 */
char *
pcq_format_close_body (guint n_active,
                       guint n_queued)
{
  g_autofree char *stop = format_close_stop (n_active, n_queued);
  g_autofree char *wait = NULL;
  guint n_pending = n_active + n_queued;

  wait = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Wait lets the task finish, then closes the window.",
                                       "Wait lets the %u tasks finish, then closes the window.",
                                       n_pending),
                          n_pending);

  /* Translators: two sentences: what Stop Now does, then what Wait does. */
  return g_strdup_printf (_("%s %s"), stop, wait);
}

/**
 * pcq_format_close_banner:
 *
 * "Pcq will close when 7 tasks are done"
 */
char *
pcq_format_close_banner (guint n_pending)
{
  if (n_pending == 0)
    return g_strdup (_("Pcq is closing"));

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Pcq will close when %u task is done",
                                       "Pcq will close when %u tasks are done",
                                       n_pending),
                          n_pending);
}

/**
 * pcq_format_finished:
 *
 * The notification body when the queue drains: "12 tasks finished, 1 failed".
 */
char *
pcq_format_finished (guint n_done,
                     guint n_failed)
{
  g_autofree char *finished = NULL;

  finished = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%u task finished",
                                           "%u tasks finished",
                                           n_done),
                              n_done);
  if (n_failed == 0)
    return g_steal_pointer (&finished);

  /* Translators: %s is “12 tasks finished”; the whole reads
   * “12 tasks finished, 1 failed” */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%s, %u failed",
                                       "%s, %u failed",
                                       n_failed),
                          finished, n_failed);
}

/**
 * pcq_format_rejected:
 *
 * The toast for lines that were not added.
 */
char *
pcq_format_rejected (guint n_rejected)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u line is not a valid link and was not added",
                                       "%u lines are not valid links and were not added",
                                       n_rejected),
                          n_rejected);
}

/**
 * pcq_format_added:
 *
 * The toast for tasks just added.
 */
char *
pcq_format_added (guint n_added)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u task added",
                                       "%u tasks added",
                                       n_added),
                          n_added);
}

/**
 * pcq_format_retried:
 *
 * The toast for failed or cancelled tasks queued again.
 */
char *
pcq_format_retried (guint n_retried)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u task queued again",
                                       "%u tasks queued again",
                                       n_retried),
                          n_retried);
}

/**
 * pcq_format_duplicates:
 * @n_duplicates: links already in the list (or twice in the batch)
 * @n_links: all links of the batch
 *
 * The body of the question asked before adding them again.
 */
char *
pcq_format_duplicates (guint n_duplicates,
                       guint n_links)
{
  if (n_duplicates >= n_links)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The link is already in the list.",
                                         "All %u links are already in the list.",
                                         n_links),
                            n_links);

  /* Translators: the first %u counts the second's links (never just one) */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u of %u links is already in the list.",
                                       "%u of %u links are already in the list.",
                                       n_duplicates),
                          n_duplicates, n_links);
}

/**
 * pcq_format_file_problem:
 * @error: why a file could not be read, opened or shown (GIO's words)
 * @fallback: what to say when the error is none of the common ones
 *
 * A sentence for people about a file's problem, short enough for a
 * toast. GIO's own message (“Error opening file /very/long/path: …”)
 * is for the log.
 */
char *
pcq_format_file_problem (const GError *error,
                         const char   *fallback)
{
  if (error != NULL && error->domain == G_IO_ERROR)
    switch (error->code)
      {
      case G_IO_ERROR_NOT_FOUND:
        return g_strdup (_("The file is no longer there"));
      case G_IO_ERROR_PERMISSION_DENIED:
        return g_strdup (_("No permission to read the file"));
      case G_IO_ERROR_IS_DIRECTORY:
        return g_strdup (_("That is a folder, not a file"));
      default:
        break;
      }

  return g_strdup (fallback);
}
