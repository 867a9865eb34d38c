/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "pcq-rate-limit.h"

/* A reader takes a chunk, reads at most that much, and then pays for
 * what it read: the balance may go below zero by one chunk per reader,
 * and every reader then waits until it is paid back. Unused time is
 * saved up to a quarter of a second's worth, so that a pause (a file
 * ending, the next one connecting) is made up without a burst. */

/* A sleep is at most this long before the limit is read again: a rate
 * raised or removed applies at once, and a cancelled transfer notices
 * within it. */
#define MAX_DELAY_US (100 * 1000)
#define MIN_CHUNK 1024

struct _PcqRateLimit
{
  GMutex   lock;
  guint    rate;     /* bytes/s, atomic; 0: no limit */
  gint64   balance;  /* bytes; locked */
  gint64   stamp;    /* µs, monotonic: when balance was last brought up to date */
};

PcqRateLimit *
pcq_rate_limit_new (void)
{
  PcqRateLimit *self = g_atomic_rc_box_new0 (PcqRateLimit);

  g_mutex_init (&self->lock);
  return self;
}

PcqRateLimit *
pcq_rate_limit_ref (PcqRateLimit *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
pcq_rate_limit_clear (PcqRateLimit *self)
{
  g_mutex_clear (&self->lock);
}

void
pcq_rate_limit_unref (PcqRateLimit *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) pcq_rate_limit_clear);
}

guint
pcq_rate_limit_get_rate (PcqRateLimit *self)
{
  return (guint) g_atomic_int_get (&self->rate);
}

static void
refill_locked (PcqRateLimit *self,
               guint         rate,
               gint64        now)
{
  gint64 elapsed = MIN (now - self->stamp, G_USEC_PER_SEC);
  gint64 saved_max = MAX (rate / 4, MIN_CHUNK);

  self->stamp = now;
  if (elapsed > 0)
    self->balance = MIN (self->balance + (gint64) rate * elapsed / G_USEC_PER_SEC, saved_max);
}

/**
 * pcq_rate_limit_set_rate:
 * @bytes_per_second: the limit, or 0 for none
 *
 * Applies to reads that start after the change. A new limit starts with
 * nothing saved up.
 */
void
pcq_rate_limit_set_rate (PcqRateLimit *self,
                         guint         bytes_per_second)
{
  g_mutex_lock (&self->lock);
  self->balance = 0;
  self->stamp = g_get_monotonic_time ();
  g_atomic_int_set (&self->rate, bytes_per_second);
  g_mutex_unlock (&self->lock);
}

/* How much one read may ask for: about an eighth of a second's worth,
 * so that the bytes of several readers interleave finely. */
gsize
pcq_rate_limit_get_chunk (PcqRateLimit *self,
                          gsize         max)
{
  guint rate = pcq_rate_limit_get_rate (self);

  if (rate == 0)
    return max;

  return (gsize) CLAMP (rate / 8, MIN_CHUNK, max);
}

void
pcq_rate_limit_consume (PcqRateLimit *self,
                        gsize         n)
{
  guint rate = pcq_rate_limit_get_rate (self);

  if (rate == 0)
    return;

  g_mutex_lock (&self->lock);
  refill_locked (self, rate, g_get_monotonic_time ());
  self->balance -= (gint64) MIN (n, (gsize) G_MAXINT32);
  g_mutex_unlock (&self->lock);
}

/**
 * pcq_rate_limit_get_delay:
 *
 * Returns: how many µs to wait before the next read (0: read now). Wait,
 *   then ask again: the answer is at most 100 ms.
 */
gint64
pcq_rate_limit_get_delay (PcqRateLimit *self)
{
  guint rate = pcq_rate_limit_get_rate (self);
  gint64 delay = 0;

  if (rate == 0)
    return 0;

  g_mutex_lock (&self->lock);
  refill_locked (self, rate, g_get_monotonic_time ());
  if (self->balance < 0)
    delay = -self->balance * G_USEC_PER_SEC / rate + 1;
  g_mutex_unlock (&self->lock);

  return MIN (delay, MAX_DELAY_US);
}
