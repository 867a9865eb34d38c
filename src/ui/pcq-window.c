/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-window"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pcq-answer-window.h"
#include "pcq-application.h"
#include "pcq-close-dialog.h"
#include "pcq-closures.h"
#include "pcq-input.h"
#include "pcq-job-relay.h"
#include "pcq-job-row.h"
#include "pcq-launcher.h"
#include "pcq-row-slots.h"
#include "pcq-window-private.h"

/*
 * The window is a thin layer over PcqEngine: every user action is one
 * engine call, everything shown is bound to the engine's list and
 * counts.
 *
 * Keeping it fluid with 100 000 tasks:
 * - the list is a GtkListView (only visible rows exist);
 * - the filters are a GtkFilterListModel over a PcqJobRelay, which
 *   re-announces just the job that finished, so a filter re-checks one
 *   item, never the whole list (a full pass only when the filter itself
 *   changes, on a click or a keystroke in the search);
 * - the list view shows places in that list (PcqRowSlots), so that a
 *   search gives the rows already built other jobs instead of GTK
 *   building them all again, and rows the list view lets go of are
 *   kept for the next ones;
 * - counts come from the engine's properties (O(1)), applied at most
 *   once per main-loop iteration, before the frame is drawn;
 * - while the list is short, the relay shows new tasks a few per
 *   frame: GTK 4.8's list view builds up to 200 row widgets, at about
 *   a millisecond each, and would otherwise build them all in one frame;
 * - many tasks at once (imports, pastes, drops) are fed to the engine
 *   in slices of a few milliseconds, so frames keep coming.
 */

/* Feeding tasks to the engine: up to FEED_AT_ONCE tasks are submitted
 * right away; more go through the feeder, in slices of at most
 * FEED_SLICE_US, so that frames keep coming. */
#define FEED_AT_ONCE       8
#define FEED_SLICE_US      (2 * G_TIME_SPAN_MILLISECOND)


static const char * const filter_names[] = {
  [FILTER_ALL] = "all",
  [FILTER_QUEUED] = "queued",
  [FILTER_RUNNING] = "running",
  [FILTER_FINISHED] = "finished",
  [FILTER_FAILED] = "failed",
};

/* As the buttons and the narrow window's menu say them. */
static const char * const filter_titles[] = {
  [FILTER_ALL] = N_("All"),
  [FILTER_QUEUED] = N_("Queued"),
  [FILTER_RUNNING] = N_("Running"),
  [FILTER_FINISHED] = N_("Finished"),
  [FILTER_FAILED] = N_("Failed"),
};

static const char * const mode_names[] = {
  [MODE_DOWNLOAD] = "download",
  [MODE_ASK] = "ask",
};

/* Tasks on their way to the engine, a slice at a time: a list file
 * being read (contents), or many links at once (tasks). */
typedef struct
{
  PcqWindow      *window;     /* while the file loads */
  char           *label;      /* the file's name, for the toast; NULL for links */
  char           *output_dir;
  PcqInputReader *reader;     /* while the file loads: is it a list of tasks? */
  gsize           checked;    /* bytes the reader has seen */
  GError         *refused;    /* why it is not */
  GBytes         *contents;
  gsize           offset;
  GPtrArray      *tasks;      /* PcqInputTask */
  guint           next;
  guint           n_added;
  guint           n_bad;
  PcqJob         *first;      /* the first task added, to scroll to */
  GHashTable     *skip;       /* “Skip Them”: links not to add again (owned) */
} Feed;

G_DEFINE_FINAL_TYPE (PcqWindow, pcq_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_SETTINGS,
  PROP_PAUSED,
  PROP_FILTER,
  PROP_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
feed_free (Feed *feed)
{
  g_clear_object (&feed->window);
  g_free (feed->label);
  g_free (feed->output_dir);
  g_clear_pointer (&feed->contents, g_bytes_unref);
  g_clear_pointer (&feed->reader, pcq_input_reader_free);
  g_clear_error (&feed->refused);
  g_clear_pointer (&feed->tasks, g_ptr_array_unref);
  g_clear_pointer (&feed->skip, g_hash_table_unref);
  g_clear_object (&feed->first);
  g_free (feed);
}

static void queue_feed (PcqWindow  *self,
                        Feed       *feed);
static void input_changed_cb (PcqWindow *self);
static void submit_now (PcqWindow  *self,
                        GPtrArray  *tasks,
                        const char *output_dir);

/* ---- toasts -------------------------------------------------------- */

/* Returns: (transfer none): the toast, for a button; the overlay owns it */
AdwToast *
_pcq_window_toast (PcqWindow  *self,
                   const char *title)
{
  AdwToast *toast;

  g_return_val_if_fail (PCQ_IS_WINDOW (self), NULL);

  g_free (self->last_toast);
  self->last_toast = g_strdup (title);

  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 5);
  /* The overlay takes the only reference: the test's is weak. */
  g_set_weak_pointer (&self->last_toast_object, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  return toast;
}

static void
counting_toast_dismissed_cb (AdwToast  *toast,
                             PcqWindow *self)
{
  if (self->added_toast == toast)
    g_clear_weak_pointer (&self->added_toast);
  if (self->retried_toast == toast)
    g_clear_weak_pointer (&self->retried_toast);
}

/* One toast for adds (or retries) in a row, its count growing while it
 * is up: toasts queue behind each other, and five “1 task added” would
 * take half a minute to go by. */
static void
counting_toast (PcqWindow  *self,
                AdwToast  **toast,
                guint      *told,
                guint       n,
                char     *(*format) (guint n))
{
  g_autofree char *title = NULL;
  AdwToast *new_toast;

  *told = *toast != NULL ? *told + n : n;
  title = format (*told);

  g_free (self->last_toast);
  self->last_toast = g_strdup (title);

  if (*toast != NULL)
    {
      adw_toast_set_title (*toast, title);
      return;
    }

  new_toast = adw_toast_new (title);
  adw_toast_set_timeout (new_toast, 5);
  g_signal_connect_object (new_toast, "dismissed", G_CALLBACK (counting_toast_dismissed_cb), self, 0);
  g_set_weak_pointer (toast, new_toast);
  g_set_weak_pointer (&self->last_toast_object, new_toast);
  adw_toast_overlay_add_toast (self->toast_overlay, new_toast);
}

/* ---- counts -------------------------------------------------------- */

static GtkLabel *
filter_count_label (PcqWindow  *self,
                    FilterKind  kind)
{
  GtkLabel *labels[] = {
    [FILTER_ALL] = self->all_count,
    [FILTER_QUEUED] = self->queued_count,
    [FILTER_RUNNING] = self->running_count,
    [FILTER_FINISHED] = self->finished_count,
    [FILTER_FAILED] = self->failed_count,
  };

  return labels[kind];
}

static void
set_count_text (GtkLabel *label,
                guint     count)
{
  char text[16];

  g_snprintf (text, sizeof text, "%u", count);
  gtk_label_set_text (label, text);
}

/* The narrow window's filter button says the filter shown and its count. */
static void
update_filter_menu_button (PcqWindow *self)
{
  guint count = self->filter_counts[self->filter_kind];
  g_autofree char *name = NULL;

  gtk_label_set_text (self->filter_menu_title, _(filter_titles[self->filter_kind]));
  set_count_text (self->filter_menu_count, count);

  /* Translators: the narrow window's filter button for screen readers: the filter
   * shown and its count, as in “Show: Queued, 3 tasks” */
  name = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Show: %s, %u task", "Show: %s, %u tasks",
                                       count),
                          _(filter_titles[self->filter_kind]), count);
  gtk_accessible_update_property (GTK_ACCESSIBLE (_pcq_window_get_filter_menu_button (self)),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);
}

/* A filter's badge, and its button's name for screen readers, which do
 * not read the badge as part of the button. */
static void
set_filter_count (PcqWindow  *self,
                  FilterKind  kind,
                  guint       count)
{
  GtkLabel *label = filter_count_label (self, kind);
  g_autofree char *name = NULL;

  if (self->filter_counts[kind] == count && *gtk_label_get_text (label) != '\0')
    return;

  self->filter_counts[kind] = count;
  set_count_text (label, count);

  /* Translators: a filter button's name for screen readers: the filter and the
   * number of tasks it shows, as in “Queued: 3 tasks” */
  name = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %u task", "%s: %u tasks", count),
                          _(filter_titles[kind]), count);
  gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_widget_get_ancestor (GTK_WIDGET (label),
                                                                           GTK_TYPE_TOGGLE_BUTTON)),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);

  if (kind == self->filter_kind)
    update_filter_menu_button (self);
}

/* Tasks the window would wait for: the running ones, and the queued
 * ones unless the queue is paused (then they stay queued). */
void
_pcq_window_get_pending (PcqWindow *self,
             guint     *n_active,
             guint     *n_queued)
{
  *n_active = pcq_engine_get_n_active (self->engine);
  *n_queued = pcq_engine_get_paused (self->engine) ? 0 : pcq_engine_get_n_queued (self->engine);
}


