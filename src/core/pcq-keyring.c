/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-keyring"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>
#include <libsoup/soup.h>

#include "pcq-error.h"
#include "pcq-keyring.h"
#include "pcq-run.h"
#include "pcq-util.h"

/*
 * Every secret Pcq keeps, in the user's keyring through libsecret: the
 * Secret Service on the desktop, the Secret portal inside a Flatpak
 * (libsecret picks its file backend there by itself). One schema for
 * all of them:
 *
 *   kind    "api-key"; "basic": a password given in a URL, or typed
 *           when a server asked to sign in; "header": the value of a
 *           secret request header (Cookie, Authorization) of a line
 *   origin  scheme://host:port the secret is sent to ("" for the API
 *           key, which serves whatever base is set)
 *   user    the user name ("" for the API key; for a header, its name
 *           in lowercase)
 *
 * Items are keyed by origin and user, never by task: a hundred thousand
 * tasks of one account make one item, looked up once a run and then
 * kept in memory. So a header's value is one per origin: the one given
 * last is the one a later run sends. Without a keyring (no Secret Service on the bus:
 * headless over SSH, cron, the tests) a password lives in this process
 * only. Secrets go nowhere else: not into the queue, a log line or a
 * message.
 *
 * The API key was kept under a schema of its own before; it is still
 * found there, and leaves it when the key is saved or removed.
 */

#define SCHEMA_NAME "com.example.Pcq.Secret"
#define KIND_API_KEY "api-key"
#define KIND_BASIC "basic"
#define KIND_HEADER "header"

#define LEGACY_ATTRIBUTE "purpose"
#define LEGACY_ATTRIBUTE_VALUE "api-key"

/* How long the end of a run waits for passwords still on their way to
 * the keyring. */
#define STORE_WAIT_US (10 * G_TIME_SPAN_SECOND)

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "origin", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static const SecretSchema *
get_legacy_schema (void)
{
  static const SecretSchema schema = {
    "com.example.Pcq.ApiKey", SECRET_SCHEMA_NONE,
    {
      { LEGACY_ATTRIBUTE, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

#define API_KEY_ATTRIBUTES "kind", KIND_API_KEY, "origin", "", "user", ""

/* ---- the API key ---------------------------------------------------- */

/**
 * pcq_keyring_lookup_sync:
 *
 * Returns: (transfer full) (nullable): the stored key, or %NULL when
 *   there is none (no error) or the keyring cannot be reached (@error
 *   set). Free it with pcq_keyring_free_key().
 */
char *
pcq_keyring_lookup_sync (GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  char *key;

  key = secret_password_lookup_sync (get_schema (), cancellable, &local_error,
                                     API_KEY_ATTRIBUTES, NULL);
  if (key != NULL || local_error != NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return key;
    }

  return secret_password_lookup_sync (get_legacy_schema (), cancellable, error,
                                      LEGACY_ATTRIBUTE, LEGACY_ATTRIBUTE_VALUE, NULL);
}

static void
legacy_looked_up_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *key = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, key, (GDestroyNotify) secret_password_free);
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *key = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else if (key != NULL)
    g_task_return_pointer (task, key, (GDestroyNotify) secret_password_free);
  else
    secret_password_lookup (get_legacy_schema (), g_task_get_cancellable (task),
                            legacy_looked_up_cb, g_object_ref (task),
                            LEGACY_ATTRIBUTE, LEGACY_ATTRIBUTE_VALUE, NULL);
}

void
pcq_keyring_lookup_async (GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, pcq_keyring_lookup_async);
  secret_password_lookup (get_schema (), cancellable, looked_up_cb, task,
                          API_KEY_ATTRIBUTES, NULL);
}

/**
 * pcq_keyring_lookup_finish:
 *
 * Returns: (transfer full) (nullable): as pcq_keyring_lookup_sync()
 */
char *
pcq_keyring_lookup_finish (GAsyncResult  *result,
                           GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The old item goes once the new one is written (or removed): what is
 * found afterwards is what was saved last. Nothing there is no error. */
static void
legacy_cleared_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_debug ("The API key under the old schema stays: %s", error->message);

  g_task_return_boolean (task, TRUE);
}

static void
stored_or_cleared_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gboolean ok;

  if (g_task_get_source_tag (task) == pcq_keyring_store_async)
    ok = secret_password_store_finish (result, &error);
  else
    ok = secret_password_clear_finish (result, &error) || error == NULL;

  if (!ok)
    {
      g_task_return_error (task, error);
      return;
    }

  secret_password_clear (get_legacy_schema (), g_task_get_cancellable (task),
                         legacy_cleared_cb, g_object_ref (task),
                         LEGACY_ATTRIBUTE, LEGACY_ATTRIBUTE_VALUE, NULL);
}

