/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PCQ_ERROR (pcq_error_quark ())

typedef enum
{
  PCQ_ERROR_INVALID_URL,     /* malformed, unsupported scheme, no host */
  PCQ_ERROR_HTTP,            /* a non-2xx status that is final */
  PCQ_ERROR_HTTP_RETRYABLE,  /* 408, 429, 5xx worth another attempt */
  PCQ_ERROR_SHORT_BODY,      /* connection closed before Content-Length bytes */
  PCQ_ERROR_REDIRECT,        /* redirect loop or too many redirects */
  PCQ_ERROR_OUTPUT,          /* output folder or file cannot be written */
  PCQ_ERROR_DISK_FULL,
  PCQ_ERROR_STALLED,         /* no byte for the stall timeout */
  PCQ_ERROR_API,             /* an API answer that is an error or cannot be read */
  PCQ_ERROR_API_KEY,         /* an API key that cannot be sent (a control character) */
  PCQ_ERROR_NO_PASSWORD,     /* a URL's user has no password: not kept, or not found */
  PCQ_ERROR_CHECKSUM,        /* the file does not have the SHA-256 it was given */
  PCQ_ERROR_HTTP_AUTH,       /* 401 or 403: the server wants (other) credentials */
  PCQ_ERROR_SIGN_IN,         /* 401 with Basic, and no credentials for it: a person may sign in */
} PcqError;

GQuark pcq_error_quark (void);

char  *pcq_text_sanitize (const char *text,
                          gssize      length);

G_END_DECLS
