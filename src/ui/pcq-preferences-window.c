/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-preferences"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pcq-application.h"
#include "pcq-preferences-window.h"

struct _PcqPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  PcqApplication       *application;
  GSettings            *settings;
  GtkNativeDialog      *folder_chooser;

  /* Template children */
  AdwActionRow         *folder_row;
  GtkWidget            *reset_folder_button;
  GtkSwitch            *commit_switch;
  GtkAdjustment        *max_active_adjustment;
  GtkAdjustment        *max_api_active_adjustment;
  GtkAdjustment        *max_per_host_adjustment;
  GtkAdjustment        *split_adjustment;
  GtkAdjustment        *retries_adjustment;
  GtkAdjustment        *history_adjustment;
  GtkAdjustment        *stall_adjustment;
  GtkAdjustment        *min_speed_adjustment;
  GtkAdjustment        *speed_limit_adjustment;
  GtkSwitch            *checksums_switch;
  GtkAdjustment        *api_rpm_adjustment;
  GtkSwitch            *notify_switch;
  GtkSwitch            *metered_switch;
  GtkEditable          *api_base_row;
  GtkEditable          *model_row;
  GtkEditable          *system_prompt_row;
  GtkEditable          *api_key_row;
  AdwActionRow         *api_key_status_row;
  GtkWidget            *remove_api_key_button;
  GtkWidget            *models_button;
  GtkPopover           *models_popover;
  GtkListBox           *models_list;
  AdwActionRow         *models_status_row;

  /* The one request for the server's models, and the wait before it
   * after the base URL or the key changed. */
  GCancellable         *models_cancellable;
  guint                 models_timeout_id;
};

G_DEFINE_FINAL_TYPE (PcqPreferencesWindow, pcq_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_APPLICATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_folder_row (PcqPreferencesWindow *self)
{
  g_autofree char *configured = g_settings_get_string (self->settings, "output-folder");
  g_autofree char *folder = pcq_settings_dup_output_dir (self->settings);

  adw_action_row_set_subtitle (self->folder_row, folder);
  gtk_widget_set_visible (self->reset_folder_button, configured[0] != '\0');
}

static void
folder_chosen_cb (PcqPreferencesWindow *self,
                  int                   response,
                  GtkNativeDialog      *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = folder ? g_file_get_path (folder) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "output-folder", path);
    }

  g_clear_object (&self->folder_chooser);
}

static void
choose_folder_cb (PcqPreferencesWindow *self,
                  GtkButton            *button)
{
  g_autofree char *current = NULL;
  g_autoptr(GFile) folder = NULL;
  GtkFileChooserNative *chooser;

  if (self->folder_chooser != NULL)
    {
      gtk_native_dialog_show (self->folder_chooser);
      return;
    }

  chooser = gtk_file_chooser_native_new (_("Choose Output Folder"),
                                         GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Select"),
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  current = pcq_settings_dup_output_dir (self->settings);
  folder = g_file_new_for_path (current);
  if (g_file_query_exists (folder, NULL))
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);

  g_signal_connect_object (chooser, "response", G_CALLBACK (folder_chosen_cb),
                           self, G_CONNECT_SWAPPED);
  self->folder_chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->folder_chooser);
}

static void
reset_folder_cb (PcqPreferencesWindow *self,
                 GtkButton            *button)
{
  g_settings_reset (self->settings, "output-folder");
}

static void models_source_changed_cb (PcqPreferencesWindow *self);

/* ---- the API key: typed here, kept in the keyring by the application */

