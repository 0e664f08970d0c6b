/*
 * merchant-sim's random load against a gateway played by the model
 * itself: every request is answered at once with the decision check.c
 * expects, and debited as the gateway would.  Pins that the warm-up
 * leaves small open-to-buy alone, so that partial approvals (10) show in
 * the measured window in every mode that warms up.
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

#include "../../merchant-sim/traffic.h"

#define BIG_OTB	  100000000000ull
#define SMALL_OTB 1500u /* 15.00: less than most amounts drawn */

static uint64_t clock_ns;
static unsigned transmissions;

static uint64_t fake_now(void)
{
	return clock_ns;
}

static void fake_send(struct sim_link *l, struct sim_merchant *m,
		      const struct sim_slot *s)
{
	transmissions++;
}

/* The gateway's answer to every outstanding request: the model's own
 * decision, debited from the card's line. */
static void answer_all(struct sim_traffic *t)
{
	struct sim_merchant *m = &t->m[0];
	struct gw_decision want;
	struct gw_resp r;
	unsigned k;

	for (k = 0; k < m->nslot; k++) {
		struct sim_slot *s = &m->slot[k];

		if (!s->used)
			continue;
		sim_check_expect(t->chk, s, &want);
		memset(&r, 0, sizeof(r));
		r.code = want.code;
		r.amount = want.amount;
		sim_check_apply(s, &r);
		t->st->codes[r.code]++;
		t->st->responses++;
		s->card->busy = 0;
		sim_session_slot_put(m, s);
	}
}

/* One millisecond per turn: the feeder sends what is due, the fake
 * gateway answers it. */
static int fake_run(struct sim_traffic *t, sim_feed_fn feed)
{
	int more = 1;

	t->start_ns = clock_ns;
	t->last_scan_ns = clock_ns;
	while (more || sim_traffic_outstanding(t) > 0) {
		clock_ns += 1000000;
		if (more)
			more = feed(t, clock_ns);
		answer_all(t);
	}
	return 0;
}

struct rig {
	char path[64];
	struct sim_opts o;
	struct sim_merchant *m;
	struct sim_cards *cards;
	struct sim_check chk;
	struct sim_stats st;
	struct sim_link link;
	struct sim_traffic t;
};

static void rig_up(struct rig *g)
{
	char err[256];
	FILE *f;
	int fd;

	memset(g, 0, sizeof(*g));
	clock_ns = 0;
	transmissions = 0;
	snprintf(g->path, sizeof(g->path), "/tmp/test_sim_traffic.XXXXXX");
	fd = mkstemp(g->path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "pan,expiry,credit_limit,open_to_buy,status\n");
	fprintf(f, "4111111111111111,3012,%llu,%llu,A\n",
		(unsigned long long)BIG_OTB, (unsigned long long)BIG_OTB);
	fprintf(f, "9999990000000147,3012,500000,%u,A\n", SMALL_OTB);
	fclose(f);
	g->cards = sim_cards_load(g->path, err, sizeof(err));
	unlink(g->path);
	assert_non_null(g->cards);

	g->o.rate = 1000;
	g->o.timeout_ms = 1000;
	g->o.retries = 3;
	g->o.partial_ratio = 1.0; /* every request accepts a partial */
	g->o.referral_amount = GW_REFERRAL_DEFAULT;
	g->o.seed = 7;
	g->o.seed_set = 1;
	g->m = sim_merchants_new(1, 4);
	assert_non_null(g->m);
	g->m[0].sid = 1;
	g->link.send = fake_send;
	g->m[0].link = &g->link;
	sim_stats_init(&g->st);
	sim_check_init(&g->chk, g->o.referral_amount, &g->st);
	assert_int_equal(
	    sim_traffic_init(&g->t, &g->o, g->m, 1, g->cards, &g->chk, &g->st),
	    0);
	g->t.run = fake_run;
	g->t.now = fake_now;
}

static void rig_down(struct rig *g)
{
	sim_traffic_fini(&g->t);
	sim_merchants_free(g->m, 1);
	sim_cards_free(g->cards);
}

static void warmup_spends_no_small_open_to_buy(void **state)
{
	struct rig g;

	rig_up(&g);
	assert_int_equal(sim_traffic_warmup(&g.t, 500), 0);
	/* About 500 requests went out, half of them to each card. */
	assert_true(transmissions >= 400);
	assert_int_equal(g.cards->v[1].line.otb, SMALL_OTB);
	assert_true(g.cards->v[0].line.otb < BIG_OTB);
	/* None of the warm-up's answers counts in the measured window. */
	assert_int_equal(g.st.responses, 0);
	assert_int_equal(g.st.codes[GW_RC_PARTIAL], 0);
	rig_down(&g);
}

static void measured_window_after_warmup_shows_one_partial(void **state)
{
	struct rig g;

	rig_up(&g);
	assert_int_equal(sim_traffic_warmup(&g.t, 500), 0);
	assert_int_equal(sim_traffic_load(&g.t, 300, 0), 0);
	assert_int_equal(g.st.sent, 300);
	assert_int_equal(g.st.responses, 300);
	/* The small line ends in exactly one partial approval, then
	 * refusals for want of funds. */
	assert_int_equal(g.st.codes[GW_RC_PARTIAL], 1);
	assert_int_equal(g.cards->v[1].line.otb, 0);
	assert_true(g.st.codes[GW_RC_NO_FUNDS] > 0);
	rig_down(&g);
}

static void load_without_warmup_spends_small_lines(void **state)
{
	struct rig g;

	rig_up(&g);
	assert_int_equal(sim_traffic_load(&g.t, 300, 0), 0);
	assert_int_equal(g.st.codes[GW_RC_PARTIAL], 1);
	assert_int_equal(g.cards->v[1].line.otb, 0);
	rig_down(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(warmup_spends_no_small_open_to_buy),
	    cmocka_unit_test(measured_window_after_warmup_shows_one_partial),
	    cmocka_unit_test(load_without_warmup_spends_small_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
