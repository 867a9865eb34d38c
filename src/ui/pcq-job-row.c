/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pcq-job-row"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "pcq-api.h"
#include "pcq-closures.h"
#include "pcq-engine.h"
#include "pcq-job-row.h"
#include "pcq-json.h"
#include "pcq-vcs.h"
#include "pcq-window-private.h"

/* How often a running row redraws its text and pulses. Progress itself
 * arrives once per engine batch; the bar follows it at once. */
#define DETAIL_INTERVAL_US (250 * G_TIME_SPAN_MILLISECOND)
#define PULSE_INTERVAL_US  (100 * G_TIME_SPAN_MILLISECOND)
#define RATE_INTERVAL_US   (500 * G_TIME_SPAN_MILLISECOND)
/* How long a just added task's highlight takes to fade. */
#define NEW_FADE_US        (600 * G_TIME_SPAN_MILLISECOND)

struct _PcqJobRow
{
  GtkWidget       parent_instance;

  PcqJob         *job;
  GSignalGroup   *job_signals;

  /* Rate of the bound job, measured while it is shown. */
  gint64          rate_time;
  gint64          rate_bytes;
  double          rate;
  gint64          detail_time;
  gint64          detail_bytes;   /* what update_detail() last showed */
  gint64          pulse_time;
  guint           pulse_source;   /* while waiting for a first byte */
  guint           detail_source;  /* a detail update held back, due later */
  guint           guard_source;   /* the round button changed under the pointer */
  guint           new_source;     /* ends the highlight of a just added task */
  const char     *action_tooltip; /* the round button's, translated; static */
  guint           fade_tick;      /* fades it, on the highlight's frame clock */
  gint64          fade_start;     /* frame time the fade began */

  GtkWidget      *context_popover;
  int             shown;          /* what update_state() last showed */
  char           *spoken;         /* the list item's name for screen readers */

  GtkWidget      *error_label;    /* made when a first error shows */
  GtkWidget      *kind_icon;      /* made when a first Ask task shows */
  GtkWidget      *note_label;     /* made when a first commit note shows */

  /* Template children */
  GtkWidget      *highlight;
  GtkWidget      *text_box;
  GtkImage       *state_icon;
  GtkInscription *name_label;
  GtkWidget      *source_box;
  GtkInscription *source_label;
  GtkProgressBar *progress_bar;
  GtkInscription *detail_label;
  GtkButton      *action_button;
  GtkWidget      *menu_button;
};

G_DEFINE_FINAL_TYPE (PcqJobRow, pcq_job_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_JOB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- state --------------------------------------------------------- */

static PcqEngine *
get_engine (PcqJobRow *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (!PCQ_IS_WINDOW (root))
    return NULL;

  return _pcq_window_get_engine (PCQ_WINDOW (root));
}

static gboolean
is_ask (PcqJobRow *self)
{
  return self->job != NULL && pcq_job_get_kind (self->job) == PCQ_JOB_ASK;
}

/* An Ask task or a batch request: an answer of unknown size is coming. */
static gboolean
is_api (PcqJobRow *self)
{
  return self->job != NULL && (pcq_job_get_kind (self->job) == PCQ_JOB_ASK ||
                               pcq_job_get_kind (self->job) == PCQ_JOB_BATCH);
}

/* A batch request's source: its custom_id (its name is CUSTOM_ID.md),
 * and the model its body names, if it names one. */
static char *
dup_batch_source (PcqJob *job)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  const char *name = pcq_job_get_name (job);
  const char *body = pcq_job_get_prompt (job);
  g_autofree char *custom_id = NULL;
  const char *model = NULL;
  JsonObject *object = NULL;

  if (name != NULL && g_str_has_suffix (name, ".md"))
    custom_id = g_strndup (name, strlen (name) - strlen (".md"));
  else
    custom_id = g_strdup (name != NULL ? name : "");

  if (body != NULL)
    object = pcq_json_parse_object (parser, body, -1, NULL);
  if (object != NULL)
    {
      JsonNode *node = json_object_get_member (object, "model");

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        model = json_node_get_string (node);
    }

  if (model == NULL || *model == '\0')
    return g_steal_pointer (&custom_id);

  return g_strdup_printf ("%s · %s", custom_id, model);
}

/* An Ask task's source: its prompt's first line that is not blank. */
static char *
dup_prompt_first_line (PcqJob *job)
{
  const char *prompt = pcq_job_get_prompt (job);
  g_auto(GStrv) lines = NULL;

  if (prompt == NULL)
    return g_strdup ("");

  lines = g_strsplit_set (prompt, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (*line != '\0')
        return g_strdup (line);
    }

  return g_strdup ("");
}

/* "1.2 kB received · 300 B/s": an answer as it streams in. */
static char *
format_received (PcqJobRow *self)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *size = g_format_size (pcq_job_get_bytes (self->job));
  guint attempts = pcq_job_get_attempts (self->job);

  /* Translators: the size of an answer so far, while it arrives: “1.2 kB received” */
  g_ptr_array_add (parts, g_strdup_printf (_("%s received"), size));
  if (self->rate >= 1)
    {
      g_autofree char *rate = g_format_size ((guint64) self->rate);

      /* Translators: a transfer rate, “1.1 MB/s” */
      g_ptr_array_add (parts, g_strdup_printf (_("%s/s"), rate));
    }
  if (attempts > 1)
    g_ptr_array_add (parts, g_strdup_printf (_("attempt %u"), attempts));
  g_ptr_array_add (parts, NULL);

  return g_strjoinv (" · ", (char **) parts->pdata);
}

static const char *inscription_text (GtkInscription *inscription);

static const char *
state_word (PcqJobRow *self)
{
  PcqJobState state = pcq_job_get_state (self->job);

  /* An Ask task's running state is no download. */
  if (state == PCQ_JOB_ACTIVE && is_api (self))
    return _("Asking");

  return pcq_job_state_label (state);
}

