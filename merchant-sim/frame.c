/*
 * Byte-level Ethernet, ARP (RFC 826), IPv4 and UDP for DPDK mode.  Fields
 * are read and written by offset so that nothing depends on structure
 * packing or on DPDK's headers, and the module can be tested alone.
 */
#include <string.h>

#include "frame.h"

enum {
	ETH_DST = 0,
	ETH_SRC = 6,
	ETH_TYPE = 12,
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_ARP = 0x0806,
	/* offsets from the start of the ARP header */
	ARP_HTYPE = 0,
	ARP_PTYPE = 2,
	ARP_HLEN = 4,
	ARP_PLEN = 5,
	ARP_OP = 6,
	ARP_SHA = 8,
	ARP_SPA = 14,
	ARP_THA = 18,
	ARP_TPA = 24,
	ARP_OP_REQUEST = 1,
	ARP_OP_REPLY = 2,
	/* offsets from the start of the IPv4 header */
	IP_VHL = 0,
	IP_LEN = 2,
	IP_ID = 4,
	IP_FRAG = 6,
	IP_TTL = 8,
	IP_PROTO = 9,
	IP_CKSUM = 10,
	IP_SRC = 12,
	IP_DST = 16,
	IP_DF = 0x4000,
	IP_MF_OFFSET = 0x3fff,
	IPPROTO_UDP_NUM = 17,
	/* offsets from the start of the UDP header */
	UDP_SPORT = 0,
	UDP_DPORT = 2,
	UDP_LENGTH = 4,
	UDP_CKSUM = 6,
};

