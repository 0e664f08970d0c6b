/*
 * The ledger's front: construction, the striped locks, the duplicate rule
 * and the order of a decision (find, lock, check duplicates, decide,
 * publish, journal record), and the rebuild from the journal.  Entries and
 * their indexes are ledger_index.c's; the rules of each transaction type
 * are ledger_ops.c's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gw_util.h"
#include "ledger_int.h"

#define NS_PER_S 1000000000ull

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
	l = aligned_alloc(GW_LEDGER_CACHE_LINE, sizeof(*l));
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
	/* explicit_bzero, because the compiler turns malloc and memset into
	 * calloc, whose fresh pages would fault on first use instead. */
	explicit_bzero(l->entries, capacity * sizeof(*l->entries));
	explicit_bzero(l->by_key, slots * sizeof(uint32_t));
	explicit_bzero(l->by_ref, slots * sizeof(uint32_t));
	l->capacity = capacity;
	l->mask = slots - 1;
	l->window_ns = (uint64_t)dup_window_s * NS_PER_S;
	l->last_epoch = start_s & 0xffffffffu;
	for (unsigned w = 0; w < GW_LEDGER_WORKERS; w++)
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

/* A reversal naming its original by the merchant's own transaction id
 * rather than by gateway reference (ledger.h). */
static bool by_txn(const struct gw_ledger_in *in)
{
	return in->type == GW_MSG_REVERSE && in->req->orig_ref == 0;
}

/*
 * The record carries the original's gateway reference even when the
 * request named it by transaction id, so that settlement and replay find
 * it the same way for every follow-up; the digest still covers the
 * request as sent.
 */
static void fill_rec(struct gw_journal_rec *rec, const struct entry *n,
		     const struct entry *orig, const struct gw_ledger_in *in)
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
	if (n->orig_ref == 0 && orig != NULL)
		rec->orig_ref = orig->resp.gateway_ref;
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
	n->resp.gateway_ref =
	    gw_ledger_next_ref(l, in->worker, in->now_ns / NS_PER_S);
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
	h = gw_ledger_key_hash(m, in->req->txn_id);
	fill_request(&probe, in, m, h);
	if (in->type != GW_MSG_AUTH && !by_txn(in)) {
		orig = gw_ledger_find_ref(l, in->req->orig_ref);
		if (orig != NULL && memcmp(orig->merchant, m, sizeof(m)) != 0)
			orig = NULL;
	}
	sa = stripe_of(h);
	sb = orig != NULL ? stripe_of(orig->hash) : sa;
	lock_pair(l, sa, sb);
	e = gw_ledger_find_key(l, m, in->req->txn_id, h);
	if (e != NULL && within_window(l, e, in->now_ns)) {
		/* A reversal by transaction id shares its original's key
		 * (and so its stripe): the entry found is the original,
		 * unless it is that reversal's own earlier decision. */
		if (by_txn(in) && e->type != GW_MSG_REVERSE) {
			orig = e;
		} else {
			answer_repeat(l, e, &probe, out);
			unlock_pair(l, sa, sb);
			return 0;
		}
	}
	n = gw_ledger_alloc(l, &idx);
	if (n == NULL) {
		unlock_pair(l, sa, sb);
		stat_inc(&l->full);
		plain_resp(out, in->req->txn_id, GW_RC_SYSTEM);
		return 0;
	}
	*n = probe;
	decide(l, n, orig, in);
	gw_ledger_publish(l, idx);
	*out = n->resp;
	fill_rec(rec, n, orig, in);
	unlock_pair(l, sa, sb);
	return 1;
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

/*
 * Whether @rec is a reversal that named its original @orig by transaction
 * id.  Its record holds the original's reference (fill_rec), but its
 * entry must keep the orig_ref of 0 it was sent with, or a retransmit
 * after the restart would be refused as a conflicting reuse.  The digest,
 * taken over the request as sent, tells the two forms apart.
 */
static bool replayed_by_txn(const struct gw_journal_rec *rec,
			    const struct entry *orig)
{
	return rec->type == GW_MSG_REVERSE && orig != NULL &&
	       orig->txn_id == rec->txn_id &&
	       rec->digest ==
		   gw_journal_digest(rec->type,
				     rec->flags & (uint16_t)~GW_FLAG_RETRANSMIT,
				     rec->token, rec->amount, rec->currency, 0);
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
	n = gw_ledger_alloc(l, &idx);
	if (n == NULL)
		return -ENOSPC;
	memcpy(m, rec->merchant, strnlen(rec->merchant, GW_MERCHANT_ID_MAX));
	memset(n, 0, sizeof(*n));
	memcpy(n->merchant, m, sizeof(m));
	n->txn_id = rec->txn_id;
	n->hash = gw_ledger_key_hash(m, rec->txn_id);
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
		orig = gw_ledger_find_ref(l, rec->orig_ref);
		if (orig != NULL && memcmp(orig->merchant, m, sizeof(m)) != 0)
			orig = NULL;
		if (replayed_by_txn(rec, orig))
			n->orig_ref = 0;
	}
	if (approved(rec->code))
		gw_ledger_ops[rec->type].settle(n, orig, rec->applied);
	gw_ledger_publish(l, idx);
	gw_ledger_replay_epoch(l, rec->ref);
	return 0;
}

int gw_ledger_outstanding(struct gw_ledger *l, uint64_t ref,
			  uint64_t *capturable, uint64_t *captured,
			  uint64_t *refundable)
{
	struct entry *e = gw_ledger_find_ref(l, ref);
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