/**
 * pcq_keyring_store_async:
 *
 * Stores @api_key in the default collection, replacing the one stored
 * before.
 */
void
pcq_keyring_store_async (const char          *api_key,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (api_key != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pcq_keyring_store_async);
  secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT,
                         _("Pcq API key"), api_key, cancellable, stored_or_cleared_cb, task,
                         API_KEY_ATTRIBUTES, NULL);
}

gboolean
pcq_keyring_store_finish (GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * pcq_keyring_clear_async:
 *
 * Removes the stored key, if there is one.
 */
void
pcq_keyring_clear_async (GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, pcq_keyring_clear_async);
  secret_password_clear (get_schema (), cancellable, stored_or_cleared_cb, task,
                         API_KEY_ATTRIBUTES, NULL);
}

gboolean
pcq_keyring_clear_finish (GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- passwords given in URLs ---------------------------------------- */

/* What this process knows of one origin and user. */
typedef struct
{
  char     *password;    /* NULL: looked up, not there */
  gboolean  no_keyring;  /* with password NULL: the keyring could not be asked */
} Credential;

static GMutex cache_lock;
static GHashTable *cache;       /* "kind\norigin\nuser" → Credential; cache_lock */
/* origin → the user a 401 was answered with ("": none found); cache_lock */
static GHashTable *sign_ins;
static GMutex lookup_lock;      /* one keyring lookup at a time */
static GMutex store_lock;
static GCond store_cond;
static guint n_storing;         /* store_lock */
static GThreadPool *store_pool; /* created under store_lock; lives as long as the process */

struct _PcqBasicAuth
{
  char *origin;
  char *header;                 /* "Basic …": a secret */
  gboolean sign_in;             /* what a 401 was (or will be) answered with */
};

static void
credential_free (gpointer data)
{
  Credential *credential = data;

  pcq_secret_free (credential->password);
  g_free (credential);
}

static char *
cache_key (const char *kind,
           const char *origin,
           const char *user)
{
  return g_strconcat (kind, "\n", origin, "\n", user, NULL);
}

/* Called with cache_lock held. */
static GHashTable *
get_cache_locked (void)
{
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, credential_free);
  if (sign_ins == NULL)
    sign_ins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return cache;
}

/* Called with cache_lock held. */
static GHashTable *
get_sign_ins_locked (void)
{
  get_cache_locked ();
  return sign_ins;
}

static int
default_port (GUri *uri)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

/* scheme://host:port, with the port always written out: what a
 * password is for, and all it is sent to. */
static char *
origin_of (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);
  int port = g_uri_get_port (uri);
  g_autofree char *host = g_ascii_strdown (g_uri_get_host (uri) ? g_uri_get_host (uri) : "", -1);

  if (port < 0)
    port = default_port (uri);

  return g_strdup_printf ("%s://%s:%d", scheme, host, port);
}

/**
 * pcq_uri_dup_origin:
 *
 * Returns: (transfer full): @uri's origin, scheme://host:port with the
 *   port written out and the host in lowercase: two URIs have the same
 *   origin if these are equal
 */
char *
pcq_uri_dup_origin (GUri *uri)
{
  g_return_val_if_fail (uri != NULL, NULL);
  return origin_of (uri);
}

/* user@host, with the port when it is not the scheme's: for messages.
 * The user name as a URL writes it: a line break in it stays "%0A". */
static char *
account_of (GUri *uri)
{
  int port = g_uri_get_port (uri);
  g_autofree char *user = g_uri_escape_string (g_uri_get_user (uri),
                                               G_URI_RESERVED_CHARS_SUBCOMPONENT_DELIMITERS, TRUE);

  if (port >= 0 && port != default_port (uri))
    return g_strdup_printf ("%s@%s:%d", user, g_uri_get_host (uri), port);
  return g_strdup_printf ("%s@%s", user, g_uri_get_host (uri));
}

