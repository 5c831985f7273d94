/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Channel kinds describe themselves completely, and the registry is the one list of them. */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "picky-channel-registry.h"
#include "picky-telegram-channel.h"
#include "picky-test-kind.h"
#include "picky-test-util.h"
#include "picky-whatsapp-channel.h"

static void
test_builtin_described (void)
{
  g_autoptr(PickyChannelRegistry) registry = picky_channel_registry_new (NULL, NULL, NULL);
  g_auto(GStrv) kinds = picky_channel_registry_dup_kinds (registry);

  g_assert_cmpuint (g_strv_length (kinds), >=, 3);
  for (guint i = 0; kinds[i] != NULL; i++)
    {
      GType type = picky_channel_registry_get_kind_type (registry, kinds[i]);
      g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
      GPtrArray *fields;

      g_test_message ("kind %s", kinds[i]);
      g_assert_true (g_type_is_a (type, PICKY_TYPE_CHANNEL));
      g_assert_cmpstr (picky_channel_class_get_kind (type), ==, kinds[i]);
      g_assert_nonnull (picky_channel_class_get_title (type));
      g_assert_cmpstr (picky_channel_class_get_title (type), !=, "");
      g_assert_nonnull (picky_channel_class_get_description (type));

      fields = picky_channel_class_get_fields (type);
      g_assert_nonnull (fields);
      if (picky_channel_class_get_addable (type))
        {
          /* The dialog adds it for the kind's one app, from what it asks. */
          g_assert_nonnull (picky_channel_class_get_app (type));
          g_assert_cmpuint (fields->len, >, 0);
        }

      for (guint j = 0; j < fields->len; j++)
        {
          PickyChannelField *field = g_ptr_array_index (fields, j);
          const char *value = picky_channel_field_get_default_value (field);

          g_test_message ("field %s", picky_channel_field_get_key (field));
          g_assert_cmpstr (picky_channel_field_get_key (field), !=, "");
          g_assert_true (g_hash_table_add (keys, (gpointer) picky_channel_field_get_key (field)));
          g_assert_nonnull (picky_channel_field_get_label (field));
          g_assert_cmpstr (picky_channel_field_get_label (field), !=, "");
          g_assert_nonnull (picky_channel_field_get_help (field));
          g_assert_cmpstr (picky_channel_field_get_help (field), !=, "");
          if (picky_channel_field_get_kind (field) == PICKY_CHANNEL_FIELD_SECRET)
            g_assert_null (value);
          /* What a new channel starts with can be added as it is. */
          if (value != NULL)
            g_assert_true (picky_channel_field_accepts (field, value, FALSE));
        }
    }
}

static void
test_builtin_addable (void)
{
  g_autoptr(PickyChannelRegistry) registry = picky_channel_registry_new (NULL, NULL, NULL);
  GType relay = picky_channel_registry_get_kind_type (registry, "relay");

  g_assert_true (picky_channel_class_get_addable (picky_channel_registry_get_kind_type (registry, "telegram")));
  g_assert_true (picky_channel_class_get_addable (picky_channel_registry_get_kind_type (registry, "whatsapp")));

  /* Relay channels are made by the phone switches, one per app. */
  g_assert_true (relay != G_TYPE_INVALID);
  g_assert_false (picky_channel_class_get_addable (relay));
  g_assert_null (picky_channel_class_get_app (relay));
  g_assert_cmpuint (picky_channel_class_get_fields (relay)->len, ==, 0);

  g_assert_true (picky_channel_registry_get_kind_type (registry, "smoke-signals") == G_TYPE_INVALID);
}

static PickyChannelField *
field_for (GType       type,
           const char *key)
{
  GPtrArray *fields = picky_channel_class_get_fields (type);

  for (guint i = 0; i < fields->len; i++)
    if (g_strcmp0 (picky_channel_field_get_key (g_ptr_array_index (fields, i)), key) == 0)
      return g_ptr_array_index (fields, i);

  g_error ("no field %s", key);
}

static void
test_field_accepts (void)
{
  PickyChannelField *token = field_for (PICKY_TYPE_TELEGRAM_CHANNEL, "token");
  PickyChannelField *server = field_for (PICKY_TYPE_TELEGRAM_CHANNEL, "api_base");
  PickyChannelField *phone = field_for (PICKY_TYPE_WHATSAPP_CHANNEL, "phone_number_id");
  PickyChannelField *account = field_for (PICKY_TYPE_WHATSAPP_CHANNEL, "business_account_id");

  g_assert_cmpint (picky_channel_field_get_kind (token), ==, PICKY_CHANNEL_FIELD_SECRET);
  g_assert_false (picky_channel_field_accepts (token, "", FALSE));
  g_assert_true (picky_channel_field_accepts (token, "", TRUE));
  g_assert_true (picky_channel_field_accepts (token, "123:abc", FALSE));

  g_assert_cmpint (picky_channel_field_get_kind (server), ==, PICKY_CHANNEL_FIELD_URL);
  g_assert_false (picky_channel_field_accepts (server, "", TRUE));
  g_assert_false (picky_channel_field_accepts (server, "api.telegram.org", FALSE));
  g_assert_false (picky_channel_field_accepts (server, "ftp://127.0.0.1/", FALSE));
  g_assert_false (picky_channel_field_accepts (server, "https://", FALSE));
  g_assert_true (picky_channel_field_accepts (server, "http://127.0.0.1:8081", FALSE));

  g_assert_false (picky_channel_field_accepts (phone, "", TRUE));
  g_assert_true (picky_channel_field_get_flags (phone) & PICKY_CHANNEL_FIELD_FLAGS_DIGITS);
  g_assert_true (picky_channel_field_accepts (account, "", FALSE));
}

