/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-window"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pcq-application.h"
#include "pcq-close-dialog.h"
#include "pcq-closures.h"
#include "pcq-input.h"
#include "pcq-job-relay.h"
#include "pcq-job-row.h"
#include "pcq-launcher.h"
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
 *   changes, on a click);
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

/* The filters, and the groups the subtitle counts: one definition of
 * each (see filter_for_state()), so badges, rows and subtitle agree. */
typedef enum
{
  FILTER_ALL,
  FILTER_QUEUED,    /* queued, waiting to retry, paused: not running yet */
  FILTER_RUNNING,
  FILTER_FINISHED,  /* done */
  FILTER_FAILED,    /* failed or cancelled: what Retry All Failed retries */
} FilterKind;

static const char * const filter_names[] = {
  [FILTER_ALL] = "all",
  [FILTER_QUEUED] = "queued",
  [FILTER_RUNNING] = "running",
  [FILTER_FINISHED] = "finished",
  [FILTER_FAILED] = "failed",
};

/* What the submit bar's text is: links (one per line), or one prompt. */
typedef enum
{
  MODE_DOWNLOAD,
  MODE_ASK,
} SubmitMode;

static const char * const mode_names[] = {
  [MODE_DOWNLOAD] = "download",
  [MODE_ASK] = "ask",
};

typedef enum
{
  CLOSE_NONE,      /* open */
  CLOSE_WAITING,    /* “Wait”: the queue drains, then the window closes */
  CLOSE_BACKGROUND, /* “Wait in Background”: the same, the window hidden */
  CLOSE_STOPPING,   /* “Stop Now”, or drained: the engine stops */
  CLOSE_DONE,      /* the engine has stopped: close for real */
} CloseState;

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

/* Removed or cancelled tasks that Undo can bring back: nothing
 * reaches the engine (and the store) until the toast goes away. */
typedef enum
{
  REMOVAL_REMOVE,  /* hidden from the list until then */
  REMOVAL_CANCEL,  /* paused until then: the part file stays */
} RemovalKind;

typedef struct
{
  PcqJob      *job;
  RemovalKind  kind;
  gulong       state_handler;
  gboolean  resume;       /* Cancel paused it: Undo resumes it */
  gboolean  seen_paused;  /* it stopped as paused since */
} RemovalEntry;

typedef struct
{
  AdwToast    *toast;     /* weak */
  GPtrArray   *entries;   /* RemovalEntry */
  GHashTable  *hidden;    /* PcqJob set: the REMOVAL_REMOVE ones */
} Removal;

struct _PcqWindow
{
  AdwApplicationWindow  parent_instance;

  PcqEngine            *engine;
  GSettings            *settings;
  PcqJobRelay          *relay;
  GtkCustomFilter      *filter;
  GtkFilterListModel   *filter_model;
  FilterKind            filter_kind;
  SubmitMode            mode;
  GCancellable         *cancellable;

  guint                 counts_source;
  CloseState            close_state;
  gboolean              in_background;  /* hidden to wait, until shown again */
  gboolean              store_closing;
  AdwMessageDialog     *close_dialog;   /* weak */
  AdwMessageDialog     *metered_dialog; /* weak */
  gboolean              metered_allowed;  /* this time it is metered */
  gboolean              metered_declined; /* “Not Now”, this time */
  GtkNativeDialog      *import_chooser;
  char                 *last_toast;
  AdwToast             *last_toast_object;   /* weak */
  PcqLauncher          *launcher;

  GQueue                feeds;
  guint                 feed_source;

  Removal              *removal;  /* the one a toast can still undo */

  /* Feedback: toasts whose count grows while they are up, and the
   * first of the tasks just added, scrolled to once its row shows. */
  AdwToast             *added_toast;    /* weak */
  guint                 n_added_told;
  AdwToast             *retried_toast;  /* weak */
  guint                 n_retried_told;
  PcqJob               *scroll_job;
  guint                 scroll_n;       /* tasks added with it */
  guint                 scroll_idle;
  guint                 scroll_timeout;
  AdwMessageDialog     *duplicate_dialog; /* weak */

  /* Template children */
  AdwWindowTitle       *window_title;
  GtkToggleButton      *pause_button;
  GtkRevealer          *banner_revealer;
  GtkLabel             *banner_label;
  GtkWidget            *banner_stop_button;
  GtkWidget            *banner_keep_button;
  AdwToastOverlay      *toast_overlay;
  GtkWidget            *submit_bar;
  GtkWidget            *download_mode_button;
  GtkWidget            *ask_mode_button;
  GtkEntry             *entry;
  GtkLabel             *all_count;
  GtkLabel             *queued_count;
  GtkLabel             *running_count;
  GtkLabel             *finished_count;
  GtkLabel             *failed_count;
  GtkLabel             *rate_label;
  GtkStack             *content_stack;
  GtkListView          *list_view;
  GtkSingleSelection   *selection;
  AdwStatusPage        *status_page;
};

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

static void
set_count_label (GtkLabel *label,
                 guint     count)
{
  char text[16];

  g_snprintf (text, sizeof text, "%u", count);
  if (g_strcmp0 (gtk_label_get_text (label), text) != 0)
    gtk_label_set_text (label, text);
}

/* Tasks the window would wait for: the running ones, and the queued
 * ones unless the queue is paused (then they stay queued). */
static void
get_pending (PcqWindow *self,
             guint     *n_active,
             guint     *n_queued)
{
  *n_active = pcq_engine_get_n_active (self->engine);
  *n_queued = pcq_engine_get_paused (self->engine) ? 0 : pcq_engine_get_n_queued (self->engine);
}

static void begin_shutdown (PcqWindow       *self,
                            PcqShutdownMode  mode);

static void
update_status_page (PcqWindow *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model)) == 0;
  const char *title = NULL;
  const char *description = NULL;

  switch (self->filter_kind)
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

static void
allow_metered (PcqWindow *self)
{
  self->metered_allowed = TRUE;
  self->metered_declined = FALSE;
  apply_metered_policy (self);
}

