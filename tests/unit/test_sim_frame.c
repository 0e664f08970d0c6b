/*
 * DPDK mode's frames: the exact bytes of a request's headers and of an
 * ARP request, the ARP reply written in place, and the refusal of every
 * frame that is not the gateway's answer to us.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../merchant-sim/frame.h"

#define PAYLOAD 80

static const uint8_t our_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0, 0x02};

static struct sim_frame_addr addr(void)
{
	struct sim_frame_addr a = {.ip = 0, .gw_ip = 0, .gw_port = 7878};

	memcpy(a.mac, our_mac, 6);
	memcpy(a.gw_mac, gw_mac, 6);
	memcpy(&a.ip, "\xc6\x12\x00\x01", 4);	 /* 198.18.0.1 */
	memcpy(&a.gw_ip, "\xc6\x12\x00\x02", 4); /* 198.18.0.2 */
	return a;
}

static void request_headers_are_exact(void **state)
{
	static const uint8_t want[SIM_FRAME_HDRS_LEN] = {
	    /* Ethernet: to the gateway, from us, IPv4 */
	    0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
	    /* IPv4: 108 bytes, DF, TTL 64, UDP, checksum 0xae59 */
	    0x45, 0x00, 0x00, 108, 0x00, 0x00, 0x40, 0x00, 64, 17, 0xae, 0x59,
	    198, 18, 0, 1, 198, 18, 0, 2,
	    /* UDP: 4097 -> 7878, 88 bytes, no checksum */
	    0x10, 0x01, 0x1e, 0xc6, 0x00, 88, 0x00, 0x00};
	struct sim_frame_addr a = addr();
	uint8_t out[SIM_FRAME_HDRS_LEN];

	sim_frame_udp_hdr(&a, 4097, PAYLOAD, out);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(sim_frame_cksum(out + SIM_FRAME_ETH_LEN, 20), 0);
	sim_frame_set_sport(out, 0xabcd);
	assert_int_equal(out[SIM_FRAME_SPORT_OFF], 0xab);
	assert_int_equal(out[SIM_FRAME_SPORT_OFF + 1], 0xcd);
	/* The port is outside the IPv4 header: its checksum holds. */
	assert_memory_equal(out, want, SIM_FRAME_SPORT_OFF);
}

/* The gateway's answer to a request: what gw_l2l3_udp_reply makes of it,
 * written here by hand. */
static uint16_t answer(uint8_t *f, uint16_t payload_len)
{
	struct sim_frame_addr a = addr(), rev = addr();
	uint8_t tmp[6];
	uint32_t ip;

	memcpy(tmp, rev.mac, 6);
	memcpy(rev.mac, rev.gw_mac, 6);
	memcpy(rev.gw_mac, tmp, 6);
	ip = rev.ip;
	rev.ip = rev.gw_ip;
	rev.gw_ip = ip;
	rev.gw_port = 4097;
	sim_frame_udp_hdr(&rev, a.gw_port, payload_len, f);
	memset(f + SIM_FRAME_HDRS_LEN, 0x5a, payload_len);
	return (uint16_t)(SIM_FRAME_HDRS_LEN + payload_len);
}

static void the_gateways_answer_is_taken(void **state)
{
	struct sim_frame_addr a = addr();
	struct sim_frame_info fi;
	uint8_t f[256];
	uint16_t len = answer(f, 72);

	assert_int_equal(sim_frame_parse(&a, f, len, &fi), SIM_FRAME_UDP);
	assert_int_equal(fi.payload_off, 42);
	assert_int_equal(fi.payload_len, 72);
	/* Ethernet padding after the datagram is not payload. */
	assert_int_equal(sim_frame_parse(&a, f, (uint16_t)(len + 10), &fi),
			 SIM_FRAME_UDP);
	assert_int_equal(fi.payload_len, 72);
}

