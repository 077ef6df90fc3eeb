/*
 * aliases.h - local-name aliases for a relay: "root: ops@example.com".
 *
 * Aliases come from alias sections in postern.conf and from an aliases
 * file in /etc/aliases format ("name: target, target", continuation lines
 * start with white space, '#' starts a comment line). The configuration
 * wins over the file for the same name. A relay delivers nothing locally,
 * so pipe ("|cmd"), file ("/path") and ":include:" targets are reported as
 * problems and ignored.
 *
 * Expansion applies to local names: unqualified addresses, and addresses
 * whose domain is this host's name or "localhost". It recurses (an alias
 * may name other aliases), stops at loops, keeps a name that lists itself,
 * de-duplicates, and qualifies what is left with the configured domain.
 */
#ifndef POSTERN_ALIASES_H
#define POSTERN_ALIASES_H

#include <stddef.h>

#include "conf.h"
#include "strbuf.h"

struct aliases_entry {
	char *name;		/* lower case */
	char **targets;
	size_t ntargets;
};

struct aliases {
	struct aliases_entry *entries;
	size_t count;
};

/* A list of addresses produced by expansion; owns its strings. */
struct aliases_result {
	char **items;
	size_t count;
};

/*
 * aliases_load - load conf's aliases and the aliases file (path, or
 * conf->aliases_file when path is NULL; a missing file is not a problem).
 * Each problem is appended to problems as one "FILE:LINE: ..." line.
 * Returns the number of problems; what could be loaded is loaded.
 */
int aliases_load(struct aliases *out, const struct conf *conf, const char *path,
    struct strbuf *problems);
void aliases_free(struct aliases *aliases);

/* aliases_expand - append the expansion of one address spec to result */
void aliases_expand(const struct aliases *aliases, const struct conf *conf,
    const char *spec, struct aliases_result *result);
void aliases_result_free(struct aliases_result *result);

#endif
