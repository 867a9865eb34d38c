/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pcq-job.h"

G_BEGIN_DECLS

#define PCQ_TYPE_ANSWER_WINDOW (pcq_answer_window_get_type ())

G_DECLARE_FINAL_TYPE (PcqAnswerWindow, pcq_answer_window, PCQ, ANSWER_WINDOW, AdwWindow)

PcqAnswerWindow *pcq_answer_window_new      (GtkWindow       *parent,
                                             PcqJob          *job);

/* For the tests. */
const char      *_pcq_answer_window_get_text (PcqAnswerWindow *self);

G_END_DECLS
