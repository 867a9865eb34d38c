/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * bench-file-layer: what Pcq's file layer costs a file beyond the floor's.
 *
 * The floor (bench-floor) writes each answer under its final name:
 * open (O_CREAT | O_EXCL), write, close. Pcq cannot: a killed run must
 * never leave a file under a final name the store does not know as that
 * job's own (src/DESIGN.md, "What holds after a crash"). So a worker
 * claims a name, writes the job's part file (created with O_EXCL and
 * O_NOFOLLOW, its PcqFileId read back), and the store moves it to its
 * name without replacing anything. This program does both, with the
 * real pcq-sink.c, on N files of S bytes in an empty folder under DIR,
 * in alternating rounds, and prints the CPU time a file of each way and
 * their ratio. No network, no SQLite: the file layer alone.
 *
 *   bench-file-layer [--files N] [--size BYTES] [--rounds R] DIR
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "pcq-sink.h"
#include "pcq-util.h"

static int opt_files = 20000;
static int opt_size = 1024;
static int opt_rounds = 5;

/* "f000000.bin", …: made before the rounds, so that neither way's
 * time holds the formatting. */
static char **file_names;

typedef struct
{
  double cpu_us;   /* a file */
  double wall_us;  /* a file */
} Figure;

/* As bench-floor: the final name at once. */
static gboolean
write_floor (const char   *dir,
             int           i,
             const guint8 *data)
{
  g_autofree char *path = g_build_filename (dir, file_names[i], NULL);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  gboolean ok;

  if (fd < 0)
    return FALSE;

  ok = write (fd, data, opt_size) == opt_size;
  return close (fd) == 0 && ok;
}

/* As a worker and the store do it for a small file (pcq-worker.c,
 * pcq-store.c): the part path is made at submit, the rest per file. */
static gboolean
write_pcq (PcqNames     *names,
           const char   *dir,
           int           i,
           const guint8 *data)
{
  g_autofree char *part_path = pcq_sink_part_path (dir, "bench", (guint64) i + 1);
  g_autofree char *output_path = NULL;
  g_autoptr(PcqSink) sink = NULL;
  g_autoptr(GError) error = NULL;
  PcqFileId none = { 0 }, id;

  output_path = pcq_sink_claim (names, dir, file_names[i], &error);
  if (output_path == NULL)
    goto failed;

  sink = pcq_sink_open_part (part_path, 0, &none, &error);
  if (sink == NULL)
    goto failed;

  pcq_sink_get_file_id (sink, &id);
  if (!pcq_sink_write (sink, data, opt_size, &error) ||
      !pcq_sink_finish (sink, &error) ||
      !pcq_sink_rename_part (part_path, output_path, &error))
    goto failed;

  pcq_sink_release (names, output_path);
  return TRUE;

failed:
  g_printerr ("bench-file-layer: %s\n", error->message);
  return FALSE;
}

/* Writes opt_files files one way into a new folder under @base, then
 * removes them (not timed). */
static gboolean
run_round (const char   *base,
           gboolean      pcq,
           const guint8 *data,
           Figure       *figure)
{
  g_autofree char *dir = g_build_filename (base, pcq ? "pcq" : "floor", NULL);
  g_autoptr(PcqNames) names = pcq_names_new ();
  gint64 wall;
  gint64 cpu;

  if (g_mkdir (dir, 0755) != 0)
    {
      g_printerr ("bench-file-layer: cannot make %s: %s\n", dir, g_strerror (errno));
      return FALSE;
    }

  wall = g_get_monotonic_time ();
  cpu = pcq_thread_cpu_time_us ();
  for (int i = 0; i < opt_files; i++)
    {
      if (!(pcq ? write_pcq (names, dir, i, data) : write_floor (dir, i, data)))
        return FALSE;
    }
  figure->cpu_us = (double) (pcq_thread_cpu_time_us () - cpu) / opt_files;
  figure->wall_us = (double) (g_get_monotonic_time () - wall) / opt_files;

  for (int i = 0; i < opt_files; i++)
    {
      g_autofree char *path = g_build_filename (dir, file_names[i], NULL);

      if (g_unlink (path) != 0)
        {
          g_printerr ("bench-file-layer: %s is missing\n", path);
          return FALSE;
        }
    }

  return g_rmdir (dir) == 0;
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        int     n)
{
  qsort (values, n, sizeof *values, compare_double);
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int
main (int    argc,
      char **argv)
{
  const GOptionEntry entries[] = {
    { "files", 'n', 0, G_OPTION_ARG_INT, &opt_files, "Files a round (20000)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &opt_size, "Bytes a file (1024)", "BYTES" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &opt_rounds, "Rounds of each way (5)", "R" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("DIR");
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree guint8 *data = NULL;
  g_auto(GStrv) names = NULL;
  g_autofree double *cpu = NULL;
  g_autofree double *wall = NULL;
  double cpu_median[2], wall_median[2];
  const char *way[2] = { "floor", "pcq-sink" };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2 ||
      opt_files < 1 || opt_size < 1 || opt_rounds < 1)
    {
      g_printerr ("usage: bench-file-layer [--files N] [--size BYTES] [--rounds R] DIR\n");
      return 2;
    }

  base = g_build_filename (argv[1], "bench-file-layer-XXXXXX", NULL);
  if (g_mkdtemp (base) == NULL)
    {
      g_printerr ("bench-file-layer: cannot make a folder in %s: %s\n", argv[1], g_strerror (errno));
      return 1;
    }

  data = g_malloc (opt_size);
  for (int i = 0; i < opt_size; i++)
    data[i] = (guint8) g_random_int ();

  names = g_new0 (char *, opt_files + 1);
  for (int i = 0; i < opt_files; i++)
    names[i] = g_strdup_printf ("f%06d.bin", i);
  file_names = names;

  cpu = g_new (double, 2 * opt_rounds);
  wall = g_new (double, 2 * opt_rounds);
  for (int r = 0; r < opt_rounds; r++)
    {
      /* The way that starts changes every round. */
      for (int k = 0; k < 2; k++)
        {
          int w = (r + k) % 2;
          Figure figure;

          if (!run_round (base, w == 1, data, &figure))
            {
              g_rmdir (base);
              return 1;
            }
          cpu[w * opt_rounds + r] = figure.cpu_us;
          wall[w * opt_rounds + r] = figure.wall_us;
        }
    }
  g_rmdir (base);

  printf ("file layer: %d files x %d bytes in %s, %d rounds (medians, a file)\n",
          opt_files, opt_size, argv[1], opt_rounds);
  printf ("%-10s %10s %10s\n", "way", "cpu_us", "wall_us");
  for (int w = 0; w < 2; w++)
    {
      cpu_median[w] = median (cpu + w * opt_rounds, opt_rounds);
      wall_median[w] = median (wall + w * opt_rounds, opt_rounds);
      printf ("%-10s %10.2f %10.2f\n", way[w], cpu_median[w], wall_median[w]);
    }
  printf ("pcq-sink/floor: cpu x%.2f (%+.2f us a file), wall x%.2f\n",
          cpu_median[1] / cpu_median[0], cpu_median[1] - cpu_median[0],
          wall_median[1] / wall_median[0]);
  return 0;
}
