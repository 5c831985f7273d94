/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Telegram through the Bot API: long polling in, sendMessage out. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "picky-bidi.h"
#include "picky-json.h"
#include "picky-pacer.h"
#include "picky-channel-private.h"
#include "picky-telegram-channel.h"

#define UPDATE_LIMIT 100
#define MAX_POLL_TIMEOUT 50
/* The HTTP timeout must outlast the server's long-poll wait. */
#define HTTP_TIMEOUT_MARGIN 15
#define BACKOFF_MIN_MS 1000
/* Telegram's guidance: about one message a second to a chat, at most
 * twenty a minute to a group. */
#define CHAT_INTERVAL_MS 1000
#define GROUP_WINDOW_N 20
#define GROUP_WINDOW_MS 60000
/* 409 means another poller exists; hammering it only prolongs the fight. */
#define CONFLICT_MIN_MS 5000
#define RETRY_AFTER_DEFAULT 5
#define OFFSET_KEY "offset"
/* libsoup 3.2 names no constant for it. */
#define HTTP_TOO_MANY_REQUESTS 429

struct _PickyTelegramChannel
{
  PickyChannel  parent_instance;

  /* owned */
  SoupSession  *session;
  GCancellable *run_cancellable;   /* the current run of polling; NULL when not polling */
  char         *token;
  GHashTable   *migrated_chats;    /* old chat id → new one, both gint64* */
  PickyPacer   *pacer;             /* when the next reply to each chat may go */
  guint         retry_source;
  guint         backoff_attempt;
  gint64        offset;            /* 0: not read from the store yet */
  gboolean      running;           /* between start and stop */
  gboolean      reading;           /* read access was on when last looked at */
  gboolean      confirm_drop;      /* the next batch may hold messages sent while read was off */
  gint64        off_since;         /* 0: read was already off when we started */
  gint64        resumed_at;

  /* construct-only */
  guint         poll_timeout;
};

G_DEFINE_FINAL_TYPE (PickyTelegramChannel, picky_telegram_channel, PICKY_TYPE_CHANNEL)

enum {
  PROP_0,
  PROP_POLL_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One Bot API answer, success or error envelope. */
typedef struct
{
  guint       status;
  JsonObject *root;
  JsonNode   *result;     /* borrowed from root */
  char       *description;
  gint64      retry_after;
  gint64      migrate_to_chat_id;
} ApiReply;

typedef struct
{
  char    *method;
  GBytes  *body;
  gboolean repeated;      /* the single repeat a 429 allows was used */
} ApiCall;

typedef struct
{
  GTask   *task;
  GSource *timeout;
  GSource *cancelled;
  void   (*func) (GTask *task);
} Wait;

typedef struct
{
  PickyTelegramChannel *self;
  GCancellable         *cancellable;
  GPtrArray            *messages;
  gint64                next_offset;
  guint                 n_updates;
} PollBatch;

typedef struct
{
  char   *chat;            /* a chat id, or "@username" of a channel */
  char   *text;
  gint64  reply_to;
  gboolean migrated;
} SendData;

static void poll_once (PickyTelegramChannel *self);
static void begin_run (PickyTelegramChannel *self);
static void send_call (GTask *task);
static GBytes *build_send_body (SendData *data);

static void
api_reply_free (ApiReply *reply)
{
  g_clear_pointer (&reply->root, json_object_unref);
  g_free (reply->description);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ApiReply, api_reply_free)

static void
api_call_free (ApiCall *call)
{
  g_free (call->method);
  g_bytes_unref (call->body);
  g_free (call);
}

static void
poll_batch_free (PollBatch *batch)
{
  g_object_unref (batch->self);
  g_object_unref (batch->cancellable);
  g_clear_pointer (&batch->messages, g_ptr_array_unref);
  g_free (batch);
}

static void
send_data_free (SendData *data)
{
  g_free (data->chat);
  g_free (data->text);
  g_free (data);
}

static GRegex *
get_token_regex (void)
{
  static GRegex *regex;

  if (g_once_init_enter (&regex))
    {
      /* A bot token is "<bot id>:<35 url-safe characters>"; anything of that
       * shape is hidden, and so is whatever follows "/bot" in a path, in case
       * a token is malformed. */
      GRegex *compiled = g_regex_new ("/bot[^/\\s\"']*|[0-9]{3,}:[A-Za-z0-9_-]{20,}",
                                      G_REGEX_OPTIMIZE, 0, NULL);

      g_once_init_leave (&regex, compiled);
    }

  return regex;
}

static gboolean
redact_match_cb (const GMatchInfo *info,
                 GString          *out,
                 gpointer          user_data)
{
  g_autofree char *match = g_match_info_fetch (info, 0);

  if (g_str_has_prefix (match, "/bot"))
    g_string_append (out, "/bot<redacted>");
  else
    g_string_append (out, "<redacted>");

  return FALSE;
}

/* Every text that may reach a log or the UI passes through here, because
 * libsoup and GLib put whole URLs — token included — into their errors. */
static char *
redact_with_token (const char *text,
                   const char *token)
{
  g_autofree char *replaced = NULL;

  if (text == NULL)
    return NULL;

  replaced = g_regex_replace_eval (get_token_regex (), text, -1, 0, 0,
                                   redact_match_cb, NULL, NULL);
  if (replaced == NULL)
    return g_strdup ("<redacted>");

  if (token != NULL && *token != '\0' && strstr (replaced, token) != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (replaced, token, -1);

      return g_strjoinv ("<redacted>", parts);
    }

  return g_steal_pointer (&replaced);
}

static guint
next_backoff_ms (PickyTelegramChannel *self,
                 guint                 at_least_ms)
{
  return picky_channel_backoff_ms (PICKY_CHANNEL (self), self->backoff_attempt++,
                                   BACKOFF_MIN_MS, at_least_ms);
}

static void
wait_finish (Wait     *wait,
             gboolean  cancelled)
{
  g_source_destroy (wait->timeout);
  g_source_destroy (wait->cancelled);
  g_source_unref (wait->timeout);
  g_source_unref (wait->cancelled);

  if (!cancelled || !g_task_return_error_if_cancelled (wait->task))
    wait->func (wait->task);

  g_object_unref (wait->task);
  g_free (wait);
}

static gboolean
wait_timeout_cb (gpointer user_data)
{
  wait_finish (user_data, FALSE);
  return G_SOURCE_REMOVE;
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  wait_finish (user_data, TRUE);
  return G_SOURCE_REMOVE;
}

/* Runs @func after @ms, or ends @task as cancelled as soon as its
 * cancellable fires, so a long Retry-After never outlives a stop. */
static void
wait_then (GTask  *task,
           guint   ms,
           void  (*func) (GTask *task))
{
  Wait *wait = g_new0 (Wait, 1);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GCancellable) never = NULL;

