/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live list model of stored messages, newest first, loaded a keyset page at a time. */

#include "config.h"

#include <string.h>

#include "picky-message-list.h"

/* Rows per store page, and how close to the end of what is loaded a view
 * may look before the next page is asked for. */
#define PAGE_SIZE 100
#define PREFETCH 40
/* Rows kept in memory: far more than a view shows or keeps bound, so that
 * only pages it scrolled away from are dropped. */
#define MAX_RESIDENT (10 * PAGE_SIZE)

/* A run of rows in list order. Its messages may be dropped and read again:
 * the rows after the previous page's last one, as many as it holds. While
 * they are read again, blank messages stand in and are filled in place, so
 * that a view never sees the rows replaced, only changed. */
typedef struct {
  GPtrArray *items;              /* PickyMessage, or NULL while not resident */
  guint      len;
  guint      start;              /* position of the first row */
  gint64     first_timestamp;
  gint64     first_id;
  gint64     last_timestamp;
  gint64     last_id;
  guint64    used;               /* when a view last asked for one of its rows */
  gboolean   fetching;           /* items are blanks waiting for the store's answer */
  gboolean   stale;              /* grew while being read: the answer may miss rows */
} Page;

struct _PickyMessageList
{
  GObject         parent_instance;

  /* owned */
  PickyStore     *store;
  GPtrArray      *pages;          /* Page, in list order */
  GPtrArray      *resident;       /* Page with items, borrowed from pages */
  GHashTable     *ids;            /* gint64* of the resident messages */
  GCancellable   *cancellable;    /* of the pages being loaded; replaced by each filter */
  GStrv           apps;           /* NULL: every app */
  char           *search;
  GStrv           search_words;   /* casefolded */
  gint64          channel_id;
  guint64         clock;
  guint64         generation;     /* of the filter, so that late pages of an old one are ignored */
  guint           n_items;
  guint           n_resident;
  PickyDirection  direction;
  gboolean        unread_only;
  gboolean        loading;
  gboolean        complete;
};

typedef struct {
  PickyMessageList *self;
  Page             *page;
  guint64           generation;
} Fetch;

static void picky_message_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PickyMessageList, picky_message_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, picky_message_list_model_init))

static void
page_free (Page *page)
{
  g_clear_pointer (&page->items, g_ptr_array_unref);
  g_free (page);
}

static void
fetch_free (Fetch *fetch)
{
  g_object_unref (fetch->self);
  g_free (fetch);
}

/* Newest first: by (timestamp, id), or by id alone for search results,
 * which the store orders by arrival. Negative when @a comes first. */
static int
compare_keys (PickyMessageList *self,
              gint64            ta,
              gint64            ia,
              gint64            tb,
              gint64            ib)
{
  if (self->search == NULL && ta != tb)
    return ta > tb ? -1 : 1;
  if (ia != ib)
    return ia > ib ? -1 : 1;
  return 0;
}

static int
compare_messages (PickyMessageList *self,
                  PickyMessage     *a,
                  PickyMessage     *b)
{
  return compare_keys (self,
                       picky_message_get_timestamp (a), picky_message_get_id (a),
                       picky_message_get_timestamp (b), picky_message_get_id (b));
}

static int
compare_messages_indirect_cb (gconstpointer a,
                              gconstpointer b,
                              gpointer      user_data)
{
  return compare_messages (user_data, *(PickyMessage **) a, *(PickyMessage **) b);
}

/* A row whose page is not in memory: empty, with id 0, and with the
 * strings a row widget reads set, so that it shows as blank. */
