/*
 * Redis session sync on the main lcore.  gw_redis_sessions.c reads the
 * records; here they go into the table under a scan generation, so that a
 * rescan after Redis came back revokes what vanished meanwhile, and the
 * connection is kept and renewed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_redis.h"
#include "gw_redis_sessions.h"
#include "log.h"
#include "sync.h"

#define EVENTS_PER_READ 256
#define READS_PER_TICK	8
#define TIMEOUT_S	1

struct gw_sync {
	char path[256];
	redisContext *rc;
	struct gw_sessions *t;
	struct gw_redis_sessions *feed;
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

static int on_open(void *ctx, const struct gw_sessrec *rec, bool event)
{
	struct gw_sync *s = ctx;
	int rc;

	rc = gw_sessions_open(s->t, rec, s->gen, wall());
	if (rc == 0 && event)
		GW_LOG(INFO, "session %" PRIu32 " opened", rec->id);
	return rc;
}

static void on_revoke(void *ctx, uint32_t id)
{
	struct gw_sync *s = ctx;

	if (gw_sessions_revoke(s->t, id, wall()) == 0)
		GW_LOG(INFO, "session %" PRIu32 " revoked", id);
}

static void on_skipped(void *ctx, uint32_t id, int err)
{
	if (id == 0) {
		GW_LOG(WARNING, "malformed session event skipped");
		return;
	}
	GW_LOG(WARNING, "session %" PRIu32 " not loaded: %s", id,
	       err == -EBADMSG ? "secret does not unwrap under our master key"
			       : strerror(-err));
}

static void on_refused(void *ctx, const char *msg)
{
	GW_LOG(WARNING, "Redis refused a command: %s", msg);
}

static const struct gw_redis_sessions_ops sync_ops = {
    .open = on_open,
    .revoke = on_revoke,
    .skipped = on_skipped,
    .refused = on_refused,
};

static int rescan(struct gw_sync *s)
{
	unsigned gone;
	int rc;

	s->gen++;
	rc = gw_redis_sessions_scan(s->feed, s->rc);
	if (rc != 0)
		return rc;
	gone = gw_sessions_revoke_unseen(s->t, s->gen, wall());
	GW_LOG(INFO, "%u sessions loaded from Redis, %u revoked as vanished",
	       gw_sessions_count(s->t), gone);
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

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->t = t;
	s->feed = gw_redis_sessions_new(wrap_key, &sync_ops, s);
	if (s->feed == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->rc = gw_redis_connect(path, TIMEOUT_S, err, errlen);
	if (s->rc == NULL)
		goto fail;
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
		s->rc = gw_redis_connect(s->path, TIMEOUT_S, why, sizeof(why));
		if (s->rc == NULL)
			return;
		GW_LOG(INFO, "reconnected to Redis at %s; rescanning", s->path);
		if (rescan(s) != 0 && s->rc->err)
			lost(s);
		return;
	}
	for (i = 0; i < READS_PER_TICK; i++) {
		n = gw_redis_sessions_poll(s->feed, s->rc, EVENTS_PER_READ);
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
	gw_redis_sessions_free(s->feed);
	free(s);
}