static void
download_on_metered_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  allow_metered (PCQ_WINDOW (widget));
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
      allow_metered (self);
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
static void
count_hidden (PcqWindow *self,
              guint      hidden[PCQ_JOB_PAUSED + 1])
{
  GHashTableIter iter;
  gpointer job;

  memset (hidden, 0, sizeof (guint) * (PCQ_JOB_PAUSED + 1));
  if (self->removal == NULL)
    return;

  g_hash_table_iter_init (&iter, self->removal->hidden);
  while (g_hash_table_iter_next (&iter, &job, NULL))
    hidden[pcq_job_get_state (job)]++;
}

static void
update_counts (PcqWindow *self)
{
  g_autofree char *subtitle = NULL;
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
  count_hidden (self, hidden);
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
  if (g_strcmp0 (adw_window_title_get_subtitle (self->window_title), subtitle) != 0)
    adw_window_title_set_subtitle (self->window_title, subtitle);

  set_count_label (self->all_count, g_list_model_get_n_items (pcq_engine_get_jobs (self->engine)) -
                                    (self->removal ? g_hash_table_size (self->removal->hidden) : 0));
  set_count_label (self->queued_count, n_queued_group);
  set_count_label (self->running_count, n_active);
  set_count_label (self->finished_count, n_done);
  set_count_label (self->failed_count, n_failed_group);

  if (n_active > 0 && rate > 0)
    {
      g_autofree char *size = g_format_size (rate);
      g_autofree char *text = g_strdup_printf (_("%s/s"), size);

      gtk_label_set_text (self->rate_label, text);
    }
  else
    gtk_label_set_text (self->rate_label, "");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.clear-finished", n_done > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.retry-failed", n_failed_group > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.clear-failed", n_failed_group > 0);

  get_pending (self, &pending_active, &pending_queued);

  if (self->close_state == CLOSE_WAITING || self->close_state == CLOSE_BACKGROUND)
    {
      g_autofree char *banner = pcq_format_close_banner (pending_active + pending_queued);

      gtk_label_set_text (self->banner_label, banner);

      /* Drained: now the engine stops (and waits for the last commits). */
      if (pending_active + pending_queued == 0)
        begin_shutdown (self, PCQ_SHUTDOWN_WAIT);
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
  update_counts (self);

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
  update_status_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

/* ---- filters ------------------------------------------------------- */

/* The one definition of the groups: update_counts() counts the same. */
static FilterKind
filter_for_state (PcqJobState state)
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

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  PcqWindow *self = user_data;

  if (self->removal != NULL && g_hash_table_contains (self->removal->hidden, item))
    return FALSE;

  return self->filter_kind == FILTER_ALL ||
         filter_for_state (pcq_job_get_state (item)) == self->filter_kind;
}

/* No filter at all when everything is shown: the cheapest list. */
static void
update_filter (PcqWindow *self)
{
  gboolean hiding = self->removal != NULL && g_hash_table_size (self->removal->hidden) > 0;

  if (self->filter_kind == FILTER_ALL && !hiding)
    gtk_filter_list_model_set_filter (self->filter_model, NULL);
  else if (gtk_filter_list_model_get_filter (self->filter_model) == NULL)
    gtk_filter_list_model_set_filter (self->filter_model, GTK_FILTER (self->filter));
  else
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
set_filter_kind (PcqWindow  *self,
                 FilterKind  kind)
{
  if (self->filter_kind == kind)
    return;

  self->filter_kind = kind;
  pcq_job_relay_set_enabled (self->relay, kind != FILTER_ALL);

  update_filter (self);

  update_status_page (self);
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
  guint last = position + MIN (self->scroll_n, MAX (per_page, 1)) - 1;

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

/* After the list view has heard of the new items too. */
static void
queue_scroll (PcqWindow *self)
{
  if (self->scroll_idle != 0)
    return;

  self->scroll_idle = g_idle_add (scroll_idle_cb, self);
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

/* GTK 4.8's list view binds a row as its item arrives, before the job
 * could be marked new: the rows already there look again. At most a
 * few hundred rows exist. */
static void
refresh_new_rows (PcqWindow *self)
{
  for (GtkWidget *item = gtk_widget_get_first_child (GTK_WIDGET (self->list_view));
       item != NULL;
       item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *row = gtk_widget_get_first_child (item);

      if (row != NULL && PCQ_IS_JOB_ROW (row))
        pcq_job_row_update_new (PCQ_JOB_ROW (row));
    }
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

static gboolean
accepts_tasks (PcqWindow *self)
{
  return self->close_state == CLOSE_NONE || self->close_state == CLOSE_WAITING ||
         self->close_state == CLOSE_BACKGROUND;
}

static char *
dup_output_dir (PcqWindow *self)
{
  return pcq_settings_dup_output_dir (self->settings);
}

static void queue_feed (PcqWindow *self,
                        Feed      *feed);

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

/* The links of the list's download tasks, as a set (but those about
 * to be removed: adding them again is no duplicate). */
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

      if (pcq_job_get_kind (job) == PCQ_JOB_DOWNLOAD &&
          !(self->removal != NULL && g_hash_table_contains (self->removal->hidden, job)))
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

  if (ask == NULL || !accepts_tasks (self))
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
static void
submit_tasks (PcqWindow  *self,
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

  if (accepts_tasks (self))
    submit_tasks (self, tasks, NULL);

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
  if (*text == '\0' || !accepts_tasks (self))
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

static void
add_from_entry (PcqWindow *self)
{
  g_autoptr(GString) rejected = g_string_new (NULL);
  g_autofree char *text = NULL;
  AdwMessageDialog *asking;
  guint n_rejected;

  text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry)));
  if (*g_strstrip (text) == '\0')
    return;

  /* Ask: the whole text, every line of it, is one prompt. */
  if (self->mode == MODE_ASK)
    {
      if (pcq_window_ask (self, text) != NULL)
        gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
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
  add_from_entry (self);
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  add_from_entry (PCQ_WINDOW (widget));
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

  while (!g_queue_is_empty (&self->feeds))
    {
      Feed *feed = g_queue_peek_head (&self->feeds);

      if (!feed_one (self, feed))
        {
          feed_report (self, g_queue_peek_head (&self->feeds));
          feed_free (g_queue_pop_head (&self->feeds));
          continue;
        }

      if (++n % 16 == 0 && g_get_monotonic_time () >= deadline)
        break;
    }

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

/* Asks about a loaded list file's links that are in the list already
 * (or twice in the file), and takes @import if it does. One parse of
 * the file, as the feeder does it, before any of it is added. */
static gboolean
ask_import_duplicates (PcqWindow *self,
                       Feed      *import)
{
  g_autoptr(GHashTable) listed = dup_listed_urls (self, FALSE);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gsize size;
  const char *data = g_bytes_get_data (import->contents, &size);
  gsize offset = 0;
  guint n_links = 0;
  guint n_duplicates = 0;

  while (offset < size)
    {
      g_autoptr(PcqInputTask) task = NULL;
      g_autofree char *line = NULL;
      const char *start = data + offset;
      const char *end = memchr (start, '\n', size - offset);
      gsize len = end ? (gsize) (end - start) : size - offset;

      offset += len + (end ? 1 : 0);
      line = g_strndup (start, len);
      if (pcq_input_parse_line (line, &task) != PCQ_INPUT_LINE_TASK ||
          task->kind != PCQ_INPUT_TASK_LINK)
        continue;

      n_links++;
      if (g_hash_table_contains (listed, task->url) ||
          !g_hash_table_add (seen, g_steal_pointer (&task->url)))
        n_duplicates++;
    }

  if (n_duplicates == 0)
    return FALSE;

  ask_duplicates (self, NULL, import, import->output_dir, n_duplicates, n_links);
  return TRUE;
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

  if (!accepts_tasks (self))
    {
      feed_free (import);
      return;
    }

  if (ask_import_duplicates (self, import))
    return;

  queue_feed (self, import);
}

static void
import_file (PcqWindow  *self,
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

static gboolean
is_web_link (GFile *file)
{
  return g_file_has_uri_scheme (file, "http") || g_file_has_uri_scheme (file, "https");
}

/**
 * pcq_window_add_files:
 * @files: (array length=n_files): links (http, https) to queue, and
 *   local files to import as task lists (links, JSON Lines)
 * @output_dir: (nullable): where these go, or %NULL for the configured
 *   folder
 *
 * What the command line and drops give the window.
 */
void
pcq_window_add_files (PcqWindow   *self,
                      GFile      **files,
                      guint        n_files,
                      const char  *output_dir)
{
  g_autoptr(GPtrArray) tasks = NULL;
  guint n_rejected = 0;

  g_return_if_fail (PCQ_IS_WINDOW (self));

  if (!accepts_tasks (self))
    return;

  tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) pcq_input_task_free);

  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);

      if (is_web_link (files[i]) && pcq_input_is_link (uri))
        g_ptr_array_add (tasks, pcq_input_task_new_link (uri, NULL));
      else if (g_file_is_native (files[i]))
        import_file (self, files[i], output_dir);
      else
        n_rejected++;
    }

  submit_tasks (self, tasks, output_dir);

  if (n_rejected > 0)
    {
      g_autofree char *message = pcq_format_rejected (n_rejected);

      _pcq_window_toast (self, message);
    }
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         PcqWindow     *self)
{
  if (!accepts_tasks (self))
    return FALSE;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *list = g_value_get_boxed (value);
      g_autoptr(GPtrArray) files = g_ptr_array_new ();

      for (GSList *l = list; l != NULL; l = l->next)
        g_ptr_array_add (files, l->data);

      pcq_window_add_files (self, (GFile **) files->pdata, files->len, NULL);
      return TRUE;
    }

  if (G_VALUE_HOLDS_STRING (value))
    {
      g_autoptr(GString) rejected = g_string_new (NULL);
      const char *text = g_value_get_string (value);
      guint n_rejected;

      if (text == NULL)
        return FALSE;

      n_rejected = pcq_window_add_text (self, text, rejected);
      if (n_rejected > 0)
        {
          g_autofree char *message = pcq_format_rejected (n_rejected);
          const char *current = gtk_editable_get_text (GTK_EDITABLE (self->entry));
          g_autofree char *joined = NULL;

          /* Like the entry: what was not a link lands there, to be fixed. */
          joined = *current ? g_strconcat (current, "\n", rejected->str, NULL)
                            : g_strdup (rejected->str);
          gtk_editable_set_text (GTK_EDITABLE (self->entry), joined);
          _pcq_window_toast (self, message);
        }
      return TRUE;
    }

  return FALSE;
}

static void
import_response_cb (PcqWindow       *self,
                    int              response,
                    GtkNativeDialog *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL && accepts_tasks (self))
        import_file (self, file, NULL);
    }

  g_clear_object (&self->import_chooser);
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(GtkFileFilter) lists = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileChooserNative *chooser;

  if (self->import_chooser != NULL)
    {
      gtk_native_dialog_show (self->import_chooser);
      return;
    }

  chooser = gtk_file_chooser_native_new (_("Import a List of Links"),
                                         GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Import"),
                                         _("_Cancel"));

  gtk_file_filter_set_name (lists, _("Link Lists and JSON Lines"));
  gtk_file_filter_add_mime_type (lists, "text/plain");
  gtk_file_filter_add_suffix (lists, "txt");
  gtk_file_filter_add_suffix (lists, "list");
  gtk_file_filter_add_suffix (lists, "jsonl");
  gtk_file_filter_add_suffix (lists, "ndjson");
  gtk_file_filter_add_suffix (lists, "json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), lists);

  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (import_response_cb),
                           self, G_CONNECT_SWAPPED);

  self->import_chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->import_chooser);
}

