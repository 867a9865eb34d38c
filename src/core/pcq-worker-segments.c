/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-worker"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "pcq-error.h"
#include "pcq-rate-limit.h"
#include "pcq-transfer.h"

/* A split download (PcqEngine:split > 1): once the first answer's
 * headers show a large file from a server that accepts byte ranges and
 * gave a validator, that answer is read only up to the end of the first
 * segment, and the other segments are asked for with Range + If-Range,
 * on the same thread and session. Each segment writes at its own place
 * in the one part file (pcq_sink_write_at ()): no second copy, no join.
 *
 * The segments share the transfer: its byte count (the sum), its
 * cancellable (a cancel or a failing segment stops them all at once),
 * the speed limit and the low-speed check (on the sum). The attempt
 * ends once no segment has a call under way.
 *
 * A segment not answered with a 206 for exactly the range asked for
 * ends the attempt for a retry that does not split (PcqRun.no_split).
 *
 * The part of a split attempt has holes until the end, so it is never
 * resumed as one piece. Instead, every few seconds and when the attempt
 * ends, the part is synced and how far each segment got is kept as the
 * run's validator, and so with the job in the store:
 *
 *   split/N/TOTAL/POS,POS,…/VALIDATOR
 *
 * (no server's validator is taken if it looks like one: get_validator
 * () in pcq-worker-download.c). A later attempt asks for the rest of
 * the first unfinished segment with If-Range; a 206 for exactly that
 * resumes every segment where it stopped, anything else starts again
 * from zero. Only bytes on disk before the token was made count as
 * done, so a crash can only make a segment fetch again what it had. */

/* Smaller files gain little from more connections. */
#define SPLIT_MIN_SIZE (8 * 1024 * 1024)
#define SPLIT_MIN_SEGMENT (1024 * 1024)
/* More than PcqEngine:split allows: a token from a store is checked. */
#define SPLIT_MAX_SEGMENTS 64
/* How often the segments' progress is synced and kept. */
#define SAVE_INTERVAL_US (2 * G_USEC_PER_SEC)

typedef enum
{
  END_PLAIN,      /* with the error and outcome kept */
  END_SHORT,
  END_STALLED,
  END_TOO_SLOW,
} EndKind;

typedef struct _PcqSegments PcqSegments;

typedef struct
{
  PcqSegments  *owner;
  gint64        pos;     /* the next byte it writes */
  gint64        end;     /* one past its last byte */
  SoupMessage  *msg;     /* NULL for the first: the transfer's own */
  GInputStream *in;      /* for the lead, the transfer's (borrowed) */
  guint8       *buffer;  /* for the lead, the transfer's (borrowed) */
} Segment;

struct _PcqSegments
{
  PcqTransfer *transfer;
  guint        n;
  Segment     *segments;
  guint        lead;      /* the one the transfer's own answer feeds */
  gint64       saved_at;  /* when the progress was last kept */
  guint        pending;   /* calls and timers under way */
  guint        n_done;
  gboolean     failing;
  EndKind      end_kind;
  PcqOutcome   outcome;
};

static void segment_read_next (Segment *seg);

gboolean
pcq_transfer_should_split (PcqTransfer *self)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (self->msg);
  const char *ranges = soup_message_headers_get_list (headers, "Accept-Ranges");

  return self->split > 1 && !self->run->no_split &&
         soup_message_get_status (self->msg) == SOUP_STATUS_OK &&
         self->run->validator != NULL &&
         soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
         self->total >= MAX (SPLIT_MIN_SIZE, (gint64) self->split * SPLIT_MIN_SEGMENT) &&
         ranges != NULL && soup_header_contains (ranges, "bytes");
}

/* Where segment @i of @n of a file of @total bytes begins and ends. */
static void
segment_bounds (gint64  total,
                guint   n,
                guint   i,
                gint64 *start,
                gint64 *end)
{
  gint64 size = total / n;

  *start = i * size;
  *end = i + 1 == n ? total : (i + 1) * size;
}

