/*
 * DPDK mode's one port: the EAL, port 0 with one receive and one transmit
 * queue, the buffer pool, the gateway's MAC address learnt by ARP, and
 * the sending of requests in bursts.  Which requests to send, and what
 * the answers mean, stay with traffic.c and check.c; dpdkloop.c polls.
 */
#ifndef SIM_DPDKPORT_H
#define SIM_DPDKPORT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "session.h"

#define SIM_PORT_BURST 32

struct rte_mbuf;
struct rte_mempool;

struct sim_port {
	struct sim_link link; /* first: the sessions send through it */
	uint16_t id;
	struct rte_mempool *mp;
	struct sim_frame_addr addr;
	uint8_t tmpl[SIM_FRAME_HDRS_LEN]; /* a request's headers */
	struct rte_mbuf *tx[SIM_PORT_BURST];
	unsigned ntx;
	uint64_t tx_dropped; /* transmit ring full, or no buffer */
	uint64_t rx_other;   /* frames not for us */
	int started;
};

/*
 * Starts the EAL with @argc/@argv (argv[0] the program name).  0, or a
 * negative errno with one line in @err.
 */
int sim_port_eal(int argc, char **argv, char *err, size_t errlen);

/*
 * Configures and starts DPDK port @id for our address @ip (network
 * order).  NULL with one line in @err.  Close with sim_port_close.
 */
struct sim_port *sim_port_open(uint16_t id, uint32_t ip, char *err,
			       size_t errlen);
void sim_port_close(struct sim_port *p);

/*
 * Learns the MAC address of the gateway at @gw_ip (network order) with
 * ARP requests every 100 ms, answering ARP for our own address meanwhile,
 * and prepares the request frames' headers for @gw_port (host order).
 * 0, or -ETIMEDOUT after 5 seconds with one line in @err.
 */
int sim_port_resolve(struct sim_port *p, uint32_t gw_ip, uint16_t gw_port,
		     char *err, size_t errlen);

/* Sends what is queued.  Frames the ring still refuses after a short
 * spin are freed and counted; retransmission recovers their requests. */
void sim_port_flush(struct sim_port *p);

/* Queues the frame in @m (taken over: sent or freed). */
void sim_port_queue(struct sim_port *p, struct rte_mbuf *m);

/* Receives up to @n frames. */
uint16_t sim_port_rx(struct sim_port *p, struct rte_mbuf **pkts, uint16_t n);

/*
 * Handles a frame that is not an answer: answers an ARP request for our
 * address (the buffer is reused) or frees it.  Returns what
 * sim_frame_parse made of it.
 */
enum sim_frame_kind sim_port_other(struct sim_port *p, struct rte_mbuf *m,
				   struct sim_frame_info *fi);

#endif
