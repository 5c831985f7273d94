/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live list model of conversations, newest activity first, loaded a keyset page at a time. */

#include "config.h"

#include "picky-conversation-list.h"

/* Rows per store page, and how close to the end of what is loaded a view
 * may look before the next page is asked for. */
#define PAGE_SIZE 100
#define PREFETCH 40

/* Unlike PickyMessageList, loaded rows stay in memory: a support team has
 * tens of thousands of conversations, not millions, and a row is small. */
struct _PickyConversationList
{
  GObject                  parent_instance;

  /* owned */
  PickyStore              *store;
  GPtrArray               *items;          /* PickyConversation, newest first */
  GHashTable              *ids;            /* gint64* → PickyConversation*, borrowed from items */
  GCancellable            *cancellable;    /* of the page being loaded; replaced by each filter */
  GStrv                    apps;           /* NULL: every app */
  gint64                   channel_id;
  PickyConversationFilter  filter;
  /* The key of the oldest row read from the store: the next page starts
   * below it, whatever moved to the top since. */
  gint64                   cursor_time;
  gint64                   cursor_id;
  gboolean                 loading;
  gboolean                 complete;
};

static void picky_conversation_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PickyConversationList, picky_conversation_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, picky_conversation_list_model_init))

/* Whether a conversation with this key lies within what is loaded: newer
 * than the cursor, or anywhere once the list is complete. */
static gboolean
within_loaded (PickyConversationList *self,
               PickyConversation     *conversation)
{
  gint64 time = picky_conversation_get_last_time (conversation);
  gint64 id = picky_conversation_get_id (conversation);

  if (self->complete)
    return TRUE;
  if (self->items->len == 0 && self->cursor_time == 0 && self->cursor_id == 0)
    return FALSE;

  return time > self->cursor_time || (time == self->cursor_time && id > self->cursor_id);
}

/* The position a conversation with @conversation's key takes among the
 * rows, found by bisection since they stay in order. */
static guint
find_insert_position (PickyConversationList *self,
                      PickyConversation     *conversation)
{
  guint lo = 0;
  guint hi = self->items->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (picky_conversation_compare (g_ptr_array_index (self->items, mid), conversation) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

static void
insert_item (PickyConversationList *self,
             PickyConversation     *conversation,
             guint                  position)
{
  gint64 id = picky_conversation_get_id (conversation);

  g_ptr_array_insert (self->items, position, g_object_ref (conversation));
  g_hash_table_insert (self->ids, g_memdup2 (&id, sizeof id), conversation);
}

static gboolean
find_position (PickyConversationList *self,
               PickyConversation     *item,
               guint                 *position)
{
  return g_ptr_array_find (self->items, item, position);
}

static void
on_page_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PickyConversationList) self = user_data;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  guint position;
  guint added = 0;

  page = picky_store_list_conversations_finish (PICKY_STORE (object), result, &error);

  /* A cancelled page belongs to a filter that is gone, and the loading
   * flag already to the page of the new one. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loading = FALSE;
  if (page == NULL)
    {
      if (!g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED))
        g_warning ("A page of conversations could not be read: %s", error->message);
      self->complete = TRUE;
      return;
    }

  if (page->len < PAGE_SIZE)
    self->complete = TRUE;
  if (page->len > 0)
    {
      PickyConversation *last = g_ptr_array_index (page, page->len - 1);

      self->cursor_time = picky_conversation_get_last_time (last);
      self->cursor_id = picky_conversation_get_id (last);
    }

  /* Older than every row loaded, so the page goes at the end; a row that
   * came in through conversations-changed meanwhile is there already. */
  position = self->items->len;
  for (guint i = 0; i < page->len; i++)
    {
      PickyConversation *conversation = g_ptr_array_index (page, i);
      gint64 id = picky_conversation_get_id (conversation);

      if (g_hash_table_contains (self->ids, &id))
        continue;
      insert_item (self, conversation, self->items->len);
      added++;
    }

  if (added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), position, 0, added);
}