/* Where the password of a URL is, as text: from the ':' after the user
 * name up to the '@' before the host. Found by hand, so that a URL
 * GLib cannot parse loses its password too. */
static gboolean
find_password (const char  *url,
               gsize       *start,
               gsize       *end)
{
  const char *authority = strstr (url, "://");
  const char *authority_end, *at = NULL, *colon;

  if (authority == NULL)
    return FALSE;

  authority += 3;
  authority_end = authority + strcspn (authority, "/?#");
  for (const char *p = authority; p < authority_end; p++)
    if (*p == '@')
      at = p;
  if (at == NULL)
    return FALSE;

  colon = memchr (authority, ':', at - authority);
  if (colon == NULL)
    return FALSE;

  *start = colon - url;
  *end = at - url;
  return TRUE;
}

typedef struct
{
  const char *kind;             /* KIND_BASIC or KIND_HEADER */
  char *origin;
  char *user;
  char *password;
  char *what;                   /* user@host, or a header's name as given */
} StoreData;

static void
store_in_keyring (gpointer data,
                  gpointer user_data)
{
  StoreData *store = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *label = NULL;
  gboolean is_header = g_str_equal (store->kind, KIND_HEADER);

  if (is_header)
    label = g_strdup_printf (_("Pcq: %s header for %s"), store->what, store->origin);
  else
    label = g_strdup_printf (_("Pcq: password for %s"), store->what);

  if (!secret_password_store_sync (get_schema (), SECRET_COLLECTION_DEFAULT, label,
                                   store->password, NULL, &error,
                                   "kind", store->kind, "origin", store->origin,
                                   "user", store->user, NULL))
    {
      if (is_header)
        g_message (_("The %s header for %s is kept for this run only: no keyring is available (%s)"),
                   store->what, store->origin, error->message);
      else
        g_message (_("The password for %s is kept for this run only: no keyring is available (%s)"),
                   store->what, error->message);
    }

  g_free (store->origin);
  g_free (store->user);
  pcq_secret_free (store->password);
  g_free (store->what);
  g_free (store);

  g_mutex_lock (&store_lock);
  n_storing--;
  g_cond_broadcast (&store_cond);
  g_mutex_unlock (&store_lock);
}

/* Known to this process at once; to the keyring (when @to_keyring)
 * when it answers, on one thread for all of them (a store may block,
 * or ask to unlock, and one prompt at a time is all a person can
 * answer). @what names the secret in messages. */
static void
remember (const char *kind,
          const char *origin,
          const char *user,
          const char *password,
          const char *what,
          gboolean    to_keyring)
{
  g_autofree char *key = cache_key (kind, origin, user);
  Credential *credential;
  StoreData *store;

  g_mutex_lock (&cache_lock);
  credential = g_hash_table_lookup (get_cache_locked (), key);
  if (credential != NULL && g_strcmp0 (credential->password, password) == 0)
    {
      g_mutex_unlock (&cache_lock);
      return;
    }
  credential = g_new0 (Credential, 1);
  credential->password = g_strdup (password);
  g_hash_table_replace (cache, g_steal_pointer (&key), credential);
  g_mutex_unlock (&cache_lock);

  if (!to_keyring)
    return;

  store = g_new0 (StoreData, 1);
  store->kind = kind;
  store->origin = g_strdup (origin);
  store->user = g_strdup (user);
  store->password = g_strdup (password);
  store->what = g_strdup (what);

  g_mutex_lock (&store_lock);
  n_storing++;
  if (store_pool == NULL)
    store_pool = g_thread_pool_new (store_in_keyring, NULL, 1, FALSE, NULL);
  g_mutex_unlock (&store_lock);
  g_thread_pool_push (store_pool, store, NULL);
}

/**
 * pcq_keyring_url_has_password:
 *
 * Returns: whether @url has `user:password@` (as text: also one that
 *   cannot be parsed)
 */
gboolean
pcq_keyring_url_has_password (const char *url)
{
  gsize start, end;

  return url != NULL && find_password (url, &start, &end);
}

/**
 * pcq_keyring_drop_url_password:
 *
 * Returns: (transfer full): @url without its password, which is not
 *   kept anywhere (a finished task needs it no more)
 */
