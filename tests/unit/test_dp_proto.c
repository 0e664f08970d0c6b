/*
 * Data-plane protocol on bursts: responses sealed under the session's
 * gateway-to-merchant keys with the request's sequence number; every
 * decision in the journal file, and synced, before the burst returns
 * (the journal runs under "always" with one-record segments, so that
 * bursts cross segments); follow-ups and repeats decided by the ledger;
 * a journal that cannot be written stops every answer; and every refused
 * datagram (forged, replayed, unknown, revoked, expired, truncated)
 * dropped with its own counter and without touching any balance.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gw_aead.h"
#include "gw_kdf.h"
#include "proto.h"

#define PAN "4000009900000012"
#define OTB 1000000
/* Records per journal segment: every record starts a new one. */
#define SEG_RECS 1

struct fixture {
	struct gw_card_tokenizer *tk;
	struct gw_credit_table *credit;
	struct gw_credit_line *line;
	struct gw_sessions *sessions;
	struct gw_session_keys keys;
	struct gw_lcore_stats st;
	struct gw_proto_ctx c;
	char dir[64];
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
	f->c.now_ns = now * 1000000000ull;
	f->c.mono_ns = 1;
	f->c.worker = 3;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_dp_proto.j.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->c.ledger = gw_ledger_new(64, 120, now);
	assert_non_null(f->c.ledger);
	f->c.journal = gw_journal_open_seg(f->dir, 3, GW_FSYNC_ALWAYS, 5,
					   SEG_RECS, err, sizeof(err));
	assert_non_null(f->c.journal);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	struct dirent *de;
	char p[512];
	DIR *d;

	gw_journal_close(f->c.journal);
	gw_ledger_free(f->c.ledger);
	d = opendir(f->dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
		if (de->d_name[0] != '.')
			unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	gw_sessions_free(f->sessions);
	gw_credit_free(f->credit);
	gw_card_tokenizer_free(f->tk);
	free(f);
	return 0;
}

/* Datagram @i of the burst: transaction @txn of @type, naming @orig, sealed
 * under the session's keys with sequence number @seq. */
static void request_txn(struct fixture *f, unsigned i, uint32_t session,
			uint8_t type, uint64_t seq, uint64_t txn,
			uint64_t amount, uint64_t orig, uint8_t pan_len)
{
	struct gw_hdr h = {.version = GW_WIRE_VERSION,
			   .type = type,
			   .flags = 0,
			   .session_id = session,
			   .seq = seq};
	struct gw_req r = {.txn_id = txn,
			   .amount = amount,
			   .orig_ref = orig,
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

/* Transaction 100 + @seq, with no original. */
static void request(struct fixture *f, unsigned i, uint32_t session,
		    uint8_t type, uint64_t seq, uint64_t amount,
		    uint8_t pan_len)
{
	request_txn(f, i, session, type, seq, 100 + seq, amount, 0, pan_len);
}

/* Records in worker 3's segment files, read back as another process
 * would, without the writer's help. */
static long journal_records(struct fixture *f)
{
	struct gw_journal_rec recs[16];
	struct gw_journal_cursor *cur;
	long n;

	cur = gw_journal_cursor_open(f->dir, 3, 0);
	assert_non_null(cur);
	n = gw_journal_cursor_read(cur, recs, 16);
	gw_journal_cursor_close(cur);
	return n;
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
	assert_int_equal(r.balance, 1000); /* what remains capturable */
	assert_int_equal(r.gateway_ref >> 24 & 0xff, 3);
	assert_int_equal(r.gateway_ref & 0xffffff, 0);
	for (i = 0; i < 6; i++)
		assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
				       r.approval[i]));
	assert_int_equal(gw_credit_otb(f->line), OTB - 1000);
	assert_int_equal(f->st.requests, 1);
	assert_int_equal(f->st.codes[0], 1);
}

/* The record is in the file, not only in a buffer, when the burst
 * returns, and it carries the card as token and masked form only. */
static void decision_is_in_the_journal_file_before_the_answer(void **state)
{
	struct fixture *f = *state;
	struct gw_journal_cursor *cur;
	struct gw_journal_rec rec;
	struct gw_hdr h;
	struct gw_resp r;

	request(f, 0, 7, GW_MSG_AUTH, 1, 2500, 16);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 1), 1);
	assert_int_equal(journal_records(f), 1);
	/* Under "always" the record is durable, not only written. */
	assert_int_equal(gw_journal_written(f->c.journal), 1);
	assert_int_equal(gw_journal_synced(f->c.journal), 1);
	response(f, 0, &h, &r);
	cur = gw_journal_cursor_open(f->dir, 3, 0);
	assert_non_null(cur);
	assert_int_equal(gw_journal_cursor_read(cur, &rec, 1), 1);
	gw_journal_cursor_close(cur);
	assert_int_equal(rec.seq, 1);
	assert_int_equal(rec.worker, 3);
	assert_int_equal(rec.type, GW_MSG_AUTH);
	assert_int_equal(rec.code, GW_RC_APPROVED);
	assert_int_equal(rec.ref, r.gateway_ref);
	assert_int_equal(rec.txn_id, 101);
	assert_int_equal(rec.applied, 2500);
	assert_int_equal(rec.session_id, 7);
	assert_string_equal(rec.merchant, "m-7");
	assert_string_equal(rec.masked, "400000******0012");
	assert_string_equal(rec.approval, r.approval);
}

