/*
 * Opening and listing sessions.  A new session's secret exists in clear
 * only in this function's frame and in the answer to the merchant; Redis
 * gets it wrapped under the session-wrap subkey.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conn.h"
#include "gw_util.h"
#include "log.h"
#include "merchants.h"
#include "parse.h"
#include "session.h"
#include "sigstore.h"
#include "store.h"

/* Validates the arguments; 0 or the answer already written in *@ret. */
static int check_args(struct gw_conn *c, struct gw_link_msg *m, int *ret)
{
	char shown[48];

	if (gw_parse_endpoint(m->argv[1]) == 0 &&
	    gw_parse_version(m->argv[2]) == 0)
		return 0;
	gw_printable(m->argv[1], strlen(m->argv[1]), shown, sizeof(shown));
	log_warn("conn %lu: merchant %s: bad SESSION arguments (signal \"%s\")",
		 c->number, c->merchant, shown);
	*ret = gw_conn_fail(c, 400,
			    gw_parse_endpoint(m->argv[1])
				? "bad signal endpoint"
				: "bad software version");
	return -EINVAL;
}

/* Allocates an id and stores the wrapped record.  0 or -EIO. */
static int store_session(struct gw_conn *c, struct gw_sessrec *r,
			 const char *signal, const char *version)
{
	char wrapped[GW_SESSREC_WRAPPED_HEX];
	struct gw_store_session s;
	redisContext *rc;
	int ret = -EIO;

	rc = gw_conn_redis(c);
	if (!rc || gw_store_session_next(rc, &r->id))
		goto out;
	if (gw_sessrec_wrap(c->cfg->wrap_key, r, wrapped, sizeof(wrapped)))
		goto out;
	s = (struct gw_store_session){
	    .id = r->id,
	    .merchant = r->merchant,
	    .wrapped = wrapped,
	    .created = r->created,
	    .expires = r->expires,
	    .signal = signal,
	    .version = version,
	};
	ret = gw_store_session_put(rc, &s);
	if (ret == 0 &&
	    gw_merchants_add_session(rc, r->merchant, r->id, version))
		log_err("conn %lu: merchant %s: session %" PRIu32
			" will get no signals: recording it failed",
			c->number, r->merchant, r->id);
out:
	OPENSSL_cleanse(wrapped, sizeof(wrapped));
	return ret;
}

/* A new session answers the merchant's REKEY signals, and hears of a
 * certificate renewal that was waiting for a session to tell. */
static void after_open(struct gw_conn *c)
{
	redisContext *rc = gw_conn_redis(c);

	if (!rc ||
	    gw_sigstore_settle(rc, c->merchant, GW_SIG_REKEY, NULL) < 0 ||
	    gw_merchants_renewal_wake(rc, c->merchant))
		log_err("conn %lu: merchant %s: updating its signals failed",
			c->number, c->merchant);
}

int gw_session_version_handle(struct gw_conn *c, struct gw_link_msg *m)
{
	redisContext *rc;
	char shown[48];

	if (gw_parse_version(m->argv[1])) {
		gw_printable(m->argv[1], strlen(m->argv[1]), shown,
			     sizeof(shown));
		log_warn("conn %lu: merchant %s: bad VERSION \"%s\"", c->number,
			 c->merchant, shown);
		return gw_conn_fail(c, 400, "bad software version");
	}
	rc = gw_conn_redis(c);
	if (!rc || gw_merchants_set_version(rc, c->merchant, m->argv[1]))
		return gw_conn_fail(c, 500, "merchant store unavailable");
	log_info("conn %lu: merchant %s runs version %s", c->number,
		 c->merchant, m->argv[1]);
	return gw_link_write(c->ssl, "OK", NULL, 0);
}

int gw_session_handle(struct gw_conn *c, struct gw_link_msg *m)
{
	char line[GW_LINK_LINE_MAX];
	char hex[2 * GW_SECRET_LEN + 1];
	struct gw_sessrec r;
	int ret = 0;

	memset(&r, 0, sizeof(r));
	if (check_args(c, m, &ret))
		return ret;
	snprintf(r.merchant, sizeof(r.merchant), "%s", c->merchant);
	r.created = (uint64_t)time(NULL);
	r.expires = r.created + c->cfg->session_ttl;
	r.state = GW_SESS_ACTIVE;
	if (RAND_bytes(r.secret, sizeof(r.secret)) != 1 ||
	    store_session(c, &r, m->argv[1], m->argv[2])) {
		log_err("conn %lu: merchant %s: storing a new session failed",
			c->number, c->merchant);
		ret = gw_conn_fail(c, 500, "session store unavailable");
		goto out;
	}
	gw_hex_encode(r.secret, sizeof(r.secret), hex);
	snprintf(line, sizeof(line),
		 "OK id=%" PRIu32 " secret=%s dataplane=%s expires=%" PRIu64,
		 r.id, hex, c->cfg->dataplane, r.expires);
	ret = gw_link_write(c->ssl, line, NULL, 0);
	log_info("conn %lu: merchant %s opened session %" PRIu32
		 " until %" PRIu64,
		 c->number, c->merchant, r.id, r.expires);
	after_open(c);
out:
	OPENSSL_cleanse(&r, sizeof(r));
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(line, sizeof(line));
	return ret;
}

/* Prints one HMGET answer (merchant, state, expires) of session @id. */
static void print_one(FILE *out, uint64_t id, const redisReply *r)
{
	char f[3][GW_MERCHANT_ID_MAX + 1];
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return; /* expired or removed */
	for (i = 0; i < 3; i++) {
		const redisReply *e = r->element[i];

		if (e->type == REDIS_REPLY_STRING)
			gw_printable(e->str, e->len, f[i], sizeof(f[i]));
		else
			snprintf(f[i], sizeof(f[i]), "-");
	}
	fprintf(out, "%" PRIu64 " %s %s %s\n", id, f[0], f[1], f[2]);
}

/* Fetches sessions [@from, @to] in one pipeline. */
static int list_batch(redisContext *rc, FILE *out, uint64_t from, uint64_t to)
{
	redisReply *r;
	uint64_t id;

	for (id = from; id <= to; id++)
		redisAppendCommand(rc,
				   "HMGET %s%" PRIu64 " merchant state expires",
				   GW_REDIS_SESSION_PREFIX, id);
	for (id = from; id <= to; id++) {
		if (redisGetReply(rc, (void **)&r) != REDIS_OK || !r)
			return -EIO;
		print_one(out, id, r);
		freeReplyObject(r);
	}
	return 0;
}

int gw_session_list(redisContext *rc, FILE *out)
{
	uint64_t last = 0;
	uint64_t from;
	redisReply *r;

	r = redisCommand(rc, "GET %s", GW_REDIS_SESSION_NEXT);
	if (!r)
		return -EIO;
	if (r->type == REDIS_REPLY_ERROR ||
	    (r->type == REDIS_REPLY_STRING &&
	     gw_parse_u64(r->str, 0, UINT32_MAX, &last))) {
		freeReplyObject(r);
		return -EIO;
	}
	freeReplyObject(r);
	fprintf(out, "id merchant state expires\n");
	/* Ids are dense (INCR), so walking them lists in order without
	 * SCAN's repeats. */
	for (from = 1; from <= last; from += 256)
		if (list_batch(rc, out, from,
			       from + 255 < last ? from + 255 : last))
			return -EIO;
	return 0;
}