/* ---- the list ------------------------------------------------------ */

static PcqJob *
dup_selected_job (PcqWindow *self,
                  guint     *position)
{
  guint selected = gtk_single_selection_get_selected (self->selection);

  if (selected == GTK_INVALID_LIST_POSITION)
    return NULL;

  if (position != NULL)
    *position = selected;

  return g_list_model_get_item (G_LIST_MODEL (self->selection), selected);
}

/* ---- removals that can be undone ----------------------------------- */

static void
removal_entry_free (gpointer data)
{
  RemovalEntry *entry = data;

  g_clear_signal_handler (&entry->state_handler, entry->job);
  g_object_unref (entry->job);
  g_free (entry);
}

static void
removal_free (Removal *removal)
{
  g_clear_weak_pointer (&removal->toast);
  g_ptr_array_unref (removal->entries);
  g_hash_table_unref (removal->hidden);
  g_free (removal);
}

static char *
removal_title (Removal *removal)
{
  guint n_removed = g_hash_table_size (removal->hidden);
  guint n_cancelled = removal->entries->len - n_removed;
  g_autofree char *removed = NULL;
  g_autofree char *cancelled = NULL;

  removed = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u task removed",
                                          "%u tasks removed", n_removed), n_removed);
  cancelled = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u task cancelled",
                                            "%u tasks cancelled", n_cancelled), n_cancelled);
  if (n_cancelled == 0)
    return g_steal_pointer (&removed);
  if (n_removed == 0)
    return g_steal_pointer (&cancelled);
  /* Translators: both counts, as in “2 tasks removed · 1 task cancelled” */
  return g_strdup_printf (_("%s · %s"), removed, cancelled);
}

