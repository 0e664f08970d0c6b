/*
 * Data-plane session table: lookups, refreshes that keep the replay
 * window, revocation, sessions that vanished from the store, removal after
 * the grace period, and adversarial ids that collide in the table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sessions.h"

#define NOW 1700000000ull

static struct gw_sessrec rec(uint32_t id, uint8_t state)
{
	struct gw_sessrec r = {.id = id, .expires = NOW + 3600, .state = state};

	snprintf(r.merchant, sizeof(r.merchant), "merchant-%u", id);
	memset(r.secret, (int)id, sizeof(r.secret));
	return r;
}

static void open_then_lookup_finds_exactly_that_session(void **state)
{
	struct gw_sessions *t = gw_sessions_new(8);
	struct gw_sessrec r = rec(42, GW_SESS_ACTIVE);
	struct gw_session_keys want;
	struct gw_session *s;

	assert_int_equal(gw_sessions_open(t, &r, 1, NOW), 0);
	s = gw_sessions_lookup(t, 42);
	assert_non_null(s);
	assert_int_equal(s->id, 42);
	assert_string_equal(s->merchant, "merchant-42");
	assert_int_equal(gw_session_state(s), GW_SESS_ACTIVE);
	assert_int_equal(gw_kdf_session(r.secret, 42, &want), 0);
	assert_memory_equal(want.m2g.salt, s->keys.m2g.salt, GW_AEAD_SALT_LEN);
	assert_memory_equal(want.g2m.salt, s->keys.g2m.salt, GW_AEAD_SALT_LEN);
	assert_null(gw_sessions_lookup(t, 43));
	assert_null(gw_sessions_lookup(t, 0));
	assert_int_equal(gw_sessions_count(t), 1);
	gw_sessions_free(t);
}

static void reopening_keeps_the_replay_window(void **state)
{
	struct gw_sessions *t = gw_sessions_new(8);
	struct gw_sessrec r = rec(5, GW_SESS_ACTIVE);
	struct gw_session *s;

	assert_int_equal(gw_sessions_open(t, &r, 1, NOW), 0);
	s = gw_sessions_lookup(t, 5);
	assert_int_equal(gw_replay_update(&s->m2g, 77), GW_REPLAY_OK);
	r.expires = NOW + 7200;
	assert_int_equal(gw_sessions_open(t, &r, 2, NOW), 0);
	assert_ptr_equal(gw_sessions_lookup(t, 5), s);
	assert_int_equal(s->expires, NOW + 7200);
	assert_int_equal(gw_replay_check(&s->m2g, 77), GW_REPLAY_SEEN);
	assert_int_equal(gw_sessions_count(t), 1);
	gw_sessions_free(t);
}

static void revocation_is_final_and_visible(void **state)
{
	struct gw_sessions *t = gw_sessions_new(8);
	struct gw_sessrec r = rec(9, GW_SESS_ACTIVE);
	struct gw_session *s;

	assert_int_equal(gw_sessions_open(t, &r, 1, NOW), 0);
	s = gw_sessions_lookup(t, 9);
	assert_int_equal(gw_sessions_revoke(t, 9, NOW), 0);
	assert_int_equal(gw_session_state(s), GW_SESS_REVOKED);
	/* A stale "active" record must not bring it back. */
	assert_int_equal(gw_sessions_open(t, &r, 1, NOW), 0);
	assert_int_equal(gw_session_state(s), GW_SESS_REVOKED);
	assert_int_equal(gw_sessions_revoke(t, 10, NOW), -ENOENT);
	/* A revoked record of an unknown session is not inserted. */
	r = rec(11, GW_SESS_REVOKED);
	assert_int_equal(gw_sessions_open(t, &r, 1, NOW), 0);
	assert_null(gw_sessions_lookup(t, 11));
	gw_sessions_free(t);
}

static void sessions_missing_from_a_scan_are_revoked(void **state)
{
	struct gw_sessions *t = gw_sessions_new(8);
	struct gw_sessrec a = rec(1, GW_SESS_ACTIVE),
			  b = rec(2, GW_SESS_ACTIVE);

	assert_int_equal(gw_sessions_open(t, &a, 1, NOW), 0);
	assert_int_equal(gw_sessions_open(t, &b, 1, NOW), 0);
	assert_int_equal(gw_sessions_open(t, &a, 2, NOW), 0);
	assert_int_equal(gw_sessions_revoke_unseen(t, 2, NOW), 1);
	assert_int_equal(gw_session_state(gw_sessions_lookup(t, 1)),
			 GW_SESS_ACTIVE);
	assert_int_equal(gw_session_state(gw_sessions_lookup(t, 2)),
			 GW_SESS_REVOKED);
	gw_sessions_free(t);
}

