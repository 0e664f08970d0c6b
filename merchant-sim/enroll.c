/*
 * Enrollment and sessions over link 1: ENROLL with a fresh P-256 key and
 * its CSR, the certificate and key kept in the state directory (0600),
 * then SESSION with that certificate, whose secret becomes the session's
 * keys and is wiped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cards.h"
#include "enroll.h"
#include "gw_link.h"
#include "gw_pki.h"
#include "gw_util.h"
#include "tls.h"

static void state_path(const struct sim_opts *o, const char *id,
		       const char *ext, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.%s", o->state_dir, id, ext);
}

/* Writes @len bytes to a new file @path with mode 0600. */
static int write_private(const char *path, const void *buf, size_t len)
{
	int fd, rc = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0)
		rc = -errno;
	n = rc == 0 ? write(fd, buf, len) : 0;
	if (rc == 0 && (n < 0 || (size_t)n != len))
		rc = n < 0 ? -errno : -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		unlink(path);
	return rc;
}

/* The key to enroll with: one left by an enrollment that failed after
 * saving it, or a new one. */
static EVP_PKEY *enroll_key(const char *keypath, int *fresh)
{
	if (access(keypath, F_OK) == 0) {
		*fresh = 0;
		return gw_pki_read_key(keypath);
	}
	*fresh = 1;
	return gw_pki_keygen();
}

/* Checks the issued certificate belongs to @key and saves both. */
static int enroll_save(const struct gw_link_msg *m, EVP_PKEY *key, int fresh,
		       const char *crt, const char *keypath, char *err,
		       size_t errlen)
{
	X509 *cert;
	int ok, rc;

	cert = m->payload ? gw_pki_cert_from_pem(m->payload, m->payload_len)
			  : NULL;
	ok = cert && X509_check_private_key(cert, key) == 1;
	X509_free(cert);
	ERR_clear_error();
	if (!ok) {
		snprintf(
		    err, errlen,
		    "%s: the enrollment answer is not a certificate for our key",
		    crt);
		return -EPROTO;
	}
	if (fresh) {
		rc = gw_pki_write_key(keypath, key);
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", keypath, strerror(-rc));
			return rc;
		}
	}
	/* The issuing CA follows the certificate; keeping it lets the
	 * handshake present the whole chain. */
	rc = write_private(crt, m->payload, m->payload_len);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", crt, strerror(-rc));
	return rc;
}

int sim_enroll(SSL_CTX *ctx, const struct sim_opts *o,
	       const struct sim_ident *who, char *err, size_t errlen)
{
	char crt[4096], keypath[4096], line[GW_LINK_LINE_MAX];
	struct gw_link_msg m = {0};
	X509_REQ *csr = NULL;
	EVP_PKEY *key = NULL;
	char *pem = NULL;
	size_t pemlen = 0;
	SSL *ssl = NULL;
	int fresh = 1, rc;

	state_path(o, who->id, "crt", crt, sizeof(crt));
	state_path(o, who->id, "key", keypath, sizeof(keypath));
	if (access(crt, F_OK) == 0 && access(keypath, F_OK) == 0)
		return 0;
	rc = -EIO;
	key = enroll_key(keypath, &fresh);
	csr = key ? gw_pki_make_csr(key, who->id) : NULL;
	pem = csr ? gw_pki_csr_pem(csr, &pemlen) : NULL;
	if (!pem) {
		snprintf(err, errlen, "merchant %s: cannot make a key and CSR",
			 who->id);
		goto out;
	}
	ssl = sim_tls_open(ctx, o, NULL, NULL, err, errlen);
	if (!ssl)
		goto out;
	snprintf(line, sizeof(line), "ENROLL %s %s", who->id, who->secret);
	rc = gw_link_write(ssl, line, pem, pemlen);
	if (rc < 0) {
		snprintf(err, errlen, "ENROLL to %s:%s: %s", o->host, o->port,
			 strerror(-rc));
		goto out;
	}
	rc = sim_tls_answer(ssl, &m, "ENROLL", o, err, errlen);
	if (rc == 0)
		rc = enroll_save(&m, key, fresh, crt, keypath, err, errlen);
out:
	OPENSSL_cleanse(line, sizeof(line));
	gw_link_msg_clear(&m);
	sim_tls_close(ssl);
	OPENSSL_free(pem);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	return rc;
}

/* ---- sessions ------------------------------------------------------ */

/* "a.b.c.d:port" or "[v6]:port", addresses only: the gateway names its
 * data plane by address so that no lookup is needed. */
