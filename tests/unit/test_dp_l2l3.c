/*
 * Data-plane link and network layers: ARP and ICMP echo answered in
 * place, protocol datagrams located exactly, and every malformed or
 * foreign frame dropped with its own reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "l2l3.h"
#include "stats.h"

#define OUR_IP	RTE_IPV4(198, 18, 7, 2)
#define PEER_IP RTE_IPV4(198, 18, 7, 1)

static const struct rte_ether_addr our_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 0, 0x01}};

static struct gw_l2l3_addr addr(void)
{
	struct gw_l2l3_addr a = {
	    .mac = our_mac,
	    .ip = rte_cpu_to_be_32(OUR_IP),
	    .udp_port = rte_cpu_to_be_16(7878),
	};
	return a;
}

static uint8_t frame[256] __attribute__((aligned(8)));

static struct rte_ether_hdr *eth(uint16_t type,
				 const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)frame;

	memset(frame, 0, sizeof(frame));
	eh->dst_addr = *dst;
	eh->src_addr = peer_mac;
	eh->ether_type = rte_cpu_to_be_16(type);
	return eh;
}

static struct rte_ipv4_hdr *ip_at(void)
{
	return (struct rte_ipv4_hdr *)(frame + sizeof(struct rte_ether_hdr));
}

/* An IPv4 frame to us with @payload bytes after the IP header. */
static uint16_t ipv4(uint8_t proto, uint16_t payload)
{
	struct rte_ipv4_hdr *ip;

	eth(RTE_ETHER_TYPE_IPV4, &our_mac);
	ip = ip_at();
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(20 + payload);
	ip->time_to_live = 17;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(OUR_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return 14 + 20 + payload;
}

static void refresh_cksum(void)
{
	ip_at()->hdr_checksum = 0;
	ip_at()->hdr_checksum = rte_ipv4_cksum(ip_at());
}

static uint16_t udp(uint16_t dport, uint16_t payload)
{
	uint16_t len = ipv4(IPPROTO_UDP, 8 + payload);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(frame + 34);

	uh->src_port = rte_cpu_to_be_16(40000);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16(8 + payload);
	return len;
}

static unsigned classify_drop(uint16_t len)
{
	struct gw_l2l3_addr a = addr();
	struct gw_l2l3_udp u;
	unsigned reason = 999;

	assert_int_equal(gw_l2l3_classify(&a, frame, len, &u, &reason),
			 GW_L2L3_DROP);
	return reason;
}

static void arp_request_for_us_is_answered_in_place(void **state)
{
	struct gw_l2l3_addr a = addr();
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(frame + 14);
	struct rte_ether_hdr *eh;
	struct gw_l2l3_udp u;
	unsigned reason = 0;

	eh =
	    eth(RTE_ETHER_TYPE_ARP,
		&(struct rte_ether_addr){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}});
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	ah->arp_data.arp_sha = peer_mac;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(PEER_IP);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(OUR_IP);

	assert_int_equal(gw_l2l3_classify(&a, frame, 60, &u, &reason),
			 GW_L2L3_REPLY);
	assert_memory_equal(&eh->dst_addr, &peer_mac, 6);
	assert_memory_equal(&eh->src_addr, &our_mac, 6);
	assert_int_equal(rte_be_to_cpu_16(ah->arp_opcode), RTE_ARP_OP_REPLY);
	assert_memory_equal(&ah->arp_data.arp_sha, &our_mac, 6);
	assert_memory_equal(&ah->arp_data.arp_tha, &peer_mac, 6);
	assert_int_equal(rte_be_to_cpu_32(ah->arp_data.arp_sip), OUR_IP);
	assert_int_equal(rte_be_to_cpu_32(ah->arp_data.arp_tip), PEER_IP);
}

static void arp_for_others_and_replies_are_dropped(void **state)
{
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(frame + 14);

	eth(RTE_ETHER_TYPE_ARP, &our_mac);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(OUR_IP + 1);
	assert_int_equal(classify_drop(60), GW_DROP_NOT_FOR_US);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(OUR_IP);
	ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	assert_int_equal(classify_drop(60), GW_DROP_ARP_OTHER);
	ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	ah->arp_plen = 16;
	assert_int_equal(classify_drop(60), GW_DROP_ARP_OTHER);
	ah->arp_plen = 4;
	assert_int_equal(classify_drop(14 + 20), GW_DROP_ARP_OTHER);
}

static void echo_request_gets_reply_with_valid_checksums(void **state)
{
	struct gw_l2l3_addr a = addr();
	uint16_t len = ipv4(IPPROTO_ICMP, 8 + 5);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(frame + 34);
	struct gw_l2l3_udp u;
	unsigned reason = 0;

	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_ident = rte_cpu_to_be_16(0x1234);
	ic->icmp_seq_nb = rte_cpu_to_be_16(7);
	memcpy(frame + 42, "hello", 5);
	ic->icmp_cksum = ~rte_raw_cksum(ic, 13);

	assert_int_equal(gw_l2l3_classify(&a, frame, len, &u, &reason),
			 GW_L2L3_REPLY);
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_ident), 0x1234);
	assert_memory_equal(frame + 42, "hello", 5);
	assert_int_equal(rte_raw_cksum(ic, 13), 0xffff);
	assert_int_equal(rte_raw_cksum(ip_at(), 20), 0xffff);
	assert_int_equal(rte_be_to_cpu_32(ip_at()->src_addr), OUR_IP);
	assert_int_equal(rte_be_to_cpu_32(ip_at()->dst_addr), PEER_IP);
	assert_int_equal(ip_at()->time_to_live, 64);
	assert_memory_equal(frame, &peer_mac, 6);
}

