/*
 * The ledger: every transaction rule with exact codes, amounts and
 * balances, the duplicate rule, capacity, concurrent debits of one card,
 * a rebuild from the journal that must give back the same state, and
 * reversals that name their original by transaction id.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../dataplane/ledger.h"

#define PAN_A	 "4111111111111111" /* open-to-buy 500000 */
#define PAN_B	 "4012888888881881" /* open-to-buy 5000 */
#define OTB_A	 500000
#define T0	 1764806400000000000ull /* 2025-12-04 00:00:00 UTC */
#define WINDOW_S 120
#define MAX_RECS 64
#define MERCHANT "m-0001"
#define OTHER	 "m-0002"
#define CURRENCY 978
#define NO_REF	 0

static const char cards_csv[] =
    "pan,expiry,credit_limit,open_to_buy,status\n" PAN_A
    ",3012,500000,500000,A\n" PAN_B ",3012,500000,5000,A\n";

struct fx {
	struct gw_card_tokenizer *tk;
	struct gw_credit_table *cards;
	struct gw_ledger *l;
	struct gw_policy pol;
	uint64_t now;
	uint8_t worker;
	struct gw_journal_rec recs[MAX_RECS];
	size_t nrec;
	char path[64];
};

static struct gw_credit_table *load_cards(struct fx *f)
{
	char err[128];

	return gw_credit_load(f->path, f->tk, err, sizeof(err));
}

static int setup(void **state)
{
	static const uint8_t key[32] = {7};
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	if (f == NULL)
		return -1;
	strcpy(f->path, "/tmp/test_ledger_XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0 || write(fd, cards_csv, sizeof(cards_csv) - 1) !=
			  (ssize_t)(sizeof(cards_csv) - 1))
		return -1;
	close(fd);
	f->tk = gw_card_tokenizer_new(key);
	f->cards = load_cards(f);
	f->l = gw_ledger_new(64, WINDOW_S, T0 / 1000000000ull);
	f->pol.referral_amount = GW_REFERRAL_DEFAULT;
	f->pol.today_yymm = 2512;
	f->now = T0;
	if (f->tk == NULL || f->cards == NULL || f->l == NULL)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gw_ledger_free(f->l);
	gw_credit_free(f->cards);
	gw_card_tokenizer_free(f->tk);
	unlink(f->path);
	free(f);
	return 0;
}

static struct gw_credit_line *
line_of(struct fx *f, struct gw_credit_table *cards, const char *pan)
{
	uint8_t tok[GW_CARD_TOKEN_LEN];

	if (gw_card_token(f->tk, pan, strlen(pan), tok) != 0)
		return NULL;
	return gw_credit_find(cards, tok);
}

static uint64_t otb(struct fx *f, const char *pan)
{
	return gw_credit_otb(line_of(f, f->cards, pan));
}

/* One request from @merchant; records produced are kept in f->recs. */
static int req_as(struct fx *f, const char *merchant, uint8_t type,
		  uint16_t flags, uint64_t txn, const char *pan,
		  uint64_t amount, uint64_t orig, struct gw_resp *out)
{
	struct gw_req r = {.txn_id = txn,
			   .amount = amount,
			   .orig_ref = orig,
			   .currency = CURRENCY,
			   .expiry = 3012};
	uint8_t tok[GW_CARD_TOKEN_LEN];
	char masked[GW_CARD_MASK_LEN];
	struct gw_ledger_in in = {.merchant = merchant,
				  .session_id = 42,
				  .now_ns = f->now,
				  .worker = f->worker,
				  .type = type,
				  .flags = flags,
				  .req = &r,
				  .policy = &f->pol};
	struct gw_journal_rec rec;
	int ret;

	if (pan != NULL) {
		r.pan_len = (uint8_t)strlen(pan);
		memcpy(r.pan, pan, r.pan_len);
		in.pan_ok = gw_card_pan_check(pan, r.pan_len);
		assert_int_equal(gw_card_token(f->tk, pan, r.pan_len, tok), 0);
		gw_card_mask(pan, r.pan_len, masked);
		in.token = tok;
		in.masked = masked;
		in.line = gw_credit_find(f->cards, tok);
	}
	f->now += 1000000; /* 1 ms between requests */
	ret = gw_ledger_apply(f->l, &in, out, &rec);
	if (ret == 1 && f->nrec < MAX_RECS)
		f->recs[f->nrec++] = rec;
	return ret;
}

static int req(struct fx *f, uint8_t type, uint16_t flags, uint64_t txn,
	       const char *pan, uint64_t amount, uint64_t orig,
	       struct gw_resp *out)
{
	return req_as(f, MERCHANT, type, flags, txn, pan, amount, orig, out);
}

