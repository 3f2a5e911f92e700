/*
 * The simulator's control channel: a unix socket that takes one command
 * per connection (arguments separated by NULs, ended by the client's
 * shutdown) and answers with one line starting "ok" or "error".
 */
#ifndef SIM_CONTROL_H
#define SIM_CONTROL_H

#include <stddef.h>

/*
 * A non-blocking unix stream socket listening on path (replacing what is
 * there): the fd, or -1 with errno.  xenstore, xend and control use it.
 */
int sim_listen_unix(const char *path);

int ctl_listen(const char *path);

/* Accepts one command; returns its connection, or -1. */
int ctl_receive(int listen_fd, int *argc, char ***argv);
void ctl_reply(int conn_fd, const char *text);
/* A reply as it is, no newline added: for binary replies. */
void ctl_reply_bytes(int conn_fd, const void *data, size_t len);
void ctl_free_argv(char **argv);

/* Client side: sends argv, prints the answer; returns 0 when it is "ok". */
int ctl_client(const char *path, int argc, char **argv);

#endif
