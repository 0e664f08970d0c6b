/*
 * TLS 1.3 client connections to gw-control: the server must chain to the
 * appliance's root and name the host that was dialled; a client
 * certificate is presented when one is given.  What is said over the
 * connection is enroll.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "gw_util.h"
#include "tls.h"

#define IO_TIMEOUT_S 10

SSL_CTX *sim_tls_ctx(const char *ca, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		snprintf(err, errlen, "%s: cannot load the root certificate",
			 ca);
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

static int tcp_connect(const struct sim_opts *o, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	int fd = -1, rc, saved = ECONNREFUSED, one = 1;

	rc = getaddrinfo(o->host, o->port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "control %s:%s: %s", o->host, o->port,
			 gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		/* Bounded waits: connect and every read give up in time. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		/* Requests are pipelined (many SESSIONs on one connection):
		 * without this, each small write after the first waits for
		 * the peer's delayed acknowledgement. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "control %s:%s: %s", o->host, o->port,
			 strerror(saved));
		return -saved;
	}
	return fd;
}

/* The server certificate must name the host we dialled: as an IP
 * address SAN when we dialled an address, else as a DNS name. */
static int expect_name(SSL *ssl, const char *host)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
			   ? 0
			   : -EINVAL;
	if (!SSL_set_tlsext_host_name(ssl, host) || !SSL_set1_host(ssl, host))
		return -EINVAL;
	return 0;
}

static void tls_reason(SSL *ssl, const struct sim_opts *o, char *err,
		       size_t errlen)
{
	long v = SSL_get_verify_result(ssl);
	unsigned long e = ERR_peek_last_error();
	char why[160] = "handshake failed";

	if (v != X509_V_OK)
		snprintf(why, sizeof(why), "server certificate: %s",
			 X509_verify_cert_error_string(v));
	else if (e)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	snprintf(err, errlen, "TLS to %s:%s: %s", o->host, o->port, why);
}

void sim_tls_close(SSL *ssl)
{
	int fd;

	if (!ssl)
		return;
	fd = SSL_get_fd(ssl);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
}

/* A verified TLS connection, with the client certificate and key at
 * @crt and @key when they are given.  NULL with @err set. */
SSL *sim_tls_open(SSL_CTX *ctx, const struct sim_opts *o, const char *crt,
		  const char *key, char *err, size_t errlen)
{
	SSL *ssl;
	int fd;

	fd = tcp_connect(o, err, errlen);
	if (fd < 0)
		return NULL;
	ssl = SSL_new(ctx);
	if (!ssl || expect_name(ssl, o->host) < 0 || !SSL_set_fd(ssl, fd)) {
		snprintf(err, errlen, "cannot set up TLS to %s:%s", o->host,
			 o->port);
		goto fail;
	}
	if (crt && (SSL_use_certificate_chain_file(ssl, crt) != 1 ||
		    SSL_use_PrivateKey_file(ssl, key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_check_private_key(ssl) != 1)) {
		snprintf(err, errlen,
			 "%s: cannot use this certificate and its key", crt);
		goto fail;
	}
	if (SSL_connect(ssl) != 1) {
		tls_reason(ssl, o, err, errlen);
		goto fail;
	}
	return ssl;
fail:
	ERR_clear_error();
	if (ssl)
		SSL_free(ssl);
	close(fd);
	return NULL;
}

/*
 * Reads the answer to @verb: 0 with an OK in @m, -EACCES with the
 * gateway's ERR line (made printable) in @err, or another error.
 */
int sim_tls_answer(SSL *ssl, struct gw_link_msg *m, const char *verb,
		   const struct sim_opts *o, char *err, size_t errlen)
{
	char msg[160];
	int rc;

	rc = gw_link_read(ssl, m);
	if (rc < 0) {
		snprintf(err, errlen, "%s to %s:%s: no valid answer (%s)", verb,
			 o->host, o->port, strerror(-rc));
		return rc;
	}
	if (m->argc == 3 && strcmp(m->argv[0], "ERR") == 0) {
		gw_printable(m->argv[2], strlen(m->argv[2]), msg, sizeof(msg));
		gw_printable(m->argv[1], strnlen(m->argv[1], 8), msg + 100,
			     sizeof(msg) - 100);
		snprintf(err, errlen, "%s refused: ERR %s %.99s", verb,
			 msg + 100, msg);
		gw_link_msg_clear(m);
		return -EACCES;
	}
	if (m->argc < 1 || strcmp(m->argv[0], "OK") != 0) {
		snprintf(err, errlen, "%s to %s:%s: unexpected answer", verb,
			 o->host, o->port);
		gw_link_msg_clear(m);
		return -EPROTO;
	}
	return 0;
}
