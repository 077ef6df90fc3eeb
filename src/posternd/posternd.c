/*
 * posternd.c - the delivery worker: picks up queued mail, forwards it to
 * the configured smarthosts, retries with backoff and bounces what cannot
 * be delivered. It never loses a message: an entry leaves the queue only
 * after every recipient is delivered or bounced.
 *
 * Usage: posternd [--once] [--flush] [--stderr] [--debug] | --version
 *   (default)  run in the foreground until SIGTERM, as systemd expects;
 *   --once     pick up new mail, make one pass over the due entries,
 *              and exit (for hosts that run it from a timer or cron);
 *   --flush    treat every deferred entry as due now (sendmail -q);
 *   --stderr   log to stderr whatever postern.conf says;
 *   --debug    log debugging detail.
 *
 * Started as root, it switches to the owner of the spool's queue
 * directory (the postern user) before it touches anything. One instance
 * per spool: a second one exits 75 (a second --once asks the running
 * worker to flush instead, and exits 0).
 *
 * Signals: SIGTERM/SIGINT stop taking work and exit within
 * POSTERND_STOP_GRACE seconds; a transaction still in flight then is
 * abandoned, and its recipients, not recorded as sent, are tried again
 * later. SIGHUP reloads postern.conf; queued mail uses the new settings.
 * Requests from the FIFO public/flush: 'F' flush, 'R' rescan the queue
 * (after an admin change), 'L' publish the listing for mailq; anything
 * else ('P') is ignored. Except with --once, it also takes submissions
 * from sendmail on the socket public/submit (submission.h).
 * Exit: 0, 64 usage, 71 OS error, 75 spool busy or missing, 78 config.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "listing.h"
#include "clock_ms.h"
#include "log.h"
#include "paths.h"
#include "pickup.h"
#include "quota.h"
#include "queue_sync.h"
#include "retention.h"
#include "relay.h"
#include "queue_load.h"
#include "schedule.h"
#include "spool_owner.h"
#include "strutil.h"
#include "submission.h"
#include "worker.h"
#include "xalloc.h"

#define POSTERND_STOP_GRACE	10	/* seconds */
#define POSTERND_MAX_THREADS	64

static atomic_uint posternd_running;	/* delivery threads still running */

/*
 * posternd_check_tls_files - load each smarthost's CA, client certificate
 * and key now, so that a file the worker cannot read is an error naming
 * it at start or reload, not a deferral of every message
 */
static bool
posternd_check_tls_files(const struct conf *conf)
{
	char err[2048];
	bool ok = true;

	for (size_t i = 0; i < conf->nsmarthosts; i++) {
		const struct conf_smarthost *h = &conf->smarthosts[i];
		struct smtp_params p;

		if (h->nports == 0 || (h->tls.level == CONF_TLS_NONE && !h->tls.client_cert))
			continue;
		relay_params(conf, h, &h->ports[0], &p);
		if (!smtp_check_tls_files(&p, err, sizeof(err))) {
			log_error("%s: smarthost \"%s\": %s", paths_config_file(),
			    h->host, err);
			ok = false;
		}
	}
	return ok;
}

/*
 * posternd_load_conf - a new configuration with its aliases, or NULL. A
 * reload (generation > 1) also loads the TLS files; the first load runs
 * before the switch to the spool's owner, so main() does that after it.
 */
static struct wconf *
posternd_load_conf(unsigned generation)
{
	struct strbuf problems = STRBUF_INIT;
	struct wconf *wc = xcalloc(1, sizeof(*wc));

	if (conf_load(paths_config_file(), &wc->conf) != CONF_OK ||
	    (generation > 1 && !posternd_check_tls_files(wc->conf))) {
		conf_free(wc->conf);
		free(wc);
		return NULL;
	}
	if (aliases_load(&wc->aliases, wc->conf, NULL, &problems) > 0)
		log_warn("aliases: %s", strbuf_cstr(&problems));
	strbuf_free(&problems);
	wc->generation = generation;
	wc->refs = 1;
	return wc;
}

