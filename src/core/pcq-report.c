/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-report"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "pcq-report.h"
#include "pcq-sink.h"

static const char *
kind_name (PcqJobKind kind)
{
  switch (kind)
    {
    case PCQ_JOB_ASK:
      return "ask";
    case PCQ_JOB_BATCH:
      return "batch";
    case PCQ_JOB_DOWNLOAD:
    default:
      return "download";
    }
}

/**
 * pcq_report_url:
 *
 * Returns: @url without its user name and password (a report is
 *   shared; credentials never are)
 */
char *
pcq_report_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  g_autoptr(GUri) bare = NULL;

  if (uri == NULL)
    return g_utf8_make_valid (url, -1);

  bare = soup_uri_copy (uri, SOUP_URI_USER, NULL, SOUP_URI_PASSWORD, NULL, SOUP_URI_NONE);
  return g_uri_to_string (bare);
}

/**
 * pcq_report_time:
 *
 * Returns: (nullable): @unix_seconds as ISO 8601 in UTC
 *   ("2026-12-04T21:30:00Z"), or %NULL for 0
 */
char *
pcq_report_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = NULL;

  if (unix_seconds <= 0 || (time = g_date_time_new_from_unix_utc (unix_seconds)) == NULL)
    return NULL;

  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value == NULL)
    {
      json_builder_add_null_value (builder);
    }
  else
    {
      /* Paths are bytes; JSON is UTF-8. */
      g_autofree char *valid = g_utf8_make_valid (value, -1);

      json_builder_add_string_value (builder, valid);
    }
}

static void
add_int_or_null (JsonBuilder *builder,
                 const char  *member,
                 gint64       value,
                 gboolean     known)
{
  json_builder_set_member_name (builder, member);
  if (known)
    json_builder_add_int_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* A batch task is named after its custom_id. */
static char *
custom_id (PcqJob *job)
{
  const char *name = pcq_job_get_name (job);

  if (pcq_job_get_kind (job) != PCQ_JOB_BATCH || name == NULL || !g_str_has_suffix (name, ".md"))
    return NULL;

  return g_strndup (name, strlen (name) - strlen (".md"));
}

static gint
compare_ids (gconstpointer a,
             gconstpointer b)
{
  guint64 x = pcq_job_get_id (*(PcqJob **) a);
  guint64 y = pcq_job_get_id (*(PcqJob **) b);

  return x < y ? -1 : x > y;
}

/**
 * pcq_report_jobs:
 * @model: (element-type PcqJob): an engine's jobs
 *
 * Returns: (transfer full) (element-type PcqJob): the jobs of @model in
 *   the order they were added (the input's), whatever order the list
 *   shows them in
 */
GPtrArray *
pcq_report_jobs (GListModel *model)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_ptr_array_add (jobs, g_list_model_get_item (model, i));
  g_ptr_array_sort (jobs, compare_ids);

  return jobs;
}

/**
 * pcq_report_line:
 *
 * Returns: one line of JSON (no newline) with every field of @job's
 *   report: id, kind, url, prompt, custom_id, file, state, http_status,
 *   bytes, sha256, attempts, started, finished, error, usage (an API
 *   task's {"prompt_tokens", "completion_tokens"} as the server
 *   reported them, else null)
 */
char *
pcq_report_line (PcqJob *job)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *url = pcq_report_url (pcq_job_get_url (job));
  g_autofree char *id = custom_id (job);
  g_autofree char *started = pcq_report_time (pcq_job_get_started (job));
  g_autofree char *finished = pcq_report_time (pcq_job_get_finished (job));
  PcqJobKind kind = pcq_job_get_kind (job);
  PcqJobState state = pcq_job_get_state (job);

  json_builder_begin_object (builder);
  add_int_or_null (builder, "id", (gint64) pcq_job_get_id (job), TRUE);
  add_string (builder, "kind", kind_name (kind));
  add_string (builder, "url", url);
  add_string (builder, "prompt", kind == PCQ_JOB_ASK ? pcq_job_get_prompt (job) : NULL);
  add_string (builder, "custom_id", id);
  add_string (builder, "file", state == PCQ_JOB_DONE ? pcq_job_get_output_path (job) : NULL);
  add_string (builder, "state", pcq_job_state_to_string (state));
  add_int_or_null (builder, "http_status", pcq_job_get_http_status (job),
                   pcq_job_get_http_status (job) != 0);
  add_int_or_null (builder, "bytes", pcq_job_get_bytes (job), TRUE);
  add_string (builder, "sha256", kind == PCQ_JOB_DOWNLOAD && state == PCQ_JOB_DONE
                                   ? pcq_job_get_sha256 (job) : NULL);
  add_int_or_null (builder, "attempts", pcq_job_get_attempts (job), TRUE);
  add_string (builder, "started", started);
  add_string (builder, "finished", finished);
  add_string (builder, "error", pcq_job_get_error (job));
  json_builder_set_member_name (builder, "usage");
  if (kind != PCQ_JOB_DOWNLOAD &&
      (pcq_job_get_prompt_tokens (job) >= 0 || pcq_job_get_completion_tokens (job) >= 0))
    {
      json_builder_begin_object (builder);
      add_int_or_null (builder, "prompt_tokens", pcq_job_get_prompt_tokens (job),
                       pcq_job_get_prompt_tokens (job) >= 0);
      add_int_or_null (builder, "completion_tokens", pcq_job_get_completion_tokens (job),
                       pcq_job_get_completion_tokens (job) >= 0);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/**
 * pcq_report_write_file:
 * @path: where the report goes
 * @jobs: (element-type PcqJob): the tasks, in the order wanted
 *
 * Writes the report beside @path (a temporary file in its folder) and
 * renames it over @path, so that a reader never sees half a report.
 * Pcq never replaces what it should not: a symbolic link, or anything
 * but a regular file, at @path is refused.
 */
gboolean
pcq_report_write_file (const char  *path,
                       GPtrArray   *jobs,
                       GError     **error)
{
  g_autoptr(GBytes) text = pcq_report_text (jobs);

  return pcq_report_write (path, text, error);
}

/**
 * pcq_report_text:
 * @jobs: (element-type PcqJob): the tasks, in the order wanted
 *
 * Returns: (transfer full): their report, a line each (on the thread
 *   that owns the jobs: the main one)
 */
GBytes *
pcq_report_text (GPtrArray *jobs)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < jobs->len; i++)
    {
      g_autofree char *line = pcq_report_line (g_ptr_array_index (jobs, i));

      g_string_append (text, line);
      g_string_append_c (text, '\n');
    }

  return g_string_free_to_bytes (text);
}

/**
 * pcq_report_write:
 * @text: from pcq_report_text ()
 *
 * The writing part of pcq_report_write_file (): any thread may do it.
 */
gboolean
pcq_report_write (const char  *path,
                  GBytes      *text,
                  GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp_path = NULL;
  GStatBuf st;

  if (g_lstat (path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("“%s” exists and is not a regular file: the report does not replace it"), path);
      return FALSE;
    }

  tmp_path = pcq_sink_write_temp (dir, base, g_bytes_get_data (text, NULL),
                                  g_bytes_get_size (text), error);
  if (tmp_path == NULL)
    return FALSE;

  if (g_rename (tmp_path, path) != 0)
    {
      int saved = errno;

      g_unlink (tmp_path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot write the report “%s”: %s"), path, g_strerror (saved));
      return FALSE;
    }

  return TRUE;
}
