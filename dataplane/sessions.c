/*
 * Session table: open addressing with linear probing over an array of
 * session pointers.  The main lcore is the only writer; it publishes a
 * fully built session with a release store, revokes with an atomic state
 * change, and removes by replacing the pointer with a tombstone.  Removed
 * sessions are freed through DPDK's quiescent-state RCU once every worker
 * has finished the burst that might still hold them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#include "sessions.h"

/* Probes are bounded so that a lookup of an unknown id, which any sender
 * can cause, costs at most this many loads however full the table is. */
#define MAX_PROBE 32
/* Revoked and expired sessions stay this long, so that their packets are
 * counted as such rather than as unknown. */
#define GRACE_SECONDS 300
#define TOMBSTONE     ((struct gw_session *)(uintptr_t)1)

struct gw_sessions {
	struct gw_session **slots;
	uint32_t mask;
	unsigned shift;
	unsigned count;
	struct rte_rcu_qsbr *qsbr;
	struct gw_session *retired;
};

static uint32_t slot_of(const struct gw_sessions *t, uint32_t id)
{
	/* Fibonacci hashing spreads the sequential ids the store hands out. */
	return (uint32_t)(id * 2654435769u) >> t->shift;
}

static struct gw_session *load(struct gw_session *const *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

struct gw_sessions *gw_sessions_new(unsigned log2)
{
	struct gw_sessions *t;
	size_t qsz;

	if (log2 < 4 || log2 > 24)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->mask = (1u << log2) - 1;
	t->shift = 32 - log2;
	t->slots = calloc(1u << log2, sizeof(*t->slots));
	qsz = RTE_ALIGN_CEIL(rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE),
			     RTE_CACHE_LINE_SIZE);
	t->qsbr = aligned_alloc(RTE_CACHE_LINE_SIZE, qsz);
	if (t->slots == NULL || t->qsbr == NULL ||
	    rte_rcu_qsbr_init(t->qsbr, RTE_MAX_LCORE) != 0) {
		free(t->slots);
		free(t->qsbr);
		free(t);
		return NULL;
	}
	return t;
}

static void destroy(struct gw_session *s)
{
	explicit_bzero(s, sizeof(*s));
	free(s);
}

void gw_sessions_free(struct gw_sessions *t)
{
	struct gw_session *s, *next;
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i <= t->mask; i++) {
		s = t->slots[i];
		if (s != NULL && s != TOMBSTONE)
			destroy(s);
	}
	for (s = t->retired; s != NULL; s = next) {
		next = s->retired_next;
		destroy(s);
	}
	free(t->slots);
	free(t->qsbr);
	free(t);
}

int gw_sessions_reader_add(struct gw_sessions *t, unsigned lcore_id)
{
	if (rte_rcu_qsbr_thread_register(t->qsbr, lcore_id) != 0)
		return -EINVAL;
	rte_rcu_qsbr_thread_online(t->qsbr, lcore_id);
	return 0;
}

void gw_sessions_reader_quiescent(struct gw_sessions *t, unsigned lcore_id)
{
	rte_rcu_qsbr_quiescent(t->qsbr, lcore_id);
}

void gw_sessions_reader_remove(struct gw_sessions *t, unsigned lcore_id)
{
	rte_rcu_qsbr_thread_offline(t->qsbr, lcore_id);
	rte_rcu_qsbr_thread_unregister(t->qsbr, lcore_id);
}

struct gw_session *gw_sessions_lookup(const struct gw_sessions *t, uint32_t id)
{
	uint32_t i = slot_of(t, id);
	struct gw_session *s;
	unsigned n;

	for (n = 0; n < MAX_PROBE; n++, i = (i + 1) & t->mask) {
		s = load(&t->slots[i]);
		if (s == NULL)
			return NULL;
		if (s != TOMBSTONE && s->id == id)
			return s;
	}
	return NULL;
}

/* Main lcore: the session @id, or NULL with *@free_slot set to where it
 * may be inserted (-1 if nowhere within the probe limit). */
static struct gw_session *find(const struct gw_sessions *t, uint32_t id,
			       long *free_slot)
{
	uint32_t i = slot_of(t, id);
	struct gw_session *s;
	unsigned n;

	*free_slot = -1;
	for (n = 0; n < MAX_PROBE; n++, i = (i + 1) & t->mask) {
		s = t->slots[i];
		if (s == NULL) {
			if (*free_slot < 0)
				*free_slot = i;
			return NULL;
		}
		if (s == TOMBSTONE) {
			if (*free_slot < 0)
				*free_slot = i;
			continue;
		}
		if (s->id == id)
			return s;
	}
	return NULL;
}

