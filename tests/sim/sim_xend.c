/* The simulated xend's SXP-over-HTTP server (see sim_xend.h). */
#include "sim_xend.h"
#include "sim_control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST (64 * 1024)
#define HUGE_BODY (17u * 1024 * 1024)

struct buf {
	char *data;
	size_t len, cap;
};

struct xconn {
	int fd;
	struct buf in, out;
	size_t out_off;
	int replied;		/* the reply is queued; close once sent */
	int waiting;		/* the reply is held until due */
	int dead;
	struct timespec due;
};

struct sim_xend {
	struct sim_model *m;
	int unix_fd, tcp_fd;
	char *unix_path;
	struct xconn **conns;
	size_t nconns, conns_cap;
	enum sim_xend_fault fault;
	unsigned delay_ms;
	uint64_t requests;
	int verbose;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + more + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
}

static void buf_add(struct buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * A string as xend's sxp.show() writes it: bare when it is made of safe
 * characters (an empty string writes nothing), else Python's repr().
 */
static void put_string(struct buf *b, const char *s, size_t len)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789.-_:/~";
	size_t i;

	for (i = 0; i < len; i++)
		if (!s[i] || !strchr(safe, s[i]))
			break;
	if (i == len) {
		buf_add(b, s, len);
		return;
	}
	buf_add(b, "'", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '\'')
			buf_printf(b, "\\%c", c);
		else if (c == '\n')
			buf_add(b, "\\n", 2);
		else if (c == '\t')
			buf_add(b, "\\t", 2);
		else if (c == '\r')
			buf_add(b, "\\r", 2);
		else if (c < 0x20 || c >= 0x7f)
			buf_printf(b, "\\x%02x", c);
		else
			buf_add(b, &s[i], 1);
	}
	buf_add(b, "'", 1);
}

static void put_kv(struct buf *b, const char *key, const char *s, size_t len)
{
	buf_printf(b, " (%s ", key);
	put_string(b, s, len);
	buf_add(b, ")", 1);
}

static unsigned long long node_u64(struct sim_node *n)
{
	char tmp[32];

	if (!n || n->len == 0 || n->len >= sizeof(tmp))
		return 0;
	memcpy(tmp, n->value, n->len);
	tmp[n->len] = '\0';
	return strtoull(tmp, NULL, 10);
}

static const char *state_flags(const char *state, int *status)
{
	static const struct {
		const char *name, *flags;
		int status;
	} map[] = {
		{ "running", "r-----", 2 }, { "blocked", "-b----", 2 },
		{ "paused", "--p---", 1 }, { "shutdown", "---s--", 4 },
		{ "crashed", "----c-", 5 }, { "dying", "-----d", 4 },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(state, map[i].name) == 0) {
			*status = map[i].status;
			return map[i].flags;
		}
	*status = 2;
	return "------";
}

