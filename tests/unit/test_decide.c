/*
 * Authorization rules and the credit-line table: every rule with its exact
 * code and amount, their order, the atomic debit under two threads, the
 * card-file loader's error messages and a million-line load.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gw_decide.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TODAY  2606
#define BIG    100000000000ull

static const uint8_t key_seq[32] = {
    0,	1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

static const struct gw_policy policy = {
    .referral_amount = GW_REFERRAL_DEFAULT,
    .today_yymm = TODAY,
};

/* One authorization: the card on file (or not), the request and what the
 * rules must answer. */
struct rule_case {
	const char *name;
	int pan_ok;
	int on_file;
	uint8_t status;
	uint16_t file_expiry;
	uint64_t otb;
	uint16_t req_expiry;
	uint64_t amount;
	uint16_t flags;
	uint8_t code;
	uint64_t approved;
	uint64_t otb_after; /* after gw_decide_apply */
};

#define P GW_FLAG_PARTIAL_OK
static const struct rule_case rule_cases[] = {
    /* Each rule on its own. */
    {"approved", 0, 1, 'A', 3012, 10000, 3012, 2500, 0, 0, 2500, 7500},
    {"approved exactly all", 0, 1, 'A', 3012, 2500, 3012, 2500, 0, 0, 2500, 0},
    {"bad pan", -EINVAL, 1, 'A', 3012, 10000, 3012, 100, 0, 14, 0, 10000},
    {"not on file", 0, 0, 'A', 3012, 0, 3012, 100, 0, 14, 0, 0},
    {"blocked", 0, 1, 'B', 3012, 10000, 3012, 100, 0, 62, 0, 10000},
    {"lost", 0, 1, 'L', 3012, 10000, 3012, 100, 0, 57, 0, 10000},
    {"unknown status", 0, 1, 'Z', 3012, 10000, 3012, 100, 0, 62, 0, 10000},
    {"expired on file", 0, 1, 'A', 2605, 10000, 2605, 100, 0, 54, 0, 10000},
    {"expires this month", 0, 1, 'A', 2606, 10000, 2606, 100, 0, 0, 100, 9900},
    {"request expiry differs", 0, 1, 'A', 3012, 10000, 3011, 100, 0, 54, 0,
     10000},
    {"amount zero", 0, 1, 'A', 3012, 10000, 3012, 0, 0, 13, 0, 10000},
    {"at referral", 0, 1, 'A', 3012, BIG, 3012, 500000, 0, 0, 500000,
     BIG - 500000},
    {"above referral", 0, 1, 'A', 3012, BIG, 3012, 500001, 0, 1, 0, BIG},
    {"short no partial", 0, 1, 'A', 3012, 1500, 3012, 2000, 0, 51, 0, 1500},
    {"short partial", 0, 1, 'A', 3012, 1500, 3012, 2000, P, 10, 1500, 0},
    {"enough with partial", 0, 1, 'A', 3012, 5000, 3012, 2000, P, 0, 2000,
     3000},
    {"nothing left partial", 0, 1, 'A', 3012, 0, 3012, 2000, P, 51, 0, 0},
    {"nothing left", 0, 1, 'A', 3012, 0, 3012, 2000, 0, 51, 0, 0},
    /* Order: the earlier rule wins when two apply. */
    {"bad pan before blocked", -EINVAL, 1, 'B', 2001, 0, 2002, 0, 0, 14, 0, 0},
    {"blocked before expired", 0, 1, 'B', 2001, 0, 2002, 0, 0, 62, 0, 0},
    {"lost before expired", 0, 1, 'L', 2001, 0, 2001, 0, 0, 57, 0, 0},
    {"expired before zero amount", 0, 1, 'A', 2001, 0, 2001, 0, 0, 54, 0, 0},
    {"zero amount before funds", 0, 1, 'A', 3012, 0, 3012, 0, P, 13, 0, 0},
    {"referral before funds", 0, 1, 'A', 3012, 0, 3012, 600000, P, 1, 0, 0},
    {"referral before partial", 0, 1, 'A', 3012, 100, 3012, 600000, P, 1, 0,
     100},
};
#undef P

static void setup_case(const struct rule_case *c, struct gw_credit_line *l,
		       struct gw_req *r)
{
	memset(l, 0, sizeof(*l));
	l->status = c->status;
	l->expiry = c->file_expiry;
	l->limit = BIG;
	l->otb = c->otb;
	memset(r, 0, sizeof(*r));
	r->expiry = c->req_expiry;
	r->amount = c->amount;
}

