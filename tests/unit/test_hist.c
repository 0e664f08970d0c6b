/*
 * merchant-sim's latency histogram: bucket boundaries, and quantiles
 * computed by hand for small sample sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../merchant-sim/hist.h"

static const struct {
	uint64_t v;
	unsigned index;
	uint64_t lower;
	uint64_t upper;
} buckets[] = {
    {0, 0, 0, 0},
    {1, 1, 1, 1},
    {31, 31, 31, 31},
    {32, 32, 32, 33},
    {33, 32, 32, 33},
    {34, 33, 34, 35},
    {63, 47, 62, 63},
    {64, 48, 64, 67},
    {100, 57, 100, 103},
    {1000, 111, 992, 1023},
    {1024, 112, 1024, 1087},
    {UINT64_MAX, SIM_HIST_BUCKETS - 1, 0xf800000000000000ull, UINT64_MAX},
};

static void index_and_bounds_match_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++) {
		unsigned k = sim_hist_index(buckets[i].v);

		assert_int_equal(k, buckets[i].index);
		assert_int_equal(sim_hist_lower(k), buckets[i].lower);
		assert_int_equal(sim_hist_upper(k), buckets[i].upper);
	}
}

static void every_value_falls_inside_its_bucket(void **state)
{
	uint64_t v;
	unsigned k, prev = 0;

	for (v = 0; v < 70000; v++) {
		k = sim_hist_index(v);
		assert_true(sim_hist_lower(k) <= v);
		assert_true(v <= sim_hist_upper(k));
		/* Buckets are contiguous and in order. */
		assert_true(k == prev || k == prev + 1);
		prev = k;
		/* Relative width stays at or under 1/16. */
		if (v >= 32)
			assert_true(
			    (sim_hist_upper(k) - sim_hist_lower(k) + 1) * 16 <=
			    v);
	}
}

static void empty_histogram_reports_zero(void **state)
{
	struct sim_hist h;

	sim_hist_init(&h);
	assert_int_equal(sim_hist_quantile(&h, 0.5), 0);
	assert_int_equal(sim_hist_quantile(&h, 0.999), 0);
	assert_int_equal(h.count, 0);
}

static void one_to_hundred(void **state)
{
	static struct sim_hist h;
	uint64_t v;

	sim_hist_init(&h);
	for (v = 1; v <= 100; v++)
		sim_hist_add(&h, v);
	assert_int_equal(h.count, 100);
	assert_int_equal(h.min, 1);
	assert_int_equal(h.max, 100);
	assert_int_equal(h.sum, 5050);
	/* Rank 50 is the value 50, in bucket [50, 51]. */
	assert_int_equal(sim_hist_quantile(&h, 0.5), 51);
	/* Rank 99: bucket [96, 99]. */
	assert_int_equal(sim_hist_quantile(&h, 0.99), 99);
	/* Rank 100 (ceil of 99.9): bucket [100, 103], clamped to the max. */
	assert_int_equal(sim_hist_quantile(&h, 0.999), 100);
	assert_int_equal(sim_hist_quantile(&h, 1.0), 100);
	/* Rank 10: exact region. */
	assert_int_equal(sim_hist_quantile(&h, 0.1), 10);
}

static void single_sample_is_every_quantile(void **state)
{
	static struct sim_hist h;

	sim_hist_init(&h);
	sim_hist_add(&h, 1000);
	assert_int_equal(sim_hist_quantile(&h, 0.5), 1000);
	assert_int_equal(sim_hist_quantile(&h, 0.99), 1000);
	assert_int_equal(sim_hist_quantile(&h, 0.999), 1000);
}

static void skewed_samples(void **state)
{
	static struct sim_hist h;
	int i;

	sim_hist_init(&h);
	for (i = 0; i < 998; i++)
		sim_hist_add(&h, 20);
	sim_hist_add(&h, 5000);
	sim_hist_add(&h, 70000);
	assert_int_equal(sim_hist_quantile(&h, 0.5), 20);
	assert_int_equal(sim_hist_quantile(&h, 0.99), 20);
	/* Rank 999 is 5000, in bucket [4864, 5119]. */
	assert_int_equal(sim_hist_quantile(&h, 0.999), 5119);
	assert_int_equal(sim_hist_quantile(&h, 1.0), 70000);
	assert_int_equal(h.max, 70000);
	assert_int_equal(h.min, 20);
}

static void out_of_range_quantiles_are_clamped(void **state)
{
	static struct sim_hist h;

	sim_hist_init(&h);
	sim_hist_add(&h, 3);
	sim_hist_add(&h, 7);
	assert_int_equal(sim_hist_quantile(&h, 0), 3);
	assert_int_equal(sim_hist_quantile(&h, -1), 3);
	assert_int_equal(sim_hist_quantile(&h, 2), 7);
}

static void largest_value_is_recorded(void **state)
{
	static struct sim_hist h;

	sim_hist_init(&h);
	sim_hist_add(&h, UINT64_MAX);
	assert_int_equal(h.bucket[SIM_HIST_BUCKETS - 1], 1);
	assert_int_equal(sim_hist_quantile(&h, 0.5), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(index_and_bounds_match_table),
	    cmocka_unit_test(every_value_falls_inside_its_bucket),
	    cmocka_unit_test(empty_histogram_reports_zero),
	    cmocka_unit_test(one_to_hundred),
	    cmocka_unit_test(single_sample_is_every_quantile),
	    cmocka_unit_test(skewed_samples),
	    cmocka_unit_test(out_of_range_quantiles_are_clamped),
	    cmocka_unit_test(largest_value_is_recorded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
