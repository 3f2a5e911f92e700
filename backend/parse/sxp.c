/* S-expression parser for xend's replies (see sxp.h). */
#include <stdlib.h>
#include <string.h>

#include "parse/sxp.h"
#include "parse/xen_parse.h"

#define BLOCK_SIZE (64 * 1024)

struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct sxp_doc {
	struct block *blocks;
	struct sxp *root;
};

static void *arena_alloc(struct sxp_doc *doc, size_t n)
{
	struct block *b = doc->blocks;
	size_t align = sizeof(max_align_t);
	char *p;

	n = (n + align - 1) / align * align;
	if (!b || b->size - b->used < n) {
		size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = doc->blocks;
		doc->blocks = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

void sxp_free(struct sxp_doc *doc)
{
	struct block *b, *next;

	if (!doc)
		return;
	for (b = doc->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(doc);
}

const struct sxp *sxp_root(const struct sxp_doc *doc)
{
	return doc ? doc->root : NULL;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* bytes that end a bare atom */
static bool is_delim(unsigned char c)
{
	return is_space(c) || c == '(' || c == ')' || c == '"' || c == '\'' ||
	       c == '\0';
}

struct parser {
	const unsigned char *buf;
	size_t len, pos, nodes;
	struct sxp_limits lim;
	struct sxp_error *err;
	struct sxp_doc *doc;
};

static int fail(struct parser *p, size_t offset, const char *msg)
{
	p->err->offset = offset;
	p->err->msg = msg;
	return -1;
}

static struct sxp *new_node(struct parser *p, size_t offset)
{
	struct sxp *x;

	if (p->nodes >= p->lim.max_nodes) {
		fail(p, offset, "too many elements");
		return NULL;
	}
	x = arena_alloc(p->doc, sizeof(*x));
	if (!x) {
		fail(p, offset, "out of memory");
		return NULL;
	}
	memset(x, 0, sizeof(*x));
	x->offset = (uint32_t)offset;
	p->nodes++;
	return x;
}

/* A bare atom starting at p->pos. */
static struct sxp *bare_atom(struct parser *p)
{
	size_t start = p->pos, n;
	struct sxp *x;
	char *text;

	while (p->pos < p->len && !is_delim(p->buf[p->pos])) {
		unsigned char c = p->buf[p->pos];

		if (c < 0x20 || c == 0x7f) {
			fail(p, p->pos, "control character outside a string");
			return NULL;
		}
		p->pos++;
	}
	n = p->pos - start;
	if (n > p->lim.max_atom) {
		fail(p, start, "atom too long");
		return NULL;
	}
	if (!(x = new_node(p, start)) || !(text = arena_alloc(p->doc, n + 1))) {
		if (x)
			fail(p, start, "out of memory");
		return NULL;
	}
	memcpy(text, p->buf + start, n);
	text[n] = '\0';
	x->atom = text;
	x->len = (uint32_t)n;
	return x;
}

/*
 * Decodes one escape after the backslash at p->pos - 1; returns the byte
 * or -1.
 */
static int escape(struct parser *p)
{
	static const char from[] = "abtnvfr\\'\"", to[] = "\a\b\t\n\v\f\r\\'\"";
	size_t at = p->pos - 1;
	const char *hit;
	unsigned char c;
	int v, d, i;

	if (p->pos >= p->len)
		return fail(p, at, "unterminated string");
	c = p->buf[p->pos++];
	if (c != '\0' && (hit = strchr(from, c)) != NULL)
		return (unsigned char)to[hit - from];
	if (c == 'x') {
		v = 0;
		for (i = 0; i < 2 && p->pos < p->len &&
			    (d = xen_parse_hexdigit(p->buf[p->pos])) >= 0; i++, p->pos++)
			v = v * 16 + d;
		if (i == 0)
			return fail(p, at, "bad escape: \\x without hex digits");
		return v;
	}
	if (c >= '0' && c <= '7') {
		v = c - '0';
		for (i = 1; i < 3 && p->pos < p->len && p->buf[p->pos] >= '0' &&
			    p->buf[p->pos] <= '7'; i++, p->pos++)
			v = v * 8 + (p->buf[p->pos] - '0');
		if (v > 255)
			return fail(p, at, "bad escape: octal value above 255");
		return v;
	}
	return fail(p, at, "bad escape");
}

/* A quoted string whose opening quote is at p->pos. */
static struct sxp *quoted_atom(struct parser *p)
{
	size_t start = p->pos, n = 0, i;
	unsigned char quote = p->buf[p->pos++];
	struct sxp *x;
	char *text;

	/* first pass: validate and measure, so the copy is one allocation */
	for (i = p->pos;; ) {
		if (i >= p->len) {
			fail(p, start, "unterminated string");
			return NULL;
		}
		if (p->buf[i] == quote)
			break;
		if (p->buf[i] == '\0') {
			fail(p, i, "NUL byte in input");
			return NULL;
		}
		if (p->buf[i] == '\\') {
			p->pos = i + 1;
			if (escape(p) < 0)
				return NULL;
			i = p->pos;
		} else {
			i++;
		}
		if (++n > p->lim.max_atom) {
			fail(p, start, "atom too long");
			return NULL;
		}
	}
	if (!(x = new_node(p, start)))
		return NULL;
	if (!(text = arena_alloc(p->doc, n + 1))) {
		fail(p, start, "out of memory");
		return NULL;
	}
	x->atom = text;
	x->len = (uint32_t)n;
	n = 0;
	for (p->pos = start + 1; p->buf[p->pos] != quote;) {
		if (p->buf[p->pos] == '\\') {
			p->pos++;
			text[n++] = (char)escape(p);
		} else {
			text[n++] = (char)p->buf[p->pos++];
		}
	}
	text[n] = '\0';
	p->pos++;		/* closing quote */
	return x;
}

struct open_list {
	struct sxp *list, *tail;
};

static void append(struct open_list *o, struct sxp *x)
{
	if (o->tail)
		o->tail->next = x;
	else
		o->list->kids = x;
	o->tail = x;
	o->list->len++;
}

/* Skips whitespace and comments. */
static int skip_blank(struct parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->buf[p->pos];

		if (is_space(c)) {
			p->pos++;
		} else if (c == '#') {
			while (p->pos < p->len && p->buf[p->pos] != '\n') {
				if (p->buf[p->pos] == '\0')
					return fail(p, p->pos, "NUL byte in input");
				p->pos++;
			}
		} else {
			break;
		}
	}
	return 0;
}

static int parse(struct parser *p)
{
	struct open_list *stack;
	unsigned depth = 0;
	int rc = -1;

	stack = calloc(p->lim.max_depth + 1, sizeof(*stack));
	if (!stack)
		return fail(p, 0, "out of memory");
	for (;;) {
		struct sxp *x = NULL;
		unsigned char c;

		if (skip_blank(p) < 0)
			goto out;
		if (p->pos >= p->len) {
			if (depth > 0)
				fail(p, p->len, "unbalanced parenthesis: input ends inside a list");
			else if (!p->doc->root)
				fail(p, p->len, "empty input");
			else
				rc = 0;
			goto out;
		}
		c = p->buf[p->pos];
		if (c == ')') {
			if (depth == 0) {
				fail(p, p->pos, "unbalanced parenthesis: unexpected ')'");
				goto out;
			}
			p->pos++;
			depth--;
			continue;
		}
		if (depth == 0 && p->doc->root) {
			fail(p, p->pos, "trailing data after the expression");
			goto out;
		}
		if (c == '(') {
			if (depth >= p->lim.max_depth) {
				fail(p, p->pos, "lists nested too deeply");
				goto out;
			}
			if (!(x = new_node(p, p->pos)))
				goto out;
			p->pos++;
		} else if (c == '"' || c == '\'') {
			if (!(x = quoted_atom(p)))
				goto out;
		} else if (c == '\0') {
			fail(p, p->pos, "NUL byte in input");
			goto out;
		} else if (!(x = bare_atom(p))) {
			goto out;
		}
		if (depth > 0)
			append(&stack[depth - 1], x);
		else
			p->doc->root = x;
		if (!x->atom) {
			stack[depth].list = x;
			stack[depth].tail = NULL;
			depth++;
		}
	}
out:
	free(stack);
	return rc;
}

struct sxp_doc *sxp_parse(const char *buf, size_t len,
			  const struct sxp_limits *limits,
			  struct sxp_error *err)
{
	static const struct sxp_limits defaults = {
		.max_depth = SXP_DEFAULT_MAX_DEPTH,
		.max_nodes = SXP_DEFAULT_MAX_NODES,
		.max_atom = SXP_DEFAULT_MAX_ATOM,
	};
	struct sxp_error ignored;
	struct parser p = {
		.buf = (const unsigned char *)buf,
		.len = len,
		.lim = limits ? *limits : defaults,
		.err = err ? err : &ignored,
	};

	p.err->offset = 0;
	p.err->msg = NULL;
	if (!buf && len) {
		fail(&p, 0, "no input");
		return NULL;
	}
	if (len >= UINT32_MAX) {
		fail(&p, 0, "input too large");
		return NULL;
	}
	p.doc = calloc(1, sizeof(*p.doc));
	if (!p.doc) {
		fail(&p, 0, "out of memory");
		return NULL;
	}
	if (parse(&p) < 0) {
		sxp_free(p.doc);
		return NULL;
	}
	return p.doc;
}

bool sxp_atom_is(const struct sxp *x, const char *s)
{
	size_t n = strlen(s);

	return sxp_is_atom(x) && x->len == n && memcmp(x->atom, s, n) == 0;
}

const char *sxp_name(const struct sxp *list)
{
	if (!sxp_is_list(list) || !sxp_is_atom(list->kids))
		return NULL;
	return list->kids->atom;
}

const struct sxp *sxp_child(const struct sxp *list, const char *name)
{
	const struct sxp *x;

	if (!sxp_is_list(list) || !list->kids)
		return NULL;
	for (x = list->kids->next; x; x = x->next)
		if (sxp_is_list(x) && sxp_atom_is(x->kids, name))
			return x;
	return NULL;
}

const char *sxp_value(const struct sxp *list, const char *name, size_t *len)
{
	const struct sxp *c = sxp_child(list, name);

	if (!c || !sxp_is_atom(c->kids->next))
		return NULL;
	if (len)
		*len = c->kids->next->len;
	return c->kids->next->atom;
}
