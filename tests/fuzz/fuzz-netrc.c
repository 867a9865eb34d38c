/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A .netrc file: any byte, NULs too. Whatever it holds, what a lookup
 * hands out must be sendable in a Basic header, and the same text must
 * always give the same answers. */

#include <string.h>

#include "pcq-fuzz.h"
#include "pcq-netrc.h"

PCQ_FUZZ_INIT ()

static void
check_sendable (const char *text,
                gboolean    is_login)
{
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  if (is_login)
    g_assert_null (strchr (text, ':'));
  for (const char *p = text; *p != '\0'; p++)
    {
      g_assert_cmpuint ((guchar) *p, >=, 0x20);
      g_assert_cmpuint ((guchar) *p, !=, 0x7F);
    }
}

/* The host names a lookup is tried with: a few fixed ones, and every
 * word after "machine" in the text (keywords match case and all, as
 * count () counts them), so that entries are found. */
static GPtrArray *
hosts_of (const char *text)
{
  GPtrArray *hosts = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) words = g_strsplit_set (text, " \t\r\n\f\v", -1);

  g_ptr_array_add (hosts, g_strdup ("example.org"));
  g_ptr_array_add (hosts, g_strdup (""));
  for (guint i = 0; words[i] != NULL && hosts->len < 64; i++)
    {
      guint next = i + 1;

      if (!g_str_equal (words[i], "machine"))
        continue;
      /* Blanks in a row split into empty words. */
      while (words[next] != NULL && words[next][0] == '\0')
        next++;
      if (words[next] != NULL)
        g_ptr_array_add (hosts, g_strdup (words[next]));
    }

  return hosts;
}

static guint
count (const char *text,
       const char *word)
{
  guint n = 0;

  for (const char *p = text; (p = strstr (p, word)) != NULL; p++)
    n++;

  return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = (const char *) data;
  g_autoptr(PcqNetrc) netrc = pcq_netrc_parse (text, size);
  g_autoptr(PcqNetrc) again = pcq_netrc_parse (text, size);
  /* The words before a NUL, as the parser reads them. */
  g_autofree char *terminated = g_strndup (text, size);
  g_autoptr(GPtrArray) hosts = hosts_of (terminated);
  /* An entry starts at a keyword: never more entries than those. */
  guint keywords = count (terminated, "machine") + count (terminated, "default");

  g_assert_cmpuint (pcq_netrc_get_n_entries (netrc), <=, keywords);
  g_assert_cmpuint (pcq_netrc_get_n_entries (again), ==, pcq_netrc_get_n_entries (netrc));

  for (guint i = 0; i < hosts->len; i++)
    {
      const char *host = g_ptr_array_index (hosts, i);
      const char *login = NULL, *password = NULL;
      const char *login2 = NULL, *password2 = NULL;
      gboolean found = pcq_netrc_lookup (netrc, host, &login, &password);

      g_assert_cmpint (found, ==, pcq_netrc_lookup (again, host, &login2, &password2));
      if (!found)
        continue;

      g_assert_cmpuint (pcq_netrc_get_n_entries (netrc), >, 0);
      check_sendable (login, TRUE);
      check_sendable (password, FALSE);
      g_assert_cmpstr (login, ==, login2);
      g_assert_cmpstr (password, ==, password2);
    }

  return 0;
}