static void
segments_free (PcqSegments *self)
{
  for (guint i = 0; i < self->n; i++)
    {
      Segment *seg = &self->segments[i];

      if (i == self->lead)
        continue;
      if (seg->in != NULL)
        g_input_stream_close (seg->in, NULL, NULL);
      g_clear_object (&seg->in);
      g_clear_object (&seg->msg);
      g_free (seg->buffer);
    }
  g_free (self->segments);
  g_free (self);
}

/* split/N/TOTAL/POS,POS,…/VALIDATOR */
static char *
segments_token (PcqSegments *self)
{
  PcqTransfer *t = self->transfer;
  GString *token = g_string_new (PCQ_SPLIT_TOKEN_PREFIX);

  g_string_append_printf (token, "%u/%" G_GINT64_FORMAT "/", self->n, t->total);
  for (guint i = 0; i < self->n; i++)
    g_string_append_printf (token, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "", self->segments[i].pos);
  g_string_append_printf (token, "/%s", t->split_validator);

  return g_string_free (token, FALSE);
}

/* Keeps how far the segments got (at most every SAVE_INTERVAL_US unless
 * @now): once the part is synced, so that no byte counts as done that
 * a crash could lose. */
static void
segments_save (PcqSegments *self,
               gboolean     now)
{
  PcqTransfer *t = self->transfer;
  gint64 time = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;

  if (!now && time - self->saved_at < SAVE_INTERVAL_US)
    return;

  self->saved_at = time;
  if (!pcq_sink_sync (t->sink, &error))
    {
      g_debug ("Progress of a split download not kept: %s", error->message);
      return;
    }

  g_free (t->run->validator);
  t->run->validator = segments_token (self);
  pcq_transfer_save_resume (t);
}

/* Every segment is in: the digest, if one is needed, from the part as
 * it is now (the body did not come in order). */
static void
segments_finish (PcqSegments *self)
{
  PcqTransfer *t = self->transfer;
  PcqRun *run = t->run;

  segments_free (self);
  t->segments = NULL;

  g_clear_pointer (&t->checksum, g_checksum_free);
  if (run->sha256 != NULL || t->record_checksum)
    {
      t->checksum = g_checksum_new (G_CHECKSUM_SHA256);
      if (!pcq_sink_hash_part (t->sink, t->checksum, t->total, t->buffer,
                               PCQ_TRANSFER_BUFFER_SIZE, &t->error))
        {
          pcq_transfer_end (t, PCQ_OUTCOME_FAILED);
          return;
        }
    }

  pcq_transfer_download_finish_body (t);
}

/* Ends the attempt once nothing is under way any more. */
static void
segments_maybe_end (PcqSegments *self)
{
  PcqTransfer *t = self->transfer;
  EndKind kind = self->end_kind;
  PcqOutcome outcome = self->outcome;

  if (self->pending > 0)
    return;

  if (!self->failing)
    {
      if (self->n_done == self->n)
        segments_finish (self);
      return;
    }

  /* Not after a server sent other bytes than asked: from zero, then. */
  if (!t->run->no_split)
    segments_save (self, TRUE);
  segments_free (self);
  t->segments = NULL;
  switch (kind)
    {
    case END_SHORT:
      pcq_transfer_download_end_short (t);
      break;
    case END_STALLED:
      pcq_transfer_end_stalled (t, PCQ_OUTCOME_RETRY);
      break;
    case END_TOO_SLOW:
      pcq_transfer_download_end_too_slow (t);
      break;
    case END_PLAIN:
    default:
      pcq_transfer_end (t, outcome);
      break;
    }
}

/* The first failure ends them all: the others are cancelled, and the
 * attempt ends when the last call is back. Takes @error. */
static void
segments_fail (PcqSegments *self,
               EndKind      kind,
               PcqOutcome   outcome,
               GError      *error)
{
  PcqTransfer *t = self->transfer;

  if (self->failing)
    {
      g_clear_error (&error);
      return;
    }

  self->failing = TRUE;
  self->end_kind = kind;
  self->outcome = outcome;
  g_clear_error (&t->error);
  t->error = error;

  /* Held, so that a callback run from within the cancel cannot end the
   * attempt under us. */
  self->pending++;
  g_cancellable_cancel (t->cancellable);
  self->pending--;
}