static void render_domain(struct sim_xend *x, unsigned id, struct buf *b)
{
	struct sim_model *m = x->m;
	const struct sim_domain *d = &m->domains[id];
	struct sim_node *n, *vm = store_lookupf(m->store, "/local/domain/%u/vm", id);
	char vmpath[256] = "";
	const char *flags;
	int status;

	if (vm && vm->len > 0 && vm->len < sizeof(vmpath)) {
		memcpy(vmpath, vm->value, vm->len);
		vmpath[vm->len] = '\0';
	}
	buf_printf(b, "(domain (domid %u)", id);
	n = vmpath[0] ? store_lookupf(m->store, "%s/uuid", vmpath) : NULL;
	if (n)
		put_kv(b, "uuid", n->value, n->len);
	else if (id == 0)
		buf_printf(b, " (uuid 00000000-0000-0000-0000-000000000000)");
	buf_printf(b, " (vcpus %u)", d->vcpus);
	if (d->vcpus_online < 64)
		buf_printf(b, " (vcpu_avail %llu)", (1ULL << d->vcpus_online) - 1);
	buf_printf(b, " (cpu_weight 256) (cpu_cap 0)");
	n = store_lookupf(m->store, "/local/domain/%u/memory/target", id);
	if (n)
		buf_printf(b, " (memory %llu)", node_u64(n) >> 10);
	n = store_lookupf(m->store, "/local/domain/%u/memory/static-max", id);
	if (n)
		buf_printf(b, " (maxmem %llu)", node_u64(n) >> 10);
	n = store_lookupf(m->store, "/local/domain/%u/name", id);
	if (n)
		put_kv(b, "name", n->value, n->len);
	buf_printf(b, " (on_poweroff destroy) (on_reboot restart) (on_crash restart)"
		   " (features ) (pool_name Pool-0)");
	n = vmpath[0] ? store_lookupf(m->store, "%s/image/ostype", vmpath) : NULL;
	if (n) {
		buf_printf(b, " (image (");
		put_string(b, n->value, n->len);
		buf_printf(b, " (kernel '') (args '')))");
	}
	flags = state_flags(d->state, &status);
	buf_printf(b, " (status %d) (state %s)", status, flags);
	if (strcmp(d->state, "crashed") == 0)
		buf_printf(b, " (shutdown_reason crash)");
	buf_printf(b, " (cpu_time %llu.%09llu)",
		   (unsigned long long)(d->cpu_time_ns / 1000000000u),
		   (unsigned long long)(d->cpu_time_ns % 1000000000u));
	buf_printf(b, " (online_vcpus %u)", d->vcpus_online);
	n = vmpath[0] ? store_lookupf(m->store, "%s/start_time", vmpath) : NULL;
	if (n && n->len)
		put_kv(b, "start_time", n->value, n->len);
	buf_printf(b, " (store_mfn %u) (console_mfn %u))\n", 0x1000 + id, 0x2000 + id);
}

static void render_managed(const struct sim_managed *d, struct buf *b)
{
	buf_printf(b, "(domain (uuid %s) (vcpus %u)", d->uuid, d->vcpus);
	if (d->vcpus < 64)
		buf_printf(b, " (vcpu_avail %llu)", (1ULL << d->vcpus) - 1);
	buf_printf(b, " (memory %llu) (maxmem %llu)",
		   (unsigned long long)(d->mem_kib >> 10),
		   (unsigned long long)(d->mem_max_kib >> 10));
	put_kv(b, "name", d->name, strlen(d->name));
	buf_printf(b, " (on_poweroff destroy) (on_reboot restart) (on_crash restart)"
		   " (image (linux (kernel '') (args ''))) (status %d))\n",
		   d->suspended ? 3 : 0);
}

static void render_node(struct sim_xend *x, struct buf *b)
{
	const struct sim_host *h = &x->m->host;
	unsigned major = 0, minor = 0;
	int used = 0;

	if (sscanf(h->xen_version, "%u.%u%n", &major, &minor, &used) < 2)
		used = (int)strlen(h->xen_version);
	buf_printf(b, "(node (system Linux)");
	put_kv(b, "host", h->name, strlen(h->name));
	buf_printf(b, " (release 3.2.0-4-amd64) (version '#1 SMP Debian 3.2.51-1')"
		   " (machine x86_64) (nr_cpus %u) (nr_nodes 1) (cores_per_socket %u)"
		   " (threads_per_core 1) (cpu_mhz %u) (hw_caps bfebfbff:28100800:00000000)"
		   " (virt_caps hvm) (total_memory %llu) (free_memory %llu) (free_cpus 0)"
		   " (xen_major %u) (xen_minor %u)",
		   h->cpus, h->cpus, h->cpu_mhz,
		   (unsigned long long)(h->total_mem_kib >> 10),
		   (unsigned long long)(h->free_mem_kib >> 10), major, minor);
	put_kv(b, "xen_extra", h->xen_version + used, strlen(h->xen_version + used));
	buf_printf(b, " (xen_caps 'xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32"
		   " hvm-3.0-x86_32p hvm-3.0-x86_64') (xen_scheduler credit)"
		   " (xen_pagesize 4096) (platform_params virt_start=0xffff800000000000)"
		   " (xen_changeset unavailable) (cc_compiler 'gcc (Debian 4.7.2-5) 4.7.2')"
		   " (xend_config_format 4))\n");
}