char *
pcq_keyring_drop_url_password (const char *url)
{
  GString *stripped;
  gsize start, end;

  g_return_val_if_fail (url != NULL, NULL);

  if (!find_password (url, &start, &end))
    return g_strdup (url);

  stripped = g_string_new_len (url, start);
  g_string_append (stripped, url + end);
  return g_string_free (stripped, FALSE);
}

/**
 * pcq_keyring_take_url_password:
 * @url: a URL as given, maybe with `user:password@` in it
 *
 * Takes the password out of @url: it is kept for this process, and in
 * the keyring when there is one, under the URL's origin and user. The
 * user name stays in the URL: it names the account (and so the item to
 * look up on a later run), and is no secret.
 *
 * Returns: (transfer full): @url without its password; @url itself
 *   when it has none
 */
char *
pcq_keyring_take_url_password (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  const char *password;
  gsize start, end;

  g_return_val_if_fail (url != NULL, NULL);

  if (!find_password (url, &start, &end))
    return g_strdup (url);

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  password = uri != NULL ? g_uri_get_password (uri) : NULL;
  if (uri != NULL && password != NULL && g_uri_get_user (uri) != NULL &&
      *g_uri_get_user (uri) != '\0' && g_uri_get_host (uri) != NULL &&
      pcq_uri_is_http (uri))
    {
      g_autofree char *origin = origin_of (uri);
      g_autofree char *account = account_of (uri);

      remember (KIND_BASIC, origin, g_uri_get_user (uri), password, account, TRUE);
    }

  /* A URL that is not usable fails as such, without its password. */
  return pcq_keyring_drop_url_password (url);
}

/* A copy of what is known of @key, or NULL: another thread may replace
 * the entry as soon as the lock is let go. */
static Credential *
cached_copy (const char *key)
{
  Credential *credential, *copy = NULL;

  g_mutex_lock (&cache_lock);
  credential = g_hash_table_lookup (get_cache_locked (), key);
  if (credential != NULL)
    {
      copy = g_new0 (Credential, 1);
      copy->password = g_strdup (credential->password);
      copy->no_keyring = credential->no_keyring;
    }
  g_mutex_unlock (&cache_lock);

  return copy;
}

/* The secret of @kind for @origin and @user: from memory, else from
 * the keyring (once a run: a missing one is remembered as missing too). */
static Credential *
find_credential (const char *kind,
                 const char *origin,
                 const char *user)
{
  g_autofree char *key = cache_key (kind, origin, user);
  g_autoptr(GError) error = NULL;
  Credential *credential;
  char *password;

  if ((credential = cached_copy (key)) != NULL)
    return credential;

  g_mutex_lock (&lookup_lock);
  /* Another thread may have looked it up meanwhile. */
  if ((credential = cached_copy (key)) == NULL)
    {
      password = secret_password_lookup_sync (get_schema (), NULL, &error,
                                              "kind", kind, "origin", origin,
                                              "user", user, NULL);
      if (error != NULL)
        g_debug ("No password from the keyring: %s", error->message);

      credential = g_new0 (Credential, 1);
      credential->password = g_strdup (password);
      credential->no_keyring = error != NULL;
      secret_password_free (password);

      g_mutex_lock (&cache_lock);
      /* Unless one was given meanwhile. */
      if (!g_hash_table_contains (get_cache_locked (), key))
        g_hash_table_insert (cache, g_strdup (key), credential);
      else
        credential_free (credential);
      g_mutex_unlock (&cache_lock);

      credential = cached_copy (key);
    }
  g_mutex_unlock (&lookup_lock);

  return credential;
}

static GMutex netrc_lock;
static PcqNetrc *netrc;         /* netrc_lock */

/**
 * pcq_keyring_use_netrc:
 * @credentials: (transfer full) (nullable): a .netrc file's entries
 *
 * Downloads whose URL names no user take the user and password
 * @credentials has for their host (pcq --netrc), as HTTP Basic
 * credentials for their URL's origin only. Kept in memory, never
 * stored.
 */
void
pcq_keyring_use_netrc (PcqNetrc *credentials)
{
  g_mutex_lock (&netrc_lock);
  g_clear_pointer (&netrc, pcq_netrc_free);
  netrc = credentials;
  g_mutex_unlock (&netrc_lock);
}

/**
 * pcq_basic_auth_value:
 *
 * Returns: (transfer full): "Basic " and @user:@password in base64, a
 *   secret (free it with pcq_secret_free ())
 */
