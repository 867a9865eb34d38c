/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-job.h"
#include "pcq-store.h"

G_BEGIN_DECLS

typedef enum
{
  PCQ_SHUTDOWN_WAIT,   /* let the backlog drain, then stop */
  PCQ_SHUTDOWN_FORCE,  /* cancel running jobs, keep queued ones, stop */
} PcqShutdownMode;

typedef enum /*< flags >*/
{
  PCQ_RESTORE_FINISHED   = 1 << 0,  /* show the history */
  PCQ_RESTORE_UNFINISHED = 1 << 1,  /* queue what did not finish, and run it */
} PcqRestoreFlags;

/* Where pcq_engine_move_job() moves a job among the queued ones. */
typedef enum
{
  PCQ_MOVE_TOP,
  PCQ_MOVE_UP,
  PCQ_MOVE_DOWN,
  PCQ_MOVE_BOTTOM,
} PcqMove;

#define PCQ_ENGINE_MAX_ACTIVE_LIMIT 64
/* The most API requests a minute a limit may allow. */
#define PCQ_ENGINE_API_RPM_LIMIT 100000

/* One frame at 60 Hz: the dispatch interval both front ends set
 * (pcq_engine_set_dispatch_interval ()). */
#define PCQ_ENGINE_FRAME_INTERVAL (16 * G_TIME_SPAN_MILLISECOND)

#define PCQ_TYPE_ENGINE (pcq_engine_get_type ())

G_DECLARE_FINAL_TYPE (PcqEngine, pcq_engine, PCQ, ENGINE, GObject)

/* The producer side of the queue. Every call here, every property notify
 * and every signal happens on the thread whose default main context was
 * current when the engine was created (the main thread). */
PcqEngine  *pcq_engine_new                  (void);
GListModel *pcq_engine_get_jobs             (PcqEngine           *self);
void        pcq_engine_set_store            (PcqEngine           *self,
                                             PcqStore            *store);
void        pcq_engine_restore              (PcqEngine           *self,
                                             GPtrArray           *records,
                                             PcqRestoreFlags      flags);
PcqJob     *pcq_engine_submit               (PcqEngine           *self,
                                             const char          *url,
                                             const char          *output_dir,
                                             const char          *name);
PcqJob     *pcq_engine_submit_checked       (PcqEngine           *self,
                                             const char          *url,
                                             const char          *output_dir,
                                             const char          *name,
                                             const char          *sha256);
PcqJob     *pcq_engine_submit_download      (PcqEngine           *self,
                                             const char          *url,
                                             const char          *output_dir,
                                             const char          *name,
                                             const char          *sha256,
                                             const char * const  *headers);
PcqJob     *pcq_engine_submit_prompt        (PcqEngine           *self,
                                             const char          *prompt,
                                             const char          *output_dir,
                                             const char          *name);
PcqJob     *pcq_engine_submit_request       (PcqEngine           *self,
                                             const char          *body,
                                             const char          *output_dir,
                                             const char          *name);
char       *pcq_engine_reserve_name         (PcqEngine           *self,
                                             const char          *output_dir,
                                             const char          *name,
                                             GError             **error);
void        pcq_engine_cancel               (PcqEngine           *self,
                                             PcqJob              *job);
gboolean    pcq_engine_pause_job            (PcqEngine           *self,
                                             PcqJob              *job);
gboolean    pcq_engine_resume_job           (PcqEngine           *self,
                                             PcqJob              *job);
gboolean    pcq_engine_retry_now            (PcqEngine           *self,
                                             PcqJob              *job);
gboolean    pcq_engine_retry                (PcqEngine           *self,
                                             PcqJob              *job);
gboolean    pcq_engine_can_move_job         (PcqEngine           *self,
                                             PcqJob              *job,
                                             PcqMove              where);
gboolean    pcq_engine_move_job             (PcqEngine           *self,
                                             PcqJob              *job,
                                             PcqMove              where);
gboolean    pcq_engine_move_job_to          (PcqEngine           *self,
                                             PcqJob              *job,
                                             PcqJob              *other);
PcqJob     *pcq_engine_lookup_job           (PcqEngine           *self,
                                             guint64              id);
void        pcq_engine_remove               (PcqEngine           *self,
                                             PcqJob              *job);
guint       pcq_engine_clear_finished       (PcqEngine           *self);
gboolean    pcq_engine_get_paused           (PcqEngine           *self);
void        pcq_engine_set_paused           (PcqEngine           *self,
                                             gboolean             paused);
guint       pcq_engine_get_max_active       (PcqEngine           *self);
void        pcq_engine_set_max_active       (PcqEngine           *self,
                                             guint                max_active);
guint       pcq_engine_get_max_api_active   (PcqEngine           *self);
void        pcq_engine_set_max_api_active   (PcqEngine           *self,
                                             guint                max_api_active);
