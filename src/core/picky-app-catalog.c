/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The messaging apps the console knows: ids, names, Android packages and icons. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "picky-app-catalog.h"

struct _PickyAppInfo
{
  const char *id;
  const char *name;
  /* Brand names stay as they are in every language; a generic word such as
   * "SMS" goes through gettext. */
  gboolean    translate_name;
  const char *icon_name;
  /* The first package is the app's own; the rest are aliases under which
   * phones report the same kind of message (SMS comes from several apps). */
  const char *packages[4];
};

/* The ids are stored with every message and in GSettings: never change one. */
static const PickyAppInfo apps[] = {
  { "whatsapp", "WhatsApp", FALSE, "picky-app-whatsapp-symbolic",
    { "com.whatsapp", NULL } },
  { "whatsapp-business", "WhatsApp Business", FALSE, "picky-app-whatsapp-business-symbolic",
    { "com.whatsapp.w4b", NULL } },
  { "telegram", "Telegram", FALSE, "picky-app-telegram-symbolic",
    { "org.telegram.messenger", NULL } },
  { "signal", "Signal", FALSE, "picky-app-signal-symbolic",
    { "org.thoughtcrime.securesms", NULL } },
  { "messenger", "Messenger", FALSE, "picky-app-messenger-symbolic",
    { "com.facebook.orca", NULL } },
  { "instagram", "Instagram", FALSE, "picky-app-instagram-symbolic",
    { "com.instagram.android", NULL } },
  { "viber", "Viber", FALSE, "picky-app-viber-symbolic",
    { "com.viber.voip", NULL } },
  { "line", "LINE", FALSE, "picky-app-line-symbolic",
    { "jp.naver.line.android", NULL } },
  { "wechat", "WeChat", FALSE, "picky-app-wechat-symbolic",
    { "com.tencent.mm", NULL } },
  { "sms", N_("SMS"), TRUE, "picky-app-sms-symbolic",
    { "com.google.android.apps.messaging", "com.android.mms", "com.samsung.android.messaging", NULL } },
};

static const PickyAppInfo * const app_list[] = {
  &apps[0], &apps[1], &apps[2], &apps[3], &apps[4],
  &apps[5], &apps[6], &apps[7], &apps[8], &apps[9],
  NULL,
};

G_STATIC_ASSERT (G_N_ELEMENTS (app_list) == G_N_ELEMENTS (apps) + 1);

/**
 * picky_app_catalog_list:
 *
 * Returns: (transfer none) (array zero-terminated=1): every known app, in
 * the order the console shows them
 */
const PickyAppInfo * const *
picky_app_catalog_list (void)
{
  return app_list;
}

/**
 * picky_app_catalog_lookup:
 * @id: an app id such as "telegram"
 *
 * Returns: (transfer none) (nullable): the app, or %NULL when @id is unknown
 */
const PickyAppInfo *
picky_app_catalog_lookup (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (apps); i++)
    if (strcmp (apps[i].id, id) == 0)
      return &apps[i];

  return NULL;
}

/**
 * picky_app_catalog_lookup_package:
 * @package: an Android package name, as a relay device reports it
 *
 * Returns: (transfer none) (nullable): the app that package belongs to, or
 * %NULL when the console does not know it
 */
const PickyAppInfo *
picky_app_catalog_lookup_package (const char *package)
{
  g_return_val_if_fail (package != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (apps); i++)
    for (guint j = 0; apps[i].packages[j] != NULL; j++)
      if (strcmp (apps[i].packages[j], package) == 0)
        return &apps[i];

  return NULL;
}

/**
 * picky_app_catalog_get_display_name:
 * @id: an app id
 *
 * Messages and settings may name an app a newer version added; those are
 * shown by their id rather than hidden.
 *
 * Returns: (transfer none): the app's name to show, or @id when unknown
 */
const char *
picky_app_catalog_get_display_name (const char *id)
{
  const PickyAppInfo *info;

  g_return_val_if_fail (id != NULL, NULL);

  info = picky_app_catalog_lookup (id);

  return info != NULL ? picky_app_info_get_display_name (info) : id;
}

const char *
picky_app_info_get_id (const PickyAppInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  return info->id;
}

/**
 * picky_app_info_get_display_name:
 * @info: an app
 *
 * Returns: (transfer none): the app's name in the user's language
 */
const char *
picky_app_info_get_display_name (const PickyAppInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  return info->translate_name ? _(info->name) : info->name;
}

/**
 * picky_app_info_get_icon_name:
 * @info: an app
 *
 * Returns: (transfer none): a symbolic icon name from the console's icon theme
 */
const char *
picky_app_info_get_icon_name (const PickyAppInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  return info->icon_name;
}

/**
 * picky_app_info_get_packages:
 * @info: an app
 *
 * Returns: (transfer none) (array zero-terminated=1): the Android package
 * names of the app, its own first
 */
const char * const *
picky_app_info_get_packages (const PickyAppInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  return info->packages;
}
