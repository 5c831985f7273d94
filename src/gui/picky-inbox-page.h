/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inbox page: incoming messages, newest first. */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PICKY_TYPE_INBOX_PAGE (picky_inbox_page_get_type ())

G_DECLARE_FINAL_TYPE (PickyInboxPage, picky_inbox_page, PICKY, INBOX_PAGE, AdwBin)

G_END_DECLS
