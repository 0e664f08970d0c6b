/*
 * The worker loop.  One burst is received, classified packet by packet
 * (prefetching the next), handed to the protocol as a whole so that its
 * crypto runs over the burst, and what is left to send goes out in one
 * transmit call.  Every packet is either sent or freed before the next
 * burst.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "log.h"
#include "worker.h"

#define BURST GW_PROTO_BURST_MAX
/* Empty polls in a row before the worker starts sleeping between polls;
 * a few tens of microseconds of busy polling catch the next packet of a
 * burst that merely paused. */
#define IDLE_POLLS  256
#define GW_NS_PER_S 1000000000ull

static volatile int stopping;

void gw_worker_stop(void)
{
	__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
}

/* The packets of one burst, sorted by what happens to them. */
struct sorted {
	struct rte_mbuf *tx[BURST];
	struct rte_mbuf *free[BURST];
	struct rte_mbuf *proto_m[BURST];
	struct gw_proto_pkt pp[BURST];
	struct gw_l2l3_udp u[BURST];
	unsigned ntx, nfree, nproto;
};

/*
 * The benchmark's baseline: a datagram for the protocol port goes straight
 * back with addresses and ports swapped and nothing else done, so that the
 * difference to the full path is the cost of the protocol itself.
 */
static void echo(struct gw_worker *w, struct rte_mbuf *m,
		 const struct gw_l2l3_udp *u, struct sorted *b)
{
	uint16_t len = gw_l2l3_udp_reply(
	    &w->addr, rte_pktmbuf_mtod(m, uint8_t *), u, u->payload_len);

	m->data_len = len;
	m->pkt_len = len;
	gw_stat_add(&w->proto.st->requests, 1);
	b->tx[b->ntx++] = m;
}

static void classify(struct gw_worker *w, struct rte_mbuf *m, struct sorted *b)
{
	struct gw_lcore_stats *st = w->proto.st;
	struct gw_l2l3_udp *u = &b->u[b->nproto];
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned reason = GW_DROP_NOT_IP;

	if (m->nb_segs != 1) {
		gw_stat_add(&st->drops[GW_DROP_MULTI_SEG], 1);
		b->free[b->nfree++] = m;
		return;
	}
	switch (gw_l2l3_classify(&w->addr, frame, m->data_len, u, &reason)) {
	case GW_L2L3_REPLY:
		b->tx[b->ntx++] = m;
		return;
	case GW_L2L3_PROTO:
		if (w->echo) {
			echo(w, m, u, b);
			return;
		}
		b->pp[b->nproto] = (struct gw_proto_pkt){
		    .dgram = frame + u->payload_off,
		    .len = u->payload_len,
		    .room = m->buf_len - m->data_off - u->payload_off,
		};
		b->proto_m[b->nproto++] = m;
		return;
	case GW_L2L3_DROP:
		break;
	}
	gw_stat_add(&st->drops[reason], 1);
	b->free[b->nfree++] = m;
}

static void respond(struct gw_worker *w, struct sorted *b)
{
	struct rte_mbuf *m;
	uint16_t len;
	unsigned k;

	gw_proto_burst(&w->proto, b->pp, b->nproto);
	for (k = 0; k < b->nproto; k++) {
		m = b->proto_m[k];
		if (b->pp[k].resp_len == 0) {
			b->free[b->nfree++] = m;
			continue;
		}
		len =
		    gw_l2l3_udp_reply(&w->addr, rte_pktmbuf_mtod(m, uint8_t *),
				      &b->u[k], b->pp[k].resp_len);
		m->data_len = len;
		m->pkt_len = len;
		b->tx[b->ntx++] = m;
	}
}

static void burst(struct gw_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct gw_lcore_stats *st = w->proto.st;
	struct sorted b;
	uint16_t i, sent;

	b.ntx = b.nfree = b.nproto = 0;
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		classify(w, pkts[i], &b);
	}
	if (b.nproto > 0)
		respond(w, &b);
	sent = rte_eth_tx_burst(w->port, w->queue, b.tx, b.ntx);
	if (sent < b.ntx) {
		gw_stat_add(&st->drops[GW_DROP_TX_FULL], b.ntx - sent);
		rte_pktmbuf_free_bulk(&b.tx[sent], b.ntx - sent);
	}
	if (b.nfree > 0)
		rte_pktmbuf_free_bulk(b.free, b.nfree);
	gw_stat_add(&st->rx, n);
	gw_stat_add(&st->tx, sent);
}

/* Nanoseconds of the time stamp counter, at no system call: the
 * protocol's monotonic clock. */
static uint64_t tsc_ns(uint64_t tsc)
{
	uint64_t hz = rte_get_tsc_hz();

	return tsc / hz * GW_NS_PER_S + tsc % hz * GW_NS_PER_S / hz;
}

/* The wall clock once per burst; the month for the expiry rule once a
 * second, as gw_decide_today formats a calendar date. */
static void clock_tick(struct gw_worker *w, uint64_t *next_tsc)
{
	uint64_t tsc = rte_rdtsc();
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	w->proto.now = (uint64_t)ts.tv_sec;
	w->proto.now_ns =
	    (uint64_t)ts.tv_sec * GW_NS_PER_S + (uint64_t)ts.tv_nsec;
	w->proto.mono_ns = tsc_ns(tsc);
	if (tsc < *next_tsc)
		return;
	w->proto.policy.today_yymm = gw_decide_today();
	*next_tsc = tsc + rte_get_tsc_hz();
}

int gw_worker_main(void *arg)
{
	struct gw_worker *w = arg;
	struct gw_lcore_stats *st = w->proto.st;
	struct rte_mbuf *pkts[BURST];
	uint64_t t0, next_tsc = 0;
	unsigned empty = 0;
	uint16_t n;

	w->proto.mgr = gw_aead_mgr();
	if (w->proto.mgr == NULL) {
		GW_LOG(ERR, "worker on lcore %u: no crypto manager", w->lcore);
		return -ENOMEM;
	}
	if (gw_sessions_reader_add(w->proto.sessions, w->lcore) != 0) {
		GW_LOG(ERR, "worker on lcore %u: cannot join session table",
		       w->lcore);
		return -EINVAL;
	}
	GW_LOG(INFO, "worker on lcore %u polls port %u queue %u", w->lcore,
	       w->port, w->queue);
	while (!__atomic_load_n(&stopping, __ATOMIC_RELAXED)) {
		t0 = rte_rdtsc();
		n = rte_eth_rx_burst(w->port, w->queue, pkts, BURST);
		if (n > 0) {
			empty = 0;
			clock_tick(w, &next_tsc);
			burst(w, pkts, n);
		} else {
			/* Syncing the journal is the journal thread's, even
			 * when this worker is idle: see journal_flush.h. */
			if (w->idle_sleep_us > 0 && ++empty >= IDLE_POLLS) {
				empty = IDLE_POLLS;
				rte_delay_us_sleep(w->idle_sleep_us);
			}
		}
		gw_sessions_reader_quiescent(w->proto.sessions, w->lcore);
		gw_stat_add(n > 0 ? &st->busy_cycles : &st->idle_cycles,
			    rte_rdtsc() - t0);
	}
	gw_sessions_reader_remove(w->proto.sessions, w->lcore);
	return 0;
}
