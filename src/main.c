/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "pcq-headless.h"
#include "pcq-util.h"

/*
 * `pcq` links no GTK: loading GTK and libadwaita (some 60 more shared
 * libraries) took about 20 ms here, more than a headless run needs to
 * fetch its first file. The window is `pcq-window`, which this program
 * becomes (exec, same arguments) unless it runs headless.
 */

static void
exec_window (char **argv)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *beside = NULL;
  const char *installed = PCQ_LIBEXECDIR "/pcq-window";

  /* Beside this binary first: the build tree (meson devenv, tests). */
  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);

      beside = g_build_filename (dir, "pcq-window", NULL);
      if (g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
        execv (beside, argv);
    }

  execv (installed, argv);
  g_printerr (_("pcq: cannot start the window (%s): %s\n"), installed, g_strerror (errno));
}

int
main (int    argc,
      char **argv)
{
  pcq_init_i18n ();

  /* Headless runs are their own process: decided before anything is
   * registered on the session bus. */
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--headless") == 0)
        return pcq_headless_run (argc, argv);
    }

  exec_window (argv);
  return 1;
}
