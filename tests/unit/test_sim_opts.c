/*
 * merchant-sim's command line: defaults, every accepted form, and the
 * exact refusal of each malformed or contradictory option.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../merchant-sim/opts.h"
#include "gw_decide.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define BASE                                                                   \
	"merchant-sim", "--control", "198.18.1.1:7443", "--ca", "root.crt",    \
	    "--secrets", "secrets", "--state-dir", "state", "--cards",         \
	    "cards.csv"

static struct sim_opts o;
static char err[256];

static int parse(int argc, char *const argv[])
{
	err[0] = '\0';
	return sim_opts_parse(&o, argc, argv, err, sizeof(err));
}

static void defaults_apply(void **state)
{
	char *const argv[] = {BASE};

	assert_int_equal(parse(ARGC(argv), argv), 0);
	assert_string_equal(o.host, "198.18.1.1");
	assert_string_equal(o.port, "7443");
	assert_string_equal(o.ca, "root.crt");
	assert_string_equal(o.secrets, "secrets");
	assert_string_equal(o.state_dir, "state");
	assert_string_equal(o.cards, "cards.csv");
	assert_int_equal(o.merchants, 0);
	assert_true(o.rate == 2000);
	assert_true(o.seconds == 10);
	assert_int_equal(o.seconds_set, 0);
	assert_int_equal(o.count_set, 0);
	assert_int_equal(o.inflight, 8);
	assert_int_equal(o.timeout_ms, 200);
	assert_int_equal(o.retries, 5);
	assert_int_equal(o.reverse_after, 3);
	assert_int_equal(o.reverse_after_set, 0);
	assert_null(o.answers_log);
	assert_true(o.partial_ratio == 0.3);
	assert_int_equal(o.referral_amount, GW_REFERRAL_DEFAULT);
	assert_int_equal(o.seed_set, 0);
	assert_null(o.report);
	assert_null(o.script);
	assert_int_equal(o.bad_input, 0);
	assert_int_equal(sim_opts_load_wanted(&o), 1);
	/* 198.18.0.1 in network order. */
	assert_memory_equal(&o.local_ip, "\xc6\x12\x00\x01", 4);
	assert_int_equal(o.closed_loop, 0);
	assert_int_equal(o.sessions_per_merchant, 1);
	assert_int_equal(o.warmup_ms, 500);
	assert_int_equal(o.warmup_set, 0);
	assert_int_equal(o.rate_set, 0);
	assert_null(o.hist);
	assert_int_equal(o.expect_echo, 0);
	assert_int_equal(o.dpdk, 0);
}

static void dpdk_mode_options_are_read(void **state)
{
	char *const argv[] = {BASE,
			      "--local-ip",
			      "10.1.2.3",
			      "--closed-loop=64",
			      "--sessions-per-merchant",
			      "1000",
			      "--warmup-ms",
			      "0",
			      "--hist",
			      "h.txt",
			      "--expect-echo"};

	assert_int_equal(parse(ARGC(argv), argv), 0);
	assert_memory_equal(&o.local_ip, "\x0a\x01\x02\x03", 4);
	assert_int_equal(o.closed_loop, 64);
	assert_int_equal(o.sessions_per_merchant, 1000);
	assert_int_equal(o.warmup_ms, 0);
	assert_int_equal(o.warmup_set, 1);
	assert_string_equal(o.hist, "h.txt");
	assert_int_equal(o.expect_echo, 1);
	assert_int_equal(sim_opts_load_wanted(&o), 1);
}

static void every_option_is_read(void **state)
{
	char *const argv[] = {BASE,
			      "--merchants",
			      "4",
			      "--rate=1500.5",
			      "--count",
			      "300",
			      "--inflight",
			      "2",
			      "--timeout-ms",
			      "50",
			      "--retries",
			      "0",
			      "--partial-ratio",
			      "1",
			      "--referral-amount",
			      "12345",
			      "--seed",
			      "18446744073709551615",
			      "--report",
			      "out.json",
			      "--bad-input"};

	assert_int_equal(parse(ARGC(argv), argv), 0);
	assert_int_equal(o.merchants, 4);
	assert_true(o.rate == 1500.5);
	assert_int_equal(o.count, 300);
	assert_int_equal(o.count_set, 1);
	assert_int_equal(o.inflight, 2);
	assert_int_equal(o.timeout_ms, 50);
	assert_int_equal(o.retries, 0);
	/* The default reversal follows a lower --retries. */
	assert_int_equal(o.reverse_after, 0);
	assert_true(o.partial_ratio == 1.0);
	assert_int_equal(o.referral_amount, 12345);
	assert_int_equal(o.seed, UINT64_MAX);
	assert_int_equal(o.seed_set, 1);
	assert_string_equal(o.report, "out.json");
	assert_int_equal(o.bad_input, 1);
	assert_int_equal(sim_opts_load_wanted(&o), 1);
}

