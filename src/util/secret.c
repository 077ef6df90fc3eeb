/*
 * secret.c - read a password from a file or a command's output, wiping
 * every intermediate buffer. See secret.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "secret.h"
#include "xalloc.h"

#define SECRET_MAX		16384
#define SECRET_COMMAND_MS	30000

extern char **environ;

/* secret_take - keep the first line of buf[0..len) as a new string */
static char *
secret_take(char *buf, size_t len)
{
	char *nl = memchr(buf, '\n', len);
	char *out;

	if (nl)
		len = (size_t)(nl - buf);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	out = xmalloc(len + 1);
	memcpy(out, buf, len);
	out[len] = '\0';
	return out;
}

char *
secret_from_file(const char *path, struct strbuf *err)
{
	char buf[SECRET_MAX];
	size_t len = 0;
	char *out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		strbuf_printf(err, "cannot open password file %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_printf(err, "cannot read password file %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0 || (len += (size_t)n) == sizeof(buf))
			break;
	}
	if (len == 0 || buf[0] == '\n')
		strbuf_printf(err, "password file %s is empty", path);
	else
		out = secret_take(buf, len);
out:
	close(fd);
	explicit_bzero(buf, sizeof(buf));
	return out;
}

/* secret_elapsed_ms - milliseconds since start */
static long
secret_elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000L +
	    (now.tv_nsec - start->tv_nsec) / 1000000L;
}

char *
secret_from_command(const char *command, struct strbuf *err)
{
	char buf[SECRET_MAX];
	char *argv[] = { "/bin/sh", "-c", (char *)command, NULL };
	posix_spawn_file_actions_t fa;
	struct timespec start;
	size_t len = 0;
	char *out = NULL;
	int pipefd[2], status = 0;
	bool timed_out = false, overflow = false;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		strbuf_printf(err, "cannot run command: %s", strerror(errno));
		return NULL;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	errno = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (errno != 0) {
		strbuf_printf(err, "cannot run /bin/sh: %s", strerror(errno));
		close(pipefd[0]);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		long left = SECRET_COMMAND_MS - secret_elapsed_ms(&start);
		ssize_t n;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			break;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(pipefd[0], buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((len += (size_t)n) == sizeof(buf)) {
			overflow = true;
			break;
		}
	}
	close(pipefd[0]);
	if (timed_out || overflow)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		strbuf_printf(err, "command took longer than %d seconds",
		    SECRET_COMMAND_MS / 1000);
	else if (overflow)
		strbuf_printf(err, "command wrote more than %d bytes", SECRET_MAX);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		strbuf_printf(err, "command failed (%s %d)",
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	else if (len == 0 || buf[0] == '\n')
		strbuf_puts(err, "command printed nothing");
	else
		out = secret_take(buf, len);
	explicit_bzero(buf, sizeof(buf));
	return out;
}

void
secret_free(char *secret)
{
	if (secret)
		xfree_secret(secret, strlen(secret));
}
