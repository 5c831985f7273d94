/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reactions are shown with the message they react to, whichever comes first. */

#include "config.h"

#include "picky-reaction-index.h"

#define T0 1770000000

static PickyMessage *
make_message (gint64         channel,
              const char    *key,
              const char    *text,
              gint64         timestamp)
{
  static gint64 next_id = 1;
  PickyMessage *message = picky_message_new ();

  picky_message_set_id (message, next_id++);
  picky_message_set_channel_id (message, channel);
  picky_message_set_provider_key (message, key);
  picky_message_set_text (message, text);
  picky_message_set_timestamp (message, timestamp);
  return message;
}

static PickyMessage *
make_reaction (gint64          channel,
               const char     *target_key,
               PickyDirection  direction,
               const char     *emoji,
               gint64          timestamp)
{
  PickyMessage *reaction = make_message (channel, NULL, emoji, timestamp);

  picky_message_set_kind (reaction, PICKY_MESSAGE_KIND_REACTION);
  picky_message_set_direction (reaction, direction);
  picky_message_set_related_key (reaction, target_key);
  return reaction;
}

static void
count_changed_cb (PickyMessage *message,
                  guint        *count)
{
  (*count)++;
}

/* Older history loads after newer: a reaction comes before its message. */
static void
test_pending_then_target (void)
{
  g_autoptr(PickyReactionIndex) index = picky_reaction_index_new ();
  g_autoptr(PickyMessage) target = make_message (1, "wamid.A", "Is my order on its way?", T0);
  g_autoptr(PickyMessage) reaction = make_reaction (1, "wamid.A", PICKY_DIRECTION_OUT, "👍", T0 + 60);
  g_autoptr(GPtrArray) resolved = NULL;
  g_autoptr(GPtrArray) again = NULL;
  guint changed = 0;

  g_assert_cmpint (picky_reaction_index_add_reaction (index, reaction), ==, PICKY_REACTION_PENDING);
  resolved = picky_reaction_index_take_resolved (index);
  g_assert_cmpuint (resolved->len, ==, 0);
  g_clear_pointer (&resolved, g_ptr_array_unref);

  g_signal_connect (target, "changed", G_CALLBACK (count_changed_cb), &changed);
  picky_reaction_index_add_target (index, target);
  g_assert_cmpstr (picky_message_get_reactions (target), ==, "👍");
  g_assert_cmpuint (changed, ==, 1);

  /* The reaction's own row can go now, once. */
  resolved = picky_reaction_index_take_resolved (index);
  g_assert_cmpuint (resolved->len, ==, 1);
  g_assert_true (resolved->pdata[0] == reaction);
  again = picky_reaction_index_take_resolved (index);
  g_assert_cmpuint (again->len, ==, 0);

  /* Read again with the next page: nothing more to show. */
  g_assert_cmpint (picky_reaction_index_add_reaction (index, reaction), ==, PICKY_REACTION_SEEN);
}

/* A live reaction to a message on screen changes that message. */
static void
test_attached (void)
{
  g_autoptr(PickyReactionIndex) index = picky_reaction_index_new ();
  g_autoptr(PickyMessage) target = make_message (1, "42", "Thanks!", T0);
  g_autoptr(PickyMessage) other_channel = make_reaction (2, "42", PICKY_DIRECTION_IN, "😡", T0 + 5);
  g_autoptr(PickyMessage) reaction = make_reaction (1, "42", PICKY_DIRECTION_IN, "❤️", T0 + 10);
  guint changed = 0;

  picky_reaction_index_add_target (index, target);
  g_assert_null (picky_message_get_reactions (target));
  g_signal_connect (target, "changed", G_CALLBACK (count_changed_cb), &changed);

  /* The same key in another channel is another message. */
  g_assert_cmpint (picky_reaction_index_add_reaction (index, other_channel), ==, PICKY_REACTION_PENDING);
  g_assert_null (picky_message_get_reactions (target));

  g_assert_cmpint (picky_reaction_index_add_reaction (index, reaction), ==, PICKY_REACTION_ATTACHED);
  g_assert_cmpstr (picky_message_get_reactions (target), ==, "❤️");
  g_assert_cmpuint (changed, ==, 1);
}

/* One reaction per side: the latest wins, an empty one takes it back, and
 * an older one read later changes nothing. */
static void
test_latest_wins (void)
{
  g_autoptr(PickyReactionIndex) index = picky_reaction_index_new ();
  g_autoptr(PickyMessage) target = make_message (1, "m1", "Photo of the parcel", T0);
  g_autoptr(GPtrArray) reactions = g_ptr_array_new_with_free_func (g_object_unref);

  picky_reaction_index_add_target (index, target);
  g_ptr_array_add (reactions, make_reaction (1, "m1", PICKY_DIRECTION_IN, "👍", T0 + 10));
  g_ptr_array_add (reactions, make_reaction (1, "m1", PICKY_DIRECTION_IN, "😮", T0 + 20));
  g_ptr_array_add (reactions, make_reaction (1, "m1", PICKY_DIRECTION_IN, "😀", T0 + 15));
  g_ptr_array_add (reactions, make_reaction (1, "m1", PICKY_DIRECTION_OUT, "🙏", T0 + 30));
  g_ptr_array_add (reactions, make_reaction (1, "m1", PICKY_DIRECTION_IN, "", T0 + 40));

  picky_reaction_index_add_reaction (index, reactions->pdata[0]);
  picky_reaction_index_add_reaction (index, reactions->pdata[1]);
  g_assert_cmpstr (picky_message_get_reactions (target), ==, "😮");
  picky_reaction_index_add_reaction (index, reactions->pdata[2]);
  g_assert_cmpstr (picky_message_get_reactions (target), ==, "😮");
  picky_reaction_index_add_reaction (index, reactions->pdata[3]);
  g_assert_cmpstr (picky_message_get_reactions (target), ==, "😮 🙏");
  picky_reaction_index_add_reaction (index, reactions->pdata[4]);
  g_assert_cmpstr (picky_message_get_reactions (target), ==, "🙏");
}

/* A reply still queued has no provider key: reactions find it once sent. */
static void
test_reply_sent_later (void)
{
  g_autoptr(PickyReactionIndex) index = picky_reaction_index_new ();
  g_autoptr(PickyMessage) reply = make_message (1, NULL, "It left today", T0);
  g_autoptr(PickyMessage) reaction = make_reaction (1, "sent-1", PICKY_DIRECTION_IN, "🎉", T0 + 60);
  g_autoptr(GPtrArray) resolved = NULL;

  picky_reaction_index_add_target (index, reply);
  g_assert_cmpint (picky_reaction_index_add_reaction (index, reaction), ==, PICKY_REACTION_PENDING);

  picky_message_set_provider_key (reply, "sent-1");
  picky_reaction_index_add_target (index, reply);
  g_assert_cmpstr (picky_message_get_reactions (reply), ==, "🎉");
  resolved = picky_reaction_index_take_resolved (index);
  g_assert_cmpuint (resolved->len, ==, 1);

  /* Another conversation starts empty. */
  picky_reaction_index_clear (index);
  g_assert_cmpint (picky_reaction_index_add_reaction (index, reaction), ==, PICKY_REACTION_PENDING);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/reactions/pending-then-target", test_pending_then_target);
  g_test_add_func ("/picky/reactions/attached", test_attached);
  g_test_add_func ("/picky/reactions/latest-wins", test_latest_wins);
  g_test_add_func ("/picky/reactions/reply-sent-later", test_reply_sent_later);

  return g_test_run ();
}
