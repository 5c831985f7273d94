/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scoped disclosure: a verified demand, and the JSON file and PDF that answer it. */

#pragma once

#include <gio/gio.h>

#include "picky-message.h"
#include "picky-store.h"

G_BEGIN_DECLS

/* What a disclosure may hold; nothing else is ever written. */
typedef enum {
  PICKY_DISCLOSURE_FIELD_NAME     = 1 << 0,
  PICKY_DISCLOSURE_FIELD_NUMBER   = 1 << 1,
  PICKY_DISCLOSURE_FIELD_MESSAGES = 1 << 2,  /* message texts, with their direction */
  PICKY_DISCLOSURE_FIELD_TIMES    = 1 << 3,
  PICKY_DISCLOSURE_FIELD_MEDIA    = 1 << 4,
  PICKY_DISCLOSURE_FIELD_CHANNEL  = 1 << 5,
} PickyDisclosureField;

#define PICKY_DISCLOSURE_FIELD_ALL 0x3f

/* Who may demand one, as the privacy policy names them. */
typedef enum {
  PICKY_DISCLOSURE_REQUESTER_AUTHORITY,
  PICKY_DISCLOSURE_REQUESTER_PAYMENT_PARTNER,
  PICKY_DISCLOSURE_REQUESTER_FRAUD_TEAM,
} PickyDisclosureRequester;

typedef struct {
  gint64                    contact_id;
  PickyDisclosureRequester  requester;
  char                     *reference;  /* their case or ticket number */
  char                     *reason;
  gint64                    from;       /* unix seconds, included */
  gint64                    until;      /* unix seconds, excluded */
  guint                     fields;     /* PickyDisclosureField */
} PickyDisclosureRequest;

PickyDisclosureRequest *picky_disclosure_request_new  (gint64                    contact_id,
                                                       PickyDisclosureRequester  requester,
                                                       const char               *reference,
                                                       const char               *reason,
                                                       gint64                    from,
                                                       gint64                    until,
                                                       guint                     fields);
PickyDisclosureRequest *picky_disclosure_request_copy (const PickyDisclosureRequest *request);
void                    picky_disclosure_request_free (PickyDisclosureRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyDisclosureRequest, picky_disclosure_request_free)

/* Whether @request names a requester, a reason, a period and fields. */
gboolean     picky_disclosure_request_check         (const PickyDisclosureRequest  *request,
                                                     GError                       **error);
/* "authority", "payment-partner", "fraud-team" */
const char  *picky_disclosure_requester_to_string   (PickyDisclosureRequester  requester);
gboolean     picky_disclosure_requester_from_string (const char                *text,
                                                     PickyDisclosureRequester  *requester);
/* "name,number,messages,times,media,channel": 0 with @error for an unknown one. */
guint        picky_disclosure_fields_from_string    (const char  *text,
                                                     GError     **error);
char        *picky_disclosure_fields_to_string      (guint        fields);

/* Writes @json_path and @pdf_path (a cover page, then the same content),
 * each only once complete, and records the demand, but not what was
 * disclosed, in the audit trail. */
void         picky_disclosure_write_async           (PickyStore                   *store,
                                                     const PickyDisclosureRequest *request,
                                                     const char                   *json_path,
                                                     const char                   *pdf_path,
                                                     GCancellable                 *cancellable,
                                                     GAsyncReadyCallback           callback,
                                                     gpointer                      user_data);
gboolean     picky_disclosure_write_finish          (GAsyncResult  *result,
                                                     GError       **error);

/* For the store: the two files' content from what it read. @messages are
 * the contact's, in the period, oldest first; @channel_names maps a
 * channel id (gint64*) to its name. */
char        *picky_disclosure_build_json            (const PickyDisclosureRequest  *request,
                                                     const char                    *name,
                                                     const char                    *number,
                                                     GPtrArray                     *messages,
                                                     GHashTable                    *channel_names,
                                                     gint64                         now);
GBytes      *picky_disclosure_build_pdf             (const PickyDisclosureRequest  *request,
                                                     const char                    *json,
                                                     gint64                         now,
                                                     GError                       **error);

G_END_DECLS
