/*
 * Pipelined requests to xenstored (see xenstore_pipe.h for why).
 *
 * The queue is one array: [head, head + inflight) are sent and wait for
 * their replies, [head + inflight, tail) wait to be sent, their messages
 * laid end to end in out.  Replies are matched by req_id, so an
 * xenstored that answered out of order would still be understood.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#include "core/xen_alloc.h"
#include "drivers/xenstore_pipe.h"

/*
 * Requests in flight on a socket.  A read-only first reading of 10,000
 * simulated domains took 12.2 s one at a time, 1.1 to 1.4 s with 16 in
 * flight, 0.6 to 0.7 s with 64 and 0.48 s with 256.  oxenstored stops
 * reading a connection with 1,024 replies unread (quota-maxoutstanding,
 * since 4.17), which only slows it: xs_pipe_run reads while it writes.
 */
#define PIPE_WINDOW 256

/* Queue and unsent bytes kept between runs, at most */
#define KEPT_BYTES (64u << 10)

struct pending {
	xs_pipe_reply_fn *fn;
	void *ctx;
	uint32_t tag;
	uint32_t req_id;
	uint32_t type;
	unsigned msg_len;	/* bytes of its message in out, while unsent */
	bool done;		/* replied (out of order: not yet popped) */
};

struct xs_pipe {
	int fd;
	bool device;
	unsigned window;
	int lost;		/* the errno that lost the connection, or 0 */
	struct pending *q;
	size_t head, tail, cap, inflight;
	char *out;		/* unsent bytes: [out_off, out_len) */
	size_t out_off, out_len, out_cap;
	size_t out_part;	/* bytes of the first unsent message sent */
	char *in;		/* bytes read, not yet a whole message */
	size_t in_len, in_cap;
	uint32_t next_id;
	uint64_t requests;
};

struct xs_pipe *xs_pipe_open(const char *path, bool device)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct xs_pipe *p;
	struct stat st;
	int fd, err;

	if (device) {
		fd = open(path, O_RDWR | O_CLOEXEC);
	} else {
		if (stat(path, &st) < 0)
			return NULL;
		if (!S_ISSOCK(st.st_mode) || strlen(path) >= sizeof(sun.sun_path)) {
			errno = S_ISSOCK(st.st_mode) ? ENAMETOOLONG : ENOTSOCK;
			return NULL;
		}
		strcpy(sun.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		/* connected first: a full backlog is waited for, not refused */
		if (fd >= 0 && (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
				fcntl(fd, F_SETFL, O_NONBLOCK) < 0)) {
			err = errno;
			close(fd);
			errno = err;
			fd = -1;
		}
	}
	if (fd < 0)
		return NULL;
	p = xen_alloc(sizeof(*p));
	p->fd = fd;
	p->device = device;
	p->window = device ? 1 : PIPE_WINDOW;
	/* two whole messages and the NUL a payload is given in place */
	p->in_cap = 2 * (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX) + 1;
	p->in = xen_alloc(p->in_cap);
	return p;
}

void xs_pipe_close(struct xs_pipe *p)
{
	if (!p)
		return;
	close(p->fd);
	free(p->q);
	free(p->out);
	free(p->in);
	free(p);
}

uint64_t xs_pipe_requests(const struct xs_pipe *p)
{
	return p->requests;
}

int xs_pipe_queue(struct xs_pipe *p, uint32_t type, const char *arg,
		  xs_pipe_reply_fn *fn, void *ctx, uint32_t tag)
{
	struct xsd_sockmsg msg = { .type = type };
	size_t len = strlen(arg) + 1;
	struct pending *e;

	if (len > (size_t)XENSTORE_PAYLOAD_MAX) {
		errno = EINVAL;
		return -1;
	}
	xen_grow(&p->q, &p->cap, p->tail + 1, sizeof(*p->q));
	xen_grow(&p->out, &p->out_cap, p->out_len + sizeof(msg) + len, 1);
	msg.req_id = p->next_id++;
	msg.len = (uint32_t)len;
	memcpy(p->out + p->out_len, &msg, sizeof(msg));
	memcpy(p->out + p->out_len + sizeof(msg), arg, len);
	p->out_len += sizeof(msg) + len;
	e = &p->q[p->tail++];
	*e = (struct pending){ .fn = fn, .ctx = ctx, .tag = tag,
			       .req_id = msg.req_id, .type = type,
			       .msg_len = (unsigned)(sizeof(msg) + len) };
	return 0;
}

/*
 * Moves the queue and the unsent bytes to the front once the part
 * already done is the larger half, so that each is moved a bounded
 * number of times; never during a reply.
 */
static void compact(struct xs_pipe *p)
{
	if (p->head && p->head >= p->tail - p->head) {
		memmove(p->q, p->q + p->head, (p->tail - p->head) * sizeof(*p->q));
		p->tail -= p->head;
		p->head = 0;
	}
	if (p->out_off && p->out_off >= p->out_len - p->out_off) {
		memmove(p->out, p->out + p->out_off, p->out_len - p->out_off);
		p->out_len -= p->out_off;
		p->out_off = 0;
	}
}

