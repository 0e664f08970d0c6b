/*
 * What a run counts, and how it is reported: the human summary on stdout
 * and the JSON object of --report.  Counting is done by check.c,
 * traffic.c and badin.c; this module only presents.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "hist.h"

/* Answers dropped before they reached the model, by reason. */
enum sim_drop {
	SIM_DROP_MALFORMED, /* gw_wire_check_resp refused it */
	SIM_DROP_SESSION,   /* another session's id */
	SIM_DROP_REPLAY,    /* sequence number seen or too old */
	SIM_DROP_AUTH,	    /* the tag did not verify */
	SIM_DROP_LATE,	    /* no outstanding request: a repeat's answer */
	SIM_DROP_MAX,
};

struct sim_stats {
	uint64_t sent;	    /* distinct requests, retransmissions apart */
	uint64_t responses; /* requests answered */
	uint64_t retransmits;
	uint64_t timeouts; /* requests given up, their reversal's retries too */
	/* Timeout reversals (reversal.h): sent, answered and by code; a
	 * request whose reversal was answered is settled, not a timeout. */
	uint64_t timeout_reversals;
	uint64_t timeout_reversals_answered;
	uint64_t reversal_codes[100];
	/* Answers to an original that came after its reversal was sent. */
	uint64_t answers_after_reversal;
	uint64_t verify_failures;
	uint64_t drops[SIM_DROP_MAX];
	uint64_t codes[100];
	uint64_t bad_sent;
	uint64_t bad_answered;
	/* Requests abandoned because the gateway revoked their session
	 * (signals.h): neither answered nor timed out. */
	uint64_t lost_after_revocation;
	/* Counters of link 2, presented by their owner: @more writes them
	 * as summary lines, or as JSON members when @json is set. */
	void (*more)(const void *ctx, FILE *f, int json);
	const void *more_ctx;
	unsigned merchants;
	unsigned sessions;
	const char *mode;    /* "dpdk" or "kernel" */
	double offered_rate; /* requests per second; 0 in a closed loop */
	uint64_t closed_loop;
	/* From the first request to the last answer of the measured
	 * window, warm-up excluded. */
	double seconds;
	struct sim_hist latency_us;
};

void sim_stats_init(struct sim_stats *s);

/* Responses grouped as the report names them. */
uint64_t sim_stats_approved(const struct sim_stats *s);
uint64_t sim_stats_partial(const struct sim_stats *s);
uint64_t sim_stats_referred(const struct sim_stats *s);
uint64_t sim_stats_declined(const struct sim_stats *s);

/* Requests never answered after every retry, as a share of those sent. */
double sim_stats_loss(const struct sim_stats *s);

/* Requests settled: answered, or reversed with the reversal answered. */
uint64_t sim_stats_settled(const struct sim_stats *s);

/* 1 when the run passed: everything settled, as expected, in time. */
int sim_stats_ok(const struct sim_stats *s);

void sim_report_summary(const struct sim_stats *s, FILE *f);
/* Writes the JSON report to @path.  0 or a negative errno. */
int sim_report_json(const struct sim_stats *s, const char *path);
void sim_report_json_write(const struct sim_stats *s, FILE *f);

#endif
