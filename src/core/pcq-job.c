/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-job"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <json-glib/json-glib.h>

#include "pcq-enums.h"
#include "pcq-input.h"
#include "pcq-job-private.h"
#include "pcq-util.h"

struct _PcqJob
{
  GObject      parent_instance;

  guint64      id;
  PcqJobKind   kind;
  char        *prompt;
  char        *url;
  char        *output_dir;
  char        *name;

  PcqJobState  state;
  gint64       bytes;
  gint64       total;
  guint        attempts;
  char        *error;
  char        *output_path;
  char        *commit_note;
  gint64       retry_at;      /* real time (µs) of the next attempt, or 0 */
  gboolean     retry_asked;   /* the server asked for that wait */
  gboolean     needs_setup;   /* failed for want of an API endpoint or key */
  gboolean     needs_sign_in; /* failed for want of a user name and password */

  char        *sha256;        /* what the download must hash to, or what it did */
  char       **headers;       /* request headers a download adds: name, value…;
                               * the secret ones' values never leave memory */
  char        *stored_headers; /* what the store keeps of them (JSON) */
  gboolean     headers_lost;  /* restored from stored headers that do not read back */
  char       **secret_names;  /* restored: secret headers whose values the keyring has */
  gint64       started;       /* unix seconds of its first attempt, or 0 */
  guint        http_status;   /* of its last response, or 0 */
  gint64       prompt_tokens;     /* API tasks: what the server said the */
  gint64       completion_tokens; /* answer took; -1: it did not say */
  gint64       position;      /* the list's and the queue's order: the id
                               * until the job is moved or retried */

  /* Kept for the store only. */
  char        *validator;
  gint64       created;
  gint64       finished;
};

G_DEFINE_FINAL_TYPE (PcqJob, pcq_job, G_TYPE_OBJECT)

static void headers_from_stored (PcqJob     *self,
                                 const char *stored);

enum {
  PROP_0,
  PROP_ID,
  PROP_KIND,
  PROP_PROMPT,
  PROP_URL,
  PROP_OUTPUT_DIR,
  PROP_NAME,
  PROP_STATE,
  PROP_BYTES,
  PROP_TOTAL,
  PROP_ATTEMPTS,
  PROP_ERROR,
  PROP_OUTPUT_PATH,
  PROP_COMMIT_NOTE,
  PROP_RETRY_AT,
  PROP_RETRY_ASKED,
  PROP_PROMPT_TOKENS,
  PROP_COMPLETION_TOKENS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
pcq_job_finalize (GObject *object)
{
  PcqJob *self = (PcqJob *)object;

  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->prompt, g_free);
  g_clear_pointer (&self->output_dir, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->output_path, g_free);
  g_clear_pointer (&self->commit_note, g_free);
  g_clear_pointer (&self->validator, g_free);
  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->headers, g_strfreev);
  g_clear_pointer (&self->stored_headers, g_free);
  g_clear_pointer (&self->secret_names, g_strfreev);

  G_OBJECT_CLASS (pcq_job_parent_class)->finalize (object);
}

