/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one minute tick that every relative time on screen follows. */

#include "config.h"

#include "picky-clock.h"

struct _PickyClock
{
  GObject parent_instance;

  guint   timeout_id;
  gint64  frozen_now;   /* unix seconds set by a test; 0: the real time */
};

G_DEFINE_FINAL_TYPE (PickyClock, picky_clock, G_TYPE_OBJECT)

enum {
  TICK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean on_minute_cb (gpointer data);

/* At the turn of the minute, so that "5 min" becomes "6 min" when the
 * minute does and two rows of the same minute never disagree. */
static void
schedule (PickyClock *self)
{
  gint64 now_ms = g_get_real_time () / 1000;
  guint delay = 60000 - (guint) (now_ms % 60000);

  /* One timer for the whole window: rows and bubbles follow its signal. */
  self->timeout_id = g_timeout_add_full (G_PRIORITY_LOW, delay + 50, on_minute_cb, self, NULL);
}

static gboolean
on_minute_cb (gpointer data)
{
  PickyClock *self = data;

  self->timeout_id = 0;
  schedule (self);
  g_signal_emit (self, signals[TICK], 0, picky_clock_get_now (self));

  return G_SOURCE_REMOVE;
}

static void
picky_clock_dispose (GObject *object)
{
  PickyClock *self = PICKY_CLOCK (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);

  G_OBJECT_CLASS (picky_clock_parent_class)->dispose (object);
}

static void
picky_clock_class_init (PickyClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_clock_dispose;

  /**
   * PickyClock::tick:
   * @now: the time, in seconds since the epoch
   *
   * A minute has turned (or a test set the time): relative times and day
   * names on screen are shown again against @now.
   */
  signals[TICK] =
    g_signal_new ("tick",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
picky_clock_init (PickyClock *self)
{
  schedule (self);
}

/**
 * picky_clock_get_default:
 *
 * Returns: (transfer none): the clock of the process's main context
 */
PickyClock *
picky_clock_get_default (void)
{
  static PickyClock *clock;

  if (clock == NULL)
    clock = g_object_new (PICKY_TYPE_CLOCK, NULL);

  return clock;
}

/**
 * picky_clock_get_now:
 *
 * Returns: the time every view shows times against, in seconds since the epoch
 */
gint64
picky_clock_get_now (PickyClock *self)
{
  g_return_val_if_fail (PICKY_IS_CLOCK (self), 0);

  return self->frozen_now != 0 ? self->frozen_now : g_get_real_time () / G_USEC_PER_SEC;
}

/**
 * picky_clock_set_now:
 * @now: seconds since the epoch, or 0 for the real time again
 *
 * Sets the time and ticks at once: for tests, which drive the clock
 * instead of waiting a minute. The timer stops while the time is set.
 */
void
picky_clock_set_now (PickyClock *self,
                     gint64      now)
{
  g_return_if_fail (PICKY_IS_CLOCK (self));

  self->frozen_now = now;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (now == 0)
    schedule (self);
  g_signal_emit (self, signals[TICK], 0, picky_clock_get_now (self));
}
