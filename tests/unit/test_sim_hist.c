/*
 * The histogram file of --hist: one line per non-empty bucket with its
 * inclusive bounds and count, lowest first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../merchant-sim/hist.h"

static void buckets_are_written_with_bounds(void **state)
{
	struct sim_hist h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	sim_hist_init(&h);
	sim_hist_add(&h, 3);
	sim_hist_add(&h, 3);
	sim_hist_add(&h, 31);
	sim_hist_add(&h, 33); /* 32..33, the first two-wide bucket */
	sim_hist_add(&h, 1000);
	sim_hist_add(&h, 1023);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(sim_hist_write(&h, f), 4);
	fclose(f);
	assert_string_equal(buf, "3 3 2\n"
				 "31 31 1\n"
				 "32 33 1\n"
				 "992 1023 2\n");
	free(buf);
}

static void an_empty_histogram_writes_nothing(void **state)
{
	struct sim_hist h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	sim_hist_init(&h);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(sim_hist_write(&h, f), 0);
	fclose(f);
	assert_int_equal(len, 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(buckets_are_written_with_bounds),
	    cmocka_unit_test(an_empty_histogram_writes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