  if (cancellable == NULL)
    cancellable = never = g_cancellable_new ();

  wait->task = g_object_ref (task);
  wait->func = func;
  wait->timeout = g_timeout_source_new (ms);
  g_source_set_callback (wait->timeout, wait_timeout_cb, wait, NULL);
  wait->cancelled = g_cancellable_source_new (cancellable);
  g_source_set_callback (wait->cancelled, G_SOURCE_FUNC (wait_cancelled_cb), wait, NULL);
  g_source_attach (wait->timeout, g_task_get_context (task));
  g_source_attach (wait->cancelled, g_task_get_context (task));
}

static ApiReply *
parse_reply (guint    status,
             GBytes  *bytes,
             GError **error)
{
  g_autoptr(ApiReply) reply = g_new0 (ApiReply, 1);
  JsonObject *parameters;

  reply->status = status;
  reply->root = picky_json_parse_object (bytes, PICKY_WEBHOOK_MAX_JSON_DEPTH);

  if (reply->root == NULL)
    {
      /* A proxy's HTML error page is still an answer with a status. */
      if (status != SOUP_STATUS_OK)
        return g_steal_pointer (&reply);

      g_set_error (error, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                   _("The Telegram server sent an answer that is not valid JSON"));
      return NULL;
    }

  if (json_object_get_boolean_member_with_default (reply->root, "ok", FALSE))
    reply->result = json_object_get_member (reply->root, "result");

  reply->description = g_strdup (json_object_get_string_member_with_default (reply->root, "description", NULL));

  parameters = picky_json_get_object (reply->root, "parameters");
  if (parameters != NULL)
    {
      reply->retry_after = json_object_get_int_member_with_default (parameters, "retry_after", 0);
      reply->migrate_to_chat_id = json_object_get_int_member_with_default (parameters, "migrate_to_chat_id", 0);
    }

  return g_steal_pointer (&reply);
}

static void
on_call_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyTelegramChannel *self = g_task_get_source_object (task);
  ApiCall *call = g_task_get_task_data (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  ApiReply *reply;
  guint status;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (bytes == NULL)
    {
      g_autofree char *safe = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      safe = redact_with_token (error->message, self->token);
      g_debug ("Telegram %s: %s", call->method, safe);
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                               "%s", safe);
      return;
    }

  status = soup_message_get_status (message);
  reply = parse_reply (status, bytes, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Flood control: wait as told and repeat the very same request once,
   * so a message is neither dropped nor sent twice. */
  if (status == HTTP_TOO_MANY_REQUESTS && !call->repeated)
    {
      gint64 seconds = reply->retry_after;

      if (seconds <= 0)
        {
          const char *header = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                             "Retry-After");

          seconds = header != NULL ? g_ascii_strtoll (header, NULL, 10) : 0;
        }
      if (seconds <= 0)
        seconds = RETRY_AFTER_DEFAULT;
      seconds = MIN (seconds, 3600);

      g_debug ("Telegram %s: flood control, repeating in %" G_GINT64_FORMAT " s",
               call->method, seconds);
      api_reply_free (reply);
      call->repeated = TRUE;
      wait_then (task, seconds * 1000, send_call);
      return;
    }

  g_task_return_pointer (task, reply, (GDestroyNotify) api_reply_free);
}

static void
send_call (GTask *task)
{
  PickyTelegramChannel *self = g_task_get_source_object (task);
  ApiCall *call = g_task_get_task_data (task);
  g_autofree char *api_base = picky_channel_dup_setting (PICKY_CHANNEL (self), "api_base",
                                                         PICKY_TELEGRAM_DEFAULT_API_BASE);
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;

  while (g_str_has_suffix (api_base, "/"))
    api_base[strlen (api_base) - 1] = '\0';

  url = g_strdup_printf ("%s/bot%s/%s", api_base, self->token, call->method);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL)
    {
      g_autofree char *safe = redact_with_token (error->message, self->token);
      g_autofree char *why = picky_bidi_isolate (safe);

      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("The Telegram API address is not valid: %s"), why);
      return;
    }

  message = soup_message_new_from_uri (SOUP_METHOD_POST, uri);
  soup_message_set_request_body_from_bytes (message, "application/json", call->body);

  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task),
                                    on_call_read_cb, g_object_ref (task));
}

/* POSTs @body to @method and completes with an ApiReply for every HTTP
 * answer; only network trouble and cancellation are errors. */
static void
call_api_async (PickyTelegramChannel *self,
                const char           *method,
                GBytes               *body,
                GCancellable         *cancellable,
                GAsyncReadyCallback   callback,
                gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  ApiCall *call = g_new0 (ApiCall, 1);

  g_task_set_source_tag (task, call_api_async);
  call->method = g_strdup (method);
  call->body = g_bytes_ref (body);
  g_task_set_task_data (task, call, (GDestroyNotify) api_call_free);

  send_call (task);
}

