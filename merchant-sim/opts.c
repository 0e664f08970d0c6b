/*
 * merchant-sim's command line: a table of options, each with the parser
 * of its value and the range it accepts.  Nothing here opens files; the
 * modules that use a path report its problems.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_decide.h"
#include "gw_pki.h"
#include "opts.h"

struct opt;
typedef int (*opt_fn)(struct sim_opts *o, const struct opt *d, const char *val,
		      char *err, size_t errlen);

struct opt {
	const char *name;
	opt_fn parse; /* NULL: a flag without value */
	size_t off;
	double min;
	double max;
	size_t set_off; /* offset of an int set to 1 when given, or 0 */
};

static void *field(struct sim_opts *o, size_t off)
{
	return (char *)o + off;
}

static int opt_str(struct sim_opts *o, const struct opt *d, const char *val,
		   char *err, size_t errlen)
{
	if (val[0] == '\0') {
		snprintf(err, errlen, "--%s: empty value", d->name);
		return -EINVAL;
	}
	*(const char **)field(o, d->off) = val;
	return 0;
}

static int opt_u64(struct sim_opts *o, const struct opt *d, const char *val,
		   char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (val[0] < '0' || val[0] > '9' || *end != '\0' || errno != 0 ||
	    (double)v < d->min || (double)v > d->max) {
		snprintf(err, errlen,
			 "--%s: expected a whole number from %.0f to %.0f",
			 d->name, d->min, d->max);
		return -EINVAL;
	}
	*(uint64_t *)field(o, d->off) = v;
	return 0;
}

static int opt_double(struct sim_opts *o, const struct opt *d, const char *val,
		      char *err, size_t errlen)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(val, &end);
	if (end == val || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < d->min || v > d->max) {
		snprintf(err, errlen, "--%s: expected a number from %g to %g",
			 d->name, d->min, d->max);
		return -EINVAL;
	}
	*(double *)field(o, d->off) = v;
	return 0;
}

static int opt_control(struct sim_opts *o, const struct opt *d, const char *val,
		       char *err, size_t errlen)
{
	if (sim_opts_hostport(val, o->host, sizeof(o->host), o->port) < 0) {
		snprintf(err, errlen, "--%s: expected HOST:PORT", d->name);
		return -EINVAL;
	}
	return 0;
}

static int opt_ipv4(struct sim_opts *o, const struct opt *d, const char *val,
		    char *err, size_t errlen)
{
	struct in_addr in;

	if (inet_pton(AF_INET, val, &in) != 1 || in.s_addr == 0 ||
	    in.s_addr == INADDR_BROADCAST) {
		snprintf(err, errlen, "--%s: expected a host's IPv4 address",
			 d->name);
		return -EINVAL;
	}
	*(uint32_t *)field(o, d->off) = in.s_addr;
	return 0;
}

/* A version the installer can compare: one to four dotted numbers. */
static int opt_version(struct sim_opts *o, const struct opt *d, const char *val,
		       char *err, size_t errlen)
{
	int cmp;

	if (gw_pki_version_cmp(val, val, &cmp) != 0) {
		snprintf(err, errlen,
			 "--%s: expected one to four dotted numbers", d->name);
		return -EINVAL;
	}
	*(const char **)field(o, d->off) = val;
	return 0;
}

#define OFF(f) offsetof(struct sim_opts, f)

