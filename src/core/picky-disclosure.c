/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scoped disclosure: the demand checked, and the JSON and the PDF with its cover page built. */

#include "config.h"

#include <cairo-pdf.h>
#include <json-glib/json-glib.h>
#include <pango/pangocairo.h>
#include <glib/gi18n.h>

#include "picky-disclosure.h"

/* A4 in points, and its margin. */
#define PAGE_WIDTH 595.0
#define PAGE_HEIGHT 842.0
#define MARGIN 56.0

static const struct {
  PickyDisclosureField  field;
  const char           *name;
} field_names[] = {
  { PICKY_DISCLOSURE_FIELD_NAME, "name" },
  { PICKY_DISCLOSURE_FIELD_NUMBER, "number" },
  { PICKY_DISCLOSURE_FIELD_MESSAGES, "messages" },
  { PICKY_DISCLOSURE_FIELD_TIMES, "times" },
  { PICKY_DISCLOSURE_FIELD_MEDIA, "media" },
  { PICKY_DISCLOSURE_FIELD_CHANNEL, "channel" },
};

static const char * const requester_names[] = {
  [PICKY_DISCLOSURE_REQUESTER_AUTHORITY] = "authority",
  [PICKY_DISCLOSURE_REQUESTER_PAYMENT_PARTNER] = "payment-partner",
  [PICKY_DISCLOSURE_REQUESTER_FRAUD_TEAM] = "fraud-team",
};

static const char *
requester_title (PickyDisclosureRequester requester)
{
  switch (requester)
    {
    case PICKY_DISCLOSURE_REQUESTER_PAYMENT_PARTNER:
      return _("The payment gateway partner");
    case PICKY_DISCLOSURE_REQUESTER_FRAUD_TEAM:
      return _("The fraud monitoring team");
    case PICKY_DISCLOSURE_REQUESTER_AUTHORITY:
    default:
      return _("An authority");
    }
}

/**
 * picky_disclosure_request_new:
 * @fields: the #PickyDisclosureField values to include
 */
PickyDisclosureRequest *
picky_disclosure_request_new (gint64                    contact_id,
                              PickyDisclosureRequester  requester,
                              const char               *reference,
                              const char               *reason,
                              gint64                    from,
                              gint64                    until,
                              guint                     fields)
{
  PickyDisclosureRequest *request = g_new0 (PickyDisclosureRequest, 1);

  request->contact_id = contact_id;
  request->requester = requester;
  request->reference = g_strdup (reference != NULL ? reference : "");
  request->reason = g_strdup (reason != NULL ? reason : "");
  request->from = from;
  request->until = until;
  request->fields = fields;

  return request;
}

PickyDisclosureRequest *
picky_disclosure_request_copy (const PickyDisclosureRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);

  return picky_disclosure_request_new (request->contact_id, request->requester, request->reference,
                                       request->reason, request->from, request->until, request->fields);
}

void
picky_disclosure_request_free (PickyDisclosureRequest *request)
{
  if (request == NULL)
    return;

  g_free (request->reference);
  g_free (request->reason);
  g_free (request);
}

