/*
 * submit.c - hand a record to the running worker's socket, or else run
 * the spool writer and feed it the record.
 *
 * The writer is started with posix_spawn (no shell) and an environment of
 * its own: only the test overrides are passed, and the writer ignores
 * those whenever it runs set-gid. SIGPIPE is ignored while submitting so
 * that a writer or worker that rejects the input early shows up as its
 * answer or exit status, not as our death.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "paths.h"
#include "strutil.h"
#include "submit.h"
#include "submit_socket.h"

/* submit_read_id - read the writer's one-line answer */
static void
submit_read_id(int fd, char *qid, size_t qidsize)
{
	size_t used = 0;
	ssize_t n;

	qid[0] = '\0';
	while (used + 1 < qidsize &&
	    ((n = read(fd, qid + used, qidsize - 1 - used)) > 0 ||
	    (n < 0 && errno == EINTR)))
		if (n > 0)
			used += (size_t)n;
	qid[used] = '\0';
	qid[strcspn(qid, "\n")] = '\0';
}

/* submit_env - the writer's environment: test overrides only */
static void
submit_env(char **env, size_t max, char storage[][4200])
{
	static const char *const pass[] = { "POSTERN_SPOOL_DIR" };
	size_t k = 0;

	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]) && k + 1 < max; i++) {
		const char *v = getenv(pass[i]);

		if (v && str_format(storage[k], sizeof(storage[k]), "%s=%s", pass[i], v))
			env[k] = storage[k], k++;
	}
	env[k] = NULL;
}

/* submit_writer - run postern-drop with the record on its stdin */
static int
submit_writer(const struct strbuf *record, char *qid, size_t qidsize)
{
	const char *prog = paths_drop_program();
	char *argv[] = { (char *)"postern-drop", NULL };
	char *env[4], storage[3][4200];
	int in[2], out[2], status;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	bool wrote;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		log_sysfatal(EX_OSERR, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	submit_env(env, sizeof(env) / sizeof(env[0]), storage);
	errno = posix_spawn(&pid, prog, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (errno != 0) {
		log_syswarn("cannot run the spool writer %s", prog);
		close(in[1]);
		close(out[0]);
		return EX_TEMPFAIL;
	}
	wrote = fd_write_all(in[1], record->data, record->len);
	close(in[1]);
	submit_read_id(out[0], qid, qidsize);
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_TEMPFAIL;
	if (WIFSIGNALED(status)) {
		log_warn("spool writer killed by signal %d", WTERMSIG(status));
		return EX_TEMPFAIL;
	}
	if (WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);
	if (!wrote || qid[0] == '\0') {
		log_warn("spool writer gave no queue ID");
		return EX_TEMPFAIL;
	}
	return EX_OK;
}

int
submit_record(const struct strbuf *record, char *qid, size_t qidsize)
{
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
	int status = submit_socket_record(paths_spool_dir(), record, qid, qidsize);

	if (status == SUBMIT_SOCKET_UNAVAILABLE)
		status = submit_writer(record, qid, qidsize);
	signal(SIGPIPE, old_pipe);
	return status;
}