static ApiReply *
call_api_finish (PickyTelegramChannel  *self,
                 GAsyncResult          *result,
                 GError               **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The token is looked up anew for every run and every send while none is
 * known, so a token fixed in the keyring works without restarting. */
static void
on_token_looked_up_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyTelegramChannel *self = g_task_get_source_object (task);
  GError *error = NULL;
  char *token = picky_channel_lookup_secret_finish (PICKY_CHANNEL (self), result, &error);

  if (token == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_free (self->token);
  self->token = token;
  g_task_return_boolean (task, TRUE);
}

static void
ensure_token_async (PickyTelegramChannel *self,
                    gboolean              fresh,
                    GCancellable         *cancellable,
                    GAsyncReadyCallback   callback,
                    gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, ensure_token_async);

  if (self->token != NULL && !fresh)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  picky_channel_lookup_secret_async (PICKY_CHANNEL (self), "token",
                                     _("No bot token is stored for this channel"),
                                     cancellable, on_token_looked_up_cb, g_steal_pointer (&task));
}

static gboolean
ensure_token_finish (PickyTelegramChannel  *self,
                     GAsyncResult          *result,
                     GError               **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
stop_run (PickyTelegramChannel *self)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->run_cancellable != NULL)
    {
      g_cancellable_cancel (self->run_cancellable);
      g_clear_object (&self->run_cancellable);
    }
}

static gboolean
is_current (PickyTelegramChannel *self,
            GCancellable         *cancellable)
{
  return self->run_cancellable == cancellable && !g_cancellable_is_cancelled (cancellable);
}

static gboolean
on_retry_timeout_cb (gpointer user_data)
{
  PickyTelegramChannel *self = user_data;

  self->retry_source = 0;
  poll_once (self);

  return G_SOURCE_REMOVE;
}

static void
retry_later (PickyTelegramChannel *self,
             guint                 ms)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retry_source = g_timeout_add (ms, on_retry_timeout_cb, self);
}

static void
back_off (PickyTelegramChannel *self,
          const char           *reason,
          guint                 at_least_ms)
{
  guint ms = next_backoff_ms (self, at_least_ms);
  g_autofree char *text = NULL;

  /* Translators: the first %s explains what went wrong. */
  text = g_strdup_printf (ngettext ("%s. Trying again in %u second.",
                                    "%s. Trying again in %u seconds.",
                                    (ms + 999) / 1000),
                          reason, (ms + 999) / 1000);
  picky_channel_set_last_error (PICKY_CHANNEL (self), text);
  picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_BACKING_OFF);
  retry_later (self, ms);
}

/* 401 and 404 cannot heal by themselves: polling stops until the admin
 * fixes the token or the address and starts the channel again. */
static void
fail_auth (PickyTelegramChannel *self,
           const char           *reason)
{
  g_message ("Telegram channel %" G_GINT64_FORMAT " stopped: %s",
             picky_channel_get_id (PICKY_CHANNEL (self)), reason);
  stop_run (self);
  self->running = FALSE;
  g_clear_pointer (&self->token, g_free);
  picky_channel_set_last_error (PICKY_CHANNEL (self), reason);
  picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_AUTH_FAILED);
}

static void
on_offset_saved_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  PollBatch *batch = user_data;
  PickyTelegramChannel *self = batch->self;
  g_autoptr(GError) error = NULL;

  if (!picky_store_set_channel_state_finish (PICKY_STORE (object), result, &error))
    {
      if (is_current (self, batch->cancellable))
        {
          g_autofree char *why = picky_bidi_isolate (error->message);
          g_autofree char *reason = g_strdup_printf (_("Cannot save the Telegram position: %s"), why);

          back_off (self, reason, 0);
        }
      poll_batch_free (batch);
      return;
    }

  if (!is_current (self, batch->cancellable))
    {
      poll_batch_free (batch);
      return;
    }

  self->offset = batch->next_offset;
  /* A full batch may be followed by more from the off period. */
  if (self->confirm_drop && batch->n_updates < UPDATE_LIMIT)
    self->confirm_drop = FALSE;

  poll_batch_free (batch);
  poll_once (self);
}

static void
save_offset (PollBatch *batch)
{
  PickyTelegramChannel *self = batch->self;
  g_autofree char *value = g_strdup_printf ("%" G_GINT64_FORMAT, batch->next_offset);

  picky_store_set_channel_state_async (picky_channel_get_store (PICKY_CHANNEL (self)),
                                       picky_channel_get_id (PICKY_CHANNEL (self)),
                                       OFFSET_KEY, value, batch->cancellable,
                                       on_offset_saved_cb, batch);
}

static void
on_ingested_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  PollBatch *batch = user_data;
  PickyTelegramChannel *self = batch->self;
  g_autoptr(GError) error = NULL;
  gint64 newest = 0;

  picky_store_ingest_finish (PICKY_STORE (object), result, &error);
  if (error != NULL)
    {
      /* The offset stays put, so Telegram delivers the batch again. */
      if (is_current (self, batch->cancellable))
        {
          g_autofree char *why = picky_bidi_isolate (error->message);
          g_autofree char *reason = g_strdup_printf (_("Cannot save incoming Telegram messages: %s"), why);

          back_off (self, reason, 0);
        }
      poll_batch_free (batch);
      return;
    }

  for (guint i = 0; i < batch->messages->len; i++)
    newest = MAX (newest, picky_message_get_timestamp (g_ptr_array_index (batch->messages, i)));
  picky_channel_note_message_time (PICKY_CHANNEL (self), newest);

  if (!is_current (self, batch->cancellable))
    {
      poll_batch_free (batch);
      return;
    }

  save_offset (batch);
}

/* After read access comes back on, messages sent while it was off must not
 * be stored: they are confirmed to Telegram, counted and forgotten. */
static guint
drop_off_period (PickyTelegramChannel *self,
                 GPtrArray            *messages)
{
  guint dropped = 0;

  for (guint i = messages->len; i > 0; i--)
    {
      PickyMessage *message = g_ptr_array_index (messages, i - 1);
      gint64 when = picky_message_get_timestamp (message);

      if (when < self->resumed_at && when >= self->off_since)
        {
          g_ptr_array_remove_index (messages, i - 1);
          dropped++;
        }
    }

  return dropped;
}

