/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-session"

#include "config.h"

#include <unistd.h>

#include "pcq-enums.h"
#include "pcq-session.h"
#include "pcq-store.h"

/**
 * PcqSession:
 *
 * One front end's hold on one store, for one engine: what the window
 * and `pcq --headless` both do around the engine, in one place.
 *
 * Initialising it (g_async_initable_new_async() through
 * pcq_session_new_async(), or g_initable_new() through
 * pcq_session_new_sync()) takes the lock beside the store file, so that
 * one process at a time uses it, opens the store off the main thread
 * (finished tasks older than #PcqSession:history-days are pruned as it
 * is read), gives it to the engine and restores the engine's jobs from
 * it as #PcqSession:restore says. A store that could not be read and
 * was moved aside still opens; what the person should hear about it is
 * pcq_session_get_notice(). The only failure is the lock: another
 * process (its pid in the message, %G_IO_ERROR_BUSY) or a folder where
 * no lock can be made.
 *
 * pcq_session_close() (or its async form, which waits for the disk off
 * the main thread) commits what is pending, closes the store and
 * releases the lock. Close it once the engine has stopped.
 */

struct _PcqSession
{
  GObject          parent_instance;

  PcqEngine       *engine;
  char            *path;
  guint            history_days;
  PcqRestoreFlags  restore;

  PcqStore        *store;
  int              lock_fd;
  char            *notice;
  guint            n_held_back;
};

static void pcq_session_initable_iface_init       (GInitableIface      *iface);
static void pcq_session_async_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PcqSession, pcq_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      pcq_session_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE,
                                                      pcq_session_async_initable_iface_init))

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_PATH,
  PROP_HISTORY_DAYS,
  PROP_RESTORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- init ---------------------------------------------------------- */

static gboolean
take_lock (PcqSession  *self,
           GError     **error)
{
  g_return_val_if_fail (self->engine != NULL, FALSE);
  g_return_val_if_fail (self->path != NULL, FALSE);
  g_return_val_if_fail (self->store == NULL && self->lock_fd < 0, FALSE);

  if (!pcq_store_lock (self->path, &self->lock_fd, error))
    {
      self->lock_fd = -1;
      return FALSE;
    }

  self->store = pcq_store_new (self->path);
  return TRUE;
}

static GTimeSpan
prune_age (PcqSession *self)
{
  return self->history_days * G_TIME_SPAN_DAY;
}

static void
release (PcqSession *self)
{
  if (self->store != NULL)
    pcq_store_close (self->store);
  g_clear_object (&self->store);

  if (self->lock_fd >= 0)
    {
      close (self->lock_fd);
      self->lock_fd = -1;
    }
}

/* The store is open: the engine gets it and what it held. */
static gboolean
opened (PcqSession  *self,
        GPtrArray   *records,
        char        *notice,
        GError      *error,
        GError     **out_error)
{
  if (records == NULL)
    {
      g_free (notice);
      release (self);
      g_propagate_error (out_error, error);
      return FALSE;
    }

  if (!(self->restore & PCQ_RESTORE_UNFINISHED))
    {
      for (guint i = 0; i < records->len; i++)
        {
          const PcqStoreRecord *record = g_ptr_array_index (records, i);
          const PcqJobStateInfo *info = pcq_job_state_info (record->state);

          if (info == NULL || !info->finished)
            self->n_held_back++;
        }
    }

  pcq_engine_set_store (self->engine, self->store);
  pcq_engine_restore (self->engine, records, self->restore);
  self->notice = notice;
  g_ptr_array_unref (records);

  return TRUE;
}

static gboolean
pcq_session_initable_init (GInitable     *initable,
                           GCancellable  *cancellable,
                           GError       **error)
{
  PcqSession *self = PCQ_SESSION (initable);
  GError *open_error = NULL;
  GPtrArray *records;
  char *notice = NULL;

  if (!take_lock (self, error))
    return FALSE;

  records = pcq_store_open_sync (self->store, prune_age (self), &notice, &open_error);
  return opened (self, records, notice, open_error, error);
}

static void
pcq_session_initable_iface_init (GInitableIface *iface)
{
  iface->init = pcq_session_initable_init;
}

