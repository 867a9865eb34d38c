/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "pcq-test-util.h"

/* Upper bound of one blocking iteration: conditions set by other threads
 * do not wake the main context, so they are re-checked this often. */
#define PCQ_TEST_POLL_MS 5

static gboolean
wake_cb (gpointer user_data)
{
  gboolean *fired = user_data;

  *fired = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
pcq_test_iterate (gint64 deadline)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  GSource *source;
  gboolean fired = FALSE;
  gint64 now;
  gint64 remaining_ms;

  now = g_get_monotonic_time ();
  if (now >= deadline)
    {
      g_main_context_unref (context);
      return FALSE;
    }

  remaining_ms = (deadline - now + 999) / 1000;
  source = g_timeout_source_new ((guint) MIN (remaining_ms, PCQ_TEST_POLL_MS));
  g_source_set_callback (source, wake_cb, &fired, NULL);
  g_source_attach (source, context);

  g_main_context_iteration (context, TRUE);

  g_source_destroy (source);
  g_source_unref (source);
  g_main_context_unref (context);

  return g_get_monotonic_time () < deadline;
}

void
pcq_test_spin (guint msec)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) msec * 1000;

  while (pcq_test_iterate (deadline))
    ;
}

typedef struct
{
  GTestFunc func;
  guint     timeout_s;
} IsolatedCase;

/* The parent's pid, seen from the parent or from an isolated case. */
static int
parent_pid (void)
{
  return g_test_subprocess () ? (int) getppid () : (int) getpid ();
}

/* Where isolated cases make their temp folders: the parent removes it
 * after each case, so that a case that fails half-way leaves nothing. */
static char *
case_root (void)
{
  g_autofree char *base = g_strdup_printf ("pcq-test-%d", parent_pid ());

  return g_build_filename (g_get_tmp_dir (), base, NULL);
}

/* Where an isolated case leaves its notes for the parent: a file named
 * after the parent's pid and the test path. */
static char *
notes_path (void)
{
  g_autofree char *name = g_strdup (g_test_get_path ());
  g_autofree char *base = NULL;

  g_strdelimit (name, "/", '_');
  base = g_strdup_printf ("pcq-test-notes-%d%s", parent_pid (), name);

  return g_build_filename (g_get_tmp_dir (), base, NULL);
}

static void
show_notes (void)
{
  g_autofree char *path = notes_path ();
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return;

  g_test_message ("notes of the failed case:");
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (*lines[i] != '\0')
        g_test_message ("  %s", lines[i]);
    }
}

static void
run_isolated (gconstpointer data)
{
  const IsolatedCase *c = data;
  g_autofree char *notes = NULL;
  g_autofree char *root = NULL;

  if (g_test_subprocess ())
    {
      c->func ();
      return;
    }

  notes = notes_path ();
  root = case_root ();
  g_unlink (notes);

  /* The case's stderr goes on to ours: a sanitizer's report (a leak, a
   * bad read) is on it, and would be lost with the captured output. */
  g_test_trap_subprocess (NULL, (guint64) c->timeout_s * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  if (g_test_trap_reached_timeout ())
    g_test_message ("the case was killed after %u s", c->timeout_s);
  if (!g_test_trap_has_passed ())
    show_notes ();
  g_unlink (notes);
  pcq_test_rm_rf (root);

  g_test_trap_assert_passed ();
}

void
pcq_test_add_isolated (const char *path,
                       GTestFunc   func,
                       guint       timeout_s)
{
  /* GLib frees a case's data only when the case runs, and an isolated
   * case's own process runs just that one: keep them all here, for the
   * life of the process, or LeakSanitizer reports the others. */
  static GPtrArray *cases;
  IsolatedCase *c = g_new0 (IsolatedCase, 1);

  if (cases == NULL)
    cases = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (cases, c);

  c->func = func;
  c->timeout_s = timeout_s;
  g_test_add_data_func (path, c, run_isolated);
}

void
pcq_test_init_isolation (void)
{
  /* The parent goes on after a failed case; a case stops at its first
   * failed assertion. */
  if (!g_test_subprocess ())
    g_test_set_nonfatal_assertions ();
}

void
pcq_test_note (const char *format,
               ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  g_test_message ("%s", text);

  if (g_test_subprocess ())
    {
      g_autofree char *path = notes_path ();
      FILE *file = g_fopen (path, "a");

      if (file != NULL)
        {
          fprintf (file, "%s\n", text);
          fclose (file);
        }
    }
}

char *
pcq_test_make_tmpdir (const char *tmpl)
{
  g_autoptr(GError) error = NULL;
  char *path;

  if (g_test_subprocess ())
    {
      g_autofree char *root = case_root ();

      g_assert_cmpint (g_mkdir_with_parents (root, 0700), ==, 0);
      path = g_build_filename (root, tmpl, NULL);
      g_assert_nonnull (g_mkdtemp (path));
      return path;
    }

  path = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);
  g_assert_nonnull (path);

  return path;
}

