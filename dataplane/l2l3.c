/*
 * The link and network layers of the gateway's address: ARP and ICMP echo
 * answered in place, IPv4/UDP validated and demultiplexed to the protocol,
 * and the response's headers rewritten.  No state, no allocation.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "l2l3.h"
#include "stats.h"

#define ETH_LEN ((uint16_t)sizeof(struct rte_ether_hdr))
#define UDP_LEN ((uint16_t)sizeof(struct rte_udp_hdr))

static enum gw_l2l3_verdict drop(unsigned *reason, enum gw_drop why)
{
	*reason = why;
	return GW_L2L3_DROP;
}

static void eth_reply(const struct gw_l2l3_addr *a, uint8_t *frame)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)frame;

	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&a->mac, &eh->src_addr);
}

/* Sends the IPv4 header back where it came from, from our address. */
static void ip_reply(const struct gw_l2l3_addr *a, struct rte_ipv4_hdr *ip,
		     uint16_t total_len)
{
	ip->dst_addr = ip->src_addr;
	ip->src_addr = a->ip;
	ip->total_length = rte_cpu_to_be_16(total_len);
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* RFC 826: only a request that asks for our address gets an answer. */
static enum gw_l2l3_verdict arp(const struct gw_l2l3_addr *a, uint8_t *frame,
				uint16_t len, unsigned *reason)
{
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(frame + ETH_LEN);
	struct rte_arp_ipv4 *d = &ah->arp_data;

	if (len < ETH_LEN + sizeof(*ah))
		return drop(reason, GW_DROP_ARP_OTHER);
	if (ah->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4 ||
	    ah->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
		return drop(reason, GW_DROP_ARP_OTHER);
	if (d->arp_tip != a->ip)
		return drop(reason, GW_DROP_NOT_FOR_US);

	eth_reply(a, frame);
	ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&d->arp_sha, &d->arp_tha);
	d->arp_tip = d->arp_sip;
	rte_ether_addr_copy(&a->mac, &d->arp_sha);
	d->arp_sip = a->ip;
	return GW_L2L3_REPLY;
}

/* RFC 792 echo: the reply carries the request's identifier, sequence
 * number and data unchanged. */
static enum gw_l2l3_verdict icmp(const struct gw_l2l3_addr *a, uint8_t *frame,
				 struct rte_ipv4_hdr *ip, uint16_t ihl,
				 uint16_t ip_len, unsigned *reason)
{
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	uint16_t icmp_len = ip_len - ihl;

	if (icmp_len < sizeof(*ic) ||
	    ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0)
		return drop(reason, GW_DROP_ICMP_OTHER);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, icmp_len);
	eth_reply(a, frame);
	ip_reply(a, ip, ip_len);
	return GW_L2L3_REPLY;
}

static enum gw_l2l3_verdict udp(const struct gw_l2l3_addr *a,
				struct rte_ipv4_hdr *ip, uint16_t ihl,
				uint16_t ip_len, struct gw_l2l3_udp *u,
				unsigned *reason)
{
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)((uint8_t *)ip + ihl);
	uint16_t udp_len;

	if (ip_len - ihl < UDP_LEN)
		return drop(reason, GW_DROP_BAD_IP);
	udp_len = rte_be_to_cpu_16(uh->dgram_len);
	if (udp_len < UDP_LEN || udp_len > ip_len - ihl)
		return drop(reason, GW_DROP_BAD_IP);
	if (uh->dst_port != a->udp_port)
		return drop(reason, GW_DROP_BAD_PORT);
	u->l3_off = ETH_LEN;
	u->payload_off = ETH_LEN + ihl + UDP_LEN;
	u->payload_len = udp_len - UDP_LEN;
	return GW_L2L3_PROTO;
}

static enum gw_l2l3_verdict ipv4(const struct gw_l2l3_addr *a, uint8_t *frame,
				 uint16_t len, struct gw_l2l3_udp *u,
				 unsigned *reason)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + ETH_LEN);
	uint16_t ihl, ip_len;

	if (len < ETH_LEN + sizeof(*ip))
		return drop(reason, GW_DROP_BAD_IP);
	ihl = rte_ipv4_hdr_len(ip);
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip_len < ihl ||
	    ip_len > len - ETH_LEN)
		return drop(reason, GW_DROP_BAD_IP);
	/* A header whose checksum is right sums to all ones (RFC 1071). */
	if (rte_raw_cksum(ip, ihl) != 0xffff)
		return drop(reason, GW_DROP_BAD_IP);
	if (ip->dst_addr != a->ip)
		return drop(reason, GW_DROP_NOT_FOR_US);
	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return drop(reason, GW_DROP_FRAGMENT);
	switch (ip->next_proto_id) {
	case IPPROTO_UDP:
		return udp(a, ip, ihl, ip_len, u, reason);
	case IPPROTO_ICMP:
		return icmp(a, frame, ip, ihl, ip_len, reason);
	default:
		return drop(reason, GW_DROP_NOT_UDP);
	}
}

enum gw_l2l3_verdict gw_l2l3_classify(const struct gw_l2l3_addr *a,
				      uint8_t *frame, uint16_t len,
				      struct gw_l2l3_udp *u, unsigned *reason)
{
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)frame;

	if (len < ETH_LEN)
		return drop(reason, GW_DROP_NOT_IP);
	/* Without promiscuous mode the NIC filters for us; af_packet and
	 * tap ports may still hand us frames meant for other hosts. */
	if (!rte_is_same_ether_addr(&eh->dst_addr, &a->mac) &&
	    !rte_is_broadcast_ether_addr(&eh->dst_addr))
		return drop(reason, GW_DROP_NOT_FOR_US);
	if (eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return arp(a, frame, len, reason);
	if (eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return ipv4(a, frame, len, u, reason);
	return drop(reason, GW_DROP_NOT_IP);
}

uint16_t gw_l2l3_udp_reply(const struct gw_l2l3_addr *a, uint8_t *frame,
			   const struct gw_l2l3_udp *u, uint16_t payload_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + u->l3_off);
	struct rte_udp_hdr *uh =
	    (struct rte_udp_hdr *)(frame + u->payload_off - UDP_LEN);
	uint16_t udp_len = UDP_LEN + payload_len;
	rte_be16_t port = uh->src_port;

	eth_reply(a, frame);
	ip_reply(a, ip, u->payload_off - UDP_LEN - u->l3_off + udp_len);
	uh->src_port = uh->dst_port;
	uh->dst_port = port;
	uh->dgram_len = rte_cpu_to_be_16(udp_len);
	uh->dgram_cksum = 0;
	return u->payload_off + payload_len;
}
