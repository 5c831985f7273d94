/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live list model of stored messages, newest first, loaded a keyset page at a time. */

#include "config.h"

#include <string.h>

#include "picky-message-list.h"

/* Rows per store page, and how close to the end of what is loaded a view
 * may look before the next page is asked for. */
#define PAGE_SIZE 100
#define PREFETCH 40

struct _PickyMessageList
{
  GObject         parent_instance;

  /* owned */
  PickyStore     *store;
  GPtrArray      *items;          /* PickyMessage, in list order */
  GHashTable     *ids;            /* gint64* of the loaded messages, borrowed from nothing */
  GCancellable   *cancellable;    /* of the page being loaded; replaced by each filter */
  char           *app;
  char           *search;
  GStrv           search_words;   /* casefolded */
  gint64          channel_id;
  PickyDirection  direction;
  gboolean        unread_only;
  gboolean        loading;
  gboolean        complete;
};

static void picky_message_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PickyMessageList, picky_message_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, picky_message_list_model_init))

/* Newest first: by (timestamp, id), or by id alone for search results,
 * which the store orders by arrival. Negative when @a comes first. */
static int
compare_messages (PickyMessageList *self,
                  PickyMessage     *a,
                  PickyMessage     *b)
{
  gint64 ta = picky_message_get_timestamp (a);
  gint64 tb = picky_message_get_timestamp (b);
  gint64 ia = picky_message_get_id (a);
  gint64 ib = picky_message_get_id (b);

  if (self->search == NULL && ta != tb)
    return ta > tb ? -1 : 1;
  if (ia != ib)
    return ia > ib ? -1 : 1;
  return 0;
}

static int
compare_messages_indirect_cb (gconstpointer a,
                              gconstpointer b,
                              gpointer      user_data)
{
  return compare_messages (user_data, *(PickyMessage **) a, *(PickyMessage **) b);
}

static gboolean
contains_casefolded (const char *text,
                     const char *word)
{
  g_autofree char *folded = NULL;

  if (text == NULL)
    return FALSE;

  folded = g_utf8_casefold (text, -1);
  return strstr (folded, word) != NULL;
}

static void
add_items (PickyMessageList *self,
           GPtrArray        *page)
{
  guint position = self->items->len;
  guint added = 0;

  for (guint i = 0; i < page->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (page, i);
      gint64 id = picky_message_get_id (message);

      /* A message stored while this page was on its way may already have
       * come in through messages-added. */
      if (g_hash_table_contains (self->ids, &id))
        continue;

      g_ptr_array_add (self->items, g_object_ref (message));
      g_hash_table_add (self->ids, g_memdup2 (&id, sizeof id));
      added++;
    }

  if (added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), position, 0, added);
}

static void
on_page_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PickyMessageList) self = user_data;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;

  if (self->search != NULL)
    page = picky_store_search_finish (PICKY_STORE (object), result, &error);
  else
    page = picky_store_list_messages_finish (PICKY_STORE (object), result, &error);

  /* A cancelled page belongs to a filter that is gone, and the loading
   * flag already to the page of the new one. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loading = FALSE;
  if (page == NULL)
    {
      /* Nothing more can be shown; the admin sees what was loaded. A store
       * closed at quit is no trouble at all. */
      if (!g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED))
        g_warning ("A page of messages could not be read: %s", error->message);
      self->complete = TRUE;
      return;
    }

  if (page->len < PAGE_SIZE)
    self->complete = TRUE;
  add_items (self, page);
}

static void
on_messages_added_cb (PickyMessageList *self,
                      GPtrArray        *messages)
{
  g_autoptr(GPtrArray) merged = NULL;
  g_autoptr(GPtrArray) fresh = g_ptr_array_new ();
  guint first = G_MAXUINT;
  guint last = 0;
  guint i = 0;
  guint j = 0;

  for (guint k = 0; k < messages->len; k++)
    {
      PickyMessage *message = g_ptr_array_index (messages, k);
      gint64 id = picky_message_get_id (message);

      if (picky_message_list_matches (self, message) && !g_hash_table_contains (self->ids, &id))
        g_ptr_array_add (fresh, message);
    }
  if (fresh->len == 0)
    return;

  g_ptr_array_sort_with_data (fresh, compare_messages_indirect_cb, self);

  /* One merge and one items-changed for the whole batch: the new rows
   * usually form one run at the top, which leaves every other row, and a
   * view's place among them, alone. */
  merged = g_ptr_array_new_full (self->items->len + fresh->len, g_object_unref);
  while (i < self->items->len || j < fresh->len)
    {
      PickyMessage *old = i < self->items->len ? g_ptr_array_index (self->items, i) : NULL;
      PickyMessage *new = j < fresh->len ? g_ptr_array_index (fresh, j) : NULL;

      if (new != NULL && (old == NULL || compare_messages (self, new, old) < 0))
        {
          gint64 id = picky_message_get_id (new);

          /* Older than everything loaded while more pages wait in the
           * store: it arrives with its page. */
          if (old == NULL && !self->complete)
            break;

          first = MIN (first, merged->len);
          last = merged->len;
          g_ptr_array_add (merged, g_object_ref (new));
          g_hash_table_add (self->ids, g_memdup2 (&id, sizeof id));
          j++;
        }
      else
        {
          g_ptr_array_add (merged, g_object_ref (old));
          i++;
        }
    }

  if (first == G_MAXUINT)
    return;

  g_ptr_array_unref (self->items);
  self->items = g_steal_pointer (&merged);
  /* Every inserted row lies in [first, last]; the rest of that span moved. */
  g_list_model_items_changed (G_LIST_MODEL (self), first, last - first + 1 - j, last - first + 1);
}

