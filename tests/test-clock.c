/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "pcq-clock.h"

static void
test_parse (void)
{
  static const struct {
    const char *text;
    gboolean    ok;
    guint       h, m, s;
  } cases[] = {
    { "00:00", TRUE, 0, 0, 0 },
    { "23:59", TRUE, 23, 59, 0 },
    { "07:05:09", TRUE, 7, 5, 9 },
    { "24:00", FALSE },
    { "12:60", FALSE },
    { "12:30:60", FALSE },
    { "7:05", FALSE },
    { "07:5", FALSE },
    { "07:05:", FALSE },
    { "07:05 ", FALSE },
    { " 07:05", FALSE },
    { "0705", FALSE },
    { "", FALSE },
    { "-1:00", FALSE },
    { "07:05:09:01", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint h = 99, m = 99, s = 99;

      g_test_message ("%s", cases[i].text);
      g_assert_cmpint (pcq_clock_parse (cases[i].text, &h, &m, &s), ==, cases[i].ok);
      if (cases[i].ok)
        {
          g_assert_cmpuint (h, ==, cases[i].h);
          g_assert_cmpuint (m, ==, cases[i].m);
          g_assert_cmpuint (s, ==, cases[i].s);
        }
    }
}

/* Today if the time is still to come, else tomorrow; never now. */
static void
test_next (void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) now = g_date_time_new (utc, 2026, 12, 31, 10, 0, 0);
  gint64 t = g_date_time_to_unix (now);

  g_assert_cmpint (pcq_clock_next (now, 11, 0, 0), ==, t + 3600);
  g_assert_cmpint (pcq_clock_next (now, 10, 0, 1), ==, t + 1);
  g_assert_cmpint (pcq_clock_next (now, 10, 0, 0), ==, t + 24 * 3600);
  /* Tomorrow is the next year. */
  g_assert_cmpint (pcq_clock_next (now, 9, 30, 0), ==, t + 23 * 3600 + 30 * 60);
}

/* In a zone with summer time, "tomorrow at 09:00" is 23 hours away
 * across the change, not 24. */
static void
test_next_dst (void)
{
  /* Central European time as a POSIX rule: no time zone database is
   * needed. Summer time begins on 29 March 2026 at 02:00. */
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier ("CET-1CEST,M3.5.0,M10.5.0/3");
  g_autoptr(GDateTime) now = NULL;

  g_assert_nonnull (berlin);
  now = g_date_time_new (berlin, 2026, 3, 28, 9, 0, 0);
  g_assert_cmpint (pcq_clock_next (now, 9, 0, 0), ==, g_date_time_to_unix (now) + 23 * 3600);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pcq/clock/parse", test_parse);
  g_test_add_func ("/pcq/clock/next", test_next);
  g_test_add_func ("/pcq/clock/next-dst", test_next_dst);

  return g_test_run ();
}
