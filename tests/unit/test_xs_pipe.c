/*
 * Unit tests: the pipelined xenstore connection against a scripted
 * xenstored on a socket (a thread of this test): replies in and out of
 * order, errors, a reply to nothing asked, an oversized header, a closed
 * connection, requests queued from a reply, and more in flight than the
 * socket holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#include "drivers/xenstore_pipe.h"

enum script {
	ECHO,		/* XS_READ: the path with "v:" before it; XS_DIRECTORY: "a\0b\0" */
	REVERSE3,	/* reads three requests, answers them last first */
	ERRORS,		/* XS_ERROR: "ENOENT" for /missing, "EWHAT" for the rest */
	STRAY,		/* answers a req_id never sent */
	OVERSIZED,	/* a header whose payload is over XENSTORE_PAYLOAD_MAX */
	HANG_UP,	/* answers one request, then closes */
	BIG,		/* ECHO with 4,000-byte values */
};

struct server {
	char path[108];
	int listen_fd;
	enum script script;
	unsigned requests;	/* read by the server */
	pthread_t thread;
};

static bool read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/* The client may have gone (it drops a connection it no longer trusts):
 * no SIGPIPE, and nothing to check. */
static void put(int fd, const void *buf, size_t len)
{
	if (send(fd, buf, len, MSG_NOSIGNAL) < 0)
		return;
}

static void reply(int fd, uint32_t type, uint32_t req_id, const void *payload, uint32_t len)
{
	struct xsd_sockmsg msg = { .type = type, .req_id = req_id, .len = len };

	put(fd, &msg, sizeof(msg));
	if (len)
		put(fd, payload, len);
}

static bool next_request(int fd, struct xsd_sockmsg *msg, char *payload)
{
	if (!read_full(fd, msg, sizeof(*msg)) || msg->len > XENSTORE_PAYLOAD_MAX ||
	    !read_full(fd, payload, msg->len))
		return false;
	payload[msg->len] = '\0';
	return true;
}

static void echo(int fd, const struct xsd_sockmsg *msg, const char *payload, size_t pad)
{
	static char value[XENSTORE_PAYLOAD_MAX];
	int len;

	if (msg->type == XS_DIRECTORY) {
		reply(fd, msg->type, msg->req_id, "a\0b", 4);
		return;
	}
	len = snprintf(value, sizeof(value), "v:%s", payload);
	if (pad) {
		memset(value + len, 'x', pad - (size_t)len);
		len = (int)pad;
	}
	reply(fd, msg->type, msg->req_id, value, (uint32_t)len);
}

static void *serve(void *arg)
{
	struct server *s = arg;
	static char payload[XENSTORE_PAYLOAD_MAX + 1];
	struct xsd_sockmsg msg, held[3];
	int fd = accept(s->listen_fd, NULL, NULL);
	unsigned i;

	assert_true(fd >= 0);
	while (next_request(fd, &msg, payload)) {
		s->requests++;
		switch (s->script) {
		case ECHO:
		case BIG:
			echo(fd, &msg, payload, s->script == BIG ? 4000 : 0);
			break;
		case REVERSE3:
			held[s->requests - 1] = msg;
			if (s->requests == 3)
				for (i = 3; i-- > 0;)
					reply(fd, XS_READ, held[i].req_id, "x", 1);
			break;
		case ERRORS:
			if (strcmp(payload, "/missing") == 0)
				reply(fd, XS_ERROR, msg.req_id, "ENOENT", 7);
			else
				reply(fd, XS_ERROR, msg.req_id, "EWHAT", 6);
			break;
		case STRAY:
			reply(fd, XS_READ, msg.req_id + 1000, "x", 1);
			break;
		case OVERSIZED:
			msg.len = XENSTORE_PAYLOAD_MAX + 1;
			put(fd, &msg, sizeof(msg));
			break;
		case HANG_UP:
			echo(fd, &msg, payload, 0);
			close(fd);
			return NULL;
		}
	}
	close(fd);
	return NULL;
}

static struct xs_pipe *start(struct server *s, enum script script)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct xs_pipe *p;

	s->script = script;
	s->requests = 0;
	snprintf(s->path, sizeof(s->path), "/tmp/test_xs_pipe.%d.sock", (int)getpid());
	unlink(s->path);
	strcpy(sun.sun_path, s->path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(s->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	p = xs_pipe_open(s->path, false);
	assert_non_null(p);
	return p;
}

static void stop(struct server *s, struct xs_pipe *p)
{
	xs_pipe_close(p);
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
	unlink(s->path);
}

/* What the replies said, in the order they came. */
struct heard {
	unsigned n;
	uint32_t tags[6000];
	int errs[6000];
	char first[64], last[64];
	struct xs_pipe *p;	/* for queueing from a reply */
	unsigned followups;
};

static void note(void *ctx, uint32_t tag, int err, char *payload, unsigned len)
{
	struct heard *h = ctx;

	assert_true(h->n < 6000);
	h->tags[h->n] = tag;
	h->errs[h->n] = err;
	if (!err) {
		assert_non_null(payload);
		assert_int_equal(strlen(payload) <= len, 1);	/* NUL-terminated */
		assert_int_equal(payload[len], '\0');
		snprintf(h->n ? h->last : h->first, sizeof(h->first), "%.*s",
			 (int)(len < 63 ? len : 63), payload);
	} else {
		assert_null(payload);
	}
	h->n++;
}

static void test_in_order_many(void **state)
{
	struct server s;
	struct xs_pipe *p = start(&s, ECHO);
	static struct heard h;
	char path[64];
	unsigned i;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/name", i);
		assert_int_equal(xs_pipe_queue(p, XS_READ, path, note, &h, i), 0);
	}
	assert_int_equal(xs_pipe_run(p), 0);
	assert_int_equal(h.n, 1000);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(h.tags[i], i);
		assert_int_equal(h.errs[i], 0);
	}
	assert_string_equal(h.first, "v:/local/domain/0/name");
	assert_string_equal(h.last, "v:/local/domain/999/name");
	assert_int_equal(xs_pipe_requests(p), 1000);
	stop(&s, p);
	assert_int_equal(s.requests, 1000);
}