static void assert_resp(const struct gw_resp *r, uint8_t code, uint64_t amount,
			uint64_t balance)
{
	assert_int_equal(r->code, code);
	assert_int_equal(r->amount, amount);
	assert_int_equal(r->balance, balance);
}

static void assert_outstanding(struct fx *f, uint64_t ref, uint64_t cap,
			       uint64_t captured, uint64_t refundable)
{
	uint64_t a, b, c;

	assert_int_equal(gw_ledger_outstanding(f->l, ref, &a, &b, &c), 0);
	assert_int_equal(a, cap);
	assert_int_equal(b, captured);
	assert_int_equal(c, refundable);
}

/* An approved authorization of 100.00. */
static uint64_t auth(struct fx *f, uint64_t txn, uint16_t flags)
{
	struct gw_resp r;

	assert_int_equal(
	    req(f, GW_MSG_AUTH, flags, txn, PAN_A, 10000, NO_REF, &r), 1);
	assert_int_equal(r.code, GW_RC_APPROVED);
	return r.gateway_ref;
}

static void test_auth_approved(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_AUTH, 0, 1, PAN_A, 10000, NO_REF, &r),
			 1);
	assert_resp(&r, GW_RC_APPROVED, 10000, 10000);
	assert_int_equal(r.txn_id, 1);
	assert_int_equal(r.gateway_ref >> 32, T0 / 1000000000ull);
	assert_int_equal(strlen(r.approval), 6);
	for (int i = 0; i < 6; i++)
		assert_true((r.approval[i] >= '0' && r.approval[i] <= '9') ||
			    (r.approval[i] >= 'A' && r.approval[i] <= 'Z'));
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	assert_outstanding(f, r.gateway_ref, 10000, 0, 0);
	/* The journal record carries the decision and no card number. */
	assert_int_equal(f->nrec, 1);
	assert_int_equal(f->recs[0].code, GW_RC_APPROVED);
	assert_int_equal(f->recs[0].applied, 10000);
	assert_int_equal(f->recs[0].ref, r.gateway_ref);
	assert_string_equal(f->recs[0].masked, "411111******1111");
	assert_string_equal(f->recs[0].merchant, MERCHANT);
	assert_memory_equal(f->recs[0].approval, r.approval, 7);
}

static void test_auth_declines_and_partial(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_AUTH, 0, 1, PAN_B, 8000, NO_REF, &r), 1);
	assert_resp(&r, GW_RC_NO_FUNDS, 0, 0);
	assert_string_equal(r.approval, "      ");
	assert_int_equal(
	    req(f, GW_MSG_AUTH, GW_FLAG_PARTIAL_OK, 2, PAN_B, 8000, NO_REF, &r),
	    1);
	assert_resp(&r, GW_RC_PARTIAL, 5000, 5000);
	assert_int_not_equal(r.approval[0], ' ');
	assert_int_equal(otb(f, PAN_B), 0);
	assert_int_equal(
	    req(f, GW_MSG_AUTH, 0, 3, "4111111111111112", 100, NO_REF, &r), 1);
	assert_resp(&r, GW_RC_INVALID_CARD, 0, 0);
}

static void test_capture_full(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 10000, ref, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 10000, 0);
	assert_int_not_equal(r.gateway_ref, ref);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	assert_outstanding(f, ref, 0, 0, 0);
	assert_outstanding(f, r.gateway_ref, 0, 10000, 10000);
}

static void test_capture_partial_releases_rest(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 6000, ref, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 6000, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 6000);
	assert_outstanding(f, r.gateway_ref, 0, 6000, 6000);
}

static void test_capture_more_than_authorized(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 10001, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_AMOUNT, 0, 10000);
	assert_string_equal(r.approval, "      ");
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 3, NULL, 0, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_AMOUNT, 0, 10000);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	assert_outstanding(f, ref, 10000, 0, 0);
}

static void test_second_capture_invalid(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 4000, ref, &r), 1);
	assert_int_equal(r.code, GW_RC_APPROVED);
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 3, NULL, 1000, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 4000);
}

static void test_reverse_partial_then_capture_rest(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 2, NULL, 3000, ref, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 3000, 7000);
	assert_int_equal(otb(f, PAN_A), OTB_A - 7000);
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 3, NULL, 7001, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_AMOUNT, 0, 7000);
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 4, NULL, 7000, ref, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 7000, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 7000);
}

