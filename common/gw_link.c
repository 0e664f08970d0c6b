/*
 * Link 1 framing: reading and writing one text line plus its payload over
 * an established SSL connection.  The verbs, their arguments and who may
 * use them are the control plane's and merchant-sim's.
 *
 * An "ERR <code> <message>" line carries no payload length; it is parsed
 * as argv[0] = "ERR", argv[1] = code and argv[2] = the whole message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "gw_link.h"
#include "gw_util.h"

#define ERR_MSG_MAX 200

/* Maps a failed SSL call to the module's errors: a clean close or an EOF
 * from the peer is -ECONNRESET, anything else -EIO. */
static int ssl_fail(SSL *ssl, int rc)
{
	int e = SSL_get_error(ssl, rc);
	unsigned long why = ERR_peek_error();

	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN)
		return -ECONNRESET;
	if (e == SSL_ERROR_SSL &&
	    ERR_GET_REASON(why) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return -ECONNRESET;
	if (e == SSL_ERROR_SYSCALL &&
	    (errno == 0 || errno == ECONNRESET || errno == EPIPE))
		return -ECONNRESET;
	return -EIO;
}

static int read_full(SSL *ssl, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		size_t n = 0;
		int rc;

		errno = 0;
		rc = SSL_read_ex(ssl, (char *)buf + got, len - got, &n);
		if (rc != 1)
			return ssl_fail(ssl, rc);
		got += n;
	}
	return 0;
}

static int write_full(SSL *ssl, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		size_t n = 0;
		int rc;

		errno = 0;
		rc = SSL_write_ex(ssl, (const char *)buf + put, len - put, &n);
		if (rc != 1) {
			ERR_clear_error();
			return -EIO;
		}
		put += n;
	}
	return 0;
}

/*
 * Reads up to and excluding '\n' into m->line.  The line is read one byte
 * at a time so that nothing past it is consumed; SSL buffers the record,
 * so this costs no system call per byte.
 */
static int read_line(SSL *ssl, struct gw_link_msg *m)
{
	for (size_t n = 0; n < sizeof(m->line); n++) {
		int ret = read_full(ssl, &m->line[n], 1);

		if (ret != 0)
			return ret;
		if (m->line[n] == '\n') {
			m->line[n] = '\0';
			return 0;
		}
		if (m->line[n] == '\0')
			return -EPROTO;
	}
	return -EPROTO;
}

/* Splits the line in place on single spaces; empty words are refused. */
static int split_words(char *s, char **w, int max)
{
	int n = 0;

	for (;;) {
		char *sp = strchr(s, ' ');

		if (*s == '\0' || sp == s || n == max)
			return -EPROTO;
		w[n++] = s;
		if (sp == NULL)
			return n;
		*sp = '\0';
		s = sp + 1;
	}
}

/* At most 9 digits, so that the sum cannot overflow before the bound
 * check; the bound is the caller's. */
static int parse_len(const char *s, size_t max, size_t *len)
{
	size_t v = 0;

	if (*s == '\0' || strlen(s) > 9)
		return -EPROTO;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EPROTO;
		v = v * 10 + (size_t)(*s - '0');
	}
	if (v > max)
		return -EPROTO;
	*len = v;
	return 0;
}

/* "ERR <code> <message>": the message keeps its spaces. */
static int parse_err(struct gw_link_msg *m)
{
	char *code = m->line + 4, *msg = strchr(code, ' ');

	if (msg == NULL || msg == code)
		return -EPROTO;
	*msg++ = '\0';
	m->argv[0] = m->line;
	m->line[3] = '\0';
	m->argv[1] = code;
	m->argv[2] = msg;
	m->argc = 3;
	return 0;
}

