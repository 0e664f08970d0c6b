/*
 * The session-id map of DPDK mode: every session found by its id, ids
 * that collide in the table kept apart, and the exact refusals.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../merchant-sim/sessmap.h"

static void sessions_are_found_by_id(void **state)
{
	struct sim_sessmap *s = sim_sessmap_new(100000);
	uint32_t i;

	assert_non_null(s);
	/* Ids as the control plane hands them out: in sequence. */
	for (i = 0; i < 100000; i++)
		assert_int_equal(sim_sessmap_put(s, 7 + i, i), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(sim_sessmap_get(s, 7 + i), i);
	assert_int_equal(sim_sessmap_get(s, 6), -1);
	assert_int_equal(sim_sessmap_get(s, 100007), -1);
	assert_int_equal(sim_sessmap_get(s, 0), -1);
	assert_int_equal(sim_sessmap_get(s, UINT32_MAX), -1);
	sim_sessmap_free(s);
}

static void colliding_ids_stay_apart(void **state)
{
	/* Room for 8 makes a table of 16 entries, where every multiple of
	 * 16 hashes to entry 0: these ids form one chain. */
	struct sim_sessmap *s = sim_sessmap_new(8);
	uint32_t i;

	assert_non_null(s);
	for (i = 1; i <= 8; i++)
		assert_int_equal(sim_sessmap_put(s, 16 * i, 100 + i), 0);
	for (i = 1; i <= 8; i++)
		assert_int_equal(sim_sessmap_get(s, 16 * i), 100 + i);
	assert_int_equal(sim_sessmap_get(s, 16 * 9), -1);
	sim_sessmap_free(s);
}

static void refusals_are_exact(void **state)
{
	struct sim_sessmap *s = sim_sessmap_new(2);

	assert_null(sim_sessmap_new(0));
	assert_null(sim_sessmap_new((1u << 30) + 1));
	assert_non_null(s);
	assert_int_equal(sim_sessmap_put(s, 0, 1), -EINVAL);
	assert_int_equal(sim_sessmap_put(s, 5, 1), 0);
	assert_int_equal(sim_sessmap_put(s, 5, 2), -EEXIST);
	assert_int_equal(sim_sessmap_get(s, 5), 1);
	assert_int_equal(sim_sessmap_put(s, 6, 2), 0);
	assert_int_equal(sim_sessmap_put(s, 7, 3), -ENOSPC);
	assert_int_equal(sim_sessmap_get(s, 7), -1);
	assert_int_equal(sim_sessmap_get(s, 6), 2);
	sim_sessmap_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sessions_are_found_by_id),
	    cmocka_unit_test(colliding_ids_stay_apart),
	    cmocka_unit_test(refusals_are_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
