#include "sim_xenstore.h"
#include "sim_control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#define OUT_LIMIT (64u << 20)	/* a client this far behind is dropped */

struct watch {
	char *path, *token;
};

struct tx_op {
	enum xsd_sockmsg_type type;	/* XS_WRITE, XS_MKDIR or XS_RM */
	char *path, *value;
	size_t len;
};

struct tx_read {
	char *path;
	uint64_t gen;			/* 0: absent when read */
};

struct tx {
	uint32_t id;
	uint64_t start_gen;
	struct tx_op *ops;
	size_t nops;
	struct tx_read *reads;
	size_t nreads;
	struct tx *next;
};

struct conn {
	int fd, dead;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_cap;
	struct watch *watches;
	size_t nwatches;
	struct tx *txs;
};

struct sim_xs {
	struct sim_store *store;
	char *socket_path;
	int listen_fd, verbose, frozen;
	unsigned delay_ms;
	struct conn **conns;
	size_t nconns, conns_cap;
	uint32_t next_tx;
	uint64_t requests;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

/* ---- output ---- */

static void out_append(struct conn *c, const void *data, size_t len)
{
	if (c->dead)
		return;
	if (c->out_len + len > OUT_LIMIT) {
		c->dead = 1;
		return;
	}
	if (c->out_len + len > c->out_cap) {
		c->out_cap = (c->out_len + len) * 2;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
}

static void send_msg(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
		     const void *payload, size_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx_id, .len = (uint32_t)len };

	out_append(c, &h, sizeof(h));
	out_append(c, payload, len);
}

static void send_error(struct conn *c, const struct xsd_sockmsg *req, int err)
{
	const char *name = "EINVAL";
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			name = xsd_errors[i].errstring;
	send_msg(c, XS_ERROR, req->req_id, req->tx_id, name, strlen(name) + 1);
}

static void send_string(struct conn *c, const struct xsd_sockmsg *req, const char *s)
{
	send_msg(c, req->type, req->req_id, req->tx_id, s, strlen(s) + 1);
}

static void send_ok(struct conn *c, const struct xsd_sockmsg *req)
{
	send_string(c, req, "OK");
}

static void send_event(struct conn *c, const char *path, const char *token)
{
	size_t lp = strlen(path) + 1, lt = strlen(token) + 1;
	char *buf = xrealloc(NULL, lp + lt);

	memcpy(buf, path, lp);
	memcpy(buf + lp, token, lt);
	send_msg(c, XS_WATCH_EVENT, 0, 0, buf, lp + lt);
	free(buf);
}

static void flush_out(struct conn *c)
{
	while (c->out_len && !c->dead) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			c->dead = 1;
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
}

/* ---- watches ---- */

/* 1 when child is path or below it, component-wise */
static int is_subpath(const char *parent, const char *child)
{
	size_t lp = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return child[0] == '/';
	return strncmp(parent, child, lp) == 0 && (child[lp] == '\0' || child[lp] == '/');
}

static void store_changed(void *arg, const char *path, int removed)
{
	struct sim_xs *xs = arg;
	size_t i, j;

	for (i = 0; i < xs->nconns; i++) {
		struct conn *c = xs->conns[i];

		for (j = 0; j < c->nwatches; j++) {
			const char *w = c->watches[j].path;

			if (w[0] == '@')
				continue;
			if (is_subpath(w, path))
				send_event(c, path, c->watches[j].token);
			else if (removed && is_subpath(path, w))
				send_event(c, w, c->watches[j].token);
		}
	}
}

void sim_xs_fire_special(struct sim_xs *xs, const char *special)
{
	size_t i, j;

	for (i = 0; i < xs->nconns; i++)
		for (j = 0; j < xs->conns[i]->nwatches; j++)
			if (strcmp(xs->conns[i]->watches[j].path, special) == 0)
				send_event(xs->conns[i], special, xs->conns[i]->watches[j].token);
}

/* ---- transactions ---- */

static struct tx *tx_find(struct conn *c, uint32_t id)
{
	struct tx *t;

