/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The Git step's libgit2 part, a module of its own (libpcq-git.so):
 * libgit2 and what it pulls in (TLS, SSH, Kerberos: a dozen libraries)
 * cost about 5 ms at every start, and only --commit or the Git setting
 * needs them. pcq-vcs.c loads it on first use.
 */

#define G_LOG_DOMAIN "pcq-vcs"

#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <glib/gi18n-lib.h>

#include "pcq-vcs.h"

/* The module's entry points (looked up by name). */
G_MODULE_EXPORT char     *pcq_vcs_git_commit_file     (const char  *path,
                                                       const char  *body);
G_MODULE_EXPORT gboolean  pcq_vcs_git_init_repository (const char  *folder,
                                                       GError     **error);

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


static void
ensure_libgit2 (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, init_libgit2, NULL);
}

char *
pcq_vcs_git_commit_file (const char *path,
                         const char *body)
{
  ensure_libgit2 ();
  return commit_file (path, body);
}

/* What `git init` does in @folder: an empty repository, or nothing
 * more than a re-read of the one already there. */
gboolean
pcq_vcs_git_init_repository (const char  *folder,
                             GError     **error)
{
  git_repository *repo = NULL;
  const git_error *git_error;

  ensure_libgit2 ();

  if (git_repository_init (&repo, folder, FALSE) == 0)
    {
      git_repository_free (repo);
      return TRUE;
    }

  git_error = git_error_last ();
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       git_error != NULL && git_error->message != NULL
                       ? git_error->message : _("libgit2 gave no reason"));
  return FALSE;
}