static void icmp_other_than_echo_request_is_dropped(void **state)
{
	uint16_t len = ipv4(IPPROTO_ICMP, 8);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(frame + 34);

	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	assert_int_equal(classify_drop(len), GW_DROP_ICMP_OTHER);
	len = ipv4(IPPROTO_ICMP, 4);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	assert_int_equal(classify_drop(len), GW_DROP_ICMP_OTHER);
}

static void udp_to_our_port_is_located_exactly(void **state)
{
	struct gw_l2l3_addr a = addr();
	uint16_t len = udp(7878, 80);
	struct gw_l2l3_udp u;
	unsigned reason = 0;

	/* Trailing bytes beyond the IP length (Ethernet padding) are not
	 * part of the datagram. */
	assert_int_equal(gw_l2l3_classify(&a, frame, len + 6, &u, &reason),
			 GW_L2L3_PROTO);
	assert_int_equal(u.l3_off, 14);
	assert_int_equal(u.payload_off, 42);
	assert_int_equal(u.payload_len, 80);
}

static void udp_reply_swaps_and_resizes(void **state)
{
	struct gw_l2l3_addr a = addr();
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(frame + 34);
	uint16_t len = udp(7878, 80);
	struct gw_l2l3_udp u;
	unsigned reason = 0;

	assert_int_equal(gw_l2l3_classify(&a, frame, len, &u, &reason),
			 GW_L2L3_PROTO);
	assert_int_equal(gw_l2l3_udp_reply(&a, frame, &u, 72),
			 14 + 20 + 8 + 72);
	assert_int_equal(rte_be_to_cpu_16(ip_at()->total_length), 100);
	assert_int_equal(rte_raw_cksum(ip_at(), 20), 0xffff);
	assert_int_equal(rte_be_to_cpu_32(ip_at()->dst_addr), PEER_IP);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), 7878);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), 40000);
	assert_int_equal(rte_be_to_cpu_16(uh->dgram_len), 80);
	assert_int_equal(uh->dgram_cksum, 0);
	assert_memory_equal(frame, &peer_mac, 6);
	assert_memory_equal(frame + 6, &our_mac, 6);
}

static void malformed_and_foreign_frames_drop_by_reason(void **state)
{
	uint16_t len;

	eth(RTE_ETHER_TYPE_IPV6, &our_mac);
	assert_int_equal(classify_drop(60), GW_DROP_NOT_IP);
	assert_int_equal(classify_drop(13), GW_DROP_NOT_IP);

	len = udp(7878, 80);
	frame[0] ^= 0x04; /* another host's MAC */
	assert_int_equal(classify_drop(len), GW_DROP_NOT_FOR_US);

	len = udp(7879, 80);
	assert_int_equal(classify_drop(len), GW_DROP_BAD_PORT);

	len = udp(7878, 80);
	assert_int_equal(classify_drop(14 + 19), GW_DROP_BAD_IP);
	assert_int_equal(classify_drop(len - 1), GW_DROP_BAD_IP);

	len = udp(7878, 80);
	ip_at()->hdr_checksum ^= 1;
	assert_int_equal(classify_drop(len), GW_DROP_BAD_IP);

	len = udp(7878, 80);
	ip_at()->version_ihl = 0x44;
	refresh_cksum();
	assert_int_equal(classify_drop(len), GW_DROP_BAD_IP);

	len = udp(7878, 80);
	ip_at()->version_ihl = 0x65;
	refresh_cksum();
	assert_int_equal(classify_drop(len), GW_DROP_BAD_IP);

	len = udp(7878, 80);
	((struct rte_udp_hdr *)(frame + 34))->dgram_len = rte_cpu_to_be_16(89);
	assert_int_equal(classify_drop(len), GW_DROP_BAD_IP);
	((struct rte_udp_hdr *)(frame + 34))->dgram_len = rte_cpu_to_be_16(7);
	assert_int_equal(classify_drop(len), GW_DROP_BAD_IP);

	len = udp(7878, 80);
	ip_at()->dst_addr = rte_cpu_to_be_32(OUR_IP + 1);
	refresh_cksum();
	assert_int_equal(classify_drop(len), GW_DROP_NOT_FOR_US);

	len = udp(7878, 80);
	ip_at()->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	refresh_cksum();
	assert_int_equal(classify_drop(len), GW_DROP_FRAGMENT);
	ip_at()->fragment_offset = rte_cpu_to_be_16(3);
	refresh_cksum();
	assert_int_equal(classify_drop(len), GW_DROP_FRAGMENT);

	len = ipv4(IPPROTO_TCP, 20);
	assert_int_equal(classify_drop(len), GW_DROP_NOT_UDP);

	len = ipv4(IPPROTO_UDP, 4);
	assert_int_equal(classify_drop(len), GW_DROP_BAD_IP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(arp_request_for_us_is_answered_in_place),
	    cmocka_unit_test(arp_for_others_and_replies_are_dropped),
	    cmocka_unit_test(echo_request_gets_reply_with_valid_checksums),
	    cmocka_unit_test(icmp_other_than_echo_request_is_dropped),
	    cmocka_unit_test(udp_to_our_port_is_located_exactly),
	    cmocka_unit_test(udp_reply_swaps_and_resizes),
	    cmocka_unit_test(malformed_and_foreign_frames_drop_by_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
