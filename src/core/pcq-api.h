/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The external API interface: OpenAI-compatible chat completions.
 * Plain functions on plain data, safe to call from any thread. */

#define PCQ_API_DEFAULT_BASE "http://localhost:11434/v1"

/* The tokens a server says an answer took: -1 where it said nothing
 * usable (only non-negative integers are). */
typedef struct
{
  gint64 prompt_tokens;
  gint64 completion_tokens;
} PcqApiUsage;

#define PCQ_API_USAGE_UNKNOWN ((PcqApiUsage) { -1, -1 })

char       *pcq_api_chat_url      (const char  *base);
char       *pcq_api_models_url    (const char  *base);
char       *pcq_api_build_request (const char  *model,
                                   const char  *system_prompt,
                                   const char  *prompt,
                                   gboolean     stream,
                                   gsize       *length);
char       *pcq_api_build_batch_request (const char  *body,
                                         const char  *model,
                                         gsize       *length,
                                         GError     **error);
char       *pcq_api_parse_answer  (const char  *body,
                                   gssize       length,
                                   PcqApiUsage *usage,
                                   GError     **error);
char       *pcq_api_parse_error   (const char  *body,
                                   gssize       length);

/* The most of a `GET {base}/models` answer that is read, and the most
 * model ids taken from it. */
#define PCQ_API_MODELS_MAX_BODY (1024 * 1024)
#define PCQ_API_MODELS_MAX 1000

GStrv       pcq_api_parse_models  (GBytes      *body,
                                   GError     **error);
char       *pcq_api_slug          (const char  *prompt);
char       *pcq_api_redact        (const char  *text,
                                   const char  *secret);

/* Where an API key came from, for the message that refuses it. */
typedef enum
{
  PCQ_API_KEY_FROM_ENVIRONMENT,
  PCQ_API_KEY_FROM_KEYRING,
  PCQ_API_KEY_FROM_ENTRY,
} PcqApiKeyFrom;

gboolean    pcq_api_check_key     (const char     *key,
                                   PcqApiKeyFrom   from,
                                   GError        **error);

/* A server-sent events reader for streamed answers. */
typedef struct _PcqApiStream PcqApiStream;

PcqApiStream *pcq_api_stream_new      (void);
gboolean      pcq_api_stream_feed     (PcqApiStream  *self,
                                       const char    *data,
                                       gsize          length,
                                       GString       *content,
                                       GError       **error);
gboolean      pcq_api_stream_is_done  (PcqApiStream  *self);
gboolean      pcq_api_stream_saw_done (PcqApiStream  *self);
gboolean      pcq_api_stream_get_usage (PcqApiStream *self,
                                        PcqApiUsage  *usage);
void          pcq_api_stream_free     (PcqApiStream  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqApiStream, pcq_api_stream_free)

G_END_DECLS