/* A task resumed by hand while its Cancel could still be undone is the
 * user's again: the toast going away does not cancel it. */
static void
cancel_entry_state_cb (PcqJob       *job,
                       GParamSpec   *pspec,
                       RemovalEntry *entry)
{
  if (pcq_job_get_state (job) == PCQ_JOB_PAUSED)
    entry->seen_paused = TRUE;
}

static gboolean
resume_idle_cb (gpointer user_data)
{
  GPtrArray *pair = user_data;  /* engine, job */

  pcq_engine_resume_job (g_ptr_array_index (pair, 0), g_ptr_array_index (pair, 1));
  return G_SOURCE_REMOVE;
}

static void
resume_when_paused_cb (PcqJob     *job,
                       GParamSpec *pspec,
                       PcqWindow  *self)
{
  PcqJobState state = pcq_job_get_state (job);
  GPtrArray *pair;

  if (state == PCQ_JOB_ACTIVE)
    return;

  g_signal_handlers_disconnect_by_func (job, resume_when_paused_cb, self);
  if (state != PCQ_JOB_PAUSED)
    return;

  /* Not from inside the engine's own state change: it is still taking
   * the old run apart. */
  pair = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (pair, g_object_ref (self->engine));
  g_ptr_array_add (pair, g_object_ref (job));
  g_idle_add_full (G_PRIORITY_DEFAULT, resume_idle_cb, pair, (GDestroyNotify) g_ptr_array_unref);
}

static void
undo_cancel (PcqWindow    *self,
             RemovalEntry *entry)
{
  if (!entry->resume)
    return;

  /* Undo came before the worker stopped: resume it once it has. */
  if (pcq_job_get_state (entry->job) == PCQ_JOB_ACTIVE && !entry->seen_paused)
    g_signal_connect_object (entry->job, "notify::state",
                             G_CALLBACK (resume_when_paused_cb), self, 0);
  else
    pcq_engine_resume_job (self->engine, entry->job);
}

static void
commit_cancel (PcqWindow    *self,
               RemovalEntry *entry)
{
  PcqJobState state = pcq_job_get_state (entry->job);

  /* Still pausing, or paused: cancelled for real, the part removed. */
  if (state == PCQ_JOB_PAUSED ||
      ((state == PCQ_JOB_ACTIVE || state == PCQ_JOB_QUEUED) && !entry->seen_paused))
    pcq_engine_cancel (self->engine, entry->job);
}

/* Takes the removal off the window before acting: the engine's changes
 * refilter the list, and the toast's "dismissed" must find nothing. */
static Removal *
steal_removal (PcqWindow *self)
{
  Removal *removal = g_steal_pointer (&self->removal);

  if (removal != NULL && g_hash_table_size (removal->hidden) > 0)
    {
      update_filter (self);
      update_counts (self);
    }
  return removal;
}

/* The toast is left alone: libadwaita 1.2 frees a toast dismissed
 * while it still slides in (its show animation outlives the hide one)
 * and then crashes; its Undo does nothing once this has run. */
static void
commit_removal (PcqWindow *self)
{
  Removal *removal = steal_removal (self);

  if (removal == NULL)
    return;

  for (guint i = 0; i < removal->entries->len; i++)
    {
      RemovalEntry *entry = g_ptr_array_index (removal->entries, i);

      if (entry->kind == REMOVAL_CANCEL)
        commit_cancel (self, entry);
      else
        pcq_engine_remove (self->engine, entry->job);
    }
  removal_free (removal);
}

static void
undo_removal (PcqWindow *self)
{
  Removal *removal = steal_removal (self);

  if (removal == NULL)
    return;

  for (guint i = 0; i < removal->entries->len; i++)
    {
      RemovalEntry *entry = g_ptr_array_index (removal->entries, i);

      if (entry->kind == REMOVAL_CANCEL)
        undo_cancel (self, entry);
    }
  removal_free (removal);
}

static void
removal_toast_undo_cb (AdwToast  *toast,
                       PcqWindow *self)
{
  if (self->removal != NULL && self->removal->toast == toast)
    undo_removal (self);
}

static void
removal_toast_dismissed_cb (AdwToast  *toast,
                            PcqWindow *self)
{
  if (self->removal != NULL && self->removal->toast == toast)
    commit_removal (self);
}

/* One toast at a time, its count growing with each removal or cancel
 * while it is up: toasts queue behind each other, and an Undo waiting
 * behind another toast would hold its tasks back for nothing. Undo
 * takes back everything the toast counts. */
static Removal *
begin_removal (PcqWindow *self)
{
  Removal *removal;

  if (self->removal != NULL && self->removal->toast != NULL)
    return self->removal;

  /* Its toast is gone without a "dismissed" (never, but be safe). */
  commit_removal (self);

  removal = g_new0 (Removal, 1);
  removal->entries = g_ptr_array_new_with_free_func (removal_entry_free);
  removal->hidden = g_hash_table_new (NULL, NULL);
  self->removal = removal;
  return removal;
}

