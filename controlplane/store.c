/*
 * Redis commands of gw-control.  Every function takes the caller's
 * context: connection threads each own one, so nothing here locks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gw_util.h"
#include "store.h"

/*
 * Compares the stored hash with the presented one and deletes it only on a
 * match.  Running inside Redis makes check and delete one step, so two
 * connections presenting the same secret cannot both succeed.  A plain
 * string compare is acceptable here because both sides are hashes of
 * 256-bit random secrets: timing reveals nothing about the secret itself.
 */
static const char consume_lua[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if not v then return 0 end "
    "if v == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end "
    "return 0";

redisContext *gw_store_connect(const char *path, char *err, size_t errlen)
{
	struct timeval tv = {.tv_sec = 2};
	redisContext *c;
	redisReply *r;

	c = redisConnectUnixWithTimeout(path, tv);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (c->err) {
		snprintf(err, errlen, "%s", c->errstr);
		goto fail;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errlen, "cannot set timeout");
		goto fail;
	}
	r = redisCommand(c, "PING");
	if (!r || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "%s",
			 r ? r->str : (c->err ? c->errstr : "no reply"));
		if (r)
			freeReplyObject(r);
		goto fail;
	}
	freeReplyObject(r);
	return c;
fail:
	redisFree(c);
	return NULL;
}

int gw_store_drain(redisContext *rc, int n)
{
	redisReply *r;
	int ret = 0;

	while (n-- > 0) {
		if (redisGetReply(rc, (void **)&r) != REDIS_OK)
			return -EIO;
		if (!r || r->type == REDIS_REPLY_ERROR)
			ret = -EIO;
		freeReplyObject(r);
	}
	return ret;
}

int gw_store_hash_secret(const char *secret, char *hex)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	int ret = 0;

	if (!EVP_Digest(secret, strlen(secret), md, &mdlen, EVP_sha256(),
			NULL) ||
	    mdlen != sizeof(md)) {
		ret = -EIO;
		goto out;
	}
	gw_hex_encode(md, sizeof(md), hex);
out:
	OPENSSL_cleanse(md, sizeof(md));
	return ret;
}

int gw_store_enroll_consume(redisContext *c, const char *id,
			    const char *hash_hex)
{
	redisReply *r;
	int ret;

	r = redisCommand(c, "EVAL %s 1 %s%s %s", consume_lua,
			 GW_REDIS_ENROLL_PREFIX, id, hash_hex);
	if (!r || r->type != REDIS_REPLY_INTEGER)
		ret = -EIO;
	else
		ret = r->integer == 1 ? 0 : -EACCES;
	if (r)
		freeReplyObject(r);
	return ret;
}

int gw_store_enroll_restore(redisContext *c, const char *id,
			    const char *hash_hex)
{
	redisReply *r;
	int ret;

	r = redisCommand(c, "SET %s%s %s NX", GW_REDIS_ENROLL_PREFIX, id,
			 hash_hex);
	/* NX answers nil when the operator set a new secret meanwhile,
	 * which is then the one that counts. */
	ret = r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_NIL)
		  ? 0
		  : -EIO;
	if (r)
		freeReplyObject(r);
	return ret;
}

int gw_store_session_next(redisContext *c, uint32_t *id)
{
	redisReply *r;
	int ret = 0;

	r = redisCommand(c, "INCR %s", GW_REDIS_SESSION_NEXT);
	if (!r || r->type != REDIS_REPLY_INTEGER)
		ret = -EIO;
	else if (r->integer < 1 || r->integer > UINT32_MAX)
		ret = -ERANGE;
	else
		*id = (uint32_t)r->integer;
	if (r)
		freeReplyObject(r);
	return ret;
}

int gw_store_session_put(redisContext *c, const struct gw_store_session *s)
{
	char id[16], created[24], expires[24];
	redisReply *r = NULL;
	int ret = -EIO;
	int i;

	snprintf(id, sizeof(id), "%" PRIu32, s->id);
	snprintf(created, sizeof(created), "%" PRIu64, s->created);
	snprintf(expires, sizeof(expires), "%" PRIu64, s->expires);
	redisAppendCommand(c, "MULTI");
	redisAppendCommand(c,
			   "HSET %s%s merchant %s wrapped %s created %s "
			   "expires %s state %s signal %s version %s",
			   GW_REDIS_SESSION_PREFIX, id, s->merchant, s->wrapped,
			   created, expires,
			   gw_sessrec_state_str(GW_SESS_ACTIVE), s->signal,
			   s->version);
	redisAppendCommand(c, "XADD %s * id %s op open",
			   GW_REDIS_SESSION_EVENTS, id);
	redisAppendCommand(c, "EXEC");
	/* MULTI, the two QUEUED answers, then EXEC's array. */
	for (i = 0; i < 3; i++) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK)
			return -EIO;
		if (!r || r->type == REDIS_REPLY_ERROR)
			goto drain;
		freeReplyObject(r);
		r = NULL;
	}
	if (redisGetReply(c, (void **)&r) != REDIS_OK)
		return -EIO;
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[1]->type == REDIS_REPLY_STRING)
		ret = 0;
	freeReplyObject(r);
	return ret;
drain:
	/* Read the answers still pending so the context stays usable. */
	if (r)
		freeReplyObject(r);
	for (i++; i < 4; i++) {
		r = NULL;
		if (redisGetReply(c, (void **)&r) != REDIS_OK)
			break;
		if (r)
			freeReplyObject(r);
	}
	return -EIO;
}
