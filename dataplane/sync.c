/*
 * Redis session sync.  A rescan first notes the stream's last event, then
 * reads every gw:session:<id> hash, then revokes what vanished; events
 * from the noted one onwards are applied after it, so an event racing the
 * scan is applied twice, which is harmless, rather than never.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "gw_sessrec.h"
#include "gw_util.h"
#include "log.h"
#include "sync.h"

#define EVENTS_PER_READ 256
#define READS_PER_TICK	8
#define STREAM_ID_MAX	64

struct gw_sync {
	char path[256];
	redisContext *rc;
	struct gw_sessions *t;
	uint8_t wrap_key[GW_SECRET_LEN];
	char last_id[STREAM_ID_MAX];
	uint32_t gen;
	uint64_t next_retry;
};

static uint64_t wall(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* A reply, or NULL: then either the connection failed (s->rc->err set) or
 * Redis answered an error, which is logged. */
static redisReply *command(struct gw_sync *s, const char *fmt, ...)
{
	redisReply *r;
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(s->rc, fmt, ap);
	va_end(ap);
	if (r == NULL || r->type != REDIS_REPLY_ERROR)
		return r;
	gw_printable(r->str, r->len, msg, sizeof(msg));
	GW_LOG(WARNING, "Redis refused a command: %s", msg);
	freeReplyObject(r);
	return NULL;
}

