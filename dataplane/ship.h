/*
 * Journal shipping on the main lcore: every worker's journal records are
 * added to the Redis stream gw:journal:<worker> with the record's
 * sequence number as the entry id, so that Redis itself refuses a record
 * shipped before, and shipping resumes from the stream's last id after a
 * restart of either side.  Reading the journal is journal.h's.
 */
#ifndef GW_DP_SHIP_H
#define GW_DP_SHIP_H

#include <stdint.h>

#define GW_SHIP_STREAM_PREFIX "gw:journal:"

struct gw_ship;
struct gw_journal;

/*
 * A shipper of the journals of workers 0 .. @nb_workers - 1 in @dir to the
 * Redis at unix socket @path.  It connects on its first tick, not here, so
 * that a Redis that is away delays shipping and nothing else.  NULL on
 * allocation failure.
 */
struct gw_ship *gw_ship_new(const char *path, const char *dir,
			    unsigned nb_workers);

/*
 * Makes worker @w's stream follow @j, that worker's journal writer in this
 * process: records are shipped once durable (written, under "none"), and
 * the backlog is counted from the writer's position.  @j must outlive @s.
 */
void gw_ship_follow(struct gw_ship *s, unsigned w, const struct gw_journal *j);

/*
 * Ships what the workers have written since the last call, a bounded
 * amount per call; while Redis is away, tries to reconnect once a second.
 * Blocks for at most the Redis command timeout.
 */
void gw_ship_tick(struct gw_ship *s);

/* Records shipped by this process, and records written but not yet in
 * Redis (from the followed writers' positions). */
void gw_ship_counts(const struct gw_ship *s, uint64_t *shipped,
		    uint64_t *backlog);

void gw_ship_free(struct gw_ship *s);

#endif
