/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A webhook listener process for the kill test: one WhatsApp channel over a store in a given file. */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "picky-whatsapp-channel.h"
#include "picky-test-util.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PickyCipher) cipher = picky_test_cipher ();
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(PickyVault) vault = NULL;
  g_autoptr(PickyWebhookServer) server = NULL;
  g_autoptr(PickyChannel) channel = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GPtrArray) channels = NULL;
  g_autoptr(GError) error = NULL;
  gint64 channel_id;
  const char *settings;

  setlocale (LC_ALL, "C.UTF-8");
  if (argc != 2)
    {
      g_printerr ("Usage: %s DATABASE\n", argv[0]);
      return 2;
    }

  picky_store_open_async (argv[1], cipher, NULL, picky_test_got_result_cb, &opened);
  store = picky_store_open_finish (picky_test_wait_result (&opened), &error);
  if (store == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  /* The test made the channel row; its id and settings come from there. */
  picky_store_list_channels_async (store, NULL, picky_test_got_result_cb, &listed);
  channels = picky_store_list_channels_finish (store, picky_test_wait_result (&listed), &error);
  if (channels == NULL || channels->len == 0)
    {
      g_printerr ("No channel in the database\n");
      return 1;
    }
  g_variant_get (g_ptr_array_index (channels, 0), "(x&s&s&s&s)", &channel_id, NULL, NULL, NULL, &settings);

  server = picky_webhook_server_new ();
  if (!picky_webhook_server_start (server, "127.0.0.1", 0, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  vault = picky_vault_new (picky_store_get_database_id (store));
  channel = g_object_new (PICKY_TYPE_WHATSAPP_CHANNEL,
                          "id", channel_id,
                          "app", "whatsapp-business",
                          "name", "Kill test",
                          "settings", settings,
                          "store", store,
                          "vault", vault,
                          "webhook-server", server,
                          NULL);
  picky_channel_start (channel);
  while (!picky_whatsapp_channel_is_ready (PICKY_WHATSAPP_CHANNEL (channel)))
    g_main_context_iteration (NULL, TRUE);

  /* The test reads the port from here, then posts. */
  printf ("%u\n", picky_webhook_server_get_port (server));
  fflush (stdout);

  for (;;)
    g_main_context_iteration (NULL, TRUE);

  return 0;
}
