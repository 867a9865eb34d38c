/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pcq-job.h"

G_BEGIN_DECLS

#define PCQ_TYPE_ROW_SLOT (pcq_row_slot_get_type ())

G_DECLARE_FINAL_TYPE (PcqRowSlot, pcq_row_slot, PCQ, ROW_SLOT, GObject)

PcqJob       *pcq_row_slot_get_job   (PcqRowSlot         *self);

#define PCQ_TYPE_ROW_SLOTS (pcq_row_slots_get_type ())

G_DECLARE_FINAL_TYPE (PcqRowSlots, pcq_row_slots, PCQ, ROW_SLOTS, GObject)

PcqRowSlots  *pcq_row_slots_new      (GtkSelectionModel  *model);

GtkListItemFactory *pcq_row_slots_new_factory (void);

G_END_DECLS