static void test_rules_eval(void **state)
{
	(void)state;
	for (size_t i = 0; i < LEN(rule_cases); i++) {
		const struct rule_case *c = &rule_cases[i];
		struct gw_decision d = {.code = 99, .amount = 99};
		struct gw_credit_line l;
		struct gw_req r;

		setup_case(c, &l, &r);
		gw_decide_eval(&policy, &r, c->flags, c->pan_ok,
			       c->on_file ? &l : NULL, c->otb, &d);
		if (d.code != c->code || d.amount != c->approved)
			fail_msg("%s: got %u/%llu", c->name, d.code,
				 (unsigned long long)d.amount);
		/* eval never changes the line */
		assert_int_equal(l.otb, c->otb);
	}
}

static void test_rules_apply(void **state)
{
	(void)state;
	for (size_t i = 0; i < LEN(rule_cases); i++) {
		const struct rule_case *c = &rule_cases[i];
		struct gw_decision d = {.code = 99, .amount = 99};
		struct gw_credit_line l;
		struct gw_req r;

		if (!c->on_file)
			continue;
		setup_case(c, &l, &r);
		gw_decide_apply(&policy, &r, c->flags, c->pan_ok, &l, &d);
		if (d.code != c->code || d.amount != c->approved ||
		    gw_credit_otb(&l) != c->otb_after)
			fail_msg("%s: got %u/%llu otb %llu", c->name, d.code,
				 (unsigned long long)d.amount,
				 (unsigned long long)gw_credit_otb(&l));
	}
}

static void test_apply_not_on_file(void **state)
{
	struct gw_decision d = {.code = 99, .amount = 99};
	struct gw_req r = {.amount = 100, .expiry = 3012};

	(void)state;
	gw_decide_apply(&policy, &r, 0, 0, NULL, &d);
	assert_int_equal(d.code, GW_RC_INVALID_CARD);
	assert_int_equal(d.amount, 0);
}

/* A sequence on one card: approvals, a partial that takes the rest, then
 * insufficient funds whether partial is allowed or not. */
static void test_apply_sequence(void **state)
{
	struct gw_credit_line l = {
	    .status = 'A', .expiry = 3012, .limit = 5000, .otb = 5000};
	struct gw_req r = {.expiry = 3012, .amount = 2000};
	struct gw_decision d;

	(void)state;
	gw_decide_apply(&policy, &r, 0, 0, &l, &d);
	assert_int_equal(d.code, 0);
	assert_int_equal(gw_credit_otb(&l), 3000);
	gw_decide_apply(&policy, &r, 0, 0, &l, &d);
	assert_int_equal(gw_credit_otb(&l), 1000);
	gw_decide_apply(&policy, &r, 0, 0, &l, &d);
	assert_int_equal(d.code, 51);
	assert_int_equal(gw_credit_otb(&l), 1000);
	gw_decide_apply(&policy, &r, GW_FLAG_PARTIAL_OK, 0, &l, &d);
	assert_int_equal(d.code, 10);
	assert_int_equal(d.amount, 1000);
	assert_int_equal(gw_credit_otb(&l), 0);
	gw_decide_apply(&policy, &r, GW_FLAG_PARTIAL_OK, 0, &l, &d);
	assert_int_equal(d.code, 51);
	assert_int_equal(d.amount, 0);
}

static void test_today_matches_clock(void **state)
{
	time_t now = time(NULL);
	struct tm tm;
	char want[16];

	(void)state;
	assert_non_null(gmtime_r(&now, &tm));
	/* Four-digit year, then keep its last two digits and the month. */
	assert_int_equal(strftime(want, sizeof(want), "%Y%m", &tm), 6);
	assert_int_equal(gw_decide_today(), atoi(want + 2));
}

static void test_debit_and_credit(void **state)
{
	struct gw_credit_line l = {.limit = 1000, .otb = 600};

	(void)state;
	assert_int_equal(gw_credit_debit(&l, 0, 1), 0);
	assert_int_equal(gw_credit_debit(&l, 700, 0), 0);
	assert_int_equal(gw_credit_otb(&l), 600);
	assert_int_equal(gw_credit_debit(&l, 200, 0), 200);
	assert_int_equal(gw_credit_otb(&l), 400);
	assert_int_equal(gw_credit_debit(&l, 700, 1), 400);
	assert_int_equal(gw_credit_otb(&l), 0);
	assert_int_equal(gw_credit_debit(&l, 1, 1), 0);

	gw_credit_credit(&l, 300);
	assert_int_equal(gw_credit_otb(&l), 300);
	gw_credit_credit(&l, 800);
	assert_int_equal(gw_credit_otb(&l), 1000);
	l.otb = 10;
	gw_credit_credit(&l, UINT64_MAX);
	assert_int_equal(gw_credit_otb(&l), 1000);
}