/* What a screen reader says for the row: its name, state and progress
 * (in steps of ten per cent, so that it changes seldom), and why it
 * failed. It names the list item that holds the row: that is what
 * takes the focus (GTK 4.8 has no gtk_list_item_set_accessible_label()),
 * the row's own buttons being out of the Tab order. */
static void
update_spoken (PcqJobRow *self)
{
  GtkWidget *item = gtk_widget_get_parent (GTK_WIDGET (self));
  g_autofree char *spoken = NULL;
  gint64 bytes, total;

  if (self->job == NULL || item == NULL || g_strcmp0 (gtk_widget_get_css_name (item), "row") != 0)
    return;

  bytes = pcq_job_get_bytes (self->job);
  total = pcq_job_get_total (self->job);
  if (pcq_job_get_state (self->job) == PCQ_JOB_ACTIVE && total > 0)
    /* Translators: a task as a screen reader says it: its name, its state and how
     * much of it is there, as in “report.pdf, Downloading, 40 %” */
    spoken = g_strdup_printf (_("%s, %s, %d %%"), inscription_text (self->name_label),
                              state_word (self), (int) (CLAMP (bytes * 10 / total, 0, 10) * 10));
  else if (pcq_job_get_error (self->job) != NULL && pcq_job_is_finished (self->job))
    /* Translators: a task as a screen reader says it: its name, its state and
     * why, as in “report.pdf, Failed, Server answered 404 Not Found” */
    spoken = g_strdup_printf (_("%s, %s, %s"), inscription_text (self->name_label),
                              state_word (self), pcq_job_get_error (self->job));
  else
    /* Translators: a task as a screen reader says it, as in “report.pdf, Done” */
    spoken = g_strdup_printf (_("%s, %s"), inscription_text (self->name_label), state_word (self));

  if (g_strcmp0 (spoken, self->spoken) == 0)
    return;

  g_free (self->spoken);
  self->spoken = g_steal_pointer (&spoken);
  gtk_accessible_update_property (GTK_ACCESSIBLE (item),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->spoken,
                                  -1);
}

static void
update_detail (PcqJobRow *self)
{
  g_autofree char *text = NULL;
  PcqEngine *engine;
  guint max_attempts = 0;

  g_clear_handle_id (&self->detail_source, g_source_remove);

  if (self->job == NULL)
    {
      gtk_inscription_set_text (self->detail_label, NULL);
      return;
    }

  engine = get_engine (self);
  if (engine != NULL)
    max_attempts = pcq_engine_get_retries (engine) + 1;

  /* No bytes yet: the server is thinking. Then the answer grows, to a
   * size nobody knows in advance. */
  if (is_api (self) && pcq_job_get_state (self->job) == PCQ_JOB_ACTIVE &&
      pcq_job_get_bytes (self->job) <= 0)
    text = g_strdup (_("Waiting for the answer…"));
  else if (is_api (self) && pcq_job_get_state (self->job) == PCQ_JOB_ACTIVE &&
           pcq_job_get_total (self->job) < 0)
    text = format_received (self);
  else
    text = pcq_format_detail (pcq_job_get_state (self->job),
                              pcq_job_get_bytes (self->job),
                              pcq_job_get_total (self->job),
                              self->rate,
                              pcq_job_get_attempts (self->job),
                              max_attempts);

  /* A done answer: what it cost, when the server said. */
  if (is_api (self) && pcq_job_get_state (self->job) == PCQ_JOB_DONE)
    {
      g_autofree char *tokens = pcq_format_tokens (pcq_job_get_prompt_tokens (self->job),
                                                   pcq_job_get_completion_tokens (self->job));

      if (tokens != NULL)
        {
          g_autofree char *detail = g_steal_pointer (&text);

          /* Translators: a done task's detail, then what its answer cost,
           * “Done · 1.2 kB · 120 + 350 tokens” */
          text = g_strdup_printf (_("%s · %s"), detail, tokens);
        }
    }
  gtk_inscription_set_text (self->detail_label, text);
  self->detail_time = g_get_monotonic_time ();
  self->detail_bytes = pcq_job_get_bytes (self->job);
  update_spoken (self);
}

static gboolean
detail_due_cb (gpointer user_data)
{
  PcqJobRow *self = user_data;

  self->detail_source = 0;
  update_detail (self);

  return G_SOURCE_REMOVE;
}

static gboolean
pulse_cb (gpointer user_data)
{
  PcqJobRow *self = user_data;

  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      gtk_progress_bar_pulse (self->progress_bar);
      self->pulse_time = g_get_monotonic_time ();
    }

  return G_SOURCE_CONTINUE;
}

/* Nothing arrives while a server thinks (or a plain answer is made in
 * one piece): the bar pulses by itself until the first byte. */
static void
update_pulse (PcqJobRow *self)
{
  gboolean waiting = self->job != NULL &&
                     pcq_job_get_state (self->job) == PCQ_JOB_ACTIVE &&
                     pcq_job_get_total (self->job) < 0 &&
                     pcq_job_get_bytes (self->job) <= 0;

  if (!waiting)
    g_clear_handle_id (&self->pulse_source, g_source_remove);
  else if (self->pulse_source == 0)
    {
      self->pulse_source = g_timeout_add (PULSE_INTERVAL_US / G_TIME_SPAN_MILLISECOND, pulse_cb, self);
      g_source_set_name_by_id (self->pulse_source, "[pcq] row pulse");
    }
}

