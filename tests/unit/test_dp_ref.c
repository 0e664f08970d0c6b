/*
 * Gateway references: the documented bit layout, distinct workers, a new
 * epoch when a worker's counter wraps, and approval codes that are six
 * uppercase alphanumerics, stable for one reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ref.h"

static void layout_is_epoch_worker_counter(void **state)
{
	struct gw_ref a, b;

	gw_ref_start(0x12345678);
	gw_ref_init(&a, 0);
	gw_ref_init(&b, 5);
	assert_int_equal(gw_ref_next(&a), 0x1234567800000000ull);
	assert_int_equal(gw_ref_next(&a), 0x1234567800000001ull);
	assert_int_equal(gw_ref_next(&b), 0x1234567805000000ull);
}

static void wrapped_counter_moves_to_a_later_epoch(void **state)
{
	uint64_t start = (uint64_t)time(NULL) + 1000, r;
	struct gw_ref a, b;

	gw_ref_start(start);
	gw_ref_init(&a, 1);
	gw_ref_init(&b, 2);
	a.counter = (1u << 24) - 1;
	assert_int_equal(gw_ref_next(&a), start << 32 | 1u << 24 | 0xffffff);
	/* The clock is behind the start epoch here, so the claim takes the
	 * next second; a second wrap takes the one after. */
	r = gw_ref_next(&a);
	assert_int_equal(r, (start + 1) << 32 | 1u << 24);
	b.counter = 1u << 24;
	assert_int_equal(gw_ref_next(&b) >> 32, start + 2);
}

static void approval_codes_are_six_uppercase_alphanumerics(void **state)
{
	char a[GW_APPROVAL_LEN], b[GW_APPROVAL_LEN], c[GW_APPROVAL_LEN];
	unsigned i;

	gw_ref_approval(0x1234567800000000ull, a);
	gw_ref_approval(0x1234567800000000ull, b);
	gw_ref_approval(0x1234567800000001ull, c);
	assert_memory_equal(a, b, GW_APPROVAL_LEN);
	assert_memory_not_equal(a, c, GW_APPROVAL_LEN);
	for (i = 0; i < GW_APPROVAL_LEN; i++) {
		assert_true((a[i] >= '0' && a[i] <= '9') ||
			    (a[i] >= 'A' && a[i] <= 'Z'));
		assert_true((c[i] >= '0' && c[i] <= '9') ||
			    (c[i] >= 'A' && c[i] <= 'Z'));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(layout_is_epoch_worker_counter),
	    cmocka_unit_test(wrapped_counter_moves_to_a_later_epoch),
	    cmocka_unit_test(approval_codes_are_six_uppercase_alphanumerics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
