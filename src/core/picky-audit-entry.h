/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One entry of the audit trail: when, what was done, to which object, and non-personal details. */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PICKY_TYPE_AUDIT_ENTRY (picky_audit_entry_get_type ())

G_DECLARE_FINAL_TYPE (PickyAuditEntry, picky_audit_entry, PICKY, AUDIT_ENTRY, GObject)

PickyAuditEntry *picky_audit_entry_new        (gint64      id,
                                               gint64      time,
                                               const char *action,
                                               const char *object,
                                               const char *detail);
gint64           picky_audit_entry_get_id     (PickyAuditEntry *self);
gint64           picky_audit_entry_get_time   (PickyAuditEntry *self);
const char      *picky_audit_entry_get_action (PickyAuditEntry *self);
const char      *picky_audit_entry_get_object (PickyAuditEntry *self);
const char      *picky_audit_entry_get_detail (PickyAuditEntry *self);

G_END_DECLS
