/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One row of the Inbox list: app, contact, first line of text, time and unread dot. */

#pragma once

#include <adwaita.h>

#include "picky-message.h"

G_BEGIN_DECLS

#define PICKY_TYPE_INBOX_ROW (picky_inbox_row_get_type ())

G_DECLARE_FINAL_TYPE (PickyInboxRow, picky_inbox_row, PICKY, INBOX_ROW, GtkWidget)

GtkWidget    *picky_inbox_row_new               (void);
void          picky_inbox_row_set_message       (PickyInboxRow *self,
                                                 PickyMessage  *message,
                                                 const char    *highlight,
                                                 gint64         now);
PickyMessage *picky_inbox_row_get_message       (PickyInboxRow *self);
const char   *picky_inbox_row_get_preview       (PickyInboxRow *self);

char         *picky_inbox_format_waiting        (gint64         since,
                                                 gint64         now);
const char   *picky_inbox_describe_kind         (PickyMessageKind kind);
char         *picky_inbox_highlight_markup      (const char    *text,
                                                 const char    *words);

G_END_DECLS
