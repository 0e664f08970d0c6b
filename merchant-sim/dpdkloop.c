/*
 * The busy-polling loop of DPDK mode.  Each turn: the feeder's requests
 * (sealed one by one and queued in bursts), one receive burst checked by
 * check.c, then the expired deadlines from the head of the link's list.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dpdkloop.h"
#include "gw_wire.h"

#define SPORT_BASE 1024

/* The clock for traffic.c: TSC ticks since attach, in nanoseconds. */
static uint64_t tsc0;
static double ns_per_tick;

static uint64_t tsc_ns(void)
{
	return (uint64_t)((double)(rte_rdtsc() - tsc0) * ns_per_tick);
}

uint16_t sim_dloop_sport(unsigned index)
{
	return (uint16_t)(SPORT_BASE + index % (65536u - SPORT_BASE));
}

static void answer(struct sim_traffic *t, struct sim_dloop *d,
		   struct rte_mbuf *mb, uint64_t now)
{
	const uint8_t *frame = rte_pktmbuf_mtod(mb, const uint8_t *);
	struct sim_frame_info fi;
	struct gw_hdr h;
	int64_t idx;

	if (mb->nb_segs != 1 ||
	    sim_frame_parse(&d->port->addr, frame, mb->data_len, &fi) !=
		SIM_FRAME_UDP) {
		(void)sim_port_other(d->port, mb, &fi);
		return;
	}
	if (fi.payload_len < GW_WIRE_HDR_LEN) {
		t->st->drops[SIM_DROP_MALFORMED]++;
	} else {
		gw_wire_hdr_decode(frame + fi.payload_off, &h);
		idx = sim_sessmap_get(d->map, h.session_id);
		if (idx < 0)
			t->st->drops[SIM_DROP_SESSION]++;
		else
			sim_traffic_answer(t, &t->m[idx],
					   frame + fi.payload_off,
					   fi.payload_len, now);
	}
	rte_pktmbuf_free(mb);
}

static void receive(struct sim_traffic *t, struct sim_dloop *d)
{
	struct rte_mbuf *rx[SIM_PORT_BURST];
	uint16_t n, i;
	uint64_t now;

	n = sim_port_rx(d->port, rx, SIM_PORT_BURST);
	if (n == 0)
		return;
	now = tsc_ns();
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void *));
		answer(t, d, rx[i], now);
	}
}

/* Deadlines are in transmission order, so only the head needs looking
 * at; a retransmission moves its slot to the tail. */
static void expire(struct sim_traffic *t, struct sim_dloop *d, uint64_t now)
{
	struct sim_slot *s;

	while ((s = d->port->link.head) && s->deadline_ns <= now)
		sim_traffic_expire_slot(t, s->owner, s, now);
}

static int run(struct sim_traffic *t, sim_feed_fn feed)
{
	struct sim_dloop *d = t->loop_ctx;
	uint64_t now;
	int more = 1;

	t->start_ns = tsc_ns();
	t->last_scan_ns = t->start_ns;
	for (;;) {
		now = tsc_ns();
		if (more)
			more = feed(t, now);
		sim_port_flush(d->port);
		receive(t, d);
		expire(t, d, tsc_ns());
		sim_port_flush(d->port);
		if (!more && sim_traffic_outstanding(t) == 0)
			break;
	}
	t->st->seconds += (double)(tsc_ns() - t->start_ns) / 1e9;
	return 0;
}

/* The data plane the sessions name, which must be one IPv4 address. */
static int gateway(const struct sim_traffic *t, uint32_t *ip, uint16_t *port,
		   char *err, size_t errlen)
{
	const struct sockaddr_in *a, *first;
	unsigned i;

	first = (const struct sockaddr_in *)&t->m[0].dp;
	for (i = 0; i < t->nm; i++) {
		a = (const struct sockaddr_in *)&t->m[i].dp;
		if (a->sin_family != AF_INET) {
			snprintf(
			    err, errlen,
			    "session %u: DPDK mode needs an IPv4 data plane",
			    t->m[i].sid);
			return -EAFNOSUPPORT;
		}
		if (a->sin_addr.s_addr != first->sin_addr.s_addr ||
		    a->sin_port != first->sin_port) {
			snprintf(
			    err, errlen,
			    "session %u names another data plane than session %u",
			    t->m[i].sid, t->m[0].sid);
			return -EINVAL;
		}
	}
	*ip = first->sin_addr.s_addr;
	*port = ntohs(first->sin_port);
	return 0;
}

int sim_dloop_attach(struct sim_dloop *d, struct sim_traffic *t,
		     struct sim_port *p, char *err, size_t errlen)
{
	uint32_t ip;
	uint16_t port;
	unsigned i;
	int rc;

	memset(d, 0, sizeof(*d));
	d->port = p;
	rc = t->nm ? gateway(t, &ip, &port, err, errlen) : -EINVAL;
	if (rc < 0)
		return rc;
	d->map = sim_sessmap_new(t->nm);
	if (!d->map) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < t->nm; i++) {
		rc = sim_sessmap_put(d->map, t->m[i].sid, i);
		if (rc < 0) {
			snprintf(err, errlen, "session %u: %s", t->m[i].sid,
				 rc == -EEXIST ? "opened twice"
					       : "cannot be mapped");
			return rc;
		}
		t->m[i].link = &p->link;
		t->m[i].udp_port = sim_dloop_sport(i);
	}
	rc = sim_port_resolve(p, ip, port, err, errlen);
	if (rc < 0)
		return rc;
	tsc0 = rte_rdtsc();
	ns_per_tick = 1e9 / (double)rte_get_tsc_hz();
	t->run = run;
	t->now = tsc_ns;
	t->loop_ctx = d;
	return 0;
}

void sim_dloop_fini(struct sim_dloop *d)
{
	sim_sessmap_free(d->map);
	d->map = NULL;
}
