/*
 * merchant-sim's command line: the options, their defaults and their
 * checks.  Acting on them is main.c's.
 */
#ifndef SIM_OPTS_H
#define SIM_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_DEFAULT_RATE       2000
#define SIM_DEFAULT_SECONDS    10
#define SIM_DEFAULT_INFLIGHT   8
#define SIM_DEFAULT_TIMEOUT_MS 200
#define SIM_DEFAULT_RETRIES    5
#define SIM_DEFAULT_REVERSE    3 /* retransmits before a timeout reversal */
#define SIM_DEFAULT_PARTIAL    0.3
#define SIM_DEFAULT_WARMUP_MS  500
#define SIM_DEFAULT_LOCAL_IP   "198.18.0.1"
#define SIM_DEFAULT_VERSION    "1.0.0"

struct sim_opts {
	char host[256]; /* without the brackets of an IPv6 literal */
	char port[6];
	const char *ca;
	const char *secrets;
	const char *state_dir;
	const char *cards;
	uint64_t merchants; /* 0: every line of the secrets file */
	double rate;	    /* requests per second, all merchants together */
	int rate_set;
	double seconds; /* how long to send; see count */
	uint64_t count; /* requests to send; used when count_set */
	int seconds_set;
	int count_set;
	uint64_t inflight;
	uint64_t timeout_ms;
	uint64_t retries;
	/* Retransmits without an answer after which the request is
	 * reversed; 0: never.  At most retries; unless given, the default
	 * or retries, whichever is less. */
	uint64_t reverse_after;
	int reverse_after_set;
	double partial_ratio;
	uint64_t referral_amount;
	uint64_t seed;
	int seed_set;
	const char *report;
	const char *answers_log; /* one line per answer received */
	const char *script;
	int bad_input;
	uint32_t local_ip;    /* DPDK mode's own IPv4 address, network order */
	uint64_t closed_loop; /* requests kept outstanding; 0: open loop */
	uint64_t sessions_per_merchant;
	uint64_t warmup_ms; /* sent before the measured window, not counted */
	int warmup_set;
	const char *hist; /* histogram buckets for plotting */
	int expect_echo;  /* the data plane sends requests straight back */
	/* Link 2 (signals.h): listen for service signals and react. */
	int signals;
	const char *software_version; /* what SESSION and VERSION report */
	const char *install_dir;      /* NULL: <state-dir>/<id>/software */
	uint64_t signal_port_base;    /* merchant i listens on base + i */
	int signal_port_base_set;     /* else on an ephemeral port */
	const char *signal_save;      /* the last signal accepted, raw */
	int dpdk;		      /* set by main: --dpdk came first */
};

/* Returned by sim_opts_parse for --help. */
#define SIM_OPTS_HELP 1

/*
 * Parses @argv into @o, defaults first.  Returns 0, SIM_OPTS_HELP, or
 * -EINVAL with one line in @err.  The strings in @o point into @argv.
 */
int sim_opts_parse(struct sim_opts *o, int argc, char *const argv[], char *err,
		   size_t errlen);

/*
 * "merchant-sim --dpdk <EAL options> -- <options>": points *@eal and
 * *@own at argument vectors (static storage, the program name first) of
 * the EAL's part and ours.  Returns 1 so split, 0 when argv[1] is not
 * --dpdk (*@own is then @argv whole), or -EINVAL when "--" is missing or
 * there are too many arguments.
 */
int sim_opts_split(int argc, char **argv, char ***eal, int *neal, char ***own,
		   int *nown);

/* Splits "host:port" or "[v6]:port".  0 or -EINVAL. */
int sim_opts_hostport(const char *s, char *host, size_t hostlen, char port[6]);

/* Whether the run sends load (as opposed to a script or bad input only). */
int sim_opts_load_wanted(const struct sim_opts *o);

void sim_opts_usage(FILE *f);

#endif