static void
store_opened_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PcqSession *self = g_task_get_source_object (task);
  GError *open_error = NULL;
  GError *error = NULL;
  GPtrArray *records;
  char *notice = NULL;

  records = pcq_store_open_finish (PCQ_STORE (object), result, &notice, &open_error);
  if (opened (self, records, notice, open_error, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
pcq_session_init_async (GAsyncInitable      *initable,
                        int                  io_priority,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  PcqSession *self = PCQ_SESSION (initable);
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_session_init_async);
  g_task_set_priority (task, io_priority);

  /* Taking the lock does not block (LOCK_NB); reading the store does. */
  if (!take_lock (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  pcq_store_open_async (self->store, prune_age (self), cancellable,
                        store_opened_cb, g_steal_pointer (&task));
}

static gboolean
pcq_session_init_finish (GAsyncInitable  *initable,
                         GAsyncResult    *result,
                         GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, initable), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
pcq_session_async_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = pcq_session_init_async;
  iface->init_finish = pcq_session_init_finish;
}

/* ---- GObject ------------------------------------------------------- */

static void
pcq_session_dispose (GObject *object)
{
  PcqSession *self = (PcqSession *)object;

  /* Not closed: close here (this may wait for the disk). */
  release (self);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (pcq_session_parent_class)->dispose (object);
}

static void
pcq_session_finalize (GObject *object)
{
  PcqSession *self = (PcqSession *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->notice, g_free);

  G_OBJECT_CLASS (pcq_session_parent_class)->finalize (object);
}

static void
pcq_session_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  PcqSession *self = PCQ_SESSION (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_HISTORY_DAYS:
      g_value_set_uint (value, self->history_days);
      break;
    case PROP_RESTORE:
      g_value_set_flags (value, self->restore);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_session_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  PcqSession *self = PCQ_SESSION (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case PROP_HISTORY_DAYS:
      self->history_days = g_value_get_uint (value);
      break;
    case PROP_RESTORE:
      self->restore = g_value_get_flags (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_session_class_init (PcqSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pcq_session_dispose;
  object_class->finalize = pcq_session_finalize;
  object_class->get_property = pcq_session_get_property;
  object_class->set_property = pcq_session_set_property;

  /**
   * PcqSession:engine:
   *
   * The engine that gets the store and the restored jobs.
   */
  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL,
                         PCQ_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PcqSession:path:
   *
   * The store's SQLite file; the lock is this path with “.lock”.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PcqSession:history-days:
   *
   * Finished tasks older than this many days are pruned as the store
   * is read; 0 keeps them all.
   */
  properties[PROP_HISTORY_DAYS] =
    g_param_spec_uint ("history-days", NULL, NULL,
                       0, G_MAXUINT32 / (24 * 3600), PCQ_DEFAULT_HISTORY_DAYS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PcqSession:restore:
   *
   * Which stored jobs the engine gets back. Unfinished jobs it does not
   * get stay in the store (pcq_session_get_n_held_back()).
   */
  properties[PROP_RESTORE] =
    g_param_spec_flags ("restore", NULL, NULL,
                        PCQ_TYPE_RESTORE_FLAGS, 0,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pcq_session_init (PcqSession *self)
{
  self->lock_fd = -1;
  self->history_days = PCQ_DEFAULT_HISTORY_DAYS;
}

/* ---- public -------------------------------------------------------- */

/**
 * pcq_session_new_async:
 * @engine: the engine (no jobs submitted yet)
 * @path: the store's file
 * @history_days: finished tasks older than this are pruned; 0 keeps all
 * @restore: which stored jobs @engine gets back
 *
 * Locks, opens (off the main thread) and restores; see #PcqSession.
 */
void
pcq_session_new_async (PcqEngine           *engine,
                       const char          *path,
                       guint                history_days,
                       PcqRestoreFlags      restore,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (PCQ_IS_ENGINE (engine));
  g_return_if_fail (path != NULL);

  g_async_initable_new_async (PCQ_TYPE_SESSION, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data,
                              "engine", engine,
                              "path", path,
                              "history-days", history_days,
                              "restore", restore,
                              NULL);
}

/**
 * pcq_session_new_finish:
 *
 * Returns: (transfer full): the session, or %NULL with @error set
 *   (%G_IO_ERROR_BUSY, naming the other process, when the store is in
 *   use)
 */
PcqSession *
pcq_session_new_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);
  GObject *object;

  object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);
  return object != NULL ? PCQ_SESSION (object) : NULL;
}

/**
 * pcq_session_new_sync:
 *
 * Like pcq_session_new_async(), waiting for the store to be read. For
 * programs without a window (headless mode, tests).
 *
 * Returns: (transfer full): the session, or %NULL with @error set
 */
PcqSession *
pcq_session_new_sync (PcqEngine        *engine,
                      const char       *path,
                      guint             history_days,
                      PcqRestoreFlags   restore,
                      GCancellable     *cancellable,
                      GError          **error)
{
  g_return_val_if_fail (PCQ_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  return g_initable_new (PCQ_TYPE_SESSION, cancellable, error,
                         "engine", engine,
                         "path", path,
                         "history-days", history_days,
                         "restore", restore,
                         NULL);
}

PcqEngine *
pcq_session_get_engine (PcqSession *self)
{
  g_return_val_if_fail (PCQ_IS_SESSION (self), NULL);
  return self->engine;
}

const char *
pcq_session_get_path (PcqSession *self)
{
  g_return_val_if_fail (PCQ_IS_SESSION (self), NULL);
  return self->path;
}

/**
 * pcq_session_get_notice:
 *
 * Returns: (nullable): what the person should be told about opening the
 *   store (it could not be read and was moved aside, or nothing will be
 *   kept), or %NULL
 */
const char *
pcq_session_get_notice (PcqSession *self)
{
  g_return_val_if_fail (PCQ_IS_SESSION (self), NULL);
  return self->notice;
}

/**
 * pcq_session_get_n_held_back:
 *
 * Returns: how many unfinished jobs the store held that the engine did
 *   not get back (without %PCQ_RESTORE_UNFINISHED): they wait in the
 *   store for a session that restores them
 */
guint
pcq_session_get_n_held_back (PcqSession *self)
{
  g_return_val_if_fail (PCQ_IS_SESSION (self), 0);
  return self->n_held_back;
}

/**
 * pcq_session_close:
 *
 * Commits what is pending, closes the store and releases the lock.
 * Blocks until the last commit is on disk. Call it once the engine has
 * stopped; closing again does nothing.
 */
void
pcq_session_close (PcqSession *self)
{
  g_return_if_fail (PCQ_IS_SESSION (self));

  release (self);
}

typedef struct
{
  PcqStore *store;
  int       lock_fd;
} Closing;

static void
closing_free (Closing *closing)
{
  g_clear_object (&closing->store);
  if (closing->lock_fd >= 0)
    close (closing->lock_fd);
  g_free (closing);
}

static void
close_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Closing *closing = task_data;

  /* Commits what is pending and joins the store thread: blocks. The
   * lock goes only after the store is closed. */
  if (closing->store != NULL)
    pcq_store_close (closing->store);
  g_clear_object (&closing->store);
  if (closing->lock_fd >= 0)
    {
      close (closing->lock_fd);
      closing->lock_fd = -1;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * pcq_session_close_async:
 *
 * pcq_session_close() off the main thread (the last commit may wait
 * for the disk).
 */
void
pcq_session_close_async (PcqSession          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Closing *closing;

  g_return_if_fail (PCQ_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_session_close_async);
  /* Closing is not undone halfway: the result ignores @cancellable. */
  g_task_set_check_cancellable (task, FALSE);

  closing = g_new0 (Closing, 1);
  closing->store = g_steal_pointer (&self->store);
  closing->lock_fd = self->lock_fd;
  self->lock_fd = -1;
  g_task_set_task_data (task, closing, (GDestroyNotify) closing_free);

  if (closing->store == NULL && closing->lock_fd < 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_run_in_thread (task, close_in_thread);
}

gboolean
pcq_session_close_finish (PcqSession    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (PCQ_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