static void
update_status_page (PcqWindow *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model)) == 0;
  const char *title = NULL;
  const char *description = NULL;

  if (self->search != NULL)
    {
      title = _("No Matching Tasks");
      description = _("No task's name, link or prompt holds this text");
    }
  else switch (self->filter_kind)
    {
    case FILTER_ALL:
      title = _("No Tasks");
      if (self->mode == MODE_ASK)
        description = _("Type a prompt above and press Enter: the answer is saved as a file");
      else
        description = _("Paste links above and press Enter, drop links or files on the "
                        "window, or import a list of links");
      break;
    case FILTER_QUEUED:
      title = _("No Queued Tasks");
      description = _("Tasks waiting to start, waiting to retry or paused show up here");
      break;
    case FILTER_RUNNING:
      title = _("No Running Tasks");
      description = _("Tasks that are downloading or asking show up here");
      break;
    case FILTER_FINISHED:
      title = _("No Finished Tasks");
      description = _("Tasks that are done show up here");
      break;
    case FILTER_FAILED:
      title = _("No Failed Tasks");
      description = _("Tasks that failed or were cancelled show up here");
      break;
    default:
      g_assert_not_reached ();
    }

  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_stack_set_visible_child_name (self->content_stack, empty ? "empty" : "list");
}

/* ---- the network --------------------------------------------------- */

/* The values of the "metered-downloads" setting. */
enum
{
  METERED_ASK,
  METERED_ALWAYS,
};

/* Tasks start on a metered network if the setting says always, or the
 * person said so since it became metered. */
static void
apply_metered_policy (PcqWindow *self)
{
  gboolean always = g_settings_get_enum (self->settings, "metered-downloads") == METERED_ALWAYS;

  pcq_engine_set_download_on_metered (self->engine, always || self->metered_allowed);
}

void
_pcq_window_allow_metered (PcqWindow *self)
{
  self->metered_allowed = TRUE;
  self->metered_declined = FALSE;
  apply_metered_policy (self);
}

static void
metered_response_cb (PcqWindow        *self,
                     const char       *response,
                     AdwMessageDialog *dialog)
{
  g_signal_handlers_disconnect_by_data (dialog, self);
  g_clear_weak_pointer (&self->metered_dialog);

  if (g_strcmp0 (response, "always") == 0)
    {
      /* apply_metered_policy() follows the setting's change. */
      g_settings_set_enum (self->settings, "metered-downloads", METERED_ALWAYS);
    }
  else if (g_strcmp0 (response, "download") == 0)
    {
      _pcq_window_allow_metered (self);
    }
  else
    {
      AdwToast *toast;

      /* Not asked again while it stays metered; the toast is the way
       * back (and the subtitle says why nothing runs). */
      self->metered_declined = TRUE;
      g_free (self->last_toast);
      self->last_toast = g_strdup (_("Tasks wait for a connection that is not metered"));
      toast = adw_toast_new (self->last_toast);
      adw_toast_set_button_label (toast, _("_Download Now"));
      adw_toast_set_action_name (toast, "win.download-on-metered");
      adw_toast_set_timeout (toast, 10);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }
}

/* Asks once, when tasks wait only because the network is metered. */
static void
maybe_ask_metered (PcqWindow *self)
{
  AdwMessageDialog *dialog;

  if (!pcq_engine_get_metered (self->engine))
    {
      /* The next metered network is asked about again. */
      self->metered_allowed = FALSE;
      self->metered_declined = FALSE;
      return;
    }

  if (pcq_engine_get_download_on_metered (self->engine) || self->metered_declined ||
      self->metered_dialog != NULL || self->close_state != CLOSE_NONE ||
      pcq_engine_get_n_queued (self->engine) == 0 ||
      !gtk_widget_get_visible (GTK_WIDGET (self)))
    return;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Download on a Metered Connection?"),
                                                       _("This connection is metered: downloading "
                                                         "may cost money or use up a data plan. "
                                                         "Queued tasks wait until you allow them.")));
  adw_message_dialog_add_responses (dialog,
                                    "wait", _("_Not Now"),
                                    "always", _("_Always Download"),
                                    "download", _("_Download"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "download", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "download");
  adw_message_dialog_set_close_response (dialog, "wait");
  g_set_weak_pointer (&self->metered_dialog, dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (metered_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Whether the subtitle says that the queue waits for the network: only
 * when nothing runs (loopback tasks are never held). */
static gboolean
waits_for_network (PcqWindow *self,
                   guint      n_queued,
                   guint      n_active,
                   gboolean   paused)
{
  return n_queued > 0 && n_active == 0 && !paused && pcq_engine_get_network_held (self->engine);
}

/* Rows hidden until their toast goes away are not counted: the counts
 * say what the list shows. */

/* ---- a first run ---------------------------------------------------- */

/* An Ask task failed because nothing answers at the endpoint, or it
 * wants a key: say where to mend it, once while the toast is up. A
 * download's server wants a user name and password: ask for them. */
static void
job_finished_cb (PcqWindow *self,
                 PcqJob    *job,
                 PcqEngine *engine)
{
  AdwToast *toast;

  if (pcq_job_get_needs_sign_in (job))
    _pcq_window_ask_sign_in (self, job);

  if (!pcq_job_get_needs_setup (job) || self->setup_toast != NULL)
    return;

  toast = _pcq_window_toast (self, _("The API server cannot be reached or refused the key"));
  adw_toast_set_button_label (toast, _("Set _Up API…"));
  adw_toast_set_action_name (toast, "app.preferences-api");
  adw_toast_set_timeout (toast, 0);
  g_set_weak_pointer (&self->setup_toast, toast);
}

/* ---- for screen readers ------------------------------------------- */

#define DESCRIBE_INTERVAL_US (5 * G_USEC_PER_SEC)

static void
apply_list_description (PcqWindow *self)
{
  self->described_at = g_get_monotonic_time ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->description,
                                  -1);
#if GTK_CHECK_VERSION (4, 14, 0)
  /* Where GTK can (the Flatpak's runtime), said at once, politely. */
  gtk_accessible_announce (GTK_ACCESSIBLE (self->list_view), self->description,
                           GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_LOW);
#endif
}

static gboolean
describe_due_cb (gpointer user_data)
{
  PcqWindow *self = user_data;

  self->describe_source = 0;
  apply_list_description (self);
  return G_SOURCE_REMOVE;
}

/* The queue's summary as the task list's description: what a screen
 * reader says of the list, at most every five seconds however busy
 * the queue is (GTK 4.8 has no gtk_accessible_announce()). */
static void
describe_list (PcqWindow  *self,
               const char *summary)
{
  gint64 due;

  g_free (self->description);
  self->description = g_strdup (summary);

  if (self->describe_source != 0)
    return;

  due = self->described_at + DESCRIBE_INTERVAL_US;
  if (g_get_monotonic_time () >= due)
    apply_list_description (self);
  else
    self->describe_source = g_timeout_add ((guint) ((due - g_get_monotonic_time ()) / 1000) + 1,
                                           describe_due_cb, self);
}

void
_pcq_window_update_counts (PcqWindow *self)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *start_at = NULL;
  g_autofree char *tokens = NULL;
  gint64 prompt_tokens;
  gint64 completion_tokens;
  guint hidden[PCQ_JOB_PAUSED + 1];
  gboolean paused = pcq_engine_get_paused (self->engine);
  guint n_queued;
  guint n_active;
  guint n_done;
  guint n_queued_group;
  guint n_failed_group;
  guint64 rate = pcq_engine_get_bytes_per_second (self->engine);
  guint pending_active;
  guint pending_queued;

  /* Rows waiting for their undo toast to go away are not counted. */
  _pcq_window_count_hidden (self, hidden);
  n_queued = pcq_engine_get_n_queued (self->engine) - hidden[PCQ_JOB_QUEUED];
  n_active = pcq_engine_get_n_active (self->engine) - hidden[PCQ_JOB_ACTIVE];
  n_done = pcq_engine_get_n_done (self->engine) - hidden[PCQ_JOB_DONE];
  /* The groups of filter_for_state(). */
  n_queued_group = n_queued + pcq_engine_get_n_paused (self->engine) - hidden[PCQ_JOB_PAUSED];
  n_failed_group = pcq_engine_get_n_failed (self->engine) - hidden[PCQ_JOB_FAILED] +
                   pcq_engine_get_n_cancelled (self->engine) - hidden[PCQ_JOB_CANCELLED];

  subtitle = pcq_format_counts (paused, n_queued_group, n_active, n_done, n_failed_group);
  if (waits_for_network (self, n_queued, n_active, paused))
    {
      g_autofree char *counts = g_steal_pointer (&subtitle);

      if (pcq_engine_get_offline (self->engine))
        /* Translators: %s is the counts, as in “3 queued · 2 done” */
        subtitle = g_strdup_printf (_("Waiting for the network · %s"), counts);
      else
        /* Translators: %s is the counts, as in “3 queued · 2 done” */
        subtitle = g_strdup_printf (_("Waiting for a connection that is not metered · %s"),
                                    counts);
    }
  else if (!paused && (start_at = _pcq_window_start_at_text (self)) != NULL)
    {
      g_autofree char *counts = g_steal_pointer (&subtitle);

      /* Translators: “Starts at 23:30 · 3 queued” */
      subtitle = g_strdup_printf (C_("start at", "%s · %s"), start_at, counts);
    }
  if (g_strcmp0 (adw_window_title_get_subtitle (self->window_title), subtitle) != 0)
    {
      adw_window_title_set_subtitle (self->window_title, subtitle);
      describe_list (self, subtitle);
    }

  /* What the answers in the list cost, where the counts are. */
  pcq_engine_get_tokens (self->engine, &prompt_tokens, &completion_tokens);
  tokens = pcq_format_token_sums (prompt_tokens, completion_tokens);
  if (g_strcmp0 (gtk_widget_get_tooltip_text (GTK_WIDGET (self->window_title)), tokens) != 0)
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->window_title), tokens);

  set_filter_count (self, FILTER_ALL,
                    g_list_model_get_n_items (pcq_engine_get_jobs (self->engine)) -
                    _pcq_window_count_hidden (self, NULL));
  set_filter_count (self, FILTER_QUEUED, n_queued_group);
  set_filter_count (self, FILTER_RUNNING, n_active);
  set_filter_count (self, FILTER_FINISHED, n_done);
  set_filter_count (self, FILTER_FAILED, n_failed_group);

  if (n_active > 0 && rate > 0)
    {
      g_autofree char *size = g_format_size (rate);
      g_autofree char *text = g_strdup_printf (_("%s/s"), size);

      gtk_label_set_text (self->rate_label, text);
    }
  else
    gtk_label_set_text (self->rate_label, "");

  _pcq_window_actions_update (self);

  _pcq_window_get_pending (self, &pending_active, &pending_queued);

  if (self->close_state == CLOSE_WAITING || self->close_state == CLOSE_BACKGROUND)
    {
      g_autofree char *banner = pcq_format_close_banner (pending_active + pending_queued);

      gtk_label_set_text (self->banner_label, banner);

      /* Drained: now the engine stops (and waits for the last commits). */
      if (pending_active + pending_queued == 0)
        _pcq_window_begin_shutdown (self, PCQ_SHUTDOWN_WAIT);
    }

  if (self->close_dialog != NULL)
    pcq_close_dialog_set_counts (self->close_dialog, pending_active, pending_queued);

  maybe_ask_metered (self);
}

