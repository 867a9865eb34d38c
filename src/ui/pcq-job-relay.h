/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pcq-engine.h"

G_BEGIN_DECLS

/* While the list is shorter than PCQ_JOB_RELAY_RAMP_LENGTH, the relay
 * shows new jobs at PCQ_JOB_RELAY_STEP per tick (about a frame), with
 * bursts of up to PCQ_JOB_RELAY_BURST after a pause (a few links added
 * by hand show up at once). */
#define PCQ_JOB_RELAY_RAMP_LENGTH 256
#define PCQ_JOB_RELAY_STEP        2
#define PCQ_JOB_RELAY_BURST       8
#define PCQ_JOB_RELAY_TICK_MS     16

#define PCQ_TYPE_JOB_RELAY (pcq_job_relay_get_type ())

G_DECLARE_FINAL_TYPE (PcqJobRelay, pcq_job_relay, PCQ, JOB_RELAY, GObject)

PcqJobRelay *pcq_job_relay_new         (GListModel  *jobs,
                                        PcqEngine   *engine);
void         pcq_job_relay_set_enabled (PcqJobRelay *self,
                                        gboolean     enabled);
void         pcq_job_relay_job_changed (PcqJobRelay *self,
                                        PcqJob      *job);
guint        pcq_job_relay_get_n_held  (PcqJobRelay *self);

/* For the tests: what the timer does once per frame. */
void         _pcq_job_relay_tick       (PcqJobRelay *self);

G_END_DECLS
