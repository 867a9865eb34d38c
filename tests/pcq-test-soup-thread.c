/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "pcq-test-soup-thread.h"

struct _PcqTestSoupThread
{
  GThread         *thread;
  GMainContext    *context;
  GMainLoop       *loop;
  SoupServer      *server;       /* the server thread's */
  char            *header;
  gboolean         raw_paths;
  PcqTestSoupFunc  setup;
  PcqTestSoupFunc  teardown;
  gpointer         user_data;

  GMutex           lock;
  GCond            cond;
  gboolean         ready;
  char            *error;
  guint16          port;
  char            *base;         /* http[s]://127.0.0.1:PORT */
};

static gpointer
server_thread (gpointer data)
{
  PcqTestSoupThread *self = data;
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (self->context);

  self->server = soup_server_new ("server-header", self->header,
                                  "raw-paths", self->raw_paths,
                                  NULL);
  self->setup (self->server, self->user_data);

  /* A setup that gave the server a certificate makes it an HTTPS one. */
  if (soup_server_get_tls_certificate (self->server) != NULL)
    options |= SOUP_SERVER_LISTEN_HTTPS;

  g_mutex_lock (&self->lock);
  if (soup_server_listen_local (self->server, 0, options, &error))
    {
      GSList *uris = soup_server_get_uris (self->server);

      self->port = (guint16) g_uri_get_port (uris->data);
      self->base = g_strdup_printf ("%s://127.0.0.1:%u",
                                    (options & SOUP_SERVER_LISTEN_HTTPS) ? "https" : "http",
                                    self->port);
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
    }
  else
    self->error = g_strdup (error->message);
  self->ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (self->error == NULL)
    g_main_loop_run (self->loop);

  /* What is still open (paused or stalled answers) ends with the server;
   * a few iterations let libsoup drop its connections. */
  if (self->teardown != NULL)
    self->teardown (self->server, self->user_data);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  for (guint i = 0; i < 100 && g_main_context_iteration (self->context, FALSE); i++)
    ;

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/**
 * pcq_test_soup_thread_start:
 * @raw_paths: leave percent-encoding in the paths handlers see
 * @setup: adds the handlers (on the server's thread)
 *
 * Starts the thread and returns once the server listens; fails the test
 * if it cannot.
 */
PcqTestSoupThread *
pcq_test_soup_thread_start (const char      *name,
                            const char      *server_header,
                            gboolean         raw_paths,
                            PcqTestSoupFunc  setup,
                            gpointer         user_data)
{
  PcqTestSoupThread *self = g_new0 (PcqTestSoupThread, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->header = g_strdup (server_header);
  self->raw_paths = raw_paths;
  self->setup = setup;
  self->user_data = user_data;
  self->thread = g_thread_new (name, server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (self->error != NULL)
    g_error ("%s: cannot listen on 127.0.0.1: %s", name, self->error);

  return self;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * pcq_test_soup_thread_stop:
 * @teardown: (nullable): ends what the server holds open, on its thread,
 *   before it disconnects
 *
 * Stops the server and its thread, and frees @self.
 */
void
pcq_test_soup_thread_stop (PcqTestSoupThread *self,
                           PcqTestSoupFunc    teardown,
                           gpointer           user_data)
{
  if (self == NULL)
    return;

  self->teardown = teardown;
  self->user_data = user_data;
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (self->thread);

  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->header);
  g_free (self->error);
  g_free (self->base);
  g_free (self);
}

const char *
pcq_test_soup_thread_get_base (PcqTestSoupThread *self)
{
  return self->base;
}

guint16
pcq_test_soup_thread_get_port (PcqTestSoupThread *self)
{
  return self->port;
}

/* For sources that must run on the server's thread. */
GMainContext *
pcq_test_soup_thread_get_context (PcqTestSoupThread *self)
{
  return self->context;
}
