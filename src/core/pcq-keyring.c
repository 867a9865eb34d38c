/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-keyring"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "pcq-keyring.h"

/*
 * The API key in the user's keyring, through libsecret: the Secret
 * Service on the desktop, the Secret portal inside a Flatpak (libsecret
 * picks its file backend there by itself). One item, found by its
 * schema and a fixed attribute; the key never goes anywhere else.
 *
 * These are thin wrappers, so that the rest of Pcq needs no libsecret
 * header and every caller looks the item up the same way.
 */

#define ATTRIBUTE "purpose"
#define ATTRIBUTE_VALUE "api-key"

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "com.example.Pcq.ApiKey", SECRET_SCHEMA_NONE,
    {
      { ATTRIBUTE, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

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
  return secret_password_lookup_sync (get_schema (), cancellable, error,
                                      ATTRIBUTE, ATTRIBUTE_VALUE, NULL);
}

void
pcq_keyring_lookup_async (GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  secret_password_lookup (get_schema (), cancellable, callback, user_data,
                          ATTRIBUTE, ATTRIBUTE_VALUE, NULL);
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
  return secret_password_lookup_finish (result, error);
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
  g_return_if_fail (api_key != NULL);

  secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT,
                         _("Pcq API key"), api_key, cancellable, callback, user_data,
                         ATTRIBUTE, ATTRIBUTE_VALUE, NULL);
}

gboolean
pcq_keyring_store_finish (GAsyncResult  *result,
                          GError       **error)
{
  return secret_password_store_finish (result, error);
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
  secret_password_clear (get_schema (), cancellable, callback, user_data,
                         ATTRIBUTE, ATTRIBUTE_VALUE, NULL);
}

gboolean
pcq_keyring_clear_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  /* FALSE without an error only means there was nothing to remove. */
  if (!secret_password_clear_finish (result, &local_error) && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
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
