/*
 * Command-line options of gw-dataplane: defaults, ranges and the usage
 * text.  Every rejected option is named in a one-line message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gw_decide.h"
#include "gw_wire.h"
#include "ledger.h"
#include "opts.h"

enum {
	OPT_ADDR = 256,
	OPT_UDP_PORT,
	OPT_CREDIT,
	OPT_MASTER,
	OPT_REDIS,
	OPT_REFERRAL,
	OPT_IDLE,
	OPT_STATS,
	OPT_PORT,
	OPT_ECHO,
	OPT_JOURNAL,
	OPT_FSYNC,
	OPT_FSYNC_MS,
	OPT_DUP_WINDOW,
	OPT_CAPACITY,
	OPT_BALANCES,
	OPT_HELP,
};

static const struct option longopts[] = {
    {"addr", required_argument, NULL, OPT_ADDR},
    {"udp-port", required_argument, NULL, OPT_UDP_PORT},
    {"credit-lines", required_argument, NULL, OPT_CREDIT},
    {"master-key", required_argument, NULL, OPT_MASTER},
    {"redis", required_argument, NULL, OPT_REDIS},
    {"referral-amount", required_argument, NULL, OPT_REFERRAL},
    {"idle-sleep-us", required_argument, NULL, OPT_IDLE},
    {"stats", required_argument, NULL, OPT_STATS},
    {"port", required_argument, NULL, OPT_PORT},
    {"echo", no_argument, NULL, OPT_ECHO},
    {"journal-dir", required_argument, NULL, OPT_JOURNAL},
    {"fsync", required_argument, NULL, OPT_FSYNC},
    {"fsync-interval-ms", required_argument, NULL, OPT_FSYNC_MS},
    {"dup-window", required_argument, NULL, OPT_DUP_WINDOW},
    {"ledger-capacity", required_argument, NULL, OPT_CAPACITY},
    {"balances", required_argument, NULL, OPT_BALANCES},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

void gw_opts_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: gw-dataplane [EAL options] -- --addr IPv4 [--udp-port N]\n"
	    "         --credit-lines FILE --master-key FILE --redis SOCKET\n"
	    "         [--referral-amount N] [--idle-sleep-us N]\n"
	    "         [--stats FILE] [--port N] [--echo]\n"
	    "         --journal-dir DIR [--fsync always|batch|none]\n"
	    "         [--fsync-interval-ms N] [--dup-window S]\n"
	    "         [--ledger-capacity N] [--balances FILE]\n"
	    "\n"
	    "  --addr IPv4           the gateway's address on the port\n"
	    "  --udp-port N          protocol port (default %d)\n"
	    "  --credit-lines FILE   card credit lines\n"
	    "  --master-key FILE     32-byte appliance master key, mode 0600\n"
	    "  --redis SOCKET        unix socket of the Redis with the sessions\n"
	    "  --referral-amount N   refer amounts above N (default %d)\n"
	    "  --idle-sleep-us N     sleep when idle; 0 never (default 0)\n"
	    "  --stats FILE          JSON counters, rewritten every second\n"
	    "  --port N              DPDK port to serve (default 0)\n"
	    "  --echo                benchmark baseline: send every datagram\n"
	    "                        for the protocol port straight back\n"
	    "  --journal-dir DIR     the per-worker journals of decisions,\n"
	    "                        replayed at start (not needed with --echo)\n"
	    "  --fsync POLICY        always: sync before every response burst;\n"
	    "                        batch: at most every interval (default);\n"
	    "                        none: leave it to the kernel\n"
	    "  --fsync-interval-ms N the batch interval (default %d)\n"
	    "  --dup-window S        seconds a transaction id answers repeats\n"
	    "                        with the original decision (default %d)\n"
	    "  --ledger-capacity N   transactions held per run (default %d)\n"
	    "  --balances FILE       on SIGUSR1 and at stop, every card's\n"
	    "                        masked number, token and open-to-buy\n",
	    GW_WIRE_DEFAULT_PORT, GW_REFERRAL_DEFAULT,
	    GW_JOURNAL_BATCH_MS_DEFAULT, GW_LEDGER_DUP_WINDOW_DEFAULT,
	    GW_OPTS_LEDGER_CAPACITY);
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "gw-dataplane: --%s %s: %s\n", opt, val, why);
	return -EINVAL;
}

static int number(const char *opt, const char *val, uint64_t min, uint64_t max,
		  uint64_t *out)
{
	char *end;

	errno = 0;
	if (*val < '0' || *val > '9')
		return bad(opt, val, "not a number");
	*out = strtoull(val, &end, 10);
	if (errno != 0 || *end != '\0')
		return bad(opt, val, "not a number");
	if (*out < min || *out > max) {
		fprintf(stderr,
			"gw-dataplane: --%s %s: out of range %" PRIu64
			"..%" PRIu64 "\n",
			opt, val, min, max);
		return -EINVAL;
	}
	return 0;
}

static int fsync_policy(struct gw_opts *o, const char *v)
{
	static const struct {
		const char *name;
		enum gw_fsync_policy p;
	} names[] = {
	    {"always", GW_FSYNC_ALWAYS},
	    {"batch", GW_FSYNC_BATCH},
	    {"none", GW_FSYNC_NONE},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i].name) == 0) {
			o->fsync = names[i].p;
			return 0;
		}
	}
	return bad("fsync", v, "not always, batch or none");
}

static int one(struct gw_opts *o, int c, const char *v)
{
	struct in_addr in;
	uint64_t n = 0;
	int rc = 0;

	switch (c) {
	case OPT_ADDR:
		if (inet_pton(AF_INET, v, &in) != 1)
			return bad("addr", v, "not an IPv4 address");
		if (in.s_addr == 0 || in.s_addr == INADDR_BROADCAST)
			return bad("addr", v, "not a host address");
		o->addr = in.s_addr;
		return 0;
	case OPT_CREDIT:
		o->credit_lines = v;
		return 0;
	case OPT_MASTER:
		o->master_key = v;
		return 0;
	case OPT_REDIS:
		o->redis = v;
		return 0;
	case OPT_STATS:
		o->stats = v;
		return 0;
	case OPT_UDP_PORT:
		rc = number("udp-port", v, 1, 65535, &n);
		o->udp_port = (uint16_t)n;
		return rc;
	case OPT_REFERRAL:
		rc = number("referral-amount", v, 1, UINT64_MAX, &n);
		o->referral_amount = n;
		return rc;
	case OPT_IDLE:
		rc = number("idle-sleep-us", v, 0, 1000000, &n);
		o->idle_sleep_us = (uint32_t)n;
		return rc;
	case OPT_PORT:
		rc = number("port", v, 0, UINT16_MAX - 1, &n);
		o->port = (uint16_t)n;
		return rc;
	case OPT_ECHO:
		o->echo = 1;
		return 0;
	case OPT_JOURNAL:
		o->journal_dir = v;
		return 0;
	case OPT_BALANCES:
		o->balances = v;
		return 0;
	case OPT_FSYNC:
		return fsync_policy(o, v);
	case OPT_FSYNC_MS:
		rc = number("fsync-interval-ms", v, 1, 60000, &n);
		o->fsync_interval_ms = (uint32_t)n;
		return rc;
	case OPT_DUP_WINDOW:
		rc = number("dup-window", v, 1, 86400, &n);
		o->dup_window_s = (uint32_t)n;
		return rc;
	case OPT_CAPACITY:
		rc = number("ledger-capacity", v, 1, 500000000, &n);
		o->ledger_capacity = n;
		return rc;
	case OPT_HELP:
		o->help = 1;
		return 0;
	default:
		return -EINVAL; /* getopt printed the reason */
	}
}

static int required(const char *val, const char *opt)
{
	if (val != NULL)
		return 0;
	fprintf(stderr, "gw-dataplane: --%s is required\n", opt);
	return -EINVAL;
}

int gw_opts_parse(int argc, char **argv, struct gw_opts *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->udp_port = GW_WIRE_DEFAULT_PORT;
	o->referral_amount = GW_REFERRAL_DEFAULT;
	o->fsync = GW_FSYNC_BATCH;
	o->fsync_interval_ms = GW_JOURNAL_BATCH_MS_DEFAULT;
	o->dup_window_s = GW_LEDGER_DUP_WINDOW_DEFAULT;
	o->ledger_capacity = GW_OPTS_LEDGER_CAPACITY;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		rc = one(o, c, optarg);
		if (rc != 0)
			return rc;
	}
	if (o->help)
		return 0;
	if (optind < argc) {
		fprintf(stderr, "gw-dataplane: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->addr == 0) {
		fprintf(stderr, "gw-dataplane: --addr is required\n");
		return -EINVAL;
	}
	if (required(o->credit_lines, "credit-lines") ||
	    required(o->master_key, "master-key") ||
	    required(o->redis, "redis"))
		return -EINVAL;
	return 0;
}
