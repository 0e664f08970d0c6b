/*
 * The command loop of a link-1 connection.  Commands are dispatched by
 * table; a handler returns 0 to read the next command or a negative errno
 * to close the connection.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "conn.h"
#include "enroll.h"
#include "gw_link.h"
#include "gw_util.h"
#include "log.h"
#include "merchants.h"
#include "message.h"
#include "packages.h"
#include "renew.h"
#include "session.h"
#include "store.h"
#include "tls.h"

struct command {
	const char *verb;
	int argc; /* words including the verb, before the payload length */
	int needs_cert;
	int (*handle)(struct gw_conn *c, struct gw_link_msg *m);
};

/* Every command but ENROLL acts on the merchant of the client
 * certificate, and only on it: none takes a merchant id. */
static const struct command commands[] = {
    {"ENROLL", 3, 0, gw_enroll_handle},
    {"SESSION", 3, 1, gw_session_handle},
    {"RENEW", 1, 1, gw_renew_handle},
    {"FETCH", 3, 1, gw_packages_fetch_handle},
    {"MESSAGE", 2, 1, gw_message_handle},
    {"VERSION", 2, 1, gw_session_version_handle},
};

redisContext *gw_conn_redis(struct gw_conn *c)
{
	char err[128];

	if (c->redis && !c->redis->err)
		return c->redis;
	if (c->redis)
		redisFree(c->redis);
	c->redis = gw_store_connect(c->cfg->redis_path, err, sizeof(err));
	if (!c->redis)
		log_err("conn %lu: cannot reach Redis at %s: %s", c->number,
			c->cfg->redis_path, err);
	return c->redis;
}

int gw_conn_fail(struct gw_conn *c, int code, const char *msg)
{
	return gw_link_write_err(c->ssl, code, msg);
}

static const struct command *lookup(const char *verb)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].verb, verb) == 0)
			return &commands[i];
	return NULL;
}

static int dispatch(struct gw_conn *c, struct gw_link_msg *m)
{
	const struct command *cmd;
	char verb[24];

	cmd = m->argc > 0 ? lookup(m->argv[0]) : NULL;
	if (!cmd) {
		gw_printable(m->argc > 0 ? m->argv[0] : "",
			     m->argc > 0 ? strlen(m->argv[0]) : 0, verb,
			     sizeof(verb));
		log_info("conn %lu: unknown command \"%s\"", c->number, verb);
		return gw_conn_fail(c, 400, "unknown command");
	}
	if (cmd->needs_cert && !c->merchant[0]) {
		log_info("conn %lu: %s without client certificate", c->number,
			 cmd->verb);
		return gw_conn_fail(c, 401, "client certificate required");
	}
	if (m->argc != cmd->argc)
		return gw_conn_fail(c, 400, "wrong number of arguments");
	return cmd->handle(c, m);
}

/* Why a handshake failed, for the log: the certificate check's verdict
 * when there was one, else OpenSSL's reason. */
static const char *handshake_error(SSL *ssl)
{
	long v = SSL_get_verify_result(ssl);
	const char *r;

	if (v != X509_V_OK)
		return X509_verify_cert_error_string(v);
	r = ERR_reason_error_string(ERR_peek_last_error());
	return r ? r : "closed or timed out";
}

/* The certificate a merchant connects with may be one gw-control has not
 * seen issued (a restart, or another appliance); its renewal is due all
 * the same. */
static void note_cert(struct gw_conn *c)
{
	redisContext *rc = gw_conn_redis(c);

	if (!rc || gw_merchants_cert_seen(
		       rc, c->merchant, SSL_get0_peer_certificate(c->ssl)) < 0)
		log_err(
		    "conn %lu: merchant %s: recording its certificate for renewal signals failed",
		    c->number, c->merchant);
}

/* Handshake and identity.  0 or -EACCES. */
static int accept_peer(struct gw_conn *c)
{
	int ret;

	if (SSL_accept(c->ssl) != 1) {
		/* A certificate that fails verification is worth a warning;
		 * a dropped or confused handshake is routine. */
		gw_log_emit(SSL_get_verify_result(c->ssl) != X509_V_OK
				? GW_LOG_WARN
				: GW_LOG_INFO,
			    "conn %lu: handshake with %s failed: %s", c->number,
			    c->peer, handshake_error(c->ssl));
		ERR_clear_error();
		return -EACCES;
	}
	ret = gw_tls_peer_merchant(c->ssl, c->merchant, sizeof(c->merchant));
	if (ret == -ENOENT) {
		log_info("conn %lu: %s connected without certificate",
			 c->number, c->peer);
		return 0;
	}
	if (ret) {
		/* Verification failures end the handshake, so this is a
		 * certificate of the right chain that names no merchant,
		 * such as another of the gateway's own. */
		log_warn(
		    "conn %lu: %s presented a certificate without merchant id",
		    c->number, c->peer);
		return -EACCES;
	}
	log_info("conn %lu: merchant %s connected from %s", c->number,
		 c->merchant, c->peer);
	note_cert(c);
	return 0;
}

/* Frees a message and wipes its line, which may hold an enrollment
 * secret. */
static void release(struct gw_link_msg *m)
{
	if (m->payload)
		OPENSSL_cleanse(m->payload, m->payload_len);
	gw_link_msg_clear(m);
	m->payload = NULL;
	m->payload_len = 0;
	OPENSSL_cleanse(m->line, sizeof(m->line));
}

void gw_conn_run(struct gw_conn *c)
{
	struct gw_link_msg m;
	int ret;

	memset(&m, 0, sizeof(m));
	if (accept_peer(c))
		goto out;
	for (;;) {
		ret = gw_link_read(c->ssl, &m);
		if (ret == -EPROTO) {
			/* The framing is lost; nothing after this line can
			 * be trusted to start a command. */
			gw_conn_fail(c, 400, "malformed request");
			break;
		}
		if (ret)
			break;
		ret = dispatch(c, &m);
		release(&m);
		if (ret)
			break;
	}
	SSL_shutdown(c->ssl);
out:
	release(&m);
	log_info("conn %lu: closed", c->number);
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->redis)
		redisFree(c->redis);
	c->redis = NULL;
	ERR_clear_error();
}
