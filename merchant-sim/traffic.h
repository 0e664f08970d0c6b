/*
 * The event loop that drives the sessions: open-loop sending at the
 * configured rate spread over the merchants, at most --inflight requests
 * outstanding per merchant and one per card, retransmission with a new
 * sequence number on timeout, and the reading of answers, which check.c
 * verifies.
 */
#ifndef SIM_TRAFFIC_H
#define SIM_TRAFFIC_H

#include <stdint.h>

#include "cards.h"
#include "check.h"
#include "opts.h"
#include "report.h"
#include "script.h"
#include "session.h"

#define SIM_CURRENCY 978 /* ISO 4217 numeric: EUR */

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
};

/* Sets up the loop over @nm merchants whose sockets are open.  0 or a
 * negative errno. */
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

/* Sends the script's lines in order, one at a time, from the first
 * merchant, and waits for the last answer. */
int sim_traffic_script(struct sim_traffic *t, const struct sim_script *s);

/* Sends one request that changes no balance (amount 0) from the first
 * merchant and waits for its answer. */
int sim_traffic_one(struct sim_traffic *t);

/* A new transaction id for @m, unique within the merchant. */
uint64_t sim_traffic_txn(struct sim_traffic *t, struct sim_merchant *m);

/* Reads and checks everything waiting on @m's socket. */
void sim_traffic_drain(struct sim_traffic *t, struct sim_merchant *m);

/* Asks the loop to stop sending; safe from a signal handler. */
void sim_traffic_stop(void);

#endif
