/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * pcq-test-serve: the tests' loopback HTTP server (tests/pcq-test-server.h
 * lists its routes) as a process, for scripts such as screenshot.sh.
 * Prints its base URL on the first line of stdout, then serves until
 * SIGINT or SIGTERM.
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>

#include <glib-unix.h>

#include "pcq-test-server.h"

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(PcqTestServer) server = pcq_test_server_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);

  g_print ("%s\n", pcq_test_server_get_base (server));
  fflush (stdout);

  g_main_loop_run (loop);

  return 0;
}
