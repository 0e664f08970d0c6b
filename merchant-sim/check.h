/*
 * Checking the gateway's answers: every datagram passes the wire checks,
 * the session id, the anti-replay window and the tag before its decision
 * is compared with the one the card's modelled open-to-buy requires.  The
 * model then takes the debit.  Sending is traffic.c's.
 */
#ifndef SIM_CHECK_H
#define SIM_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "anslog.h"
#include "gw_decide.h"
#include "report.h"
#include "session.h"

/* Mismatches printed in full; the rest are only counted. */
#define SIM_CHECK_SHOWN_MAX 10

struct sim_check {
	struct gw_policy policy;
	struct sim_stats *st;
	struct sim_anslog *log; /* NULL: no --answers-log */
	unsigned shown;
};

void sim_check_init(struct sim_check *c, uint64_t referral_amount,
		    struct sim_stats *st);

/*
 * Takes one datagram of @len bytes received on @m's socket at @now: the
 * answer to an authorization, or to its timeout reversal (reversal.h).
 * Returns 1 when it settled an outstanding request (whose slot is then
 * released), 0 otherwise: dropped and counted, or the late answer to an
 * original whose reversal is still outstanding.
 */
int sim_check_resp(struct sim_check *c, struct sim_merchant *m,
		   const uint8_t *pkt, size_t len, uint64_t now);

/*
 * For a data plane that echoes (gw-dataplane --echo): takes datagram
 * @pkt of @len bytes as the answer to the outstanding request of @m that
 * it equals byte for byte, the latest transmission of which is told by
 * the header's sequence number.  No decryption, no model.  Returns 1
 * when it matched (the slot is released), 0 when it was dropped and
 * counted.
 */
int sim_check_echo(struct sim_check *c, struct sim_merchant *m,
		   const uint8_t *pkt, size_t len, uint64_t now);

/* The decision the model expects for @s now.  Changes nothing. */
void sim_check_expect(const struct sim_check *c, const struct sim_slot *s,
		      struct gw_decision *d);

/* Applies the debit of answer @r to the model of @s's card. */
void sim_check_apply(struct sim_slot *s, const struct gw_resp *r);

#endif