static void
handle_updates (PickyTelegramChannel *self,
                JsonNode             *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  PollBatch *batch;
  gint64 next_offset = self->offset;
  guint n_updates = 0;

  messages = picky_telegram_channel_parse_updates (result,
                                                   picky_channel_get_id (PICKY_CHANNEL (self)),
                                                   picky_channel_get_app (PICKY_CHANNEL (self)),
                                                   &next_offset, &n_updates, &error);
  if (messages == NULL)
    {
      back_off (self, error->message, 0);
      return;
    }

  self->backoff_attempt = 0;
  picky_channel_set_last_error (PICKY_CHANNEL (self), NULL);
  picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_ONLINE);

  if (n_updates == 0)
    {
      if (self->confirm_drop)
        self->confirm_drop = FALSE;
      poll_once (self);
      return;
    }

  if (self->confirm_drop)
    {
      PickyAccess *access = picky_channel_get_access (PICKY_CHANNEL (self));
      guint dropped = drop_off_period (self, messages);

      if (dropped > 0 && access != NULL)
        picky_access_count_dropped (access, picky_channel_get_app (PICKY_CHANNEL (self)), dropped);
    }

  batch = g_new0 (PollBatch, 1);
  batch->self = g_object_ref (self);
  batch->cancellable = g_object_ref (self->run_cancellable);
  batch->messages = g_steal_pointer (&messages);
  batch->next_offset = next_offset;
  batch->n_updates = n_updates;

  if (batch->messages->len == 0)
    {
      save_offset (batch);
      return;
    }

  picky_store_ingest_async (picky_channel_get_store (PICKY_CHANNEL (self)), batch->messages,
                            batch->cancellable, on_ingested_cb, batch);
}

static void
on_get_updates_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GCancellable) cancellable = user_data;
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(ApiReply) reply = NULL;

  reply = call_api_finish (self, result, &error);
  if (!is_current (self, cancellable))
    return;

  if (reply == NULL)
    {
      /* GIO's own words, often English and with an address in them. */
      g_autofree char *why = picky_bidi_isolate (error->message);
      g_autofree char *reason = g_strdup_printf (_("Cannot reach the Telegram server: %s"), why);

      back_off (self, reason, 0);
      return;
    }

  if (reply->result != NULL)
    {
      handle_updates (self, reply->result);
      return;
    }

  switch (reply->status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      fail_auth (self, _("Telegram rejected the bot token. Enter the current token and start the channel again."));
      break;

    case SOUP_STATUS_NOT_FOUND:
      fail_auth (self, _("The Telegram server does not know this bot. Check the token and the API address, then start the channel again."));
      break;

    case SOUP_STATUS_CONFLICT:
      g_message ("Telegram channel %" G_GINT64_FORMAT ": another program is polling the same bot, or a webhook is set",
                 picky_channel_get_id (PICKY_CHANNEL (self)));
      back_off (self, _("Another program is receiving this bot’s messages, or a webhook is set for it"),
                CONFLICT_MIN_MS);
      break;

    case HTTP_TOO_MANY_REQUESTS:
      back_off (self, _("Telegram asks to slow down"),
                (guint) MIN (reply->retry_after, 3600) * 1000);
      break;

    default:
      {
        g_autofree char *safe = redact_with_token (reply->description, self->token);
        g_autofree char *reason = NULL;

        if (safe != NULL)
          {
            g_autofree char *why = picky_bidi_isolate (safe);

            reason = g_strdup_printf (_("The Telegram server answered %u: %s"), reply->status, why);
          }
        else
          reason = g_strdup_printf (_("The Telegram server answered %u"), reply->status);
        back_off (self, reason, 0);
      }
    }
}

static void
poll_once (PickyTelegramChannel *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GBytes) body = NULL;

  g_return_if_fail (self->run_cancellable != NULL);

  json_builder_begin_object (builder);
  if (self->offset > 0)
    {
      json_builder_set_member_name (builder, "offset");
      json_builder_add_int_value (builder, self->offset);
    }
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, UPDATE_LIMIT);
  /* Confirming after a pause should not wait out a long poll. */
  json_builder_set_member_name (builder, "timeout");
  json_builder_add_int_value (builder, self->confirm_drop ? 0 : self->poll_timeout);
  json_builder_set_member_name (builder, "allowed_updates");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "message");
  json_builder_add_string_value (builder, "edited_message");
  json_builder_add_string_value (builder, "channel_post");
  json_builder_add_string_value (builder, "edited_channel_post");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = picky_json_builder_to_bytes (builder);

  call_api_async (self, "getUpdates", body, self->run_cancellable,
                  on_get_updates_cb, g_object_ref (self->run_cancellable));
}

static void
on_offset_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GCancellable) cancellable = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  PickyTelegramChannel *self;

  value = picky_store_get_channel_state_finish (PICKY_STORE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = g_object_get_data (G_OBJECT (cancellable), "picky-channel");
  if (self == NULL || !is_current (self, cancellable))
    return;

  if (error != NULL && !g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND))
    {
      g_autofree char *why = picky_bidi_isolate (error->message);
      g_autofree char *reason = g_strdup_printf (_("Cannot read the Telegram position: %s"), why);

      back_off (self, reason, 0);
      return;
    }

  if (value != NULL)
    self->offset = g_ascii_strtoll (value, NULL, 10);
  poll_once (self);
}

static void
on_run_token_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GCancellable) cancellable = user_data;
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);
  g_autoptr(GError) error = NULL;

  if (!ensure_token_finish (self, result, &error))
    {
      if (!is_current (self, cancellable))
        return;

      if (g_error_matches (error, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NO_SECRET))
        fail_auth (self, error->message);
      else
        {
          g_autofree char *why = picky_bidi_isolate (error->message);
          g_autofree char *reason = g_strdup_printf (_("Cannot read the bot token from the keyring: %s"), why);

          back_off (self, reason, 0);
        }
      return;
    }

  if (!is_current (self, cancellable))
    return;

  if (self->offset > 0)
    {
      poll_once (self);
      return;
    }

  g_object_set_data (G_OBJECT (cancellable), "picky-channel", self);
  picky_store_get_channel_state_async (picky_channel_get_store (PICKY_CHANNEL (self)),
                                       picky_channel_get_id (PICKY_CHANNEL (self)),
                                       OFFSET_KEY, cancellable,
                                       on_offset_read_cb, g_object_ref (cancellable));
}

