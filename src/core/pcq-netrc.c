/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-netrc"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "pcq-netrc.h"
#include "pcq-util.h"

typedef struct
{
  char *machine;   /* NULL: the default entry */
  char *login;
  char *password;
} Entry;

struct _PcqNetrc
{
  GPtrArray *entries;
};

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->machine);
  g_free (entry->login);
  pcq_secret_free (entry->password);
  g_free (entry);
}

void
pcq_netrc_free (PcqNetrc *self)
{
  if (self == NULL)
    return;

  g_ptr_array_unref (self->entries);
  g_free (self);
}

typedef struct
{
  const char *p;
  const char *end;
} Scanner;

/* The next token, or NULL at the end. A "quoted" token may hold blanks
 * and \" \\ \n \r \t; one never closed is dropped with the rest. A
 * token is copied once, into memory of its final size: a growing string
 * would leave parts of a password behind in the blocks it freed. */
static char *
next_token (Scanner *s)
{
  const char *start;
  char *token, *q;

  while (s->p < s->end && g_ascii_isspace (*s->p))
    s->p++;
  if (s->p >= s->end)
    return NULL;

  if (*s->p != '"')
    {
      for (start = s->p; s->p < s->end && !g_ascii_isspace (*s->p); s->p++)
        ;
      return g_strndup (start, s->p - start);
    }

  /* The closing quote: the first one that no backslash escapes. */
  for (start = ++s->p; s->p < s->end && *s->p != '"'; s->p++)
    {
      if (*s->p == '\\' && s->p + 1 < s->end)
        s->p++;
    }
  /* Never closed: the file ends in the middle of a token, which is
   * taken as no token at all. */
  if (s->p >= s->end)
    return NULL;

  token = q = g_malloc (s->p - start + 1);
  for (const char *r = start; r < s->p; r++)
    {
      char c = *r;

      if (c == '\\' && r + 1 < s->p)
        {
          c = *++r;
          c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
        }
      *q++ = c;
    }
  *q = '\0';
  s->p++;

  return token;
}

/* A macdef's body runs to the first empty line. */
static void
skip_macdef (Scanner *s)
{
  const char *blank = NULL;

  for (const char *q = s->p; q + 1 < s->end; q++)
    {
      if (q[0] == '\n' && q[1] == '\n')
        {
          blank = q + 2;
          break;
        }
    }
  s->p = blank != NULL ? blank : s->end;
}

/* What can go in a Basic header: text without control characters, and
 * a login without ':' (it would end the user name there). */
static gboolean
is_usable (const char *login,
           const char *password)
{
  if (login == NULL || password == NULL ||
      !g_utf8_validate (login, -1, NULL) || !g_utf8_validate (password, -1, NULL) ||
      strchr (login, ':') != NULL)
    return FALSE;

  for (const char *p = login; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7F)
      return FALSE;
  for (const char *p = password; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7F)
      return FALSE;

  return TRUE;
}

static void
add_entry (PcqNetrc *self,
           Entry    *entry)
{
  if (entry == NULL)
    return;

  if (is_usable (entry->login, entry->password))
    g_ptr_array_add (self->entries, entry);
  else
    entry_free (entry);
}

/**
 * pcq_netrc_parse:
 * @text: (array length=length): a .netrc file's bytes (hostile: any
 *   byte, NULs too)
 *
 * Entries without both a login and a password, or with one that
 * cannot be sent, are left out; so is anything not understood.
 *
 * Returns: (transfer full): the entries, in the file's order
 */
