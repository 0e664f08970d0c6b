/*
 * Sessions for the kernel baseline: gw_redis_sessions.c reads them, this
 * puts them into kstore.h's table.  Unlike the data plane's sync it does
 * not reconnect: a benchmark whose Redis died is a failed run, and the
 * server goes on with the sessions it has.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "gw_redis.h"
#include "gw_redis_sessions.h"
#include "ksync.h"

#define EVENTS_PER_READ 256
#define TIMEOUT_S	5

struct gw_ksync {
	redisContext *rc;
	struct gw_kstore *t;
	struct gw_redis_sessions *feed;
};

/* A session that does not fit is reported and skipped: the baseline
 * serves what it can. */
static int on_open(void *ctx, const struct gw_sessrec *rec, bool event)
{
	struct gw_ksync *s = ctx;

	if (gw_kstore_put(s->t, rec) != 0)
		fprintf(stderr, "gw-kernel-server: session %u not loaded\n",
			(unsigned)rec->id);
	return 0;
}

static void on_revoke(void *ctx, uint32_t id)
{
	struct gw_ksync *s = ctx;

	gw_kstore_revoke(s->t, id);
}

static const struct gw_redis_sessions_ops ksync_ops = {
    .open = on_open,
    .revoke = on_revoke,
};

int gw_ksync_poll(struct gw_ksync *s)
{
	return gw_redis_sessions_poll(s->feed, s->rc, EVENTS_PER_READ);
}

struct gw_ksync *gw_ksync_new(const char *path, struct gw_kstore *t,
			      const uint8_t wrap_key[GW_SECRET_LEN], char *err,
			      size_t errlen)
{
	struct gw_ksync *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->t = t;
	s->feed = gw_redis_sessions_new(wrap_key, &ksync_ops, s);
	if (s->feed == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->rc = gw_redis_connect(path, TIMEOUT_S, err, errlen);
	if (s->rc == NULL)
		goto fail;
	if (gw_redis_sessions_scan(s->feed, s->rc) != 0) {
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
	gw_redis_sessions_free(s->feed);
	free(s);
}
