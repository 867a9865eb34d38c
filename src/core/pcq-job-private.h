/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pcq-job.h"
#include "pcq-store.h"

G_BEGIN_DECLS

/* Setters for the engine. Main thread only; each notifies only on change. */
void _pcq_job_set_state       (PcqJob      *self,
                               PcqJobState  state);
void _pcq_job_set_progress    (PcqJob      *self,
                               gint64       bytes,
                               gint64       total);
void _pcq_job_set_attempts    (PcqJob      *self,
                               guint        attempts);
void _pcq_job_set_error       (PcqJob      *self,
                               const char  *error);
void _pcq_job_set_output_path (PcqJob      *self,
                               const char  *path);
void _pcq_job_set_commit_note (PcqJob      *self,
                               const char  *note);
void _pcq_job_set_retry_at    (PcqJob      *self,
                               gint64       at,
                               gboolean     asked);
void _pcq_job_set_needs_setup (PcqJob      *self,
                               gboolean     needs_setup);
void _pcq_job_set_needs_sign_in (PcqJob    *self,
                                 gboolean   needs_sign_in);
void _pcq_job_set_usage       (PcqJob      *self,
                               gint64       prompt_tokens,
                               gint64       completion_tokens);

PcqJob     *_pcq_job_new_from_record (const PcqStoreRecord *record);
void        _pcq_job_to_record       (PcqJob               *self,
                                      PcqStoreRecord       *record);
void        _pcq_job_set_headers     (PcqJob               *self,
                                      const char * const   *headers);
void        _pcq_job_set_sha256      (PcqJob               *self,
                                      const char           *sha256);
void        _pcq_job_set_started     (PcqJob               *self,
                                      gint64                unix_seconds);
void        _pcq_job_set_http_status (PcqJob               *self,
                                      guint                 status);
const char *_pcq_job_get_validator   (PcqJob               *self);
const guint64 *_pcq_job_get_id_key   (PcqJob               *self);
void        _pcq_job_set_validator   (PcqJob               *self,
                                      const char           *validator);
void        _pcq_job_set_position    (PcqJob               *self,
                                      gint64                position);

G_END_DECLS
