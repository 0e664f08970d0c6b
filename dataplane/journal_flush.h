/*
 * The journal thread: one plain thread, started by the main lcore and
 * sharing its CPU, that calls gw_journal_tick on every worker's journal
 * once per sync interval, so that the workers never sync (but under
 * "always") and never prepare a segment.  What a tick does is journal.h's.
 */
#ifndef GW_DP_JOURNAL_FLUSH_H
#define GW_DP_JOURNAL_FLUSH_H

#include <stdint.h>

#include "journal.h"

struct gw_journal_flusher;

/*
 * Starts the thread over @n journals, ticking every @interval_ms.  The
 * array and the journals stay the caller's and must outlive the thread.
 * NULL with errno set when the thread cannot be started.
 */
struct gw_journal_flusher *gw_journal_flusher_start(struct gw_journal **js,
						    unsigned n,
						    uint32_t interval_ms);

/* Stops the thread after its current tick and frees @f. */
void gw_journal_flusher_stop(struct gw_journal_flusher *f);

#endif
