/*
 * Pending link-2 signals in Redis, so that the operator's commands can
 * queue them from another process and a restart keeps them.  What a
 * pending signal is called and when it is due are sigpolicy.c's; sending
 * is signaler.c's.
 *
 * Redis layout:
 *   ZSET  gw:signals                  "<session> <type> <ref>" by the
 *                                     Unix time in ms of its next send
 *   HASH  gw:signal-tries             same member -> sends so far
 *   SET   gw:merchant:<id>:signals    the merchant's pending members,
 *                                     so that its answers can settle them
 *   field sigseq of gw:session:<id>   last signal sequence number used
 */
#ifndef GW_CTL_SIGSTORE_H
#define GW_CTL_SIGSTORE_H

#include <stdint.h>

#include <hiredis/hiredis.h>

#include "sigpolicy.h"

#define GW_REDIS_SIGNALS      "gw:signals"
#define GW_REDIS_SIGNAL_TRIES "gw:signal-tries"

/* The wall clock in ms: due times are shared between processes. */
uint64_t gw_sigstore_now_ms(void);

/* Queues (@session, @type, @ref) of @merchant, due now; a signal already
 * pending keeps its schedule.  0, -EINVAL or -EIO. */
int gw_sigstore_queue(redisContext *rc, const char *merchant, uint32_t session,
		      uint8_t type, const char *ref);

/*
 * Queues @type with reference @ref (NULL: each session's own id) to every
 * unexpired session of @merchant that named a signal address and whose
 * state is active, or revoked too when @type is SESSION_REVOKED.  Returns
 * how many were queued, or a negative errno.
 */
int gw_sigstore_signal_merchant(redisContext *rc, const char *merchant,
				uint8_t type, const char *ref);

/*
 * SOFTWARE_AVAILABLE "<name>@<version>" to @merchant's sessions when the
 * version it last reported is older than @version.  Returns how many
 * sessions were signalled, or a negative errno.
 */
int gw_sigstore_offer(redisContext *rc, const char *merchant, const char *name,
		      const char *version);

/* gw_sigstore_offer for the newest version of every published package. */
int gw_sigstore_offer_newest(redisContext *rc, const char *merchant);

/* Settles @merchant's pending signals of @type with reference @ref (NULL:
 * any).  Returns how many, or -EIO. */
int gw_sigstore_settle(redisContext *rc, const char *merchant, uint8_t type,
		       const char *ref);

/* Up to @max members due at @now_ms into @out.  Returns how many, or
 * -EIO. */
int gw_sigstore_due(redisContext *rc, uint64_t now_ms,
		    char (*out)[GW_SIG_MEMBER_MAX], int max);

/* Counts one more send of @member into *@sent.  0 or -EIO. */
int gw_sigstore_count_send(redisContext *rc, const char *member,
			   uint64_t *sent);

/* The next signal sequence number of @session.  0 or -EIO. */
int gw_sigstore_next_seq(redisContext *rc, uint32_t session, uint64_t *seq);

/* Moves @member to @due_ms if it is still pending; forgets its count when
 * it was settled meanwhile.  0 or -EIO. */
int gw_sigstore_reschedule(redisContext *rc, const char *member,
			   uint64_t due_ms);

/* Forgets @member of @merchant (NULL: merchant unknown).  0 or -EIO. */
int gw_sigstore_forget(redisContext *rc, const char *merchant,
		       const char *member);

#endif
