/*
 * The ledger's storage and concurrency: a preallocated array of entries,
 * two lock-free open-addressing indexes over it (by merchant and
 * transaction id, by gateway reference), striped spinlocks around each
 * entry's state, gateway references, the duplicate rule and replay.  The
 * rules of each transaction type are ledger_ops.c's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gw_util.h"
#include "ledger_int.h"

#define NS_PER_S     1000000000ull
#define COUNTER_BITS 24
#define COUNTER_END  (1u << COUNTER_BITS)
#define WORKERS	     256
#define CACHE_LINE   64

/*
 * Locking.  An entry's mutable state is guarded by one of 256 spinlocks
 * chosen by the hash of its (merchant, txn id) key; a request holds the
 * stripe of its own key and, for a follow-up, the original's, taken in
 * index order.  Uncontended, that is one or two atomic exchanges on lines
 * that usually sit in another core's cache (some tens of nanoseconds
 * each).  Two workers wait for each other only when their keys share a
 * stripe, one chance in 256 per pair of concurrent requests, and then for
 * the length of one decision.  Lookups take no lock: entries are written
 * in full before an index slot is set to them with release order, and
 * their keys never change.
 */
struct stripe {
	uint32_t held;
} __attribute__((aligned(CACHE_LINE)));

/* Per worker, so that minting a reference touches no shared line. */
struct refgen {
	uint64_t epoch;
	uint32_t counter;
} __attribute__((aligned(CACHE_LINE)));

/*
 * Capacity is fixed at start and entries are never reused: when it is
 * exhausted every new transaction is refused with 96 until a restart.
 * Recycling entries older than the duplicate window with nothing left
 * open would remove that limit; it is not done yet, so the capacity must
 * cover the transactions of the appliance's whole uptime.
 */
struct gw_ledger {
	struct stripe stripes[GW_LEDGER_STRIPES];
	struct refgen gens[WORKERS];
	struct entry *entries;
	size_t capacity;
	size_t used;	  /* atomic; may pass capacity when full */
	uint32_t *by_key; /* entry index + 1, 0 empty */
	uint32_t *by_ref;
	size_t mask; /* index size - 1 */
	uint64_t window_ns;
	uint64_t last_epoch;				    /* atomic */
	uint64_t duplicates, conflicts, full, replay_short; /* atomic */
};

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

static uint64_t key_hash(const char m[GW_MERCHANT_ID_MAX], uint64_t txn)
{
	uint64_t h = mix(txn ^ 0x6a09e667f3bcc908ull);

	for (size_t i = 0; i < GW_MERCHANT_ID_MAX; i += 8) {
		uint64_t w;

		memcpy(&w, m + i, 8);
		h = mix(h ^ w);
	}
	return h;
}

