/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Handing work from a worker thread to the main context that owns the objects. */

#include "config.h"

#include "picky-main-context.h"

/**
 * picky_main_context_dispatch:
 * @context: the context whose thread is to run @function
 * @function: called once, from @context's own dispatch
 * @data: for @function and @notify
 * @notify: (nullable): frees @data afterwards
 *
 * Runs @function from @context, always in a later dispatch and so in the
 * thread that iterates @context. g_main_context_invoke() is not enough
 * from a worker: when no thread happens to own the default context at that
 * moment, it acquires it and runs the function right there, in the worker,
 * next to widgets the main thread is using.
 */
void
picky_main_context_dispatch (GMainContext   *context,
                             GSourceFunc     function,
                             gpointer        data,
                             GDestroyNotify  notify)
{
  GSource *source = g_idle_source_new ();

  /* Default priority, in order of calls: a batch's messages-added comes
   * before its messages-changed, as they were stored. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, function, data, notify);
  g_source_set_static_name (source, "[picky] dispatch");
  g_source_attach (source, context);
  g_source_unref (source);
}
