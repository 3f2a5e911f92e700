/*
 * Pipelined requests to xenstored: many in flight on one connection.
 *
 * libxenstore sends one request and waits for its reply before the
 * next, which makes reading a large host a round trip per node: at
 * 10,000 domains some 260,000 of them, where the two processes spend
 * their time waking each other (11 s, docs/architecture.md).  The wire
 * protocol (xs_wire.h) carries a req_id in each message, and xenstored
 * answers each connection's requests in order, so a window of them can
 * be written at once and their replies read as they come.
 *
 * Only reads: XS_READ, XS_DIRECTORY and XS_GET_DOMAIN_PATH, outside
 * any transaction.  A directory too large for one reply (E2BIG) is
 * reported as such; the caller lists it another way.
 *
 * Threads: one instance is used by one thread at a time.  A request
 * blocks that thread as libxenstore's do: a hung xenstored holds it.
 */
#ifndef XENSTORE_PIPE_H
#define XENSTORE_PIPE_H

#include <stdbool.h>
#include <stdint.h>

struct xs_pipe;

/*
 * A reply: err 0 with the payload, NUL-terminated in place (len without
 * the NUL; valid during the call only), or a node's errno value
 * (ENOENT, EACCES, E2BIG...) with no payload.  A lost connection calls
 * no more replies; xs_pipe_run returns its errno.
 */
typedef void xs_pipe_reply_fn(void *ctx, uint32_t tag, int err,
			      char *payload, unsigned len);

/*
 * Connects to xenstored's socket or, with device set, opens the xenbus
 * device.  The device takes one message per write and is given one
 * request at a time.  NULL with errno set on failure (ENOTSOCK: the path
 * is there but no socket).
 */
struct xs_pipe *xs_pipe_open(const char *path, bool device);
void xs_pipe_close(struct xs_pipe *p);

/*
 * Queues a request of type (XS_READ, XS_DIRECTORY, XS_GET_DOMAIN_PATH)
 * for arg; fn(ctx, tag, ...) is called with its reply during
 * xs_pipe_run.  Returns -1 (EINVAL) when arg is too long for a message.
 */
int xs_pipe_queue(struct xs_pipe *p, uint32_t type, const char *arg,
		  xs_pipe_reply_fn *fn, void *ctx, uint32_t tag);

/*
 * Sends what is queued and reads replies until none is outstanding,
 * calling each one's fn (which may queue more).  Returns 0, or the
 * errno that lost the connection (then every queued request is dropped
 * uncalled and the instance is only good for closing).
 */
int xs_pipe_run(struct xs_pipe *p);

/* Requests sent so far. */
uint64_t xs_pipe_requests(const struct xs_pipe *p);

#endif
