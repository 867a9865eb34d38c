/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <glib.h>

G_BEGIN_DECLS

/* Replaces the string in @dest with a copy of @value; returns whether it
 * changed, for notify. (g_set_str() arrives only in GLib 2.76.) */
static inline gboolean
pcq_set_str (char       **dest,
             const char  *value)
{
  if (g_strcmp0 (*dest, value) == 0)
    return FALSE;

  g_free (*dest);
  *dest = g_strdup (value);
  return TRUE;
}

/* The CPU time the calling thread has used, in microseconds (0 where it
 * cannot be read). */
static inline gint64
pcq_thread_cpu_time_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;

  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Writes @value in decimal at @out (at most 20 bytes, no nul) and
 * returns where it ended: for strings made once a file, where
 * g_strdup_printf () would cost several times more. */
static inline char *
pcq_put_u64 (char    *out,
             guint64  value)
{
  char digits[20];
  gsize n = 0;

  do
    digits[n++] = (char) ('0' + value % 10);
  while ((value /= 10) != 0);

  while (n > 0)
    *out++ = digits[--n];

  return out;
}

/* Whether @str is printable ASCII only: no control character, no DEL,
 * no byte above them. */
static inline gboolean
pcq_str_is_printable_ascii (const char *str)
{
  for (const char *p = str; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || (guchar) *p >= 0x7F)
      return FALSE;

  return TRUE;
}

/* Frees a secret (the API key) after overwriting it, so that it does
 * not linger in freed memory. */
static inline void
pcq_secret_free (char *secret)
{
  if (secret == NULL)
    return;

  memset (secret, 0, strlen (secret));
  g_free (secret);
}

/* Gives the calling thread the nice value @nice if that is more than
 * *@applied, what it gave itself last: lower only, since raising it
 * again would need a privilege. On Linux a nice value is a thread's,
 * and PRIO_PROCESS with 0 names the calling thread. */
static inline void
pcq_lower_thread_priority (int  nice,
                           int *applied)
{
  if (nice <= *applied)
    return;

  setpriority (PRIO_PROCESS, 0, nice);
  *applied = nice;
}

/* The locale and Pcq's translations, for a program's main (). With
 * PCQ_LOCALEDIR set (the build folder's po/: meson devenv, tests), the
 * uninstalled ones. Needs config.h and glib/gi18n.h. */
#define pcq_init_i18n()                                                        \
  G_STMT_START                                                                 \
    {                                                                          \
      const char *pcq_localedir_ = g_getenv ("PCQ_LOCALEDIR");                 \
                                                                               \
      setlocale (LC_ALL, "");                                                  \
      bindtextdomain (GETTEXT_PACKAGE,                                         \
                      pcq_localedir_ != NULL && *pcq_localedir_ != '\0'        \
                        ? pcq_localedir_ : LOCALEDIR);                         \
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");                      \
      textdomain (GETTEXT_PACKAGE);                                            \
    }                                                                          \
  G_STMT_END

G_END_DECLS
