/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-worker"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pcq-error.h"
#include "pcq-transfer.h"
#include "pcq-util.h"

/* A download: GET, following redirects ourselves (so that the limit is
 * ours and a loop is named as such), then the body streamed into the
 * job's part file, resumed with Range + If-Range when the part has a
 * validator. */

#define MAX_REDIRECTS 10

/* Below this many bytes still to come, the free space is not asked
 * for: a small file costs no statvfs, and one that does not fit ends
 * as a "disk full" write error anyway. */
#define FREE_SPACE_CHECK_MIN (1024 * 1024)

static void send_next (PcqTransfer *self);
static void read_next (PcqTransfer *self);

/* A validator is stored as the server sent it (If-Range must repeat it
 * byte for byte): only printable ASCII is taken, so that the store
 * holds no control character or invalid UTF-8 from a server. */
static char *
printable_or_null (const char *value)
{
  return value != NULL && pcq_str_is_printable_ascii (value) ? g_strdup (value) : NULL;
}

/* What If-Range may carry: a strong ETag, else Last-Modified. None
 * means the next attempt fetches the file from zero. */
static char *
get_validator (SoupMessage *msg)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *etag = soup_message_headers_get_one (headers, "ETag");
  const char *validator = soup_message_headers_get_one (headers, "Last-Modified");

  if (etag != NULL && !g_str_has_prefix (etag, "W/"))
    validator = etag;

  /* Never one that would read back as a split download's progress. */
  if (validator != NULL && g_str_has_prefix (validator, PCQ_SPLIT_TOKEN_PREFIX))
    return NULL;

  return printable_or_null (validator);
}

static char *
choose_name (PcqTransfer *self)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (self->msg);
  g_autofree char *raw = NULL;
  char *name;

  if ((name = pcq_sink_sanitize_name (self->run->name)) != NULL)
    return name;

  raw = pcq_sink_name_from_disposition (soup_message_headers_get_one (headers, "Content-Disposition"));
  if ((name = pcq_sink_sanitize_name (raw)) != NULL)
    return name;

  g_clear_pointer (&raw, g_free);
  raw = pcq_sink_name_from_uri (self->uri);
  if ((name = pcq_sink_sanitize_name (raw)) != NULL)
    return name;

  return g_strdup ("download");
}

void
pcq_transfer_download_end_short (PcqTransfer *self)
{
  g_autofree char *count = pcq_count_text (self->bytes);
  g_autofree char *total_count = pcq_count_text (self->total);

  g_clear_error (&self->error);
  if (self->total >= 0)
    g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_SHORT_BODY,
                 g_dngettext (GETTEXT_PACKAGE,
                              "Incomplete download: connection closed after %s of %s byte",
                              "Incomplete download: connection closed after %s of %s bytes",
                              pcq_plural_n (self->total)),
                 count, total_count);
  else
    g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_SHORT_BODY,
                 g_dngettext (GETTEXT_PACKAGE,
                              "Incomplete download: connection closed after %s byte",
                              "Incomplete download: connection closed after %s bytes",
                              pcq_plural_n (self->bytes)),
                 count);
  /* With a validator, the next attempt asks for the rest. */
  pcq_transfer_end (self, PCQ_OUTCOME_RETRY);
}

/* Like curl's --speed-limit: a server that sends a byte now and then,
 * always just before the stall timeout, would hold the download for
 * ever. Less than min_speed over a whole stall period is a stall too.
 * Checked as each read ends, not by a timer: reads come at least once
 * a stall timeout (else the session's own timeout ends the attempt),
 * so a trickle is caught within two stall periods, and a fast download
 * pays one clock read per 512 KiB. Time spent waiting for the speed
 * limit does not count (read_next () moves the window on by it). */
gboolean
pcq_transfer_download_is_too_slow (PcqTransfer *self)
{
  gint64 now, elapsed;

  if (self->min_speed == 0)
    return FALSE;

  now = g_get_monotonic_time ();
  elapsed = now - self->speed_since;
  if (elapsed < (gint64) self->stall_timeout * G_USEC_PER_SEC)
    return FALSE;

  if ((self->bytes - self->speed_mark) * G_USEC_PER_SEC < (gint64) self->min_speed * elapsed)
    return TRUE;

  self->speed_since = now;
  self->speed_mark = self->bytes;
  return FALSE;
}

