/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-sink"

#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "pcq-error.h"
#include "pcq-sink.h"
#include "pcq-util.h"

#define PART_SUFFIX ".pcq-part"
#define MAX_CONFLICTS 10000

struct _PcqSink
{
  PcqNames *names;   /* borrowed */
  char *dir;
  char *stem;        /* "name" of "name.ext" */
  char *ext;         /* ".ext" or "" */
  char *path;        /* the reserved final path */
  char *part_path;   /* ".NAME.pcq-part" beside it */
  int   fd;
  PcqFileId id;      /* of the part file, once open */
  guint committed : 1;
  guint keep_part : 1;
};

/* Final paths that the jobs of one engine hold: chosen and not yet
 * taken by a finished file. A name stays reserved while its job waits
 * for another attempt, so that no other job takes it meanwhile.
 * Together with the check on disk and the no-replace rename, it keeps
 * two jobs from ever choosing the same name. */
struct _PcqNames
{
  gatomicrefcount  ref_count;
  GMutex           lock;
  GHashTable      *paths;
};

PcqNames *
pcq_names_new (void)
{
  PcqNames *self = g_new0 (PcqNames, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  self->paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

PcqNames *
pcq_names_ref (PcqNames *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
pcq_names_unref (PcqNames *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_hash_table_unref (self->paths);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* For pcq_sink_open(), which no engine calls. */
static PcqNames *
default_names (void)
{
  static gsize names;

  if (g_once_init_enter (&names))
    g_once_init_leave (&names, (gsize) pcq_names_new ());

  return (PcqNames *) names;
}

/* Cut @str to at most @max bytes without splitting a character. */
static void
utf8_truncate (GString *str,
               gsize    max)
{
  const char *end;

  if (str->len <= max)
    return;

  end = str->str + max;
  while (end > str->str && (*end & 0xC0) == 0x80)
    end--;
  g_string_truncate (str, end - str->str);
}

/* A name that pcq_sink_sanitize_name () would give back unchanged, seen
 * without decoding it: printable ASCII, short enough, no separator, no
 * "..", no leading dot and no surrounding blank. */
static gboolean
is_safe_name (const char *name)
{
  gsize len = strlen (name);

  return len > 0 && len <= PCQ_SINK_NAME_MAX &&
         name[0] != '.' && name[0] != ' ' && name[len - 1] != ' ' &&
         strstr (name, "..") == NULL && strpbrk (name, "/\\") == NULL &&
         pcq_str_is_printable_ascii (name);
}

/**
 * pcq_sink_sanitize_name:
 * @name: (nullable): a file name from the job, a header or a URL
 *
 * Makes @name safe to create in an output folder: valid UTF-8, no
 * path separators, no control or bidi characters (see
 * pcq_text_sanitize()), no "..", no leading dot, at most
 * %PCQ_SINK_NAME_MAX bytes (the extension is kept).
 *
 * Returns: (transfer full) (nullable): the safe name, or %NULL if
 *   nothing usable is left.
 */
char *
pcq_sink_sanitize_name (const char *name)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) out = NULL;
  const char *dot;

  if (name == NULL)
    return NULL;

  /* Every file of a queue comes this way: most names are safe already. */
  if (is_safe_name (name))
    return g_strdup (name);

  valid = pcq_text_sanitize (name, -1);
  out = g_string_new (NULL);

  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\')
        g_string_append_c (out, '_');
      else if (c == 0xFFFD)
        continue;
      else if (c == '.' && out->len > 0 && out->str[out->len - 1] == '.')
        continue;
      else
        g_string_append_unichar (out, c);
    }

  /* No leading dot (hidden, "..") and no surrounding blanks. */
  while (out->len > 0 && (out->str[0] == '.' || g_ascii_isspace (out->str[0])))
    g_string_erase (out, 0, 1);
  while (out->len > 0 && g_ascii_isspace (out->str[out->len - 1]))
    g_string_truncate (out, out->len - 1);

  if (out->len == 0)
    return NULL;

  if (out->len > PCQ_SINK_NAME_MAX)
    {
      g_autofree char *ext = NULL;

      dot = strrchr (out->str, '.');
      if (dot != NULL && strlen (dot) <= 16)
        ext = g_strdup (dot);
      else
        ext = g_strdup ("");

      g_string_truncate (out, out->len - strlen (ext));
      utf8_truncate (out, PCQ_SINK_NAME_MAX - strlen (ext));
      /* The cut may leave a blank or a dot at the end; sanitizing the
       * result again would drop them, and a safe name must stay as it
       * is (a job resumed after a crash looks for the name it had). */
      while (out->len > 0 && (out->str[out->len - 1] == '.' ||
                              g_ascii_isspace (out->str[out->len - 1])))
        g_string_truncate (out, out->len - 1);
      g_string_append (out, ext);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
last_component (const char *path)
{
  const char *slash = strrchr (path, '/');
  const char *backslash = strrchr (path, '\\');
  const char *base = path;

  if (slash != NULL)
    base = slash + 1;
  if (backslash != NULL && backslash + 1 > base)
    base = backslash + 1;

  return *base ? g_strdup (base) : NULL;
}

/**
 * pcq_sink_name_from_disposition:
 * @header: (nullable): a Content-Disposition header value
 *
 * Returns: (transfer full) (nullable): the last path component of its
 *   `filename*` (RFC 5987) or else `filename` parameter, not sanitized.
 */
char *
pcq_sink_name_from_disposition (const char *header)
{
  g_autoptr(GHashTable) params = NULL;
  const char *semi;
  const char *filename;

  if (header == NULL || (semi = strchr (header, ';')) == NULL)
    return NULL;

  /* libsoup decodes an RFC 5987 "filename*" into "filename", and it
   * takes precedence over a plain "filename". */
  params = soup_header_parse_semi_param_list (semi + 1);
  filename = g_hash_table_lookup (params, "filename");
  if (filename == NULL || *filename == '\0')
    return NULL;

  return last_component (filename);
}

/**
 * pcq_sink_name_from_uri:
 * @uri: an http(s) URI
 *
 * Returns: (transfer full) (nullable): the last segment of its path,
 *   percent-decoded and not sanitized, or %NULL if the path ends in "/".
 */
char *
pcq_sink_name_from_uri (GUri *uri)
{
  const char *path = g_uri_get_path (uri);
  const char *slash = strrchr (path, '/');
  const char *segment = slash ? slash + 1 : path;

  if (*segment == '\0')
    return NULL;

  return g_uri_unescape_string (segment, NULL);
}

static void
split_name (const char  *name,
            char       **stem,
            char       **ext)
{
  const char *dot = strrchr (name, '.');

  /* "archive.tar.gz" numbers as "archive.tar (1).gz", like GNOME Files. */
  if (dot == NULL || dot == name || strlen (dot) > 16)
    {
      *stem = g_strdup (name);
      *ext = g_strdup ("");
    }
  else
    {
      *stem = g_strndup (name, dot - name);
      *ext = g_strdup (dot);
    }
}

static gboolean
path_exists (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0 || errno != ENOENT;
}

static char *
part_path_for (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *part = g_strconcat (".", base, PART_SUFFIX, NULL);

  return g_build_filename (dir, part, NULL);
}

/* Reserves @path unless a job of @names holds it or (with @look) a
 * file lies there. A name is reserved before it is looked up on disk:
 * no other job of these names can take it meanwhile, and the lock
 * covers only the table, not the lookup (a system call, which waits
 * while a file is renamed in the same folder). */
static gboolean
try_reserve (PcqNames   *names,
             const char *path,
             gboolean    look)
{
  gboolean taken;

  g_mutex_lock (&names->lock);
  taken = g_hash_table_contains (names->paths, path);
  if (!taken)
    g_hash_table_add (names->paths, g_strdup (path));
  g_mutex_unlock (&names->lock);

  if (taken)
    return FALSE;

  if (look && path_exists (path))
    {
      pcq_sink_release (names, path);
      return FALSE;
    }

  return TRUE;
}

/* Chooses the first free "stem (N).ext", N starting at @first (at
 * least 1), and reserves it (try_reserve ()). A numbered name is always
 * looked up on disk, even for pcq_sink_claim (): one that another job
 * has put in place and given back is no longer held, and a claim of it
 * would end, after the move found it taken, as "stem (N) (1).ext"
 * (pcq_sink_take_next_name () numbers the name it is given). */
static gboolean
reserve_free (PcqSink   *self,
              guint      first,
              GError   **error)
{
  g_assert (first > 0);

  for (guint i = first; i < MAX_CONFLICTS; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s (%u)%s", self->stem, i, self->ext);
      g_autofree char *path = g_build_filename (self->dir, name, NULL);

      if (!try_reserve (self->names, path, TRUE))
        continue;

      g_free (self->path);
      self->path = g_steal_pointer (&path);
      return TRUE;
    }

  g_set_error (error, PCQ_ERROR, PCQ_ERROR_OUTPUT,
               _("No free name for “%s%s” in “%s”"), self->stem, self->ext, self->dir);
  return FALSE;
}

typedef enum
{
  IO_WRITE_TO,
  IO_WRITE,
  IO_RENAME,
} IoOperation;

static gboolean
set_io_error (GError     **error,
              int          errsv,
              IoOperation  what,
              const char  *path)
{
  g_autofree char *display = g_filename_display_name (path);

  if (errsv == ENOSPC || errsv == EDQUOT)
    {
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_DISK_FULL,
                   _("Disk full while writing “%s”"), display);
      return FALSE;
    }

  /* Whole sentences, for the translations. */
  switch (what)
    {
    case IO_WRITE_TO:
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_OUTPUT,
                   _("Cannot write to “%s”: %s"), display, g_strerror (errsv));
      break;
    case IO_WRITE:
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_OUTPUT,
                   _("Cannot write “%s”: %s"), display, g_strerror (errsv));
      break;
    case IO_RENAME:
      if (errsv == EOPNOTSUPP)
        g_set_error (error, PCQ_ERROR, PCQ_ERROR_OUTPUT,
                     _("Cannot put “%s” in place: the file system of the output folder cannot "
                       "rename a file without the risk of replacing another"), display);
      else
        g_set_error (error, PCQ_ERROR, PCQ_ERROR_OUTPUT,
                     _("Cannot rename “%s”: %s"), display, g_strerror (errsv));
      break;
    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

/* Opens the part file, creating the output folder only when it is
 * missing: most files go to a folder that exists, and a mkdir per file
 * is a syscall per file for nothing.
 *
 * Never through a symlink (O_NOFOLLOW). A fresh part is created with
 * O_EXCL (whatever stale one lay there is removed first, only if there
 * is one); one to resume is opened non-blocking, so that a FIFO cannot
 * hold the worker, and must be a regular file. */
static int
open_in_dir (PcqSink  *self,
             int       flags,
             gboolean *mkdir_failed)
{
  int fd = g_open (self->part_path, flags, 0644);

  if (fd < 0 && errno == ENOENT && (flags & O_CREAT))
    {
      if (g_mkdir_with_parents (self->dir, 0755) != 0)
        {
          *mkdir_failed = TRUE;
          return -1;
        }
      fd = g_open (self->part_path, flags, 0644);
    }

  return fd;
}

typedef struct
{
  PcqFileId id;
  gboolean  regular;
  gint64    size;
} FileInfo;

/* statx() of @path (not through a symlink), or of @fd when @path is "". */
static gboolean
file_info (int         fd,
           const char *path,
           FileInfo   *info)
{
  struct statx stx;
  int flags = AT_SYMLINK_NOFOLLOW | (*path == '\0' ? AT_EMPTY_PATH : 0);

  if (statx (fd, path, flags, STATX_TYPE | STATX_INO | STATX_SIZE | STATX_BTIME, &stx) != 0)
    return FALSE;

  info->id.dev = makedev (stx.stx_dev_major, stx.stx_dev_minor);
  info->id.ino = stx.stx_ino;
  info->id.btime_ns = (stx.stx_mask & STATX_BTIME)
                      ? stx.stx_btime.tv_sec * G_GINT64_CONSTANT (1000000000) + stx.stx_btime.tv_nsec
                      : 0;
  info->regular = S_ISREG (stx.stx_mode);
  info->size = stx.stx_size;
  return TRUE;
}

static gboolean
is_file (const FileInfo  *info,
         const PcqFileId *id)
{
  return info->regular && id != NULL && PCQ_FILE_ID_IS_SET (id) &&
         info->id.dev == id->dev && info->id.ino == id->ino && info->id.btime_ns == id->btime_ns;
}

static gboolean
open_part (PcqSink         *self,
           gboolean         fresh,
           const PcqFileId *id,
           GError         **error)
{
  /* Read too: a part whose file must be hashed is read once
   * (pcq_sink_hash_part ()): a resumed one, or a split download's. */
  int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;
  gboolean mkdir_failed = FALSE;
  FileInfo info;

  if (fresh)
    {
      self->fd = open_in_dir (self, flags | O_CREAT | O_EXCL, &mkdir_failed);
      if (self->fd < 0 && errno == EEXIST && g_unlink (self->part_path) == 0)
        self->fd = open_in_dir (self, flags | O_CREAT | O_EXCL, &mkdir_failed);
    }
  else
    self->fd = open_in_dir (self, flags | O_NONBLOCK, &mkdir_failed);

  if (self->fd < 0)
    {
      int errsv = errno;
      g_autofree char *display = NULL;

      if (!mkdir_failed)
        return set_io_error (error, errsv == ELOOP ? EEXIST : errsv, IO_WRITE_TO, self->dir);

      display = g_filename_display_name (self->dir);
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_OUTPUT,
                   _("Cannot create output folder “%s”: %s"), display, g_strerror (errsv));
      return FALSE;
    }

  if (!file_info (self->fd, "", &info))
    {
      int errsv = errno;

      close (self->fd);
      self->fd = -1;
      return set_io_error (error, errsv, IO_WRITE_TO, self->dir);
    }

  self->id = info.id;
  if (fresh)
    return TRUE;

  /* Only the file Pcq made is resumed: whatever else lies there now
   * (planted, or swapped in since it was measured) is not adopted. */
  if (!is_file (&info, id))
    {
      close (self->fd);
      self->fd = -1;
      g_set_error (error, PCQ_ERROR, PCQ_ERROR_HTTP_RETRYABLE,
                   _("The partial file was replaced by another; starting again"));
      return FALSE;
    }

  /* Blocking writes from here on: it is a regular file. */
  fcntl (self->fd, F_SETFL, fcntl (self->fd, F_GETFL) & ~O_NONBLOCK);
  return TRUE;
}

static PcqSink *open_exact (const char  *path,
                            GError     **error);

/**
 * pcq_sink_open:
 * @dir: the output folder (created if missing)
 * @name: a sanitized file name
 * @error: return location for an error
 *
 * Reserves a free final name in @dir (numbering conflicts) and opens the
 * temp file beside it.
 *
 * Returns: (transfer full) (nullable): the sink, or %NULL with @error set
 */
PcqSink *
pcq_sink_open (const char  *dir,
               const char  *name,
               GError     **error)
{
  g_autofree char *path = pcq_sink_reserve (default_names (), dir, name, error);
  PcqSink *self;

  if (path == NULL)
    return NULL;

  self = open_exact (path, error);
  if (self == NULL)
    pcq_sink_release (default_names (), path);

  return self;
}

static char *
reserve (PcqNames    *names,
         const char  *dir,
         const char  *name,
         gboolean     look,
         GError     **error)
{
  g_autoptr(PcqSink) self = NULL;
  char *path;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (name != NULL && *name && strchr (name, '/') == NULL, NULL);

  /* Nearly always free: the name as it is, without splitting it. */
  path = g_build_filename (dir, name, NULL);
  if (try_reserve (names, path, look))
    return path;
  g_free (path);

  self = g_new0 (PcqSink, 1);
  self->names = names;
  self->fd = -1;
  self->dir = g_strdup (dir);
  self->keep_part = TRUE;
  split_name (name, &self->stem, &self->ext);

  if (!reserve_free (self, 1, error))
    return NULL;

  return g_steal_pointer (&self->path);
}

/**
 * pcq_sink_reserve:
 * @names: the names an engine's jobs hold
 * @dir: the output folder
 * @name: a sanitized file name
 * @error: return location for an error
 *
 * Chooses the first free name in @dir ("name.ext", "name (1).ext", …)
 * and reserves it, creating nothing yet: the caller can record the name
 * durably before any file exists under it.
 *
 * Returns: (transfer full) (nullable): the reserved path
 */
char *
pcq_sink_reserve (PcqNames    *names,
                  const char  *dir,
                  const char  *name,
                  GError     **error)
{
  return reserve (names, dir, name, TRUE, error);
}

/**
 * pcq_sink_claim:
 *
 * As pcq_sink_reserve (), but the name as it is is only checked
 * against the names @names holds, not looked up on disk (a numbered
 * one, when that is held, is looked up as usual). For a file whose name
 * nobody sees before it is in place: its move, which never replaces a
 * file, finds a name taken on disk and goes on with the next free one
 * (pcq_sink_take_next_name ()). That saves a lookup per file, one that
 * waits while another file of the folder is created or moved.
 *
 * Returns: (transfer full) (nullable): the reserved path
 */
char *
pcq_sink_claim (PcqNames    *names,
                const char  *dir,
                const char  *name,
                GError     **error)
{
  return reserve (names, dir, name, FALSE, error);
}

/* Opens the part file ".NAME.pcq-part" beside a reserved @path. */
static PcqSink *
open_exact (const char  *path,
            GError     **error)
{
  g_autoptr(PcqSink) self = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_new0 (PcqSink, 1);
  self->names = default_names ();
  self->fd = -1;
  self->dir = g_path_get_dirname (path);
  name = g_path_get_basename (path);
  split_name (name, &self->stem, &self->ext);

  pcq_sink_reserve_name (self->names, path);
  self->path = g_strdup (path);
  self->part_path = part_path_for (path);

  if (!open_part (self, TRUE, NULL, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * pcq_sink_part_path:
 * @dir: the output folder
 * @tag: what tells this store's jobs from another's
 * @id: the job's id
 *
 * A job's part file is named after the job, not its final name: it can
 * be made before the name is chosen, and found again after a crash
 * whatever name was chosen.
 *
 * Returns: (transfer full): the path of the job's part file in @dir
 */
char *
pcq_sink_part_path (const char *dir,
                    const char *tag,
                    guint64     id)
{
  /* One allocation and no printf: every job submitted makes one. */
  gsize dir_len = strlen (dir);
  gsize tag_len = strlen (tag);
  gboolean separator = dir_len > 0 && dir[dir_len - 1] != G_DIR_SEPARATOR;
  char *path = g_malloc (dir_len + tag_len + 20 + sizeof "/.-" PART_SUFFIX);
  char *p = path;

  memcpy (p, dir, dir_len);
  p += dir_len;
  if (separator)
    *p++ = G_DIR_SEPARATOR;
  *p++ = '.';
  memcpy (p, tag, tag_len);
  p += tag_len;
  *p++ = '-';
  p = pcq_put_u64 (p, id);
  memcpy (p, PART_SUFFIX, sizeof PART_SUFFIX);

  return path;
}

/**
 * pcq_sink_part_size:
 * @part_path: a part file's path
 * @id: (nullable): the part file Pcq made there (pcq_sink_get_file_id())
 *
 * Returns: the size of the part file, or -1 unless @part_path is the
 *   very regular file @id names
 */
gint64
pcq_sink_part_size (const char      *part_path,
                    const PcqFileId *id)
{
  return pcq_sink_own_file_size (part_path, id);
}

/**
 * pcq_sink_own_file_size:
 * @path: a path
 * @id: (nullable): the file Pcq made, now expected at @path
 *
 * A part file keeps its identity when it is renamed into place: a
 * crash between that rename and the store's "done" leaves the job's
 * own result at its final name, and this recognises it.
 *
 * Returns: the file's size, or -1 unless @path is (not through a
 *   symlink) the regular file @id names
 */
gint64
pcq_sink_own_file_size (const char      *path,
                        const PcqFileId *id)
{
  FileInfo info;

  if (!file_info (AT_FDCWD, path, &info) || !is_file (&info, id))
    return -1;

  return info.size;
}

/**
 * pcq_sink_open_part:
 * @part_path: from pcq_sink_part_path()
 * @offset: keep this many bytes of it (0: start afresh)
 * @id: (nullable): with @offset, the part file Pcq made there before
 * @error: return location for an error
 *
 * Opens a job's part file, for pcq_sink_commit_to().
 *
 * Returns: (transfer full) (nullable): the sink, or %NULL with @error set
 */
PcqSink *
pcq_sink_open_part (const char      *part_path,
                    gint64           offset,
                    const PcqFileId *id,
                    GError         **error)
{
  g_autoptr(PcqSink) self = g_new0 (PcqSink, 1);

  self->fd = -1;
  self->dir = g_path_get_dirname (part_path);
  self->part_path = g_strdup (part_path);

  if (!open_part (self, offset <= 0, id, error))
    return NULL;

  if (offset > 0 && (ftruncate (self->fd, offset) != 0 || lseek (self->fd, offset, SEEK_SET) < 0))
    {
      set_io_error (error, errno, IO_WRITE, self->part_path);
      return NULL;
    }

  return g_steal_pointer (&self);
}

/**
 * pcq_sink_get_file_id:
 *
 * Which file the part file is: recorded with the job, so that only this
 * file is ever resumed (pcq_sink_part_size()) or taken for the job's
 * result (pcq_sink_own_file_size()).
 */
void
pcq_sink_get_file_id (PcqSink   *self,
                      PcqFileId *id)
{
  g_return_if_fail (self != NULL && id != NULL);
  *id = self->id;
}

/**
 * pcq_sink_hash_part:
 * @checksum: fed with the part's first @length bytes
 * @buffer: scratch space of @buffer_size bytes
 *
 * Reads what a resumed part holds already, through the descriptor that
 * was checked to be the job's own file (never by its path again).
 *
 * Returns: %FALSE with @error set if it cannot be read whole
 */
gboolean
pcq_sink_hash_part (PcqSink    *self,
                    GChecksum  *checksum,
                    gint64      length,
                    guint8     *buffer,
                    gsize       buffer_size,
                    GError    **error)
{
  gint64 offset = 0;

  g_return_val_if_fail (self != NULL && self->fd >= 0, FALSE);

  while (offset < length)
    {
      gssize n = pread (self->fd, buffer, MIN ((gint64) buffer_size, length - offset), offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;
          g_autofree char *display = g_filename_display_name (self->part_path);

          g_set_error (error, PCQ_ERROR, PCQ_ERROR_OUTPUT,
                       _("Cannot read “%s”: %s"), display, g_strerror (errsv));
          return FALSE;
        }
      if (n == 0)
        {
          g_autofree char *display = g_filename_display_name (self->part_path);

          g_set_error (error, PCQ_ERROR, PCQ_ERROR_OUTPUT,
                       _("Cannot read “%s”: %s"), display, g_strerror (EIO));
          return FALSE;
        }

      g_checksum_update (checksum, buffer, n);
      offset += n;
    }

  return TRUE;
}

/**
 * pcq_sink_get_free_space:
 *
 * What an unprivileged writer may still put on the file system of the
 * part file: one fstatvfs() on the descriptor already open.
 *
 * Returns: the free bytes, or -1 if the file system does not say
 */
gint64
pcq_sink_get_free_space (PcqSink *self)
{
  struct statvfs st;

  g_return_val_if_fail (self != NULL && self->fd >= 0, -1);

  if (fstatvfs (self->fd, &st) != 0 || st.f_frsize == 0)
    return -1;

  if ((guint64) st.f_bavail > (guint64) G_MAXINT64 / st.f_frsize)
    return G_MAXINT64;

  return (gint64) st.f_bavail * (gint64) st.f_frsize;
}

/**
 * pcq_sink_keep_part:
 *
 * Makes pcq_sink_free() leave the part file, so that a later attempt
 * can ask the server for the rest.
 */
void
pcq_sink_keep_part (PcqSink *self)
{
  g_return_if_fail (self != NULL);
  self->keep_part = TRUE;
}

/* The whole of @buf, at @offset (pwrite ()), or at the file offset
 * (write ()) when @offset is negative. */
static gboolean
write_all (PcqSink     *self,
           const void  *buf,
           gsize        len,
           gint64       offset,
           GError     **error)
{
  const char *p = buf;

  while (len > 0)
    {
      gssize n = offset < 0 ? write (self->fd, p, len) : pwrite (self->fd, p, len, offset);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return set_io_error (error, errno, IO_WRITE, self->part_path);
        }

      p += n;
      len -= n;
      if (offset >= 0)
        offset += n;
    }

  return TRUE;
}

gboolean
pcq_sink_write (PcqSink     *self,
                const void  *buf,
                gsize        len,
                GError     **error)
{
  g_return_val_if_fail (self != NULL && self->fd >= 0, FALSE);

  return write_all (self, buf, len, -1, error);
}

/**
 * pcq_sink_sync:
 *
 * Makes what was written so far durable (fdatasync ()): a split
 * download records how far its segments got only after this.
 */
gboolean
pcq_sink_sync (PcqSink  *self,
               GError  **error)
{
  g_return_val_if_fail (self != NULL && self->fd >= 0, FALSE);

  while (fdatasync (self->fd) != 0)
    if (errno != EINTR)
      return set_io_error (error, errno, IO_WRITE, self->part_path);

  return TRUE;
}

/**
 * pcq_sink_write_at:
 * @offset: where in the part file @buf goes
 *
 * Writes at a position, leaving the file offset alone: the segments of
 * one download write into the same part file, each at its own place.
 */
gboolean
pcq_sink_write_at (PcqSink     *self,
                   const void  *buf,
                   gsize        len,
                   gint64       offset,
                   GError     **error)
{
  g_return_val_if_fail (self != NULL && self->fd >= 0 && offset >= 0, FALSE);

  return write_all (self, buf, len, offset, error);
}

/* Moves the temp file to the final name without ever replacing a file
 * that appeared there meanwhile (another program, another Pcq). */
static int
rename_noreplace (const char *from,
                  const char *to)
{
  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;

  if (errno != EINVAL && errno != ENOSYS)
    return -1;

  /* The file system cannot rename without replacing: link + unlink
   * also fails with EEXIST instead of replacing. */
  if (link (from, to) == 0)
    {
      g_unlink (from);
      return 0;
    }

  /* Neither (some network file systems): a plain rename could replace
   * a file that appeared meanwhile, so the file stays where it is. */
  if (errno != EEXIST)
    errno = EOPNOTSUPP;
  return -1;
}

static gboolean
close_part (PcqSink  *self,
            GError  **error)
{
  int fd = self->fd;

  self->fd = -1;
  if (fd >= 0 && close (fd) != 0 && errno != EINTR)
    return set_io_error (error, errno, IO_WRITE, self->part_path);

  return TRUE;
}

/**
 * pcq_sink_write_temp:
 * @dir: the folder the file is then renamed in
 * @name: the name it is for (the temporary file is ".NAME-XXXXXX")
 *
 * Writes @data to a new temporary file in @dir (created O_EXCL, so it
 * is nobody else's), synced and closed: a file Pcq writes beside the
 * results (a report, errors.jsonl) is then renamed into place whole.
 *
 * Returns: (transfer full) (nullable): the temporary file's path
 */
char *
pcq_sink_write_temp (const char  *dir,
                     const char  *name,
                     const void  *data,
                     gsize        size,
                     GError     **error)
{
  g_autofree char *tmpl = g_strdup_printf (".%s-XXXXXX", name);
  g_autofree char *tmp = g_build_filename (dir, tmpl, NULL);
  const char *p = data;
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  int errsv = 0;

  if (fd < 0)
    errsv = errno;

  while (fd >= 0 && errsv == 0 && size > 0)
    {
      gssize n = write (fd, p, size);

      if (n < 0 && errno != EINTR)
        errsv = errno;
      else if (n > 0)
        {
          p += n;
          size -= n;
        }
    }

  if (fd >= 0 && errsv == 0 && fsync (fd) != 0)
    errsv = errno;
  if (fd >= 0)
    close (fd);

  if (errsv != 0)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *display = g_filename_display_name (path);

      if (fd >= 0)
        g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot write “%s”: %s"), display, g_strerror (errsv));
      return NULL;
    }

  return g_steal_pointer (&tmp);
}

/**
 * pcq_sink_rename_part:
 * @part_path: a complete part file, closed
 * @path: the final path, reserved and recorded
 * @error: return location for an error: %G_IO_ERROR_EXISTS when
 *   something else took @path meanwhile
 *
 * Renames a part file to its final name, never replacing a file. On
 * %G_IO_ERROR_EXISTS the part file stays, for another try with another
 * name.
 */
gboolean
pcq_sink_rename_part (const char  *part_path,
                      const char  *path,
                      GError     **error)
{
  if (rename_noreplace (part_path, path) == 0)
    return TRUE;

  if (errno == EEXIST)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "exists");
      return FALSE;
    }

  return set_io_error (error, errno, IO_RENAME, part_path);
}