static void ip_options_move_the_payload(void **state)
{
	struct sim_frame_addr a = addr();
	struct sim_frame_info fi;
	uint8_t f[256], *ip = f + SIM_FRAME_ETH_LEN;
	uint16_t len = answer(f, 40), ck;

	/* Insert one 4-byte option (NOPs) after the 20-byte header. */
	memmove(ip + 24, ip + 20, (size_t)(len - 34));
	memset(ip + 20, 1, 4);
	ip[0] = 0x46;
	ip[3] = (uint8_t)(ip[3] + 4);
	ip[10] = ip[11] = 0;
	ck = sim_frame_cksum(ip, 24);
	ip[10] = (uint8_t)(ck >> 8);
	ip[11] = (uint8_t)ck;
	assert_int_equal(sim_frame_parse(&a, f, (uint16_t)(len + 4), &fi),
			 SIM_FRAME_UDP);
	assert_int_equal(fi.payload_off, 46);
	assert_int_equal(fi.payload_len, 40);
}

/* One change each to a valid answer, and the length to parse. */
static const struct {
	const char *what;
	uint16_t off;
	uint8_t val;
	int len_delta;
	int fix_cksum;
} bad[] = {
    {"cut in the Ethernet header", 0, 0, -(SIM_FRAME_HDRS_LEN + 67), 0},
    {"cut in the UDP header", 0, 0, -(PAYLOAD + 1), 0},
    {"another host's MAC", 5, 0x07, 0, 0},
    {"IPv6 ethertype", 12, 0x86, 0, 0},
    {"IP version 6", 14, 0x65, 0, 1},
    {"IHL below 5", 14, 0x44, 0, 1},
    {"bad IPv4 checksum", 24, 0x00, 0, 0},
    {"more fragments", 20, 0x20, 0, 1},
    {"fragment offset", 21, 0x01, 0, 1},
    {"TCP", 23, 6, 0, 1},
    {"from another address", 29, 9, 0, 1},
    {"to another address", 33, 9, 0, 1},
    {"from another port", 35, 0x00, 0, 0},
    {"IPv4 length beyond the frame", 17, 200, 0, 1},
    {"IPv4 length below its headers", 17, 27, 0, 1},
    {"UDP length beyond IPv4", 39, 200, 0, 0},
    {"UDP length below 8", 39, 7, 0, 0},
};

static void anything_else_is_refused(void **state)
{
	struct sim_frame_addr a = addr();
	struct sim_frame_info fi;
	uint8_t f[256];
	uint16_t len, ck;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = answer(f, PAYLOAD);
		f[bad[i].off] = bad[i].val;
		if (bad[i].fix_cksum) {
			f[24] = f[25] = 0;
			ck = sim_frame_cksum(f + 14, 20);
			f[24] = (uint8_t)(ck >> 8);
			f[25] = (uint8_t)ck;
		}
		len = (uint16_t)(len + bad[i].len_delta);
		print_message("%s\n", bad[i].what);
		assert_int_equal(sim_frame_parse(&a, f, len, &fi),
				 SIM_FRAME_OTHER);
	}
}

static void arp_request_is_exact(void **state)
{
	static const uint8_t want[SIM_FRAME_ARP_LEN] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x08,
	    0x06,
	    /* Ethernet, IPv4, 6, 4, request */
	    0, 1, 0x08, 0x00, 6, 4, 0, 1,
	    /* sender: us */
	    0x02, 0, 0, 0, 0, 0x01, 198, 18, 0, 1,
	    /* target: the gateway's address, MAC unknown */
	    0, 0, 0, 0, 0, 0, 198, 18, 0, 2};
	struct sim_frame_addr a = addr();
	uint8_t out[SIM_FRAME_MIN_LEN + 4];
	size_t i;

	memset(out, 0xee, sizeof(out));
	assert_int_equal(sim_frame_arp_request(&a, out), 60);
	assert_memory_equal(out, want, sizeof(want));
	for (i = SIM_FRAME_ARP_LEN; i < SIM_FRAME_MIN_LEN; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(out[SIM_FRAME_MIN_LEN], 0xee);
}

