/*
 * A settlement batch: from the decisions of a period, per merchant and
 * currency, what was captured, what of it was reversed or refunded, and
 * the net owed to the merchant.  Where the decisions come from is
 * source.h's; the command line is main.c's.
 */
#ifndef GW_SETTLE_BATCH_H
#define GW_SETTLE_BATCH_H

#include <stdint.h>
#include <stdio.h>

#define SETTLE_MERCHANT_MAX 32

/* The part of a decision that settlement needs. */
struct settle_txn {
	uint8_t type; /* enum gw_msg_type */
	uint8_t code; /* enum gw_resp_code */
	uint16_t flags;
	uint16_t currency;
	uint64_t ref;
	uint64_t orig_ref;
	uint64_t applied;
	char merchant[SETTLE_MERCHANT_MAX + 1];
};

/* One line of the batch. */
struct settle_row {
	char merchant[SETTLE_MERCHANT_MAX + 1];
	uint16_t currency;
	uint64_t captured_n, captured;
	uint64_t reversed_n, reversed; /* reversals of captures */
	uint64_t refunded_n, refunded;
	int64_t net; /* captured - reversed - refunded */
};

struct settle_batch;

struct settle_batch *settle_batch_new(void);
void settle_batch_free(struct settle_batch *b);

/* Keeps a copy of @t.  0 or -ENOMEM. */
int settle_batch_add(struct settle_batch *b, const struct settle_txn *t);

/*
 * Totals the decisions added so far into rows sorted by merchant, then
 * currency.  Only approvals count: captures and authorizations captured at
 * once, reversals whose original is one of those, and refunds.  Returns
 * the row count and sets *@rows (owned by @b), or -ENOMEM.
 */
long settle_batch_rows(struct settle_batch *b, const struct settle_row **rows);

/* The rows as a text table, or as one JSON object. */
void settle_batch_print(FILE *f, const struct settle_row *rows, long n,
			int json);

#endif
