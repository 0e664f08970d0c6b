/*
 * The link-1 transactions that answer service signals, run one at a time
 * on a thread of their own so that a TLS handshake or a package download
 * never holds up the answers the traffic loop is waiting for: RENEW with
 * a new key, FETCH then a verified install then VERSION, MESSAGE, and
 * the SESSION of a rekey.  Deciding what to do is signals.c's.
 */
#ifndef SIM_SIGWORK_H
#define SIM_SIGWORK_H

#include <stddef.h>

#include "gw_signal.h"
#include "install.h"

struct sim_signals;
struct sim_sigwork;

enum sim_job_kind {
	SIM_JOB_RENEW,
	SIM_JOB_INSTALL,
	SIM_JOB_MESSAGE,
	SIM_JOB_REKEY,
};

struct sim_job {
	enum sim_job_kind kind;
	unsigned merchant;
	uint8_t type;			 /* the signal acted upon */
	char ref[GW_SIGNAL_REF_LEN + 1]; /* its reference */
	unsigned old_ent, new_ent;	 /* SIM_JOB_REKEY */
	int rc;				 /* the outcome, once done */
	struct sim_job *next;
};

/* Starts the thread for @s.  NULL with @err set. */
struct sim_sigwork *sim_sigwork_start(struct sim_signals *s, char *err,
				      size_t errlen);

/* Lets the transaction in progress finish, drops the rest, joins. */
void sim_sigwork_stop(struct sim_sigwork *w);

/* Queues a copy of @j.  0, -ENOMEM, or -ENOTCONN without a worker. */
int sim_sigwork_post(struct sim_sigwork *w, const struct sim_job *j);

/* Takes one finished job into @out: 1, or 0 when there is none. */
int sim_sigwork_done(struct sim_sigwork *w, struct sim_job *out);

#endif
