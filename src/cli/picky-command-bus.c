/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The commands a running console answers for other processes over the session bus. */

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "picky-command.h"
#include "picky-command-bus.h"
#include "picky-command-line.h"
#include "picky-conversation-command.h"

#define INTERFACE_NAME APPLICATION_ID ".Commands"

/* One method: the options of a command as the asking process parsed them
 * (a reply's text included), answered with what the command would have
 * printed and its exit status, so that it behaves as if run locally. */
static const char introspection_xml[] =
  "<node>"
  "  <interface name='" INTERFACE_NAME "'>"
  "    <method name='Run'>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='i' name='status' direction='out'/>"
  "      <arg type='s' name='out' direction='out'/>"
  "      <arg type='s' name='err' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

struct _PickyCommandBus
{
  GDBusConnection *connection;
  PickyService    *service;
  GDBusNodeInfo   *node;
  GApplication    *application;   /* only when claimed for --headless */
  guint            registration_id;
};

/* Beside the object of the application's own interfaces, so that it is
 * the same wherever the console runs: a window or --headless. */
static char *
dup_object_path (void)
{
  g_autofree char *path = g_strconcat ("/", APPLICATION_ID, "/Commands", NULL);

  g_strdelimit (path, ".", '/');
  g_strdelimit (path, "-", '_');
  return g_steal_pointer (&path);
}

static void
on_served_cb (int         status,
              const char *out,
              const char *err,
              gpointer    user_data)
{
  GDBusMethodInvocation *invocation = user_data;

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(iss)", status, out, err));
}

static void
on_method_call_cb (GDBusConnection       *connection,
                   const char            *sender,
                   const char            *object_path,
                   const char            *interface_name,
                   const char            *method_name,
                   GVariant              *parameters,
                   GDBusMethodInvocation *invocation,
                   gpointer               user_data)
{
  PickyCommandBus *self = user_data;
  g_autoptr(GVariant) request = g_variant_get_child_value (parameters, 0);
  g_autoptr(GVariantDict) options = g_variant_dict_new (request);

  if (picky_conversation_command_serve (options, self->service, on_served_cb, invocation))
    return;
  if (picky_command_line_serve (options, self->service, on_served_cb, invocation))
    return;

  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED,
                                         _("The running console does not take this command"));
}

static const GDBusInterfaceVTable vtable = { on_method_call_cb, NULL, NULL, { 0 } };

/**
 * picky_command_bus_export:
 * @connection: the session bus connection of the running console
 * @service: its service, which the commands asked for use
 * @error: return location for why the object could not be exported
 *
 * Answers --list-channels, --add-channel, --remove-channel,
 * --list-conversations and --send of other processes on @connection, so that they use this console's database and
 * channels instead of opening them a second time.
 *
 * Returns: (transfer full) (nullable): the export, undone by
 *   picky_command_bus_free()
 */
PickyCommandBus *
picky_command_bus_export (GDBusConnection  *connection,
                          PickyService     *service,
                          GError          **error)
{
  g_autoptr(PickyCommandBus) self = g_new0 (PickyCommandBus, 1);
  g_autofree char *path = dup_object_path ();

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (PICKY_IS_SERVICE (service), NULL);

  self->connection = g_object_ref (connection);
  self->service = g_object_ref (service);
  self->node = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
  self->registration_id = g_dbus_connection_register_object (connection, path, self->node->interfaces[0],
                                                             &vtable, self, NULL, error);
  if (self->registration_id == 0)
    return NULL;

  return g_steal_pointer (&self);
}

static void
on_window_asked_cb (GApplication *application,
                    gpointer      user_data)
{
  picky_command_print_error (_("A window was asked for, but this console runs without one; "
                               "stop it first to open the window"));
}

/**
 * picky_command_bus_claim:
 * @service: the service of the console about to receive without a window
 * @error: return location for why it must not run
 *
 * Makes this process the running console on the session bus, as a window
 * would, and exports the commands there. Fails when another console (a
 * window or --headless) runs already. Without a session bus there is no
 * one to ask or answer, and the claim succeeds with nothing exported.
 *
 * Returns: (transfer full) (nullable): the claim, released by
 *   picky_command_bus_free()
 */
PickyCommandBus *
picky_command_bus_claim (PickyService  *service,
                         GError       **error)
{
  g_autoptr(GApplication) application = g_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  GDBusConnection *connection;
  PickyCommandBus *self;

  g_return_val_if_fail (PICKY_IS_SERVICE (service), NULL);

  if (!g_application_register (application, NULL, error))
    return NULL;

  if (g_application_get_is_remote (application))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("Picky Console is running already, with a window or --headless; "
                     "it receives the messages, and a second one would open the same database"));
      return NULL;
    }

  /* A window started now finds this process and asks it for one. */
  g_signal_connect (application, "activate", G_CALLBACK (on_window_asked_cb), NULL);

  connection = g_application_get_dbus_connection (application);
  if (connection == NULL)
    self = g_new0 (PickyCommandBus, 1);
  else
    self = picky_command_bus_export (connection, service, error);
  if (self == NULL)
    return NULL;

  self->application = g_steal_pointer (&application);
  return self;
}

/**
 * picky_command_bus_free:
 * @self: an export or a claim
 *
 * Stops answering commands and, for a claim, leaves the bus name.
 */
void
picky_command_bus_free (PickyCommandBus *self)
{
  if (self == NULL)
    return;

  if (self->registration_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration_id);
  g_clear_object (&self->connection);
  g_clear_object (&self->service);
  g_clear_object (&self->application);
  g_clear_pointer (&self->node, g_dbus_node_info_unref);
  g_free (self);
}

/**
 * picky_command_bus_forward:
 * @request: (transfer floating): the command's options, a vardict
 *
 * Hands a command to the console that runs, if any, waits for it to end
 * (a reply until it is sent or has failed) and prints what it printed.
 *
 * Returns: the command's exit status, or -1 when no console runs
 */
int
picky_command_bus_forward (GVariant *request)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (request);
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autofree char *path = dup_object_path ();
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *out, *err;
  int status;

  if (bus == NULL)
    return -1;

  /* Never started for the command: no console, no answer. A reply takes
   * as long as its channel does, so there is no timeout of our own. */
  reply = g_dbus_connection_call_sync (bus, APPLICATION_ID, path, INTERFACE_NAME, "Run",
                                       g_variant_new ("(@a{sv})", owned), G_VARIANT_TYPE ("(iss)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, G_MAXINT, NULL, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
          g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
        return -1;

      g_dbus_error_strip_remote_error (error);
      picky_command_print_error (error->message);
      return 1;
    }

  g_variant_get (reply, "(i&s&s)", &status, &out, &err);
  fputs (out, stdout);
  fflush (stdout);
  fputs (err, stderr);
  return status;
}
