/*
 * The frames of DPDK mode as plain bytes: Ethernet/IPv4/UDP headers of
 * requests, ARP to learn the gateway's MAC address and to answer for our
 * own, and the checks an arriving frame passes before its payload is
 * taken as an answer.  Mbufs and the port are dpdkport.c's.
 */
#ifndef SIM_FRAME_H
#define SIM_FRAME_H

#include <stdint.h>

#define SIM_FRAME_ETH_LEN 14
#define SIM_FRAME_IP_LEN  20
#define SIM_FRAME_UDP_LEN 8
#define SIM_FRAME_HDRS_LEN                                                     \
	(SIM_FRAME_ETH_LEN + SIM_FRAME_IP_LEN + SIM_FRAME_UDP_LEN)
#define SIM_FRAME_ARP_LEN   (SIM_FRAME_ETH_LEN + 28)
#define SIM_FRAME_MIN_LEN   60 /* Ethernet minimum without the FCS */
#define SIM_FRAME_SPORT_OFF (SIM_FRAME_ETH_LEN + SIM_FRAME_IP_LEN)

/* Both ends of the data link.  Addresses in network order, the port in
 * host order. */
struct sim_frame_addr {
	uint8_t mac[6];
	uint8_t gw_mac[6];
	uint32_t ip;
	uint32_t gw_ip;
	uint16_t gw_port;
};

enum sim_frame_kind {
	SIM_FRAME_OTHER,       /* not for us: drop */
	SIM_FRAME_ARP_REPLY,   /* the gateway's address: fi->gw_mac */
	SIM_FRAME_ARP_REQUEST, /* someone asks for our address */
	SIM_FRAME_UDP,	       /* a datagram from the gateway's port */
};

struct sim_frame_info {
	uint16_t payload_off;
	uint16_t payload_len;
	uint8_t gw_mac[6];
};

/*
 * Writes the SIM_FRAME_HDRS_LEN bytes of headers for a UDP datagram of
 * @payload_len bytes from our port @sport to the gateway: don't-fragment,
 * TTL 64, IPv4 checksum set, UDP checksum 0 (optional in IPv4; the AEAD
 * tag protects the payload).  Only the source port differs between the
 * sessions' frames, so one template serves all (sim_frame_set_sport).
 */
void sim_frame_udp_hdr(const struct sim_frame_addr *a, uint16_t sport,
		       uint16_t payload_len, uint8_t *out);

/* Sets the UDP source port of headers written by sim_frame_udp_hdr. */
void sim_frame_set_sport(uint8_t *frame, uint16_t sport);

/* A broadcast ARP request for a->gw_ip, padded to SIM_FRAME_MIN_LEN
 * bytes, which it returns. */
uint16_t sim_frame_arp_request(const struct sim_frame_addr *a, uint8_t *out);

/*
 * Classifies the @len bytes of @f.  An ARP reply counts only when it
 * comes from a->gw_ip for a->ip; a datagram only from a->gw_ip and
 * a->gw_port to a->ip, unfragmented, with a correct IPv4 header checksum
 * and lengths that fit the frame.
 */
enum sim_frame_kind sim_frame_parse(const struct sim_frame_addr *a,
				    const uint8_t *f, uint16_t len,
				    struct sim_frame_info *fi);

/* Rewrites an ARP request that sim_frame_parse classified as asking for
 * our address into its reply, in place; the length does not change. */
void sim_frame_arp_reply(const struct sim_frame_addr *a, uint8_t *f);

/* RFC 1071 checksum of @len bytes. */
uint16_t sim_frame_cksum(const uint8_t *p, uint16_t len);

#endif
