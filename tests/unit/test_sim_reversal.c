/*
 * Timeout reversals in merchant-sim: when a request is resent, reversed or
 * given up, which reversal answers fit the balance model, and the model
 * and the answers log after the gateway's answers arrive in every order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../merchant-sim/anslog.h"
#include "../../merchant-sim/check.h"
#include "../../merchant-sim/reversal.h"
#include "../../merchant-sim/session.h"
#include "gw_aead.h"
#include "gw_kdf.h"
#include "gw_wire.h"

#define OTB  10000
#define TXN  0x1234abcdull
#define REF  0x6931d2000100002aull
#define RREF 0x6931d2000100002bull

/* ---- when to reverse ----------------------------------------------------- */

static const struct {
	uint8_t reversing, tries;
	uint64_t retries, reverse_after;
	enum sim_expiry want;
} expiries[] = {
    /* Defaults: 5 retries, reversal after 3 retransmissions. */
    {0, 1, 5, 3, SIM_EXPIRY_RETRANSMIT},
    {0, 3, 5, 3, SIM_EXPIRY_RETRANSMIT},
    {0, 4, 5, 3, SIM_EXPIRY_REVERSE},
    /* Reversal disabled: the old rule. */
    {0, 5, 5, 0, SIM_EXPIRY_RETRANSMIT},
    {0, 6, 5, 0, SIM_EXPIRY_GIVE_UP},
    /* Reversal at the last retry replaces the timeout. */
    {0, 6, 5, 5, SIM_EXPIRY_REVERSE},
    {0, 2, 1, 1, SIM_EXPIRY_REVERSE},
    /* The reversal has retries of its own, and is never reversed. */
    {1, 1, 5, 3, SIM_EXPIRY_RETRANSMIT},
    {1, 5, 5, 3, SIM_EXPIRY_RETRANSMIT},
    {1, 6, 5, 3, SIM_EXPIRY_GIVE_UP},
    {1, 1, 0, 0, SIM_EXPIRY_GIVE_UP},
    {0, 1, 0, 0, SIM_EXPIRY_GIVE_UP},
};

static void expiry_follows_retransmissions(void **state)
{
	struct sim_slot s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(expiries) / sizeof(expiries[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.reversing = expiries[i].reversing;
		s.tries = expiries[i].tries;
		assert_int_equal(
		    sim_reversal_on_expiry(&s, expiries[i].retries,
					   expiries[i].reverse_after),
		    expiries[i].want);
	}
}

static void start_turns_the_slot_into_its_reversal(void **state)
{
	const struct gw_decision want = {GW_RC_PARTIAL, 700};
	struct sim_slot s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.tries = 4;
	s.req.txn_id = TXN;
	s.req.amount = 1500;
	s.req.orig_ref = 99;
	s.flags = GW_FLAG_PARTIAL_OK;
	sim_reversal_start(&s, &want);
	assert_int_equal(s.reversing, 1);
	assert_int_equal(s.tries, 0);
	assert_int_equal(s.orig_tries, 4);
	assert_int_equal(s.req.txn_id, TXN);
	assert_int_equal(s.req.amount, 1500);
	assert_int_equal(s.req.orig_ref, 0);
	assert_int_equal(s.want.code, GW_RC_PARTIAL);
	assert_int_equal(s.want.amount, 700);
	/* The flags stay: they decide what the model expects. */
	assert_int_equal(s.flags, GW_FLAG_PARTIAL_OK);
}

/* ---- which reversal answers fit the model -------------------------------- */

static const struct {
	uint8_t want_code;
	uint64_t want_amount;
	uint8_t late_seen;
	uint8_t code;
	uint64_t amount;
	int rc;
} verdicts[] = {
    {GW_RC_APPROVED, 1500, 0, GW_RC_APPROVED, 1500, 0},
    {GW_RC_APPROVED, 1500, 1, GW_RC_APPROVED, 1500, 0},
    {GW_RC_APPROVED, 1500, 0, GW_RC_APPROVED, 1499, -EPROTO},
    {GW_RC_PARTIAL, 700, 0, GW_RC_APPROVED, 700, 0},
    {GW_RC_APPROVED, 1500, 0, GW_RC_NOT_FOUND, 0, 0},
    {GW_RC_APPROVED, 1500, 1, GW_RC_NOT_FOUND, 0, -EPROTO},
    {GW_RC_APPROVED, 1500, 0, GW_RC_INVALID_TXN, 0, -EPROTO},
    {GW_RC_NO_FUNDS, 0, 0, GW_RC_INVALID_TXN, 0, 0},
    {GW_RC_NO_FUNDS, 0, 1, GW_RC_INVALID_TXN, 0, 0},
    {GW_RC_NO_FUNDS, 0, 0, GW_RC_NOT_FOUND, 0, 0},
    {GW_RC_NO_FUNDS, 0, 0, GW_RC_APPROVED, 1500, -EPROTO},
    {GW_RC_INVALID_AMOUNT, 0, 0, GW_RC_INVALID_TXN, 0, 0},
    {GW_RC_APPROVED, 1500, 0, GW_RC_INVALID_AMOUNT, 0, -EPROTO},
    {GW_RC_APPROVED, 1500, 0, GW_RC_DUPLICATE, 0, -EPROTO},
    {GW_RC_APPROVED, 1500, 0, GW_RC_SYSTEM, 0, -EPROTO},
};

static void reversal_answers_are_checked(void **state)
{
	struct sim_slot s;
	struct gw_resp r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		memset(&s, 0, sizeof(s));
		memset(&r, 0, sizeof(r));
		s.reversing = 1;
		s.want.code = verdicts[i].want_code;
		s.want.amount = verdicts[i].want_amount;
		s.late_seen = verdicts[i].late_seen;
		r.code = verdicts[i].code;
		r.amount = verdicts[i].amount;
		assert_int_equal(sim_reversal_check(&s, &r), verdicts[i].rc);
	}
}

