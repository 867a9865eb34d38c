/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pcq-engine.h"

G_BEGIN_DECLS

#define PCQ_TYPE_WINDOW (pcq_window_get_type ())

G_DECLARE_FINAL_TYPE (PcqWindow, pcq_window, PCQ, WINDOW, AdwApplicationWindow)

PcqWindow *pcq_window_new         (GtkApplication *application,
                                   PcqEngine      *engine,
                                   GSettings      *settings);
PcqEngine *pcq_window_get_engine  (PcqWindow      *self);
guint      pcq_window_add_text    (PcqWindow      *self,
                                   const char     *text,
                                   GString        *rejected);
void       pcq_window_add_files   (PcqWindow      *self,
                                   GFile         **files,
                                   guint           n_files,
                                   const char     *output_dir);
PcqJob    *pcq_window_ask         (PcqWindow      *self,
                                   const char     *prompt);
gboolean   pcq_window_is_closing  (PcqWindow      *self);
gboolean   pcq_window_is_in_background (PcqWindow *self);

G_END_DECLS
