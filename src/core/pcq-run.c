/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-run"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "pcq-error.h"
#include "pcq-run.h"
#include "pcq-util.h"

/**
 * pcq_run_new:
 * @host: (transfer full) (nullable): the URL's host
 * @part_path: (transfer full): where the body goes until it is complete
 *
 * Returns: (transfer full): a run of one job, with its spec
 */
PcqRun *
pcq_run_new (PcqNames   *names,
             guint64     id,
             const char *url,
             const char *output_dir,
             const char *name,
             char       *host,
             char       *part_path)
{
  PcqRun *run = g_new0 (PcqRun, 1);

  g_atomic_ref_count_init (&run->ref_count);
  run->names = pcq_names_ref (names);
  run->id = id;
  run->position = (gint64) id;
  run->url = g_strdup (url);
  run->output_dir = g_strdup (output_dir);
  run->name = g_strdup (name);
  run->host = host;
  run->part_path = part_path;
  g_mutex_init (&run->cancel_lock);
  run->total = -1;
  run->prompt_tokens = -1;
  run->completion_tokens = -1;

  return run;
}


/**
 * pcq_run_dup_resume:
 *
 * What the store keeps for the job to go on after a restart: which part
 * file it made ("DEV:INO:BIRTH-NS") and, after a space, the server's validator.
 * Only the holder calls it.
 *
 * Returns: (transfer full) (nullable): the resume token, or %NULL
 */
char *
pcq_run_dup_resume (PcqRun *run)
{
  const char *validator;
  gsize validator_len;
  char *token, *p;

  if (!PCQ_FILE_ID_IS_SET (&run->part_id))
    return NULL;

  validator = run->validator != NULL ? run->validator : "";
  validator_len = strlen (validator);

  /* Three numbers of at most 20 digits, a sign, two colons, a space
   * and the nul. Every finished file makes one. */
  token = g_malloc (3 * 20 + sizeof "-:: " + validator_len);
  p = pcq_put_u64 (token, run->part_id.dev);
  *p++ = ':';
  p = pcq_put_u64 (p, run->part_id.ino);
  *p++ = ':';
  if (run->part_id.btime_ns < 0)
    *p++ = '-';
  p = pcq_put_u64 (p, run->part_id.btime_ns < 0 ? -(guint64) run->part_id.btime_ns
                                                : (guint64) run->part_id.btime_ns);
  *p++ = ' ';
  memcpy (p, validator, validator_len + 1);

  return token;
}

/**
 * pcq_run_set_resume:
 * @resume: (nullable): from pcq_run_dup_resume(), as the store kept it
 *
 * A token that does not parse (a store from before part files were
 * recorded) resumes nothing: the part file there is not known to be
 * Pcq's.
 */
void
pcq_run_set_resume (PcqRun     *run,
                    const char *resume)
{
  guint64 dev, ino;
  gint64 btime_ns;
  int end = -1;

  g_clear_pointer (&run->validator, g_free);
  run->part_id = (PcqFileId) { 0, 0, 0 };

  if (resume == NULL ||
      sscanf (resume, "%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT ":%" G_GINT64_FORMAT " %n",
              &dev, &ino, &btime_ns, &end) != 3 ||
      end < 0 || ino == 0)
    return;

  run->part_id = (PcqFileId) { dev, ino, btime_ns };
  if (resume[end] != '\0')
    run->validator = g_strdup (resume + end);
}

/**
 * pcq_url_escape_controls:
 *
 * A URL may not hold control characters (RFC 3986); a browser
 * percent-encodes them (WHATWG URL), and so does Pcq, once, as a task
 * is added: the request asks for what the user wrote, and the list,
 * the store and the terminal see no escape sequence.
 *
 * Returns: (transfer full): @url with C0 controls and DEL as %XX
 */
char *
pcq_url_escape_controls (const char *url)
{
  GString *safe;
  const char *p;

  /* Nearly always: nothing to escape. */
  for (p = url; *p != '\0' && (guchar) *p >= 0x20 && *p != 0x7f; p++)
    ;
  if (*p == '\0')
    return g_strdup (url);

  safe = g_string_sized_new (strlen (url) + 8);
  for (p = url; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c < 0x20 || c == 0x7f)
        g_string_append_printf (safe, "%%%02X", c);
      else
        g_string_append_c (safe, c);
    }

  return g_string_free (safe, FALSE);
}

/* The same for the whole process: with the job id it makes an
 * Idempotency-Key no other process sends. */
static const char *
process_nonce (void)
{
  static gsize nonce;

  if (g_once_init_enter (&nonce))
    {
      char *value = g_strdup_printf ("%08x%08x%08x%08x",
                                     g_random_int (), g_random_int (),
                                     g_random_int (), g_random_int ());

      g_once_init_leave (&nonce, (gsize) value);
    }

  return (const char *) nonce;
}

/**
 * pcq_run_set_ask:
 * @run: a run whose url is a chat-completions URL
 *
 * Makes @run an API task. Call before the run is shared.
 */
void
pcq_run_set_ask (PcqRun     *run,
                 const char *prompt,
                 const char *model,
                 const char *system_prompt)
{
  run->kind = PCQ_JOB_ASK;
  run->prompt = g_strdup (prompt);
  run->model = g_strdup (model);
  run->system_prompt = g_strdup (system_prompt);
  run->idempotency_key = g_strdup_printf ("pcq-%s-%" G_GUINT64_FORMAT, process_nonce (), run->id);
}

/**
 * pcq_run_set_batch:
 * @run: a run whose url is a chat-completions URL
 * @body: the request body from a batch file, as JSON text
 * @model: (nullable): used only if @body names no model
 *
 * Makes @run an API task that posts @body. Call before the run is shared.
 */