/* An I/O error from a send or a read. */
static void
segments_fail_io (PcqSegments *self,
                  GError      *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    segments_fail (self, END_PLAIN, PCQ_OUTCOME_CANCELLED, error);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    segments_fail (self, END_STALLED, PCQ_OUTCOME_RETRY, error);
  else if (error->domain == G_TLS_ERROR || error->domain == PCQ_ERROR)
    segments_fail (self, END_PLAIN, PCQ_OUTCOME_FAILED, error);
  else
    segments_fail (self, END_SHORT, PCQ_OUTCOME_RETRY, error);
}

static void
segment_done (Segment *seg)
{
  PcqSegments *self = seg->owner;

  /* The first segment's answer goes on past its end: it is dropped
   * (with its connection) here. The transfer still holds it. */
  g_input_stream_close (seg->in, NULL, NULL);
  if (seg->msg != NULL)
    g_object_unref (seg->in);
  seg->in = NULL;
  self->n_done++;
}

static void
segment_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Segment *seg = user_data;
  PcqSegments *self = seg->owner;
  PcqTransfer *t = self->transfer;
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  self->pending--;
  if (self->failing)
    g_clear_error (&error);
  else if (n < 0)
    segments_fail_io (self, error);
  else if (n == 0)
    segments_fail (self, END_SHORT, PCQ_OUTCOME_RETRY, NULL);
  else
    {
      pcq_rate_limit_consume (t->limit, n);
      if (!pcq_sink_write_at (t->sink, seg->buffer, n, seg->pos, &error))
        segments_fail (self, END_PLAIN, PCQ_OUTCOME_FAILED, error);
      else
        {
          seg->pos += n;
          pcq_transfer_add_bytes (t, n);
          segments_save (self, FALSE);
          if (pcq_transfer_download_is_too_slow (t))
            segments_fail (self, END_TOO_SLOW, PCQ_OUTCOME_RETRY, NULL);
          else if (seg->pos == seg->end)
            segment_done (seg);
          else
            segment_read_next (seg);
        }
    }

  segments_maybe_end (self);
}

static gboolean
segment_throttled_cb (gpointer user_data)
{
  Segment *seg = user_data;
  PcqSegments *self = seg->owner;

  self->pending--;
  if (!self->failing)
    segment_read_next (seg);
  segments_maybe_end (self);
  return G_SOURCE_REMOVE;
}

/* As read_next () in pcq-worker-download.c. */
static void
segment_read_next (Segment *seg)
{
  PcqSegments *self = seg->owner;
  PcqTransfer *t = self->transfer;
  gsize chunk;

  /* The segments wait side by side: each moves the low-speed window on
   * by its share of the wait. */
  if (pcq_transfer_wait_for_limit (t, self->n, segment_throttled_cb, seg))
    {
      self->pending++;
      return;
    }

  chunk = pcq_rate_limit_get_chunk (t->limit, PCQ_TRANSFER_BUFFER_SIZE);
  chunk = (gsize) MIN ((gint64) chunk, seg->end - seg->pos);
  g_input_stream_read_async (seg->in, seg->buffer, chunk, G_PRIORITY_DEFAULT,
                             t->cancellable, segment_read_cb, seg);
  self->pending++;
}

/* Whether @msg's answer is a 206 of exactly bytes @from to before @to
 * of a file of @total bytes. */
static gboolean
is_range_answer (SoupMessage *msg,
                 gint64       from,
                 gint64       to,
                 gint64       total)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  goffset start, end, length;

  return soup_message_get_status (msg) == SOUP_STATUS_PARTIAL_CONTENT &&
         soup_message_headers_get_content_range (headers, &start, &end, &length) &&
         start == from && end == to - 1 && length == total &&
         soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
         soup_message_headers_get_content_length (headers) == (goffset) (to - from);
}