void
pcq_transfer_download_end_too_slow (PcqTransfer *self)
{
  g_autofree char *rate = g_format_size (self->min_speed);

  g_clear_error (&self->error);
  /* TRANSLATORS: "Too slow: less than 1.0 kB/s for 30 s" */
  g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_STALLED,
               _("Too slow: less than %s/s for %u s"), rate, self->stall_timeout);
  pcq_transfer_end (self, PCQ_OUTCOME_RETRY);
}

/* With a digest to match (or checksums recorded), the part's whole
 * content is hashed: what a resumed part held (read once, here), then
 * each write. Without either this costs nothing. */
static gboolean
start_checksum (PcqTransfer *self)
{
  if (self->run->sha256 == NULL && !self->record_checksum)
    return TRUE;

  self->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  return self->bytes == 0 ||
         pcq_sink_hash_part (self->sink, self->checksum, self->bytes, self->buffer,
                             PCQ_TRANSFER_BUFFER_SIZE, &self->error);
}

/* The body is complete: a file that is not the one asked for never
 * takes its final name. Its part goes (a failed attempt's part is
 * removed), and no retry would fetch another file. */
void
pcq_transfer_download_finish_body (PcqTransfer *self)
{
  const char *got;

  if (self->checksum != NULL)
    {
      got = g_checksum_get_string (self->checksum);
      if (self->run->sha256 != NULL && g_strcmp0 (got, self->run->sha256) != 0)
        {
          g_clear_error (&self->error);
          g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_CHECKSUM,
                       _("Checksum mismatch (expected %s, got %s)"), self->run->sha256, got);
          pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
          return;
        }
      g_free (self->run->digest);
      self->run->digest = g_strdup (got);
    }

  pcq_transfer_commit (self);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  PcqTransfer *self = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &self->error);

  if (n > 0)
    {
      pcq_rate_limit_consume (self->limit, n);
      if (!pcq_transfer_write (self, self->buffer, n))
        pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      else if (pcq_transfer_download_is_too_slow (self))
        pcq_transfer_download_end_too_slow (self);
      else
        read_next (self);
      return;
    }

  if (n < 0)
    {
      PcqOutcome outcome = pcq_transfer_classify (self);

      if (outcome == PCQ_OUTCOME_CANCELLED)
        pcq_transfer_end (self, outcome);
      else if (g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        pcq_transfer_end_stalled (self, PCQ_OUTCOME_RETRY);
      else
        pcq_transfer_download_end_short (self);
      return;
    }

  if (self->total >= 0 && self->bytes < self->total)
    pcq_transfer_download_end_short (self);
  else
    pcq_transfer_download_finish_body (self);
}

/**
 * pcq_transfer_wait_for_limit:
 * @share: how many reads of this transfer wait side by side
 * @then: called when the wait is over (on this thread)
 *
 * Under a speed limit, a read waits its turn: at most 100 ms before it
 * asks again, so a cancelled download notices within it (its next read
 * fails at once). The wait does not count as slowness: the low-speed
 * window moves on by it (by a share of it, for one of @share reads).
 *
 * Returns: %TRUE if @then was scheduled; %FALSE to read now
 */
