/*
 * Data-plane protocol on bursts: responses sealed under the session's
 * gateway-to-merchant keys with the request's sequence number, and every
 * refused datagram (forged, replayed, unknown, revoked, expired,
 * truncated) dropped with its own counter and without touching any
 * balance.
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
#include "proto.h"

#define PAN "4000009900000012"
#define OTB 1000000

struct fixture {
	struct gw_card_tokenizer *tk;
	struct gw_credit_table *credit;
	struct gw_credit_line *line;
	struct gw_sessions *sessions;
	struct gw_session_keys keys;
	struct gw_lcore_stats st;
	struct gw_proto_ctx c;
	uint8_t buf[8][128];
	struct gw_proto_pkt p[8];
};

static const uint8_t secret[GW_SECRET_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t tok_key[32] = {9, 9, 9};

static int open_session(struct gw_sessions *t, uint32_t id, uint64_t expires)
{
	struct gw_sessrec r = {
	    .id = id, .expires = expires, .state = GW_SESS_ACTIVE};

	snprintf(r.merchant, sizeof(r.merchant), "m-%u", id);
	memcpy(r.secret, secret, sizeof(secret));
	return gw_sessions_open(t, &r, 1, (uint64_t)time(NULL));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[] = "/tmp/test_dp_proto.XXXXXX", err[256];
	uint8_t tok[GW_CARD_TOKEN_LEN];
	uint64_t now = (uint64_t)time(NULL);
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	fprintf(fp, PAN ",3012,%d,%d,A\n", OTB, OTB);
	fclose(fp);
	f->tk = gw_card_tokenizer_new(tok_key);
	f->credit = gw_credit_load(path, f->tk, err, sizeof(err));
	unlink(path);
	assert_non_null(f->credit);
	assert_int_equal(gw_card_token(f->tk, PAN, 16, tok), 0);
	f->line = gw_credit_find(f->credit, tok);
	assert_non_null(f->line);
	f->sessions = gw_sessions_new(8);
	assert_int_equal(open_session(f->sessions, 7, now + 3600), 0);
	assert_int_equal(open_session(f->sessions, 8, now - 1), 0);
	assert_int_equal(gw_kdf_session(secret, 7, &f->keys), 0);
	f->c.sessions = f->sessions;
	f->c.tk = f->tk;
	f->c.credit = f->credit;
	f->c.policy.referral_amount = GW_REFERRAL_DEFAULT;
	f->c.policy.today_yymm = gw_decide_today();
	f->c.st = &f->st;
	f->c.mgr = gw_aead_mgr();
	f->c.now = now;
	gw_ref_start(now);
	gw_ref_init(&f->c.ref, 3);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gw_sessions_free(f->sessions);
	gw_credit_free(f->credit);
	gw_card_tokenizer_free(f->tk);
	free(f);
	return 0;
}

/* Datagram @i of the burst: a request of @type sealed under @keys. */
static void request(struct fixture *f, unsigned i, uint32_t session,
		    uint8_t type, uint64_t seq, uint64_t amount,
		    uint8_t pan_len)
{
	struct gw_hdr h = {.version = GW_WIRE_VERSION,
			   .type = type,
			   .flags = 0,
			   .session_id = session,
			   .seq = seq};
	struct gw_req r = {.txn_id = 100 + seq,
			   .amount = amount,
			   .currency = 978,
			   .expiry = 3012,
			   .pan_len = pan_len};
	uint8_t body[GW_WIRE_REQ_LEN];
	int n;

	memcpy(r.pan, PAN, 16);
	gw_wire_req_encode(body, &r);
	n = gw_aead_frame_seal(&f->keys.m2g, &h, body, sizeof(body), f->buf[i]);
	assert_int_equal(n, GW_WIRE_REQ_DGRAM);
	f->p[i] = (struct gw_proto_pkt){
	    .dgram = f->buf[i], .len = (uint16_t)n, .room = sizeof(f->buf[i])};
}

static void response(struct fixture *f, unsigned i, struct gw_hdr *h,
		     struct gw_resp *r)
{
	uint8_t body[GW_WIRE_RESP_LEN];

	assert_int_equal(f->p[i].resp_len, GW_WIRE_RESP_DGRAM);
	assert_int_equal(gw_wire_check_resp(f->buf[i], f->p[i].resp_len, h),
			 GW_WIRE_OK);
	assert_int_equal(gw_aead_frame_open(&f->keys.g2m, h, f->buf[i],
					    f->p[i].resp_len, body),
			 0);
	assert_int_equal(gw_wire_resp_decode(body, r), GW_WIRE_OK);
}

static void approved_auth_is_sealed_under_g2m_keys(void **state)
{
	struct fixture *f = *state;
	struct gw_hdr h;
	struct gw_resp r;
	unsigned i;

	request(f, 0, 7, GW_MSG_AUTH, 5, 1000, 16);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 1), 1);
	response(f, 0, &h, &r);
	assert_int_equal(h.type, GW_MSG_AUTH | GW_MSG_RESPONSE);
	assert_int_equal(h.seq, 5);
	assert_int_equal(h.session_id, 7);
	assert_int_equal(r.code, GW_RC_APPROVED);
	assert_int_equal(r.amount, 1000);
	assert_int_equal(r.txn_id, 105);
	assert_int_equal(r.balance, 0);
	assert_int_equal(r.gateway_ref >> 24 & 0xff, 3);
	assert_int_equal(r.gateway_ref & 0xffffff, 0);
	for (i = 0; i < 6; i++)
		assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
				       r.approval[i]));
	assert_int_equal(gw_credit_otb(f->line), OTB - 1000);
	assert_int_equal(f->st.requests, 1);
	assert_int_equal(f->st.codes[0], 1);
}