guint       pcq_engine_get_max_per_host     (PcqEngine           *self);
void        pcq_engine_set_max_per_host     (PcqEngine           *self,
                                             guint                max_per_host);
guint       pcq_engine_get_retries          (PcqEngine           *self);
void        pcq_engine_set_retries          (PcqEngine           *self,
                                             guint                retries);
guint       pcq_engine_get_split            (PcqEngine           *self);
void        pcq_engine_set_split            (PcqEngine           *self,
                                             guint                split);
guint       pcq_engine_get_min_speed        (PcqEngine           *self);
void        pcq_engine_set_min_speed        (PcqEngine           *self,
                                             guint                bytes_per_second);
gint64      pcq_engine_get_start_at         (PcqEngine           *self);
void        pcq_engine_set_start_at         (PcqEngine           *self,
                                             gint64               unix_seconds);
guint       pcq_engine_get_api_rpm          (PcqEngine           *self);
void        pcq_engine_set_api_rpm          (PcqEngine           *self,
                                             guint                rpm);
void        _pcq_engine_set_api_rpm_window  (PcqEngine           *self,
                                             guint                window_ms);
gboolean    pcq_engine_get_record_checksums (PcqEngine           *self);
void        pcq_engine_set_record_checksums (PcqEngine           *self,
                                             gboolean             record);
guint       pcq_engine_get_speed_limit      (PcqEngine           *self);
void        pcq_engine_set_speed_limit      (PcqEngine           *self,
                                             guint                bytes_per_second);
guint       pcq_engine_get_stall_timeout    (PcqEngine           *self);
void        pcq_engine_set_stall_timeout    (PcqEngine           *self,
                                             guint                seconds);
const char *pcq_engine_get_api_base         (PcqEngine           *self);
void        pcq_engine_set_api_base         (PcqEngine           *self,
                                             const char          *base);
const char *pcq_engine_get_model            (PcqEngine           *self);
void        pcq_engine_set_model            (PcqEngine           *self,
                                             const char          *model);
const char *pcq_engine_get_system_prompt    (PcqEngine           *self);
void        pcq_engine_set_system_prompt    (PcqEngine           *self,
                                             const char          *system_prompt);
gboolean    pcq_engine_get_commit_results   (PcqEngine           *self);
void        pcq_engine_set_commit_results   (PcqEngine           *self,
                                             gboolean             commit_results);
gboolean    pcq_engine_has_api_key          (PcqEngine           *self);
void        pcq_engine_set_api_key          (PcqEngine           *self,
                                             const char          *api_key);
void        pcq_engine_refuse_api_key       (PcqEngine           *self,
                                             const GError        *error);
const char *pcq_engine_get_api_key_error    (PcqEngine           *self);
void        pcq_engine_get_tokens           (PcqEngine           *self,
                                             gint64              *prompt_tokens,
                                             gint64              *completion_tokens);
void        pcq_engine_list_models_async    (PcqEngine           *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GStrv       pcq_engine_list_models_finish   (PcqEngine           *self,
                                             GAsyncResult        *result,
                                             GError             **error);
guint       pcq_engine_get_n_queued         (PcqEngine           *self);
guint       pcq_engine_get_n_active         (PcqEngine           *self);
guint       pcq_engine_get_n_done           (PcqEngine           *self);
guint       pcq_engine_get_n_failed         (PcqEngine           *self);
guint       pcq_engine_get_n_cancelled      (PcqEngine           *self);
guint       pcq_engine_get_n_paused         (PcqEngine           *self);
guint64     pcq_engine_get_bytes_per_second (PcqEngine           *self);
guint64     pcq_engine_get_bytes_done       (PcqEngine           *self);
void        pcq_engine_set_dispatch_interval (PcqEngine          *self,
                                             gint64               interval_us);
void        pcq_engine_set_threads_in_background (PcqEngine      *self);
void        pcq_engine_set_network_monitor  (PcqEngine           *self,
                                             GNetworkMonitor     *monitor);
gboolean    pcq_engine_get_offline          (PcqEngine           *self);
gboolean    pcq_engine_get_metered          (PcqEngine           *self);
gboolean    pcq_engine_get_download_on_metered (PcqEngine        *self);
void        pcq_engine_set_download_on_metered (PcqEngine        *self,
                                             gboolean             download);
gboolean    pcq_engine_get_network_held     (PcqEngine           *self);
void        _pcq_engine_set_hold_loopback   (PcqEngine           *self,
                                             gboolean             hold);
guint       _pcq_engine_get_n_accepting     (PcqEngine           *self);
void        pcq_engine_shutdown_async       (PcqEngine           *self,
                                             PcqShutdownMode      mode,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean    pcq_engine_shutdown_finish      (PcqEngine           *self,
                                             GAsyncResult        *result,
                                             GError             **error);

G_END_DECLS
