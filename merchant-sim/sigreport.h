/*
 * Link 2's part of the simulator's report, and the names of its refusals.
 */
#ifndef SIM_SIGREPORT_H
#define SIM_SIGREPORT_H

#include <stdio.h>

#include "signals.h"

/* The refusal's name in the report. */
const char *sim_signals_refusal_name(enum sim_sig_refusal r);

/* Writes the counters of @ctx, a struct sim_signals, as summary lines, or
 * JSON members with @json. */
void sim_signals_report(const void *ctx, FILE *f, int json);

#endif
