/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-window"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "pcq-keyring.h"
#include "pcq-window-private.h"

/* Signing in: a download whose server asked for a user name and
 * password (401, Basic) that Pcq did not have fails needing a sign-in
 * (pcq-worker-download.c), as does one whose URL names a user whose
 * password was not kept. The window asks once for the origin (and that
 * user), however many tasks failed so; the answer is kept for the
 * origin (in the keyring when the person says so) and those tasks run
 * again. Origins that fail while a dialog is up wait their turn. */

#define RESPONSE_SIGN_IN "sign-in"

struct _PcqSignIn
{
  char *origin;
  char *user;  /* the URL's, or NULL: whatever the person types */
};

static void show_next (PcqWindow *self);

static void
sign_in_free (PcqSignIn *sign_in)
{
  g_free (sign_in->origin);
  g_free (sign_in->user);
  g_free (sign_in);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcqSignIn, sign_in_free)

static PcqSignIn *
sign_in_for_job (PcqJob *job)
{
  g_autoptr(GUri) uri = g_uri_parse (pcq_job_get_url (job), SOUP_HTTP_URI_FLAGS, NULL);
  PcqSignIn *sign_in;

  if (uri == NULL)
    return NULL;

  sign_in = g_new0 (PcqSignIn, 1);
  sign_in->origin = pcq_uri_dup_origin (uri);
  if (g_uri_get_user (uri) != NULL && *g_uri_get_user (uri) != '\0')
    sign_in->user = g_strdup (g_uri_get_user (uri));
  return sign_in;
}

static gboolean
sign_in_equal (const PcqSignIn *a,
               const PcqSignIn *b)
{
  return a != NULL && b != NULL && g_str_equal (a->origin, b->origin) &&
         g_strcmp0 (a->user, b->user) == 0;
}

/* The tasks of @sign_in's origin and user that failed for want of a
 * sign-in: run again. */
static void
retry_signed_in (PcqWindow       *self,
                 const PcqSignIn *sign_in)
{
  GListModel *jobs = pcq_engine_get_jobs (self->engine);
  g_autoptr(GPtrArray) asking = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = g_list_model_get_n_items (jobs);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (jobs, i);
      g_autoptr(PcqSignIn) wanted = NULL;

      if (pcq_job_get_state (job) != PCQ_JOB_FAILED || !pcq_job_get_needs_sign_in (job))
        continue;
      wanted = sign_in_for_job (job);
      if (sign_in_equal (wanted, sign_in))
        g_ptr_array_add (asking, g_steal_pointer (&job));
    }

  _pcq_window_retry_jobs (self, (PcqJob **) asking->pdata, asking->len);
}

static void
user_changed_cb (GtkEditable      *user,
                 AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, RESPONSE_SIGN_IN,
                                           *gtk_editable_get_text (user) != '\0');
}

static void
sign_in_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     PcqWindow        *self)
{
  GtkEditable *user = g_object_get_data (G_OBJECT (dialog), "user");
  GtkEditable *password = g_object_get_data (G_OBJECT (dialog), "password");
  GtkSwitch *remember = g_object_get_data (G_OBJECT (dialog), "remember");
  g_autoptr(PcqSignIn) sign_in = g_steal_pointer (&self->sign_in);

  g_clear_weak_pointer (&self->sign_in_dialog);

  if (g_strcmp0 (response, RESPONSE_SIGN_IN) == 0 && self->engine != NULL &&
      *gtk_editable_get_text (user) != '\0')
    {
      pcq_keyring_sign_in (sign_in->origin, gtk_editable_get_text (user),
                           gtk_editable_get_text (password), gtk_switch_get_active (remember));
      /* The typed password goes no further than the keyring's copy. */
      gtk_editable_set_text (password, "");
      retry_signed_in (self, sign_in);
    }

  show_next (self);
}