static int dp_parse(const char *s, struct sim_merchant *m)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&m->dp;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&m->dp;
	char host[64], port[6];

	if (sim_opts_hostport(s, host, sizeof(host), port) < 0)
		return -EINVAL;
	memset(&m->dp, 0, sizeof(m->dp));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)atoi(port));
		m->dp_len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)atoi(port));
		m->dp_len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static int session_parse(const struct gw_link_msg *msg, struct sim_merchant *m)
{
	const char *id = gw_link_get(msg, 1, "id");
	const char *hex = gw_link_get(msg, 1, "secret");
	const char *dp = gw_link_get(msg, 1, "dataplane");
	uint8_t secret[GW_SECRET_LEN];
	uint64_t sid;
	int rc = -EPROTO;

	if (!id || !hex || !dp || sim_parse_u64(id, &sid) < 0 || sid == 0 ||
	    sid > UINT32_MAX || strlen(hex) != 2 * GW_SECRET_LEN ||
	    gw_hex_decode(hex, secret, sizeof(secret)) != 0 ||
	    dp_parse(dp, m) < 0)
		goto out;
	m->sid = (uint32_t)sid;
	rc = gw_kdf_session(secret, m->sid, &m->keys) == 0 ? 0 : -EPROTO;
	/* The signal key comes from the same secret, which is wiped below,
	 * so it is derived now whether or not link 2 is listened to. */
	if (rc == 0 && gw_signal_key(secret, m->sid, m->sigkey) != 0)
		rc = -EPROTO;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
}

/* "SESSION <signal address> <version>": "-" when the entry listens to
 * no signals (signals.h fills sigaddr). */
static int session_request(SSL *ssl, const struct sim_merchant *m)
{
	char line[GW_LINK_LINE_MAX];

	snprintf(line, sizeof(line), "SESSION %s %s",
		 m->sigaddr[0] ? m->sigaddr : "-",
		 m->version[0] ? m->version : SIM_SESSION_VERSION);
	return gw_link_write(ssl, line, NULL, 0);
}

/* SESSION requests written before their answers are read: enough to
 * hide the round trip, few enough that neither side's buffers fill. */
#define SESSION_WINDOW 128

/*
 * The gateway writes each answer as it is ready.  With Nagle's algorithm
 * on its side, every answer after the first waits until the previous one
 * is acknowledged, and a delayed acknowledgement here would cost tens of
 * milliseconds per answer; acknowledging at once keeps a window of
 * pipelined SESSIONs flowing.  Linux clears the flag as it sees fit, so
 * it is set again before every read.
 */
static void quickack(SSL *ssl)
{
	int fd = SSL_get_fd(ssl), one = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one,
				 sizeof(one));
}

/* Reads the answers to @n SESSION requests into m[0..n). */
static int session_answers(SSL *ssl, const struct sim_opts *o,
			   const struct sim_ident *who, struct sim_merchant *m,
			   unsigned n, char *err, size_t errlen)
{
	struct gw_link_msg msg = {0};
	unsigned k;
	int rc = 0;

	for (k = 0; k < n && rc == 0; k++) {
		quickack(ssl);
		rc = sim_tls_answer(ssl, &msg, "SESSION", o, err, errlen);
		if (rc == 0)
			rc = session_parse(&msg, &m[k]);
		if (rc == -EPROTO)
			snprintf(err, errlen,
				 "merchant %s: malformed SESSION answer",
				 who->id);
		memcpy(m[k].id, who->id, sizeof(m[k].id));
		gw_link_msg_clear(&msg);
	}
	return rc;
}

int sim_session_open(SSL_CTX *ctx, const struct sim_opts *o,
		     const struct sim_ident *who, struct sim_merchant *m,
		     unsigned n, char *err, size_t errlen)
{
	char crt[4096], keypath[4096];
	unsigned done, k, w;
	SSL *ssl;
	int rc = 0;

	state_path(o, who->id, "crt", crt, sizeof(crt));
	state_path(o, who->id, "key", keypath, sizeof(keypath));
	ssl = sim_tls_open(ctx, o, crt, keypath, err, errlen);
	if (!ssl)
		return -EIO;
	for (done = 0; done < n && rc == 0; done += w) {
		w = n - done < SESSION_WINDOW ? n - done : SESSION_WINDOW;
		for (k = 0; k < w && rc == 0; k++)
			rc = session_request(ssl, &m[done + k]);
		if (rc < 0) {
			snprintf(err, errlen, "SESSION to %s:%s: %s", o->host,
				 o->port, strerror(-rc));
			break;
		}
		rc = session_answers(ssl, o, who, m + done, w, err, errlen);
	}
	sim_tls_close(ssl);
	return rc;
}