	for (t = c->txs; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static void tx_free(struct tx *t)
{
	size_t i;

	for (i = 0; i < t->nops; i++) {
		free(t->ops[i].path);
		free(t->ops[i].value);
	}
	for (i = 0; i < t->nreads; i++)
		free(t->reads[i].path);
	free(t->ops);
	free(t->reads);
	free(t);
}

static void tx_unlink(struct conn *c, struct tx *t)
{
	struct tx **pp;

	for (pp = &c->txs; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			return;
		}
}

static void tx_record_read(struct sim_xs *xs, struct tx *t, const char *path)
{
	struct sim_node *n = store_lookup(xs->store, path);

	t->reads = xrealloc(t->reads, (t->nreads + 1) * sizeof(*t->reads));
	t->reads[t->nreads].path = xstrdup(path);
	t->reads[t->nreads].gen = n ? n->gen : 0;
	t->nreads++;
}

static void tx_add_op(struct tx *t, enum xsd_sockmsg_type type, const char *path,
		      const char *value, size_t len)
{
	struct tx_op *op;

	t->ops = xrealloc(t->ops, (t->nops + 1) * sizeof(*t->ops));
	op = &t->ops[t->nops++];
	op->type = type;
	op->path = xstrdup(path);
	op->value = xrealloc(NULL, len + 1);
	memcpy(op->value, value, len);
	op->len = len;
}

/*
 * What the transaction itself did to path: 1 = wrote it (value set),
 * -1 = removed it (or an ancestor), 0 = nothing, look at the store.
 */
static int tx_overlay(struct sim_xs *xs, struct tx *t, const char *path,
		      const char **value, size_t *len)
{
	size_t i = t->nops;

	while (i-- > 0) {
		struct tx_op *op = &t->ops[i];

		if (op->type == XS_RM && is_subpath(op->path, path))
			return -1;
		if (strcmp(op->path, path) != 0)
			continue;
		if (op->type == XS_WRITE) {
			*value = op->value;
			*len = op->len;
			return 1;
		}
		if (op->type == XS_MKDIR) {
			struct sim_node *n = store_lookup(xs->store, path);

			*value = n ? n->value : "";
			*len = n ? n->len : 0;
			return 1;
		}
	}
	return 0;
}

static int tx_commit(struct sim_xs *xs, struct tx *t)
{
	size_t i;

	for (i = 0; i < t->nreads; i++) {
		struct sim_node *n = store_lookup(xs->store, t->reads[i].path);

		if ((n ? n->gen : 0) != t->reads[i].gen)
			return EAGAIN;
	}
	for (i = 0; i < t->nops; i++) {
		struct sim_node *n = store_lookup(xs->store, t->ops[i].path);

		if (n && n->gen > t->start_gen)
			return EAGAIN;
	}
	for (i = 0; i < t->nops; i++) {
		struct tx_op *op = &t->ops[i];

		if (op->type == XS_WRITE)
			store_write(xs->store, op->path, op->value, op->len);
		else if (op->type == XS_MKDIR)
			store_mkdir(xs->store, op->path);
		else
			store_rm(xs->store, op->path);
	}
	return 0;
}

/* ---- requests ---- */

static const char *type_name(uint32_t type)
{
	static const char *const names[] = {
		"CONTROL", "DIRECTORY", "READ", "GET_PERMS", "WATCH", "UNWATCH",
		"TRANSACTION_START", "TRANSACTION_END", "INTRODUCE", "RELEASE",
		"GET_DOMAIN_PATH", "WRITE", "MKDIR", "RM", "SET_PERMS", "WATCH_EVENT",
		"ERROR", "IS_DOMAIN_INTRODUCED", "RESUME", "SET_TARGET", "RESTRICT",
		"RESET_WATCHES", "DIRECTORY_PART",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

/* splits a payload into NUL-terminated strings; returns how many */
static int split_args(char *payload, size_t len, const char **argv, int max)
{
	size_t i, start = 0;
	int n = 0;

	for (i = 0; i < len && n < max; i++) {
		if (payload[i] == '\0') {
			argv[n++] = payload + start;
			start = i + 1;
		}
	}
	return n;
}

/* relative paths are relative to the connection's home, dom0's */
static const char *canonical(const char *path, char *buf, size_t size)
{
	if (path[0] == '/' || path[0] == '@')
		return path;
	if ((size_t)snprintf(buf, size, "/local/domain/0/%s", path) >= size)
		return "";
	return buf;
}

static size_t children_string(struct sim_node *n, char **out)
{
	size_t i, len = 0, off = 0;
	char *s;

	for (i = 0; i < n->nkids; i++)
		len += strlen(n->kids[i]->name) + 1;
	s = xrealloc(NULL, len + 1);
	for (i = 0; i < n->nkids; i++) {
		size_t l = strlen(n->kids[i]->name) + 1;

		memcpy(s + off, n->kids[i]->name, l);
		off += l;
	}
	*out = s;
	return len;
}

static void do_directory_part(struct conn *c, const struct xsd_sockmsg *req,
			      struct sim_node *n, const char *offset_str)
{
	char gen[32], *kids, *reply, *end;
	size_t kids_len, off, glen, take, room;
	unsigned long o;

	errno = 0;
	o = strtoul(offset_str, &end, 10);
	kids_len = children_string(n, &kids);
	if (errno || *end || o > kids_len) {
		free(kids);
		send_error(c, req, EINVAL);
		return;
	}
	off = o;
	glen = (size_t)snprintf(gen, sizeof(gen), "%llu", (unsigned long long)n->gen) + 1;
	room = XENSTORE_PAYLOAD_MAX - glen - 1;	/* 1: the end marker */
	take = 0;
	while (off + take < kids_len) {
		size_t l = strlen(kids + off + take) + 1;

		if (take + l > room)
			break;
		take += l;
	}
	reply = xrealloc(NULL, glen + take + 1);
	memcpy(reply, gen, glen);
	memcpy(reply + glen, kids + off, take);
	if (off + take == kids_len)
		reply[glen + take++] = '\0';	/* an empty name ends the list */
	send_msg(c, req->type, req->req_id, req->tx_id, reply, glen + take);
	free(reply);
	free(kids);
}

static void handle_request(struct sim_xs *xs, struct conn *c, const struct xsd_sockmsg *req,
			   char *payload)
{
	const char *argv[4] = { "", "", "", "" };
	char pathbuf[4096];
	const char *path;
	struct tx *t = NULL;
	struct sim_node *n;
	int argc, err;

	xs->requests++;
	argc = split_args(payload, req->len, argv, 4);
	path = canonical(argv[0], pathbuf, sizeof(pathbuf));
	if (xs->verbose)
		fprintf(stderr, "xensimd: %s %s (tx %u)\n", type_name(req->type), path, req->tx_id);

	if (req->tx_id && req->type != XS_TRANSACTION_START) {
		t = tx_find(c, req->tx_id);
		if (!t) {
			send_error(c, req, ENOENT);
			return;
		}
	}

	switch (req->type) {
	case XS_READ: {
		const char *value;
		size_t len;
		int o = t ? tx_overlay(xs, t, path, &value, &len) : 0;

		if (argc < 1)
			break;
		if (o == 1) {
			send_msg(c, req->type, req->req_id, req->tx_id, value, len);
			return;
		}
		if (t)
			tx_record_read(xs, t, path);
		n = o == -1 ? NULL : store_lookup(xs->store, path);
		if (!n) {
			send_error(c, req, ENOENT);
			return;
		}
		send_msg(c, req->type, req->req_id, req->tx_id, n->value, n->len);
		return;
	}
	case XS_DIRECTORY:
	case XS_DIRECTORY_PART: {
		char *kids;
		size_t len;

		if (argc < 1 || (req->type == XS_DIRECTORY_PART && argc < 2))
			break;
		if (t)
			tx_record_read(xs, t, path);
		n = store_lookup(xs->store, path);
		if (!n) {
			send_error(c, req, ENOENT);
			return;
		}
		if (req->type == XS_DIRECTORY_PART) {
			do_directory_part(c, req, n, argv[1]);
			return;
		}
		len = children_string(n, &kids);
		if (len > XENSTORE_PAYLOAD_MAX)
			send_error(c, req, E2BIG);
		else
			send_msg(c, req->type, req->req_id, req->tx_id, kids, len);
		free(kids);
		return;
	}
	case XS_WRITE: {
		size_t plen;

		if (argc < 1)
			break;
		plen = strlen(argv[0]) + 1;
		if (!store_path_valid(path)) {
			send_error(c, req, EINVAL);
			return;
		}
		if (t)
			tx_add_op(t, XS_WRITE, path, payload + plen, req->len - plen);
		else if ((err = store_write(xs->store, path, payload + plen, req->len - plen)) != 0) {
			send_error(c, req, err);
			return;
		}
		send_ok(c, req);
		return;
	}
	case XS_MKDIR:
	case XS_RM:
		if (argc < 1)
			break;
		if (!store_path_valid(path) || strcmp(path, "/") == 0) {
			send_error(c, req, EINVAL);
			return;
		}
		if (t) {
			tx_add_op(t, req->type, path, "", 0);
		} else if (req->type == XS_MKDIR) {
			store_mkdir(xs->store, path);
		} else if (store_rm(xs->store, path) == ENOENT) {
			/* as xenstored: removing what is gone is fine if its parent exists */
			char parent[4096], *slash;

			snprintf(parent, sizeof(parent), "%s", path);
			slash = strrchr(parent, '/');
			if (slash == parent)
				slash[1] = '\0';
			else if (slash)
				*slash = '\0';
			if (!store_lookup(xs->store, parent)) {
				send_error(c, req, ENOENT);
				return;
			}
		}
		send_ok(c, req);
		return;
	case XS_GET_PERMS:
		if (argc < 1)
			break;
		if (!store_lookup(xs->store, path)) {
			send_error(c, req, ENOENT);
			return;
		}
		send_string(c, req, "n0");
		return;
	case XS_SET_PERMS:
		if (argc < 1)
			break;
		if (!store_lookup(xs->store, path)) {
			send_error(c, req, ENOENT);
			return;
		}
		send_ok(c, req);
		return;
	case XS_WATCH:
		if (argc < 2)
			break;
		if (path[0] != '@' && !store_path_valid(path)) {
			send_error(c, req, EINVAL);
			return;
		}
		c->watches = xrealloc(c->watches, (c->nwatches + 1) * sizeof(*c->watches));
		c->watches[c->nwatches].path = xstrdup(path);
		c->watches[c->nwatches].token = xstrdup(argv[1]);
		c->nwatches++;
		send_ok(c, req);
		/* every watch fires once when registered */
		send_event(c, path, argv[1]);
		return;
	case XS_UNWATCH: {
		size_t i;

		if (argc < 2)
			break;
		for (i = 0; i < c->nwatches; i++) {
			if (strcmp(c->watches[i].path, path) == 0 &&
			    strcmp(c->watches[i].token, argv[1]) == 0) {
				free(c->watches[i].path);
				free(c->watches[i].token);
				c->watches[i] = c->watches[--c->nwatches];
				send_ok(c, req);
				return;
			}
		}
		send_error(c, req, ENOENT);
		return;
	}
	case XS_RESET_WATCHES:
		while (c->nwatches) {
			c->nwatches--;
			free(c->watches[c->nwatches].path);
			free(c->watches[c->nwatches].token);
		}
		send_ok(c, req);
		return;
	case XS_TRANSACTION_START: {
		char id[16];

		if (req->tx_id) {
			send_error(c, req, EBUSY);
			return;
		}
		t = xrealloc(NULL, sizeof(*t));
		memset(t, 0, sizeof(*t));
		t->id = ++xs->next_tx ? xs->next_tx : ++xs->next_tx;
		t->start_gen = xs->store->gen;
		t->next = c->txs;
		c->txs = t;
		snprintf(id, sizeof(id), "%u", t->id);
		send_string(c, req, id);
		return;
	}
	case XS_TRANSACTION_END:
		if (!t || argc < 1 || (strcmp(argv[0], "T") && strcmp(argv[0], "F"))) {
			send_error(c, req, EINVAL);
			return;
		}
		tx_unlink(c, t);
		err = strcmp(argv[0], "T") == 0 ? tx_commit(xs, t) : 0;
		tx_free(t);
		if (err)
			send_error(c, req, err);
		else
			send_ok(c, req);
		return;
	case XS_GET_DOMAIN_PATH: {
		char home[64];

		if (argc < 1)
			break;
		snprintf(home, sizeof(home), "/local/domain/%s", argv[0]);
		send_string(c, req, home);
		return;
	}
	case XS_IS_DOMAIN_INTRODUCED: {
		char home[64];

		if (argc < 1)
			break;
		snprintf(home, sizeof(home), "/local/domain/%s", argv[0]);
		send_string(c, req, store_lookup(xs->store, home) ? "T" : "F");
		return;
	}
	case XS_INTRODUCE:
		sim_xs_fire_special(xs, "@introduceDomain");
		send_ok(c, req);
		return;
	case XS_RELEASE:
		sim_xs_fire_special(xs, "@releaseDomain");
		send_ok(c, req);
		return;
	case XS_RESUME:
	case XS_SET_TARGET:
		send_ok(c, req);
		return;
	case XS_CONTROL:
		send_error(c, req, ENOSYS);
		return;
	default:
		break;
	}
	send_error(c, req, EINVAL);
}

/* consumes whole messages from the input buffer */
static void process_input(struct sim_xs *xs, struct conn *c)
{
	size_t off = 0;

	while (!c->dead && c->in_len - off >= sizeof(struct xsd_sockmsg)) {
		struct xsd_sockmsg req;
		char *payload;

		memcpy(&req, c->in + off, sizeof(req));
		if (req.len > XENSTORE_PAYLOAD_MAX) {
			/* as xenstored: an oversized message ends the connection */
			c->dead = 1;
			break;
		}
		if (c->in_len - off - sizeof(req) < req.len)
			break;
		payload = xrealloc(NULL, req.len + 1);
		memcpy(payload, c->in + off + sizeof(req), req.len);
		payload[req.len] = '\0';
		off += sizeof(req) + req.len;
		if (xs->delay_ms)
			usleep(xs->delay_ms * 1000);
		handle_request(xs, c, &req, payload);
		free(payload);
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void conn_read(struct sim_xs *xs, struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->in_cap - c->in_len < 65536) {
			c->in_cap = c->in_len + 65536;
			c->in = xrealloc(c->in, c->in_cap);
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->dead = 1;
			return;
		}
		if (n < 0)
			break;
		c->in_len += (size_t)n;
		process_input(xs, c);
		if (c->dead)
			return;
	}
}

static void conn_free(struct conn *c)
{
	size_t i;

	close(c->fd);
	for (i = 0; i < c->nwatches; i++) {
		free(c->watches[i].path);
		free(c->watches[i].token);
	}
	while (c->txs) {
		struct tx *t = c->txs;

		c->txs = t->next;
		tx_free(t);
	}
	free(c->watches);
	free(c->in);
	free(c->out);
	free(c);
}

static void accept_conns(struct sim_xs *xs)
{
	for (;;) {
		int fd = accept4(xs->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return;
		c = xrealloc(NULL, sizeof(*c));
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		if (xs->nconns == xs->conns_cap) {
			xs->conns_cap = xs->conns_cap ? xs->conns_cap * 2 : 8;
			xs->conns = xrealloc(xs->conns, xs->conns_cap * sizeof(*xs->conns));
		}
		xs->conns[xs->nconns++] = c;
		if (xs->verbose)
			fprintf(stderr, "xensimd: new xenstore connection\n");
	}
}

int sim_xs_pollfds(struct sim_xs *xs, struct pollfd *fds, int max)
{
	int n = 0;
	size_t i;

	if (max < 1)
		return 0;
	fds[n].fd = xs->listen_fd;
	fds[n++].events = xs->frozen ? 0 : POLLIN;
	for (i = 0; i < xs->nconns && n < max; i++) {
		struct conn *c = xs->conns[i];

		fds[n].fd = c->fd;
		fds[n].events = 0;
		if (!xs->frozen)
			fds[n].events = POLLIN | (c->out_len ? POLLOUT : 0);
		n++;
	}
	return n;
}

void sim_xs_handle(struct sim_xs *xs, const struct pollfd *fds, int n)
{
	size_t i;
	int k;

	if (xs->frozen)
		return;
	for (k = 1; k < n; k++) {
		for (i = 0; i < xs->nconns; i++) {
			struct conn *c = xs->conns[i];

			if (c->fd != fds[k].fd)
				continue;
			if (fds[k].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(xs, c);
			break;
		}
	}
	/* events queued for any connection go out now */
	for (i = 0; i < xs->nconns;) {
		struct conn *c = xs->conns[i];

		flush_out(c);
		if (c->dead) {
			if (xs->verbose)
				fprintf(stderr, "xensimd: xenstore connection closed\n");
			conn_free(c);
			xs->conns[i] = xs->conns[--xs->nconns];
		} else {
			i++;
		}
	}
	if (n > 0 && (fds[0].revents & POLLIN))
		accept_conns(xs);
}

struct sim_xs *sim_xs_new(struct sim_store *store, const char *socket_path, int verbose)
{
	int fd = sim_listen_unix(socket_path);
	struct sim_xs *xs;

	if (fd < 0) {
		fprintf(stderr, "xensimd: %s: %s\n", socket_path, strerror(errno));
		return NULL;
	}
	xs = xrealloc(NULL, sizeof(*xs));
	memset(xs, 0, sizeof(*xs));
	xs->store = store;
	xs->verbose = verbose;
	xs->socket_path = xstrdup(socket_path);
	xs->listen_fd = fd;
	store->notify = store_changed;
	store->notify_arg = xs;
	return xs;
}

void sim_xs_free(struct sim_xs *xs)
{
	size_t i;

	if (!xs)
		return;
	for (i = 0; i < xs->nconns; i++)
		conn_free(xs->conns[i]);
	free(xs->conns);
	close(xs->listen_fd);
	unlink(xs->socket_path);
	free(xs->socket_path);
	xs->store->notify = NULL;
	free(xs);
}

void sim_xs_set_frozen(struct sim_xs *xs, int frozen)
{
	xs->frozen = frozen;
}

void sim_xs_set_delay_ms(struct sim_xs *xs, unsigned ms)
{
	xs->delay_ms = ms;
}

void sim_xs_stats(struct sim_xs *xs, struct sim_xs_stats *out)
{
	size_t i;

	out->requests = xs->requests;
	out->connections = (unsigned)xs->nconns;
	out->watches = 0;
	for (i = 0; i < xs->nconns; i++)
		out->watches += (unsigned)xs->conns[i]->nwatches;
}

void sim_xs_reset_stats(struct sim_xs *xs)
{
	xs->requests = 0;
}
