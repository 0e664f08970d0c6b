/*
 * Where the ledger's entries live and how they are found: the entry array,
 * the two lock-free indexes over it (by merchant and transaction id, by
 * gateway reference), and the gateway references and approval codes the
 * entries are known by.  Deciding and locking are ledger.c's.
 */
#include <string.h>

#include "ledger_int.h"

#define COUNTER_BITS 24
#define COUNTER_END  (1u << COUNTER_BITS)

/* SplitMix64's finaliser: a cheap bijective mixer. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint64_t gw_ledger_key_hash(const char m[GW_MERCHANT_ID_MAX], uint64_t txn)
{
	uint64_t h = mix(txn ^ 0x6a09e667f3bcc908ull);

	for (size_t i = 0; i < GW_MERCHANT_ID_MAX; i += 8) {
		uint64_t w;

		memcpy(&w, m + i, 8);
		h = mix(h ^ w);
	}
	return h;
}

struct entry *gw_ledger_find_key(struct gw_ledger *l,
				 const char m[GW_MERCHANT_ID_MAX], uint64_t txn,
				 uint64_t hash)
{
	for (size_t i = hash & l->mask;; i = (i + 1) & l->mask) {
		uint32_t v = __atomic_load_n(&l->by_key[i], __ATOMIC_ACQUIRE);
		struct entry *e;

		if (v == 0)
			return NULL;
		e = &l->entries[v - 1];
		if (e->txn_id == txn &&
		    memcmp(e->merchant, m, sizeof(e->merchant)) == 0)
			return e;
	}
}

struct entry *gw_ledger_find_ref(struct gw_ledger *l, uint64_t ref)
{
	if (ref == 0)
		return NULL;
	for (size_t i = mix(ref) & l->mask;; i = (i + 1) & l->mask) {
		uint32_t v = __atomic_load_n(&l->by_ref[i], __ATOMIC_ACQUIRE);

		if (v == 0)
			return NULL;
		if (l->entries[v - 1].resp.gateway_ref == ref)
			return &l->entries[v - 1];
	}
}

/*
 * Publishes entry @idx in both indexes.  Slots are claimed by
 * compare-and-swap because keys of other stripes may probe the same run.
 * An older entry with the same key (reused after the window) is replaced
 * in the key index; it stays reachable by reference.  The caller holds
 * the key's stripe, so no one else publishes the same key meanwhile.
 */
void gw_ledger_publish(struct gw_ledger *l, uint32_t idx)
{
	const struct entry *n = &l->entries[idx];
	size_t i;

	for (i = n->hash & l->mask;; i = (i + 1) & l->mask) {
		uint32_t v = 0;

		if (__atomic_compare_exchange_n(&l->by_key[i], &v, idx + 1, 0,
						__ATOMIC_RELEASE,
						__ATOMIC_ACQUIRE))
			break;
		if (l->entries[v - 1].txn_id == n->txn_id &&
		    memcmp(l->entries[v - 1].merchant, n->merchant,
			   sizeof(n->merchant)) == 0) {
			__atomic_store_n(&l->by_key[i], idx + 1,
					 __ATOMIC_RELEASE);
			break;
		}
	}
	for (i = mix(n->resp.gateway_ref) & l->mask;; i = (i + 1) & l->mask) {
		uint32_t v = 0;

		if (__atomic_compare_exchange_n(&l->by_ref[i], &v, idx + 1, 0,
						__ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			break;
	}
}

struct entry *gw_ledger_alloc(struct gw_ledger *l, uint32_t *idx)
{
	size_t i = __atomic_fetch_add(&l->used, 1, __ATOMIC_RELAXED);

	if (i >= l->capacity) {
		__atomic_store_n(&l->used, l->capacity, __ATOMIC_RELAXED);
		return NULL;
	}
	*idx = (uint32_t)i;
	return &l->entries[i];
}

/* A fresh epoch when a worker's counter runs out: the later of now and
 * one past the last epoch any worker took. */
static uint64_t claim_epoch(struct gw_ledger *l, uint64_t now_s)
{
	uint64_t last = __atomic_load_n(&l->last_epoch, __ATOMIC_ACQUIRE);
	uint64_t want;

	do {
		want = now_s > last ? now_s : last + 1;
	} while (!__atomic_compare_exchange_n(&l->last_epoch, &last, want, 0,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return want;
}

/*
 * References are epoch (32 bits of Unix seconds) | worker (8) | counter
 * (24), so workers never collide.  A restarted process starts in a later
 * second, and replay moves the epoch past every replayed reference, so
 * references stay unique across restarts even if the clock went back.
 */
uint64_t gw_ledger_next_ref(struct gw_ledger *l, uint8_t worker, uint64_t now_s)
{
	struct refgen *g = &l->gens[worker];

	if (g->counter == COUNTER_END) {
		g->epoch = claim_epoch(l, now_s);
		g->counter = 0;
	}
	return (g->epoch & 0xffffffffu) << 32 |
	       (uint64_t)worker << COUNTER_BITS | g->counter++;
}

void gw_ledger_approval(uint64_t ref, char out[7])
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint64_t x = mix(ref ^ 0x510e527fade682d1ull);

	for (int i = 0; i < 6; i++) {
		out[i] = digits[x % 36];
		x /= 36;
	}
	out[6] = '\0';
}

/* Keeps new references clear of every replayed one. */
void gw_ledger_replay_epoch(struct gw_ledger *l, uint64_t ref)
{
	uint64_t epoch = ref >> 32;

	if (epoch < l->last_epoch)
		return;
	l->last_epoch = epoch + 1;
	for (unsigned w = 0; w < GW_LEDGER_WORKERS; w++) {
		l->gens[w].epoch = l->last_epoch;
		l->gens[w].counter = 0;
	}
}
