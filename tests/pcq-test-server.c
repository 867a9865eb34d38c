/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <sys/socket.h>

#include <libsoup/soup.h>

#include "pcq-test-server.h"
#include "pcq-test-soup-thread.h"

/* Bounds of what a request may ask for, so that a typo in a test cannot
 * make the server allocate or wait without limit. */
#define MAX_BODY_SIZE      (64 * 1024 * 1024)
#define DEFAULT_CHUNK_SIZE (16 * 1024)
#define MAX_DELAY_MS       5000
#define MAX_HOLD_MS        30000
#define MAX_REDIRECT_HOPS  100

typedef struct
{
  char   *path;
  gint64  time;
  guint   in_flight;   /* requests in flight on arrival, this one included */
  char   *range;       /* the Range header, if any */
  char   *authorization; /* the Authorization header, if any */
  SoupMessageHeaders *headers; /* all of them */
} LoggedRequest;

struct _PcqTestServer
{
  PcqTestSoupThread *soup;
  GMainContext *context;       /* the server thread's */
  GTlsCertificate *certificate; /* HTTPS: the server's, or NULL */

  GMutex        lock;

  /* Protected by lock. */
  guint         in_flight;
  guint         max_in_flight;
  GHashTable   *host_in_flight;  /* Host header without port → requests */
  GHashTable   *host_max;        /* … → most requests at once */
  GPtrArray    *log;
  char         *basic_auth;    /* what /auth/ wants in Authorization */
  gboolean      hold;          /* slow bodies send no further chunk */

  /* Server thread only. */
  GHashTable   *path_hits;
  GList        *requests;
};

/* One request, from its handler until its response is finished (or its
 * connection is taken over). Server thread only. */
typedef struct
{
  PcqTestServer     *self;
  SoupServerMessage *msg;      /* owned until request_done() */
  gulong             finished_id;
  gulong             wrote_body_id;
  gboolean           uncounted;  /* no longer in flight */
  GSource           *timer;    /* next chunk of a slow body */
  GSource           *guard;    /* closes a stalled or hanging request */
  GSource           *idle;     /* deferred raw answer */
  guint              seed;
  gsize              size;
  gsize              offset;   /* body bytes handed to libsoup so far */
  gsize              limit;    /* no body byte past this one is sent */
  gsize              chunk;
  guint              delay_ms;
  gsize              send;     /* raw answers: body bytes actually sent */
  gboolean           reset;    /* raw answers: end with a TCP reset */
  gboolean           etag;     /* raw answers: send an ETag */
  gboolean           chunked;  /* chunked encoding, no Content-Length */
  guint64            announce; /* raw answers: the Content-Length, if not size */
  char              *host;     /* its Host header, without the port */
} Request;

/* The content generator */

guint8
pcq_test_content_byte (guint   seed,
                       guint64 offset)
{
  guint32 x;

  x = (guint32) offset * 2654435761u;
  x ^= (guint32) (offset >> 32) * 40503u;
  x ^= (seed + 1) * 0x9e3779b9u;
  x ^= x >> 15;
  x *= 0x85ebca6bu;
  x ^= x >> 13;

  return (guint8) (x & 0xff);
}

void
pcq_test_content_fill (guint    seed,
                       guint64  offset,
                       guint8  *buf,
                       gsize    len)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = pcq_test_content_byte (seed, offset + i);
}

gboolean
pcq_test_content_matches (const char  *path,
                          guint        seed,
                          gsize        size,
                          char       **why)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      if (why != NULL)
        *why = g_strdup (error->message);
      return FALSE;
    }

  if (length != size)
    {
      if (why != NULL)
        *why = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes, expected %"
                                G_GSIZE_FORMAT, length, size);
      return FALSE;
    }

  for (gsize i = 0; i < length; i++)
    {
      guint8 expected = pcq_test_content_byte (seed, i);

      if ((guint8) contents[i] != expected)
        {
          if (why != NULL)
            *why = g_strdup_printf ("byte %" G_GSIZE_FORMAT " is 0x%02x, "
                                    "expected 0x%02x (seed %u)",
                                    i, (guint8) contents[i], expected, seed);
          return FALSE;
        }
    }

  return TRUE;
}

/* Request bookkeeping */

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_source_unref (*source);
      *source = NULL;
    }
}

