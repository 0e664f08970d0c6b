/*
 * Settlement totals: only approved captures, reversals of captures and
 * refunds count, per merchant and currency, whatever order the decisions
 * arrive in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"
#include "gw_wire.h"

static void add(struct settle_batch *b, const char *m, uint16_t cur,
		uint8_t type, uint8_t code, uint16_t flags, uint64_t ref,
		uint64_t orig, uint64_t applied)
{
	struct settle_txn t = {.type = type,
			       .code = code,
			       .flags = flags,
			       .currency = cur,
			       .ref = ref,
			       .orig_ref = orig,
			       .applied = applied};

	strcpy(t.merchant, m);
	assert_int_equal(settle_batch_add(b, &t), 0);
}

static void totals_per_merchant_and_currency(void **state)
{
	struct settle_batch *b = settle_batch_new();
	const struct settle_row *rows;

	(void)state;
	/* A reversal read before the capture it names still counts. */
	add(b, "m-2", 978, GW_MSG_REVERSE, GW_RC_APPROVED, 0, 9, 3, 200);
	add(b, "m-2", 978, GW_MSG_AUTH, GW_RC_APPROVED, 0, 1, 0, 5000);
	add(b, "m-2", 978, GW_MSG_CAPTURE, GW_RC_APPROVED, 0, 3, 1, 4000);
	add(b, "m-2", 978, GW_MSG_AUTH, GW_RC_APPROVED, GW_FLAG_CAPTURE_NOW, 4,
	    0, 700);
	add(b, "m-2", 978, GW_MSG_REFUND, GW_RC_APPROVED, 0, 5, 4, 300);
	add(b, "m-2", 978, GW_MSG_REFUND, GW_RC_INVALID_AMOUNT, 0, 6, 4, 0);
	/* A reversal of an uncaptured authorization settles nothing. */
	add(b, "m-2", 978, GW_MSG_REVERSE, GW_RC_APPROVED, 0, 7, 1, 1000);
	add(b, "m-2", 840, GW_MSG_CAPTURE, GW_RC_APPROVED, 0, 8, 2, 50);
	add(b, "m-1", 978, GW_MSG_CAPTURE, GW_RC_INVALID_TXN, 0, 10, 1, 0);
	add(b, "m-1", 978, GW_MSG_AUTH, GW_RC_PARTIAL, GW_FLAG_CAPTURE_NOW, 11,
	    0, 10);

	assert_int_equal(settle_batch_rows(b, &rows), 3);
	assert_string_equal(rows[0].merchant, "m-1");
	assert_int_equal(rows[0].captured_n, 1);
	assert_int_equal(rows[0].captured, 10);
	assert_int_equal(rows[0].net, 10);
	assert_string_equal(rows[1].merchant, "m-2");
	assert_int_equal(rows[1].currency, 840);
	assert_int_equal(rows[1].captured, 50);
	assert_int_equal(rows[2].currency, 978);
	assert_int_equal(rows[2].captured_n, 2);
	assert_int_equal(rows[2].captured, 4700);
	assert_int_equal(rows[2].reversed_n, 1);
	assert_int_equal(rows[2].reversed, 200);
	assert_int_equal(rows[2].refunded_n, 1);
	assert_int_equal(rows[2].refunded, 300);
	assert_int_equal(rows[2].net, 4200);
	settle_batch_free(b);
}

static void an_empty_batch_has_no_rows(void **state)
{
	struct settle_batch *b = settle_batch_new();
	const struct settle_row *rows;

	(void)state;
	add(b, "m-1", 978, GW_MSG_AUTH, GW_RC_APPROVED, 0, 1, 0, 100);
	add(b, "m-1", 978, GW_MSG_AUTH, GW_RC_DECLINE, GW_FLAG_CAPTURE_NOW, 2,
	    0, 0);
	assert_int_equal(settle_batch_rows(b, &rows), 0);
	settle_batch_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(totals_per_merchant_and_currency),
	    cmocka_unit_test(an_empty_batch_has_no_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
