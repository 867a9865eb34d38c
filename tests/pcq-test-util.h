/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Runs one iteration of the thread-default main context, blocking at
 * most until @deadline (monotonic µs) and never longer than a few
 * milliseconds, so that conditions changed by other threads (the test
 * server) are re-evaluated promptly. Returns FALSE once @deadline has
 * passed. */
gboolean  pcq_test_iterate       (gint64       deadline);

/* Spins the main context for @msec milliseconds. Only for checks that
 * something does NOT happen within a window. */
void      pcq_test_spin          (guint        msec);

/* Waits (spinning the main context) until @cond is true, at most
 * @timeout_ms milliseconds; fails the test with the condition's text when
 * the deadline passes. */
#define PCQ_TEST_WAIT_FOR(cond, timeout_ms)                                     \
  G_STMT_START                                                                  \
    {                                                                           \
      gint64 pcq_wait_deadline_ = g_get_monotonic_time ()                       \
                                  + (gint64) (timeout_ms) * 1000;               \
      while (!(cond))                                                           \
        {                                                                       \
          if (!pcq_test_iterate (pcq_wait_deadline_) && !(cond))                \
            {                                                                   \
              g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, \
                                   "timed out after " #timeout_ms " ms waiting" \
                                   " for: " #cond);                             \
              break;                                                            \
            }                                                                   \
        }                                                                       \
    }                                                                           \
  G_STMT_END

/* Registers @func under @path to run in a subprocess of its own (killed
 * after @timeout_s seconds), so that a failing or hanging case is
 * reported and the following ones still run. Inside the case assertions
 * stay fatal. Call pcq_test_init_isolation() after g_test_init(). */
void      pcq_test_add_isolated  (const char  *path,
                                  GTestFunc    func,
                                  guint        timeout_s);
void      pcq_test_init_isolation (void);

/* g_test_message(); inside an isolated case the note is also kept for
 * the parent, which shows the notes of a case that failed. */
void      pcq_test_note          (const char  *format,
                                  ...) G_GNUC_PRINTF (1, 2);

/* A new folder from @tmpl ("name-XXXXXX"); inside an isolated case it
 * is removed with the case even if the case fails. */
char     *pcq_test_make_tmpdir   (const char  *tmpl);
void      pcq_test_rm_rf         (const char  *path);

/* Makes @parent/@name (and any missing parents); returns its path. */
char     *pcq_test_make_subdir   (const char  *parent,
                                  const char  *name);

/* Sorted basenames of the entries of @dir (hidden ones included). */
GPtrArray *pcq_test_list_dir     (const char  *dir);
char     *pcq_test_describe_dir  (const char  *dir);

/* TRUE if @dir holds an entry whose name ends with ".pcq-part". */
gboolean  pcq_test_dir_has_part_files (const char *dir);
/* The path of the first such entry (in name order), or NULL. */
char     *pcq_test_find_part_file     (const char *dir);

gboolean  pcq_test_str_contains_ci (const char *haystack,
                                    const char *needle);

/* Gives what @launcher starts its own HOME (also the cache and data
 * home), XDG_STATE_HOME and XDG_CONFIG_HOME, the memory GSettings
 * backend and no proxy resolver, and hides the display and the session
 * bus. */
void      pcq_test_launcher_isolate (GSubprocessLauncher *launcher,
                                     const char          *home,
                                     const char          *state,
                                     const char          *config);

/* The pcq binary under test: $PCQ_BINARY, else the one this build made. */
const char *pcq_test_binary      (void);

/* A free loopback TCP port (bound, then closed). */
guint16   pcq_test_unused_port   (void);

G_END_DECLS