static void
update_progress (PcqJobRow *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 bytes;
  gint64 total;

  if (self->job == NULL || pcq_job_get_state (self->job) != PCQ_JOB_ACTIVE)
    {
      update_pulse (self);
      return;
    }

  bytes = pcq_job_get_bytes (self->job);
  total = pcq_job_get_total (self->job);

  /* A smoothed rate: samples at least RATE_INTERVAL apart. */
  if (self->rate_time == 0 || bytes < self->rate_bytes)
    {
      self->rate_time = now;
      self->rate_bytes = bytes;
    }
  else if (now - self->rate_time >= RATE_INTERVAL_US)
    {
      double sample = (bytes - self->rate_bytes) * (double) G_USEC_PER_SEC / (now - self->rate_time);

      self->rate = self->rate > 0 ? 0.7 * self->rate + 0.3 * sample : sample;
      self->rate_time = now;
      self->rate_bytes = bytes;
    }

  if (total > 0)
    gtk_progress_bar_set_fraction (self->progress_bar, CLAMP ((double) bytes / total, 0.0, 1.0));
  else if (now - self->pulse_time >= PULSE_INTERVAL_US)
    {
      gtk_progress_bar_pulse (self->progress_bar);
      self->pulse_time = now;
    }

  /* The first bytes of an answer show at once: the wait is over. Other
   * progress shows at most every DETAIL_INTERVAL; one held back shows
   * when that is over, even if no more comes (a stalled transfer must
   * not keep showing an older size). */
  if (now - self->detail_time >= DETAIL_INTERVAL_US || (self->detail_bytes <= 0 && bytes > 0))
    update_detail (self);
  else if (self->detail_source == 0 && bytes != self->detail_bytes)
    {
      guint due_ms = (DETAIL_INTERVAL_US - (now - self->detail_time)) / G_TIME_SPAN_MILLISECOND + 1;

      self->detail_source = g_timeout_add (due_ms, detail_due_cb, self);
      g_source_set_name_by_id (self->detail_source, "[pcq] row detail");
    }
  update_pulse (self);
}

/* The texts are set here rather than bound in the template: GTK 4.8's
 * list view builds up to 200 rows at a time, and expression bindings
 * were a tenth of what a row cost to build. */
static void
update_kind (PcqJobRow *self)
{
  gboolean ask = is_api (self);

  /* Few lists hold Ask tasks: the icon is made the first time. */
  if (self->kind_icon == NULL)
    {
      if (!ask)
        return;

      self->kind_icon = gtk_image_new_from_icon_name ("pcq-ask-symbolic");
      gtk_widget_set_valign (self->kind_icon, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (self->kind_icon, "kind-icon");
      gtk_widget_add_css_class (self->kind_icon, "dim-label");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->kind_icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Prompt"),
                                      -1);
      gtk_box_prepend (GTK_BOX (self->source_box), self->kind_icon);
    }

  gtk_widget_set_visible (self->kind_icon, ask);
}

static void
update_name (PcqJobRow *self)
{
  g_autofree char *name = NULL;
  g_autofree char *source = NULL;

  if (self->job != NULL && is_ask (self))
    {
      g_autofree char *slug = NULL;

      /* Until the answer has its file: the name it will most likely get. */
      name = pcq_format_job_name (pcq_job_get_name (self->job),
                                  pcq_job_get_output_path (self->job),
                                  NULL);
      if (*name == '\0')
        {
          slug = pcq_api_slug (pcq_job_get_prompt (self->job) ? pcq_job_get_prompt (self->job) : "");
          g_free (name);
          name = g_strconcat (slug, ".md", NULL);
        }
      source = dup_prompt_first_line (self->job);
    }
  else if (self->job != NULL && is_api (self))
    {
      /* A batch request: CUSTOM_ID.md, by its custom_id, not the endpoint. */
      name = pcq_format_job_name (pcq_job_get_name (self->job),
                                  pcq_job_get_output_path (self->job),
                                  NULL);
      source = dup_batch_source (self->job);
    }
  else if (self->job != NULL)
    {
      name = pcq_format_job_name (pcq_job_get_name (self->job),
                                  pcq_job_get_output_path (self->job),
                                  pcq_job_get_url (self->job));
      source = g_strdup (pcq_job_get_url (self->job));
    }

  gtk_inscription_set_text (self->name_label, name);
  gtk_inscription_set_text (self->source_label, source);
  update_kind (self);
  update_spoken (self);
}

