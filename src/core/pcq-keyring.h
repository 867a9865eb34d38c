/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

char     *pcq_keyring_lookup_sync    (GCancellable         *cancellable,
                                      GError              **error);
void      pcq_keyring_lookup_async   (GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
char     *pcq_keyring_lookup_finish  (GAsyncResult         *result,
                                      GError              **error);
void      pcq_keyring_store_async    (const char           *api_key,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean  pcq_keyring_store_finish   (GAsyncResult         *result,
                                      GError              **error);
void      pcq_keyring_clear_async    (GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean  pcq_keyring_clear_finish   (GAsyncResult         *result,
                                      GError              **error);
void      pcq_keyring_free_key       (char                 *api_key);

G_END_DECLS
