/*
 * Merchant records for signalling.  Each function takes the caller's
 * Redis context; a compare-then-write that must not race another process
 * runs as a Lua script inside Redis.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "gw_pki.h"
#include "gw_util.h"
#include "merchants.h"
#include "store.h"

/*
 * KEYS: merchant hash, renewal schedule, merchant set.
 * ARGV: serial, notafter, merchant id.
 * A certificate expiring earlier than the one noted is an old one still
 * in use after a renewal; it must not bring the old date back.
 */
static const char cert_seen_lua[] =
    "redis.call('SADD', KEYS[3], ARGV[3]) "
    "local cur = tonumber(redis.call('HGET', KEYS[1], 'notafter') or '0') "
    "local na = tonumber(ARGV[2]) "
    "if na < cur then return 0 end "
    "if redis.call('HGET', KEYS[1], 'cert') == ARGV[1] then return 0 end "
    "redis.call('HSET', KEYS[1], 'cert', ARGV[1], 'notafter', ARGV[2]) "
    "if redis.call('HGET', KEYS[1], 'renew_sent') ~= ARGV[1] then "
    "  redis.call('ZADD', KEYS[2], na, ARGV[3]) "
    "end "
    "return 1";

/* Frees @r; 0 when it had @type, else -EIO. */
static int expect(redisReply *r, int type)
{
	int ret = r && r->type == type ? 0 : -EIO;

	if (r)
		freeReplyObject(r);
	return ret;
}

int gw_merchants_add_session(redisContext *rc, const char *merchant,
			     uint32_t id, const char *version)
{
	redisAppendCommand(rc, "SADD %s%s:sessions %" PRIu32, GW_REDIS_MERCHANT,
			   merchant, id);
	redisAppendCommand(rc, "SADD %s %s", GW_REDIS_MERCHANTS, merchant);
	redisAppendCommand(rc, "HSET %s%s version %s", GW_REDIS_MERCHANT,
			   merchant, version);
	return gw_store_drain(rc, 3);
}

int gw_merchants_set_version(redisContext *rc, const char *merchant,
			     const char *version)
{
	redisAppendCommand(rc, "SADD %s %s", GW_REDIS_MERCHANTS, merchant);
	redisAppendCommand(rc, "HSET %s%s version %s", GW_REDIS_MERCHANT,
			   merchant, version);
	return gw_store_drain(rc, 2);
}

/* HGET into @out ("" for a missing field).  0 or -EIO. */
static int hget(redisContext *rc, const char *merchant, const char *field,
		char *out, size_t outlen)
{
	redisReply *r;
	int ret = 0;

	r = redisCommand(rc, "HGET %s%s %s", GW_REDIS_MERCHANT, merchant,
			 field);
	if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL))
		ret = -EIO;
	else if (r->type == REDIS_REPLY_NIL)
		out[0] = '\0';
	else
		gw_printable(r->str, r->len, out, outlen);
	if (r)
		freeReplyObject(r);
	return ret;
}

int gw_merchants_version(redisContext *rc, const char *merchant, char *out,
			 size_t outlen)
{
	return hget(rc, merchant, "version", out, outlen);
}

int gw_merchants_cert(redisContext *rc, const char *merchant,
		      char serial[GW_SERIAL_HEX_MAX])
{
	return hget(rc, merchant, "cert", serial, GW_SERIAL_HEX_MAX);
}

int gw_merchants_serial(X509 *cert, char out[GW_SERIAL_HEX_MAX])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int ret = -EINVAL;

	if (hex && strlen(hex) < GW_SERIAL_HEX_MAX) {
		strcpy(out, hex);
		ret = 0;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return ret;
}

int gw_merchants_cert_seen(redisContext *rc, const char *merchant, X509 *cert)
{
	char serial[GW_SERIAL_HEX_MAX];
	char notafter[24];
	redisReply *r;
	struct tm tm;
	int ret;

	if (!cert || gw_merchants_serial(cert, serial) ||
	    !ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm))
		return -EINVAL;
	snprintf(notafter, sizeof(notafter), "%lld", (long long)timegm(&tm));
	r = redisCommand(rc, "EVAL %s 3 %s%s %s %s %s %s %s", cert_seen_lua,
			 GW_REDIS_MERCHANT, merchant, GW_REDIS_RENEWAL,
			 GW_REDIS_MERCHANTS, serial, notafter, merchant);
	ret = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -EIO;
	if (r)
		freeReplyObject(r);
	return ret;
}

/* One session's HMGET answer (state, expires, signal) into @s; 0 when it
 * is live, -ENOENT when gone or expired. */
