/*
 * Protocol processing of one burst, in four passes so that the crypto
 * library sees the whole burst at once and the journal is written once
 * per burst: admit (header, session, window), open and decide, commit the
 * journal, seal.  A request is acted on only after its tag verified and
 * the window accepted its sequence number for good, and no response is
 * released unless the burst's records were committed.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>

#include "crypto.h"
#include "gw_wire.h"
#include "log.h"
#include "proto.h"

/* What one admitted datagram carries between the passes. */
struct pending {
	struct gw_proto_pkt *p;
	struct gw_session *s;
	struct gw_hdr h;
	uint8_t code;
	uint8_t plain[GW_WIRE_REQ_LEN];
	uint8_t resp[GW_WIRE_RESP_LEN];
};

static void drop(struct gw_proto_ctx *c, enum gw_drop why, uint32_t session)
{
	gw_stat_add(&c->st->drops[why], 1);
	GW_DP_DEBUG(&c->log_tsc, "session %u: dropped (%s)", session,
		    gw_stats_drop_name(why));
}

static enum gw_drop wire_drop(int rc)
{
	switch (rc) {
	case GW_WIRE_TRUNCATED:
		return GW_DROP_TRUNCATED;
	case GW_WIRE_TOO_LONG:
		return GW_DROP_TOO_LONG;
	case GW_WIRE_BAD_VERSION:
		return GW_DROP_BAD_VERSION;
	default:
		return GW_DROP_BAD_TYPE;
	}
}

static enum gw_drop replay_drop(int rc)
{
	return rc == GW_REPLAY_OLD ? GW_DROP_TOO_OLD : GW_DROP_REPLAY;
}

/* Pass 1: everything that can be refused before spending crypto on it. */
static int admit(struct gw_proto_ctx *c, struct gw_proto_pkt *p,
		 struct pending *q)
{
	struct gw_session *s;
	int rc;

	rc = gw_wire_check_req(p->dgram, p->len, &q->h);
	if (rc != GW_WIRE_OK) {
		drop(c, wire_drop(rc), 0);
		return 0;
	}
	if (p->len - GW_WIRE_HDR_LEN - GW_WIRE_TAG_LEN > GW_WIRE_REQ_LEN) {
		drop(c, GW_DROP_TOO_LONG, q->h.session_id);
		return 0;
	}
	if (p->room < GW_WIRE_RESP_DGRAM) {
		drop(c, GW_DROP_TRUNCATED, q->h.session_id);
		return 0;
	}
	s = gw_sessions_lookup(c->sessions, q->h.session_id);
	if (s == NULL) {
		drop(c, GW_DROP_UNKNOWN_SESSION, q->h.session_id);
		return 0;
	}
	if (gw_session_state(s) != GW_SESS_ACTIVE) {
		drop(c, GW_DROP_REVOKED_SESSION, s->id);
		return 0;
	}
	if (c->now >= __atomic_load_n(&s->expires, __ATOMIC_RELAXED)) {
		drop(c, GW_DROP_EXPIRED_SESSION, s->id);
		return 0;
	}
	rte_spinlock_lock(&s->lock);
	rc = gw_replay_check(&s->m2g, q->h.seq);
	rte_spinlock_unlock(&s->lock);
	if (rc != GW_REPLAY_OK) {
		drop(c, replay_drop(rc), s->id);
		return 0;
	}
	q->p = p;
	q->s = s;
	return 1;
}

static uint64_t be64_at(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, sizeof(v));
	return rte_be_to_cpu_64(v);
}

/* What a request type needs of its card number before the ledger. */
enum card_use {
	CARD_NONE,     /* echo: no card at all */
	CARD_IF_GIVEN, /* follow-ups act on the original's card; a number
			* they carry only enters the duplicate digest */
	CARD_DECIDES,  /* authorizations: number, token and line decide */
};

static const uint8_t card_use[GW_MSG_ECHO + 1] = {
    [GW_MSG_AUTH] = CARD_DECIDES,     [GW_MSG_CAPTURE] = CARD_IF_GIVEN,
    [GW_MSG_REVERSE] = CARD_IF_GIVEN, [GW_MSG_REFUND] = CARD_IF_GIVEN,
    [GW_MSG_ECHO] = CARD_NONE,
};