static gboolean
counts_idle_cb (gpointer user_data)
{
  PcqWindow *self = user_data;

  self->counts_source = 0;
  _pcq_window_update_counts (self);

  return G_SOURCE_REMOVE;
}

/* The engine notifies once per batch and property; show them all at
 * once, before the next frame is drawn. */
static void
queue_update_counts (PcqWindow *self)
{
  if (self->counts_source != 0)
    return;

  self->counts_source = g_idle_add_full (GDK_PRIORITY_REDRAW - 10, counts_idle_cb, self, NULL);
  g_source_set_name_by_id (self->counts_source, "[pcq] window counts");
}

static void
engine_counts_cb (PcqWindow  *self,
                  GParamSpec *pspec,
                  PcqEngine  *engine)
{
  queue_update_counts (self);
}

static void
engine_paused_cb (PcqWindow  *self,
                  GParamSpec *pspec,
                  PcqEngine  *engine)
{
  gboolean paused = pcq_engine_get_paused (engine);
  const char *tooltip = paused ? _("Resume the Queue") : _("Pause the Queue");

  gtk_button_set_icon_name (GTK_BUTTON (self->pause_button),
                            paused ? "media-playback-start-symbolic"
                                   : "media-playback-pause-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->pause_button), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pause_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
  queue_update_counts (self);
}

/* ---- submit mode --------------------------------------------------- */

static void
set_mode (PcqWindow  *self,
          SubmitMode  mode)
{
  const char *placeholder;
  const char *label;
  const char *description;

  if (mode == MODE_ASK)
    {
      placeholder = _("Type a prompt and press Enter");
      label = _("Prompt to Ask");
      description = _("The whole text is one prompt; press Enter to queue it");
    }
  else
    {
      placeholder = _("Paste links, one per line, and press Enter");
      label = _("Links to Add");
      description = _("One link per line; press Enter to add them");
    }

  gtk_entry_set_placeholder_text (self->entry, placeholder);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);

  if (self->mode == mode)
    return;

  self->mode = mode;
  gtk_stack_set_visible_child_name (self->input_stack, mode == MODE_ASK ? "ask" : "download");
  update_status_page (self);
  input_changed_cb (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

/* ---- filters ------------------------------------------------------- */

/* The one definition of the groups: update_counts() counts the same. */
FilterKind
_pcq_window_filter_for_state (PcqJobState state)
{
  switch (state)
    {
    case PCQ_JOB_QUEUED:
    case PCQ_JOB_PAUSED:
      return FILTER_QUEUED;
    case PCQ_JOB_ACTIVE:
      return FILTER_RUNNING;
    case PCQ_JOB_DONE:
      return FILTER_FINISHED;
    case PCQ_JOB_FAILED:
    case PCQ_JOB_CANCELLED:
      return FILTER_FAILED;
    default:
      g_assert_not_reached ();
    }
}

/* Whether @text holds @folded (casefolded, @length bytes), ignoring
 * case. Most names and links are ASCII: those are compared in place, in
 * one pass that looks further only where the first character matches,
 * so that a search through 100 000 tasks allocates nothing. Text with
 * other characters before a match is casefolded whole (the Kelvin sign
 * folds to "k"). */
static gboolean
text_matches (const char *text,
              const char *folded,
              gsize       length)
{
  guchar first = (guchar) folded[0];

  if (text == NULL)
    return FALSE;

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (*p >= 0x80)
        {
          g_autofree char *text_folded = g_utf8_casefold (text, -1);

          return strstr (text_folded, folded) != NULL;
        }
      if (g_ascii_tolower (*p) == first &&
          g_ascii_strncasecmp ((const char *) p, folded, length) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  PcqWindow *self = user_data;
  const char *path, *base;

  if (_pcq_window_hides (self, item))
    return FALSE;

  if (self->filter_kind != FILTER_ALL &&
      _pcq_window_filter_for_state (pcq_job_get_state (item)) != self->filter_kind)
    return FALSE;

  if (self->search == NULL)
    return TRUE;

  /* What the row is called (see pcq_format_job_name()), its link and
   * its prompt; of a saved file, its name but not its folder. */
  path = pcq_job_get_output_path (item);
  if (path != NULL && (base = strrchr (path, G_DIR_SEPARATOR)) != NULL)
    path = base + 1;

  return text_matches (pcq_job_get_name (item), self->search, self->search_length) ||
         text_matches (path, self->search, self->search_length) ||
         text_matches (pcq_job_get_url (item), self->search, self->search_length) ||
         text_matches (pcq_job_get_prompt (item), self->search, self->search_length);
}

static void
apply_filter (PcqWindow        *self,
              GtkFilterChange   change)
{
  gboolean hiding = _pcq_window_count_hidden (self, NULL) > 0;

  /* Rows re-checked as their job changes state (a search too: a
   * download learns its name from the server). */
  pcq_job_relay_set_enabled (self->relay, self->filter_kind != FILTER_ALL || self->search != NULL);

  if (self->filter_kind == FILTER_ALL && self->search == NULL && !hiding)
    gtk_filter_list_model_set_filter (self->filter_model, NULL);
  else if (gtk_filter_list_model_get_filter (self->filter_model) == NULL)
    gtk_filter_list_model_set_filter (self->filter_model, GTK_FILTER (self->filter));
  else
    gtk_filter_changed (GTK_FILTER (self->filter), change);
}

/* No filter at all when everything is shown: the cheapest list. */
void
_pcq_window_update_filter (PcqWindow *self)
{
  apply_filter (self, GTK_FILTER_CHANGE_DIFFERENT);
}

static void
set_search (PcqWindow  *self,
            const char *text)
{
  g_autofree char *normalized = NULL;
  g_autofree char *folded = NULL;
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  if (text != NULL && *text != '\0')
    {
      normalized = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);
      folded = g_utf8_casefold (normalized ? normalized : text, -1);
    }

  if (g_strcmp0 (folded, self->search) == 0)
    return;

  /* A longer search only narrows what is shown: GTK then looks at the
   * rows shown, not at every task. */
  if (folded != NULL && self->search != NULL && strstr (folded, self->search) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (self->search != NULL && (folded == NULL || strstr (self->search, folded) != NULL))
    change = GTK_FILTER_CHANGE_LESS_STRICT;

  g_free (self->search);
  self->search = g_steal_pointer (&folded);
  self->search_length = self->search != NULL ? strlen (self->search) : 0;
  apply_filter (self, change);
  update_status_page (self);
}

static void
search_changed_cb (PcqWindow      *self,
                   GtkSearchEntry *entry)
{
  set_search (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* Escape: the search ends, and with it its filter. */
static void
stop_search_cb (PcqWindow      *self,
                GtkSearchEntry *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  set_search (self, NULL);
}

static void
search_mode_cb (PcqWindow    *self,
                GParamSpec   *pspec,
                GtkSearchBar *bar)
{
  if (!gtk_search_bar_get_search_mode (bar))
    {
      gtk_editable_set_text (self->search_entry, "");
      set_search (self, NULL);
    }
}

static void
set_filter_kind (PcqWindow  *self,
                 FilterKind  kind)
{
  if (self->filter_kind == kind)
    return;

  self->filter_kind = kind;
  _pcq_window_update_filter (self);

  update_status_page (self);
  update_filter_menu_button (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

static void queue_scroll (PcqWindow *self);

static void
filter_items_changed_cb (PcqWindow  *self,
                         guint       position,
                         guint       removed,
                         guint       added,
                         GListModel *model)
{
  gboolean empty = g_list_model_get_n_items (model) == 0;
  const char *page = gtk_stack_get_visible_child_name (self->content_stack);

  if (empty != (g_strcmp0 (page, "empty") == 0))
    update_status_page (self);

  /* “All” counts the list itself, which has no property of its own. */
  if (removed != added)
    queue_update_counts (self);

  /* The first new task's row came in (the relay paces them). */
  if (self->scroll_job != NULL && added > 0)
    for (guint i = position; i < position + added; i++)
      {
        g_autoptr(PcqJob) job = g_list_model_get_item (model, i);

        if (job == self->scroll_job)
          {
            queue_scroll (self);
            break;
          }
      }
}

/* ---- feedback on added tasks -------------------------------------- */

static void
forget_scroll (PcqWindow *self)
{
  g_clear_object (&self->scroll_job);
  g_clear_handle_id (&self->scroll_idle, g_source_remove);
  g_clear_handle_id (&self->scroll_timeout, g_source_remove);
}

/* Scrolling down to an item puts it at the bottom edge: to show the
 * first new row and those after it, scroll to the last one that fits
 * on a page with it (rows are about equally high). */
static void
scroll_to_new (PcqWindow *self,
               guint      position)
{
  GtkAdjustment *vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->list_view));
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  double row_height = gtk_adjustment_get_upper (vadjustment) / MAX (n_items, 1);
  guint per_page = row_height > 0 ? gtk_adjustment_get_page_size (vadjustment) / row_height : 1;
  /* All of them when they fit; else the first, whole, at the top. */
  guint last = self->scroll_n < MAX (per_page, 1) ? position + self->scroll_n - 1 : position;

  /* Only when that is down, past the rows shown now. */
  if (last >= n_items || position * row_height < gtk_adjustment_get_value (vadjustment))
    last = position;

  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", last);
}

/* From the end: new tasks are at the end of the list. */
static gboolean
scroll_idle_cb (gpointer user_data)
{
  PcqWindow *self = user_data;
  GListModel *model = G_LIST_MODEL (self->filter_model);

  self->scroll_idle = 0;

  for (guint i = g_list_model_get_n_items (model); self->scroll_job != NULL && i-- > 0;)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (model, i);

      if (job == self->scroll_job)
        {
          scroll_to_new (self, i);
          forget_scroll (self);
        }
    }

  return G_SOURCE_REMOVE;
}

/* After the list view has heard of the new items too, before the next
 * frame is drawn, as the counts: behind drawing, a window that kept
 * drawing (the new rows' highlight, every frame late) held it back for
 * longer than the scroll waits. */
static void
queue_scroll (PcqWindow *self)
{
  if (self->scroll_idle != 0)
    return;

  self->scroll_idle = g_idle_add_full (GDK_PRIORITY_REDRAW - 10, scroll_idle_cb, self, NULL);
  g_source_set_name_by_id (self->scroll_idle, "[pcq] window scroll");
}

static gboolean
scroll_timeout_cb (gpointer user_data)
{
  PcqWindow *self = user_data;

  /* Its row never showed (it ran and left the Queued filter): later, a
   * jump would come as a surprise. */
  self->scroll_timeout = 0;
  forget_scroll (self);
  return G_SOURCE_REMOVE;
}

static void refresh_new_rows (PcqWindow *self);

/* @n tasks were added, @first the first of them (their rows are marked
 * new as they are submitted): shows where they are. */
static void
show_added (PcqWindow *self,
            PcqJob    *first,
            guint      n,
            gboolean   toast)
{
  if (n == 0 || first == NULL)
    return;

  refresh_new_rows (self);

  if (toast)
    counting_toast (self, &self->added_toast, &self->n_added_told, n, pcq_format_added);

  /* New tasks are queued: under another filter they would not show. */
  if (self->filter_kind != FILTER_ALL && self->filter_kind != FILTER_QUEUED)
    set_filter_kind (self, FILTER_ALL);

  forget_scroll (self);
  self->scroll_job = g_object_ref (first);
  self->scroll_n = n;
  self->scroll_timeout = g_timeout_add (PCQ_JOB_ROW_NEW_MS, scroll_timeout_cb, self);
  g_source_set_name_by_id (self->scroll_timeout, "[pcq] window scroll timeout");
  queue_scroll (self);
}

/**
 * _pcq_window_find_row:
 * @func: called with each row the list view has made (GTK 4.8 makes at
 *   most a few hundred) and its list item, until it returns %TRUE
 *
 * Returns: (nullable) (transfer none): the list item @func chose
 */
GtkWidget *
_pcq_window_find_row (PcqWindow    *self,
                      PcqRowFunc    func,
                      gconstpointer data)
{
  for (GtkWidget *item = gtk_widget_get_first_child (GTK_WIDGET (self->list_view));
       item != NULL;
       item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *row = gtk_widget_get_first_child (item);

      if (row != NULL && PCQ_IS_JOB_ROW (row) && func (PCQ_JOB_ROW (row), item, data))
        return item;
    }

  return NULL;
}

static gboolean
update_new (PcqJobRow     *row,
            GtkWidget     *item,
            gconstpointer  data)
{
  pcq_job_row_update_new (row);
  return FALSE;
}

/* GTK 4.8's list view binds a row as its item arrives, before the job
 * could be marked new: the rows already there look again. */
static void
refresh_new_rows (PcqWindow *self)
{
  _pcq_window_find_row (self, update_new, NULL);
}

static PcqJob *
submit_one (PcqWindow          *self,
            const PcqInputTask *task,
            const char         *output_dir)
{
  PcqJob *job = pcq_input_task_submit (task, self->engine, output_dir);

  if (job != NULL)
    pcq_job_row_mark_new (job);
  return job;
}

/* ---- adding tasks -------------------------------------------------- */

gboolean
_pcq_window_accepts_tasks (PcqWindow *self)
{
  return self->close_state == CLOSE_NONE || self->close_state == CLOSE_WAITING ||
         self->close_state == CLOSE_BACKGROUND;
}

static char *
dup_output_dir (PcqWindow *self)
{
  return pcq_settings_dup_output_dir (self->settings);
}

/* A download task whose link counts as listed: not one about to be
 * removed (adding it again is no duplicate, even while Undo is
 * offered). */
static gboolean
is_listed_download (PcqWindow *self,
                    PcqJob    *job)
{
  return pcq_job_get_kind (job) == PCQ_JOB_DOWNLOAD && !_pcq_window_hides (self, job);
}

/* The links of the list's download tasks, as a set. */
static GHashTable *
dup_listed_urls (PcqWindow *self,
                 gboolean   copy)
{
  GListModel *jobs = pcq_engine_get_jobs (self->engine);
  GHashTable *urls = g_hash_table_new_full (g_str_hash, g_str_equal, copy ? g_free : NULL, NULL);
  guint n_items = g_list_model_get_n_items (jobs);

  /* Without @copy, the list holds the jobs, and their URLs, while the
   * caller runs. */
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (jobs, i);
      const char *url = pcq_job_get_url (job);

      if (is_listed_download (self, job))
        g_hash_table_add (urls, copy ? g_strdup (url) : (char *) url);
    }

  return urls;
}

/* Counts the links of @tasks already in the list (in any state but
 * removed), or twice in @tasks: each after its first. With @keep, the
 * other tasks move there. One pass over the list, one over @tasks. */
static guint
find_duplicates (PcqWindow *self,
                 GPtrArray *tasks,
                 guint     *n_links,
                 GPtrArray *keep)
{
  g_autoptr(GHashTable) urls = dup_listed_urls (self, FALSE);
  guint n_duplicates = 0;

  *n_links = 0;

  for (guint i = 0; i < tasks->len; i++)
    {
      PcqInputTask *task = g_ptr_array_index (tasks, i);

      if (task == NULL)
        continue;

      if (task->kind == PCQ_INPUT_TASK_LINK)
        {
          (*n_links)++;
          if (!g_hash_table_add (urls, task->url))
            {
              n_duplicates++;
              continue;
            }
        }

      if (keep != NULL)
        g_ptr_array_add (keep, g_steal_pointer (&tasks->pdata[i]));
    }

  return n_duplicates;
}

typedef struct
{
  GPtrArray *tasks;
  char      *output_dir;
  Feed      *import;      /* or a list file, loaded */
} DuplicateAsk;

static void
duplicate_ask_free (DuplicateAsk *ask)
{
  g_clear_pointer (&ask->tasks, g_ptr_array_unref);
  g_free (ask->output_dir);
  g_clear_pointer (&ask->import, feed_free);
  g_free (ask);
}

static void
duplicate_response_cb (PcqWindow        *self,
                       const char       *response,
                       AdwMessageDialog *dialog)
{
  DuplicateAsk *ask = g_object_get_data (G_OBJECT (dialog), "pcq-duplicate-ask");
  const char *text = g_object_get_data (G_OBJECT (dialog), "pcq-entry-text");

  if (ask == NULL || !_pcq_window_accepts_tasks (self))
    return;

  if (g_strcmp0 (response, "cancel") == 0 && text != NULL &&
      *gtk_editable_get_text (GTK_EDITABLE (self->entry)) == '\0')
    {
      gtk_editable_set_text (GTK_EDITABLE (self->entry), text);
      gtk_editable_set_position (GTK_EDITABLE (self->entry), -1);
    }

  /* A list file is fed as before, skipping what is in the list when
   * it comes to a link (the list goes on changing meanwhile). */
  if (ask->import != NULL)
    {
      if (g_strcmp0 (response, "skip") == 0)
        ask->import->skip = dup_listed_urls (self, TRUE);
      if (g_strcmp0 (response, "skip") == 0 || g_strcmp0 (response, "add") == 0)
        queue_feed (self, g_steal_pointer (&ask->import));
      return;
    }

  if (g_strcmp0 (response, "skip") == 0)
    {
      g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func ((GDestroyNotify) pcq_input_task_free);
      guint n_links;

      /* Again: the list may have changed while the dialog was up. */
      find_duplicates (self, ask->tasks, &n_links, fresh);
      submit_now (self, fresh, ask->output_dir);
    }
  else if (g_strcmp0 (response, "add") == 0)
    submit_now (self, ask->tasks, ask->output_dir);
}

/* Asked once for the whole batch, not once a link. */
static void
ask_duplicates (PcqWindow  *self,
                GPtrArray  *tasks,
                Feed       *import,
                const char *output_dir,
                guint       n_duplicates,
                guint       n_links)
{
  g_autofree char *body = pcq_format_duplicates (n_duplicates, n_links);
  DuplicateAsk *ask = g_new0 (DuplicateAsk, 1);
  AdwMessageDialog *dialog;

  ask->tasks = tasks ? g_ptr_array_ref (tasks) : NULL;
  ask->import = import;
  ask->output_dir = g_strdup (output_dir);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Add Duplicate Links?"), body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "skip", _("_Skip Them"),
                                    "add", _("_Add Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "skip", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "skip");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "pcq-duplicate-ask", ask,
                          (GDestroyNotify) duplicate_ask_free);
  g_set_weak_pointer (&self->duplicate_dialog, dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (duplicate_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Links already in the list are asked about first. */
void
_pcq_window_submit_tasks (PcqWindow  *self,
                          GPtrArray  *tasks,
                          const char *output_dir)
{
  g_autofree char *default_dir = NULL;
  guint n_duplicates;
  guint n_links;

  if (tasks->len == 0)
    return;

  if (output_dir == NULL)
    output_dir = default_dir = dup_output_dir (self);

  n_duplicates = find_duplicates (self, tasks, &n_links, NULL);
  if (n_duplicates > 0)
    ask_duplicates (self, tasks, NULL, output_dir, n_duplicates, n_links);
  else
    submit_now (self, tasks, output_dir);
}

static void
submit_now (PcqWindow  *self,
            GPtrArray  *tasks,
            const char *output_dir)
{
  PcqJob *first = NULL;
  guint n = 0;

  if (tasks->len == 0)
    return;

  /* A few links: at once (and in order behind anything still feeding). */
  if (tasks->len > FEED_AT_ONCE || !g_queue_is_empty (&self->feeds))
    {
      Feed *feed = g_new0 (Feed, 1);

      feed->output_dir = g_strdup (output_dir);
      feed->tasks = g_ptr_array_ref (tasks);
      queue_feed (self, feed);
      return;
    }

  for (guint i = 0; i < tasks->len; i++)
    {
      PcqJob *job = submit_one (self, g_ptr_array_index (tasks, i), output_dir);

      if (job != NULL && n++ == 0)
        first = job;
    }
  show_added (self, first, n, TRUE);
}

/**
 * pcq_window_add_text:
 * @text: one task per line, as typed, pasted or dropped: a link, or a
 *   JSON Lines object (a link with a file name, a prompt, an OpenAI
 *   Batch request)
 * @rejected: (nullable): receives the lines that are no tasks
 *
 * Queues a task for every line that is one.
 *
 * Returns: how many lines were no tasks
 */
guint
pcq_window_add_text (PcqWindow  *self,
                     const char *text,
                     GString    *rejected)
{
  g_autoptr(GPtrArray) tasks = NULL;
  guint n_rejected;

  g_return_val_if_fail (PCQ_IS_WINDOW (self), 0);
  g_return_val_if_fail (text != NULL, 0);

  tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) pcq_input_task_free);
  n_rejected = pcq_input_split_lines (text, tasks, rejected);

  if (_pcq_window_accepts_tasks (self))
    _pcq_window_submit_tasks (self, tasks, NULL);

  return n_rejected;
}

/**
 * pcq_window_ask:
 * @prompt: one prompt, maybe of several lines
 *
 * Queues an Ask task for @prompt, saved into the configured folder.
 *
 * Returns: (transfer none) (nullable): the job, or %NULL if the window
 *   takes no new tasks (it is closing) or @prompt is blank
 */
PcqJob *
pcq_window_ask (PcqWindow  *self,
                const char *prompt)
{
  g_autofree char *text = NULL;
  g_autofree char *output_dir = NULL;
  PcqJob *job;

  g_return_val_if_fail (PCQ_IS_WINDOW (self), NULL);
  g_return_val_if_fail (prompt != NULL, NULL);

  text = g_strstrip (g_strdup (prompt));
  if (*text == '\0' || !_pcq_window_accepts_tasks (self))
    return NULL;

  output_dir = dup_output_dir (self);

  job = pcq_engine_submit_prompt (self->engine, text, output_dir, NULL);
  if (job != NULL)
    {
      pcq_job_row_mark_new (job);
      show_added (self, job, 1, TRUE);
    }
  return job;
}

void
_pcq_window_add_from_entry (PcqWindow *self)
{
  g_autoptr(GString) rejected = g_string_new (NULL);
  g_autofree char *text = NULL;
  AdwMessageDialog *asking;
  guint n_rejected;

  /* Ask: the whole text, every line of it, is one prompt. */
  if (self->mode == MODE_ASK)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      if (*g_strstrip (text) == '\0')
        gtk_widget_error_bell (GTK_WIDGET (self));
      else if (pcq_window_ask (self, text) != NULL)
        gtk_text_buffer_set_text (buffer, "", -1);
      return;
    }

  text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry)));
  if (*g_strstrip (text) == '\0')
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }

  asking = self->duplicate_dialog;
  n_rejected = pcq_window_add_text (self, text, rejected);

  /* Asked about duplicates: Cancel gives the text back. */
  if (self->duplicate_dialog != NULL && self->duplicate_dialog != asking)
    g_object_set_data_full (G_OBJECT (self->duplicate_dialog), "pcq-entry-text",
                            g_strdup (text), g_free);

  /* What was not a link stays, to be fixed. */
  gtk_editable_set_text (GTK_EDITABLE (self->entry), rejected->str);
  gtk_editable_set_position (GTK_EDITABLE (self->entry), -1);

  if (n_rejected > 0)
    {
      g_autofree char *message = pcq_format_rejected (n_rejected);

      _pcq_window_toast (self, message);
      gtk_widget_grab_focus (GTK_WIDGET (self->entry));
    }
}

