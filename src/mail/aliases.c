/*
 * aliases.c - load and expand local aliases (see aliases.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "aliases.h"
#include "strutil.h"
#include "xalloc.h"

#define ALIASES_DEPTH_MAX 16

/* aliases_find - the entry for a lower-case name, or NULL */
static const struct aliases_entry *
aliases_find(const struct aliases *aliases, const char *name)
{
	for (size_t i = 0; i < aliases->count; i++)
		if (strcasecmp(aliases->entries[i].name, name) == 0)
			return &aliases->entries[i];
	return NULL;
}

/* aliases_add - add name with targets parsed from text, unless present */
static void
aliases_add(struct aliases *out, const char *name, const char *text,
    const char *where, struct strbuf *problems, int *nproblems)
{
	struct addr_list list = ADDR_LIST_INIT;
	struct strbuf err = STRBUF_INIT;
	struct aliases_entry *e;

	if (aliases_find(out, name))
		return;		/* the configuration, loaded first, wins */
	if (text[strspn(text, " \t")] == '|' || text[strspn(text, " \t")] == '/' ||
	    strstr(text, ":include:")) {
		strbuf_printf(problems, "%s: alias \"%s\": pipe, file and :include: "
		    "targets cannot be delivered by a relay; ignored\n", where, name);
		++*nproblems;
		return;
	}
	if (addr_list_parse(&list, text, strlen(text), &err) != ADDR_OK ||
	    list.count == 0) {
		strbuf_printf(problems, "%s: alias \"%s\": %s\n", where, name,
		    err.len ? strbuf_cstr(&err) : "no targets");
		++*nproblems;
	} else {
		out->entries = xreallocarray(out->entries, out->count + 1, sizeof(*e));
		e = &out->entries[out->count++];
		e->name = xstrdup(name);
		for (char *p = e->name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		e->ntargets = list.count;
		e->targets = xreallocarray(NULL, list.count, sizeof(char *));
		for (size_t i = 0; i < list.count; i++)
			e->targets[i] = xstrdup(list.items[i].spec);
	}
	addr_list_free(&list);
	strbuf_free(&err);
}

/* aliases_file_entry - one logical "name: targets" entry of the file */
static void
aliases_file_entry(struct aliases *out, const char *path, int lineno,
    const struct strbuf *entry, struct strbuf *problems, int *nproblems)
{
	char where[4200];
	const char *text = strbuf_cstr(entry);
	const char *colon = strchr(text, ':');
	char *name;

	STR_TRUNCATION_OK(str_format(where, sizeof(where), "%s:%d", path, lineno));
	if (colon == NULL || colon == text) {
		strbuf_printf(problems, "%s: missing \"name:\"\n", where);
		++*nproblems;
		return;
	}
	name = xstrndup(text, (size_t)(colon - text));
	name[strcspn(name, " \t")] = '\0';
	aliases_add(out, name, colon + 1, where, problems, nproblems);
	free(name);
}

/* aliases_load_file - read an /etc/aliases style file */
static void
aliases_load_file(struct aliases *out, const char *path, struct strbuf *problems,
    int *nproblems)
{
	FILE *fp = fopen(path, "re");
	struct strbuf entry = STRBUF_INIT;
	char line[8192];
	int lineno = 0, entry_line = 0;

	if (fp == NULL) {
		if (errno != ENOENT) {
			strbuf_printf(problems, "%s: cannot open: %s\n", path, strerror(errno));
			++*nproblems;
		}
		return;
	}
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#')
			continue;
		if ((line[0] == ' ' || line[0] == '\t') && entry.len) {
			strbuf_printf(&entry, " %s", line);
			continue;
		}
		if (entry.len)
			aliases_file_entry(out, path, entry_line, &entry, problems, nproblems);
		strbuf_reset(&entry);
		if (line[strspn(line, " \t")] != '\0') {
			strbuf_puts(&entry, line);
			entry_line = lineno;
		}
	}
	if (entry.len)
		aliases_file_entry(out, path, entry_line, &entry, problems, nproblems);
	strbuf_free(&entry);
	fclose(fp);
}