static void
pcq_job_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  PcqJob *self = PCQ_JOB (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_uint64 (value, self->id);
      break;
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_PROMPT:
      g_value_set_string (value, self->prompt);
      break;
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_OUTPUT_DIR:
      g_value_set_string (value, self->output_dir);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_BYTES:
      g_value_set_int64 (value, self->bytes);
      break;
    case PROP_TOTAL:
      g_value_set_int64 (value, self->total);
      break;
    case PROP_ATTEMPTS:
      g_value_set_uint (value, self->attempts);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_OUTPUT_PATH:
      g_value_set_string (value, self->output_path);
      break;
    case PROP_COMMIT_NOTE:
      g_value_set_string (value, self->commit_note);
      break;
    case PROP_RETRY_AT:
      g_value_set_int64 (value, self->retry_at);
      break;
    case PROP_RETRY_ASKED:
      g_value_set_boolean (value, self->retry_asked);
      break;
    case PROP_PROMPT_TOKENS:
      g_value_set_int64 (value, self->prompt_tokens);
      break;
    case PROP_COMPLETION_TOKENS:
      g_value_set_int64 (value, self->completion_tokens);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_job_class_init (PcqJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pcq_job_finalize;
  object_class->get_property = pcq_job_get_property;

  properties[PROP_ID] =
    g_param_spec_uint64 ("id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, PCQ_TYPE_JOB_KIND, PCQ_JOB_DOWNLOAD,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROMPT] =
    g_param_spec_string ("prompt", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTPUT_DIR] =
    g_param_spec_string ("output-dir", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, PCQ_TYPE_JOB_STATE, PCQ_JOB_QUEUED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES] =
    g_param_spec_int64 ("bytes", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOTAL] =
    g_param_spec_int64 ("total", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ATTEMPTS] =
    g_param_spec_uint ("attempts", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTPUT_PATH] =
    g_param_spec_string ("output-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqJob:commit-note:
   *
   * What the Git step did with the finished file ("committed 1a2b3c4",
   * "not committed: no Git repository", …), or %NULL when it was not
   * asked to commit it (yet). Not kept in the store.
   */
  properties[PROP_COMMIT_NOTE] =
    g_param_spec_string ("commit-note", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PcqJob:retry-at:
   *
   * When a queued job that waits for its next attempt will be tried
   * again (real time, µs as g_get_real_time()), or 0.
   */
  properties[PROP_RETRY_AT] =
    g_param_spec_int64 ("retry-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqJob:retry-asked:
   *
   * Whether the wait until #PcqJob:retry-at is the server's
   * (`Retry-After`), not Pcq's own backoff.
   */
  properties[PROP_RETRY_ASKED] =
    g_param_spec_boolean ("retry-asked", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PcqJob:prompt-tokens:
   *
   * For a done API task, how many tokens its prompt took as the server
   * reported it (`usage.prompt_tokens`), or -1 when it did not.
   */
  properties[PROP_PROMPT_TOKENS] =
    g_param_spec_int64 ("prompt-tokens", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PcqJob:completion-tokens:
   *
   * For a done API task, how many tokens the answer took as the server
   * reported it (`usage.completion_tokens`), or -1 when it did not.
   */
  properties[PROP_COMPLETION_TOKENS] =
    g_param_spec_int64 ("completion-tokens", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pcq_job_init (PcqJob *self)
{
  self->state = PCQ_JOB_QUEUED;
  self->total = -1;
  self->prompt_tokens = -1;
  self->completion_tokens = -1;
  self->created = g_get_real_time () / G_USEC_PER_SEC;
}

/* What a job is never changes, so it is set here rather than through
 * construct properties: looking those up by name and copying them
 * through GValues was a fifth of what queuing 100 000 URLs cost the main
 * thread. */
static PcqJob *
job_new (guint64     id,
         PcqJobKind  kind,
         const char *prompt,
         const char *url,
         const char *output_dir,
         const char *name)
{
  PcqJob *self = g_object_new (PCQ_TYPE_JOB, NULL);

  self->id = id;
  self->position = (gint64) id;
  self->kind = kind;
  self->prompt = g_strdup (prompt);
  self->url = g_strdup (url);
  self->output_dir = g_strdup (output_dir);
  self->name = g_strdup (name);

  return self;
}

/**
 * pcq_job_new:
 * @id: unique among its engine's jobs, in submission order
 * @url: what to fetch
 * @output_dir: the folder the result goes to
 * @name: (nullable): the file name to use, or %NULL to take it from the response
 *
 * Returns: (transfer full): a new queued job
 */
PcqJob *
pcq_job_new (guint64     id,
             const char *url,
             const char *output_dir,
             const char *name)
{
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (output_dir != NULL, NULL);

  return job_new (id, PCQ_JOB_DOWNLOAD, NULL, url, output_dir, name);
}

/**
 * pcq_job_new_api:
 * @id: unique among its engine's jobs, in submission order
 * @kind: %PCQ_JOB_ASK or %PCQ_JOB_BATCH
 * @text: the prompt (ask) or the whole request body as JSON (batch)
 * @endpoint: the chat-completions URL it goes to
 * @output_dir: the folder the answer goes to
 * @name: (nullable): the file name to use; for an ask task, %NULL makes
 *   one from the prompt
 *
 * Returns: (transfer full): a new queued API task;
 *   pcq_job_get_prompt() returns @text. Must be called on the main thread.
 */
PcqJob *
pcq_job_new_api (guint64     id,
                 PcqJobKind  kind,
                 const char *text,
                 const char *endpoint,
                 const char *output_dir,
                 const char *name)
{
  g_return_val_if_fail (kind == PCQ_JOB_ASK || kind == PCQ_JOB_BATCH, NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (endpoint != NULL, NULL);
  g_return_val_if_fail (output_dir != NULL, NULL);
  g_return_val_if_fail (kind == PCQ_JOB_ASK || name != NULL, NULL);

  return job_new (id, kind, text, endpoint, output_dir, name);
}

guint64
pcq_job_get_id (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), 0);
  return self->id;
}

PcqJobKind
pcq_job_get_kind (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), PCQ_JOB_DOWNLOAD);
  return self->kind;
}

/**
 * pcq_job_get_prompt:
 *
 * Returns: (nullable): the prompt of an API task, %NULL for a download
 */
const char *
pcq_job_get_prompt (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return self->prompt;
}

const char *
pcq_job_get_url (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return self->url;
}

const char *
pcq_job_get_output_dir (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return self->output_dir;
}

const char *
pcq_job_get_name (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return self->name;
}

PcqJobState
pcq_job_get_state (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), PCQ_JOB_QUEUED);
  return self->state;
}

gint64
pcq_job_get_bytes (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), 0);
  return self->bytes;
}

gint64
pcq_job_get_total (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), -1);
  return self->total;
}