gboolean
pcq_transfer_wait_for_limit (PcqTransfer *self,
                             guint        share,
                             GSourceFunc  then,
                             gpointer     data)
{
  gint64 delay = pcq_rate_limit_get_delay (self->limit);
  g_autoptr(GSource) source = NULL;

  if (delay <= 0)
    return FALSE;

  source = g_timeout_source_new ((guint) ((delay + 999) / 1000));
  self->speed_since += delay / MAX (share, 1);
  g_source_set_callback (source, then, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return TRUE;
}

static gboolean
throttled_cb (gpointer user_data)
{
  read_next (user_data);
  return G_SOURCE_REMOVE;
}

static void
read_next (PcqTransfer *self)
{
  if (pcq_transfer_wait_for_limit (self, 1, throttled_cb, self))
    return;

  g_input_stream_read_async (self->in, self->buffer,
                             pcq_rate_limit_get_chunk (self->limit, PCQ_TRANSFER_BUFFER_SIZE),
                             G_PRIORITY_DEFAULT, self->cancellable, read_cb, self);
}

/* libsoup 3.2 reads a Content-Length with strtoull: "-5" becomes a
 * huge length and a value past 64 bits the largest, and either ends as
 * a "complete" body of whatever came. Only digits that fit are a
 * length. */
static gboolean
content_length_is_valid (SoupMessageHeaders *headers)
{
  const char *value = soup_message_headers_get_one (headers, "Content-Length");
  g_autofree char *digits = NULL;
  guint64 length;

  if (value == NULL)
    return TRUE;

  digits = g_strstrip (g_strdup (value));
  return g_ascii_isdigit (*digits) &&
         g_ascii_string_to_unsigned (digits, 10, 0, G_MAXINT64, &length, NULL);
}

/* A body that cannot fit fails at once, not after filling the disk:
 * the bytes still to come (a resumed part is on disk already) against
 * the folder's free space. Permanent: a retry would not find more. */
static gboolean
has_room (PcqTransfer *self)
{
  gint64 needed, free_space;
  g_autofree char *needed_text = NULL;
  g_autofree char *free_text = NULL;

  if (self->total < 0)
    return TRUE;

  needed = self->total - self->bytes;
  if (needed < FREE_SPACE_CHECK_MIN)
    return TRUE;

  free_space = pcq_sink_get_free_space (self->sink);
  if (free_space < 0 || needed <= free_space)
    return TRUE;

  needed_text = g_format_size (needed);
  free_text = g_format_size (free_space);
  /* TRANSLATORS: "Not enough space: needs 4.2 GB, 1.1 GB free" */
  g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_DISK_FULL,
               _("Not enough space: needs %s, %s free"), needed_text, free_text);
  return FALSE;
}

/* A 206 to a resumed split attempt: if it is the range asked for, the
 * segments go on where they stopped, in the part file as it is. */
static void
resume_split (PcqTransfer *self)
{
  g_autofree char *name = NULL;

  if (!pcq_transfer_split_accept_answer (self))
    {
      /* Start again from zero next time, in one piece. */
      g_clear_pointer (&self->run->validator, g_free);
      self->run->no_split = TRUE;
      g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_HTTP_RETRYABLE,
                   _("The server sent a different part of the file than asked for"));
      pcq_transfer_end (self, PCQ_OUTCOME_RETRY);
      return;
    }

  /* Opened at its full length: nothing the segments hold is cut. */
  self->resume_from = self->total;
  name = choose_name (self);
  if (!pcq_transfer_choose_path (self, name) || !pcq_transfer_open_part (self) || !has_room (self))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  self->speed_since = g_get_monotonic_time ();
  self->speed_mark = self->bytes;
  pcq_transfer_split_resume (self);
}

/* Headers of a 2xx: is it the part we asked for, where does it go. */
static void
receive_body (PcqTransfer *self)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (self->msg);
  PcqRun *run = self->run;
  g_autofree char *name = NULL;

  if (!content_length_is_valid (headers))
    {
      g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_HTTP,
                   _("The server sent an invalid Content-Length"));
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    self->total = soup_message_headers_get_content_length (headers);

  if (self->split_resume != NULL)
    {
      if (soup_message_get_status (self->msg) == SOUP_STATUS_PARTIAL_CONTENT)
        {
          resume_split (self);
          return;
        }
      /* A 200: the file changed (or ranges are no more): from zero. */
      g_clear_pointer (&self->split_resume, g_free);
      g_clear_pointer (&self->split_validator, g_free);
    }

  if (soup_message_get_status (self->msg) == SOUP_STATUS_PARTIAL_CONTENT && self->resume_from > 0)
    {
      goffset start, end, length;

      if (!soup_message_headers_get_content_range (headers, &start, &end, &length) ||
          start != self->resume_from)
        {
          /* Not the rest we asked for: start again from zero next time. */
          g_clear_pointer (&run->validator, g_free);
          g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_HTTP_RETRYABLE,
                       _("The server sent a different part of the file than asked for"));
          pcq_transfer_end (self, PCQ_OUTCOME_RETRY);
          return;
        }

      self->bytes = self->resume_from;
      self->total = length >= 0 ? length : (self->total >= 0 ? self->resume_from + self->total : -1);
    }
  else
    {
      /* A 200: the whole file again, under the validator it has now. */
      self->resume_from = 0;
      g_free (run->validator);
      run->validator = get_validator (self->msg);
      /* A split attempt keeps its validator to itself: its part has
       * holes until every segment is in, and must never be resumed as
       * one piece (pcq-worker-segments.c). */
      if (pcq_transfer_should_split (self))
        self->split_validator = g_steal_pointer (&run->validator);
    }

  pcq_atomic_set64 (&run->total, self->total);
  pcq_atomic_set64 (&run->bytes, self->bytes);

  name = choose_name (self);
  if (!pcq_transfer_choose_path (self, name) || !pcq_transfer_open_part (self) ||
      !has_room (self) || !start_checksum (self))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  self->speed_since = g_get_monotonic_time ();
  self->speed_mark = self->bytes;
  if (self->split_validator != NULL)
    pcq_transfer_split (self);
  else
    read_next (self);
}

