/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Puts reactions with the messages they react to, for a conversation being shown. */

#include "config.h"

#include "picky-reaction-index.h"

/* The latest reaction of each side to one message: apps keep one reaction
 * per person and message, and an empty one takes it back. */
typedef struct {
  char   *in;
  gint64  in_timestamp;
  char   *out;
  gint64  out_timestamp;
} Slot;

struct _PickyReactionIndex
{
  GObject     parent_instance;

  GHashTable *targets;      /* key → PickyMessage */
  GHashTable *slots;        /* key → Slot */
  GHashTable *seen;         /* gint64 id of every reaction given */
  GPtrArray  *pending;      /* PickyMessage reactions whose message is not known */
  GPtrArray  *resolved;     /* PickyMessage reactions whose message came since */
};

G_DEFINE_FINAL_TYPE (PickyReactionIndex, picky_reaction_index, G_TYPE_OBJECT)

static void
slot_free (gpointer data)
{
  Slot *slot = data;

  g_free (slot->in);
  g_free (slot->out);
  g_free (slot);
}

/* Provider keys are unique within a channel only. */
static char *
make_key (PickyMessage *message,
          const char   *provider_key)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%s", picky_message_get_channel_id (message), provider_key);
}

static void
show_slot (PickyMessage *target,
           Slot         *slot)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (slot->in != NULL && *slot->in != '\0')
    g_string_append (text, slot->in);
  if (slot->out != NULL && *slot->out != '\0')
    g_string_append_printf (text, "%s%s", text->len > 0 ? " " : "", slot->out);

  picky_message_set_reactions (target, text->len > 0 ? text->str : NULL);
  picky_message_changed (target);
}

static void
picky_reaction_index_finalize (GObject *object)
{
  PickyReactionIndex *self = PICKY_REACTION_INDEX (object);

  g_hash_table_unref (self->targets);
  g_hash_table_unref (self->slots);
  g_hash_table_unref (self->seen);
  g_ptr_array_unref (self->pending);
  g_ptr_array_unref (self->resolved);

  G_OBJECT_CLASS (picky_reaction_index_parent_class)->finalize (object);
}

static void
picky_reaction_index_class_init (PickyReactionIndexClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = picky_reaction_index_finalize;
}

static void
picky_reaction_index_init (PickyReactionIndex *self)
{
  self->targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, slot_free);
  self->seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->resolved = g_ptr_array_new_with_free_func (g_object_unref);
}

PickyReactionIndex *
picky_reaction_index_new (void)
{
  return g_object_new (PICKY_TYPE_REACTION_INDEX, NULL);
}

/**
 * picky_reaction_index_clear:
 *
 * Forgets every message and reaction, for another conversation.
 */
void
picky_reaction_index_clear (PickyReactionIndex *self)
{
  g_return_if_fail (PICKY_IS_REACTION_INDEX (self));

  g_hash_table_remove_all (self->targets);
  g_hash_table_remove_all (self->slots);
  g_hash_table_remove_all (self->seen);
  g_ptr_array_set_size (self->pending, 0);
  g_ptr_array_set_size (self->resolved, 0);
}

/**
 * picky_reaction_index_add_target:
 * @message: a message the conversation shows, not a reaction
 *
 * Makes @message known by its provider key. Its reactions, given before
 * or after, are put with it; reactions that were shown on their own until
 * now are handed out by picky_reaction_index_take_resolved().
 */
void
picky_reaction_index_add_target (PickyReactionIndex *self,
                                 PickyMessage       *message)
{
  g_autofree char *key = NULL;
  Slot *slot;

  g_return_if_fail (PICKY_IS_REACTION_INDEX (self));
  g_return_if_fail (PICKY_IS_MESSAGE (message));

  /* A reply still queued has no key yet; it is added again once sent. */
  if (picky_message_get_provider_key (message) == NULL)
    return;

  key = make_key (message, picky_message_get_provider_key (message));
  g_hash_table_replace (self->targets, g_strdup (key), g_object_ref (message));

  slot = g_hash_table_lookup (self->slots, key);
  if (slot == NULL)
    return;

  show_slot (message, slot);
  for (guint i = self->pending->len; i > 0; i--)
    {
      PickyMessage *reaction = g_ptr_array_index (self->pending, i - 1);
      g_autofree char *related = make_key (reaction, picky_message_get_related_key (reaction));

      if (g_str_equal (related, key))
        g_ptr_array_add (self->resolved, g_ptr_array_steal_index (self->pending, i - 1));
    }
}

/**
 * picky_reaction_index_add_reaction:
 * @reaction: a message of kind %PICKY_MESSAGE_KIND_REACTION
 *
 * Puts @reaction with its message, the latest of each side winning.
 *
 * Returns: whether to show @reaction on its own
 */
PickyReactionFate
picky_reaction_index_add_reaction (PickyReactionIndex *self,
                                   PickyMessage       *reaction)
{
  g_autofree char *key = NULL;
  gint64 id;
  gint64 timestamp;
  PickyMessage *target;
  Slot *slot;

  g_return_val_if_fail (PICKY_IS_REACTION_INDEX (self), PICKY_REACTION_PENDING);
  g_return_val_if_fail (PICKY_IS_MESSAGE (reaction), PICKY_REACTION_PENDING);

  id = picky_message_get_id (reaction);
  if (g_hash_table_contains (self->seen, &id))
    return PICKY_REACTION_SEEN;
  g_hash_table_add (self->seen, g_memdup2 (&id, sizeof id));

  /* Nothing to put it with: it can only be shown as it is. */
  if (picky_message_get_related_key (reaction) == NULL)
    return PICKY_REACTION_PENDING;

  key = make_key (reaction, picky_message_get_related_key (reaction));
  slot = g_hash_table_lookup (self->slots, key);
  if (slot == NULL)
    {
      slot = g_new0 (Slot, 1);
      slot->in_timestamp = slot->out_timestamp = G_MININT64;
      g_hash_table_insert (self->slots, g_strdup (key), slot);
    }

  /* Pages come newest first: an older reaction must not undo a newer one. */
  timestamp = picky_message_get_timestamp (reaction);
  if (picky_message_get_direction (reaction) == PICKY_DIRECTION_IN && timestamp >= slot->in_timestamp)
    {
      g_free (slot->in);
      slot->in = g_strdup (picky_message_get_text (reaction));
      slot->in_timestamp = timestamp;
    }
  else if (picky_message_get_direction (reaction) == PICKY_DIRECTION_OUT && timestamp >= slot->out_timestamp)
    {
      g_free (slot->out);
      slot->out = g_strdup (picky_message_get_text (reaction));
      slot->out_timestamp = timestamp;
    }

  target = g_hash_table_lookup (self->targets, key);
  if (target == NULL)
    {
      g_ptr_array_add (self->pending, g_object_ref (reaction));
      return PICKY_REACTION_PENDING;
    }

  show_slot (target, slot);
  return PICKY_REACTION_ATTACHED;
}

/**
 * picky_reaction_index_take_resolved:
 *
 * Returns: (transfer container) (element-type PickyMessage): the reactions
 *   that were pending and are now put with their message: their own rows
 *   can go
 */
GPtrArray *
picky_reaction_index_take_resolved (PickyReactionIndex *self)
{
  GPtrArray *resolved;

  g_return_val_if_fail (PICKY_IS_REACTION_INDEX (self), NULL);

  resolved = g_steal_pointer (&self->resolved);
  self->resolved = g_ptr_array_new_with_free_func (g_object_unref);

  return resolved;
}