/* Ranges keep a typo from running for days or allocating the world. */
static const struct opt opts[] = {
    {"control", opt_control, 0, 0, 0, 0},
    {"ca", opt_str, OFF(ca), 0, 0, 0},
    {"secrets", opt_str, OFF(secrets), 0, 0, 0},
    {"state-dir", opt_str, OFF(state_dir), 0, 0, 0},
    {"cards", opt_str, OFF(cards), 0, 0, 0},
    {"merchants", opt_u64, OFF(merchants), 1, 65535, 0},
    {"rate", opt_double, OFF(rate), 0.001, 1e8, OFF(rate_set)},
    {"seconds", opt_double, OFF(seconds), 0.001, 1e7, OFF(seconds_set)},
    {"count", opt_u64, OFF(count), 0, 1e12, OFF(count_set)},
    {"inflight", opt_u64, OFF(inflight), 1, 4096, 0},
    {"timeout-ms", opt_u64, OFF(timeout_ms), 1, 600000, 0},
    {"retries", opt_u64, OFF(retries), 0, 100, 0},
    {"reverse-after", opt_u64, OFF(reverse_after), 0, 100,
     OFF(reverse_after_set)},
    {"partial-ratio", opt_double, OFF(partial_ratio), 0, 1, 0},
    {"referral-amount", opt_u64, OFF(referral_amount), 0, 1e15, 0},
    {"seed", opt_u64, OFF(seed), 0, 18446744073709551615.0, OFF(seed_set)},
    {"report", opt_str, OFF(report), 0, 0, 0},
    {"answers-log", opt_str, OFF(answers_log), 0, 0, 0},
    {"script", opt_str, OFF(script), 0, 0, 0},
    {"bad-input", NULL, OFF(bad_input), 0, 0, 0},
    {"local-ip", opt_ipv4, OFF(local_ip), 0, 0, 0},
    {"closed-loop", opt_u64, OFF(closed_loop), 1, 1e7, 0},
    {"sessions-per-merchant", opt_u64, OFF(sessions_per_merchant), 1, 1e6, 0},
    {"warmup-ms", opt_u64, OFF(warmup_ms), 0, 3600000, OFF(warmup_set)},
    {"hist", opt_str, OFF(hist), 0, 0, 0},
    {"expect-echo", NULL, OFF(expect_echo), 0, 0, 0},
    {"signals", NULL, OFF(signals), 0, 0, 0},
    {"software-version", opt_version, OFF(software_version), 0, 0, 0},
    {"install-dir", opt_str, OFF(install_dir), 0, 0, 0},
    {"signal-port-base", opt_u64, OFF(signal_port_base), 1, 65535,
     OFF(signal_port_base_set)},
    {"signal-save", opt_str, OFF(signal_save), 0, 0, 0},
};

int sim_opts_hostport(const char *s, char *host, size_t hostlen, char port[6])
{
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long p;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen)
		return -EINVAL;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
	    p == 0 || p > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, 6, "%lu", p);
	return 0;
}

static void defaults(struct sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rate = SIM_DEFAULT_RATE;
	o->seconds = SIM_DEFAULT_SECONDS;
	o->inflight = SIM_DEFAULT_INFLIGHT;
	o->timeout_ms = SIM_DEFAULT_TIMEOUT_MS;
	o->retries = SIM_DEFAULT_RETRIES;
	o->reverse_after = SIM_DEFAULT_REVERSE;
	o->partial_ratio = SIM_DEFAULT_PARTIAL;
	o->referral_amount = GW_REFERRAL_DEFAULT;
	o->sessions_per_merchant = 1;
	o->warmup_ms = SIM_DEFAULT_WARMUP_MS;
	o->software_version = SIM_DEFAULT_VERSION;
	inet_pton(AF_INET, SIM_DEFAULT_LOCAL_IP, &o->local_ip);
}

static const struct opt *lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].name) == len &&
		    memcmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* Pairs of options that contradict each other. */
static int exclusive(const struct sim_opts *o, char *err, size_t errlen)
{
	if (o->closed_loop && o->rate_set) {
		snprintf(err, errlen,
			 "--closed-loop and --rate exclude each other");
		return -EINVAL;
	}
	if (o->closed_loop && o->script) {
		snprintf(
		    err, errlen,
		    "--script sends one request at a time; drop --closed-loop");
		return -EINVAL;
	}
	if (o->reverse_after_set && o->reverse_after > o->retries) {
		snprintf(err, errlen,
			 "--reverse-after %llu exceeds --retries %llu",
			 (unsigned long long)o->reverse_after,
			 (unsigned long long)o->retries);
		return -EINVAL;
	}
	if (o->expect_echo && (o->script || o->bad_input)) {
		snprintf(
		    err, errlen,
		    "--expect-echo checks no decisions; drop --script and --bad-input");
		return -EINVAL;
	}
	return 0;
}