static void
show_removal (PcqWindow *self)
{
  Removal *removal = self->removal;
  g_autofree char *title = removal_title (removal);
  AdwToast *toast;

  update_filter (self);
  update_counts (self);

  g_free (self->last_toast);
  self->last_toast = g_strdup (title);

  if (removal->toast != NULL)
    {
      adw_toast_set_title (removal->toast, title);
      /* Added again: its time starts again (the overlay takes a ref). */
      adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (removal->toast));
      return;
    }

  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_timeout (toast, 10);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (removal_toast_undo_cb), self, 0);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (removal_toast_dismissed_cb), self, 0);
  g_set_weak_pointer (&removal->toast, toast);
  g_set_weak_pointer (&self->last_toast_object, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static RemovalEntry *
removal_find (Removal *removal,
              PcqJob  *job)
{
  for (guint i = 0; i < removal->entries->len; i++)
    if (((RemovalEntry *) g_ptr_array_index (removal->entries, i))->job == job)
      return g_ptr_array_index (removal->entries, i);
  return NULL;
}

static RemovalEntry *
removal_add (Removal     *removal,
             PcqJob      *job,
             RemovalKind  kind)
{
  RemovalEntry *entry = g_new0 (RemovalEntry, 1);

  entry->job = g_object_ref (job);
  entry->kind = kind;
  g_ptr_array_add (removal->entries, entry);
  if (kind == REMOVAL_REMOVE)
    g_hash_table_add (removal->hidden, job);
  return entry;
}

/**
 * _pcq_window_remove_jobs:
 * @jobs: (element-type PcqJob): what to take off the list
 *
 * Hides @jobs from the list at once; the engine and the store forget
 * them when the toast goes away, unless Undo is pressed.
 *
 * Returns: how many were not already on their way out
 */
guint
_pcq_window_remove_jobs (PcqWindow *self,
                         GPtrArray *jobs)
{
  Removal *removal;
  guint n_added = 0;

  g_return_val_if_fail (PCQ_IS_WINDOW (self), 0);

  removal = begin_removal (self);
  for (guint i = 0; i < jobs->len; i++)
    {
      PcqJob *job = g_ptr_array_index (jobs, i);
      RemovalEntry *entry = removal_find (removal, job);

      if (entry != NULL && entry->kind == REMOVAL_REMOVE)
        continue;
      if (entry != NULL)
        {
          /* Cancelled, then removed: both, when the toast goes. */
          entry->kind = REMOVAL_REMOVE;
          g_hash_table_add (removal->hidden, job);
        }
      else
        removal_add (removal, job, REMOVAL_REMOVE);
      n_added++;
    }

  if (removal->entries->len == 0)
    removal_free (steal_removal (self));
  else
    show_removal (self);

  return n_added;
}

/**
 * _pcq_window_cancel_job:
 *
 * Stops @job at once, as a pause does (its part file stays), and
 * cancels it for real when the toast goes away; Undo resumes it.
 *
 * Returns: %FALSE if there was nothing to cancel
 */
gboolean
_pcq_window_cancel_job (PcqWindow *self,
                        PcqJob    *job)
{
  PcqJobState state = pcq_job_get_state (job);
  RemovalEntry *entry;
  gboolean resume;

  g_return_val_if_fail (PCQ_IS_WINDOW (self), FALSE);

  if (state != PCQ_JOB_QUEUED && state != PCQ_JOB_ACTIVE && state != PCQ_JOB_PAUSED)
    return FALSE;
  if (self->removal != NULL && removal_find (self->removal, job) != NULL)
    return FALSE;

  resume = state != PCQ_JOB_PAUSED && pcq_engine_pause_job (self->engine, job);
  if (state != PCQ_JOB_PAUSED && !resume)
    {
      /* It cannot pause (it is stopping already): no Undo for it. */
      pcq_engine_cancel (self->engine, job);
      return TRUE;
    }

  entry = removal_add (begin_removal (self), job, REMOVAL_CANCEL);
  entry->resume = resume;
  /* A queued task pauses at once; a running one when its worker stops. */
  entry->seen_paused = pcq_job_get_state (job) == PCQ_JOB_PAUSED;
  if (resume)
    entry->state_handler = g_signal_connect (job, "notify::state",
                                             G_CALLBACK (cancel_entry_state_cb), entry);
  show_removal (self);
  return TRUE;
}

static void
remove_selected_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(PcqJob) job = NULL;
  guint position = 0;
  guint n_items;

  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();

  job = dup_selected_job (self, &position);
  if (job == NULL || !pcq_job_is_finished (job))
    {
      gtk_widget_error_bell (widget);
      return;
    }

  g_ptr_array_add (jobs, job);
  _pcq_window_remove_jobs (self, jobs);

  /* Keep the keyboard where it was: on the next task. */
  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  if (n_items > 0)
    {
      position = MIN (position, n_items - 1);
      gtk_single_selection_set_selected (self->selection, position);
      gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
    }
}

/* Pause or resume the selected task, whichever it needs: one key for
 * both, as a play/pause key. */
static void
pause_selected_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(PcqJob) job = dup_selected_job (self, NULL);
  gboolean changed = FALSE;

  if (job != NULL && pcq_job_get_state (job) == PCQ_JOB_PAUSED)
    changed = pcq_engine_resume_job (self->engine, job);
  else if (job != NULL)
    changed = pcq_engine_pause_job (self->engine, job);

  if (!changed)
    gtk_widget_error_bell (widget);
}

static void
row_menu_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (widget));

  for (GtkWidget *w = focus; w != NULL; w = gtk_widget_get_parent (w))
    {
      if (PCQ_IS_JOB_ROW (w))
        {
          pcq_job_row_popup_menu (PCQ_JOB_ROW (w));
          return;
        }
    }

  /* The focus is on the list item that holds the row. */
  if (focus != NULL && PCQ_IS_JOB_ROW (gtk_widget_get_first_child (focus)))
    pcq_job_row_popup_menu (PCQ_JOB_ROW (gtk_widget_get_first_child (focus)));
}