/* the value of key=... in a query string, "" when present without one */
static const char *query_arg(const char *query, const char *key, char *out,
			     size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = query;

	while (p && *p) {
		size_t n = strcspn(p, "&");

		if (strncmp(p, key, klen) == 0 && (p[klen] == '=' || p[klen] == '&' ||
						   p[klen] == '\0')) {
			const char *v = p[klen] == '=' ? p + klen + 1 : p + klen;
			size_t vlen = n - (size_t)(v - p);

			if (vlen >= outlen)
				vlen = outlen - 1;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return out;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return NULL;
}

/* Renders the reply body for GET target; the HTTP status. */
static int route(struct sim_xend *x, char *target, struct buf *body)
{
	char *query = strchr(target, '?'), detail[16], state[32];
	int want_detail, halted;
	size_t i;
	unsigned id;

	if (query)
		*query++ = '\0';
	if (strcmp(target, "/xend/node") == 0 || strcmp(target, "/xend/node/") == 0) {
		render_node(x, body);
		return 200;
	}
	if (strcmp(target, "/xend/domain") != 0 && strcmp(target, "/xend/domain/") != 0)
		return 404;
	want_detail = query_arg(query, "detail", detail, sizeof(detail)) &&
		      strcmp(detail, "0") != 0;
	halted = query_arg(query, "state", state, sizeof(state)) &&
		 strcmp(state, "halted") == 0;
	buf_add(body, "(", 1);
	if (halted) {
		for (i = 0; i < x->m->n_managed; i++) {
			const struct sim_managed *d = &x->m->managed[i];

			if (want_detail) {
				render_managed(d, body);
			} else {
				buf_add(body, i ? " " : "", i ? 1 : 0);
				put_string(body, d->name, strlen(d->name));
			}
		}
	} else {
		int first = 1;

		for (id = 0; id < SIM_MAX_DOMID; id++) {
			struct sim_node *n;

			if (!x->m->domains[id].exists)
				continue;
			if (want_detail) {
				render_domain(x, id, body);
				continue;
			}
			n = store_lookupf(x->m->store, "/local/domain/%u/name", id);
			buf_add(body, first ? "" : " ", first ? 0 : 1);
			if (n)
				put_string(body, n->value, n->len);
			first = 0;
		}
	}
	buf_add(body, ")\n", 2);
	return 200;
}

static void garbage(struct buf *body)
{
	buf_printf(body, "((domain (domid 0) (name Domain-0) (state r-----)\n"
		   " (domain (domid 1) (name 'unterminated\\q)\n");
}

static void huge(struct buf *body)
{
	size_t i;

	buf_reserve(body, HUGE_BODY + 16);
	buf_add(body, "(", 1);
	for (i = 0; i + 20 < HUGE_BODY; i += 20)
		buf_add(body, "(domain (pad xxxx)) ", 20);
	buf_add(body, ")\n", 2);
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 501: return "Not Implemented";
	default: return "Error";
	}
}

static void respond(struct sim_xend *x, struct xconn *c)
{
	char method[16], target[2048];
	struct buf body = { 0 };
	int status = 400;

	x->requests++;
	if (c->in.len && sscanf(c->in.data, "%15s %2047s HTTP/1.%*d", method, target) == 2) {
		if (strcmp(method, "GET") != 0)
			status = 501;
		else if (x->fault == SIM_XEND_FAULT_GARBAGE)
			status = 200, garbage(&body);
		else if (x->fault == SIM_XEND_FAULT_HUGE)
			status = 200, huge(&body);
		else
			status = route(x, target, &body);
	}
	if (status != 200) {
		buf_printf(&body, "(xend.err '%s')\n", reason(status));
	}
	if (x->verbose)
		fprintf(stderr, "xensimd: xend %s -> %d (%zu bytes)\n",
			c->in.len ? c->in.data : "", status, body.len);
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nServer: BaseHTTP/0.3 Python/2.7.3\r\n"
		   "Content-Type: application/sxp\r\nContent-Length: %zu\r\n"
		   "Connection: close\r\n\r\n", status, reason(status), body.len);
	buf_add(&c->out, body.data ? body.data : "", body.len);
	free(body.data);
	c->replied = 1;
	if (x->fault == SIM_XEND_FAULT_SLOW && x->delay_ms) {
		clock_gettime(CLOCK_MONOTONIC, &c->due);
		c->due.tv_sec += x->delay_ms / 1000;
		c->due.tv_nsec += (long)(x->delay_ms % 1000) * 1000000L;
		if (c->due.tv_nsec >= 1000000000L) {
			c->due.tv_sec++;
			c->due.tv_nsec -= 1000000000L;
		}
		c->waiting = 1;
	}
}

