/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* pcq_text_sanitize (): server text made safe to show and store. */

#include <string.h>

#include "pcq-error.h"
#include "pcq-sink.h"

/* What every sanitized text is, whatever came in. */
static void
assert_safe (const char *text)
{
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (g_unichar_iscntrl (c));
      g_assert_false (c == 0x200E || c == 0x200F || c == 0x061C ||
                      (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069));
      g_assert_false (c == 0x2028 || c == 0x2029);
    }
}

static void
check (const char *input,
       gssize      length,
       const char *expected)
{
  g_autofree char *safe = pcq_text_sanitize (input, length);
  g_autofree char *again = NULL;
  g_autofree char *shown = g_strescape (input, NULL);

  g_test_message ("sanitize (\"%s\")", shown);
  assert_safe (safe);
  g_assert_cmpstr (safe, ==, expected);

  /* Safe text stays as it is. */
  again = pcq_text_sanitize (safe, -1);
  g_assert_cmpstr (again, ==, safe);
}

static void
test_plain_kept (void)
{
  check ("Server answered 404 Not Found", -1, "Server answered 404 Not Found");
  check ("naïve café ✓ 日本語 “quoted” 👩‍💻", -1, "naïve café ✓ 日本語 “quoted” 👩‍💻");
  check ("", -1, "");
  g_assert_null (pcq_text_sanitize (NULL, -1));
}

static void
test_c0 (void)
{
  /* A window title (OSC … BEL), a clear screen (CSI), a bell. */
  check ("OK\x1b]0;pwned\x07 done", -1, "OK]0;pwned done");
  check ("\x1b[2J\x1b[HNot Found", -1, "[2J[HNot Found");
  check ("bell\x07\x07", -1, "bell");
  check ("\x01\x02\x03\x1f" "x", -1, "x");
  check ("back\bspace", -1, "backspace");
}

static void
test_del_and_c1 (void)
{
  check ("del\x7f" "ete", -1, "delete");
  /* U+009B is a CSI on its own to some terminals, U+009D an OSC. */
  check ("a\xc2\x9b" "2Jb", -1, "a2Jb");
  check ("a\xc2\x9d" "0;t\xc2\x9c" "b", -1, "a0;tb");
  check ("\xc2\x80\xc2\x9f" "c", -1, "c");
}

static void
test_line_breaks (void)
{
  /* A message is one line: every break is one space. */
  check ("line one\nline two", -1, "line one line two");
  check ("crlf\r\nend", -1, "crlf end");
  check ("tab\there", -1, "tab here");
  check ("\r\n\r\n\tmany", -1, " many");
  check ("nel\xc2\x85next", -1, "nel next");
  check ("ls\xe2\x80\xa8ps\xe2\x80\xa9" "end", -1, "ls ps end");
  check ("vt\vff\fend", -1, "vt ff end");
}

static void
test_bidi (void)
{
  /* RIGHT-TO-LEFT OVERRIDE: "\u202Etxt.exe" would show as "exe.txt". */
  check ("\xe2\x80\xaetxt.exe", -1, "txt.exe");
  check ("a\xe2\x80\x8e" "b\xe2\x80\x8f" "c\xd8\x9c" "d", -1, "abcd");
  check ("\xe2\x80\xaa" "1\xe2\x80\xab" "2\xe2\x80\xac" "3\xe2\x80\xad" "4", -1, "1234");
  check ("\xe2\x81\xa6" "x\xe2\x81\xa7" "y\xe2\x81\xa8" "z\xe2\x81\xa9", -1, "xyz");
  /* Right-to-left text itself is kept. */
  check ("שלום עולם", -1, "שלום עולם");
}

static void
test_invalid_utf8 (void)
{
  check ("bad\xff\xfe" "end", -1, "bad\xef\xbf\xbd\xef\xbf\xbd" "end");
  check ("trunc\xe6\x97", -1, "trunc\xef\xbf\xbd\xef\xbf\xbd");
  /* An overlong ESC is not an ESC. */
  check ("\xc0\x9b[2J", -1, "\xef\xbf\xbd\xef\xbf\xbd[2J");
  /* With a length, a NUL is not the end. */
  check ("a\0b", 3, "a\xef\xbf\xbd" "b");
  check ("abc", 2, "ab");
}

/* File names: pcq_sink_sanitize_name () goes through it too. */
static void
test_names (void)
{
  g_autofree char *rlo = pcq_sink_sanitize_name ("\xe2\x80\xaetxt.exe");
  g_autofree char *isolate = pcq_sink_sanitize_name ("report\xe2\x81\xa7" "fdp.exe");
  g_autofree char *esc = pcq_sink_sanitize_name ("a\x1b]0;t\x07.txt");
  g_autofree char *disposition = NULL;
  g_autofree char *name = NULL;

  g_assert_cmpstr (rlo, ==, "txt.exe");
  g_assert_cmpstr (isolate, ==, "reportfdp.exe");
  g_assert_cmpstr (esc, ==, "a]0;t.txt");

  disposition = pcq_sink_name_from_disposition ("attachment; filename*=UTF-8''%E2%80%AEtxt.exe");
  name = pcq_sink_sanitize_name (disposition);
  g_assert_cmpstr (name, ==, "txt.exe");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pcq/text/plain-kept", test_plain_kept);
  g_test_add_func ("/pcq/text/c0", test_c0);
  g_test_add_func ("/pcq/text/del-and-c1", test_del_and_c1);
  g_test_add_func ("/pcq/text/line-breaks", test_line_breaks);
  g_test_add_func ("/pcq/text/bidi", test_bidi);
  g_test_add_func ("/pcq/text/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/pcq/text/names", test_names);

  return g_test_run ();
}
