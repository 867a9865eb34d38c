/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "pcq-job.h"

G_BEGIN_DECLS

/* Pure text helpers for the window. No widget, no engine: each one is
 * tested on its own (tests/ui/test-closures.c). Strings are translated. */

char       *pcq_format_counts          (gboolean     paused,
                                        guint        n_queued,
                                        guint        n_running,
                                        guint        n_finished,
                                        guint        n_failed);
char       *pcq_format_duration        (guint64      seconds);
char       *pcq_format_detail          (PcqJobState  state,
                                        gint64       bytes,
                                        gint64       total,
                                        double       bytes_per_second,
                                        guint        attempts,
                                        guint        max_attempts);
char       *pcq_format_tokens          (gint64       prompt_tokens,
                                        gint64       completion_tokens);
char       *pcq_format_token_sums      (gint64       prompt_tokens,
                                        gint64       completion_tokens);
char       *pcq_format_job_name        (const char  *name,
                                        const char  *output_path,
                                        const char  *url);
const char *pcq_job_state_icon_name    (PcqJobState  state);
const char *pcq_job_state_label        (PcqJobState  state);
char       *pcq_format_close_body      (guint        n_active,
                                        guint        n_queued);
char       *pcq_format_close_banner    (guint        n_pending);
char       *pcq_format_finished        (guint        n_done,
                                        guint        n_failed);
char       *pcq_format_rejected        (guint        n_rejected);
char       *pcq_format_added           (guint        n_added);
char       *pcq_format_file_problem    (const GError *error,
                                        const char  *fallback);
char       *pcq_format_retried         (guint        n_retried);
char       *pcq_format_duplicates      (guint        n_duplicates,
                                        guint        n_links);

G_END_DECLS
