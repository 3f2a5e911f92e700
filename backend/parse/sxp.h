/*
 * S-expressions as xend writes them (xen/xend/sxp.py): lists "( ... )",
 * bare atoms, and quoted strings ('...' or "...") with backslash escapes
 * (\a \b \t \n \v \f \r \\ \' \" , \xHH, \OOO octal).  '#' at the start
 * of a token begins a comment running to the end of the line.
 *
 * Every value is kept as text (numbers too); the reader decides what a
 * value means.  Input is untrusted: depth, node count and atom size are
 * bounded, and any error is reported with the byte offset it was found at.
 */
#ifndef SXP_H
#define SXP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sxp {
	struct sxp *next;	/* next sibling in the enclosing list */
	struct sxp *kids;	/* lists: first element */
	const char *atom;	/* atoms: NUL-terminated text; NULL for a list */
	uint32_t len;		/* atoms: bytes (may hold NULs); lists: elements */
	uint32_t offset;	/* where it starts in the input */
};

struct sxp_limits {
	unsigned max_depth;	/* nesting of lists */
	size_t max_nodes;	/* atoms + lists */
	size_t max_atom;	/* bytes in one atom */
};

#define SXP_DEFAULT_MAX_DEPTH 64
#define SXP_DEFAULT_MAX_NODES 2000000
#define SXP_DEFAULT_MAX_ATOM (64 * 1024)

struct sxp_error {
	size_t offset;		/* byte offset in the input */
	const char *msg;	/* static text */
};

struct sxp_doc;

/*
 * Parses exactly one expression (surrounding whitespace and comments
 * allowed).  limits may be NULL for the defaults.  Returns the document,
 * or NULL with *err filled (also on memory exhaustion).
 */
struct sxp_doc *sxp_parse(const char *buf, size_t len,
			  const struct sxp_limits *limits,
			  struct sxp_error *err);
void sxp_free(struct sxp_doc *doc);
const struct sxp *sxp_root(const struct sxp_doc *doc);

static inline bool sxp_is_list(const struct sxp *x)
{
	return x && !x->atom;
}

static inline bool sxp_is_atom(const struct sxp *x)
{
	return x && x->atom;
}

/* True when x is an atom whose text is exactly s. */
bool sxp_atom_is(const struct sxp *x, const char *s);

/* The first element of a list when it is an atom: its "name"; else NULL. */
const char *sxp_name(const struct sxp *list);

/* The first element list "(name ...)" of list after its own name; NULL if none. */
const struct sxp *sxp_child(const struct sxp *list, const char *name);

/*
 * The value of "(name value)" inside list: the atom following name, with
 * its length in *len (optional); NULL when the child is missing, has no
 * value (xend writes an empty string as "(name )") or its value is a list.
 */
const char *sxp_value(const struct sxp *list, const char *name, size_t *len);

#endif
