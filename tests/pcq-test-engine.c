/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-test"

#include "pcq-test-engine.h"
#include "pcq-test-util.h"

static void
shutdown_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

gint64
pcq_test_engine_shutdown (PcqEngine       *engine,
                          PcqShutdownMode  mode,
                          guint            timeout_ms)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  pcq_engine_shutdown_async (engine, mode, NULL, shutdown_cb, &result);
  PCQ_TEST_WAIT_FOR (result != NULL, timeout_ms);
  elapsed = (g_get_monotonic_time () - start) / 1000;

  g_assert_true (pcq_engine_shutdown_finish (engine, result, &error));
  g_assert_no_error (error);

  return elapsed;
}

PcqStore *
pcq_test_store_open (const char *path)
{
  g_autoptr(PcqStore) store = pcq_store_new (path);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *notice = NULL;

  records = pcq_store_open_sync (store, 0, &notice, &error);
  g_assert_no_error (error);
  g_assert_null (notice);

  return g_steal_pointer (&store);
}
