/*
 * The sending side of the simulator and its single-threaded loop.  Each
 * phase has a feeder that decides what to send next; the loop around it
 * waits for answers and timers, and is the same for every phase.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "reversal.h"
#include "traffic.h"

#define RECV_BATCH     32
#define SEND_BURST     256 /* sends per loop turn, so answers are not starved */
#define SCAN_NS	       1000000ull /* the retransmission timer's resolution */
#define CARD_PROBES    32
#define TIMEOUTS_SHOWN 5

static volatile sig_atomic_t stopping;

static int loop(struct sim_traffic *t, sim_feed_fn feed);

void sim_traffic_stop(void)
{
	stopping = 1;
}

/* splitmix64: a good enough generator for choosing traffic, and a
 * bijective mixer for transaction ids. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct sim_traffic *t)
{
	t->rng += 0x9e3779b97f4a7c15ull;
	return mix64(t->rng);
}

/* Uniform in [lo, hi]; lo when the range is empty. */
static uint64_t rnd_range(struct sim_traffic *t, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + rnd(t) % (hi - lo + 1);
}

int sim_traffic_init(struct sim_traffic *t, const struct sim_opts *o,
		     struct sim_merchant *m, unsigned nm,
		     struct sim_cards *cards, struct sim_check *chk,
		     struct sim_stats *st)
{
	struct epoll_event ev = {.events = EPOLLIN};
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->o = o;
	t->m = m;
	t->nm = nm;
	t->cards = cards;
	t->chk = chk;
	t->st = st;
	if (getrandom(&t->run_key, sizeof(t->run_key), 0) != sizeof(t->run_key))
		t->run_key = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	t->rng = o->seed_set ? o->seed : mix64(t->run_key);
	t->run = loop;
	t->now = sim_now_ns;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		return -errno;
	for (i = 0; i < nm; i++) {
		if (m[i].fd < 0)
			continue;
		ev.data.u32 = i;
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, m[i].fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

void sim_traffic_fini(struct sim_traffic *t)
{
	if (t->epfd >= 0)
		close(t->epfd);
	t->epfd = -1;
}

uint64_t sim_traffic_txn(struct sim_traffic *t, struct sim_merchant *m)
{
	uint64_t id;

	/* Index and counter make the id unique within this run, the run
	 * key across runs (the gateway remembers ids for its duplicate
	 * window); mixing is a bijection, so uniqueness survives it. */
	do
		id = mix64(((uint64_t)m->index << 40 | ++m->txn_ctr) ^
			   t->run_key);
	while (id == 0);
	return id;
}

uint64_t sim_traffic_outstanding(const struct sim_traffic *t)
{
	return t->st->sent - sim_stats_settled(t->st) - t->st->timeouts -
	       t->st->lost_after_revocation;
}

static void start(struct sim_traffic *t, struct sim_merchant *m,
		  struct sim_slot *s, uint64_t now)
{
	s->req.txn_id = sim_traffic_txn(t, m);
	s->req.currency = SIM_CURRENCY;
	s->first_ns = now;
	t->st->sent++;
	sim_session_transmit(m, s, now, t->o->timeout_ms * 1000000ull);
}

/* ---- random load --------------------------------------------------- */

static struct sim_merchant *pick_merchant(struct sim_traffic *t)
{
	unsigned i, k;

	for (i = 0; i < t->nm; i++) {
		k = (t->rr + i) % t->nm;
		/* Rekeyed, revoked and spare entries take nothing new. */
		if (t->m[k].state == SIM_SESS_ACTIVE &&
		    t->m[k].nout < t->m[k].nslot) {
			t->rr = (k + 1) % t->nm;
			return &t->m[k];
		}
	}
	return NULL;
}

static struct sim_card *pick_card(struct sim_traffic *t)
{
	size_t i, k = rnd(t) % t->cards->n;
	struct sim_card *c;

	for (i = 0; i < CARD_PROBES && i < t->cards->n; i++) {
		c = &t->cards->v[(k + i) % t->cards->n];
		if (!c->busy && !c->lost)
			return c;
	}
	return NULL;
}

/*
 * Mostly everyday amounts, some large ones up to the referral amount and
 * about 3% above it, and a few zero amounts, so that every decision of
 * gw_decide.h shows up once the cards' open-to-buy runs short.
 */
static uint64_t draw_amount(struct sim_traffic *t)
{
	uint64_t ref = t->o->referral_amount, r = rnd(t) % 1000;

	if (r < 5)
		return 0;
	if (r < 35)
		return rnd_range(t, ref + 1, 2 * ref + 1);
	if (r < 800)
		return rnd_range(t, 1, ref < 9999 ? ref : 9999);
	return rnd_range(t, ref < 10000 ? 1 : 10000, ref ? ref : 1);
}

/*
 * Whether @c's open-to-buy might not cover the largest amount drawn.  The
 * warm-up asks such a card for nothing (amount 0, declined with 13 and no
 * balance touched): otherwise it spends the small lines before the
 * measured window starts, and their partial approvals (10) never show.
 */
static int scarce(const struct sim_traffic *t, const struct sim_card *c)
{
	return c->line.otb <= 2 * t->o->referral_amount + 1;
}

static int send_random(struct sim_traffic *t, uint64_t now)
{
	struct sim_merchant *m = pick_merchant(t);
	struct sim_card *c;
	struct sim_slot *s;
	uint64_t amount;

	if (!m)
		return -EBUSY;
	c = pick_card(t);
	if (!c)
		return -EBUSY;
	s = sim_session_slot_get(m);
	s->card = c;
	c->busy = 1;
	/* Drawn in any case, so that a seed gives the same sequence of
	 * cards and amounts with or without a warm-up. */
	amount = draw_amount(t);
	s->req.amount = t->warming && scarce(t, c) ? 0 : amount;
	s->req.expiry = c->line.expiry;
	s->req.pan_len = c->pan_len;
	memcpy(s->req.pan, c->pan, sizeof(s->req.pan));
	if ((double)(rnd(t) >> 11) / 9007199254740992.0 < t->o->partial_ratio)
		s->flags = GW_FLAG_PARTIAL_OK;
	start(t, m, s, now);
	return 0;
}

static int feed_load(struct sim_traffic *t, uint64_t now)
{
	unsigned burst;

	for (burst = 0; burst < SEND_BURST; burst++) {
		if (stopping || now >= t->end_ns || t->st->sent >= t->limit)
			return 0;
		if (t->o->closed_loop) {
			/* Closed loop: a new request for each one answered
			 * or given up, never more than K outstanding. */
			if (sim_traffic_outstanding(t) >= t->o->closed_loop)
				break;
		} else if ((double)t->scheduled * t->interval_ns >
			   (double)(now - t->start_ns)) {
			/* Open loop: a request is due every interval
			 * whether or not the earlier ones were answered; a
			 * backlog goes out as soon as slots free up. */
			break;
		}
		if (send_random(t, now) < 0)
			break;
		t->scheduled++;
		/* Sealing takes time: the next request's latency starts
		 * when it is sent, not when the burst began. */
		now = t->now();
	}
	return 1;
}

/* ---- scripts ------------------------------------------------------- */

static int feed_script(struct sim_traffic *t, uint64_t now)
{
	const struct sim_script_line *l;
	struct sim_merchant *m = &t->m[0];
	struct sim_slot *s;

	if (stopping || t->next_line == t->script->n)
		return 0;
	if (m->nout > 0)
		return 1;
	l = &t->script->v[t->next_line++];
	s = sim_session_slot_get(m);
	s->script = l;
	s->card = sim_cards_find(t->cards, l->pan, l->pan_len);
	s->flags = l->flags;
	s->req.amount = l->amount;
	s->req.expiry = l->expiry;
	s->req.pan_len = l->pan_len;
	memcpy(s->req.pan, l->pan, sizeof(s->req.pan));
	start(t, m, s, now);
	return 1;
}

/* ---- a single request ---------------------------------------------- */

/* Amount 0 is declined (13) whatever the card, so the request leaves no
 * trace in any balance that a later run's model would miss. */
static int feed_one(struct sim_traffic *t, uint64_t now)
{
	struct sim_merchant *m = &t->m[0];
	struct sim_card *c = &t->cards->v[0];
	struct sim_slot *s;

	if (t->next_line > 0)
		return 0;
	s = sim_session_slot_get(m);
	if (!s)
		return 1;
	t->next_line = 1;
	s->card = c;
	s->req.amount = 0;
	s->req.expiry = c->line.expiry;
	s->req.pan_len = c->pan_len;
	memcpy(s->req.pan, c->pan, sizeof(s->req.pan));
	start(t, m, s, now);
	return 0;
}

/* ---- the loop ------------------------------------------------------ */

void sim_traffic_answer(struct sim_traffic *t, struct sim_merchant *m,
			const uint8_t *pkt, size_t len, uint64_t now)
{
	if (t->o->expect_echo)
		(void)sim_check_echo(t->chk, m, pkt, len, now);
	else
		(void)sim_check_resp(t->chk, m, pkt, len, now);
}

void sim_traffic_drain(struct sim_traffic *t, struct sim_merchant *m)
{
	static uint8_t buf[RECV_BATCH][GW_WIRE_RESP_DGRAM + 64];
	struct mmsghdr msg[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	uint64_t now;
	int n, i;
	size_t len;

	for (;;) {
		memset(msg, 0, sizeof(msg));
		for (i = 0; i < RECV_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		/* Errors, such as a refusal reported by ICMP, are left to
		 * the retransmission timer. */
		n = recvmmsg(m->fd, msg, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = sim_now_ns();
		for (i = 0; i < n; i++) {
			len = msg[i].msg_len;
			/* A datagram larger than the buffer is too long for
			 * any answer; pass a length that says so. */
			if (msg[i].msg_hdr.msg_flags & MSG_TRUNC)
				len = sizeof(buf[i]) + 1;
			sim_traffic_answer(t, m, buf[i], len, now);
		}
		if (n < RECV_BATCH)
			return;
	}
}

static void give_up(struct sim_traffic *t, struct sim_merchant *m,
		    struct sim_slot *s)
{
	t->st->timeouts++;
	if (t->st->timeouts <= TIMEOUTS_SHOWN && s->reversing)
		fprintf(
		    stderr,
		    "merchant-sim: merchant %s session %" PRIu32
		    " txn %016" PRIx64
		    ": no answer after %u transmissions, nor to its reversal after %u\n",
		    m->id, m->sid, s->req.txn_id, s->orig_tries, s->tries);
	else if (t->st->timeouts <= TIMEOUTS_SHOWN)
		fprintf(stderr,
			"merchant-sim: merchant %s session %" PRIu32
			" txn %016" PRIx64
			": no answer after %u transmissions\n",
			m->id, m->sid, s->req.txn_id, s->tries);
	/* Whether the gateway debited is unknown now, so the model of this
	 * card cannot be trusted again; it stays busy for good. */
	if (s->card)
		s->card->lost = 1;
	sim_session_slot_put(m, s);
}

void sim_traffic_expire_slot(struct sim_traffic *t, struct sim_merchant *m,
			     struct sim_slot *s, uint64_t now)
{
	/* An echoing data plane decides nothing, so nothing is reversed. */
	uint64_t rev = t->o->expect_echo ? 0 : t->o->reverse_after;
	struct gw_decision want;

	switch (sim_reversal_on_expiry(s, t->o->retries, rev)) {
	case SIM_EXPIRY_GIVE_UP:
		give_up(t, m, s);
		return;
	case SIM_EXPIRY_REVERSE:
		sim_check_expect(t->chk, s, &want);
		sim_reversal_start(s, &want);
		t->st->timeout_reversals++;
		break;
	case SIM_EXPIRY_RETRANSMIT:
		t->st->retransmits++;
		break;
	}
	sim_session_transmit(m, s, now, t->o->timeout_ms * 1000000ull);
}

static void expire(struct sim_traffic *t, uint64_t now)
{
	struct sim_merchant *m;
	struct sim_slot *s;
	unsigned i, k;

	if (now - t->last_scan_ns < SCAN_NS)
		return;
	t->last_scan_ns = now;
	for (i = 0; i < t->nm; i++) {
		m = &t->m[i];
		for (k = 0; m->nout && k < m->nslot; k++) {
			s = &m->slot[k];
			if (!s->used || s->deadline_ns > now)
				continue;
			sim_traffic_expire_slot(t, m, s, now);
		}
	}
}

/* How long to sleep: until the next send is due, at most a timer tick. */
static void wait_time(const struct sim_traffic *t, int more, uint64_t now,
		      struct timespec *ts)
{
	double due =
	    (double)t->start_ns + (double)t->scheduled * t->interval_ns;
	uint64_t ns = SCAN_NS;

	if (more && t->script == NULL && due > (double)now &&
	    due - (double)now < (double)ns)
		ns = (uint64_t)(due - (double)now);
	ts->tv_sec = 0;
	ts->tv_nsec = (long)ns;
}

static int ev_hooked(const struct epoll_event *ev, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ev[i].data.u32 == SIM_TRAFFIC_HOOK_EV)
			return 1;
	return 0;
}

static int loop(struct sim_traffic *t, sim_feed_fn feed)
{
	struct epoll_event ev[64];
	struct timespec ts;
	uint64_t now;
	int more = 1, n, i;

	t->start_ns = sim_now_ns();
	t->last_scan_ns = t->start_ns;
	for (;;) {
		now = sim_now_ns();
		if (more)
			more = feed(t, now);
		if (!more && sim_traffic_outstanding(t) == 0)
			break;
		wait_time(t, more, now, &ts);
		n = epoll_pwait2(t->epfd, ev, 64, &ts, NULL);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n; i++)
			if (ev[i].data.u32 != SIM_TRAFFIC_HOOK_EV)
				sim_traffic_drain(t, &t->m[ev[i].data.u32]);
		expire(t, sim_now_ns());
		if (t->hook)
			t->hook(t, n > 0 && ev_hooked(ev, n), sim_now_ns());
	}
	t->st->seconds += (double)(sim_now_ns() - t->start_ns) / 1e9;
	return 0;
}

int sim_traffic_load(struct sim_traffic *t, uint64_t count, double seconds)
{
	t->script = NULL;
	t->scheduled = 0;
	t->rr = 0;
	t->interval_ns = 1e9 / t->o->rate;
	t->limit = count ? t->st->sent + count : UINT64_MAX;
	t->end_ns = UINT64_MAX;
	if (!count)
		t->end_ns = t->now() + (uint64_t)(seconds * 1e9);
	return t->run(t, feed_load);
}

int sim_traffic_warmup(struct sim_traffic *t, uint64_t ms)
{
	struct sim_stats *st = t->st, *scratch;
	int rc;

	if (ms == 0)
		return 0;
	scratch = malloc(sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	sim_stats_init(scratch);
	t->st = t->chk->st = scratch;
	t->warming = 1;
	rc = sim_traffic_load(t, 0, (double)ms / 1000);
	t->warming = 0;
	t->st = t->chk->st = st;
	st->verify_failures += scratch->verify_failures;
	st->timeouts += scratch->timeouts;
	st->timeout_reversals += scratch->timeout_reversals;
	st->timeout_reversals_answered += scratch->timeout_reversals_answered;
	for (unsigned i = 0; i < 100; i++)
		st->reversal_codes[i] += scratch->reversal_codes[i];
	/* Sent too, so that sent still adds up to settled and timeouts. */
	st->sent += scratch->timeouts + scratch->timeout_reversals_answered;
	free(scratch);
	return rc;
}

int sim_traffic_script(struct sim_traffic *t, const struct sim_script *s)
{
	t->script = s;
	t->next_line = 0;
	t->end_ns = UINT64_MAX;
	return t->run(t, feed_script);
}

int sim_traffic_one(struct sim_traffic *t)
{
	t->script = NULL;
	t->next_line = 0;
	t->end_ns = UINT64_MAX;
	return t->run(t, feed_one);
}