static void
list_view_activate_cb (PcqWindow   *self,
                       guint        position,
                       GtkListView *list_view)
{
  g_autoptr(PcqJob) job = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (job != NULL && pcq_job_get_state (job) == PCQ_JOB_DONE)
    _pcq_window_open_job (self, job, FALSE);
}

/* Clear Finished, Clear Failed: every task in either state, at once. */
static guint
remove_in_states (PcqWindow   *self,
                  PcqJobState  state1,
                  PcqJobState  state2)
{
  GListModel *model = pcq_engine_get_jobs (self->engine);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (model, i);
      PcqJobState state = pcq_job_get_state (job);

      if (state == state1 || state == state2)
        g_ptr_array_add (jobs, g_steal_pointer (&job));
    }

  if (jobs->len == 0)
    return 0;
  return _pcq_window_remove_jobs (self, jobs);
}

static void
clear_finished_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);

  if (remove_in_states (self, PCQ_JOB_DONE, PCQ_JOB_DONE) == 0)
    gtk_widget_error_bell (widget);
}

static void
clear_failed_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);

  if (remove_in_states (self, PCQ_JOB_FAILED, PCQ_JOB_CANCELLED) == 0)
    gtk_widget_error_bell (widget);
}

static gboolean retry_job (PcqWindow *self,
                           PcqJob    *job);

static void
retry_failed_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  GListModel *model = pcq_engine_get_jobs (self->engine);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_retried = 0;

  /* Gathered first: a retry changes the counts, and the list with them. */
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(PcqJob) job = g_list_model_get_item (model, i);
      PcqJobState state = pcq_job_get_state (job);

      if ((state == PCQ_JOB_FAILED || state == PCQ_JOB_CANCELLED) &&
          !(self->removal != NULL && removal_find (self->removal, job) != NULL))
        g_ptr_array_add (jobs, g_steal_pointer (&job));
    }

  for (guint i = 0; i < jobs->len; i++)
    if (retry_job (self, g_ptr_array_index (jobs, i)))
      n_retried++;

  if (n_retried == 0)
    gtk_widget_error_bell (widget);
  else
    counting_toast (self, &self->retried_toast, &self->n_retried_told, n_retried,
                    pcq_format_retried);
}

static void
cancel_selected_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(PcqJob) job = dup_selected_job (self, NULL);

  if (job == NULL || !_pcq_window_cancel_job (self, job))
    gtk_widget_error_bell (widget);
}

static void
retry_selected_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);
  g_autoptr(PcqJob) job = dup_selected_job (self, NULL);

  if (job == NULL || filter_for_state (pcq_job_get_state (job)) != FILTER_FAILED)
    {
      gtk_widget_error_bell (widget);
      return;
    }

  _pcq_window_retry_job (self, job);
}

static void
focus_entry_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  PcqWindow *self = PCQ_WINDOW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
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

  if (!retry_job (self, job))
    return FALSE;

  /* Under the Failed filter the row goes at once: this says where. */
  counting_toast (self, &self->retried_toast, &self->n_retried_told, 1, pcq_format_retried);
  return TRUE;
}

static gboolean
retry_job (PcqWindow *self,
           PcqJob    *job)
{
  if (!pcq_engine_retry (self->engine, job))
    return FALSE;

  /* The job moves from Failed to Queued: tell the filter. */
  pcq_job_relay_job_changed (self->relay, job);
  return TRUE;
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

/* ---- closing ------------------------------------------------------- */

static void
save_window_state (PcqWindow *self)
{
  int width = 0;
  int height = 0;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);
}

static void
forget_close_dialog (PcqWindow *self)
{
  if (self->close_dialog == NULL)
    return;

  g_object_remove_weak_pointer (G_OBJECT (self->close_dialog), (gpointer *) &self->close_dialog);
  self->close_dialog = NULL;
}

static void
store_closed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(PcqWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pcq_application_close_store_finish (PCQ_APPLICATION (object), result, &error))
    g_warning ("Closing the queue failed: %s", error->message);

  self->close_state = CLOSE_DONE;
  gtk_window_close (GTK_WINDOW (self));
}

static void
shutdown_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PcqWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  GtkApplication *app;

  if (!pcq_engine_shutdown_finish (PCQ_ENGINE (object), result, &error))
    g_warning ("Stopping the queue failed: %s", error->message);

  /* Wait, then Stop Now: both calls finish together; close once. */
  if (self->close_state == CLOSE_DONE || self->store_closing)
    return;

  /* The engine is stopped; the store gets its last commit, off the
   * main thread, then the window goes. */
  app = gtk_window_get_application (GTK_WINDOW (self));
  if (PCQ_IS_APPLICATION (app))
    {
      self->store_closing = TRUE;
      pcq_application_close_store_async (PCQ_APPLICATION (app), store_closed_cb,
                                         g_object_ref (self));
      return;
    }

  self->close_state = CLOSE_DONE;
  gtk_window_close (GTK_WINDOW (self));
}

/* While it waits to close, the window takes no new tasks; Keep Open
 * gives it back. */
static void
set_accepting_tasks (PcqWindow *self,
                     gboolean   accepting)
{
  gtk_widget_set_sensitive (self->submit_bar, accepting);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add", accepting);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.import", accepting);
}

static void
destroy_close_dialog (PcqWindow *self)
{
  GtkWindow *dialog = GTK_WINDOW (self->close_dialog);

  if (dialog == NULL)
    return;

  g_signal_handlers_disconnect_by_data (dialog, self);
  forget_close_dialog (self);
  gtk_window_destroy (dialog);
}

