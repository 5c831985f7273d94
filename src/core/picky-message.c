/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One message as channels produce it and the store keeps it. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "picky-message.h"

/* A plain data object without properties, because millions pass through
 * ingest and the list models. Its one signal, ::changed, is for the few
 * that a view shows: a signal costs nothing on the messages nobody watches. */
struct _PickyMessage
{
  GObject parent_instance;

  gint64 id;
  gboolean is_new;
  PickyMessageOp op;
  gint64 channel_id;
  char *app;
  char *provider_key;
  gint64 contact_id;
  char *contact_provider_id;
  char *contact_name;
  char *contact_phone;
  PickyDirection direction;
  PickyMessageKind kind;
  char *text;
  char *media;
  char *related_key;
  gint64 timestamp;
  gint64 received;
  PickyMessageStatus status;
  char *error;
  gboolean edited;
  gboolean unread;
  char *reactions;
};

G_DEFINE_FINAL_TYPE (PickyMessage, picky_message, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Stored in the database and exported: these strings must never change. */
static const char *kind_names[] = {
  "text", "image", "audio", "video", "document", "sticker",
  "location", "contact", "reaction", "unsupported",
};

static const char *status_names[] = {
  "none", "queued", "sent", "delivered", "read", "failed",
};

static gboolean
lookup_name (const char  *str,
             const char **names,
             guint        n_names,
             int         *value)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < n_names; i++)
    if (strcmp (names[i], str) == 0)
      {
        *value = i;
        return TRUE;
      }

  return FALSE;
}

static void
replace_str (char       **slot,
             const char  *value)
{
  char *copy = g_strdup (value);

  g_free (*slot);
  *slot = copy;
}

static void
picky_message_finalize (GObject *object)
{
  PickyMessage *self = PICKY_MESSAGE (object);

  g_free (self->app);
  g_free (self->provider_key);
  g_free (self->contact_provider_id);
  g_free (self->contact_name);
  g_free (self->contact_phone);
  g_free (self->text);
  g_free (self->media);
  g_free (self->related_key);
  g_free (self->error);
  g_free (self->reactions);

  G_OBJECT_CLASS (picky_message_parent_class)->finalize (object);
}

static void
picky_message_class_init (PickyMessageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = picky_message_finalize;

  /**
   * PickyMessage::changed:
   *
   * Emitted by whoever changed a message that a view may show, through
   * picky_message_changed(): the setters do not emit it, so that a batch
   * of changes is shown once.
   */
  signals[CHANGED] = g_signal_new ("changed",
                                   G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
picky_message_init (PickyMessage *self)
{
  self->op = PICKY_MESSAGE_OP_INSERT;
  self->direction = PICKY_DIRECTION_IN;
  self->kind = PICKY_MESSAGE_KIND_TEXT;
  self->status = PICKY_MESSAGE_STATUS_NONE;
}

/**
 * picky_message_new:
 *
 * Returns: (transfer full): an empty incoming text message
 */
PickyMessage *
picky_message_new (void)
{
  return g_object_new (PICKY_TYPE_MESSAGE, NULL);
}

/**
 * picky_message_get_display_name:
 *
 * Returns: what to call the contact of @self: their name, else their id in
 *   the app (a number or a user name), else "Unknown contact"
 */
const char *
picky_message_get_display_name (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  if (self->contact_name != NULL && *self->contact_name != '\0')
    return self->contact_name;
  if (self->contact_provider_id != NULL)
    return self->contact_provider_id;

  return _("Unknown contact");
}

/**
 * picky_message_changed:
 *
 * Tells the views showing @self that it changed.
 */
void
picky_message_changed (PickyMessage *self)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_signal_emit (self, signals[CHANGED], 0);
}

/**
 * picky_message_fill:
 * @source: the message to copy
 *
 * Makes @self a copy of @source and tells its views, so that a row that
 * stood in for a message still being read shows it when it arrives.
 */
void
picky_message_fill (PickyMessage *self,
                    PickyMessage *source)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));
  g_return_if_fail (PICKY_IS_MESSAGE (source));

  self->id = source->id;
  self->is_new = source->is_new;
  self->op = source->op;
  self->channel_id = source->channel_id;
  replace_str (&self->app, source->app);
  replace_str (&self->provider_key, source->provider_key);
  self->contact_id = source->contact_id;
  replace_str (&self->contact_provider_id, source->contact_provider_id);
  replace_str (&self->contact_name, source->contact_name);
  replace_str (&self->contact_phone, source->contact_phone);
  self->direction = source->direction;
  self->kind = source->kind;
  replace_str (&self->text, source->text);
  replace_str (&self->media, source->media);
  replace_str (&self->related_key, source->related_key);
  self->timestamp = source->timestamp;
  self->received = source->received;
  self->status = source->status;
  replace_str (&self->error, source->error);
  self->edited = source->edited;
  self->unread = source->unread;
  replace_str (&self->reactions, source->reactions);

  picky_message_changed (self);
}