static void
update_api_key_rows (PcqPreferencesWindow *self)
{
  PcqApiKeySource source = pcq_application_get_api_key_source (self->application);
  PcqEngine *engine = pcq_application_get_engine (self->application);
  const char *refused = engine != NULL ? pcq_engine_get_api_key_error (engine) : NULL;

  switch (source)
    {
    case PCQ_API_KEY_KEYRING:
      adw_action_row_set_subtitle (self->api_key_status_row, _("In the keyring"));
      break;
    case PCQ_API_KEY_ENVIRONMENT:
      adw_action_row_set_subtitle (self->api_key_status_row,
                                   _("From the PCQ_API_KEY environment variable, which takes "
                                     "precedence over the keyring"));
      break;
    case PCQ_API_KEY_SESSION:
      adw_action_row_set_subtitle (self->api_key_status_row,
                                   _("Kept until Pcq closes: no keyring is available"));
      break;
    case PCQ_API_KEY_NONE:
    default:
      adw_action_row_set_subtitle (self->api_key_status_row,
                                   _("None: API tasks are sent without a key"));
      break;
    }

  /* A key that was found but refused: say why, rather than where it is. */
  if (refused != NULL && source != PCQ_API_KEY_NONE)
    adw_action_row_set_subtitle (self->api_key_status_row, refused);

  gtk_widget_set_sensitive (GTK_WIDGET (self->api_key_row), source != PCQ_API_KEY_ENVIRONMENT);
  gtk_widget_set_visible (self->remove_api_key_button,
                          source == PCQ_API_KEY_KEYRING || source == PCQ_API_KEY_SESSION);
}

static void
api_key_saved_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PcqPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->api_key_row), TRUE);
  if (!pcq_application_save_api_key_finish (PCQ_APPLICATION (object), result, &error))
    {
      /* The entry says it is wrong until it is edited; the toast says why. */
      gtk_widget_add_css_class (GTK_WIDGET (self->api_key_row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->api_key_row), error->message);
      message = g_strdup_printf (_("Cannot save the API key: %s"), error->message);
    }
  else
    {
      gtk_editable_set_text (self->api_key_row, "");
      if (pcq_application_get_api_key_source (self->application) == PCQ_API_KEY_SESSION)
        message = g_strdup (_("No keyring: the API key is kept until Pcq closes"));
      else
        message = g_strdup (_("API key saved in the keyring"));
      /* A new key may see other models (the source may be the same). */
      models_source_changed_cb (self);
    }
  update_api_key_rows (self);

  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
}

static void
api_key_changed_cb (PcqPreferencesWindow *self)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->api_key_row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->api_key_row), NULL);
}

static void
api_key_apply_cb (PcqPreferencesWindow *self,
                  AdwEntryRow          *row)
{
  const char *text = gtk_editable_get_text (self->api_key_row);

  if (text == NULL || *text == '\0')
    return;

  gtk_widget_set_sensitive (GTK_WIDGET (self->api_key_row), FALSE);
  pcq_application_save_api_key_async (self->application, text,
                                      api_key_saved_cb, g_object_ref (self));
}

static void
api_key_removed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PcqPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pcq_application_remove_api_key_finish (PCQ_APPLICATION (object), result, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot remove the API key: %s"),
                                                  error->message);

      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
    }
}

static void
remove_api_key_cb (PcqPreferencesWindow *self,
                   GtkButton            *button)
{
  pcq_application_remove_api_key_async (self->application, api_key_removed_cb,
                                        g_object_ref (self));
}

/* ---- the models the server offers, to pick one from (any name may
 * still be typed) */

/* Typing a URL changes the setting at each key: ask once it rests. */
#define MODELS_DELAY_MS 500

static void
set_models (PcqPreferencesWindow *self,
            const char * const   *models)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->models_list))) != NULL)
    gtk_list_box_remove (self->models_list, child);

  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    {
      GtkWidget *label = gtk_label_new (models[i]);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_widget_set_tooltip_text (label, models[i]);
      gtk_list_box_append (self->models_list, label);
    }

  gtk_widget_set_sensitive (self->models_button, models != NULL && models[0] != NULL);
}