static void
entry_activate_cb (PcqWindow *self,
                   GtkEntry  *entry)
{
  _pcq_window_add_from_entry (self);
}

/* Whether the input shown has anything but blanks: Add waits for it. */
static gboolean
input_has_text (PcqWindow *self)
{
  const char *text;
  g_autofree char *prompt = NULL;

  if (self->mode == MODE_ASK)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      text = prompt = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  else
    text = gtk_editable_get_text (GTK_EDITABLE (self->entry));

  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return TRUE;

  return FALSE;
}

gboolean
_pcq_window_has_input (PcqWindow *self)
{
  return self->has_input;
}

/* Checked as the text changes (not with each count: a prompt may be long). */
static void
input_changed_cb (PcqWindow *self)
{
  gboolean has_input = input_has_text (self);

  if (has_input == self->has_input)
    return;

  self->has_input = has_input;
  _pcq_window_actions_update (self);
}

/* Enter sends the prompt; Shift+Enter is a new line, as in chat apps. */
static gboolean
prompt_key_pressed_cb (GtkEventControllerKey *controller,
                       guint                  keyval,
                       guint                  keycode,
                       GdkModifierType        state,
                       PcqWindow             *self)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter) &&
      (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) == 0)
    {
      _pcq_window_add_from_entry (self);
      return TRUE;
    }

  return FALSE;
}

