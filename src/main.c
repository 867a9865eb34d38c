/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "pcq-headless.h"

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");

  /* Headless runs are their own process: decided before anything is
   * registered on the session bus. */
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--headless") == 0)
        return pcq_headless_run (argc, argv);
    }

  g_printerr ("pcq: the window is not there yet; run “pcq --headless --help”\n");
  return PCQ_EXIT_USAGE;
}