static void sweep_removes_only_after_the_grace_period(void **state)
{
	struct gw_sessions *t = gw_sessions_new(8);
	struct gw_sessrec a = rec(1, GW_SESS_ACTIVE),
			  b = rec(2, GW_SESS_ACTIVE);

	assert_int_equal(gw_sessions_open(t, &a, 1, NOW), 0);
	assert_int_equal(gw_sessions_open(t, &b, 1, NOW), 0);
	assert_int_equal(gw_sessions_revoke(t, 1, NOW), 0);
	gw_sessions_sweep(t, NOW + 299);
	assert_int_equal(gw_sessions_count(t), 2);
	gw_sessions_sweep(t, NOW + 300);
	assert_int_equal(gw_sessions_count(t), 1);
	assert_null(gw_sessions_lookup(t, 1));
	assert_non_null(gw_sessions_lookup(t, 2));
	gw_sessions_sweep(t, NOW + 3600 + 300);
	assert_int_equal(gw_sessions_count(t), 0);
	assert_null(gw_sessions_lookup(t, 2));
	/* The freed slots take new sessions. */
	a = rec(3, GW_SESS_ACTIVE);
	assert_int_equal(gw_sessions_open(t, &a, 1, NOW), 0);
	assert_non_null(gw_sessions_lookup(t, 3));
	gw_sessions_free(t);
}

/* The j-th id that the table's multiplicative hash sends to slot 0. */
static uint32_t colliding(uint32_t j)
{
	const uint32_t k = 2654435769u;
	uint32_t inv = k;
	int i;

	for (i = 0; i < 5; i++)
		inv *= 2 - k * inv; /* Newton's step for the inverse mod 2^32 */
	return j * inv;
}

static void colliding_ids_fill_the_probe_run_then_refuse(void **state)
{
	struct gw_sessions *t = gw_sessions_new(8);
	struct gw_sessrec r;
	uint32_t j;

	for (j = 1; j <= 32; j++) {
		r = rec(colliding(j), GW_SESS_ACTIVE);
		assert_int_equal(gw_sessions_open(t, &r, 1, NOW), 0);
	}
	/* A 33rd would need a 33rd probe: refused, so that no lookup ever
	 * probes further, whatever ids a sender makes up. */
	r = rec(colliding(33), GW_SESS_ACTIVE);
	assert_int_equal(gw_sessions_open(t, &r, 1, NOW), -ENOSPC);
	for (j = 1; j <= 32; j++)
		assert_int_equal(gw_sessions_lookup(t, colliding(j))->id,
				 colliding(j));
	assert_null(gw_sessions_lookup(t, colliding(33)));
	/* An id elsewhere in the table is unaffected. */
	r = rec(colliding(1) + 1, GW_SESS_ACTIVE);
	assert_int_equal(gw_sessions_open(t, &r, 1, NOW), 0);
	assert_int_equal(gw_sessions_count(t), 33);
	gw_sessions_free(t);
}

static void bad_records_are_refused(void **state)
{
	struct gw_sessions *t = gw_sessions_new(8);
	struct gw_sessrec r = rec(0, GW_SESS_ACTIVE);

	assert_int_equal(gw_sessions_open(t, &r, 1, NOW), -EINVAL);
	r = rec(4, GW_SESS_ACTIVE);
	strcpy(r.merchant, "bad merchant");
	assert_int_equal(gw_sessions_open(t, &r, 1, NOW), -EINVAL);
	assert_int_equal(gw_sessions_count(t), 0);
	assert_null(gw_sessions_new(3));
	gw_sessions_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(open_then_lookup_finds_exactly_that_session),
	    cmocka_unit_test(reopening_keeps_the_replay_window),
	    cmocka_unit_test(revocation_is_final_and_visible),
	    cmocka_unit_test(sessions_missing_from_a_scan_are_revoked),
	    cmocka_unit_test(sweep_removes_only_after_the_grace_period),
	    cmocka_unit_test(colliding_ids_fill_the_probe_run_then_refuse),
	    cmocka_unit_test(bad_records_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