/* A 416 to a resumed request whose part file is already whole: a
 * crash came between the last byte and the rename. */
static gboolean
part_is_complete (PcqTransfer *self)
{
  goffset start, end, length;

  return soup_message_get_status (self->msg) == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE &&
         self->resume_from > 0 &&
         soup_message_headers_get_content_range (soup_message_get_response_headers (self->msg),
                                                 &start, &end, &length) &&
         length == self->resume_from;
}

/* Whether a WWW-Authenticate value offers HTTP Basic among its
 * challenges: a scheme is the first token of an item, an item what a
 * comma outside quotes begins ("Negotiate, Basic realm=\"a, b\""). */
static gboolean
offers_basic (const char *challenges)
{
  gboolean in_quotes = FALSE;
  gboolean at_item = TRUE;

  for (const char *p = challenges; *p != '\0'; p++)
    {
      if (in_quotes)
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          else if (*p == '"')
            in_quotes = FALSE;
        }
      else if (*p == '"')
        in_quotes = TRUE;
      else if (*p == ',')
        at_item = TRUE;
      else if (*p != ' ' && *p != '\t' && at_item)
        {
          at_item = FALSE;
          if (g_ascii_strncasecmp (p, "Basic", 5) == 0 &&
              (p[5] == '\0' || p[5] == ' ' || p[5] == '\t' || p[5] == ','))
            return TRUE;
        }
    }

  return FALSE;
}

/*
 * answer_challenge:
 *
 * A 401 that asks for HTTP Basic credentials, to a URL that names no
 * user and got no .netrc entry: answered (once an attempt) with what a
 * person signed in to its origin with, in this process or, from an
 * earlier one, in the keyring. Without any, or when the server refuses
 * them, the task fails with %PCQ_ERROR_SIGN_IN: the window then asks
 * for a user name and password (pcq-window-sign-in.c).
 *
 * Returns: %TRUE if the transfer went on or ended here, %FALSE if the
 *   401 is an HTTP error like any other
 */
static gboolean
answer_challenge (PcqTransfer *self)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (self->msg);
  const char *challenges = soup_message_headers_get_list (headers, "WWW-Authenticate");
  const char *user = g_uri_get_user (self->uri);
  g_autofree char *origin = NULL;
  gboolean sent;
  PcqBasicAuth *auth;

  if (challenges == NULL || !offers_basic (challenges) || (user != NULL && *user != '\0'))
    return FALSE;

  sent = pcq_basic_auth_header_for (self->basic_auth, self->uri) != NULL;
  if (sent && !pcq_basic_auth_is_sign_in (self->basic_auth))
    return FALSE;

  origin = pcq_uri_dup_origin (self->uri);
  if (sent)
    {
      /* Not sent again: the next try is what a person types. */
      pcq_keyring_sign_in_refused (origin);
      g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_SIGN_IN,
                   _("%s did not accept the user name and password"), origin);
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return TRUE;
    }

  if (!self->challenge_answered &&
      (auth = pcq_keyring_basic_auth_for_challenge (self->uri)) != NULL)
    {
      self->challenge_answered = TRUE;
      g_clear_pointer (&self->basic_auth, pcq_basic_auth_free);
      self->basic_auth = auth;
      send_next (self);
      return TRUE;
    }

  g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_SIGN_IN,
               _("%s asks for a user name and password"), origin);
  pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
  return TRUE;
}

