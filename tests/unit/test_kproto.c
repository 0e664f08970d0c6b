/*
 * The kernel baseline's request path (perf/kproto.c, perf/kstore.c):
 * what a merchant seals with the shared library opens under EVP, the
 * answer opens under the shared library, and every refusal is counted
 * under its reason with nothing debited.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gw_aead.h"
#include "gw_kdf.h"
#include "gw_wire.h"

#include "../../perf/kproto.h"

#define SID	 7001
#define NOW	 1000000
#define CARD_OK	 "9999995000000039"
#define OTB	 100000
#define BUF_ROOM 256

struct fx {
	struct gw_card_tokenizer *tk;
	struct gw_credit_table *credit;
	struct gw_kstore *store;
	struct gw_kproto *kp;
	struct gw_session_keys keys;
	char path[64];
};

static const uint8_t secret[GW_SECRET_LEN] = {
    1,	2,  3,	4,  5,	6,  7,	8,  9,	10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static int setup(void **state)
{
	static const uint8_t tkey[32] = {0x42};
	struct gw_sessrec rec = {
	    .id = SID, .expires = NOW + 60, .state = GW_SESS_ACTIVE};
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	FILE *fp;

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/test_kproto.%d.csv", getpid());
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fprintf(fp, "pan,expiry,credit_limit,open_to_buy,status\n");
	fprintf(fp, "%s,3012,%d,%d,A\n", CARD_OK, OTB, OTB);
	fclose(fp);
	f->tk = gw_card_tokenizer_new(tkey);
	assert_non_null(f->tk);
	f->credit = gw_credit_load(f->path, f->tk, err, sizeof(err));
	assert_non_null(f->credit);
	f->store = gw_kstore_new(4);
	assert_non_null(f->store);
	memcpy(rec.secret, secret, sizeof(secret));
	strcpy(rec.merchant, "m1");
	assert_int_equal(gw_kstore_put(f->store, &rec), 0);
	f->kp = gw_kproto_new(f->store, f->tk, f->credit, 500000);
	assert_non_null(f->kp);
	gw_kproto_clock(f->kp, NOW, 2601);
	assert_int_equal(gw_kdf_session(secret, SID, &f->keys), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gw_kproto_free(f->kp);
	gw_kstore_free(f->store);
	gw_credit_free(f->credit);
	gw_card_tokenizer_free(f->tk);
	unlink(f->path);
	free(f);
	return 0;
}

/* A sealed authorization of @amount on @pan, as a merchant sends it. */
static size_t request(struct fx *f, uint32_t sid, uint64_t seq, const char *pan,
		      uint64_t amount, uint8_t *out)
{
	struct gw_hdr h = {.version = GW_WIRE_VERSION,
			   .type = GW_MSG_AUTH,
			   .session_id = sid,
			   .seq = seq};
	struct gw_req r = {.txn_id = 0x1122334455667788ull,
			   .amount = amount,
			   .currency = 978,
			   .expiry = 3012};
	uint8_t body[GW_WIRE_REQ_LEN];
	int n;

	r.pan_len = (uint8_t)strlen(pan);
	memcpy(r.pan, pan, r.pan_len);
	gw_wire_req_encode(body, &r);
	n = gw_aead_frame_seal(&f->keys.m2g, &h, body, sizeof(body), out);
	assert_int_equal(n, GW_WIRE_REQ_DGRAM);
	return (size_t)n;
}

/* Opens a response with the shared library, as the merchant does. */
static void open_response(struct fx *f, const uint8_t *pkt, size_t len,
			  struct gw_resp *r)
{
	uint8_t body[GW_WIRE_RESP_LEN];
	struct gw_hdr h;

	assert_int_equal(len, GW_WIRE_RESP_DGRAM);
	assert_int_equal(gw_wire_check_resp(pkt, len, &h), GW_WIRE_OK);
	assert_int_equal(gw_aead_frame_open(&f->keys.g2m, &h, pkt, len, body),
			 0);
	assert_int_equal(gw_wire_resp_decode(body, r), GW_WIRE_OK);
}