/**
 * pcq_sink_finish:
 *
 * Closes the part file, complete, and leaves it for
 * pcq_sink_rename_part(): freeing the sink no longer removes it.
 */
gboolean
pcq_sink_finish (PcqSink  *self,
                 GError  **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  self->keep_part = TRUE;
  return close_part (self, error);
}

/**
 * pcq_sink_commit:
 * @self: a sink from pcq_sink_open()
 * @error: return location for an error
 *
 * Closes the temp file and renames it to the reserved name (or the next
 * free one, should that name have been taken meanwhile).
 */
gboolean
pcq_sink_commit (PcqSink  *self,
                 GError  **error)
{
  g_return_val_if_fail (self != NULL && self->fd >= 0, FALSE);

  if (!close_part (self, error))
    return FALSE;

  for (guint i = 1; ; i++)
    {
      if (rename_noreplace (self->part_path, self->path) == 0)
        break;

      if (errno != EEXIST)
        return set_io_error (error, errno, IO_RENAME, self->part_path);

      /* Our temp file's path stays: only the final name moves on. */
      pcq_sink_release (self->names, self->path);
      if (!reserve_free (self, i, error))
        return FALSE;
    }

  self->committed = TRUE;
  pcq_sink_release (self->names, self->path);

  return TRUE;
}