static void
proxy_found_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  PcqTransfer *self = user_data;
  g_auto(GStrv) proxies = g_proxy_resolver_lookup_finish (G_PROXY_RESOLVER (object), result, NULL);

  for (char **p = proxies; p != NULL && *p != NULL; p++)
    {
      g_autoptr(GUri) proxy = g_uri_parse (*p, G_URI_FLAGS_HAS_PASSWORD, NULL);
      const char *user = proxy != NULL ? g_uri_get_user (proxy) : NULL;
      const char *password = proxy != NULL ? g_uri_get_password (proxy) : NULL;

      if (user == NULL || *user == '\0' || g_strcmp0 (g_uri_get_scheme (proxy), "http") != 0)
        continue;
      pcq_worker_set_proxy_authorization (self->worker, self->uri,
                                          pcq_basic_auth_value (user, password != NULL ? password : ""));
      send_next (self);
      return;
    }

  /* No credentials to give (or cancelled meanwhile): the 407 it is. */
  pcq_transfer_end_with_status (self, NULL);
}

/*
 * answer_proxy_challenge:
 *
 * A proxy that asks for HTTP Basic credentials (407) for an http: URL
 * gets those of its own URL, as GIO's proxy resolver gives it (from
 * http_proxy, or GNOME's proxy settings), once; the worker then sends
 * them with every request to that origin. libsoup's auth manager would
 * answer it too, but then sends the request to the proxy's own URL
 * (authenticate_auth () replaces the message's URI, libsoup 3.2 to
 * 3.7 at least): a download would save the proxy's page under the
 * file's name. Not for https: URLs, whose requests go through the
 * proxy's tunnel to the server. Credentials the proxy refuses end the
 * attempt, and are looked up again for the next one.
 *
 * Returns: %TRUE if the transfer goes on here, %FALSE if the 407 is an
 *   HTTP error like any other
 */
static gboolean
answer_proxy_challenge (PcqTransfer *self)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (self->msg);
  const char *challenges = soup_message_headers_get_list (headers, "Proxy-Authenticate");
  GProxyResolver *resolver = soup_session_get_proxy_resolver (self->session);
  g_autofree char *url = NULL;

  if (soup_message_headers_get_one (soup_message_get_request_headers (self->msg),
                                    "Proxy-Authorization") != NULL)
    {
      /* Refused: looked up again for the next attempt. */
      pcq_worker_set_proxy_authorization (self->worker, self->uri, NULL);
      return FALSE;
    }
  if (challenges == NULL || !offers_basic (challenges) || resolver == NULL ||
      !g_str_equal (g_uri_get_scheme (self->uri), "http"))
    return FALSE;

  url = g_uri_to_string (self->uri);
  g_proxy_resolver_lookup_async (resolver, url, self->cancellable, proxy_found_cb, self);
  return TRUE;
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  PcqTransfer *self = user_data;
  g_autoptr(GUri) next = NULL;
  g_autofree char *next_str = NULL;
  const char *location;
  guint status;

  if (!pcq_transfer_send_finish (self, result))
    {
      pcq_transfer_end_with_io_error (self);
      return;
    }

  status = soup_message_get_status (self->msg);
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      receive_body (self);
      return;
    }

  if (status == SOUP_STATUS_UNAUTHORIZED && answer_challenge (self))
    return;
  if (status == SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED && answer_proxy_challenge (self))
    return;

  location = soup_message_headers_get_one (soup_message_get_response_headers (self->msg), "Location");
  if (!SOUP_STATUS_IS_REDIRECTION (status) || status == SOUP_STATUS_NOT_MODIFIED || location == NULL)
    {
      if (part_is_complete (self))
        {
          self->total = self->bytes = self->resume_from;
          pcq_atomic_set64 (&self->run->total, self->total);
          pcq_atomic_set64 (&self->run->bytes, self->bytes);
          if (pcq_transfer_open_part (self) && start_checksum (self))
            pcq_transfer_download_finish_body (self);
          else
            pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
          return;
        }
      pcq_transfer_end_with_status (self, NULL);
      return;
    }

  next = g_uri_parse_relative (self->uri, location, SOUP_HTTP_URI_FLAGS, NULL);
  if (next == NULL || !pcq_uri_is_http (next))
    {
      g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_REDIRECT,
                   _("Redirected to an unusable location “%s”"), location);
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  /* Made at the first redirect: most downloads have none. */
  if (self->seen == NULL)
    self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (self->seen, g_uri_to_string (self->uri));

  next_str = g_uri_to_string (next);
  if (g_hash_table_contains (self->seen, next_str))
    {
      g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_REDIRECT,
                   _("Redirect loop: “%s” redirects back to “%s”"), self->run->url, next_str);
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }
  if (++self->redirects > MAX_REDIRECTS)
    {
      g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_REDIRECT,
                   _("Too many redirects (more than %d)"), MAX_REDIRECTS);
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  g_clear_pointer (&self->uri, g_uri_unref);
  self->uri = g_steal_pointer (&next);
  send_next (self);
}