static void
update_error (PcqJobRow *self)
{
  const char *error = self->job ? pcq_job_get_error (self->job) : NULL;
  g_autofree char *wait = NULL;
  g_autofree char *text = NULL;
  gboolean failed;

  /* Cheap, on every bind; the wait's text only for a row that shows it. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.retry-now",
                                 self->job != NULL && pcq_job_get_retry_at (self->job, NULL) != 0);

  if (error == NULL || *error == '\0')
    {
      if (self->error_label != NULL)
        gtk_widget_set_visible (self->error_label, FALSE);
      return;
    }

  /* Few rows ever show one: made the first time it is needed. */
  if (self->error_label == NULL)
    {
      self->error_label = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (self->error_label), 0);
      gtk_label_set_wrap (GTK_LABEL (self->error_label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (self->error_label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_selectable (GTK_LABEL (self->error_label), TRUE);
      /* One Tab stop a row: the list item, which says the error too. */
      gtk_widget_set_focusable (self->error_label, FALSE);
      gtk_widget_add_css_class (self->error_label, "caption");
      gtk_box_insert_child_after (GTK_BOX (self->text_box), self->error_label,
                                  GTK_WIDGET (self->detail_label));
    }

  /* Red when it failed; a retry still to come is only dimmed. */
  failed = pcq_job_get_state (self->job) == PCQ_JOB_FAILED;
  gtk_widget_remove_css_class (self->error_label, failed ? "dim-label" : "error");
  gtk_widget_add_css_class (self->error_label, failed ? "error" : "dim-label");
  /* A retry still to come says when ("Waiting until 14:05 (the server
   * asked)"): Retry Now in the menu does not wait. */
  wait = pcq_job_dup_wait_text (self->job);
  text = wait != NULL ? g_strdup_printf ("%s\n%s", error, wait) : g_strdup (error);
  gtk_label_set_text (GTK_LABEL (self->error_label), text);
  gtk_widget_set_visible (self->error_label, TRUE);
}

/* The engine's notes are not translated; the fixed ones are here. */
static const char *
commit_note_text (const char *note)
{
  if (g_strcmp0 (note, PCQ_VCS_NOTE_NO_REPOSITORY) == 0)
    return _("not committed: no Git repository");
  if (g_strcmp0 (note, PCQ_VCS_NOTE_UNSUPPORTED) == 0)
    return _("not committed: built without Git support");

  return note;
}

/* What became of the Git commit of a done task, when there was one. */
static void
update_note (PcqJobRow *self)
{
  const char *note = NULL;
  gboolean done = self->job != NULL && pcq_job_get_state (self->job) == PCQ_JOB_DONE;

  if (done)
    note = pcq_job_get_commit_note (self->job);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.init-git",
                                 done && g_strcmp0 (note, PCQ_VCS_NOTE_NO_REPOSITORY) == 0);

  if (note == NULL || *note == '\0')
    {
      if (self->note_label != NULL)
        gtk_widget_set_visible (self->note_label, FALSE);
      return;
    }

  /* Few rows ever show one: made the first time it is needed. */
  if (self->note_label == NULL)
    {
      self->note_label = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (self->note_label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (self->note_label), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (self->note_label, "caption");
      gtk_widget_add_css_class (self->note_label, "dim-label");
      gtk_box_insert_child_after (GTK_BOX (self->text_box), self->note_label,
                                  GTK_WIDGET (self->detail_label));
    }

  note = commit_note_text (note);
  gtk_label_set_text (GTK_LABEL (self->note_label), note);
  gtk_widget_set_tooltip_text (self->note_label, note);
  gtk_widget_set_visible (self->note_label, TRUE);
}

static gboolean
guard_done_cb (gpointer user_data)
{
  PcqJobRow *self = user_data;

  self->guard_source = 0;
  gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), TRUE);
  return G_SOURCE_REMOVE;
}

/* The round button of a task that changed state under the pointer
 * (Pause became Resume, Cancel made it Retry) does nothing for a
 * moment: the second click of a double click must not undo the first
 * or start the download again. */
static void
guard_action_button (PcqJobRow *self)
{
  g_clear_handle_id (&self->guard_source, g_source_remove);
  gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), FALSE);
  self->guard_source = g_timeout_add (PCQ_JOB_ROW_BUTTON_GUARD_MS, guard_done_cb, self);
  g_source_set_name_by_id (self->guard_source, "[pcq] row button guard");
}

static void
set_action_button (PcqJobRow  *self,
                   const char *action,
                   const char *icon_name,
                   const char *tooltip,
                   const char *label)
{
  if (g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (self->action_button)), action) == 0 &&
      g_strcmp0 (self->action_tooltip, tooltip) == 0)
    return;

  /* The same task as before, shown with its button (not a row bound
   * afresh, as the list scrolls). */
  if (self->shown >= 0 && gtk_widget_get_visible (GTK_WIDGET (self->action_button)))
    guard_action_button (self);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->action_button), action);
  gtk_button_set_icon_name (self->action_button, icon_name);
  /* Not gtk_widget_set_tooltip_text (): in GTK 4.8 it asks the display
   * server where the pointer is, a round trip per state change of every
   * row in view, which lost frames under load; the tooltip is given
   * when asked for (button_query_tooltip_cb ()). */
  self->action_tooltip = tooltip;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->action_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, tooltip,
                                  -1);
}

/* ---- just added ---------------------------------------------------- */

/* The tasks just added: every job from new_from_id on, until
 * new_until. Ids grow as tasks are added, so one pair marks a batch of
 * any size: nothing is kept on the jobs themselves. Main thread only. */
static guint64 new_from_id = G_MAXUINT64;
static gint64 new_until;

/**
 * pcq_job_row_mark_new:
 *
 * Makes @job's row, and the rows of the jobs added after it, stand out
 * for PCQ_JOB_ROW_NEW_MS from now.
 */
void
pcq_job_row_mark_new (PcqJob *job)
{
  gint64 now = g_get_monotonic_time ();
  guint64 id;

  g_return_if_fail (PCQ_IS_JOB (job));

  id = pcq_job_get_id (job);
  new_from_id = now < new_until ? MIN (new_from_id, id) : id;
  new_until = now + PCQ_JOB_ROW_NEW_MS * G_TIME_SPAN_MILLISECOND;
}

/**
 * pcq_job_row_get_new_until:
 *
 * Returns: until when (monotonic time) @job's row stands out, or 0
 */
gint64
pcq_job_row_get_new_until (PcqJob *job)
{
  return pcq_job_get_id (job) >= new_from_id ? new_until : 0;
}

/* The highlight is a layer under the row whose opacity alone changes:
 * a style class would restyle every bound row (up to 200) at once when
 * a batch stops standing out, a 30–50 ms frame on a busy window, and a
 * CSS transition would restyle them on every frame of the fade. */
static void
stop_fade (PcqJobRow *self)
{
  if (self->fade_tick != 0)
    gtk_widget_remove_tick_callback (self->highlight, self->fade_tick);
  self->fade_tick = 0;
}

static gboolean
fade_tick_cb (GtkWidget     *highlight,
              GdkFrameClock *frame_clock,
              gpointer       user_data)
{
  PcqJobRow *self = user_data;
  double t = (gdk_frame_clock_get_frame_time (frame_clock) - self->fade_start) / (double) NEW_FADE_US;

  if (t >= 1)
    {
      gtk_widget_set_opacity (highlight, 0);
      self->fade_tick = 0;
      return G_SOURCE_REMOVE;
    }

  /* Eased out: (1 − t)³ is what is left of it. */
  gtk_widget_set_opacity (highlight, (1 - t) * (1 - t) * (1 - t));
  return G_SOURCE_CONTINUE;
}

