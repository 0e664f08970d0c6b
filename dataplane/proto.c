/*
 * Protocol processing of one burst, in three passes so that the crypto
 * library sees the whole burst at once: admit (header, session, window),
 * open and decide, seal.  A request is acted on only after its tag
 * verified and the window accepted its sequence number for good.
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

typedef void (*handler_fn)(struct gw_proto_ctx *c, const struct pending *q,
			   struct gw_resp *out);

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

static void auth(struct gw_proto_ctx *c, const struct pending *q,
		 struct gw_resp *out)
{
	uint8_t tok[GW_CARD_TOKEN_LEN];
	struct gw_credit_line *line = NULL;
	struct gw_decision d = {0};
	struct gw_req r;
	int pan_ok;

	if (gw_wire_req_decode(q->plain, &r) != GW_WIRE_OK) {
		out->code = GW_RC_INVALID_CARD; /* pan_len above 19 */
		goto out;
	}
	pan_ok = gw_card_pan_check(r.pan, r.pan_len);
	if (pan_ok == 0) {
		if (gw_card_token(c->tk, r.pan, r.pan_len, tok) != 0) {
			out->code = GW_RC_SYSTEM;
			goto out;
		}
		line = gw_credit_find(c->credit, tok);
	}
	gw_decide_apply(&c->policy, &r, q->h.flags, pan_ok, line, &d);
	out->code = d.code;
	out->amount = d.amount;
out:
	explicit_bzero(&r, sizeof(r));
	explicit_bzero(tok, sizeof(tok));
}

/*
 * Captures, reversals and refunds refer to an original decision, which
 * lives in the journal.  The data plane has no journal yet, so no original
 * is ever found and these requests are answered 25: merchants cannot
 * capture, reverse or refund through the data plane until it has one.
 */
static void no_original(struct gw_proto_ctx *c, const struct pending *q,
			struct gw_resp *out)
{
	out->code = GW_RC_NOT_FOUND;
}

static void echo(struct gw_proto_ctx *c, const struct pending *q,
		 struct gw_resp *out)
{
	out->code = GW_RC_APPROVED;
}

static const handler_fn handlers[] = {
    [GW_MSG_AUTH] = auth,	    [GW_MSG_CAPTURE] = no_original,
    [GW_MSG_REVERSE] = no_original, [GW_MSG_REFUND] = no_original,
    [GW_MSG_ECHO] = echo,
};

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
	if (t < RTE_DIM(handlers) && handlers[t] != NULL &&
	    (t == GW_MSG_ECHO || body_len == GW_WIRE_REQ_LEN))
		handlers[t](c, q, &resp);
	resp.gateway_ref = gw_ref_next(&c->ref);
	memset(resp.approval, ' ', GW_APPROVAL_LEN);
	if (resp.code == GW_RC_APPROVED || resp.code == GW_RC_PARTIAL)
		gw_ref_approval(resp.gateway_ref, resp.approval);
	resp.approval[GW_APPROVAL_LEN] = '\0';
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

unsigned gw_proto_burst(struct gw_proto_ctx *c, struct gw_proto_pkt *p,
			unsigned n)
{
	struct pending q[GW_PROTO_BURST_MAX];
	struct gw_crypto_op op[GW_PROTO_BURST_MAX];
	struct pending *live[GW_PROTO_BURST_MAX];
	unsigned i, m = 0, r = 0, sent = 0;

	for (i = 0; i < n && i < GW_PROTO_BURST_MAX; i++) {
		p[i].resp_len = 0;
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
	gw_crypto_burst(c->mgr, op, r, 1);
	for (i = 0; i < r; i++) {
		/* Sealing cannot fail with valid keys and lengths; if the
		 * library ever refused, the decision stands unanswered and
		 * the merchant's retransmit is refused as a replay. */
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
