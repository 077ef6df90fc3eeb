/*
 * spool.h - the spool directory layout and the file operations every
 * program that touches it shares.
 *
 * The layout and its names are in spool_layout.h, queue IDs in qid.h.
 */
#ifndef POSTERN_SPOOL_H
#define POSTERN_SPOOL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "qid.h"
#include "spool_layout.h"
#include "strbuf.h"

/*
 * spool_read_file - read the whole regular file name (relative to dirfd)
 * into out, refusing symlinks (O_NOFOLLOW) and files over max bytes.
 * Fills *st from fstat() of the opened file when st is not NULL.
 * Returns 0, or an errno value (EFBIG for too big, EINVAL for not a
 * regular file).
 */
int spool_read_file(int dirfd, const char *name, size_t max, struct strbuf *out,
    struct stat *st);

/* How much of a write survives a power cut. */
enum spool_sync {
	SPOOL_VIEW,		/* nothing promised: a file others read (status,
				   listing, usage); no fsync at all */
	SPOOL_SYNC_DATA,	/* the file's data, not yet its name */
	SPOOL_SYNC_ALL,		/* data and the directory entry */
};

/*
 * spool_write_file - replace name in dirfd with len bytes: write
 * "name.tmp", fsync it (unless SPOOL_VIEW), rename it over name, and
 * fsync the directory for SPOOL_SYNC_ALL. Leaves nothing behind on
 * failure. Returns 0 or errno.
 */
int spool_write_file(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, enum spool_sync sync);

/*
 * spool_opendir - a DIR stream over dirfd from its start, on a duplicate
 * (dirfd stays open and usable; closedir() the result). NULL on error.
 */
DIR *spool_opendir(int dirfd);

/* spool_fsync_dir - fsync a directory fd; 0 or errno */
int spool_fsync_dir(int dirfd);

#endif
