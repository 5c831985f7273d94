/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Channels page: connected messaging apps and their access switches. */

#include "config.h"

#include "picky-channels-page.h"

struct _PickyChannelsPage
{
  AdwBin parent_instance;

  /* template widgets */
  AdwStatusPage *empty_page;
};

G_DEFINE_FINAL_TYPE (PickyChannelsPage, picky_channels_page, ADW_TYPE_BIN)

static void
picky_channels_page_class_init (PickyChannelsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-channels-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, empty_page);
}

static void
picky_channels_page_init (PickyChannelsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