/* Capture, second capture, duplicate and conflicting reuse, end to end
 * through the burst path. */
static void follow_ups_and_repeats_go_through_the_ledger(void **state)
{
	struct fixture *f = *state;
	struct gw_hdr h;
	struct gw_resp a, r;

	request_txn(f, 0, 7, GW_MSG_AUTH, 1, 500, 4000, 0, 16);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 1), 1);
	response(f, 0, &h, &a);
	request_txn(f, 0, 7, GW_MSG_CAPTURE, 2, 501, 3000, a.gateway_ref, 0);
	request_txn(f, 1, 7, GW_MSG_CAPTURE, 3, 502, 100, a.gateway_ref, 0);
	request_txn(f, 2, 7, GW_MSG_AUTH, 4, 500, 4000, 0, 16);
	request_txn(f, 3, 7, GW_MSG_AUTH, 5, 500, 4001, 0, 16);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 4), 4);
	response(f, 0, &h, &r);
	assert_int_equal(r.code, GW_RC_APPROVED);
	assert_int_equal(r.amount, 3000);
	response(f, 1, &h, &r);
	assert_int_equal(r.code, GW_RC_INVALID_TXN);
	response(f, 2, &h, &r);
	assert_int_equal(r.code, GW_RC_APPROVED);
	assert_int_equal(r.gateway_ref, a.gateway_ref);
	assert_string_equal(r.approval, a.approval);
	response(f, 3, &h, &r);
	assert_int_equal(r.code, GW_RC_DUPLICATE);
	/* 4000 authorized, 1000 of it released by the capture of 3000. */
	assert_int_equal(gw_credit_otb(f->line), OTB - 3000);
	/* auth, capture and the refused second capture; no record for the
	 * repeat or the conflict. */
	assert_int_equal(journal_records(f), 3);
	assert_int_equal(gw_journal_synced(f->c.journal), 3);
}

/* A journal that cannot be written lets nothing of the burst out, and
 * nothing after it.  The first record fills its segment; the second
 * needs a new one, which a file size limit of 0 keeps from being
 * allocated. */
static void journal_failure_stops_every_answer(void **state)
{
	struct fixture *f = *state;
	struct rlimit saved, lim;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = saved;
	lim.rlim_cur = 0;
	request(f, 0, 7, GW_MSG_AUTH, 1, 100, 16);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 1), 1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	request(f, 0, 7, GW_MSG_AUTH, 2, 100, 16);
	request(f, 1, 7, GW_MSG_ECHO, 3, 0, 0);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 2), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_int_equal(f->p[0].resp_len + f->p[1].resp_len, 0);
	assert_int_equal(f->c.journal_err, -EFBIG);
	assert_int_equal(f->st.drops[GW_DROP_JOURNAL_ERROR], 2);
	request(f, 0, 7, GW_MSG_ECHO, 4, 0, 0);
	assert_int_equal(gw_proto_burst(&f->c, f->p, 1), 0);
	assert_int_equal(f->st.drops[GW_DROP_JOURNAL_ERROR], 3);
	assert_int_equal(f->st.responses, 1);
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
	/* The echo changes nothing; the 25 and the 14 are journaled so that
	 * their repeats keep their answer after a restart. */
	assert_int_equal(journal_records(f), 2);
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
	    cmocka_unit_test_setup_teardown(
		decision_is_in_the_journal_file_before_the_answer, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		follow_ups_and_repeats_go_through_the_ledger, setup, teardown),
	    cmocka_unit_test_setup_teardown(journal_failure_stops_every_answer,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