static void
feed_report (PcqWindow *self,
             Feed      *feed)
{
  g_autofree char *added = NULL;
  g_autofree char *message = NULL;

  if (feed->label == NULL)
    {
      show_added (self, feed->first, feed->n_added, TRUE);
      return;
    }

  show_added (self, feed->first, feed->n_added, FALSE);

  added = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "Added %u task from “%s”",
                                        "Added %u tasks from “%s”",
                                        feed->n_added),
                           feed->n_added, feed->label);
  if (feed->n_bad > 0)
    /* Translators: %s is “Added 12 tasks from “list.txt”” */
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "%s; %u line was not a valid task",
                                            "%s; %u lines were not valid tasks",
                                            feed->n_bad),
                               added, feed->n_bad);
  _pcq_window_toast (self, message ? message : added);
}

static void
feed_added (Feed   *feed,
            PcqJob *job)
{
  if (job == NULL)
    return;

  if (feed->n_added++ == 0)
    g_set_object (&feed->first, job);
}

/* Submits the next task of @feed; FALSE when it has none left. */
static gboolean
feed_one (PcqWindow *self,
          Feed      *feed)
{
  PcqJob *job;

  if (feed->tasks != NULL)
    {
      if (feed->next >= feed->tasks->len)
        return FALSE;

      job = submit_one (self, g_ptr_array_index (feed->tasks, feed->next++), feed->output_dir);
      feed_added (feed, job);
      return TRUE;
    }

  for (;;)
    {
      g_autoptr(PcqInputTask) task = NULL;
      g_autofree char *line = NULL;
      gsize size;
      const char *data = g_bytes_get_data (feed->contents, &size);
      const char *start = data + feed->offset;
      const char *end;
      gsize len;

      if (feed->offset >= size)
        return FALSE;

      end = memchr (start, '\n', size - feed->offset);
      len = end ? (gsize) (end - start) : size - feed->offset;
      feed->offset += len + (end ? 1 : 0);
      line = g_strndup (start, len);

      switch (pcq_input_parse_line (line, &task))
        {
        case PCQ_INPUT_LINE_EMPTY:
          continue;
        case PCQ_INPUT_LINE_TASK:
          if (feed->skip != NULL && task->kind == PCQ_INPUT_TASK_LINK &&
              !g_hash_table_add (feed->skip, g_strdup (task->url)))
            continue;
          job = submit_one (self, task, feed->output_dir);
          feed_added (feed, job);
          return TRUE;
        case PCQ_INPUT_LINE_INVALID:
          feed->n_bad++;
          continue;
        default:
          g_assert_not_reached ();
        }
    }
}