static GSource *
add_timeout (PcqTestServer *self,
             guint          msec,
             GSourceFunc    func,
             gpointer       data)
{
  GSource *source = g_timeout_source_new (msec);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, self->context);

  return source;
}

/* A request stops counting as in flight once its last byte is written:
 * the client may read it and send its next request before "finished"
 * is emitted here, and would then find this one still counted. */
static void
uncount (Request *req)
{
  PcqTestServer *self = req->self;

  if (req->uncounted)
    return;

  req->uncounted = TRUE;
  g_mutex_lock (&self->lock);
  g_assert (self->in_flight > 0);
  self->in_flight--;
  g_hash_table_insert (self->host_in_flight, g_strdup (req->host),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->host_in_flight,
                                                                                req->host)) - 1));
  g_mutex_unlock (&self->lock);
}

static void
wrote_body_cb (SoupServerMessage *msg,
               gpointer           user_data)
{
  uncount (user_data);
}

static void
request_done (Request *req)
{
  PcqTestServer *self = req->self;

  clear_source (&req->timer);
  clear_source (&req->guard);
  clear_source (&req->idle);

  if (req->finished_id != 0)
    g_signal_handler_disconnect (req->msg, req->finished_id);
  if (req->wrote_body_id != 0)
    g_signal_handler_disconnect (req->msg, req->wrote_body_id);
  g_clear_object (&req->msg);

  self->requests = g_list_remove (self->requests, req);

  uncount (req);
  g_free (req->host);
  g_free (req);
}

static void
request_finished_cb (SoupServerMessage *msg,
                     gpointer           user_data)
{
  Request *req = user_data;

  req->finished_id = 0;
  request_done (req);
}

/* Takes the connection away from libsoup and closes it, for requests that
 * never get (the rest of) an answer. */
static void
abort_request (Request *req)
{
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GSocket) socket = NULL;

  socket = soup_server_message_get_socket (req->msg);
  if (socket != NULL)
    g_object_ref (socket);
  stream = soup_server_message_steal_connection (req->msg);
  request_done (req);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  if (socket != NULL)
    g_socket_close (socket, NULL);
}

static gboolean
guard_cb (gpointer user_data)
{
  Request *req = user_data;

  g_source_unref (req->guard);
  req->guard = NULL;
  abort_request (req);

  return G_SOURCE_REMOVE;
}

static void
hold_with_guard (Request *req)
{
  req->guard = add_timeout (req->self, MAX_HOLD_MS, guard_cb, req);
}

/* Query parameters */

static guint64
param_uint (GHashTable *query,
            const char *key,
            guint64     fallback,
            guint64     max)
{
  const char *value;
  guint64 result;

  if (query == NULL)
    return fallback;

  value = g_hash_table_lookup (query, key);
  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, max, &result, NULL))
    return fallback;

  return result;
}

static gboolean
param_has (GHashTable *query,
           const char *key)
{
  return query != NULL && g_hash_table_contains (query, key);
}

/* Answers */

static void
append_next_chunk (Request *req)
{
  SoupMessageBody *body = soup_server_message_get_response_body (req->msg);
  gsize n = MIN (req->chunk, req->limit - req->offset);
  guint8 *buf;

  if (n > 0)
    {
      g_autoptr(GBytes) bytes = NULL;

      buf = g_malloc (n);
      pcq_test_content_fill (req->seed, req->offset, buf, n);
      bytes = g_bytes_new_take (buf, n);
      soup_message_body_append_bytes (body, bytes);
      req->offset += n;
    }

  /* A chunked body ends with its last chunk (not when it stalls). */
  if (req->chunked && req->offset == req->size)
    soup_message_body_complete (body);
}

