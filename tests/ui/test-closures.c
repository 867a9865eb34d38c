/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>

#include "pcq-closures.h"

/* g_format_size() puts a no-break space between number and unit. */
#define NB "\302\240"

static void
test_counts (void)
{
  struct {
    gboolean paused;
    guint q, r, fin, f;
    const char *expected;
  } cases[] = {
    { FALSE, 3, 2, 10, 1, "3 queued · 2 running · 10 finished · 1 failed" },
    { FALSE, 0, 0, 3, 0, "3 finished" },
    { FALSE, 0, 1, 0, 2, "1 running · 2 failed" },
    { TRUE, 5, 0, 0, 0, "Paused · 5 queued" },
    { FALSE, 1, 0, 0, 0, "1 queued" },
    { FALSE, 0, 0, 0, 0, "No tasks" },
    { TRUE, 0, 0, 0, 0, "Paused · No tasks" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = pcq_format_counts (cases[i].paused, cases[i].q, cases[i].r,
                                                 cases[i].fin, cases[i].f);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_duration (void)
{
  struct {
    guint64 seconds;
    const char *expected;
  } cases[] = {
    { 0, "0 s" },
    { 6, "6 s" },
    { 59, "59 s" },
    { 60, "1 min" },
    { 61, "2 min" },
    { 3599, "60 min" },
    { 3600, "1 h" },
    { 3600 + 5 * 60, "1 h 5 min" },
    { 100 * 3600, "4 days" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = pcq_format_duration (cases[i].seconds);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_detail (void)
{
  struct {
    PcqJobState state;
    gint64 bytes, total;
    double rate;
    guint attempts, max_attempts;
    const char *expected;
  } cases[] = {
    { PCQ_JOB_ACTIVE, 3200000, 10000000, 1100000, 1, 4, "3.2" NB "MB of 10.0" NB "MB · 1.1" NB "MB/s · 6 s left" },
    { PCQ_JOB_ACTIVE, 3200000, -1, 1100000, 1, 4, "3.2" NB "MB · 1.1" NB "MB/s" },
    { PCQ_JOB_ACTIVE, 3200000, 10000000, 0, 1, 4, "3.2" NB "MB of 10.0" NB "MB" },
    { PCQ_JOB_ACTIVE, 0, -1, 0, 1, 4, "Starting…" },
    { PCQ_JOB_ACTIVE, 500, 1000, 0, 2, 4, "500 bytes of 1.0" NB "kB · attempt 2" },
    { PCQ_JOB_QUEUED, 0, -1, 0, 0, 4, "Queued" },
    { PCQ_JOB_QUEUED, 0, -1, 0, 1, 4, "Waiting to retry · attempt 2 of 4" },
    { PCQ_JOB_DONE, 1024, 1024, 0, 1, 4, "Done · 1.0" NB "kB" },
    { PCQ_JOB_FAILED, 0, -1, 0, 1, 4, "Failed" },
    { PCQ_JOB_FAILED, 0, -1, 0, 4, 4, "Failed after 4 attempts" },
    { PCQ_JOB_CANCELLED, 10, 100, 0, 1, 4, "Cancelled" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = pcq_format_detail (cases[i].state, cases[i].bytes, cases[i].total,
                                                 cases[i].rate, cases[i].attempts,
                                                 cases[i].max_attempts);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_tokens (void)
{
  struct { gint64 prompt, completion; const char *text; } cases[] = {
    { 120, 350, "120 + 350 tokens" },
    { 0, 1, "0 + 1 token" },
    { 7, -1, "7 prompt tokens" },
    { 1, -1, "1 prompt token" },
    { -1, 350, "350 answer tokens" },
    { -1, -1, NULL },
    { G_MAXINT64, 0, "9223372036854775807 + 0 tokens" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = pcq_format_tokens (cases[i].prompt, cases[i].completion);

      g_assert_cmpstr (text, ==, cases[i].text);
    }

  {
    g_autofree char *none = pcq_format_token_sums (0, 0);
    g_autofree char *sums = pcq_format_token_sums (131, 372);

    g_assert_null (none);
    g_assert_cmpstr (sums, ==, "API tokens of the tasks in the list: 131 for prompts, 372 for answers");
  }
}

static void
test_job_name (void)
{
  struct {
    const char *name, *output_path, *url, *expected;
  } cases[] = {
    { "given.txt", "/out/other.txt", "http://h/a", "given.txt" },
    { NULL, "/out/saved (1).iso", "http://h/a.iso", "saved (1).iso" },
    { NULL, NULL, "http://h/dir/file%20name.iso?x=1", "file name.iso" },
    { NULL, NULL, "http://h/dir/", "dir" },
    { NULL, NULL, "https://example.org", "example.org" },
    { "", NULL, "http://h/x.bin", "x.bin" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = pcq_format_job_name (cases[i].name, cases[i].output_path,
                                                   cases[i].url);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_close_texts (void)
{
  struct {
    guint a, q;
    const char *expected;
  } bodies[] = {
    { 2, 5, "Stop Now interrupts 2 running tasks; they continue next time, as do 5 queued "
            "tasks. Wait lets the 7 tasks finish, then closes the window." },
    { 1, 1, "Stop Now interrupts 1 running task; it continues next time, as does 1 queued "
            "task. Wait lets the 2 tasks finish, then closes the window." },
    { 2, 0, "Stop Now interrupts 2 running tasks; they continue next time. "
            "Wait lets the 2 tasks finish, then closes the window." },
    { 1, 0, "Stop Now interrupts 1 running task; it continues next time. "
            "Wait lets the task finish, then closes the window." },
    { 0, 7, "Stop Now leaves 7 queued tasks for next time. "
            "Wait lets the 7 tasks finish, then closes the window." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *text = pcq_format_close_body (bodies[i].a, bodies[i].q);
      g_assert_cmpstr (text, ==, bodies[i].expected);
    }

  {
    g_autofree char *seven = pcq_format_close_banner (7);
    g_autofree char *one = pcq_format_close_banner (1);
    g_autofree char *finished = pcq_format_finished (12, 1);
    g_autofree char *all_ok = pcq_format_finished (1, 0);
    g_autofree char *rejected = pcq_format_rejected (2);

    g_assert_cmpstr (seven, ==, "Pcq will close when 7 tasks are done");
    g_assert_cmpstr (one, ==, "Pcq will close when 1 task is done");
    g_assert_cmpstr (finished, ==, "12 tasks finished, 1 failed");
    g_assert_cmpstr (all_ok, ==, "1 task finished");
    g_assert_cmpstr (rejected, ==, "2 lines are not valid links and were not added");
  }
}

static void
test_state_icons (void)
{
  for (PcqJobState s = PCQ_JOB_QUEUED; s <= PCQ_JOB_PAUSED; s++)
    {
      g_assert_nonnull (pcq_job_state_icon_name (s));
      g_assert_true (g_str_has_suffix (pcq_job_state_icon_name (s), "-symbolic"));
      g_assert_nonnull (pcq_job_state_label (s));
    }
}

static void
test_feedback_texts (void)
{
  g_autofree char *added1 = pcq_format_added (1);
  g_autofree char *added3 = pcq_format_added (3);
  g_autofree char *retried1 = pcq_format_retried (1);
  g_autofree char *retried5 = pcq_format_retried (5);
  g_autofree char *dup_one = pcq_format_duplicates (1, 500);
  g_autofree char *dup_two = pcq_format_duplicates (2, 500);
  g_autofree char *dup_all1 = pcq_format_duplicates (1, 1);
  g_autofree char *dup_all3 = pcq_format_duplicates (3, 3);

  g_assert_cmpstr (added1, ==, "1 task added");
  g_assert_cmpstr (added3, ==, "3 tasks added");
  g_assert_cmpstr (retried1, ==, "1 task queued again");
  g_assert_cmpstr (retried5, ==, "5 tasks queued again");
  g_assert_cmpstr (dup_one, ==, "1 of 500 links is already in the list.");
  g_assert_cmpstr (dup_two, ==, "2 of 500 links are already in the list.");
  g_assert_cmpstr (dup_all1, ==, "The link is already in the list.");
  g_assert_cmpstr (dup_all3, ==, "All 3 links are already in the list.");
}

static void
test_file_problem (void)
{
  g_autoptr(GError) gone = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                                "Error opening file /a/b: No such file or directory");
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "Input/output error");
  g_autofree char *gone_text = pcq_format_file_problem (gone, "Cannot read the file");
  g_autofree char *other_text = pcq_format_file_problem (other, "Cannot read the file");

  g_assert_cmpstr (gone_text, ==, "The file is no longer there");
  g_assert_cmpstr (other_text, ==, "Cannot read the file");
}

int
main (int    argc,
      char **argv)
{
  /* The expected strings are the untranslated ones. */
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pcq/closures/counts", test_counts);
  g_test_add_func ("/pcq/closures/duration", test_duration);
  g_test_add_func ("/pcq/closures/detail", test_detail);
  g_test_add_func ("/pcq/closures/tokens", test_tokens);
  g_test_add_func ("/pcq/closures/job-name", test_job_name);
  g_test_add_func ("/pcq/closures/close-texts", test_close_texts);
  g_test_add_func ("/pcq/closures/state-icons", test_state_icons);
  g_test_add_func ("/pcq/closures/feedback-texts", test_feedback_texts);
  g_test_add_func ("/pcq/closures/file-problem", test_file_problem);

  return g_test_run ();
}