static void revoke(struct gw_session *s, uint64_t now)
{
	if (s->state == GW_SESS_REVOKED)
		return;
	s->revoked_at = now;
	__atomic_store_n(&s->state, GW_SESS_REVOKED, __ATOMIC_RELEASE);
}

static struct gw_session *build(const struct gw_sessrec *r)
{
	size_t sz = RTE_ALIGN_CEIL(sizeof(struct gw_session), 64);
	struct gw_session *s = aligned_alloc(64, sz);

	if (s == NULL)
		return NULL;
	memset(s, 0, sz);
	if (gw_kdf_session(r->secret, r->id, &s->keys) != 0) {
		destroy(s);
		return NULL;
	}
	s->id = r->id;
	s->state = GW_SESS_ACTIVE;
	s->expires = r->expires;
	memcpy(s->merchant, r->merchant, sizeof(s->merchant));
	rte_spinlock_init(&s->lock);
	gw_replay_init(&s->m2g);
	return s;
}

int gw_sessions_open(struct gw_sessions *t, const struct gw_sessrec *r,
		     uint32_t gen, uint64_t now)
{
	struct gw_session *s;
	long slot;

	if (r->id == 0 || gw_merchant_id_check(r->merchant) != 0)
		return -EINVAL;
	s = find(t, r->id, &slot);
	if (s != NULL) {
		/* Known already: keep its replay window, which a fresh
		 * copy would reset and so reopen to replays. */
		s->gen = gen;
		if (r->state == GW_SESS_REVOKED)
			revoke(s, now);
		else
			__atomic_store_n(&s->expires, r->expires,
					 __ATOMIC_RELAXED);
		return 0;
	}
	if (r->state != GW_SESS_ACTIVE)
		return 0;
	if (slot < 0)
		return -ENOSPC;
	s = build(r);
	if (s == NULL)
		return -ENOMEM;
	s->gen = gen;
	__atomic_store_n(&t->slots[slot], s, __ATOMIC_RELEASE);
	t->count++;
	return 0;
}

int gw_sessions_revoke(struct gw_sessions *t, uint32_t id, uint64_t now)
{
	struct gw_session *s;
	long slot;

	s = find(t, id, &slot);
	if (s == NULL)
		return -ENOENT;
	revoke(s, now);
	return 0;
}

unsigned gw_sessions_revoke_unseen(struct gw_sessions *t, uint32_t gen,
				   uint64_t now)
{
	struct gw_session *s;
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i <= t->mask; i++) {
		s = t->slots[i];
		if (s == NULL || s == TOMBSTONE || s->gen == gen ||
		    s->state != GW_SESS_ACTIVE)
			continue;
		revoke(s, now);
		n++;
	}
	return n;
}

static int dead(const struct gw_session *s, uint64_t now)
{
	if (s->state == GW_SESS_REVOKED && now >= s->revoked_at + GRACE_SECONDS)
		return 1;
	return now >= s->expires + GRACE_SECONDS;
}

static void reclaim(struct gw_sessions *t)
{
	struct gw_session **pp = &t->retired, *s;

	while ((s = *pp) != NULL) {
		if (rte_rcu_qsbr_check(t->qsbr, s->retire_token, false) != 1) {
			pp = &s->retired_next;
			continue;
		}
		*pp = s->retired_next;
		destroy(s);
	}
}

void gw_sessions_sweep(struct gw_sessions *t, uint64_t now)
{
	struct gw_session *s;
	uint32_t i;

	for (i = 0; i <= t->mask; i++) {
		s = t->slots[i];
		if (s == NULL || s == TOMBSTONE || !dead(s, now))
			continue;
		__atomic_store_n(&t->slots[i], TOMBSTONE, __ATOMIC_RELEASE);
		t->count--;
		s->retire_token = rte_rcu_qsbr_start(t->qsbr);
		s->retired_next = t->retired;
		t->retired = s;
	}
	reclaim(t);
}

unsigned gw_sessions_count(const struct gw_sessions *t)
{
	return t->count;
}
