/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "pcq-clock.h"

static gboolean
parse_part (const char **p,
            guint        max,
            guint       *value)
{
  if (!g_ascii_isdigit ((*p)[0]) || !g_ascii_isdigit ((*p)[1]))
    return FALSE;

  *value = ((*p)[0] - '0') * 10 + ((*p)[1] - '0');
  *p += 2;
  return *value <= max;
}

/**
 * pcq_clock_parse:
 * @text: "HH:MM" or "HH:MM:SS", 24-hour, two digits each
 *
 * Returns: whether @text is such a time of day; @second is 0 without one
 */
gboolean
pcq_clock_parse (const char *text,
                 guint      *hour,
                 guint      *minute,
                 guint      *second)
{
  const char *p = text;

  *second = 0;
  if (!parse_part (&p, 23, hour) || *p++ != ':' || !parse_part (&p, 59, minute))
    return FALSE;
  if (*p == ':' && (p++, !parse_part (&p, 59, second)))
    return FALSE;

  return *p == '\0';
}

/**
 * pcq_clock_next:
 * @now: the time to count from, in the local time zone
 *
 * Returns: the next moment after @now that the local clock shows
 *   @hour:@minute:@second (today or tomorrow), in seconds since the
 *   epoch. A time the clock skips that day (a change to summer time)
 *   is the moment after the gap.
 */
gint64
pcq_clock_next (GDateTime *now,
                guint      hour,
                guint      minute,
                guint      second)
{
  GTimeZone *zone = g_date_time_get_timezone (now);

  for (int days = 0; days <= 2; days++)
    {
      g_autoptr(GDateTime) day = g_date_time_add_days (now, days);
      g_autoptr(GDateTime) then = g_date_time_new (zone, g_date_time_get_year (day),
                                                   g_date_time_get_month (day),
                                                   g_date_time_get_day_of_month (day),
                                                   hour, minute, second);

      if (then != NULL && g_date_time_compare (then, now) > 0)
        return g_date_time_to_unix (then);
    }

  g_return_val_if_reached (g_date_time_to_unix (now));
}
