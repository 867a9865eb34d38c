/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "pcq-application.h"
#include "pcq-util.h"

/* pcq-window: what `pcq` becomes when it does not run headless. */
int
main (int    argc,
      char **argv)
{
  g_autoptr(PcqApplication) app = NULL;
  pcq_init_i18n ();

  /* Shown as "pcq" (help, messages): the command people type. */
  g_set_prgname ("pcq");

  app = pcq_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
