/*
 * One request to the simulated host's control socket (XENSIM_CONTROL), for
 * the preloaded stand-ins of libxenctrl and libxenlight: the words of argv
 * go out NUL-terminated, the reply comes back whole.
 */
#ifndef SIM_CALL_H
#define SIM_CALL_H

#include <stddef.h>

/* the simulator's reply (malloc'd, NUL-terminated) or NULL: no socket,
 * no connection, or out of memory */
__attribute__((visibility("hidden")))
char *sim_call(int argc, const char *const *argv);
/* The same, and the reply's length in *len (binary replies). */
__attribute__((visibility("hidden")))
char *sim_call_len(int argc, const char *const *argv, size_t *len);

#endif
