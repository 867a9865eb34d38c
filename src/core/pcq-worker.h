/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-rate-limit.h"
#include "pcq-run.h"

G_BEGIN_DECLS

/* One worker thread's transfers. A worker runs several runs at once
 * with libsoup's async API on its own GMainContext (pushed as the
 * thread default when the worker is made) and its own SoupSessions.
 * Everything here, callbacks included, happens on that thread. */
typedef struct _PcqWorker PcqWorker;

typedef struct
{
  /* run->bytes and run->total changed */
  void (*progress) (PcqRun          *run,
                    gpointer         user_data);
  /* run->output_path and run->validator were just chosen (nothing
   * waits for this) */
  void (*named)    (PcqRun          *run,
                    gpointer         user_data);
  /* the body is complete in run->part_path, for run->output_path:
   * returns TRUE if the store takes it from here (records the name,
   * moves the file, commits the job as done), FALSE to have the worker
   * move it */
  gboolean (*hand_over) (PcqRun     *run,
                         gpointer    user_data);
} PcqWorkerCallbacks;

/* The attempt is over: @run goes back to the caller. */
typedef void (*PcqWorkerDoneFunc) (PcqWorker  *worker,
                                   PcqRun     *run,
                                   PcqOutcome  outcome,
                                   PcqAttempt *attempt,
                                   gpointer    user_data);

PcqWorker    *pcq_worker_new           (const PcqWorkerCallbacks *callbacks,
                                        gpointer                  user_data,
                                        PcqWorkerDoneFunc         done,
                                        gpointer                  done_data,
                                        PcqRateLimit             *limit);
GMainContext *pcq_worker_get_context   (PcqWorker                *self);
guint         pcq_worker_get_n_running (PcqWorker                *self);
void          pcq_worker_warm_up       (PcqWorker                *self,
                                        guint                     stall_timeout);
void          pcq_worker_start         (PcqWorker                *self,
                                        PcqRun                   *run,
                                        guint                     stall_timeout,
                                        guint                     min_speed,
                                        gboolean                  record_checksum,
                                        guint                     split);
void          pcq_worker_free          (PcqWorker                *self);

/* Tests only: every response body is read through what @filter makes
 * of it (it takes the body and returns a new reference), so that a test
 * can feed the worker errors a real server cannot provoke on every
 * libsoup. Process-wide; NULL removes it. */
typedef GInputStream *(*PcqBodyFilter) (GInputStream *body);

void          _pcq_worker_set_body_filter (PcqBodyFilter         filter);

/* Tests only: every response counts as one over HTTP/2, which
 * SoupServer 3.2 cannot speak. Process-wide. */
void          _pcq_worker_set_all_http2   (gboolean              all_http2);

/* Tests only: the sessions made from now on trust @database (NULL: the
 * system's certificates) — a loopback HTTPS server's test CA. */
void          _pcq_worker_set_tls_database (GTlsDatabase         *database);

/* Tests only: the sessions made from now on find their proxies with
 * @resolver (NULL: GIO's default). */
void          _pcq_worker_set_proxy_resolver (GProxyResolver     *resolver);

G_END_DECLS
