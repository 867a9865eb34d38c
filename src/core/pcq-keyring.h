/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pcq-netrc.h"

G_BEGIN_DECLS

char     *pcq_keyring_lookup_sync    (GCancellable         *cancellable,
                                      GError              **error);
void      pcq_keyring_lookup_async   (GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
char     *pcq_keyring_lookup_finish  (GAsyncResult         *result,
                                      GError              **error);
void      pcq_keyring_store_async    (const char           *api_key,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean  pcq_keyring_store_finish   (GAsyncResult         *result,
                                      GError              **error);
void      pcq_keyring_clear_async    (GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean  pcq_keyring_clear_finish   (GAsyncResult         *result,
                                      GError              **error);
void      pcq_keyring_free_key       (char                 *api_key);

/* Passwords given in URLs. */
typedef struct _PcqBasicAuth PcqBasicAuth;

gboolean      pcq_keyring_url_has_password   (const char          *url);
char         *pcq_keyring_take_url_password  (const char          *url);
char         *pcq_keyring_drop_url_password  (const char          *url);
PcqBasicAuth *pcq_keyring_basic_auth_for_uri (GUri                *uri,
                                              GError             **error);
const char   *pcq_basic_auth_header_for      (const PcqBasicAuth  *auth,
                                              GUri                *uri);
gboolean      pcq_basic_auth_is_sign_in      (const PcqBasicAuth  *auth);
char         *pcq_basic_auth_value           (const char          *user,
                                              const char          *password);
void          pcq_basic_auth_free            (PcqBasicAuth        *auth);
void          pcq_keyring_wait_stored        (void);
void          pcq_keyring_forget_passwords   (void);
char         *pcq_uri_dup_origin             (GUri                *uri);
void          pcq_keyring_use_netrc          (PcqNetrc            *credentials);

/* Signing in when a server asks (401, Basic). */
void          pcq_keyring_sign_in            (const char          *origin,
                                              const char          *user,
                                              const char          *password,
                                              gboolean             remember_it);
void          pcq_keyring_sign_in_refused    (const char          *origin);
PcqBasicAuth *pcq_keyring_basic_auth_for_challenge (GUri         *uri);

/* Secret request headers (Cookie, Authorization) of a line. */
void          pcq_keyring_remember_header    (GUri                *uri,
                                              const char          *name,
                                              const char          *value);
char         *pcq_keyring_find_header        (GUri                *uri,
                                              const char          *name,
                                              GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqBasicAuth, pcq_basic_auth_free)

G_END_DECLS