static gboolean
animations_enabled (GtkWidget *widget)
{
  gboolean enabled = TRUE;

  g_object_get (gtk_widget_get_settings (widget), "gtk-enable-animations", &enabled, NULL);
  return enabled;
}

static gboolean
new_done_cb (gpointer user_data)
{
  PcqJobRow *self = user_data;

  self->new_source = 0;
  stop_fade (self);
  if (gtk_widget_get_mapped (self->highlight) && animations_enabled (self->highlight))
    {
      self->fade_start = gdk_frame_clock_get_frame_time (gtk_widget_get_frame_clock (self->highlight));
      self->fade_tick = gtk_widget_add_tick_callback (self->highlight, fade_tick_cb, self, NULL);
    }
  else
    gtk_widget_set_opacity (self->highlight, 0);
  return G_SOURCE_REMOVE;
}

/**
 * pcq_job_row_update_new:
 *
 * Makes the row stand out if its job was marked new a moment ago, or
 * not. Done at bind; the list view binds some rows before their job
 * could be marked. A row bound to another job does not fade: it shows
 * that job's state at once.
 */
void
pcq_job_row_update_new (PcqJobRow *self)
{
  gint64 left = self->job ? pcq_job_row_get_new_until (self->job) - g_get_monotonic_time () : 0;

  g_clear_handle_id (&self->new_source, g_source_remove);
  stop_fade (self);
  if (left <= 0)
    {
      gtk_widget_set_opacity (self->highlight, 0);
      return;
    }

  gtk_widget_set_opacity (self->highlight, 1);
  self->new_source = g_timeout_add (left / G_TIME_SPAN_MILLISECOND + 1, new_done_cb, self);
  g_source_set_name_by_id (self->new_source, "[pcq] row new");
}

/**
 * pcq_job_row_get_stands_out:
 *
 * Returns: whether the row's just-added highlight shows, fading or not
 */
gboolean
pcq_job_row_get_stands_out (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), FALSE);

  return gtk_widget_get_opacity (self->highlight) > 0;
}

static void
update_state (PcqJobRow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  PcqJobState state = self->job ? pcq_job_get_state (self->job) : PCQ_JOB_QUEUED;
  gboolean has_job = self->job != NULL;
  gboolean unfinished = has_job && (state == PCQ_JOB_QUEUED || state == PCQ_JOB_ACTIVE);
  gboolean paused = has_job && state == PCQ_JOB_PAUSED;
  gboolean running = has_job && state == PCQ_JOB_ACTIVE;
  gboolean waiting = has_job && (state == PCQ_JOB_QUEUED || state == PCQ_JOB_PAUSED);
  gboolean retryable = has_job && (state == PCQ_JOB_FAILED || state == PCQ_JOB_CANCELLED);
  gboolean done = has_job && state == PCQ_JOB_DONE && pcq_job_get_output_path (self->job) != NULL;
  int shown = has_job ? (int) state * 2 + done : -1;

  /* Actions, buttons and style only change with the state. */
  if (shown == self->shown)
    {
      update_detail (self);
      update_progress (self);
      return;
    }
  self->shown = shown;

  /* A running Ask task downloads nothing yet: it waits for the answer. */
  gtk_image_set_from_icon_name (self->state_icon,
                                is_api (self) && state == PCQ_JOB_ACTIVE
                                  ? "content-loading-symbolic" : pcq_job_state_icon_name (state));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  is_api (self) && state == PCQ_JOB_ACTIVE
                                    ? _("Asking") : pcq_job_state_label (state),
                                  -1);
  update_error (self);
  update_note (self);

  gtk_widget_action_set_enabled (widget, "job.pause", unfinished);
  gtk_widget_action_set_enabled (widget, "job.resume", paused);
  gtk_widget_action_set_enabled (widget, "job.cancel", unfinished || paused);
  gtk_widget_action_set_enabled (widget, "job.retry", retryable);
  gtk_widget_action_set_enabled (widget, "job.open", done);
  gtk_widget_action_set_enabled (widget, "job.setup-api",
                                 has_job && state == PCQ_JOB_FAILED &&
                                 pcq_job_get_needs_setup (self->job));
  gtk_widget_action_set_enabled (widget, "job.show-answer", done && is_api (self));
  gtk_widget_action_set_enabled (widget, "job.show-in-folder", done);
  gtk_widget_action_set_enabled (widget, "job.remove", has_job);
  gtk_widget_action_set_enabled (widget, "job.copy-link", has_job && !is_api (self));
  gtk_widget_action_set_enabled (widget, "job.copy-prompt", is_ask (self));
  /* Only what waits moves; the window rings the bell at the ends. */
  gtk_widget_action_set_enabled (widget, "job.move-top", waiting);
  gtk_widget_action_set_enabled (widget, "job.move-up", waiting);
  gtk_widget_action_set_enabled (widget, "job.move-down", waiting);
  gtk_widget_action_set_enabled (widget, "job.move-bottom", waiting);

  /* One button for what is most likely wanted next; the rest (Cancel
   * too) is in the menu. (One widget rather than three: rows are built
   * often.) */
  if (unfinished)
    set_action_button (self, "job.pause", "media-playback-pause-symbolic",
                       _("Pause"), _("Pause Task"));
  else if (paused)
    set_action_button (self, "job.resume", "media-playback-start-symbolic",
                       _("Resume"), _("Resume Task"));
  else if (retryable)
    set_action_button (self, "job.retry", "view-refresh-symbolic",
                       _("Retry"), _("Retry Task"));
  else if (done && is_api (self))
    set_action_button (self, "job.open", "pcq-open-file-symbolic",
                       _("Open Answer"), _("Open the Answer"));
  else if (done)
    /* Not document-open-symbolic: in Adwaita that is a folder, and it
     * is Import's. */
    set_action_button (self, "job.open", "pcq-open-file-symbolic",
                       _("Open"), _("Open File"));
  gtk_widget_set_visible (GTK_WIDGET (self->action_button),
                          unfinished || paused || retryable || done);
  /* Shown only while running, but always taking its place: a row keeps
   * its height, and the list does not move as tasks start and end. */
  if (gtk_widget_get_child_visible (GTK_WIDGET (self->progress_bar)) != running)
    {
      gtk_widget_set_child_visible (GTK_WIDGET (self->progress_bar), running);
      /* A bar changed while hidden (emptied below) is not allocated
       * again by itself when shown, and its inscription neighbours
       * queue no layout: without this, a task resumed at once is drawn
       * before its bar has an allocation. */
      if (running)
        gtk_widget_queue_allocate (self->text_box);
    }

  if (state != PCQ_JOB_ACTIVE)
    {
      self->rate = 0;
      self->rate_time = 0;
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
    }

  /* On the icon alone: restyling the whole row would measure it again. */
  gtk_widget_remove_css_class (GTK_WIDGET (self->state_icon), "failed");
  gtk_widget_remove_css_class (GTK_WIDGET (self->state_icon), "done");
  if (has_job && state == PCQ_JOB_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_icon), "failed");
  else if (done)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_icon), "done");

  update_detail (self);
  update_progress (self);
}

