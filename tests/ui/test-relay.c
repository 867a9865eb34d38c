/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * PcqJobRelay: what it shows is always the start of the engine's list,
 * its items-changed describe exactly how that changed, it paces growth
 * while the list is short, and it passes changes through once long.
 */

#include "config.h"

#include "pcq-job-relay.h"

typedef struct
{
  GListStore  *store;
  PcqJobRelay *relay;
  GPtrArray   *shadow;    /* what a view built from the signals holds */
  guint        n_signals;
  guint        last_removed;
  guint        last_added;
} Fixture;

static void
relay_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  g_assert_cmpuint (position + removed, <=, f->shadow->len);

  g_ptr_array_remove_range (f->shadow, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (f->shadow, position + i, g_list_model_get_item (model, position + i));

  g_assert_cmpuint (f->shadow->len, ==, g_list_model_get_n_items (model));
  f->n_signals++;
  f->last_removed = removed;
  f->last_added = added;
}

static void
check (Fixture *f)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (f->relay));

  g_assert_cmpuint (n, <=, g_list_model_get_n_items (G_LIST_MODEL (f->store)));
  g_assert_cmpuint (n, ==, f->shadow->len);
  g_assert_cmpuint (n + pcq_job_relay_get_n_held (f->relay), ==,
                    g_list_model_get_n_items (G_LIST_MODEL (f->store)));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PcqJob) real = g_list_model_get_item (G_LIST_MODEL (f->store), i);

      g_assert_true (g_ptr_array_index (f->shadow, i) == real);
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (f->relay), n));
}

/* Ids in submission order, as an engine gives them. */
static PcqJob *
new_job (const char *url)
{
  static guint64 last_id;

  return pcq_job_new (++last_id, url, "/tmp", NULL);
}

static void
append (Fixture *f,
        guint    n)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (jobs, new_job ("http://127.0.0.1/x"));

  g_list_store_splice (f->store, g_list_model_get_n_items (G_LIST_MODEL (f->store)), 0,
                       jobs->pdata, jobs->len);
}

/* Replaces the @n items from @at with the same jobs in reverse order,
 * in one items-changed: how the engine's list says that a job moved. */
static void
reverse_range (Fixture *f,
               guint    at,
               guint    n)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = n; i-- > 0;)
    g_ptr_array_add (jobs, g_list_model_get_item (G_LIST_MODEL (f->store), at + i));

  g_list_store_splice (f->store, at, n, jobs->pdata, jobs->len);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->store = g_list_store_new (PCQ_TYPE_JOB);
  f->shadow = g_ptr_array_new_with_free_func (g_object_unref);
  f->relay = pcq_job_relay_new (G_LIST_MODEL (f->store), NULL);
  g_signal_connect (f->relay, "items-changed", G_CALLBACK (relay_changed_cb), f);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_assert_finalize_object (f->relay);
  g_clear_object (&f->store);
  g_clear_pointer (&f->shadow, g_ptr_array_unref);
}

static void
test_small_at_once (Fixture       *f,
                    gconstpointer  data)
{
  /* A few tasks are shown right away. */
  append (f, 2);
  check (f);
  g_assert_cmpuint (f->shadow->len, ==, 2);
  append (f, 1);
  check (f);
  g_assert_cmpuint (f->shadow->len, ==, 3);
}

static void
test_paced (Fixture       *f,
            gconstpointer  data)
{
  guint ticks = 0;
  guint shown;

  /* Many at once: a burst now, STEP more per tick… */
  append (f, 1000);
  check (f);
  g_assert_cmpuint (f->shadow->len, ==, PCQ_JOB_RELAY_BURST);

  _pcq_job_relay_tick (f->relay);
  check (f);
  g_assert_cmpuint (f->shadow->len, ==, PCQ_JOB_RELAY_BURST + PCQ_JOB_RELAY_STEP);

  /* … until the list is long: then the rest at once. */
  while (pcq_job_relay_get_n_held (f->relay) > 0)
    {
      shown = f->shadow->len;
      _pcq_job_relay_tick (f->relay);
      check (f);
      g_assert_cmpuint (f->shadow->len, <=, MAX (shown + PCQ_JOB_RELAY_STEP, 1000));
      g_assert_cmpuint (++ticks, <, PCQ_JOB_RELAY_RAMP_LENGTH);
    }
  g_assert_cmpuint (f->shadow->len, ==, 1000);
  g_assert_cmpuint (ticks, >=, (PCQ_JOB_RELAY_RAMP_LENGTH - PCQ_JOB_RELAY_BURST) /
                               PCQ_JOB_RELAY_STEP - 2);

  /* Long: straight through, exactly as the engine said. */
  f->n_signals = 0;
  g_list_store_remove (f->store, 500);
  check (f);
  g_assert_cmpuint (f->n_signals, ==, 1);
  g_assert_cmpuint (f->last_removed, ==, 1);
  g_assert_cmpuint (f->last_added, ==, 0);
  append (f, 5000);
  check (f);
  g_assert_cmpuint (f->shadow->len, ==, 5999);
}