static gboolean feed_cb (gpointer user_data);

static void
schedule_feed (PcqWindow *self)
{
  if (self->feed_source != 0 || g_queue_is_empty (&self->feeds))
    return;

  self->feed_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, feed_cb, self, NULL);
  g_source_set_name_by_id (self->feed_source, "[pcq] window feed");
}

static void
queue_feed (PcqWindow *self,
            Feed      *feed)
{
  g_queue_push_tail (&self->feeds, feed);
  schedule_feed (self);
}

static gboolean
feed_cb (gpointer user_data)
{
  PcqWindow *self = user_data;
  gint64 deadline = g_get_monotonic_time () + FEED_SLICE_US;
  guint n = 0;

  self->feed_source = 0;

  /* The counts a slice's tasks change are notified once, at its end. */
  g_object_freeze_notify (G_OBJECT (self->engine));
  while (!g_queue_is_empty (&self->feeds))
    {
      Feed *feed = g_queue_peek_head (&self->feeds);

      if (!feed_one (self, feed))
        {
          feed_report (self, g_queue_peek_head (&self->feeds));
          feed_free (g_queue_pop_head (&self->feeds));
          continue;
        }

      n++;
      if (g_get_monotonic_time () >= deadline)
        break;
    }
  g_object_thaw_notify (G_OBJECT (self->engine));

  if (n > 0)
    refresh_new_rows (self);

  schedule_feed (self);

  return G_SOURCE_REMOVE;
}

/* Each piece of a list file is checked as it comes: a file that is no
 * list of tasks (a line over its bound, a NUL byte) stops loading there
 * and is refused whole, none of its tasks added. */
static gboolean
import_read_more_cb (const char *contents,
                     goffset     size,
                     gpointer    user_data)
{
  Feed *import = user_data;

  if (!pcq_input_reader_feed (import->reader, contents + import->checked,
                              size - import->checked, NULL, NULL, &import->refused))
    return FALSE;

  import->checked = size;
  return TRUE;
}

/* Before any of a loaded list file is added, one parse of it (as the
 * feeder does it) counts its links that are in the list already, or
 * twice in the file. That parse took 106 ms for 100 000 lines, a stall
 * of the window, so a thread does it: against the download tasks
 * listed when the file was loaded (a job's URL never changes, and the
 * scan holds the jobs). */
typedef struct
{
  GBytes    *contents;
  GPtrArray *listed;        /* PcqJob: the listed download tasks */
  guint      n_links;
  guint      n_duplicates;
} DuplicateScan;

static void
duplicate_scan_free (DuplicateScan *scan)
{
  g_clear_pointer (&scan->contents, g_bytes_unref);
  g_clear_pointer (&scan->listed, g_ptr_array_unref);
  g_free (scan);
}

static void
scan_duplicates_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  DuplicateScan *scan = task_data;
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gsize size;
  const char *data = g_bytes_get_data (scan->contents, &size);
  gsize offset = 0;

  for (guint i = 0; i < scan->listed->len; i++)
    g_hash_table_add (listed, (char *) pcq_job_get_url (g_ptr_array_index (scan->listed, i)));

  while (offset < size)
    {
      g_autoptr(PcqInputTask) input = NULL;
      g_autofree char *line = NULL;
      const char *start = data + offset;
      const char *end = memchr (start, '\n', size - offset);
      gsize len = end ? (gsize) (end - start) : size - offset;

      offset += len + (end ? 1 : 0);
      line = g_strndup (start, len);
      if (pcq_input_parse_line (line, &input) != PCQ_INPUT_LINE_TASK ||
          input->kind != PCQ_INPUT_TASK_LINK)
        continue;

      scan->n_links++;
      if (g_hash_table_contains (listed, input->url) ||
          !g_hash_table_add (seen, g_steal_pointer (&input->url)))
        scan->n_duplicates++;
    }

  g_task_return_boolean (task, TRUE);
}

static void
import_scanned_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PcqWindow *self = PCQ_WINDOW (object);
  Feed *import = user_data;
  DuplicateScan *scan = g_task_get_task_data (G_TASK (result));

  /* The jobs are let go here, on their own thread. */
  g_clear_pointer (&scan->listed, g_ptr_array_unref);

  if (!g_task_propagate_boolean (G_TASK (result), NULL) || !_pcq_window_accepts_tasks (self))
    {
      feed_free (import);
      return;
    }

  if (scan->n_duplicates > 0)
    ask_duplicates (self, NULL, import, import->output_dir, scan->n_duplicates, scan->n_links);
  else
    queue_feed (self, import);
}

static void
scan_import_duplicates (PcqWindow *self,
                        Feed      *import)
{
  GListModel *jobs = pcq_engine_get_jobs (self->engine);
  guint n_items = g_list_model_get_n_items (jobs);
  DuplicateScan *scan = g_new0 (DuplicateScan, 1);
  g_autoptr(GTask) task = NULL;

  scan->contents = g_bytes_ref (import->contents);
  scan->listed = g_ptr_array_new_full (n_items, g_object_unref);
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (jobs, i);

      if (is_listed_download (self, job))
        g_ptr_array_add (scan->listed, g_steal_pointer (&job));
    }

  task = g_task_new (self, self->cancellable, import_scanned_cb, import);
  g_task_set_source_tag (task, scan_import_duplicates);
  g_task_set_task_data (task, scan, (GDestroyNotify) duplicate_scan_free);
  g_task_run_in_thread (task, scan_duplicates_thread);
}

static void
import_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PcqWindow) self = NULL;
  g_autoptr(GError) error = NULL;
  Feed *import = user_data;
  char *contents = NULL;
  gsize length = 0;

  self = g_steal_pointer (&import->window);

  if (g_file_load_partial_contents_finish (G_FILE (object), result, &contents, &length, NULL, &error)
      && import->refused == NULL && length > import->checked)
    import_read_more_cb (contents, length, import);

  if (error == NULL && import->refused != NULL)
    {
      g_free (contents);
      g_propagate_error (&error, g_steal_pointer (&import->refused));
    }

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *message = NULL;

          /* Why a list is refused is ours to say; why it could not be
           * read is GIO's, for the log. */
          if (error->domain == PCQ_INPUT_ERROR)
            message = g_strdup_printf (_("Cannot import “%s”: %s"), import->label, error->message);
          else
            {
              g_message ("Cannot import “%s”: %s", import->label, error->message);
              message = pcq_format_file_problem (error, _("Cannot read the file"));
            }
          _pcq_window_toast (self, message);
        }
      feed_free (import);
      return;
    }

  g_clear_pointer (&import->reader, pcq_input_reader_free);
  import->contents = g_bytes_new_take (contents, length);

  if (!_pcq_window_accepts_tasks (self))
    {
      feed_free (import);
      return;
    }

  scan_import_duplicates (self, import);
}

void
_pcq_window_import_file (PcqWindow  *self,
             GFile      *file,
             const char *output_dir)
{
  Feed *import = g_new0 (Feed, 1);

  import->window = g_object_ref (self);
  import->label = g_file_get_basename (file);
  import->output_dir = output_dir ? g_strdup (output_dir) : dup_output_dir (self);

  import->reader = pcq_input_reader_new ();

  g_file_load_partial_contents_async (file, self->cancellable, import_read_more_cb,
                                      import_loaded_cb, import);
}

