/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-vcs"

#include <string.h>

#include <git2.h>
#include <glib/gstdio.h>

#include "pcq-dispatcher.h"
#include "pcq-engine.h"
#include "pcq-store.h"
#include "pcq-test-server.h"
#include "pcq-test-engine.h"
#include "pcq-test-headless.h"
#include "pcq-test-util.h"
#include "pcq-vcs.h"


#define N_FILES 20
#define WAIT_MS 20000

static PcqTestServer *server;

#define assert_git(expr)                                                        \
  G_STMT_START                                                                  \
    {                                                                           \
      if ((expr) < 0)                                                           \
        {                                                                       \
          const git_error *e_ = git_error_last ();                              \
          g_error ("%s failed: %s", #expr, e_ != NULL ? e_->message : "?");     \
        }                                                                       \
    }                                                                           \
  G_STMT_END

typedef struct
{
  char      *dir;      /* removed afterwards */
  char      *work;     /* the repository's folder (or not a repository) */
  char      *out;      /* work/results: output folder, below the top */
  char      *store_path;
  PcqStore  *store;
  PcqEngine *engine;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  gboolean with_repo = GPOINTER_TO_INT (data);

  f->dir = pcq_test_make_tmpdir ("pcq-vcs-XXXXXX");
  f->work = pcq_test_make_subdir (f->dir, "work");
  f->out = pcq_test_make_subdir (f->work, "results");
  f->store_path = g_build_filename (f->dir, "queue.sqlite", NULL);

  if (with_repo)
    {
      git_repository *repo = NULL;
      git_config *config = NULL;

      assert_git (git_repository_init (&repo, f->work, FALSE));
      assert_git (git_repository_config (&config, repo));
      assert_git (git_config_set_string (config, "user.name", "Test Person"));
      assert_git (git_config_set_string (config, "user.email", "test@example.com"));
      git_config_free (config);
      git_repository_free (repo);
    }

  f->store = pcq_test_store_open (f->store_path);

  f->engine = pcq_engine_new ();
  pcq_engine_set_store (f->engine, f->store);
  pcq_engine_set_max_active (f->engine, 8);
  g_object_set (f->engine, "commit-results", TRUE, NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  pcq_test_engine_shutdown (f->engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  g_clear_object (&f->engine);
  pcq_store_close (f->store);
  g_clear_object (&f->store);

  pcq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->work);
  g_free (f->out);
  g_free (f->store_path);
}

static guint
file_size (guint i)
{
  return 1000 + 997 * i;
}

static char *
file_name (guint i)
{
  return g_strdup_printf ("file-%02u.bin", i);
}

static GPtrArray *
submit_files (Fixture *f)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < N_FILES; i++)
    {
      g_autofree char *name = file_name (i);
      g_autofree char *url = pcq_test_server_url (server, "/data/%u/%s?size=%u&seed=%u",
                                                  i, name, file_size (i), i);

      g_ptr_array_add (jobs, g_object_ref (pcq_engine_submit (f->engine, url, f->out, NULL)));
    }

  return jobs;
}

static gboolean
all_noted (GPtrArray *jobs)
{
  for (guint i = 0; i < jobs->len; i++)
    if (pcq_job_get_commit_note (g_ptr_array_index (jobs, i)) == NULL)
      return FALSE;

  return TRUE;
}

static void
assert_blob_content (git_repository *repo,
                     git_tree       *tree,
                     const char     *path,
                     guint           seed,
                     gsize           size)
{
  git_tree_entry *entry = NULL;
  git_blob *blob = NULL;
  g_autofree guint8 *expected = g_malloc (size);

  assert_git (git_tree_entry_bypath (&entry, tree, path));
  g_assert_cmpint (git_tree_entry_type (entry), ==, GIT_OBJECT_BLOB);
  assert_git (git_blob_lookup (&blob, repo, git_tree_entry_id (entry)));
  g_assert_cmpuint (git_blob_rawsize (blob), ==, size);
  pcq_test_content_fill (seed, 0, expected, size);
  g_assert_true (memcmp (git_blob_rawcontent (blob), expected, size) == 0);
  git_blob_free (blob);
  git_tree_entry_free (entry);
}

/* 20 downloads, 8 at a time: 20 commits, one per file, in one line of
 * history, each with its file's content. */