static void refused_datagrams_are_counted_and_never_debit(void **state)
{
	struct fixture *f = *state;
	struct gw_hdr h;
	struct gw_resp r;

	request(f, 0, 7, GW_MSG_AUTH, 1, 1000, 16);
	request(f, 1, 7, GW_MSG_AUTH, 1, 1000, 16); /* same number */
	request(f, 2, 7, GW_MSG_AUTH, 2, 1000, 16);
	f->buf[2][GW_WIRE_REQ_DGRAM - 1] ^= 0x80; /* forged tag */
	request(f, 3, 99, GW_MSG_AUTH, 1, 1000, 16);
	request(f, 4, 7, GW_MSG_AUTH, 3, 1000, 16);
	f->p[4].len = 20;
	request(f, 5, 8, GW_MSG_AUTH, 1, 1000, 16); /* expired */
	request(f, 6, 7, GW_MSG_AUTH, 0, 1000, 16);
	request(f, 7, 7, 0x77, 4, 1000, 16);

	assert_int_equal(gw_proto_burst(&f->c, f->p, 8), 1);
	response(f, 0, &h, &r);
	assert_int_equal(r.code, GW_RC_APPROVED);
	assert_int_equal(f->p[1].resp_len + f->p[2].resp_len +
			     f->p[3].resp_len + f->p[4].resp_len +
			     f->p[5].resp_len + f->p[6].resp_len +
			     f->p[7].resp_len,
			 0);
	assert_int_equal(f->st.drops[GW_DROP_REPLAY], 2);
	assert_int_equal(f->st.drops[GW_DROP_BAD_TAG], 1);
	assert_int_equal(f->st.drops[GW_DROP_UNKNOWN_SESSION], 1);
	assert_int_equal(f->st.drops[GW_DROP_TRUNCATED], 1);
	assert_int_equal(f->st.drops[GW_DROP_EXPIRED_SESSION], 1);
	assert_int_equal(f->st.drops[GW_DROP_BAD_TYPE], 1);
	assert_int_equal(gw_credit_otb(f->line), OTB - 1000);

	/* The forged copy did not burn its sequence number. */
	request(f, 0, 7, GW_MSG_AUTH, 2, 500, 16);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 1), 1);
	assert_int_equal(gw_credit_otb(f->line), OTB - 1500);
}

static void replays_across_bursts_and_old_numbers_are_refused(void **state)
{
	struct fixture *f = *state;

	request(f, 0, 7, GW_MSG_AUTH, 9000, 1, 16);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 1), 1);
	request(f, 0, 7, GW_MSG_AUTH, 9000, 1, 16);
	request(f, 1, 7, GW_MSG_AUTH, 9000 - GW_REPLAY_WINDOW - 64, 1, 16);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 2), 0);
	assert_int_equal(f->st.drops[GW_DROP_REPLAY], 1);
	assert_int_equal(f->st.drops[GW_DROP_TOO_OLD], 1);
	assert_int_equal(gw_credit_otb(f->line), OTB - 1);
}

static void revoked_session_is_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(gw_sessions_revoke(f->sessions, 7, f->c.now), 0);
	request(f, 0, 7, GW_MSG_AUTH, 1, 1000, 16);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 1), 0);
	assert_int_equal(f->st.drops[GW_DROP_REVOKED_SESSION], 1);
	assert_int_equal(gw_sessions_revoke(f->sessions, 12345, f->c.now),
			 -ENOENT);
}

static void echo_capture_and_long_pan_answers(void **state)
{
	struct fixture *f = *state;
	struct gw_hdr h;
	struct gw_resp r;

	request(f, 0, 7, GW_MSG_ECHO, 1, 1000, 16);
	request(f, 1, 7, GW_MSG_CAPTURE, 2, 1000, 16);
	request(f, 2, 7, GW_MSG_AUTH, 3, 1000, 20);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 3), 3);
	response(f, 0, &h, &r);
	assert_int_equal(h.type, GW_MSG_ECHO | GW_MSG_RESPONSE);
	assert_int_equal(r.code, GW_RC_APPROVED);
	assert_int_equal(r.amount, 0);
	response(f, 1, &h, &r);
	assert_int_equal(r.code, GW_RC_NOT_FOUND);
	assert_string_equal(r.approval, "      ");
	response(f, 2, &h, &r);
	assert_int_equal(r.code, GW_RC_INVALID_CARD);
	assert_int_equal(r.amount, 0);
	assert_int_equal(gw_credit_otb(f->line), OTB);
	assert_int_equal(f->st.responses, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		approved_auth_is_sealed_under_g2m_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		refused_datagrams_are_counted_and_never_debit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		replays_across_bursts_and_old_numbers_are_refused, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(revoked_session_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(echo_capture_and_long_pan_answers,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