static gboolean
chunk_timer_cb (gpointer user_data)
{
  Request *req = user_data;
  gboolean hold;

  g_mutex_lock (&req->self->lock);
  hold = req->self->hold;
  g_mutex_unlock (&req->self->lock);
  if (hold)
    return G_SOURCE_CONTINUE;

  append_next_chunk (req);
  soup_server_message_unpause (req->msg);

  if (req->offset >= req->limit)
    {
      g_source_unref (req->timer);
      req->timer = NULL;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static char *
make_etag (guint seed,
           gsize size)
{
  return g_strdup_printf ("\"pcq-%u-%" G_GSIZE_FORMAT "\"", seed, size);
}

/* A streamed body answers one byte range itself (libsoup does so
 * only for bodies given whole). Returns where the body ends. */
static gsize
stream_range (Request            *req,
              SoupMessageHeaders *request_headers,
              SoupMessageHeaders *headers)
{
  SoupRange *ranges = NULL;
  int n = 0;
  gsize end = req->size;

  if (!soup_message_headers_get_ranges (request_headers, req->size, &ranges, &n))
    return end;

  if (n == 1)
    {
      soup_server_message_set_status (req->msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_message_headers_set_content_range (headers, ranges[0].start, ranges[0].end, req->size);
      soup_message_headers_set_content_length (headers, ranges[0].end - ranges[0].start + 1);
      req->offset = ranges[0].start;
      end = ranges[0].end + 1;
      req->limit = MIN (req->limit, end);
    }
  soup_message_headers_free_ranges (request_headers, ranges);
  soup_message_headers_remove (request_headers, "Range");
  return end;
}

/* @seed, @chunk and @delay_ms: as the query says when negative. */
static void
respond_data_with (Request    *req,
                   GHashTable *query,
                   gint64      seed,
                   gint64      chunk,
                   gint64      delay_ms)
{
  SoupServerMessage *msg = req->msg;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  const char *disposition = query ? g_hash_table_lookup (query, "cd") : NULL;
  gboolean stall = param_has (query, "stall");
  gsize end;

  req->size = param_uint (query, "size", 1024, MAX_BODY_SIZE);
  req->seed = seed >= 0 ? (guint) seed : (guint) param_uint (query, "seed", 0, G_MAXUINT);
  req->chunk = chunk >= 0 ? (gsize) chunk : param_uint (query, "chunk", 0, MAX_BODY_SIZE);
  req->delay_ms = delay_ms >= 0 ? (guint) delay_ms
                                : (guint) param_uint (query, "delay", 0, MAX_DELAY_MS);
  req->limit = req->size;

  if (param_has (query, "etag"))
    {
      g_autofree char *etag = make_etag (req->seed, req->size);
      const char *if_range = soup_message_headers_get_one (request_headers, "If-Range");

      soup_message_headers_replace (headers, "ETag", etag);
      if (!param_has (query, "noranges"))
        soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
      /* A server that ignores ranges (but says it takes them). */
      if (param_has (query, "badrange"))
        soup_message_headers_remove (request_headers, "Range");
      /* libsoup answers a Range itself (for bodies given whole) but does
       * not look at If-Range: a stale validator gets the whole body. */
      if (if_range != NULL && g_strcmp0 (if_range, etag) != 0)
        soup_message_headers_remove (request_headers, "Range");
    }
  else
    {
      /* Without a validator, no partial answers either. */
      soup_message_headers_remove (request_headers, "Range");
    }

  if (stall)
    req->limit = MIN (req->size, param_uint (query, "stall", 0, MAX_BODY_SIZE));

  req->chunked = param_has (query, "chunked");
  end = req->size;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "application/octet-stream", NULL);
  soup_message_headers_set_encoding (headers, req->chunked ? SOUP_ENCODING_CHUNKED
                                                           : SOUP_ENCODING_CONTENT_LENGTH);
  if (disposition != NULL)
    soup_message_headers_replace (headers, "Content-Disposition", disposition);

  if (req->chunked)
    {
      if (req->chunk == 0)
        req->chunk = DEFAULT_CHUNK_SIZE;
    }
  else if (req->chunk == 0 && !stall)
    {
      /* The whole body at once: libsoup sets the Content-Length from it
       * (and answers a Range from it). */
      req->chunk = req->size;
    }
  else
    {
      /* Streamed: announce the size the chunks will add up to. */
      soup_message_headers_set_content_length (headers, req->size);
      if (req->chunk == 0)
        req->chunk = DEFAULT_CHUNK_SIZE;
      end = stream_range (req, request_headers, headers);
    }

  /* The first chunk goes out with the headers; the rest, if any, one per
   * timer tick. Once libsoup has written all it has, it pauses the
   * message itself until the next chunk is appended and unpaused. */
  append_next_chunk (req);
  if (req->offset < req->limit)
    req->timer = add_timeout (req->self, req->delay_ms, chunk_timer_cb, req);
  if (req->limit < end)
    hold_with_guard (req);
}

static void
respond_data (Request    *req,
              GHashTable *query)
{
  respond_data_with (req, query, -1, -1, -1);
}

static void
respond_status (Request    *req,
                guint       status,
                GHashTable *query)
{
  SoupServerMessage *msg = req->msg;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *body = NULL;

  soup_server_message_set_status (msg, status, NULL);

  if (param_has (query, "retry_after"))
    {
      g_autofree char *value = NULL;

      value = g_strdup_printf ("%" G_GUINT64_FORMAT,
                               param_uint (query, "retry_after", 1, 3600));
      soup_message_headers_replace (headers, "Retry-After", value);
    }
  else if (param_has (query, "retry_date"))
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr(GDateTime) then = NULL;
      g_autofree char *value = NULL;

      then = g_date_time_add_seconds (now, (gdouble) param_uint (query, "retry_date", 1, 3600));
      value = soup_date_time_to_string (then, SOUP_DATE_HTTP);
      soup_message_headers_replace (headers, "Retry-After", value);
    }

  body = g_strdup_printf ("status %u\n", status);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

static gboolean
raw_answer_cb (gpointer user_data)
{
  Request *req = user_data;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *head = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *etag_line = NULL;
  g_autofree guint8 *body = NULL;
  GOutputStream *out;

  g_source_unref (req->idle);
  req->idle = NULL;

  socket = soup_server_message_get_socket (req->msg);
  if (socket != NULL)
    g_object_ref (socket);
  stream = soup_server_message_steal_connection (req->msg);

  if (req->etag)
    etag_line = g_strdup_printf ("ETag: %s\r\n", etag = make_etag (req->seed, req->size));
  head = g_strdup_printf ("HTTP/1.1 200 OK\r\n"
                          "Content-Type: application/octet-stream\r\n"
                          "Content-Length: %" G_GUINT64_FORMAT "\r\n"
                          "%s"
                          "Connection: close\r\n"
                          "\r\n", req->announce ? req->announce : (guint64) req->size,
                          etag_line ? etag_line : "");
  body = g_malloc (MAX (req->send, 1));
  pcq_test_content_fill (req->seed, 0, body, req->send);

  if (stream != NULL)
    {
      out = g_io_stream_get_output_stream (stream);
      if (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL)
          && g_output_stream_write_all (out, body, req->send, NULL, NULL, NULL))
        g_output_stream_flush (out, NULL, NULL);
    }

  if (socket != NULL)
    {
      if (req->reset)
        {
          struct linger lin = { .l_onoff = 1, .l_linger = 0 };

          setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER,
                      &lin, sizeof lin);
        }
      else
        {
          g_socket_shutdown (socket, FALSE, TRUE, NULL);
        }
    }

  request_done (req);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  if (socket != NULL)
    g_socket_close (socket, NULL);

  return G_SOURCE_REMOVE;
}

