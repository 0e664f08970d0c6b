/*
 * Port and queue setup.  Nothing is assumed about the device: queue counts,
 * descriptor ring sizes and offloads come from what it reports, so the same
 * code runs on af_packet, tap and memif in development and on a PCI NIC in
 * production.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "port.h"
#include "proto.h"

#define RING_SIZE  1024
#define POOL_CACHE 256

static void configure(const struct rte_eth_dev_info *info, uint16_t nq,
		      struct rte_eth_conf *conf)
{
	uint64_t rss =
	    (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info->flow_type_rss_offloads;

	memset(conf, 0, sizeof(*conf));
	/* Spread merchants over the workers by address and port, which also
	 * keeps one merchant's flow on one worker. */
	if (nq > 1 && rss != 0) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = rss;
	}
	/* Every buffer comes from one pool and is never shared. */
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
}

/* Enough buffers to fill every ring, plus the per-lcore caches and a burst
 * in flight per worker, rounded to the 2^n - 1 the ring below prefers. */
static unsigned pool_size(uint16_t nq, uint16_t rxd, uint16_t txd)
{
	unsigned n = nq * (rxd + txd + 2 * GW_PROTO_BURST_MAX) +
		     rte_lcore_count() * POOL_CACHE + 1024;

	return rte_align32pow2(n) - 1;
}

static int queues(uint16_t port, uint16_t nq, uint16_t rxd, uint16_t txd,
		  const struct rte_eth_dev_info *info,
		  const struct rte_eth_conf *conf, struct rte_mempool *mp,
		  char *err, size_t errlen)
{
	int socket = rte_eth_dev_socket_id(port);
	struct rte_eth_rxconf rxc = info->default_rxconf;
	struct rte_eth_txconf txc = info->default_txconf;
	uint16_t q;
	int rc;

	if (socket < 0)
		socket = (int)rte_socket_id();
	rxc.offloads = conf->rxmode.offloads;
	txc.offloads = conf->txmode.offloads;
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, socket, &rxc, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, q, txd, socket, &txc);
		if (rc != 0) {
			snprintf(err, errlen, "port %u queue %u: %s", port, q,
				 rte_strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int gw_port_start(uint16_t port, uint16_t nq, struct rte_ether_addr *mac,
		  char *err, size_t errlen)
{
	uint16_t rxd = RING_SIZE, txd = RING_SIZE;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_mempool *mp;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: no device info: %s", port,
			 rte_strerror(-rc));
		return rc;
	}
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		snprintf(
		    err, errlen,
		    "port %u (%s) has %u rx and %u tx queues, but %u workers need one pair each",
		    port, info.driver_name, info.max_rx_queues,
		    info.max_tx_queues, nq);
		return -EINVAL;
	}
	configure(&info, nq, &conf);
	rc = rte_eth_dev_configure(port, nq, nq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc != 0) {
		snprintf(err, errlen, "port %u (%s): configure: %s", port,
			 info.driver_name, rte_strerror(-rc));
		return rc;
	}
	mp = rte_pktmbuf_pool_create("gw_mbufs", pool_size(nq, rxd, txd),
				     POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (mp == NULL) {
		snprintf(err, errlen,
			 "cannot create %u packet buffers: %s (raise -m)",
			 pool_size(nq, rxd, txd), rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = queues(port, nq, rxd, txd, &info, &conf, mp, err, errlen);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_start(port);
	if (rc == 0)
		rc = rte_eth_macaddr_get(port, mac);
	if (rc != 0) {
		snprintf(err, errlen, "port %u (%s): start: %s", port,
			 info.driver_name, rte_strerror(-rc));
		return rc;
	}
	return 0;
}

void gw_port_close(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}