/* posternd_reload - SIGHUP: swap in a new configuration if it loads */
static void
posternd_reload(struct worker *w)
{
	struct wconf *wc = posternd_load_conf(w->wconf->generation + 1);

	if (!wc) {
		log_error("reload of %s failed; keeping the previous configuration",
		    paths_config_file());
		return;
	}
	worker_conf_replace(w, wc);
	quota_publish_limits(w);
	log_info("reloaded %s", paths_config_file());
}

/* posternd_drop_privileges - as root, become the owner of queue/ */
static void
posternd_drop_privileges(const char *spool)
{
	const char *why;
	int rc = spool_become_owner(spool, &why);

	if (rc != 0)
		log_fatal(rc == ENOENT ? EX_TEMPFAIL : EX_OSERR, "%s/%s: %s: %s",
		    spool, SPOOL_QUEUE, why, strerror(rc));
}

/* posternd_open_dir - open a spool directory or exit 75 */
static int
posternd_open_dir(int at, const char *name, const char *spool)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		log_sysfatal(EX_TEMPFAIL, "cannot open %s/%s", spool, name);
	return fd;
}

/* posternd_lock - one worker per spool; returns the lock fd or -1 if held */
static int
posternd_lock(struct worker *w, long *holder)
{
	char buf[32];
	int fd = openat(w->queue_fd, SPOOL_LOCK, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	ssize_t n;

	if (fd < 0)
		log_sysfatal(EX_TEMPFAIL, "cannot open the lock file");
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		*holder = strtol(buf, NULL, 10);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_syswarn("cannot write the lock file");
	return fd;
}

/* posternd_poke - write one request byte to a running worker's FIFO */
static bool
posternd_poke(int public_fd, char request)
{
	int fd = openat(public_fd, SPOOL_FLUSH_FIFO, O_WRONLY | O_NONBLOCK |
	    O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, &request, 1) == 1;
	close(fd);
	return ok;
}

/* posternd_open_fifo - create and open public/flush for reading */
static int
posternd_open_fifo(struct worker *w)
{
	int fd;

	if (w->public_fd < 0)
		return -1;
	if (mkfifoat(w->public_fd, SPOOL_FLUSH_FIFO, 0622) < 0 && errno != EEXIST) {
		log_syswarn("cannot create the flush FIFO");
		return -1;
	}
	/* O_RDWR keeps a writer open, so the FIFO never reports EOF */
	fd = openat(w->public_fd, SPOOL_FLUSH_FIFO, O_RDWR | O_NONBLOCK |
	    O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_syswarn("cannot open the flush FIFO");
		return -1;
	}
	if (fchmod(fd, 0622) < 0)
		log_syswarn("cannot set the mode of the flush FIFO");
	return fd;
}

/* posternd_publish_listing - write public/listing for mailq */
static void
posternd_publish_listing(struct worker *w)
{
	struct strbuf out = STRBUF_INIT;
	int rc;

	if (w->public_fd < 0)
		return;
	listing_build(w->queue_fd, w->incoming_fd, &out);
	rc = spool_write_file(w->public_fd, SPOOL_LISTING, out.data, out.len,
	    0644, SPOOL_VIEW);
	if (rc != 0)
		log_warn("cannot publish the queue listing: %s", strerror(rc));
	strbuf_free(&out);
}

/* posternd_clean_results - remove -odi results nobody collected */
static void
posternd_clean_results(struct worker *w)
{
	int fd;
	DIR *dir;
	struct dirent *de;
	struct stat sb;

	if (w->public_fd < 0 || (fd = dup(w->public_fd)) < 0)
		return;
	if (!(dir = fdopendir(fd))) {
		close(fd);
		return;
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL)
		if (str_has_prefix(de->d_name, SPOOL_RESULT_PREFIX) &&
		    fstatat(w->public_fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    worker_now() - sb.st_mtime > SPOOL_RESULT_KEEP)
			unlinkat(w->public_fd, de->d_name, 0);
	closedir(dir);
}

/* posternd_fifo - act on the requests waiting in the FIFO */
static void
posternd_fifo(struct worker *w, int fd)
{
	char buf[256];
	bool flush = false, rescan = false, list = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			flush |= buf[i] == SPOOL_REQ_FLUSH;
			rescan |= buf[i] == SPOOL_REQ_RESCAN;
			list |= buf[i] == SPOOL_REQ_LIST;
		}
	if (rescan || flush)
		queue_load(w);
	if (flush) {
		pickup_scan(w);
		schedule_flush(w->sched);
		log_info("flush requested: trying every queued message now");
	}
	if (list)
		posternd_publish_listing(w);
}

static void *
posternd_thread_main(void *arg)
{
	deliver_thread(arg);
	atomic_fetch_sub(&posternd_running, 1);
	return NULL;
}

/* posternd_signals - block the signals the main loop reads via signalfd */
static int
posternd_signals(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		log_sysfatal(EX_OSERR, "cannot set up signal handling");
	return fd;
}

/* posternd_handle_signals - true when asked to stop */
static bool
posternd_handle_signals(struct worker *w, int sfd)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			posternd_reload(w);
		else
			stop = true;
	}
	return stop;
}