char *
pcq_basic_auth_value (const char *user,
                      const char *password)
{
  g_autofree char *pair = g_strconcat (user, ":", password, NULL);
  g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
  char *value = g_strconcat ("Basic ", encoded, NULL);

  memset (pair, 0, strlen (pair));
  memset (encoded, 0, strlen (encoded));
  return value;
}

static PcqBasicAuth *
basic_auth_new (char       *origin,
                const char *user,
                const char *password)
{
  PcqBasicAuth *auth = g_new0 (PcqBasicAuth, 1);

  auth->origin = origin;
  auth->header = pcq_basic_auth_value (user, password);
  return auth;
}

static PcqBasicAuth *
basic_auth_from_netrc (GUri *uri)
{
  const char *login = NULL;
  const char *password = NULL;
  PcqBasicAuth *auth = NULL;

  g_mutex_lock (&netrc_lock);
  if (netrc != NULL && pcq_netrc_lookup (netrc, g_uri_get_host (uri), &login, &password))
    auth = basic_auth_new (origin_of (uri), login, password);
  g_mutex_unlock (&netrc_lock);

  return auth;
}

static gboolean
anyone_signed_in (void)
{
  gboolean any;

  g_mutex_lock (&cache_lock);
  any = g_hash_table_size (get_sign_ins_locked ()) > 0;
  g_mutex_unlock (&cache_lock);

  return any;
}

/* The user and password a 401 of @origin was answered with in this
 * process, or NULL. */
static PcqBasicAuth *
basic_auth_from_sign_in (const char *origin)
{
  g_autofree char *user = NULL;
  g_autofree char *key = NULL;
  PcqBasicAuth *auth = NULL;
  Credential *credential;

  g_mutex_lock (&cache_lock);
  user = g_strdup (g_hash_table_lookup (get_sign_ins_locked (), origin));
  g_mutex_unlock (&cache_lock);
  if (user == NULL || *user == '\0')
    return NULL;

  key = cache_key (KIND_BASIC, origin, user);
  credential = cached_copy (key);
  if (credential != NULL && credential->password != NULL)
    {
      auth = basic_auth_new (g_strdup (origin), user, credential->password);
      auth->sign_in = TRUE;
    }
  g_clear_pointer (&credential, credential_free);

  return auth;
}

/**
 * pcq_keyring_basic_auth_for_uri:
 * @uri: the URL of a download
 * @error: return location for a %PCQ_ERROR_NO_PASSWORD
 *
 * For a URL with a user name: the password kept for its origin and
 * user, as HTTP Basic credentials for that origin. May block on the
 * keyring, once a run for each origin and user.
 *
 * For a URL without one: those of the .netrc in use, if any
 * (pcq_keyring_use_netrc ()), else those this process signed in to its
 * origin with (pcq_keyring_sign_in ()). Never blocks.
 *
 * Returns: (transfer full) (nullable): the credentials, or %NULL: with
 *   @error set when the URL has a user whose password is not known,
 *   without when it has no user
 */
PcqBasicAuth *
pcq_keyring_basic_auth_for_uri (GUri    *uri,
                                GError **error)
{
  const char *user = g_uri_get_user (uri);
  g_autofree char *origin = NULL;
  g_autofree char *account = NULL;
  Credential *credential;
  PcqBasicAuth *auth;

  if (user == NULL || *user == '\0')
    {
      /* Nearly always nobody signed in: no origin to write out then. */
      auth = basic_auth_from_netrc (uri);
      if (auth != NULL || !anyone_signed_in ())
        return auth;

      origin = origin_of (uri);
      return basic_auth_from_sign_in (origin);
    }

  origin = origin_of (uri);

  credential = find_credential (KIND_BASIC, origin, user);
  if (credential->password == NULL)
    {
      account = account_of (uri);
      if (credential->no_keyring)
        g_set_error (error, PCQ_ERROR, PCQ_ERROR_NO_PASSWORD,
                     _("The password for %s was not kept: no keyring was available; "
                       "add the task again with its password"), account);
      else
        g_set_error (error, PCQ_ERROR, PCQ_ERROR_NO_PASSWORD,
                     _("No password for %s in the keyring; add the task again with its password"),
                     account);
      credential_free (credential);
      return NULL;
    }

  auth = basic_auth_new (g_steal_pointer (&origin), user, credential->password);
  credential_free (credential);
  return auth;
}

