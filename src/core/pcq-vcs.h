/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-dispatcher.h"

G_BEGIN_DECLS

/* Commits finished output files to the Git repository that contains
 * them, one at a time, on a thread of its own. */
typedef struct _PcqVcs PcqVcs;

/* Called on the context of the dispatcher given to pcq_vcs_new(), once
 * per pcq_vcs_commit(): @note says what happened ("committed 1a2b3c4",
 * "not committed: …"). */
typedef void (*PcqVcsResultFunc) (guint64     id,
                                  const char *note,
                                  gpointer    user_data);

#define PCQ_VCS_NOTE_NO_REPOSITORY "not committed: no Git repository"
#define PCQ_VCS_NOTE_UNSUPPORTED   "not committed: built without Git support"

gboolean  pcq_vcs_is_supported     (void);
PcqVcs   *pcq_vcs_new              (PcqDispatcher    *dispatcher,
                                    PcqVcsResultFunc  func,
                                    gpointer          user_data);
void      pcq_vcs_commit           (PcqVcs           *self,
                                    guint64           id,
                                    const char       *path,
                                    const char       *body);
void      pcq_vcs_free             (PcqVcs           *self);

/* Blocking; any thread but the main one. Returns the note. */
char     *pcq_vcs_commit_file_sync (const char       *path,
                                    const char       *body);

/* `git init` without the git program. */
gboolean  pcq_vcs_init_repository_sync   (const char           *folder,
                                          GError              **error);
void      pcq_vcs_init_repository_async  (const char           *folder,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean  pcq_vcs_init_repository_finish (GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
