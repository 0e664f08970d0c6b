/*
 * The data plane's registered DPDK log type and its logging macros.  The
 * packet path logs only at debug level and at most once a second per
 * worker; everything else is the main lcore's.
 */
#ifndef GW_DP_LOG_H
#define GW_DP_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

extern int gw_dp_logtype;

#define GW_LOG(lvl, fmt, ...)                                                  \
	rte_log(RTE_LOG_##lvl, gw_dp_logtype, "gw-dataplane: " fmt "\n",       \
		##__VA_ARGS__)

/*
 * True at most once a second for the holder of @next_tsc, and only when
 * debug logging is on, so that a flood of bad packets never floods the log.
 */
bool gw_log_ratelimit(uint64_t *next_tsc);

#define GW_DP_DEBUG(next_tsc, fmt, ...)                                        \
	do {                                                                   \
		if (gw_log_ratelimit(next_tsc))                                \
			GW_LOG(DEBUG, fmt, ##__VA_ARGS__);                     \
	} while (0)

#endif
