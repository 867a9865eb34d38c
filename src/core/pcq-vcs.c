/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-vcs"

#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include <gmodule.h>

#include "pcq-vcs.h"

/*
 * One committer at a time
 *
 * pcq_vcs_commit() (main thread) pushes a request into @requests; one
 * thread, started with the first request, pops them in order and makes
 * each commit, so two commits never race inside this process. Results
 * are posted to the dispatcher, which hands them to @func on its
 * context.
 *
 * A commit never touches the file itself: whatever fails, the file stays
 * where it is. It adds the file to the repository's index and commits
 * HEAD's tree plus that one file, so whatever else the user has staged
 * stays staged, not committed.
 */

typedef struct
{
  guint64  id;
  char    *path;
  char    *body;
} Request;

/* Where results go. Each result holds a reference, so that one still
 * in the dispatcher when the committer is freed finds @func cleared and
 * is dropped: the dispatcher may be shared, and outlive us. */
typedef struct
{
  PcqVcsResultFunc  func;       /* context thread; NULL once freed */
  gpointer          user_data;
} Target;

typedef struct
{
  Target  *target;
  guint64  id;
  char    *note;
} Result;

struct _PcqVcs
{
  PcqDispatcher *dispatcher;
  Target        *target;

  GAsyncQueue   *requests;
  GThread       *thread;
};

static char stop_request;
#define STOP ((gpointer) &stop_request)

static void
request_free (gpointer data)
{
  Request *request = data;

  if (request == NULL || data == STOP)
    return;

  g_free (request->path);
  g_free (request->body);
  g_free (request);
}

static void
result_free (gpointer data)
{
  Result *result = data;

  g_atomic_rc_box_release (result->target);
  g_free (result->note);
  g_free (result);
}

typedef char     *(*CommitFileFunc)     (const char  *path,
                                         const char  *body);
typedef gboolean  (*InitRepositoryFunc) (const char  *folder,
                                         GError     **error);

/* The module's entry points, all found or none. */
typedef struct
{
  CommitFileFunc     commit_file;
  InitRepositoryFunc init_repository;
} GitModule;

/* libpcq-git.so (pcq-vcs-git.c): beside the running binary (the build
 * tree), in $PCQ_MODULE_DIR (the tests), or where it is installed. */
static gpointer
load_git_module (gpointer data)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *self_dir = self != NULL ? g_path_get_dirname (self) : NULL;
  const char *dirs[] = { g_getenv ("PCQ_MODULE_DIR"), self_dir, PCQ_PKGLIBDIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;
      GModule *module;
      gpointer commit_file;
      gpointer init_repository;

      if (dirs[i] == NULL || *dirs[i] == '\0')
        continue;

      path = g_build_filename (dirs[i], "libpcq-git.so", NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;

      module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
      if (module == NULL)
        {
          g_warning ("Cannot load %s: %s", path, g_module_error ());
          continue;
        }

      if (g_module_symbol (module, "pcq_vcs_git_commit_file", &commit_file) &&
          g_module_symbol (module, "pcq_vcs_git_init_repository", &init_repository))
        {
          GitModule *git = g_new0 (GitModule, 1);

          git->commit_file = (CommitFileFunc) commit_file;
          git->init_repository = (InitRepositoryFunc) init_repository;
          g_module_make_resident (module);
          return git;
        }

      g_module_close (module);
    }

  return NULL;
}

static const GitModule *
get_git_module (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, load_git_module, NULL);
}

/**
 * pcq_vcs_is_supported:
 *
 * Returns: whether Git support is there (built and installed)
 */
gboolean
pcq_vcs_is_supported (void)
{
  return get_git_module () != NULL;
}


/**
 * pcq_vcs_commit_file_sync:
 * @path: a finished output file
 * @body: (nullable): the commit message's body (the URL or the prompt)
 *
 * Commits @path, as "Add NAME", to the Git repository that contains
 * its folder. Blocks: never call it on the main thread.
 *
 * Returns: (transfer full): what happened, for the user
 */
char *
pcq_vcs_commit_file_sync (const char *path,
                          const char *body)
{
  const GitModule *git;

  g_return_val_if_fail (path != NULL, NULL);

  git = get_git_module ();
  if (git == NULL)
    return g_strdup (PCQ_VCS_NOTE_UNSUPPORTED);

  return git->commit_file (path, body);
}

