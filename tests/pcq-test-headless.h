/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* `pcq --headless` as the tests run it: its own HOME and XDG folders,
 * its output collected while the test's main context keeps turning (so
 * a server on that context can answer it). */

typedef struct
{
  gint64 done;
  gint64 failed;
  gint64 cancelled;
  gint64 left;       /* waiting for --resume */
  gint64 bytes;
  double seconds;
} PcqTestSummary;

typedef struct _PcqTestRun PcqTestRun;

GSubprocessLauncher *pcq_test_headless_launcher  (GSubprocessFlags     flags,
                                                  const char          *home,
                                                  const char          *state,
                                                  const char          *config);
PcqTestRun          *pcq_test_run_spawn          (GSubprocessLauncher *launcher,
                                                  const char          *input,
                                                  const char * const  *args);
PcqTestRun          *pcq_test_run_spawn_open_stdin (GSubprocessLauncher *launcher,
                                                    const char * const  *args);
void                 pcq_test_run_write_stdin    (PcqTestRun          *run,
                                                  const char          *text,
                                                  gboolean             close);
void                 pcq_test_run_wait           (PcqTestRun          *run,
                                                  guint                timeout_ms);
gboolean             pcq_test_run_is_running     (PcqTestRun          *run);
GSubprocess         *pcq_test_run_get_process    (PcqTestRun          *run);
int                  pcq_test_run_exit_status    (PcqTestRun          *run);
const char          *pcq_test_run_get_stdout     (PcqTestRun          *run);
const char          *pcq_test_run_get_stderr     (PcqTestRun          *run);
PcqTestSummary       pcq_test_run_summary        (PcqTestRun          *run);
void                 pcq_test_run_free           (PcqTestRun          *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqTestRun, pcq_test_run_free)

G_END_DECLS
