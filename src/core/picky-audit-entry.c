/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One entry of the audit trail, as the store read it: immutable once made. */

#include "config.h"

#include "picky-audit-entry.h"

struct _PickyAuditEntry
{
  GObject  parent_instance;

  gint64   id;
  gint64   time;
  char    *action;
  char    *object;
  char    *detail;
};

G_DEFINE_FINAL_TYPE (PickyAuditEntry, picky_audit_entry, G_TYPE_OBJECT)

static void
picky_audit_entry_finalize (GObject *object)
{
  PickyAuditEntry *self = PICKY_AUDIT_ENTRY (object);

  g_free (self->action);
  g_free (self->object);
  g_free (self->detail);

  G_OBJECT_CLASS (picky_audit_entry_parent_class)->finalize (object);
}

static void
picky_audit_entry_class_init (PickyAuditEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = picky_audit_entry_finalize;
}

static void
picky_audit_entry_init (PickyAuditEntry *self)
{
}

/**
 * picky_audit_entry_new:
 * @object: (nullable): what the action was done to, e.g. "channel 3"
 * @detail: (nullable): non-personal details
 */
PickyAuditEntry *
picky_audit_entry_new (gint64      id,
                       gint64      time,
                       const char *action,
                       const char *object,
                       const char *detail)
{
  PickyAuditEntry *self;

  g_return_val_if_fail (action != NULL, NULL);

  self = g_object_new (PICKY_TYPE_AUDIT_ENTRY, NULL);
  self->id = id;
  self->time = time;
  self->action = g_strdup (action);
  self->object = g_strdup (object != NULL ? object : "");
  self->detail = g_strdup (detail != NULL ? detail : "");

  return self;
}

gint64
picky_audit_entry_get_id (PickyAuditEntry *self)
{
  g_return_val_if_fail (PICKY_IS_AUDIT_ENTRY (self), 0);

  return self->id;
}

/* Unix seconds. */
gint64
picky_audit_entry_get_time (PickyAuditEntry *self)
{
  g_return_val_if_fail (PICKY_IS_AUDIT_ENTRY (self), 0);

  return self->time;
}

const char *
picky_audit_entry_get_action (PickyAuditEntry *self)
{
  g_return_val_if_fail (PICKY_IS_AUDIT_ENTRY (self), NULL);

  return self->action;
}

/* Empty when the action concerns no single object. */
const char *
picky_audit_entry_get_object (PickyAuditEntry *self)
{
  g_return_val_if_fail (PICKY_IS_AUDIT_ENTRY (self), NULL);

  return self->object;
}

const char *
picky_audit_entry_get_detail (PickyAuditEntry *self)
{
  g_return_val_if_fail (PICKY_IS_AUDIT_ENTRY (self), NULL);

  return self->detail;
}
