/*
 * paths.h - compiled-in file locations, with overrides for tests.
 *
 * Each location comes from configure (sysconfdir, the spool directory,
 * pkglibexecdir). A test suite may point a program elsewhere through an
 * environment variable, but only when the process is not set-id: a set-id
 * or set-gid program, or one started with AT_SECURE, always uses the
 * compiled-in paths, so an unprivileged user cannot aim the privileged
 * spool writer at a directory of their choosing.
 *
 *   POSTERN_CONFIG     configuration file
 *   POSTERN_SPOOL_DIR  queue directory
 *   POSTERN_DROP       spool writer program
 *   POSTERN_WORKER     posternd program
 */
#ifndef POSTERN_PATHS_H
#define POSTERN_PATHS_H

#include <stdbool.h>

/* paths_is_setid - true if this process must not trust its environment */
bool paths_is_setid(void);
const char *paths_config_file(void);
const char *paths_spool_dir(void);
const char *paths_drop_program(void);
const char *paths_worker_program(void);

#endif
