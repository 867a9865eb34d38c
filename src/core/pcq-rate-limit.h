/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The speed limit all running downloads share: a token bucket that any
 * thread may draw from. The rate may change at any time; 0 is no limit,
 * and then drawing from it costs one atomic read. */
typedef struct _PcqRateLimit PcqRateLimit;

PcqRateLimit *pcq_rate_limit_new        (void);
PcqRateLimit *pcq_rate_limit_ref        (PcqRateLimit *self);
void          pcq_rate_limit_unref      (PcqRateLimit *self);

guint         pcq_rate_limit_get_rate   (PcqRateLimit *self);
void          pcq_rate_limit_set_rate   (PcqRateLimit *self,
                                         guint         bytes_per_second);

gsize         pcq_rate_limit_get_chunk  (PcqRateLimit *self,
                                         gsize         max);
void          pcq_rate_limit_consume    (PcqRateLimit *self,
                                         gsize         n);
gint64        pcq_rate_limit_get_delay  (PcqRateLimit *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqRateLimit, pcq_rate_limit_unref)

G_END_DECLS