/* Announces @size bytes, sends @send of them, then closes. */
static void
respond_short (Request *req,
               gsize    size,
               gsize    send,
               gboolean reset)
{
  req->size = size;
  req->send = MIN (send, size);
  req->reset = reset;

  /* The connection is taken over once the handler has returned. */
  soup_server_message_pause (req->msg);
  req->idle = g_idle_source_new ();
  g_source_set_callback (req->idle, raw_answer_cb, req, NULL);
  g_source_attach (req->idle, req->self->context);
}

static void
respond_redirect (Request    *req,
                  const char *location)
{
  soup_server_message_set_redirect (req->msg, SOUP_STATUS_FOUND, location);
}

static guint
count_hit (PcqTestServer *self,
           const char    *path)
{
  guint hits = GPOINTER_TO_UINT (g_hash_table_lookup (self->path_hits, path)) + 1;

  g_hash_table_insert (self->path_hits, g_strdup (path), GUINT_TO_POINTER (hits));

  return hits;
}

static void
dispatch (Request    *req,
          const char *path,
          GHashTable *query)
{
  PcqTestServer *self = req->self;
  g_auto(GStrv) segments = g_strsplit (path + 1, "/", -1);
  const char *route = segments[0];
  guint n_segments = g_strv_length (segments);

  if (g_str_equal (path, "/") || g_str_equal (route, "data"))
    {
      respond_data (req, query);
    }
  else if (g_str_equal (route, "status") && n_segments >= 2)
    {
      guint64 code = 0;

      if (g_ascii_string_to_unsigned (segments[1], 10, 100, 599, &code, NULL))
        respond_status (req, (guint) code, query);
      else
        respond_status (req, SOUP_STATUS_BAD_REQUEST, NULL);
    }
  else if (g_str_equal (route, "flaky"))
    {
      guint hits = count_hit (self, path);
      guint64 fail = param_uint (query, "fail", 1, G_MAXUINT);
      const char *mode = query ? g_hash_table_lookup (query, "mode") : NULL;

      if (hits > fail)
        {
          gint64 seed = param_has (query, "ok_seed")
                        ? (gint64) param_uint (query, "ok_seed", 0, G_MAXUINT) : -1;

          respond_data_with (req, query, seed, -1, -1);
        }
      else if (g_strcmp0 (mode, "slow") == 0)
        {
          respond_data_with (req, query, -1, 1024, 100);
        }
      else if (g_strcmp0 (mode, "close") == 0 || g_strcmp0 (mode, "reset") == 0)
        {
          gsize size = param_uint (query, "size", 1024, MAX_BODY_SIZE);

          req->seed = (guint) param_uint (query, "seed", 0, G_MAXUINT);
          req->etag = param_has (query, "etag");
          respond_short (req, size, size / 2, g_str_equal (mode, "reset"));
        }
      else
        {
          respond_status (req, (guint) param_uint (query, "code", 503, 599), query);
        }
    }
  else if (g_str_equal (route, "redirect") && n_segments >= 2)
    {
      guint64 hops = 0;

      if (!g_ascii_string_to_unsigned (segments[1], 10, 0, MAX_REDIRECT_HOPS, &hops, NULL))
        {
          respond_status (req, SOUP_STATUS_BAD_REQUEST, NULL);
        }
      else if (hops == 0)
        {
          respond_data (req, query);
        }
      else
        {
          g_autofree char *rest = g_strjoinv ("/", segments + 2);
          GUri *uri = soup_server_message_get_uri (req->msg);
          const char *raw_query = g_uri_get_query (uri);
          g_autofree char *location = NULL;

          location = g_strdup_printf ("/redirect/%" G_GUINT64_FORMAT "/%s%s%s",
                                      hops - 1, rest,
                                      raw_query ? "?" : "",
                                      raw_query ? raw_query : "");
          respond_redirect (req, location);
        }
    }
  else if (g_str_equal (path, "/loop/a"))
    {
      respond_redirect (req, "/loop/b");
    }
  else if (g_str_equal (path, "/loop/b"))
    {
      respond_redirect (req, "/loop/a");
    }
  else if (g_str_equal (route, "short"))
    {
      gsize size = param_uint (query, "size", 1000, MAX_BODY_SIZE);
      gsize send = param_uint (query, "send", size / 2, MAX_BODY_SIZE);

      req->seed = (guint) param_uint (query, "seed", 0, G_MAXUINT);
      req->announce = param_uint (query, "announce", 0, G_MAXINT64);
      respond_short (req, size, send, param_uint (query, "reset", 0, 1) == 1);
    }
  else if (g_str_equal (route, "auth") || g_str_equal (route, "proxy-auth"))
    {
      /* As the server, or as a proxy (for a URL whose host is anything). */
      gboolean proxy = g_str_equal (route, "proxy-auth");
      const char *given = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                        proxy ? "Proxy-Authorization" : "Authorization");
      const char *to = query ? g_hash_table_lookup (query, "to") : NULL;
      const char *challenge = query ? g_hash_table_lookup (query, "challenge") : NULL;
      g_autofree char *wanted = pcq_test_server_dup_basic_auth (self);

      if (wanted == NULL || g_strcmp0 (given, wanted) != 0)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                        proxy ? "Proxy-Authenticate" : "WWW-Authenticate",
                                        challenge != NULL ? challenge : "Basic realm=\"pcq-test\"");
          respond_status (req, proxy ? SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED : SOUP_STATUS_UNAUTHORIZED,
                          NULL);
        }
      else if (to != NULL)
        respond_redirect (req, to);
      else
        respond_data (req, query);
    }
  else if (g_str_equal (route, "goto") && query != NULL && g_hash_table_contains (query, "to"))
    {
      /* Anywhere, another origin too. */
      respond_redirect (req, g_hash_table_lookup (query, "to"));
    }
  else if (g_str_equal (route, "hang"))
    {
      soup_server_message_pause (req->msg);
      hold_with_guard (req);
    }
  else
    {
      respond_status (req, SOUP_STATUS_NOT_FOUND, NULL);
    }
}

