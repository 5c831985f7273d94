/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A fake Telegram Bot API server for tests, on 127.0.0.1 in a thread of its own. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char   *method;   /* the Bot API method, e.g. "getUpdates" */
  char   *path;     /* the whole request path, token included */
  GBytes *body;
  gint64  time;     /* monotonic µs when it arrived */
} PickyFakeRequest;

void picky_fake_request_free (PickyFakeRequest *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyFakeRequest, picky_fake_request_free)

#define PICKY_TYPE_FAKE_TELEGRAM (picky_fake_telegram_get_type ())

G_DECLARE_FINAL_TYPE (PickyFakeTelegram, picky_fake_telegram, PICKY, FAKE_TELEGRAM, GObject)

PickyFakeTelegram *picky_fake_telegram_new            (void);
const char        *picky_fake_telegram_get_base_url   (PickyFakeTelegram *self);

void               picky_fake_telegram_queue          (PickyFakeTelegram *self,
                                                       const char        *method,
                                                       guint              status,
                                                       GBytes            *body,
                                                       const char        *retry_after);
void               picky_fake_telegram_queue_sample   (PickyFakeTelegram *self,
                                                       const char        *method,
                                                       guint              status,
                                                       const char        *sample,
                                                       const char        *retry_after);
void               picky_fake_telegram_set_idle_delay (PickyFakeTelegram *self,
                                                       guint              ms);
void               picky_fake_telegram_set_listening  (PickyFakeTelegram *self,
                                                       gboolean           listening);

guint              picky_fake_telegram_count          (PickyFakeTelegram *self,
                                                       const char        *method);
GPtrArray         *picky_fake_telegram_dup_requests   (PickyFakeTelegram *self,
                                                       const char        *method);

GBytes            *picky_fake_telegram_load_sample    (const char        *sample);

G_END_DECLS
