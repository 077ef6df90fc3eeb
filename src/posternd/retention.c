/*
 * retention.c - expire and cap the quarantine and the dead letters
 * (retention.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "retention.h"
#include "spool.h"
#include "strutil.h"
#include "xalloc.h"

/* One kept entry: a name, and its state file when it has one. */
struct retention_entry {
	char name[256];		/* without the state suffix */
	int64_t mtime;		/* the newer of the two files */
	uint64_t bytes;
};

struct retention_list {
	struct retention_entry *e;
	size_t n, cap;
};

/* retention_add - count file base (size, mtime) into its entry */
static void
retention_add(struct retention_list *l, const char *base, const struct stat *sb)
{
	size_t i;

	for (i = 0; i < l->n; i++)	/* few entries: kept small by the cap */
		if (strcmp(l->e[i].name, base) == 0)
			break;
	if (i == l->n) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 32;
			l->e = xreallocarray(l->e, l->cap, sizeof(*l->e));
		}
		memset(&l->e[i], 0, sizeof(l->e[i]));
		STR_MUST_FIT(str_copy(l->e[i].name, sizeof(l->e[i].name), base));
		l->n++;
	}
	l->e[i].bytes += (uint64_t)sb->st_size;
	if ((int64_t)sb->st_mtime > l->e[i].mtime)
		l->e[i].mtime = (int64_t)sb->st_mtime;
}

/* retention_collect - the entries of dirfd */
static void
retention_collect(int dirfd, struct retention_list *l)
{
	DIR *dir;
	struct dirent *de;
	size_t suffix = strlen(SPOOL_STATE_SUFFIX);

	if ((dir = spool_opendir(dirfd)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		char base[256];
		size_t len = strlen(de->d_name);
		struct stat sb;

		if (de->d_name[0] == '.' || len >= sizeof(base) ||
		    fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		memcpy(base, de->d_name, len + 1);
		if (len > suffix && strcmp(base + len - suffix, SPOOL_STATE_SUFFIX) == 0)
			base[len - suffix] = '\0';
		retention_add(l, base, &sb);
	}
	closedir(dir);
}

/* retention_remove - remove entry e of dirfd, saying why */
static void
retention_remove(int dirfd, const char *what, const struct retention_entry *e,
    const char *why)
{
	char state[300];

	STR_MUST_FIT(str_format(state, sizeof(state), "%s%s", e->name, SPOOL_STATE_SUFFIX));
	if (unlinkat(dirfd, e->name, 0) < 0 && errno != ENOENT) {
		log_syswarn("%s: cannot remove it from the %s", e->name, what);
		return;
	}
	(void)unlinkat(dirfd, state, 0);
	log_warn("%s: removed from the %s (%llu bytes): %s", e->name, what,
	    (unsigned long long)e->bytes, why);
}

static int
retention_older_first(const void *a, const void *b)
{
	const struct retention_entry *x = a, *y = b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* retention_dir - apply the lifetime and the size cap to one directory */
static void
retention_dir(int dirfd, const char *what, int64_t lifetime, uint64_t cap)
{
	struct retention_list l = { NULL, 0, 0 };
	uint64_t total = 0;
	int64_t now = worker_now();
	size_t i, removed = 0;

	if (dirfd < 0)
		return;
	retention_collect(dirfd, &l);
	if (l.n > 1)
		qsort(l.e, l.n, sizeof(*l.e), retention_older_first);
	for (i = 0; i < l.n; i++)
		total += l.e[i].bytes;
	for (i = 0; i < l.n; i++) {
		if (now - l.e[i].mtime >= lifetime)
			retention_remove(dirfd, what, &l.e[i], "kept for "
			    "dead_letter_lifetime");
		else if (cap > 0 && total > cap)
			retention_remove(dirfd, what, &l.e[i], "over "
			    "dead_letter_max_size, the oldest go first");
		else
			continue;
		total -= l.e[i].bytes;
		removed++;
	}
	if (removed > 0)
		spool_fsync_dir(dirfd);
	free(l.e);
}

void
retention_sweep(struct worker *w)
{
	struct wconf *wc = worker_conf_get(w);
	int64_t lifetime = (int64_t)(wc->conf->queue.dead_letter_lifetime_ms / 1000);
	uint64_t cap = wc->conf->queue.dead_letter_max_size;

	worker_conf_put(w, wc);
	retention_dir(w->quarantine_fd, "quarantine", lifetime, cap);
	retention_dir(w->deadletter_fd, "dead letters", lifetime, cap);
}
