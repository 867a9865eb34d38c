/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "pcq-run.h"
#include "pcq-sink.h"
#include "pcq-test-server.h"
#include "pcq-test-util.h"

/* Helpers */

/* C0, DEL and C1 (the name is valid UTF-8 when this is called). */
static gboolean
has_control_chars (const char *s)
{
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        return TRUE;
    }

  return FALSE;
}

/* The properties every sanitized name has, whatever the input. */
static void
assert_safe_name (const char *input,
                  const char *name)
{
  g_autofree char *again = NULL;

  if (name == NULL)
    g_error ("sanitize (\"%s\") returned NULL", input);

  {
    g_autofree char *shown_in = g_strescape (input, NULL);
    g_autofree char *shown_out = g_strescape (name, NULL);

    pcq_test_note ("sanitize (\"%s\") = \"%s\"", shown_in, shown_out);
  }

  g_assert_cmpstr (name, !=, "");
  g_assert_true (g_utf8_validate (name, -1, NULL));
  g_assert_cmpuint (strlen (name), <=, PCQ_SINK_NAME_MAX);
  g_assert_null (strchr (name, '/'));
  g_assert_false (has_control_chars (name));
  g_assert_cmpint (name[0], !=, '.');
  g_assert_cmpstr (name, !=, "..");

  /* A safe name is a fixed point: a job re-run after a crash must come
   * back to the name it recorded. */
  again = pcq_sink_sanitize_name (name);
  g_assert_cmpstr (again, ==, name);
}

static GUri *
parse_http_uri (const char *text)
{
  g_autoptr(GError) error = NULL;
  GUri *uri;

  /* The flags libsoup uses for every URI it hands out. */
  uri = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, &error);
  g_assert_no_error (error);

  return uri;
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
assert_file_contents (const char *path,
                      const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected);
}

static void
write_generated (PcqSink *sink,
                 guint    seed,
                 gsize    size,
                 gsize    piece)
{
  g_autofree guint8 *buf = g_malloc (piece);

  for (gsize offset = 0; offset < size; offset += piece)
    {
      g_autoptr(GError) error = NULL;
      gsize n = MIN (piece, size - offset);

      pcq_test_content_fill (seed, offset, buf, n);
      g_assert_true (pcq_sink_write (sink, buf, n, &error));
      g_assert_no_error (error);
    }
}