static void test_reverse_full_then_nothing_follows(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 2, NULL, 10000, ref, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 10000, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A);
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 3, NULL, 1, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 4, NULL, 1, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
}

static void test_reverse_unknown_ref(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;

	auth(f, 1, 0);
	assert_int_equal(
	    req(f, GW_MSG_REVERSE, 0, 2, NULL, 100, 0x1234567812345678ull, &r),
	    1);
	assert_resp(&r, GW_RC_NOT_FOUND, 0, 0);
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 3, NULL, 100, 0, &r), 1);
	assert_resp(&r, GW_RC_NOT_FOUND, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
}

static void test_reverse_more_than_remains(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 2, NULL, 4000, ref, &r), 1);
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 3, NULL, 6001, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_AMOUNT, 0, 6000);
	assert_int_equal(otb(f, PAN_A), OTB_A - 6000);
	assert_outstanding(f, ref, 6000, 0, 0);
}

static void test_refund_within_and_beyond_captured(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0), cap;
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 10000, ref, &r), 1);
	cap = r.gateway_ref;
	assert_int_equal(req(f, GW_MSG_REFUND, 0, 3, NULL, 4000, cap, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 4000, 6000);
	assert_int_equal(otb(f, PAN_A), OTB_A - 6000);
	assert_int_equal(req(f, GW_MSG_REFUND, 0, 4, NULL, 6001, cap, &r), 1);
	assert_resp(&r, GW_RC_INVALID_AMOUNT, 0, 6000);
	assert_int_equal(req(f, GW_MSG_REFUND, 0, 5, NULL, 6000, cap, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 6000, 0);
	assert_int_equal(req(f, GW_MSG_REFUND, 0, 6, NULL, 1, cap, &r), 1);
	assert_resp(&r, GW_RC_INVALID_AMOUNT, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A);
	/* After a refund the capture can no longer be reversed. */
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 7, NULL, 1, cap, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
}

static void test_refund_of_uncaptured_auth(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_REFUND, 0, 2, NULL, 100, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	assert_outstanding(f, ref, 10000, 0, 0);
}

static void test_capture_now_then_refund(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;
	uint64_t ref;

	assert_int_equal(req(f, GW_MSG_AUTH, GW_FLAG_CAPTURE_NOW, 1, PAN_A,
			     10000, NO_REF, &r),
			 1);
	assert_resp(&r, GW_RC_APPROVED, 10000, 0);
	ref = r.gateway_ref;
	assert_outstanding(f, ref, 0, 10000, 10000);
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 100, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
	assert_int_equal(req(f, GW_MSG_REFUND, 0, 3, NULL, 2500, ref, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 2500, 7500);
	assert_int_equal(otb(f, PAN_A), OTB_A - 7500);
}

static void test_reverse_capture_before_refund(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;
	uint64_t ref;

	assert_int_equal(req(f, GW_MSG_AUTH, GW_FLAG_CAPTURE_NOW, 1, PAN_A,
			     10000, NO_REF, &r),
			 1);
	ref = r.gateway_ref;
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 2, NULL, 2000, ref, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 2000, 8000);
	assert_int_equal(otb(f, PAN_A), OTB_A - 8000);
	assert_int_equal(req(f, GW_MSG_REFUND, 0, 3, NULL, 8001, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_AMOUNT, 0, 8000);
	/* A reversal is not itself an original for anything. */
	assert_int_equal(
	    req(f, GW_MSG_REFUND, 0, 4, NULL, 1, f->recs[1].ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
}

static void test_other_merchants_ref_not_found(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, GW_FLAG_CAPTURE_NOW);
	struct gw_resp r;

	assert_int_equal(
	    req_as(f, OTHER, GW_MSG_REFUND, 0, 2, NULL, 100, ref, &r), 1);
	assert_resp(&r, GW_RC_NOT_FOUND, 0, 0);
	assert_int_equal(
	    req_as(f, OTHER, GW_MSG_REVERSE, 0, 3, NULL, 100, ref, &r), 1);
	assert_resp(&r, GW_RC_NOT_FOUND, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	assert_outstanding(f, ref, 0, 10000, 10000);
	/* The same transaction id under another merchant is another key. */
	assert_int_equal(
	    req_as(f, OTHER, GW_MSG_AUTH, 0, 1, PAN_A, 500, NO_REF, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 500, 500);
}

static void test_duplicate_gets_original_answer(void **state)
{
	struct fx *f = *state;
	uint8_t first[GW_WIRE_RESP_LEN], again[GW_WIRE_RESP_LEN];
	struct gw_resp r1, r2;
	struct gw_ledger_stats st;

	assert_int_equal(req(f, GW_MSG_AUTH, 0, 9, PAN_A, 10000, NO_REF, &r1),
			 1);
	gw_wire_resp_encode(first, &r1);
	f->now += 119ull * 1000000000ull;
	assert_int_equal(req(f, GW_MSG_AUTH, GW_FLAG_RETRANSMIT, 9, PAN_A,
			     10000, NO_REF, &r2),
			 0);
	gw_wire_resp_encode(again, &r2);
	assert_memory_equal(first, again, GW_WIRE_RESP_LEN);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	assert_int_equal(f->nrec, 1);
	/* A clock stepped back keeps the id taken. */
	f->now = T0 - 60ull * 1000000000ull;
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 9, PAN_A, 10000, NO_REF, &r2),
			 0);
	assert_int_equal(r2.gateway_ref, r1.gateway_ref);
	gw_ledger_stats(f->l, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.duplicates, 2);
}

static void test_duplicate_of_decline_and_followup(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r1, r2;

	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 20000, ref, &r1),
			 1);
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 20000, ref, &r2),
			 0);
	assert_memory_equal(&r1, &r2, sizeof(r1));
	assert_int_equal(r2.code, GW_RC_INVALID_AMOUNT);
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 3, NULL, 500, ref, &r1), 1);
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 3, NULL, 500, ref, &r2), 0);
	assert_memory_equal(&r1, &r2, sizeof(r1));
	assert_int_equal(otb(f, PAN_A), OTB_A - 9500);
}