/* Reads what is there; 0 while the connection lives, -1 to close it. */
static int conn_read(struct sim_xend *x, struct xconn *c)
{
	for (;;) {
		ssize_t n;

		if (c->replied)
			return 0;	/* a pipelined or body byte: ignored */
		buf_reserve(&c->in, 4096);
		n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1, 0);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0)
			return -1;	/* the client went before a full request */
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
		if (memchr(c->in.data, '\0', c->in.len)) {
			c->in.len = 0;
			respond(x, c);	/* not HTTP: 400 */
		} else if (strstr(c->in.data, "\r\n\r\n")) {
			respond(x, c);
		} else if (c->in.len > MAX_REQUEST) {
			c->in.data[0] = '\0';
			respond(x, c);
		}
	}
}

/* Sends what it can; -1 once everything is sent (or the peer is gone). */
static int conn_write(struct xconn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->out_off += (size_t)n;
	}
	return c->replied ? -1 : 0;
}

static void conn_free(struct xconn *c)
{
	close(c->fd);
	free(c->in.data);
	free(c->out.data);
	free(c);
}

static void accept_conns(struct sim_xend *x, int listen_fd)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct xconn *c;

		if (fd < 0)
			return;
		if (x->fault == SIM_XEND_FAULT_DEAD) {
			close(fd);
			continue;
		}
		c = xrealloc(NULL, sizeof(*c));
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		if (x->nconns == x->conns_cap) {
			x->conns_cap = x->conns_cap ? x->conns_cap * 2 : 8;
			x->conns = xrealloc(x->conns, x->conns_cap * sizeof(*x->conns));
		}
		x->conns[x->nconns++] = c;
	}
}

static int due(const struct xconn *c, const struct timespec *now)
{
	return now->tv_sec > c->due.tv_sec ||
	       (now->tv_sec == c->due.tv_sec && now->tv_nsec >= c->due.tv_nsec);
}

int sim_xend_pollfds(struct sim_xend *x, struct pollfd *fds, int max)
{
	int n = 0;
	size_t i;

	if (x->unix_fd >= 0 && n < max) {
		fds[n].fd = x->unix_fd;
		fds[n++].events = POLLIN;
	}
	if (x->tcp_fd >= 0 && n < max) {
		fds[n].fd = x->tcp_fd;
		fds[n++].events = POLLIN;
	}
	for (i = 0; i < x->nconns && n < max; i++) {
		struct xconn *c = x->conns[i];

		fds[n].fd = c->fd;
		fds[n].events = c->replied ? (c->waiting ? 0 : POLLOUT) : POLLIN;
		n++;
	}
	return n;
}

int sim_xend_timeout_ms(struct sim_xend *x)
{
	struct timespec now;
	long best = -1;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < x->nconns; i++) {
		const struct xconn *c = x->conns[i];
		long ms;

		if (!c->waiting)
			continue;
		ms = (c->due.tv_sec - now.tv_sec) * 1000 +
		     (c->due.tv_nsec - now.tv_nsec) / 1000000;
		if (ms < 0)
			ms = 0;
		if (best < 0 || ms < best)
			best = ms;
	}
	return (int)(best > 100000 ? 100000 : best);
}