static void
begin_shutdown (PcqWindow       *self,
                PcqShutdownMode  mode)
{
  if (mode == PCQ_SHUTDOWN_WAIT &&
      (self->close_state == CLOSE_WAITING || self->close_state == CLOSE_BACKGROUND))
    {
      /* The queue drained while waiting: nothing left to stop, and
       * too late to keep open. */
      self->close_state = CLOSE_STOPPING;
      save_window_state (self);
      gtk_widget_set_visible (self->banner_keep_button, FALSE);
      gtk_widget_set_visible (self->banner_stop_button, FALSE);
    }
  else if (mode == PCQ_SHUTDOWN_FORCE &&
           (self->close_state == CLOSE_NONE || self->close_state == CLOSE_WAITING))
    {
      self->close_state = CLOSE_STOPPING;
      save_window_state (self);

      /* The window stays until the workers have returned (moments), and
       * says why. It is not hidden meanwhile: hiding a GTK 4.8 window
       * on X11 and destroying it right after made GTK touch the freed
       * window now and then in the tests; and a hidden window that
       * lingers would come back half-closed if Pcq were started again. */
      if (pcq_engine_get_n_active (self->engine) > 0)
        {
          gtk_label_set_text (self->banner_label, _("Stopping tasks…"));
          gtk_widget_set_visible (self->banner_stop_button, FALSE);
          gtk_widget_set_visible (self->banner_keep_button, FALSE);
          gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
        }
    }
  else
    return;

  /* Closing or quitting with a toast up: what it said is done (the
   * store hears of it before it closes). */
  commit_removal (self);

  /* Whatever happens now, no new work comes in. */
  set_accepting_tasks (self, FALSE);
  destroy_close_dialog (self);

  pcq_engine_shutdown_async (self->engine, mode, NULL, shutdown_done_cb, g_object_ref (self));
}

static void
background_requested_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  /* The portal's answer comes later, as a Request signal; a refusal
   * only means the desktop may say that Pcq runs without a window. */
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    g_message ("Cannot ask to run in the background: %s", error->message);
}

/* In a Flatpak, a hidden app asks the Background portal to go on
 * running (GNOME lists it as running in the background; without the
 * request it may be stopped). Outside one, the hidden window alone
 * keeps the application running. libportal is not a dependency: this
 * is its one call. */
static void
request_background (PcqWindow *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  GDBusConnection *bus;
  GVariantBuilder options;

  if (app == NULL || !g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    return;

  bus = g_application_get_dbus_connection (app);
  if (bus == NULL)
    return;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "reason",
                         g_variant_new_string (_("Finishing the tasks in the queue")));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (FALSE));

  g_dbus_connection_call (bus, "org.freedesktop.portal.Desktop",
                          "/org/freedesktop/portal/desktop",
                          "org.freedesktop.portal.Background", "RequestBackground",
                          g_variant_new ("(sa{sv})", "", &options), G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, background_requested_cb, NULL);
}

/* Wait (in the background): the queue runs on and the window closes
 * once it is empty (update_counts() sees it). The engine is not told
 * yet, so that Keep Open can take it back. */
static void
begin_waiting (PcqWindow *self,
               gboolean   background)
{
  if (self->close_state != CLOSE_NONE)
    return;

  self->close_state = background ? CLOSE_BACKGROUND : CLOSE_WAITING;
  set_accepting_tasks (self, FALSE);
  destroy_close_dialog (self);

  gtk_widget_set_visible (self->banner_stop_button, TRUE);
  gtk_widget_set_visible (self->banner_keep_button, TRUE);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);

  if (background)
    {
      self->in_background = TRUE;
      request_background (self);
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
    }

  update_counts (self);
}

/* Keep Open: everything as before the window was closed. */
static void
keep_open (PcqWindow *self)
{
  if (self->close_state != CLOSE_WAITING && self->close_state != CLOSE_BACKGROUND)
    return;

  self->close_state = CLOSE_NONE;
  self->in_background = FALSE;
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  set_accepting_tasks (self, TRUE);
}

static void
keep_open_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  keep_open (PCQ_WINDOW (widget));
}

/* Shown again (`pcq` started again, the notification, app.present)
 * while waiting in the background: the person is back, and the window
 * stays. */
static void
visible_cb (PcqWindow  *self,
            GParamSpec *pspec,
            gpointer    user_data)
{
  if (gtk_widget_get_visible (GTK_WIDGET (self)) && self->close_state == CLOSE_BACKGROUND)
    keep_open (self);
}

static void
stop_now_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  begin_shutdown (PCQ_WINDOW (widget), PCQ_SHUTDOWN_FORCE);
}

static void
close_dialog_response_cb (PcqWindow        *self,
                          const char       *response,
                          AdwMessageDialog *dialog)
{
  /* The dialog closes itself after a response. */
  g_signal_handlers_disconnect_by_data (dialog, self);
  forget_close_dialog (self);

  if (g_strcmp0 (response, PCQ_CLOSE_RESPONSE_STOP) == 0)
    begin_shutdown (self, PCQ_SHUTDOWN_FORCE);
  else if (g_strcmp0 (response, PCQ_CLOSE_RESPONSE_WAIT) == 0)
    begin_waiting (self, FALSE);
  else if (g_strcmp0 (response, PCQ_CLOSE_RESPONSE_BACKGROUND) == 0)
    begin_waiting (self, TRUE);
}

static void
present_close_dialog (PcqWindow *self)
{
  guint n_active;
  guint n_queued;

  if (self->close_dialog == NULL)
    {
      self->close_dialog = pcq_close_dialog_new (GTK_WINDOW (self));
      g_object_add_weak_pointer (G_OBJECT (self->close_dialog), (gpointer *) &self->close_dialog);
      g_signal_connect_object (self->close_dialog, "response",
                               G_CALLBACK (close_dialog_response_cb), self, G_CONNECT_SWAPPED);
    }

  /* Already waiting: the choices are Stop Now and going on waiting. */
  adw_message_dialog_set_response_enabled (self->close_dialog, PCQ_CLOSE_RESPONSE_BACKGROUND,
                                           self->close_state == CLOSE_NONE);

  get_pending (self, &n_active, &n_queued);
  pcq_close_dialog_set_counts (self->close_dialog, n_active, n_queued);
  gtk_window_present (GTK_WINDOW (self->close_dialog));
}