static void test_same_id_other_content_rejected(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_ledger_stats st;
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_AUTH, 0, 1, PAN_A, 10001, NO_REF, &r),
			 0);
	assert_resp(&r, GW_RC_DUPLICATE, 0, 0);
	assert_int_equal(r.gateway_ref, 0);
	assert_int_equal(r.txn_id, 1);
	assert_string_equal(r.approval, "      ");
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 1, PAN_B, 10000, NO_REF, &r),
			 0);
	assert_int_equal(r.code, GW_RC_DUPLICATE);
	assert_int_equal(req(f, GW_MSG_AUTH, GW_FLAG_CAPTURE_NOW, 1, PAN_A,
			     10000, NO_REF, &r),
			 0);
	assert_int_equal(r.code, GW_RC_DUPLICATE);
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 1, NULL, 10000, ref, &r), 0);
	assert_int_equal(r.code, GW_RC_DUPLICATE);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	assert_int_equal(otb(f, PAN_B), 5000);
	assert_outstanding(f, ref, 10000, 0, 0);
	gw_ledger_stats(f->l, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.conflicts, 4);
	assert_int_equal(f->nrec, 1);
}

static void test_id_reusable_after_window(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	/* req() adds 1 ms: the repeat lands 1 ns before the window ends,
	 * then exactly at its end. */
	f->now += (uint64_t)WINDOW_S * 1000000000ull - 1000000 - 1;
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 1, PAN_A, 10000, NO_REF, &r),
			 0);
	assert_int_equal(r.gateway_ref, ref);
	f->now -= 1000000 - 1;
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 1, PAN_A, 10000, NO_REF, &r),
			 1);
	assert_resp(&r, GW_RC_APPROVED, 10000, 10000);
	assert_int_not_equal(r.gateway_ref, ref);
	assert_int_equal(otb(f, PAN_A), OTB_A - 20000);
	/* The first authorization is still there to be captured. */
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 10000, ref, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 10000, 0);
}

static void test_echo_no_state(void **state)
{
	struct fx *f = *state;
	struct gw_ledger_stats st;
	struct gw_resp r;

	assert_int_equal(req(f, GW_MSG_ECHO, 0, 77, NULL, 0, NO_REF, &r), 0);
	assert_resp(&r, GW_RC_APPROVED, 0, 0);
	assert_int_equal(r.txn_id, 77);
	assert_int_equal(r.gateway_ref, 0);
	gw_ledger_stats(f->l, &st);
	assert_int_equal(st.entries, 0);
}

static void test_bad_type_einval(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;

	assert_int_equal(req(f, 0, 0, 1, NULL, 1, NO_REF, &r), -EINVAL);
	assert_int_equal(req(f, GW_MSG_ECHO + 1, 0, 1, NULL, 1, NO_REF, &r),
			 -EINVAL);
	assert_int_equal(req_as(f, "0123456789012345678901234567890123",
				GW_MSG_AUTH, 0, 1, PAN_A, 1, NO_REF, &r),
			 -EINVAL);
	assert_int_equal(otb(f, PAN_A), OTB_A);
}