static void
begin_run (PickyTelegramChannel *self)
{
  stop_run (self);
  self->run_cancellable = g_cancellable_new ();
  self->backoff_attempt = 0;
  picky_channel_set_last_error (PICKY_CHANNEL (self), NULL);
  picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_CONNECTING);

  ensure_token_async (self, TRUE, self->run_cancellable,
                      on_run_token_cb, g_object_ref (self->run_cancellable));
}

static void
on_access_changed_cb (PickyTelegramChannel *self)
{
  gboolean reading = picky_channel_can_read (PICKY_CHANNEL (self));

  if (reading == self->reading)
    return;

  self->reading = reading;
  if (!self->running)
    return;

  if (!reading)
    {
      self->off_since = g_get_real_time () / G_USEC_PER_SEC;
      stop_run (self);
      picky_channel_set_last_error (PICKY_CHANNEL (self), NULL);
      picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_DISABLED);
      return;
    }

  self->resumed_at = g_get_real_time () / G_USEC_PER_SEC;
  self->confirm_drop = TRUE;
  begin_run (self);
}

static void
picky_telegram_channel_start (PickyChannel *channel)
{
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (channel);

  if (self->running)
    return;

  self->running = TRUE;
  self->reading = picky_channel_can_read (channel);
  if (!self->reading)
    {
      /* When read went off is unknown, so everything sent before it comes
       * back on counts as the off period. */
      self->off_since = 0;
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_DISABLED);
      return;
    }

  begin_run (self);
}

static void
picky_telegram_channel_stop (PickyChannel *channel)
{
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (channel);

  stop_run (self);
  self->running = FALSE;
  picky_channel_set_state (channel, PICKY_CHANNEL_STATE_STOPPED);
}

static void
on_send_reply_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(ApiReply) reply = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *safe = NULL;

  reply = call_api_finish (self, result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (reply->result != NULL && JSON_NODE_HOLDS_OBJECT (reply->result))
    {
      JsonObject *sent = json_node_get_object (reply->result);
      JsonObject *chat = picky_json_get_object (sent, "chat");
      gint64 message_id = json_object_get_int_member_with_default (sent, "message_id", 0);
      gint64 chat_id = chat != NULL ? json_object_get_int_member_with_default (chat, "id", 0) : 0;

      if (chat_id == 0)
        chat_id = g_ascii_strtoll (data->chat, NULL, 10);

      g_task_return_pointer (task,
                             g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, chat_id, message_id),
                             g_free);
      return;
    }

  /* A basic group that became a supergroup has a new id: remember it for
   * later replies and resend once. */
  if (reply->migrate_to_chat_id != 0 && !data->migrated)
    {
      gint64 old_id = g_ascii_strtoll (data->chat, NULL, 10);
      gint64 *key = g_new (gint64, 1);
      gint64 *value = g_new (gint64, 1);

      *key = old_id;
      *value = reply->migrate_to_chat_id;
      g_hash_table_replace (self->migrated_chats, key, value);
      g_free (data->chat);
      data->chat = g_strdup_printf ("%" G_GINT64_FORMAT, reply->migrate_to_chat_id);
      data->migrated = TRUE;
      body = build_send_body (data);
      call_api_async (self, "sendMessage", body, g_task_get_cancellable (task),
                      on_send_reply_cb, g_object_ref (task));
      return;
    }

  raw = redact_with_token (reply->description, self->token);
  if (raw == NULL)
    raw = g_strdup_printf ("%u", reply->status);
  /* Telegram's English, isolated in a sentence of the window's language. */
  safe = picky_bidi_isolate (raw);

  switch (reply->status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
    case SOUP_STATUS_NOT_FOUND:
      g_clear_pointer (&self->token, g_free);
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED,
                               _("Telegram rejected the bot token: %s"), safe);
      break;

    case SOUP_STATUS_BAD_REQUEST:
    case SOUP_STATUS_FORBIDDEN:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("Telegram refused the message: %s"), safe);
      break;

    default:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                               _("Telegram could not take the message now: %s"), safe);
    }
}

static GBytes *
build_send_body (SendData *data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gint64 chat_id;
  char *end = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "chat_id");
  chat_id = g_ascii_strtoll (data->chat, &end, 10);
  if (end != NULL && *end == '\0' && end != data->chat)
    json_builder_add_int_value (builder, chat_id);
  else
    json_builder_add_string_value (builder, data->chat);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, data->text);
  if (data->reply_to > 0)
    {
      json_builder_set_member_name (builder, "reply_parameters");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message_id");
      json_builder_add_int_value (builder, data->reply_to);
      json_builder_set_member_name (builder, "allow_sending_without_reply");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  return picky_json_builder_to_bytes (builder);
}

static void
send_message_now (GTask *task)
{
  PickyTelegramChannel *self = g_task_get_source_object (task);
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) body = build_send_body (data);

  call_api_async (self, "sendMessage", body, g_task_get_cancellable (task),
                  on_send_reply_cb, g_object_ref (task));
}

/* Exactly @ms, scaled as every wait of the channel is (tests shorten them). */
static gint64
scaled_us (PickyTelegramChannel *self,
           guint                 ms)
{
  return (gint64) picky_channel_backoff_ms (PICKY_CHANNEL (self), 0, ms, ms) * 1000;
}

