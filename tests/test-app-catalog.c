/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the catalog of messaging apps: lookups by id and package, and the icons. */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "picky-app-catalog.h"

static const struct {
  const char *id;
  const char *name;
  const char *package;
} expected[] = {
  { "whatsapp", "WhatsApp", "com.whatsapp" },
  { "whatsapp-business", "WhatsApp Business", "com.whatsapp.w4b" },
  { "telegram", "Telegram", "org.telegram.messenger" },
  { "signal", "Signal", "org.thoughtcrime.securesms" },
  { "messenger", "Messenger", "com.facebook.orca" },
  { "instagram", "Instagram", "com.instagram.android" },
  { "viber", "Viber", "com.viber.voip" },
  { "line", "LINE", "jp.naver.line.android" },
  { "wechat", "WeChat", "com.tencent.mm" },
  { "sms", "SMS", "com.google.android.apps.messaging" },
};

static void
test_catalog_lookup_id (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const PickyAppInfo *info = picky_app_catalog_lookup (expected[i].id);
      const char * const *packages;

      g_assert_nonnull (info);
      g_assert_cmpstr (picky_app_info_get_id (info), ==, expected[i].id);
      g_assert_cmpstr (picky_app_info_get_display_name (info), ==, expected[i].name);
      g_assert_cmpstr (picky_app_catalog_get_display_name (expected[i].id), ==, expected[i].name);

      packages = picky_app_info_get_packages (info);
      g_assert_nonnull (packages);
      g_assert_cmpstr (packages[0], ==, expected[i].package);
    }
}

static void
test_catalog_lookup_package (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const PickyAppInfo *info = picky_app_catalog_lookup_package (expected[i].package);

      g_assert_nonnull (info);
      g_assert_cmpstr (picky_app_info_get_id (info), ==, expected[i].id);
    }

  /* Phones report SMS under the package of whichever messaging app they ship. */
  g_assert_cmpstr (picky_app_info_get_id (picky_app_catalog_lookup_package ("com.android.mms")), ==, "sms");
  g_assert_cmpstr (picky_app_info_get_id (picky_app_catalog_lookup_package ("com.samsung.android.messaging")), ==, "sms");
}

static void
test_catalog_unknown (void)
{
  g_assert_null (picky_app_catalog_lookup ("myspace"));
  g_assert_null (picky_app_catalog_lookup (""));
  g_assert_null (picky_app_catalog_lookup ("WhatsApp"));
  g_assert_null (picky_app_catalog_lookup_package ("com.example.chat"));
  g_assert_null (picky_app_catalog_lookup_package ("com.whatsapp.w4"));
  g_assert_cmpstr (picky_app_catalog_get_display_name ("myspace"), ==, "myspace");
}

static void
test_catalog_list (void)
{
  const PickyAppInfo * const *apps = picky_app_catalog_list ();
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) packages = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = 0;

  for (; apps[n] != NULL; n++)
    {
      const char * const *p = picky_app_info_get_packages (apps[n]);

      g_assert_true (picky_app_catalog_lookup (picky_app_info_get_id (apps[n])) == apps[n]);
      g_assert_true (g_hash_table_add (ids, (gpointer) picky_app_info_get_id (apps[n])));

      /* A package belonging to two apps would make relay messages ambiguous. */
      for (guint j = 0; p[j] != NULL; j++)
        g_assert_true (g_hash_table_add (packages, (gpointer) p[j]));
    }

  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));
  g_assert_cmpuint (g_hash_table_size (packages), ==, n + 2);
}

static void
test_catalog_icons (void)
{
  const PickyAppInfo * const *apps = picky_app_catalog_list ();

  for (guint i = 0; apps[i] != NULL; i++)
    {
      const char *icon_name = picky_app_info_get_icon_name (apps[i]);
      g_autofree char *expected_name = g_strdup_printf ("picky-app-%s-symbolic", picky_app_info_get_id (apps[i]));
      g_autofree char *basename = g_strconcat (icon_name, ".svg", NULL);
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "icons", "hicolor",
                                                     "symbolic", "apps", basename, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpstr (icon_name, ==, expected_name);
      g_file_get_contents (path, &contents, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (strstr (contents, "width=\"16\" height=\"16\""));
      g_assert_nonnull (strstr (contents, "fill=\"#2e3436\""));
    }
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/app-catalog/lookup-id", test_catalog_lookup_id);
  g_test_add_func ("/picky/app-catalog/lookup-package", test_catalog_lookup_package);
  g_test_add_func ("/picky/app-catalog/unknown", test_catalog_unknown);
  g_test_add_func ("/picky/app-catalog/list", test_catalog_list);
  g_test_add_func ("/picky/app-catalog/icons", test_catalog_icons);

  return g_test_run ();
}