struct debit_worker {
	struct gw_credit_line *line;
	uint64_t want;
	int partial;
	uint64_t total;
};

static void *debit_loop(void *arg)
{
	struct debit_worker *w = arg;
	uint64_t got;

	while ((got = gw_credit_debit(w->line, w->want, w->partial)) > 0)
		w->total += got;
	return NULL;
}

static void race(uint64_t initial, uint64_t want, int partial,
		 uint64_t *debited, uint64_t *left)
{
	struct gw_credit_line l = {.limit = initial, .otb = initial};
	struct debit_worker w[2] = {{&l, want, partial, 0},
				    {&l, want, partial, 0}};
	pthread_t th[2];

	for (int i = 0; i < 2; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, debit_loop, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	/* Both threads did real work, or the race proved nothing. */
	assert_true(w[0].total > 0 || w[1].total > 0);
	*debited = w[0].total + w[1].total;
	*left = gw_credit_otb(&l);
}

static void test_concurrent_debit_never_overdraws(void **state)
{
	uint64_t debited, left;

	(void)state;
	race(2000003, 3, 1, &debited, &left);
	assert_int_equal(debited, 2000003);
	assert_int_equal(left, 0);

	/* Without partials, 2000003 = 7 * 285714 + 5: five stay. */
	race(2000003, 7, 0, &debited, &left);
	assert_int_equal(debited, 2000003 - 5);
	assert_int_equal(left, 5);
}

/* --- the card file loader --- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_decide.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

#define HDR  "pan,expiry,credit_limit,open_to_buy,status\n"
#define GOOD "4111111111111111,3012,500000,500000,A\n"

static const struct {
	const char *text;
	const char *error; /* after "<path>:" */
} bad_files[] = {
    {HDR GOOD "4111111111111112,3012,500000,500000,A\n",
     "3: field pan: fails the Luhn check"},
    {HDR "41111111111,3012,500000,500000,A\n",
     "2: field pan: not 12 to 19 digits"},
    {HDR "41111111111111111111,3012,5,5,A\n",
     "2: field pan: not 12 to 19 digits"},
    {HDR "4111x11111111111,3012,5,5,A\n", "2: field pan: not 12 to 19 digits"},
    {HDR " 4111111111111111,3012,5,5,A\n", "2: field pan: not 12 to 19 digits"},
    {HDR ",3012,5,5,A\n", "2: field pan: not 12 to 19 digits"},
    {HDR GOOD "5555555555554444,3013,500000,500000,A\n",
     "3: field expiry: month 13 is not 01 to 12"},
    {HDR "5555555555554444,3000,5,5,A\n",
     "2: field expiry: month 00 is not 01 to 12"},
    {HDR "5555555555554444,301,5,5,A\n",
     "2: field expiry: not 4 digits YYMM: \"301\""},
    {HDR "5555555555554444,12/30,5,5,A\n",
     "2: field expiry: not 4 digits YYMM: \"12/30\""},
    {HDR "5555555555554444,5555555555554444,5,5,A\n",
     "2: field expiry: not 4 digits YYMM: \"555555...\""},
    {HDR "5555555555554444,30\x01"
	 "2,5,5,A\n",
     "2: field expiry: not 4 digits YYMM: \"30?2\""},
    {HDR "5555555555554444,3012,-5,0,A\n",
     "2: field credit_limit: not a decimal amount in minor units: \"-5\""},
    {HDR "5555555555554444,3012,,0,A\n",
     "2: field credit_limit: not a decimal amount in minor units: \"\""},
    {HDR "5555555555554444,3012,5.00,0,A\n",
     "2: field credit_limit: not a decimal amount in minor units: "
     "\"5.00\""},
    {HDR "5555555555554444,3012,18446744073709551616,0,A\n",
     "2: field credit_limit: does not fit in 64 bits"},
    {HDR "5555555555554444,3012,500000,+5,A\n",
     "2: field open_to_buy: not a decimal amount in minor units: \"+5\""},
    {HDR GOOD "5555555555554444,3012,500000,500001,A\n",
     "3: field open_to_buy: exceeds credit_limit"},
    {HDR "5555555555554444,3012,5,5555555555554444,A\n",
     "2: field open_to_buy: exceeds credit_limit"},
    {HDR GOOD "5555555555554444,3012,500000,500000,X\n",
     "3: field status: not A, B or L: \"X\""},
    {HDR "5555555555554444,3012,5,5,a\n",
     "2: field status: not A, B or L: \"a\""},
    {HDR "5555555555554444,3012,5,5,AB\n",
     "2: field status: not A, B or L: \"AB\""},
    {HDR "5555555555554444,3012,5,5,\n",
     "2: field status: not A, B or L: \"\""},
    {HDR "5555555555554444,3012,5,5,A \n",
     "2: field status: not A, B or L: \"A \""},
    {HDR GOOD "5555555555554444,3012,500000,500000\n",
     "3: field status: missing"},
    {HDR "5555555555554444,3012\n", "2: field credit_limit: missing"},
    {HDR "5555555555554444\n", "2: field expiry: missing"},
    {HDR "5555555555554444,3012,5,5,A,\n",
     "2: field status: more than 5 fields in the line"},
    {HDR GOOD "# comment\n\n4111111111111111,2912,1000,1000,A\n",
     "5: field pan: the same card as an earlier line"},
    /* Only the first line may be a header. */
    {GOOD HDR, "2: field pan: not 12 to 19 digits"},
};

