/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * bench-floor: libsoup alone, the floor Pcq's throughput is measured
 * against. T threads, each with its own GMainContext and SoupSession,
 * keep K requests in flight between them; each answer is streamed
 * (soup_session_send_async, then 512 KiB reads into a buffer the thread
 * keeps for its next transfer, as Pcq does) and written with
 * open (O_CREAT | O_EXCL) / write / close. No store, no events, no
 * retries, no names beyond the URL's last segment; like pcq's, its
 * messages follow no redirect and go without libsoup's content decoder
 * and auth manager.
 *
 *   bench-floor [--threads T] [--in-flight K] [--whole] -o DIR -i URLS
 *
 * --whole reads each answer whole with soup_session_send_and_read_async
 * instead, the floor first proposed: on small files it costs more CPU
 * than streaming into a kept buffer (tests/bench/README.md), so it is
 * there to compare, not to measure Pcq against. Prints one JSON line:
 * wall and CPU seconds, files, bytes.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#define BUFFER_SIZE (512 * 1024)

static int opt_threads = 1;
static int opt_in_flight = 8;
static gboolean opt_whole = FALSE;
static char *opt_out = NULL;
static char *opt_input = NULL;

typedef struct
{
  GPtrArray    *urls;      /* this thread's share */
  guint         next;
  guint         running;
  guint         max_running;
  guint         failed;
  guint64       bytes;
  GPtrArray    *spare_buffers;  /* read buffers kept for the next transfer */
  SoupSession  *session;
  GMainContext *context;
} Share;

typedef struct
{
  Share        *share;
  SoupMessage  *msg;
  GInputStream *in;
  int           fd;
  guint8       *buffer;
} Transfer;

static void start_next (Share *share);

static int
open_output (const char *url)
{
  const char *slash = strrchr (url, '/');
  g_autofree char *path = g_build_filename (opt_out, slash != NULL ? slash + 1 : url, NULL);

  return g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      len -= n;
    }

  return TRUE;
}

static void
transfer_done (Transfer *t,
               gboolean  ok)
{
  Share *share = t->share;

  if (!ok)
    share->failed++;
  if (t->fd >= 0)
    close (t->fd);
  g_clear_object (&t->in);
  g_clear_object (&t->msg);
  if (t->buffer != NULL)
    g_ptr_array_add (share->spare_buffers, t->buffer);
  g_free (t);
  share->running--;
  start_next (share);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Transfer *t = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL);

  if (n > 0 && write_all (t->fd, t->buffer, n))
    {
      t->share->bytes += n;
      g_input_stream_read_async (t->in, t->buffer, BUFFER_SIZE, G_PRIORITY_DEFAULT, NULL,
                                 read_cb, t);
      return;
    }

  transfer_done (t, n == 0);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Transfer *t = user_data;

  t->in = soup_session_send_finish (SOUP_SESSION (object), result, NULL);
  if (t->in == NULL || soup_message_get_status (t->msg) != SOUP_STATUS_OK)
    {
      transfer_done (t, FALSE);
      return;
    }

  t->fd = open_output (g_uri_get_path (soup_message_get_uri (t->msg)));
  if (t->fd < 0)
    {
      transfer_done (t, FALSE);
      return;
    }

  if (t->share->spare_buffers->len > 0)
    t->buffer = g_ptr_array_steal_index_fast (t->share->spare_buffers,
                                              t->share->spare_buffers->len - 1);
  else
    t->buffer = g_malloc (BUFFER_SIZE);
  g_input_stream_read_async (t->in, t->buffer, BUFFER_SIZE, G_PRIORITY_DEFAULT, NULL,
                             read_cb, t);
}

static void
read_whole_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Transfer *t = user_data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, NULL);
  gboolean ok = FALSE;

  if (body != NULL && soup_message_get_status (t->msg) == SOUP_STATUS_OK)
    {
      t->fd = open_output (g_uri_get_path (soup_message_get_uri (t->msg)));
      ok = t->fd >= 0 && write_all (t->fd, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      t->share->bytes += g_bytes_get_size (body);
    }

  transfer_done (t, ok);
}