/* "127.0.0.1:PORT" → "127.0.0.1", "[::1]:PORT" → "[::1]". */
static char *
host_without_port (const char *host)
{
  const char *colon;

  if (host == NULL)
    return g_strdup ("");

  colon = strrchr (host, ':');
  if (colon == NULL || (host[0] == '[' && colon < strchr (host, ']')))
    return g_strdup (host);

  return g_strndup (host, colon - host);
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  PcqTestServer *self = user_data;
  LoggedRequest *entry;
  Request *req;
  g_autofree char *host = NULL;
  guint host_n;

  entry = g_new0 (LoggedRequest, 1);
  entry->path = g_strdup (path);
  entry->time = g_get_monotonic_time ();
  entry->range = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                         "Range"));
  entry->authorization = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                                 "Authorization"));
  entry->headers = soup_message_headers_ref (soup_server_message_get_request_headers (msg));

  host = host_without_port (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                         "Host"));

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->log, entry);
  self->in_flight++;
  entry->in_flight = self->in_flight;
  self->max_in_flight = MAX (self->max_in_flight, self->in_flight);
  host_n = GPOINTER_TO_UINT (g_hash_table_lookup (self->host_in_flight, host)) + 1;
  g_hash_table_insert (self->host_in_flight, g_strdup (host), GUINT_TO_POINTER (host_n));
  if (host_n > GPOINTER_TO_UINT (g_hash_table_lookup (self->host_max, host)))
    g_hash_table_insert (self->host_max, g_strdup (host), GUINT_TO_POINTER (host_n));
  g_mutex_unlock (&self->lock);

  req = g_new0 (Request, 1);
  req->host = g_steal_pointer (&host);
  req->self = self;
  req->msg = g_object_ref (msg);
  req->finished_id = g_signal_connect (msg, "finished",
                                       G_CALLBACK (request_finished_cb), req);
  req->wrote_body_id = g_signal_connect (msg, "wrote-body", G_CALLBACK (wrote_body_cb), req);
  self->requests = g_list_prepend (self->requests, req);

  dispatch (req, path, query);
}