static void
list_view_activate_cb (PcqWindow   *self,
                       guint        position,
                       GtkListView *list_view)
{
  g_autoptr(PcqJob) job = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (job == NULL || pcq_job_get_state (job) != PCQ_JOB_DONE)
    return;

  /* An answer is read here; a download opens in its app. */
  if (pcq_job_get_kind (job) != PCQ_JOB_DOWNLOAD)
    _pcq_window_show_answer (self, job);
  else
    _pcq_window_open_job (self, job, FALSE);
}

/**
 * _pcq_window_show_answer:
 *
 * Shows a finished Ask task's answer in a window of its own.
 */
void
_pcq_window_show_answer (PcqWindow *self,
                         PcqJob    *job)
{
  PcqAnswerWindow *answer;

  if (pcq_job_get_state (job) != PCQ_JOB_DONE || pcq_job_get_output_path (job) == NULL)
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }

  answer = pcq_answer_window_new (GTK_WINDOW (self), job);
  g_set_weak_pointer (&self->last_answer, GTK_WIDGET (answer));
  gtk_window_present (GTK_WINDOW (answer));
}

/**
 * _pcq_window_retry_job:
 *
 * Returns: %FALSE if @job could not be retried
 */
gboolean
_pcq_window_retry_job (PcqWindow *self,
                       PcqJob    *job)
{
  g_return_val_if_fail (PCQ_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (PCQ_IS_JOB (job), FALSE);

  return _pcq_window_retry_jobs (self, &job, 1) == 1;
}

/**
 * _pcq_window_retry_jobs:
 *
 * Retries @jobs, and says so in one toast: under the Failed filter
 * the rows go at once, and the toast says where.
 *
 * Returns: how many could be retried
 */
guint
_pcq_window_retry_jobs (PcqWindow  *self,
                        PcqJob    **jobs,
                        guint       n_jobs)
{
  guint n_retried = 0;

  for (guint i = 0; i < n_jobs; i++)
    if (pcq_engine_retry (self->engine, jobs[i]))
      {
        /* The job moves from Failed to Queued: tell the filter. */
        pcq_job_relay_job_changed (self->relay, jobs[i]);
        n_retried++;
      }

  if (n_retried > 0)
    counting_toast (self, &self->retried_toast, &self->n_retried_told, n_retried,
                    pcq_format_retried);
  return n_retried;
}

/* ---- open and show in folder --------------------------------------- */

typedef struct
{
  GWeakRef  window;
  GFile    *file;
} LaunchData;

static LaunchData *
launch_data_new (PcqWindow *self,
                 GFile     *file)
{
  LaunchData *data = g_new0 (LaunchData, 1);

  g_weak_ref_init (&data->window, self);
  data->file = g_object_ref (file);
  return data;
}

static void
launch_data_free (LaunchData *data)
{
  g_weak_ref_clear (&data->window);
  g_object_unref (data->file);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LaunchData, launch_data_free)

static void show_in_folder (PcqWindow *self,
                            GFile     *file);

static void
show_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(LaunchData) data = user_data;
  g_autoptr(PcqWindow) self = g_weak_ref_get (&data->window);
  g_autoptr(GError) error = NULL;

  if (!pcq_launcher_show_in_folder_finish (PCQ_LAUNCHER (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self != NULL)
    {
      g_autofree char *message = pcq_format_file_problem (error, _("Cannot show the folder"));

      g_message ("Cannot show the folder: %s", error->message);
      _pcq_window_toast (self, message);
    }
}

static void
show_in_folder (PcqWindow *self,
                GFile     *file)
{
  pcq_launcher_show_in_folder_async (self->launcher, file, GTK_WINDOW (self), self->cancellable,
                                     show_done_cb, launch_data_new (self, file));
}

static void
toast_show_in_folder_cb (AdwToast  *toast,
                         PcqWindow *self)
{
  GFile *file = g_object_get_data (G_OBJECT (toast), "pcq-file");

  if (file != NULL)
    show_in_folder (self, file);
}

static void
open_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(LaunchData) data = user_data;
  g_autoptr(PcqWindow) self = g_weak_ref_get (&data->window);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  AdwToast *toast;

  if (pcq_launcher_open_finish (PCQ_LAUNCHER (object), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self == NULL)
    return;

  if (!g_error_matches (error, PCQ_LAUNCHER_ERROR, PCQ_LAUNCHER_ERROR_NO_APP))
    {
      g_message ("Cannot open the file: %s", error->message);
      message = pcq_format_file_problem (error, _("Cannot open the file"));
      _pcq_window_toast (self, message);
      return;
    }

  /* The file is fine, only nothing here opens it: the file manager may
   * offer more (Open With, or another app). */
  toast = _pcq_window_toast (self, error->message);
  adw_toast_set_button_label (toast, _("Show in Folder"));
  g_object_set_data_full (G_OBJECT (toast), "pcq-file", g_object_ref (data->file), g_object_unref);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (toast_show_in_folder_cb), self, 0);
}

void
_pcq_window_open_job (PcqWindow *self,
                      PcqJob    *job,
                      gboolean   in_folder)
{
  g_autoptr(GFile) file = NULL;
  const char *path;

  g_return_if_fail (PCQ_IS_WINDOW (self));
  g_return_if_fail (PCQ_IS_JOB (job));

  path = pcq_job_get_output_path (job);
  if (path == NULL)
    return;

  file = g_file_new_for_path (path);
  if (in_folder)
    show_in_folder (self, file);
  else
    pcq_launcher_open_async (self->launcher, file, GTK_WINDOW (self), self->cancellable,
                             open_done_cb, launch_data_new (self, file));
}

/* ---- accessors ----------------------------------------------------- */

PcqEngine *
pcq_window_get_engine (PcqWindow *self)
{
  g_return_val_if_fail (PCQ_IS_WINDOW (self), NULL);
  return self->engine;
}

PcqEngine *
_pcq_window_get_engine (PcqWindow *self)
{
  return pcq_window_get_engine (self);
}

GtkWindow *
_pcq_window_get_last_answer (PcqWindow *self)
{
  return GTK_WINDOW (self->last_answer);
}

const char *
_pcq_window_get_status_title (PcqWindow *self)
{
  return adw_status_page_get_title (self->status_page);
}

GtkTextBuffer *
_pcq_window_get_prompt_buffer (PcqWindow *self)
{
  return gtk_text_view_get_buffer (self->prompt_view);
}

/* The input shown: the links' entry, or the prompt's text view. */
GtkWidget *
_pcq_window_get_input (PcqWindow *self)
{
  return self->mode == MODE_ASK ? GTK_WIDGET (self->prompt_view) : GTK_WIDGET (self->entry);
}

GtkEditable *
_pcq_window_get_search_entry (PcqWindow *self)
{
  return self->search_entry;
}

GtkEditable *
_pcq_window_get_entry (PcqWindow *self)
{
  return GTK_EDITABLE (self->entry);
}

GtkWidget *
_pcq_window_get_mode_button (PcqWindow  *self,
                             const char *mode)
{
  if (g_strcmp0 (mode, mode_names[MODE_ASK]) == 0)
    return self->ask_mode_button;
  if (g_strcmp0 (mode, mode_names[MODE_DOWNLOAD]) == 0)
    return self->download_mode_button;
  return NULL;
}

GtkWidget *
_pcq_window_get_list_view (PcqWindow *self)
{
  return GTK_WIDGET (self->list_view);
}

GListModel *
_pcq_window_get_shown_jobs (PcqWindow *self)
{
  return G_LIST_MODEL (self->selection);
}

const char *
_pcq_window_get_subtitle (PcqWindow *self)
{
  return adw_window_title_get_subtitle (self->window_title);
}

const char *
_pcq_window_get_title_tooltip (PcqWindow *self)
{
  return gtk_widget_get_tooltip_text (GTK_WIDGET (self->window_title));
}

/* Gone once it is dismissed or timed out. */
AdwToast *
_pcq_window_get_last_toast_object (PcqWindow *self)
{
  return self->last_toast_object;
}

/* For the tests: another bus, or the portal. */
void
_pcq_window_set_launcher (PcqWindow   *self,
                          PcqLauncher *launcher)
{
  g_set_object (&self->launcher, launcher);
}

const char *
_pcq_window_get_last_toast (PcqWindow *self)
{
  return self->last_toast;
}

/* Whether the Stop Tasks? question is out, or its answer not yet acted on. */
gboolean
_pcq_window_is_asking_to_close (PcqWindow *self)
{
  return self->n_close_choices > 0;
}

GtkWindow *
_pcq_window_get_close_dialog (PcqWindow *self)
{
  return GTK_WINDOW (self->close_dialog);
}

GtkWindow *
_pcq_window_get_duplicate_dialog (PcqWindow *self)
{
  return GTK_WINDOW (self->duplicate_dialog);
}

GtkWindow *
_pcq_window_get_metered_dialog (PcqWindow *self)
{
  return GTK_WINDOW (self->metered_dialog);
}

gboolean
_pcq_window_get_banner_revealed (PcqWindow *self)
{
  return gtk_revealer_get_reveal_child (self->banner_revealer);
}

const char *
_pcq_window_get_banner_text (PcqWindow *self)
{
  return gtk_label_get_text (self->banner_label);
}

const char *
_pcq_window_get_filter_label (PcqWindow  *self,
                              const char *filter)
{
  for (guint i = 0; i < N_FILTERS; i++)
    if (g_strcmp0 (filter, filter_names[i]) == 0)
      return gtk_label_get_text (filter_count_label (self, i));

  return NULL;
}

GtkWidget *
_pcq_window_get_filter_menu_button (PcqWindow *self)
{
  return gtk_widget_get_ancestor (GTK_WIDGET (self->filter_menu_title), GTK_TYPE_MENU_BUTTON);
}

/* "Failed 1": what the narrow window's filter button says. */
char *
_pcq_window_get_filter_menu_text (PcqWindow *self)
{
  return g_strdup_printf ("%s %s", gtk_label_get_text (self->filter_menu_title),
                          gtk_label_get_text (self->filter_menu_count));
}

/* ---- object -------------------------------------------------------- */

static void
pcq_window_constructed (GObject *object)
{
  PcqWindow *self = (PcqWindow *)object;
  const char *count_props[] = {
    "notify::n-queued", "notify::n-active", "notify::n-done",
    "notify::n-failed", "notify::n-cancelled", "notify::n-paused", "notify::bytes-per-second",
    "notify::offline", "notify::metered", "notify::download-on-metered", "notify::start-at",
    "notify::prompt-tokens", "notify::completion-tokens",
  };

  G_OBJECT_CLASS (pcq_window_parent_class)->constructed (object);

  g_assert (PCQ_IS_ENGINE (self->engine));
  g_assert (G_IS_SETTINGS (self->settings));

  self->relay = pcq_job_relay_new (pcq_engine_get_jobs (self->engine), self->engine);
  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filter_model = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->relay)), NULL);
  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (filter_items_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->filter_model));
  /* Rows keep their place as a search changes what is shown (see
   * pcq-row-slots.c); the slots hold the selection from here on. */
  self->row_slots = pcq_row_slots_new (GTK_SELECTION_MODEL (self->selection));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->row_slots));
  {
    g_autoptr(GtkListItemFactory) factory = pcq_row_slots_new_factory ();

    gtk_list_view_set_factory (self->list_view, factory);
  }

  for (guint i = 0; i < G_N_ELEMENTS (count_props); i++)
    g_signal_connect_object (self->engine, count_props[i],
                             G_CALLBACK (engine_counts_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "notify::paused",
                           G_CALLBACK (engine_paused_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "job-finished",
                           G_CALLBACK (job_finished_cb), self, G_CONNECT_SWAPPED);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect_object (self->settings, "changed::metered-downloads",
                           G_CALLBACK (apply_metered_policy), self, G_CONNECT_SWAPPED);
  apply_metered_policy (self);

  engine_paused_cb (self, NULL, self->engine);
  _pcq_window_update_counts (self);
  update_status_page (self);
}

static void
pcq_window_dispose (GObject *object)
{
  PcqWindow *self = (PcqWindow *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->counts_source, g_source_remove);
  g_clear_handle_id (&self->feed_source, g_source_remove);
  g_clear_handle_id (&self->describe_source, g_source_remove);
  g_queue_clear_full (&self->feeds, (GDestroyNotify) feed_free);
  forget_scroll (self);

  if (self->duplicate_dialog != NULL)
    {
      GtkWindow *dialog = GTK_WINDOW (self->duplicate_dialog);

      g_signal_handlers_disconnect_by_data (dialog, self);
      g_clear_weak_pointer (&self->duplicate_dialog);
      gtk_window_destroy (dialog);
    }

  if (self->import_chooser != NULL)
    gtk_native_dialog_destroy (self->import_chooser);
  g_clear_object (&self->import_chooser);

  if (self->close_dialog != NULL)
    {
      GtkWindow *dialog = GTK_WINDOW (self->close_dialog);

      _pcq_window_forget_close_dialog (self);
      gtk_window_destroy (dialog);
    }

  _pcq_window_sign_in_dispose (self);

  if (self->metered_dialog != NULL)
    {
      GtkWindow *dialog = GTK_WINDOW (self->metered_dialog);

      g_signal_handlers_disconnect_by_data (dialog, self);
      g_clear_weak_pointer (&self->metered_dialog);
      gtk_window_destroy (dialog);
    }

  if (self->engine != NULL)
    _pcq_window_commit_removal (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCQ_TYPE_WINDOW);

  g_clear_object (&self->row_slots);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);
  g_clear_object (&self->relay);
  g_clear_object (&self->engine);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pcq_window_parent_class)->dispose (object);
}

