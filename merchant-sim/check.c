/*
 * Answer verification, in the order the protocol sets for the receiving
 * side: length and type, session, replay window, tag (only then does the
 * window move), transaction, decision.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "check.h"
#include "gw_aead.h"
#include "gw_card.h"
#include "reversal.h"

void sim_check_init(struct sim_check *c, uint64_t referral_amount,
		    struct sim_stats *st)
{
	memset(c, 0, sizeof(*c));
	c->policy.referral_amount = referral_amount;
	c->policy.today_yymm = gw_decide_today();
	c->st = st;
}

void sim_check_expect(const struct sim_check *c, const struct sim_slot *s,
		      struct gw_decision *d)
{
	const struct sim_card *card = s->card;
	int pan_ok = gw_card_pan_check(s->req.pan, s->req.pan_len);

	gw_decide_eval(&c->policy, &s->req, s->flags, pan_ok,
		       card ? &card->line : NULL, card ? card->line.otb : 0, d);
}

void sim_check_apply(struct sim_slot *s, const struct gw_resp *r)
{
	struct gw_credit_line *l;

	if (!s->card)
		return;
	l = &s->card->line;
	/* The model follows what the gateway debited, so that one wrong
	 * answer is reported once rather than in every later one. */
	if (r->code == GW_RC_APPROVED || r->code == GW_RC_PARTIAL)
		l->otb -= r->amount < l->otb ? r->amount : l->otb;
}

/* The card as logs may show it: masked, or @none for numbers that are
 * not card numbers at all. */
static void shown_card(const struct sim_slot *s, const char *none,
		       char out[GW_CARD_MASK_LEN])
{
	if (s->card) {
		memcpy(out, s->card->line.masked, GW_CARD_MASK_LEN);
		return;
	}
	if (gw_card_pan_check(s->req.pan, s->req.pan_len) == 0)
		gw_card_mask(s->req.pan, s->req.pan_len, out);
	else
		snprintf(out, GW_CARD_MASK_LEN, "%s", none);
}

static void log_answer(struct sim_check *c, const struct sim_merchant *m,
		       const struct sim_slot *s, uint8_t type,
		       const struct gw_resp *r)
{
	char card[GW_CARD_MASK_LEN];

	if (!c->log)
		return;
	shown_card(s, "-", card);
	sim_anslog_write(c->log, m->id, type, r, card);
}

static void show(struct sim_check *c, const struct sim_merchant *m,
		 const struct sim_slot *s, uint8_t want_code,
		 uint64_t want_amount, const struct gw_resp *r)
{
	char card[GW_CARD_MASK_LEN], want[3], got[3], where[32] = "";

	if (c->shown++ >= SIM_CHECK_SHOWN_MAX)
		return;
	shown_card(s, "(malformed)", card);
	gw_wire_code_str(want_code, want);
	gw_wire_code_str(r->code, got);
	if (s->script)
		snprintf(where, sizeof(where),
			 "script line %u: ", s->script->lineno);
	fprintf(stderr,
		"merchant-sim: %smerchant %s session %" PRIu32
		" txn %016" PRIx64 " card %s amount %" PRIu64
		": expected %s/%" PRIu64 ", got %s/%" PRIu64 "\n",
		where, m->id, m->sid, s->req.txn_id, card, s->req.amount, want,
		want_amount, got, r->amount);
}

/* Compares answer @r with the model and, for scripts, the script. */
static void verify(struct sim_check *c, const struct sim_merchant *m,
		   const struct sim_slot *s, const struct gw_resp *r)
{
	const struct sim_script_line *l = s->script;
	struct gw_decision d;

	sim_check_expect(c, s, &d);
	if (r->code != d.code || r->amount != d.amount) {
		c->st->verify_failures++;
		show(c, m, s, d.code, d.amount, r);
		return;
	}
	if (l && (r->code != l->code || r->amount != l->expected_amount)) {
		c->st->verify_failures++;
		show(c, m, s, l->code, l->expected_amount, r);
	}
}

static int drop(struct sim_check *c, enum sim_drop why)
{
	c->st->drops[why]++;
	return 0;
}

/* Wire, session, window and tag; fills @r with the decoded body. */
static int open_resp(struct sim_check *c, struct sim_merchant *m,
		     const uint8_t *pkt, size_t len, struct gw_hdr *h,
		     struct gw_resp *r)
{
	uint8_t body[GW_WIRE_RESP_LEN];
	int rc;

	if (gw_wire_check_resp(pkt, len, h) != GW_WIRE_OK)
		return drop(c, SIM_DROP_MALFORMED);
	if (h->session_id != m->sid)
		return drop(c, SIM_DROP_SESSION);
	if (gw_replay_check(&m->g2m, h->seq) != GW_REPLAY_OK)
		return drop(c, SIM_DROP_REPLAY);
	if (gw_aead_frame_open(&m->keys.g2m, h, pkt, len, body) != 0)
		return drop(c, SIM_DROP_AUTH);
	if (gw_replay_update(&m->g2m, h->seq) != GW_REPLAY_OK)
		return drop(c, SIM_DROP_REPLAY);
	rc = gw_wire_resp_decode(body, r);
	OPENSSL_cleanse(body, sizeof(body));
	if (rc != GW_WIRE_OK ||
	    (h->type != (GW_MSG_AUTH | GW_MSG_RESPONSE) &&
	     h->type != (GW_MSG_REVERSE | GW_MSG_RESPONSE))) {
		/* Authentic but wrong: the gateway's fault, not the
		 * network's. */
		c->st->verify_failures++;
		if (c->shown++ < SIM_CHECK_SHOWN_MAX)
			fprintf(
			    stderr,
			    "merchant-sim: merchant %s session %" PRIu32
			    ": answer of type 0x%02x with an undecodable body\n",
			    m->id, m->sid, h->type);
		return 0;
	}
	return 1;
}