/* Exactly the range asked for, of the same file: else no split. */
static gboolean
is_asked_range (Segment *seg)
{
  return is_range_answer (seg->msg, seg->pos, seg->end, seg->owner->transfer->total);
}

static void
segment_sent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Segment *seg = user_data;
  PcqSegments *self = seg->owner;
  PcqTransfer *t = self->transfer;
  GError *error = NULL;

  self->pending--;
  seg->in = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (self->failing)
    g_clear_error (&error);
  else if (seg->in == NULL)
    segments_fail_io (self, error);
  else if (!is_asked_range (seg))
    {
      /* Whatever the server meant, this file is fetched in one piece
       * next time, from zero (the part has holes). */
      t->run->no_split = TRUE;
      g_clear_pointer (&t->run->validator, g_free);
      g_set_error (&error, PCQ_ERROR, PCQ_ERROR_HTTP_RETRYABLE,
                   _("The server sent a different part of the file than asked for"));
      segments_fail (self, END_PLAIN, PCQ_OUTCOME_RETRY, error);
    }
  else
    segment_read_next (seg);

  segments_maybe_end (self);
}

static void
segment_send (Segment *seg)
{
  PcqSegments *self = seg->owner;
  PcqTransfer *t = self->transfer;
  SoupMessageHeaders *headers;

  /* To the URL the redirects led to, as every request of a download. */
  seg->msg = pcq_transfer_new_get (t);
  headers = soup_message_get_request_headers (seg->msg);
  soup_message_headers_set_range (headers, seg->pos, seg->end - 1);
  soup_message_headers_replace (headers, "If-Range", t->split_validator);

  soup_session_send_async (t->session, seg->msg, G_PRIORITY_DEFAULT,
                           t->cancellable, segment_sent_cb, seg);
  self->pending++;
}

/* The segments, from zero or from where an earlier attempt left them
 * (@resume: one position a segment), the first unfinished one fed by
 * the transfer's own answer. */
static void
split_start (PcqTransfer  *self,
             const gint64 *resume)
{
  PcqSegments *segs = g_new0 (PcqSegments, 1);
  gboolean lead_found = FALSE;

  segs->transfer = self;
  segs->n = self->split;
  segs->segments = g_new0 (Segment, segs->n);
  segs->saved_at = g_get_monotonic_time ();
  self->segments = segs;
  /* The digest is taken at the end, from the file. */
  g_clear_pointer (&self->checksum, g_checksum_free);

  for (guint i = 0; i < segs->n; i++)
    {
      Segment *seg = &segs->segments[i];
      gint64 start;

      seg->owner = segs;
      segment_bounds (self->total, segs->n, i, &start, &seg->end);
      seg->pos = resume != NULL ? resume[i] : start;
      if (!lead_found && seg->pos < seg->end)
        {
          segs->lead = i;
          lead_found = TRUE;
        }
    }
  g_assert (lead_found);

  segs->segments[segs->lead].in = self->in;
  segs->segments[segs->lead].buffer = self->buffer;
  segs->pending++;
  for (guint i = 0; i < segs->n; i++)
    {
      Segment *seg = &segs->segments[i];

      if (i == segs->lead)
        continue;
      if (seg->pos == seg->end)
        {
          segs->n_done++;
          continue;
        }
      seg->buffer = g_malloc (PCQ_TRANSFER_BUFFER_SIZE);
      segment_send (seg);
    }
  segment_read_next (&segs->segments[segs->lead]);
  segs->pending--;
  segments_maybe_end (segs);
}

/**
 * pcq_transfer_split:
 *
 * Takes over a download whose first answer (a 200 for the whole file,
 * its part file open and empty) pcq_transfer_should_split () accepted.
 */
void
pcq_transfer_split (PcqTransfer *self)
{
  g_assert (self->bytes == 0 && self->split_validator != NULL);

  split_start (self, NULL);
}

/**
 * pcq_transfer_take_split_token:
 *
 * Reads the progress of an earlier split attempt from the run's
 * validator (see the top of this file), if that is what it holds and
 * the run's own part file is still there: self->split_resume (the
 * positions, then the total), self->split and self->split_validator
 * are set, and the next request asks for the rest of the first
 * unfinished segment (pcq_transfer_split_next_range ()). A token that
 * does not read back is dropped: the download starts from zero.
 *
 * Returns: whether the attempt resumes a split one
 */
