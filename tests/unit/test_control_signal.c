/*
 * gw-control's signalling rules: the retry schedule to the millisecond,
 * how many sends each type gets, which answers settle which signals,
 * version comparison for SOFTWARE_AVAILABLE, and the pending-signal text
 * with the malformed forms Redis could hand back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../controlplane/sigpolicy.h"

static void delay_doubles_to_the_cap(void **state)
{
	static const uint64_t want[] = {0,    200,  400,  800, 1600,
					3200, 5000, 5000, 5000};
	unsigned i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(gw_sigpolicy_delay_ms(i, 200, 5000), want[i]);
	assert_int_equal(gw_sigpolicy_delay_ms(1000, 200, 5000), 5000);
}

/* With the defaults, the eight sends of an unanswered signal leave at
 * these offsets from the first. */
static void default_schedule_offsets(void **state)
{
	static const uint64_t want[GW_SIG_MAX_TRIES_DEFAULT] = {
	    0, 200, 600, 1400, 3000, 6200, 11200, 16200};
	uint64_t at = 0;
	unsigned sent;

	for (sent = 1; sent <= GW_SIG_MAX_TRIES_DEFAULT; sent++) {
		assert_int_equal(at, want[sent - 1]);
		at += gw_sigpolicy_delay_ms(sent, GW_SIG_RETRY_MS_DEFAULT,
					    GW_SIG_RETRY_CAP_MS);
	}
}

static void delay_with_cap_below_base(void **state)
{
	assert_int_equal(gw_sigpolicy_delay_ms(1, 8000, 5000), 8000);
	assert_int_equal(gw_sigpolicy_delay_ms(3, 8000, 5000), 8000);
	assert_int_equal(gw_sigpolicy_delay_ms(3, 100, 5000), 400);
	assert_int_equal(gw_sigpolicy_delay_ms(64, 1, UINT64_MAX),
			 (uint64_t)1 << 63);
}

static void tries_per_type(void **state)
{
	assert_int_equal(gw_sigpolicy_max_tries(GW_SIG_CERT_RENEW, 8), 8);
	assert_int_equal(gw_sigpolicy_max_tries(GW_SIG_MESSAGE, 1), 1);
	assert_int_equal(gw_sigpolicy_max_tries(GW_SIG_SESSION_REVOKED, 8), 3);
	assert_int_equal(gw_sigpolicy_max_tries(GW_SIG_SESSION_REVOKED, 2), 2);
	assert_int_equal(gw_sigpolicy_wants_answer(GW_SIG_REKEY), 1);
	assert_int_equal(gw_sigpolicy_wants_answer(GW_SIG_SESSION_REVOKED), 0);
}

static void answers_settle_their_signals(void **state)
{
	/* RENEW settles any CERT_RENEW, FETCH only its package. */
	assert_int_equal(gw_sigpolicy_matches(GW_SIG_CERT_RENEW, "0A",
					      GW_SIG_CERT_RENEW, NULL),
			 1);
	assert_int_equal(
	    gw_sigpolicy_matches(GW_SIG_SOFTWARE_AVAILABLE, "gw@1.3.0",
				 GW_SIG_SOFTWARE_AVAILABLE, "gw@1.3.0"),
	    1);
	assert_int_equal(
	    gw_sigpolicy_matches(GW_SIG_SOFTWARE_AVAILABLE, "gw@1.3.0",
				 GW_SIG_SOFTWARE_AVAILABLE, "gw@1.2.0"),
	    0);
	assert_int_equal(
	    gw_sigpolicy_matches(GW_SIG_MESSAGE, "7", GW_SIG_MESSAGE, "17"), 0);
	assert_int_equal(
	    gw_sigpolicy_matches(GW_SIG_MESSAGE, "7", GW_SIG_REKEY, NULL), 0);
	assert_int_equal(
	    gw_sigpolicy_matches(GW_SIG_REKEY, NULL, GW_SIG_REKEY, NULL), 0);
}