/* ---- signing in when a server asks ---------------------------------- */

/**
 * pcq_keyring_sign_in:
 * @origin: scheme://host:port, as pcq_uri_dup_origin () writes it
 * @remember: keep the password in the keyring too, for later runs
 *
 * Downloads from @origin whose URL names no user send @user and
 * @password from now on (see pcq_keyring_basic_auth_for_uri ()).
 */
void
pcq_keyring_sign_in (const char *origin,
                     const char *user,
                     const char *password,
                     gboolean    remember_it)
{
  g_autofree char *account = NULL;

  g_return_if_fail (origin != NULL && user != NULL && password != NULL);

  account = g_strdup_printf ("%s@%s", user, origin);
  /* Stored even when memory has the same: this may be what the keyring
   * lacks. */
  if (remember_it)
    {
      g_autofree char *key = cache_key (KIND_BASIC, origin, user);

      g_mutex_lock (&cache_lock);
      g_hash_table_remove (get_cache_locked (), key);
      g_mutex_unlock (&cache_lock);
    }
  remember (KIND_BASIC, origin, user, password, account, remember_it);

  g_mutex_lock (&cache_lock);
  g_hash_table_replace (sign_ins, g_strdup (origin), g_strdup (user));
  g_mutex_unlock (&cache_lock);
}

/**
 * pcq_keyring_sign_in_refused:
 *
 * The server of @origin refused what it was signed in with: it is sent
 * no more, and the keyring is not asked again this run.
 */
void
pcq_keyring_sign_in_refused (const char *origin)
{
  g_mutex_lock (&cache_lock);
  g_hash_table_replace (get_sign_ins_locked (),
                        g_strdup (origin), g_strdup (""));
  g_mutex_unlock (&cache_lock);
}

/* A password the keyring has for @origin, any user: the first found. */
static void
search_keyring (const char *origin)
{
  g_autoptr(GError) error = NULL;
  GList *items;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;

  items = secret_password_search_sync (get_schema (),
                                       SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                                       NULL, &error,
                                       "kind", KIND_BASIC, "origin", origin, NULL);
  if (error != NULL)
    g_debug ("No sign-in from the keyring: %s", error->message);

  for (GList *l = items; l != NULL && user == NULL; l = l->next)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (l->data);
      g_autoptr(SecretValue) value = secret_retrievable_retrieve_secret_sync (l->data, NULL, NULL);
      const char *name = g_hash_table_lookup (attributes, "user");
      const char *text = value != NULL ? secret_value_get_text (value) : NULL;

      if (name != NULL && *name != '\0' && text != NULL)
        {
          user = g_strdup (name);
          password = g_strdup (text);
        }
    }
  g_list_free_full (items, g_object_unref);

  if (user != NULL)
    {
      g_autofree char *account = g_strdup_printf ("%s@%s", user, origin);

      remember (KIND_BASIC, origin, user, password, account, FALSE);
      pcq_secret_free (g_steal_pointer (&password));
    }

  g_mutex_lock (&cache_lock);
  if (!g_hash_table_contains (get_sign_ins_locked (), origin))
    g_hash_table_insert (sign_ins, g_strdup (origin), g_strdup (user != NULL ? user : ""));
  g_mutex_unlock (&cache_lock);
}

/**
 * pcq_keyring_basic_auth_for_challenge:
 * @uri: a download's URL without a user name, whose server answered
 *   401 asking for HTTP Basic credentials
 *
 * What to answer with: those this process signed in to the origin
 * with, else the keyring's for it (any user). May block on the
 * keyring, once a run for each origin.
 *
 * Returns: (transfer full) (nullable): the credentials, or %NULL when
 *   none are known: a person must sign in
 */
PcqBasicAuth *
pcq_keyring_basic_auth_for_challenge (GUri *uri)
{
  g_autofree char *origin = origin_of (uri);
  gboolean searched;

  g_mutex_lock (&lookup_lock);
  g_mutex_lock (&cache_lock);
  searched = g_hash_table_contains (get_sign_ins_locked (), origin);
  g_mutex_unlock (&cache_lock);
  if (!searched)
    search_keyring (origin);
  g_mutex_unlock (&lookup_lock);

  return basic_auth_from_sign_in (origin);
}