static uint64_t otb(struct fx *f)
{
	uint8_t tok[GW_CARD_TOKEN_LEN];

	assert_int_equal(gw_card_token(f->tk, CARD_OK, strlen(CARD_OK), tok),
			 0);
	return gw_credit_otb(gw_credit_find(f->credit, tok));
}

static void approves_and_answers_under_shared_keys(void **state)
{
	struct fx *f = *state;
	uint8_t pkt[BUF_ROOM];
	struct gw_resp r;
	size_t n = request(f, SID, 1, CARD_OK, 2500, pkt);

	n = gw_kproto_handle(f->kp, pkt, n, sizeof(pkt));
	open_response(f, pkt, n, &r);
	assert_int_equal(r.code, GW_RC_APPROVED);
	assert_int_equal(r.amount, 2500);
	assert_int_equal(r.txn_id, 0x1122334455667788ull);
	assert_int_equal(strlen(r.approval), 6);
	assert_int_equal(otb(f), OTB - 2500);
	assert_int_equal(gw_kproto_stats(f->kp)->requests, 1);
	assert_int_equal(gw_kproto_stats(f->kp)->responses, 1);
}

static void unknown_card_is_answered_14(void **state)
{
	struct fx *f = *state;
	uint8_t pkt[BUF_ROOM];
	struct gw_resp r;
	/* Luhn-valid, not on file. */
	size_t n = request(f, SID, 1, "9999995000000047", 100, pkt);

	n = gw_kproto_handle(f->kp, pkt, n, sizeof(pkt));
	open_response(f, pkt, n, &r);
	assert_int_equal(r.code, GW_RC_INVALID_CARD);
	assert_int_equal(r.amount, 0);
}

static void replay_is_dropped_without_second_debit(void **state)
{
	struct fx *f = *state;
	uint8_t pkt[BUF_ROOM], copy[BUF_ROOM];
	size_t n = request(f, SID, 5, CARD_OK, 1000, pkt);

	memcpy(copy, pkt, n);
	assert_int_equal(gw_kproto_handle(f->kp, pkt, n, sizeof(pkt)),
			 GW_WIRE_RESP_DGRAM);
	assert_int_equal(gw_kproto_handle(f->kp, copy, n, sizeof(copy)), 0);
	assert_int_equal(gw_kproto_stats(f->kp)->drops[GW_KDROP_REPLAY], 1);
	assert_int_equal(otb(f), OTB - 1000);
}

static void tampered_tag_is_dropped_without_debit(void **state)
{
	struct fx *f = *state;
	uint8_t pkt[BUF_ROOM];
	size_t n = request(f, SID, 1, CARD_OK, 1000, pkt);

	pkt[n - 1] ^= 1;
	assert_int_equal(gw_kproto_handle(f->kp, pkt, n, sizeof(pkt)), 0);
	assert_int_equal(gw_kproto_stats(f->kp)->drops[GW_KDROP_BAD_TAG], 1);
	assert_int_equal(gw_kproto_stats(f->kp)->requests, 0);
	assert_int_equal(otb(f), OTB);
	/* The failed datagram did not consume its sequence number. */
	n = request(f, SID, 1, CARD_OK, 1000, pkt);
	assert_int_equal(gw_kproto_handle(f->kp, pkt, n, sizeof(pkt)),
			 GW_WIRE_RESP_DGRAM);
}

