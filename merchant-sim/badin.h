/*
 * The bad-input test: one datagram of each kind the gateway must drop
 * without answering, sent on an open session, and a wait to see that none
 * is answered.  The kinds match the data plane's drop reasons one to one.
 */
#ifndef SIM_BADIN_H
#define SIM_BADIN_H

#include "traffic.h"

#define SIM_BADIN_WAIT_MS 500

/*
 * Sends the bad datagrams from the first merchant.  The replay needs a
 * request the gateway has answered; the caller sends one first.  Counts
 * into st->bad_sent and st->bad_answered.  0 or a negative errno.
 */
int sim_badin_run(struct sim_traffic *t);

#endif
