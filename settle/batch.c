/*
 * Settlement totals.  Decisions may arrive in any order across workers, so
 * they are all kept and totalled at the end: captures are sorted by
 * reference first, so that each reversal finds whether its original is a
 * capture, whatever the order they were read in.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "gw_wire.h"

struct settle_batch {
	struct settle_txn *v;
	size_t n, cap;
	uint64_t *captures; /* references, sorted */
	size_t ncaptures;
	struct settle_row *rows;
	size_t nrows;
};

struct settle_batch *settle_batch_new(void)
{
	return calloc(1, sizeof(struct settle_batch));
}

void settle_batch_free(struct settle_batch *b)
{
	if (b == NULL)
		return;
	free(b->v);
	free(b->captures);
	free(b->rows);
	free(b);
}

int settle_batch_add(struct settle_batch *b, const struct settle_txn *t)
{
	struct settle_txn *v;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;

		v = realloc(b->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = *t;
	return 0;
}

static int approved(const struct settle_txn *t)
{
	return t->code == GW_RC_APPROVED || t->code == GW_RC_PARTIAL;
}

/* A capture: a separate capture, or an authorization captured at once. */
static int is_capture(const struct settle_txn *t)
{
	return approved(t) &&
	       (t->type == GW_MSG_CAPTURE ||
		(t->type == GW_MSG_AUTH && (t->flags & GW_FLAG_CAPTURE_NOW)));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_row(const void *a, const void *b)
{
	const struct settle_row *x = a, *y = b;
	int c = strcmp(x->merchant, y->merchant);

	return c != 0 ? c : (int)x->currency - (int)y->currency;
}

static struct settle_row *row_of(struct settle_batch *b,
				 const struct settle_txn *t)
{
	size_t i;

	for (i = 0; i < b->nrows; i++)
		if (b->rows[i].currency == t->currency &&
		    strcmp(b->rows[i].merchant, t->merchant) == 0)
			return &b->rows[i];
	memset(&b->rows[i], 0, sizeof(b->rows[i]));
	memcpy(b->rows[i].merchant, t->merchant, sizeof(t->merchant));
	b->rows[i].currency = t->currency;
	b->nrows++;
	return &b->rows[i];
}

static void count(struct settle_batch *b, const struct settle_txn *t)
{
	struct settle_row *r;

	if (!approved(t))
		return;
	if (is_capture(t)) {
		r = row_of(b, t);
		r->captured_n++;
		r->captured += t->applied;
	} else if (t->type == GW_MSG_REFUND) {
		r = row_of(b, t);
		r->refunded_n++;
		r->refunded += t->applied;
	} else if (t->type == GW_MSG_REVERSE &&
		   bsearch(&t->orig_ref, b->captures, b->ncaptures,
			   sizeof(uint64_t), cmp_u64) != NULL) {
		r = row_of(b, t);
		r->reversed_n++;
		r->reversed += t->applied;
	}
}

long settle_batch_rows(struct settle_batch *b, const struct settle_row **rows)
{
	size_t i;

	free(b->captures);
	free(b->rows);
	b->ncaptures = b->nrows = 0;
	b->captures = malloc((b->n + 1) * sizeof(uint64_t));
	b->rows = malloc((b->n + 1) * sizeof(struct settle_row));
	if (b->captures == NULL || b->rows == NULL)
		return -ENOMEM;
	for (i = 0; i < b->n; i++)
		if (is_capture(&b->v[i]))
			b->captures[b->ncaptures++] = b->v[i].ref;
	qsort(b->captures, b->ncaptures, sizeof(uint64_t), cmp_u64);
	for (i = 0; i < b->n; i++)
		count(b, &b->v[i]);
	for (i = 0; i < b->nrows; i++)
		b->rows[i].net = (int64_t)b->rows[i].captured -
				 (int64_t)b->rows[i].reversed -
				 (int64_t)b->rows[i].refunded;
	qsort(b->rows, b->nrows, sizeof(*b->rows), cmp_row);
	*rows = b->rows;
	return (long)b->nrows;
}

static void print_json(FILE *f, const struct settle_row *rows, long n)
{
	long i;

	fputs("{\"rows\":[", f);
	for (i = 0; i < n; i++) {
		const struct settle_row *r = &rows[i];

		fprintf(f, "%s{\"merchant\":\"%s\",\"currency\":%u,",
			i ? "," : "", r->merchant, r->currency);
		fprintf(f,
			"\"captured\":{\"count\":%" PRIu64 ",\"total\":%" PRIu64
			"},",
			r->captured_n, r->captured);
		fprintf(f,
			"\"reversed\":{\"count\":%" PRIu64 ",\"total\":%" PRIu64
			"},",
			r->reversed_n, r->reversed);
		fprintf(f,
			"\"refunded\":{\"count\":%" PRIu64 ",\"total\":%" PRIu64
			"},\"net\":%" PRId64 "}",
			r->refunded_n, r->refunded, r->net);
	}
	fputs("]}\n", f);
}

void settle_batch_print(FILE *f, const struct settle_row *rows, long n,
			int json)
{
	long i;

	if (json) {
		print_json(f, rows, n);
		return;
	}
	fprintf(f, "%-24s %4s %8s %12s %8s %12s %8s %12s %12s\n", "merchant",
		"cur", "captures", "captured", "reversal", "reversed",
		"refunds", "refunded", "net");
	for (i = 0; i < n; i++)
		fprintf(f,
			"%-24s %4u %8" PRIu64 " %12" PRIu64 " %8" PRIu64
			" %12" PRIu64 " %8" PRIu64 " %12" PRIu64 " %12" PRId64
			"\n",
			rows[i].merchant, rows[i].currency, rows[i].captured_n,
			rows[i].captured, rows[i].reversed_n, rows[i].reversed,
			rows[i].refunded_n, rows[i].refunded, rows[i].net);
}
