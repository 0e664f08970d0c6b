/*
 * Reading data-plane sessions out of Redis: a scan of every stored
 * gw:session:<id> hash, then the gw:session-events stream read from where
 * the scan began.  Records are parsed and their secrets unwrapped here;
 * the table they go into, and the connection and its reconnection, are
 * the calling program's.  The layout is gw_sessrec.h's.
 */
#ifndef GW_REDIS_SESSIONS_H
#define GW_REDIS_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "gw_kdf.h"
#include "gw_sessrec.h"

/* What a program does with what is read, each with the @ctx it gave. */
struct gw_redis_sessions_ops {
	/*
	 * A readable stored session, its secret unwrapped when it is active;
	 * @event when a stream event rather than a scan brought it.  @rec is
	 * wiped after the call.  0, or a negative errno that is passed on to
	 * @skipped.
	 */
	int (*open)(void *ctx, const struct gw_sessrec *rec, bool event);
	/* A revocation event for session @id. */
	void (*revoke)(void *ctx, uint32_t id);
	/*
	 * Optional: session @id was not loaded: -EINVAL for a malformed
	 * record, -EBADMSG for a secret that does not unwrap under the wrap
	 * key, or what @open returned.  @id is 0 for a malformed event.
	 */
	void (*skipped)(void *ctx, uint32_t id, int err);
	/* Optional: Redis answered a command with an error, @msg being its
	 * text truncated and made printable. */
	void (*refused)(void *ctx, const char *msg);
};

struct gw_redis_sessions;

/* A reader unwrapping with @wrap_key (copied; wipe yours), calling @ops
 * (kept by reference) with @ctx.  NULL when out of memory. */
struct gw_redis_sessions *
gw_redis_sessions_new(const uint8_t wrap_key[GW_SECRET_LEN],
		      const struct gw_redis_sessions_ops *ops, void *ctx);

/*
 * Notes the stream's last event, then reads every stored session over
 * @rc, one pipelined HGETALL per key of each SCAN page, so that a hundred
 * thousand sessions load in seconds.  An event racing the scan is then
 * applied twice, which is harmless, rather than never.  0, -EIO when the
 * connection failed (rc->err says why), -EPROTO for a reply of the wrong
 * shape or a refused command, -ENOMEM.
 */
int gw_redis_sessions_scan(struct gw_redis_sessions *s, redisContext *rc);

/*
 * Applies at most @max events that arrived since the scan or the last
 * call, without blocking on the stream.  The number of events read, or
 * -EIO when the connection failed; the caller's table keeps what it has.
 */
int gw_redis_sessions_poll(struct gw_redis_sessions *s, redisContext *rc,
			   unsigned max);

void gw_redis_sessions_free(struct gw_redis_sessions *s);

#endif
