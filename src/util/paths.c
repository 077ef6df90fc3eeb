/*
 * paths.c - compiled-in locations and the test-only environment overrides.
 *
 * The override is honoured only when all three hold: the kernel did not
 * flag the exec as secure (AT_SECURE), real and effective uid agree, and
 * real and effective gid agree. This mirrors what a set-id program must do
 * with every variable that names a file.
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>
#ifdef HAVE_SYS_AUXV_H
#include <sys/auxv.h>
#endif

#include "paths.h"

bool
paths_is_setid(void)
{
#if defined(HAVE_GETAUXVAL) && defined(AT_SECURE)
	if (getauxval(AT_SECURE) != 0)
		return true;
#endif
	return getuid() != geteuid() || getgid() != getegid();
}

/* paths_override - the variable's value if trusted and set, else fallback */
static const char *
paths_override(const char *variable, const char *fallback)
{
	const char *value;

	if (paths_is_setid())
		return fallback;
	value = getenv(variable);
	return value && *value ? value : fallback;
}

const char *
paths_config_file(void)
{
	return paths_override("POSTERN_CONFIG", POSTERN_CONFIG_FILE);
}

const char *
paths_spool_dir(void)
{
	return paths_override("POSTERN_SPOOL_DIR", POSTERN_SPOOL_DIR);
}

const char *
paths_drop_program(void)
{
	return paths_override("POSTERN_DROP", POSTERN_DROP_PROGRAM);
}

const char *
paths_worker_program(void)
{
	return paths_override("POSTERN_WORKER", POSTERN_WORKER_PROGRAM);
}
