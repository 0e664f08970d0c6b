/*
 * gw-control's use of Redis: connecting, one-time enrollment secrets
 * (stored as SHA-256 hex at gw:enroll:<id>, consumed here, written in
 * batches by secrets.c) and writing session records with their change
 * event.  The record layout is gw_sessrec.h's; what goes into a record is
 * session.c's.
 */
#ifndef GW_CTL_STORE_H
#define GW_CTL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "gw_sessrec.h"

#define GW_REDIS_ENROLL_PREFIX "gw:enroll:"
#define GW_SHA256_HEX	       (2 * 32 + 1)

/* Connects to the unix socket @path with a 2 s connect and command
 * timeout and checks it answers PING.  The context or NULL with the reason
 * in @err. */
redisContext *gw_store_connect(const char *path, char *err, size_t errlen);

/* Reads the replies of @n commands pipelined on @rc.  0 when none was an
 * error, -EIO otherwise; every reply is read while the connection lasts,
 * so that the next command's reply is its own. */
int gw_store_drain(redisContext *rc, int n);

/* SHA-256 of @secret as lowercase hex into @hex (GW_SHA256_HEX bytes). */
__attribute__((warn_unused_result)) int gw_store_hash_secret(const char *secret,
							     char *hex);

/*
 * Checks @hash_hex against merchant @id's stored secret and deletes it on a
 * match, atomically, so that a secret admits one enrollment only.  0,
 * -EACCES (unknown, used or different) or -EIO.
 */
__attribute__((warn_unused_result)) int
gw_store_enroll_consume(redisContext *c, const char *id, const char *hash_hex);

/* Puts back a consumed secret unless a new one was set meanwhile; used
 * when issuance fails after the secret was taken.  0 or -EIO. */
int gw_store_enroll_restore(redisContext *c, const char *id,
			    const char *hash_hex);

/* A new session number from gw:session:next.  0, -ERANGE (ids exhausted)
 * or -EIO. */
__attribute__((warn_unused_result)) int gw_store_session_next(redisContext *c,
							      uint32_t *id);

/* What a session hash holds besides the wrapped secret. */
struct gw_store_session {
	uint32_t id;
	const char *merchant;
	const char *wrapped; /* gw_sessrec_wrap output */
	uint64_t created;
	uint64_t expires;
	const char *signal;  /* "host:port" or "-" */
	const char *version; /* merchant software version */
};

/* Writes gw:session:<id> and its "open" event in one transaction, so that
 * the data plane never sees the event without the record.  0 or -EIO. */
__attribute__((warn_unused_result)) int
gw_store_session_put(redisContext *c, const struct gw_store_session *s);

#endif