static void
models_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PcqPreferencesWindow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  g_autofree char *subtitle = NULL;
  guint n;

  /* Cancelled: a newer request is under way, or the window is gone
   * (no reference is held: the window's last one must not go with a
   * request that ends after its parent window did). The cancellable
   * is checked on finish, so this holds even if the request ended
   * before the cancel. */
  models = pcq_engine_list_models_finish (PCQ_ENGINE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->models_cancellable);
  set_models (self, (const char * const *) models);
  if (models == NULL)
    {
      subtitle = g_strdup_printf (_("Could not list models: %s"), error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->models_status_row), "error");
    }
  else if ((n = g_strv_length (models)) == 0)
    subtitle = g_strdup (_("The server offers no models"));
  else
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u model offered: choose it with the button "
                                             "beside the model, or type any name",
                                             "%u models offered: choose one with the button "
                                             "beside the model, or type any name",
                                             n),
                                n);
  adw_action_row_set_subtitle (self->models_status_row, subtitle);
}

/* Cancels the request under way, if any: one at a time. */
static void
cancel_models (PcqPreferencesWindow *self)
{
  g_clear_handle_id (&self->models_timeout_id, g_source_remove);
  if (self->models_cancellable != NULL)
    g_cancellable_cancel (self->models_cancellable);
  g_clear_object (&self->models_cancellable);
}

static void
load_models (PcqPreferencesWindow *self)
{
  PcqEngine *engine = pcq_application_get_engine (self->application);

  cancel_models (self);
  gtk_widget_remove_css_class (GTK_WIDGET (self->models_status_row), "error");
  if (engine == NULL)
    {
      adw_action_row_set_subtitle (self->models_status_row, NULL);
      return;
    }

  adw_action_row_set_subtitle (self->models_status_row, _("Asking the server…"));
  self->models_cancellable = g_cancellable_new ();
  pcq_engine_list_models_async (engine, self->models_cancellable, models_listed_cb, self);
}

static gboolean
load_models_timeout_cb (gpointer user_data)
{
  PcqPreferencesWindow *self = user_data;

  self->models_timeout_id = 0;
  load_models (self);
  return G_SOURCE_REMOVE;
}

/* The base URL or the key changed: what was listed may be wrong now. */
static void
models_source_changed_cb (PcqPreferencesWindow *self)
{
  cancel_models (self);
  set_models (self, NULL);
  adw_action_row_set_subtitle (self->models_status_row, _("Asking the server…"));
  self->models_timeout_id = g_timeout_add (MODELS_DELAY_MS, load_models_timeout_cb, self);
}

static void
reload_models_cb (PcqPreferencesWindow *self,
                  GtkButton            *button)
{
  load_models (self);
}

static void
model_activated_cb (PcqPreferencesWindow *self,
                    GtkListBoxRow        *row,
                    GtkListBox           *list)
{
  GtkWidget *label = gtk_list_box_row_get_child (row);

  gtk_editable_set_text (self->model_row, gtk_label_get_text (GTK_LABEL (label)));
  gtk_popover_popdown (self->models_popover);
}

/* "metered-downloads" is “ask” or “always”; the switch is on for
 * “always”. */
static gboolean
metered_get_mapping (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data)
{
  g_value_set_boolean (value, g_strcmp0 (g_variant_get_string (variant, NULL), "always") == 0);
  return TRUE;
}

static GVariant *
metered_set_mapping (const GValue       *value,
                     const GVariantType *expected_type,
                     gpointer            user_data)
{
  return g_variant_new_string (g_value_get_boolean (value) ? "always" : "ask");
}