/* The server thread */

static void
setup_cb (SoupServer *server,
          gpointer    user_data)
{
  PcqTestServer *self = user_data;

  if (self->certificate != NULL)
    soup_server_set_tls_certificate (server, self->certificate);
  soup_server_add_handler (server, NULL, handle_request, user_data, NULL);
}

/* Answers still in progress end with the server. */
static void
teardown_cb (SoupServer *server,
             gpointer    user_data)
{
  PcqTestServer *self = user_data;

  while (self->requests != NULL)
    abort_request (self->requests->data);
}

static void
logged_request_free (gpointer data)
{
  LoggedRequest *entry = data;

  g_free (entry->path);
  g_free (entry->range);
  g_free (entry->authorization);
  g_clear_pointer (&entry->headers, soup_message_headers_unref);
  g_free (entry);
}

/* libsoup warns when a keep-alive connection is gone by the time it
 * starts reading the next request (the client closed it right after the
 * previous answer, as a client that exits does). That is the client's
 * right, so the warning must not abort the test. */
static gboolean
ignore_peer_gone_cb (const char     *log_domain,
                     GLogLevelFlags  log_level,
                     const char     *message,
                     gpointer        user_data)
{
  if (g_strcmp0 (log_domain, "libsoup") == 0
      && (log_level & G_LOG_LEVEL_WARNING) != 0
      && message != NULL
      && (strstr (message, "could not get remote address") != NULL
          || strstr (message, "could not get local address") != NULL))
    return FALSE;

  return TRUE;
}

/* Not fatal is not enough: with --tap, GLib still prints a fatal-level
 * warning as "Bail out!", and meson then fails the whole program. So
 * the message does not reach the default handler at all. */
