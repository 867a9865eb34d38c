/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pcq-launcher.h"
#include "pcq-window.h"

G_BEGIN_DECLS

/* For the row and the tests. */
PcqEngine  *_pcq_window_get_engine       (PcqWindow  *self);
gboolean    _pcq_window_retry_job        (PcqWindow  *self,
                                          PcqJob     *job);
void        _pcq_window_open_job         (PcqWindow  *self,
                                          PcqJob     *job,
                                          gboolean    in_folder);
guint       _pcq_window_remove_jobs     (PcqWindow  *self,
                                         GPtrArray  *jobs);
gboolean    _pcq_window_cancel_job      (PcqWindow  *self,
                                         PcqJob     *job);
AdwToast   *_pcq_window_toast            (PcqWindow  *self,
                                          const char *title);

GtkEditable *_pcq_window_get_entry       (PcqWindow  *self);
GtkWidget   *_pcq_window_get_list_view   (PcqWindow  *self);
GtkWidget   *_pcq_window_get_mode_button (PcqWindow  *self,
                                          const char *mode);
GListModel  *_pcq_window_get_shown_jobs  (PcqWindow  *self);
const char  *_pcq_window_get_subtitle    (PcqWindow  *self);
const char  *_pcq_window_get_last_toast  (PcqWindow  *self);
AdwToast    *_pcq_window_get_last_toast_object (PcqWindow *self);
void         _pcq_window_set_launcher    (PcqWindow   *self,
                                          PcqLauncher *launcher);
GtkWindow   *_pcq_window_get_close_dialog (PcqWindow *self);
GtkWindow   *_pcq_window_get_metered_dialog (PcqWindow *self);
GtkWindow   *_pcq_window_get_duplicate_dialog (PcqWindow *self);
gboolean     _pcq_window_get_banner_revealed (PcqWindow *self);
const char  *_pcq_window_get_banner_text (PcqWindow  *self);
const char  *_pcq_window_get_filter_label (PcqWindow *self,
                                           const char *filter);

G_END_DECLS
