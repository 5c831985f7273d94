/* SPDX-License-Identifier: GPL-3.0-or-later */
/* picky-console --export-report run as a scheduled job would: no display, exit status and files checked. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>

#include "picky-service.h"
#include "picky-test-util.h"

typedef struct {
  char *home;
  char *data;
  char *out_dir;
  gint64 contact_id;
  guint n_in;
  guint n_out;
} Fixture;

/* Shared by every test: GLib reads the data folder once per process. */
static char *data_home;

/* Stores a conversation through the service, as the console would, with
 * the data key from the session's keyring that the console will use too. */
static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(PickyService) service = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) start = g_date_time_new (tz, 2026, 3, 27, 9, 0, 0);
  g_autofree char *db = g_build_filename (data_home, "picky-console", "picky-console.db", NULL);
  PickyStore *store;
  gint64 channel;

  fixture->out_dir = g_dir_make_tmp ("picky-report-out-XXXXXX", &error);
  g_assert_no_error (error);

  service = picky_service_new (db);
  picky_service_start_async (service, FALSE, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_service_start_finish (service, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  store = picky_service_get_store (service);

  g_clear_object (&result);
  picky_store_add_channel_async (store, "telegram", "telegram", "Support", "{}", NULL, picky_test_got_result_cb, &result);
  channel = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 40; i++)
    {
      PickyMessage *message = picky_message_new ();
      g_autofree char *key = g_strdup_printf ("k%u", i);
      gboolean in = i % 3 != 2;

      picky_message_set_channel_id (message, channel);
      picky_message_set_provider_key (message, key);
      picky_message_set_contact_provider_id (message, "4711");
      picky_message_set_contact_name (message, "Zoë Ödegaard");
      picky_message_set_direction (message, in ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
      picky_message_set_text (message, i % 5 == 0 ? "Hallo, \"Team\"\nwo bleibt es?" : "ok");
      /* Across the night of the change to summer time, 2026-03-29. */
      picky_message_set_timestamp (message, g_date_time_to_unix (start) + i * 7200);
      picky_message_set_received (message, g_date_time_to_unix (start) + i * 7200);
      g_ptr_array_add (batch, message);
      if (in)
        fixture->n_in++;
      else
        fixture->n_out++;
    }

  g_clear_object (&result);
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (store, picky_test_wait_result (&result), &error), ==, 40);
  g_assert_no_error (error);
  fixture->contact_id = picky_message_get_contact_id (g_ptr_array_index (batch, 0));

  picky_service_shutdown (service);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *db_dir = g_build_filename (data_home, "picky-console", NULL);

  picky_test_remove_tree (db_dir);
  picky_test_remove_tree (fixture->out_dir);
  g_free (fixture->out_dir);
}

/* The console with no display at all, in the Berlin time zone. */
static GSubprocessLauncher *
launcher_new (void)
{
  GSubprocessLauncher *launcher = picky_test_console_launcher ();

  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "TZ", "Europe/Berlin", TRUE);
  return launcher;
}

#define run_console(err, ...) picky_test_run_console (launcher_new (), NULL, NULL, err, __VA_ARGS__)