void
pcq_test_rm_rf (const char *path)
{
  GDir *dir;
  const char *name;

  if (path == NULL)
    return;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK)
      && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      dir = g_dir_open (path, 0, NULL);
      if (dir != NULL)
        {
          while ((name = g_dir_read_name (dir)) != NULL)
            {
              g_autofree char *child = g_build_filename (path, name, NULL);

              pcq_test_rm_rf (child);
            }
          g_dir_close (dir);
        }
      g_rmdir (path);
    }
  else
    {
      g_unlink (path);
    }
}

char *
pcq_test_make_subdir (const char *parent,
                      const char *name)
{
  char *path = g_build_filename (parent, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);

  return path;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  const char *const *sa = a;
  const char *const *sb = b;

  return g_strcmp0 (*sa, *sb);
}

GPtrArray *
pcq_test_list_dir (const char *path)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GDir *dir;
  const char *name;

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return names;

  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);

  g_ptr_array_sort (names, compare_strings);

  return names;
}

char *
pcq_test_describe_dir (const char *path)
{
  g_autoptr(GPtrArray) names = pcq_test_list_dir (path);
  GString *out = g_string_new ("[");

  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (out, "%s\"%s\"", i > 0 ? ", " : "",
                            (const char *) g_ptr_array_index (names, i));
  g_string_append_c (out, ']');

  return g_string_free (out, FALSE);
}

char *
pcq_test_find_part_file (const char *dir)
{
  g_autoptr(GPtrArray) names = pcq_test_list_dir (dir);

  for (guint i = 0; i < names->len; i++)
    {
      if (g_str_has_suffix (g_ptr_array_index (names, i), ".pcq-part"))
        return g_build_filename (dir, g_ptr_array_index (names, i), NULL);
    }

  return NULL;
}

gboolean
pcq_test_dir_has_part_files (const char *dir)
{
  g_autofree char *part = pcq_test_find_part_file (dir);

  return part != NULL;
}

gboolean
pcq_test_str_contains_ci (const char *haystack,
                          const char *needle)
{
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  if (haystack == NULL || needle == NULL)
    return FALSE;

  h = g_utf8_casefold (haystack, -1);
  n = g_utf8_casefold (needle, -1);

  return strstr (h, n) != NULL;
}

void
pcq_test_launcher_isolate (GSubprocessLauncher *launcher,
                           const char          *home,
                           const char          *state,
                           const char          *config)
{
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", state, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
}

guint16
pcq_test_unused_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);

  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);

  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);

  g_assert_cmpuint (port, >, 0);

  return port;
}

const char *
pcq_test_binary (void)
{
  const char *path = g_getenv ("PCQ_BINARY");

  return path != NULL && *path != '\0' ? path : PCQ_BINARY_DEFAULT;
}