static void
pcq_window_finalize (GObject *object)
{
  PcqWindow *self = (PcqWindow *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->last_toast, g_free);
  g_clear_pointer (&self->search, g_free);
  g_clear_pointer (&self->description, g_free);
  g_clear_weak_pointer (&self->last_toast_object);
  g_clear_weak_pointer (&self->added_toast);
  g_clear_weak_pointer (&self->retried_toast);
  g_clear_weak_pointer (&self->last_answer);
  g_clear_weak_pointer (&self->setup_toast);
  g_clear_object (&self->launcher);

  G_OBJECT_CLASS (pcq_window_parent_class)->finalize (object);
}

static void
pcq_window_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PcqWindow *self = PCQ_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->engine ? pcq_engine_get_paused (self->engine) : FALSE);
      break;
    case PROP_FILTER:
      g_value_set_string (value, filter_names[self->filter_kind]);
      break;
    case PROP_MODE:
      g_value_set_string (value, mode_names[self->mode]);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_window_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  PcqWindow *self = PCQ_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_PAUSED:
      /* The engine's notify comes back through engine_paused_cb(). */
      if (self->engine != NULL)
        pcq_engine_set_paused (self->engine, g_value_get_boolean (value));
      break;
    case PROP_FILTER:
      for (guint i = 0; i < G_N_ELEMENTS (filter_names); i++)
        if (g_strcmp0 (g_value_get_string (value), filter_names[i]) == 0)
          set_filter_kind (self, i);
      break;
    case PROP_MODE:
      for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
        if (g_strcmp0 (g_value_get_string (value), mode_names[i]) == 0)
          set_mode (self, i);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
pcq_window_close_request (GtkWindow *window)
{
  if (_pcq_window_close_request (PCQ_WINDOW (window)))
    return TRUE;

  return GTK_WINDOW_CLASS (pcq_window_parent_class)->close_request (window);
}

static void
pcq_window_class_init (PcqWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = pcq_window_constructed;
  object_class->dispose = pcq_window_dispose;
  object_class->finalize = pcq_window_finalize;
  object_class->get_property = pcq_window_get_property;
  object_class->set_property = pcq_window_set_property;

  window_class->close_request = pcq_window_close_request;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, PCQ_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER] =
    g_param_spec_string ("filter", NULL, NULL, "all",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_MODE] =
    g_param_spec_string ("mode", NULL, NULL, "download",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PCQ_TYPE_JOB_ROW);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Pcq/ui/pcq-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, banner_keep_button);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, banner_stop_button);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, submit_bar);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, download_mode_button);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, ask_mode_button);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, entry);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, input_stack);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, all_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, queued_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, running_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, finished_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, failed_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, filter_menu_title);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, filter_menu_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, rate_label);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, selection);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, status_page);
  gtk_widget_class_bind_template_callback (widget_class, entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, input_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_view_activate_cb);

  _pcq_window_class_init_actions (widget_class);
  _pcq_window_class_init_schedule (widget_class);
  _pcq_window_class_init_report (widget_class);
  gtk_widget_class_install_property_action (widget_class, "win.pause", "paused");
  gtk_widget_class_install_property_action (widget_class, "win.filter", "filter");
  gtk_widget_class_install_property_action (widget_class, "win.mode", "mode");
}

static void
pcq_window_init (PcqWindow *self)
{
  GtkEventController *controller;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->launcher = pcq_launcher_new_for_session ();
  self->filter_kind = FILTER_ALL;
  update_filter_menu_button (self);
  self->mode = MODE_DOWNLOAD;
  g_queue_init (&self->feeds);
  g_queue_init (&self->sign_in_queue);
  set_mode (self, MODE_DOWNLOAD);

  /* GTK waits 150 ms after a key by default. A search pass over
   * 100 000 tasks and its frame take up to about 70 ms: 25 ms more keeps
   * a keystroke within 100 ms, and still lets a key held down (or keys
   * typed at once) search once. */
  gtk_search_entry_set_search_delay (GTK_SEARCH_ENTRY (self->search_entry), 25);
  /* The bar focuses the entry when it opens; Escape closes it. */
  gtk_search_bar_connect_entry (self->search_bar, self->search_entry);
  g_signal_connect_object (self->search_bar, "notify::search-mode-enabled",
                           G_CALLBACK (search_mode_cb), self, G_CONNECT_SWAPPED);

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-pressed", G_CALLBACK (prompt_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->prompt_view), controller);
  g_signal_connect_object (gtk_text_view_get_buffer (self->prompt_view), "changed",
                           G_CALLBACK (input_changed_cb), self, G_CONNECT_SWAPPED);

  _pcq_window_dnd_init (self);
  _pcq_window_close_init (self);
}

PcqWindow *
pcq_window_new (GtkApplication *application,
                PcqEngine      *engine,
                GSettings      *settings)
{
  g_return_val_if_fail (!application || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PCQ_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (PCQ_TYPE_WINDOW,
                       "application", application,
                       "engine", engine,
                       "settings", settings,
                       NULL);
}
