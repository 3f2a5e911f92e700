/* The backend's allocation wrappers: abort on out-of-memory (see xen_alloc.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "core/xen_alloc.h"

void xen_alloc_failed(size_t size)
{
	fprintf(stderr, "xen: out of memory allocating %zu bytes; aborting\n", size);
	abort();
}

void *xen_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		xen_alloc_failed(SIZE_MAX);
	p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		xen_alloc_failed(n * size);
	return p;
}

void xen_alloc_release(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

void *xen_alloc(size_t size)
{
	return xen_calloc(1, size);
}

void *xen_realloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q)
		xen_alloc_failed(size);
	return q;
}

void *xen_reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		xen_alloc_failed(SIZE_MAX);
	return xen_realloc(p, n * size);
}

char *xen_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = xen_realloc(NULL, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *xen_strdup(const char *s)
{
	return xen_strndup(s, SIZE_MAX);
}

void xen_grow(void *items, size_t *cap, size_t need, size_t elem_size)
{
	void **array = items;
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			xen_alloc_failed(SIZE_MAX);
		n *= 2;
	}
	*array = xen_reallocarray(*array, n, elem_size);
	*cap = n;
}
