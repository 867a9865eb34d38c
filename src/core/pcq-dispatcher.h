/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The one bridge from any thread to a main context.
 *
 * Other threads (workers, the store thread, the Git committer) post
 * plain results; they are called back in order on the dispatcher's
 * context. There is at most one pending GSource, added when the queue
 * goes from empty to non-empty, so a burst of results costs one wakeup.
 *
 * Each dispatch runs callbacks until its time budget is spent; the
 * rest waits for the next one. Dispatches run at PCQ_PRIORITY_RESULTS
 * (before GTK draws). With a minimum interval, dispatches are at least
 * that far apart: results arriving meanwhile are coalesced into the
 * next one, and drawing has the time between. Without one, the
 * dispatches that follow a spent budget run at
 * PCQ_PRIORITY_RESULTS_MORE (after drawing).
 */

typedef struct _PcqDispatcher PcqDispatcher;

/* Called on the dispatcher's context. */
typedef void (*PcqDispatchFunc) (gpointer data);

#define PCQ_DISPATCH_BUDGET_US (1500)

PcqDispatcher *pcq_dispatcher_new          (GMainContext    *context,
                                            const char      *name);
PcqDispatcher *pcq_dispatcher_ref          (PcqDispatcher   *self);
void           pcq_dispatcher_unref        (PcqDispatcher   *self);

/* Any thread. @destroy (nullable) frees @data after @func ran, or
 * instead of it when the dispatcher is closed first. */
void           pcq_dispatcher_post         (PcqDispatcher   *self,
                                            PcqDispatchFunc  func,
                                            gpointer         data,
                                            GDestroyNotify   destroy);
/* Any thread. With @soon, without waiting for the interval: for the
 * last of a flow, which nothing else would come to join. */
void           pcq_dispatcher_post_full    (PcqDispatcher   *self,
                                            PcqDispatchFunc  func,
                                            gpointer         data,
                                            GDestroyNotify   destroy,
                                            gboolean         soon);

/* Context thread only. */
void           pcq_dispatcher_set_budget   (PcqDispatcher   *self,
                                            gint64           budget_us);
void           pcq_dispatcher_set_interval (PcqDispatcher   *self,
                                            gint64           interval_us);
/* @begin and @end (nullable) run, with @data, before the first and
 * after the last callback of each dispatch or flush that runs any. */
void           pcq_dispatcher_set_batch_funcs (PcqDispatcher   *self,
                                               PcqDispatchFunc  begin,
                                               PcqDispatchFunc  end,
                                               gpointer         data);
/* Runs everything pending now, whatever the budget. */
void           pcq_dispatcher_flush        (PcqDispatcher   *self);
/* Drops what is pending (destroying it) and refuses later posts: the
 * one way to stop a bridge. Idempotent. Dropping the last reference
 * closes too (a pending dispatch holds none that would keep it open). */
void           pcq_dispatcher_close        (PcqDispatcher   *self);

/* For stall-probe: when set (main thread, before any dispatcher
 * runs), called after every dispatch of every dispatcher with the
 * thread CPU time its callbacks took, in µs. */
typedef void (*PcqDispatchObserver) (gint64   cpu_us,
                                     gpointer user_data);
void           pcq_dispatcher_set_observer (PcqDispatchObserver observer,
                                            gpointer            user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqDispatcher, pcq_dispatcher_unref)

G_END_DECLS
