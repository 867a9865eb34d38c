/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The models an OpenAI-compatible server offers (`GET {base}/models`),
 * asked on the calling thread's main context. */

void   pcq_api_list_models_async  (const char           *base,
                                   const char           *api_key,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data);
GStrv  pcq_api_list_models_finish (GAsyncResult         *result,
                                   GError              **error);

G_END_DECLS
