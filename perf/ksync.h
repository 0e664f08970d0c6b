/*
 * Sessions for the kernel baseline from Redis: one SCAN of gw:session:*
 * at start, then the gw:session-events stream polled between batches.
 * The layout is gw_sessrec.h's; the table is kstore.h's.
 */
#ifndef GW_PERF_KSYNC_H
#define GW_PERF_KSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "gw_kdf.h"
#include "kstore.h"

struct gw_ksync;

/*
 * Connects to the Redis at unix socket @path and loads every session into
 * @t.  Copies @wrap_key.  NULL with a message in @err on failure.
 */
struct gw_ksync *gw_ksync_new(const char *path, struct gw_kstore *t,
			      const uint8_t wrap_key[GW_SECRET_LEN], char *err,
			      size_t errlen);

/* Applies the events that arrived since the last call.  Returns how many,
 * or -EIO when Redis went away (the table keeps serving what it has). */
int gw_ksync_poll(struct gw_ksync *s);

void gw_ksync_free(struct gw_ksync *s);

#endif
