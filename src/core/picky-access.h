/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The admin's per-app switches: whether the console reads from and sends to each app. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PICKY_ACCESS_ERROR (picky_access_error_quark ())

typedef enum {
  PICKY_ACCESS_ERROR_PUSH_OFF,   /* sending to this app is switched off */
} PickyAccessError;

/* Which of an app's two switches changed. */
typedef enum {
  PICKY_ACCESS_RIGHT_READ,
  PICKY_ACCESS_RIGHT_PUSH,
} PickyAccessRight;

#define PICKY_TYPE_ACCESS_RIGHT (picky_access_right_get_type ())
#define PICKY_TYPE_ACCESS (picky_access_get_type ())

GType picky_access_right_get_type (void) G_GNUC_CONST;

G_DECLARE_FINAL_TYPE (PickyAccess, picky_access, PICKY, ACCESS, GObject)

GQuark       picky_access_error_quark     (void);

PickyAccess *picky_access_new             (GSettings   *settings);
GSettings   *picky_access_get_settings    (PickyAccess *self);

gboolean     picky_access_can_read        (PickyAccess *self,
                                           const char  *app_id);
gboolean     picky_access_can_push        (PickyAccess *self,
                                           const char  *app_id);
void         picky_access_set_read        (PickyAccess *self,
                                           const char  *app_id,
                                           gboolean     enabled);
void         picky_access_set_push        (PickyAccess *self,
                                           const char  *app_id,
                                           gboolean     enabled);
gboolean     picky_access_check_push      (PickyAccess *self,
                                           const char  *app_id,
                                           GError     **error);

/* Messages of an app acknowledged and dropped while its reading was off. */
void         picky_access_count_dropped   (PickyAccess *self,
                                           const char  *app_id,
                                           guint        n_messages);
guint64      picky_access_get_dropped     (PickyAccess *self,
                                           const char  *app_id);
void         picky_access_reset_dropped   (PickyAccess *self,
                                           const char  *app_id);
char        *picky_access_format_dropped  (const char  *app_id,
                                           guint64      n_messages);

G_END_DECLS
