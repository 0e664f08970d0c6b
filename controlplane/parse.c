/*
 * Parsers for gw-control's options and the arguments of link-1 commands.
 * Everything here is strict: a value is accepted whole or refused, never
 * trimmed or guessed at.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "parse.h"

int gw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s || strlen(s) > 20)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Splits "host:port" or "[host]:port" into @host and the port number;
 * @bracketed tells which form it was. */
static int split(const char *s, char *host, size_t hostlen, uint16_t *port,
		 int *bracketed)
{
	const char *colon;
	const char *end;
	uint64_t p;
	size_t n;

	if (!s)
		return -EINVAL;
	*bracketed = s[0] == '[';
	if (*bracketed) {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		colon = end + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', colon - s))
			return -EINVAL;
		end = colon;
	}
	n = end - s;
	if (n == 0 || n >= hostlen)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (gw_parse_u64(colon + 1, 1, 65535, &p))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

int gw_parse_hostport(const char *s, struct sockaddr_storage *ss,
		      socklen_t *sslen)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN];
	uint16_t port;
	int br;

	if (split(s, host, sizeof(host), &port, &br))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (br) {
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*sslen = sizeof(*s6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -EINVAL;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	*sslen = sizeof(*s4);
	return 0;
}

/* RFC 1123 host name: labels of 1 to 63 letters, digits and hyphens, not
 * starting or ending with a hyphen. */
static int dns_name_ok(const char *h)
{
	size_t label = 0;
	char prev = '.';

	if (strlen(h) > 253)
		return 0;
	for (; *h; prev = *h, h++) {
		if (*h == '.') {
			if (label == 0 || prev == '-')
				return 0;
			label = 0;
			continue;
		}
		if (*h == '-' && prev == '.')
			return 0;
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || *h == '-'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && prev != '-';
}

int gw_parse_endpoint(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char host[256];
	uint16_t port;
	int br;

	if (s && strcmp(s, "-") == 0)
		return 0;
	if (!s || strlen(s) >= GW_ENDPOINT_MAX)
		return -EINVAL;
	if (split(s, host, sizeof(host), &port, &br))
		return -EINVAL;
	if (br)
		return inet_pton(AF_INET6, host, buf) == 1 ? 0 : -EINVAL;
	return dns_name_ok(host) ? 0 : -EINVAL;
}

int gw_parse_version(const char *s)
{
	size_t n = 0;

	if (!s)
		return -EINVAL;
	for (; s[n]; n++) {
		char c = s[n];

		if (n >= GW_VERSION_MAX)
			return -EINVAL;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '+' || c == '-'))
			return -EINVAL;
	}
	return n > 0 ? 0 : -EINVAL;
}
