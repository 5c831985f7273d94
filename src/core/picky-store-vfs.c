/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's SQLite file layer: the system's own, with the write-ahead log's appends gathered into one write per commit. */

#include "config.h"

#include <string.h>

#include "picky-store-private.h"

/* SQLite writes a commit to the log as two writes per page, a 24-byte frame
 * header and the page, each a system call: a webhook's commit of ≈30
 * messages made ≈600 of them, and on a virtual machine a system call costs
 * microseconds — about a third of the store's time per message went into
 * them. Appends to the log are gathered here and written at once when
 * SQLite syncs the log (every commit, synchronous = FULL), when a commit's
 * last frame has been written (so that a commit never waits in memory for
 * a sync that a connection with synchronous = NORMAL would not ask for),
 * or before anything reads, sizes or truncates the file. SQLite sees the
 * same bytes in the same places: only the number of writes changes. */

#define WAL_FRAME_HEADER 24
/* A commit of a large batch flushes as it goes. */
#define BUFFER_CAPACITY (2 * 1024 * 1024)
/* The system's layer writes at most 128 KiB less a byte at once (it masks
 * the length), so a flush writes in pieces of this size. */
#define WRITE_MAX (64 * 1024)

typedef struct {
  sqlite3_file   base;
  sqlite3_file  *real;       /* the system's file, placed right after this */
  guint8        *buffer;     /* appends not yet written; owned */
  sqlite3_int64  offset;     /* where buffer[0] goes */
  int            length;
  /* The last frame header was a commit's: its page ends the commit. */
  gboolean       commit_frame;
} LogFile;

static sqlite3_vfs *real_vfs;

static int
write_pieces (sqlite3_file  *real,
              const guint8  *data,
              int            length,
              sqlite3_int64  offset)
{
  int rc = SQLITE_OK;

  for (int done = 0; rc == SQLITE_OK && done < length; done += WRITE_MAX)
    rc = real->pMethods->xWrite (real, data + done, MIN (WRITE_MAX, length - done), offset + done);

  return rc;
}

static int
log_flush (LogFile *self)
{
  int rc = write_pieces (self->real, self->buffer, self->length, self->offset);

  self->length = 0;
  return rc;
}

static int
log_close (sqlite3_file *file)
{
  LogFile *self = (LogFile *) file;
  int rc = log_flush (self);
  int closed = self->real->pMethods->xClose (self->real);

  g_free (self->buffer);
  self->buffer = NULL;
  return rc != SQLITE_OK ? rc : closed;
}

static int
log_read (sqlite3_file *file,
          void         *data,
          int           amount,
          sqlite3_int64 offset)
{
  LogFile *self = (LogFile *) file;

  if (self->length > 0 && offset < self->offset + self->length && offset + amount > self->offset)
    {
      int rc = log_flush (self);

      if (rc != SQLITE_OK)
        return rc;
    }

  return self->real->pMethods->xRead (self->real, data, amount, offset);
}

static int
log_write (sqlite3_file *file,
           const void   *data,
           int           amount,
           sqlite3_int64 offset)
{
  LogFile *self = (LogFile *) file;
  gboolean ends_commit = self->commit_frame && amount > WAL_FRAME_HEADER;
  int rc = SQLITE_OK;

  /* A frame header's second word is the database's size after a commit,
   * zero in the other frames. */
  if (amount == WAL_FRAME_HEADER)
    {
      const unsigned char *header = data;

      self->commit_frame = (header[4] | header[5] | header[6] | header[7]) != 0;
    }
  else
    {
      self->commit_frame = FALSE;
    }

  /* Within or right after what is gathered: into the buffer (SQLite
   * rewrites a frame of the transaction under way in place at times). */
  if (self->length > 0 &&
      (offset < self->offset || offset > self->offset + self->length ||
       offset + amount - self->offset > BUFFER_CAPACITY))
    rc = log_flush (self);
  if (rc != SQLITE_OK)
    return rc;

  if (amount > BUFFER_CAPACITY)
    rc = write_pieces (self->real, data, amount, offset);
  else
    {
      if (self->length == 0)
        self->offset = offset;
      memcpy (self->buffer + (offset - self->offset), data, amount);
      self->length = MAX (self->length, (int) (offset + amount - self->offset));
    }

  if (rc == SQLITE_OK && ends_commit)
    rc = log_flush (self);
  return rc;
}