static gint
find_message (PickyMessageList *self,
              gint64            id)
{
  if (!g_hash_table_contains (self->ids, &id))
    return -1;

  for (guint i = 0; i < self->items->len; i++)
    if (picky_message_get_id (g_ptr_array_index (self->items, i)) == id)
      return i;

  return -1;
}

/* An edit carries the new text, a status report the status and error, and a
 * recorded send the whole row: each changes only what it carries. */
static void
on_messages_changed_cb (PickyMessageList *self,
                        GPtrArray        *messages)
{
  for (guint k = 0; k < messages->len; k++)
    {
      PickyMessage *change = g_ptr_array_index (messages, k);
      gint position = find_message (self, picky_message_get_id (change));
      PickyMessage *item;

      if (position < 0)
        continue;

      item = g_ptr_array_index (self->items, position);
      if (picky_message_get_op (change) == PICKY_MESSAGE_OP_EDIT)
        {
          picky_message_set_text (item, picky_message_get_text (change));
          picky_message_set_edited (item, TRUE);
        }
      else
        {
          if (picky_message_get_status (change) > picky_message_get_status (item) ||
              picky_message_get_op (change) == PICKY_MESSAGE_OP_INSERT)
            {
              picky_message_set_status (item, picky_message_get_status (change));
              picky_message_set_error (item, picky_message_get_error (change));
            }
          if (picky_message_get_op (change) == PICKY_MESSAGE_OP_INSERT)
            picky_message_set_provider_key (item, picky_message_get_provider_key (change));
        }
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
    }
}

static GType
picky_message_list_get_item_type (GListModel *model)
{
  return PICKY_TYPE_MESSAGE;
}

static guint
picky_message_list_get_n_items (GListModel *model)
{
  return PICKY_MESSAGE_LIST (model)->items->len;
}

static gpointer
picky_message_list_get_item (GListModel *model,
                             guint       position)
{
  PickyMessageList *self = PICKY_MESSAGE_LIST (model);

  if (position >= self->items->len)
    return NULL;

  /* A view asks for the rows it is about to show: the next page is read
   * before it reaches the end of what is loaded. */
  if (position + PREFETCH >= self->items->len)
    picky_message_list_load_more (self);

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
picky_message_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = picky_message_list_get_item_type;
  iface->get_n_items = picky_message_list_get_n_items;
  iface->get_item = picky_message_list_get_item;
}

static void
picky_message_list_dispose (GObject *object)
{
  PickyMessageList *self = PICKY_MESSAGE_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (picky_message_list_parent_class)->dispose (object);
}

static void
picky_message_list_finalize (GObject *object)
{
  PickyMessageList *self = PICKY_MESSAGE_LIST (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->ids, g_hash_table_unref);
  g_clear_pointer (&self->search_words, g_strfreev);
  g_free (self->app);
  g_free (self->search);

  G_OBJECT_CLASS (picky_message_list_parent_class)->finalize (object);
}

static void
picky_message_list_class_init (PickyMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_message_list_dispose;
  object_class->finalize = picky_message_list_finalize;
}

static void
picky_message_list_init (PickyMessageList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
}

/**
 * picky_message_list_new:
 * @store: the open store
 * @direction: the direction of the messages listed
 *
 * Returns: (transfer full): an empty list; set a filter to fill it
 */
PickyMessageList *
picky_message_list_new (PickyStore     *store,
                        PickyDirection  direction)
{
  PickyMessageList *self;

  g_return_val_if_fail (PICKY_IS_STORE (store), NULL);

  self = g_object_new (PICKY_TYPE_MESSAGE_LIST, NULL);
  self->store = g_object_ref (store);
  self->direction = direction;
  self->complete = TRUE;
  g_signal_connect_swapped (store, "messages-added", G_CALLBACK (on_messages_added_cb), self);
  g_signal_connect_swapped (store, "messages-changed", G_CALLBACK (on_messages_changed_cb), self);

  return self;
}

