/*
 * The data plane's own command line, the part after the EAL options and
 * "--".  Parsing and validation only; acting on the options is main's.
 */
#ifndef GW_DP_OPTS_H
#define GW_DP_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include <rte_byteorder.h>

#include "journal.h"

#define GW_OPTS_LEDGER_CAPACITY 1000000

struct gw_opts {
	rte_be32_t addr;
	uint16_t udp_port;
	uint16_t port;
	uint32_t idle_sleep_us;
	uint64_t referral_amount;
	const char *credit_lines;
	const char *master_key;
	const char *redis;
	const char *stats;	 /* NULL: no statistics file */
	const char *journal_dir; /* checked at start: see main.c */
	const char *balances;	 /* NULL: no card balance dump */
	enum gw_fsync_policy fsync;
	uint32_t fsync_interval_ms;
	uint32_t dup_window_s;
	uint64_t ledger_capacity;
	int echo; /* benchmark baseline: send UDP straight back */
	int help;
};

/*
 * Parses @argc/@argv (argv[0] is the program name).  0, or -EINVAL after
 * printing one line saying what is wrong.  Strings point into @argv.
 */
int gw_opts_parse(int argc, char **argv, struct gw_opts *o);

void gw_opts_usage(FILE *f);

#endif