guint
pcq_job_get_attempts (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), 0);
  return self->attempts;
}

const char *
pcq_job_get_error (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return self->error;
}

const char *
pcq_job_get_commit_note (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return self->commit_note;
}

/**
 * pcq_job_get_retry_at:
 * @asked: (out) (optional): whether the server asked for the wait
 *
 * Returns: when the job's next attempt is due (real time, µs), or 0
 *   when it is not waiting for one
 */
gint64
pcq_job_get_retry_at (PcqJob   *self,
                      gboolean *asked)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), 0);

  if (asked != NULL)
    *asked = self->retry_asked;
  return self->retry_at;
}

/**
 * pcq_job_dup_wait_text:
 *
 * Returns: (transfer full) (nullable): "Waiting until 14:05 (the server
 *   asked)" for a job that waits for its next attempt, or %NULL
 */
char *
pcq_job_dup_wait_text (PcqJob *self)
{
  g_autoptr(GDateTime) at = NULL;
  g_autofree char *time = NULL;

  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);

  if (self->retry_at == 0)
    return NULL;

  at = g_date_time_new_from_unix_local (self->retry_at / G_USEC_PER_SEC);
  /* TRANSLATORS: a time of day in the messages below; see g_date_time_format () */
  time = g_date_time_format (at, _("%H:%M"));

  if (self->retry_asked)
    /* TRANSLATORS: %s is a time of day; the server sent Retry-After */
    return g_strdup_printf (_("Waiting until %s (the server asked)"), time);

  /* TRANSLATORS: %s is a time of day */
  return g_strdup_printf (_("Next attempt at %s"), time);
}

const char *
pcq_job_get_output_path (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return self->output_path;
}

/* The one table of task states: what each counts as and what it
 * becomes when the queue is loaded again (src/DESIGN.md, "Task
 * states"). A retry's wait is a queued job with a ready time in the
 * scheduler. */
static const PcqJobStateInfo state_info[] = {
  [PCQ_JOB_QUEUED]    = { PCQ_JOB_QUEUED,    "queued",    FALSE, PCQ_JOB_QUEUED },
  [PCQ_JOB_ACTIVE]    = { PCQ_JOB_ACTIVE,    "active",    FALSE, PCQ_JOB_QUEUED },
  [PCQ_JOB_DONE]      = { PCQ_JOB_DONE,      "done",      TRUE,  PCQ_JOB_DONE },
  [PCQ_JOB_FAILED]    = { PCQ_JOB_FAILED,    "failed",    TRUE,  PCQ_JOB_FAILED },
  [PCQ_JOB_CANCELLED] = { PCQ_JOB_CANCELLED, "cancelled", TRUE,  PCQ_JOB_CANCELLED },
  [PCQ_JOB_PAUSED]    = { PCQ_JOB_PAUSED,    "paused",    FALSE, PCQ_JOB_PAUSED },
};

/**
 * pcq_job_state_info:
 *
 * Returns: (transfer none): what @state means, or %NULL for a value
 *   that is no state (a corrupt store)
 */
