/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pcq-launcher.h"
#include "pcq-window.h"

#include "pcq-engine.h"
#include "pcq-job-relay.h"
#include "pcq-job-row.h"

G_BEGIN_DECLS

typedef struct _PcqRemoval PcqRemoval;
typedef struct _PcqSignIn PcqSignIn;

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

#define N_FILTERS (FILTER_FAILED + 1)

/* What the submit bar's text is: links (one per line), or one prompt. */
typedef enum
{
  MODE_DOWNLOAD,
  MODE_ASK,
} SubmitMode;

typedef enum
{
  CLOSE_NONE,      /* open */
  CLOSE_WAITING,    /* “Wait”: the queue drains, then the window closes */
  CLOSE_BACKGROUND, /* “Wait in Background”: the same, the window hidden */
  CLOSE_STOPPING,   /* “Stop Now”, or drained: the engine stops */
  CLOSE_DONE,      /* the engine has stopped: close for real */
} CloseState;

struct _PcqWindow
{
  AdwApplicationWindow  parent_instance;

  PcqEngine            *engine;
  GSettings            *settings;
  PcqJobRelay          *relay;
  GtkCustomFilter      *filter;
  GtkFilterListModel   *filter_model;
  FilterKind            filter_kind;
  char                 *search;  /* casefolded; NULL: no search */
  gsize                 search_length;
  SubmitMode            mode;
  gboolean              has_input;  /* the input shown is not blank */
  GCancellable         *cancellable;

  guint                 counts_source;
  char                 *description;     /* the list's, for screen readers */
  gint64                described_at;
  guint                 describe_source;
  CloseState            close_state;
  gboolean              refusing_tasks;  /* closing: the submit bar is off */
  gboolean              in_background;  /* hidden to wait, until shown again */
  gboolean              store_closing;
  AdwMessageDialog     *close_dialog;   /* weak */
  guint                 n_close_choices; /* asked, their answer not yet in */
  AdwMessageDialog     *metered_dialog; /* weak */
  gboolean              metered_allowed;  /* this time it is metered */
  gboolean              metered_declined; /* “Not Now”, this time */
  GtkNativeDialog      *import_chooser;
  char                 *last_toast;
  AdwToast             *last_toast_object;   /* weak */
  PcqLauncher          *launcher;
  GtkWidget            *last_answer;  /* weak: the answer window shown last */
  AdwToast             *setup_toast;  /* weak: "Set Up API…" */

  GQueue                feeds;
  guint                 feed_source;

  PcqRemoval           *removal;  /* the one a toast can still undo */

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

  /* Signing in (pcq-window-sign-in.c). */
  AdwMessageDialog     *sign_in_dialog;  /* weak */
  PcqSignIn            *sign_in;         /* what it asks for */
  GQueue                sign_in_queue;   /* origins asked next */

  /* Template children */
  AdwWindowTitle       *window_title;
  GtkToggleButton      *pause_button;
  GtkRevealer          *banner_revealer;
  GtkLabel             *banner_label;
  GtkWidget            *banner_stop_button;
  GtkWidget            *banner_keep_button;
  AdwToastOverlay      *toast_overlay;
  GtkSearchBar         *search_bar;
  GtkEditable          *search_entry;
  GtkWidget            *submit_bar;
  GtkWidget            *download_mode_button;
  GtkWidget            *ask_mode_button;
  GtkEntry             *entry;
  GtkStack             *input_stack;
  GtkTextView          *prompt_view;
  GtkLabel             *all_count;
  GtkLabel             *queued_count;
  GtkLabel             *running_count;
  GtkLabel             *finished_count;
  GtkLabel             *failed_count;
  guint                 filter_counts[N_FILTERS];
  GtkLabel             *filter_menu_title;
  GtkLabel             *filter_menu_count;
  GtkLabel             *rate_label;
  GtkStack             *content_stack;
  GtkListView          *list_view;
  GtkSingleSelection   *selection;
  struct _PcqRowSlots   *row_slots;   /* what the list view shows, over the selection */
  AdwStatusPage        *status_page;
};

/* Shared by the parts of the window (pcq-window*.c). */
void        _pcq_window_update_counts    (PcqWindow        *self);
void        _pcq_window_update_filter    (PcqWindow        *self);
void        _pcq_window_get_pending      (PcqWindow        *self,
                                          guint            *n_active,
                                          guint            *n_queued);
FilterKind  _pcq_window_filter_for_state (PcqJobState       state);
gboolean    _pcq_window_accepts_tasks    (PcqWindow        *self);
void        _pcq_window_add_from_entry   (PcqWindow        *self);
gboolean    _pcq_window_has_input        (PcqWindow        *self);
void        _pcq_window_submit_tasks     (PcqWindow        *self,
                                          GPtrArray        *tasks,
                                          const char       *output_dir);
void        _pcq_window_import_file      (PcqWindow        *self,
                                          GFile            *file,
                                          const char       *output_dir);
void        _pcq_window_allow_metered    (PcqWindow        *self);
void        _pcq_window_show_answer      (PcqWindow        *self,
                                          PcqJob           *job);
