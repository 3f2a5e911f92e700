/*
 * The simulated xenstore's tree: nodes addressed by absolute path, each
 * with a value and children, found through a hash of full paths so that
 * hosts of 10,000 domains (some 400,000 nodes) stay fast.
 */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include <stddef.h>
#include <stdint.h>

struct sim_node {
	char *path;                 /* absolute, "/" for the root */
	const char *name;           /* last component, inside path */
	char *value;
	size_t len;
	uint64_t gen;               /* store generation of the last change */
	struct sim_node *parent;
	struct sim_node **kids;
	size_t nkids, kids_cap, index_in_parent;
	struct sim_node *hash_next;
};

/* Called for every node written or removed, so that watches can fire. */
typedef void (*sim_store_notify_fn)(void *arg, const char *path, int removed);

struct sim_store {
	struct sim_node *root;
	struct sim_node **buckets;
	size_t nbuckets, nnodes;
	uint64_t gen;
	sim_store_notify_fn notify;
	void *notify_arg;
};

struct sim_store *store_new(void);
void store_free(struct sim_store *s);

/* 1 when the path is one xenstored would accept */
int store_path_valid(const char *path);

struct sim_node *store_lookup(struct sim_store *s, const char *path);
/* Each returns 0 or a positive errno. */
int store_write(struct sim_store *s, const char *path, const void *value, size_t len);
int store_mkdir(struct sim_store *s, const char *path);
int store_rm(struct sim_store *s, const char *path);

/* store_lookup of a printf-formatted path; NULL also when it is too long */
struct sim_node *store_lookupf(struct sim_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
