#include "sim_control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_MAX (1u << 20)

static int unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		fprintf(stderr, "xensimd: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

int sim_listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 64) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int ctl_listen(const char *path)
{
	int fd = sim_listen_unix(path);

	if (fd < 0)
		fprintf(stderr, "xensimd: %s: %s\n", path, strerror(errno));
	return fd;
}

/* reads until EOF, at most CTL_MAX bytes; returns the length or -1 */
static ssize_t read_all(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return -1;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= CTL_MAX)
				break;
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0) {
			*out = buf;
			return (ssize_t)len;
		}
		len += (size_t)n;
	}
	free(buf);
	return -1;
}

int ctl_receive(int listen_fd, int *argc, char ***argv)
{
	struct timeval tv = { .tv_sec = 2 };
	char *buf, **args;
	ssize_t len, i;
	int fd, n = 0, k = 0;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	/* a client that never finishes its command cannot hang the simulator */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	len = read_all(fd, &buf);
	if (len < 0) {
		close(fd);
		return -1;
	}
	for (i = 0; i < len; i++)
		n += buf[i] == '\0';
	args = calloc((size_t)n + 2, sizeof(*args));
	if (!args) {
		free(buf);
		close(fd);
		return -1;
	}
	/* args[0] owns the buffer */
	for (i = 0; i < len && k < n; i += (ssize_t)strlen(buf + i) + 1)
		args[k++] = buf + i;
	if (k == 0)
		free(buf);
	*argc = k;
	*argv = args;
	return fd;
}

void ctl_free_argv(char **argv)
{
	if (argv)
		free(argv[0]);
	free(argv);
}

static void write_all(int fd, const void *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		if (n <= 0)
			break;	/* the client went away: nothing to do */
		off += (size_t)n;
	}
}

void ctl_reply(int fd, const char *text)
{
	write_all(fd, text, strlen(text));
	write_all(fd, "\n", 1);
	close(fd);
}

void ctl_reply_bytes(int fd, const void *data, size_t len)
{
	write_all(fd, data, len);
	close(fd);
}

int ctl_client(const char *path, int argc, char **argv)
{
	struct sockaddr_un sun;
	char *reply;
	ssize_t len;
	int fd, i;

	if (unix_addr(path, &sun))
		return 2;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "xensimd ctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	for (i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;

		if (write(fd, argv[i], l) != (ssize_t)l) {
			fprintf(stderr, "xensimd ctl: write: %s\n", strerror(errno));
			close(fd);
			return 2;
		}
	}
	shutdown(fd, SHUT_WR);
	len = read_all(fd, &reply);
	close(fd);
	if (len < 0) {
		fprintf(stderr, "xensimd ctl: no answer\n");
		return 2;
	}
	fwrite(reply, 1, (size_t)len, stdout);
	i = len >= 2 && strncmp(reply, "ok", 2) == 0 ? 0 : 1;
	free(reply);
	return i;
}