int
aliases_load(struct aliases *out, const struct conf *conf, const char *path,
    struct strbuf *problems)
{
	int nproblems = 0;

	out->entries = NULL;
	out->count = 0;
	for (size_t i = 0; i < conf->naliases; i++) {
		struct strbuf joined = STRBUF_INIT;

		for (size_t j = 0; j < conf->aliases[i].ntargets; j++)
			strbuf_printf(&joined, "%s%s", j ? ", " : "",
			    conf->aliases[i].targets[j]);
		aliases_add(out, conf->aliases[i].name, strbuf_cstr(&joined),
		    conf->path, problems, &nproblems);
		strbuf_free(&joined);
	}
	if (path == NULL)
		path = conf->aliases_file;
	if (path != NULL && path[0] != '\0')
		aliases_load_file(out, path, problems, &nproblems);
	return nproblems;
}

void
aliases_free(struct aliases *aliases)
{
	for (size_t i = 0; i < aliases->count; i++) {
		for (size_t j = 0; j < aliases->entries[i].ntargets; j++)
			free(aliases->entries[i].targets[j]);
		free(aliases->entries[i].targets);
		free(aliases->entries[i].name);
	}
	free(aliases->entries);
	aliases->entries = NULL;
	aliases->count = 0;
}

/* aliases_local_part - the local name if spec is local, else NULL */
static char *
aliases_local_part(const struct conf *conf, const char *spec)
{
	const char *at = strrchr(spec, '@');

	if (spec[0] == '"')
		return NULL;	/* quoted local parts are never alias names */
	if (at == NULL)
		return xstrdup(spec);
	if (strcasecmp(at + 1, conf->hostname) == 0 ||
	    strcasecmp(at + 1, "localhost") == 0)
		return xstrndup(spec, (size_t)(at - spec));
	return NULL;
}

/* aliases_push - append a qualified copy of spec unless already present */
static void
aliases_push(const struct conf *conf, const char *spec,
    struct aliases_result *result)
{
	struct strbuf full = STRBUF_INIT;

	if (strchr(spec, '@'))
		strbuf_puts(&full, spec);
	else
		strbuf_printf(&full, "%s@%s", spec, conf->domain);
	for (size_t i = 0; i < result->count; i++)
		if (strcasecmp(result->items[i], full.data) == 0) {
			strbuf_free(&full);
			return;
		}
	result->items = xreallocarray(result->items, result->count + 1, sizeof(char *));
	result->items[result->count++] = strbuf_export(&full);
}

/* aliases_walk - expand spec, depth levels deep */
static void
aliases_walk(const struct aliases *aliases, const struct conf *conf,
    const char *spec, int depth, struct aliases_result *result)
{
	char *local = aliases_local_part(conf, spec);
	const struct aliases_entry *e = local ? aliases_find(aliases, local) : NULL;

	if (e == NULL || depth >= ALIASES_DEPTH_MAX) {
		aliases_push(conf, local && !strchr(spec, '@') ? local : spec, result);
		free(local);
		return;
	}
	for (size_t i = 0; i < e->ntargets; i++) {
		if (strcasecmp(e->targets[i], local) == 0)
			aliases_push(conf, local, result);	/* "root: root, ..." */
		else
			aliases_walk(aliases, conf, e->targets[i], depth + 1, result);
	}
	free(local);
}

void
aliases_expand(const struct aliases *aliases, const struct conf *conf,
    const char *spec, struct aliases_result *result)
{
	aliases_walk(aliases, conf, spec, 0, result);
}

void
aliases_result_free(struct aliases_result *result)
{
	for (size_t i = 0; i < result->count; i++)
		free(result->items[i]);
	free(result->items);
	result->items = NULL;
	result->count = 0;
}
