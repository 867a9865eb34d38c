/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GNetworkMonitor a test sets by hand (pcq_engine_set_network_monitor).
 * It starts online and not metered. */
#define PCQ_TYPE_TEST_MONITOR (pcq_test_monitor_get_type ())
G_DECLARE_FINAL_TYPE (PcqTestMonitor, pcq_test_monitor, PCQ, TEST_MONITOR, GObject)

PcqTestMonitor *pcq_test_monitor_new (void);
void            pcq_test_monitor_set (PcqTestMonitor *self,
                                      gboolean        available,
                                      gboolean        metered);

G_END_DECLS