static char *
run_tool (const char *tool,
          const char *arg1,
          const char *arg2)
{
  const char *argv[] = { tool, arg1, arg2, NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return out;
}

static void
test_command_csv (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->out_dir, "weekly.csv", NULL);
  g_autofree char *contact = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->contact_id);
  g_autofree char *err = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpint (run_console (&err, "--export-report", "--contact", contact, "--from", "2026-03-27",
                                "--to", "2026-03-30", "--format", "csv", "--rows", "messages",
                                "--output", path, NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");

  /* Python's csv module reads back one row per message plus the header;
   * its text fields keep their quotes and line breaks. */
  {
    const char *argv[] = {
      "/usr/bin/python3", "-c",
      "import csv, sys\n"
      "rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8'), strict=True))\n"
      "ins = sum(1 for r in rows[1:] if r[5] == 'in')\n"
      "quoted = sum(1 for r in rows[1:] if r[8] == 'Hallo, \"Team\"\\nwo bleibt es?')\n"
      "print(len(rows) - 1, ins, quoted, rows[1][3])\n",
      path, NULL,
    };
    g_autoptr(GError) error = NULL;
    int status = 0;

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &rows, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  expected = g_strdup_printf ("%u %u 8 Zoë Ödegaard\n", fixture->n_in + fixture->n_out, fixture->n_in);
  g_assert_cmpstr (rows, ==, expected);
}

static void
test_command_pdf (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->out_dir, "all.pdf", NULL);
  g_autofree char *err = NULL;
  g_autofree char *text = NULL;
  g_autofree char *in = g_strdup_printf ("%u", fixture->n_in);

  g_assert_cmpint (run_console (&err, "--export-report", "--from", "2026-03-01", "--to", "2026-03-31",
                                "--format", "pdf", "--output", path, NULL), ==, 0);
  text = run_tool ("pdftotext", path, "-");
  g_assert_nonnull (strstr (text, "All Contacts"));
  g_assert_nonnull (strstr (text, "Zoë Ödegaard"));
  g_assert_nonnull (strstr (text, in));
  g_assert_nonnull (strstr (text, "time zone Europe/Berlin"));
}

/* A Hindi report's Devanagari comes back out of the PDF: its fonts are
 * embedded with the text they draw, not boxes or unmapped glyphs. */
static void
test_command_pdf_hindi (Fixture       *fixture,
                        gconstpointer  data)
{
  GSubprocessLauncher *launcher = launcher_new ();
  g_autofree char *path = g_build_filename (fixture->out_dir, "hindi.pdf", NULL);
  g_autofree char *err = NULL;
  g_autofree char *text = NULL;

  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "hi", TRUE);
  g_assert_cmpint (picky_test_run_console (launcher, NULL, NULL, &err, "--export-report",
                                           "--from", "2026-03-01", "--to", "2026-03-31",
                                           "--format", "pdf", "--output", path, NULL), ==, 0);
  text = run_tool ("pdftotext", path, "-");
  g_assert_nonnull (strstr (text, "सभी संपर्क"));
  g_assert_nonnull (strstr (text, "समय क्षेत्र Europe/Berlin"));
  g_assert_nonnull (strstr (text, "Zoë Ödegaard"));
  g_assert_null (strstr (text, "All Contacts"));
}

static void
test_command_bad_arguments (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->out_dir, "bad.csv", NULL);
  g_autofree char *err = NULL;

  g_assert_cmpint (run_console (&err, "--export-report", "--from", "2026-02-30", "--to", "2026-03-31",
                                "--output", path, NULL), !=, 0);
  g_assert_nonnull (strstr (err, "“2026-02-30” is not a date"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (&err, "--export-report", "--range", "fortnight", "--output", path, NULL), !=, 0);
  g_assert_nonnull (strstr (err, "“fortnight” is not a range"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (&err, "--export-report", "--from", "2026-03-31", "--to", "2026-03-01",
                                "--output", path, NULL), !=, 0);
  g_assert_nonnull (strstr (err, "before it starts"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (&err, "--export-report", "--range", "7d", "--format", "xls",
                                "--output", path, NULL), !=, 0);
  g_assert_nonnull (strstr (err, "Unknown format"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (&err, "--export-report", "--range", "7d", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "--output"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (&err, "--export-report", "--contact", "999999", "--range", "7d",
                                "--output", path, NULL), !=, 0);
  g_assert_nonnull (strstr (err, "No contact with the number 999999"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  /* Before anything asks GLib for the data folder. */
  data_home = g_dir_make_tmp ("picky-report-data-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  ADD ("/picky/report-command/csv", test_command_csv);
  ADD ("/picky/report-command/pdf", test_command_pdf);
  ADD ("/picky/report-command/pdf-hindi", test_command_pdf_hindi);
  ADD ("/picky/report-command/bad-arguments", test_command_bad_arguments);

  status = g_test_run ();
  picky_test_remove_tree (data_home);
  g_free (data_home);
  return status;
}