static int judge(const redisReply *r, uint64_t now, struct gw_live_session *s)
{
	uint64_t expires;
	char *end;

	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
		return -ENOENT;
	for (size_t i = 0; i < 3; i++)
		if (r->element[i]->type != REDIS_REPLY_STRING)
			return -ENOENT;
	if (gw_sessrec_state_parse(r->element[0]->str, &s->state))
		return -ENOENT;
	expires = strtoull(r->element[1]->str, &end, 10);
	if (*end || expires <= now)
		return -ENOENT;
	s->has_endpoint = strcmp(r->element[2]->str, "-") != 0;
	return 0;
}

int gw_merchants_sessions(redisContext *rc, const char *merchant,
			  struct gw_live_session *out, size_t max)
{
	uint64_t now = (uint64_t)time(NULL);
	redisReply *ids, *r;
	size_t i, n = 0;
	char *stale;
	char *end;

	ids = redisCommand(rc, "SMEMBERS %s%s:sessions", GW_REDIS_MERCHANT,
			   merchant);
	if (!ids || ids->type != REDIS_REPLY_ARRAY) {
		if (ids)
			freeReplyObject(ids);
		return -EIO;
	}
	stale = calloc(ids->elements + 1, 1);
	if (!stale) {
		freeReplyObject(ids);
		return -EIO;
	}
	for (i = 0; i < ids->elements; i++)
		redisAppendCommand(rc, "HMGET %s%s state expires signal",
				   GW_REDIS_SESSION_PREFIX,
				   ids->element[i]->str);
	for (i = 0; i < ids->elements; i++) {
		struct gw_live_session s = {0};

		if (redisGetReply(rc, (void **)&r) != REDIS_OK) {
			n = (size_t)-1;
			break;
		}
		s.id = (uint32_t)strtoul(ids->element[i]->str, &end, 10);
		if (judge(r, now, &s) != 0)
			stale[i] = 1;
		else if (n < max)
			out[n++] = s;
		freeReplyObject(r);
	}
	/* Forgetting is best effort: a failure leaves the id for the next
	 * look. */
	for (i = 0; n != (size_t)-1 && i < ids->elements; i++)
		if (stale[i])
			freeReplyObject(redisCommand(
			    rc, "SREM %s%s:sessions %s", GW_REDIS_MERCHANT,
			    merchant, ids->element[i]->str));
	free(stale);
	freeReplyObject(ids);
	return n == (size_t)-1 ? -EIO : (int)n;
}

int gw_merchants_renewal_due(redisContext *rc, uint64_t until,
			     char (*ids)[GW_MERCHANT_ID_MAX + 1], size_t max)
{
	redisReply *r;
	size_t i, n = 0;

	/* hiredis's format knows no size_t conversion. */
	r = redisCommand(rc, "ZRANGEBYSCORE %s -inf %" PRIu64 " LIMIT 0 %d",
			 GW_REDIS_RENEWAL, until, (int)max);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		return -EIO;
	}
	for (i = 0; i < r->elements && n < max; i++) {
		const redisReply *e = r->element[i];

		if (e->type != REDIS_REPLY_STRING ||
		    e->len > GW_MERCHANT_ID_MAX)
			continue;
		memcpy(ids[n], e->str, e->len);
		ids[n][e->len] = '\0';
		if (gw_merchant_id_check(ids[n]) == 0)
			n++;
	}
	freeReplyObject(r);
	return (int)n;
}

int gw_merchants_renewal_done(redisContext *rc, const char *merchant,
			      char serial[GW_SERIAL_HEX_MAX])
{
	if (gw_merchants_cert(rc, merchant, serial))
		return -EIO;
	redisAppendCommand(rc, "HSET %s%s renew_sent %s", GW_REDIS_MERCHANT,
			   merchant, serial);
	redisAppendCommand(rc, "ZREM %s %s", GW_REDIS_RENEWAL, merchant);
	return gw_store_drain(rc, 2);
}

int gw_merchants_renewal_later(redisContext *rc, const char *merchant,
			       uint64_t score)
{
	return expect(redisCommand(rc, "ZADD %s XX %" PRIu64 " %s",
				   GW_REDIS_RENEWAL, score, merchant),
		      REDIS_REPLY_INTEGER);
}

/* KEYS: merchant hash, renewal schedule.  ARGV: merchant id. */
static const char wake_lua[] =
    "local na = redis.call('HGET', KEYS[1], 'notafter') "
    "if na and redis.call('ZSCORE', KEYS[2], ARGV[1]) then "
    "  redis.call('ZADD', KEYS[2], na, ARGV[1]) "
    "end "
    "return 0";

int gw_merchants_renewal_wake(redisContext *rc, const char *merchant)
{
	return expect(redisCommand(rc, "EVAL %s 2 %s%s %s %s", wake_lua,
				   GW_REDIS_MERCHANT, merchant,
				   GW_REDIS_RENEWAL, merchant),
		      REDIS_REPLY_INTEGER);
}

/* Sets KEYS[1][ARGV[1]] to ARGV[2] when ARGV[3] says it is newer; the
 * comparison is gw_pki_version_cmp's, done by the caller, so the script
 * only guards against a concurrent change of the field. */
