/*
 * The port of DPDK mode.  Everything runs on the main lcore: the EAL's
 * own threads only watch interrupts, such as memif's connection, so no
 * locking is needed here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dpdkport.h"
#include "gw_wire.h"

#define RING_SIZE      1024
#define POOL_SIZE      8191 /* rings, caches and bursts, with room to spare */
#define POOL_CACHE     256
#define TX_SPIN	       64 /* transmit attempts before a frame is dropped */
#define ARP_RETRY_MS   100
#define ARP_TIMEOUT_MS 5000

int sim_port_eal(int argc, char **argv, char *err, size_t errlen)
{
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(err, errlen, "cannot initialise the DPDK EAL: %s",
			 rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

static void sim_port_send(struct sim_link *l, struct sim_merchant *m,
			  const struct sim_slot *s)
{
	struct sim_port *p = (struct sim_port *)l;
	struct rte_mbuf *mb = rte_pktmbuf_alloc(p->mp);
	uint8_t *d;

	if (!mb) {
		p->tx_dropped++;
		return;
	}
	d = rte_pktmbuf_mtod(mb, uint8_t *);
	memcpy(d, p->tmpl, SIM_FRAME_HDRS_LEN);
	sim_frame_set_sport(d, m->udp_port);
	memcpy(d + SIM_FRAME_HDRS_LEN, s->pkt, GW_WIRE_REQ_DGRAM);
	mb->data_len = SIM_FRAME_HDRS_LEN + GW_WIRE_REQ_DGRAM;
	mb->pkt_len = mb->data_len;
	sim_port_queue(p, mb);
}

static int configure(struct sim_port *p, char *err, size_t errlen)
{
	uint16_t rxd = RING_SIZE, txd = RING_SIZE;
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	struct rte_eth_txconf txc;
	int socket = rte_eth_dev_socket_id(p->id), rc;

	if (socket < 0)
		socket = (int)rte_socket_id();
	rc = rte_eth_dev_info_get(p->id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: no device info: %s", p->id,
			 rte_strerror(-rc));
		return rc;
	}
	/* Every buffer comes from one pool and is never shared. */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	txc = info.default_txconf;
	txc.offloads = conf.txmode.offloads;
	rc = rte_eth_dev_configure(p->id, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &rxd, &txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(p->id, 0, rxd, (unsigned)socket,
					    NULL, p->mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(p->id, 0, txd, (unsigned)socket,
					    &txc);
	if (rc == 0)
		rc = rte_eth_dev_start(p->id);
	if (rc != 0) {
		snprintf(err, errlen, "port %u (%s): %s", p->id,
			 info.driver_name, rte_strerror(-rc));
		return rc;
	}
	p->started = 1;
	return 0;
}

struct sim_port *sim_port_open(uint16_t id, uint32_t ip, char *err,
			       size_t errlen)
{
	struct rte_ether_addr mac;
	struct sim_port *p;

	if (!rte_eth_dev_is_valid_port(id)) {
		snprintf(err, errlen,
			 "DPDK port %u does not exist (%u ports available)", id,
			 rte_eth_dev_count_avail());
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->id = id;
	p->link.send = sim_port_send;
	p->addr.ip = ip;
	p->mp = rte_pktmbuf_pool_create("sim_mbufs", POOL_SIZE, POOL_CACHE, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (!p->mp) {
		snprintf(err, errlen,
			 "cannot create %u packet buffers: %s (raise -m)",
			 POOL_SIZE, rte_strerror(rte_errno));
		sim_port_close(p);
		return NULL;
	}
	if (configure(p, err, errlen) != 0 ||
	    rte_eth_macaddr_get(id, &mac) != 0) {
		if (p->started)
			snprintf(err, errlen, "port %u: no MAC address", id);
		sim_port_close(p);
		return NULL;
	}
	memcpy(p->addr.mac, mac.addr_bytes, sizeof(p->addr.mac));
	return p;
}

void sim_port_close(struct sim_port *p)
{
	if (!p)
		return;
	if (p->ntx)
		rte_pktmbuf_free_bulk(p->tx, p->ntx);
	if (p->started) {
		rte_eth_dev_stop(p->id);
		rte_eth_dev_close(p->id);
	}
	rte_mempool_free(p->mp);
	free(p);
}

void sim_port_flush(struct sim_port *p)
{
	unsigned sent = 0, spin;

	for (spin = 0; sent < p->ntx && spin < TX_SPIN; spin++)
		sent += rte_eth_tx_burst(p->id, 0, p->tx + sent,
					 (uint16_t)(p->ntx - sent));
	if (sent < p->ntx) {
		rte_pktmbuf_free_bulk(p->tx + sent, p->ntx - sent);
		p->tx_dropped += p->ntx - sent;
	}
	p->ntx = 0;
}

void sim_port_queue(struct sim_port *p, struct rte_mbuf *m)
{
	p->tx[p->ntx++] = m;
	if (p->ntx == SIM_PORT_BURST)
		sim_port_flush(p);
}

uint16_t sim_port_rx(struct sim_port *p, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(p->id, 0, pkts, n);
}

enum sim_frame_kind sim_port_other(struct sim_port *p, struct rte_mbuf *m,
				   struct sim_frame_info *fi)
{
	enum sim_frame_kind k = SIM_FRAME_OTHER;

	if (m->nb_segs == 1)
		k = sim_frame_parse(&p->addr, rte_pktmbuf_mtod(m, uint8_t *),
				    m->data_len, fi);
	if (k == SIM_FRAME_ARP_REQUEST) {
		sim_frame_arp_reply(&p->addr, rte_pktmbuf_mtod(m, uint8_t *));
		sim_port_queue(p, m);
		return k;
	}
	if (k == SIM_FRAME_OTHER)
		p->rx_other++;
	rte_pktmbuf_free(m);
	return k;
}

static void arp_request(struct sim_port *p)
{
	struct rte_mbuf *mb = rte_pktmbuf_alloc(p->mp);
	uint16_t len;

	if (!mb)
		return;
	len = sim_frame_arp_request(&p->addr, rte_pktmbuf_mtod(mb, uint8_t *));
	mb->data_len = len;
	mb->pkt_len = len;
	sim_port_queue(p, mb);
	sim_port_flush(p);
}

/* Polls for an ARP reply until @until (TSC); 1 when one came. */
static int arp_wait(struct sim_port *p, uint64_t until)
{
	struct rte_mbuf *rx[SIM_PORT_BURST];
	struct sim_frame_info fi;
	uint16_t n, i;
	int got = 0;

	while (!got && rte_rdtsc() < until) {
		n = sim_port_rx(p, rx, SIM_PORT_BURST);
		for (i = 0; i < n; i++) {
			if (sim_port_other(p, rx[i], &fi) !=
				SIM_FRAME_ARP_REPLY ||
			    got)
				continue;
			memcpy(p->addr.gw_mac, fi.gw_mac, 6);
			got = 1;
		}
		sim_port_flush(p);
	}
	return got;
}

int sim_port_resolve(struct sim_port *p, uint32_t gw_ip, uint16_t gw_port,
		     char *err, size_t errlen)
{
	uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc();
	uint64_t end = start + hz * ARP_TIMEOUT_MS / 1000, next;
	struct rte_eth_link link = {0};
	char ip[INET_ADDRSTRLEN];

	p->addr.gw_ip = gw_ip;
	p->addr.gw_port = gw_port;
	for (next = start; next < end; next += hz * ARP_RETRY_MS / 1000) {
		arp_request(p);
		if (arp_wait(p, next + hz * ARP_RETRY_MS / 1000)) {
			sim_frame_udp_hdr(&p->addr, 0, GW_WIRE_REQ_DGRAM,
					  p->tmpl);
			return 0;
		}
	}
	inet_ntop(AF_INET, &gw_ip, ip, sizeof(ip));
	(void)rte_eth_link_get_nowait(p->id, &link);
	snprintf(err, errlen,
		 "no ARP answer for %s on DPDK port %u within %d s (link %s)",
		 ip, p->id, ARP_TIMEOUT_MS / 1000,
		 link.link_status ? "up" : "down");
	return -ETIMEDOUT;
}