static void late_answers_are_kept_once(void **state)
{
	struct gw_resp r = {
	    .txn_id = TXN, .code = GW_RC_APPROVED, .amount = 1500};
	struct sim_slot s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.reversing = 1;
	r.code = GW_RC_DUPLICATE;
	assert_int_equal(sim_reversal_late(&s, &r), 0);
	assert_int_equal(s.late_seen, 0);
	r.code = GW_RC_APPROVED;
	assert_int_equal(sim_reversal_late(&s, &r), 1);
	assert_int_equal(s.late_seen, 1);
	assert_int_equal(s.late.amount, 1500);
	assert_int_equal(sim_reversal_late(&s, &r), 0);
}

/* ---- the whole path: answers sealed as the gateway seals them ------------ */

struct fx {
	struct sim_merchant *m;
	struct sim_card card;
	struct sim_stats st;
	struct sim_check chk;
	char log[64];
	uint64_t seq; /* the gateway's, g2m */
};

static int setup(void **state)
{
	static const uint8_t secret[GW_SECRET_LEN] = {9, 8, 7};
	struct fx *f = calloc(1, sizeof(*f));
	char err[128];
	int fd;

	if (!f)
		return -1;
	f->m = sim_merchants_new(1, 2);
	if (!f->m)
		return -1;
	f->m->sid = 7;
	snprintf(f->m->id, sizeof(f->m->id), "m-0001");
	if (gw_kdf_session(secret, f->m->sid, &f->m->keys) != 0)
		return -1;
	strcpy(f->card.pan, "4111111111111111");
	f->card.pan_len = 16;
	f->card.line.expiry = 3012;
	f->card.line.status = GW_CARD_ACTIVE;
	f->card.line.limit = OTB;
	f->card.line.otb = OTB;
	strcpy(f->card.line.masked, "411111******1111");
	sim_stats_init(&f->st);
	sim_check_init(&f->chk, GW_REFERRAL_DEFAULT, &f->st);
	strcpy(f->log, "/tmp/test_sim_reversal_XXXXXX");
	fd = mkstemp(f->log);
	if (fd < 0)
		return -1;
	close(fd);
	f->chk.log = sim_anslog_open(f->log, err, sizeof(err));
	if (!f->chk.log)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	(void)sim_anslog_close(f->chk.log);
	unlink(f->log);
	sim_merchants_free(f->m, 1);
	free(f);
	return 0;
}

