/*
 * The answers log (--answers-log): one line per answer the simulator
 * received and took, for scripts that compare it with the gateway's
 * journal and balances.  Which answers are taken is check.c's.
 *
 * Line: merchant txn type code amount ref approval card, where txn and ref
 * are 16 hex digits, type is auth or reverse, code two digits, amount the
 * approved amount in minor units, approval "-" when none, and card the
 * masked number ("-" when the request had no valid one).
 */
#ifndef SIM_ANSLOG_H
#define SIM_ANSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "gw_wire.h"

struct sim_anslog;

/* Creates or truncates @path.  NULL with one line in @err. */
struct sim_anslog *sim_anslog_open(const char *path, char *err, size_t errlen);

/* Appends the line of answer @r to a request of @type from @merchant on
 * card @masked (NULL: none).  @l may be NULL: no log. */
void sim_anslog_write(struct sim_anslog *l, const char *merchant, uint8_t type,
		      const struct gw_resp *r, const char *masked);

/* Flushes and closes; NULL is a no-op.  0 or a negative errno. */
int sim_anslog_close(struct sim_anslog *l);

#endif
