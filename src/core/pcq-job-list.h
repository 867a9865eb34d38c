/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pcq-job.h"

G_BEGIN_DECLS

#define PCQ_TYPE_JOB_LIST (pcq_job_list_get_type ())

G_DECLARE_FINAL_TYPE (PcqJobList, pcq_job_list, PCQ, JOB_LIST, GObject)

/* A GListModel of PcqJob in queue order (by pcq_job_get_position ():
 * submission order unless jobs were moved). Main thread only. */
PcqJobList *pcq_job_list_new    (void);
void        pcq_job_list_append (PcqJobList *self,
                                 PcqJob     *job);
gboolean    pcq_job_list_remove (PcqJobList *self,
                                 PcqJob     *job);
void        pcq_job_list_append_many (PcqJobList *self,
                                      GPtrArray  *jobs);
guint       pcq_job_list_remove_all (PcqJobList *self,
                                     GHRFunc     func,
                                     gpointer    user_data);
gboolean    pcq_job_list_find       (PcqJobList *self,
                                     PcqJob     *job,
                                     guint      *position);
void        pcq_job_list_sort_range (PcqJobList *self,
                                     guint       first,
                                     guint       last);
void        pcq_job_list_move       (PcqJobList *self,
                                     guint       from,
                                     guint       to);
void        pcq_job_list_move_to_end (PcqJobList *self,
                                      guint       position);

G_END_DECLS
