/* Queued log lines, handed over between threads. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/xen_alloc.h"
#include "core/xen_log.h"

/* A bound so a flapping source cannot eat memory between two drains. */
#define XEN_LOG_MAX_QUEUED 256

struct xen_log_line {
	struct xen_log_line *next;
	int level;
	char text[];
};

void xen_log_queue_init(struct xen_log_queue *q)
{
	pthread_mutex_init(&q->lock, NULL);
	q->head = q->tail = NULL;
	q->queued = q->dropped = 0;
}

void xen_log_queue_destroy(struct xen_log_queue *q)
{
	struct xen_log_line *l, *next;

	for (l = q->head; l; l = next) {
		next = l->next;
		free(l);
	}
	q->head = q->tail = NULL;
	pthread_mutex_destroy(&q->lock);
}

/*
 * Values from Xen (a xend version string, a domain name) end up in log
 * lines: a newline or escape in one must not forge a line or drive a
 * terminal, so every control character becomes '?'.
 */
static void sanitize(char *text)
{
	unsigned char *p;

	for (p = (unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void xen_log(struct xen_log_queue *q, int level, const char *fmt, ...)
{
	struct xen_log_line *l;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(l = xen_alloc(sizeof(*l) + (size_t)n + 1)))
		return;
	va_start(ap, fmt);
	if (vsnprintf(l->text, (size_t)n + 1, fmt, ap) != n) {
		va_end(ap);
		free(l);
		return;
	}
	va_end(ap);
	sanitize(l->text);
	l->level = level;
	l->next = NULL;

	pthread_mutex_lock(&q->lock);
	if (q->queued >= XEN_LOG_MAX_QUEUED) {
		q->dropped++;
		free(l);
	} else {
		if (q->tail)
			q->tail->next = l;
		else
			q->head = l;
		q->tail = l;
		q->queued++;
	}
	pthread_mutex_unlock(&q->lock);
}

unsigned xen_log_drain(struct xen_log_queue *q, xen_log_sink sink,
		       void *opaque)
{
	struct xen_log_line *l, *next;
	unsigned n = 0, dropped;

	pthread_mutex_lock(&q->lock);
	l = q->head;
	dropped = q->dropped;
	q->head = q->tail = NULL;
	q->queued = q->dropped = 0;
	pthread_mutex_unlock(&q->lock);

	for (; l; l = next) {
		next = l->next;
		sink(l->level, l->text, opaque);
		free(l);
		n++;
	}
	if (dropped) {
		char msg[96];

		snprintf(msg, sizeof(msg), "xen: %u log lines dropped", dropped);
		sink(XEN_LOG_WARNING, msg, opaque);
	}
	return n;
}