static void test_out_of_order(void **state)
{
	struct server s;
	struct xs_pipe *p = start(&s, REVERSE3);
	static struct heard h;
	unsigned i;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 3; i++)
		assert_int_equal(xs_pipe_queue(p, XS_READ, "/x", note, &h, 10 + i), 0);
	assert_int_equal(xs_pipe_run(p), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.tags[0], 12);
	assert_int_equal(h.tags[1], 11);
	assert_int_equal(h.tags[2], 10);
	stop(&s, p);
}

static void test_errors(void **state)
{
	struct server s;
	struct xs_pipe *p = start(&s, ERRORS);
	static struct heard h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(xs_pipe_queue(p, XS_READ, "/missing", note, &h, 1), 0);
	assert_int_equal(xs_pipe_queue(p, XS_READ, "/odd", note, &h, 2), 0);
	assert_int_equal(xs_pipe_run(p), 0);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.errs[0], ENOENT);
	assert_int_equal(h.errs[1], EINVAL);	/* an error string xs_wire.h does not know */
	stop(&s, p);
}

/* want: the errno that lost it (HANG_UP: EPIPE or ECONNRESET, as the
 * kernel says of a peer that closed with requests unread) */
static void test_lost(enum script script, int want)
{
	struct server s;
	struct xs_pipe *p = start(&s, script);
	static struct heard h;
	unsigned i;
	int err;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 5; i++)
		assert_int_equal(xs_pipe_queue(p, XS_READ, "/x", note, &h, i), 0);
	err = xs_pipe_run(p);
	if (script == HANG_UP && err == ECONNRESET)
		want = ECONNRESET;
	assert_int_equal(err, want);
	/* HANG_UP answered the first; the rest are dropped uncalled */
	assert_int_equal(h.n, script == HANG_UP ? 1 : 0);
	/* lost for good: a later request fails at once */
	assert_int_equal(xs_pipe_queue(p, XS_READ, "/y", note, &h, 9), 0);
	assert_int_equal(xs_pipe_run(p), want);
	assert_int_equal(h.n, script == HANG_UP ? 1 : 0);
	stop(&s, p);
}

static void test_stray_reply(void **state)
{
	(void)state;
	test_lost(STRAY, EBADMSG);
}

static void test_oversized_reply(void **state)
{
	(void)state;
	test_lost(OVERSIZED, EBADMSG);
}

static void test_hang_up(void **state)
{
	(void)state;
	test_lost(HANG_UP, EPIPE);
}

/* A reply that names more nodes asks for them within the same run. */
static void follow(void *ctx, uint32_t tag, int err, char *payload, unsigned len)
{
	struct heard *h = ctx;
	char path[64];

	note(ctx, tag, err, payload, len);
	if (tag < 100 && h->followups < 50) {
		h->followups++;
		snprintf(path, sizeof(path), "/next/%u", tag);
		assert_int_equal(xs_pipe_queue(h->p, XS_READ, path, follow, h, 100 + tag), 0);
	}
}

static void test_queue_from_reply(void **state)
{
	struct server s;
	struct xs_pipe *p = start(&s, ECHO);
	static struct heard h;
	unsigned i, followed = 0;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.p = p;
	for (i = 0; i < 50; i++)
		assert_int_equal(xs_pipe_queue(p, XS_DIRECTORY, "/dir", follow, &h, i), 0);
	assert_int_equal(xs_pipe_run(p), 0);
	assert_int_equal(h.n, 100);
	for (i = 0; i < h.n; i++)
		followed += h.tags[i] >= 100;
	assert_int_equal(followed, 50);
	stop(&s, p);
}

/*
 * 5,000 requests of 3,000-byte paths, each answered with 4,000 bytes:
 * far more than a socket buffer holds either way, so the pipe must read
 * replies while it still has requests to write.
 */
static void test_more_than_the_socket_holds(void **state)
{
	struct server s;
	struct xs_pipe *p = start(&s, BIG);
	static struct heard h;
	static char path[3001];
	unsigned i;

	(void)state;
	memset(&h, 0, sizeof(h));
	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	for (i = 0; i < 5000; i++)
		assert_int_equal(xs_pipe_queue(p, XS_READ, path, note, &h, i), 0);
	assert_int_equal(xs_pipe_run(p), 0);
	assert_int_equal(h.n, 5000);
	assert_int_equal(h.tags[4999], 4999);
	stop(&s, p);
	assert_int_equal(s.requests, 5000);
}

static void test_too_long(void **state)
{
	struct server s;
	struct xs_pipe *p = start(&s, ECHO);
	static char path[XENSTORE_PAYLOAD_MAX + 2];
	static struct heard h;

	(void)state;
	memset(path, 'p', sizeof(path) - 1);
	assert_int_equal(xs_pipe_queue(p, XS_READ, path, note, &h, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xs_pipe_run(p), 0);
	assert_int_equal(xs_pipe_requests(p), 0);
	stop(&s, p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_many),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_stray_reply),
		cmocka_unit_test(test_oversized_reply),
		cmocka_unit_test(test_hang_up),
		cmocka_unit_test(test_queue_from_reply),
		cmocka_unit_test(test_more_than_the_socket_holds),
		cmocka_unit_test(test_too_long),
	};

	alarm(120);	/* a pipe that waits for ever fails the test, not the run */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
