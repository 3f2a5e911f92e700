/*
 * Log lines from the backend.  The gathering thread must not call into
 * the SNMP library, so lines are queued here and handed to the caller's
 * sink from the caller's own thread (xen_log_drain).
 */
#ifndef XEN_LOG_H
#define XEN_LOG_H

#include <pthread.h>

/* Levels are syslog's numbers. */
enum xen_log_level {
	XEN_LOG_ERR = 3,
	XEN_LOG_WARNING = 4,
	XEN_LOG_NOTICE = 5,
	XEN_LOG_INFO = 6,
	XEN_LOG_DEBUG = 7,
};

typedef void (*xen_log_sink)(int level, const char *line, void *opaque);

struct xen_log_line;

struct xen_log_queue {
	pthread_mutex_t lock;
	struct xen_log_line *head, *tail;
	unsigned queued, dropped;
};

void xen_log_queue_init(struct xen_log_queue *q);
void xen_log_queue_destroy(struct xen_log_queue *q);
void xen_log(struct xen_log_queue *q, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Hands every queued line to sink, oldest first; returns how many. */
unsigned xen_log_drain(struct xen_log_queue *q, xen_log_sink sink,
		       void *opaque);

#endif
