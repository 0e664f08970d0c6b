/*
 * Framing of link 1, the merchant-to-gateway TLS connection: a request is
 * one text line "VERB arg ... <payload-length>\n" followed by that many
 * payload bytes; an answer is "OK k=v ... <payload-length>\n" plus payload,
 * or "ERR <code> <message>\n".  Verbs and their arguments are documented in
 * docs/protocol.md; this module only moves lines and payloads over an SSL
 * connection.
 *
 *   ENROLL <merchant-id> <enrollment-secret> <len>   payload: CSR PEM
 *      -> OK <len>                                   payload: cert + chain
 *   SESSION <signal-host:port | -> <software-version> 0   (client cert)
 *      -> OK id=<n> secret=<hex> dataplane=<ip:port> expires=<unix> 0
 *   RENEW <len>    payload: CSR PEM  -> OK <len>    payload: cert + chain
 *   FETCH <name> <version> 0         -> OK sig=<n> <len>  payload: sig, file
 *   MESSAGE <id> 0                   -> OK <len>    payload: the text
 *   VERSION <software-version> 0     -> OK 0
 *
 * Requests are bounded by GW_LINK_PAYLOAD_MAX; answers may be as large as
 * GW_LINK_ANSWER_MAX so that a software package fits in one.
 */
#ifndef GW_LINK_H
#define GW_LINK_H

#include <stddef.h>

#include <openssl/ssl.h>

#define GW_LINK_LINE_MAX     1024
#define GW_LINK_PAYLOAD_MAX  (64 * 1024)
#define GW_LINK_ANSWER_MAX   (64 * 1024 * 1024)
#define GW_LINK_ARGS_MAX     16
#define GW_LINK_DEFAULT_PORT 7443

/* A parsed line: words split on single spaces, the last one the payload
 * length. */
struct gw_link_msg {
	char line[GW_LINK_LINE_MAX];
	char *argv[GW_LINK_ARGS_MAX];
	int argc;      /* words before the payload length */
	char *payload; /* malloc'd, NUL-terminated; NULL when empty */
	size_t payload_len;
};

/*
 * Reads one message.  0, -EPROTO (malformed line, too many words, payload
 * too long), -ECONNRESET (peer closed) or -EIO.  The caller frees with
 * gw_link_msg_clear.
 */
int gw_link_read(SSL *ssl, struct gw_link_msg *m);

/* gw_link_read for a client reading an answer: the payload may be up to
 * GW_LINK_ANSWER_MAX bytes.  A server never reads requests with it. */
int gw_link_read_answer(SSL *ssl, struct gw_link_msg *m);
void gw_link_msg_clear(struct gw_link_msg *m);

/* Writes "<line> <payload_len>\n" and the payload.  0 or -EIO. */
int gw_link_write(SSL *ssl, const char *line, const void *payload,
		  size_t payload_len);

/* gw_link_write for a server's answer, with a payload of up to
 * GW_LINK_ANSWER_MAX bytes.  0, -EINVAL or -EIO. */
int gw_link_write_answer(SSL *ssl, const char *line, const void *payload,
			 size_t payload_len);

/* Writes "ERR <code> <message>\n".  0 or -EIO. */
int gw_link_write_err(SSL *ssl, int code, const char *msg);

/* The value of "key=value" among argv[from..argc), or NULL. */
const char *gw_link_get(const struct gw_link_msg *m, int from, const char *key);

#endif
