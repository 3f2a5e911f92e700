/*
 * The simulated xend: its SXP-over-HTTP server (Xen 3.x - 4.4) on a unix
 * socket and/or TCP 127.0.0.1:PORT, rendering the model as xend would:
 *
 *   GET /xend/node/                         (node ...)
 *   GET /xend/domain                        (name name ...)
 *   GET /xend/domain?detail=1               ((domain ...) ...)   running
 *   GET /xend/domain?detail=1&state=halted  ((domain ...) ...)   managed, not running
 *   anything else                           404
 *
 * One request per connection (the reply says "Connection: close"), as
 * xend's clients use it.  Single-threaded and non-blocking: it joins the
 * simulator's poll loop like sim_xenstore.
 */
#ifndef SIM_XEND_H
#define SIM_XEND_H

#include <poll.h>
#include <stdint.h>

#include "sim_model.h"

enum sim_xend_fault {
	SIM_XEND_FAULT_NONE,
	SIM_XEND_FAULT_SLOW,	/* replies after a delay */
	SIM_XEND_FAULT_GARBAGE,	/* 200 with malformed SXP */
	SIM_XEND_FAULT_HUGE,	/* 200 with a 17 MiB body */
	SIM_XEND_FAULT_DEAD,	/* accepts, then closes at once */
};

struct sim_xend;

/* unix_path may be NULL, tcp_port 0 for none; NULL on failure (printed). */
struct sim_xend *sim_xend_new(struct sim_model *m, const char *unix_path,
			      unsigned tcp_port, int verbose);
void sim_xend_free(struct sim_xend *x);

/* poll integration: fills up to max entries, returns how many */
int sim_xend_pollfds(struct sim_xend *x, struct pollfd *fds, int max);
void sim_xend_handle(struct sim_xend *x, const struct pollfd *fds, int n);
/* ms until a delayed reply is due (for the poll timeout), -1 if none */
int sim_xend_timeout_ms(struct sim_xend *x);

void sim_xend_set_fault(struct sim_xend *x, enum sim_xend_fault mode);
void sim_xend_set_delay_ms(struct sim_xend *x, unsigned ms);	/* for SLOW */
/* "none", "slow", "garbage", "huge", "dead"; -1 if unknown */
int sim_xend_fault_parse(const char *name);

struct sim_xend_stats {
	uint64_t requests;
	unsigned connections;
};
void sim_xend_stats(struct sim_xend *x, struct sim_xend_stats *out);
void sim_xend_reset_stats(struct sim_xend *x);

#endif
