/*
 * A minimal Redis session loader for the kernel baseline.  The scan
 * pipelines one HGETALL per key of each SCAN page, so that a hundred
 * thousand sessions load in seconds.  Unlike the data plane's sync it
 * does not reconnect: a benchmark whose Redis died is a failed run, and
 * the server goes on with the sessions it has.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#include "gw_sessrec.h"
#include "ksync.h"

#define EVENTS_PER_READ 256
#define STREAM_ID_MAX	64

struct gw_ksync {
	redisContext *rc;
	struct gw_kstore *t;
	uint8_t wrap_key[GW_SECRET_LEN];
	char last_id[STREAM_ID_MAX];
};

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -EINVAL : 0;
}

static int parse_id(const char *s, uint32_t *id)
{
	uint64_t v;

	if (parse_u64(s, &v) != 0 || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

/* The value of @name in a field list (HGETALL or a stream entry). */
static const char *field(const redisReply *l, const char *name)
{
	size_t i;

	if (l == NULL || l->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < l->elements; i += 2)
		if (l->element[i]->type == REDIS_REPLY_STRING &&
		    l->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(l->element[i]->str, name) == 0)
			return l->element[i + 1]->str;
	return NULL;
}

/* Puts the session of HGETALL reply @h into the table.  A bad record is
 * skipped: the baseline serves what it can read. */
static void put(struct gw_ksync *s, uint32_t id, const redisReply *h)
{
	struct gw_sessrec rec = {.id = id};
	const char *merchant = field(h, "merchant");
	const char *wrapped = field(h, "wrapped");

	if (merchant == NULL || wrapped == NULL ||
	    gw_merchant_id_check(merchant) != 0 ||
	    parse_u64(field(h, "created"), &rec.created) != 0 ||
	    parse_u64(field(h, "expires"), &rec.expires) != 0 ||
	    gw_sessrec_state_parse(field(h, "state"), &rec.state) != 0)
		return;
	strcpy(rec.merchant, merchant);
	if (rec.state == GW_SESS_ACTIVE &&
	    gw_sessrec_unwrap(s->wrap_key, &rec, wrapped) != 0)
		goto out;
	if (gw_kstore_put(s->t, &rec) != 0)
		fprintf(stderr, "gw-kernel-server: session %u not loaded\n",
			id);
out:
	OPENSSL_cleanse(&rec, sizeof(rec));
}

/* HGETALL for every session key of one SCAN page, pipelined. */
static int load_page(struct gw_ksync *s, const redisReply *keys)
{
	const size_t plen = strlen(GW_REDIS_SESSION_PREFIX);
	uint32_t *ids = calloc(keys->elements + 1, sizeof(*ids));
	redisReply *h;
	size_t i, n = 0;
	int rc = 0;

	if (ids == NULL)
		return -ENOMEM;
	for (i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];

		/* gw:session:next is not a session. */
		if (k->type != REDIS_REPLY_STRING ||
		    parse_id(k->str + plen, &ids[n]) != 0)
			continue;
		redisAppendCommand(s->rc, "HGETALL %s", k->str);
		n++;
	}
	for (i = 0; i < n; i++) {
		if (redisGetReply(s->rc, (void **)&h) != REDIS_OK) {
			rc = -EIO;
			break;
		}
		put(s, ids[i], h);
		freeReplyObject(h);
	}
	free(ids);
	return rc;
}

static int stream_tail(struct gw_ksync *s)
{
	redisReply *r;

	r = redisCommand(s->rc, "XREVRANGE %s + - COUNT 1",
			 GW_REDIS_SESSION_EVENTS);
	if (r == NULL)
		return -EIO;
	strcpy(s->last_id, "0-0");
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2 &&
	    r->element[0]->element[0]->type == REDIS_REPLY_STRING)
		snprintf(s->last_id, sizeof(s->last_id), "%s",
			 r->element[0]->element[0]->str);
	freeReplyObject(r);
	return 0;
}

/* The stream's tail is noted before the scan, so that an event racing
 * the scan is applied twice (harmless) rather than never. */
static int scan(struct gw_ksync *s)
{
	char cursor[32] = "0";
	redisReply *r;
	int rc = 0;

	if (stream_tail(s) != 0)
		return -EIO;
	do {
		r = redisCommand(s->rc, "SCAN %s MATCH %s* COUNT 1000", cursor,
				 GW_REDIS_SESSION_PREFIX);
		if (r == NULL)
			return -EIO;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return -EPROTO;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		rc = load_page(s, r->element[1]);
		freeReplyObject(r);
	} while (rc == 0 && strcmp(cursor, "0") != 0);
	return rc;
}

static void event(struct gw_ksync *s, const redisReply *fields)
{
	const char *op = field(fields, "op");
	redisReply *h;
	uint32_t id;

	if (op == NULL || parse_id(field(fields, "id"), &id) != 0)
		return;
	if (strcmp(op, "revoke") == 0) {
		gw_kstore_revoke(s->t, id);
		return;
	}
	if (strcmp(op, "open") != 0)
		return;
	h = redisCommand(s->rc, "HGETALL " GW_REDIS_SESSION_PREFIX "%u", id);
	if (h == NULL)
		return;
	put(s, id, h);
	freeReplyObject(h);
}

int gw_ksync_poll(struct gw_ksync *s)
{
	const redisReply *entries, *e;
	redisReply *r;
	size_t i;
	int n = 0;

	if (s->rc == NULL || s->rc->err)
		return -EIO;
	r = redisCommand(s->rc, "XREAD COUNT %d STREAMS %s %s", EVENTS_PER_READ,
			 GW_REDIS_SESSION_EVENTS, s->last_id);
	if (r == NULL)
		return -EIO;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->elements != 2) {
		freeReplyObject(r);
		return 0;
	}
	entries = r->element[0]->element[1];
	for (i = 0; i < entries->elements && !s->rc->err; i++) {
		e = entries->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		event(s, e->element[1]);
		snprintf(s->last_id, sizeof(s->last_id), "%s",
			 e->element[0]->str);
		n++;
	}
	freeReplyObject(r);
	return s->rc->err ? -EIO : n;
}

struct gw_ksync *gw_ksync_new(const char *path, struct gw_kstore *t,
			      const uint8_t wrap_key[GW_SECRET_LEN], char *err,
			      size_t errlen)
{
	struct timeval tv = {.tv_sec = 5};
	struct gw_ksync *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->t = t;
	memcpy(s->wrap_key, wrap_key, GW_SECRET_LEN);
	s->rc = redisConnectUnixWithTimeout(path, tv);
	if (s->rc == NULL || s->rc->err) {
		snprintf(err, errlen, "cannot reach Redis at %s: %s", path,
			 s->rc ? s->rc->errstr : "out of memory");
		goto fail;
	}
	redisSetTimeout(s->rc, tv);
	if (scan(s) != 0) {
		snprintf(err, errlen, "cannot read sessions from Redis at %s",
			 path);
		goto fail;
	}
	return s;
fail:
	gw_ksync_free(s);
	return NULL;
}

void gw_ksync_free(struct gw_ksync *s)
{
	if (s == NULL)
		return;
	redisFree(s->rc);
	OPENSSL_cleanse(s->wrap_key, sizeof(s->wrap_key));
	free(s);
}
