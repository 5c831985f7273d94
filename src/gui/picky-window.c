/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window: a view switcher over the Inbox, Contacts and Channels pages. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-channels-page.h"
#include "picky-contacts-page.h"
#include "picky-inbox-page.h"
#include "picky-window.h"

#include "picky-accessible.h"

struct _PickyWindow
{
  AdwApplicationWindow parent_instance;

  /* template widgets */
  AdwToastOverlay *toast_overlay;
  AdwViewStack    *stack;
  AdwBin          *channels_bin;
  AdwBin          *contacts_bin;
  PickyInboxPage  *inbox_page;
  GtkRevealer     *purge_revealer;
  GtkProgressBar  *purge_bar;
  AdwStatusPage   *preparing_page;
  GtkProgressBar  *preparing_bar;

  /* owned */
  GSettings       *settings;
  PickyService    *service;
  PickyRetention  *retention;       /* whose purges the window shows */
  guint            preparing_id;    /* shows the preparing page, or pulses its bar */
  /* Each made when first shown (on_page_shown_cb()), or NULL; borrowed. */
  PickyChannelsPage *channels_page;
  PickyContactsPage *contacts_page;
};

/* How long opening the database may take before the window says it is
 * preparing the messages: an open that is over by then shows nothing. */
#define PREPARING_DELAY_MS 600
#define PREPARING_PULSE_MS 150

G_DEFINE_FINAL_TYPE (PickyWindow, picky_window, ADW_TYPE_APPLICATION_WINDOW)

static void
picky_window_show_page (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  PickyWindow *self = PICKY_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (adw_view_stack_get_child_by_name (self->stack, name) == NULL)
    {
      g_warning ("No page named “%s”", name);
      return;
    }

  adw_view_stack_set_visible_child_name (self->stack, name);
}

/* Ctrl+F searches the Inbox from any page and wherever the focus is. */
static void
picky_window_search (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  PickyWindow *self = PICKY_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->stack, "inbox");
  picky_inbox_page_start_search (self->inbox_page);
}

/* A contact's report, as the contact panel beside a conversation opens it. */
static void
picky_window_show_report (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  PickyWindow *self = PICKY_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->stack, "contacts");
  picky_contacts_page_show_report (self->contacts_page, g_variant_get_int64 (parameter));
}

static void
picky_window_save_state (PickyWindow *self)
{
  int width = 0;
  int height = 0;

  /* The default size follows the window's size while it is not maximized,
   * so restoring it gives back the size the admin last chose. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static gboolean
picky_window_close_request (GtkWindow *window)
{
  picky_window_save_state (PICKY_WINDOW (window));

  return GTK_WINDOW_CLASS (picky_window_parent_class)->close_request (window);
}

static void
on_purge_progress_cb (PickyRetention *retention,
                      gint64          done,
                      gint64          total,
                      PickyWindow    *self)
{
  g_autofree char *text = g_strdup_printf (_("Deleting old messages: %lld of %lld"), (long long) done,
                                           (long long) total);

  gtk_progress_bar_set_text (self->purge_bar, text);
  gtk_progress_bar_set_fraction (self->purge_bar, total > 0 ? (double) done / total : 0.0);
  gtk_revealer_set_reveal_child (self->purge_revealer, TRUE);
}

static void
on_purge_finished_cb (PickyRetention *retention,
                      gint64          removed,
                      const char     *error_message,
                      PickyWindow    *self)
{
  g_autofree char *text = NULL;

  gtk_revealer_set_reveal_child (self->purge_revealer, FALSE);
  if (error_message != NULL)
    text = g_strdup_printf (_("Old messages could not be deleted: %s"), error_message);
  else if (removed > 0)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u old message deleted", "%'u old messages deleted",
                                         removed),
                            (guint) removed);
  if (text != NULL)
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
set_preparing_visible (PickyWindow *self,
                       gboolean     visible)
{
  gtk_widget_set_visible (GTK_WIDGET (self->preparing_page), visible);
  gtk_widget_set_visible (GTK_WIDGET (self->stack), !visible);
}

/* Until the update of an earlier version's file tells how far it has
 * come, the bar moves to say that something is happening. */
static gboolean
on_preparing_tick_cb (gpointer data)
{
  PickyWindow *self = data;
  double progress = picky_service_get_open_progress (self->service);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->preparing_page)))
    {
      set_preparing_visible (self, TRUE);
      self->preparing_id = g_timeout_add (PREPARING_PULSE_MS, on_preparing_tick_cb, self);
      return G_SOURCE_REMOVE;
    }

  if (progress <= 0)
    gtk_progress_bar_pulse (self->preparing_bar);
  return G_SOURCE_CONTINUE;
}

static void
on_open_progress_cb (PickyWindow *self)
{
  double progress = self->service != NULL ? picky_service_get_open_progress (self->service) : -1;

  if (progress < 0)
    {
      g_clear_handle_id (&self->preparing_id, g_source_remove);
      set_preparing_visible (self, FALSE);
      return;
    }

  if (progress > 0)
    gtk_progress_bar_set_fraction (self->preparing_bar, progress);
  if (self->preparing_id == 0)
    self->preparing_id = g_timeout_add (PREPARING_DELAY_MS, on_preparing_tick_cb, self);
}

/* The service makes its retention once the database is open. */
static void
on_service_ready_cb (PickyWindow *self)
{
  PickyRetention *retention = picky_service_get_retention (self->service);

  if (retention == NULL || retention == self->retention)
    return;

  if (self->retention != NULL)
    g_signal_handlers_disconnect_by_data (self->retention, self);
  g_set_object (&self->retention, retention);
  g_signal_connect_object (retention, "progress", G_CALLBACK (on_purge_progress_cb), self, 0);
  g_signal_connect_object (retention, "finished", G_CALLBACK (on_purge_finished_cb), self, 0);
}