const PcqJobStateInfo *
pcq_job_state_info (PcqJobState state)
{
  if ((guint) state >= G_N_ELEMENTS (state_info))
    return NULL;

  return &state_info[state];
}

gboolean
pcq_job_is_finished (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), FALSE);
  return pcq_job_state_info (self->state)->finished;
}

const char *
pcq_job_state_to_string (PcqJobState state)
{
  const PcqJobStateInfo *info = pcq_job_state_info (state);

  return info != NULL ? info->name : "unknown";
}

void
_pcq_job_set_state (PcqJob      *self,
                    PcqJobState  state)
{
  g_assert (PCQ_IS_JOB (self));

  if (self->state == state)
    return;

  self->state = state;
  self->finished = pcq_job_state_info (state)->finished ? g_get_real_time () / G_USEC_PER_SEC : 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
_pcq_job_set_progress (PcqJob *self,
                       gint64  bytes,
                       gint64  total)
{
  gboolean bytes_changed;
  gboolean total_changed;

  g_assert (PCQ_IS_JOB (self));

  /* Both set before either is notified, so that a handler of one sees
   * the other too: that is all a freeze would give here, at the price
   * of GObject's global notify lock and an allocation per file. */
  bytes_changed = self->bytes != bytes;
  total_changed = self->total != total;
  self->bytes = bytes;
  self->total = total;
  if (bytes_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES]);
  if (total_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

void
_pcq_job_set_attempts (PcqJob *self,
                       guint   attempts)
{
  g_assert (PCQ_IS_JOB (self));

  if (self->attempts == attempts)
    return;

  self->attempts = attempts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTEMPTS]);
}

void
_pcq_job_set_error (PcqJob     *self,
                    const char *error)
{
  g_assert (PCQ_IS_JOB (self));

  if (pcq_set_str (&self->error, error))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

void
_pcq_job_set_commit_note (PcqJob     *self,
                          const char *note)
{
  g_assert (PCQ_IS_JOB (self));

  if (pcq_set_str (&self->commit_note, note))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMMIT_NOTE]);
}

void
_pcq_job_set_retry_at (PcqJob   *self,
                       gint64    at,
                       gboolean  asked)
{
  g_assert (PCQ_IS_JOB (self));

  asked = at != 0 && asked;
  if (self->retry_asked != asked)
    {
      self->retry_asked = asked;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_ASKED]);
    }
  if (self->retry_at != at)
    {
      self->retry_at = at;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_AT]);
    }
}

void
_pcq_job_set_output_path (PcqJob     *self,
                          const char *path)
{
  g_assert (PCQ_IS_JOB (self));

  if (pcq_set_str (&self->output_path, path))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTPUT_PATH]);
}

/* Makes every job created from now on have an id above @id. */
/**
 * _pcq_job_new_from_record:
 *
 * Gives back a job as the store kept it.
 */
PcqJob *
_pcq_job_new_from_record (const PcqStoreRecord *record)
{
  PcqJob *self = job_new (record->id, record->kind, record->prompt, record->url,
                          record->output_dir, record->name);

  self->state = record->state;
  self->bytes = record->bytes;
  self->total = record->total;
  self->attempts = record->attempts;
  self->error = g_strdup (record->error);
  self->output_path = g_strdup (record->output_path);
  self->validator = g_strdup (record->validator);
  self->created = record->created;
  self->finished = record->finished;
  self->commit_note = g_strdup (record->commit_note);
  self->sha256 = g_strdup (record->sha256);
  if (record->headers != NULL)
    headers_from_stored (self, record->headers);
  self->started = record->started;
  self->http_status = record->http_status;
  self->prompt_tokens = MAX (record->prompt_tokens, -1);
  self->completion_tokens = MAX (record->completion_tokens, -1);
  self->position = record->position;

  return self;
}

/**
 * _pcq_job_to_record:
 * @record: (out caller-allocates): filled with borrowed strings
 */
void
_pcq_job_to_record (PcqJob         *self,
                    PcqStoreRecord *record)
{
  record->id = self->id;
  record->kind = self->kind;
  record->prompt = self->prompt;
  record->url = self->url;
  record->output_dir = self->output_dir;
  record->name = self->name;
  record->state = self->state;
  record->bytes = self->bytes;
  record->total = self->total;
  record->attempts = self->attempts;
  record->error = self->error;
  record->output_path = self->output_path;
  record->validator = self->validator;
  record->created = self->created;
  record->finished = self->finished;
  record->commit_note = self->commit_note;
  record->sha256 = self->sha256;
  record->headers = self->stored_headers;
  record->started = self->started;
  record->http_status = self->http_status;
  record->prompt_tokens = self->prompt_tokens;
  record->completion_tokens = self->completion_tokens;
  record->position = self->position;
}

