/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit log in Preferences: entries newest first, a filter by action, CSV export and verification. */

#pragma once

#include <adwaita.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_TYPE_AUDIT_LOG_PAGE (picky_audit_log_page_get_type ())

G_DECLARE_FINAL_TYPE (PickyAuditLogPage, picky_audit_log_page, PICKY, AUDIT_LOG_PAGE, GtkBox)

PickyAuditLogPage *picky_audit_log_page_new         (PickyStore        *store);
GListModel        *picky_audit_log_page_get_model   (PickyAuditLogPage *self);
gboolean           picky_audit_log_page_get_loading (PickyAuditLogPage *self);
void               picky_audit_log_page_export      (PickyAuditLogPage *self,
                                                     const char        *path);

G_END_DECLS
