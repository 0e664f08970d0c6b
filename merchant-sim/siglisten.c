/*
 * The merchants' link-2 listeners: one UDP socket per merchant, bound on
 * the local address that routes to gw-control (or on consecutive ports
 * from --signal-port-base), and the address SESSION names for it.  What
 * arrives on them is signals.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "siglisten.h"

/* The local address the kernel picks to reach gw-control, port 0. */
static int local_addr(const struct sim_opts *o, struct sockaddr_storage *ss,
		      socklen_t *sslen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res;
	int fd, rc;

	if (getaddrinfo(o->host, o->port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -errno : 0;
	/* Connecting a UDP socket sends nothing; it only picks a route. */
	if (rc == 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0)
		rc = -errno;
	*sslen = sizeof(*ss);
	if (rc == 0 && getsockname(fd, (struct sockaddr *)ss, sslen) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	if (rc == 0 && ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = 0;
	else if (rc == 0)
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	return rc;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* "a.b.c.d:port" or "[v6]:port", as SESSION takes it. */
static void format_addr(const struct sockaddr_storage *ss, char *out,
			size_t len)
{
	char host[INET6_ADDRSTRLEN] = "";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	}
}

static int bind_listener(const struct sim_opts *o, unsigned i,
			 struct sockaddr_storage ss, socklen_t sslen,
			 struct sim_sigm *mm)
{
	int fd, rc = 0;

	if (o->signal_port_base_set)
		set_port(&ss, (uint16_t)(o->signal_port_base + i));
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	mm->fd = fd;
	format_addr(&ss, mm->addr, sizeof(mm->addr));
	return 0;
}

int sim_siglisten_open(const struct sim_opts *o, struct sim_sigm *mer,
		       unsigned nmer, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	unsigned i;
	int rc;

	if (o->signal_port_base_set && o->signal_port_base + nmer - 1 > 65535) {
		snprintf(
		    err, errlen,
		    "--signal-port-base: %u merchants need ports up to %llu",
		    nmer, (unsigned long long)o->signal_port_base + nmer - 1);
		return -EINVAL;
	}
	rc = local_addr(o, &ss, &sslen);
	if (rc < 0) {
		snprintf(err, errlen, "no route to control %s:%s: %s", o->host,
			 o->port, strerror(-rc));
		return rc;
	}
	for (i = 0; i < nmer; i++) {
		rc = bind_listener(o, i, ss, sslen, &mer[i]);
		if (rc < 0) {
			snprintf(err, errlen,
				 "merchant %s: cannot listen for signals: %s",
				 mer[i].id, strerror(-rc));
			return rc;
		}
	}
	return 0;
}