/* WhatsApp makes the verify token itself and shows it once with the path. */
static void
test_whatsapp_setup (void)
{
  g_autoptr(JsonObject) settings = json_object_new ();
  g_autoptr(GHashTable) secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(PickyChannelRegistry) registry = picky_channel_registry_new (NULL, NULL, NULL);
  g_autoptr(PickyChannel) channel = NULL;
  g_autoptr(PickyChannelSetup) setup = NULL;
  g_autoptr(GError) error = NULL;
  const char *token;

  picky_channel_class_prepare_settings (PICKY_TYPE_WHATSAPP_CHANNEL, settings, secrets);
  token = g_hash_table_lookup (secrets, "verify-token");
  g_assert_nonnull (token);
  g_assert_cmpuint (strlen (token), >=, 20);
  g_assert_cmpuint (json_object_get_size (settings), ==, 0);

  channel = picky_channel_registry_create_channel (registry, 1, "whatsapp", "whatsapp", "Sales", "{}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (picky_channel_get_kind (channel), ==, "whatsapp");
  g_assert_false (picky_channel_class_can_test_connection (PICKY_TYPE_WHATSAPP_CHANNEL));

  setup = picky_channel_dup_setup_instructions (channel, secrets);
  g_assert_nonnull (setup);
  g_assert_cmpuint (picky_channel_setup_get_n_values (setup), ==, 2);
  g_assert_cmpstr (picky_channel_setup_get_value (setup, 0), ==, PICKY_WHATSAPP_WEBHOOK_PATH);
  g_assert_cmpstr (picky_channel_setup_get_value (setup, 1), ==, token);

  /* An edit generates nothing, so there is nothing to show. */
  g_hash_table_remove (secrets, "verify-token");
  g_clear_pointer (&setup, picky_channel_setup_free);
  setup = picky_channel_dup_setup_instructions (channel, secrets);
  g_assert_null (setup);
}

static void
test_telegram_nothing_generated (void)
{
  g_autoptr(JsonObject) settings = json_object_new ();
  g_autoptr(GHashTable) secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  picky_channel_class_prepare_settings (PICKY_TYPE_TELEGRAM_CHANNEL, settings, secrets);
  g_assert_cmpuint (g_hash_table_size (secrets), ==, 0);
  g_assert_cmpuint (json_object_get_size (settings), ==, 0);
  g_assert_true (picky_channel_class_can_test_connection (PICKY_TYPE_TELEGRAM_CHANNEL));
}

/* A new kind is its type and one registration; nothing else names it. */
static void
test_register_kind (void)
{
  g_autoptr(PickyChannelRegistry) registry = picky_channel_registry_new (NULL, NULL, NULL);
  g_autoptr(PickyChannel) channel = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) kinds = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *answer = NULL;

  g_assert_false (picky_channel_registry_has_kind (registry, PICKY_TEST_KIND));
  channel = picky_channel_registry_create_channel (registry, 7, "viber", PICKY_TEST_KIND, "Hook", "{}", &error);
  g_assert_error (error, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NOT_SUPPORTED);
  g_assert_null (channel);
  g_clear_error (&error);

  picky_channel_registry_register_kind (registry, PICKY_TYPE_TEST_KIND_CHANNEL);
  kinds = picky_channel_registry_dup_kinds (registry);
  g_assert_true (g_strv_contains ((const char * const *) kinds, PICKY_TEST_KIND));
  g_assert_true (picky_channel_registry_get_kind_type (registry, PICKY_TEST_KIND) == PICKY_TYPE_TEST_KIND_CHANNEL);

  channel = picky_channel_registry_create_channel (registry, 7, "viber", PICKY_TEST_KIND, "Hook", "{}", &error);
  g_assert_no_error (error);
  g_assert_true (PICKY_IS_TEST_KIND_CHANNEL (channel));
  g_assert_cmpstr (picky_channel_get_kind (channel), ==, PICKY_TEST_KIND);
  g_assert_cmpuint (picky_channel_class_get_fields (PICKY_TYPE_TEST_KIND_CHANNEL)->len, ==, 2);

  /* A kind without the hook says so instead of pretending. */
  g_assert_false (picky_channel_class_can_test_connection (PICKY_TYPE_TEST_KIND_CHANNEL));
  picky_channel_test_connection_async (channel, NULL, picky_test_got_result_cb, &result);
  answer = picky_channel_test_connection_finish (channel, picky_test_wait_result (&result), &error);
  g_assert_null (answer);
  g_assert_error (error, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NOT_SUPPORTED);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/channel-kinds/builtin/described", test_builtin_described);
  g_test_add_func ("/picky/channel-kinds/builtin/addable", test_builtin_addable);
  g_test_add_func ("/picky/channel-kinds/field/accepts", test_field_accepts);
  g_test_add_func ("/picky/channel-kinds/whatsapp/setup", test_whatsapp_setup);
  g_test_add_func ("/picky/channel-kinds/telegram/nothing-generated", test_telegram_nothing_generated);
  g_test_add_func ("/picky/channel-kinds/registry/register", test_register_kind);

  return g_test_run ();
}