static void
job_state_cb (PcqJobRow  *self,
              GParamSpec *pspec,
              PcqJob     *job)
{
  update_state (self);
}

static void
job_progress_cb (PcqJobRow  *self,
                 GParamSpec *pspec,
                 PcqJob     *job)
{
  update_progress (self);
}

static void
job_name_cb (PcqJobRow  *self,
             GParamSpec *pspec,
             PcqJob     *job)
{
  update_name (self);
}

static void
parent_cb (PcqJobRow  *self,
           GParamSpec *pspec,
           gpointer    user_data)
{
  update_spoken (self);
}

static void
job_error_cb (PcqJobRow  *self,
              GParamSpec *pspec,
              PcqJob     *job)
{
  update_error (self);
  update_spoken (self);
}

static void
job_commit_note_cb (PcqJobRow  *self,
                    GParamSpec *pspec,
                    PcqJob     *job)
{
  update_note (self);
}

static void
job_attempts_cb (PcqJobRow  *self,
                 GParamSpec *pspec,
                 PcqJob     *job)
{
  update_detail (self);
}
/* What the window does with a task: the row only names it. The window
 * can undo a cancel or a removal, and knows where a file opens. */
static const struct
{
  const char *row_action;
  const char *window_action;
} window_actions[] = {
  { "job.pause", "win.pause-task" },
  { "job.resume", "win.resume-task" },
  { "job.cancel", "win.cancel-task" },
  { "job.retry", "win.retry-task" },
  { "job.retry-now", "win.retry-task-now" },
  { "job.open", "win.open-task" },
  { "job.show-in-folder", "win.show-task-in-folder" },
  { "job.remove", "win.remove-task" },
  { "job.show-answer", "win.show-answer" },
  { "job.show-details", "win.show-details" },
  { "job.move-top", "win.move-task-top" },
  { "job.move-up", "win.move-task-up" },
  { "job.move-down", "win.move-task-down" },
  { "job.move-bottom", "win.move-task-bottom" },
};

static void
window_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  PcqJobRow *self = PCQ_JOB_ROW (widget);

  if (self->job == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (window_actions); i++)
    if (g_str_equal (action_name, window_actions[i].row_action))
      gtk_widget_activate_action (widget, window_actions[i].window_action, "t",
                                  pcq_job_get_id (self->job));
}

/* Preferences → API, for an Ask task whose server could not be reached. */
static void
setup_api_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  gtk_widget_activate_action (widget, "app.preferences-api", NULL);
}

static void
copy_prompt_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  PcqJobRow *self = PCQ_JOB_ROW (widget);

  if (is_ask (self) && pcq_job_get_prompt (self->job) != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), pcq_job_get_prompt (self->job));
}

static void
copy_link_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  PcqJobRow *self = PCQ_JOB_ROW (widget);

  if (self->job != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), pcq_job_get_url (self->job));
}

typedef struct
{
  GWeakRef  window;
  char     *folder;
} InitGitData;

static void
init_git_data_free (InitGitData *data)
{
  g_weak_ref_clear (&data->window);
  g_free (data->folder);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InitGitData, init_git_data_free)

static void
init_git_toast (InitGitData  *data,
                const GError *error)
{
  g_autoptr(GtkWidget) window = g_weak_ref_get (&data->window);
  g_autofree char *folder = g_filename_display_name (data->folder);
  g_autofree char *message = NULL;

  if (error == NULL)
    message = g_strdup_printf (_("Initialized a Git repository in %s"), folder);
  else
    message = g_strdup_printf (_("Could not initialize a Git repository in %s: %s"),
                               folder, error->message);

  if (window != NULL && PCQ_IS_WINDOW (window))
    _pcq_window_toast (PCQ_WINDOW (window), message);
  else if (error != NULL)
    g_warning ("%s", message);
}

static void
init_git_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(InitGitData) data = user_data;
  g_autoptr(GError) error = NULL;

  pcq_vcs_init_repository_finish (result, &error);
  init_git_toast (data, error);
}

/* `git init` in the task's output folder, with libgit2 (the GNOME
 * runtime has no `git` program). The engine commits what finishes
 * after that; what already finished stays as it is. */
static void
init_git_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  PcqJobRow *self = PCQ_JOB_ROW (widget);
  InitGitData *data;
  const char *folder;

  if (self->job == NULL)
    return;

  folder = pcq_job_get_output_dir (self->job);
  if (folder == NULL || *folder == '\0')
    return;

  data = g_new0 (InitGitData, 1);
  g_weak_ref_init (&data->window, gtk_widget_get_root (widget));
  data->folder = g_strdup (folder);

  pcq_vcs_init_repository_async (folder, NULL, init_git_done_cb, data);
}