/* One request as the ledger sees it.  Holds a card number: wiped after
 * use. */
struct request {
	struct gw_req r;
	uint8_t token[GW_CARD_TOKEN_LEN];
	char masked[GW_CARD_MASK_LEN];
	struct gw_ledger_in in;
};

/*
 * Decodes the body, then the card work: pan check, token, masked form and
 * credit line.  A number too long to decode or malformed leaves pan_ok
 * negative, which the card rules answer 14.  0, or -EIO when the
 * tokenizer failed.
 */
static int prepare(struct gw_proto_ctx *c, const struct pending *q,
		   struct request *x)
{
	struct gw_ledger_in *in = &x->in;
	uint8_t use = card_use[q->h.type];

	*in = (struct gw_ledger_in){
	    .merchant = q->s->merchant,
	    .session_id = q->s->id,
	    .now_ns = c->now_ns,
	    .worker = c->worker,
	    .type = q->h.type,
	    .flags = q->h.flags,
	    .req = &x->r,
	    .pan_ok = -EINVAL,
	    .policy = &c->policy,
	};
	if (gw_wire_req_decode(q->plain, &x->r) != GW_WIRE_OK ||
	    use == CARD_NONE || x->r.pan_len == 0)
		return 0;
	in->pan_ok = gw_card_pan_check(x->r.pan, x->r.pan_len);
	if (in->pan_ok != 0)
		return 0;
	if (gw_card_token(c->tk, x->r.pan, x->r.pan_len, x->token) != 0)
		return -EIO;
	gw_card_mask(x->r.pan, x->r.pan_len, x->masked);
	in->token = x->token;
	in->masked = x->masked;
	if (use == CARD_DECIDES)
		in->line = gw_credit_find(c->credit, x->token);
	return 0;
}

static void journal_failed(struct gw_proto_ctx *c, int rc)
{
	if (c->journal_err != 0)
		return;
	__atomic_store_n(&c->journal_err, rc, __ATOMIC_RELEASE);
	GW_LOG(
	    ERR,
	    "worker %u: the journal cannot be written (%s); answering nothing more",
	    c->worker, strerror(-rc));
}

/*
 * The decision: the ledger decides (and answers repeats from its cache),
 * and a new decision's record joins the burst's journal buffer.  A record
 * that cannot be buffered stops the worker; the response is laid out all
 * the same and dropped with the rest of the burst.
 */
static void decide(struct gw_proto_ctx *c, const struct pending *q,
		   struct gw_resp *out)
{
	struct gw_journal_rec rec;
	struct request x;
	int rc;

	if (prepare(c, q, &x) != 0) {
		out->code = GW_RC_SYSTEM;
		goto out;
	}
	rc = gw_ledger_apply(c->ledger, &x.in, out, &rec);
	if (rc < 0) {
		out->code = GW_RC_SYSTEM;
		goto out;
	}
	if (rc == 1) {
		rc = gw_journal_append(c->journal, &rec);
		if (rc != 0)
			journal_failed(c, rc);
	}
out:
	explicit_bzero(&x, sizeof(x));
}

/* Decides one authenticated request and lays out its response. */
static void answer(struct gw_proto_ctx *c, struct pending *q, size_t body_len,
		   struct gw_crypto_op *op)
{
	struct gw_resp resp = {0};
	struct gw_hdr rh = q->h;
	uint8_t t = q->h.type;

	if (body_len >= sizeof(uint64_t))
		resp.txn_id = be64_at(q->plain);
	resp.code = GW_RC_SYSTEM;
	memset(resp.approval, ' ', sizeof(resp.approval) - 1);
	if (t < RTE_DIM(card_use) && t >= GW_MSG_AUTH &&
	    body_len == GW_WIRE_REQ_LEN)
		decide(c, q, &resp);
	gw_wire_resp_encode(q->resp, &resp);
	q->code = resp.code;

