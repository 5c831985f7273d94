/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One message as channels produce it and the store keeps it. */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  PICKY_DIRECTION_IN,
  PICKY_DIRECTION_OUT,
} PickyDirection;

typedef enum {
  PICKY_MESSAGE_KIND_TEXT,
  PICKY_MESSAGE_KIND_IMAGE,
  PICKY_MESSAGE_KIND_AUDIO,
  PICKY_MESSAGE_KIND_VIDEO,
  PICKY_MESSAGE_KIND_DOCUMENT,
  PICKY_MESSAGE_KIND_STICKER,
  PICKY_MESSAGE_KIND_LOCATION,
  PICKY_MESSAGE_KIND_CONTACT,
  PICKY_MESSAGE_KIND_REACTION,
  PICKY_MESSAGE_KIND_UNSUPPORTED,
} PickyMessageKind;

/* Ordered: an outgoing message's status only ever moves to a higher value,
 * except that FAILED may follow QUEUED or SENT. */
typedef enum {
  PICKY_MESSAGE_STATUS_NONE,
  PICKY_MESSAGE_STATUS_QUEUED,
  PICKY_MESSAGE_STATUS_SENT,
  PICKY_MESSAGE_STATUS_DELIVERED,
  PICKY_MESSAGE_STATUS_READ,
  PICKY_MESSAGE_STATUS_FAILED,
} PickyMessageStatus;

/* What an ingested item asks of the store. */
typedef enum {
  PICKY_MESSAGE_OP_INSERT,  /* new message; a known provider key is a duplicate */
  PICKY_MESSAGE_OP_EDIT,    /* replaces the text of the message with this key */
  PICKY_MESSAGE_OP_STATUS,  /* moves the status of the outgoing message with this key */
} PickyMessageOp;

#define PICKY_TYPE_MESSAGE (picky_message_get_type ())

G_DECLARE_FINAL_TYPE (PickyMessage, picky_message, PICKY, MESSAGE, GObject)

PickyMessage      *picky_message_new                 (void);
void               picky_message_changed             (PickyMessage      *self);
const char        *picky_message_get_display_name    (PickyMessage      *self);
void               picky_message_fill                (PickyMessage      *self,
                                                      PickyMessage      *source);

const char        *picky_message_kind_to_string      (PickyMessageKind   kind);
gboolean           picky_message_kind_from_string    (const char        *str,
                                                      PickyMessageKind  *kind);
const char        *picky_message_status_to_string    (PickyMessageStatus status);
gboolean           picky_message_status_from_string  (const char        *str,
                                                      PickyMessageStatus *status);
gboolean           picky_message_status_is_pending   (PickyMessageStatus status);
gboolean           picky_message_status_can_move     (PickyMessageStatus from,
                                                      PickyMessageStatus to);

gint64             picky_message_get_id              (PickyMessage *self);
void               picky_message_set_id              (PickyMessage *self, gint64 id);
gboolean           picky_message_get_is_new          (PickyMessage *self);
void               picky_message_set_is_new          (PickyMessage *self, gboolean is_new);
PickyMessageOp     picky_message_get_op              (PickyMessage *self);
void               picky_message_set_op              (PickyMessage *self, PickyMessageOp op);
gint64             picky_message_get_channel_id      (PickyMessage *self);
void               picky_message_set_channel_id      (PickyMessage *self, gint64 channel_id);
const char        *picky_message_get_app             (PickyMessage *self);
void               picky_message_set_app             (PickyMessage *self, const char *app);
const char        *picky_message_get_provider_key    (PickyMessage *self);
void               picky_message_set_provider_key    (PickyMessage *self, const char *key);
gint64             picky_message_get_contact_id      (PickyMessage *self);
void               picky_message_set_contact_id      (PickyMessage *self, gint64 contact_id);
const char        *picky_message_get_contact_provider_id (PickyMessage *self);
void               picky_message_set_contact_provider_id (PickyMessage *self, const char *id);
const char        *picky_message_get_contact_name    (PickyMessage *self);
void               picky_message_set_contact_name    (PickyMessage *self, const char *name);
const char        *picky_message_get_contact_phone   (PickyMessage *self);
void               picky_message_set_contact_phone   (PickyMessage *self, const char *phone);
PickyDirection     picky_message_get_direction       (PickyMessage *self);
void               picky_message_set_direction       (PickyMessage *self, PickyDirection direction);
PickyMessageKind   picky_message_get_kind            (PickyMessage *self);
void               picky_message_set_kind            (PickyMessage *self, PickyMessageKind kind);
const char        *picky_message_get_text            (PickyMessage *self);
void               picky_message_set_text            (PickyMessage *self, const char *text);
const char        *picky_message_get_media           (PickyMessage *self);
void               picky_message_set_media           (PickyMessage *self, const char *media_json);
const char        *picky_message_get_related_key     (PickyMessage *self);
void               picky_message_set_related_key     (PickyMessage *self, const char *key);
gint64             picky_message_get_timestamp       (PickyMessage *self);
void               picky_message_set_timestamp       (PickyMessage *self, gint64 unix_seconds);
gint64             picky_message_get_received        (PickyMessage *self);
void               picky_message_set_received        (PickyMessage *self, gint64 unix_seconds);
PickyMessageStatus picky_message_get_status          (PickyMessage *self);
void               picky_message_set_status          (PickyMessage *self, PickyMessageStatus status);
const char        *picky_message_get_error           (PickyMessage *self);
void               picky_message_set_error           (PickyMessage *self, const char *error);
gboolean           picky_message_get_edited          (PickyMessage *self);
void               picky_message_set_edited          (PickyMessage *self, gboolean edited);
gboolean           picky_message_get_unread          (PickyMessage *self);
void               picky_message_set_unread          (PickyMessage *self, gboolean unread);
const char        *picky_message_get_reactions       (PickyMessage *self);
void               picky_message_set_reactions       (PickyMessage *self, const char *reactions);

G_END_DECLS