/**
 * pcq_sink_get_path:
 *
 * Returns: the final path: reserved before pcq_sink_commit(), taken after it.
 */
const char *
pcq_sink_get_path (PcqSink *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

/**
 * pcq_sink_free:
 *
 * Frees the sink. An uncommitted sink removes its temp file unless
 * pcq_sink_keep_part() was called; its name stays reserved for the job
 * until pcq_sink_release().
 */
void
pcq_sink_free (PcqSink *self)
{
  if (self == NULL)
    return;

  if (self->fd >= 0)
    close (self->fd);

  if (!self->committed && self->part_path != NULL && !self->keep_part)
    g_unlink (self->part_path);

  g_free (self->dir);
  g_free (self->stem);
  g_free (self->ext);
  g_free (self->path);
  g_free (self->part_path);
  g_free (self);
}

/**
 * pcq_sink_reserve_name:
 * @path: a final path recorded for a job that will run again
 *
 * Keeps the other jobs of @names from taking @path.
 */
void
pcq_sink_reserve_name (PcqNames   *names,
                       const char *path)
{
  g_return_if_fail (path != NULL);

  g_mutex_lock (&names->lock);
  g_hash_table_add (names->paths, g_strdup (path));
  g_mutex_unlock (&names->lock);
}

/**
 * pcq_sink_take_next_name:
 * @path: (inout): a reserved final path that something else took meanwhile
 *
 * Gives @path back and reserves the first free name in its folder made
 * from the same name ("name (1).ext", …) in its place.
 *
 * Returns: %FALSE, with @path NULL, when there is none
 */
gboolean
pcq_sink_take_next_name (PcqNames  *names,
                         char     **path,
                         GError   **error)
{
  g_autofree char *dir = g_path_get_dirname (*path);
  g_autofree char *name = g_path_get_basename (*path);

  pcq_sink_release (names, *path);
  g_free (*path);
  *path = pcq_sink_reserve (names, dir, name, error);

  return *path != NULL;
}

/**
 * pcq_sink_release:
 * @path: (nullable): a reserved final path
 *
 * Gives the name back: another job may take it.
 */
void
pcq_sink_release (PcqNames   *names,
                  const char *path)
{
  if (path == NULL)
    return;

  g_mutex_lock (&names->lock);
  g_hash_table_remove (names->paths, path);
  g_mutex_unlock (&names->lock);
}

/**
 * pcq_sink_remove_part:
 * @part_path: (nullable): a job's part file
 *
 * Removes the part file of a job that ended without a file.
 */
void
pcq_sink_remove_part (const char *part_path)
{
  if (part_path != NULL)
    g_unlink (part_path);
}