static void
quiet_peer_gone_cb (const char     *log_domain,
                    GLogLevelFlags  log_level,
                    const char     *message,
                    gpointer        user_data)
{
  if (!ignore_peer_gone_cb (log_domain, log_level, message, user_data))
    return;

  g_log_default_handler (log_domain, log_level, message, user_data);
}

static PcqTestServer *
server_new (GTlsCertificate *certificate)
{
  PcqTestServer *self = g_new0 (PcqTestServer, 1);
  static gsize quiet = 0;

  g_test_log_set_fatal_handler (ignore_peer_gone_cb, NULL);
  if (g_once_init_enter (&quiet))
    g_once_init_leave (&quiet, g_log_set_handler ("libsoup", G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL,
                                                  quiet_peer_gone_cb, NULL));

  g_mutex_init (&self->lock);
  self->log = g_ptr_array_new_with_free_func (logged_request_free);
  self->path_hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->host_in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->host_max = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->certificate = certificate;
  self->soup = pcq_test_soup_thread_start ("pcq-test-server", "PcqTestServer ", TRUE,
                                           setup_cb, self);
  self->context = pcq_test_soup_thread_get_context (self->soup);

  return self;
}

PcqTestServer *
pcq_test_server_new (void)
{
  return server_new (NULL);
}

/**
 * pcq_test_server_new_tls:
 *
 * The same routes over HTTPS (HTTP/1.1: SoupServer 3.2 speaks no
 * HTTP/2), with tests/tls/server.pem, a certificate for 127.0.0.1
 * signed by tests/tls/ca.pem (pcq_test_tls_database ()).
 */
PcqTestServer *
pcq_test_server_new_tls (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "tls", "server.pem", NULL);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate = g_tls_certificate_new_from_file (path, &error);

  g_assert_no_error (error);
  return server_new (certificate);
}

/**
 * pcq_test_tls_database:
 *
 * Returns: (transfer full): a database that trusts the test CA only
 */
GTlsDatabase *
pcq_test_tls_database (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "tls", "ca.pem", NULL);
  g_autoptr(GError) error = NULL;
  GTlsDatabase *database = g_tls_file_database_new (path, &error);

  g_assert_no_error (error);
  return database;
}

void
pcq_test_server_free (PcqTestServer *self)
{
  if (self == NULL)
    return;

  pcq_test_soup_thread_stop (self->soup, teardown_cb, self);

  g_hash_table_unref (self->path_hits);
  g_hash_table_unref (self->host_in_flight);
  g_hash_table_unref (self->host_max);
  g_ptr_array_unref (self->log);
  g_free (self->basic_auth);
  g_clear_object (&self->certificate);
  g_mutex_clear (&self->lock);
  g_free (self);
}

const char *
pcq_test_server_get_base (PcqTestServer *self)
{
  return pcq_test_soup_thread_get_base (self->soup);
}

guint16
pcq_test_server_get_port (PcqTestServer *self)
{
  return pcq_test_soup_thread_get_port (self->soup);
}

char *
pcq_test_server_url (PcqTestServer *self,
                     const char    *format,
                     ...)
{
  g_autofree char *path = NULL;
  va_list args;

  va_start (args, format);
  path = g_strdup_vprintf (format, args);
  va_end (args);

  return g_strconcat (pcq_test_server_get_base (self), path, NULL);
}

guint
pcq_test_server_get_in_flight (PcqTestServer *self)
{
  guint result;

  g_mutex_lock (&self->lock);
  result = self->in_flight;
  g_mutex_unlock (&self->lock);

  return result;
}

guint
pcq_test_server_get_max_in_flight (PcqTestServer *self)
{
  guint result;

  g_mutex_lock (&self->lock);
  result = self->max_in_flight;
  g_mutex_unlock (&self->lock);

  return result;
}

guint
pcq_test_server_get_max_in_flight_for_host (PcqTestServer *self,
                                            const char    *host)
{
  guint result;

  g_mutex_lock (&self->lock);
  result = GPOINTER_TO_UINT (g_hash_table_lookup (self->host_max, host));
  g_mutex_unlock (&self->lock);

  return result;
}

