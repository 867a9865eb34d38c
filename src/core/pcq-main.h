/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Results that other threads hand to the main thread (engine events,
 * store commits, Git notes) are applied in slices of about 2 ms.
 *
 * The first slice runs before GTK draws (GDK_PRIORITY_REDRAW is
 * G_PRIORITY_HIGH_IDLE + 20): at the default idle priority, a window
 * that kept drawing — a slow machine, a software renderer — held them
 * back for many seconds, and with them the counts, the rows and the
 * close-when-done. What is left after a full slice waits for the
 * dispatcher's interval (one frame in the window), so that a flood of
 * results cannot freeze the window either; it does not drop behind
 * drawing, where a window that never stops drawing would hold it back
 * for ever. Only a dispatcher without an interval (none in Pcq) runs
 * the rest at the default idle priority.
 */
#define PCQ_PRIORITY_RESULTS       (G_PRIORITY_HIGH_IDLE + 10)
#define PCQ_PRIORITY_RESULTS_MORE  G_PRIORITY_DEFAULT_IDLE

G_END_DECLS