static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint16_t sim_frame_cksum(const uint8_t *p, uint16_t len)
{
	uint32_t sum = 0;
	uint16_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void sim_frame_udp_hdr(const struct sim_frame_addr *a, uint16_t sport,
		       uint16_t payload_len, uint8_t *out)
{
	uint8_t *ip = out + SIM_FRAME_ETH_LEN;
	uint8_t *udp = ip + SIM_FRAME_IP_LEN;

	memcpy(out + ETH_DST, a->gw_mac, 6);
	memcpy(out + ETH_SRC, a->mac, 6);
	put16(out + ETH_TYPE, ETHERTYPE_IPV4);
	memset(ip, 0, SIM_FRAME_IP_LEN);
	ip[IP_VHL] = 0x45;
	put16(ip + IP_LEN,
	      (uint16_t)(SIM_FRAME_IP_LEN + SIM_FRAME_UDP_LEN + payload_len));
	/* With don't-fragment set the identification has no use (RFC 6864
	 * section 4.1), so it stays 0 and the checksum is the same for
	 * every request. */
	put16(ip + IP_FRAG, IP_DF);
	ip[IP_TTL] = 64;
	ip[IP_PROTO] = IPPROTO_UDP_NUM;
	memcpy(ip + IP_SRC, &a->ip, 4);
	memcpy(ip + IP_DST, &a->gw_ip, 4);
	put16(ip + IP_CKSUM, sim_frame_cksum(ip, SIM_FRAME_IP_LEN));
	put16(udp + UDP_SPORT, sport);
	put16(udp + UDP_DPORT, a->gw_port);
	put16(udp + UDP_LENGTH, (uint16_t)(SIM_FRAME_UDP_LEN + payload_len));
	put16(udp + UDP_CKSUM, 0);
}

void sim_frame_set_sport(uint8_t *frame, uint16_t sport)
{
	put16(frame + SIM_FRAME_SPORT_OFF + UDP_SPORT, sport);
}

uint16_t sim_frame_arp_request(const struct sim_frame_addr *a, uint8_t *out)
{
	uint8_t *arp = out + SIM_FRAME_ETH_LEN;

	memset(out, 0, SIM_FRAME_MIN_LEN);
	memcpy(out + ETH_DST, broadcast, 6);
	memcpy(out + ETH_SRC, a->mac, 6);
	put16(out + ETH_TYPE, ETHERTYPE_ARP);
	put16(arp + ARP_HTYPE, 1);
	put16(arp + ARP_PTYPE, ETHERTYPE_IPV4);
	arp[ARP_HLEN] = 6;
	arp[ARP_PLEN] = 4;
	put16(arp + ARP_OP, ARP_OP_REQUEST);
	memcpy(arp + ARP_SHA, a->mac, 6);
	memcpy(arp + ARP_SPA, &a->ip, 4);
	memcpy(arp + ARP_TPA, &a->gw_ip, 4);
	return SIM_FRAME_MIN_LEN;
}

static enum sim_frame_kind arp(const struct sim_frame_addr *a, const uint8_t *f,
			       uint16_t len, struct sim_frame_info *fi)
{
	const uint8_t *p = f + SIM_FRAME_ETH_LEN;
	uint16_t op;

	if (len < SIM_FRAME_ARP_LEN || get16(p + ARP_HTYPE) != 1 ||
	    get16(p + ARP_PTYPE) != ETHERTYPE_IPV4 || p[ARP_HLEN] != 6 ||
	    p[ARP_PLEN] != 4 || memcmp(p + ARP_TPA, &a->ip, 4) != 0)
		return SIM_FRAME_OTHER;
	op = get16(p + ARP_OP);
	if (op == ARP_OP_REQUEST)
		return SIM_FRAME_ARP_REQUEST;
	if (op != ARP_OP_REPLY || memcmp(p + ARP_SPA, &a->gw_ip, 4) != 0)
		return SIM_FRAME_OTHER;
	memcpy(fi->gw_mac, p + ARP_SHA, 6);
	return SIM_FRAME_ARP_REPLY;
}

static enum sim_frame_kind udp(const struct sim_frame_addr *a, const uint8_t *f,
			       uint16_t len, struct sim_frame_info *fi)
{
	const uint8_t *ip = f + SIM_FRAME_ETH_LEN, *u;
	uint16_t ihl, ip_len, udp_len;

	if (len < SIM_FRAME_HDRS_LEN || (ip[IP_VHL] >> 4) != 4)
		return SIM_FRAME_OTHER;
	ihl = (uint16_t)((ip[IP_VHL] & 0x0f) * 4);
	ip_len = get16(ip + IP_LEN);
	if (ihl < SIM_FRAME_IP_LEN || ip_len < ihl + SIM_FRAME_UDP_LEN ||
	    ip_len > len - SIM_FRAME_ETH_LEN)
		return SIM_FRAME_OTHER;
	/* A header with the right checksum sums to 0 (RFC 1071). */
	if (sim_frame_cksum(ip, ihl) != 0 || ip[IP_PROTO] != IPPROTO_UDP_NUM ||
	    (get16(ip + IP_FRAG) & IP_MF_OFFSET) != 0 ||
	    memcmp(ip + IP_SRC, &a->gw_ip, 4) != 0 ||
	    memcmp(ip + IP_DST, &a->ip, 4) != 0)
		return SIM_FRAME_OTHER;
	u = ip + ihl;
	udp_len = get16(u + UDP_LENGTH);
	if (get16(u + UDP_SPORT) != a->gw_port || udp_len < SIM_FRAME_UDP_LEN ||
	    udp_len > ip_len - ihl)
		return SIM_FRAME_OTHER;
	fi->payload_off =
	    (uint16_t)(SIM_FRAME_ETH_LEN + ihl + SIM_FRAME_UDP_LEN);
	fi->payload_len = (uint16_t)(udp_len - SIM_FRAME_UDP_LEN);
	return SIM_FRAME_UDP;
}

enum sim_frame_kind sim_frame_parse(const struct sim_frame_addr *a,
				    const uint8_t *f, uint16_t len,
				    struct sim_frame_info *fi)
{
	uint16_t type;

	if (len < SIM_FRAME_ETH_LEN)
		return SIM_FRAME_OTHER;
	if (memcmp(f + ETH_DST, a->mac, 6) != 0 &&
	    memcmp(f + ETH_DST, broadcast, 6) != 0)
		return SIM_FRAME_OTHER;
	type = get16(f + ETH_TYPE);
	if (type == ETHERTYPE_ARP)
		return arp(a, f, len, fi);
	if (type == ETHERTYPE_IPV4)
		return udp(a, f, len, fi);
	return SIM_FRAME_OTHER;
}

void sim_frame_arp_reply(const struct sim_frame_addr *a, uint8_t *f)
{
	uint8_t *p = f + SIM_FRAME_ETH_LEN;

	memcpy(f + ETH_DST, p + ARP_SHA, 6);
	memcpy(f + ETH_SRC, a->mac, 6);
	put16(p + ARP_OP, ARP_OP_REPLY);
	memcpy(p + ARP_THA, p + ARP_SHA, 6);
	memcpy(p + ARP_TPA, p + ARP_SPA, 4);
	memcpy(p + ARP_SHA, a->mac, 6);
	memcpy(p + ARP_SPA, &a->ip, 4);
}