/* ---- context menu -------------------------------------------------- */

/* One menu model serves every row, built when a row first shows it:
 * parsed in each row's template, its 18 items were a quarter of the
 * instructions a new row took, and the list builds rows whenever it
 * needs more. Its actions ("job.…") are found from the popover up, so
 * each row's menu acts on that row's job. */
static GMenuModel *
context_menu_model (void)
{
  static GMenuModel *model;

  if (model == NULL)
    {
      g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/com/example/Pcq/ui/pcq-job-row-menu.ui");

      model = g_object_ref (G_MENU_MODEL (gtk_builder_get_object (builder, "context_menu")));
    }

  return model;
}

/* The popover too is made the first time it is needed: most rows never
 * show it. */
static void
show_context_menu (PcqJobRow *self,
                   double     x,
                   double     y,
                   gboolean   at_button)
{
  GdkRectangle rect = { (int) x, (int) y, 1, 1 };

  if (self->job == NULL)
    return;

  if (self->context_popover == NULL)
    {
      self->context_popover = gtk_popover_menu_new_from_model (context_menu_model ());
      gtk_widget_set_parent (self->context_popover, GTK_WIDGET (self));
    }

  if (at_button)
    {
      graphene_rect_t bounds;

      if (!gtk_widget_compute_bounds (self->menu_button, GTK_WIDGET (self), &bounds))
        return;

      rect.x = (int) bounds.origin.x;
      rect.y = (int) bounds.origin.y;
      rect.width = (int) bounds.size.width;
      rect.height = (int) bounds.size.height;
    }

  gtk_popover_set_has_arrow (GTK_POPOVER (self->context_popover), at_button);
  gtk_popover_set_position (GTK_POPOVER (self->context_popover),
                            at_button ? GTK_POS_BOTTOM : GTK_POS_RIGHT);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->context_popover), &rect);
  gtk_popover_popup (GTK_POPOVER (self->context_popover));
}

static void
menu_button_clicked_cb (PcqJobRow *self,
                        GtkButton *button)
{
  show_context_menu (self, 0, 0, TRUE);
}

static gboolean
source_query_tooltip_cb (PcqJobRow  *self,
                         int         x,
                         int         y,
                         gboolean    keyboard,
                         GtkTooltip *tooltip,
                         GtkWidget  *label)
{
  if (self->job == NULL)
    return FALSE;

  /* An Ask task's whole prompt, a batch request's body, a link. */
  gtk_tooltip_set_text (tooltip, is_api (self) ? pcq_job_get_prompt (self->job)
                                               : pcq_job_get_url (self->job));
  return TRUE;
}

/* The round button's and the menu button's tooltips, given when asked
 * for rather than set (see set_action_button ()). */
static gboolean
button_query_tooltip_cb (PcqJobRow  *self,
                         int         x,
                         int         y,
                         gboolean    keyboard,
                         GtkTooltip *tooltip,
                         GtkWidget  *button)
{
  const char *text = button == GTK_WIDGET (self->action_button) ? self->action_tooltip : _("More");

  if (text == NULL)
    return FALSE;

  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
click_pressed_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  PcqJobRow       *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  show_context_menu (self, x, y, FALSE);
}

static void
long_pressed_cb (GtkGestureLongPress *gesture,
                 double               x,
                 double               y,
                 PcqJobRow           *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  show_context_menu (self, x, y, FALSE);
}

/**
 * pcq_job_row_popup_menu:
 *
 * Opens the row's menu, for the keyboard (Menu, Shift+F10).
 */
void
pcq_job_row_popup_menu (PcqJobRow *self)
{
  g_return_if_fail (PCQ_IS_JOB_ROW (self));

  show_context_menu (self, 0, 0, TRUE);
}

/* ---- object -------------------------------------------------------- */

PcqJob *
pcq_job_row_get_job (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), NULL);
  return self->job;
}

void
pcq_job_row_set_job (PcqJobRow *self,
                     PcqJob    *job)
{
  g_return_if_fail (PCQ_IS_JOB_ROW (self));
  g_return_if_fail (!job || PCQ_IS_JOB (job));

  if (!g_set_object (&self->job, job))
    return;

  self->rate = 0;
  self->rate_time = 0;
  self->detail_time = 0;
  self->detail_bytes = 0;
  self->pulse_time = 0;

  if (self->context_popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->context_popover));

  g_signal_group_set_target (self->job_signals, job);
  pcq_job_row_update_new (self);
  update_name (self);
  g_clear_handle_id (&self->guard_source, g_source_remove);
  gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), TRUE);
  self->shown = -2;  /* another job: show everything afresh */
  update_state (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
}

static const char *
inscription_text (GtkInscription *inscription)
{
  const char *text = gtk_inscription_get_text (inscription);

  return text != NULL ? text : "";
}

/**
 * pcq_job_row_get_detail_text:
 *
 * Returns: the detail line as shown ("Done · 1.0 kB")
 */
const char *
pcq_job_row_get_detail_text (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), NULL);

  return inscription_text (self->detail_label);
}

/**
 * pcq_job_row_get_error_text:
 *
 * Returns: (nullable): the error line as shown (with the wait for the
 *   next attempt), or %NULL when none shows
 */
const char *
pcq_job_row_get_error_text (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), NULL);

  if (self->error_label == NULL || !gtk_widget_get_visible (self->error_label))
    return NULL;
  return gtk_label_get_text (GTK_LABEL (self->error_label));
}

/**
 * pcq_job_row_get_title_text:
 *
 * Returns: the title as shown: the file name
 */
const char *
pcq_job_row_get_title_text (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), NULL);

  return inscription_text (self->name_label);
}

/**
 * pcq_job_row_get_source_text:
 *
 * Returns: the source line as shown: the link, an Ask task's prompt's
 *   first line, or a batch request's custom_id (and model)
 */