static void
on_send_token_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean group;
  gint64 wait_us;

  if (!ensure_token_finish (self, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Each chat gets its turn; replies to other chats do not wait for it.
   * Groups and channels have negative ids or a @name. */
  group = data->chat[0] == '-' || data->chat[0] == '@';
  wait_us = picky_pacer_reserve (self->pacer, data->chat, g_get_monotonic_time (),
                                 scaled_us (self, CHAT_INTERVAL_MS),
                                 group ? GROUP_WINDOW_N : 0,
                                 group ? scaled_us (self, GROUP_WINDOW_MS) : 0);
  if (wait_us > 0)
    {
      wait_then (task, (guint) ((wait_us + 999) / 1000), send_message_now);
      return;
    }

  send_message_now (task);
}

static void
picky_telegram_channel_send_async (PickyChannel        *channel,
                                   PickyMessage        *message,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (channel);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *recipient = picky_message_get_contact_provider_id (message);
  const char *related = picky_message_get_related_key (message);
  SendData *data;
  gint64 chat_id;
  gint64 *migrated;

  g_task_set_source_tag (task, picky_telegram_channel_send_async);

  if (recipient == NULL || *recipient == '\0' ||
      picky_message_get_text (message) == NULL || *picky_message_get_text (message) == '\0')
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("A Telegram reply needs a recipient and a text"));
      return;
    }

  data = g_new0 (SendData, 1);
  chat_id = g_ascii_strtoll (recipient, NULL, 10);
  migrated = g_hash_table_lookup (self->migrated_chats, &chat_id);
  if (migrated != NULL)
    data->chat = g_strdup_printf ("%" G_GINT64_FORMAT, *migrated);
  else
    data->chat = g_strdup (recipient);
  data->text = g_strdup (picky_message_get_text (message));
  /* A reply keeps the thread when it answers a known "<chat>:<message>". */
  if (related != NULL && strchr (related, ':') != NULL)
    data->reply_to = g_ascii_strtoll (strrchr (related, ':') + 1, NULL, 10);
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  ensure_token_async (self, FALSE, cancellable, on_send_token_cb, g_steal_pointer (&task));
}

static void
on_get_me_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(ApiReply) reply = NULL;

  reply = call_api_finish (self, result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (reply->result == NULL || !JSON_NODE_HOLDS_OBJECT (reply->result))
    {
      g_autofree char *safe = redact_with_token (reply->description, self->token);
      g_autofree char *why = picky_bidi_isolate (safe);

      if (reply->status == SOUP_STATUS_UNAUTHORIZED || reply->status == SOUP_STATUS_NOT_FOUND)
        g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED,
                                 _("Telegram rejected the bot token"));
      else
        g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                                 _("The Telegram server answered %u: %s"), reply->status, why);
      return;
    }

  g_task_return_pointer (task, json_node_ref (reply->result), (GDestroyNotify) json_node_unref);
}

static void
on_test_token_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);

  if (!ensure_token_finish (self, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  call_api_async (self, "getMe", body, g_task_get_cancellable (task),
                  on_get_me_cb, g_object_ref (task));
}

/* Asks the Bot API who the stored token belongs to (getMe), reading the
 * token from the keyring anew. */
static void
picky_telegram_channel_test_connection_async (PickyChannel        *channel,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (channel);
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_telegram_channel_test_connection_async);

  ensure_token_async (self, TRUE, cancellable, on_test_token_cb, g_steal_pointer (&task));
}

static char *
picky_telegram_channel_test_connection_finish (PickyChannel  *channel,
                                               GAsyncResult  *result,
                                               GError       **error)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *first_name = NULL;
  g_autofree char *handle = NULL;
  const char *username;
  JsonObject *me;

  g_return_val_if_fail (g_task_is_valid (result, channel), NULL);

  node = g_task_propagate_pointer (G_TASK (result), error);
  if (node == NULL)
    return NULL;

  me = json_node_get_object (node);
  /* The bot's name may be in any script: isolated in the sentence. */
  first_name = picky_bidi_isolate (json_object_get_string_member_with_default (me, "first_name", ""));
  username = json_object_get_string_member_with_default (me, "username", NULL);
  if (username == NULL || username[0] == '\0')
    /* Translators: %s is the name of the Telegram bot the token belongs to */
    return g_strdup_printf (_("Connected to %s"), first_name);

  handle = picky_bidi_isolate (username);
  /* Translators: the bot's name and its @username, e.g. "Connected to Acme Support (@acme_support_bot)" */
  return g_strdup_printf (_("Connected to %s (@%s)"), first_name, handle);
}

static void
picky_telegram_channel_constructed (GObject *object)
{
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);
  PickyAccess *access;

  G_OBJECT_CLASS (picky_telegram_channel_parent_class)->constructed (object);

  /* Our own session: its timeout suits long polling, not other channels. */
  self->session = soup_session_new_with_options ("timeout", self->poll_timeout + HTTP_TIMEOUT_MARGIN,
                                                 "user-agent", "picky-console/" PACKAGE_VERSION,
                                                 NULL);

  access = picky_channel_get_access (PICKY_CHANNEL (self));
  if (access != NULL)
    g_signal_connect_object (access, "changed",
                             G_CALLBACK (on_access_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
picky_telegram_channel_dispose (GObject *object)
{
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);

  stop_run (self);
  self->running = FALSE;
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (picky_telegram_channel_parent_class)->dispose (object);
}

static void
picky_telegram_channel_finalize (GObject *object)
{
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);

  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->migrated_chats, g_hash_table_unref);
  g_clear_pointer (&self->pacer, picky_pacer_free);

  G_OBJECT_CLASS (picky_telegram_channel_parent_class)->finalize (object);
}

