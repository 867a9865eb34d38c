/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "pcq-error.h"

G_DEFINE_QUARK (pcq-error-quark, pcq_error)

/* Format characters that reorder the text around them without being
 * seen: bidi marks, embeddings, overrides and isolates. */
static gboolean
is_bidi_control (gunichar c)
{
  return c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* What ends a line, in a terminal or to Unicode. */
static gboolean
is_line_break (gunichar c)
{
  return c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
         c == 0x85 || c == 0x2028 || c == 0x2029;
}

/**
 * pcq_text_sanitize:
 * @text: (nullable): text from a server (or an input line) that Pcq is
 *   going to show or store: a message, a reason phrase, a name
 * @length: its length in bytes, or -1 if it ends with a NUL
 *
 * Makes @text safe to print to a terminal, to show in a list and to
 * store: valid UTF-8 (invalid bytes and NULs become U+FFFD), every
 * tab and line break a single space (one line, whatever it had), no
 * other C0 or C1 control character and no DEL (no escape sequence can
 * retitle or clear a terminal), and no bidi control (no name can look
 * like another: "\u202Etxt.exe" is not shown as "exe.txt").
 *
 * Server text goes through this once, where it becomes one of Pcq's
 * messages or names; saved answers and downloaded files never do.
 *
 * Returns: (transfer full) (nullable): the safe text, %NULL for %NULL
 */
char *
pcq_text_sanitize (const char *text,
                   gssize      length)
{
  g_autofree char *valid = NULL;
  GString *out;
  gboolean after_break = FALSE;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, length);
  out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_line_break (c))
        {
          /* "\r\n" is one space, not two. */
          if (!after_break)
            g_string_append_c (out, ' ');
          after_break = TRUE;
        }
      else if (!g_unichar_iscntrl (c) && !is_bidi_control (c))
        {
          g_string_append_len (out, p, g_utf8_next_char (p) - p);
          after_break = FALSE;
        }
    }

  return g_string_free (out, FALSE);
}
