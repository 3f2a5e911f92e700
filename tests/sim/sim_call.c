/* One request to the simulated host's control socket: see sim_call.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim_call.h"

char *sim_call(int argc, const char *const *argv)
{
	return sim_call_len(argc, argv, NULL);
}

char *sim_call_len(int argc, const char *const *argv, size_t *len_out)
{
	const char *path = getenv("XENSIM_CONTROL");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 65536;
	char *buf;
	int fd, i;

	if (!path || strlen(path) >= sizeof(sun.sun_path))
		return NULL;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return NULL;
	}
	for (i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;

		if (write(fd, argv[i], l) != (ssize_t)l) {
			close(fd);
			return NULL;
		}
	}
	shutdown(fd, SHUT_WR);
	buf = malloc(cap);
	while (buf) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}