static void
test_commit_concurrent (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) jobs = submit_files (f);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  git_repository *repo = NULL;
  git_revwalk *walk = NULL;
  git_commit *head = NULL;
  git_tree *head_tree = NULL;
  git_index *index = NULL;
  git_oid oid;
  guint n_commits = 0;

  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_done (f->engine) == N_FILES && all_noted (jobs), WAIT_MS);

  for (guint i = 0; i < jobs->len; i++)
    {
      PcqJob *job = g_ptr_array_index (jobs, i);
      g_autofree char *name = file_name (i);
      g_autofree char *path = g_build_filename (f->out, name, NULL);

      g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_DONE);
      g_assert_cmpstr (pcq_job_get_output_path (job), ==, path);
      g_assert_true (g_str_has_prefix (pcq_job_get_commit_note (job), "committed "));
      pcq_test_assert_content (path, i, file_size (i));
    }

  assert_git (git_repository_open (&repo, f->work));
  assert_git (git_revwalk_new (&walk, repo));
  assert_git (git_revwalk_push_head (walk));
  git_revwalk_sorting (walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);

  while (git_revwalk_next (&oid, walk) == 0)
    {
      git_commit *commit = NULL;
      git_tree *tree = NULL;
      git_tree *sub = NULL;
      git_tree_entry *sub_entry = NULL;
      const git_signature *author;
      const char *summary;
      const char *name;
      guint i;
      g_autofree char *expected_name = NULL;
      g_autofree char *expected_url = NULL;
      g_autofree char *rel = NULL;

      assert_git (git_commit_lookup (&commit, repo, &oid));
      g_assert_cmpuint (git_commit_parentcount (commit), ==, n_commits == 0 ? 0 : 1);

      summary = git_commit_summary (commit);
      g_assert_true (g_str_has_prefix (summary, "Add file-"));
      name = summary + strlen ("Add ");
      g_assert_true (g_hash_table_add (seen, g_strdup (name)));  /* one per file */
      i = (guint) g_ascii_strtoull (name + strlen ("file-"), NULL, 10);
      g_assert_cmpuint (i, <, N_FILES);
      expected_name = file_name (i);
      g_assert_cmpstr (name, ==, expected_name);
      expected_url = pcq_test_server_url (server, "/data/%u/%s?size=%u&seed=%u",
                                          i, expected_name, file_size (i), i);
      g_assert_cmpstr (git_commit_body (commit), ==, expected_url);

      author = git_commit_author (commit);
      g_assert_cmpstr (author->name, ==, "Test Person");
      g_assert_cmpstr (author->email, ==, "test@example.com");

      /* Each commit adds its own file to what came before. */
      assert_git (git_commit_tree (&tree, commit));
      g_assert_cmpuint (git_tree_entrycount (tree), ==, 1);  /* results/ */
      assert_git (git_tree_entry_bypath (&sub_entry, tree, "results"));
      assert_git (git_tree_lookup (&sub, repo, git_tree_entry_id (sub_entry)));
      g_assert_cmpuint (git_tree_entrycount (sub), ==, n_commits + 1);
      git_tree_free (sub);
      git_tree_entry_free (sub_entry);
      rel = g_strconcat ("results/", name, NULL);
      assert_blob_content (repo, tree, rel, i, file_size (i));

      git_tree_free (tree);
      git_commit_free (commit);
      n_commits++;
    }

  g_assert_cmpuint (n_commits, ==, N_FILES);
  g_assert_cmpuint (g_hash_table_size (seen), ==, N_FILES);

  /* HEAD has them all, and so does the index (nothing shows as changed). */
  assert_git (git_revparse_single ((git_object **) &head, repo, "HEAD^{commit}"));
  assert_git (git_commit_tree (&head_tree, head));
  assert_git (git_repository_index (&index, repo));
  for (guint i = 0; i < N_FILES; i++)
    {
      g_autofree char *name = file_name (i);
      g_autofree char *rel = g_strconcat ("results/", name, NULL);

      assert_blob_content (repo, head_tree, rel, i, file_size (i));
      g_assert_nonnull (git_index_get_bypath (index, rel, 0));
    }

  git_index_free (index);
  git_tree_free (head_tree);
  git_commit_free (head);
  git_revwalk_free (walk);
  git_repository_free (repo);
}

/* No repository: the jobs are done all the same, and say why nothing was
 * committed. */