/* An answer of a type its request does not have: the gateway's fault. */
static int mistyped(struct sim_check *c, const struct sim_merchant *m,
		    const struct sim_slot *s, uint8_t type)
{
	c->st->verify_failures++;
	if (c->shown++ < SIM_CHECK_SHOWN_MAX)
		fprintf(stderr,
			"merchant-sim: merchant %s session %" PRIu32
			" txn %016" PRIx64
			": answer of type 0x%02x to a request of type 0x%02x\n",
			m->id, m->sid, s->req.txn_id, type,
			s->reversing ? GW_MSG_REVERSE : GW_MSG_AUTH);
	return 0;
}

static void show_reversal(struct sim_check *c, const struct sim_merchant *m,
			  const struct sim_slot *s, const struct gw_resp *r)
{
	char card[GW_CARD_MASK_LEN], want[3], got[3];

	if (c->shown++ >= SIM_CHECK_SHOWN_MAX)
		return;
	shown_card(s, "(malformed)", card);
	gw_wire_code_str(s->want.code, want);
	gw_wire_code_str(r->code, got);
	fprintf(stderr,
		"merchant-sim: merchant %s session %" PRIu32 " txn %016" PRIx64
		" card %s: reversal answered %s/%" PRIu64
		", but the original was expected %s/%" PRIu64 "%s\n",
		m->id, m->sid, s->req.txn_id, card, got, r->amount, want,
		s->want.amount, s->late_seen ? " and was answered" : "");
}

/* An answer for @s while it is being reversed: the original's, late, or
 * the reversal's, which settles it. */
static int reversal_answer(struct sim_check *c, struct sim_merchant *m,
			   struct sim_slot *s, const struct gw_hdr *h,
			   const struct gw_resp *r)
{
	if (h->type == (GW_MSG_AUTH | GW_MSG_RESPONSE)) {
		if (!sim_reversal_late(s, r))
			return drop(c, SIM_DROP_LATE);
		verify(c, m, s, r);
		sim_check_apply(s, r);
		c->st->answers_after_reversal++;
		log_answer(c, m, s, GW_MSG_AUTH, r);
		return 0;
	}
	if (sim_reversal_check(s, r) != 0) {
		c->st->verify_failures++;
		show_reversal(c, m, s, r);
	}
	sim_reversal_settle(s, r);
	c->st->timeout_reversals_answered++;
	c->st->reversal_codes[r->code < 100 ? r->code : 99]++;
	log_answer(c, m, s, GW_MSG_REVERSE, r);
	sim_session_slot_put(m, s);
	return 1;
}

int sim_check_resp(struct sim_check *c, struct sim_merchant *m,
		   const uint8_t *pkt, size_t len, uint64_t now)
{
	struct sim_slot *s;
	struct gw_resp r;
	struct gw_hdr h;

	if (!open_resp(c, m, pkt, len, &h, &r))
		return 0;
	s = sim_session_find(m, r.txn_id);
	if (!s)
		return drop(c, SIM_DROP_LATE);
	if (s->reversing)
		return reversal_answer(c, m, s, &h, &r);
	if (h.type != (GW_MSG_AUTH | GW_MSG_RESPONSE))
		return mistyped(c, m, s, h.type);
	verify(c, m, s, &r);
	log_answer(c, m, s, GW_MSG_AUTH, &r);
	sim_check_apply(s, &r);
	c->st->responses++;
	c->st->codes[r.code < 100 ? r.code : 99]++;
	sim_hist_add(&c->st->latency_us, (now - s->first_ns) / 1000);
	/* The gateway answers under the request's sequence number, which
	 * tells which transmission it took. */
	if (h.seq == s->last_seq) {
		memcpy(m->answered, s->pkt, sizeof(m->answered));
		m->have_answered = 1;
	}
	if (s->card)
		s->card->busy = 0;
	sim_session_slot_put(m, s);
	return 1;
}

int sim_check_echo(struct sim_check *c, struct sim_merchant *m,
		   const uint8_t *pkt, size_t len, uint64_t now)
{
	struct sim_slot *s = NULL;
	struct gw_hdr h;
	unsigned i;

	if (len != GW_WIRE_REQ_DGRAM)
		return drop(c, SIM_DROP_MALFORMED);
	gw_wire_hdr_decode(pkt, &h);
	if (h.session_id != m->sid)
		return drop(c, SIM_DROP_SESSION);
	for (i = 0; i < m->nslot && !s; i++)
		if (m->slot[i].used && m->slot[i].last_seq == h.seq)
			s = &m->slot[i];
	/* An echo of an earlier transmission of a request still
	 * outstanding is as late as one of a request already answered. */
	if (!s)
		return drop(c, SIM_DROP_LATE);
	if (memcmp(s->pkt, pkt, len) != 0)
		return drop(c, SIM_DROP_AUTH);
	c->st->responses++;
	sim_hist_add(&c->st->latency_us, (now - s->first_ns) / 1000);
	if (s->card)
		s->card->busy = 0;
	sim_session_slot_put(m, s);
	return 1;
}