PcqNetrc *
pcq_netrc_parse (const char *text,
                 gsize       length)
{
  PcqNetrc *self = g_new0 (PcqNetrc, 1);
  Scanner s = { text, text + MIN (length, PCQ_NETRC_MAX_SIZE) };
  Entry *entry = NULL;
  char *token;

  self->entries = g_ptr_array_new_with_free_func (entry_free);
  /* A NUL ends the text, as it would end a C string of it. */
  if (text != NULL && memchr (text, '\0', s.end - s.p) != NULL)
    s.end = memchr (text, '\0', s.end - s.p);

  while ((token = next_token (&s)) != NULL)
    {
      g_autofree char *keyword = token;
      char **field = NULL;

      if (g_str_equal (keyword, "machine") || g_str_equal (keyword, "default"))
        {
          add_entry (self, entry);
          entry = g_new0 (Entry, 1);
          if (g_str_equal (keyword, "machine"))
            entry->machine = next_token (&s);
          /* A machine without a name is no entry. */
          if (g_str_equal (keyword, "machine") && entry->machine == NULL)
            g_clear_pointer (&entry, entry_free);
          continue;
        }

      if (g_str_equal (keyword, "macdef"))
        {
          g_free (next_token (&s));
          skip_macdef (&s);
          continue;
        }

      if (entry == NULL)
        continue;

      if (g_str_equal (keyword, "login"))
        field = &entry->login;
      else if (g_str_equal (keyword, "password"))
        field = &entry->password;
      else if (g_str_equal (keyword, "account"))
        {
          pcq_secret_free (next_token (&s));
          continue;
        }

      if (field != NULL)
        {
          char *value = next_token (&s);

          pcq_secret_free (*field);
          *field = value;
        }
    }
  add_entry (self, entry);

  return self;
}

static void
set_read_error (GError     **error,
                const char  *display,
                int          saved_errno)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Cannot read “%s”: %s"), display, g_strerror (saved_errno));
}

/**
 * pcq_netrc_load:
 * @path: a .netrc file
 *
 * Like ftp(1), a file that others may read is refused: it holds
 * passwords.
 *
 * Returns: (transfer full) (nullable): its entries, or %NULL with
 *   @error set
 */
PcqNetrc *
pcq_netrc_load (const char  *path,
                GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *display = g_filename_display_name (path);
  struct stat st;
  PcqNetrc *self = NULL;
  gssize n;
  gsize length = 0;
  int read_errno = 0;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      set_read_error (error, display, saved);
      return NULL;
    }

  if (!S_ISREG (st.st_mode) || st.st_size > PCQ_NETRC_MAX_SIZE)
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("“%s” is not a .netrc file (not a regular file, or larger than %d KiB)"),
                   display, PCQ_NETRC_MAX_SIZE / 1024);
      return NULL;
    }

  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("“%s” may be read by others: it holds passwords; make it private "
                     "(chmod 600)"), display);
      return NULL;
    }

  contents = g_malloc (PCQ_NETRC_MAX_SIZE + 1);
  while (length < PCQ_NETRC_MAX_SIZE &&
         (n = read (fd, contents + length, PCQ_NETRC_MAX_SIZE - length)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          read_errno = errno;
          break;
        }
      length += n;
    }
  close (fd);

  if (read_errno != 0)
    set_read_error (error, display, read_errno);
  else
    self = pcq_netrc_parse (contents, length);

  /* What was read holds passwords: cleared, parsed or not. */
  memset (contents, 0, length);
  return self;
}

/**
 * pcq_netrc_lookup:
 * @host: a download's host
 * @login: (out): the user name for it
 * @password: (out): its password
 *
 * The first `machine` entry for @host (case does not matter), else the
 * `default` one, as curl takes them.
 *
 * Returns: %TRUE if there are credentials for @host
 */
gboolean
pcq_netrc_lookup (PcqNetrc    *self,
                  const char  *host,
                  const char **login,
                  const char **password)
{
  Entry *fallback = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  for (guint i = 0; host != NULL && i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry->machine == NULL)
        {
          if (fallback == NULL)
            fallback = entry;
          continue;
        }
      if (g_ascii_strcasecmp (entry->machine, host) == 0)
        {
          *login = entry->login;
          *password = entry->password;
          return TRUE;
        }
    }

  if (fallback == NULL || host == NULL)
    return FALSE;

  *login = fallback->login;
  *password = fallback->password;
  return TRUE;
}

guint
pcq_netrc_get_n_entries (PcqNetrc *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->entries->len;
}
