/*
 * The simulator's control channel: a unix socket that takes one command
 * per connection (arguments separated by NULs, ended by the client's
 * shutdown) and answers with one line starting "ok" or "error".
 */
#ifndef SIM_CONTROL_H
#define SIM_CONTROL_H

int ctl_listen(const char *path);

/* Accepts one command; returns its connection, or -1. */
int ctl_receive(int listen_fd, int *argc, char ***argv);
void ctl_reply(int conn_fd, const char *text);
void ctl_free_argv(char **argv);

/* Client side: sends argv, prints the answer; returns 0 when it is "ok". */
int ctl_client(const char *path, int argc, char **argv);

#endif
