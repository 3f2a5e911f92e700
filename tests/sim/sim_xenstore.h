/*
 * The simulated xenstored: the xenstore wire protocol on a unix socket
 * (xs_wire.h), with watches, transactions and the special
 * @introduceDomain / @releaseDomain watches, over a sim_store.
 */
#ifndef SIM_XENSTORE_H
#define SIM_XENSTORE_H

#include <poll.h>
#include <stdint.h>

#include "sim_store.h"

struct sim_xs;

struct sim_xs *sim_xs_new(struct sim_store *store, const char *socket_path, int verbose);
void sim_xs_free(struct sim_xs *xs);

/* poll integration: fills up to max entries, returns how many */
int sim_xs_pollfds(struct sim_xs *xs, struct pollfd *fds, int max);
void sim_xs_handle(struct sim_xs *xs, const struct pollfd *fds, int n);

/* fires @introduceDomain or @releaseDomain to every watcher */
void sim_xs_fire_special(struct sim_xs *xs, const char *special);

/* a frozen xenstored accepts connections and reads nothing: it hangs */
void sim_xs_set_frozen(struct sim_xs *xs, int frozen);
void sim_xs_set_delay_ms(struct sim_xs *xs, unsigned ms);

struct sim_xs_stats {
	uint64_t requests;
	unsigned connections, watches;
};
void sim_xs_stats(struct sim_xs *xs, struct sim_xs_stats *out);
void sim_xs_reset_stats(struct sim_xs *xs);

#endif