static GtkWidget *
sign_in_form (AdwMessageDialog *dialog,
              const char       *url_user)
{
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *user = adw_entry_row_new ();
  GtkWidget *password = adw_password_entry_row_new ();
  GtkWidget *remember_row = adw_action_row_new ();
  GtkWidget *remember = gtk_switch_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (user), _("User Name"));
  gtk_widget_set_name (user, "sign-in-user");
  g_signal_connect (user, "changed", G_CALLBACK (user_changed_cb), dialog);
  /* The URL names the account: its password is what is asked. */
  if (url_user != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (user), url_user);
      gtk_editable_set_editable (GTK_EDITABLE (user), FALSE);
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (password), _("Password"));
  gtk_widget_set_name (password, "sign-in-password");
  adw_entry_row_set_activates_default (ADW_ENTRY_ROW (password), TRUE);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (remember_row), _("_Remember Password"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (remember_row), TRUE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (remember_row), _("Kept in the keyring for later sessions"));
  gtk_widget_set_valign (remember, GTK_ALIGN_CENTER);
  gtk_widget_set_name (remember, "sign-in-remember");
  adw_action_row_add_suffix (ADW_ACTION_ROW (remember_row), remember);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (remember_row), remember);

  gtk_list_box_append (GTK_LIST_BOX (list), user);
  gtk_list_box_append (GTK_LIST_BOX (list), password);
  gtk_list_box_append (GTK_LIST_BOX (list), remember_row);

  g_object_set_data (G_OBJECT (dialog), "user", user);
  g_object_set_data (G_OBJECT (dialog), "password", password);
  g_object_set_data (G_OBJECT (dialog), "remember", remember);
  return list;
}

static void
show_dialog (PcqWindow *self,
             PcqSignIn *sign_in)
{
  AdwMessageDialog *dialog;
  GtkWidget *form;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Sign In"), NULL));
  /* The origin, not the realm: the server chooses the realm's words. */
  adw_message_dialog_format_body (dialog,
                                  _("%s asks for a user name and password. The downloads "
                                    "it refused start again once you sign in."),
                                  sign_in->origin);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    RESPONSE_SIGN_IN, _("_Sign In"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, RESPONSE_SIGN_IN, ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, RESPONSE_SIGN_IN, FALSE);
  adw_message_dialog_set_default_response (dialog, RESPONSE_SIGN_IN);
  adw_message_dialog_set_close_response (dialog, "cancel");
  form = sign_in_form (dialog, sign_in->user);
  adw_message_dialog_set_extra_child (dialog, form);

  self->sign_in = sign_in;
  g_set_weak_pointer (&self->sign_in_dialog, dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (sign_in_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_next (PcqWindow *self)
{
  PcqSignIn *sign_in;

  if (self->sign_in_dialog != NULL || self->close_state != CLOSE_NONE)
    return;

  if ((sign_in = g_queue_pop_head (&self->sign_in_queue)) != NULL)
    show_dialog (self, sign_in);
}

static int
sign_in_compare (gconstpointer a,
                 gconstpointer b)
{
  return sign_in_equal (a, b) ? 0 : 1;
}

static gboolean
is_asked (PcqWindow       *self,
          const PcqSignIn *sign_in)
{
  return sign_in_equal (self->sign_in, sign_in) ||
         g_queue_find_custom (&self->sign_in_queue, sign_in, sign_in_compare) != NULL;
}

/**
 * _pcq_window_ask_sign_in:
 * @job: a task that failed needing a sign-in
 *
 * Asks for a user name and password for @job's server, unless that is
 * asked already.
 */
void
_pcq_window_ask_sign_in (PcqWindow *self,
                         PcqJob    *job)
{
  g_autoptr(PcqSignIn) sign_in = sign_in_for_job (job);

  if (sign_in == NULL || is_asked (self, sign_in) || self->close_state != CLOSE_NONE)
    return;

  g_queue_push_tail (&self->sign_in_queue, g_steal_pointer (&sign_in));
  show_next (self);
}

/* When the window goes: no dialog, no question left. */
void
_pcq_window_sign_in_dispose (PcqWindow *self)
{
  if (self->sign_in_dialog != NULL)
    {
      GtkWindow *dialog = GTK_WINDOW (self->sign_in_dialog);

      g_signal_handlers_disconnect_by_data (dialog, self);
      g_clear_weak_pointer (&self->sign_in_dialog);
      gtk_window_destroy (dialog);
    }
  g_clear_pointer (&self->sign_in, sign_in_free);
  g_queue_clear_full (&self->sign_in_queue, (GDestroyNotify) sign_in_free);
}

GtkWindow *
_pcq_window_get_sign_in_dialog (PcqWindow *self)
{
  return GTK_WINDOW (self->sign_in_dialog);
}
