/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "pcq-application.h"
#include "pcq-preferences-window.h"

struct _PcqPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  GtkNativeDialog      *folder_chooser;

  /* Template children */
  AdwActionRow         *folder_row;
  GtkWidget            *reset_folder_button;
  GtkSwitch            *commit_switch;
  GtkAdjustment        *max_active_adjustment;
  GtkAdjustment        *retries_adjustment;
  GtkAdjustment        *history_adjustment;
  GtkAdjustment        *stall_adjustment;
  GtkSwitch            *notify_switch;
  GtkEditable          *api_base_row;
  GtkEditable          *model_row;
  GtkEditable          *system_prompt_row;
  GtkLabel             *api_key_label;
};

G_DEFINE_FINAL_TYPE (PcqPreferencesWindow, pcq_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
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

static void
pcq_preferences_window_constructed (GObject *object)
{
  PcqPreferencesWindow *self = (PcqPreferencesWindow *)object;

  G_OBJECT_CLASS (pcq_preferences_window_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));

  g_settings_bind (self->settings, "commit-results", self->commit_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "max-active", self->max_active_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "retries", self->retries_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "history-days", self->history_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "stall-timeout", self->stall_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notify-when-finished", self->notify_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "api-base", self->api_base_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "model", self->model_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "system-prompt", self->system_prompt_row, "text",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (self->settings, "changed::output-folder",
                           G_CALLBACK (update_folder_row), self, G_CONNECT_SWAPPED);
  update_folder_row (self);
}

static void
pcq_preferences_window_dispose (GObject *object)
{
  PcqPreferencesWindow *self = (PcqPreferencesWindow *)object;

  if (self->folder_chooser != NULL)
    gtk_native_dialog_destroy (self->folder_chooser);
  g_clear_object (&self->folder_chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCQ_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

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
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
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
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
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

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Pcq/ui/pcq-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, reset_folder_button);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, commit_switch);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, max_active_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, retries_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, history_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, stall_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, notify_switch);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, api_base_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, model_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, system_prompt_row);
  gtk_widget_class_bind_template_child (widget_class, PcqPreferencesWindow, api_key_label);
  gtk_widget_class_bind_template_callback (widget_class, choose_folder_cb);
  gtk_widget_class_bind_template_callback (widget_class, reset_folder_cb);
}

static void
pcq_preferences_window_init (PcqPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pcq_preferences_window_set_has_api_key (self, FALSE);
}

/**
 * pcq_preferences_window_set_has_api_key:
 *
 * Says whether the engine has an API key (from PCQ_API_KEY). The key
 * itself never reaches this window.
 */
void
pcq_preferences_window_set_has_api_key (PcqPreferencesWindow *self,
                                        gboolean              has_api_key)
{
  g_return_if_fail (PCQ_IS_PREFERENCES_WINDOW (self));

  gtk_label_set_text (self->api_key_label, has_api_key ? _("Set") : _("Not Set"));
}

PcqPreferencesWindow *
pcq_preferences_window_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (PCQ_TYPE_PREFERENCES_WINDOW,
                       "settings", settings,
                       NULL);
}
