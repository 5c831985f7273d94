/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What Meta's webhooks share across WhatsApp, Messenger and Instagram. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <sodium.h>

#include "picky-channel-private.h"
#include "picky-json.h"
#include "picky-meta-webhook.h"

#define SIGNATURE_PREFIX "sha256="
#define VERIFY_TOKEN_LENGTH 32

static gboolean
strings_equal_constant_time (const char *a,
                             const char *b)
{
  gsize length;

  if (a == NULL || b == NULL)
    return FALSE;

  /* The length of a verify token is no secret worth hiding. */
  length = strlen (a);
  if (length != strlen (b))
    return FALSE;

  return picky_signature_equal ((const guint8 *) a, (const guint8 *) b, length);
}

/**
 * picky_meta_decode_signature:
 * @header: (nullable): an X-Hub-Signature-256 header
 * @digest: (out): where its bytes go
 *
 * Returns: whether @header is "sha256=" and a digest in lower-case hex
 */
gboolean
picky_meta_decode_signature (const char *header,
                             guint8      digest[PICKY_SIGNATURE_SIZE])
{
  if (header == NULL || !g_str_has_prefix (header, SIGNATURE_PREFIX))
    return FALSE;

  return picky_signature_decode_hex (header + strlen (SIGNATURE_PREFIX), digest);
}

/**
 * picky_meta_check_signature:
 * @body: the raw request body, exactly as received
 * @header: (nullable): the X-Hub-Signature-256 header
 * @app_secret: (nullable): the Meta app's secret
 *
 * Returns: whether @header is "sha256=" and the HMAC-SHA256 of @body under
 *   @app_secret in lower-case hex, as Meta sends it; always %FALSE without a secret
 */
gboolean
picky_meta_check_signature (GBytes     *body,
                            const char *header,
                            const char *app_secret)
{
  guint8 expected[PICKY_SIGNATURE_SIZE];
  guint8 given[PICKY_SIGNATURE_SIZE];

  g_return_val_if_fail (body != NULL, FALSE);

  if (app_secret == NULL || *app_secret == '\0' || !picky_meta_decode_signature (header, given))
    return FALSE;

  picky_signature_compute (body, app_secret, expected);
  return picky_signature_equal (expected, given, PICKY_SIGNATURE_SIZE);
}

/**
 * picky_meta_generate_verify_token:
 *
 * Returns: (transfer full): 32 random URL-safe characters for the admin
 *   to paste into Meta's dashboard
 */
char *
picky_meta_generate_verify_token (void)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  guint8 random[VERIFY_TOKEN_LENGTH];
  char *token = g_new (char, VERIFY_TOKEN_LENGTH + 1);

  /* 64 symbols, so the low six bits of each random byte pick one with no
   * bias; the bytes come from the system's cryptographic source. */
  if (sodium_init () < 0)
    g_error ("libsodium cannot be initialised");
  randombytes_buf (random, sizeof random);
  for (guint i = 0; i < VERIFY_TOKEN_LENGTH; i++)
    token[i] = alphabet[random[i] & 63];
  token[VERIFY_TOKEN_LENGTH] = '\0';
  sodium_memzero (random, sizeof random);

  return token;
}

/**
 * picky_meta_handle_verify:
 * @request: a GET to a Meta webhook path
 * @members: the running channels on that path
 * @get_verify_token: what each of them answers to
 *
 * Answers Meta's subscription check: the challenge, byte for byte, when
 * the verify token is one of the members', else 403.
 */
void
picky_meta_handle_verify (PickyWebhookRequest      *request,
                          GPtrArray                *members,
                          PickyMetaVerifyTokenFunc  get_verify_token)
{
  const char *mode = picky_webhook_request_get_query (request, "hub.mode");
  const char *token = picky_webhook_request_get_query (request, "hub.verify_token");
  const char *challenge = picky_webhook_request_get_query (request, "hub.challenge");
  gboolean matched = FALSE;

  if (g_strcmp0 (mode, "subscribe") == 0 && token != NULL && challenge != NULL)
    for (guint i = 0; i < members->len; i++)
      {
        /* Every channel is compared, so the time taken names none. */
        matched |= strings_equal_constant_time (get_verify_token (g_ptr_array_index (members, i)), token);
      }

  if (!matched)
    {
      picky_webhook_request_respond (request, SOUP_STATUS_FORBIDDEN, NULL, NULL, 0);
      return;
    }

  picky_webhook_request_respond (request, SOUP_STATUS_OK, "text/plain", challenge, -1);
}

/**
 * picky_meta_dup_setup:
 * @secrets: (nullable): a new channel's secrets, with its "verify-token"
 * @path: the channel kind's webhook path
 *
 * Returns: (transfer full) (nullable): what to paste into Meta's dashboard
 */
PickyChannelSetup *
picky_meta_dup_setup (GHashTable *secrets,
                      const char *path)
{
  const char *verify_token = secrets != NULL ? g_hash_table_lookup (secrets, "verify-token") : NULL;
  PickyChannelSetup *setup;

  if (verify_token == NULL)
    return NULL;

  setup = picky_channel_setup_new (_("Connect the Webhook"),
                                   _("Meta sends messages only once the webhook is connected. In your app in Meta’s developer dashboard:\n"
                                     "1. Open the webhook settings (WhatsApp, Configuration; or Webhooks for a page).\n"
                                     "2. Set the callback URL to your public HTTPS address followed by the callback path.\n"
                                     "3. Paste the verify token and choose Verify and Save.\n"
                                     "4. Subscribe to the messages field.\n"
                                     "The channel’s Edit dialog shows both again."));
  picky_channel_setup_add_value (setup, _("Callback Path"), path);
  picky_channel_setup_add_value (setup, _("Verify Token"), verify_token);

  return setup;
}

/**
 * picky_meta_parse_graph_error:
 * @root: (nullable): a Graph API answer
 * @subcode: (out) (optional): its error_subcode, or -1
 * @details: (out) (optional) (transfer none): the best words for an admin:
 *   error_data.details, else the message, else %NULL
 *
 * Decisions rest on the code, never on HTTP status or wording.
 *
 * Returns: the error code, or -1 when @root holds no Graph error
 */
gint64
picky_meta_parse_graph_error (JsonObject  *root,
                              gint64      *subcode,
                              const char **details)
{
  JsonObject *error = picky_json_get_object (root, "error");
  const char *words = NULL;

  if (error != NULL)
    {
      words = picky_json_get_string (picky_json_get_object (error, "error_data"), "details");
      if (words == NULL)
        words = picky_json_get_string (error, "message");
    }
  if (subcode != NULL)
    *subcode = error != NULL ? json_object_get_int_member_with_default (error, "error_subcode", -1) : -1;
  if (details != NULL)
    *details = words;

  return error != NULL ? json_object_get_int_member_with_default (error, "code", -1) : -1;
}
