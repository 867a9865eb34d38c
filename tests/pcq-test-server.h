/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A loopback HTTP server for the tests. It runs a SoupServer in its own
 * thread with its own GMainContext, so the test's thread spins its own
 * loop freely. It listens on 127.0.0.1 on a free port.
 *
 * Routes (paths are matched on their first segment; the last segment of
 * the path is what a client would use as the file name):
 *
 *   /data/…/NAME     200 with `size` bytes (default 1024) of generated
 *                    content (pcq_test_content_byte() with `seed`,
 *                    default 0) and a Content-Length.
 *                    `chunk` + `delay`: send `chunk` bytes every `delay`
 *                    ms (slow body).
 *                    `stall=M`: send M bytes, then nothing (headers and
 *                    Content-Length still announce `size`).
 *                    `chunked=1`: chunked encoding, no Content-Length
 *                    (with `stall`, the body never ends).
 *                    `cd=VALUE`: Content-Disposition header.
 *                    `etag=1`: a strong ETag (made of seed and size);
 *                    then a Range is answered with 206 unless If-Range
 *                    names another ETag (a streamed body, `chunk` or
 *                    `stall`, answers one range itself), and
 *                    `Accept-Ranges: bytes` is sent unless `noranges=1`;
 *                    `badrange=1` ignores every Range (200, whole body).
 *                    Without it, Range is ignored.
 *   /                the same as /data with the defaults.
 *   /status/CODE/…   that status, its reason phrase and a small body.
 *                    `retry_after=S` adds a Retry-After header.
 *   /flaky/KEY/…     the first `fail` requests to this exact path fail,
 *                    later ones are answered as /data (with `ok_seed`
 *                    instead of `seed` if given: "the file changed").
 *                    How they fail: `code=C` (default 503) with
 *                    `retry_after=S` (seconds) or `retry_date=S` (an HTTP
 *                    date S seconds ahead); or `mode=close` (the body is
 *                    cut after half of `size` bytes and the connection
 *                    closed; `etag=1` adds an ETag) or `mode=reset` (the
 *                    same with a TCP reset); or `mode=slow` (they do not
 *                    fail, they are sent 1 KiB per 100 ms).
 *   /redirect/N/…    302 to /redirect/N-1/… (query kept); N = 0 is /data.
 *   /loop/a, /loop/b 302 to each other, forever.
 *   /short/…/NAME    announces `size` bytes but sends only `send` bytes,
 *                    then closes the connection (`reset=1`: TCP reset;
 *                    `announce=N`: Content-Length N instead of `size`).
 *   /hang/…          reads the request and never answers.
 *   /auth/…/NAME     as /data, but only with the Authorization that
 *                    pcq_test_server_set_basic_auth() set (else a 401
 *                    asking for Basic, or with `challenge=TEXT` as its
 *                    WWW-Authenticate); with `to=URL`, a 302 to URL.
 *   /proxy-auth/…/NAME as /auth/, but as a proxy for a URL whose host is
 *                    anything: Proxy-Authorization, else a 407 with
 *                    Proxy-Authenticate.
 *
 * Anything else is a 404. Every request is logged (path as sent, arrival
 * time) and counted while in flight. Stalled and hanging requests are
 * closed at the latest after 30 s, and when the server is freed.
 */

typedef struct _PcqTestServer PcqTestServer;

PcqTestServer *pcq_test_server_new                 (void);
PcqTestServer *pcq_test_server_new_tls             (void);
GTlsDatabase  *pcq_test_tls_database               (void);
void           pcq_test_server_free                (PcqTestServer *self);

const char    *pcq_test_server_get_base            (PcqTestServer *self);
guint16        pcq_test_server_get_port            (PcqTestServer *self);
char          *pcq_test_server_url                 (PcqTestServer *self,
                                                    const char    *format,
                                                    ...) G_GNUC_PRINTF (2, 3);

/* Requests whose handler ran and whose response is not finished yet. */
guint          pcq_test_server_get_in_flight       (PcqTestServer *self);
guint          pcq_test_server_get_max_in_flight   (PcqTestServer *self);
/* The most requests in flight at once whose Host header (without the
 * port) was @host: "127.0.0.1" and "localhost" reach the same server
 * as two hosts. */
guint          pcq_test_server_get_max_in_flight_for_host (PcqTestServer *self,
                                                           const char    *host);

/* Requests received for @path (exact, as sent), or all if @path is NULL. */
guint          pcq_test_server_count_requests      (PcqTestServer *self,
                                                    const char    *path);
/* Paths of all requests, in arrival order. */
GPtrArray     *pcq_test_server_dup_paths           (PcqTestServer *self);
/* Monotonic arrival time (µs) of the @nth (0-based) request for @path,
 * or -1. */
gint64         pcq_test_server_get_request_time    (PcqTestServer *self,
                                                    const char    *path,
                                                    guint          nth);

/* The most requests in flight seen by any request that arrived at or
 * after @since (monotonic µs), counting itself. */
guint          pcq_test_server_max_in_flight_since (PcqTestServer *self,
                                                    gint64         since);
/* The Range header of the @nth request for @path, or NULL. */
char          *pcq_test_server_dup_range           (PcqTestServer *self,
                                                    const char    *path,
                                                    guint          nth);
/* The Authorization header of the @nth request for @path, or NULL. */
char          *pcq_test_server_dup_authorization   (PcqTestServer *self,
                                                    const char    *path,
                                                    guint          nth);
char          *pcq_test_server_dup_header          (PcqTestServer *self,
                                                    const char    *path,
                                                    guint          nth,
                                                    const char    *name);
/* The user and password /auth/ and /proxy-auth/ want, as HTTP Basic. */
void           pcq_test_server_set_basic_auth      (PcqTestServer *self,
                                                    const char    *user,
                                                    const char    *password);
char          *pcq_test_server_dup_basic_auth      (PcqTestServer *self);
/* While @hold is set, slow bodies send no further chunk. */
void           pcq_test_server_set_hold            (PcqTestServer *self,
                                                    gboolean       hold);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqTestServer, pcq_test_server_free)

/* The generated content: byte @offset of the body made with @seed. */
guint8         pcq_test_content_byte               (guint          seed,
                                                    guint64        offset);
void           pcq_test_content_fill               (guint          seed,
                                                    guint64        offset,
                                                    guint8        *buf,
                                                    gsize          len);
/* TRUE if the file at @path is exactly the @size bytes made with @seed;
 * otherwise @why (if not NULL) says what differs. */
gboolean       pcq_test_content_matches            (const char    *path,
                                                    guint          seed,
                                                    gsize          size,
                                                    char         **why);

#define pcq_test_assert_content(path, seed, size)                               \
  G_STMT_START                                                                  \
    {                                                                           \
      char *pcq_why_ = NULL;                                                    \
      if (!pcq_test_content_matches ((path), (seed), (size), &pcq_why_))        \
        {                                                                       \
          char *pcq_msg_ = g_strdup_printf ("content of %s: %s",                \
                                            (const char *) (path), pcq_why_);   \
          g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,     \
                               pcq_msg_);                                       \
          g_free (pcq_msg_);                                                    \
        }                                                                       \
      g_free (pcq_why_);                                                        \
    }                                                                           \
  G_STMT_END

G_END_DECLS