static void
picky_telegram_channel_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_POLL_TIMEOUT:
      g_value_set_uint (value, self->poll_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_telegram_channel_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  PickyTelegramChannel *self = PICKY_TELEGRAM_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_POLL_TIMEOUT:
      self->poll_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_telegram_channel_class_init (PickyTelegramChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PickyChannelClass *channel_class = PICKY_CHANNEL_CLASS (klass);

  object_class->constructed = picky_telegram_channel_constructed;
  object_class->dispose = picky_telegram_channel_dispose;
  object_class->finalize = picky_telegram_channel_finalize;
  object_class->get_property = picky_telegram_channel_get_property;
  object_class->set_property = picky_telegram_channel_set_property;

  channel_class->start = picky_telegram_channel_start;
  channel_class->stop = picky_telegram_channel_stop;
  channel_class->send_async = picky_telegram_channel_send_async;
  channel_class->test_connection_async = picky_telegram_channel_test_connection_async;
  channel_class->test_connection_finish = picky_telegram_channel_test_connection_finish;

  picky_channel_class_set_kind (channel_class, "telegram", "telegram", N_("Telegram Bot"));
  picky_channel_class_set_description (channel_class,
                                       N_("Create a bot with @BotFather in Telegram and paste the token it gives you. The token is stored in your system keyring only."));
  picky_channel_class_add_field (channel_class, "token", PICKY_CHANNEL_FIELD_SECRET,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Bot Token"), NULL,
                                 N_("The token @BotFather sent when the bot was made, such as 123456789:AAH…"));
  picky_channel_class_add_field (channel_class, "api_base", PICKY_CHANNEL_FIELD_URL,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Bot API Server"),
                                 PICKY_TELEGRAM_DEFAULT_API_BASE,
                                 N_("Change it only for a Bot API server of your own."));

  /* Seconds the server may hold a getUpdates open; tests use 1. */
  properties[PROP_POLL_TIMEOUT] =
    g_param_spec_uint ("poll-timeout", NULL, NULL,
                       0, MAX_POLL_TIMEOUT, MAX_POLL_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* Multiplies every backoff delay; tests shrink the 1 s … 60 s steps. */

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
picky_telegram_channel_init (PickyTelegramChannel *self)
{
  self->poll_timeout = MAX_POLL_TIMEOUT;
  self->migrated_chats = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->pacer = picky_pacer_new ();
}

/**
 * picky_telegram_channel_new:
 * @id: the channel's row id in the store
 * @name: the name the admin gave the channel
 * @settings_json: (nullable): settings such as {"api_base": "…"}
 * @store: where incoming messages and the update offset go
 * @vault: where the bot token ("token") is kept
 * @access: (nullable): the read and push switches
 *
 * Returns: (transfer full): a stopped Telegram channel for the app "telegram"
 */
PickyChannel *
picky_telegram_channel_new (gint64       id,
                            const char  *name,
                            const char  *settings_json,
                            PickyStore  *store,
                            PickyVault  *vault,
                            PickyAccess *access)
{
  return g_object_new (PICKY_TYPE_TELEGRAM_CHANNEL,
                       "id", id,
                       "app", "telegram",
                       "name", name,
                       "settings", settings_json,
                       "store", store,
                       "vault", vault,
                       "access", access,
                       NULL);
}

static char *
dup_person_name (JsonObject *object)
{
  const char *first = json_object_get_string_member_with_default (object, "first_name", NULL);
  const char *last = json_object_get_string_member_with_default (object, "last_name", NULL);
  const char *title = json_object_get_string_member_with_default (object, "title", NULL);
  const char *username = json_object_get_string_member_with_default (object, "username", NULL);

  if (title != NULL)
    return g_strdup (title);
  if (first != NULL && last != NULL)
    return g_strdup_printf ("%s %s", first, last);
  if (first != NULL)
    return g_strdup (first);
  if (username != NULL)
    return g_strdup_printf ("@%s", username);

  return NULL;
}

/* The media column keeps what a later download or a report needs, not the
 * whole object: thumbnails and duplicate members are left behind. */
static PickyMessageKind
describe_content (JsonObject  *message,
                  JsonBuilder *media)
{
  static const char *const file_members[] = {
    "file_id", "file_unique_id", "file_size", "file_name", "mime_type",
    "width", "height", "duration", NULL,
  };
  static const struct {
    const char       *member;
    PickyMessageKind  kind;
  } files[] = {
    { "document", PICKY_MESSAGE_KIND_DOCUMENT },
    { "audio", PICKY_MESSAGE_KIND_AUDIO },
    { "voice", PICKY_MESSAGE_KIND_AUDIO },
    { "video", PICKY_MESSAGE_KIND_VIDEO },
    { "video_note", PICKY_MESSAGE_KIND_VIDEO },
    { "animation", PICKY_MESSAGE_KIND_VIDEO },
  };
  JsonArray *sizes = picky_json_get_array (message, "photo");
  JsonObject *object;

  if (sizes != NULL && json_array_get_length (sizes) > 0)
    {
      /* Sizes come smallest first; the largest is the picture itself. */
      JsonNode *largest = json_array_get_element (sizes, json_array_get_length (sizes) - 1);

      json_builder_set_member_name (media, "type");
      json_builder_add_string_value (media, "photo");
      if (JSON_NODE_HOLDS_OBJECT (largest))
        picky_json_copy_members (media, json_node_get_object (largest), file_members);
      return PICKY_MESSAGE_KIND_IMAGE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    if ((object = picky_json_get_object (message, files[i].member)) != NULL)
      {
        json_builder_set_member_name (media, "type");
        json_builder_add_string_value (media, files[i].member);
        picky_json_copy_members (media, object, file_members);
        return files[i].kind;
      }

  if ((object = picky_json_get_object (message, "sticker")) != NULL)
    {
      static const char *const sticker_members[] = { "file_id", "file_unique_id", "emoji", "set_name", NULL };

      json_builder_set_member_name (media, "type");
      json_builder_add_string_value (media, "sticker");
      picky_json_copy_members (media, object, sticker_members);
      return PICKY_MESSAGE_KIND_STICKER;
    }

  if ((object = picky_json_get_object (message, "location")) != NULL)
    {
      static const char *const location_members[] = { "latitude", "longitude", "horizontal_accuracy", NULL };

      json_builder_set_member_name (media, "type");
      json_builder_add_string_value (media, "location");
      picky_json_copy_members (media, object, location_members);
      return PICKY_MESSAGE_KIND_LOCATION;
    }

  if ((object = picky_json_get_object (message, "contact")) != NULL)
    {
      static const char *const contact_members[] = { "phone_number", "first_name", "last_name", "user_id", NULL };

      json_builder_set_member_name (media, "type");
      json_builder_add_string_value (media, "contact");
      picky_json_copy_members (media, object, contact_members);
      return PICKY_MESSAGE_KIND_CONTACT;
    }

  if (json_object_has_member (message, "text"))
    return PICKY_MESSAGE_KIND_TEXT;

  return PICKY_MESSAGE_KIND_UNSUPPORTED;
}

/* One Message object → one PickyMessage. The contact is always the chat:
 * the person in a private chat, the group or channel otherwise, because a
 * reply goes to the chat. In groups the sender is kept in the media JSON as
 * "from" {id, name}, so the text stays exactly what was written. */
static PickyMessage *
parse_message (JsonObject     *object,
               PickyMessageOp  op,
               gint64          channel_id,
               const char     *app,
               gint64          now)
{
  g_autoptr(PickyMessage) message = NULL;
  g_autoptr(JsonBuilder) media = json_builder_new ();
  g_autofree char *key = NULL;
  g_autofree char *chat_id_str = NULL;
  g_autofree char *chat_name = NULL;
  JsonObject *chat = picky_json_get_object (object, "chat");
  JsonObject *from = picky_json_get_object (object, "from");
  const char *text;
  const char *chat_type;
  gint64 chat_id;
  gint64 message_id;
  gboolean has_media;

  if (chat == NULL || !json_object_has_member (chat, "id") || !json_object_has_member (object, "message_id"))
    return NULL;

  chat_id = json_object_get_int_member (chat, "id");
  message_id = json_object_get_int_member (object, "message_id");
  chat_type = json_object_get_string_member_with_default (chat, "type", "private");

  message = picky_message_new ();
  key = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, chat_id, message_id);
  chat_id_str = g_strdup_printf ("%" G_GINT64_FORMAT, chat_id);
  chat_name = dup_person_name (chat);

  picky_message_set_op (message, op);
  picky_message_set_channel_id (message, channel_id);
  picky_message_set_app (message, app);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, chat_id_str);
  picky_message_set_contact_name (message, chat_name);
  picky_message_set_direction (message, PICKY_DIRECTION_IN);
  picky_message_set_received (message, now);

  /* An edit is dated by when it was made: that is what a pause in read
   * access is judged by. */
  if (op == PICKY_MESSAGE_OP_EDIT && json_object_has_member (object, "edit_date"))
    picky_message_set_timestamp (message, json_object_get_int_member (object, "edit_date"));
  else
    picky_message_set_timestamp (message, json_object_get_int_member_with_default (object, "date", now));

  json_builder_begin_object (media);
  picky_message_set_kind (message, describe_content (object, media));
  has_media = picky_message_get_kind (message) != PICKY_MESSAGE_KIND_TEXT &&
              picky_message_get_kind (message) != PICKY_MESSAGE_KIND_UNSUPPORTED;

  if (from != NULL && g_strcmp0 (chat_type, "private") != 0)
    {
      g_autofree char *from_name = dup_person_name (from);

      json_builder_set_member_name (media, "from");
      json_builder_begin_object (media);
      json_builder_set_member_name (media, "id");
      json_builder_add_int_value (media, json_object_get_int_member_with_default (from, "id", 0));
      json_builder_set_member_name (media, "name");
      json_builder_add_string_value (media, from_name);
      json_builder_end_object (media);
      has_media = TRUE;
    }
  json_builder_end_object (media);

  if (has_media)
    {
      g_autofree char *media_json = picky_json_builder_to_string (media);

      picky_message_set_media (message, media_json);
    }

  text = json_object_get_string_member_with_default (object, "text", NULL);
  if (text == NULL)
    text = json_object_get_string_member_with_default (object, "caption", NULL);
  picky_message_set_text (message, text);

  return g_steal_pointer (&message);
}

/**
 * picky_telegram_channel_parse_updates:
 * @result: the "result" member of a getUpdates answer
 * @channel_id: the channel the messages belong to
 * @app: the app id stored with them
 * @next_offset: (inout): raised to the highest update_id + 1 seen
 * @n_updates: (out) (optional): how many updates, of any type, @result held
 * @error: return location for a #GError
 *
 * Turns updates into messages: message and channel_post become inserts,
 * edited_message and edited_channel_post become edits, every other type is
 * skipped yet still counts for the offset.
 *
 * Returns: (transfer container) (element-type PickyMessage): the messages,
 *   or %NULL if @result is not an array
 */
GPtrArray *
picky_telegram_channel_parse_updates (JsonNode    *result,
                                      gint64       channel_id,
                                      const char  *app,
                                      gint64      *next_offset,
                                      guint       *n_updates,
                                      GError     **error)
{
  static const struct {
    const char     *member;
    PickyMessageOp  op;
  } kinds[] = {
    { "message", PICKY_MESSAGE_OP_INSERT },
    { "channel_post", PICKY_MESSAGE_OP_INSERT },
    { "edited_message", PICKY_MESSAGE_OP_EDIT },
    { "edited_channel_post", PICKY_MESSAGE_OP_EDIT },
  };
  g_autoptr(GPtrArray) messages = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  JsonArray *updates;
  guint length;

  g_return_val_if_fail (result != NULL, NULL);
  g_return_val_if_fail (next_offset != NULL, NULL);

  if (!JSON_NODE_HOLDS_ARRAY (result))
    {
      g_set_error (error, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                   _("The Telegram server sent updates in an unknown form"));
      return NULL;
    }

  updates = json_node_get_array (result);
  length = json_array_get_length (updates);
  messages = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < length; i++)
    {
      JsonNode *node = json_array_get_element (updates, i);
      JsonObject *update;
      gint64 update_id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;

      update = json_node_get_object (node);
      update_id = json_object_get_int_member_with_default (update, "update_id", 0);
      /* The largest id has no next one: the offset stays below it rather
       * than wrapping round to a negative one that fetches everything again. */
      if (update_id >= *next_offset && update_id < G_MAXINT64)
        *next_offset = update_id + 1;

      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        {
          JsonObject *object = picky_json_get_object (update, kinds[k].member);
          PickyMessage *message;

          if (object == NULL)
            continue;

          message = parse_message (object, kinds[k].op, channel_id, app, now);
          if (message != NULL)
            g_ptr_array_add (messages, message);
          break;
        }
    }

  if (n_updates != NULL)
    *n_updates = length;

  return g_steal_pointer (&messages);
}

/**
 * picky_telegram_channel_redact:
 * @text: (nullable): a text that may hold a URL of the Bot API
 *
 * Returns: (transfer full) (nullable): @text with every bot token replaced
 *   by "<redacted>"
 */
char *
picky_telegram_channel_redact (const char *text)
{
  return redact_with_token (text, NULL);
}
