/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Times of day, for "start at". */
gboolean pcq_clock_parse (const char *text,
                          guint      *hour,
                          guint      *minute,
                          guint      *second);
gint64   pcq_clock_next  (GDateTime  *now,
                          guint       hour,
                          guint       minute,
                          guint       second);

G_END_DECLS