void
pcq_run_set_batch (PcqRun     *run,
                   const char *body,
                   const char *model)
{
  pcq_run_set_ask (run, body, model, NULL);
  run->kind = PCQ_JOB_BATCH;
}

/**
 * pcq_run_set_api_key:
 *
 * Gives @run the key its next attempt sends, wiping the one before.
 * Only for the thread that holds @run.
 */
void
pcq_run_set_api_key (PcqRun     *run,
                     const char *api_key)
{
  pcq_secret_free (run->api_key);
  run->api_key = g_strdup (api_key);
}

gboolean
pcq_run_is_api (PcqRun *run)
{
  return run->kind != PCQ_JOB_DOWNLOAD;
}

/**
 * pcq_run_is_small:
 *
 * Whether @run's body is known to be small: fetched again rather than
 * resumed after a crash, and done before its name would be seen, so
 * that its name is said only once the file is in place.
 */
gboolean
pcq_run_is_small (PcqRun *run)
{
  gint64 total = pcq_atomic_get64 (&run->total);

  return total >= 0 && total < PCQ_RUN_RESUME_WORTH;
}

/**
 * pcq_run_is_large:
 *
 * Whether @run's body is known to be large: its length said so, or its
 * bytes did. Not the opposite of pcq_run_is_small (): a body of unknown
 * length (an error page, say) is neither until its bytes say so.
 */
gboolean
pcq_run_is_large (PcqRun *run)
{
  return pcq_atomic_get64 (&run->total) >= PCQ_RUN_RESUME_WORTH ||
         pcq_atomic_get64 (&run->bytes) >= PCQ_RUN_RESUME_WORTH;
}

/**
 * pcq_run_cancel:
 *
 * Cancels @run, from any thread, once: the transfer that runs it (see
 * pcq_run_set_on_cancel ()) hears of it. No GCancellable per run: its
 * creation, its finalize and a handler per transfer each took GObject's
 * global signal lock, against the workers', for every task.
 */
void
pcq_run_cancel (PcqRun *run)
{
  if (!g_atomic_int_compare_and_exchange (&run->cancelled, FALSE, TRUE))
    return;

  /* Under the lock: the transfer is not freed meanwhile. */
  g_mutex_lock (&run->cancel_lock);
  if (run->on_cancel != NULL)
    run->on_cancel (run->on_cancel_data);
  g_mutex_unlock (&run->cancel_lock);
}

gboolean
pcq_run_is_cancelled (PcqRun *run)
{
  return g_atomic_int_get (&run->cancelled);
}

/**
 * pcq_run_set_on_cancel:
 * @func: (nullable): called (in the cancelling thread, or at once in
 *   this one if @run is cancelled already) when @run is cancelled;
 *   %NULL: no longer
 *
 * For the transfer that runs @run, which sets it and unsets it before
 * it ends. @func may be called twice: a cancel at the same moment.
 */
void
pcq_run_set_on_cancel (PcqRun           *run,
                       PcqRunCancelFunc  func,
                       gpointer          data)
{
  g_mutex_lock (&run->cancel_lock);
  run->on_cancel = func;
  run->on_cancel_data = data;
  g_mutex_unlock (&run->cancel_lock);

  if (func != NULL && pcq_run_is_cancelled (run))
    func (data);
}

PcqRun *
pcq_run_ref (PcqRun *run)
{
  g_atomic_ref_count_inc (&run->ref_count);
  return run;
}

void
pcq_run_unref (PcqRun *run)
{
  if (!g_atomic_ref_count_dec (&run->ref_count))
    return;

  g_free (run->url);
  g_free (run->output_dir);
  g_free (run->name);
  g_free (run->host);
  g_free (run->part_path);
  pcq_names_unref (run->names);
  g_free (run->output_path);
  g_free (run->validator);
  g_free (run->digest);
  g_free (run->prompt);
  g_free (run->model);
  g_free (run->system_prompt);
  pcq_secret_free (run->api_key);
  g_free (run->api_key_error);
  g_free (run->idempotency_key);
  g_free (run->sha256);
  g_strfreev (run->headers);
  g_strfreev (run->secret_names);
  g_mutex_clear (&run->cancel_lock);
  g_free (run);
}


void
pcq_attempt_clear (PcqAttempt *attempt)
{
  g_clear_error (&attempt->error);
  g_clear_pointer (&attempt->output_path, g_free);
  attempt->retry_after_ms = -1;
}


/**
 * pcq_uri_is_http:
 *
 * Returns: whether @uri is an http or https URI: the only ones Pcq
 *   fetches, also after a redirect
 */
gboolean
pcq_uri_is_http (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);

  return g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0;
}

/**
 * pcq_check_url:
 * @url: what a person typed
 * @error: return location for a %PCQ_ERROR_INVALID_URL
 *
 * Returns: (transfer full) (nullable): the URL's host if it is an
 *   absolute http or https URL with a host, else %NULL
 */
char *
pcq_check_url (const char  *url,
               GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *host;

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_INVALID_URL,
                   _("Not a valid URL: “%s”"), url);
      return NULL;
    }

  if (!pcq_uri_is_http (uri))
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_INVALID_URL,
                   _("Unsupported scheme “%s”: only http and https links can be downloaded"),
                   g_uri_get_scheme (uri));
      return NULL;
    }

  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0' || strpbrk (host, " \t\r\n") != NULL)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_INVALID_URL,
                   _("No host in URL “%s”"), url);
      return NULL;
    }

  return g_ascii_strdown (host, -1);
}