/*
 * posternd_watch_incoming - an inotify descriptor watching incoming/, or -1
 *
 * It must exist before the first scan of incoming/: a message queued
 * between that scan and the watch would otherwise wait for the rescan
 * timer.
 */
static int
posternd_watch_incoming(struct worker *w)
{
	int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	char path[64];

	STR_MUST_FIT(str_format(path, sizeof(path), "/proc/self/fd/%d", w->incoming_fd));
	if (ifd < 0 || inotify_add_watch(ifd, path,
	    IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		log_syswarn("inotify unavailable; relying on the rescan timer");
		if (ifd >= 0)
			close(ifd);
		return -1;
	}
	return ifd;
}

/* posternd_loop - the daemon's event loop; returns when asked to stop */
static void
posternd_loop(struct worker *w, int sfd, int ifd, int lfd)
{
	int ffd = posternd_open_fifo(w);
	struct timespec last, now;
	uint64_t published_ms = 0;

	clock_gettime(CLOCK_MONOTONIC, &last);
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = ifd, .events = POLLIN },
			{ .fd = ffd, .events = POLLIN },
			{ .fd = lfd, .events = POLLIN },
		};
		struct wconf *wc = worker_conf_get(w);
		uint64_t interval = wc->conf->queue.rescan_interval_ms;

		if (w->pickup_retry_ms > 0 && w->pickup_retry_ms < interval)
			interval = w->pickup_retry_ms;	/* a copy failed: soon */
		int64_t waited;
		char ev[4096];

		worker_conf_put(w, wc);
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - last.tv_sec) * 1000 +
		    (now.tv_nsec - last.tv_nsec) / 1000000;
		if (waited < 0 || (uint64_t)waited >= interval) {
			pickup_scan(w);
			posternd_clean_results(w);
			retention_sweep(w);
			last = now;
			waited = 0;
		}
		/* removals and views for other programs: once a second */
		if (clock_ms_now() - published_ms >= 1000) {
			queue_sync_flush(w);
			worker_status_publish(w);
			quota_publish_usage(w);
			published_ms = clock_ms_now();
		}
		if (poll(p, 4, (int)(interval - (uint64_t)waited > 1000 ? 1000 :
		    interval - (uint64_t)waited)) < 0 && errno != EINTR)
			log_sysfatal(EX_OSERR, "poll");
		if ((p[0].revents & POLLIN) && posternd_handle_signals(w, sfd))
			break;
		if (p[1].revents & POLLIN) {
			while (read(ifd, ev, sizeof(ev)) > 0)
				;
			pickup_scan(w);
		}
		if (p[2].revents & POLLIN)
			posternd_fifo(w, ffd);
		if (p[3].revents & POLLIN)
			submission_accept(w, lfd);
	}
	if (ifd >= 0)
		close(ifd);
	if (ffd >= 0)
		close(ffd);
}

