/*
 * Pure parsers for gw-control's options and command arguments: numbers,
 * listen addresses, signal endpoints and software versions.  They touch no
 * sockets and no global state so that the unit tests can feed them
 * anything.
 */
#ifndef GW_CTL_PARSE_H
#define GW_CTL_PARSE_H

#include <stdint.h>
#include <sys/socket.h>

#define GW_VERSION_MAX	32
#define GW_ENDPOINT_MAX 262 /* "[" 253 "]:" 5 digits, rounded up */

/* A decimal number in [@min, @max], digits only.  0, -EINVAL (syntax) or
 * -ERANGE (outside the bounds or overflowing). */
__attribute__((warn_unused_result)) int
gw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A numeric "a.b.c.d:port" or "[v6]:port" with port 1 to 65535 into @ss.
 * 0 or -EINVAL.  Names are refused so that nothing is resolved. */
__attribute__((warn_unused_result)) int
gw_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *sslen);

/* 0 if @s is "-" or "host:port" where host is a DNS name or an address
 * literal ("[v6]" for IPv6) and port 1 to 65535, else -EINVAL. */
__attribute__((warn_unused_result)) int gw_parse_endpoint(const char *s);

/* 0 if @s is 1 to GW_VERSION_MAX characters of [A-Za-z0-9._+-], else
 * -EINVAL. */
__attribute__((warn_unused_result)) int gw_parse_version(const char *s);

#endif
