/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A channel kind that exists only in tests: one secret and one address, described as a real kind is. */

#include "config.h"

#include "picky-channel-private.h"
#include "picky-test-kind.h"

struct _PickyTestKindChannel
{
  PickyChannel parent_instance;
};

G_DEFINE_FINAL_TYPE (PickyTestKindChannel, picky_test_kind_channel, PICKY_TYPE_CHANNEL)

/* Texts a real kind would mark with N_(); tests read them untranslated. */
static void
picky_test_kind_channel_class_init (PickyTestKindChannelClass *klass)
{
  PickyChannelClass *channel_class = PICKY_CHANNEL_CLASS (klass);

  picky_channel_class_set_kind (channel_class, PICKY_TEST_KIND, "viber", "Test Hook");
  picky_channel_class_set_description (channel_class, "Only tests know this kind.");
  picky_channel_class_add_field (channel_class, "signing-key", PICKY_CHANNEL_FIELD_SECRET,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, "Signing Key", NULL,
                                 "Where a real kind says to find it.");
  picky_channel_class_add_field (channel_class, "endpoint", PICKY_CHANNEL_FIELD_URL,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, "Endpoint",
                                 PICKY_TEST_KIND_DEFAULT_ENDPOINT, NULL);
}

static void
picky_test_kind_channel_init (PickyTestKindChannel *self)
{
}