static void reversal_options_are_read(void **state)
{
	char *const argv[] = {
	    BASE, "--retries",	   "8",		 "--reverse-after",
	    "8",  "--answers-log", "answers.txt"};
	char *const off[] = {BASE, "--reverse-after=0"};
	char *const low[] = {BASE, "--retries", "2"};
	char *const over[] = {BASE, "--retries", "2", "--reverse-after", "3"};

	assert_int_equal(parse(ARGC(argv), argv), 0);
	assert_int_equal(o.retries, 8);
	assert_int_equal(o.reverse_after, 8);
	assert_int_equal(o.reverse_after_set, 1);
	assert_string_equal(o.answers_log, "answers.txt");
	assert_int_equal(parse(ARGC(off), off), 0);
	assert_int_equal(o.reverse_after, 0);
	assert_int_equal(parse(ARGC(low), low), 0);
	assert_int_equal(o.reverse_after, 2);
	assert_int_equal(parse(ARGC(over), over), -EINVAL);
	assert_string_equal(err, "--reverse-after 3 exceeds --retries 2");
}

static void help_is_recognised(void **state)
{
	char *const argv[] = {"merchant-sim", "--rate", "5", "--help"};

	assert_int_equal(parse(ARGC(argv), argv), SIM_OPTS_HELP);
}

static const struct {
	const char *opt;
	const char *val;
	const char *msg;
} bad_values[] = {
    {"--control", "198.18.1.1", "--control: expected HOST:PORT"},
    {"--merchants", "0",
     "--merchants: expected a whole number from 1 to 65535"},
    {"--merchants", "4x",
     "--merchants: expected a whole number from 1 to 65535"},
    {"--merchants", "-1",
     "--merchants: expected a whole number from 1 to 65535"},
    {"--rate", "0", "--rate: expected a number from 0.001 to 1e+08"},
    {"--rate", "nan", "--rate: expected a number from 0.001 to 1e+08"},
    {"--rate", "", "--rate: expected a number from 0.001 to 1e+08"},
    {"--inflight", "0", "--inflight: expected a whole number from 1 to 4096"},
    {"--timeout-ms", "99999999999999999999999",
     "--timeout-ms: expected a whole number from 1 to 600000"},
    {"--partial-ratio", "1.5",
     "--partial-ratio: expected a number from 0 to 1"},
    {"--retries", "101", "--retries: expected a whole number from 0 to 100"},
    {"--seed", "18446744073709551616",
     "--seed: expected a whole number from 0 to 18446744073709551616"},
    {"--report", "", "--report: empty value"},
    {"--local-ip", "198.18.0", "--local-ip: expected a host's IPv4 address"},
    {"--local-ip", "0.0.0.0", "--local-ip: expected a host's IPv4 address"},
    {"--local-ip", "255.255.255.255",
     "--local-ip: expected a host's IPv4 address"},
    {"--local-ip", "::1", "--local-ip: expected a host's IPv4 address"},
    {"--closed-loop", "0",
     "--closed-loop: expected a whole number from 1 to 10000000"},
    {"--closed-loop", "10000001",
     "--closed-loop: expected a whole number from 1 to 10000000"},
    {"--sessions-per-merchant", "0",
     "--sessions-per-merchant: expected a whole number from 1 to 1000000"},
    {"--warmup-ms", "3600001",
     "--warmup-ms: expected a whole number from 0 to 3600000"},
    {"--hist", "", "--hist: empty value"},
};

static void bad_values_are_refused(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		char *const argv[] = {BASE, (char *)bad_values[i].opt,
				      (char *)bad_values[i].val};

		assert_int_equal(parse(ARGC(argv), argv), -EINVAL);
		assert_string_equal(err, bad_values[i].msg);
	}
}