/**
 * picky_message_list_set_filter:
 * @app: (nullable): only this app's messages
 * @channel_id: only this channel's, or 0
 * @unread_only: only unread messages
 * @search: (nullable): words that must all occur, searched in the store's
 *   full-text index
 *
 * Empties the list and loads the first page of what the filters leave.
 * Filters combine.
 */
void
picky_message_list_set_filter (PickyMessageList *self,
                               const char       *app,
                               gint64            channel_id,
                               gboolean          unread_only,
                               const char       *search)
{
  g_autofree char *stripped = g_strstrip (g_strdup (search != NULL ? search : ""));
  guint removed;

  g_return_if_fail (PICKY_IS_MESSAGE_LIST (self));

  search = *stripped != '\0' ? stripped : NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_free (self->app);
  self->app = g_strdup (app);
  g_free (self->search);
  self->search = g_strdup (search);
  g_clear_pointer (&self->search_words, g_strfreev);
  if (search != NULL)
    {
      g_autofree char *folded = g_utf8_casefold (search, -1);

      self->search_words = g_strsplit_set (folded, " \t\n\r", -1);
    }
  self->channel_id = channel_id;
  self->unread_only = unread_only;

  removed = self->items->len;
  g_ptr_array_set_size (self->items, 0);
  g_hash_table_remove_all (self->ids);
  self->loading = FALSE;
  self->complete = FALSE;
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);

  picky_message_list_load_more (self);
}

/**
 * picky_message_list_load_more:
 *
 * Asks the store for the page after the last loaded message, unless one is
 * on its way or the list is complete. Views need not call this: asking for
 * items near the end does it.
 */
void
picky_message_list_load_more (PickyMessageList *self)
{
  PickyPageQuery query = { 0, };

  g_return_if_fail (PICKY_IS_MESSAGE_LIST (self));

  if (self->loading || self->complete)
    return;

  query.app = self->app;
  query.channel_id = self->channel_id;
  query.direction = self->direction;
  query.unread_only = self->unread_only;
  query.limit = PAGE_SIZE;
  if (self->items->len > 0)
    {
      PickyMessage *last = g_ptr_array_index (self->items, self->items->len - 1);

      query.before_timestamp = picky_message_get_timestamp (last);
      query.before_id = picky_message_get_id (last);
    }

  self->loading = TRUE;
  if (self->search != NULL)
    picky_store_search_async (self->store, self->search, &query, self->cancellable,
                              on_page_loaded_cb, g_object_ref (self));
  else
    picky_store_list_messages_async (self->store, &query, self->cancellable,
                                     on_page_loaded_cb, g_object_ref (self));
}

const char *
picky_message_list_get_search (PickyMessageList *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_LIST (self), NULL);

  return self->search;
}

/**
 * picky_message_list_get_loading:
 *
 * Returns: whether a page is on its way from the store
 */
gboolean
picky_message_list_get_loading (PickyMessageList *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_LIST (self), FALSE);

  return self->loading;
}

/**
 * picky_message_list_get_complete:
 *
 * Returns: whether every message the filters leave is loaded
 */
gboolean
picky_message_list_get_complete (PickyMessageList *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_LIST (self), FALSE);

  return self->complete;
}

/**
 * picky_message_list_mark_read:
 *
 * Shows the loaded messages of @contact_id as read, as the store has them
 * after picky_store_mark_read_async(). They stay in an unread-only list
 * until the filter changes, so that nothing moves under the admin's eyes.
 */
void
picky_message_list_mark_read (PickyMessageList *self,
                              gint64            contact_id)
{
  g_return_if_fail (PICKY_IS_MESSAGE_LIST (self));

  for (guint i = 0; i < self->items->len; i++)
    {
      PickyMessage *item = g_ptr_array_index (self->items, i);

      if (picky_message_get_contact_id (item) == contact_id && picky_message_get_unread (item))
        {
          picky_message_set_unread (item, FALSE);
          g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 1);
        }
    }
}

/**
 * picky_message_list_matches:
 *
 * Returns: whether @message passes the list's filters, as far as they can
 *   be checked without the store: search words are matched as plain,
 *   case-insensitive parts of the text
 */
gboolean
picky_message_list_matches (PickyMessageList *self,
                            PickyMessage     *message)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_LIST (self), FALSE);
  g_return_val_if_fail (PICKY_IS_MESSAGE (message), FALSE);

  if (picky_message_get_direction (message) != self->direction)
    return FALSE;
  if (self->app != NULL && g_strcmp0 (picky_message_get_app (message), self->app) != 0)
    return FALSE;
  if (self->channel_id != 0 && picky_message_get_channel_id (message) != self->channel_id)
    return FALSE;
  if (self->unread_only && !picky_message_get_unread (message))
    return FALSE;

  for (guint i = 0; self->search_words != NULL && self->search_words[i] != NULL; i++)
    if (*self->search_words[i] != '\0' &&
        !contains_casefolded (picky_message_get_text (message), self->search_words[i]))
      return FALSE;

  return TRUE;
}
