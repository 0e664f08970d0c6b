/*
 * Gateway references and approval codes.  A reference names one decision
 * for later captures, reversals and refunds; it must be unique across the
 * workers of one process and across restarts of the data plane.
 *
 * Layout of the 64-bit reference:
 *   bits 63..32  epoch: Unix seconds when the epoch was claimed
 *   bits 31..24  worker index (0..255)
 *   bits 23..0   per-worker counter within the epoch
 *
 * Every worker starts in the process's start epoch.  A worker whose
 * counter wraps claims a fresh epoch: the larger of the current second and
 * the last epoch claimed plus one.  Epochs therefore stay at or behind the
 * wall clock unless the whole process sustains more than 16.7 million
 * decisions per second, and a restarted process, whose start takes well
 * over a second, begins in a later second than any epoch its predecessor
 * used.  References are not unique across several appliances.
 */
#ifndef GW_DP_REF_H
#define GW_DP_REF_H

#include <stdint.h>

#define GW_REF_WORKERS_MAX 256
#define GW_APPROVAL_LEN	   6

struct gw_ref {
	uint64_t epoch;
	uint32_t worker;
	uint32_t counter;
};

/* Records the process's start epoch.  Call once before any gw_ref_init. */
void gw_ref_start(uint64_t now_seconds);

/* Prepares @r for worker index @worker (below GW_REF_WORKERS_MAX). */
void gw_ref_init(struct gw_ref *r, unsigned worker);

/* The next reference of this worker. */
uint64_t gw_ref_next(struct gw_ref *r);

/*
 * Six uppercase alphanumerics derived from @ref.  Not a secret: it only has
 * to be short, printable and stable for one reference.
 */
void gw_ref_approval(uint64_t ref, char out[GW_APPROVAL_LEN]);

#endif