static gboolean
is_blank (const char *text)
{
  for (; text != NULL && *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;

  return TRUE;
}

/**
 * picky_disclosure_request_check:
 *
 * A demand names who makes it, their reference and a reason, a period that
 * ends after it starts, and at least one field.
 */
gboolean
picky_disclosure_request_check (const PickyDisclosureRequest  *request,
                                GError                       **error)
{
  g_return_val_if_fail (request != NULL, FALSE);

  if ((guint) request->requester >= G_N_ELEMENTS (requester_names))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The requester is not one of those the policy names"));
  else if (is_blank (request->reference))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The requester’s reference is missing"));
  else if (is_blank (request->reason))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The reason for the disclosure is missing"));
  else if (!g_utf8_validate (request->reference, -1, NULL) || !g_utf8_validate (request->reason, -1, NULL))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The reference or the reason is not valid text"));
  else if (request->until <= request->from)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The period ends before it starts"));
  else if ((request->fields & PICKY_DISCLOSURE_FIELD_ALL) == 0 || (request->fields & ~PICKY_DISCLOSURE_FIELD_ALL) != 0)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No fields to disclose were chosen"));
  else
    return TRUE;

  return FALSE;
}

const char *
picky_disclosure_requester_to_string (PickyDisclosureRequester requester)
{
  g_return_val_if_fail ((guint) requester < G_N_ELEMENTS (requester_names), NULL);

  return requester_names[requester];
}

gboolean
picky_disclosure_requester_from_string (const char               *text,
                                        PickyDisclosureRequester *requester)
{
  for (guint i = 0; i < G_N_ELEMENTS (requester_names); i++)
    if (g_strcmp0 (text, requester_names[i]) == 0)
      {
        *requester = i;
        return TRUE;
      }

  return FALSE;
}

guint
picky_disclosure_fields_from_string (const char  *text,
                                     GError     **error)
{
  g_auto(GStrv) names = g_strsplit (text != NULL ? text : "", ",", -1);
  guint fields = 0;

  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *name = g_strstrip (names[i]);
      guint j;

      for (j = 0; j < G_N_ELEMENTS (field_names); j++)
        if (g_str_equal (name, field_names[j].name))
          break;
      if (j == G_N_ELEMENTS (field_names))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Unknown field “%s”: use name, number, messages, times, media or channel"), name);
          return 0;
        }
      fields |= field_names[j].field;
    }

  if (fields == 0)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No fields to disclose were chosen"));

  return fields;
}

/* The names of @fields, comma-separated, in a fixed order. */
char *
picky_disclosure_fields_to_string (guint fields)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (field_names); i++)
    if (fields & field_names[i].field)
      g_string_append_printf (text, "%s%s", text->len > 0 ? "," : "", field_names[i].name);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
format_utc (gint64 time)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time);

  return g_date_time_format_iso8601 (utc);
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/**
 * picky_disclosure_build_json:
 *
 * The disclosure as JSON: the demand and its scope, then only the fields
 * it names. Without a message field there are no messages at all.
 *
 * Returns: (transfer full): UTF-8 JSON
 */