/* posternd_wait_threads - bounded wait for the delivery threads */
static bool
posternd_wait_threads(int sfd, bool once, struct worker *w)
{
	struct timespec start, now;
	bool stopping = !once;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (atomic_load(&posternd_running) > 0) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };

		poll(&p, 1, 100);
		if ((p.revents & POLLIN) && posternd_handle_signals(w, sfd) &&
		    !stopping) {
			stopping = true;
			atomic_store(&w->stopping, true);
			schedule_stop(w->sched);
			clock_gettime(CLOCK_MONOTONIC, &start);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (stopping && now.tv_sec - start.tv_sec >= POSTERND_STOP_GRACE)
			return false;
	}
	return true;
}

static _Noreturn void
posternd_usage(int status)
{
	fputs("usage: posternd [--once] [--flush] [--stderr] [--debug] | --version\n",
	    status ? stderr : stdout);
	exit(status);
}

/* posternd_open_spool - the spool's directories, as the spool's owner */
static void
posternd_open_spool(struct worker *w, const char *spool)
{
	umask(077);
	w->spool_fd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->spool_fd < 0)
		log_sysfatal(EX_TEMPFAIL, "cannot open the spool %s", spool);
	w->incoming_fd = posternd_open_dir(w->spool_fd, SPOOL_INCOMING, spool);
	w->queue_fd = posternd_open_dir(w->spool_fd, SPOOL_QUEUE, spool);
	if (mkdirat(w->queue_fd, SPOOL_QUARANTINE, 0700) < 0 && errno != EEXIST)
		log_sysfatal(EX_TEMPFAIL, "cannot create %s/%s/%s", spool,
		    SPOOL_QUEUE, SPOOL_QUARANTINE);
	w->quarantine_fd = posternd_open_dir(w->queue_fd, SPOOL_QUARANTINE, spool);
	if (mkdirat(w->queue_fd, SPOOL_DEAD_LETTER, 0700) < 0 && errno != EEXIST)
		log_sysfatal(EX_TEMPFAIL, "cannot create %s/%s/%s", spool,
		    SPOOL_QUEUE, SPOOL_DEAD_LETTER);
	w->deadletter_fd = posternd_open_dir(w->queue_fd, SPOOL_DEAD_LETTER, spool);
	w->public_fd = openat(w->spool_fd, SPOOL_PUBLIC, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (w->public_fd < 0)
		log_syswarn("%s/%s: sendmail -q and mailq cannot reach the worker",
		    spool, SPOOL_PUBLIC);
}

/*
 * posternd_start_threads - queue.concurrency delivery threads, and more
 * up to queue.backlog_concurrency that work only on a backlog; how many
 */
static unsigned
posternd_start_threads(struct worker *w, pthread_t *threads,
    struct deliver_role *roles, const char *spool)
{
	unsigned n = w->wconf->conf->queue.concurrency;
	unsigned all = w->wconf->conf->queue.backlog_concurrency;

