/*
 * The data plane's session table: sessions by id, read lock-free by the
 * workers and written only by the main lcore.  It owns each session's
 * expanded keys and merchant-to-gateway replay window; where sessions come
 * from (Redis) is sync.h's business.
 */
#ifndef GW_DP_SESSIONS_H
#define GW_DP_SESSIONS_H

#include <stdint.h>

#include <rte_spinlock.h>

#include "gw_kdf.h"
#include "gw_replay.h"
#include "gw_sessrec.h"

struct gw_session {
	struct gw_session_keys keys; /* first: keeps the key data aligned */
	uint32_t id;
	uint8_t state;	  /* enum gw_sess_state; atomic, only ever to revoked */
	uint64_t expires; /* Unix seconds */
	char merchant[GW_MERCHANT_ID_MAX + 1];
	/*
	 * The window is checked and updated by whichever worker received the
	 * packet.  Receive-side scaling keeps a merchant's flow on one queue,
	 * so the lock is almost never contended, but nothing guarantees it.
	 */
	rte_spinlock_t lock;
	/*
	 * Windows live only in memory: after a data-plane restart every
	 * window starts empty, so a request recorded before the restart
	 * would pass the window once more.  Catching that repeat is left to
	 * the transaction-id duplicate rule of the ledger.
	 */
	struct gw_replay m2g;
	/* Main lcore only. */
	uint64_t revoked_at;
	uint32_t gen; /* the last full scan that saw this session */
	uint64_t retire_token;
	struct gw_session *retired_next;
};

struct gw_sessions;

/* A table for up to 2^(@log2 - 1) sessions.  NULL on allocation failure. */
struct gw_sessions *gw_sessions_new(unsigned log2);

/* Frees the table and every session in it, wiping their keys.  No worker
 * may be running. */
void gw_sessions_free(struct gw_sessions *t);

/*
 * Worker side.  A worker registers once, then reports a quiescent state
 * after each burst: a session pointer obtained from lookup stays valid
 * until then, even if the session is removed meanwhile.
 */
int gw_sessions_reader_add(struct gw_sessions *t, unsigned lcore_id);
void gw_sessions_reader_quiescent(struct gw_sessions *t, unsigned lcore_id);
void gw_sessions_reader_remove(struct gw_sessions *t, unsigned lcore_id);
struct gw_session *gw_sessions_lookup(const struct gw_sessions *t, uint32_t id);

static inline uint8_t gw_session_state(const struct gw_session *s)
{
	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
}

/*
 * Main lcore side.  open inserts an active session, deriving its keys from
 * r->secret (which the caller wipes), or refreshes the expiry of a known
 * one without touching its window; a revoked record revokes.  0, -ENOSPC
 * (table full around that id) or -EINVAL.  @gen marks the session as seen
 * by scan number @gen; @now is the wall clock in Unix seconds.
 */
int gw_sessions_open(struct gw_sessions *t, const struct gw_sessrec *r,
		     uint32_t gen, uint64_t now);

/* Revokes session @id.  0, or -ENOENT if it is not in the table. */
int gw_sessions_revoke(struct gw_sessions *t, uint32_t id, uint64_t now);

/* Revokes every active session that scan @gen did not see: it vanished
 * from the store while we were not listening. */
unsigned gw_sessions_revoke_unseen(struct gw_sessions *t, uint32_t gen,
				   uint64_t now);

/*
 * Removes sessions revoked or expired more than a grace period ago, and
 * frees the memory of removed sessions once every worker has passed a
 * quiescent state.  Call about once a second.
 */
void gw_sessions_sweep(struct gw_sessions *t, uint64_t now);

/* Sessions in the table (active, revoked or expired). */
unsigned gw_sessions_count(const struct gw_sessions *t);

#endif