/* An authorization of @amount on the card, sent and resent until it is
 * reversed, as traffic.c does at the deadline. */
static struct sim_slot *reversed(struct fx *f, uint64_t amount)
{
	struct sim_slot *s = sim_session_slot_get(f->m);
	struct gw_decision want;

	assert_non_null(s);
	s->card = &f->card;
	f->card.busy = 1;
	s->req.txn_id = TXN;
	s->req.amount = amount;
	s->req.currency = 978;
	s->req.expiry = 3012;
	s->req.pan_len = f->card.pan_len;
	memcpy(s->req.pan, f->card.pan, sizeof(s->req.pan));
	s->tries = 4;
	sim_check_expect(&f->chk, s, &want);
	sim_reversal_start(s, &want);
	return s;
}

/* Seals the gateway's answer of @type and hands it to check.c. */
static int answer(struct fx *f, uint8_t type, uint8_t code, uint64_t amount,
		  uint64_t ref, const char *approval)
{
	struct gw_resp r = {
	    .txn_id = TXN, .amount = amount, .gateway_ref = ref, .code = code};
	struct gw_hdr h = {.version = GW_WIRE_VERSION,
			   .type = (uint8_t)(type | GW_MSG_RESPONSE),
			   .session_id = f->m->sid,
			   .seq = ++f->seq};
	uint8_t body[GW_WIRE_RESP_LEN], pkt[GW_WIRE_RESP_DGRAM];

	memcpy(r.approval, approval, 7);
	gw_wire_resp_encode(body, &r);
	assert_int_equal(
	    gw_aead_frame_seal(&f->m->keys.g2m, &h, body, sizeof(body), pkt),
	    (int)sizeof(pkt));
	return sim_check_resp(&f->chk, f->m, pkt, sizeof(pkt), 1000);
}

static char *log_text(struct fx *f)
{
	static char buf[1024];
	FILE *in;
	size_t n;

	assert_int_equal(sim_anslog_close(f->chk.log), 0);
	f->chk.log = NULL;
	in = fopen(f->log, "r");
	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf) - 1, in);
	buf[n] = '\0';
	fclose(in);
	return buf;
}

static void approved_then_reversed_gives_the_otb_back(void **state)
{
	struct fx *f = *state;
	struct sim_slot *s = reversed(f, 1500);

	/* The original's answer comes after all: checked and debited. */
	assert_int_equal(
	    answer(f, GW_MSG_AUTH, GW_RC_APPROVED, 1500, REF, "ABC123"), 0);
	assert_int_equal(f->card.line.otb, OTB - 1500);
	assert_int_equal(f->st.answers_after_reversal, 1);
	assert_int_equal(f->st.responses, 0);
	assert_int_equal(f->m->nout, 1);
	/* A repeat of it, and the 94 a later repeat gets, change nothing. */
	assert_int_equal(
	    answer(f, GW_MSG_AUTH, GW_RC_APPROVED, 1500, REF, "ABC123"), 0);
	assert_int_equal(
	    answer(f, GW_MSG_AUTH, GW_RC_DUPLICATE, 0, 0, "      "), 0);
	assert_int_equal(f->st.drops[SIM_DROP_LATE], 2);
	assert_int_equal(f->card.line.otb, OTB - 1500);
	/* The reversal's answer settles it and gives the 1500 back. */
	assert_int_equal(
	    answer(f, GW_MSG_REVERSE, GW_RC_APPROVED, 1500, RREF, "XYZ789"), 1);
	assert_int_equal(f->card.line.otb, OTB);
	assert_int_equal(f->card.busy, 0);
	assert_int_equal(f->card.lost, 0);
	assert_int_equal(f->m->nout, 0);
	assert_int_equal(s->used, 0);
	assert_int_equal(f->st.timeout_reversals_answered, 1);
	assert_int_equal(f->st.reversal_codes[GW_RC_APPROVED], 1);
	assert_int_equal(f->st.verify_failures, 0);
	assert_string_equal(
	    log_text(f),
	    "m-0001 000000001234abcd auth 00 1500 6931d2000100002a ABC123 "
	    "411111******1111\n"
	    "m-0001 000000001234abcd reverse 00 1500 6931d2000100002b XYZ789 "
	    "411111******1111\n");
}

