/*
 * DPDK mode's loop for traffic.c's phases: the feeder sends through the
 * port, answers are polled from it and handed to their session by the id
 * in their header, retransmission timers run off the link's deadline
 * list, and the clock is the TSC.  One core, busy polling throughout.
 */
#ifndef SIM_DPDKLOOP_H
#define SIM_DPDKLOOP_H

#include <stddef.h>

#include "dpdkport.h"
#include "sessmap.h"
#include "traffic.h"

struct sim_dloop {
	struct sim_port *port;
	struct sim_sessmap *map;
};

/*
 * Points the @t->nm sessions of @t at @p (each with its own UDP source
 * port, so that receive-side scaling spreads them), resolves the gateway
 * the sessions name, and makes @t run its phases on @d.  Every session
 * must name the same IPv4 data plane.  0, or a negative errno with one
 * line in @err.  @d and @p must outlive @t's phases.
 */
int sim_dloop_attach(struct sim_dloop *d, struct sim_traffic *t,
		     struct sim_port *p, char *err, size_t errlen);
void sim_dloop_fini(struct sim_dloop *d);

/* The UDP source port of session @index. */
uint16_t sim_dloop_sport(unsigned index);

#endif