static void test_load_errors_exact(void **state)
{
	struct gw_card_tokenizer *tk = gw_card_tokenizer_new(key_seq);
	char path[128], err[256], want[256];

	(void)state;
	assert_non_null(tk);
	snprintf(path, sizeof(path), "%s/bad.csv", tmpdir);
	for (size_t i = 0; i < LEN(bad_files); i++) {
		struct gw_credit_table *t;

		write_file(path, bad_files[i].text);
		memset(err, 'x', sizeof(err));
		t = gw_credit_load(path, tk, err, sizeof(err));
		snprintf(want, sizeof(want), "%s:%s", path, bad_files[i].error);
		if (t != NULL)
			fail_msg("case %zu loaded", i);
		assert_string_equal(err, want);
		/* No card number appears in any message. */
		assert_null(strstr(err, "5555555555554444"));
		assert_null(strstr(err, "4111111111111"));
	}
	unlink(path);
	gw_card_tokenizer_free(tk);
}

static void test_load_missing_file(void **state)
{
	struct gw_card_tokenizer *tk = gw_card_tokenizer_new(key_seq);
	char path[128], err[256], want[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/none.csv", tmpdir);
	snprintf(want, sizeof(want),
		 "%s: cannot open: No such file or directory", path);
	assert_null(gw_credit_load(path, tk, err, sizeof(err)));
	assert_string_equal(err, want);
	gw_card_tokenizer_free(tk);
}

static void lookup(const struct gw_credit_table *t,
		   const struct gw_card_tokenizer *tk, const char *pan,
		   const char *masked, uint16_t expiry, uint64_t limit,
		   uint64_t otb, uint8_t status)
{
	uint8_t tok[GW_CARD_TOKEN_LEN];
	struct gw_credit_line *l;

	assert_int_equal(gw_card_token(tk, pan, strlen(pan), tok), 0);
	l = gw_credit_find(t, tok);
	assert_non_null(l);
	assert_string_equal(l->masked, masked);
	assert_memory_equal(l->token, tok, GW_CARD_TOKEN_LEN);
	assert_int_equal(l->expiry, expiry);
	assert_int_equal(l->limit, limit);
	assert_int_equal(gw_credit_otb(l), otb);
	assert_int_equal(l->status, status);
}

static void test_load_small_file(void **state)
{
	struct gw_card_tokenizer *tk = gw_card_tokenizer_new(key_seq);
	uint8_t tok[GW_CARD_TOKEN_LEN];
	struct gw_credit_table *t;
	char path[128], err[256] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/good.csv", tmpdir);
	/* CRLF endings, comments, blank lines, no final newline. */
	write_file(path, "# demo\r\n" HDR "\r\n"
			 "4111111111111111,3012,500000,250000,A\r\n"
			 "   \n"
			 "378282246310005,2312,0,0,L\n"
			 "# 5555555555554444 is not here\n"
			 "6205500000000000004,0101,18446744073709551615,"
			 "18446744073709551615,B");
	t = gw_credit_load(path, tk, err, sizeof(err));
	assert_string_equal(err, "");
	assert_non_null(t);
	assert_int_equal(gw_credit_count(t), 3);
	lookup(t, tk, "4111111111111111", "411111******1111", 3012, 500000,
	       250000, 'A');
	lookup(t, tk, "378282246310005", "378282*****0005", 2312, 0, 0, 'L');
	lookup(t, tk, "6205500000000000004", "620550*********0004", 101,
	       UINT64_MAX, UINT64_MAX, 'B');
	assert_int_equal(gw_card_token(tk, "5555555555554444", 16, tok), 0);
	assert_null(gw_credit_find(t, tok));
	gw_credit_free(t);
	unlink(path);

	/* An empty file is a table of no lines. */
	write_file(path, "");
	t = gw_credit_load(path, tk, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(gw_credit_count(t), 0);
	assert_null(gw_credit_find(t, tok));
	gw_credit_free(t);
	unlink(path);
	gw_card_tokenizer_free(tk);
}

/* The demo file shipped with the project loads, with the decisions its
 * README promises. */
static void test_load_demo_file(void **state)
{
	struct gw_card_tokenizer *tk = gw_card_tokenizer_new(key_seq);
	const char *vectors = getenv("GW_VECTORS");
	struct gw_credit_table *t;
	char path[512], err[256] = "";

	(void)state;
	if (vectors == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/../data/cards.csv", vectors);
	t = gw_credit_load(path, tk, err, sizeof(err));
	assert_string_equal(err, "");
	assert_non_null(t);
	assert_int_equal(gw_credit_count(t), 39);
	lookup(t, tk, "4111111111111111", "411111******1111", 3012, BIG, BIG,
	       'A');
	lookup(t, tk, "36227206271667", "362272****1667", 3012, BIG, BIG, 'A');
	lookup(t, tk, "9999990000000113", "999999******0113", 3012, 500000, 0,
	       'A');
	lookup(t, tk, "9999990000000147", "999999******0147", 3012, 500000,
	       1500, 'A');
	lookup(t, tk, "9999990000000295", "999999******0295", 3012, 500000,
	       20000, 'A');
	lookup(t, tk, "9999990000000170", "999999******0170", 2312, 500000,
	       500000, 'A');
	lookup(t, tk, "9999990000000196", "999999******0196", 3012, 500000,
	       500000, 'B');
	lookup(t, tk, "9999990000000212", "999999******0212", 3012, 500000,
	       500000, 'L');
	gw_credit_free(t);
	gw_card_tokenizer_free(tk);
}

/* Synthetic card @i of a test range: 999999, a 9-digit serial, check. */
static void synth_pan(unsigned i, char pan[17])
{
	unsigned sum = 0;

	snprintf(pan, 17, "999999%09u0", i);
	for (int k = 14, dbl = 1; k >= 0; k--, dbl = !dbl) {
		unsigned d = (unsigned)(pan[k] - '0') * (dbl ? 2 : 1);

		sum += d > 9 ? d - 9 : d;
	}
	pan[15] = (char)('0' + (10 - sum % 10) % 10);
}

static void test_load_million_lines(void **state)
{
	enum { N = 1000000 };
	struct gw_card_tokenizer *tk = gw_card_tokenizer_new(key_seq);
	struct gw_credit_table *t;
	struct timespec a, b;
	char path[128], err[256] = "", pan[17], masked[GW_CARD_MASK_LEN];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/million.csv", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (unsigned i = 0; i < N; i++) {
		synth_pan(i, pan);
		fprintf(f, "%s,3012,%u,%u,A\n", pan, i, i);
	}
	assert_int_equal(fclose(f), 0);

	clock_gettime(CLOCK_MONOTONIC, &a);
	t = gw_credit_load(path, tk, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &b);
	unlink(path);
	assert_string_equal(err, "");
	assert_non_null(t);
	assert_int_equal(gw_credit_count(t), N);
	print_message("loaded %d lines in %.2f s\n", N,
		      (double)(b.tv_sec - a.tv_sec) +
			  (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	for (unsigned i = 0; i < N; i += 99991) {
		synth_pan(i, pan);
		assert_true(gw_card_luhn_ok(pan, 16));
		snprintf(masked, sizeof(masked), "999999******%s", pan + 12);
		lookup(t, tk, pan, masked, 3012, i, i, 'A');
	}
	gw_credit_free(t);
	gw_card_tokenizer_free(tk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules_eval),
	    cmocka_unit_test(test_rules_apply),
	    cmocka_unit_test(test_apply_not_on_file),
	    cmocka_unit_test(test_apply_sequence),
	    cmocka_unit_test(test_today_matches_clock),
	    cmocka_unit_test(test_debit_and_credit),
	    cmocka_unit_test(test_concurrent_debit_never_overdraws),
	    cmocka_unit_test(test_load_errors_exact),
	    cmocka_unit_test(test_load_missing_file),
	    cmocka_unit_test(test_load_small_file),
	    cmocka_unit_test(test_load_demo_file),
	    cmocka_unit_test(test_load_million_lines),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
