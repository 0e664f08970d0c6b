/*
 * The one DPDK port the data plane serves: its configuration from what the
 * device reports, one receive and one transmit queue per worker, and the
 * packet buffer pool behind them.  What happens to packets is worker.h's.
 */
#ifndef GW_DP_PORT_H
#define GW_DP_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

/*
 * Configures and starts @port with @nb_queues queue pairs, creating the
 * buffer pool, and reads the port's MAC address into @mac.  0, or a
 * negative errno with one line naming what failed in @err.
 */
int gw_port_start(uint16_t port, uint16_t nb_queues, struct rte_ether_addr *mac,
		  char *err, size_t errlen);

/* Stops and closes @port. */
void gw_port_close(uint16_t port);

#endif