/* pcq-window-actions.c */
void        _pcq_window_class_init_actions (GtkWidgetClass *widget_class);
void        _pcq_window_actions_update   (PcqWindow        *self);
/* pcq-window-dnd.c */
void        _pcq_window_dnd_init         (PcqWindow        *self);

typedef gboolean (*PcqRowFunc) (PcqJobRow     *row,
                                GtkWidget     *item,
                                gconstpointer  data);
GtkWidget  *_pcq_window_find_row         (PcqWindow        *self,
                                          PcqRowFunc        func,
                                          gconstpointer     data);

void        _pcq_window_class_init_schedule (GtkWidgetClass *widget_class);
void        _pcq_window_class_init_report (GtkWidgetClass *widget_class);
GtkWindow  *_pcq_window_show_details     (PcqWindow        *self,
                                          PcqJob           *job);
void        _pcq_window_export_report_async (PcqWindow           *self,
                                             const char          *path,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean    _pcq_window_export_report_finish (PcqWindow          *self,
                                              GAsyncResult       *result,
                                              GError            **error);
char       *_pcq_window_start_at_text    (PcqWindow        *self);
void        _pcq_window_dnd_init_row     (GtkWidget        *row);
/* pcq-window-sign-in.c */
void        _pcq_window_ask_sign_in      (PcqWindow        *self,
                                          PcqJob           *job);
void        _pcq_window_sign_in_dispose  (PcqWindow        *self);
/* pcq-window-close.c */
void        _pcq_window_close_init       (PcqWindow        *self);
gboolean    _pcq_window_close_request    (PcqWindow        *self);
void        _pcq_window_begin_shutdown   (PcqWindow        *self,
                                          PcqShutdownMode   mode);
void        _pcq_window_forget_close_dialog (PcqWindow     *self);
void        _pcq_window_keep_open        (PcqWindow        *self);
/* pcq-window-removal.c */
void        _pcq_window_commit_removal   (PcqWindow        *self);
guint       _pcq_window_count_hidden     (PcqWindow        *self,
                                          guint             hidden[PCQ_JOB_PAUSED + 1]);
gboolean    _pcq_window_hides            (PcqWindow        *self,
                                          PcqJob           *job);
gboolean    _pcq_window_is_removing      (PcqWindow        *self,
                                          PcqJob           *job);

/* For the row and the tests. */
PcqEngine  *_pcq_window_get_engine       (PcqWindow  *self);
gboolean    _pcq_window_retry_job        (PcqWindow  *self,
                                          PcqJob     *job);
guint       _pcq_window_retry_jobs       (PcqWindow  *self,
                                          PcqJob    **jobs,
                                          guint       n_jobs);
void        _pcq_window_open_job         (PcqWindow  *self,
                                          PcqJob     *job,
                                          gboolean    in_folder);
guint       _pcq_window_remove_jobs     (PcqWindow  *self,
                                         GPtrArray  *jobs);
gboolean    _pcq_window_cancel_job      (PcqWindow  *self,
                                         PcqJob     *job);
AdwToast   *_pcq_window_toast            (PcqWindow  *self,
                                          const char *title);

GtkEditable *_pcq_window_get_entry       (PcqWindow  *self);
GtkTextBuffer *_pcq_window_get_prompt_buffer (PcqWindow *self);
GtkWidget   *_pcq_window_get_input       (PcqWindow  *self);
GtkEditable *_pcq_window_get_search_entry (PcqWindow *self);
const char  *_pcq_window_get_status_title (PcqWindow *self);
GtkWindow   *_pcq_window_get_last_answer (PcqWindow *self);
GtkWidget   *_pcq_window_get_list_view   (PcqWindow  *self);
GtkWidget   *_pcq_window_get_mode_button (PcqWindow  *self,
                                          const char *mode);
GListModel  *_pcq_window_get_shown_jobs  (PcqWindow  *self);
const char  *_pcq_window_get_subtitle    (PcqWindow  *self);
const char  *_pcq_window_get_title_tooltip (PcqWindow *self);
const char  *_pcq_window_get_last_toast  (PcqWindow  *self);
AdwToast    *_pcq_window_get_last_toast_object (PcqWindow *self);
void         _pcq_window_set_launcher    (PcqWindow   *self,
                                          PcqLauncher *launcher);
GtkWindow   *_pcq_window_get_close_dialog (PcqWindow *self);
gboolean     _pcq_window_is_asking_to_close (PcqWindow *self);
GtkWindow   *_pcq_window_get_metered_dialog (PcqWindow *self);
GtkWindow   *_pcq_window_get_duplicate_dialog (PcqWindow *self);
GtkWindow   *_pcq_window_get_sign_in_dialog (PcqWindow *self);
gboolean     _pcq_window_get_banner_revealed (PcqWindow *self);
const char  *_pcq_window_get_banner_text (PcqWindow  *self);
const char  *_pcq_window_get_filter_label (PcqWindow *self,
                                           const char *filter);
GtkWidget   *_pcq_window_get_filter_menu_button (PcqWindow *self);
char        *_pcq_window_get_filter_menu_text (PcqWindow *self);

G_END_DECLS
