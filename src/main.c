/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>

#include "pcq-application.h"
#include "pcq-headless.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(PcqApplication) app = NULL;
  const char *localedir;

  setlocale (LC_ALL, "");

  /* PCQ_LOCALEDIR: the build folder's po/ for uninstalled runs (meson devenv, tests). */
  localedir = g_getenv ("PCQ_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Headless runs are their own process: decided before anything is
   * registered on the session bus. */
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--headless") == 0)
        return pcq_headless_run (argc, argv);
    }

  app = pcq_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
