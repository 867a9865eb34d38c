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

#ifdef HAVE_LIBGIT2
#include <git2.h>
#endif

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

gboolean
pcq_vcs_is_supported (void)
{
#ifdef HAVE_LIBGIT2
  return TRUE;
#else
  return FALSE;
#endif
}

#ifdef HAVE_LIBGIT2

static gpointer
init_libgit2 (gpointer data)
{
  git_libgit2_init ();
  return NULL;
}

static char *
failure_note (const char *what)
{
  const git_error *error = git_error_last ();

  if (error != NULL && error->message != NULL)
    /* Translators: what failed (“cannot add the file”), then libgit2's reason */
    return g_strdup_printf (_("not committed: %s: %s"), what, error->message);

  /* Translators: %s is what failed (“cannot add the file”) */
  return g_strdup_printf (_("not committed: %s"), what);
}

/* Under @workdir (canonical, ending in '/'), or NULL. */
static char *
relative_path (const char *workdir,
               const char *path)
{
  g_autofree char *real_dir = realpath (workdir, NULL);
  g_autofree char *real_path = realpath (path, NULL);
  size_t len;

  if (real_dir == NULL || real_path == NULL)
    return NULL;

  len = strlen (real_dir);
  if (strncmp (real_path, real_dir, len) != 0)
    return NULL;
  if (len > 1 && real_path[len] != '/')
    return NULL;

  while (real_path[len] == '/')
    len++;
  if (real_path[len] == '\0')
    return NULL;

  return g_strdup (real_path + len);
}

static char *
commit_file (const char *path,
             const char *body)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *rel = NULL;
  g_autofree char *message = NULL;
  git_repository *repo = NULL;
  git_index *index = NULL;
  git_reference *head = NULL;
  git_commit *parent = NULL;
  git_tree *base = NULL;
  git_tree *tree = NULL;
  git_treebuilder *builder = NULL;
  git_signature *signature = NULL;
  const git_index_entry *entry;
  git_tree_update update;
  git_oid base_id, tree_id, commit_id;
  char short_id[8];
  char *note = NULL;
  int rc;

  rc = git_repository_open_ext (&repo, dir, 0, NULL);
  if (rc == GIT_ENOTFOUND)
    return g_strdup (PCQ_VCS_NOTE_NO_REPOSITORY);
  if (rc < 0)
    return failure_note (_("cannot open the Git repository"));

  if (git_repository_is_bare (repo) || git_repository_workdir (repo) == NULL)
    {
      note = g_strdup (_("not committed: the Git repository has no working folder"));
      goto out;
    }

  rel = relative_path (git_repository_workdir (repo), path);
  if (rel == NULL)
    {
      note = g_strdup (_("not committed: the file is not in the repository's working folder"));
      goto out;
    }

  /* The index, reread from disk: another program may have changed it. */
  if (git_repository_index (&index, repo) < 0 ||
      git_index_read (index, FALSE) < 0 ||
      git_index_add_bypath (index, rel) < 0 ||
      git_index_write (index) < 0)
    {
      note = failure_note (_("cannot add the file"));
      goto out;
    }

  entry = git_index_get_bypath (index, rel, 0);
  if (entry == NULL)
    {
      note = g_strdup (_("not committed: the file is not in the index"));
      goto out;
    }

  /* HEAD's tree, or an empty one on an unborn branch. */
  rc = git_repository_head (&head, repo);
  if (rc == 0)
    {
      if (git_reference_peel ((git_object **) &parent, head, GIT_OBJECT_COMMIT) < 0 ||
          git_commit_tree (&base, parent) < 0)
        {
          note = failure_note (_("cannot read HEAD"));
          goto out;
        }
    }
  else if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND)
    {
      if (git_treebuilder_new (&builder, repo, NULL) < 0 ||
          git_treebuilder_write (&base_id, builder) < 0 ||
          git_tree_lookup (&base, repo, &base_id) < 0)
        {
          note = failure_note (_("cannot make an empty tree"));
          goto out;
        }
    }
  else
    {
      note = failure_note (_("cannot read HEAD"));
      goto out;
    }

  memset (&update, 0, sizeof update);
  update.action = GIT_TREE_UPDATE_UPSERT;
  git_oid_cpy (&update.id, &entry->id);
  update.filemode = (git_filemode_t) entry->mode;
  update.path = rel;
  if (git_tree_create_updated (&tree_id, repo, base, 1, &update) < 0 ||
      git_tree_lookup (&tree, repo, &tree_id) < 0)
    {
      note = failure_note (_("cannot make the tree"));
      goto out;
    }

  if (git_signature_default (&signature, repo) < 0)
    {
      git_error_clear ();
      if (git_signature_now (&signature, "Pcq", "pcq@localhost") < 0)
        {
          note = failure_note (_("cannot make a signature"));
          goto out;
        }
    }

  if (body != NULL && *body != '\0')
    message = g_strdup_printf ("Add %s\n\n%s\n", name, body);
  else
    message = g_strdup_printf ("Add %s\n", name);

  /* Fails, rather than losing a commit, if HEAD moved meanwhile. */
  if (git_commit_create (&commit_id, repo, "HEAD", signature, signature, NULL, message, tree,
                         parent != NULL ? 1 : 0,
                         (const git_commit **) (parent != NULL ? &parent : NULL)) < 0)
    {
      note = failure_note (_("cannot commit"));
      goto out;
    }

  git_oid_tostr (short_id, sizeof short_id, &commit_id);
  /* Translators: %s is the commit's short id */
  note = g_strdup_printf (_("committed %s"), short_id);

out:
  git_signature_free (signature);
  git_treebuilder_free (builder);
  git_tree_free (tree);
  git_tree_free (base);
  git_commit_free (parent);
  git_reference_free (head);
  git_index_free (index);
  git_repository_free (repo);
  return note;
}

#endif /* HAVE_LIBGIT2 */

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
  g_return_val_if_fail (path != NULL, NULL);

#ifdef HAVE_LIBGIT2
  {
    static GOnce once = G_ONCE_INIT;

    g_once (&once, init_libgit2, NULL);
    return commit_file (path, body);
  }
#else
  return g_strdup (PCQ_VCS_NOTE_UNSUPPORTED);
#endif
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
