/*
 * Pending signals.  A member is added to the schedule, its count and the
 * merchant's index together; settling removes all three.  The signal
 * thread reschedules with ZADD XX, so a signal settled between its send
 * and its rescheduling is not brought back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "gw_sessrec.h"
#include "merchants.h"
#include "sigstore.h"
#include "store.h"

#define MAX_SESSIONS 1024 /* per merchant, for one signal */

uint64_t gw_sigstore_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int gw_sigstore_queue(redisContext *rc, const char *merchant, uint32_t session,
		      uint8_t type, const char *ref)
{
	char member[GW_SIG_MEMBER_MAX];

	if (gw_sigpolicy_member(member, session, type, ref))
		return -EINVAL;
	redisAppendCommand(rc, "ZADD %s NX %" PRIu64 " %s", GW_REDIS_SIGNALS,
			   gw_sigstore_now_ms(), member);
	redisAppendCommand(rc, "SADD %s%s:signals %s", GW_REDIS_MERCHANT,
			   merchant, member);
	return gw_store_drain(rc, 2);
}

int gw_sigstore_signal_merchant(redisContext *rc, const char *merchant,
				uint8_t type, const char *ref)
{
	struct gw_live_session *s;
	char own[12];
	int i, n, queued = 0;

	s = calloc(MAX_SESSIONS, sizeof(*s));
	if (!s)
		return -ENOMEM;
	n = gw_merchants_sessions(rc, merchant, s, MAX_SESSIONS);
	for (i = 0; i < n; i++) {
		if (!s[i].has_endpoint || (s[i].state != GW_SESS_ACTIVE &&
					   type != GW_SIG_SESSION_REVOKED))
			continue;
		snprintf(own, sizeof(own), "%" PRIu32, s[i].id);
		if (gw_sigstore_queue(rc, merchant, s[i].id, type,
				      ref ? ref : own)) {
			n = -EIO;
			break;
		}
		queued++;
	}
	free(s);
	return n < 0 ? n : queued;
}

int gw_sigstore_settle(redisContext *rc, const char *merchant, uint8_t type,
		       const char *ref)
{
	char mref[GW_SIGNAL_REF_LEN + 1];
	redisReply *r;
	uint32_t sid;
	uint8_t mtype;
	size_t i;
	int n = 0;

	r = redisCommand(rc, "SMEMBERS %s%s:signals", GW_REDIS_MERCHANT,
			 merchant);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		return -EIO;
	}
	for (i = 0; i < r->elements; i++) {
		const char *m = r->element[i]->str;

		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    gw_sigpolicy_member_parse(m, &sid, &mtype, mref) ||
		    !gw_sigpolicy_matches(mtype, mref, type, ref))
			continue;
		if (gw_sigstore_forget(rc, merchant, m)) {
			n = -EIO;
			break;
		}
		n++;
	}
	freeReplyObject(r);
	return n;
}

int gw_sigstore_forget(redisContext *rc, const char *merchant,
		       const char *member)
{
	int n = 2;

	redisAppendCommand(rc, "ZREM %s %s", GW_REDIS_SIGNALS, member);
	redisAppendCommand(rc, "HDEL %s %s", GW_REDIS_SIGNAL_TRIES, member);
	if (merchant) {
		redisAppendCommand(rc, "SREM %s%s:signals %s",
				   GW_REDIS_MERCHANT, merchant, member);
		n++;
	}
	return gw_store_drain(rc, n);
}

int gw_sigstore_due(redisContext *rc, uint64_t now_ms,
		    char (*out)[GW_SIG_MEMBER_MAX], int max)
{
	redisReply *r;
	size_t i;
	int n = 0;

	r = redisCommand(rc, "ZRANGEBYSCORE %s -inf %" PRIu64 " LIMIT 0 %d",
			 GW_REDIS_SIGNALS, now_ms, max);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		return -EIO;
	}
	for (i = 0; i < r->elements && n < max; i++) {
		const redisReply *e = r->element[i];

		if (e->type != REDIS_REPLY_STRING ||
		    e->len >= GW_SIG_MEMBER_MAX)
			continue;
		memcpy(out[n], e->str, e->len);
		out[n++][e->len] = '\0';
	}
	freeReplyObject(r);
	return n;
}

/* HINCRBY into *@v.  0 or -EIO. */
static int incr(redisContext *rc, const char *key, const char *field,
		uint64_t *v)
{
	redisReply *r;
	int ret = -EIO;

	r = redisCommand(rc, "HINCRBY %s %s 1", key, field);
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0) {
		*v = (uint64_t)r->integer;
		ret = 0;
	}
	freeReplyObject(r);
	return ret;
}

int gw_sigstore_count_send(redisContext *rc, const char *member, uint64_t *sent)
{
	return incr(rc, GW_REDIS_SIGNAL_TRIES, member, sent);
}

int gw_sigstore_next_seq(redisContext *rc, uint32_t session, uint64_t *seq)
{
	char key[sizeof(GW_REDIS_SESSION_PREFIX) + 12];

	snprintf(key, sizeof(key), "%s%" PRIu32, GW_REDIS_SESSION_PREFIX,
		 session);
	return incr(rc, key, "sigseq", seq);
}

int gw_sigstore_reschedule(redisContext *rc, const char *member,
			   uint64_t due_ms)
{
	redisReply *r;
	int ret = -EIO;

	/* CH counts the changed score; the new due time is always later
	 * than the one that made the member due, so 0 means it is gone. */
	r = redisCommand(rc, "ZADD %s XX CH %" PRIu64 " %s", GW_REDIS_SIGNALS,
			 due_ms, member);
	if (r && r->type == REDIS_REPLY_INTEGER) {
		ret = 0;
		if (r->integer == 0)
			freeReplyObject(redisCommand(
			    rc, "HDEL %s %s", GW_REDIS_SIGNAL_TRIES, member));
	}
	freeReplyObject(r);
	return ret;
}

int gw_sigstore_offer(redisContext *rc, const char *merchant, const char *name,
		      const char *version)
{
	char running[GW_VERSION_MAX + 1];
	char ref[GW_SIGNAL_REF_LEN + 2];
	int n;

	if (gw_merchants_version(rc, merchant, running, sizeof(running)))
		return -EIO;
	if (!gw_sigpolicy_outdated(running, version))
		return 0;
	n = snprintf(ref, sizeof(ref), "%s@%s", name, version);
	if (n < 0 || (size_t)n > GW_SIGNAL_REF_LEN)
		return -EINVAL;
	return gw_sigstore_signal_merchant(rc, merchant,
					   GW_SIG_SOFTWARE_AVAILABLE, ref);
}

struct offer {
	redisContext *rc;
	const char *merchant;
	int total;
};

static int offer_one(const char *name, const char *version, void *arg)
{
	struct offer *o = arg;
	int n = gw_sigstore_offer(o->rc, o->merchant, name, version);

	if (n == -EIO)
		return n;
	if (n > 0)
		o->total += n;
	return 0;
}

int gw_sigstore_offer_newest(redisContext *rc, const char *merchant)
{
	struct offer o = {.rc = rc, .merchant = merchant};
	int ret;

	ret = gw_merchants_each_package(rc, offer_one, &o);
	return ret ? ret : o.total;
}
