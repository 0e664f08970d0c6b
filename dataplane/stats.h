/*
 * Data-plane counters: one cache-aligned block per lcore, written only by
 * that lcore, summed by the main lcore for the statistics file and by the
 * telemetry thread for the "/gw/stats" command.
 */
#ifndef GW_DP_STATS_H
#define GW_DP_STATS_H

#include <stdint.h>

#include <rte_common.h>

/* Why a packet was dropped.  Each reason has its own counter. */
enum gw_drop {
	GW_DROP_NOT_IP,		 /* neither IPv4 nor ARP */
	GW_DROP_NOT_FOR_US,	 /* another MAC or IP address */
	GW_DROP_BAD_IP,		 /* malformed IPv4 header or checksum */
	GW_DROP_FRAGMENT,	 /* IPv4 fragment */
	GW_DROP_NOT_UDP,	 /* IP protocol other than UDP and ICMP */
	GW_DROP_ICMP_OTHER,	 /* ICMP other than echo request */
	GW_DROP_ARP_OTHER,	 /* ARP other than a request for us */
	GW_DROP_BAD_PORT,	 /* UDP to another port */
	GW_DROP_MULTI_SEG,	 /* frame not in one segment */
	GW_DROP_TRUNCATED,	 /* shorter than its type requires */
	GW_DROP_TOO_LONG,	 /* longer than its type allows */
	GW_DROP_BAD_VERSION,	 /* protocol version not ours */
	GW_DROP_BAD_TYPE,	 /* not a request type */
	GW_DROP_UNKNOWN_SESSION, /* session id not in the table */
	GW_DROP_REVOKED_SESSION, /* session revoked */
	GW_DROP_EXPIRED_SESSION, /* session past its expiry */
	GW_DROP_REPLAY,		 /* sequence number seen before, or zero */
	GW_DROP_TOO_OLD,	 /* sequence number behind the window */
	GW_DROP_BAD_TAG,	 /* AEAD tag did not verify */
	GW_DROP_CRYPTO,		 /* crypto library refused the job */
	GW_DROP_TX_FULL,	 /* the NIC did not take the reply */
	GW_DROP_JOURNAL_ERROR, /* decided, but the journal could not keep it */
	GW_DROP_MAX
};

#define GW_CODES 100 /* response codes are two decimal digits */

struct gw_lcore_stats {
	uint64_t rx;	    /* frames received */
	uint64_t tx;	    /* frames sent: replies and responses */
	uint64_t requests;  /* protocol requests authenticated */
	uint64_t responses; /* protocol responses built */
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t codes[GW_CODES];
	uint64_t drops[GW_DROP_MAX];
} __rte_cache_aligned;

/* What the main lcore publishes besides the per-lcore blocks. */
struct gw_stats_main {
	uint64_t sessions;
	uint64_t shipped;      /* journal records added to Redis streams */
	uint64_t ship_backlog; /* journal records not yet shipped */
	uint64_t ledger_entries;
	uint64_t duplicates; /* repeats answered from the ledger's cache */
	uint64_t conflicts;  /* reused transaction ids answered 94 */
	uint64_t ledger_full;
};

/* The sum over all lcores, and the main lcore's figures. */
struct gw_stats_sum {
	struct gw_lcore_stats t;
	uint64_t sessions;
	struct gw_stats_main m;
};

/* Name of a drop reason as it appears in JSON. */
const char *gw_stats_drop_name(enum gw_drop d);

/* The block of @lcore_id; its lcore is the only writer. */
struct gw_lcore_stats *gw_stats_lcore(unsigned lcore_id);

/*
 * Adds to a counter of the calling lcore's own block.  A relaxed atomic
 * store, so that readers on other threads never see a torn value while the
 * single writer pays no locked instruction.
 */
static inline void gw_stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* Published by the main lcore for the readers of the sums. */
void gw_stats_set_sessions(uint64_t n);
/* Publishes every field of @m but sessions, which has its own setter. */
void gw_stats_set_main(const struct gw_stats_main *m);

void gw_stats_sum(struct gw_stats_sum *out);

/* Rewrites @path atomically (temporary file and rename).  0 or -errno. */
int gw_stats_write(const char *path, const struct gw_stats_sum *s);

/* Registers the "/gw/stats" telemetry command.  0 or -errno. */
int gw_stats_telemetry_register(void);

#endif
