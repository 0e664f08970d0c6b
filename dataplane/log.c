/*
 * Registration of the data plane's log type and the rate limiter of the
 * packet path's debug messages.
 */
#include <rte_cycles.h>

#include "log.h"

RTE_LOG_REGISTER_DEFAULT(gw_dp_logtype, INFO);

bool gw_log_ratelimit(uint64_t *next_tsc)
{
	uint64_t now;

	if (!rte_log_can_log(gw_dp_logtype, RTE_LOG_DEBUG))
		return false;
	now = rte_rdtsc();
	if (now < *next_tsc)
		return false;
	*next_tsc = now + rte_get_tsc_hz();
	return true;
}
