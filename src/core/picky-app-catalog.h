/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The messaging apps the console knows: ids, names, Android packages and icons. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Entries live in a static table for the life of the process: never freed. */
typedef struct _PickyAppInfo PickyAppInfo;

const PickyAppInfo * const *picky_app_catalog_list           (void);
const PickyAppInfo         *picky_app_catalog_lookup         (const char *id);
const PickyAppInfo         *picky_app_catalog_lookup_package (const char *package);
const char                 *picky_app_catalog_get_display_name (const char *id);

const char                 *picky_app_info_get_id            (const PickyAppInfo *info);
const char                 *picky_app_info_get_display_name  (const PickyAppInfo *info);
const char                 *picky_app_info_get_icon_name     (const PickyAppInfo *info);
const char * const         *picky_app_info_get_packages      (const PickyAppInfo *info);

G_END_DECLS