static PickyMessage *
new_blank (void)
{
  PickyMessage *blank = picky_message_new ();

  picky_message_set_app (blank, "");
  picky_message_set_text (blank, "");
  picky_message_set_contact_provider_id (blank, "");

  return blank;
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

static Page *
get_page (PickyMessageList *self,
          guint             index)
{
  return g_ptr_array_index (self->pages, index);
}

/* The index of the page holding @position, which must be below n_items. */
static guint
find_page (PickyMessageList *self,
           guint             position)
{
  guint lo = 0;
  guint hi = self->pages->len;

  while (hi - lo > 1)
    {
      guint mid = lo + (hi - lo) / 2;

      if (get_page (self, mid)->start <= position)
        lo = mid;
      else
        hi = mid;
    }

  return lo;
}

static void
update_starts (PickyMessageList *self,
               guint             from)
{
  guint start = from > 0 ? get_page (self, from - 1)->start + get_page (self, from - 1)->len : 0;

  for (guint i = from; i < self->pages->len; i++)
    {
      get_page (self, i)->start = start;
      start += get_page (self, i)->len;
    }
}

static void
update_keys (Page *page)
{
  PickyMessage *first;
  PickyMessage *last;

  if (page->items == NULL || page->items->len == 0)
    return;

  first = g_ptr_array_index (page->items, 0);
  last = g_ptr_array_index (page->items, page->items->len - 1);
  /* A blank at either end has no key: the page keeps the ones it had. */
  if (picky_message_get_id (first) == 0 || picky_message_get_id (last) == 0)
    return;
  page->first_timestamp = picky_message_get_timestamp (first);
  page->first_id = picky_message_get_id (first);
  page->last_timestamp = picky_message_get_timestamp (last);
  page->last_id = picky_message_get_id (last);
}

static void
make_resident (PickyMessageList *self,
               Page             *page,
               GPtrArray        *items)
{
  page->items = g_ptr_array_ref (items);
  page->used = ++self->clock;
  for (guint i = 0; i < items->len; i++)
    {
      gint64 id = picky_message_get_id (g_ptr_array_index (items, i));

      if (id != 0)
        g_hash_table_add (self->ids, g_memdup2 (&id, sizeof id));
    }
  self->n_resident += items->len;
  g_ptr_array_add (self->resident, page);
}

static void
drop_page (PickyMessageList *self,
           Page             *page)
{
  for (guint i = 0; i < page->items->len; i++)
    {
      gint64 id = picky_message_get_id (g_ptr_array_index (page->items, i));

      g_hash_table_remove (self->ids, &id);
    }
  self->n_resident -= page->items->len;
  g_clear_pointer (&page->items, g_ptr_array_unref);
  g_ptr_array_remove_fast (self->resident, page);
}

/* Drops the pages a view asked for least recently until the rest fit.
 * Nothing is announced: the rows stay where they are, only their messages
 * are read again when a view comes back to them. */
static void
trim (PickyMessageList *self)
{
  while (self->n_resident > MAX_RESIDENT && self->resident->len > 1)
    {
      Page *oldest = NULL;

      for (guint i = 0; i < self->resident->len; i++)
        {
          Page *page = g_ptr_array_index (self->resident, i);

          /* Blanks on their way stay until they are filled. */
          if (!page->fetching && (oldest == NULL || page->used < oldest->used))
            oldest = page;
        }
      if (oldest == NULL)
        break;
      drop_page (self, oldest);
    }
}

/* A page that grew at the top by live rows is cut into pages of the usual
 * size, so that dropping and reading again stays cheap. */
static void
split_page (PickyMessageList *self,
            guint             index)
{
  Page *page = get_page (self, index);
  g_autoptr(GPtrArray) items = NULL;
  guint offset = 0;

  if (page->items == NULL || page->fetching || page->len <= 2 * PAGE_SIZE)
    return;

  items = g_ptr_array_ref (page->items);
  drop_page (self, page);
  g_ptr_array_remove_index (self->pages, index);

  while (offset < items->len)
    {
      guint n = MIN (PAGE_SIZE, items->len - offset);
      g_autoptr(GPtrArray) part = g_ptr_array_new_full (n, g_object_unref);
      Page *piece = g_new0 (Page, 1);

      for (guint i = 0; i < n; i++)
        g_ptr_array_add (part, g_object_ref (g_ptr_array_index (items, offset + i)));
      piece->len = n;
      g_ptr_array_insert (self->pages, index++, piece);
      make_resident (self, piece, part);
      update_keys (piece);
      offset += n;
    }
  update_starts (self, 0);
}

/* Asks the store for @limit rows of the list's filters after @after's last
 * row, or from the newest when @after is %NULL. */
static void
ask_store (PickyMessageList    *self,
           Page                *after,
           guint                limit,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  PickyPageQuery query = { 0, };

  query.apps = (const char * const *) self->apps;
  query.channel_id = self->channel_id;
  query.direction = self->direction;
  query.unread_only = self->unread_only;
  query.limit = limit;
  if (after != NULL)
    {
      query.before_timestamp = after->last_timestamp;
      query.before_id = after->last_id;
    }

  if (self->search != NULL)
    picky_store_search_async (self->store, self->search, &query, cancellable, callback, user_data);
  else
    picky_store_list_messages_async (self->store, &query, cancellable, callback, user_data);
}

/* The store's answer to ask_store(); the store is the result's source, as
 * a list being disposed has let go of its own. */
static GPtrArray *
read_answer (PickyMessageList  *self,
             GObject           *store,
             GAsyncResult      *result,
             GError           **error)
{
  if (self->search != NULL)
    return picky_store_search_finish (PICKY_STORE (store), result, error);

  return picky_store_list_messages_finish (PICKY_STORE (store), result, error);
}

static void fetch_page (PickyMessageList *self,
                        Page             *page);

static void
on_page_fetched_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Fetch *fetch = user_data;
  PickyMessageList *self = fetch->self;
  Page *page = fetch->page;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  gboolean current = fetch->generation == self->generation;

  items = read_answer (self, object, result, &error);

  /* The page belongs to a filter that is gone. */
  if (!current || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fetch_free (fetch);
      return;
    }

  page->fetching = FALSE;
  if (items == NULL)
    {
      /* The rows stay blank; the admin sees the rest. */
      if (!g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED))
        g_warning ("A page of messages could not be read: %s", error->message);
      fetch_free (fetch);
      return;
    }

  if (page->stale)
    {
      fetch_page (self, page);
      fetch_free (fetch);
      return;
    }

  /* Positions must not move: should the store hold other rows than the
   * page counted, the extra ones wait and missing ones stay blank. */
  for (guint i = 0; i < MIN (items->len, page->len); i++)
    {
      PickyMessage *blank = g_ptr_array_index (page->items, i);
      gint64 id = picky_message_get_id (items->pdata[i]);

      picky_message_fill (blank, items->pdata[i]);
      g_hash_table_add (self->ids, g_memdup2 (&id, sizeof id));
    }
  update_keys (page);
  split_page (self, find_page (self, page->start));
  trim (self);
  fetch_free (fetch);
}