static const char publish_lua[] =
    "local cur = redis.call('HGET', KEYS[1], ARGV[1]) "
    "if cur and cur ~= ARGV[3] then return -1 end "
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
    "return 1";

int gw_merchants_publish(redisContext *rc, const char *name,
			 const char *version, char *current, size_t currentlen)
{
	redisReply *r;
	char cur[GW_PKI_VERSION_MAX + 1] = "";
	int cmp = -1;
	int tries;

	current[0] = '\0';
	for (tries = 0; tries < 5; tries++) {
		r = redisCommand(rc, "HGET %s %s", GW_REDIS_PACKAGES, name);
		if (!r || (r->type != REDIS_REPLY_STRING &&
			   r->type != REDIS_REPLY_NIL)) {
			if (r)
				freeReplyObject(r);
			return -EIO;
		}
		cur[0] = '\0';
		if (r->type == REDIS_REPLY_STRING)
			gw_printable(r->str, r->len, cur, sizeof(cur));
		freeReplyObject(r);
		snprintf(current, currentlen, "%s", cur);
		if (cur[0] && !gw_pki_version_cmp(version, cur, &cmp) &&
		    cmp <= 0)
			return 0;
		r = redisCommand(rc, "EVAL %s 1 %s %s %s %s", publish_lua,
				 GW_REDIS_PACKAGES, name, version,
				 cur[0] ? cur : "-");
		if (!r || r->type != REDIS_REPLY_INTEGER) {
			if (r)
				freeReplyObject(r);
			return -EIO;
		}
		cmp = (int)r->integer;
		freeReplyObject(r);
		if (cmp == 1)
			return 1;
	}
	return -EIO;
}

int gw_merchants_known(redisContext *rc, const char *merchant)
{
	redisReply *r;
	int ret;

	r = redisCommand(rc, "SISMEMBER %s %s", GW_REDIS_MERCHANTS, merchant);
	ret = r && r->type == REDIS_REPLY_INTEGER ? r->integer == 1 : -EIO;
	if (r)
		freeReplyObject(r);
	return ret;
}

int gw_merchants_each_package(redisContext *rc,
			      int (*fn)(const char *name, const char *version,
					void *arg),
			      void *arg)
{
	redisReply *r;
	size_t i;
	int ret = 0;

	r = redisCommand(rc, "HGETALL %s", GW_REDIS_PACKAGES);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		return -EIO;
	}
	for (i = 0; i + 1 < r->elements && ret == 0; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING)
			ret =
			    fn(r->element[i]->str, r->element[i + 1]->str, arg);
	freeReplyObject(r);
	return ret;
}

int gw_merchants_each(redisContext *rc,
		      int (*fn)(const char *merchant, void *arg), void *arg)
{
	redisReply *r;
	size_t i;
	int ret = 0;

	r = redisCommand(rc, "SMEMBERS %s", GW_REDIS_MERCHANTS);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		return -EIO;
	}
	for (i = 0; i < r->elements && ret == 0; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    gw_merchant_id_check(r->element[i]->str) == 0)
			ret = fn(r->element[i]->str, arg);
	freeReplyObject(r);
	return ret;
}

int gw_merchants_message_put(redisContext *rc, const char *merchant,
			     const char *text, uint64_t *id)
{
	size_t len = text ? strlen(text) : 0;
	redisReply *r;

	if (len == 0 || len > GW_MESSAGE_MAX)
		return -EINVAL;
	r = redisCommand(rc, "INCR %s", GW_REDIS_MESSAGE_NEXT);
	if (!r || r->type != REDIS_REPLY_INTEGER || r->integer < 1) {
		if (r)
			freeReplyObject(r);
		return -EIO;
	}
	*id = (uint64_t)r->integer;
	freeReplyObject(r);
	return expect(redisCommand(rc,
				   "HSET %s%" PRIu64 " merchant %s text %b "
				   "created %lld",
				   GW_REDIS_MESSAGE, *id, merchant, text, len,
				   (long long)time(NULL)),
		      REDIS_REPLY_INTEGER);
}

int gw_merchants_message_get(redisContext *rc, uint64_t id,
			     const char *merchant, char **text, size_t *len)
{
	redisReply *r;
	int ret = -ENOENT;

	r = redisCommand(rc, "HMGET %s%" PRIu64 " merchant text",
			 GW_REDIS_MESSAGE, id);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		ret = -EIO;
		goto out;
	}
	if (r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, merchant) != 0)
		goto out;
	*text = malloc(r->element[1]->len + 1);
	if (!*text) {
		ret = -EIO;
		goto out;
	}
	memcpy(*text, r->element[1]->str, r->element[1]->len);
	(*text)[r->element[1]->len] = '\0';
	*len = r->element[1]->len;
	ret = 0;
out:
	if (r)
		freeReplyObject(r);
	return ret;
}