gboolean
pcq_transfer_take_split_token (PcqTransfer *self)
{
  PcqRun *run = self->run;
  g_autofree gint64 *resume = NULL;
  gboolean unfinished = FALSE;
  gint64 reached = 0;
  const char *p;
  char *end;
  guint64 n;
  gint64 total;

  if (run->validator == NULL || !g_str_has_prefix (run->validator, PCQ_SPLIT_TOKEN_PREFIX))
    return FALSE;

  p = run->validator + strlen (PCQ_SPLIT_TOKEN_PREFIX);
  n = g_ascii_strtoull (p, &end, 10);
  if (end == p || *end != '/' || n < 2 || n > SPLIT_MAX_SEGMENTS)
    goto drop;
  p = end + 1;
  total = g_ascii_strtoll (p, &end, 10);
  if (end == p || *end != '/' || total < (gint64) n)
    goto drop;

  resume = g_new (gint64, n + 1);
  for (guint i = 0; i < n; i++)
    {
      gint64 start, stop;

      p = end + 1;
      resume[i] = g_ascii_strtoll (p, &end, 10);
      segment_bounds (total, n, i, &start, &stop);
      if (end == p || *end != (i + 1 < n ? ',' : '/') || resume[i] < start || resume[i] > stop)
        goto drop;
      unfinished |= resume[i] < stop;
      if (resume[i] > start)
        reached = resume[i];
    }
  resume[n] = total;
  p = end + 1;

  /* The part must hold what the positions say was synced: a shorter one
   * (its own file, cut or written again from zero since) would leave
   * holes of zeros in the file. */
  if (*p == '\0' || !unfinished || pcq_sink_part_size (run->part_path, &run->part_id) < reached)
    goto drop;

  self->split = n;
  self->split_resume = g_steal_pointer (&resume);
  self->split_resume_n = n;
  g_free (self->split_validator);
  self->split_validator = g_strdup (p);
  return TRUE;

drop:
  g_clear_pointer (&run->validator, g_free);
  return FALSE;
}

/**
 * pcq_transfer_split_next_range:
 *
 * The rest of the first unfinished segment of the split attempt being
 * resumed: from @start to before @end.
 */
void
pcq_transfer_split_next_range (PcqTransfer *self,
                               gint64      *start,
                               gint64      *end)
{
  guint n = self->split_resume_n;
  gint64 total = self->split_resume[n];

  for (guint i = 0; i < n; i++)
    {
      gint64 first;

      segment_bounds (total, n, i, &first, end);
      *start = self->split_resume[i];
      if (*start < *end)
        return;
    }
  g_return_if_reached ();
}

/**
 * pcq_transfer_split_accept_answer:
 *
 * Whether the answer to pcq_transfer_split_next_range () is exactly
 * that range of the same file; if so, the transfer's total and count
 * (what the segments already hold) are set.
 */
gboolean
pcq_transfer_split_accept_answer (PcqTransfer *self)
{
  guint n = self->split_resume_n;
  gint64 total = self->split_resume[n];
  gint64 from, to, held = 0;

  pcq_transfer_split_next_range (self, &from, &to);
  if (!is_range_answer (self->msg, from, to, total))
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      gint64 first, stop;

      segment_bounds (total, n, i, &first, &stop);
      held += self->split_resume[i] - first;
    }
  self->total = total;
  self->bytes = held;
  pcq_atomic_set64 (&self->run->total, self->total);
  pcq_atomic_set64 (&self->run->bytes, self->bytes);
  return TRUE;
}

/**
 * pcq_transfer_split_resume:
 *
 * Takes over a download whose answer pcq_transfer_split_accept_answer
 * () accepted, its part file open as the earlier attempt left it.
 */
void
pcq_transfer_split_resume (PcqTransfer *self)
{
  split_start (self, self->split_resume);
}
