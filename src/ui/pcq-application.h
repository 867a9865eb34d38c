/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pcq-engine.h"

G_BEGIN_DECLS

#define PCQ_TYPE_APPLICATION (pcq_application_get_type ())

G_DECLARE_FINAL_TYPE (PcqApplication, pcq_application, PCQ, APPLICATION, AdwApplication)

PcqApplication *pcq_application_new          (const char        *application_id,
                                              GApplicationFlags  flags);
PcqEngine      *pcq_application_get_engine   (PcqApplication    *self);
GSettings      *pcq_application_get_settings (PcqApplication    *self);
GtkWindow      *pcq_application_get_window   (PcqApplication    *self);

void            pcq_application_close_store_async  (PcqApplication      *self,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean        pcq_application_close_store_finish (PcqApplication      *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

char           *pcq_settings_dup_output_dir  (GSettings         *settings);

/* For the tests. */
void            _pcq_application_set_store_path       (PcqApplication *self,
                                                       const char     *path);
gboolean        _pcq_application_get_inhibited        (PcqApplication *self);
const char     *_pcq_application_get_last_notification (PcqApplication *self);

G_END_DECLS