static int
log_truncate (sqlite3_file *file,
              sqlite3_int64 size)
{
  LogFile *self = (LogFile *) file;
  int rc = log_flush (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xTruncate (self->real, size);
}

static int
log_sync (sqlite3_file *file,
          int           flags)
{
  LogFile *self = (LogFile *) file;
  int rc = log_flush (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xSync (self->real, flags);
}

static int
log_file_size (sqlite3_file  *file,
               sqlite3_int64 *size)
{
  LogFile *self = (LogFile *) file;
  int rc = log_flush (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xFileSize (self->real, size);
}

static int
log_lock (sqlite3_file *file,
          int           level)
{
  LogFile *self = (LogFile *) file;

  return self->real->pMethods->xLock (self->real, level);
}

static int
log_unlock (sqlite3_file *file,
            int           level)
{
  LogFile *self = (LogFile *) file;

  return self->real->pMethods->xUnlock (self->real, level);
}

static int
log_check_reserved_lock (sqlite3_file *file,
                         int          *reserved)
{
  LogFile *self = (LogFile *) file;

  return self->real->pMethods->xCheckReservedLock (self->real, reserved);
}

/* Whatever a control asks of the file, it sees what was written. */
static int
log_file_control (sqlite3_file *file,
                  int           op,
                  void         *arg)
{
  LogFile *self = (LogFile *) file;
  int rc = log_flush (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xFileControl (self->real, op, arg);
}

static int
log_sector_size (sqlite3_file *file)
{
  LogFile *self = (LogFile *) file;

  return self->real->pMethods->xSectorSize (self->real);
}

static int
log_device_characteristics (sqlite3_file *file)
{
  LogFile *self = (LogFile *) file;

  return self->real->pMethods->xDeviceCharacteristics (self->real);
}

/* Version 1: a log file is never memory-mapped and has no shared memory
 * of its own (the database file has it). */
static const sqlite3_io_methods log_methods = {
  .iVersion = 1,
  .xClose = log_close,
  .xRead = log_read,
  .xWrite = log_write,
  .xTruncate = log_truncate,
  .xSync = log_sync,
  .xFileSize = log_file_size,
  .xLock = log_lock,
  .xUnlock = log_unlock,
  .xCheckReservedLock = log_check_reserved_lock,
  .xFileControl = log_file_control,
  .xSectorSize = log_sector_size,
  .xDeviceCharacteristics = log_device_characteristics,
};

static int
vfs_open (sqlite3_vfs  *vfs,
          const char   *name,
          sqlite3_file *file,
          int           flags,
          int          *out_flags)
{
  LogFile *self = (LogFile *) file;
  int rc;

  /* Every other file is the system's, in the same memory. */
  if ((flags & SQLITE_OPEN_WAL) == 0)
    return real_vfs->xOpen (real_vfs, name, file, flags, out_flags);

  memset (self, 0, sizeof *self);
  self->real = (sqlite3_file *) (self + 1);
  rc = real_vfs->xOpen (real_vfs, name, self->real, flags, out_flags);
  if (rc != SQLITE_OK)
    return rc;
  self->buffer = g_malloc (BUFFER_CAPACITY);
  self->base.pMethods = &log_methods;
  return SQLITE_OK;
}

static int
vfs_delete (sqlite3_vfs *vfs,
            const char  *name,
            int          sync_dir)
{
  return real_vfs->xDelete (real_vfs, name, sync_dir);
}

static int
vfs_access (sqlite3_vfs *vfs,
            const char  *name,
            int          flags,
            int         *result)
{
  return real_vfs->xAccess (real_vfs, name, flags, result);
}

static int
vfs_full_pathname (sqlite3_vfs *vfs,
                   const char  *name,
                   int          size,
                   char        *out)
{
  return real_vfs->xFullPathname (real_vfs, name, size, out);
}

static void *
vfs_dl_open (sqlite3_vfs *vfs,
             const char  *name)
{
  return real_vfs->xDlOpen (real_vfs, name);
}

static void
vfs_dl_error (sqlite3_vfs *vfs,
              int          size,
              char        *out)
{
  real_vfs->xDlError (real_vfs, size, out);
}

static void (*vfs_dl_sym (sqlite3_vfs *vfs,
                          void        *handle,
                          const char  *symbol)) (void)
{
  return real_vfs->xDlSym (real_vfs, handle, symbol);
}

static void
vfs_dl_close (sqlite3_vfs *vfs,
              void        *handle)
{
  real_vfs->xDlClose (real_vfs, handle);
}

static int
vfs_randomness (sqlite3_vfs *vfs,
                int          size,
                char        *out)
{
  return real_vfs->xRandomness (real_vfs, size, out);
}

static int
vfs_sleep (sqlite3_vfs *vfs,
           int          microseconds)
{
  return real_vfs->xSleep (real_vfs, microseconds);
}

static int
vfs_current_time (sqlite3_vfs *vfs,
                  double      *now)
{
  return real_vfs->xCurrentTime (real_vfs, now);
}

static int
vfs_get_last_error (sqlite3_vfs *vfs,
                    int          size,
                    char        *out)
{
  return real_vfs->xGetLastError (real_vfs, size, out);
}

static int
vfs_current_time_int64 (sqlite3_vfs   *vfs,
                        sqlite3_int64 *now)
{
  return real_vfs->xCurrentTimeInt64 (real_vfs, now);
}

/**
 * picky_store_vfs_register:
 *
 * Makes the store's file layer SQLite's default for this process, once;
 * every connection to a store file, the benchmarks' included, goes
 * through it. Returns %FALSE when SQLite has no file layer to build on.
 */
gboolean
picky_store_vfs_register (void)
{
  static sqlite3_vfs vfs;
  static gsize done = 0;
  static gboolean ok = FALSE;

  if (g_once_init_enter (&done))
    {
      real_vfs = sqlite3_vfs_find (NULL);
      if (real_vfs != NULL && real_vfs->iVersion >= 2)
        {
          vfs = (sqlite3_vfs) {
            .iVersion = 2,
            .szOsFile = (int) sizeof (LogFile) + real_vfs->szOsFile,
            .mxPathname = real_vfs->mxPathname,
            .zName = "picky",
            .xOpen = vfs_open,
            .xDelete = vfs_delete,
            .xAccess = vfs_access,
            .xFullPathname = vfs_full_pathname,
            .xDlOpen = vfs_dl_open,
            .xDlError = vfs_dl_error,
            .xDlSym = vfs_dl_sym,
            .xDlClose = vfs_dl_close,
            .xRandomness = vfs_randomness,
            .xSleep = vfs_sleep,
            .xCurrentTime = vfs_current_time,
            .xGetLastError = vfs_get_last_error,
            .xCurrentTimeInt64 = vfs_current_time_int64,
          };
          ok = sqlite3_vfs_register (&vfs, 1) == SQLITE_OK;
        }
      g_once_init_leave (&done, 1);
    }

  return ok;
}
