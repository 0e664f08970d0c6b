/*
 * Settlement totals: only approved captures, reversals of captures and
 * refunds count, per merchant and currency, whatever order the decisions
 * arrive in.  A journal directory that is missing or holds no journal is
 * an error, never an empty batch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch.h"
#include "gw_wire.h"
#include "source.h"

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

static int count_record(const struct gw_journal_rec *r, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void a_missing_journal_dir_is_an_error(void **state)
{
	char err[256] = "";
	int seen = 0;

	(void)state;
	assert_int_equal(settle_from_journal("/nonexistent/journal",
					     count_record, &seen, err,
					     sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/journal: no such directory");
	assert_int_equal(seen, 0);
}

static void a_file_is_not_a_journal_dir(void **state)
{
	char path[] = "/tmp/gw-settle-file-XXXXXX";
	char err[256] = "", want[300];
	int seen = 0;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(
	    settle_from_journal(path, count_record, &seen, err, sizeof(err)),
	    -ENOENT);
	snprintf(want, sizeof(want), "%s: not a directory", path);
	assert_string_equal(err, want);
	unlink(path);
}

static void a_dir_without_journals_is_an_error(void **state)
{
	char dir[] = "/tmp/gw-settle-dir-XXXXXX";
	char err[256] = "", want[300], other[300];
	int seen = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* A file that only looks like a journal's name counts for none. */
	snprintf(other, sizeof(other), "%s/worker-x.journal", dir);
	f = fopen(other, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(
	    settle_from_journal(dir, count_record, &seen, err, sizeof(err)),
	    -ENOENT);
	snprintf(want, sizeof(want), "no journal files in %s", dir);
	assert_string_equal(err, want);
	assert_int_equal(seen, 0);
	unlink(other);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(totals_per_merchant_and_currency),
	    cmocka_unit_test(an_empty_batch_has_no_rows),
	    cmocka_unit_test(a_missing_journal_dir_is_an_error),
	    cmocka_unit_test(a_file_is_not_a_journal_dir),
	    cmocka_unit_test(a_dir_without_journals_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
