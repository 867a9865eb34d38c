/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Credentials from a .netrc file, as curl reads it: `machine HOST
 * login USER password PASS`, `default login USER password PASS`,
 * tokens apart by blanks or newlines, "quoted" ones with \ escapes,
 * `macdef` blocks skipped to their blank line. */
typedef struct _PcqNetrc PcqNetrc;

/* A bigger file is no .netrc. */
#define PCQ_NETRC_MAX_SIZE (256 * 1024)

PcqNetrc   *pcq_netrc_parse      (const char  *text,
                                  gsize        length);
PcqNetrc   *pcq_netrc_load       (const char  *path,
                                  GError     **error);
gboolean    pcq_netrc_lookup     (PcqNetrc    *self,
                                  const char  *host,
                                  const char **login,
                                  const char **password);
guint       pcq_netrc_get_n_entries (PcqNetrc *self);
void        pcq_netrc_free       (PcqNetrc    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqNetrc, pcq_netrc_free)

G_END_DECLS
