/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-test-util.h"

G_BEGIN_DECLS

/* Helpers shared by the store suite: deterministic file content, a
 * loopback HTTP server that paces its bodies and speaks Range/If-Range,
 * the headless binary as a subprocess, and read-only looks into a store
 * file. */

/* ---- content ------------------------------------------------------- */

/* Byte @offset of the body made with @seed. Any offset can be computed
 * on its own, so a range is as cheap as the whole. */
void      store_content_fill     (guint32       seed,
                                  guint64       offset,
                                  guint8       *buf,
                                  gsize         len);
/* TRUE if @path holds exactly the @size bytes made with @seed; else
 * @why (if not NULL) says what differs. */
gboolean  store_content_matches  (const char   *path,
                                  guint32       seed,
                                  gsize         size,
                                  char        **why);

#define store_assert_content(path, seed, size)                                   \
  G_STMT_START                                                                   \
    {                                                                            \
      char *store_why_ = NULL;                                                   \
      if (!store_content_matches ((path), (seed), (size), &store_why_))          \
        {                                                                        \
          char *store_msg_ = g_strdup_printf ("content of %s: %s",               \
                                              (const char *) (path), store_why_); \
          g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,      \
                               store_msg_);                                      \
          g_free (store_msg_);                                                   \
        }                                                                        \
      g_free (store_why_);                                                       \
    }                                                                            \
  G_STMT_END

/* ---- server -------------------------------------------------------- */

/* A SoupServer on 127.0.0.1 (free port) in its own thread and
 * GMainContext. Every path /f/SEED/SIZE/NAME is a file of SIZE bytes
 * made with SEED (mixed with the server's content version); NAME is
 * what a client takes as the file name. Anything else is a 404. */
typedef struct _StoreServer StoreServer;

typedef enum
{
  STORE_VALIDATOR_ETAG,           /* strong ETag (and Last-Modified) */
  STORE_VALIDATOR_LAST_MODIFIED,  /* Last-Modified only */
  STORE_VALIDATOR_NONE,
} StoreValidator;

typedef enum
{
  STORE_RANGES_HONOUR,     /* 206 for "bytes=N-" if If-Range matches */
  STORE_RANGES_IGNORE,     /* always 200 with the whole body */
  STORE_RANGES_WRONG_START /* 206, but from another offset than asked */
} StoreRanges;

/* One request as the server saw and answered it. */
typedef struct
{
  char   *path;
  gint64  range_start;    /* from "Range: bytes=N-", or -1 */
  char   *if_range;       /* or NULL */
  guint   status;
  gint64  first_byte;     /* offset of the first body byte sent */
  gint64  body_length;    /* the bytes this answer announced */
  gint64  bytes_written;  /* the body bytes that reached the socket */
  gboolean complete;      /* the whole announced body was written */
  gint64  hook_value;     /* what the request hook gave, or -1 */
} StoreRequest;

/* Called in the server thread when a request arrives, before it is
 * answered; its value is kept in StoreRequest.hook_value. */
typedef gint64 (*StoreRequestHook) (const char *path,
                                    gpointer    user_data);

void           store_request_free             (StoreRequest   *request);

StoreServer   *store_server_new               (void);
void           store_server_free              (StoreServer    *self);
const char    *store_server_get_base          (StoreServer    *self);
char          *store_server_file_url          (StoreServer    *self,
                                               guint32         seed,
                                               gsize           size,
                                               const char     *name);

/* Bodies go out in @chunk bytes, one chunk every @delay_ms (0: all at
 * once). */
void           store_server_set_pacing        (StoreServer    *self,
                                               guint           chunk,
                                               guint           delay_ms);
void           store_server_set_validator     (StoreServer    *self,
                                               StoreValidator  validator);
void           store_server_set_ranges        (StoreServer    *self,
                                               StoreRanges     ranges);
/* Answers that start from now on send at most @bytes of their body,
 * then hold the connection open without sending more (-1: never). */
