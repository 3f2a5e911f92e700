/*
 * Fuzz target: the SXP parser and the mapping of xend's replies onto
 * snapshots.  Built with -DFUZZ_LIBFUZZER and -fsanitize=fuzzer it is a
 * libFuzzer target; otherwise its main() runs every file named on the
 * command line (or, without arguments, every file in
 * $srcdir/tests/fuzz/corpus), so the corpus is a regression test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/sxp.h"
#include "parse/xend_sxp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks the tree the way the mapping does, to touch every node. */
static size_t walk(const struct sxp *x, unsigned depth)
{
	size_t n = 1;

	if (depth > SXP_DEFAULT_MAX_DEPTH + 1)
		abort();
	if (sxp_is_atom(x)) {
		if (x->atom[x->len] != '\0')
			abort();
		return n;
	}
	for (x = x->kids; x; x = x->next)
		n += walk(x, depth + 1);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sxp_limits tight = { .max_depth = 4, .max_nodes = 64, .max_atom = 16 };
	struct xen_snapshot *snap;
	struct xen_host host = { 0 };
	struct sxp_error err;
	struct sxp_doc *doc;
	char why[256];
	size_t i;

	doc = sxp_parse(buf, size, NULL, &err);
	if (doc) {
		const struct sxp *root = sxp_root(doc);

		walk(root, 0);
		(void)sxp_value(root, "domid", NULL);
		(void)sxp_child(root, "image");
		(void)sxp_name(root);
		sxp_free(doc);
	} else if (!err.msg || err.offset > size) {
		abort();
	}
	sxp_free(sxp_parse(buf, size, &tight, &err));

	snap = xen_snapshot_new();
	if (!snap)
		return 0;
	/* twice, as the driver does with the running and the halted lists */
	if (xend_parse_domains(buf, size, snap, why, sizeof(why)) == 0)
		xend_parse_domains(buf, size, snap, why, sizeof(why));
	xen_snapshot_sort(snap);
	for (i = 0; i < snap->n_domains; i++) {
		const struct xen_domain *d = snap->domains[i];

		if (d->state == XEN_RUN_SHUTOFF && d->domid < XEN_DOMID_SHUTOFF_BASE)
			abort();
		if (d->domid >= XEN_DOMID_SHUTOFF_BASE && d->state != XEN_RUN_SHUTOFF)
			abort();
		if (i > 0 && snap->domains[i - 1]->domid >= d->domid)
			abort();
	}
	xen_snapshot_unref(snap);

	if (xend_parse_node(buf, size, &host, why, sizeof(why)) == 0) {
		xen_bytes_clear(&host.xen_version);
		xen_bytes_clear(&host.name);
	}
	return 0;
}

#ifndef FUZZ_LIBFUZZER
#include <dirent.h>

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			char *grown = realloc(buf, cap = cap ? 2 * cap : 65536);

			if (!grown) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *srcdir = getenv("srcdir");
	char dir[4096], path[8192];
	struct dirent *ent;
	int i, ran = 0, rc = 0;
	DIR *d;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			rc |= run_file(argv[i]);
		printf("fuzz_sxp: %d inputs\n", argc - 1);
		return rc ? 1 : 0;
	}
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus", srcdir ? srcdir : ".");
	d = opendir(dir);
	if (!d) {
		perror(dir);
		return 1;
	}
	while ((ent = readdir(d)) != NULL) {
		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		rc |= run_file(path);
		ran++;
	}
	closedir(d);
	printf("fuzz_sxp: %d inputs from %s\n", ran, dir);
	return rc || ran == 0 ? 1 : 0;
}
#endif
