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

/**
 * PcqApiKeySource:
 * @PCQ_API_KEY_NONE: API tasks are sent without a key
 * @PCQ_API_KEY_KEYRING: the key stored in the keyring
 * @PCQ_API_KEY_ENVIRONMENT: PCQ_API_KEY, which the keyring cannot override
 * @PCQ_API_KEY_SESSION: a key typed in while no keyring was available,
 *   kept in memory until Pcq closes
 */
typedef enum
{
  PCQ_API_KEY_NONE,
  PCQ_API_KEY_KEYRING,
  PCQ_API_KEY_ENVIRONMENT,
  PCQ_API_KEY_SESSION,
} PcqApiKeySource;

#define PCQ_TYPE_API_KEY_SOURCE (pcq_api_key_source_get_type ())
GType pcq_api_key_source_get_type (void) G_GNUC_CONST;

PcqApplication *pcq_application_new          (const char        *application_id,
                                              GApplicationFlags  flags);
PcqEngine      *pcq_application_get_engine   (PcqApplication    *self);
GSettings      *pcq_application_get_settings (PcqApplication    *self);
GtkWindow      *pcq_application_get_window   (PcqApplication    *self);

PcqApiKeySource pcq_application_get_api_key_source (PcqApplication      *self);
void            pcq_application_save_api_key_async   (PcqApplication      *self,
                                                      const char          *api_key,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        pcq_application_save_api_key_finish  (PcqApplication      *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
void            pcq_application_remove_api_key_async (PcqApplication      *self,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        pcq_application_remove_api_key_finish (PcqApplication     *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);

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
