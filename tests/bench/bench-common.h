/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the benchmarks share: the same generated rows, and the plain-loop SQLite ceiling over them. */

#pragma once

#include <glib.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define N_CONTACTS 50000
#define N_DAYS 365
#define START ((gint64) 1672531200)  /* 2023-01-01 UTC */

/* Words of several scripts, so that texts and the search index look like
 * an international inbox rather than one repeated ASCII word. */
static const char *latin_words[] G_GNUC_UNUSED = {
  "hello", "order", "delivery", "tomorrow", "price", "thanks", "please", "invoice",
  "where", "is", "my", "package", "the", "a", "can", "you", "send", "photo", "refund",
  "hola", "pedido", "gracias", "envío", "mañana", "precio", "danke", "bestellung",
  "lieferung", "rechnung", "bonjour", "commande", "livraison", "merci", "problem",
  "payment", "address", "change", "cancel", "status", "tracking", "number", "size",
};
static const char *devanagari_words[] G_GNUC_UNUSED = {
  "नमस्ते", "ऑर्डर", "कहाँ", "है", "धन्यवाद", "कीमत", "डिलीवरी", "कल", "भुगतान",
  "पता", "बदलना", "रद्द", "कृपया", "मेरा", "पार्सल", "बिल",
};
static const char *arabic_words[] G_GNUC_UNUSED = {
  "مرحبا", "طلبي", "أين", "شكرا", "السعر", "التوصيل", "غدا", "الدفع", "العنوان",
  "إلغاء", "من", "فضلك", "الفاتورة", "الطرد", "متى",
};
static const char *emoji[] G_GNUC_UNUSED = { "😀", "👍", "🙏", "🎉", "❤️", "😂", "📦", "✅" };

typedef struct {
  guint64 state;
} Rng;

typedef struct {
  gint64 timestamp;
  guint contact;
  PickyDirection direction;
  char key[32];
  char contact_id[16];
  char name[32];
  char phone[24];
  GString *text;
} BenchRow;

/* How many rows a run makes; make_row spreads them over a year. */
extern guint64  n_messages;
/* Every row incoming, as webhooks bring them. */
extern gboolean bench_all_incoming;
/* Contacts drawn evenly, not some far more than others: at a million rows
 * every one of N_CONTACTS writes. */
extern gboolean bench_even_contacts;

guint64      rng_next         (Rng         *rng);
guint        rng_below        (Rng         *rng,
                               guint        n);
void         make_row         (guint64      index,
                               BenchRow    *row);
const char  *contact_app      (guint        contact);
gint64       contact_channel  (guint        contact);
double       now_s            (void);
gint64       file_size        (const char  *path);
void         remove_database  (const char  *path);
PickyCipher *bench_cipher     (void);
/* Rows per second of the store's own statements in a plain loop,
 * 1,000 rows a transaction: what ingest cannot beat. */
double       run_ceiling      (const char  *path,
                               PickyCipher *cipher);
double       peak_rss_mb      (void);

PickyStore   *bench_open_store    (const char    *path,
                                   PickyCipher   *cipher);
PickyCipher  *bench_cipher_for_store (const char *path);
PickyStore   *bench_reopen_store  (const char    *path,
                                   PickyCipher   *cipher);
void          bench_fill_store    (PickyStore    *store);
void          bench_got_result_cb (GObject       *source,
                                   GAsyncResult  *result,
                                   gpointer       user_data);
GAsyncResult *bench_wait_for      (GAsyncResult **slot);
double        bench_percentile    (GArray        *samples,
                                   double         fraction);

G_END_DECLS