char *
picky_disclosure_build_json (const PickyDisclosureRequest *request,
                             const char                   *name,
                             const char                   *number,
                             GPtrArray                    *messages,
                             GHashTable                   *channel_names,
                             gint64                        now)
{
  const guint per_message = PICKY_DISCLOSURE_FIELD_MESSAGES | PICKY_DISCLOSURE_FIELD_TIMES |
                            PICKY_DISCLOSURE_FIELD_MEDIA | PICKY_DISCLOSURE_FIELD_CHANNEL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *created = format_utc (now);
  g_autofree char *from = format_utc (request->from);
  g_autofree char *until = format_utc (request->until);

  json_builder_begin_object (builder);
  add_string (builder, "format", "picky-console-disclosure");
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);

  json_builder_set_member_name (builder, "request");
  json_builder_begin_object (builder);
  add_string (builder, "requester", picky_disclosure_requester_to_string (request->requester));
  add_string (builder, "reference", request->reference);
  add_string (builder, "reason", request->reason);
  add_string (builder, "created", created);
  json_builder_set_member_name (builder, "contact_id");
  json_builder_add_int_value (builder, request->contact_id);
  add_string (builder, "from", from);
  add_string (builder, "until", until);
  json_builder_set_member_name (builder, "fields");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (field_names); i++)
    if (request->fields & field_names[i].field)
      json_builder_add_string_value (builder, field_names[i].name);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  if (request->fields & (PICKY_DISCLOSURE_FIELD_NAME | PICKY_DISCLOSURE_FIELD_NUMBER))
    {
      json_builder_set_member_name (builder, "contact");
      json_builder_begin_object (builder);
      if (request->fields & PICKY_DISCLOSURE_FIELD_NAME)
        add_string (builder, "name", name);
      if (request->fields & PICKY_DISCLOSURE_FIELD_NUMBER)
        add_string (builder, "number", number);
      json_builder_end_object (builder);
    }

  if (request->fields & per_message)
    {
      json_builder_set_member_name (builder, "messages");
      json_builder_begin_array (builder);
      for (guint i = 0; i < messages->len; i++)
        {
          PickyMessage *message = g_ptr_array_index (messages, i);

          json_builder_begin_object (builder);
          if (request->fields & PICKY_DISCLOSURE_FIELD_MESSAGES)
            {
              add_string (builder, "direction", picky_message_get_direction (message) == PICKY_DIRECTION_IN ? "in" : "out");
              add_string (builder, "text", picky_message_get_text (message));
            }
          if (request->fields & PICKY_DISCLOSURE_FIELD_TIMES)
            {
              g_autofree char *time = format_utc (picky_message_get_timestamp (message));

              add_string (builder, "time", time);
            }
          if (request->fields & PICKY_DISCLOSURE_FIELD_MEDIA)
            add_string (builder, "media", picky_message_get_media (message));
          if (request->fields & PICKY_DISCLOSURE_FIELD_CHANNEL)
            {
              gint64 channel_id = picky_message_get_channel_id (message);

              add_string (builder, "app", picky_message_get_app (message));
              add_string (builder, "channel", g_hash_table_lookup (channel_names, &channel_id));
            }
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

static cairo_status_t
append_bytes_cb (void                *closure,
                 const unsigned char *data,
                 unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

typedef struct {
  cairo_t *cr;
  double   y;
} Page;

/* Draws @text at the current line, wrapped to the page, starting a new
 * page when it does not fit. */
static void
draw_text (Page       *page,
           const char *font,
           const char *text)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (page->cr);
  g_autoptr(PangoFontDescription) description = pango_font_description_from_string (font);
  int height;

  pango_layout_set_font_description (layout, description);
  pango_layout_set_width (layout, (int) ((PAGE_WIDTH - 2 * MARGIN) * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_size (layout, NULL, &height);

  if (page->y + height / (double) PANGO_SCALE > PAGE_HEIGHT - MARGIN && page->y > MARGIN)
    {
      cairo_show_page (page->cr);
      page->y = MARGIN;
    }
  cairo_move_to (page->cr, MARGIN, page->y);
  pango_cairo_show_layout (page->cr, layout);
  page->y += height / (double) PANGO_SCALE + 6;
}

static void
draw_pair (Page       *page,
           const char *label,
           const char *value)
{
  draw_text (page, "Sans Bold 10", label);
  draw_text (page, "Sans 11", value != NULL && value[0] != '\0' ? value : "—");
  page->y += 4;
}

static char *
format_local (gint64 time)
{
  g_autoptr(GDateTime) local = g_date_time_new_from_unix_local (time);

  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S %:z");
}

static const char *
field_title (PickyDisclosureField field)
{
  switch (field)
    {
    case PICKY_DISCLOSURE_FIELD_NAME:
      return _("Name");
    case PICKY_DISCLOSURE_FIELD_NUMBER:
      return _("Number");
    case PICKY_DISCLOSURE_FIELD_MESSAGES:
      return _("Message Texts");
    case PICKY_DISCLOSURE_FIELD_TIMES:
      return _("Times");
    case PICKY_DISCLOSURE_FIELD_MEDIA:
      return _("Media Details");
    case PICKY_DISCLOSURE_FIELD_CHANNEL:
    default:
      return _("Channel");
    }
}

/* The content pages read the JSON back, so that the PDF shows exactly
 * what the file whose hash the cover gives holds, and nothing else. */
static void
draw_content (Page       *page,
              JsonObject *root)
{
  /* Without name and number ticked there is no contact member at all. */
  JsonObject *contact = json_object_has_member (root, "contact")
                        ? json_object_get_object_member (root, "contact") : NULL;
  JsonArray *messages = json_object_has_member (root, "messages")
                        ? json_object_get_array_member (root, "messages") : NULL;

  cairo_show_page (page->cr);
  page->y = MARGIN;
  draw_text (page, "Sans Bold 16", _("Disclosed Data"));
  page->y += 8;

  if (contact != NULL && json_object_has_member (contact, "name"))
    draw_pair (page, _("Name"), json_object_get_string_member_with_default (contact, "name", NULL));
  if (contact != NULL && json_object_has_member (contact, "number"))
    draw_pair (page, _("Number"), json_object_get_string_member_with_default (contact, "number", NULL));

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      g_autoptr(GString) head = g_string_new (NULL);
      const char *text = json_object_get_string_member_with_default (message, "text", NULL);
      const char *media = json_object_get_string_member_with_default (message, "media", NULL);

      g_string_append_printf (head, "%u.", i + 1);
      if (json_object_has_member (message, "time"))
        g_string_append_printf (head, " %s", json_object_get_string_member_with_default (message, "time", ""));
      if (json_object_has_member (message, "direction"))
        g_string_append_printf (head, " %s", g_str_equal (json_object_get_string_member_with_default (message, "direction", ""), "in")
                                             ? _("from the contact") : _("to the contact"));
      if (json_object_has_member (message, "channel"))
        g_string_append_printf (head, " · %s · %s",
                                json_object_get_string_member_with_default (message, "app", ""),
                                json_object_get_string_member_with_default (message, "channel", ""));
      draw_text (page, "Sans Bold 9", head->str);
      if (text != NULL)
        draw_text (page, "Sans 10", text);
      if (media != NULL)
        draw_text (page, "Sans Italic 9", media);
    }
}

/**
 * picky_disclosure_build_pdf:
 * @json: what picky_disclosure_build_json() made for @request
 *
 * A cover page (who demanded it, their reference and reason, the scope,
 * the time and the SHA-256 of @json), then what @json holds, in the
 * console's language.
 *
 * Returns: (transfer full): the PDF, or %NULL with @error set
 */
GBytes *
picky_disclosure_build_pdf (const PickyDisclosureRequest  *request,
                            const char                    *json,
                            gint64                         now,
                            GError                       **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) scope = g_string_new (NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, json, -1);
  g_autofree char *created = format_local (now);
  g_autofree char *from = format_local (request->from);
  g_autofree char *until = format_local (request->until);
  g_autofree char *contact = NULL;
  g_autofree char *period = NULL;
  cairo_surface_t *surface;
  cairo_status_t status;
  Page page = { NULL, MARGIN };

  if (!json_parser_load_from_data (parser, json, -1, error))
    return NULL;

  surface = cairo_pdf_surface_create_for_stream (append_bytes_cb, bytes, PAGE_WIDTH, PAGE_HEIGHT);
  page.cr = cairo_create (surface);

  for (guint i = 0; i < G_N_ELEMENTS (field_names); i++)
    if (request->fields & field_names[i].field)
      g_string_append_printf (scope, "%s%s", scope->len > 0 ? ", " : "", field_title (field_names[i].field));
  contact = g_strdup_printf (_("Contact %lld"), (long long) request->contact_id);
  /* Translators: a period, e.g. "2026-03-01 00:00:00 +01:00 to 2026-04-01 00:00:00 +02:00" */
  period = g_strdup_printf (_("%s to %s"), from, until);

  draw_text (&page, "Sans Bold 20", _("Disclosure of Personal Data"));
  page.y += 12;
  draw_pair (&page, _("Requested by"), requester_title (request->requester));
  draw_pair (&page, _("Their reference"), request->reference);
  draw_pair (&page, _("Reason"), request->reason);
  draw_pair (&page, _("Contact"), contact);
  draw_pair (&page, _("Period"), period);
  draw_pair (&page, _("Fields included"), scope->str);
  draw_pair (&page, _("Written"), created);
  draw_pair (&page, _("SHA-256 of the JSON file"), hash);
  draw_text (&page, "Sans Italic 9",
             _("Only the fields listed above are included. The JSON file written with this document holds the same data; its SHA-256 above shows that it is unchanged."));

  draw_content (&page, json_node_get_object (json_parser_get_root (parser)));

  cairo_destroy (page.cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The PDF could not be drawn: %s"),
                   cairo_status_to_string (status));
      return NULL;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}