static gboolean
pcq_window_close_request (GtkWindow *window)
{
  PcqWindow *self = PCQ_WINDOW (window);
  guint n_active;
  guint n_queued;

  switch (self->close_state)
    {
    case CLOSE_DONE:
      return GTK_WINDOW_CLASS (pcq_window_parent_class)->close_request (window);

    case CLOSE_STOPPING:
      return TRUE;

    case CLOSE_BACKGROUND:
      /* Quit while hidden: show the window (that keeps it open) and
       * ask again. */
      gtk_window_present (window);
      G_GNUC_FALLTHROUGH;

    case CLOSE_WAITING:
      /* Closing again while waiting: offer to stop now. */
      present_close_dialog (self);
      return TRUE;

    case CLOSE_NONE:
      get_pending (self, &n_active, &n_queued);
      if (n_active + n_queued == 0)
        {
          /* Nothing to wait for: the engine stops at once. */
          begin_shutdown (self, PCQ_SHUTDOWN_FORCE);
          return TRUE;
        }
      present_close_dialog (self);
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

/**
 * pcq_window_is_closing:
 *
 * Returns: %TRUE once the person chose to close the window (it may
 *   still be waiting for the queue)
 */
gboolean
pcq_window_is_closing (PcqWindow *self)
{
  g_return_val_if_fail (PCQ_IS_WINDOW (self), FALSE);
  return self->close_state != CLOSE_NONE;
}

/**
 * pcq_window_is_in_background:
 *
 * Returns: %TRUE while the window is hidden to wait for the queue
 *   (“Wait in Background”), also while it closes after that
 */
gboolean
pcq_window_is_in_background (PcqWindow *self)
{
  g_return_val_if_fail (PCQ_IS_WINDOW (self), FALSE);
  return self->in_background;
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
  GtkLabel *labels[] = {
    [FILTER_ALL] = self->all_count,
    [FILTER_QUEUED] = self->queued_count,
    [FILTER_RUNNING] = self->running_count,
    [FILTER_FINISHED] = self->finished_count,
    [FILTER_FAILED] = self->failed_count,
  };

  for (guint i = 0; i < G_N_ELEMENTS (filter_names); i++)
    if (g_strcmp0 (filter, filter_names[i]) == 0)
      return gtk_label_get_text (labels[i]);

  return NULL;
}

/* ---- object -------------------------------------------------------- */

static void
pcq_window_constructed (GObject *object)
{
  PcqWindow *self = (PcqWindow *)object;
  const char *count_props[] = {
    "notify::n-queued", "notify::n-active", "notify::n-done",
    "notify::n-failed", "notify::n-cancelled", "notify::n-paused", "notify::bytes-per-second",
    "notify::offline", "notify::metered", "notify::download-on-metered",
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

  for (guint i = 0; i < G_N_ELEMENTS (count_props); i++)
    g_signal_connect_object (self->engine, count_props[i],
                             G_CALLBACK (engine_counts_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "notify::paused",
                           G_CALLBACK (engine_paused_cb), self, G_CONNECT_SWAPPED);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect_object (self->settings, "changed::metered-downloads",
                           G_CALLBACK (apply_metered_policy), self, G_CONNECT_SWAPPED);
  apply_metered_policy (self);

  engine_paused_cb (self, NULL, self->engine);
  update_counts (self);
  update_status_page (self);
}

static void
pcq_window_dispose (GObject *object)
{
  PcqWindow *self = (PcqWindow *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->counts_source, g_source_remove);
  g_clear_handle_id (&self->feed_source, g_source_remove);
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

      forget_close_dialog (self);
      gtk_window_destroy (dialog);
    }

  if (self->metered_dialog != NULL)
    {
      GtkWindow *dialog = GTK_WINDOW (self->metered_dialog);

      g_signal_handlers_disconnect_by_data (dialog, self);
      g_clear_weak_pointer (&self->metered_dialog);
      gtk_window_destroy (dialog);
    }

  if (self->engine != NULL)
    commit_removal (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCQ_TYPE_WINDOW);

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
  g_clear_weak_pointer (&self->last_toast_object);
  g_clear_weak_pointer (&self->added_toast);
  g_clear_weak_pointer (&self->retried_toast);
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
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, submit_bar);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, download_mode_button);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, ask_mode_button);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, entry);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, all_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, queued_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, running_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, finished_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, failed_count);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, rate_label);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, selection);
  gtk_widget_class_bind_template_child (widget_class, PcqWindow, status_page);
  gtk_widget_class_bind_template_callback (widget_class, entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_view_activate_cb);

  gtk_widget_class_install_action (widget_class, "win.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "win.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "win.clear-finished", NULL, clear_finished_action);
  gtk_widget_class_install_action (widget_class, "win.focus-entry", NULL, focus_entry_action);
  gtk_widget_class_install_action (widget_class, "win.remove-selected", NULL, remove_selected_action);
  gtk_widget_class_install_action (widget_class, "win.clear-failed", NULL, clear_failed_action);
  gtk_widget_class_install_action (widget_class, "win.retry-failed", NULL, retry_failed_action);
  gtk_widget_class_install_action (widget_class, "win.row-menu", NULL, row_menu_action);
  gtk_widget_class_install_action (widget_class, "win.pause-selected", NULL, pause_selected_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-selected", NULL, cancel_selected_action);
  gtk_widget_class_install_action (widget_class, "win.retry-selected", NULL, retry_selected_action);
  gtk_widget_class_install_action (widget_class, "win.stop-now", NULL, stop_now_action);
  gtk_widget_class_install_action (widget_class, "win.keep-open", NULL, keep_open_action);
  gtk_widget_class_install_action (widget_class, "win.download-on-metered", NULL,
                                   download_on_metered_action);
  gtk_widget_class_install_property_action (widget_class, "win.pause", "paused");
  gtk_widget_class_install_property_action (widget_class, "win.filter", "filter");
  gtk_widget_class_install_property_action (widget_class, "win.mode", "mode");
}

static void
pcq_window_init (PcqWindow *self)
{
  GtkDropTarget *target;
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_STRING };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->launcher = pcq_launcher_new_for_session ();
  self->filter_kind = FILTER_ALL;
  self->mode = MODE_DOWNLOAD;
  g_queue_init (&self->feeds);
  set_mode (self, MODE_DOWNLOAD);

  target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));

  g_signal_connect (self, "notify::visible", G_CALLBACK (visible_cb), NULL);
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
