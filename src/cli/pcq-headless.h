/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses of `pcq --headless`. */
#define PCQ_EXIT_OK          0
#define PCQ_EXIT_FAILED      1
#define PCQ_EXIT_USAGE       2
#define PCQ_EXIT_INTERRUPTED 130

int pcq_headless_run (int    argc,
                      char **argv);

G_END_DECLS
