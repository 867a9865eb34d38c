/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Reading JSON that other programs wrote: a server's answer, a line of
 * an input file. */

JsonObject *pcq_json_parse_object (JsonParser  *parser,
                                   const char  *text,
                                   gssize       length,
                                   GError     **error);
const char *pcq_json_get_string   (JsonObject  *object,
                                   const char  *member);

G_END_DECLS