/* Reads a dropped page again: the rows after the previous page's last,
 * into blanks that views may show until they are filled. */
static void
fetch_page (PickyMessageList *self,
            Page             *page)
{
  guint index = find_page (self, page->start);
  Fetch *fetch;

  if (page->fetching)
    return;

  if (page->items == NULL)
    {
      g_autoptr(GPtrArray) blanks = g_ptr_array_new_full (page->len, g_object_unref);

      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (blanks, new_blank ());
      make_resident (self, page, blanks);
    }

  page->fetching = TRUE;
  page->stale = FALSE;
  fetch = g_new0 (Fetch, 1);
  fetch->self = g_object_ref (self);
  fetch->page = page;
  fetch->generation = self->generation;
  ask_store (self, index > 0 ? get_page (self, index - 1) : NULL, page->len, self->cancellable,
             on_page_fetched_cb, fetch);
}

static void
add_items (PickyMessageList *self,
           GPtrArray        *page)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  Page *last = self->pages->len > 0 ? get_page (self, self->pages->len - 1) : NULL;
  Page *added;

  for (guint i = 0; i < page->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (page, i);
      gint64 id = picky_message_get_id (message);

      /* A message stored while this page was on its way may already have
       * come in through messages-added. */
      if (g_hash_table_contains (self->ids, &id) ||
          (last != NULL && compare_keys (self, picky_message_get_timestamp (message), id,
                                         last->last_timestamp, last->last_id) <= 0))
        continue;

      g_ptr_array_add (items, g_object_ref (message));
    }
  if (items->len == 0)
    return;

  added = g_new0 (Page, 1);
  added->start = self->n_items;
  added->len = items->len;
  g_ptr_array_add (self->pages, added);
  make_resident (self, added, items);
  update_keys (added);
  self->n_items += items->len;
  g_list_model_items_changed (G_LIST_MODEL (self), added->start, 0, added->len);
  trim (self);
}

static void
on_page_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PickyMessageList) self = user_data;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;

  page = read_answer (self, object, result, &error);

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

/* Puts @message into @page, resident or not, and returns its index there:
 * for a page that is not resident, the index of its last row, as nothing
 * tells where among them it went. */