/**
 * pcq_job_get_prompt_tokens:
 *
 * Returns: the tokens the prompt took, as the server said, or -1
 */
gint64
pcq_job_get_prompt_tokens (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), -1);
  return self->prompt_tokens;
}

/**
 * pcq_job_get_completion_tokens:
 *
 * Returns: the tokens the answer took, as the server said, or -1
 */
gint64
pcq_job_get_completion_tokens (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), -1);
  return self->completion_tokens;
}

void
_pcq_job_set_usage (PcqJob *self,
                    gint64  prompt_tokens,
                    gint64  completion_tokens)
{
  g_assert (PCQ_IS_JOB (self));

  prompt_tokens = MAX (prompt_tokens, -1);
  completion_tokens = MAX (completion_tokens, -1);
  if (self->prompt_tokens != prompt_tokens)
    {
      self->prompt_tokens = prompt_tokens;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROMPT_TOKENS]);
    }
  if (self->completion_tokens != completion_tokens)
    {
      self->completion_tokens = completion_tokens;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETION_TOKENS]);
    }
}

/**
 * pcq_job_get_position:
 *
 * Where the job is in its engine's list, and so in the queue: positions
 * grow down the list. A new job's is its id; moving jobs swaps theirs.
 *
 * Returns: the job's sort key
 */
gint64
pcq_job_get_position (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), 0);
  return self->position;
}

void
_pcq_job_set_position (PcqJob *self,
                       gint64  position)
{
  self->position = position;
}

/**
 * pcq_job_get_sha256:
 *
 * Returns: (nullable): the SHA-256 the download must have, as 64
 *   lowercase hexadecimal digits, or %NULL if it is not checked
 */
const char *
pcq_job_get_sha256 (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return self->sha256;
}

/* Set once, before the job is stored or run. */
/**
 * pcq_job_get_headers:
 *
 * Returns: (nullable) (transfer none): the request headers a download
 *   adds, as name, value, name, value…, or %NULL
 */
const char * const *
pcq_job_get_headers (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return (const char * const *) self->headers;
}

/**
 * pcq_header_is_secret:
 *
 * Returns: %TRUE for a request header whose value is a credential: it
 *   is never stored, logged or shown
 */
gboolean
pcq_header_is_secret (const char *name)
{
  return g_ascii_strcasecmp (name, "Cookie") == 0 ||
         g_ascii_strcasecmp (name, "Authorization") == 0;
}

/* {"Referer": "…", "Cookie": null}: the names of the secret headers
 * are kept, so that a restored task knows what to ask the keyring for
 * (pcq_keyring_remember_header ()). */
static char *
headers_to_stored (char **headers)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  for (char **h = headers; h[0] != NULL && h[1] != NULL; h += 2)
    {
      json_builder_set_member_name (builder, h[0]);
      if (pcq_header_is_secret (h[0]))
        json_builder_add_null_value (builder);
      else
        json_builder_add_string_value (builder, h[1]);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* The store's JSON, checked again as an input line's headers are: what
 * cannot be sent as it was given is lost. */
static void
headers_from_stored (PcqJob     *self,
                     const char *stored)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) secrets = g_strv_builder_new ();
  g_autoptr(GList) members = NULL;
  JsonNode *root;
  JsonObject *object;

  self->stored_headers = g_strdup (stored);
  if (!json_parser_load_from_data (parser, stored, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      self->headers_lost = TRUE;
      return;
    }

  object = json_node_get_object (root);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);
      const char *value = JSON_NODE_HOLDS_VALUE (node) &&
                          json_node_get_value_type (node) == G_TYPE_STRING
                          ? json_node_get_string (node) : NULL;

      if (JSON_NODE_HOLDS_NULL (node) && pcq_header_is_secret (l->data) &&
          pcq_input_check_header (l->data, "", NULL))
        {
          g_strv_builder_add (secrets, l->data);
          continue;
        }
      if (value == NULL || !pcq_input_check_header (l->data, value, NULL))
        {
          self->headers_lost = TRUE;
          continue;
        }
      g_strv_builder_add (builder, l->data);
      g_strv_builder_add (builder, value);
    }

  self->headers = g_strv_builder_end (builder);
  self->secret_names = g_strv_builder_end (secrets);
  if (self->secret_names[0] == NULL)
    g_clear_pointer (&self->secret_names, g_strfreev);
}