const char *
pcq_job_row_get_source_text (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), NULL);

  return inscription_text (self->source_label);
}

/**
 * pcq_job_row_get_note_text:
 *
 * Returns: the commit note as shown, or "" when none is
 */
const char *
pcq_job_row_get_note_text (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), NULL);

  if (self->note_label == NULL || !gtk_widget_get_visible (self->note_label))
    return "";

  return gtk_label_get_text (GTK_LABEL (self->note_label));
}

/**
 * pcq_job_row_get_shows_prompt:
 *
 * Returns: %TRUE if the row shows the Ask (chat) icon
 */
gboolean
pcq_job_row_get_shows_prompt (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), FALSE);

  return self->kind_icon != NULL && gtk_widget_get_visible (self->kind_icon);
}

/**
 * pcq_job_row_get_action_tooltip:
 *
 * Returns: (nullable): the tooltip the round button gives, for tests
 */
const char *
pcq_job_row_get_action_tooltip (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), NULL);

  return self->action_tooltip;
}

/**
 * pcq_job_row_get_action_button:
 *
 * Returns: (transfer none): the row's round button (Pause, Resume,
 *   Retry or Open; hidden when none fits), for tests
 */
GtkWidget *
pcq_job_row_get_action_button (PcqJobRow *self)
{
  g_return_val_if_fail (PCQ_IS_JOB_ROW (self), NULL);

  return GTK_WIDGET (self->action_button);
}

static void
pcq_job_row_dispose (GObject *object)
{
  PcqJobRow *self = (PcqJobRow *)object;
  GtkWidget *child;

  if (self->job_signals != NULL)
    g_signal_group_set_target (self->job_signals, NULL);
  g_clear_handle_id (&self->pulse_source, g_source_remove);
  g_clear_handle_id (&self->detail_source, g_source_remove);
  g_clear_handle_id (&self->guard_source, g_source_remove);
  g_clear_handle_id (&self->new_source, g_source_remove);
  stop_fade (self);
  g_clear_object (&self->job);
  g_clear_pointer (&self->context_popover, gtk_widget_unparent);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCQ_TYPE_JOB_ROW);

  /* GTK 4.8 unparents only the template children that are bound. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (pcq_job_row_parent_class)->dispose (object);
}

static void
pcq_job_row_finalize (GObject *object)
{
  PcqJobRow *self = (PcqJobRow *)object;

  g_clear_object (&self->job_signals);
  g_free (self->spoken);

  G_OBJECT_CLASS (pcq_job_row_parent_class)->finalize (object);
}

static void
pcq_job_row_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  PcqJobRow *self = PCQ_JOB_ROW (object);

  switch (prop_id)
    {
    case PROP_JOB:
      g_value_set_object (value, self->job);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_job_row_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  PcqJobRow *self = PCQ_JOB_ROW (object);

  switch (prop_id)
    {
    case PROP_JOB:
      pcq_job_row_set_job (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcq_job_row_class_init (PcqJobRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pcq_job_row_dispose;
  object_class->finalize = pcq_job_row_finalize;
  object_class->get_property = pcq_job_row_get_property;
  object_class->set_property = pcq_job_row_set_property;

  properties[PROP_JOB] =
    g_param_spec_object ("job", NULL, NULL, PCQ_TYPE_JOB,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Pcq/ui/pcq-job-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, highlight);
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, text_box);
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, state_icon);
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, source_box);
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, source_label);
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, action_button);
  gtk_widget_class_bind_template_child (widget_class, PcqJobRow, menu_button);
  gtk_widget_class_bind_template_callback (widget_class, menu_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, source_query_tooltip_cb);
  gtk_widget_class_bind_template_callback (widget_class, button_query_tooltip_cb);

  for (guint i = 0; i < G_N_ELEMENTS (window_actions); i++)
    gtk_widget_class_install_action (widget_class, window_actions[i].row_action, NULL,
                                     window_action);
  gtk_widget_class_install_action (widget_class, "job.copy-link", NULL, copy_link_action);
  gtk_widget_class_install_action (widget_class, "job.setup-api", NULL, setup_api_action);
  gtk_widget_class_install_action (widget_class, "job.copy-prompt", NULL, copy_prompt_action);
  gtk_widget_class_install_action (widget_class, "job.init-git", NULL, init_git_action);

  gtk_widget_class_set_css_name (widget_class, "pcq-job-row");
}

static void
pcq_job_row_init (PcqJobRow *self)
{
  GtkGesture *gesture;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->shown = -2;
  self->job_signals = g_signal_group_new (PCQ_TYPE_JOB);
  g_signal_group_connect_object (self->job_signals, "notify::state",
                                 G_CALLBACK (job_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::output-path",
                                 G_CALLBACK (job_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::output-path",
                                 G_CALLBACK (job_name_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::error",
                                 G_CALLBACK (job_error_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::retry-at",
                                 G_CALLBACK (job_error_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::bytes",
                                 G_CALLBACK (job_progress_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::total",
                                 G_CALLBACK (job_progress_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::commit-note",
                                 G_CALLBACK (job_commit_note_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::attempts",
                                 G_CALLBACK (job_attempts_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::prompt-tokens",
                                 G_CALLBACK (update_detail), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->job_signals, "notify::completion-tokens",
                                 G_CALLBACK (update_detail), self, G_CONNECT_SWAPPED);

  /* The list item to name comes after the row is made. */
  g_signal_connect (self, "notify::parent", G_CALLBACK (parent_cb), NULL);

  /* Dragged onto another waiting row, a waiting row takes its place. */
  _pcq_window_dnd_init_row (GTK_WIDGET (self));

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect (gesture, "pressed", G_CALLBACK (click_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (gesture), TRUE);
  g_signal_connect (gesture, "pressed", G_CALLBACK (long_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  update_state (self);
}