	if (n == 0)
		n = 1;
	if (n > POSTERND_MAX_THREADS)
		n = POSTERND_MAX_THREADS;
	if (all < n)
		all = n;
	if (all > POSTERND_MAX_THREADS)
		all = POSTERND_MAX_THREADS;
	log_info("started on %s with %u delivery thread%s (%u while a backlog is "
	    "due)%s", spool, n, n == 1 ? "" : "s", all,
	    w->once ? " (one pass)" : "");
	for (unsigned i = 0; i < all; i++) {
		roles[i] = (struct deliver_role){ w, i >= n };
		atomic_fetch_add(&posternd_running, 1);
		if ((errno = pthread_create(&threads[i], NULL, posternd_thread_main,
		    &roles[i])) != 0)
			log_sysfatal(EX_OSERR, "cannot start a delivery thread");
	}
	return all;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "flush", no_argument, NULL, 'f' },
		{ "stderr", no_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct worker w;
	pthread_t threads[POSTERND_MAX_THREADS];
	struct deliver_role roles[POSTERND_MAX_THREADS];
	bool flush = false, to_stderr = false, debug = false, clean;
	const char *spool;
	unsigned nthreads;
	long holder = 0;
	int c, sfd, lock_fd, ifd = -1, lfd = -1;

	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.status.lock, NULL);
	w.status.started = worker_now();
	w.status.dirty = true;
	while ((c = getopt_long(argc, argv, "ofsdh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': w.once = true; break;
		case 'f': flush = true; break;
		case 's': to_stderr = true; break;
		case 'd': debug = true; break;
		case 'h': posternd_usage(0);
		case 'V': printf("posternd %s\n", PACKAGE_VERSION); return EX_OK;
		default: posternd_usage(EX_USAGE);
		}
	}
	if (optind != argc)
		posternd_usage(EX_USAGE);
	log_init("posternd", LOG_TO_STDERR);
	pthread_mutex_init(&w.conf_lock, NULL);
	queue_sync_init(&w);
	if (!(w.wconf = posternd_load_conf(1)))
		return EX_CONFIG;
	if (to_stderr || w.wconf->conf->log.target == CONF_LOG_STDERR)
		log_init("posternd", LOG_TO_STDERR_TIMED);
	else
		log_init("posternd", LOG_TO_SYSLOG);
	log_set_debug(debug || w.wconf->conf->log.debug);

	spool = paths_spool_dir();
	posternd_drop_privileges(spool);
	if (!posternd_check_tls_files(w.wconf->conf)) {
		worker_conf_put(&w, w.wconf);
		return EX_CONFIG;
	}
	posternd_open_spool(&w, spool);

	if ((lock_fd = posternd_lock(&w, &holder)) < 0) {
		if (w.once && w.public_fd >= 0 && posternd_poke(w.public_fd,
		    flush ? SPOOL_REQ_FLUSH : SPOOL_REQ_RESCAN)) {
			log_info("posternd already runs (pid %ld); asked it to %s",
			    holder, flush ? "flush the queue" : "rescan the queue");
			return EX_OK;
		}
		log_fatal(EX_TEMPFAIL, "another posternd (pid %ld) is running on %s",
		    holder, spool);
	}
	sfd = posternd_signals();
	w.sched = schedule_new(w.once);
	w.port_cache = port_cache_open(w.queue_fd);
	queue_load(&w);
	retention_sweep(&w);
	quota_publish_limits(&w);
	if (!w.once) {
		ifd = posternd_watch_incoming(&w);
		lfd = submission_listen(&w);
	}
	pickup_scan(&w);
	if (flush)
		schedule_flush(w.sched);
	nthreads = posternd_start_threads(&w, threads, roles, spool);
	if (!w.once) {
		posternd_loop(&w, sfd, ifd, lfd);
		atomic_store(&w.stopping, true);
		schedule_stop(w.sched);
		if (!submission_stop(&w, lfd, POSTERND_STOP_GRACE * 1000))
			log_warn("stopping while clients of the submit socket are "
			    "still being served");
	}
	clean = posternd_wait_threads(sfd, w.once, &w);
	if (!clean) {
		log_warn("stopping with deliveries in flight; their recipients "
		    "will be tried again");
		_exit(EX_OK);
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	queue_sync_flush(&w);
	w.status.dirty = true;
	worker_status_publish(&w);
	quota_publish_usage(&w);
	log_info("stopped");
	schedule_free(w.sched);
	port_cache_free(w.port_cache);
	worker_conf_put(&w, w.wconf);
	close(lock_fd);
	return EX_OK;
}
