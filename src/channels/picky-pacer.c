/* SPDX-License-Identifier: GPL-3.0-or-later */
/* When the next send to one recipient may go, so that a provider's pacing rules hold. */

#include "config.h"

#include "picky-pacer.h"

/* Past this many recipients, those whose slots and holds are all over go. */
#define PRUNE_ABOVE 256

/* One recipient: the times of its latest sends, oldest first, as many as
 * its window counts, and until when it is held. */
typedef struct
{
  GArray *slots;   /* gint64 µs */
  gint64  hold_until;
} Recipient;

struct _PickyPacer
{
  GHashTable *recipients;   /* char * → Recipient * */
  gint64      hold_until;   /* every recipient */
  gint64      longest_window_us;
};

static void
recipient_free (Recipient *recipient)
{
  g_array_unref (recipient->slots);
  g_free (recipient);
}

static void
prune (PickyPacer *self,
       gint64      now_us)
{
  GHashTableIter iter;
  Recipient *recipient;

  g_hash_table_iter_init (&iter, self->recipients);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &recipient))
    {
      gint64 last = recipient->slots->len > 0
                    ? g_array_index (recipient->slots, gint64, recipient->slots->len - 1) : 0;

      if (recipient->hold_until <= now_us && last + self->longest_window_us <= now_us)
        g_hash_table_iter_remove (&iter);
    }
}

static Recipient *
lookup (PickyPacer *self,
        const char *key)
{
  Recipient *recipient = g_hash_table_lookup (self->recipients, key);

  if (recipient == NULL)
    {
      recipient = g_new0 (Recipient, 1);
      recipient->slots = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->recipients, g_strdup (key), recipient);
    }

  return recipient;
}

/**
 * picky_pacer_new:
 *
 * Returns: (transfer full): a pacer that holds no one
 */
PickyPacer *
picky_pacer_new (void)
{
  PickyPacer *self = g_new0 (PickyPacer, 1);

  self->recipients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) recipient_free);
  return self;
}

void
picky_pacer_free (PickyPacer *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->recipients);
  g_free (self);
}

/**
 * picky_pacer_reserve:
 * @key: the recipient
 * @now_us: the monotonic time now
 * @interval_us: the least time between two sends to @key, or 0
 * @window_n: at most this many sends to @key …
 * @window_us: … within this time; 0 for no such limit
 *
 * Takes the earliest time at which a send to @key keeps every rule and
 * every hold, and counts the send there, so that sends queued one after
 * another get one slot each. Other recipients are not delayed by it.
 *
 * Returns: microseconds from @now_us until that time, 0 to send at once
 */
gint64
picky_pacer_reserve (PickyPacer *self,
                     const char *key,
                     gint64      now_us,
                     gint64      interval_us,
                     guint       window_n,
                     gint64      window_us)
{
  Recipient *recipient;
  gint64 slot = now_us;
  guint keep;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (key != NULL, 0);

  self->longest_window_us = MAX (self->longest_window_us, MAX (interval_us, window_us));
  if (g_hash_table_size (self->recipients) > PRUNE_ABOVE)
    prune (self, now_us);

  recipient = lookup (self, key);
  slot = MAX (slot, self->hold_until);
  slot = MAX (slot, recipient->hold_until);
  if (recipient->slots->len > 0)
    slot = MAX (slot, g_array_index (recipient->slots, gint64, recipient->slots->len - 1) + interval_us);
  if (window_us > 0 && window_n > 0 && recipient->slots->len >= window_n)
    slot = MAX (slot, g_array_index (recipient->slots, gint64, recipient->slots->len - window_n) + window_us);

  g_array_append_val (recipient->slots, slot);
  keep = MAX (window_n, 1);
  if (recipient->slots->len > keep)
    g_array_remove_range (recipient->slots, 0, recipient->slots->len - keep);

  return slot - now_us;
}

/**
 * picky_pacer_hold:
 * @key: (nullable): the recipient, or %NULL for all of them
 * @until_us: the monotonic time before which nothing goes to them
 *
 * Holds a recipient, or everyone, after the provider said to wait. A
 * hold only ever grows.
 */
void
picky_pacer_hold (PickyPacer *self,
                  const char *key,
                  gint64      until_us)
{
  g_return_if_fail (self != NULL);

  if (key == NULL)
    self->hold_until = MAX (self->hold_until, until_us);
  else
    {
      Recipient *recipient = lookup (self, key);

      recipient->hold_until = MAX (recipient->hold_until, until_us);
    }
}

/**
 * picky_pacer_get_hold:
 * @key: (nullable): the recipient, or %NULL for the hold on all
 *
 * Returns: the monotonic time until which @key is held, 0 if never
 */
gint64
picky_pacer_get_hold (PickyPacer *self,
                      const char *key)
{
  Recipient *recipient;

  g_return_val_if_fail (self != NULL, 0);

  if (key == NULL)
    return self->hold_until;
  recipient = g_hash_table_lookup (self->recipients, key);
  return recipient != NULL ? recipient->hold_until : 0;
}