static void outdated_versions(void **state)
{
	assert_int_equal(gw_sigpolicy_outdated("1.2.9", "1.3.0"), 1);
	assert_int_equal(gw_sigpolicy_outdated("1.9", "1.10"), 1);
	assert_int_equal(gw_sigpolicy_outdated("1.3", "1.3.0"), 0);
	assert_int_equal(gw_sigpolicy_outdated("1.3.1", "1.3.0"), 0);
	assert_int_equal(gw_sigpolicy_outdated("2", "1.99.99.99"), 0);
	/* Not comparable: left alone. */
	assert_int_equal(gw_sigpolicy_outdated("dev-build", "1.3.0"), 0);
	assert_int_equal(gw_sigpolicy_outdated("", "1.3.0"), 0);
	assert_int_equal(gw_sigpolicy_outdated(NULL, "1.3.0"), 0);
	assert_int_equal(gw_sigpolicy_outdated("01.2", "1.3"), 0);
}

static void member_round_trip(void **state)
{
	char m[GW_SIG_MEMBER_MAX], ref[GW_SIGNAL_REF_LEN + 1], longref[33];
	uint32_t sid = 0;
	uint8_t type = 0;

	assert_int_equal(
	    gw_sigpolicy_member(m, 42, GW_SIG_SOFTWARE_AVAILABLE, "gw@1.3.0"),
	    0);
	assert_string_equal(m, "42 2 gw@1.3.0");
	assert_int_equal(gw_sigpolicy_member_parse(m, &sid, &type, ref), 0);
	assert_int_equal(sid, 42);
	assert_int_equal(type, GW_SIG_SOFTWARE_AVAILABLE);
	assert_string_equal(ref, "gw@1.3.0");

	memset(longref, 'x', 32);
	longref[32] = '\0';
	assert_int_equal(
	    gw_sigpolicy_member(m, UINT32_MAX, GW_SIG_SESSION_REVOKED, longref),
	    0);
	assert_int_equal(gw_sigpolicy_member_parse(m, &sid, &type, ref), 0);
	assert_int_equal(sid, UINT32_MAX);
	assert_string_equal(ref, longref);
}

static void member_refuses_bad_input(void **state)
{
	static const char *const bad[] = {
	    "",
	    "42",
	    "42 2",
	    "42 2 ",
	    " 42 2 r",
	    "0 2 r",
	    "4294967296 2 r",
	    "42 0 r",
	    "42 6 r",
	    "42 x r",
	    "42 2 a b",
	    "42  2 r",
	    "-1 2 r",
	    "42 2 \x01",
	    "42 02x r",
	    "42 2 123456789012345678901234567890123",
	};
	char m[GW_SIG_MEMBER_MAX], ref[GW_SIGNAL_REF_LEN + 1];
	uint32_t sid = 7;
	uint8_t type = 9;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    gw_sigpolicy_member_parse(bad[i], &sid, &type, ref),
		    -EINVAL);
	assert_int_equal(sid, 7);
	assert_int_equal(type, 9);
	assert_int_equal(gw_sigpolicy_member_parse(NULL, &sid, &type, ref),
			 -EINVAL);
	assert_int_equal(gw_sigpolicy_member(m, 0, GW_SIG_REKEY, "1"), -EINVAL);
	assert_int_equal(gw_sigpolicy_member(m, 1, 6, "1"), -EINVAL);
	assert_int_equal(gw_sigpolicy_member(m, 1, GW_SIG_REKEY, ""), -EINVAL);
	assert_int_equal(gw_sigpolicy_member(m, 1, GW_SIG_REKEY, "a b"),
			 -EINVAL);
	assert_int_equal(gw_sigpolicy_member(m, 1, GW_SIG_REKEY, NULL),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(delay_doubles_to_the_cap),
	    cmocka_unit_test(default_schedule_offsets),
	    cmocka_unit_test(delay_with_cap_below_base),
	    cmocka_unit_test(tries_per_type),
	    cmocka_unit_test(answers_settle_their_signals),
	    cmocka_unit_test(outdated_versions),
	    cmocka_unit_test(member_round_trip),
	    cmocka_unit_test(member_refuses_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
