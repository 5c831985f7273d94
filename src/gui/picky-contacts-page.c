/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Contacts page: everyone who wrote, with a report for each. */

#include "config.h"

#include "picky-contacts-page.h"

struct _PickyContactsPage
{
  AdwBin parent_instance;

  /* template widgets */
  AdwStatusPage *empty_page;
};

G_DEFINE_FINAL_TYPE (PickyContactsPage, picky_contacts_page, ADW_TYPE_BIN)

static void
picky_contacts_page_class_init (PickyContactsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-contacts-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyContactsPage, empty_page);
}

static void
picky_contacts_page_init (PickyContactsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