void           store_server_set_stall_after   (StoreServer    *self,
                                               gint64          bytes);
/* A new version changes every file's content, ETag and Last-Modified. */
void           store_server_set_version       (StoreServer    *self,
                                               guint           version);
guint32        store_server_content_seed      (StoreServer    *self,
                                               guint32         seed);
void           store_server_set_request_hook  (StoreServer    *self,
                                               StoreRequestHook hook,
                                               gpointer        user_data);

guint          store_server_count_requests    (StoreServer    *self,
                                               const char     *path);
/* (element-type StoreRequest): copies, in arrival order; @path NULL
 * for all. */
GPtrArray     *store_server_dup_requests      (StoreServer    *self,
                                               const char     *path);
/* Body bytes written for answers to @path (all if NULL) so far. */
gint64         store_server_bytes_written     (StoreServer    *self,
                                               const char     *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreServer, store_server_free)

/* ---- waiting ------------------------------------------------------- */

typedef gboolean (*StoreCondition) (gpointer data);

/* Iterates the thread-default main context until @cond holds or
 * @timeout_ms pass; polls @cond at least every @poll_ms (for conditions
 * that change outside this context: files, other processes). Returns
 * whether @cond held. */
gboolean  store_wait_until      (StoreCondition  cond,
                                 gpointer        data,
                                 guint           timeout_ms,
                                 guint           poll_ms);

/* ---- the headless binary ------------------------------------------- */

typedef struct
{
  GSubprocess *proc;
  char        *pid;
  char        *stdout_path;
  char        *stderr_path;
  gboolean     exited;
  int          status;      /* exit status; 128 + N if killed by signal N */
  gboolean     signalled;
} StoreProc;

/* A home for the binary: HOME, XDG_STATE_HOME, XDG_CONFIG_HOME… under
 * @root, which must exist. */
typedef struct
{
  char *root;
  char *home;
  char *state;
  char *config;
  char *out;
  char *store_path;  /* state/pcq/headless.sqlite */
} StoreHome;

StoreHome *store_home_new        (const char          *root);
void       store_home_free       (StoreHome           *home);

/* Starts `pcq --headless -o HOME->out ARGS…`; stdout and stderr go to
 * files named after @tag under @home->root. */
StoreProc *store_proc_start      (StoreHome           *home,
                                  const char          *tag,
                                  const char * const  *args);
/* Waits up to @timeout_ms for the process to end (iterating the
 * thread-default context). Returns whether it ended. */
gboolean   store_proc_wait       (StoreProc           *proc,
                                  guint                timeout_ms);
void       store_proc_kill       (StoreProc           *proc);
char      *store_proc_read_stdout (StoreProc          *proc);
char      *store_proc_read_stderr (StoreProc          *proc);
void       store_proc_free       (StoreProc           *proc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreProc, store_proc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreHome, store_home_free)

/* ---- looking into a store file ------------------------------------- */

/* One row of the jobs table, read-only. */
typedef struct
{
  gint64  id;
  char   *url;
  int     state;
  gint64  bytes;
  char   *output_path;
  char   *validator;
} StoreRow;

void       store_row_free        (StoreRow            *row);
/* (element-type StoreRow): every row by id, or NULL if the file cannot
 * be read (yet). Opens the file read-only: never writes, never
 * checkpoints. */
GPtrArray *store_db_read_rows    (const char          *path);
/* The single integer @sql gives, or -1. */
gint64     store_db_query_int    (const char          *path,
                                  const char          *sql);

/* Runs @sql on the store at @path, read-write, while no pcq has it open. */
gboolean   store_db_exec         (const char          *path,
                                  const char          *sql);

/* ---- files --------------------------------------------------------- */

/* Temporary folders and listings: pcq_test_make_tmpdir(),
 * pcq_test_rm_rf() and pcq_test_list_dir() (pcq-test-util.h). */
gint64     store_file_size       (const char          *path);

G_END_DECLS