const char *
picky_message_kind_to_string (PickyMessageKind kind)
{
  g_return_val_if_fail (kind < G_N_ELEMENTS (kind_names), NULL);

  return kind_names[kind];
}

gboolean
picky_message_kind_from_string (const char       *str,
                                PickyMessageKind *kind)
{
  int value;

  if (!lookup_name (str, kind_names, G_N_ELEMENTS (kind_names), &value))
    return FALSE;

  *kind = value;
  return TRUE;
}

const char *
picky_message_status_to_string (PickyMessageStatus status)
{
  g_return_val_if_fail (status < G_N_ELEMENTS (status_names), NULL);

  return status_names[status];
}

gboolean
picky_message_status_from_string (const char         *str,
                                  PickyMessageStatus *status)
{
  int value;

  if (!lookup_name (str, status_names, G_N_ELEMENTS (status_names), &value))
    return FALSE;

  *status = value;
  return TRUE;
}

/**
 * picky_message_status_can_move:
 *
 * Statuses arrive out of order and more than once (a late "delivered" after
 * "read"); only a move forward is taken. A failure ends a message that was
 * not yet delivered; a delivered or read message cannot fail afterwards.
 *
 * Returns: whether a message with status @from may take status @to
 */
gboolean
picky_message_status_can_move (PickyMessageStatus from,
                               PickyMessageStatus to)
{
  if (to == PICKY_MESSAGE_STATUS_FAILED)
    return from < PICKY_MESSAGE_STATUS_DELIVERED;
  if (from == PICKY_MESSAGE_STATUS_FAILED)
    return FALSE;

  return to > from;
}

/**
 * picky_message_status_is_pending:
 *
 * A reply of ours that is queued, or failed and waits for a retry, has not
 * reached the customer: it answers nothing yet.
 *
 * Returns: whether @status is that of a reply that has not gone out
 */
gboolean
picky_message_status_is_pending (PickyMessageStatus status)
{
  return status == PICKY_MESSAGE_STATUS_QUEUED || status == PICKY_MESSAGE_STATUS_FAILED;
}

gint64
picky_message_get_id (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), 0);

  return self->id;
}

void
picky_message_set_id (PickyMessage *self,
                      gint64 id)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->id = id;
}

gboolean
picky_message_get_is_new (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), FALSE);

  return self->is_new;
}

void
picky_message_set_is_new (PickyMessage *self,
                          gboolean is_new)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->is_new = is_new;
}

PickyMessageOp
picky_message_get_op (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), 0);

  return self->op;
}

void
picky_message_set_op (PickyMessage *self,
                      PickyMessageOp op)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->op = op;
}

gint64
picky_message_get_channel_id (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), 0);

  return self->channel_id;
}

void
picky_message_set_channel_id (PickyMessage *self,
                              gint64 channel_id)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->channel_id = channel_id;
}

const char *
picky_message_get_app (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->app;
}

void
picky_message_set_app (PickyMessage *self,
                       const char   *app)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_free (self->app);
  self->app = g_strdup (app);
}

