/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pcq-application.h"

G_BEGIN_DECLS

#define PCQ_TYPE_PREFERENCES_WINDOW (pcq_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (PcqPreferencesWindow, pcq_preferences_window, PCQ, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

PcqPreferencesWindow *pcq_preferences_window_new      (PcqApplication       *application);
void                  pcq_preferences_window_show_api (PcqPreferencesWindow *self);

G_END_DECLS