static void
start_next (Share *share)
{
  while (share->running < share->max_running && share->next < share->urls->len)
    {
      Transfer *t = g_new0 (Transfer, 1);

      t->share = share;
      t->fd = -1;
      t->msg = soup_message_new (SOUP_METHOD_GET, g_ptr_array_index (share->urls, share->next++));
      /* As pcq's GETs go: each handler libsoup connects for a message is
       * connected and dropped under GObject's global signal lock. */
      soup_message_add_flags (t->msg, SOUP_MESSAGE_NO_REDIRECT);
      soup_message_disable_feature (t->msg, SOUP_TYPE_CONTENT_DECODER);
      soup_message_disable_feature (t->msg, SOUP_TYPE_AUTH_MANAGER);
      share->running++;
      if (opt_whole)
        soup_session_send_and_read_async (share->session, t->msg, G_PRIORITY_DEFAULT, NULL,
                                          read_whole_cb, t);
      else
        soup_session_send_async (share->session, t->msg, G_PRIORITY_DEFAULT, NULL, sent_cb, t);
    }
}

static gpointer
share_thread (gpointer data)
{
  Share *share = data;

  share->context = g_main_context_new ();
  g_main_context_push_thread_default (share->context);
  share->session = soup_session_new_with_options ("max-conns", 64,
                                                  "max-conns-per-host", 64,
                                                  NULL);
  start_next (share);
  while (share->running > 0)
    g_main_context_iteration (share->context, TRUE);

  g_clear_object (&share->session);
  while (g_main_context_iteration (share->context, FALSE))
    ;
  g_main_context_pop_thread_default (share->context);
  g_main_context_unref (share->context);
  return NULL;
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

int
main (int    argc,
      char **argv)
{
  const GOptionEntry entries[] = {
    { "threads", 't', 0, G_OPTION_ARG_INT, &opt_threads, "Threads (1–64)", "T" },
    { "in-flight", 'k', 0, G_OPTION_ARG_INT, &opt_in_flight, "Requests in flight in all", "K" },
    { "whole", 0, 0, G_OPTION_ARG_NONE, &opt_whole, "Read each answer whole, then write it", NULL },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "Where the files go", "DIR" },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &opt_input, "One URL a line", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree Share *shares = NULL;
  g_autofree GThread **threads = NULL;
  guint64 bytes = 0;
  guint failed = 0;
  guint files = 0;
  gint64 start;
  double wall;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      opt_out == NULL || opt_input == NULL || opt_threads < 1 || opt_threads > 64 ||
      opt_in_flight < 1)
    {
      g_printerr ("bench-floor: %s\n", error != NULL ? error->message : "bad options (see --help)");
      return 2;
    }

  if (!g_file_get_contents (opt_input, &text, NULL, &error))
    {
      g_printerr ("bench-floor: %s\n", error->message);
      return 2;
    }

  shares = g_new0 (Share, opt_threads);
  threads = g_new0 (GThread *, opt_threads);
  for (int i = 0; i < opt_threads; i++)
    {
      shares[i].urls = g_ptr_array_new ();
      shares[i].spare_buffers = g_ptr_array_new_with_free_func (g_free);
      shares[i].max_running = MAX (1, opt_in_flight / opt_threads + (i < opt_in_flight % opt_threads));
    }

  /* Round robin: each thread gets every T-th URL. */
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (*g_strstrip (lines[i]) != '\0')
        g_ptr_array_add (shares[files++ % opt_threads].urls, lines[i]);
    }

  start = g_get_monotonic_time ();
  for (int i = 0; i < opt_threads; i++)
    threads[i] = g_thread_new ("floor", share_thread, &shares[i]);
  for (int i = 0; i < opt_threads; i++)
    {
      g_thread_join (threads[i]);
      bytes += shares[i].bytes;
      failed += shares[i].failed;
      g_ptr_array_unref (shares[i].urls);
      g_ptr_array_unref (shares[i].spare_buffers);
    }
  wall = (g_get_monotonic_time () - start) / 1e6;

  printf ("{\"threads\": %d, \"in_flight\": %d, \"whole\": %s, \"files\": %u, \"failed\": %u, "
          "\"bytes\": %" G_GUINT64_FORMAT ", \"seconds\": %.3f, \"cpu\": %.3f}\n",
          opt_threads, opt_in_flight, opt_whole ? "true" : "false", files - failed, failed,
          bytes, wall, cpu_seconds ());

  return failed > 0 ? 1 : 0;
}