static int required(const struct sim_opts *o, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
	} req[] = {
	    {"ca", OFF(ca)},
	    {"secrets", OFF(secrets)},
	    {"state-dir", OFF(state_dir)},
	    {"cards", OFF(cards)},
	};
	size_t i;

	if (o->host[0] == '\0') {
		snprintf(err, errlen, "--control is required");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		if (*(const char *const *)((const char *)o + req[i].off))
			continue;
		snprintf(err, errlen, "--%s is required", req[i].name);
		return -EINVAL;
	}
	if (o->seconds_set && o->count_set) {
		snprintf(err, errlen,
			 "--seconds and --count exclude each other");
		return -EINVAL;
	}
	if (o->script && (o->seconds_set || o->count_set)) {
		snprintf(
		    err, errlen,
		    "--script sends its own lines; drop --seconds and --count");
		return -EINVAL;
	}
	return exclusive(o, err, errlen);
}

/* One option at argv[*i]; advances *i past its value. */
static int one(struct sim_opts *o, int argc, char *const argv[], int *i,
	       char *err, size_t errlen)
{
	const char *arg = argv[*i], *eq, *val;
	const struct opt *d;
	size_t len;
	char shown[40];

	if (strncmp(arg, "--", 2) != 0) {
		snprintf(err, errlen, "unexpected argument");
		return -EINVAL;
	}
	eq = strchr(arg + 2, '=');
	len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	d = lookup(arg + 2, len);
	if (!d) {
		/* The argument is the user's own, but keep it short. */
		snprintf(shown, sizeof(shown), "%.32s", arg);
		snprintf(err, errlen, "unknown option %s", shown);
		return -EINVAL;
	}
	if (!d->parse) {
		if (eq) {
			snprintf(err, errlen, "--%s takes no value", d->name);
			return -EINVAL;
		}
		*(int *)field(o, d->off) = 1;
		return 0;
	}
	if (eq) {
		val = eq + 1;
	} else {
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "--%s needs a value", d->name);
			return -EINVAL;
		}
		val = argv[++*i];
	}
	if (d->set_off)
		*(int *)field(o, d->set_off) = 1;
	return d->parse(o, d, val, err, errlen);
}

int sim_opts_parse(struct sim_opts *o, int argc, char *const argv[], char *err,
		   size_t errlen)
{
	int i, rc;

	defaults(o);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return SIM_OPTS_HELP;
		rc = one(o, argc, argv, &i, err, errlen);
		if (rc < 0)
			return rc;
	}
	/* The default follows a lower --retries rather than refusing it. */
	if (!o->reverse_after_set && o->reverse_after > o->retries)
		o->reverse_after = o->retries;
	return required(o, err, errlen);
}

#define SPLIT_MAX 4096

int sim_opts_split(int argc, char **argv, char ***eal, int *neal, char ***own,
		   int *nown)
{
	static char *v[2][SPLIT_MAX];
	int dd;

	*own = argv;
	*nown = argc;
	if (argc < 2 || strcmp(argv[1], "--dpdk") != 0)
		return 0;
	for (dd = 2; dd < argc && strcmp(argv[dd], "--") != 0; dd++)
		;
	if (dd == argc || argc > SPLIT_MAX)
		return -EINVAL;
	v[0][0] = v[1][0] = argv[0];
	memcpy(&v[0][1], &argv[2], (size_t)(dd - 2) * sizeof(char *));
	memcpy(&v[1][1], &argv[dd + 1],
	       (size_t)(argc - dd - 1) * sizeof(char *));
	v[0][dd - 1] = v[1][argc - dd] = NULL;
	*eal = v[0];
	*neal = dd - 1;
	*own = v[1];
	*nown = argc - dd;
	return 1;
}

