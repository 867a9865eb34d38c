/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A SoupServer on 127.0.0.1 (a free port) that runs in a thread of its
 * own, with its own main context: the loopback servers of the tests. */

typedef struct _PcqTestSoupThread PcqTestSoupThread;

/* Called on the server's thread, its context the thread-default one.
 * A setup that gives the server a TLS certificate makes it listen for
 * HTTPS (and its base https://…). */
typedef void (*PcqTestSoupFunc) (SoupServer *server,
                                 gpointer    user_data);

PcqTestSoupThread *pcq_test_soup_thread_start       (const char        *name,
                                                     const char        *server_header,
                                                     gboolean           raw_paths,
                                                     PcqTestSoupFunc    setup,
                                                     gpointer           user_data);
void               pcq_test_soup_thread_stop        (PcqTestSoupThread *self,
                                                     PcqTestSoupFunc    teardown,
                                                     gpointer           user_data);
const char        *pcq_test_soup_thread_get_base    (PcqTestSoupThread *self);
guint16            pcq_test_soup_thread_get_port    (PcqTestSoupThread *self);
GMainContext      *pcq_test_soup_thread_get_context (PcqTestSoupThread *self);

G_END_DECLS