/**
 * pcq_job_get_secret_names:
 *
 * Returns: (nullable) (transfer none): for a job restored from the
 *   store, the names of its secret headers (see pcq_header_is_secret ()),
 *   whose values only the keyring keeps; %NULL if none
 */
const char * const *
pcq_job_get_secret_names (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), NULL);
  return (const char * const *) self->secret_names;
}

/**
 * pcq_job_get_headers_lost:
 *
 * Returns: %TRUE if the job was restored from the store with headers
 *   that do not read back as a line's would: it must not run without
 *   them
 */
gboolean
pcq_job_get_headers_lost (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), FALSE);
  return self->headers_lost;
}

void
_pcq_job_set_headers (PcqJob             *self,
                      const char * const *headers)
{
  g_clear_pointer (&self->headers, g_strfreev);
  g_clear_pointer (&self->stored_headers, g_free);
  g_clear_pointer (&self->secret_names, g_strfreev);
  self->headers_lost = FALSE;
  if (headers != NULL && headers[0] != NULL)
    {
      self->headers = g_strdupv ((char **) headers);
      self->stored_headers = headers_to_stored (self->headers);
    }
}

void
_pcq_job_set_sha256 (PcqJob     *self,
                     const char *sha256)
{
  pcq_set_str (&self->sha256, sha256);
}

/**
 * pcq_job_get_started:
 *
 * Returns: when its first attempt began, in seconds since the epoch, or
 *   0 if it never ran
 */
gint64
pcq_job_get_started (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), 0);
  return self->started;
}

/**
 * pcq_job_get_finished:
 *
 * Returns: when it ended (done, failed or cancelled), in seconds since
 *   the epoch, or 0 while it has not
 */
gint64
pcq_job_get_finished (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), 0);
  return self->finished;
}

/**
 * pcq_job_get_http_status:
 *
 * Returns: the HTTP status of the last response it got, or 0
 */
guint
pcq_job_get_http_status (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), 0);
  return self->http_status;
}

/* The first attempt's time stays: a retry or a restart does not move it. */
void
_pcq_job_set_started (PcqJob *self,
                      gint64  unix_seconds)
{
  if (self->started == 0)
    self->started = unix_seconds;
}

void
_pcq_job_set_http_status (PcqJob *self,
                          guint   status)
{
  if (status != 0)
    self->http_status = status;
}

/* Where the job's id lies, for tables keyed by it: it never changes,
 * and lives as long as the job. */
const guint64 *
_pcq_job_get_id_key (PcqJob *self)
{
  g_assert (PCQ_IS_JOB (self));
  return &self->id;
}

const char *
_pcq_job_get_validator (PcqJob *self)
{
  return self->validator;
}

void
_pcq_job_set_validator (PcqJob     *self,
                        const char *validator)
{
  pcq_set_str (&self->validator, validator);
}

/**
 * pcq_job_get_needs_setup:
 *
 * Returns: whether the task (an API one) failed because its endpoint
 *   could not be reached or refused its key: Preferences → API can
 *   mend that. Known for the failures of this run only.
 */
gboolean
pcq_job_get_needs_setup (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), FALSE);
  return self->needs_setup;
}

void
_pcq_job_set_needs_setup (PcqJob   *self,
                          gboolean  needs_setup)
{
  self->needs_setup = needs_setup;
}

/**
 * pcq_job_get_needs_sign_in:
 *
 * Returns: whether the task (a download) failed because its server
 *   asked for a user name and password that Pcq does not have, or
 *   refused the ones it sent (see pcq_keyring_sign_in ()). Known for
 *   the failures of this run only.
 */
gboolean
pcq_job_get_needs_sign_in (PcqJob *self)
{
  g_return_val_if_fail (PCQ_IS_JOB (self), FALSE);
  return self->needs_sign_in;
}

void
_pcq_job_set_needs_sign_in (PcqJob   *self,
                            gboolean  needs_sign_in)
{
  self->needs_sign_in = needs_sign_in;
}