/* libsoup puts the session's User-Agent on each message as it sends
 * it, over any the message had: a line's goes on after that. */
static void
starting_cb (SoupMessage *msg,
             gpointer     user_data)
{
  soup_message_headers_replace (soup_message_get_request_headers (msg), "User-Agent", user_data);
}

/*
 * add_task_headers:
 * @msg: a request of this download, to self->uri
 *
 * The headers the task's line gave, only to the origin (scheme, host,
 * port) of its URL: a redirect to another one gets none of them, as it
 * gets no password. A User-Agent given replaces the session's.
 */
static void
add_task_headers (PcqTransfer *self,
                  SoupMessage *msg)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  g_autoptr(GUri) first = NULL;
  g_autofree char *first_origin = NULL;
  g_autofree char *origin = NULL;
  char **h = self->run->headers;

  if (h == NULL)
    return;

  first = g_uri_parse (self->run->url, SOUP_HTTP_URI_FLAGS, NULL);
  if (first == NULL)
    return;
  first_origin = pcq_uri_dup_origin (first);
  origin = pcq_uri_dup_origin (self->uri);
  if (!g_str_equal (first_origin, origin))
    return;

  for (; h[0] != NULL && h[1] != NULL; h += 2)
    {
      soup_message_headers_replace (headers, h[0], h[1]);
      /* The run, and its headers, outlive the message. */
      if (g_ascii_strcasecmp (h[0], "User-Agent") == 0)
        g_signal_connect (msg, "starting", G_CALLBACK (starting_cb), h[1]);
    }
  for (h = self->kept_headers; h != NULL && h[0] != NULL && h[1] != NULL; h += 2)
    soup_message_headers_replace (headers, h[0], h[1]);
}

/**
 * pcq_transfer_new_get:
 *
 * Returns: (transfer full): a GET of self->uri as every request of a
 *   download is made (the first, after a redirect, and each segment's)
 */
SoupMessage *
pcq_transfer_new_get (PcqTransfer *self)
{
  g_autoptr(GUri) bare = NULL;
  SoupMessage *msg;
  const char *authorization;

  /* No user name for libsoup to act on: the credentials go only as
   * below, and only to their own origin (not after a redirect away). */
  if (g_uri_get_user (self->uri) != NULL || g_uri_get_password (self->uri) != NULL)
    bare = soup_uri_copy (self->uri, SOUP_URI_USER, NULL, SOUP_URI_PASSWORD, NULL, SOUP_URI_NONE);
  msg = soup_message_new_from_uri (SOUP_METHOD_GET, bare != NULL ? bare : self->uri);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  /* Save the bytes the server sends, as they are: no transparent
   * decompression (and byte ranges stay meaningful). */
  soup_message_disable_feature (msg, SOUP_TYPE_CONTENT_DECODER);
  /* Its five handlers on every message (each connected and dropped
   * under GObject's global signal lock, which every worker's libsoup
   * takes) cost about a tenth of a small file's CPU time on two worker
   * threads, for nothing: Pcq answers a 401 (answer_challenge ()) and a
   * proxy's 407 (answer_proxy_challenge ()) itself. */
  soup_message_disable_feature (msg, SOUP_TYPE_AUTH_MANAGER);

  add_task_headers (self, msg);
  authorization = pcq_basic_auth_header_for (self->basic_auth, self->uri);
  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "Authorization", authorization);
  /* Only http: origins have one (answer_proxy_challenge ()). */
  authorization = pcq_worker_get_proxy_authorization (self->worker, self->uri);
  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "Proxy-Authorization", authorization);

  return msg;
}

