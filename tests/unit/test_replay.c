/*
 * gw_replay: numbered step tables over the window's edges, jumps longer
 * than the ring, the top of the sequence space, checks that must not
 * change state, and a long random walk against a plain reference model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gw_replay.h"

#define W    GW_REPLAY_WINDOW
#define RING (GW_REPLAY_WORDS * 64)

enum op { CHECK, UPDATE };

struct step {
	int n; /* step number, printed when a step fails */
	enum op op;
	uint64_t seq;
	int want;
};

static void run_steps(const struct step *s, size_t count)
{
	struct gw_replay w, before;
	size_t i;

	gw_replay_init(&w);
	for (i = 0; i < count; i++) {
		int got;

		assert_int_equal(s[i].n, (int)i + 1);
		if (s[i].op == CHECK) {
			before = w;
			got = gw_replay_check(&w, s[i].seq);
			assert_memory_equal(&before, &w, sizeof(w));
		} else {
			got = gw_replay_update(&w, s[i].seq);
		}
		if (got != s[i].want)
			fail_msg("step %d: seq %llu gave %d, want %d", s[i].n,
				 (unsigned long long)s[i].seq, got, s[i].want);
	}
}

static void test_init_is_empty(void **state)
{
	struct gw_replay w;
	size_t i;

	(void)state;
	memset(&w, 0xff, sizeof(w));
	gw_replay_init(&w);
	assert_int_equal(w.top, 0);
	for (i = 0; i < GW_REPLAY_WORDS; i++)
		assert_int_equal(w.ring[i], 0);
	assert_int_equal(W, 1984);
}