static void
pcq_preferences_window_constructed (GObject *object)
{
  PcqPreferencesWindow *self = (PcqPreferencesWindow *)object;

  G_OBJECT_CLASS (pcq_preferences_window_parent_class)->constructed (object);

  g_assert (PCQ_IS_APPLICATION (self->application));
  self->settings = g_object_ref (pcq_application_get_settings (self->application));

  g_settings_bind (self->settings, "commit-results", self->commit_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "max-active", self->max_active_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "max-api-active", self->max_api_active_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "max-per-host", self->max_per_host_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "split", self->split_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "retries", self->retries_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "history-days", self->history_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "stall-timeout", self->stall_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "min-speed", self->min_speed_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "speed-limit", self->speed_limit_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "record-checksums", self->checksums_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "api-rpm", self->api_rpm_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notify-when-finished", self->notify_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "metered-downloads", self->metered_switch,
                                "active", G_SETTINGS_BIND_DEFAULT,
                                metered_get_mapping, metered_set_mapping, NULL, NULL);
  g_settings_bind (self->settings, "api-base", self->api_base_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "model", self->model_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "system-prompt", self->system_prompt_row, "text",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (self->settings, "changed::output-folder",
                           G_CALLBACK (update_folder_row), self, G_CONNECT_SWAPPED);
  update_folder_row (self);

  g_signal_connect_object (self->api_key_row, "changed",
                           G_CALLBACK (api_key_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::api-key-source",
                           G_CALLBACK (update_api_key_rows), self, G_CONNECT_SWAPPED);
  update_api_key_rows (self);

  /* After the application's own handlers, which give the engine the
   * new base and key first. */
  g_signal_connect_object (self->settings, "changed::api-base",
                           G_CALLBACK (models_source_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::api-key-source",
                           G_CALLBACK (models_source_changed_cb), self, G_CONNECT_SWAPPED);
  load_models (self);
}

static void
pcq_preferences_window_dispose (GObject *object)
{
  PcqPreferencesWindow *self = (PcqPreferencesWindow *)object;

  /* No handler of ours runs on a disposed window (a key found later,
   * a setting changed elsewhere): it would ask again, for nothing. */
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->application != NULL)
    g_signal_handlers_disconnect_by_data (self->application, self);
  cancel_models (self);

  if (self->folder_chooser != NULL)
    gtk_native_dialog_destroy (self->folder_chooser);
  g_clear_object (&self->folder_chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCQ_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (pcq_preferences_window_parent_class)->dispose (object);
}

static void
pcq_preferences_window_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  PcqPreferencesWindow *self = PCQ_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_value_set_object (value, self->application);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_preferences_window_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  PcqPreferencesWindow *self = PCQ_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      self->application = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_preferences_window_class_init (PcqPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pcq_preferences_window_constructed;
  object_class->dispose = pcq_preferences_window_dispose;
  object_class->get_property = pcq_preferences_window_get_property;
  object_class->set_property = pcq_preferences_window_set_property;

  /* Not GtkWindow:application: this window does not keep Pcq running. */
  properties[PROP_APPLICATION] =
    g_param_spec_object ("pcq-application", NULL, NULL, PCQ_TYPE_APPLICATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Pcq/ui/pcq-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, reset_folder_button);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, commit_switch);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, max_active_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, max_api_active_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, max_per_host_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, split_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, retries_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, history_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, stall_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, min_speed_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, speed_limit_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, checksums_switch);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, api_rpm_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, notify_switch);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, metered_switch);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, api_base_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, model_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, system_prompt_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, api_key_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, api_key_status_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, remove_api_key_button);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, models_button);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, models_popover);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, models_list);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, models_status_row);
  gtk_widget_class_bind_template_callback (widget_class, api_key_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, reload_models_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, remove_api_key_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_folder_cb);
  gtk_widget_class_bind_template_callback (widget_class, reset_folder_cb);
}

static void
pcq_preferences_window_init (PcqPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PcqPreferencesWindow *
pcq_preferences_window_new (PcqApplication *application)
{
  g_return_val_if_fail (PCQ_IS_APPLICATION (application), NULL);

  return g_object_new (PCQ_TYPE_PREFERENCES_WINDOW,
                       "pcq-application", application,
                       NULL);
}

/**
 * pcq_preferences_window_show_api:
 *
 * Brings the API group into view, its first row focused: where a
 * failed Ask task's "Set Up API…" leads.
 */
void
pcq_preferences_window_show_api (PcqPreferencesWindow *self)
{
  g_return_if_fail (PCQ_IS_PREFERENCES_WINDOW (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->api_base_row));
}