	rh.type = t | GW_MSG_RESPONSE;
	gw_wire_hdr_encode(q->p->dgram, &rh);
	op->keys = &q->s->keys.g2m;
	op->aad = q->p->dgram;
	op->src = q->resp;
	op->dst = q->p->dgram + GW_WIRE_HDR_LEN;
	op->len = GW_WIRE_RESP_LEN;
	op->seq = rh.seq;
	op->tag = q->p->dgram + GW_WIRE_HDR_LEN + GW_WIRE_RESP_LEN;
}

static void open_op(struct pending *q, struct gw_crypto_op *op)
{
	size_t body_len = q->p->len - GW_WIRE_HDR_LEN - GW_WIRE_TAG_LEN;

	op->keys = &q->s->keys.m2g;
	op->aad = q->p->dgram;
	op->src = q->p->dgram + GW_WIRE_HDR_LEN;
	op->dst = q->plain;
	op->len = body_len;
	op->seq = q->h.seq;
	op->tag = q->p->dgram + GW_WIRE_HDR_LEN + body_len;
}

/* The window update, not the earlier check, is what decides: another
 * packet with the same number may have been accepted since. */
static int window_update(struct gw_proto_ctx *c, struct pending *q)
{
	int rc;

	rte_spinlock_lock(&q->s->lock);
	rc = gw_replay_update(&q->s->m2g, q->h.seq);
	rte_spinlock_unlock(&q->s->lock);
	if (rc == GW_REPLAY_OK)
		return 1;
	drop(c, replay_drop(rc), q->s->id);
	return 0;
}

/* Nothing of this burst may go out: its decisions may not be on disk. */
static unsigned drop_all(struct gw_proto_ctx *c, unsigned n)
{
	gw_stat_add(&c->st->drops[GW_DROP_JOURNAL_ERROR], n);
	return 0;
}

unsigned gw_proto_burst(struct gw_proto_ctx *c, struct gw_proto_pkt *p,
			unsigned n)
{
	struct pending q[GW_PROTO_BURST_MAX];
	struct gw_crypto_op op[GW_PROTO_BURST_MAX];
	struct pending *live[GW_PROTO_BURST_MAX];
	unsigned i, m = 0, r = 0, sent = 0;
	int rc;

	for (i = 0; i < n && i < GW_PROTO_BURST_MAX; i++)
		p[i].resp_len = 0;
	if (c->journal_err != 0)
		return drop_all(c, n < GW_PROTO_BURST_MAX ? n
							  : GW_PROTO_BURST_MAX);
	for (i = 0; i < n && i < GW_PROTO_BURST_MAX; i++) {
		if (!admit(c, &p[i], &q[m]))
			continue;
		open_op(&q[m], &op[m]);
		m++;
	}
	gw_crypto_burst(c->mgr, op, m, 0);
	for (i = 0; i < m; i++) {
		if (op[i].status != 0) {
			drop(c,
			     op[i].status == -EBADMSG ? GW_DROP_BAD_TAG
						      : GW_DROP_CRYPTO,
			     q[i].s->id);
			continue;
		}
		if (!window_update(c, &q[i]))
			continue;
		gw_stat_add(&c->st->requests, 1);
		/* Seal operations reuse the array: slot r <= i is done with. */
		answer(c, &q[i], op[i].len, &op[r]);
		live[r++] = &q[i];
	}
	rc = gw_journal_commit(c->journal, c->mono_ns);
	if (rc != 0)
		journal_failed(c, rc);
	if (c->journal_err != 0) {
		explicit_bzero(q, m * sizeof(q[0]));
		return drop_all(c, r);
	}
	gw_crypto_burst(c->mgr, op, r, 1);
	for (i = 0; i < r; i++) {
		/* Sealing cannot fail with valid keys and lengths; if the
		 * library ever refused, the decision stands unanswered and
		 * the merchant's retransmit gets it from the ledger. */
		if (op[i].status != 0) {
			drop(c, GW_DROP_CRYPTO, live[i]->s->id);
			continue;
		}
		live[i]->p->resp_len = GW_WIRE_RESP_DGRAM;
		gw_stat_add(&c->st->responses, 1);
		gw_stat_add(&c->st->codes[live[i]->code % GW_CODES], 1);
		sent++;
	}
	/* The plaintexts hold card numbers, which must not outlive the
	 * burst. */
	explicit_bzero(q, m * sizeof(q[0]));
	return sent;
}