static void test_window_edges(void **state)
{
	static const struct step steps[] = {
	    {1, UPDATE, 0, GW_REPLAY_ZERO},
	    {2, CHECK, 0, GW_REPLAY_ZERO},
	    {3, UPDATE, 1, GW_REPLAY_OK},
	    {4, UPDATE, 1, GW_REPLAY_SEEN},
	    {5, UPDATE, 3, GW_REPLAY_OK},
	    {6, CHECK, 2, GW_REPLAY_OK},
	    {7, UPDATE, 2, GW_REPLAY_OK},
	    {8, UPDATE, 2, GW_REPLAY_SEEN},
	    {9, UPDATE, 2000, GW_REPLAY_OK},
	    /* top 2000: 16 is exactly WINDOW behind, 17 one inside */
	    {10, CHECK, 2000 - W, GW_REPLAY_OLD},
	    {11, UPDATE, 2000 - W, GW_REPLAY_OLD},
	    {12, CHECK, 2000 - W + 1, GW_REPLAY_OK},
	    {13, CHECK, 2000 - W + 1, GW_REPLAY_OK},
	    {14, UPDATE, 2000 - W + 1, GW_REPLAY_OK},
	    {15, UPDATE, 2000 - W + 1, GW_REPLAY_SEEN},
	    {16, UPDATE, 3, GW_REPLAY_OLD},
	    {17, UPDATE, 1999, GW_REPLAY_OK},
	    {18, UPDATE, 2000, GW_REPLAY_SEEN},
	    {19, CHECK, 2001, GW_REPLAY_OK},
	    {20, UPDATE, 0, GW_REPLAY_ZERO},
	    /* One word forward: the edge moves with the top. */
	    {21, UPDATE, 2064, GW_REPLAY_OK},
	    {22, CHECK, 2064 - W, GW_REPLAY_OLD},
	    {23, UPDATE, 2064 - W + 1, GW_REPLAY_OK},
	    {24, UPDATE, 2000, GW_REPLAY_SEEN},
	    {25, UPDATE, 1999, GW_REPLAY_SEEN},
	    {26, UPDATE, 2063, GW_REPLAY_OK},
	};

	(void)state;
	run_steps(steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_jumps_longer_than_ring(void **state)
{
	/* 1999 + 3 * RING lands on 1999's ring slot: a ring that was not
	 * cleared on the jump would call it SEEN. */
	static const struct step steps[] = {
	    {1, UPDATE, 1999, GW_REPLAY_OK},
	    {2, UPDATE, 2000, GW_REPLAY_OK},
	    {3, UPDATE, 2000 + 3 * RING, GW_REPLAY_OK},
	    {4, UPDATE, 1999 + 3 * RING, GW_REPLAY_OK},
	    {5, UPDATE, 1999 + 3 * RING, GW_REPLAY_SEEN},
	    {6, UPDATE, 2000, GW_REPLAY_OLD},
	    /* Exactly one ring ahead reuses the top's own slot. */
	    {7, UPDATE, 2000 + 4 * RING, GW_REPLAY_OK},
	    {8, CHECK, 2000 + 3 * RING, GW_REPLAY_OLD},
	    {9, CHECK, 2000 + 4 * RING - 1, GW_REPLAY_OK},
	    {10, UPDATE, 2000 + 4 * RING - W + 1, GW_REPLAY_OK},
	    /* Jumps of one word short of the ring, and a huge one. */
	    {11, UPDATE, 2000 + 5 * RING - 64, GW_REPLAY_OK},
	    {12, CHECK, 2000 + 4 * RING - W + 1, GW_REPLAY_OLD},
	    {13, UPDATE, 2000 + 5 * RING - 65, GW_REPLAY_OK},
	    {14, UPDATE, 1ULL << 40, GW_REPLAY_OK},
	    {15, UPDATE, (1ULL << 40) - 1, GW_REPLAY_OK},
	    {16, UPDATE, (1ULL << 40) - W, GW_REPLAY_OLD},
	    {17, UPDATE, (1ULL << 40) - W + 1, GW_REPLAY_OK},
	    {18, UPDATE, (1ULL << 40) - W + 1, GW_REPLAY_SEEN},
	};

	(void)state;
	run_steps(steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_top_of_sequence_space(void **state)
{
	static const struct step steps[] = {
	    {1, UPDATE, UINT64_MAX - 5, GW_REPLAY_OK},
	    {2, UPDATE, UINT64_MAX, GW_REPLAY_OK},
	    {3, UPDATE, UINT64_MAX, GW_REPLAY_SEEN},
	    {4, UPDATE, UINT64_MAX - 5, GW_REPLAY_SEEN},
	    {5, CHECK, UINT64_MAX - W, GW_REPLAY_OLD},
	    {6, UPDATE, UINT64_MAX - W + 1, GW_REPLAY_OK},
	    {7, UPDATE, UINT64_MAX - 1, GW_REPLAY_OK},
	    {8, CHECK, 1, GW_REPLAY_OLD},
	    {9, CHECK, 0, GW_REPLAY_ZERO},
	};

	(void)state;
	run_steps(steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_first_packets_below_window_size(void **state)
{
	/* With top < WINDOW nothing is old: top - WINDOW would wrap. */
	static const struct step steps[] = {
	    {1, UPDATE, W - 1, GW_REPLAY_OK}, {2, UPDATE, 1, GW_REPLAY_OK},
	    {3, UPDATE, W, GW_REPLAY_OK},     {4, CHECK, 1, GW_REPLAY_SEEN},
	    {5, UPDATE, W + 1, GW_REPLAY_OK}, {6, CHECK, 1, GW_REPLAY_OLD},
	    {7, CHECK, 2, GW_REPLAY_OK},
	};

	(void)state;
	run_steps(steps, sizeof(steps) / sizeof(steps[0]));
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * The ring must agree exactly with the definition: accept seq once if it
 * is above the top or less than WINDOW behind it.  The reference keeps one
 * bit per sequence number over a bounded range.
 */
static void test_random_walk_matches_reference(void **state)
{
	enum { RANGE = 1 << 25, STEPS = 300000 };
	uint64_t *seen = calloc(RANGE / 64, sizeof(uint64_t));
	uint64_t rng = 0x9e3779b97f4a7c15ULL, top = 0;
	int i, count[4] = {0}; /* by -result */
	struct gw_replay w;

	(void)state;
	assert_non_null(seen);
	gw_replay_init(&w);
	for (i = 0; i < STEPS; i++) {
		uint64_t r = xorshift(&rng), seq, x = (r >> 8) % (W + 200);
		int want, got;

		/* Mostly around the window, sometimes far ahead. */
		if (r % 64 == 0)
			seq = top + 1 + (r >> 8) % (RING + 512);
		else
			seq = top + 64 > x ? top + 64 - x : 0;
		if (seq >= RANGE)
			seq = (r >> 20) % RANGE;

		if (seq == 0)
			want = GW_REPLAY_ZERO;
		else if (seq > top)
			want = GW_REPLAY_OK;
		else if (top - seq >= W)
			want = GW_REPLAY_OLD;
		else if (seen[seq / 64] & (1ULL << (seq % 64)))
			want = GW_REPLAY_SEEN;
		else
			want = GW_REPLAY_OK;

		assert_int_equal(gw_replay_check(&w, seq), want);
		got = gw_replay_update(&w, seq);
		if (got != want)
			fail_msg("step %d seq %llu top %llu: got %d want %d", i,
				 (unsigned long long)seq,
				 (unsigned long long)top, got, want);
		count[-want]++;
		if (want == GW_REPLAY_OK) {
			seen[seq / 64] |= 1ULL << (seq % 64);
			if (seq > top)
				top = seq;
		}
		assert_int_equal(w.top, top);
	}
	print_message(
	    "random walk: %d ok, %d zero, %d seen, %d old, top %llu\n",
	    count[0], count[1], count[2], count[3], (unsigned long long)top);
	/* Every outcome must occur often for the walk to mean anything. */
	assert_true(count[0] > 10000);
	assert_true(count[2] > 10000);
	assert_true(count[3] > 10000);
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_is_empty),
	    cmocka_unit_test(test_window_edges),
	    cmocka_unit_test(test_jumps_longer_than_ring),
	    cmocka_unit_test(test_top_of_sequence_space),
	    cmocka_unit_test(test_first_packets_below_window_size),
	    cmocka_unit_test(test_random_walk_matches_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