guint
pcq_test_server_count_requests (PcqTestServer *self,
                                const char    *path)
{
  guint result = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->log->len; i++)
    {
      LoggedRequest *entry = g_ptr_array_index (self->log, i);

      if (path == NULL || g_str_equal (entry->path, path))
        result++;
    }
  g_mutex_unlock (&self->lock);

  return result;
}

GPtrArray *
pcq_test_server_dup_paths (PcqTestServer *self)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->log->len; i++)
    {
      LoggedRequest *entry = g_ptr_array_index (self->log, i);

      g_ptr_array_add (paths, g_strdup (entry->path));
    }
  g_mutex_unlock (&self->lock);

  return paths;
}

gint64
pcq_test_server_get_request_time (PcqTestServer *self,
                                  const char    *path,
                                  guint          nth)
{
  gint64 result = -1;
  guint seen = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->log->len; i++)
    {
      LoggedRequest *entry = g_ptr_array_index (self->log, i);

      if (g_str_equal (entry->path, path) && seen++ == nth)
        {
          result = entry->time;
          break;
        }
    }
  g_mutex_unlock (&self->lock);

  return result;
}

guint
pcq_test_server_max_in_flight_since (PcqTestServer *self,
                                     gint64         since)
{
  guint result = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->log->len; i++)
    {
      LoggedRequest *entry = g_ptr_array_index (self->log, i);

      if (entry->time >= since)
        result = MAX (result, entry->in_flight);
    }
  g_mutex_unlock (&self->lock);

  return result;
}

char *
pcq_test_server_dup_range (PcqTestServer *self,
                           const char    *path,
                           guint          nth)
{
  char *result = NULL;
  guint seen = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->log->len; i++)
    {
      LoggedRequest *entry = g_ptr_array_index (self->log, i);

      if (g_str_equal (entry->path, path) && seen++ == nth)
        {
          result = g_strdup (entry->range);
          break;
        }
    }
  g_mutex_unlock (&self->lock);

  return result;
}

void
pcq_test_server_set_basic_auth (PcqTestServer *self,
                                const char    *user,
                                const char    *password)
{
  g_autofree char *pair = g_strconcat (user, ":", password, NULL);
  g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));

  g_mutex_lock (&self->lock);
  g_free (self->basic_auth);
  self->basic_auth = g_strconcat ("Basic ", encoded, NULL);
  g_mutex_unlock (&self->lock);
}

/* The Authorization (or Proxy-Authorization) value
 * pcq_test_server_set_basic_auth () makes the server want. */
char *
pcq_test_server_dup_basic_auth (PcqTestServer *self)
{
  char *result;

  g_mutex_lock (&self->lock);
  result = g_strdup (self->basic_auth);
  g_mutex_unlock (&self->lock);

  return result;
}

/**
 * pcq_test_server_dup_header:
 * @nth: which request to @path, from 0
 * @name: a request header's name
 *
 * Returns: (nullable): the value of @name in the @nth request to @path
 *   (several joined with ", "), or %NULL if it had none or there was no
 *   such request
 */
char *
pcq_test_server_dup_header (PcqTestServer *self,
                            const char    *path,
                            guint          nth,
                            const char    *name)
{
  char *result = NULL;
  guint seen = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->log->len; i++)
    {
      LoggedRequest *entry = g_ptr_array_index (self->log, i);

      if (g_str_equal (entry->path, path) && seen++ == nth)
        {
          result = g_strdup (soup_message_headers_get_list (entry->headers, name));
          break;
        }
    }
  g_mutex_unlock (&self->lock);

  return result;
}

char *
pcq_test_server_dup_authorization (PcqTestServer *self,
                                   const char    *path,
                                   guint          nth)
{
  char *result = NULL;
  guint seen = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->log->len; i++)
    {
      LoggedRequest *entry = g_ptr_array_index (self->log, i);

      if (g_str_equal (entry->path, path) && seen++ == nth)
        {
          result = g_strdup (entry->authorization);
          break;
        }
    }
  g_mutex_unlock (&self->lock);

  return result;
}

/**
 * pcq_test_server_set_hold:
 *
 * While @hold is set, slow bodies (`chunk` and `delay`) send no further
 * chunk: every download of one stalls.
 */
void
pcq_test_server_set_hold (PcqTestServer *self,
                          gboolean       hold)
{
  g_mutex_lock (&self->lock);
  self->hold = hold;
  g_mutex_unlock (&self->lock);
}
