/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One conversation: a contact on a channel, as the Inbox lists it. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "picky-conversation.h"

/* A plain data object like PickyMessage: the store makes one per row it
 * reads, and the one signal, ::changed, tells the view showing it. */
struct _PickyConversation
{
  GObject parent_instance;

  gint64 id;
  gint64 channel_id;
  gint64 contact_id;
  char *app;
  char *name;
  char *number;
  char *provider_id;
  gint64 last_time;
  gint64 last_message_id;
  char *last_text;
  PickyMessageKind last_kind;
  gboolean last_is_ours;
  guint unread;
  gint64 waiting_since;
  gboolean done;
  gboolean gone;
};

G_DEFINE_FINAL_TYPE (PickyConversation, picky_conversation, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* GLib 2.74 has no g_set_str(). */
static void
set_str (char       **field,
         const char  *value)
{
  char *copy;

  if (*field == value)
    return;

  copy = g_strdup (value);
  g_free (*field);
  *field = copy;
}

static void
picky_conversation_finalize (GObject *object)
{
  PickyConversation *self = PICKY_CONVERSATION (object);

  g_free (self->app);
  g_free (self->name);
  g_free (self->number);
  g_free (self->provider_id);
  g_free (self->last_text);

  G_OBJECT_CLASS (picky_conversation_parent_class)->finalize (object);
}

static void
picky_conversation_class_init (PickyConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = picky_conversation_finalize;

  /**
   * PickyConversation::changed:
   *
   * Emitted through picky_conversation_changed() by whoever changed a
   * conversation a view may show; the setters do not emit it.
   */
  signals[CHANGED] = g_signal_new ("changed",
                                   G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
picky_conversation_init (PickyConversation *self)
{
  self->last_kind = PICKY_MESSAGE_KIND_TEXT;
}

PickyConversation *
picky_conversation_new (void)
{
  return g_object_new (PICKY_TYPE_CONVERSATION, NULL);
}

/**
 * picky_conversation_changed:
 *
 * Tells the views showing @self that it changed.
 */
void
picky_conversation_changed (PickyConversation *self)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));

  g_signal_emit (self, signals[CHANGED], 0);
}

/**
 * picky_conversation_fill:
 * @source: the conversation as the store has it now
 *
 * Makes @self a copy of @source and tells its views, so that a row keeps
 * its object while what it shows changes.
 */
void
picky_conversation_fill (PickyConversation *self,
                         PickyConversation *source)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  g_return_if_fail (PICKY_IS_CONVERSATION (source));

  if (self == source)
    return;

  self->id = source->id;
  self->channel_id = source->channel_id;
  self->contact_id = source->contact_id;
  set_str (&self->app, source->app);
  set_str (&self->name, source->name);
  set_str (&self->number, source->number);
  set_str (&self->provider_id, source->provider_id);
  self->last_time = source->last_time;
  self->last_message_id = source->last_message_id;
  set_str (&self->last_text, source->last_text);
  self->last_kind = source->last_kind;
  self->last_is_ours = source->last_is_ours;
  self->unread = source->unread;
  self->waiting_since = source->waiting_since;
  self->done = source->done;
  self->gone = source->gone;

  picky_conversation_changed (self);
}

/**
 * picky_conversation_matches:
 * @apps: (nullable) (array zero-terminated=1): only these apps; %NULL or
 *   empty for every app
 * @channel_id: only this channel, or 0
 *
 * Returns: whether @self passes a list's filters, as the store applies them
 */
gboolean
picky_conversation_matches (PickyConversation       *self,
                            PickyConversationFilter  filter,
                            const char * const      *apps,
                            gint64                   channel_id)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), FALSE);

  if (self->gone)
    return FALSE;
  if (apps != NULL && apps[0] != NULL && !g_strv_contains (apps, self->app != NULL ? self->app : ""))
    return FALSE;
  if (channel_id != 0 && self->channel_id != channel_id)
    return FALSE;

  switch (filter)
    {
    case PICKY_CONVERSATION_FILTER_OPEN:
      return !self->done;
    case PICKY_CONVERSATION_FILTER_WAITING:
      return !self->done && self->waiting_since != 0;
    case PICKY_CONVERSATION_FILTER_UNREAD:
      return self->unread > 0;
    case PICKY_CONVERSATION_FILTER_DONE:
      return self->done;
    case PICKY_CONVERSATION_FILTER_ALL:
    default:
      return TRUE;
    }
}

/**
 * picky_conversation_compare:
 *
 * Returns: negative when @a comes first in a list: newest activity first,
 *   then the later id
 */
int
picky_conversation_compare (PickyConversation *a,
                            PickyConversation *b)
{
  if (a->last_time != b->last_time)
    return a->last_time > b->last_time ? -1 : 1;
  if (a->id != b->id)
    return a->id > b->id ? -1 : 1;
  return 0;
}

gint64
picky_conversation_get_id (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), 0);
  return self->id;
}

void
picky_conversation_set_id (PickyConversation *self,
                           gint64             id)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->id = id;
}

