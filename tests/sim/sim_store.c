#include "sim_store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XS_ABS_PATH_MAX 3072

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		perror("xensimd: out of memory");
		abort();
	}
	return p;
}

static uint64_t hash_path(const char *p)
{
	uint64_t h = 1469598103934665603ULL;

	while (*p)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

static void hash_insert(struct sim_store *s, struct sim_node *n)
{
	size_t b;

	if (s->nnodes + 1 > s->nbuckets) {
		size_t i, nb = s->nbuckets * 2;
		struct sim_node **nbk = xmalloc(nb * sizeof(*nbk));

		for (i = 0; i < s->nbuckets; i++) {
			struct sim_node *m = s->buckets[i], *next;

			for (; m; m = next) {
				next = m->hash_next;
				b = hash_path(m->path) & (nb - 1);
				m->hash_next = nbk[b];
				nbk[b] = m;
			}
		}
		free(s->buckets);
		s->buckets = nbk;
		s->nbuckets = nb;
	}
	b = hash_path(n->path) & (s->nbuckets - 1);
	n->hash_next = s->buckets[b];
	s->buckets[b] = n;
	s->nnodes++;
}

static void hash_remove(struct sim_store *s, struct sim_node *n)
{
	struct sim_node **pp = &s->buckets[hash_path(n->path) & (s->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == n) {
			*pp = n->hash_next;
			s->nnodes--;
			return;
		}
	}
}

struct sim_node *store_lookup(struct sim_store *s, const char *path)
{
	struct sim_node *n = s->buckets[hash_path(path) & (s->nbuckets - 1)];

	for (; n; n = n->hash_next)
		if (strcmp(n->path, path) == 0)
			return n;
	return NULL;
}

int store_path_valid(const char *path)
{
	size_t len = strlen(path);
	const char *p;

	if (len == 0 || len > XS_ABS_PATH_MAX || path[0] != '/')
		return 0;
	if (len > 1 && path[len - 1] == '/')
		return 0;
	for (p = path; *p; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("-/_@", *p))
			return 0;
		if (p[0] == '/' && p[1] == '/')
			return 0;
	}
	return 1;
}

static struct sim_node *node_new(struct sim_store *s, struct sim_node *parent, const char *path)
{
	struct sim_node *n = xmalloc(sizeof(*n));

	n->path = strdup(path);
	if (!n->path)
		abort();
	n->name = strrchr(n->path, '/') + 1;
	n->value = xmalloc(1);
	n->gen = ++s->gen;
	n->parent = parent;
	if (parent) {
		if (parent->nkids == parent->kids_cap) {
			parent->kids_cap = parent->kids_cap ? parent->kids_cap * 2 : 4;
			parent->kids = realloc(parent->kids, parent->kids_cap * sizeof(*parent->kids));
			if (!parent->kids)
				abort();
		}
		n->index_in_parent = parent->nkids;
		parent->kids[parent->nkids++] = n;
		/* the child list lives in the parent: it changed */
		parent->gen = s->gen;
	}
	hash_insert(s, n);
	return n;
}

/* Finds or creates the node and all missing ancestors, silently. */
static struct sim_node *node_get_or_create(struct sim_store *s, const char *path)
{
	struct sim_node *n = store_lookup(s, path), *parent;
	char *ppath, *slash;

	if (n)
		return n;
	ppath = strdup(path);
	if (!ppath)
		abort();
	slash = strrchr(ppath, '/');
	if (slash == ppath)
		slash[1] = '\0';
	else
		*slash = '\0';
	parent = node_get_or_create(s, ppath);
	free(ppath);
	return node_new(s, parent, path);
}

static void node_free_tree(struct sim_store *s, struct sim_node *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		node_free_tree(s, n->kids[i]);
	hash_remove(s, n);
	free(n->kids);
	free(n->value);
	free(n->path);
	free(n);
}

struct sim_store *store_new(void)
{
	struct sim_store *s = xmalloc(sizeof(*s));

	s->nbuckets = 1024;
	s->buckets = xmalloc(s->nbuckets * sizeof(*s->buckets));
	s->root = node_new(s, NULL, "/");
	s->root->name = "";
	return s;
}

void store_free(struct sim_store *s)
{
	if (!s)
		return;
	node_free_tree(s, s->root);
	free(s->buckets);
	free(s);
}

static void notify(struct sim_store *s, const char *path, int removed)
{
	if (s->notify)
		s->notify(s->notify_arg, path, removed);
}

int store_write(struct sim_store *s, const char *path, const void *value, size_t len)
{
	struct sim_node *n;

	if (!store_path_valid(path) || strchr(path, '@'))
		return EINVAL;
	n = node_get_or_create(s, path);
	free(n->value);
	n->value = xmalloc(len + 1);
	memcpy(n->value, value, len);
	n->len = len;
	n->gen = ++s->gen;
	notify(s, path, 0);
	return 0;
}

struct sim_node *store_lookupf(struct sim_store *s, const char *fmt, ...)
{
	char path[XS_ABS_PATH_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	return store_lookup(s, path);
}

int store_mkdir(struct sim_store *s, const char *path)
{
	if (!store_path_valid(path) || strchr(path, '@'))
		return EINVAL;
	if (store_lookup(s, path))
		return 0;
	node_get_or_create(s, path);
	notify(s, path, 0);
	return 0;
}

int store_rm(struct sim_store *s, const char *path)
{
	struct sim_node *n, *parent, *last;
	char *saved;

	if (!store_path_valid(path) || strchr(path, '@'))
		return EINVAL;
	if (strcmp(path, "/") == 0)
		return EINVAL;
	n = store_lookup(s, path);
	if (!n)
		return ENOENT;
	parent = n->parent;
	last = parent->kids[--parent->nkids];
	parent->kids[n->index_in_parent] = last;
	last->index_in_parent = n->index_in_parent;
	parent->gen = ++s->gen;
	saved = strdup(path);	/* path may point into the freed node */
	if (!saved)
		abort();
	node_free_tree(s, n);
	notify(s, saved, 1);
	free(saved);
	return 0;
}
