/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PCQ_LAUNCHER_ERROR (pcq_launcher_error_quark ())

typedef enum
{
  PCQ_LAUNCHER_ERROR_NO_APP,   /* no app is installed for the file's type */
} PcqLauncherError;

GQuark pcq_launcher_error_quark (void);

#define PCQ_TYPE_LAUNCHER (pcq_launcher_get_type ())

G_DECLARE_FINAL_TYPE (PcqLauncher, pcq_launcher, PCQ, LAUNCHER, GObject)

PcqLauncher *pcq_launcher_new                   (GDBusConnection      *connection,
                                                 gboolean              sandboxed);
PcqLauncher *pcq_launcher_new_for_session       (void);
gboolean     pcq_launcher_get_sandboxed         (PcqLauncher          *self);

void         pcq_launcher_open_async            (PcqLauncher          *self,
                                                 GFile                *file,
                                                 GtkWindow            *parent,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     pcq_launcher_open_finish           (PcqLauncher          *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

void         pcq_launcher_show_in_folder_async  (PcqLauncher          *self,
                                                 GFile                *file,
                                                 GtkWindow            *parent,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     pcq_launcher_show_in_folder_finish (PcqLauncher          *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

G_END_DECLS
