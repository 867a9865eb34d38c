/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-job.h"
#include "pcq-test-headless.h"
#include "pcq-test-server.h"

G_BEGIN_DECLS

/* The hostile suites' fixture (issue 11). Every case gets a temp tree:
 *
 *   TMP/out/      the output folder: what lands there is asserted exactly
 *   TMP/outside/  canary files a hostile server or input must never reach
 *   TMP/cwd/      pcq's working directory (a relative write lands here)
 *   TMP/home, TMP/config, TMP/state (the store: state/pcq/headless.sqlite)
 *
 * Everything but out/ and state/ is snapshotted (type, mode, size,
 * mtime, content) before pcq runs; hostile_finish() fails the case if
 * anything there changed, appeared or went. */

#define HOSTILE_EXIT_OK          0
#define HOSTILE_EXIT_FAILED      1
#define HOSTILE_EXIT_USAGE       2
#define HOSTILE_EXIT_INTERRUPTED 130

#define HOSTILE_RUN_TIMEOUT_MS 20000

typedef struct _HostileRaw HostileRaw;

typedef struct
{
  char          *tmp;
  char          *out;
  char          *outside;
  char          *cwd;
  char          *home;
  char          *state;
  char          *config;
  char          *canary;    /* outside/canary.txt */
  char          *target;    /* outside/target.txt, what planted links name */
  PcqTestServer *server;
  HostileRaw    *raw;       /* made by the cases that want one */
  GHashTable    *snapshot;  /* relative path → description */
  GPtrArray     *env;       /* extra "NAME=VALUE" for pcq */
  gulong         fsize_limit;  /* RLIMIT_FSIZE of pcq if not 0 */
  gulong         as_limit;     /* RLIMIT_AS of pcq if not 0 */
} HostileCtx;

HostileCtx  *hostile_ctx_new        (void);
void         hostile_ctx_free       (HostileCtx  *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HostileCtx, hostile_ctx_free)

/* Takes the snapshot again (after a case planted files outside out/). */
void         hostile_snapshot       (HostileCtx  *ctx);
void         hostile_assert_outside_unchanged (HostileCtx *ctx);

char        *hostile_write_file     (HostileCtx  *ctx,
                                     const char  *name,
                                     const char  *contents,
                                     gssize       len);
char        *hostile_out_path       (HostileCtx  *ctx,
                                     const char  *name);
char        *hostile_store_path     (HostileCtx  *ctx);
/* .TAG-ID.pcq-part in out/, TAG being named after the store. */
char        *hostile_part_path      (HostileCtx  *ctx,
                                     guint64      id);

PcqTestRun  *hostile_start          (HostileCtx          *ctx,
                                     const char          *stdin_text,
                                     const char * const  *args);
/* Waits, then checks what every case checks: the exit status, no
 * control characters on stdout/stderr, nothing changed outside. */
void         hostile_finish         (HostileCtx  *ctx,
                                     PcqTestRun  *run,
                                     int          status,
                                     guint        timeout_ms);
/* hostile_start + hostile_finish + the summary. */
PcqTestSummary hostile_run          (HostileCtx          *ctx,
                                     const char          *stdin_text,
                                     const char * const  *args,
                                     int                  status);
void         hostile_interrupt      (PcqTestRun  *run);

/* The output folder holds exactly these names (sorted or not). */
void         hostile_assert_out     (HostileCtx  *ctx,
                                     ...) G_GNUC_NULL_TERMINATED;
GPtrArray   *hostile_list_out       (HostileCtx  *ctx);
void         hostile_assert_clean_text (const char *what,
                                        const char *text);
/* The last stdout line is a JSON object with an "error" string. */
void         hostile_assert_error_json (PcqTestRun *run);

/* The store, read with SQLite after pcq exited. */
typedef struct
{
  gint64  id;
  char   *url;
  char   *name;
  int     state;
  gint64  bytes;
  char   *error;
  char   *output_path;
  char   *prompt;
} HostileRow;

GPtrArray   *hostile_store_rows     (HostileCtx  *ctx);
/* Every text of every row is free of control characters, every
 * output_path lies directly in out/. */
void         hostile_assert_store_sane (HostileCtx *ctx,
                                        GPtrArray  *rows);
/* One row in the store with @state; returns it. */
HostileRow  *hostile_assert_one_row (HostileCtx  *ctx,
                                     GPtrArray   *rows,
                                     PcqJobState  state);

/* Adds a case that runs in a process of its own (see
 * pcq_test_add_isolated ()); call pcq_test_init_isolation () first. */
void         hostile_add            (const char    *path,
                                     GTestDataFunc  func,
                                     gconstpointer  data,
                                     guint          timeout_s);
void         hostile_add_simple     (const char    *path,
                                     GTestFunc      func,
                                     guint          timeout_s);

/* A raw-socket server for what a SoupServer cannot send. Each
 * connection gets one request; @func answers it on its own thread. */
typedef struct
{
  HostileRaw  *raw;
  GSocket     *socket;
  char        *path;       /* as sent */
  char        *headers;    /* the whole request head */
  guint        nth;        /* 0-based count of requests for this path */
  gpointer     data;
} HostileConn;

typedef void (*HostileRawFunc) (HostileConn *conn);

HostileRaw  *hostile_raw_new        (HostileRawFunc func,
                                     gpointer       data);
void         hostile_raw_free       (HostileRaw    *raw);
char        *hostile_raw_url        (HostileRaw    *raw,
                                     const char    *path);
guint16      hostile_raw_port       (HostileRaw    *raw);
guint        hostile_raw_count      (HostileRaw    *raw);
/* Sends all of @len bytes (-1: a string); FALSE once the peer is gone
 * or the server stops. */
gboolean     hostile_conn_send      (HostileConn   *conn,
                                     const void    *buf,
                                     gssize         len);
gboolean     hostile_conn_sendf     (HostileConn   *conn,
                                     const char    *format,
                                     ...) G_GNUC_PRINTF (2, 3);
/* Waits @ms, or less if the server stops (then FALSE). */
gboolean     hostile_conn_sleep     (HostileConn   *conn,
                                     guint          ms);
/* Waits until the peer closes the connection or the server stops. */
void         hostile_conn_wait_closed (HostileConn *conn,
                                       guint        max_ms);

G_END_DECLS
