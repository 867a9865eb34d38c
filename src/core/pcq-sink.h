/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The file layer. Thread-safe: workers call it concurrently. */

#define PCQ_SINK_NAME_MAX 200

char *pcq_sink_sanitize_name          (const char *name);
char *pcq_sink_name_from_disposition  (const char *header);
char *pcq_sink_name_from_uri          (GUri       *uri);

typedef struct _PcqSink PcqSink;

/* The final names an engine's jobs hold (thread-safe). */
typedef struct _PcqNames PcqNames;

PcqNames   *pcq_names_new     (void);
PcqNames   *pcq_names_ref     (PcqNames    *self);
void        pcq_names_unref   (PcqNames    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqNames, pcq_names_unref)

/* Which file a path led to when Pcq made it: a file planted at the same
 * path later has another one. An inode number is soon reused after an
 * unlink; its birth time (where the file system keeps one) is not. */
typedef struct
{
  guint64 dev;
  guint64 ino;
  gint64  btime_ns;  /* 0 where the file system keeps none */
} PcqFileId;

#define PCQ_FILE_ID_IS_SET(id) ((id)->ino != 0)

PcqSink    *pcq_sink_open     (const char  *dir,
                               const char  *name,
                               GError     **error);
char       *pcq_sink_reserve    (PcqNames    *names,
                                 const char  *dir,
                                 const char  *name,
                                 GError     **error);
char       *pcq_sink_claim      (PcqNames    *names,
                                 const char  *dir,
                                 const char  *name,
                                 GError     **error);
char       *pcq_sink_part_path  (const char  *dir,
                                 const char  *tag,
                                 guint64      id);
gint64      pcq_sink_part_size  (const char      *part_path,
                                 const PcqFileId *id);
PcqSink    *pcq_sink_open_part  (const char      *part_path,
                                 gint64           offset,
                                 const PcqFileId *id,
                                 GError         **error);
void        pcq_sink_get_file_id (PcqSink        *self,
                                  PcqFileId      *id);
gint64      pcq_sink_own_file_size (const char      *path,
                                    const PcqFileId *id);
gint64      pcq_sink_get_free_space (PcqSink *self);
gboolean    pcq_sink_hash_part  (PcqSink     *self,
                                 GChecksum   *checksum,
                                 gint64       length,
                                 guint8      *buffer,
                                 gsize        buffer_size,
                                 GError     **error);
void        pcq_sink_keep_part  (PcqSink     *self);
gboolean    pcq_sink_write      (PcqSink     *self,
                                 const void  *buf,
                                 gsize        len,
                                 GError     **error);
gboolean    pcq_sink_sync       (PcqSink     *self,
                                 GError     **error);
gboolean    pcq_sink_write_at   (PcqSink     *self,
                                 const void  *buf,
                                 gsize        len,
                                 gint64       offset,
                                 GError     **error);
gboolean    pcq_sink_commit     (PcqSink     *self,
                                 GError     **error);
gboolean    pcq_sink_finish     (PcqSink     *self,
                                 GError     **error);
char       *pcq_sink_write_temp  (const char  *dir,
                                  const char  *name,
                                  const void  *data,
                                  gsize        size,
                                  GError     **error);
gboolean    pcq_sink_rename_part (const char *part_path,
                                  const char *path,
                                  GError    **error);
const char *pcq_sink_get_path   (PcqSink     *self);
void        pcq_sink_reserve_name (PcqNames   *names,
                                   const char *path);
void        pcq_sink_release      (PcqNames   *names,
                                   const char *path);
gboolean    pcq_sink_take_next_name (PcqNames  *names,
                                     char     **path,
                                     GError   **error);
void        pcq_sink_remove_part  (const char *part_path);
void        pcq_sink_free       (PcqSink     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqSink, pcq_sink_free)

G_END_DECLS