static int parse_msg(SSL *ssl, struct gw_link_msg *m, size_t max)
{
	char *w[GW_LINK_ARGS_MAX + 1];
	int n, ret;

	if (strncmp(m->line, "ERR ", 4) == 0)
		return parse_err(m);
	n = split_words(m->line, w, GW_LINK_ARGS_MAX + 1);
	if (n < 2)
		return -EPROTO;
	ret = parse_len(w[n - 1], max, &m->payload_len);
	if (ret != 0)
		return ret;
	m->argc = n - 1;
	memcpy(m->argv, w, sizeof(w[0]) * (size_t)m->argc);
	if (m->payload_len == 0)
		return 0;
	m->payload = malloc(m->payload_len + 1);
	if (m->payload == NULL)
		return -EIO;
	m->payload[m->payload_len] = '\0';
	return read_full(ssl, m->payload, m->payload_len);
}

static int read_msg(SSL *ssl, struct gw_link_msg *m, size_t max)
{
	int ret;

	if (m == NULL)
		return -EIO;
	memset(m, 0, sizeof(*m));
	if (ssl == NULL)
		return -EIO;
	ret = read_line(ssl, m);
	if (ret == 0)
		ret = parse_msg(ssl, m, max);
	if (ret != 0)
		gw_link_msg_clear(m);
	return ret;
}

int gw_link_read(SSL *ssl, struct gw_link_msg *m)
{
	return read_msg(ssl, m, GW_LINK_PAYLOAD_MAX);
}

int gw_link_read_answer(SSL *ssl, struct gw_link_msg *m)
{
	return read_msg(ssl, m, GW_LINK_ANSWER_MAX);
}

/* Lines carry enrollment and session secrets, so they are wiped. */
void gw_link_msg_clear(struct gw_link_msg *m)
{
	if (m == NULL)
		return;
	if (m->payload != NULL) {
		OPENSSL_cleanse(m->payload, m->payload_len);
		free(m->payload);
	}
	OPENSSL_cleanse(m->line, sizeof(m->line));
	memset(m, 0, sizeof(*m));
}

static int write_msg(SSL *ssl, const char *line, const void *payload,
		     size_t payload_len, size_t max)
{
	char buf[GW_LINK_LINE_MAX + 1];
	int n, ret;

	if (ssl == NULL || line == NULL || strchr(line, '\n') != NULL ||
	    payload_len > max || (payload == NULL && payload_len != 0))
		return -EINVAL;
	n = snprintf(buf, sizeof(buf), "%s %zu\n", line, payload_len);
	if (n < 0 || (size_t)n > GW_LINK_LINE_MAX) {
		ret = -EINVAL;
		goto out;
	}
	ret = write_full(ssl, buf, (size_t)n);
	if (ret == 0 && payload_len > 0)
		ret = write_full(ssl, payload, payload_len);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

int gw_link_write(SSL *ssl, const char *line, const void *payload,
		  size_t payload_len)
{
	return write_msg(ssl, line, payload, payload_len, GW_LINK_PAYLOAD_MAX);
}

int gw_link_write_answer(SSL *ssl, const char *line, const void *payload,
			 size_t payload_len)
{
	return write_msg(ssl, line, payload, payload_len, GW_LINK_ANSWER_MAX);
}

int gw_link_write_err(SSL *ssl, int code, const char *msg)
{
	char buf[ERR_MSG_MAX + 32];
	size_t i, off;
	int n;

	if (ssl == NULL || msg == NULL)
		return -EINVAL;
	n = snprintf(buf, sizeof(buf), "ERR %d ", code);
	if (n < 0)
		return -EIO;
	off = (size_t)n;
	/* The message may quote what the peer sent; only printable bytes go
	 * back, and an empty message would break the framing. */
	i = strnlen(msg, ERR_MSG_MAX);
	gw_printable(msg, i, buf + off, ERR_MSG_MAX + 1);
	if (i == 0)
		buf[off + i++] = '-';
	buf[off + i] = '\n';
	return write_full(ssl, buf, off + i + 1);
}

const char *gw_link_get(const struct gw_link_msg *m, int from, const char *key)
{
	size_t klen;

	if (m == NULL || key == NULL || from < 0)
		return NULL;
	klen = strlen(key);
	for (int i = from; i < m->argc; i++) {
		if (strncmp(m->argv[i], key, klen) == 0 &&
		    m->argv[i][klen] == '=')
			return m->argv[i] + klen + 1;
	}
	return NULL;
}