static void
test_random (Fixture       *f,
             gconstpointer  data)
{
  GRand *rand = g_rand_new_with_seed (20261126);

  for (guint round = 0; round < 3000; round++)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (f->store));

      switch (g_rand_int_range (rand, 0, 6))
        {
        case 0:
          append (f, g_rand_int_range (rand, 1, 40));
          break;
        case 1:
          if (n > 0)
            {
              guint at = g_rand_int_range (rand, 0, n);
              guint count = g_rand_int_range (rand, 1, MIN (n - at, 30) + 1);

              g_list_store_splice (f->store, at, count, NULL, 0);
            }
          break;
        case 3:
          if (n > 1)
            {
              guint at = g_rand_int_range (rand, 0, n - 1);

              reverse_range (f, at, g_rand_int_range (rand, 2, MIN (n - at, 30) + 1));
            }
          break;
        case 2:
          if (n > 0)
            {
              g_autoptr(PcqJob) job = new_job ("http://127.0.0.1/y");

              g_list_store_insert (f->store, g_rand_int_range (rand, 0, n), job);
            }
          break;
        default:
          _pcq_job_relay_tick (f->relay);
          break;
        }

      check (f);
    }

  /* Given time, everything is shown. */
  for (guint i = 0; i < PCQ_JOB_RELAY_RAMP_LENGTH; i++)
    _pcq_job_relay_tick (f->relay);
  check (f);
  g_assert_cmpuint (pcq_job_relay_get_n_held (f->relay), ==, 0);

  g_rand_free (rand);
}

/* Jobs that move among the rows shown make no new rows: the change
 * passes through at once, even while new rows wait for their ticks. */
static void
test_reorder (Fixture       *f,
              gconstpointer  data)
{
  append (f, 3 * PCQ_JOB_RELAY_BURST);
  check (f);
  g_assert_cmpuint (f->shadow->len, ==, PCQ_JOB_RELAY_BURST);

  f->n_signals = 0;
  reverse_range (f, 1, PCQ_JOB_RELAY_BURST - 2);
  check (f);
  g_assert_cmpuint (f->n_signals, ==, 1);
  g_assert_cmpuint (f->last_removed, ==, PCQ_JOB_RELAY_BURST - 2);
  g_assert_cmpuint (f->last_added, ==, PCQ_JOB_RELAY_BURST - 2);
  g_assert_cmpuint (f->shadow->len, ==, PCQ_JOB_RELAY_BURST);

  /* Across the end of what is shown: the rows beyond are new ones. */
  reverse_range (f, PCQ_JOB_RELAY_BURST - 2, 4);
  check (f);
}

static void
test_job_changed (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(PcqJob) job = NULL;

  append (f, 3);
  job = g_list_model_get_item (G_LIST_MODEL (f->store), 1);

  /* Off: nothing. On: that one job, in place. */
  f->n_signals = 0;
  pcq_job_relay_job_changed (f->relay, job);
  g_assert_cmpuint (f->n_signals, ==, 0);

  pcq_job_relay_set_enabled (f->relay, TRUE);
  pcq_job_relay_job_changed (f->relay, job);
  g_assert_cmpuint (f->n_signals, ==, 1);
  g_assert_cmpuint (f->last_removed, ==, 1);
  g_assert_cmpuint (f->last_added, ==, 1);
  check (f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/pcq/relay/small-at-once", Fixture, NULL, setup, test_small_at_once, teardown);
  g_test_add ("/pcq/relay/paced", Fixture, NULL, setup, test_paced, teardown);
  g_test_add ("/pcq/relay/random", Fixture, NULL, setup, test_random, teardown);
  g_test_add ("/pcq/relay/job-changed", Fixture, NULL, setup, test_job_changed, teardown);
  g_test_add ("/pcq/relay/reorder", Fixture, NULL, setup, test_reorder, teardown);

  return g_test_run ();
}
