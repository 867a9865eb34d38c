/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pcq-worker.h"

G_BEGIN_DECLS

/* Private to the engine: which run starts when, on which worker
 * thread, and what happens after an attempt (retry, defer, finish).
 * See src/DESIGN.md. */
typedef struct _PcqScheduler PcqScheduler;

/* All called on worker threads. */
typedef struct
{
  /* what the transfers report, given to each worker as it is */
  PcqWorkerCallbacks transfer;
  /* an attempt starts (run->attempts counts it) */
  void (*started)  (PcqRun          *run,
                    gpointer         user_data);
  /* the attempt failed and the run waits for the next one */
  void (*waiting)  (PcqRun          *run,
                    PcqAttempt      *attempt,
                    gpointer         user_data);
  /* the run leaves the scheduler: done, failed or cancelled, or queued
   * again after a forced stop or a pause interrupted it */
  void (*finished) (PcqRun          *run,
                    PcqJobState      state,
                    PcqAttempt      *attempt,
                    gpointer         user_data);
  /* while paused, the last run a worker had went back (after its
   * finished or waiting call) */
  void (*drained)  (gpointer         user_data);
} PcqSchedulerCallbacks;

/* @draining: where the scheduler keeps, atomically, whether its backlog
 * was empty when a loop last took from it (and nothing was pushed
 * since): then every run still to end has been taken. Runs that wait
 * for a retry or for their host are not counted. It must outlive the
 * scheduler: its owner reads it from any thread, whether the scheduler
 * lives or not. */
PcqScheduler *pcq_scheduler_new                (const PcqSchedulerCallbacks *callbacks,
                                                gpointer                     user_data,
                                                guint                        max_active,
                                                guint                        max_api_active,
                                                gint                        *draining);
void          pcq_scheduler_push               (PcqScheduler *self,
                                                PcqRun       *run);
void          pcq_scheduler_reorder            (PcqScheduler *self,
                                                GPtrArray    *runs,
                                                const gint64 *positions);
gboolean      pcq_scheduler_remove             (PcqScheduler *self,
                                                PcqRun       *run);
gboolean      pcq_scheduler_pause              (PcqScheduler *self,
                                                PcqRun       *run);
void          pcq_scheduler_set_paused         (PcqScheduler *self,
                                                gboolean      paused);
void          pcq_scheduler_set_network_hold   (PcqScheduler *self,
                                                gboolean      held);
void          pcq_scheduler_set_hold_loopback  (PcqScheduler *self,
                                                gboolean      hold);
void          pcq_scheduler_set_max_active     (PcqScheduler *self,
                                                guint         max_active);
void          pcq_scheduler_set_max_api_active (PcqScheduler *self,
                                                guint         max_api_active);
void          pcq_scheduler_set_api_rpm        (PcqScheduler *self,
                                                guint         rpm,
                                                gint64        window_us);
void          pcq_scheduler_set_record_checksums (PcqScheduler *self,
                                                  gboolean      record);
void          pcq_scheduler_set_speed_limit    (PcqScheduler *self,
                                                guint         bytes_per_second);
void          pcq_scheduler_set_max_per_host   (PcqScheduler *self,
                                                guint         max_per_host);
void          pcq_scheduler_set_retries        (PcqScheduler *self,
                                                guint         retries);
gboolean      pcq_scheduler_hurry              (PcqScheduler *self,
                                                PcqRun       *run);
void          pcq_scheduler_set_split          (PcqScheduler *self,
                                                guint         split);
void          pcq_scheduler_set_min_speed      (PcqScheduler *self,
                                                guint         bytes_per_second);
void          pcq_scheduler_set_stall_timeout  (PcqScheduler *self,
                                                guint         seconds);
void          pcq_scheduler_set_retry_base_delay (PcqScheduler *self,
                                                  guint         ms);
void          pcq_scheduler_set_api_key        (PcqScheduler *self,
                                                const char   *api_key);
gboolean      pcq_scheduler_has_api_key        (PcqScheduler *self);
char         *pcq_scheduler_dup_api_key        (PcqScheduler *self);
void          pcq_scheduler_refuse_api_key     (PcqScheduler *self,
                                                const char   *message);
void          pcq_scheduler_set_nice           (PcqScheduler *self,
                                                int           nice);
void          pcq_scheduler_interrupt          (PcqScheduler *self,
                                                PcqRun       *run);
gboolean      pcq_scheduler_has_taken          (PcqScheduler *self);
void          pcq_scheduler_stop               (PcqScheduler *self);
/* Blocks until every worker thread has ended: never on the main thread. */
void          pcq_scheduler_free               (PcqScheduler *self);

G_END_DECLS