static guint
insert_into_page (PickyMessageList *self,
                  Page             *page,
                  PickyMessage     *message)
{
  gint64 timestamp = picky_message_get_timestamp (message);
  gint64 id = picky_message_get_id (message);
  guint index = page->len;

  if (page->len == 0 || compare_keys (self, timestamp, id, page->first_timestamp, page->first_id) < 0)
    {
      page->first_timestamp = timestamp;
      page->first_id = id;
    }
  if (page->len == 0 || compare_keys (self, timestamp, id, page->last_timestamp, page->last_id) > 0)
    {
      page->last_timestamp = timestamp;
      page->last_id = id;
    }
  page->len++;

  if (page->items == NULL)
    return page->len - 1;
  if (page->fetching)
    {
      /* What is on its way was read before this row was stored: it is read
       * again, into one more blank. */
      page->stale = TRUE;
      g_ptr_array_add (page->items, new_blank ());
      self->n_resident++;
      return page->len - 1;
    }

  while (index > 0 && compare_messages (self, message, g_ptr_array_index (page->items, index - 1)) < 0)
    index--;
  g_ptr_array_insert (page->items, index, g_object_ref (message));
  g_hash_table_add (self->ids, g_memdup2 (&id, sizeof id));
  self->n_resident++;

  return index;
}

static void
on_messages_added_cb (PickyMessageList *self,
                      GPtrArray        *messages)
{
  g_autoptr(GPtrArray) fresh = g_ptr_array_new ();
  guint first = G_MAXUINT;
  guint last = 0;
  guint inserted = 0;
  guint in_page = 0;
  guint p = 0;
  Page *current = NULL;
  guint first_page = G_MAXUINT;

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

  /* One pass and one items-changed for the whole batch: the new rows
   * usually form one run at the top, which leaves every other row, and a
   * view's place among them, alone. A row goes into the first page whose
   * last row is older, so that the rows before each page stay as they
   * were and a dropped page is still read by its keyset. */
  for (guint j = 0; j < fresh->len; j++)
    {
      PickyMessage *message = g_ptr_array_index (fresh, j);
      gint64 timestamp = picky_message_get_timestamp (message);
      gint64 id = picky_message_get_id (message);
      Page *page;
      guint index;
      guint start;

      while (p < self->pages->len)
        {
          Page *candidate = get_page (self, p);

          if (compare_keys (self, timestamp, id, candidate->last_timestamp, candidate->last_id) <= 0)
            break;
          p++;
        }

      if (p < self->pages->len &&
          compare_keys (self, timestamp, id, get_page (self, p)->last_timestamp, get_page (self, p)->last_id) == 0)
        continue;

      if (p == self->pages->len)
        {
          /* Older than everything loaded while more pages wait in the
           * store: it arrives with its page. */
          if (!self->complete)
            break;
          if (self->pages->len == 0)
            {
              Page *empty = g_new0 (Page, 1);

              g_ptr_array_add (self->pages, empty);
              make_resident (self, empty, g_ptr_array_new_with_free_func (g_object_unref));
              g_ptr_array_unref (empty->items);
            }
          p = self->pages->len - 1;
        }

      page = get_page (self, p);
      if (page != current)
        {
          current = page;
          in_page = 0;
        }
      first_page = MIN (first_page, p);
      index = insert_into_page (self, page, message);
      start = page->start + inserted - in_page;
      inserted++;
      in_page++;
      if (page->items != NULL && !page->fetching)
        {
          first = MIN (first, start + index);
          last = MAX (last, start + index);
        }
      else
        {
          /* Where among its rows it went is known only once they are
           * read: all of them changed. */
          first = MIN (first, start);
          last = MAX (last, start + page->len - 1);
        }
    }

  if (inserted == 0)
    return;

  self->n_items += inserted;
  update_starts (self, first_page);
  for (guint i = self->pages->len; i > first_page; i--)
    split_page (self, i - 1);
  /* Every inserted row lies in [first, last]; the rest of that span moved. */
  g_list_model_items_changed (G_LIST_MODEL (self), first, last - first + 1 - inserted, last - first + 1);
  trim (self);
}

static PickyMessage *
find_message (PickyMessageList *self,
              gint64            id)
{
  if (!g_hash_table_contains (self->ids, &id))
    return NULL;

  for (guint k = 0; k < self->resident->len; k++)
    {
      Page *page = g_ptr_array_index (self->resident, k);

      for (guint i = 0; i < page->items->len; i++)
        if (picky_message_get_id (g_ptr_array_index (page->items, i)) == id)
          return g_ptr_array_index (page->items, i);
    }

  return NULL;
}

/* An edit carries the new text, a status report the status and error, and a
 * recorded send the whole row: each changes only what it carries. A row
 * not in memory is read from the store as it is now when it is shown. */
