/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pcq-job.h"

G_BEGIN_DECLS

#define PCQ_TYPE_JOB_ROW (pcq_job_row_get_type ())

/* How long the round button ignores clicks after it changed */
#define PCQ_JOB_ROW_BUTTON_GUARD_MS 1000

G_DECLARE_FINAL_TYPE (PcqJobRow, pcq_job_row, PCQ, JOB_ROW, GtkWidget)

PcqJob     *pcq_job_row_get_job         (PcqJobRow *self);
void        pcq_job_row_set_job         (PcqJobRow *self,
                                         PcqJob    *job);
void        pcq_job_row_popup_menu      (PcqJobRow *self);
const char *pcq_job_row_get_detail_text (PcqJobRow *self);
const char *pcq_job_row_get_title_text  (PcqJobRow *self);
const char *pcq_job_row_get_source_text (PcqJobRow *self);
gboolean    pcq_job_row_get_shows_prompt (PcqJobRow *self);
const char *pcq_job_row_get_note_text   (PcqJobRow *self);
const char *pcq_job_row_get_error_text  (PcqJobRow *self);
GtkWidget  *pcq_job_row_get_action_button (PcqJobRow *self);
const char *pcq_job_row_get_action_tooltip (PcqJobRow *self);

/* How long a just added task's row stands out */
#define PCQ_JOB_ROW_NEW_MS 2000

void        pcq_job_row_mark_new        (PcqJob    *job);
gint64      pcq_job_row_get_new_until   (PcqJob    *job);
void        pcq_job_row_update_new      (PcqJobRow *self);
gboolean    pcq_job_row_get_stands_out  (PcqJobRow *self);

G_END_DECLS