static void refusals_are_counted_by_reason(void **state)
{
	struct fx *f = *state;
	const struct gw_kstats *st = gw_kproto_stats(f->kp);
	uint8_t pkt[BUF_ROOM];
	size_t n;

	n = request(f, SID + 1, 1, CARD_OK, 100, pkt);
	assert_int_equal(gw_kproto_handle(f->kp, pkt, n, sizeof(pkt)), 0);
	assert_int_equal(st->drops[GW_KDROP_UNKNOWN_SESSION], 1);

	n = request(f, SID, 2, CARD_OK, 100, pkt);
	assert_int_equal(gw_kproto_handle(f->kp, pkt, n - 1, sizeof(pkt)), 0);
	assert_int_equal(gw_kproto_handle(f->kp, pkt, 3, sizeof(pkt)), 0);
	assert_int_equal(st->drops[GW_KDROP_WIRE], 2);

	/* No room for the response. */
	assert_int_equal(gw_kproto_handle(f->kp, pkt, n, n - 9), 0);
	assert_int_equal(st->drops[GW_KDROP_WIRE], 3);

	n = request(f, SID, 0, CARD_OK, 100, pkt);
	assert_int_equal(gw_kproto_handle(f->kp, pkt, n, sizeof(pkt)), 0);
	assert_int_equal(st->drops[GW_KDROP_REPLAY], 1);

	gw_kproto_clock(f->kp, NOW + 60, 2601);
	n = request(f, SID, 3, CARD_OK, 100, pkt);
	assert_int_equal(gw_kproto_handle(f->kp, pkt, n, sizeof(pkt)), 0);
	assert_int_equal(st->drops[GW_KDROP_EXPIRED_SESSION], 1);

	gw_kproto_clock(f->kp, NOW, 2601);
	assert_int_equal(gw_kstore_revoke(f->store, SID), 0);
	n = request(f, SID, 4, CARD_OK, 100, pkt);
	assert_int_equal(gw_kproto_handle(f->kp, pkt, n, sizeof(pkt)), 0);
	assert_int_equal(st->drops[GW_KDROP_REVOKED_SESSION], 1);
	assert_int_equal(st->requests, 0);
	assert_int_equal(otb(f), OTB);
}

static void store_refuses_beyond_capacity(void **state)
{
	struct fx *f = *state;
	struct gw_sessrec rec = {.expires = NOW + 60, .state = GW_SESS_ACTIVE};
	uint32_t id;

	memcpy(rec.secret, secret, sizeof(secret));
	for (id = 1; id <= 3; id++) {
		rec.id = id;
		assert_int_equal(gw_kstore_put(f->store, &rec), 0);
	}
	rec.id = 4;
	assert_int_equal(gw_kstore_put(f->store, &rec), -ENOSPC);
	/* A known id refreshes instead of taking room. */
	rec.id = 2;
	rec.expires = NOW + 120;
	assert_int_equal(gw_kstore_put(f->store, &rec), 0);
	assert_int_equal(gw_kstore_lookup(f->store, 2)->expires, NOW + 120);
	assert_int_equal(gw_kstore_count(f->store), 4);
	assert_int_equal(gw_kstore_revoke(f->store, 99), -ENOENT);
	rec.id = 0;
	assert_int_equal(gw_kstore_put(f->store, &rec), -EINVAL);
}

static void derived_keys_match_the_shared_library(void **state)
{
	struct fx *f = *state;
	struct gw_kdir m2g, g2m;

	assert_int_equal(gw_kstore_derive(secret, SID, &m2g, &g2m), 0);
	assert_memory_equal(m2g.salt, f->keys.m2g.salt, GW_AEAD_SALT_LEN);
	assert_memory_equal(g2m.salt, f->keys.g2m.salt, GW_AEAD_SALT_LEN);
	assert_memory_not_equal(m2g.key, g2m.key, GW_AEAD_KEY_LEN);
	assert_int_equal(gw_kstore_derive(NULL, SID, &m2g, &g2m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		approves_and_answers_under_shared_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_card_is_answered_14, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		replay_is_dropped_without_second_debit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		tampered_tag_is_dropped_without_debit, setup, teardown),
	    cmocka_unit_test_setup_teardown(refusals_are_counted_by_reason,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(store_refuses_beyond_capacity,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		derived_keys_match_the_shared_library, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
