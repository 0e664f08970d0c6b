/*
 * A data-plane session as stored in Redis, and how its secret is wrapped
 * under the appliance master key (AES-256-GCM with a random nonce, the
 * session id and merchant id as additional data) so that Redis never holds
 * it in clear.  Talking to Redis is left to the programs.
 *
 * Redis layout:
 *   HASH   gw:session:<id>   merchant, wrapped, created, expires, state,
 *                            signal (host:port or "-")
 *   STRING gw:session:next   last session id handed out (INCR)
 *   STREAM gw:session-events fields: id, op ("open" | "revoke")
 */
#ifndef GW_SESSREC_H
#define GW_SESSREC_H

#include <stddef.h>
#include <stdint.h>

#include "gw_kdf.h"

#define GW_MERCHANT_ID_MAX	32
#define GW_SESSREC_WRAPPED_HEX	(2 * (12 + GW_SECRET_LEN + 16) + 1)
#define GW_REDIS_SESSION_PREFIX "gw:session:"
#define GW_REDIS_SESSION_NEXT	"gw:session:next"
#define GW_REDIS_SESSION_EVENTS "gw:session-events"

enum gw_sess_state {
	GW_SESS_ACTIVE = 1,
	GW_SESS_REVOKED = 2,
};

struct gw_sessrec {
	uint32_t id;
	char merchant[GW_MERCHANT_ID_MAX + 1];
	uint8_t secret[GW_SECRET_LEN];
	uint64_t created; /* Unix seconds */
	uint64_t expires; /* Unix seconds */
	uint8_t state;	  /* enum gw_sess_state */
};

/* 0 if @id is 1 to 32 characters of [A-Za-z0-9._-], else -EINVAL. */
__attribute__((warn_unused_result)) int gw_merchant_id_check(const char *id);

/* Wraps r->secret into @hex (GW_SESSREC_WRAPPED_HEX bytes).  0 or -EIO. */
__attribute__((warn_unused_result)) int
gw_sessrec_wrap(const uint8_t wrap_key[GW_SECRET_LEN],
		const struct gw_sessrec *r, char *hex, size_t hexlen);

/* Unwraps @hex into r->secret, checking it belongs to r->id and
 * r->merchant.  0, -EINVAL (malformed) or -EBADMSG (not ours). */
__attribute__((warn_unused_result)) int
gw_sessrec_unwrap(const uint8_t wrap_key[GW_SECRET_LEN], struct gw_sessrec *r,
		  const char *hex);

/* "active" / "revoked" and back; parse returns 0 or -EINVAL. */
const char *gw_sessrec_state_str(uint8_t state);
__attribute__((warn_unused_result)) int gw_sessrec_state_parse(const char *s,
							       uint8_t *state);

#endif