static void test_full_refuses_96(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;

	gw_ledger_free(f->l);
	f->l = gw_ledger_new(2, WINDOW_S, T0 / 1000000000ull);
	assert_non_null(f->l);
	auth(f, 1, 0);
	auth(f, 2, 0);
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 3, PAN_A, 10000, NO_REF, &r),
			 0);
	assert_resp(&r, GW_RC_SYSTEM, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 20000);
	/* Duplicates of what is held are still answered. */
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 2, PAN_A, 10000, NO_REF, &r),
			 0);
	assert_int_equal(r.code, GW_RC_APPROVED);
}

static void test_refs_unique_per_worker(void **state)
{
	struct fx *f = *state;
	uint64_t a, b, c;

	a = auth(f, 1, 0);
	f->worker = 3;
	b = auth(f, 2, 0);
	c = auth(f, 3, 0);
	assert_int_equal(a & 0xffffffffu, 0);
	assert_int_equal(b & 0xffffffffu, 3u << 24);
	assert_int_equal(c & 0xffffffffu, (3u << 24) | 1);
}

struct racer {
	struct fx *f;
	uint8_t worker;
	unsigned approved;
};

#define RACE_N 2000

static void *race(void *arg)
{
	struct racer *rc = arg;
	struct gw_card_tokenizer *tk = rc->f->tk;
	uint8_t tok[GW_CARD_TOKEN_LEN];
	struct gw_req r = {
	    .amount = 100, .currency = CURRENCY, .expiry = 3012, .pan_len = 16};
	struct gw_ledger_in in = {.merchant = MERCHANT,
				  .now_ns = T0,
				  .worker = rc->worker,
				  .type = GW_MSG_AUTH,
				  .req = &r,
				  .policy = &rc->f->pol};
	struct gw_journal_rec rec;
	struct gw_resp out;

	memcpy(r.pan, PAN_B, 16);
	if (gw_card_token(tk, PAN_B, 16, tok) != 0)
		return NULL;
	in.token = tok;
	in.line = gw_credit_find(rc->f->cards, tok);
	for (unsigned i = 0; i < RACE_N; i++) {
		r.txn_id = i % 100; /* both workers send the same ids */
		in.now_ns = T0 + i;
		if (gw_ledger_apply(rc->f->l, &in, &out, &rec) == 1 &&
		    out.code == GW_RC_APPROVED)
			rc->approved++;
	}
	return NULL;
}

/* Two workers authorizing one card with the same ids: each id is decided
 * once, and the card is debited exactly once per approval. */