static int parse_u64(const char *str, uint64_t *out)
{
	char *end;

	if (str == NULL || *str < '0' || *str > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(str, &end, 10);
	return errno != 0 || *end != '\0' ? -EINVAL : 0;
}

static int parse_id(const char *str, uint32_t *id)
{
	uint64_t v;

	if (parse_u64(str, &v) != 0 || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

/* The value of @field in a HGETALL or stream-entry field list, or NULL. */
static const char *field(const redisReply *list, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < list->elements; i += 2)
		if (list->element[i]->type == REDIS_REPLY_STRING &&
		    list->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(list->element[i]->str, name) == 0)
			return list->element[i + 1]->str;
	return NULL;
}

static int fill(struct gw_sync *s, const redisReply *h, struct gw_sessrec *rec)
{
	const char *merchant = field(h, "merchant");
	const char *wrapped = field(h, "wrapped");

	if (merchant == NULL || wrapped == NULL ||
	    gw_merchant_id_check(merchant) != 0 ||
	    parse_u64(field(h, "created"), &rec->created) != 0 ||
	    parse_u64(field(h, "expires"), &rec->expires) != 0 ||
	    gw_sessrec_state_parse(field(h, "state"), &rec->state) != 0)
		return -EINVAL;
	strcpy(rec->merchant, merchant);
	if (rec->state != GW_SESS_ACTIVE)
		return 0;
	return gw_sessrec_unwrap(s->wrap_key, rec, wrapped);
}

/* Loads session @id into the table.  -EIO only when the connection
 * failed; a bad record is logged and skipped. */
static int load(struct gw_sync *s, uint32_t id)
{
	struct gw_sessrec rec = {.id = id};
	redisReply *h;
	int rc;

	h = command(s, "HGETALL " GW_REDIS_SESSION_PREFIX "%" PRIu32, id);
	if (h == NULL)
		return s->rc->err ? -EIO : 0;
	if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
		rc = 0; /* deleted since the event or the scan: nothing to do */
		goto out;
	}
	rc = fill(s, h, &rec);
	if (rc == 0)
		rc = gw_sessions_open(s->t, &rec, s->gen, wall());
	if (rc != 0)
		GW_LOG(WARNING, "session %" PRIu32 " not loaded: %s", id,
		       rc == -EBADMSG
			   ? "secret does not unwrap under our master key"
			   : strerror(-rc));
	rc = 0;
out:
	explicit_bzero(&rec, sizeof(rec));
	freeReplyObject(h);
	return rc;
}

/* The stream's newest event id, where reading resumes after a scan. */
static int stream_tail(struct gw_sync *s)
{
	redisReply *r;

	r = command(s, "XREVRANGE %s + - COUNT 1", GW_REDIS_SESSION_EVENTS);
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

static int scan_keys(struct gw_sync *s, const redisReply *keys)
{
	const size_t plen = strlen(GW_REDIS_SESSION_PREFIX);
	uint32_t id;
	size_t i;

	for (i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];

		/* gw:session:next and any foreign key are not sessions. */
		if (k->type != REDIS_REPLY_STRING ||
		    parse_id(k->str + plen, &id) != 0)
			continue;
		if (load(s, id) != 0)
			return -EIO;
	}
	return 0;
}

static int rescan(struct gw_sync *s)
{
	char cursor[32] = "0";
	redisReply *r;
	unsigned gone;
	int rc = 0;

	if (stream_tail(s) != 0)
		return -EIO;
	s->gen++;
	do {
		r = command(s, "SCAN %s MATCH %s* COUNT 1000", cursor,
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
		rc = scan_keys(s, r->element[1]);
		freeReplyObject(r);
	} while (rc == 0 && strcmp(cursor, "0") != 0);
	if (rc != 0)
		return rc;
	gone = gw_sessions_revoke_unseen(s->t, s->gen, wall());
	GW_LOG(INFO, "%u sessions loaded from Redis, %u revoked as vanished",
	       gw_sessions_count(s->t), gone);
	return 0;
}

static void event(struct gw_sync *s, const redisReply *fields)
{
	const char *op = field(fields, "op");
	uint32_t id;

	if (op == NULL || parse_id(field(fields, "id"), &id) != 0) {
		GW_LOG(WARNING, "malformed session event skipped");
		return;
	}
	if (strcmp(op, "open") == 0) {
		if (load(s, id) == 0)
			GW_LOG(INFO, "session %" PRIu32 " opened", id);
	} else if (strcmp(op, "revoke") == 0) {
		if (gw_sessions_revoke(s->t, id, wall()) == 0)
			GW_LOG(INFO, "session %" PRIu32 " revoked", id);
	}
}

/* Applies one XREAD's worth of events.  The number read, or -EIO. */
static int read_events(struct gw_sync *s)
{
	const redisReply *entries, *e;
	redisReply *r;
	size_t i;

	r = command(s, "XREAD COUNT %d STREAMS %s %s", EVENTS_PER_READ,
		    GW_REDIS_SESSION_EVENTS, s->last_id);
	if (r == NULL)
		return s->rc->err ? -EIO : 0;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->elements != 2) {
		freeReplyObject(r);
		return 0; /* nil: nothing new */
	}
	entries = r->element[0]->element[1];
	for (i = 0; i < entries->elements; i++) {
		e = entries->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		event(s, e->element[1]);
		snprintf(s->last_id, sizeof(s->last_id), "%s",
			 e->element[0]->str);
		if (s->rc->err)
			break;
	}
	i = entries->elements;
	freeReplyObject(r);
	return s->rc->err ? -EIO : (int)i;
}

static int connect_redis(struct gw_sync *s, char *err, size_t errlen)
{
	struct timeval tv = {.tv_sec = 1};

	s->rc = redisConnectUnixWithTimeout(s->path, tv);
	if (s->rc == NULL || s->rc->err) {
		snprintf(err, errlen, "%s",
			 s->rc ? s->rc->errstr : "out of memory");
		redisFree(s->rc);
		s->rc = NULL;
		return -EIO;
	}
	redisSetTimeout(s->rc, tv);
	return 0;
}

static void lost(struct gw_sync *s)
{
	GW_LOG(
	    WARNING,
	    "lost Redis at %s: %s; authorizing with the %u sessions known, reconnecting every second",
	    s->path, s->rc->errstr, gw_sessions_count(s->t));
	redisFree(s->rc);
	s->rc = NULL;
	s->next_retry = mono() + 1;
}

struct gw_sync *gw_sync_new(const char *path, struct gw_sessions *t,
			    const uint8_t wrap_key[GW_SECRET_LEN], char *err,
			    size_t errlen)
{
	struct gw_sync *s = calloc(1, sizeof(*s));
	char why[256];

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->t = t;
	memcpy(s->wrap_key, wrap_key, GW_SECRET_LEN);
	if (connect_redis(s, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "cannot reach Redis at %s: %s", path,
			 why);
		goto fail;
	}
	if (rescan(s) != 0) {
		snprintf(err, errlen,
			 "cannot read sessions from Redis at %s: %s", path,
			 s->rc->err ? s->rc->errstr : "unexpected reply");
		goto fail;
	}
	return s;
fail:
	gw_sync_free(s);
	return NULL;
}

void gw_sync_tick(struct gw_sync *s)
{
	char why[256];
	int n, i;

	if (s->rc == NULL) {
		if (mono() < s->next_retry)
			return;
		s->next_retry = mono() + 1;
		if (connect_redis(s, why, sizeof(why)) != 0)
			return;
		GW_LOG(INFO, "reconnected to Redis at %s; rescanning", s->path);
		if (rescan(s) != 0 && s->rc->err)
			lost(s);
		return;
	}
	for (i = 0; i < READS_PER_TICK; i++) {
		n = read_events(s);
		if (n < 0) {
			lost(s);
			return;
		}
		if (n < EVENTS_PER_READ)
			return;
	}
}

void gw_sync_free(struct gw_sync *s)
{
	if (s == NULL)
		return;
	redisFree(s->rc);
	explicit_bzero(s->wrap_key, sizeof(s->wrap_key));
	free(s);
}
