/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pairing a phone: a one-use code and the console's address, as text and as a QR code. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <qrencode.h>

#include "picky-clock.h"
#include "picky-pair-dialog.h"
#include "picky-relay-channel.h"
#include "picky-webhook-server.h"

/* White modules around the code, as the QR specification asks. */
#define QUIET_ZONE 4
#define MODULE_PIXELS 6

struct _PickyPairDialog
{
  AdwWindow     parent_instance;

  /* template widgets */
  GtkPicture   *qr_picture;
  AdwEntryRow  *url_row;
  GtkLabel     *code_label;
  GtkButton    *copy_code_button;
  GtkLabel     *expiry_label;
  GtkButton    *new_code_button;
  GtkLabel     *error_label;

  /* owned */
  PickyStore   *store;
  GSettings    *settings;
  GCancellable *cancellable;
  char         *code;
  gint64        expires;      /* unix seconds, by the window's clock */
  guint         countdown_id;
  gboolean      ready;
};

G_DEFINE_FINAL_TYPE (PickyPairDialog, picky_pair_dialog, ADW_TYPE_WINDOW)

/* Without a configured address, the listener's own port on this host: right
 * on a local network, and a hint of what to put there otherwise. */
static char *
default_url (GSettings *settings)
{
  guint port = settings != NULL ? (guint) g_settings_get_int (settings, "webhook-port")
                                : PICKY_WEBHOOK_DEFAULT_PORT;

  return g_strdup_printf ("http://%s:%u", g_get_host_name (), port);
}

static void
show_error (PickyPairDialog *self,
            const char      *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

/* The code is shown only once the store holds it, and until it expires: a
 * phone must never be offered a code the console would refuse. The QR code
 * is drawn before, unseen, so that the dialog opens at its full size. */
static gboolean
code_usable (PickyPairDialog *self)
{
  return self->ready && picky_clock_get_now (picky_clock_get_default ()) < self->expires;
}

static void
update_qr (PickyPairDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *text = NULL;

  gtk_widget_set_opacity (GTK_WIDGET (self->qr_picture), code_usable (self) ? 1 : 0);

  text = picky_pair_dialog_dup_qr_text (self);
  texture = picky_pair_dialog_render_qr (text, MODULE_PIXELS, &error);
  if (texture == NULL)
    {
      show_error (self, error->message);
      return;
    }

  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (texture));
}

/* Minutes and seconds left, or that the code has expired with the offer
 * of a new one. */
static void
update_countdown (PickyPairDialog *self)
{
  gint64 left = self->expires - picky_clock_get_now (picky_clock_get_default ());
  gboolean usable = code_usable (self);

  if (!self->ready)
    {
      gtk_label_set_label (self->expiry_label, "");
    }
  else if (left > 0)
    {
      /* Translators: the time left before a pairing code expires, in minutes and seconds, e.g. "in 9:05" */
      g_autofree char *text = g_strdup_printf (_("in %u:%02u"), (guint) (left / 60), (guint) (left % 60));

      gtk_label_set_label (self->expiry_label, text);
    }
  else
    {
      gtk_label_set_label (self->expiry_label, _("Expired"));
    }

  gtk_widget_set_visible (GTK_WIDGET (self->new_code_button), self->ready && !usable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_code_button), usable);
  gtk_label_set_text (self->code_label, usable ? self->code : "");
  /* The row is the Tab stop and reads the code with its title. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_widget_get_ancestor (GTK_WIDGET (self->code_label),
                                                                           ADW_TYPE_ACTION_ROW)),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, usable ? self->code : "", -1);
  update_qr (self);
}

static gboolean
on_countdown_cb (gpointer user_data)
{
  PickyPairDialog *self = user_data;

  update_countdown (self);
  if (!code_usable (self))
    {
      self->countdown_id = 0;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
on_clock_tick_cb (PickyPairDialog *self)
{
  update_countdown (self);
}

static void
copy_text (PickyPairDialog *self,
           const char      *text)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
}

static void
on_copy_code_clicked_cb (PickyPairDialog *self)
{
  if (code_usable (self))
    copy_text (self, self->code);
}

static void
on_copy_url_clicked_cb (PickyPairDialog *self)
{
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));

  copy_text (self, url);
}

static void store_new_code (PickyPairDialog *self);

static void
on_new_code_clicked_cb (PickyPairDialog *self)
{
  store_new_code (self);
}

static void
on_url_row_changed_cb (PickyPairDialog *self)
{
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));

  if (self->settings != NULL)
    {
      g_autofree char *stored = g_settings_get_string (self->settings, "relay-public-url");

      if (g_strcmp0 (stored, url) != 0)
        g_settings_set_string (self->settings, "relay-public-url", url);
    }
  update_qr (self);
}

static void
on_code_stored_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PickyPairDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_store_add_pairing_code_finish (PICKY_STORE (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *message = g_strdup_printf (_("The pairing code could not be saved: %s"),
                                                      error->message);

          show_error (self, message);
        }
      return;
    }

  self->ready = TRUE;
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  self->countdown_id = g_timeout_add_seconds (1, on_countdown_cb, self);
  update_countdown (self);
}

/* A fresh code, kept by the store before it is shown. */
static void
store_new_code (PickyPairDialog *self)
{
  g_free (self->code);
  self->code = picky_relay_channel_generate_pairing_code ();
  self->expires = picky_clock_get_now (picky_clock_get_default ()) + PICKY_RELAY_PAIRING_LIFETIME;
  self->ready = FALSE;
  show_error (self, NULL);
  update_countdown (self);

  picky_store_add_pairing_code_async (self->store, self->code, self->expires, self->cancellable,
                                      on_code_stored_cb, g_object_ref (self));
}

