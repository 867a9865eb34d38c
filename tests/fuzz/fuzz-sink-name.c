/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* File names from hostile places: a name as given (an "output" member,
 * a URL's last segment) and a Content-Disposition header's filename,
 * each through the sanitizer, which must hand back a name that is safe
 * to create in the output folder. */

#include <string.h>

#include "pcq-fuzz.h"
#include "pcq-sink.h"

PCQ_FUZZ_INIT ()

static void
check_safe_name (const char *name)
{
  g_autofree char *again = NULL;
  gsize len;

  if (name == NULL)
    return;  /* nothing usable: the caller falls back to another name */

  len = strlen (name);
  g_assert_cmpuint (len, >, 0);
  g_assert_cmpuint (len, <=, PCQ_SINK_NAME_MAX);
  g_assert_true (g_utf8_validate (name, len, NULL));
  g_assert_null (strchr (name, '/'));
  g_assert_null (strchr (name, '\\'));
  g_assert_cmpint (name[0], !=, '.');   /* no ".", "..", or hidden file */
  g_assert_false (g_ascii_isspace (name[0]));
  g_assert_false (g_ascii_isspace (name[len - 1]));
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (g_unichar_iscntrl (c));
      g_assert_cmpuint (c, !=, 0xFFFD);
    }

  /* A safe name stays as it is. */
  again = pcq_sink_sanitize_name (name);
  g_assert_cmpstr (again, ==, name);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *safe = pcq_sink_sanitize_name (text);
  g_autofree char *header_name = pcq_sink_name_from_disposition (text);
  g_autofree char *safe_header_name = NULL;

  check_safe_name (safe);

  if (header_name != NULL)
    {
      /* The last path component, not yet sanitized. */
      g_assert_cmpint (header_name[0], !=, '\0');
      g_assert_null (strchr (header_name, '/'));
      g_assert_null (strchr (header_name, '\\'));

      safe_header_name = pcq_sink_sanitize_name (header_name);
      check_safe_name (safe_header_name);
    }

  return 0;
}