const char *
picky_message_get_provider_key (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->provider_key;
}

void
picky_message_set_provider_key (PickyMessage *self,
                                const char   *key)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_free (self->provider_key);
  self->provider_key = g_strdup (key);
}

gint64
picky_message_get_contact_id (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), 0);

  return self->contact_id;
}

void
picky_message_set_contact_id (PickyMessage *self,
                              gint64 contact_id)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->contact_id = contact_id;
}

const char *
picky_message_get_contact_provider_id (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->contact_provider_id;
}

void
picky_message_set_contact_provider_id (PickyMessage *self,
                                       const char   *id)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_free (self->contact_provider_id);
  self->contact_provider_id = g_strdup (id);
}

const char *
picky_message_get_contact_name (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->contact_name;
}

void
picky_message_set_contact_name (PickyMessage *self,
                                const char   *name)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_free (self->contact_name);
  self->contact_name = g_strdup (name);
}

const char *
picky_message_get_contact_phone (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->contact_phone;
}

void
picky_message_set_contact_phone (PickyMessage *self,
                                 const char   *phone)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_free (self->contact_phone);
  self->contact_phone = g_strdup (phone);
}

PickyDirection
picky_message_get_direction (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), 0);

  return self->direction;
}

void
picky_message_set_direction (PickyMessage *self,
                             PickyDirection direction)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->direction = direction;
}

PickyMessageKind
picky_message_get_kind (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), 0);

  return self->kind;
}

void
picky_message_set_kind (PickyMessage *self,
                        PickyMessageKind kind)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->kind = kind;
}

const char *
picky_message_get_text (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->text;
}

void
picky_message_set_text (PickyMessage *self,
                        const char   *text)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_free (self->text);
  self->text = g_strdup (text);
}

const char *
picky_message_get_media (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->media;
}

void
picky_message_set_media (PickyMessage *self,
                         const char   *media_json)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_free (self->media);
  self->media = g_strdup (media_json);
}

const char *
picky_message_get_related_key (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->related_key;
}

void
picky_message_set_related_key (PickyMessage *self,
                               const char   *key)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_free (self->related_key);
  self->related_key = g_strdup (key);
}

gint64
picky_message_get_timestamp (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), 0);

  return self->timestamp;
}

void
picky_message_set_timestamp (PickyMessage *self,
                             gint64 unix_seconds)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->timestamp = unix_seconds;
}

gint64
picky_message_get_received (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), 0);

  return self->received;
}

void
picky_message_set_received (PickyMessage *self,
                            gint64 unix_seconds)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->received = unix_seconds;
}

PickyMessageStatus
picky_message_get_status (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), 0);

  return self->status;
}

void
picky_message_set_status (PickyMessage *self,
                          PickyMessageStatus status)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->status = status;
}

const char *
picky_message_get_error (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->error;
}

void
picky_message_set_error (PickyMessage *self,
                         const char   *error)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  g_free (self->error);
  self->error = g_strdup (error);
}

/* Whether the text was changed after the message was sent; set by the store. */
gboolean
picky_message_get_edited (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), FALSE);

  return self->edited;
}

void
picky_message_set_edited (PickyMessage *self,
                          gboolean      edited)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->edited = edited;
}

/* Whether an incoming message waits to be read; set by the store. */
gboolean
picky_message_get_unread (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), FALSE);

  return self->unread;
}

void
picky_message_set_unread (PickyMessage *self,
                          gboolean      unread)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  self->unread = unread;
}

/**
 * picky_message_get_reactions:
 *
 * Returns: (nullable): the reactions shown with the message, such as
 *   "👍 ❤️", as a view collected them from reaction messages; not stored
 */
const char *
picky_message_get_reactions (PickyMessage *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE (self), NULL);

  return self->reactions;
}

void
picky_message_set_reactions (PickyMessage *self,
                             const char   *reactions)
{
  g_return_if_fail (PICKY_IS_MESSAGE (self));

  replace_str (&self->reactions, reactions);
}
