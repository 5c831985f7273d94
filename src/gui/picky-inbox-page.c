/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inbox page: incoming messages, newest first. */

#include "config.h"

#include "picky-inbox-page.h"

struct _PickyInboxPage
{
  AdwBin parent_instance;

  /* template widgets */
  AdwStatusPage *empty_page;
};

G_DEFINE_FINAL_TYPE (PickyInboxPage, picky_inbox_page, ADW_TYPE_BIN)

static void
picky_inbox_page_class_init (PickyInboxPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-inbox-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, empty_page);
}

static void
picky_inbox_page_init (PickyInboxPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
