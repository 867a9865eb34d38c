/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "pcq-netrc.h"

static void
assert_entry (PcqNetrc   *netrc,
              const char *host,
              const char *login,
              const char *password)
{
  const char *got_login = NULL;
  const char *got_password = NULL;

  if (login == NULL)
    {
      g_assert_false (pcq_netrc_lookup (netrc, host, &got_login, &got_password));
      return;
    }

  g_assert_true (pcq_netrc_lookup (netrc, host, &got_login, &got_password));
  g_assert_cmpstr (got_login, ==, login);
  g_assert_cmpstr (got_password, ==, password);
}

static void
test_netrc_parse (void)
{
  const char *text =
    "# comment lines are ordinary tokens to skip\n"
    "machine example.org login alice password s3cret\n"
    "machine Other.Example\n  login bob\n  password \"with space \\\"q\\\"\"\n"
    "macdef init\nmachine macro.example login mallory password no\n\n"
    "machine example.org login second password ignored\n"
    "default login anon password guest\n";
  g_autoptr(PcqNetrc) netrc = pcq_netrc_parse (text, strlen (text));

  assert_entry (netrc, "example.org", "alice", "s3cret");
  assert_entry (netrc, "other.example", "bob", "with space \"q\"");
  /* A macro's body is no entry; the default answers for it. */
  assert_entry (netrc, "macro.example", "anon", "guest");
  assert_entry (netrc, "anything.example", "anon", "guest");
}

/* Bytes of any kind: never a crash, and nothing unsendable taken. */
static void
test_netrc_hostile (void)
{
  static const struct { const char *text; gsize length; } cases[] = {
    { "", sizeof "" - 1 },
    { "machine", sizeof "machine" - 1 },
    { "machine h login", sizeof "machine h login" - 1 },
    { "machine h password \"unclosed", sizeof "machine h password \"unclosed" - 1 },
    { "machine h login a password \"b\\", sizeof "machine h login a password \"b\\" - 1 },
    { "macdef", sizeof "macdef" - 1 },
    { "login x password y", sizeof "login x password y" - 1 },
    { "machine h login a:b password c", sizeof "machine h login a:b password c" - 1 },
    { "machine h login a password \"b\\nc\"", sizeof "machine h login a password \"b\\nc\"" - 1 },
    { "machine h login a password b\0machine h2 login c password d", sizeof "machine h login a password b\0machine h2 login c password d" - 1 },
    { "machine h login \xff\xfe password x", sizeof "machine h login \xff\xfe password x" - 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PcqNetrc) netrc = pcq_netrc_parse (cases[i].text, cases[i].length);
      const char *login = NULL;
      const char *password = NULL;

      /* Only the one before the NUL is whole and sendable. */
      if (i == 9)
        {
          g_assert_cmpuint (pcq_netrc_get_n_entries (netrc), ==, 1);
          assert_entry (netrc, "h", "a", "b");
          assert_entry (netrc, "h2", NULL, NULL);
        }
      else
        g_assert_false (pcq_netrc_lookup (netrc, "h", &login, &password));
    }

  /* Random bytes, and a long run of one token. */
  for (guint seed = 0; seed < 200; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      gsize length = g_rand_int_range (rand, 0, 4096);
      g_autofree char *bytes = g_malloc (length + 1);
      g_autoptr(PcqNetrc) netrc = NULL;

      for (gsize i = 0; i < length; i++)
        {
          static const char *words[] = { "machine ", "login ", "password ", "default ", "macdef ", "\"", "\\", "\n" };

          bytes[i] = g_rand_boolean (rand) ? (char) g_rand_int_range (rand, 0, 256)
                                           : words[g_rand_int_range (rand, 0, 8)][0];
        }
      netrc = pcq_netrc_parse (bytes, length);
      g_assert_nonnull (netrc);
    }
}

static void
test_netrc_load (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pcq-netrc-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "netrc", NULL);
  g_autofree char *big = g_build_filename (dir, "big", NULL);
  g_autofree char *filler = g_strnfill (PCQ_NETRC_MAX_SIZE + 1, ' ');
  g_autoptr(GError) error = NULL;
  g_autoptr(PcqNetrc) netrc = NULL;

  g_assert_true (g_file_set_contents (path, "machine h login a password b\n", -1, NULL));

  /* Others may read it: refused, as it holds passwords. */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  netrc = pcq_netrc_load (path, &error);
  g_assert_null (netrc);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  netrc = pcq_netrc_load (path, &error);
  g_assert_no_error (error);
  assert_entry (netrc, "h", "a", "b");
  g_clear_pointer (&netrc, pcq_netrc_free);

  /* Too big, a folder, nothing there. */
  g_assert_true (g_file_set_contents (big, filler, -1, NULL));
  g_assert_cmpint (g_chmod (big, 0600), ==, 0);
  g_assert_null (pcq_netrc_load (big, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (pcq_netrc_load (dir, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_null (pcq_netrc_load (path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  g_remove (big);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pcq/netrc/parse", test_netrc_parse);
  g_test_add_func ("/pcq/netrc/hostile", test_netrc_hostile);
  g_test_add_func ("/pcq/netrc/load", test_netrc_load);

  return g_test_run ();
}