static void test_concurrent_workers(void **state)
{
	struct fx *f = *state;
	struct racer a = {f, 0, 0}, b = {f, 1, 0};
	struct gw_ledger_stats st;
	pthread_t ta, tb;

	gw_ledger_free(f->l);
	f->l = gw_ledger_new(256, WINDOW_S, T0 / 1000000000ull);
	assert_int_equal(pthread_create(&ta, NULL, race, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, race, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	gw_ledger_stats(f->l, &st);
	assert_int_equal(st.entries, 100);
	assert_int_equal(a.approved + b.approved, 50);
	assert_int_equal(otb(f, PAN_B), 0);
	assert_int_equal(st.duplicates + st.conflicts, 2 * RACE_N - 100);
}

struct replay_ctx {
	struct gw_ledger *l;
	struct gw_credit_table *cards;
	unsigned n;
};

static int replay_one(const struct gw_journal_rec *rec, void *arg)
{
	struct replay_ctx *c = arg;

	c->n++;
	return gw_ledger_replay(c->l, rec, c->cards);
}

static void test_replay_restores_state(void **state)
{
	struct fx *f = *state;
	char dir[] = "/tmp/test_ledger_jXXXXXX", err[256], msg[256];
	struct gw_journal *j[2];
	struct replay_ctx rc = {0};
	uint64_t a1, a2, a3, cap, refs[MAX_RECS];
	uint64_t otb_a, otb_b, x[3], y[3];
	struct gw_resp r, again;
	size_t i;

	/* A mixed history across two workers. */
	a1 = auth(f, 1, 0);
	f->worker = 1;
	a2 = auth(f, 2, GW_FLAG_CAPTURE_NOW);
	f->worker = 0;
	a3 = auth(f, 3, 0);
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 4, NULL, 6000, a1, &r), 1);
	cap = r.gateway_ref;
	f->worker = 1;
	assert_int_equal(req(f, GW_MSG_REFUND, 0, 5, NULL, 1000, cap, &r), 1);
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 6, NULL, 2500, a3, &r), 1);
	assert_int_equal(req(f, GW_MSG_REFUND, 0, 7, NULL, 3000, a2, &r), 1);
	assert_int_equal(
	    req(f, GW_MSG_AUTH, GW_FLAG_PARTIAL_OK, 8, PAN_B, 8000, NO_REF, &r),
	    1);
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 9, PAN_B, 100, NO_REF, &r), 1);
	assert_int_equal(r.code, GW_RC_NO_FUNDS);
	otb_a = otb(f, PAN_A);
	otb_b = otb(f, PAN_B);
	assert_int_equal(otb_a, OTB_A - 5000 - 7000 - 7500);
	assert_int_equal(otb_b, 0);

	/* Through the journal files and back into a fresh ledger. */
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 2; i++) {
		j[i] = gw_journal_open(dir, (unsigned)i, GW_FSYNC_NONE, 5, err,
				       sizeof(err));
		assert_non_null(j[i]);
	}
	for (i = 0; i < f->nrec; i++) {
		assert_int_equal(
		    gw_journal_append(j[f->recs[i].worker], &f->recs[i]), 0);
		refs[i] = f->recs[i].ref;
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(gw_journal_close(j[i]), 0);
	rc.cards = load_cards(f);
	rc.l = gw_ledger_new(64, WINDOW_S, T0 / 1000000000ull);
	assert_non_null(rc.cards);
	assert_non_null(rc.l);
	assert_int_equal(
	    gw_journal_replay(dir, replay_one, &rc, msg, sizeof(msg)),
	    (long)f->nrec);
	assert_int_equal(rc.n, 9);
	assert_int_equal(gw_credit_otb(line_of(f, rc.cards, PAN_A)), otb_a);
	assert_int_equal(gw_credit_otb(line_of(f, rc.cards, PAN_B)), otb_b);
	for (i = 0; i < f->nrec; i++) {
		assert_int_equal(
		    gw_ledger_outstanding(f->l, refs[i], &x[0], &x[1], &x[2]),
		    0);
		assert_int_equal(
		    gw_ledger_outstanding(rc.l, refs[i], &y[0], &y[1], &y[2]),
		    0);
		assert_memory_equal(x, y, sizeof(x));
	}

	/* A retransmit of an old id gets its original answer, and new
	 * references stay clear of the replayed ones. */
	gw_ledger_free(f->l);
	gw_credit_free(f->cards);
	f->l = rc.l;
	f->cards = rc.cards;
	f->nrec = 0;
	assert_int_equal(req(f, GW_MSG_CAPTURE, GW_FLAG_RETRANSMIT, 4, NULL,
			     6000, a1, &again),
			 0);
	assert_int_equal(again.code, GW_RC_APPROVED);
	assert_int_equal(again.gateway_ref, cap);
	assert_int_equal(again.amount, 6000);
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 10, NULL, 1, a3, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 1, 0);
	assert_int_equal(r.gateway_ref >> 32, T0 / 1000000000ull + 1);
	for (i = 0; i < rc.n; i++)
		assert_int_not_equal(r.gateway_ref, refs[i]);
	assert_int_equal(otb(f, PAN_A), otb_a + 7500 - 1);
	for (i = 0; i < 2; i++) {
		char p[96];

		assert_int_equal(
		    gw_journal_path(dir, (unsigned)i, p, sizeof(p)), 0);
		unlink(p);
	}
	rmdir(dir);
}

/* ---- reversal by transaction id (orig_ref 0) ---------------------------- */

/* A reversal naming its original by txn id, as after a timeout. */
static int rev_txn(struct fx *f, uint16_t flags, uint64_t txn, uint64_t amount,
		   struct gw_resp *out)
{
	return req(f, GW_MSG_REVERSE, flags, txn, PAN_A, amount, NO_REF, out);
}