static void
send_next (PcqTransfer *self)
{
  SoupMessageHeaders *headers;

  /* The answer before (a redirect, a challenge), if any: its
   * connection can take the next request. */
  if (self->in != NULL)
    g_input_stream_close (self->in, NULL, NULL);
  g_clear_object (&self->in);
  g_clear_object (&self->msg);
  self->msg = pcq_transfer_new_get (self);

  if (self->split_resume != NULL)
    {
      gint64 start, end;

      /* The rest of a split attempt's first unfinished segment. */
      pcq_transfer_split_next_range (self, &start, &end);
      headers = soup_message_get_request_headers (self->msg);
      soup_message_headers_set_range (headers, start, end - 1);
      soup_message_headers_replace (headers, "If-Range", self->split_validator);
    }
  else if (self->resume_from > 0)
    {
      /* The rest, but only if it is still the same file. */
      headers = soup_message_get_request_headers (self->msg);
      soup_message_headers_set_range (headers, self->resume_from, -1);
      soup_message_headers_replace (headers, "If-Range", self->run->validator);
    }

  soup_session_send_async (self->session, self->msg, G_PRIORITY_DEFAULT,
                           self->cancellable, sent_cb, self);
}

/* A restored task's Cookie and Authorization: the keyring keeps their
 * values, for the origin of the task's URL (may block on it, once a
 * run for each origin and name). */
static gboolean
find_kept_headers (PcqTransfer *self)
{
  g_autoptr(GPtrArray) kept = NULL;
  g_autoptr(GUri) first = NULL;

  if (self->run->secret_names == NULL)
    return TRUE;

  first = g_uri_parse (self->run->url, SOUP_HTTP_URI_FLAGS, &self->error);
  if (first == NULL)
    return FALSE;

  kept = g_ptr_array_new ();
  for (char **name = self->run->secret_names; *name != NULL; name++)
    {
      char *value = pcq_keyring_find_header (first, *name, &self->error);

      if (value == NULL)
        {
          for (guint i = 0; i < kept->len; i++)
            pcq_secret_free (kept->pdata[i]);
          return FALSE;
        }
      g_ptr_array_add (kept, g_strdup (*name));
      g_ptr_array_add (kept, value);
    }
  g_ptr_array_add (kept, NULL);
  self->kept_headers = (char **) g_ptr_array_free (g_steal_pointer (&kept), FALSE);

  return TRUE;
}

void
pcq_transfer_start_download (PcqTransfer *self)
{
  PcqRun *run = self->run;

  self->session = pcq_worker_get_session (self->worker, self->stall_timeout,
                                          pcq_rate_limit_get_rate (self->limit) > 0);
  self->uri = g_uri_parse (run->url, SOUP_HTTP_URI_FLAGS, &self->error);
  if (self->uri == NULL)
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  /* A user name in the URL: its password, kept apart from the task. */
  self->basic_auth = pcq_keyring_basic_auth_for_uri (self->uri, &self->error);
  if (self->error != NULL)
    {
      /* Not kept, or not found: a person can give it (the window asks). */
      self->error->code = PCQ_ERROR_SIGN_IN;
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  /* Never sent without the headers it was given. */
  if (run->headers_lost)
    {
      g_set_error (&self->error, PCQ_ERROR, PCQ_ERROR_NO_PASSWORD,
                   _("The task’s headers could not be read back from the queue file; "
                     "add the task again with its headers"));
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }
  if (!find_kept_headers (self))
    {
      pcq_transfer_end (self, PCQ_OUTCOME_FAILED);
      return;
    }

  if (!pcq_transfer_take_split_token (self) && run->validator != NULL)
    self->resume_from = MAX (0, pcq_sink_part_size (run->part_path, &run->part_id));

  send_next (self);
}