static void
picky_pair_dialog_dispose (GObject *object)
{
  PickyPairDialog *self = PICKY_PAIR_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (picky_pair_dialog_parent_class)->dispose (object);
}

static void
picky_pair_dialog_finalize (GObject *object)
{
  PickyPairDialog *self = PICKY_PAIR_DIALOG (object);

  g_free (self->code);

  G_OBJECT_CLASS (picky_pair_dialog_parent_class)->finalize (object);
}

static void
picky_pair_dialog_class_init (PickyPairDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_pair_dialog_dispose;
  object_class->finalize = picky_pair_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-pair-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyPairDialog, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, PickyPairDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, PickyPairDialog, code_label);
  gtk_widget_class_bind_template_child (widget_class, PickyPairDialog, copy_code_button);
  gtk_widget_class_bind_template_child (widget_class, PickyPairDialog, expiry_label);
  gtk_widget_class_bind_template_child (widget_class, PickyPairDialog, new_code_button);
  gtk_widget_class_bind_template_child (widget_class, PickyPairDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_url_row_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_code_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_url_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_new_code_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
picky_pair_dialog_init (PickyPairDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  /* A test may set the time: the countdown follows at once. */
  g_signal_connect_object (picky_clock_get_default (), "tick", G_CALLBACK (on_clock_tick_cb),
                           self, G_CONNECT_SWAPPED);
}

/**
 * picky_pair_dialog_new:
 * @store: where the code is kept, as a keyed hash, until a phone uses it
 * @settings: (nullable): the console's settings, holding the public address
 *
 * Returns: (transfer full): a dialog showing a fresh pairing code
 */
PickyPairDialog *
picky_pair_dialog_new (GtkWindow  *parent,
                       PickyStore *store,
                       GSettings  *settings)
{
  PickyPairDialog *self;
  g_autofree char *url = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PICKY_IS_STORE (store), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (PICKY_TYPE_PAIR_DIALOG, "transient-for", parent, NULL);
  self->store = g_object_ref (store);
  g_set_object (&self->settings, settings);

  if (settings != NULL)
    url = g_settings_get_string (settings, "relay-public-url");
  if (url == NULL || url[0] == '\0')
    {
      g_free (url);
      url = default_url (settings);
    }
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);

  store_new_code (self);

  return self;
}

/**
 * picky_pair_dialog_get_code:
 *
 * Returns: the pairing code the dialog shows, as "ABCD-EF23"
 */
const char *
picky_pair_dialog_get_code (PickyPairDialog *self)
{
  g_return_val_if_fail (PICKY_IS_PAIR_DIALOG (self), NULL);

  return self->code;
}

/**
 * picky_pair_dialog_get_expires:
 *
 * Returns: when the code shown expires, in unix seconds
 */
gint64
picky_pair_dialog_get_expires (PickyPairDialog *self)
{
  g_return_val_if_fail (PICKY_IS_PAIR_DIALOG (self), 0);

  return self->expires;
}

/**
 * picky_pair_dialog_get_ready:
 *
 * Returns: whether the code is stored and shown
 */
gboolean
picky_pair_dialog_get_ready (PickyPairDialog *self)
{
  g_return_val_if_fail (PICKY_IS_PAIR_DIALOG (self), FALSE);

  return self->ready;
}

/**
 * picky_pair_dialog_dup_qr_text:
 *
 * Returns: (transfer full): what the QR code holds: a pickyrelay: URI with
 *   the console's address and the code, see docs/relay-protocol.md
 */
char *
picky_pair_dialog_dup_qr_text (PickyPairDialog *self)
{
  g_autofree char *url = NULL;
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (PICKY_IS_PAIR_DIALOG (self), NULL);

  url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
  escaped = g_uri_escape_string (url, NULL, FALSE);

  return g_strdup_printf ("pickyrelay:?url=%s&code=%s", escaped, self->code);
}

/**
 * picky_pair_dialog_render_qr:
 * @text: what the code holds
 * @scale: pixels per module
 *
 * Draws @text as a QR code (error correction level M) with its quiet zone,
 * black on white, each module @scale pixels square, so that nothing is
 * blurred by scaling.
 *
 * Returns: (transfer full): the image, or %NULL when @text does not fit
 */
GdkTexture *
picky_pair_dialog_render_qr (const char  *text,
                             guint        scale,
                             GError     **error)
{
  QRcode *code;
  g_autoptr(GBytes) bytes = NULL;
  guchar *pixels;
  gsize side, stride;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (scale > 0, NULL);

  code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The address is too long for a QR code"));
      return NULL;
    }

  side = (code->width + 2 * QUIET_ZONE) * scale;
  stride = side * 3;
  pixels = g_malloc (stride * side);
  memset (pixels, 0xff, stride * side);

  for (int y = 0; y < code->width; y++)
    for (int x = 0; x < code->width; x++)
      {
        /* Bit 0 of each byte is the module's colour: 1 is dark. */
        if ((code->data[y * code->width + x] & 1) == 0)
          continue;

        for (guint dy = 0; dy < scale; dy++)
          memset (pixels + ((y + QUIET_ZONE) * scale + dy) * stride + (x + QUIET_ZONE) * scale * 3,
                  0x00, scale * 3);
      }

  QRcode_free (code);
  bytes = g_bytes_new_take (pixels, stride * side);

  return gdk_memory_texture_new (side, side, GDK_MEMORY_R8G8B8, bytes, stride);
}