static void
test_no_repository (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) jobs = submit_files (f);
  g_autofree char *git_dir = g_build_filename (f->work, ".git", NULL);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *restored;

  PCQ_TEST_WAIT_FOR (pcq_engine_get_n_done (f->engine) == N_FILES && all_noted (jobs), WAIT_MS);

  for (guint i = 0; i < jobs->len; i++)
    {
      PcqJob *job = g_ptr_array_index (jobs, i);
      g_autofree char *name = file_name (i);
      g_autofree char *path = g_build_filename (f->out, name, NULL);

      g_assert_cmpint (pcq_job_get_state (job), ==, PCQ_JOB_DONE);
      g_assert_null (pcq_job_get_error (job));
      g_assert_cmpstr (pcq_job_get_commit_note (job), ==, "not committed: no Git repository");
      pcq_test_assert_content (path, i, file_size (i));
    }

  g_assert_false (g_file_test (git_dir, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (pcq_engine_get_n_failed (f->engine), ==, 0);

  /* The notes are kept: after a restart the rows still say so. */
  pcq_test_engine_shutdown (f->engine, PCQ_SHUTDOWN_WAIT, WAIT_MS);
  g_clear_object (&f->engine);
  pcq_store_close (f->store);
  g_clear_object (&f->store);

  f->store = pcq_store_new (f->store_path);
  records = pcq_store_open_sync (f->store, 0, NULL, &error);
  g_assert_no_error (error);
  f->engine = pcq_engine_new ();
  pcq_engine_restore (f->engine, records, PCQ_RESTORE_FINISHED);
  restored = pcq_engine_get_jobs (f->engine);
  g_assert_cmpuint (g_list_model_get_n_items (restored), ==, N_FILES);
  for (guint i = 0; i < N_FILES; i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (restored, i);

      g_assert_cmpstr (pcq_job_get_commit_note (job), ==, "not committed: no Git repository");
    }
}

typedef struct
{
  GPtrArray *notes;   /* "id note", in the order they came */
  gboolean   wrong_place;
} Notes;

static void
note_cb (guint64     id,
         const char *note,
         gpointer    user_data)
{
  Notes *notes = user_data;
  GSource *source = g_main_current_source ();

  /* On the dispatcher's context, from its source. */
  if (source == NULL || g_strcmp0 (g_source_get_name (source), "[pcq] test vcs") != 0)
    notes->wrong_place = TRUE;
  g_ptr_array_add (notes->notes, g_strdup_printf ("%" G_GUINT64_FORMAT " %s", id, note));
}

/* Makes a repository with @n files in @dir. */
static void
make_repository_files (const char *dir,
                       guint       n)
{
  git_repository *repo = NULL;

  assert_git (git_repository_init (&repo, dir, FALSE));
  git_repository_free (repo);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = file_name (i);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_true (g_file_set_contents (path, name, -1, NULL));
    }
}

/* PcqVcs alone: the notes come through the dispatcher it is given, in
 * the order of the requests. */
static void
test_vcs_dispatcher (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-vcs-XXXXXX");
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (NULL, "[pcq] test vcs");
  g_autoptr(GPtrArray) note_list = g_ptr_array_new_with_free_func (g_free);
  Notes notes = { note_list, FALSE };
  PcqVcs *vcs;

  make_repository_files (dir, 3);
  vcs = pcq_vcs_new (dispatcher, note_cb, &notes);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = file_name (i);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      pcq_vcs_commit (vcs, 10 + i, path, NULL);
    }

  PCQ_TEST_WAIT_FOR (note_list->len == 3, WAIT_MS);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("%u committed ", 10 + i);

      g_assert_true (g_str_has_prefix (g_ptr_array_index (note_list, i), prefix));
    }
  g_assert_false (notes.wrong_place);

  pcq_vcs_free (vcs);
  pcq_test_rm_rf (dir);
}

/* Notes not delivered when the committer is freed are dropped, though
 * the dispatcher lives on. */
static void
test_vcs_free_drops (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-vcs-XXXXXX");
  g_autoptr(PcqDispatcher) dispatcher = pcq_dispatcher_new (NULL, "[pcq] test vcs");
  g_autoptr(GPtrArray) note_list = g_ptr_array_new_with_free_func (g_free);
  Notes notes = { note_list, FALSE };
  g_autofree char *path = NULL;
  PcqVcs *vcs;

  make_repository_files (dir, 1);
  path = g_build_filename (dir, "file-00.bin", NULL);
  vcs = pcq_vcs_new (dispatcher, note_cb, &notes);
  pcq_vcs_commit (vcs, 1, path, NULL);
  /* Waits for the commit; its note is in the dispatcher by then. */
  pcq_vcs_free (vcs);

  pcq_dispatcher_flush (dispatcher);
  g_assert_cmpuint (note_list->len, ==, 0);
  pcq_test_rm_rf (dir);
}

/* Without commit-results nothing is committed and no note is set. */
static void
test_off_by_default (void)
{
  g_autoptr(PcqEngine) engine = pcq_engine_new ();
  gboolean commit = TRUE;

  g_object_get (engine, "commit-results", &commit, NULL);
  g_assert_false (commit);
}

/* `pcq --headless --commit`: committed, with the fallback author when
 * no configuration names one. */
