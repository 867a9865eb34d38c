/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  PCQ_JOB_QUEUED,
  PCQ_JOB_ACTIVE,
  PCQ_JOB_DONE,
  PCQ_JOB_FAILED,
  PCQ_JOB_CANCELLED,
  PCQ_JOB_PAUSED,     /* last: the store keeps states as numbers */
} PcqJobState;

/* See pcq_job_state_info (). */
typedef struct
{
  PcqJobState  state;
  const char  *name;         /* as in logs and the store's text */
  gboolean     finished;     /* will not run again by itself */
  PcqJobState  restored_as;  /* when the queue is loaded again */
} PcqJobStateInfo;

typedef enum
{
  PCQ_JOB_DOWNLOAD,  /* GET a URL into a file */
  PCQ_JOB_ASK,       /* POST a prompt to a chat-completions endpoint, save the answer */
  PCQ_JOB_BATCH,     /* POST a given chat-completions request body (its JSON is the
                      * job's prompt), save the answer */
} PcqJobKind;

#define PCQ_TYPE_JOB (pcq_job_get_type ())

G_DECLARE_FINAL_TYPE (PcqJob, pcq_job, PCQ, JOB, GObject)

/* One task: what to fetch and where (fixed at creation) and how far it got
 * (changed by the engine, on the main thread only). */
PcqJob      *pcq_job_new             (guint64     id,
                                      const char *url,
                                      const char *output_dir,
                                      const char *name);
PcqJob      *pcq_job_new_api         (guint64     id,
                                      PcqJobKind  kind,
                                      const char *text,
                                      const char *endpoint,
                                      const char *output_dir,
                                      const char *name);
guint64      pcq_job_get_id          (PcqJob     *self);
PcqJobKind   pcq_job_get_kind        (PcqJob     *self);
const char  *pcq_job_get_prompt      (PcqJob     *self);
const char  *pcq_job_get_url         (PcqJob     *self);
const char  *pcq_job_get_output_dir  (PcqJob     *self);
const char  *pcq_job_get_name        (PcqJob     *self);
PcqJobState  pcq_job_get_state       (PcqJob     *self);
gint64       pcq_job_get_bytes       (PcqJob     *self);
gint64       pcq_job_get_total       (PcqJob     *self);
guint        pcq_job_get_attempts    (PcqJob     *self);
const char  *pcq_job_get_error       (PcqJob     *self);
const char  *pcq_job_get_output_path (PcqJob     *self);
const char  *pcq_job_get_commit_note (PcqJob     *self);
const char  *pcq_job_get_sha256      (PcqJob     *self);
const char * const *pcq_job_get_headers (PcqJob  *self);
gboolean     pcq_job_get_headers_lost (PcqJob    *self);
const char * const *pcq_job_get_secret_names (PcqJob *self);
gboolean     pcq_header_is_secret    (const char *name);
gint64       pcq_job_get_started     (PcqJob     *self);
gint64       pcq_job_get_finished    (PcqJob     *self);
guint        pcq_job_get_http_status (PcqJob     *self);
gint64       pcq_job_get_prompt_tokens     (PcqJob *self);
gint64       pcq_job_get_completion_tokens (PcqJob *self);
gint64       pcq_job_get_retry_at    (PcqJob     *self,
                                      gboolean   *asked);
char        *pcq_job_dup_wait_text   (PcqJob     *self);
gboolean     pcq_job_is_finished     (PcqJob     *self);
gboolean     pcq_job_get_needs_sign_in (PcqJob   *self);
gboolean     pcq_job_get_needs_setup (PcqJob     *self);
gint64       pcq_job_get_position    (PcqJob     *self);

const char  *pcq_job_state_to_string (PcqJobState state);
const PcqJobStateInfo *pcq_job_state_info (PcqJobState state);

G_END_DECLS