static void
assert_dir_is (const char         *dir,
               const char * const *expected)
{
  g_autoptr(GPtrArray) names = pcq_test_list_dir (dir);
  g_autofree char *listing = pcq_test_describe_dir (dir);

  pcq_test_note ("%s holds %s", dir, listing);
  g_assert_cmpuint (names->len, ==, g_strv_length ((GStrv) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_true (g_ptr_array_find_with_equal_func (names, expected[i], g_str_equal, NULL));
}

/* Names */

static void
test_sanitize_keeps_safe_names (void)
{
  static const char * const names[] = {
    "report.pdf",
    "naïve café.txt",
    "with space.txt",
    "x",
    "archive.tar.gz",
    "photo (1).jpg",
    "日本語のファイル.txt",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *name = pcq_sink_sanitize_name (names[i]);

      g_assert_cmpstr (name, ==, names[i]);
    }
}

static void
test_sanitize_traversal (void)
{
  static const char * const inputs[] = {
    "../../etc/passwd",
    "/etc/passwd",
    "..//..//etc/passwd",
    "a/../../passwd",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autofree char *name = pcq_sink_sanitize_name (inputs[i]);

      assert_safe_name (inputs[i], name);
      g_assert_null (strstr (name, ".."));
      g_assert_nonnull (strstr (name, "passwd"));
    }
}

static void
test_sanitize_slashes (void)
{
  g_autofree char *name = pcq_sink_sanitize_name ("a/b/c.txt");

  assert_safe_name ("a/b/c.txt", name);
  g_assert_true (g_str_has_suffix (name, "c.txt"));
}

static void
test_sanitize_leading_dot (void)
{
  static const char * const inputs[] = { ".bashrc", "..hidden", "...dots" };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autofree char *name = pcq_sink_sanitize_name (inputs[i]);
      const char *word = inputs[i] + strspn (inputs[i], ".");

      assert_safe_name (inputs[i], name);
      g_assert_nonnull (strstr (name, word));
    }
}

static void
test_sanitize_control_chars (void)
{
  static const char * const inputs[] = {
    "a\nb.txt",
    "tab\there.txt",
    "\x01\x02name.txt",
    "name\r\n.txt",
    "del\x7f.txt",
    "esc\x1b[31mred.txt",
    "nel\xc2\x85line.txt",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autofree char *name = pcq_sink_sanitize_name (inputs[i]);

      assert_safe_name (inputs[i], name);
      g_assert_true (g_str_has_suffix (name, ".txt"));
    }
}

static void
test_sanitize_length (void)
{
  g_autoptr(GString) ascii = g_string_new (NULL);
  g_autoptr(GString) accents = g_string_new (NULL);
  g_autoptr(GString) cjk = g_string_new (NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autofree char *exact = NULL;
  g_autofree char *exact_name = NULL;

  for (guint i = 0; i < 300; i++)
    g_string_append_c (ascii, 'a');
  g_string_append (ascii, ".txt");
  for (guint i = 0; i < 150; i++)
    g_string_append (accents, "é");
  for (guint i = 0; i < 101; i++)
    g_string_append (cjk, "日");
  g_string_append (cjk, ".txt");

  a = pcq_sink_sanitize_name (ascii->str);
  b = pcq_sink_sanitize_name (accents->str);
  c = pcq_sink_sanitize_name (cjk->str);

  assert_safe_name (ascii->str, a);
  assert_safe_name (accents->str, b);
  assert_safe_name (cjk->str, c);

  /* A cut never splits a character (checked in assert_safe_name by
   * g_utf8_validate) and never removes everything. */
  g_assert_cmpuint (strlen (a), >=, PCQ_SINK_NAME_MAX / 2);
  g_assert_cmpuint (strlen (b), >=, PCQ_SINK_NAME_MAX / 2);
  g_assert_cmpuint (strlen (c), >=, PCQ_SINK_NAME_MAX / 2);

  /* Exactly at the limit: kept as is. */
  exact = g_strnfill (PCQ_SINK_NAME_MAX, 'b');
  exact_name = pcq_sink_sanitize_name (exact);
  g_assert_cmpstr (exact_name, ==, exact);
}

/* Found by tests/fuzz/fuzz-sink-name: a cut that ends on a blank, or
 * on a dot before the kept extension, was no fixed point. */
static void
test_sanitize_long_cut_at_blank (void)
{
  g_autofree char *as = g_strnfill (PCQ_SINK_NAME_MAX - 1, 'a');
  g_autofree char *cs = g_strnfill (PCQ_SINK_NAME_MAX - 5, 'c');
  g_autoptr(GString) blank = g_string_new (NULL);
  g_autoptr(GString) dot = g_string_new (NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  /* Cut after the blank; cut after the dot, ".txt" kept. */
  g_string_append_printf (blank, "%s bbbb", as);
  g_string_append_printf (dot, "%s.dddd.txt", cs);

  a = pcq_sink_sanitize_name (blank->str);
  b = pcq_sink_sanitize_name (dot->str);

  assert_safe_name (blank->str, a);
  assert_safe_name (dot->str, b);
  g_assert_true (g_str_has_suffix (b, "c.txt"));
}

static void
test_sanitize_invalid_utf8 (void)
{
  static const char * const inputs[] = {
    "bad\xff\xfe.txt",
    "\xc3\x28.bin",
    "trunc\xe6\x97",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autofree char *name = pcq_sink_sanitize_name (inputs[i]);

      assert_safe_name (inputs[i], name);
    }
}

/* Inputs with nothing usable left: NULL (the caller falls back) or some
 * safe name, never "", "." or "..". */
static void
test_sanitize_degenerate (void)
{
  static const char * const inputs[] = {
    "", ".", "..", "/", "//", "\n", "../..", "./", "...", "\x01",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autofree char *name = pcq_sink_sanitize_name (inputs[i]);

      if (name != NULL)
        assert_safe_name (inputs[i], name);
    }
}

/* Plain ASCII names take a shortcut: they must come out as the general
 * path, which a non-ASCII letter at the end forces, makes them. Every
 * short name over the characters that matter is tried. */
static void
test_sanitize_ascii_same_as_general (void)
{
  static const char alphabet[] = "a. /\\~";
  const guint n = strlen (alphabet);
  guint tried = 0;

  for (guint len = 1; len <= 4; len++)
    {
      guint combos = 1;

      for (guint i = 0; i < len; i++)
        combos *= n;

      for (guint k = 0; k < combos; k++)
        {
          char plain[5] = { 0 };
          g_autofree char *with_letter = NULL;
          g_autofree char *general = NULL;
          g_autofree char *name = NULL;
          g_autofree char *expected = NULL;

          for (guint i = 0, rest = k; i < len; i++, rest /= n)
            plain[i] = alphabet[rest % n];
          /* A trailing blank is dropped from the name alone, kept
           * before the letter. */
          if (plain[len - 1] == ' ')
            continue;

          with_letter = g_strconcat (plain, "é", NULL);
          general = pcq_sink_sanitize_name (with_letter);
          name = pcq_sink_sanitize_name (plain);

          g_assert_nonnull (general);
          g_assert_true (g_str_has_suffix (general, "é"));
          expected = g_strndup (general, strlen (general) - strlen ("é"));
          if (*expected == '\0')
            g_assert_null (name);
          else
            {
              g_assert_cmpstr (name, ==, expected);
              assert_safe_name (plain, name);
            }
          tried++;
        }
    }

  g_assert_cmpuint (tried, >, 1000);
}

static void
test_disposition (void)
{
  static const struct
  {
    const char *header;
    const char *expected;
  } cases[] = {
    { "attachment; filename=\"report.pdf\"", "report.pdf" },
    { "attachment; filename=plain.txt", "plain.txt" },
    { "attachment; filename*=UTF-8''na%C3%AFve%20file.txt", "naïve file.txt" },
    { "attachment; filename*=utf-8''lower%20charset.txt", "lower charset.txt" },
    { "attachment; filename=\"fallback.txt\"; filename*=UTF-8''preferred.txt", "preferred.txt" },
    { "attachment; filename*=UTF-8''preferred.txt; filename=\"fallback.txt\"", "preferred.txt" },
    { "attachment; FILENAME=\"upper.txt\"", "upper.txt" },
    { "inline; filename=\"inline.png\"", "inline.png" },
    { "attachment; filename=\"with space.txt\"", "with space.txt" },
    { "attachment", NULL },
    { "inline", NULL },
    { "attachment; filename=\"\"", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = pcq_sink_name_from_disposition (cases[i].header);

      pcq_test_note ("Content-Disposition: %s → %s", cases[i].header, name);
      g_assert_cmpstr (name, ==, cases[i].expected);
    }
}

static void
test_disposition_traversal (void)
{
  static const char * const headers[] = {
    "attachment; filename=\"../../etc/passwd\"",
    "attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd",
    "attachment; filename=\"/etc/passwd\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *raw = pcq_sink_name_from_disposition (headers[i]);
      g_autofree char *name = NULL;

      /* Whether or not the parser sanitizes, the name the engine ends up
       * with (parser + sanitizer) is safe. */
      g_assert_nonnull (raw);
      name = pcq_sink_sanitize_name (raw);
      assert_safe_name (raw, name);
      g_assert_null (strstr (name, ".."));
    }
}

static void
test_uri_names (void)
{
  static const struct
  {
    const char *uri;
    const char *expected;
  } cases[] = {
    { "http://example.com/dir/file.iso", "file.iso" },
    { "http://example.com/a/b%20c.txt", "b c.txt" },
    { "http://example.com/f.txt?x=1&y=%2F#frag", "f.txt" },
    { "http://example.com/na%C3%AFve.txt", "naïve.txt" },
    { "https://example.com:8443/deep/path/to/archive.tar.gz", "archive.tar.gz" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GUri) uri = parse_http_uri (cases[i].uri);
      g_autofree char *name = pcq_sink_name_from_uri (uri);

      pcq_test_note ("%s → %s", cases[i].uri, name);
      g_assert_cmpstr (name, ==, cases[i].expected);
    }
}

static void
test_uri_names_empty (void)
{
  static const char * const uris[] = {
    "http://example.com/",
    "http://example.com",
    "http://example.com/?q=name.txt",
  };

  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autoptr(GUri) uri = parse_http_uri (uris[i]);
      g_autofree char *name = pcq_sink_name_from_uri (uri);

      /* Nothing in the path: no name (the engine says "download"), or
       * "download" itself. */
      if (name != NULL)
        g_assert_cmpstr (name, ==, "download");
    }
}

static void
test_uri_names_traversal (void)
{
  static const char * const uris[] = {
    "http://example.com/..%2F..%2Fetc%2Fpasswd",
    "http://example.com/a/%2e%2e",
    "http://example.com/x/%0Aevil%00.txt",
  };

  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autoptr(GUri) uri = parse_http_uri (uris[i]);
      g_autofree char *raw = pcq_sink_name_from_uri (uri);
      g_autofree char *name = NULL;

      if (raw == NULL)
        continue;

      name = pcq_sink_sanitize_name (raw);
      if (name != NULL)
        assert_safe_name (raw, name);
    }
}

/* Files */

static void
test_commit (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-sink-XXXXXX");
  g_autofree char *final = g_build_filename (dir, "file.bin", NULL);
  g_autofree char *part = g_build_filename (dir, ".file.bin.pcq-part", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PcqSink) sink = NULL;
  g_autofree char *path_dir = NULL;
  g_autofree char *path_base = NULL;

  sink = pcq_sink_open (dir, "file.bin", &error);
  g_assert_no_error (error);
  g_assert_nonnull (sink);

  write_generated (sink, 3, 100000, 4096);

  /* Before the commit the data lives in the part file beside the
   * destination, and nothing is under the final name. */
  g_assert_true (g_file_test (part, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));

  g_assert_true (pcq_sink_commit (sink, &error));
  g_assert_no_error (error);

  path_dir = g_path_get_dirname (pcq_sink_get_path (sink));
  path_base = g_path_get_basename (pcq_sink_get_path (sink));
  g_assert_cmpstr (path_dir, ==, dir);
  g_assert_cmpstr (path_base, ==, "file.bin");
  pcq_test_assert_content (final, 3, 100000);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  g_clear_pointer (&sink, pcq_sink_free);
  assert_dir_is (dir, (const char *[]) { "file.bin", NULL });

  pcq_test_rm_rf (dir);
}

static void
test_commit_empty (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-sink-XXXXXX");
  g_autofree char *final = g_build_filename (dir, "empty.txt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PcqSink) sink = NULL;

  sink = pcq_sink_open (dir, "empty.txt", &error);
  g_assert_no_error (error);
  g_assert_true (pcq_sink_commit (sink, &error));
  g_assert_no_error (error);
  g_clear_pointer (&sink, pcq_sink_free);

  assert_file_contents (final, "");
  assert_dir_is (dir, (const char *[]) { "empty.txt", NULL });

  pcq_test_rm_rf (dir);
}

static void
test_abort (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-sink-XXXXXX");
  g_autoptr(GError) error = NULL;
  PcqSink *sink;

  sink = pcq_sink_open (dir, "aborted.bin", &error);
  g_assert_no_error (error);
  write_generated (sink, 1, 50000, 8192);
  g_assert_true (pcq_test_dir_has_part_files (dir));

  /* Freed without a commit: nothing is left, neither the part file nor a
   * file under the final name. */
  pcq_sink_free (sink);
  assert_dir_is (dir, (const char *[]) { NULL });

  pcq_test_rm_rf (dir);
}

static void
test_conflict_numbering (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-sink-XXXXXX");
  g_autofree char *existing = g_build_filename (dir, "a.txt", NULL);
  g_autofree char *readme = g_build_filename (dir, "README", NULL);
  static const char * const contents[] = { "first", "second" };

  write_file (existing, "old");
  write_file (readme, "old readme");

  for (guint i = 0; i < G_N_ELEMENTS (contents); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PcqSink) sink = pcq_sink_open (dir, "a.txt", &error);
      g_autofree char *base = NULL;
      g_autofree char *expected = g_strdup_printf ("a (%u).txt", i + 1);

      g_assert_no_error (error);
      g_assert_true (pcq_sink_write (sink, contents[i], strlen (contents[i]), &error));
      g_assert_true (pcq_sink_commit (sink, &error));
      g_assert_no_error (error);

      base = g_path_get_basename (pcq_sink_get_path (sink));
      g_assert_cmpstr (base, ==, expected);
      assert_file_contents (pcq_sink_get_path (sink), contents[i]);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(PcqSink) sink = pcq_sink_open (dir, "README", &error);
    g_autofree char *base = NULL;

    g_assert_no_error (error);
    g_assert_true (pcq_sink_commit (sink, &error));
    g_assert_no_error (error);
    base = g_path_get_basename (pcq_sink_get_path (sink));
    g_assert_cmpstr (base, ==, "README (1)");
  }

  /* The existing files were not touched. */
  assert_file_contents (existing, "old");
  assert_file_contents (readme, "old readme");
  assert_dir_is (dir, (const char *[]) {
                   "a.txt", "a (1).txt", "a (2).txt", "README", "README (1)", NULL
                 });

  pcq_test_rm_rf (dir);
}

/* A claim takes the name as it is without looking on disk, but not a
 * numbered one: "a (1).bin", put in place by another job and given back,
 * is no longer held, and claiming it would end in "a (1) (1).bin" once
 * the move found it taken (seen with three jobs for one URL). */
static void
test_claim_numbered (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-sink-XXXXXX");
  g_autofree char *first = g_build_filename (dir, "a.bin", NULL);
  g_autofree char *placed = g_build_filename (dir, "a (1).bin", NULL);
  g_autofree char *expected = g_build_filename (dir, "a (2).bin", NULL);
  g_autoptr(PcqNames) names = pcq_names_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *claimed = NULL;
  g_autofree char *plain = NULL;

  write_file (placed, "placed");
  /* The first job holds "a.bin", its file not yet in place. */
  pcq_sink_reserve_name (names, first);

  claimed = pcq_sink_claim (names, dir, "a.bin", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (claimed, ==, expected);

  /* Once the first job's file is in place and its name given back, the
   * plain name is claimed without a lookup, as before; the move's
   * conflict then numbers from it. */
  write_file (first, "first");
  pcq_sink_release (names, first);
  plain = pcq_sink_claim (names, dir, "a.bin", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plain, ==, first);
  g_assert_true (pcq_sink_take_next_name (names, &plain, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (g_strrstr (plain, G_DIR_SEPARATOR_S) + 1, ==, "a (3).bin");

  pcq_test_rm_rf (dir);
}

/* A part file's name is made from the folder, the store's tag and the
 * job's id, with one separator whatever the folder ends with. */
static void
test_part_path (void)
{
  const struct {
    const char *dir;
    guint64 id;
    const char *expected;
  } cases[] = {
    { "/d", 7, "/d/.tag-7.pcq-part" },
    { "/d/", 0, "/d/.tag-0.pcq-part" },
    { "", 10, ".tag-10.pcq-part" },
    { "/a b/c", G_MAXUINT64, "/a b/c/.tag-18446744073709551615.pcq-part" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = pcq_sink_part_path (cases[i].dir, "tag", cases[i].id);

      g_assert_cmpstr (path, ==, cases[i].expected);
    }
}

/* The resume token reads back as the part file and validator it was
 * made from, at the ends of each number's range. */
static void
test_resume_token (void)
{
  const struct {
    PcqFileId id;
    const char *validator;
    const char *expected;
  } cases[] = {
    { { 1, 2, 3 }, "\"etag\"", "1:2:3 \"etag\"" },
    { { 0, 1, 0 }, NULL, "0:1:0 " },
    { { G_MAXUINT64, G_MAXUINT64, G_MININT64 }, "W/x",
      "18446744073709551615:18446744073709551615:-9223372036854775808 W/x" },
    { { 2049, 77, G_MAXINT64 }, NULL, "2049:77:9223372036854775807 " },
  };
  g_autoptr(PcqNames) names = pcq_names_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PcqRun) run = pcq_run_new (names, 1, "http://h/", "/d", NULL, NULL,
                                           g_strdup ("/d/.t-1.pcq-part"));
      g_autoptr(PcqRun) back = pcq_run_new (names, 1, "http://h/", "/d", NULL, NULL,
                                            g_strdup ("/d/.t-1.pcq-part"));
      g_autofree char *token = NULL;

      run->part_id = cases[i].id;
      run->validator = g_strdup (cases[i].validator);
      token = pcq_run_dup_resume (run);
      g_assert_cmpstr (token, ==, cases[i].expected);

      pcq_run_set_resume (back, token);
      g_assert_cmpuint (back->part_id.dev, ==, cases[i].id.dev);
      g_assert_cmpuint (back->part_id.ino, ==, cases[i].id.ino);
      g_assert_cmpint (back->part_id.btime_ns, ==, cases[i].id.btime_ns);
      g_assert_cmpstr (back->validator, ==, cases[i].validator);
    }
}

/* Two sinks for the same name open at once, committed in the reverse
 * order: neither overwrites the other (their part files must not be the
 * same file either). */
static void
test_conflict_interleaved (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-sink-XXXXXX");
  g_autoptr(GError) error = NULL;
  g_autoptr(PcqSink) first = NULL;
  g_autoptr(PcqSink) second = NULL;

  first = pcq_sink_open (dir, "same.bin", &error);
  g_assert_no_error (error);
  second = pcq_sink_open (dir, "same.bin", &error);
  g_assert_no_error (error);

  write_generated (first, 10, 30000, 1000);
  write_generated (second, 20, 20000, 1000);

  g_assert_true (pcq_sink_commit (second, &error));
  g_assert_no_error (error);
  g_assert_true (pcq_sink_commit (first, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (pcq_sink_get_path (first), !=, pcq_sink_get_path (second));
  pcq_test_assert_content (pcq_sink_get_path (first), 10, 30000);
  pcq_test_assert_content (pcq_sink_get_path (second), 20, 20000);
  assert_dir_is (dir, (const char *[]) { "same.bin", "same (1).bin", NULL });

  pcq_test_rm_rf (dir);
}

#define N_THREADS 16
#define THREAD_FILE_SIZE 40000

typedef struct
{
  const char *dir;
  guint       index;
  GMutex     *lock;
  GCond      *cond;
  gboolean   *go;
  char       *path;
  char       *error;
} SinkThread;

static gpointer
sink_thread (gpointer user_data)
{
  SinkThread *t = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *buf = g_malloc (THREAD_FILE_SIZE);
  PcqSink *sink;

  /* Start all together, to make the name choice race. */
  g_mutex_lock (t->lock);
  while (!*t->go)
    g_cond_wait (t->cond, t->lock);
  g_mutex_unlock (t->lock);

  pcq_test_content_fill (t->index, 0, buf, THREAD_FILE_SIZE);

  sink = pcq_sink_open (t->dir, "same.bin", &error);
  if (sink != NULL
      && pcq_sink_write (sink, buf, THREAD_FILE_SIZE / 2, &error)
      && pcq_sink_write (sink, buf + THREAD_FILE_SIZE / 2,
                         THREAD_FILE_SIZE - THREAD_FILE_SIZE / 2, &error)
      && pcq_sink_commit (sink, &error))
    t->path = g_strdup (pcq_sink_get_path (sink));
  else
    t->error = g_strdup (error ? error->message : "no error set");

  g_clear_pointer (&sink, pcq_sink_free);

  return NULL;
}

static void
test_conflict_threads (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-sink-XXXXXX");
  g_autoptr(GHashTable) paths = g_hash_table_new (g_str_hash, g_str_equal);
  SinkThread threads[N_THREADS] = { { 0 } };
  GThread *handles[N_THREADS];
  g_autoptr(GPtrArray) names = NULL;
  GMutex lock;
  GCond cond;
  gboolean go = FALSE;

  g_mutex_init (&lock);
  g_cond_init (&cond);

  for (guint i = 0; i < N_THREADS; i++)
    {
      threads[i].dir = dir;
      threads[i].index = i;
      threads[i].lock = &lock;
      threads[i].cond = &cond;
      threads[i].go = &go;
      handles[i] = g_thread_new ("sink", sink_thread, &threads[i]);
    }

  g_mutex_lock (&lock);
  go = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);

  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (handles[i]);

  for (guint i = 0; i < N_THREADS; i++)
    {
      if (threads[i].error != NULL)
        g_error ("thread %u: %s", i, threads[i].error);
      g_assert_nonnull (threads[i].path);
      /* No two workers got the same name... */
      g_assert_false (g_hash_table_contains (paths, threads[i].path));
      g_hash_table_add (paths, threads[i].path);
      /* ...and each file is exactly what its writer wrote. */
      pcq_test_assert_content (threads[i].path, i, THREAD_FILE_SIZE);
    }

  names = pcq_test_list_dir (dir);
  g_assert_cmpuint (names->len, ==, N_THREADS);
  g_assert_true (g_ptr_array_find_with_equal_func (names, "same.bin", g_str_equal, NULL));
  for (guint i = 1; i < N_THREADS; i++)
    {
      g_autofree char *expected = g_strdup_printf ("same (%u).bin", i);

      g_assert_true (g_ptr_array_find_with_equal_func (names, expected, g_str_equal, NULL));
    }

  for (guint i = 0; i < N_THREADS; i++)
    g_free (threads[i].path);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);
  pcq_test_rm_rf (dir);
}

/* Even a caller that passes an unsafe name cannot write outside the
 * folder: the sink refuses it (an error, or a failed precondition, which
 * is why this runs in a subprocess) or keeps the file inside. */
static void
test_open_unsafe_name (gconstpointer data)
{
  const char *unsafe = data;
  g_autofree char *base = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *listing = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PcqSink) sink = NULL;

      sink = pcq_sink_open (g_getenv ("PCQ_TEST_SINK_DIR"), unsafe, &error);
      if (sink != NULL
          && pcq_sink_write (sink, "x", 1, &error)
          && pcq_sink_commit (sink, &error))
        g_print ("saved as %s\n", pcq_sink_get_path (sink));
      else
        g_print ("refused: %s\n", error ? error->message : "(no error)");
      return;
    }

  base = pcq_test_make_tmpdir ("pcq-sink-XXXXXX");
  dir = g_build_filename (base, "out", NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_setenv ("PCQ_TEST_SINK_DIR", dir, TRUE);

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  pcq_test_note ("pcq_sink_open (\"%s\"): %s%s", unsafe,
                 g_test_trap_has_passed () ? "" : "(precondition) ",
                 g_test_trap_has_passed () ? "" : "failed");

  /* Nothing beside the output folder, and nothing hidden or partial in
   * it. */
  listing = pcq_test_describe_dir (base);
  g_assert_cmpstr (listing, ==, "[\"out\"]");
  g_assert_false (pcq_test_dir_has_part_files (dir));
  if (g_path_is_absolute (unsafe))
    g_assert_false (g_file_test (unsafe, G_FILE_TEST_EXISTS));

  g_unsetenv ("PCQ_TEST_SINK_DIR");
  pcq_test_rm_rf (base);
}

static void
test_open_unwritable (void)
{
  g_autofree char *base = pcq_test_make_tmpdir ("pcq-sink-XXXXXX");
  g_autofree char *file = g_build_filename (base, "a-file", NULL);
  g_autofree char *dir = g_build_filename (file, "sub", NULL);
  g_autoptr(GError) error = NULL;
  PcqSink *sink;

  /* A folder below a regular file cannot exist or be created (this holds
   * for root too, unlike permission bits). */
  write_file (file, "not a folder");

  sink = pcq_sink_open (dir, "x.bin", &error);
  g_assert_null (sink);
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, !=, "");

  g_clear_error (&error);
  sink = pcq_sink_open (file, "x.bin", &error);
  g_assert_null (sink);
  g_assert_nonnull (error);

  pcq_test_rm_rf (base);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  pcq_test_init_isolation ();

  pcq_test_add_isolated ("/pcq/sink/sanitize/keeps-safe-names", test_sanitize_keeps_safe_names, 20);
  pcq_test_add_isolated ("/pcq/sink/sanitize/traversal", test_sanitize_traversal, 20);
  pcq_test_add_isolated ("/pcq/sink/sanitize/slashes", test_sanitize_slashes, 20);
  pcq_test_add_isolated ("/pcq/sink/sanitize/leading-dot", test_sanitize_leading_dot, 20);
  pcq_test_add_isolated ("/pcq/sink/sanitize/control-chars", test_sanitize_control_chars, 20);
  pcq_test_add_isolated ("/pcq/sink/sanitize/length", test_sanitize_length, 20);
  pcq_test_add_isolated ("/pcq/sink/sanitize/long-cut-at-blank", test_sanitize_long_cut_at_blank, 20);
  pcq_test_add_isolated ("/pcq/sink/sanitize/invalid-utf8", test_sanitize_invalid_utf8, 20);
  pcq_test_add_isolated ("/pcq/sink/sanitize/degenerate", test_sanitize_degenerate, 20);
  pcq_test_add_isolated ("/pcq/sink/sanitize/ascii-same-as-general",
                         test_sanitize_ascii_same_as_general, 20);
  pcq_test_add_isolated ("/pcq/sink/disposition/names", test_disposition, 20);
  pcq_test_add_isolated ("/pcq/sink/disposition/traversal", test_disposition_traversal, 20);
  pcq_test_add_isolated ("/pcq/sink/uri/names", test_uri_names, 20);
  pcq_test_add_isolated ("/pcq/sink/uri/empty-path", test_uri_names_empty, 20);
  pcq_test_add_isolated ("/pcq/sink/uri/traversal", test_uri_names_traversal, 20);
  pcq_test_add_isolated ("/pcq/sink/file/commit", test_commit, 20);
  pcq_test_add_isolated ("/pcq/sink/file/commit-empty", test_commit_empty, 20);
  pcq_test_add_isolated ("/pcq/sink/file/abort", test_abort, 20);
  pcq_test_add_isolated ("/pcq/sink/file/conflict-numbering", test_conflict_numbering, 20);
  pcq_test_add_isolated ("/pcq/sink/file/conflict-interleaved", test_conflict_interleaved, 20);
  pcq_test_add_isolated ("/pcq/sink/file/claim-numbered", test_claim_numbered, 20);
  g_test_add_func ("/pcq/sink/file/part-path", test_part_path);
  g_test_add_func ("/pcq/sink/file/resume-token", test_resume_token);
  pcq_test_add_isolated ("/pcq/sink/file/conflict-threads", test_conflict_threads, 20);
  g_test_add_data_func ("/pcq/sink/file/unsafe-name/parent", "../escape.txt", test_open_unsafe_name);
  g_test_add_data_func ("/pcq/sink/file/unsafe-name/dot-dot", "..", test_open_unsafe_name);
  g_test_add_data_func ("/pcq/sink/file/unsafe-name/absolute", "/tmp/pcq-escape.txt", test_open_unsafe_name);
  pcq_test_add_isolated ("/pcq/sink/file/unwritable", test_open_unwritable, 20);

  return g_test_run ();
}
