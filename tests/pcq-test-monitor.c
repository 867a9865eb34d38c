/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "pcq-test-monitor.h"

struct _PcqTestMonitor
{
  GObject  parent_instance;
  gboolean available;
  gboolean metered;
};

enum {
  PROP_0,
  PROP_AVAILABLE,
  PROP_METERED,
  PROP_CONNECTIVITY,
};

static void pcq_test_monitor_iface_init    (GNetworkMonitorInterface *iface);
static void pcq_test_monitor_initable_init (GInitableIface           *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PcqTestMonitor, pcq_test_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      pcq_test_monitor_initable_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR,
                                                      pcq_test_monitor_iface_init))

static gboolean
pcq_test_monitor_init_fn (GInitable     *initable,
                          GCancellable  *cancellable,
                          GError       **error)
{
  return TRUE;
}

static void
pcq_test_monitor_initable_init (GInitableIface *iface)
{
  iface->init = pcq_test_monitor_init_fn;
}

static void
pcq_test_monitor_iface_init (GNetworkMonitorInterface *iface)
{
}

static void
pcq_test_monitor_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PcqTestMonitor *self = PCQ_TEST_MONITOR (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case PROP_METERED:
      g_value_set_boolean (value, self->metered);
      break;
    case PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL
                                               : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_test_monitor_class_init (PcqTestMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pcq_test_monitor_get_property;
  g_object_class_override_property (object_class, PROP_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, PROP_METERED, "network-metered");
  g_object_class_override_property (object_class, PROP_CONNECTIVITY, "connectivity");
}

static void
pcq_test_monitor_init (PcqTestMonitor *self)
{
  self->available = TRUE;
}

PcqTestMonitor *
pcq_test_monitor_new (void)
{
  return g_object_new (PCQ_TYPE_TEST_MONITOR, NULL);
}

/* Says what a real monitor would, as it would: a notify when metered
 * changes, "network-changed" when the network comes or goes. */
void
pcq_test_monitor_set (PcqTestMonitor *self,
                      gboolean        available,
                      gboolean        metered)
{
  gboolean changed = self->available != available;

  g_return_if_fail (PCQ_IS_TEST_MONITOR (self));

  self->available = available;
  if (self->metered != metered)
    {
      self->metered = metered;
      g_object_notify (G_OBJECT (self), "network-metered");
    }
  if (changed)
    g_signal_emit_by_name (self, "network-changed", available);
}
