/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live list model of conversations, newest activity first, loaded a keyset page at a time. */

#include "config.h"

#include "picky-conversation-list.h"

/* Rows per store page, and how close to the end of what is loaded a view
 * may look before the next page is asked for. GTK 4.8's list view makes,
 * binds and measures a row widget for every item up to 200 around what it
 * shows as soon as the items come: the first page of a filter is only a
 * screenful, so that few rows are made before the first frame, and later
 * pages are small, so that one arriving while the list is flung costs a
 * frame few rows. */
#define FIRST_PAGE_SIZE 40
#define PAGE_SIZE 50
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
  guint                    prefetch_id;    /* a page asked for by a view, not yet queued */
  guint                    page_limit;     /* rows asked for by the page on its way */
  gboolean                 complete;
};

static void picky_conversation_list_model_init (GListModelInterface *iface);

enum {
  SIGNAL_RAISED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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

static int
compare_rows (gconstpointer a,
              gconstpointer b)
{
  return picky_conversation_compare (*(PickyConversation **) a, *(PickyConversation **) b);
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

/* The size of the page to ask for next: a screenful for a filter's first. */
static guint
query_limit (PickyConversationList *self)
{
  return self->items->len == 0 && self->cursor_time == 0 && self->cursor_id == 0 ? FIRST_PAGE_SIZE : PAGE_SIZE;
}

static void queue_page (PickyConversationList *self);

/* A view's prefetch while only the first page is loaded, queued once the
 * main loop has nothing more urgent: the rows a view binds before its first
 * frame ask for the next page, which would otherwise come back, and be
 * made into rows, before that frame is drawn. */
static gboolean
prefetch_cb (gpointer data)
{
  PickyConversationList *self = data;

  self->prefetch_id = 0;
  queue_page (self);
  return G_SOURCE_REMOVE;
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

  if (page->len < self->page_limit)
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

/* A batch's changes, applied to the rows as one: rows whose key stays keep
 * their place and are filled with what is stored now (their object is
 * kept, so a view showing one follows ::changed); rows that move, come or
 * go make the new order, which is announced as one items-changed over the
 * span that differs. Thousands of messages a second thus cost a view one
 * change per commit, not two per conversation; the view keeps the row it
 * shows and the selection keeps its item, as both follow an item that
 * leaves and comes back within one change. */
static void
on_conversations_changed_cb (PickyConversationList *self,
                             GPtrArray             *conversations)
{
  g_autoptr(GHashTable) moving = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  g_autoptr(GHashTable) gone = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) incoming = NULL;
  g_autoptr(GPtrArray) old = NULL;
  GPtrArray *rows;
  GHashTableIter iter;
  gpointer key;
  guint lo = 0;
  guint same_end = 0;
  guint raised = 0;
  guint j = 0;

  /* Oldest first, so that of two states of one conversation the newer
   * one is what stays. */
  for (guint i = conversations->len; i > 0; i--)
    {
      PickyConversation *conversation = g_ptr_array_index (conversations, i - 1);
      gint64 id = picky_conversation_get_id (conversation);
      PickyConversation *item = g_hash_table_lookup (self->ids, &id);
      gboolean matches = picky_conversation_matches (conversation, self->filter,
                                                     (const char * const *) self->apps, self->channel_id);
      PickyConversation *copy;

      /* A conversation read in the Unread list stays until the filter
       * changes, so that the one the admin opened does not vanish under
       * the pointer. */
      if (item != NULL && !matches && self->filter == PICKY_CONVERSATION_FILTER_UNREAD &&
          picky_conversation_matches (conversation, PICKY_CONVERSATION_FILTER_ALL,
                                      (const char * const *) self->apps, self->channel_id))
        matches = TRUE;

      if (item != NULL)
        {
          if (!matches)
            {
              g_hash_table_remove (self->ids, &id);
              g_hash_table_remove (moving, item);
              g_hash_table_add (gone, item);
              continue;
            }
          if (picky_conversation_compare (item, conversation) != 0 && !g_hash_table_contains (moving, item))
            g_hash_table_add (moving, g_object_ref (item));
          picky_conversation_fill (item, conversation);
          continue;
        }

      if (!matches || !within_loaded (self, conversation))
        continue;

      /* A copy of its own: the signal's objects are shared with every
       * other list, each of which orders its rows by their keys. */
      copy = picky_conversation_new ();
      picky_conversation_fill (copy, conversation);
      g_hash_table_insert (self->ids, g_memdup2 (&id, sizeof id), copy);
      g_hash_table_add (moving, copy);
    }

  if (g_hash_table_size (moving) == 0 && g_hash_table_size (gone) == 0)
    return;

  incoming = g_ptr_array_sized_new (g_hash_table_size (moving));
  g_hash_table_iter_init (&iter, moving);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (incoming, key);
  g_ptr_array_sort (incoming, compare_rows);

  /* The rows that stay are still in order: the ones that move are merged
   * into them in one pass. */
  old = g_steal_pointer (&self->items);
  rows = g_ptr_array_new_full (old->len + incoming->len, g_object_unref);
  for (guint i = 0; i < old->len; i++)
    {
      PickyConversation *item = g_ptr_array_index (old, i);

      if (g_hash_table_contains (moving, item) || g_hash_table_contains (gone, item))
        continue;
      while (j < incoming->len && picky_conversation_compare (g_ptr_array_index (incoming, j), item) < 0)
        g_ptr_array_add (rows, g_object_ref (g_ptr_array_index (incoming, j++)));
      g_ptr_array_add (rows, g_object_ref (item));
    }
  while (j < incoming->len)
    g_ptr_array_add (rows, g_object_ref (g_ptr_array_index (incoming, j++)));
  self->items = rows;

  /* Only the span between the unchanged head and tail is announced. */
  while (lo < old->len && lo < rows->len && old->pdata[lo] == rows->pdata[lo])
    lo++;
  while (same_end < old->len - lo && same_end < rows->len - lo &&
         old->pdata[old->len - 1 - same_end] == rows->pdata[rows->len - 1 - same_end])
    same_end++;
  if (old->len - lo - same_end == 0 && rows->len - lo - same_end == 0)
    return;

  /* The rows of this batch now above every row that was there before. */
  for (guint i = lo; i < rows->len && g_hash_table_contains (moving, rows->pdata[i]); i++)
    raised++;
  if (raised == rows->len || old->len == 0)
    raised = 0;

  g_list_model_items_changed (G_LIST_MODEL (self), lo, old->len - lo - same_end, rows->len - lo - same_end);
  if (raised > 0 && lo == 0)
    g_signal_emit (self, signals[SIGNAL_RAISED], 0, raised);
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
  if (position + PREFETCH >= self->items->len && !self->loading && !self->complete)
    {
      if (self->items->len > FIRST_PAGE_SIZE)
        {
          queue_page (self);
        }
      else
        {
          self->loading = TRUE;
          self->prefetch_id = g_idle_add_full (G_PRIORITY_LOW, prefetch_cb, self, NULL);
        }
    }

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

  g_clear_handle_id (&self->prefetch_id, g_source_remove);
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

  /**
   * PickyConversationList::raised:
   * @n_raised: how many conversations of the batch came in or moved
   *   above every row that was there before
   *
   * Emitted right after the items-changed of a batch that put
   * conversations on top of a list that had rows, so that a view scrolled
   * away from the top can say there is news.
   */
  signals[SIGNAL_RAISED] = g_signal_new ("raised", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
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

  g_clear_handle_id (&self->prefetch_id, g_source_remove);
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
  g_return_if_fail (PICKY_IS_CONVERSATION_LIST (self));

  /* A view's prefetch waiting for its turn goes now. */
  if (self->prefetch_id != 0)
    {
      g_clear_handle_id (&self->prefetch_id, g_source_remove);
      self->loading = FALSE;
    }
  if (self->loading || self->complete)
    return;

  queue_page (self);
}

static void
queue_page (PickyConversationList *self)
{
  PickyConversationQuery query = { 0, };

  query.filter = self->filter;
  query.apps = (const char * const *) self->apps;
  query.channel_id = self->channel_id;
  query.before_time = self->cursor_time;
  query.before_id = self->cursor_id;
  query.limit = self->page_limit = query_limit (self);

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