void sim_xend_handle(struct sim_xend *x, const struct pollfd *fds, int n)
{
	struct timespec now;
	size_t i;
	int k;

	for (k = 0; k < n; k++) {
		if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (fds[k].fd == x->unix_fd || fds[k].fd == x->tcp_fd) {
			accept_conns(x, fds[k].fd);
			continue;
		}
		for (i = 0; i < x->nconns; i++) {
			struct xconn *c = x->conns[i];

			if (c->fd != fds[k].fd)
				continue;
			if (conn_read(x, c) < 0)
				c->dead = 1;
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < x->nconns;) {
		struct xconn *c = x->conns[i];
		int done = c->dead;

		if (!done && c->waiting && due(c, &now))
			c->waiting = 0;
		if (!done && c->replied && !c->waiting)
			done = conn_write(c) < 0;
		if (done) {
			conn_free(c);
			x->conns[i] = x->conns[--x->nconns];
		} else {
			i++;
		}
	}
}

static int listen_tcp(unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, one = 1;

	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 64) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

struct sim_xend *sim_xend_new(struct sim_model *m, const char *unix_path,
			      unsigned tcp_port, int verbose)
{
	struct sim_xend *x = xrealloc(NULL, sizeof(*x));

	memset(x, 0, sizeof(*x));
	x->m = m;
	x->verbose = verbose;
	x->unix_fd = x->tcp_fd = -1;
	x->delay_ms = 3000;
	if (unix_path) {
		x->unix_fd = sim_listen_unix(unix_path);
		if (x->unix_fd < 0) {
			fprintf(stderr, "xensimd: xend %s: %s\n", unix_path, strerror(errno));
			free(x);
			return NULL;
		}
		x->unix_path = strdup(unix_path);
	}
	if (tcp_port) {
		if (tcp_port > 65535 || (x->tcp_fd = listen_tcp(tcp_port)) < 0) {
			fprintf(stderr, "xensimd: xend 127.0.0.1:%u: %s\n", tcp_port,
				tcp_port > 65535 ? "bad port" : strerror(errno));
			sim_xend_free(x);
			return NULL;
		}
	}
	return x;
}

void sim_xend_free(struct sim_xend *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->nconns; i++)
		conn_free(x->conns[i]);
	free(x->conns);
	if (x->unix_fd >= 0) {
		close(x->unix_fd);
		if (x->unix_path)
			unlink(x->unix_path);
	}
	if (x->tcp_fd >= 0)
		close(x->tcp_fd);
	free(x->unix_path);
	free(x);
}

void sim_xend_set_fault(struct sim_xend *x, enum sim_xend_fault mode)
{
	size_t i;

	x->fault = mode;
	if (mode != SIM_XEND_FAULT_DEAD)
		return;
	/* dead: drop what is open too */
	for (i = 0; i < x->nconns; i++)
		conn_free(x->conns[i]);
	x->nconns = 0;
}

void sim_xend_set_delay_ms(struct sim_xend *x, unsigned ms)
{
	x->delay_ms = ms;
}

int sim_xend_fault_parse(const char *name)
{
	static const char *const names[] = {
		[SIM_XEND_FAULT_NONE] = "none", [SIM_XEND_FAULT_SLOW] = "slow",
		[SIM_XEND_FAULT_GARBAGE] = "garbage", [SIM_XEND_FAULT_HUGE] = "huge",
		[SIM_XEND_FAULT_DEAD] = "dead",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

void sim_xend_stats(struct sim_xend *x, struct sim_xend_stats *out)
{
	out->requests = x->requests;
	out->connections = (unsigned)x->nconns;
}

void sim_xend_reset_stats(struct sim_xend *x)
{
	x->requests = 0;
}
