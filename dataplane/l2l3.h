/*
 * Ethernet, ARP, IPv4, ICMP and UDP handling for the gateway's own
 * address: answers ARP requests and pings in place, finds the protocol's
 * datagrams, and turns a request frame into its response frame.  It works
 * on plain frame bytes; mbufs and the protocol are the worker's.
 */
#ifndef GW_DP_L2L3_H
#define GW_DP_L2L3_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

/* Who we are on the wire. */
struct gw_l2l3_addr {
	struct rte_ether_addr mac;
	rte_be32_t ip;
	rte_be16_t udp_port;
};

enum gw_l2l3_verdict {
	GW_L2L3_DROP,  /* *reason says why */
	GW_L2L3_REPLY, /* the frame was rewritten into its reply */
	GW_L2L3_PROTO, /* a datagram for the protocol, see gw_l2l3_udp */
};

/* Where a protocol datagram sits in its frame. */
struct gw_l2l3_udp {
	uint16_t l3_off;
	uint16_t payload_off;
	uint16_t payload_len;
};

/*
 * Classifies the @len bytes of @frame.  An ARP request for our address or
 * an ICMP echo request to it is rewritten in place into its reply, which
 * has the same length.  A UDP datagram to our address and port fills @u.
 * Anything else sets *@reason (enum gw_drop).  The frame must be
 * contiguous; the caller owns it throughout.
 */
enum gw_l2l3_verdict gw_l2l3_classify(const struct gw_l2l3_addr *a,
				      uint8_t *frame, uint16_t len,
				      struct gw_l2l3_udp *u, unsigned *reason);

/*
 * Turns the request frame that gw_l2l3_classify described in @u into a
 * response frame back to its sender, whose UDP payload of @payload_len
 * bytes the caller already wrote at u->payload_off.  Addresses and ports
 * are swapped, lengths and the IPv4 checksum recomputed, and the UDP
 * checksum set to 0 (optional in IPv4; the AEAD tag protects the payload).
 * Returns the new frame length.
 */
uint16_t gw_l2l3_udp_reply(const struct gw_l2l3_addr *a, uint8_t *frame,
			   const struct gw_l2l3_udp *u, uint16_t payload_len);

#endif
