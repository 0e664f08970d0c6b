/*
 * A stand-in for a merchant's link-2 receiver, for the end-to-end tests:
 * binds a UDP port, checks every datagram with gw_signal_open for one
 * session, and prints "<TYPE> <ref> <seq>" for a signal it believes or
 * "refused <reason>" for one it does not.  Its other modes send what an
 * attacker could: a forged signal, or a replay of a captured one.
 *
 *   signal_listen --listen IP:PORT --session N --secret HEX [--save FILE]
 *   signal_listen --forge --to IP:PORT --session N --type T --ref R --seq N
 *   signal_listen --replay --to IP:PORT --file FILE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_signal.h"
#include "gw_util.h"

struct args {
	const char *listen, *to, *secret, *save, *file, *type, *ref;
	unsigned long session;
	unsigned long long seq;
	int forge, replay;
};

static int addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = s ? strrchr(s, ':') : NULL;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

static int key_of(const struct args *a, uint8_t key[GW_SIGNAL_KEY_LEN])
{
	uint8_t secret[GW_SIGNAL_SECRET_LEN];
	int ret;

	if (!a->secret || gw_hex_decode(a->secret, secret, sizeof(secret)))
		return -EINVAL;
	ret = gw_signal_key(secret, (uint32_t)a->session, key);
	explicit_bzero(secret, sizeof(secret));
	return ret;
}

static int listen_loop(const struct args *a)
{
	uint8_t key[GW_SIGNAL_KEY_LEN], buf[2048];
	struct sockaddr_in sa;
	struct gw_signal s;
	uint64_t last = 0;
	ssize_t n;
	int fd, ret;

	if (addr(a->listen, &sa) || key_of(a, key))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("signal_listen: bind");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
		ret = gw_signal_open(key, (uint32_t)a->session, buf, (size_t)n,
				     &last, &s);
		if (ret) {
			printf("refused %s\n", gw_signal_strerror(ret));
			continue;
		}
		printf("%s %s %llu\n", gw_signal_type_name(s.type), s.ref,
		       (unsigned long long)s.seq);
		if (a->save) {
			FILE *f = fopen(a->save, "w");

			if (f) {
				fwrite(buf, 1, (size_t)n, f);
				fclose(f);
			}
		}
	}
	return 1;
}

static int send_to(const char *to, const uint8_t *pkt, size_t len)
{
	struct sockaddr_in sa;
	int fd;

	if (addr(to, &sa))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, pkt, len, 0, (struct sockaddr *)&sa,
			     sizeof(sa)) != (ssize_t)len) {
		perror("signal_listen: sendto");
		return 1;
	}
	close(fd);
	return 0;
}

/* A well-formed signal under a key nobody was given: what an attacker
 * without the session secret can send. */
static int forge(const struct args *a)
{
	struct gw_signal s = {.session = (uint32_t)a->session, .seq = a->seq};
	uint8_t key[GW_SIGNAL_KEY_LEN], pkt[GW_SIGNAL_LEN];

	s.type = gw_signal_type_parse(a->type);
	snprintf(s.ref, sizeof(s.ref), "%s", a->ref ? a->ref : "x");
	memset(key, 0x5a, sizeof(key));
	if (gw_signal_seal(key, &s, pkt) != GW_SIGNAL_LEN)
		return 2;
	return send_to(a->to, pkt, sizeof(pkt));
}

static int replay(const struct args *a)
{
	uint8_t pkt[GW_SIGNAL_LEN + 1];
	FILE *f = a->file ? fopen(a->file, "r") : NULL;
	size_t n;

	if (!f)
		return 2;
	n = fread(pkt, 1, sizeof(pkt), f);
	fclose(f);
	return send_to(a->to, pkt, n);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"to", required_argument, NULL, 't'},
	    {"session", required_argument, NULL, 'i'},
	    {"secret", required_argument, NULL, 'k'},
	    {"save", required_argument, NULL, 'S'},
	    {"file", required_argument, NULL, 'f'},
	    {"type", required_argument, NULL, 'y'},
	    {"ref", required_argument, NULL, 'r'},
	    {"seq", required_argument, NULL, 'q'},
	    {"forge", no_argument, NULL, 'F'},
	    {"replay", no_argument, NULL, 'R'},
	    {NULL, 0, NULL, 0},
	};
	struct args a = {.seq = 1};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			a.listen = optarg;
			break;
		case 't':
			a.to = optarg;
			break;
		case 'i':
			a.session = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			a.secret = optarg;
			break;
		case 'S':
			a.save = optarg;
			break;
		case 'f':
			a.file = optarg;
			break;
		case 'y':
			a.type = optarg;
			break;
		case 'r':
			a.ref = optarg;
			break;
		case 'q':
			a.seq = strtoull(optarg, NULL, 10);
			break;
		case 'F':
			a.forge = 1;
			break;
		case 'R':
			a.replay = 1;
			break;
		default:
			return 2;
		}
	}
	if (a.forge)
		return forge(&a);
	if (a.replay)
		return replay(&a);
	return listen_loop(&a);
}