static void
test_headless_commit (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-vcs-XXXXXX");
  g_autofree char *state = pcq_test_make_subdir (dir, "state");
  g_autofree char *config = pcq_test_make_subdir (dir, "config");
  g_autofree char *work = pcq_test_make_subdir (dir, "work");
  g_autofree char *url = pcq_test_server_url (server, "/data/h/headless.bin?size=4321&seed=7");
  g_autofree char *path = g_build_filename (work, "headless.bin", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(PcqTestRun) run = NULL;
  git_repository *repo = NULL;
  git_commit *head = NULL;
  git_tree *tree = NULL;
  g_autofree char *system_config = NULL;

  assert_git (git_repository_init (&repo, work, FALSE));

  launcher = pcq_test_headless_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                         dir, state, config);
  run = pcq_test_run_spawn (launcher, NULL, (const char *[]) { "--commit", "-o", work, url, NULL });
  pcq_test_run_wait (run, WAIT_MS);
  g_assert_cmpint (pcq_test_run_exit_status (run), ==, 0);

  pcq_test_assert_content (path, 7, 4321);
  assert_git (git_revparse_single ((git_object **) &head, repo, "HEAD^{commit}"));
  g_assert_cmpuint (git_commit_parentcount (head), ==, 0);
  g_assert_cmpstr (git_commit_summary (head), ==, "Add headless.bin");
  g_assert_cmpstr (git_commit_body (head), ==, url);
  /* HOME and XDG_CONFIG_HOME are empty: only a system-wide [user]
   * section could name an author. */
  if (!g_file_get_contents ("/etc/gitconfig", &system_config, NULL, NULL) ||
      strstr (system_config, "[user") == NULL)
    {
      g_assert_cmpstr (git_commit_author (head)->name, ==, "Pcq");
      g_assert_cmpstr (git_commit_author (head)->email, ==, "pcq@localhost");
    }
  assert_git (git_commit_tree (&tree, head));
  assert_blob_content (repo, tree, "headless.bin", 7, 4321);

  git_tree_free (tree);
  git_commit_free (head);
  git_repository_free (repo);
  pcq_test_rm_rf (dir);
}
static void
init_repository_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
init_repository (const char  *folder,
                 GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pcq_vcs_init_repository_async (folder, NULL, init_repository_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return pcq_vcs_init_repository_finish (result, error);
}

/* Initialize Git Repository, with libgit2 (no `git` program in the
 * GNOME runtime): a repository the next commit goes into; a second
 * run leaves it as it is; a folder that cannot be made one, an error. */
static void
test_init_repository (void)
{
  g_autofree char *dir = pcq_test_make_tmpdir ("pcq-vcs-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "after-init.txt", NULL);
  g_autofree char *blocker = g_build_filename (dir, "not-a-folder", NULL);
  g_autofree char *below = g_build_filename (blocker, "sub", NULL);
  g_autofree char *note = NULL;
  g_autoptr(GError) error = NULL;
  git_repository *repo = NULL;
  git_commit *head = NULL;

  g_assert_true (init_repository (dir, &error));
  g_assert_no_error (error);
  assert_git (git_repository_open_ext (&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL));
  g_assert_false (git_repository_is_bare (repo));
  g_assert_true (git_repository_head_unborn (repo));

  g_assert_true (g_file_set_contents (path, "after init\n", -1, NULL));
  note = pcq_vcs_commit_file_sync (path, NULL);
  g_assert_true (g_str_has_prefix (note, "committed "));

  /* Again, as `git init` in a repository: nothing is lost. */
  g_assert_true (init_repository (dir, &error));
  g_assert_no_error (error);
  assert_git (git_revparse_single ((git_object **) &head, repo, "HEAD^{commit}"));
  g_assert_cmpstr (git_commit_summary (head), ==, "Add after-init.txt");

  g_assert_true (g_file_set_contents (blocker, "", -1, NULL));
  g_assert_false (init_repository (below, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (error->message, !=, "");

  git_commit_free (head);
  git_repository_free (repo);
  pcq_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  git_libgit2_init ();
  server = pcq_test_server_new ();

  g_test_add_func ("/pcq/vcs/off-by-default", test_off_by_default);
  g_test_add_func ("/pcq/vcs/dispatcher", test_vcs_dispatcher);
  g_test_add_func ("/pcq/vcs/free-drops", test_vcs_free_drops);
  g_test_add ("/pcq/vcs/commit-concurrent", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_commit_concurrent, fixture_tear_down);
  g_test_add ("/pcq/vcs/no-repository", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_no_repository, fixture_tear_down);
  g_test_add_func ("/pcq/vcs/headless-commit", test_headless_commit);
  g_test_add_func ("/pcq/vcs/init-repository", test_init_repository);

  status = g_test_run ();

  pcq_test_server_free (server);
  git_libgit2_shutdown ();
  return status;
}