/* A changed conversation keeps its row object, filled with what is stored
 * now, so that a view showing it follows ::changed. One that moves leaves
 * its place and takes its new one in two steps, each announced alone: a
 * view keeps what it shows in place when a row above it comes or goes,
 * as it does for the message list. */
static void
update_conversation (PickyConversationList *self,
                     PickyConversation     *conversation)
{
  gint64 id = picky_conversation_get_id (conversation);
  PickyConversation *item = g_hash_table_lookup (self->ids, &id);
  gboolean matches = picky_conversation_matches (conversation, self->filter,
                                                 (const char * const *) self->apps, self->channel_id);
  g_autoptr(PickyConversation) copy = NULL;
  guint position = 0;

  /* A conversation read in the Unread list stays until the filter changes,
   * so that the one the admin opened does not vanish under the pointer. */
  if (item != NULL && !matches && self->filter == PICKY_CONVERSATION_FILTER_UNREAD &&
      picky_conversation_matches (conversation, PICKY_CONVERSATION_FILTER_ALL,
                                  (const char * const *) self->apps, self->channel_id))
    matches = TRUE;

  if (item != NULL)
    {
      g_autoptr(PickyConversation) kept = g_object_ref (item);
      guint next;

      if (!find_position (self, item, &position))
        g_assert_not_reached ();

      if (matches &&
          (position == 0 ||
           picky_conversation_compare (g_ptr_array_index (self->items, position - 1), conversation) < 0) &&
          (position + 1 == self->items->len ||
           picky_conversation_compare (conversation, g_ptr_array_index (self->items, position + 1)) < 0))
        {
          picky_conversation_fill (item, conversation);
          return;
        }

      g_hash_table_remove (self->ids, &id);
      g_ptr_array_remove_index (self->items, position);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
      if (!matches)
        return;

      picky_conversation_fill (kept, conversation);
      next = find_insert_position (self, kept);
      insert_item (self, kept, next);
      g_list_model_items_changed (G_LIST_MODEL (self), next, 0, 1);
      return;
    }

  if (!matches || !within_loaded (self, conversation))
    return;

  /* A copy of its own: the signal's objects are shared with every other
   * list, each of which moves its rows by their keys. */
  copy = picky_conversation_new ();
  picky_conversation_fill (copy, conversation);
  position = find_insert_position (self, copy);
  insert_item (self, copy, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

static void
on_conversations_changed_cb (PickyConversationList *self,
                             GPtrArray             *conversations)
{
  /* Oldest first: the newest ends on top, where each one is put. */
  for (guint i = conversations->len; i > 0; i--)
    update_conversation (self, g_ptr_array_index (conversations, i - 1));
}

static GType
picky_conversation_list_get_item_type (GListModel *model)
{
  return PICKY_TYPE_CONVERSATION;
}

static guint
picky_conversation_list_get_n_items (GListModel *model)
{
  return PICKY_CONVERSATION_LIST (model)->items->len;
}

static gpointer
picky_conversation_list_get_item (GListModel *model,
                                  guint       position)
{
  PickyConversationList *self = PICKY_CONVERSATION_LIST (model);

  if (position >= self->items->len)
    return NULL;

  /* A view asks for the rows it is about to show: the next page is read
   * before it reaches the end of what is loaded. */
  if (position + PREFETCH >= self->items->len)
    picky_conversation_list_load_more (self);

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
picky_conversation_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = picky_conversation_list_get_item_type;
  iface->get_n_items = picky_conversation_list_get_n_items;
  iface->get_item = picky_conversation_list_get_item;
}

static void
picky_conversation_list_dispose (GObject *object)
{
  PickyConversationList *self = PICKY_CONVERSATION_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (picky_conversation_list_parent_class)->dispose (object);
}

static void
picky_conversation_list_finalize (GObject *object)
{
  PickyConversationList *self = PICKY_CONVERSATION_LIST (object);

  g_clear_pointer (&self->ids, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_strfreev (self->apps);

  G_OBJECT_CLASS (picky_conversation_list_parent_class)->finalize (object);
}

static void
picky_conversation_list_class_init (PickyConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_conversation_list_dispose;
  object_class->finalize = picky_conversation_list_finalize;
}

static void
picky_conversation_list_init (PickyConversationList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  self->complete = TRUE;
}

/**
 * picky_conversation_list_new:
 * @store: the open store
 *
 * Returns: (transfer full): an empty list; set a filter to fill it
 */
PickyConversationList *
picky_conversation_list_new (PickyStore *store)
{
  PickyConversationList *self;

  g_return_val_if_fail (PICKY_IS_STORE (store), NULL);

  self = g_object_new (PICKY_TYPE_CONVERSATION_LIST, NULL);
  self->store = g_object_ref (store);
  g_signal_connect_swapped (store, "conversations-changed", G_CALLBACK (on_conversations_changed_cb), self);

  return self;
}

/**
 * picky_conversation_list_set_filter:
 * @filter: which conversations: open, waiting, unread, done or all
 * @apps: (nullable) (array zero-terminated=1): only conversations of these
 *   apps; %NULL or empty for every app
 * @channel_id: only this channel's, or 0
 *
 * Empties the list and loads the first page of what the filters leave.
 */
void
picky_conversation_list_set_filter (PickyConversationList   *self,
                                    PickyConversationFilter  filter,
                                    const char * const      *apps,
                                    gint64                   channel_id)
{
  guint removed;

  g_return_if_fail (PICKY_IS_CONVERSATION_LIST (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_strfreev (self->apps);
  self->apps = apps != NULL && apps[0] != NULL ? g_strdupv ((char **) apps) : NULL;
  self->filter = filter;
  self->channel_id = channel_id;

  removed = self->items->len;
  g_hash_table_remove_all (self->ids);
  g_ptr_array_set_size (self->items, 0);
  self->cursor_time = 0;
  self->cursor_id = 0;
  self->loading = FALSE;
  self->complete = FALSE;
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);

  picky_conversation_list_load_more (self);
}

PickyConversationFilter
picky_conversation_list_get_filter (PickyConversationList *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_LIST (self), PICKY_CONVERSATION_FILTER_OPEN);

  return self->filter;
}

/**
 * picky_conversation_list_load_more:
 *
 * Asks the store for the page after the oldest loaded conversation, unless
 * one is on its way or the list is complete. Views need not call this:
 * asking for items near the end does it.
 */
void
picky_conversation_list_load_more (PickyConversationList *self)
{
  PickyConversationQuery query = { 0, };

  g_return_if_fail (PICKY_IS_CONVERSATION_LIST (self));

  if (self->loading || self->complete)
    return;

  query.filter = self->filter;
  query.apps = (const char * const *) self->apps;
  query.channel_id = self->channel_id;
  query.before_time = self->cursor_time;
  query.before_id = self->cursor_id;
  query.limit = PAGE_SIZE;

  self->loading = TRUE;
  picky_store_list_conversations_async (self->store, &query, self->cancellable, on_page_loaded_cb,
                                        g_object_ref (self));
}

/**
 * picky_conversation_list_get_loading:
 *
 * Returns: whether a page is on its way from the store
 */
gboolean
picky_conversation_list_get_loading (PickyConversationList *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_LIST (self), FALSE);

  return self->loading;
}

/**
 * picky_conversation_list_get_complete:
 *
 * Returns: whether every conversation the filters leave is loaded
 */
gboolean
picky_conversation_list_get_complete (PickyConversationList *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_LIST (self), FALSE);

  return self->complete;
}

/**
 * picky_conversation_list_find:
 * @position: (out) (optional): where the conversation is
 *
 * Returns: whether the conversation @conversation_id is loaded
 */
gboolean
picky_conversation_list_find (PickyConversationList *self,
                              gint64                 conversation_id,
                              guint                 *position)
{
  PickyConversation *item;

  g_return_val_if_fail (PICKY_IS_CONVERSATION_LIST (self), FALSE);

  item = g_hash_table_lookup (self->ids, &conversation_id);
  if (item == NULL)
    return FALSE;

  if (position != NULL)
    find_position (self, item, position);
  return TRUE;
}