static void test_reverse_by_txn_releases_auth(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r, again;

	assert_int_equal(rev_txn(f, 0, 1, 10000, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 10000, 0);
	assert_int_equal(r.txn_id, 1);
	assert_int_not_equal(r.gateway_ref, ref);
	assert_int_not_equal(r.approval[0], ' ');
	assert_int_equal(otb(f, PAN_A), OTB_A);
	assert_outstanding(f, ref, 0, 0, 0);
	/* The record names the original by its reference, as any
	 * follow-up's does. */
	assert_int_equal(f->nrec, 2);
	assert_int_equal(f->recs[1].type, GW_MSG_REVERSE);
	assert_int_equal(f->recs[1].orig_ref, ref);
	assert_int_equal(f->recs[1].applied, 10000);
	/* Its repeat gets the same answer, a late authorization repeat gets
	 * 94, and neither moves the card. */
	assert_int_equal(rev_txn(f, GW_FLAG_RETRANSMIT, 1, 10000, &again), 0);
	assert_memory_equal(&r, &again, sizeof(r));
	assert_int_equal(req(f, GW_MSG_AUTH, GW_FLAG_RETRANSMIT, 1, PAN_A,
			     10000, NO_REF, &again),
			 0);
	assert_resp(&again, GW_RC_DUPLICATE, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A);
	assert_int_equal(f->nrec, 2);
	/* The original is gone for every other follow-up. */
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 2, NULL, 1, ref, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
}

static void test_reverse_by_txn_partial_approval(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;

	assert_int_equal(
	    req(f, GW_MSG_AUTH, GW_FLAG_PARTIAL_OK, 1, PAN_B, 8000, NO_REF, &r),
	    1);
	assert_resp(&r, GW_RC_PARTIAL, 5000, 5000);
	/* The merchant never saw the 5000: it repeats the 8000 it asked
	 * for, and the 5000 held is released. */
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 1, PAN_B, 8000, NO_REF, &r),
			 1);
	assert_resp(&r, GW_RC_APPROVED, 5000, 0);
	assert_int_equal(otb(f, PAN_B), 5000);
}

static void test_reverse_by_txn_capture_now(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, GW_FLAG_CAPTURE_NOW);
	struct gw_resp r;

	assert_int_equal(rev_txn(f, 0, 1, 10000, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 10000, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A);
	assert_outstanding(f, ref, 0, 0, 0);
}

static void test_reverse_by_txn_never_seen(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;

	assert_int_equal(rev_txn(f, 0, 7, 10000, &r), 1);
	assert_resp(&r, GW_RC_NOT_FOUND, 0, 0);
	assert_string_equal(r.approval, "      ");
	assert_int_not_equal(r.gateway_ref, 0);
	assert_int_equal(f->recs[0].orig_ref, 0);
	/* The authorization arriving after its reversal is not decided. */
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 7, PAN_A, 10000, NO_REF, &r),
			 0);
	assert_resp(&r, GW_RC_DUPLICATE, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A);
	assert_int_equal(f->nrec, 1);
}