/* The gateway's reply to our request, as RFC 826 has it. */
static void gw_reply(uint8_t *f)
{
	struct sim_frame_addr a = addr();

	sim_frame_arp_request(&a, f);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, gw_mac, 6);
	f[21] = 2;
	memcpy(f + 22, gw_mac, 6);
	memcpy(f + 28, "\xc6\x12\x00\x02", 4);
	memcpy(f + 32, our_mac, 6);
	memcpy(f + 38, "\xc6\x12\x00\x01", 4);
}

static void arp_reply_gives_the_gateways_mac(void **state)
{
	struct sim_frame_addr a = addr();
	struct sim_frame_info fi;
	uint8_t f[SIM_FRAME_MIN_LEN];

	memset(a.gw_mac, 0, 6);
	gw_reply(f);
	assert_int_equal(sim_frame_parse(&a, f, sizeof(f), &fi),
			 SIM_FRAME_ARP_REPLY);
	assert_memory_equal(fi.gw_mac, gw_mac, 6);
	/* Cut short, from another address, or not for us: ignored. */
	assert_int_equal(sim_frame_parse(&a, f, SIM_FRAME_ARP_LEN - 1, &fi),
			 SIM_FRAME_OTHER);
	f[31] = 3;
	assert_int_equal(sim_frame_parse(&a, f, sizeof(f), &fi),
			 SIM_FRAME_OTHER);
	gw_reply(f);
	f[41] = 9;
	assert_int_equal(sim_frame_parse(&a, f, sizeof(f), &fi),
			 SIM_FRAME_OTHER);
	gw_reply(f);
	f[18] = 8; /* hardware address length */
	assert_int_equal(sim_frame_parse(&a, f, sizeof(f), &fi),
			 SIM_FRAME_OTHER);
	gw_reply(f);
	f[21] = 3; /* an opcode that is neither */
	assert_int_equal(sim_frame_parse(&a, f, sizeof(f), &fi),
			 SIM_FRAME_OTHER);
}

static void arp_request_for_us_is_answered_in_place(void **state)
{
	static const uint8_t want[SIM_FRAME_ARP_LEN] = {
	    0x02, 0,	0,    0, 0,    0x02, 0x02, 0,  0, 0, 0,
	    0x01, 0x08, 0x06, 0, 1,    0x08, 0x00, 6,  4, 0, 2,
	    0x02, 0,	0,    0, 0,    0x01, 198,  18, 0, 1, 0x02,
	    0,	  0,	0,    0, 0x02, 198,  18,   0,  2};
	struct sim_frame_addr a = addr(), gw = addr();
	struct sim_frame_info fi;
	uint8_t f[SIM_FRAME_MIN_LEN];

	/* The gateway asks for us: our request with the roles swapped. */
	memcpy(gw.mac, gw_mac, 6);
	memcpy(&gw.ip, "\xc6\x12\x00\x02", 4);
	memcpy(&gw.gw_ip, "\xc6\x12\x00\x01", 4);
	sim_frame_arp_request(&gw, f);
	assert_int_equal(sim_frame_parse(&a, f, sizeof(f), &fi),
			 SIM_FRAME_ARP_REQUEST);
	sim_frame_arp_reply(&a, f);
	assert_memory_equal(f, want, sizeof(want));
	/* A request for another address is not ours to answer. */
	memcpy(&gw.gw_ip, "\xc6\x12\x00\x03", 4);
	sim_frame_arp_request(&gw, f);
	assert_int_equal(sim_frame_parse(&a, f, sizeof(f), &fi),
			 SIM_FRAME_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(request_headers_are_exact),
	    cmocka_unit_test(the_gateways_answer_is_taken),
	    cmocka_unit_test(ip_options_move_the_payload),
	    cmocka_unit_test(anything_else_is_refused),
	    cmocka_unit_test(arp_request_is_exact),
	    cmocka_unit_test(arp_reply_gives_the_gateways_mac),
	    cmocka_unit_test(arp_request_for_us_is_answered_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
