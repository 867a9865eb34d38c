/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pcq-engine.h"
#include "pcq-store.h"

G_BEGIN_DECLS

/* Shuts @engine down with @mode, spinning the thread-default main
 * context until it is done (fails the test after @timeout_ms); returns
 * how long that took in ms. */
gint64    pcq_test_engine_shutdown (PcqEngine       *engine,
                                    PcqShutdownMode  mode,
                                    guint            timeout_ms);

/* Opens the store at @path (a new one: no notice expected) and returns
 * it; its records are dropped. */
PcqStore *pcq_test_store_open      (const char      *path);

G_END_DECLS