static void reversal_alone_releases_without_model_change(void **state)
{
	struct fx *f = *state;

	reversed(f, 1500);
	assert_int_equal(
	    answer(f, GW_MSG_REVERSE, GW_RC_APPROVED, 1500, RREF, "XYZ789"), 1);
	/* The model never took the debit whose answer never came. */
	assert_int_equal(f->card.line.otb, OTB);
	assert_int_equal(f->st.timeout_reversals_answered, 1);
	assert_int_equal(f->st.verify_failures, 0);
	/* A late answer to the original after that is a stray. */
	assert_int_equal(
	    answer(f, GW_MSG_AUTH, GW_RC_APPROVED, 1500, REF, "ABC123"), 0);
	assert_int_equal(f->st.drops[SIM_DROP_LATE], 1);
	assert_int_equal(f->card.line.otb, OTB);
}

static void never_seen_changes_nothing(void **state)
{
	struct fx *f = *state;

	reversed(f, 1500);
	assert_int_equal(
	    answer(f, GW_MSG_REVERSE, GW_RC_NOT_FOUND, 0, RREF, "      "), 1);
	assert_int_equal(f->card.line.otb, OTB);
	assert_int_equal(f->card.busy, 0);
	assert_int_equal(f->st.reversal_codes[GW_RC_NOT_FOUND], 1);
	assert_int_equal(f->st.verify_failures, 0);
	assert_string_equal(log_text(f),
			    "m-0001 000000001234abcd reverse 25 0 "
			    "6931d2000100002b - 411111******1111\n");
}

static void declined_original_reversed_12(void **state)
{
	struct fx *f = *state;

	/* More than the open-to-buy, partial not accepted: 51. */
	reversed(f, OTB + 1);
	assert_int_equal(
	    answer(f, GW_MSG_AUTH, GW_RC_NO_FUNDS, 0, REF, "      "), 0);
	assert_int_equal(
	    answer(f, GW_MSG_REVERSE, GW_RC_INVALID_TXN, 0, RREF, "      "), 1);
	assert_int_equal(f->card.line.otb, OTB);
	assert_int_equal(f->st.verify_failures, 0);
}

static void inconsistent_reversal_is_a_failure(void **state)
{
	struct fx *f = *state;

	/* Approved after all, then "never seen": the gateway contradicts
	 * itself.  The model keeps the debit it was told of. */
	reversed(f, 1500);
	assert_int_equal(
	    answer(f, GW_MSG_AUTH, GW_RC_APPROVED, 1500, REF, "ABC123"), 0);
	assert_int_equal(
	    answer(f, GW_MSG_REVERSE, GW_RC_NOT_FOUND, 0, RREF, "      "), 1);
	assert_int_equal(f->st.verify_failures, 1);
	assert_int_equal(f->card.line.otb, OTB - 1500);
}

static void reversal_answer_to_an_authorization_is_refused(void **state)
{
	struct fx *f = *state;
	struct sim_slot *s = sim_session_slot_get(f->m);

	s->card = &f->card;
	s->req.txn_id = TXN;
	s->req.amount = 1500;
	assert_int_equal(
	    answer(f, GW_MSG_REVERSE, GW_RC_APPROVED, 1500, RREF, "XYZ789"), 0);
	assert_int_equal(f->st.verify_failures, 1);
	assert_int_equal(f->m->nout, 1);
	assert_int_equal(f->card.line.otb, OTB);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(expiry_follows_retransmissions),
	    cmocka_unit_test(start_turns_the_slot_into_its_reversal),
	    cmocka_unit_test(reversal_answers_are_checked),
	    cmocka_unit_test(late_answers_are_kept_once),
	    T(approved_then_reversed_gives_the_otb_back),
	    T(reversal_alone_releases_without_model_change),
	    T(never_seen_changes_nothing),
	    T(declined_original_reversed_12),
	    T(inconsistent_reversal_is_a_failure),
	    T(reversal_answer_to_an_authorization_is_refused),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
