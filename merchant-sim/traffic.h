/*
 * The event loop that drives the sessions: open-loop sending at the
 * configured rate spread over the merchants, at most --inflight requests
 * outstanding per merchant and one per card, retransmission with a new
 * sequence number on timeout, the reversal of a request left unanswered
 * (reversal.h), and the reading of answers, which check.c verifies.
 */
#ifndef SIM_TRAFFIC_H
#define SIM_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#include "cards.h"
#include "check.h"
#include "opts.h"
#include "report.h"
#include "script.h"
#include "session.h"

#define SIM_CURRENCY 978 /* ISO 4217 numeric: EUR */

struct sim_traffic;

/* A phase's feeder: sends what is due at @now; 0 once it has nothing
 * more to send. */
typedef int (*sim_feed_fn)(struct sim_traffic *t, uint64_t now);

struct sim_traffic {
	const struct sim_opts *o;
	struct sim_merchant *m;
	unsigned nm;
	struct sim_cards *cards;
	struct sim_check *chk;
	struct sim_stats *st;
	uint64_t rng;
	uint64_t run_key; /* makes transaction ids differ between runs */
	int epfd;
	/* The current phase. */
	const struct sim_script *script;
	size_t next_line;
	uint64_t start_ns;
	uint64_t end_ns; /* stop sending at this time */
	uint64_t limit;	 /* stop sending after this many requests */
	uint64_t scheduled;
	double interval_ns;
	unsigned rr;
	uint64_t last_scan_ns;
	/* In the warm-up, which spends no scarce open-to-buy. */
	int warming;
	/* The loop that waits for answers and timers, and its clock in
	 * nanoseconds: epoll over the sockets by default, the DPDK port's
	 * polling loop in DPDK mode (dpdkloop.h). */
	int (*run)(struct sim_traffic *t, sim_feed_fn feed);
	uint64_t (*now)(void);
	void *loop_ctx;
	/* Link 2 (signals.h), called by the epoll loop on every turn with
	 * @ready set when the event tagged SIM_TRAFFIC_HOOK_EV fired. */
	void (*hook)(struct sim_traffic *t, int ready, uint64_t now);
	void *hook_ctx;
};

/* The epoll tag of the hook's descriptor; merchants use their index. */
#define SIM_TRAFFIC_HOOK_EV UINT32_MAX

/* Sets up the loop over @nm merchants (sessions) whose sockets are open;
 * those with fd -1 are left to another loop.  0 or a negative errno. */
int sim_traffic_init(struct sim_traffic *t, const struct sim_opts *o,
		     struct sim_merchant *m, unsigned nm,
		     struct sim_cards *cards, struct sim_check *chk,
		     struct sim_stats *st);
void sim_traffic_fini(struct sim_traffic *t);

/*
 * Sends random requests at the configured rate, for @count requests when
 * @count is not 0, else for @seconds, then waits for every outstanding
 * request to be answered or to time out.  Adds the phase's duration to
 * st->seconds.  0 or a negative errno.
 */
int sim_traffic_load(struct sim_traffic *t, uint64_t count, double seconds);

/*
 * Sends load as sim_traffic_load does for @ms milliseconds, with every
 * count going to a scratch copy of the statistics that is then dropped,
 * so that the measured window starts warm.  Cards whose open-to-buy might
 * not cover an amount are asked for 0, so that their partial approvals
 * and refusals for want of funds fall in the measured window.  Verification
 * failures and timeouts of the warm-up still count: they are the gateway's
 * errors whenever they happen.  0 or a negative errno.
 */
int sim_traffic_warmup(struct sim_traffic *t, uint64_t ms);

/* Sends the script's lines in order, one at a time, from the first
 * merchant, and waits for the last answer. */
int sim_traffic_script(struct sim_traffic *t, const struct sim_script *s);

/* Sends one request that changes no balance (amount 0) from the first
 * merchant and waits for its answer. */
int sim_traffic_one(struct sim_traffic *t);

/* A new transaction id for @m, unique within the merchant. */
uint64_t sim_traffic_txn(struct sim_traffic *t, struct sim_merchant *m);

/* Requests sent and neither answered nor given up. */
uint64_t sim_traffic_outstanding(const struct sim_traffic *t);

/* The deadline of @s passed at @now: retransmits it, sends its reversal
 * instead, or gives it up after the last retry. */
void sim_traffic_expire_slot(struct sim_traffic *t, struct sim_merchant *m,
			     struct sim_slot *s, uint64_t now);

/* Takes one datagram received for @m: checks the answer, or matches the
 * echo with --expect-echo. */
void sim_traffic_answer(struct sim_traffic *t, struct sim_merchant *m,
			const uint8_t *pkt, size_t len, uint64_t now);

/* Reads and checks everything waiting on @m's socket. */
void sim_traffic_drain(struct sim_traffic *t, struct sim_merchant *m);

/* Asks the loop to stop sending; safe from a signal handler. */
void sim_traffic_stop(void);

#endif