int sim_opts_load_wanted(const struct sim_opts *o)
{
	if (o->script)
		return 0;
	/* A bad-input run sends only what it needs unless asked for load. */
	if (o->bad_input && !o->seconds_set && !o->count_set)
		return 0;
	return !o->count_set || o->count > 0;
}

void sim_opts_usage(FILE *f)
{
	fputs(
	    "usage: merchant-sim --control HOST:PORT --ca ROOT.crt --secrets FILE\n"
	    "                    --state-dir DIR --cards FILE [options]\n"
	    "\n"
	    "Simulated merchant servers: enroll with gw-control, open sessions, send\n"
	    "authorizations to the data plane and check every answer.\n"
	    "\n"
	    "  --merchants N        merchants to run (default: every line of --secrets)\n"
	    "  --rate R             requests per second, all merchants (default 2000)\n"
	    "  --seconds S          send for S seconds (default 10)\n"
	    "  --count C            send C requests instead\n"
	    "  --inflight K         outstanding requests per merchant (default 8)\n"
	    "  --timeout-ms T       retransmit after T ms without answer (default 200)\n"
	    "  --retries N          retransmissions before a timeout (default 5)\n"
	    "  --reverse-after N    after N retransmissions without an answer, reverse\n"
	    "                       the request instead (default 3, at most --retries;\n"
	    "                       0: never); the reversal has --retries of its own\n"
	    "  --partial-ratio F    share of requests accepting partial approval (0.3)\n"
	    "  --referral-amount N  the data plane's referral amount (default 500000)\n"
	    "  --seed N             seed of the traffic's random choices\n"
	    "  --report FILE        write the results as JSON to FILE\n"
	    "  --answers-log FILE   one line per answer: merchant, txn id, type, code,\n"
	    "                       amount, gateway reference, approval code, masked card\n"
	    "  --script FILE        send FILE's requests in order, one at a time:\n"
	    "                       pan,expiry,amount,flags,expected_code,expected_amount\n"
	    "  --bad-input          send one datagram of each malformed kind and expect\n"
	    "                       no answer (alone: with one valid request, no load)\n"
	    "  --closed-loop K      keep K requests outstanding in all instead of --rate\n"
	    "  --sessions-per-merchant N  sessions each merchant opens (default 1)\n"
	    "  --warmup-ms M        send for M ms before measuring (default 500 with\n"
	    "                       --dpdk, else 0 unless given)\n"
	    "  --hist FILE          latency buckets: lower us, upper us, count per line\n"
	    "  --expect-echo        the data plane echoes requests (gw-dataplane --echo):\n"
	    "                       match each by its bytes, check no decision\n"
	    "  --software-version V the version SESSION reports (default 1.0.0)\n"
	    "  --signals            listen for the gateway's service signals (link 2)\n"
	    "                       and react: renew, install, rekey, show messages,\n"
	    "                       stop on revocation (kernel mode only)\n"
	    "  --signal-port-base N merchant i listens on port N + i (default: any)\n"
	    "  --install-dir DIR    install packages in DIR/<merchant> (default\n"
	    "                       <state-dir>/<merchant>/software)\n"
	    "  --signal-save FILE   keep the last signal accepted, as received\n"
	    "\n"
	    "DPDK mode: merchant-sim --dpdk <EAL options> -- <options above>\n"
	    "  [--local-ip A.B.C.D] (default " SIM_DEFAULT_LOCAL_IP ")\n"
	    "Enrollment and sessions go over kernel TLS; requests and answers over\n"
	    "DPDK port 0 from the main lcore.\n"
	    "\n"
	    "Exit status: 0 when every request was answered as expected (requests\n"
	    "abandoned because the gateway revoked their session excepted), 1\n"
	    "otherwise, 2 on a usage error.\n",
	    f);
}
