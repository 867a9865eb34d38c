/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-job.h"

G_BEGIN_DECLS

/* A report of what happened: one JSON object per task (JSON Lines), the
 * same fields for `pcq --headless --report` and the window's Export
 * Report… and task details. */
GPtrArray *pcq_report_jobs      (GListModel   *model);
char     *pcq_report_line       (PcqJob       *job);
char     *pcq_report_url        (const char   *url);
char     *pcq_report_time       (gint64        unix_seconds);
GBytes   *pcq_report_text       (GPtrArray    *jobs);
gboolean  pcq_report_write      (const char   *path,
                                 GBytes       *text,
                                 GError      **error);
gboolean  pcq_report_write_file (const char   *path,
                                 GPtrArray    *jobs,
                                 GError      **error);

G_END_DECLS
