/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The privacy commands run as an administrator would run them: no display; exit status, output and files checked. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "picky-service.h"
#include "picky-test-util.h"

typedef struct {
  char *out_dir;
  char *db;
  gint64 victim;
  gint64 other;
} Fixture;

/* Shared by every test: GLib reads the data folder once per process. */
static char *data_home;

/* Two contacts through the service, with the data key from the session's
 * keyring that the console will use too: one with words of their own,
 * old and new, one who stays. */
static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(PickyService) service = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) start = g_date_time_new (tz, 2026, 3, 2, 9, 0, 0);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  PickyStore *store;
  gint64 channel;

  fixture->out_dir = g_dir_make_tmp ("picky-privacy-out-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->db = g_build_filename (data_home, "picky-console", "picky-console.db", NULL);

  service = picky_service_new (fixture->db);
  picky_service_start_async (service, FALSE, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_service_start_finish (service, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  store = picky_service_get_store (service);

  g_clear_object (&result);
  picky_store_add_channel_async (store, "telegram", "telegram", "Kundendienst Kanal", "{}", NULL,
                                 picky_test_got_result_cb, &result);
  channel = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 60; i++)
    {
      PickyMessage *message = picky_message_new ();
      g_autofree char *key = g_strdup_printf ("k%u", i);
      g_autofree char *text = NULL;
      gboolean victim = i % 2 == 0;
      /* March 2026 for the first 40, the last days for the rest. */
      gint64 time = i < 40 ? g_date_time_to_unix (start) + i * 3600 : now - (60 - i) * 3600;

      text = victim ? g_strdup_printf ("flabbergasting okapi %u", i) : g_strdup_printf ("plain words %u", i);
      picky_message_set_channel_id (message, channel);
      picky_message_set_provider_key (message, key);
      picky_message_set_contact_provider_id (message, victim ? "tg-victim-7001" : "tg-other-7002");
      picky_message_set_contact_name (message, victim ? "Valentina Verschwinde" : "Bleibt Hier");
      picky_message_set_contact_phone (message, victim ? "+49 151 7654321" : "+49 151 1111111");
      picky_message_set_direction (message, i % 4 == 3 ? PICKY_DIRECTION_OUT : PICKY_DIRECTION_IN);
      if (i % 4 == 3)
        picky_message_set_status (message, PICKY_MESSAGE_STATUS_SENT);
      picky_message_set_text (message, text);
      picky_message_set_timestamp (message, time);
      picky_message_set_received (message, time);
      g_ptr_array_add (batch, message);
    }

  g_clear_object (&result);
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (store, picky_test_wait_result (&result), &error), ==, 60);
  g_assert_no_error (error);
  fixture->victim = picky_message_get_contact_id (g_ptr_array_index (batch, 0));
  fixture->other = picky_message_get_contact_id (g_ptr_array_index (batch, 1));

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
  g_free (fixture->db);
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

#define run_console(out, err, ...) picky_test_run_console (launcher_new (), NULL, out, err, __VA_ARGS__)

static gint64
count_rows (Fixture    *fixture,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  g_assert_cmpint (sqlite3_open_v2 (fixture->db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return count;
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  const char *suffixes[] = { "", "-wal", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (path, suffixes[i], NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (g_file_get_contents (name, &contents, &length, NULL) &&
          memmem (contents, length, needle, strlen (needle)) != NULL)
        return TRUE;
    }

  return FALSE;
}

static void
test_erase (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *id = g_strdup_printf ("--erase-contact=%" G_GINT64_FORMAT, fixture->victim);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_true (file_contains (fixture->db, "flabbergasting"));

  /* Without --yes it says what would go, fails and changes nothing: not
   * the messages, the file's words or the audit log. */
  g_assert_cmpint (run_console (&out, &err, id, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "30 messages from them"));
  g_assert_nonnull (strstr (out, "0 replies to them"));
  g_assert_nonnull (strstr (out, "The details of 0 photos, videos or files"));
  g_assert_nonnull (strstr (out, "0 replies not yet sent"));
  g_assert_nonnull (strstr (out, "Their name, number"));
  g_assert_nonnull (strstr (err, "Nothing was erased"));
  g_assert_nonnull (strstr (err, "--yes"));
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM messages"), ==, 60);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM contacts"), ==, 2);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM audit_log WHERE action = 'erase-contact'"), ==, 0);
  g_assert_true (file_contains (fixture->db, "flabbergasting"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* An unknown contact is refused the same way, with or without --yes. */
  g_assert_cmpint (run_console (NULL, &err, "--erase-contact=4242", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "4242"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (NULL, &err, "--erase-contact=0", "--yes", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--erase-contact"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (NULL, &err, "--erase-contact=4242", "--yes", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "4242"));
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM messages"), ==, 60);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (&out, &err, id, "--yes", NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_nonnull (strstr (out, "erased"));

  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM messages"), ==, 30);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM contacts"), ==, 1);
  g_assert_false (file_contains (fixture->db, "flabbergasting"));
  g_assert_false (file_contains (fixture->db, "okapi"));
  g_assert_false (file_contains (fixture->db, "Valentina"));
  g_assert_false (file_contains (fixture->db, "7654321"));
  g_assert_true (file_contains (fixture->db, "plain words"));
}

static void
test_purge (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_console (NULL, &err, "--purge", "--older-than=7", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--yes"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (NULL, &err, "--purge", "--older-than=0", "--yes", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--older-than"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (NULL, &err, "--purge", "--older-than=soon", "--yes", NULL), !=, 0);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM messages"), ==, 60);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (&out, &err, "--purge", "--older-than=7", "--yes", NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_nonnull (strstr (out, "40 messages deleted"));
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM messages"), ==, 20);
  g_assert_false (file_contains (fixture->db, "okapi 38"));
}

static char *
pdf_text (const char *path)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "pdftotext", "-layout", path, "-", NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return g_steal_pointer (&out);
}

static void
test_disclose (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *json_path = g_build_filename (fixture->out_dir, "case.json", NULL);
  g_autofree char *pdf_path = g_build_filename (fixture->out_dir, "case.json.pdf", NULL);
  g_autofree char *contact = g_strdup_printf ("--contact=%" G_GINT64_FORMAT, fixture->victim);
  g_autofree char *output = g_strdup_printf ("--output=%s", json_path);
  g_autofree char *err = NULL;
  g_autofree char *json = NULL;
  g_autofree char *text = NULL;
  g_autofree char *log = NULL;

  /* Refused before anything is read or written. */
  g_assert_cmpint (run_console (NULL, &err, "--disclose", contact, "--from=2026-03-01", "--to=2026-03-31",
                                "--fields=name,address", "--requester=authority", "--reference=AZ 1",
                                "--reason=Court order", output, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "address"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (NULL, &err, "--disclose", contact, "--from=2026-03-01", "--to=2026-02-31",
                                "--fields=name", "--requester=authority", "--reference=AZ 1",
                                "--reason=Court order", output, NULL), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (NULL, &err, "--disclose", contact, "--from=2026-03-01", "--to=2026-03-31",
                                "--fields=name", "--requester=police", "--reference=AZ 1",
                                "--reason=Court order", output, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--requester"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (NULL, &err, "--disclose", contact, "--from=2026-03-01", "--to=2026-03-31",
                                "--fields=name", "--requester=authority", "--reference=AZ 1",
                                output, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "reason"));
  g_clear_pointer (&err, g_free);
  g_assert_false (g_file_test (json_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (pdf_path, G_FILE_TEST_EXISTS));

  /* March 2nd only: the first 15 hours of messages, the victim's 8 of them. */
  g_assert_cmpint (run_console (NULL, &err, "--disclose", contact, "--from=2026-03-02", "--to=2026-03-02",
                                "--fields=number,messages", "--requester=payment-partner",
                                "--reference=TICKET-99", "--reason=Chargeback dispute", output, NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  text = pdf_text (pdf_path);

  g_assert_nonnull (strstr (json, "+49 151 7654321"));
  g_assert_nonnull (strstr (text, "+49 151 7654321"));
  g_assert_nonnull (strstr (json, "flabbergasting okapi 14"));
  g_assert_nonnull (strstr (text, "flabbergasting okapi 14"));
  g_assert_nonnull (strstr (text, "TICKET-99"));
  g_assert_nonnull (strstr (text, "Chargeback dispute"));
  {
    const char *absent[] = { "Valentina", "Kundendienst", "telegram", "tg-victim", "okapi 16", "plain words" };

    for (guint i = 0; i < G_N_ELEMENTS (absent); i++)
      {
        g_test_message ("looking for %s", absent[i]);
        g_assert_null (strstr (json, absent[i]));
        g_assert_null (strstr (text, absent[i]));
      }
  }

  g_assert_cmpint (run_console (&log, NULL, "--audit-log", NULL), ==, 0);
  g_assert_nonnull (strstr (log, "\tdisclose\tcontact "));
  g_assert_nonnull (strstr (log, "requester payment-partner; reference TICKET-99; reason Chargeback dispute"));
  g_assert_null (strstr (log, "okapi"));
  g_assert_null (strstr (log, "7654321"));
}

static void
test_export_contact (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->out_dir, "mine.json", NULL);
  g_autofree char *id = g_strdup_printf ("--export-contact=%" G_GINT64_FORMAT, fixture->other);
  g_autofree char *output = g_strdup_printf ("--output=%s", path);
  g_autofree char *err = NULL;
  g_autofree char *json = NULL;

  g_assert_cmpint (run_console (NULL, &err, id, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--output"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (NULL, &err, "--export-contact=999", output, NULL), ==, 1);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (NULL, &err, id, output, NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_file_get_contents (path, &json, NULL, NULL));
  g_assert_nonnull (strstr (json, "\"format\" : \"picky-console-contact-export\""));
  g_assert_nonnull (strstr (json, "\"name\" : \"Bleibt Hier\""));
  g_assert_nonnull (strstr (json, "\"number\" : \"+49 151 1111111\""));
  g_assert_nonnull (strstr (json, "plain words 59"));
  g_assert_null (strstr (json, "okapi"));
}

static void
test_audit_verify (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *erase = g_strdup_printf ("--erase-contact=%" G_GINT64_FORMAT, fixture->victim);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) fields = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (run_console (NULL, NULL, erase, "--yes", NULL), ==, 0);
  g_assert_cmpint (run_console (NULL, NULL, "--purge", "--older-than=3650", "--yes", NULL), ==, 0);

  g_assert_cmpint (run_console (&out, &err, "--audit-log", NULL), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >=, 3);
  fields = g_strsplit (lines[g_strv_length (lines) - 2], "\t", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 5);
  g_assert_cmpstr (fields[2], ==, "purge");
  g_assert_cmpstr (fields[3], ==, "older than 3650 days");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_console (&out, &err, "--audit-log", "--verify", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "intact"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Someone softens the erasure's entry. */
  g_assert_cmpint (sqlite3_open (fixture->db, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE audit_log SET detail = '0 messages, 0 outbox items'"
                                     " WHERE action = 'erase-contact'", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  {
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT,
                                           count_rows (fixture, "SELECT id FROM audit_log WHERE action = 'erase-contact'"));
    g_autofree char *named = g_strdup_printf ("entry %s", id);

    g_assert_cmpint (run_console (&out, &err, "--audit-log", "--verify", NULL), ==, 1);
    g_assert_nonnull (strstr (err, named));
  }

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (NULL, &err, "--verify", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--audit-log"));
}

/* The data key's creation and every export are in the audit log, with
 * their scope and never their content, and the chain stays intact. */
static void
test_audit_exports (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *contact = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->other);
  g_autofree char *export_id = g_strdup_printf ("--export-contact=%" G_GINT64_FORMAT, fixture->other);
  g_autofree char *report = g_build_filename (fixture->out_dir, "report.pdf", NULL);
  g_autofree char *summary = g_build_filename (fixture->out_dir, "summary.csv", NULL);
  g_autofree char *json = g_build_filename (fixture->out_dir, "contact.json", NULL);
  g_autofree char *json_option = g_strconcat ("--output=", json, NULL);
  g_autofree char *object = g_strdup_printf ("\tcontact %" G_GINT64_FORMAT "\t", fixture->other);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  guint reports = 0, contacts = 0, keys = 0;

  g_assert_cmpint (run_console (NULL, NULL, "--export-report", "--contact", contact, "--from", "2026-03-01",
                                "--to", "2026-03-31", "--format", "pdf", "--output", report, NULL), ==, 0);
  g_assert_cmpint (run_console (NULL, NULL, "--export-report", "--from", "2026-03-01", "--to", "2026-03-31",
                                "--format", "csv", "--output", summary, NULL), ==, 0);
  g_assert_cmpint (run_console (NULL, NULL, export_id, json_option, NULL), ==, 0);

  g_assert_cmpint (run_console (&out, &err, "--audit-log", NULL), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (strstr (lines[i], "\tdata-key-create\t") != NULL)
        keys++;
      if (strstr (lines[i], "\texport-report\t") != NULL)
        {
          g_assert_nonnull (strstr (lines[i], reports == 0 ? object : "\tall contacts\t"));
          g_assert_nonnull (strstr (lines[i], reports == 0 ? "format pdf" : "format summary-csv"));
          g_assert_nonnull (strstr (lines[i], "2026-03-"));
          reports++;
        }
      if (strstr (lines[i], "\texport-contact\t") != NULL)
        {
          g_assert_nonnull (strstr (lines[i], object));
          contacts++;
        }
    }
  g_assert_cmpuint (keys, ==, 1);
  g_assert_cmpuint (reports, ==, 2);
  g_assert_cmpuint (contacts, ==, 1);
  /* No name, number or text of the contact. */
  g_assert_null (strstr (out, "Bleibt"));
  g_assert_null (strstr (out, "1111111"));
  g_assert_null (strstr (out, "plain words"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run_console (&out, NULL, "--audit-log", "--verify", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "intact"));
}

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  /* Before anything asks GLib for the data folder. */
  data_home = g_dir_make_tmp ("picky-privacy-data-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  ADD ("/picky/privacy-command/erase", test_erase);
  ADD ("/picky/privacy-command/audit-exports", test_audit_exports);
  ADD ("/picky/privacy-command/purge", test_purge);
  ADD ("/picky/privacy-command/disclose", test_disclose);
  ADD ("/picky/privacy-command/export-contact", test_export_contact);
  ADD ("/picky/privacy-command/audit-verify", test_audit_verify);

  status = g_test_run ();
  picky_test_remove_tree (data_home);
  g_free (data_home);
  return status;
}
