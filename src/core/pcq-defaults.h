/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/*
 * The defaults of the settings that the engine, the window and
 * `pcq --headless` share, in one place: the engine's property defaults,
 * headless's option defaults and the history a session keeps.
 *
 * data/com.example.Pcq.gschema.xml repeats them as its <default>s (a
 * schema cannot include a header); tests/test-session.c checks that
 * the compiled schema agrees with these.
 */
#define PCQ_DEFAULT_MAX_ACTIVE      4   /* tasks running at once */
#define PCQ_DEFAULT_MAX_API_ACTIVE  2   /* of those, API tasks */
#define PCQ_DEFAULT_RETRIES         3   /* more tries after a temporary failure */
#define PCQ_DEFAULT_STALL_TIMEOUT   30  /* seconds without data */
#define PCQ_DEFAULT_MIN_SPEED       1024 /* bytes per second over the stall timeout */
#define PCQ_DEFAULT_HISTORY_DAYS    30  /* finished tasks kept; 0 keeps all */