/* ---- secret request headers ------------------------------------------ */

/**
 * pcq_keyring_remember_header:
 * @uri: the URL of the download the header is for
 * @name: a secret header's name (see pcq_header_is_secret ())
 *
 * Keeps @value for @uri's origin: in this process at once, and in the
 * keyring when there is one, where a later run finds it again.
 */
void
pcq_keyring_remember_header (GUri       *uri,
                             const char *name,
                             const char *value)
{
  g_autofree char *origin = origin_of (uri);
  g_autofree char *user = g_ascii_strdown (name, -1);

  remember (KIND_HEADER, origin, user, value, name, TRUE);
}

/**
 * pcq_keyring_find_header:
 * @uri: the URL of the download the header is for
 * @name: a secret header's name
 * @error: return location for a %PCQ_ERROR_NO_PASSWORD
 *
 * The value kept for @uri's origin and @name. May block on the keyring,
 * once a run for each origin and name.
 *
 * Returns: (transfer full) (nullable): the value, a secret (free it
 *   with pcq_secret_free ()), or %NULL with @error set
 */
char *
pcq_keyring_find_header (GUri        *uri,
                         const char  *name,
                         GError     **error)
{
  g_autofree char *origin = origin_of (uri);
  g_autofree char *user = g_ascii_strdown (name, -1);
  Credential *credential = find_credential (KIND_HEADER, origin, user);
  char *value = g_steal_pointer (&credential->password);

  if (value == NULL)
    {
      if (credential->no_keyring)
        g_set_error (error, PCQ_ERROR, PCQ_ERROR_NO_PASSWORD,
                     _("The task’s %s header was not kept: no keyring was available; "
                       "add the task again with its headers"), name);
      else
        g_set_error (error, PCQ_ERROR, PCQ_ERROR_NO_PASSWORD,
                     _("No %s header for %s in the keyring; add the task again with its headers"),
                     name, origin);
    }
  credential_free (credential);
  return value;
}

/**
 * pcq_basic_auth_header_for:
 * @uri: where a request goes (the first one, or after a redirect)
 *
 * Returns: (nullable): the Authorization header value for @uri: only
 *   when it has the origin the credentials are for
 */
const char *
pcq_basic_auth_header_for (const PcqBasicAuth *auth,
                           GUri               *uri)
{
  g_autofree char *origin = NULL;

  if (auth == NULL)
    return NULL;

  origin = origin_of (uri);
  return g_str_equal (origin, auth->origin) ? auth->header : NULL;
}

/**
 * pcq_basic_auth_is_sign_in:
 *
 * Returns: whether @auth is what a person signed in with, or the
 *   keyring kept of that (not a URL's user or a .netrc's)
 */
gboolean
pcq_basic_auth_is_sign_in (const PcqBasicAuth *auth)
{
  return auth != NULL && auth->sign_in;
}

void
pcq_basic_auth_free (PcqBasicAuth *auth)
{
  if (auth == NULL)
    return;

  g_free (auth->origin);
  pcq_secret_free (auth->header);
  g_free (auth);
}

/**
 * pcq_keyring_wait_stored:
 *
 * Waits (a few seconds at most) for passwords still being written to
 * the keyring, so that a run that ends at once has still kept them.
 */
void
pcq_keyring_wait_stored (void)
{
  gint64 until = g_get_monotonic_time () + STORE_WAIT_US;

  g_mutex_lock (&store_lock);
  while (n_storing > 0)
    if (!g_cond_wait_until (&store_cond, &store_lock, until))
      break;
  g_mutex_unlock (&store_lock);
}

/**
 * pcq_keyring_forget_passwords:
 *
 * Forgets every password this process knows (not the keyring's): what
 * a new process would know. For tests.
 */
void
pcq_keyring_forget_passwords (void)
{
  g_mutex_lock (&cache_lock);
  g_clear_pointer (&cache, g_hash_table_unref);
  g_clear_pointer (&sign_ins, g_hash_table_unref);
  g_mutex_unlock (&cache_lock);
}

/**
 * pcq_keyring_free_key:
 *
 * Wipes and frees a key returned by a lookup.
 */
void
pcq_keyring_free_key (char *api_key)
{
  secret_password_free (api_key);
}