/**
 * pcq_vcs_init_repository_sync:
 * @folder: an existing folder
 * @error: return location for a #GError
 *
 * Makes @folder a Git repository, as `git init` does, with libgit2: no
 * `git` program needed (the GNOME runtime has none). Blocks, and loads
 * the Git module on first use: never call it on the main thread.
 *
 * Returns: %TRUE on success
 */
gboolean
pcq_vcs_init_repository_sync (const char  *folder,
                              GError     **error)
{
  const GitModule *git;

  g_return_val_if_fail (folder != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  git = get_git_module ();
  if (git == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Pcq was built without Git support"));
      return FALSE;
    }

  return git->init_repository (folder, error);
}

static void
init_repository_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  GError *error = NULL;

  if (pcq_vcs_init_repository_sync (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * pcq_vcs_init_repository_async:
 * @folder: an existing folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the thread-default main context of the caller
 * @user_data: data for @callback
 *
 * pcq_vcs_init_repository_sync() on a thread.
 */
void
pcq_vcs_init_repository_async (const char          *folder,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (folder != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_vcs_init_repository_async);
  g_task_set_task_data (task, g_strdup (folder), g_free);
  g_task_run_in_thread (task, init_repository_thread);
}

gboolean
pcq_vcs_init_repository_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pcq_vcs_init_repository_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* On the dispatcher's context. */
static void
deliver_result (gpointer data)
{
  Result *result = data;
  Target *target = result->target;

  if (target->func != NULL)
    target->func (result->id, result->note, target->user_data);
}

static gpointer
committer_thread (gpointer data)
{
  PcqVcs *self = data;
  Request *request;

  while ((request = g_async_queue_pop (self->requests)) != STOP)
    {
      Result *result = g_new0 (Result, 1);

      result->target = g_atomic_rc_box_acquire (self->target);
      result->id = request->id;
      result->note = pcq_vcs_commit_file_sync (request->path, request->body);
      request_free (request);

      pcq_dispatcher_post (self->dispatcher, deliver_result, result, result_free);
    }

  return NULL;
}

/**
 * pcq_vcs_new:
 * @dispatcher: brings the results to its context (a reference is kept)
 * @func: called there once per commit request, with its note
 *
 * Returns: (transfer full): a committer; its thread starts with the
 *   first request
 */
PcqVcs *
pcq_vcs_new (PcqDispatcher    *dispatcher,
             PcqVcsResultFunc  func,
             gpointer          user_data)
{
  PcqVcs *self;

  g_return_val_if_fail (dispatcher != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (PcqVcs, 1);
  self->dispatcher = pcq_dispatcher_ref (dispatcher);
  self->target = g_atomic_rc_box_new0 (Target);
  self->target->func = func;
  self->target->user_data = user_data;
  self->requests = g_async_queue_new_full (request_free);
  return self;
}

/**
 * pcq_vcs_commit:
 * @id: passed back to the result function
 * @path: the finished file
 * @body: (nullable): the message body: the URL or the prompt
 *
 * Queues a commit of @path. Requests are committed in order, one at a
 * time.
 */
void
pcq_vcs_commit (PcqVcs     *self,
                guint64     id,
                const char *path,
                const char *body)
{
  Request *request;

  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL);

  request = g_new0 (Request, 1);
  request->id = id;
  request->path = g_strdup (path);
  request->body = g_strdup (body);
  g_async_queue_push (self->requests, request);

  if (self->thread == NULL)
    self->thread = g_thread_new ("pcq-vcs", committer_thread, self);
}

/**
 * pcq_vcs_free:
 *
 * Finishes the queued commits (this blocks while there are any), then
 * frees @self. Results not delivered yet are dropped. Call it on the
 * dispatcher's context: that is where results are delivered.
 */
void
pcq_vcs_free (PcqVcs *self)
{
  if (self == NULL)
    return;

  if (self->thread != NULL)
    {
      g_async_queue_push (self->requests, STOP);
      g_thread_join (self->thread);
    }

  /* Results still in the dispatcher find no one to tell. */
  self->target->func = NULL;
  g_atomic_rc_box_release (self->target);

  g_async_queue_unref (self->requests);
  pcq_dispatcher_unref (self->dispatcher);
  g_free (self);
}