gint64
picky_conversation_get_channel_id (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), 0);
  return self->channel_id;
}

void
picky_conversation_set_channel_id (PickyConversation *self,
                                   gint64             channel_id)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->channel_id = channel_id;
}

gint64
picky_conversation_get_contact_id (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), 0);
  return self->contact_id;
}

void
picky_conversation_set_contact_id (PickyConversation *self,
                                   gint64             contact_id)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->contact_id = contact_id;
}

const char *
picky_conversation_get_app (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), NULL);
  return self->app;
}

void
picky_conversation_set_app (PickyConversation *self,
                            const char        *app)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  set_str (&self->app, app);
}

/**
 * picky_conversation_get_display_name:
 *
 * Returns: what to call the contact, as picky_message_get_display_name()
 *   does: their name, else their id in the app, else "Unknown contact"
 */
const char *
picky_conversation_get_display_name (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), NULL);

  if (self->name != NULL && *self->name != '\0')
    return self->name;
  if (self->provider_id != NULL)
    return self->provider_id;

  return _("Unknown contact");
}

const char *
picky_conversation_get_name (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), NULL);
  return self->name;
}

void
picky_conversation_set_name (PickyConversation *self,
                             const char        *name)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  set_str (&self->name, name);
}

/* The contact's phone number as the provider gave it, or %NULL. */
const char *
picky_conversation_get_number (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), NULL);
  return self->number;
}

void
picky_conversation_set_number (PickyConversation *self,
                               const char        *number)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  set_str (&self->number, number);
}

/* The contact's id in the app: a number for WhatsApp and SMS, a user id
 * for Telegram. */
const char *
picky_conversation_get_provider_id (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), NULL);
  return self->provider_id;
}

void
picky_conversation_set_provider_id (PickyConversation *self,
                                    const char        *provider_id)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  set_str (&self->provider_id, provider_id);
}

/* The unix time of the last message that is not a reaction. */
gint64
picky_conversation_get_last_time (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), 0);
  return self->last_time;
}

void
picky_conversation_set_last_time (PickyConversation *self,
                                  gint64             unix_seconds)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->last_time = unix_seconds;
}

gint64
picky_conversation_get_last_message_id (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), 0);
  return self->last_message_id;
}

void
picky_conversation_set_last_message_id (PickyConversation *self,
                                        gint64             id)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->last_message_id = id;
}

/* The first line of the last message's text or caption, or %NULL when it
 * has none (a photo, a sticker). */
const char *
picky_conversation_get_last_text (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), NULL);
  return self->last_text;
}

/* Keeps only the first line of @text: a row shows no more. */
void
picky_conversation_set_last_text (PickyConversation *self,
                                  const char        *text)
{
  const char *end;

  g_return_if_fail (PICKY_IS_CONVERSATION (self));

  g_clear_pointer (&self->last_text, g_free);
  if (text == NULL)
    return;

  end = strpbrk (text, "\r\n");
  self->last_text = end != NULL ? g_strndup (text, end - text) : g_strdup (text);
}

PickyMessageKind
picky_conversation_get_last_kind (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), PICKY_MESSAGE_KIND_TEXT);
  return self->last_kind;
}

void
picky_conversation_set_last_kind (PickyConversation *self,
                                  PickyMessageKind   kind)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->last_kind = kind;
}

/* Whether the last message is our reply ("You: …"). */
gboolean
picky_conversation_get_last_is_ours (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), FALSE);
  return self->last_is_ours;
}

void
picky_conversation_set_last_is_ours (PickyConversation *self,
                                     gboolean           ours)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->last_is_ours = ours;
}

/* How many of the customer's messages are unread; reactions do not count. */
guint
picky_conversation_get_unread (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), 0);
  return self->unread;
}

void
picky_conversation_set_unread (PickyConversation *self,
                               guint              unread)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->unread = unread;
}

/**
 * picky_conversation_get_waiting_since:
 *
 * Returns: the unix time of the customer's first message after our last
 *   reply or Done mark, or 0 when the customer is not waiting
 */
gint64
picky_conversation_get_waiting_since (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), 0);
  return self->waiting_since;
}

void
picky_conversation_set_waiting_since (PickyConversation *self,
                                      gint64             unix_seconds)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->waiting_since = unix_seconds;
}

/* Whether the conversation is marked Done; the customer's next message
 * reopens it. */
gboolean
picky_conversation_get_done (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), FALSE);
  return self->done;
}

void
picky_conversation_set_done (PickyConversation *self,
                             gboolean           done)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->done = done;
}

/* Whether the conversation is no more: its messages were purged or its
 * contact erased. Such a conversation carries only its id and matches no
 * filter, so that a list showing it lets it go. */
gboolean
picky_conversation_get_gone (PickyConversation *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION (self), FALSE);
  return self->gone;
}

void
picky_conversation_set_gone (PickyConversation *self,
                             gboolean           gone)
{
  g_return_if_fail (PICKY_IS_CONVERSATION (self));
  self->gone = gone;
}