static void test_reverse_by_txn_nothing_held(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;
	uint64_t ref;

	/* Declined: 12, nothing moves. */
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 1, PAN_B, 8000, NO_REF, &r), 1);
	assert_int_equal(r.code, GW_RC_NO_FUNDS);
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 1, PAN_B, 8000, NO_REF, &r),
			 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
	assert_int_equal(otb(f, PAN_B), 5000);
	/* Fully reversed by reference first: 12. */
	ref = auth(f, 2, 0);
	assert_int_equal(req(f, GW_MSG_REVERSE, 0, 3, NULL, 10000, ref, &r), 1);
	assert_int_equal(r.code, GW_RC_APPROVED);
	assert_int_equal(rev_txn(f, 0, 2, 10000, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
	/* A capture's id names no authorization: 12. */
	ref = auth(f, 4, 0);
	assert_int_equal(req(f, GW_MSG_CAPTURE, 0, 5, NULL, 10000, ref, &r), 1);
	assert_int_equal(rev_txn(f, 0, 5, 10000, &r), 1);
	assert_resp(&r, GW_RC_INVALID_TXN, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
}

static void test_reverse_by_txn_other_amount(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp r;

	assert_int_equal(rev_txn(f, 0, 1, 9999, &r), 1);
	assert_resp(&r, GW_RC_INVALID_AMOUNT, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	assert_outstanding(f, ref, 10000, 0, 0);
	/* The refused reversal holds the id: a second try conflicts. */
	assert_int_equal(rev_txn(f, 0, 1, 10000, &r), 0);
	assert_resp(&r, GW_RC_DUPLICATE, 0, 0);
	assert_outstanding(f, ref, 10000, 0, 0);
}

static void test_reverse_by_txn_scoped(void **state)
{
	struct fx *f = *state;
	struct gw_resp r;

	/* Another merchant's id is another key. */
	assert_int_equal(
	    req_as(f, OTHER, GW_MSG_AUTH, 0, 1, PAN_A, 10000, NO_REF, &r), 1);
	assert_int_equal(rev_txn(f, 0, 1, 10000, &r), 1);
	assert_resp(&r, GW_RC_NOT_FOUND, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	/* An original older than the duplicate window is not found. */
	auth(f, 2, 0);
	f->now += (uint64_t)WINDOW_S * 1000000000ull;
	assert_int_equal(rev_txn(f, 0, 2, 10000, &r), 1);
	assert_resp(&r, GW_RC_NOT_FOUND, 0, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A - 20000);
}

/* Writes f->recs to journal files and rebuilds f's ledger and cards from
 * them, as a restart does. */
static void restart(struct fx *f)
{
	char dir[] = "/tmp/test_ledger_rXXXXXX", err[256], msg[256], p[96];
	struct replay_ctx rc = {0};
	struct gw_journal *j;
	size_t i;

	assert_non_null(mkdtemp(dir));
	j = gw_journal_open(dir, 0, GW_FSYNC_NONE, 5, err, sizeof(err));
	assert_non_null(j);
	for (i = 0; i < f->nrec; i++)
		assert_int_equal(gw_journal_append(j, &f->recs[i]), 0);
	assert_int_equal(gw_journal_close(j), 0);
	rc.cards = load_cards(f);
	rc.l = gw_ledger_new(64, WINDOW_S, T0 / 1000000000ull);
	assert_non_null(rc.cards);
	assert_non_null(rc.l);
	assert_int_equal(
	    gw_journal_replay(dir, replay_one, &rc, msg, sizeof(msg)),
	    (long)f->nrec);
	gw_ledger_free(f->l);
	gw_credit_free(f->cards);
	f->l = rc.l;
	f->cards = rc.cards;
	f->nrec = 0;
	assert_int_equal(gw_journal_path(dir, 0, p, sizeof(p)), 0);
	unlink(p);
	rmdir(dir);
}

static void test_reverse_by_txn_replayed(void **state)
{
	struct fx *f = *state;
	uint64_t ref = auth(f, 1, 0);
	struct gw_resp rev, unseen, r;

	auth(f, 2, 0);
	assert_int_equal(rev_txn(f, 0, 1, 10000, &rev), 1);
	assert_int_equal(rev_txn(f, 0, 3, 500, &unseen), 1);
	assert_int_equal(unseen.code, GW_RC_NOT_FOUND);
	restart(f);
	assert_int_equal(otb(f, PAN_A), OTB_A - 10000);
	assert_outstanding(f, ref, 0, 0, 0);
	/* Repeats after the restart: the same answers, nothing decided. */
	assert_int_equal(rev_txn(f, GW_FLAG_RETRANSMIT, 1, 10000, &r), 0);
	assert_memory_equal(&r, &rev, sizeof(r));
	assert_int_equal(rev_txn(f, GW_FLAG_RETRANSMIT, 3, 500, &r), 0);
	assert_memory_equal(&r, &unseen, sizeof(r));
	assert_int_equal(req(f, GW_MSG_AUTH, 0, 3, PAN_A, 500, NO_REF, &r), 0);
	assert_int_equal(r.code, GW_RC_DUPLICATE);
	/* The authorization not reversed is still whole. */
	assert_int_equal(rev_txn(f, 0, 2, 10000, &r), 1);
	assert_resp(&r, GW_RC_APPROVED, 10000, 0);
	assert_int_equal(otb(f, PAN_A), OTB_A);
	assert_int_equal(f->nrec, 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_auth_approved),
	    T(test_auth_declines_and_partial),
	    T(test_capture_full),
	    T(test_capture_partial_releases_rest),
	    T(test_capture_more_than_authorized),
	    T(test_second_capture_invalid),
	    T(test_reverse_partial_then_capture_rest),
	    T(test_reverse_full_then_nothing_follows),
	    T(test_reverse_unknown_ref),
	    T(test_reverse_more_than_remains),
	    T(test_refund_within_and_beyond_captured),
	    T(test_refund_of_uncaptured_auth),
	    T(test_capture_now_then_refund),
	    T(test_reverse_capture_before_refund),
	    T(test_other_merchants_ref_not_found),
	    T(test_duplicate_gets_original_answer),
	    T(test_duplicate_of_decline_and_followup),
	    T(test_same_id_other_content_rejected),
	    T(test_id_reusable_after_window),
	    T(test_echo_no_state),
	    T(test_bad_type_einval),
	    T(test_full_refuses_96),
	    T(test_refs_unique_per_worker),
	    T(test_concurrent_workers),
	    T(test_replay_restores_state),
	    T(test_reverse_by_txn_releases_auth),
	    T(test_reverse_by_txn_partial_approval),
	    T(test_reverse_by_txn_capture_now),
	    T(test_reverse_by_txn_never_seen),
	    T(test_reverse_by_txn_nothing_held),
	    T(test_reverse_by_txn_other_amount),
	    T(test_reverse_by_txn_scoped),
	    T(test_reverse_by_txn_replayed),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
