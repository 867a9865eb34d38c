/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A server's answer: a plain chat-completions body, an error body, and
 * a streamed (server-sent events) body fed whole and in pieces, which
 * must come to the same text and the same verdict. */

#include <string.h>

#include "pcq-api.h"
#include "pcq-fuzz.h"

PCQ_FUZZ_INIT ()

typedef struct
{
  gboolean  ok;
  gboolean  done;
  GString  *content;
} Streamed;

static Streamed
feed (const char *body,
      gsize       length,
      gsize       piece)
{
  g_autoptr(PcqApiStream) stream = pcq_api_stream_new ();
  g_autoptr(GError) error = NULL;
  Streamed result = { TRUE, FALSE, g_string_new (NULL) };

  for (gsize at = 0; at < length && result.ok; at += piece)
    result.ok = pcq_api_stream_feed (stream, body + at, MIN (piece, length - at),
                                     result.content, &error);

  g_assert_true (result.ok == (error == NULL));
  if (error != NULL)
    g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_true (g_utf8_validate (result.content->str, result.content->len, NULL));
  result.done = pcq_api_stream_is_done (stream);

  return result;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *body = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_auto(GStrv) models = NULL;
  PcqApiUsage usage;
  Streamed whole, pieces;
  gsize piece;

  if (size == 0)
    return 0;

  /* The first byte picks how the stream arrives: 1 to 256 bytes a read. */
  piece = (gsize) data[0] + 1;
  data++;
  size--;

  /* An exact copy with no NUL after it: the parsers get a length, and
   * ASan sees any read past it. */
  body = g_malloc (MAX (size, 1));
  memcpy (body, data, size);

  answer = pcq_api_parse_answer (body, size, &usage, &error);
  g_assert_true ((answer == NULL) == (error != NULL));
  if (answer != NULL)
    g_assert_true (g_utf8_validate (answer, -1, NULL));
  else
    g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_true (usage.prompt_tokens >= -1 && usage.completion_tokens >= -1);
  g_clear_error (&error);

  /* The same bytes as a list of models: ids that are names to show. */
  bytes = g_bytes_new_static (body, size);
  models = pcq_api_parse_models (bytes, &error);
  g_assert_true ((models == NULL) == (error != NULL));
  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    g_assert_true (models[i][0] != '\0' && g_utf8_validate (models[i], -1, NULL));
  if (error != NULL)
    g_assert_true (g_utf8_validate (error->message, -1, NULL));

  message = pcq_api_parse_error (body, size);
  if (message != NULL)
    g_assert_true (message[0] != '\0' && g_utf8_validate (message, -1, NULL));

  whole = feed (body, size, MAX (size, 1));
  pieces = feed (body, size, piece);
  g_assert_true (whole.ok == pieces.ok);
  g_assert_true (whole.done == pieces.done);
  g_assert_cmpstr (whole.content->str, ==, pieces.content->str);
  g_string_free (whole.content, TRUE);
  g_string_free (pieces.content, TRUE);

  return 0;
}