/*
 * Whether a read or write moved bytes; when not, either the socket is
 * not ready (try later) or the connection is lost (p->lost set).
 */
static bool moved(struct xs_pipe *p, ssize_t n)
{
	if (n > 0)
		return true;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return false;
	p->lost = n < 0 ? errno : EPIPE;
	return false;
}

/*
 * Writes what the window lets out, as far as the socket takes it now; a
 * message written in part is finished by a later call.
 */
static void send_some(struct xs_pipe *p)
{
	size_t first = p->head + p->inflight, k = 0, bytes = 0;
	ssize_t n;

	while (p->inflight + k < p->window && first + k < p->tail)
		bytes += p->q[first + k++].msg_len;
	if (bytes == 0)
		return;
	bytes -= p->out_part;
	do
		n = p->device ? write(p->fd, p->out + p->out_off, bytes)
			      : send(p->fd, p->out + p->out_off, bytes, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (!moved(p, n))
		return;
	p->out_off += (size_t)n;
	n += (ssize_t)p->out_part;
	while (n > 0 && n >= (ssize_t)p->q[first].msg_len) {
		n -= p->q[first++].msg_len;
		p->inflight++;
		p->requests++;
	}
	p->out_part = (size_t)n;
}

/* xenstored's error string as an errno value, as libxenstore maps it. */
static int error_value(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (strcmp(s, xsd_errors[i].errstring) == 0)
			return xsd_errors[i].errnum;
	return EINVAL;
}

/* Calls the request's fn for one reply; false when it answers nothing sent. */
static bool dispatch(struct xs_pipe *p, const struct xsd_sockmsg *msg, char *payload)
{
	size_t i, end = p->head + p->inflight;
	struct pending e;
	char saved;
	int err = 0;

	for (i = p->head; i < end; i++)
		if (!p->q[i].done && p->q[i].req_id == msg->req_id)
			break;
	if (i == end || (msg->type != (uint32_t)XS_ERROR && msg->type != p->q[i].type))
		return false;
	p->q[i].done = true;
	e = p->q[i];
	/* the byte after the payload is the next message's or spare */
	saved = payload[msg->len];
	payload[msg->len] = '\0';
	if (msg->type == (uint32_t)XS_ERROR)
		err = error_value(payload);
	/* fn may queue (and grow p->q): e is a copy */
	e.fn(e.ctx, e.tag, err, err ? NULL : payload, err ? 0 : msg->len);
	payload[msg->len] = saved;
	while (p->inflight && p->q[p->head].done) {
		p->head++;
		p->inflight--;
	}
	return true;
}

static void read_some(struct xs_pipe *p)
{
	size_t off = 0;
	ssize_t n;

	do
		n = read(p->fd, p->in + p->in_len, p->in_cap - p->in_len - 1);
	while (n < 0 && errno == EINTR);
	if (!moved(p, n))
		return;
	p->in_len += (size_t)n;
	while (p->in_len - off >= sizeof(struct xsd_sockmsg)) {
		struct xsd_sockmsg msg;

		memcpy(&msg, p->in + off, sizeof(msg));
		if (msg.len > (uint32_t)XENSTORE_PAYLOAD_MAX) {
			p->lost = EBADMSG;
			return;
		}
		if (p->in_len - off - sizeof(msg) < msg.len)
			break;
		/* no watch is set on this connection; an event is ignored */
		if (msg.type != (uint32_t)XS_WATCH_EVENT &&
		    !dispatch(p, &msg, p->in + off + sizeof(msg))) {
			p->lost = EBADMSG;
			return;
		}
		off += sizeof(msg) + msg.len;
	}
	memmove(p->in, p->in + off, p->in_len - off);
	p->in_len -= off;
}

/*
 * Both directions at once: a socket that will not take more requests
 * until xenstored's replies are read is never waited on alone, whatever
 * the size of what is queued.
 */
int xs_pipe_run(struct xs_pipe *p)
{
	while (!p->lost && p->head < p->tail) {
		struct pollfd pfd = { .fd = p->fd };

		compact(p);
		send_some(p);
		if (p->lost)
			break;
		if (p->inflight)
			pfd.events |= POLLIN;
		if (p->inflight < p->window && p->head + p->inflight < p->tail)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, -1) < 0) {
			if (errno != EINTR)
				p->lost = errno;
			continue;
		}
		if (pfd.revents & POLLNVAL) {
			p->lost = EBADF;
			break;
		}
		/* replies sent before a hang-up are read before its error */
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			read_some(p);
		if (!p->lost && (pfd.revents & POLLERR) && !(pfd.revents & POLLIN))
			p->lost = EPIPE;
	}
	/* done, or lost: then what was queued is dropped uncalled */
	p->head = p->tail = p->inflight = 0;
	p->out_off = p->out_len = p->out_part = 0;
	if (p->lost)
		p->in_len = 0;
	/* a whole reading's queue (hundreds of KiB) is not kept for the
	 * few requests of the re-reads that follow */
	if (p->cap * sizeof(*p->q) + p->out_cap > KEPT_BYTES) {
		free(p->q);
		free(p->out);
		p->q = NULL;
		p->out = NULL;
		p->cap = p->out_cap = 0;
	}
	return p->lost;
}