static void
picky_window_dispose (GObject *object)
{
  PickyWindow *self = PICKY_WINDOW (object);

  if (self->retention != NULL)
    g_signal_handlers_disconnect_by_data (self->retention, self);
  g_clear_handle_id (&self->preparing_id, g_source_remove);
  g_clear_object (&self->retention);
  g_clear_object (&self->service);

  G_OBJECT_CLASS (picky_window_parent_class)->dispose (object);
}

static void
picky_window_finalize (GObject *object)
{
  PickyWindow *self = PICKY_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (picky_window_parent_class)->finalize (object);
}

static void
picky_window_class_init (PickyWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = picky_window_dispose;
  object_class->finalize = picky_window_finalize;
  window_class->close_request = picky_window_close_request;

  g_type_ensure (PICKY_TYPE_INBOX_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PickyWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, PickyWindow, channels_bin);
  gtk_widget_class_bind_template_child (widget_class, PickyWindow, contacts_bin);
  gtk_widget_class_bind_template_child (widget_class, PickyWindow, inbox_page);
  gtk_widget_class_bind_template_child (widget_class, PickyWindow, purge_revealer);
  gtk_widget_class_bind_template_child (widget_class, PickyWindow, purge_bar);
  gtk_widget_class_bind_template_child (widget_class, PickyWindow, preparing_page);
  gtk_widget_class_bind_template_child (widget_class, PickyWindow, preparing_bar);

  gtk_widget_class_install_action (widget_class, "win.show-page", "s", picky_window_show_page);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, picky_window_search);
  gtk_widget_class_install_action (widget_class, "win.show-report", "x", picky_window_show_report);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK,
                                       "win.show-page", "s", "inbox");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK,
                                       "win.show-page", "s", "contacts");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK,
                                       "win.show-page", "s", "channels");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
}

static void
picky_window_init (PickyWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

/* Contacts and Channels are made when first shown: at start-up the Inbox's
 * first page is what the admin waits for, and building the other two pages
 * (their widgets, a row for every channel and app) came before it. */
static void
on_page_shown_cb (PickyWindow *self)
{
  const char *page = adw_view_stack_get_visible_child_name (self->stack);

  if (self->contacts_page == NULL && g_strcmp0 (page, "contacts") == 0)
    {
      self->contacts_page = g_object_new (PICKY_TYPE_CONTACTS_PAGE, NULL);
      adw_bin_set_child (self->contacts_bin, GTK_WIDGET (self->contacts_page));
      picky_accessible_mend_tree (GTK_WIDGET (self->contacts_page));
      picky_contacts_page_set_service (self->contacts_page, self->service);
    }
  else if (self->channels_page == NULL && g_strcmp0 (page, "channels") == 0)
    {
      self->channels_page = g_object_new (PICKY_TYPE_CHANNELS_PAGE, NULL);
      adw_bin_set_child (self->channels_bin, GTK_WIDGET (self->channels_page));
      picky_accessible_mend_tree (GTK_WIDGET (self->channels_page));
      picky_channels_page_set_service (self->channels_page, self->service);
    }
}

/**
 * picky_window_new:
 * @application: the application the window belongs to
 *
 * Returns: (transfer full): a new main window
 */
PickyWindow *
picky_window_new (PickyApplication *application)
{
  PickyWindow *self;

  g_return_val_if_fail (PICKY_IS_APPLICATION (application), NULL);

  self = g_object_new (PICKY_TYPE_WINDOW, "application", application, NULL);
  picky_inbox_page_set_service (self->inbox_page, picky_application_get_service (application));
  g_set_object (&self->service, picky_application_get_service (application));
  if (self->service != NULL)
    {
      g_signal_connect_object (self->stack, "notify::visible-child-name", G_CALLBACK (on_page_shown_cb), self,
                               G_CONNECT_SWAPPED);
      on_page_shown_cb (self);
      g_signal_connect_object (self->service, "notify::ready", G_CALLBACK (on_service_ready_cb), self,
                               G_CONNECT_SWAPPED);
      on_service_ready_cb (self);
      g_signal_connect_object (self->service, "notify::open-progress", G_CALLBACK (on_open_progress_cb), self,
                               G_CONNECT_SWAPPED);
      on_open_progress_cb (self);
    }
  return self;
}

/**
 * picky_window_get_visible_page:
 * @self: a #PickyWindow
 *
 * Returns: the name of the page shown: "inbox", "contacts" or "channels"
 */
const char *
picky_window_get_visible_page (PickyWindow *self)
{
  g_return_val_if_fail (PICKY_IS_WINDOW (self), NULL);

  return adw_view_stack_get_visible_child_name (self->stack);
}

/**
 * picky_window_add_toast:
 * @self: a #PickyWindow
 * @toast: (transfer full): the news to show
 *
 * Shows transient news at the bottom of the window.
 */
void
picky_window_add_toast (PickyWindow *self,
                        AdwToast    *toast)
{
  g_return_if_fail (PICKY_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/**
 * picky_window_open_message:
 * @self: a #PickyWindow
 * @message_id: a stored message
 *
 * Shows the Inbox with the conversation of @message_id open.
 */
void
picky_window_open_message (PickyWindow *self,
                           gint64       message_id)
{
  g_return_if_fail (PICKY_IS_WINDOW (self));

  adw_view_stack_set_visible_child_name (self->stack, "inbox");
  picky_inbox_page_open_message (self->inbox_page, message_id);
}
