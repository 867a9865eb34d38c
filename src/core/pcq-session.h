/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-defaults.h"
#include "pcq-engine.h"

G_BEGIN_DECLS

#define PCQ_TYPE_SESSION (pcq_session_get_type ())

G_DECLARE_FINAL_TYPE (PcqSession, pcq_session, PCQ, SESSION, GObject)

void        pcq_session_new_async        (PcqEngine            *engine,
                                          const char           *path,
                                          guint                 history_days,
                                          PcqRestoreFlags       restore,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
PcqSession *pcq_session_new_finish       (GAsyncResult         *result,
                                          GError              **error);
PcqSession *pcq_session_new_sync         (PcqEngine            *engine,
                                          const char           *path,
                                          guint                 history_days,
                                          PcqRestoreFlags       restore,
                                          GCancellable         *cancellable,
                                          GError              **error);

PcqEngine  *pcq_session_get_engine       (PcqSession           *self);
const char *pcq_session_get_path         (PcqSession           *self);
const char *pcq_session_get_notice       (PcqSession           *self);
guint       pcq_session_get_n_held_back  (PcqSession           *self);

void        pcq_session_close            (PcqSession           *self);
void        pcq_session_close_async      (PcqSession           *self,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean    pcq_session_close_finish     (PcqSession           *self,
                                          GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