static void stat_inc(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void lock(struct stripe *s)
{
	while (__atomic_exchange_n(&s->held, 1, __ATOMIC_ACQUIRE) != 0)
		while (__atomic_load_n(&s->held, __ATOMIC_RELAXED) != 0)
			relax();
}

static void unlock(struct stripe *s)
{
	__atomic_store_n(&s->held, 0, __ATOMIC_RELEASE);
}

static unsigned stripe_of(uint64_t hash)
{
	return (unsigned)(hash >> 56) % GW_LEDGER_STRIPES;
}

/* Takes the stripes of @a and @b (which may be equal) lowest first, so
 * that two requests locking the same pair cannot deadlock. */
static void lock_pair(struct gw_ledger *l, unsigned a, unsigned b)
{
	lock(&l->stripes[a < b ? a : b]);
	if (a != b)
		lock(&l->stripes[a < b ? b : a]);
}

static void unlock_pair(struct gw_ledger *l, unsigned a, unsigned b)
{
	unlock(&l->stripes[a]);
	if (a != b)
		unlock(&l->stripes[b]);
}

static struct entry *find_key(struct gw_ledger *l,
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

static struct entry *find_ref(struct gw_ledger *l, uint64_t ref)
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
static void publish(struct gw_ledger *l, uint32_t idx)
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

static struct entry *alloc_entry(struct gw_ledger *l, uint32_t *idx)
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
static uint64_t next_ref(struct gw_ledger *l, uint8_t worker, uint64_t now_s)
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

static void plain_resp(struct gw_resp *out, uint64_t txn, uint8_t code)
{
	memset(out, 0, sizeof(*out));
	out->txn_id = txn;
	out->code = code;
	memcpy(out->approval, "      ", 7);
}

struct gw_ledger *gw_ledger_new(size_t capacity, uint32_t dup_window_s,
				uint64_t start_s)
{
	struct gw_ledger *l;
	size_t slots = 2;

	if (capacity == 0 || capacity >= UINT32_MAX / 4)
		return NULL;
	while (slots < 2 * capacity)
		slots <<= 1;
	l = aligned_alloc(CACHE_LINE, sizeof(*l));
	if (l == NULL)
		return NULL;
	memset(l, 0, sizeof(*l));
	/* Touched now so that the packet path never takes a page fault. */
	l->entries = malloc(capacity * sizeof(*l->entries));
	l->by_key = malloc(slots * sizeof(uint32_t));
	l->by_ref = malloc(slots * sizeof(uint32_t));
	if (l->entries == NULL || l->by_key == NULL || l->by_ref == NULL) {
		gw_ledger_free(l);
		return NULL;
	}
	memset(l->entries, 0, capacity * sizeof(*l->entries));
	memset(l->by_key, 0, slots * sizeof(uint32_t));
	memset(l->by_ref, 0, slots * sizeof(uint32_t));
	l->capacity = capacity;
	l->mask = slots - 1;
	l->window_ns = (uint64_t)dup_window_s * NS_PER_S;
	l->last_epoch = start_s & 0xffffffffu;
	for (unsigned w = 0; w < WORKERS; w++)
		l->gens[w].epoch = l->last_epoch;
	return l;
}

void gw_ledger_free(struct gw_ledger *l)
{
	if (l == NULL)
		return;
	free(l->entries);
	free(l->by_key);
	free(l->by_ref);
	free(l);
}

static bool valid_in(const struct gw_ledger_in *in)
{
	return in != NULL && in->req != NULL && in->merchant != NULL &&
	       strnlen(in->merchant, GW_MERCHANT_ID_MAX + 1) <=
		   GW_MERCHANT_ID_MAX &&
	       in->type >= GW_MSG_AUTH && in->type <= GW_MSG_ECHO &&
	       (in->type != GW_MSG_AUTH || in->policy != NULL);
}

/* Fills the request half of a new entry. */
static void fill_request(struct entry *n, const struct gw_ledger_in *in,
			 const char m[GW_MERCHANT_ID_MAX], uint64_t hash)
{
	static const uint8_t none[GW_CARD_TOKEN_LEN];
	const uint8_t *tok = in->token != NULL ? in->token : none;

	memset(n, 0, sizeof(*n));
	memcpy(n->merchant, m, GW_MERCHANT_ID_MAX);
	n->txn_id = in->req->txn_id;
	n->hash = hash;
	n->t_ns = in->now_ns;
	n->amount = in->req->amount;
	n->orig_ref = in->type == GW_MSG_AUTH ? 0 : in->req->orig_ref;
	n->flags = in->flags & (uint16_t)~GW_FLAG_RETRANSMIT;
	n->currency = in->req->currency;
	n->type = in->type;
	memcpy(n->token, tok, GW_CARD_TOKEN_LEN);
	n->digest = gw_journal_digest(n->type, n->flags, n->token, n->amount,
				      n->currency, n->orig_ref);
}

/* A clock that stepped back keeps an id taken, rather than freeing it. */
static bool within_window(const struct gw_ledger *l, const struct entry *e,
			  uint64_t now_ns)
{
	return now_ns < e->t_ns || now_ns - e->t_ns < l->window_ns;
}

/* The duplicate rule: identical content gets the original answer. */
static void answer_repeat(struct gw_ledger *l, const struct entry *e,
			  const struct entry *probe, struct gw_resp *out)
{
	if (e->digest == probe->digest && e->type == probe->type &&
	    e->flags == probe->flags && e->amount == probe->amount &&
	    e->currency == probe->currency && e->orig_ref == probe->orig_ref &&
	    gw_ct_equal(e->token, probe->token, GW_CARD_TOKEN_LEN)) {
		*out = e->resp;
		stat_inc(&l->duplicates);
		return;
	}
	plain_resp(out, probe->txn_id, GW_RC_DUPLICATE);
	stat_inc(&l->conflicts);
}

static void fill_rec(struct gw_journal_rec *rec, const struct entry *n,
		     const struct gw_ledger_in *in)
{
	memset(rec, 0, sizeof(*rec));
	rec->time_ns = n->t_ns;
	rec->worker = in->worker;
	rec->type = n->type;
	rec->code = n->resp.code;
	rec->flags = in->flags;
	rec->session_id = in->session_id;
	rec->digest = n->digest;
	rec->txn_id = n->txn_id;
	rec->ref = n->resp.gateway_ref;
	rec->orig_ref = n->orig_ref;
	memcpy(rec->merchant, n->merchant, GW_MERCHANT_ID_MAX);
	memcpy(rec->token, n->token, GW_CARD_TOKEN_LEN);
	rec->amount = n->amount;
	rec->applied = n->resp.amount;
	rec->balance = n->resp.balance;
	rec->currency = n->currency;
	if (in->masked != NULL)
		strncpy(rec->masked, in->masked, GW_CARD_MASK_LEN - 1);
	memcpy(rec->approval, n->resp.approval, 7);
}

/* Decides a new transaction into @n, whose stripes are held. */
static void decide(struct gw_ledger *l, struct entry *n, struct entry *orig,
		   const struct gw_ledger_in *in)
{
	const struct ledger_op *op = &gw_ledger_ops[in->type];
	struct verdict v = {GW_RC_SYSTEM, 0, 0};

	op->check(n, orig, in, &v);
	if (approved(v.code))
		v.balance = op->settle(n, orig, v.amount);
	n->resp.txn_id = n->txn_id;
	n->resp.code = v.code;
	n->resp.amount = approved(v.code) ? v.amount : 0;
	n->resp.balance =
	    v.code == GW_RC_NOT_FOUND || v.code == GW_RC_INVALID_TXN
		? 0
		: v.balance;
	n->resp.gateway_ref = next_ref(l, in->worker, in->now_ns / NS_PER_S);
	if (approved(v.code))
		gw_ledger_approval(n->resp.gateway_ref, n->resp.approval);
	else
		memcpy(n->resp.approval, "      ", 7);
}

int gw_ledger_apply(struct gw_ledger *l, const struct gw_ledger_in *in,
		    struct gw_resp *out, struct gw_journal_rec *rec)
{
	char m[GW_MERCHANT_ID_MAX] = {0};
	struct entry probe, *orig = NULL, *e, *n;
	unsigned sa, sb;
	uint32_t idx;
	uint64_t h;

	if (l == NULL || !valid_in(in) || out == NULL || rec == NULL)
		return -EINVAL;
	if (in->type == GW_MSG_ECHO) {
		plain_resp(out, in->req->txn_id, GW_RC_APPROVED);
		return 0;
	}
	memcpy(m, in->merchant, strnlen(in->merchant, GW_MERCHANT_ID_MAX));
	h = key_hash(m, in->req->txn_id);
	fill_request(&probe, in, m, h);
	if (in->type != GW_MSG_AUTH) {
		orig = find_ref(l, in->req->orig_ref);
		if (orig != NULL && memcmp(orig->merchant, m, sizeof(m)) != 0)
			orig = NULL;
	}
	sa = stripe_of(h);
	sb = orig != NULL ? stripe_of(orig->hash) : sa;
	lock_pair(l, sa, sb);
	e = find_key(l, m, in->req->txn_id, h);
	if (e != NULL && within_window(l, e, in->now_ns)) {
		answer_repeat(l, e, &probe, out);
		unlock_pair(l, sa, sb);
		return 0;
	}
	n = alloc_entry(l, &idx);
	if (n == NULL) {
		unlock_pair(l, sa, sb);
		stat_inc(&l->full);
		plain_resp(out, in->req->txn_id, GW_RC_SYSTEM);
		return 0;
	}
	*n = probe;
	decide(l, n, orig, in);
	publish(l, idx);
	*out = n->resp;
	fill_rec(rec, n, in);
	unlock_pair(l, sa, sb);
	return 1;
}

/* Keeps new references clear of every replayed one. */
static void replay_epoch(struct gw_ledger *l, uint64_t ref)
{
	uint64_t epoch = ref >> 32;

	if (epoch < l->last_epoch)
		return;
	l->last_epoch = epoch + 1;
	for (unsigned w = 0; w < WORKERS; w++) {
		l->gens[w].epoch = l->last_epoch;
		l->gens[w].counter = 0;
	}
}

/* An authorization's debit, taken again from a freshly loaded card file.
 * If the file no longer covers it, what there is is taken and counted. */
static void replay_debit(struct gw_ledger *l, struct gw_credit_line *line,
			 uint64_t amount)
{
	if (line == NULL || amount == 0)
		return;
	if (gw_credit_debit(line, amount, 0) == amount)
		return;
	gw_credit_debit(line, amount, 1);
	stat_inc(&l->replay_short);
}

int gw_ledger_replay(struct gw_ledger *l, const struct gw_journal_rec *rec,
		     const struct gw_credit_table *cards)
{
	char m[GW_MERCHANT_ID_MAX] = {0};
	struct entry *n, *orig = NULL;
	uint32_t idx;

	if (l == NULL || rec == NULL || rec->type < GW_MSG_AUTH ||
	    rec->type > GW_MSG_REFUND || rec->ref == 0)
		return -EINVAL;
	n = alloc_entry(l, &idx);
	if (n == NULL)
		return -ENOSPC;
	memcpy(m, rec->merchant, strnlen(rec->merchant, GW_MERCHANT_ID_MAX));
	memset(n, 0, sizeof(*n));
	memcpy(n->merchant, m, sizeof(m));
	n->txn_id = rec->txn_id;
	n->hash = key_hash(m, rec->txn_id);
	n->t_ns = rec->time_ns;
	n->amount = rec->amount;
	n->orig_ref = rec->orig_ref;
	n->flags = rec->flags & (uint16_t)~GW_FLAG_RETRANSMIT;
	n->currency = rec->currency;
	n->type = rec->type;
	memcpy(n->token, rec->token, GW_CARD_TOKEN_LEN);
	n->digest = rec->digest;
	n->resp = (struct gw_resp){rec->txn_id,	 rec->applied, rec->ref,
				   rec->balance, rec->code,    ""};
	memcpy(n->resp.approval, rec->approval, 7);
	if (rec->type == GW_MSG_AUTH) {
		if (cards != NULL)
			n->line = gw_credit_find(cards, rec->token);
		if (approved(rec->code))
			replay_debit(l, n->line, rec->applied);
	} else {
		orig = find_ref(l, rec->orig_ref);
		if (orig != NULL && memcmp(orig->merchant, m, sizeof(m)) != 0)
			orig = NULL;
	}
	if (approved(rec->code))
		gw_ledger_ops[rec->type].settle(n, orig, rec->applied);
	publish(l, idx);
	replay_epoch(l, rec->ref);
	return 0;
}

int gw_ledger_outstanding(struct gw_ledger *l, uint64_t ref,
			  uint64_t *capturable, uint64_t *captured,
			  uint64_t *refundable)
{
	struct entry *e = find_ref(l, ref);
	unsigned s;

	if (e == NULL)
		return -ENOENT;
	s = stripe_of(e->hash);
	lock(&l->stripes[s]);
	*capturable = e->kind == K_AUTH ? e->capturable : 0;
	*captured = e->kind == K_CAPTURE ? e->captured : 0;
	*refundable = e->kind == K_CAPTURE ? e->captured - e->refunded : 0;
	unlock(&l->stripes[s]);
	return 0;
}

void gw_ledger_stats(const struct gw_ledger *l, struct gw_ledger_stats *s)
{
	size_t used = __atomic_load_n(&l->used, __ATOMIC_RELAXED);

	s->entries = used < l->capacity ? used : l->capacity;
	s->duplicates = __atomic_load_n(&l->duplicates, __ATOMIC_RELAXED);
	s->conflicts = __atomic_load_n(&l->conflicts, __ATOMIC_RELAXED);
	s->full = __atomic_load_n(&l->full, __ATOMIC_RELAXED);
	s->replay_short = __atomic_load_n(&l->replay_short, __ATOMIC_RELAXED);
}