static void
on_messages_changed_cb (PickyMessageList *self,
                        GPtrArray        *messages)
{
  for (guint k = 0; k < messages->len; k++)
    {
      PickyMessage *change = g_ptr_array_index (messages, k);
      PickyMessage *item = find_message (self, picky_message_get_id (change));

      if (item == NULL)
        continue;

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
      /* The row is the same message, changed: a view that shows it
       * follows its ::changed, and keeps its place. */
      picky_message_changed (item);
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
  return PICKY_MESSAGE_LIST (model)->n_items;
}

static gpointer
picky_message_list_get_item (GListModel *model,
                             guint       position)
{
  PickyMessageList *self = PICKY_MESSAGE_LIST (model);
  Page *page;

  if (position >= self->n_items)
    return NULL;

  /* A view asks for the rows it is about to show: the next page is read
   * before it reaches the end of what is loaded. */
  if (position + PREFETCH >= self->n_items)
    picky_message_list_load_more (self);

  page = get_page (self, find_page (self, position));
  page->used = ++self->clock;
  /* A dropped page is read again into blanks, which are the rows from
   * now on: they are filled in place when the store answers. */
  if (page->items == NULL)
    fetch_page (self, page);

  return g_object_ref (g_ptr_array_index (page->items, position - page->start));
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

  g_clear_pointer (&self->resident, g_ptr_array_unref);
  g_clear_pointer (&self->pages, g_ptr_array_unref);
  g_clear_pointer (&self->ids, g_hash_table_unref);
  g_clear_pointer (&self->search_words, g_strfreev);
  g_strfreev (self->apps);
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
  self->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) page_free);
  self->resident = g_ptr_array_new ();
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
 * @apps: (nullable) (array zero-terminated=1): only messages of these apps;
 *   %NULL or empty for every app
 * @channel_id: only this channel's, or 0
 * @unread_only: only unread messages
 * @search: (nullable): words that must all occur, searched in the store's
 *   full-text index
 *
 * Empties the list and loads the first page of what the filters leave.
 * Filters combine.
 */
void
picky_message_list_set_filter (PickyMessageList   *self,
                               const char * const *apps,
                               gint64              channel_id,
                               gboolean            unread_only,
                               const char         *search)
{
  g_autofree char *stripped = g_strstrip (g_strdup (search != NULL ? search : ""));
  guint removed;

  g_return_if_fail (PICKY_IS_MESSAGE_LIST (self));

  search = *stripped != '\0' ? stripped : NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_strfreev (self->apps);
  self->apps = apps != NULL && apps[0] != NULL ? g_strdupv ((char **) apps) : NULL;
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

  removed = self->n_items;
  self->generation++;
  g_ptr_array_set_size (self->resident, 0);
  g_ptr_array_set_size (self->pages, 0);
  g_hash_table_remove_all (self->ids);
  self->n_items = 0;
  self->n_resident = 0;
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
  g_return_if_fail (PICKY_IS_MESSAGE_LIST (self));

  if (self->loading || self->complete)
    return;

  self->loading = TRUE;
  ask_store (self, self->pages->len > 0 ? get_page (self, self->pages->len - 1) : NULL, PAGE_SIZE,
             self->cancellable, on_page_loaded_cb, g_object_ref (self));
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
 * picky_message_list_get_n_resident:
 *
 * Returns: how many messages are held in memory; rows of other pages are
 *   read from the store again when a view asks for them
 */
guint
picky_message_list_get_n_resident (PickyMessageList *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_LIST (self), 0);

  return self->n_resident;
}

/**
 * picky_message_list_mark_read:
 *
 * Shows the resident messages of @contact_id as read, as the store has them
 * after picky_store_mark_read_async(). They stay in an unread-only list
 * until the filter changes, so that nothing moves under the admin's eyes.
 */
void
picky_message_list_mark_read (PickyMessageList *self,
                              gint64            contact_id)
{
  g_return_if_fail (PICKY_IS_MESSAGE_LIST (self));

  for (guint k = 0; k < self->resident->len; k++)
    {
      Page *page = g_ptr_array_index (self->resident, k);

      for (guint i = 0; i < page->items->len; i++)
        {
          PickyMessage *item = g_ptr_array_index (page->items, i);

          if (picky_message_get_contact_id (item) == contact_id && picky_message_get_unread (item))
            {
              picky_message_set_unread (item, FALSE);
              picky_message_changed (item);
            }
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
  if (self->apps != NULL && !g_strv_contains ((const char * const *) self->apps, picky_message_get_app (message)))
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
