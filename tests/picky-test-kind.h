/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A channel kind that exists only in tests: one secret and one address, described as a real kind is. */

#pragma once

#include "picky-channel.h"

G_BEGIN_DECLS

#define PICKY_TEST_KIND "test-hook"
#define PICKY_TEST_KIND_DEFAULT_ENDPOINT "http://127.0.0.1:9/hook"

#define PICKY_TYPE_TEST_KIND_CHANNEL (picky_test_kind_channel_get_type ())

G_DECLARE_FINAL_TYPE (PickyTestKindChannel, picky_test_kind_channel, PICKY, TEST_KIND_CHANNEL, PickyChannel)

G_END_DECLS