static void unknown_and_malformed_options_are_refused(void **state)
{
	char *const unknown[] = {BASE, "--bogus"};
	char *const plain[] = {BASE, "extra"};
	char *const flagval[] = {BASE, "--bad-input=1"};
	char *const novalue[] = {BASE, "--rate"};
	char *const longname[] = {
	    BASE, "--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};

	assert_int_equal(parse(ARGC(unknown), unknown), -EINVAL);
	assert_string_equal(err, "unknown option --bogus");
	assert_int_equal(parse(ARGC(plain), plain), -EINVAL);
	assert_string_equal(err, "unexpected argument");
	assert_int_equal(parse(ARGC(flagval), flagval), -EINVAL);
	assert_string_equal(err, "--bad-input takes no value");
	assert_int_equal(parse(ARGC(novalue), novalue), -EINVAL);
	assert_string_equal(err, "--rate needs a value");
	assert_int_equal(parse(ARGC(longname), longname), -EINVAL);
	/* The echoed name is cut short. */
	assert_string_equal(err,
			    "unknown option --aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

static void required_options_are_named(void **state)
{
	char *const nocontrol[] = {
	    "merchant-sim", "--ca", "a",       "--secrets", "b",
	    "--state-dir",  "c",    "--cards", "d"};
	char *const nocards[] = {
	    "merchant-sim", "--control", "h:1",		"--ca", "a",
	    "--secrets",    "b",	 "--state-dir", "c"};

	assert_int_equal(parse(ARGC(nocontrol), nocontrol), -EINVAL);
	assert_string_equal(err, "--control is required");
	assert_int_equal(parse(ARGC(nocards), nocards), -EINVAL);
	assert_string_equal(err, "--cards is required");
}

static void contradictions_are_refused(void **state)
{
	char *const both[] = {BASE, "--seconds", "1", "--count", "5"};
	char *const script[] = {BASE, "--script", "s.csv", "--count", "5"};

	assert_int_equal(parse(ARGC(both), both), -EINVAL);
	assert_string_equal(err, "--seconds and --count exclude each other");
	assert_int_equal(parse(ARGC(script), script), -EINVAL);
	assert_string_equal(
	    err, "--script sends its own lines; drop --seconds and --count");
}

static void loop_contradictions_are_refused(void **state)
{
	char *const rate[] = {BASE, "--closed-loop", "8", "--rate", "100"};
	char *const script[] = {BASE, "--closed-loop", "8", "--script", "s"};
	char *const echo[] = {BASE, "--expect-echo", "--script", "s"};
	char *const echobad[] = {BASE, "--expect-echo", "--bad-input"};
	char *const echoflag[] = {BASE, "--expect-echo=yes"};

	assert_int_equal(parse(ARGC(rate), rate), -EINVAL);
	assert_string_equal(err, "--closed-loop and --rate exclude each other");
	assert_int_equal(parse(ARGC(script), script), -EINVAL);
	assert_string_equal(
	    err, "--script sends one request at a time; drop --closed-loop");
	assert_int_equal(parse(ARGC(echo), echo), -EINVAL);
	assert_string_equal(
	    err,
	    "--expect-echo checks no decisions; drop --script and --bad-input");
	assert_int_equal(parse(ARGC(echobad), echobad), -EINVAL);
	assert_string_equal(
	    err,
	    "--expect-echo checks no decisions; drop --script and --bad-input");
	assert_int_equal(parse(ARGC(echoflag), echoflag), -EINVAL);
	assert_string_equal(err, "--expect-echo takes no value");
}

static void load_follows_the_mode(void **state)
{
	char *const bad[] = {BASE, "--bad-input"};
	char *const badload[] = {BASE, "--bad-input", "--seconds", "2"};
	char *const script[] = {BASE, "--script", "s.csv"};
	char *const zero[] = {BASE, "--count", "0"};

	assert_int_equal(parse(ARGC(bad), bad), 0);
	assert_int_equal(sim_opts_load_wanted(&o), 0);
	assert_int_equal(parse(ARGC(badload), badload), 0);
	assert_int_equal(sim_opts_load_wanted(&o), 1);
	assert_true(o.seconds == 2);
	assert_int_equal(parse(ARGC(script), script), 0);
	assert_int_equal(sim_opts_load_wanted(&o), 0);
	assert_int_equal(parse(ARGC(zero), zero), 0);
	assert_int_equal(sim_opts_load_wanted(&o), 0);
}

static const struct {
	const char *in;
	int rc;
	const char *host;
	const char *port;
} hostports[] = {
    {"198.18.1.1:7443", 0, "198.18.1.1", "7443"},
    {"gw.example:1", 0, "gw.example", "1"},
    {"[::1]:65535", 0, "::1", "65535"},
    {"host", -EINVAL, NULL, NULL},
    {":80", -EINVAL, NULL, NULL},
    {"h:", -EINVAL, NULL, NULL},
    {"h:0", -EINVAL, NULL, NULL},
    {"h:65536", -EINVAL, NULL, NULL},
    {"h:80x", -EINVAL, NULL, NULL},
    {"h:+80", -EINVAL, NULL, NULL},
    {"::1:80", -EINVAL, NULL, NULL},
    {"[::1]80", -EINVAL, NULL, NULL},
    {"[]:80", -EINVAL, NULL, NULL},
};

static void host_and_port_are_split(void **state)
{
	char host[16], port[6];
	size_t i;

	for (i = 0; i < sizeof(hostports) / sizeof(hostports[0]); i++) {
		int rc = sim_opts_hostport(hostports[i].in, host, sizeof(host),
					   port);

		assert_int_equal(rc, hostports[i].rc);
		if (rc != 0)
			continue;
		assert_string_equal(host, hostports[i].host);
		assert_string_equal(port, hostports[i].port);
	}
	/* A host that does not fit the buffer is refused, not cut. */
	assert_int_equal(
	    sim_opts_hostport("abcdefghijklmnop:1", host, sizeof(host), port),
	    -EINVAL);
}

static void dpdk_arguments_are_split_at_the_dashes(void **state)
{
	char *argv[] = {"merchant-sim",	 "--dpdk", "-l",	"0",
			"--no-huge",	 "--",	   "--control", "h:1",
			"--closed-loop", "8"};
	char *noeal[] = {"merchant-sim", "--dpdk", "--", "--help"};
	char *nodash[] = {"merchant-sim", "--dpdk", "-l", "0"};
	char *kernel[] = {"merchant-sim", "--control", "h:1", "--dpdk"};
	char **eal = NULL, **own = NULL;
	int neal = -1, nown = -1;

	assert_int_equal(
	    sim_opts_split(ARGC(argv), argv, &eal, &neal, &own, &nown), 1);
	assert_int_equal(neal, 4);
	assert_string_equal(eal[0], "merchant-sim");
	assert_string_equal(eal[1], "-l");
	assert_string_equal(eal[3], "--no-huge");
	assert_null(eal[4]);
	assert_int_equal(nown, 5);
	assert_string_equal(own[0], "merchant-sim");
	assert_string_equal(own[1], "--control");
	assert_string_equal(own[4], "8");
	assert_null(own[5]);

	/* No EAL options at all is the EAL's to judge, not ours. */
	assert_int_equal(
	    sim_opts_split(ARGC(noeal), noeal, &eal, &neal, &own, &nown), 1);
	assert_int_equal(neal, 1);
	assert_int_equal(nown, 2);
	assert_string_equal(own[1], "--help");
	assert_int_equal(parse(nown, own), SIM_OPTS_HELP);

	assert_int_equal(
	    sim_opts_split(ARGC(nodash), nodash, &eal, &neal, &own, &nown),
	    -EINVAL);
	/* --dpdk anywhere but first is an ordinary (unknown) option. */
	assert_int_equal(
	    sim_opts_split(ARGC(kernel), kernel, &eal, &neal, &own, &nown), 0);
	assert_ptr_equal(own, kernel);
	assert_int_equal(nown, 4);
	assert_int_equal(parse(nown, own), -EINVAL);
	assert_string_equal(err, "unknown option --dpdk");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_apply),
	    cmocka_unit_test(every_option_is_read),
	    cmocka_unit_test(reversal_options_are_read),
	    cmocka_unit_test(help_is_recognised),
	    cmocka_unit_test(bad_values_are_refused),
	    cmocka_unit_test(unknown_and_malformed_options_are_refused),
	    cmocka_unit_test(required_options_are_named),
	    cmocka_unit_test(contradictions_are_refused),
	    cmocka_unit_test(dpdk_mode_options_are_read),
	    cmocka_unit_test(loop_contradictions_are_refused),
	    cmocka_unit_test(dpdk_arguments_are_split_at_the_dashes),
	    cmocka_unit_test(load_follows_the_mode),
	    cmocka_unit_test(host_and_port_are_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
