/*
 * The session scan and the session-events stream.  Each record read is
 * parsed, checked and unwrapped into a gw_sessrec handed to the program's
 * callbacks, and wiped once they return.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gw_redis.h"
#include "gw_redis_sessions.h"
#include "gw_util.h"

#define STREAM_ID_MAX 64
#define REFUSAL_SHOWN 128

struct gw_redis_sessions {
	const struct gw_redis_sessions_ops *ops;
	void *ctx;
	uint8_t wrap_key[GW_SECRET_LEN];
	char last_id[STREAM_ID_MAX];
};

static int parse_u64(const char *str, uint64_t *out)
{
	char *end;

	if (str == NULL || *str < '0' || *str > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(str, &end, 10);
	return errno != 0 || *end != '\0' ? -EINVAL : 0;
}

/* Session ids are 1 to UINT32_MAX; gw:session:next is not one. */
static int parse_id(const char *str, uint32_t *id)
{
	uint64_t v;

	if (parse_u64(str, &v) != 0 || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

/* @r, or NULL when it is Redis's refusal, which is reported and freed. */
static redisReply *accepted(struct gw_redis_sessions *s, redisReply *r)
{
	char msg[REFUSAL_SHOWN];

	if (r == NULL || r->type != REDIS_REPLY_ERROR)
		return r;
	if (s->ops->refused != NULL) {
		gw_printable(r->str, r->len, msg, sizeof(msg));
		s->ops->refused(s->ctx, msg);
	}
	freeReplyObject(r);
	return NULL;
}

static int fill(struct gw_redis_sessions *s, const redisReply *h,
		struct gw_sessrec *rec)
{
	const char *merchant = gw_redis_field(h, "merchant");
	const char *wrapped = gw_redis_field(h, "wrapped");

	if (merchant == NULL || wrapped == NULL ||
	    gw_merchant_id_check(merchant) != 0 ||
	    parse_u64(gw_redis_field(h, "created"), &rec->created) != 0 ||
	    parse_u64(gw_redis_field(h, "expires"), &rec->expires) != 0 ||
	    gw_sessrec_state_parse(gw_redis_field(h, "state"), &rec->state) !=
		0)
		return -EINVAL;
	strcpy(rec->merchant, merchant);
	if (rec->state != GW_SESS_ACTIVE)
		return 0;
	return gw_sessrec_unwrap(s->wrap_key, rec, wrapped);
}

/* Hands session @id of HGETALL reply @h to the program.  An empty reply
 * means the session was deleted since the scan or the event. */
static void take(struct gw_redis_sessions *s, uint32_t id, const redisReply *h,
		 bool event)
{
	struct gw_sessrec rec = {.id = id};
	int rc;

	if (h == NULL || h->type != REDIS_REPLY_ARRAY || h->elements == 0)
		return;
	rc = fill(s, h, &rec);
	if (rc == 0)
		rc = s->ops->open(s->ctx, &rec, event);
	if (rc != 0 && s->ops->skipped != NULL)
		s->ops->skipped(s->ctx, id, rc);
	OPENSSL_cleanse(&rec, sizeof(rec));
}

/* HGETALL for every session key of one SCAN page, pipelined. */
static int load_page(struct gw_redis_sessions *s, redisContext *rc,
		     const redisReply *keys)
{
	const size_t plen = strlen(GW_REDIS_SESSION_PREFIX);
	uint32_t *ids = calloc(keys->elements + 1, sizeof(*ids));
	redisReply *h;
	size_t i, n = 0;
	int ret = 0;

	if (ids == NULL)
		return -ENOMEM;
	for (i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];

		if (k->type != REDIS_REPLY_STRING ||
		    strncmp(k->str, GW_REDIS_SESSION_PREFIX, plen) != 0 ||
		    parse_id(k->str + plen, &ids[n]) != 0)
			continue;
		if (redisAppendCommand(rc, "HGETALL %s", k->str) != REDIS_OK) {
			ret = -ENOMEM;
			break;
		}
		n++;
	}
	/* Every appended command's reply is read, even after a failure, so
	 * that the connection stays in step. */
	for (i = 0; i < n; i++) {
		if (redisGetReply(rc, (void **)&h) != REDIS_OK) {
			ret = -EIO;
			break;
		}
		h = accepted(s, h);
		if (ret == 0)
			take(s, ids[i], h, false);
		freeReplyObject(h);
	}
	free(ids);
	return ret;
}

/* The stream's newest event id, where reading resumes after a scan. */
static int stream_tail(struct gw_redis_sessions *s, redisContext *rc)
{
	redisReply *r;

	r = redisCommand(rc, "XREVRANGE %s + - COUNT 1",
			 GW_REDIS_SESSION_EVENTS);
	if (r == NULL)
		return -EIO;
	r = accepted(s, r);
	if (r == NULL)
		return -EPROTO;
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

int gw_redis_sessions_scan(struct gw_redis_sessions *s, redisContext *rc)
{
	char cursor[32] = "0";
	redisReply *r;
	int ret;

	if (s == NULL || rc == NULL)
		return -EINVAL;
	ret = stream_tail(s, rc);
	if (ret != 0)
		return ret;
	do {
		r = redisCommand(rc, "SCAN %s MATCH %s* COUNT 1000", cursor,
				 GW_REDIS_SESSION_PREFIX);
		if (r == NULL)
			return -EIO;
		r = accepted(s, r);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return -EPROTO;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		ret = load_page(s, rc, r->element[1]);
		freeReplyObject(r);
	} while (ret == 0 && strcmp(cursor, "0") != 0);
	return ret;
}

static void event(struct gw_redis_sessions *s, redisContext *rc,
		  const redisReply *fields)
{
	const char *op = gw_redis_field(fields, "op");
	redisReply *h;
	uint32_t id;

	if (op == NULL || parse_id(gw_redis_field(fields, "id"), &id) != 0) {
		if (s->ops->skipped != NULL)
			s->ops->skipped(s->ctx, 0, -EINVAL);
		return;
	}
	if (strcmp(op, "revoke") == 0) {
		s->ops->revoke(s->ctx, id);
		return;
	}
	if (strcmp(op, "open") != 0)
		return;
	h = redisCommand(rc, "HGETALL " GW_REDIS_SESSION_PREFIX "%u",
			 (unsigned)id);
	h = accepted(s, h);
	take(s, id, h, true);
	freeReplyObject(h);
}

int gw_redis_sessions_poll(struct gw_redis_sessions *s, redisContext *rc,
			   unsigned max)
{
	const redisReply *entries, *e;
	redisReply *r;
	size_t i, n;

	if (s == NULL || rc == NULL || rc->err)
		return -EIO;
	r = redisCommand(rc, "XREAD COUNT %u STREAMS %s %s", max,
			 GW_REDIS_SESSION_EVENTS, s->last_id);
	if (r == NULL)
		return -EIO;
	r = accepted(s, r);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY ||
	    r->element[0]->elements != 2) {
		freeReplyObject(r);
		return rc->err ? -EIO : 0; /* nil: nothing new */
	}
	entries = r->element[0]->element[1];
	for (i = 0; i < entries->elements && !rc->err; i++) {
		e = entries->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		event(s, rc, e->element[1]);
		snprintf(s->last_id, sizeof(s->last_id), "%s",
			 e->element[0]->str);
	}
	n = entries->elements;
	freeReplyObject(r);
	return rc->err ? -EIO : (int)n;
}

struct gw_redis_sessions *
gw_redis_sessions_new(const uint8_t wrap_key[GW_SECRET_LEN],
		      const struct gw_redis_sessions_ops *ops, void *ctx)
{
	struct gw_redis_sessions *s;

	if (wrap_key == NULL || ops == NULL || ops->open == NULL ||
	    ops->revoke == NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->ops = ops;
	s->ctx = ctx;
	memcpy(s->wrap_key, wrap_key, GW_SECRET_LEN);
	strcpy(s->last_id, "0-0");
	return s;
}

void gw_redis_sessions_free(struct gw_redis_sessions *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s->wrap_key, sizeof(s->wrap_key));
	free(s);
}
