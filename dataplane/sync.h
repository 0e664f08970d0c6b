/*
 * Session synchronisation from Redis on the main lcore: the initial scan
 * of every stored session, then the session-events stream polled without
 * blocking, and reconnection with a full rescan after Redis went away.
 * The table itself is sessions.h's; the record layout is gw_sessrec.h's.
 */
#ifndef GW_DP_SYNC_H
#define GW_DP_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "gw_kdf.h"
#include "sessions.h"

struct gw_sync;

/*
 * Connects to the Redis unix socket @path and loads every stored session
 * into @t, unwrapping secrets with @wrap_key (copied; wipe yours).  NULL
 * with one line in @err when Redis cannot be reached or read.
 */
struct gw_sync *gw_sync_new(const char *path, struct gw_sessions *t,
			    const uint8_t wrap_key[GW_SECRET_LEN], char *err,
			    size_t errlen);

/*
 * Applies new session events, or while Redis is away tries to reconnect
 * (at most once a second).  Call every few tens of milliseconds; it blocks
 * for at most the Redis command timeout.
 */
void gw_sync_tick(struct gw_sync *s);

void gw_sync_free(struct gw_sync *s);

#endif
