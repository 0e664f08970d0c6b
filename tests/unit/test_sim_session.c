/*
 * A session's sending side in DPDK mode: transmissions go through the
 * link in deadline order, and an echoing data plane's answers are matched
 * to the outstanding request byte for byte, each refusal under its own
 * drop reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../merchant-sim/check.h"
#include "../../merchant-sim/session.h"
#include "gw_kdf.h"
#include "gw_wire.h"

#define TMO 100

static struct {
	const struct sim_merchant *m;
	const struct sim_slot *s;
	uint8_t pkt[GW_WIRE_REQ_DGRAM];
} sent[8];
static unsigned nsent;

static void record(struct sim_link *l, struct sim_merchant *m,
		   const struct sim_slot *s)
{
	assert_true(nsent < 8);
	sent[nsent].m = m;
	sent[nsent].s = s;
	memcpy(sent[nsent].pkt, s->pkt, sizeof(s->pkt));
	nsent++;
}

static struct sim_link link = {.send = record};

static struct sim_merchant *merchants(unsigned n, unsigned inflight)
{
	static const uint8_t secret[GW_SECRET_LEN] = {1, 2, 3};
	struct sim_merchant *m = sim_merchants_new(n, inflight);
	unsigned i;

	assert_non_null(m);
	for (i = 0; i < n; i++) {
		m[i].sid = 40 + i;
		assert_int_equal(gw_kdf_session(secret, m[i].sid, &m[i].keys),
				 0);
		m[i].link = &link;
	}
	link.head = link.tail = NULL;
	nsent = 0;
	return m;
}

/* The list from head to tail, checked against @want. */
static void order(struct sim_slot *const *want, unsigned n)
{
	const struct sim_slot *s = link.head;
	unsigned i;

	for (i = 0; i < n; i++, s = s->tq_next) {
		assert_ptr_equal(s, want[i]);
		assert_ptr_equal(s->tq_prev, i ? want[i - 1] : NULL);
	}
	assert_null(s);
	assert_ptr_equal(link.tail, n ? want[n - 1] : NULL);
}

static void transmissions_keep_deadline_order(void **state)
{
	struct sim_merchant *m = merchants(2, 3);
	struct sim_slot *a, *b, *c;
	struct gw_hdr h;

	a = sim_session_slot_get(&m[0]);
	b = sim_session_slot_get(&m[1]);
	c = sim_session_slot_get(&m[0]);
	assert_ptr_equal(a->owner, &m[0]);
	assert_ptr_equal(b->owner, &m[1]);
	sim_session_transmit(&m[0], a, 1000, TMO);
	sim_session_transmit(&m[1], b, 1010, TMO);
	sim_session_transmit(&m[0], c, 1020, TMO);
	order((struct sim_slot *[]){a, b, c}, 3);
	assert_int_equal(a->deadline_ns, 1100);
	assert_int_equal(c->last_seq, 2);
	assert_int_equal(b->last_seq, 1);

	/* A retransmission goes to the tail under a new sequence number,
	 * flagged as a repeat. */
	sim_session_transmit(&m[0], a, 1100, TMO);
	order((struct sim_slot *[]){b, c, a}, 3);
	assert_int_equal(a->deadline_ns, 1200);
	assert_int_equal(a->tries, 2);
	assert_int_equal(a->last_seq, 3);
	assert_int_equal(nsent, 4);
	assert_ptr_equal(sent[3].s, a);
	assert_ptr_equal(sent[3].m, &m[0]);
	gw_wire_hdr_decode(sent[3].pkt, &h);
	assert_int_equal(h.session_id, 40);
	assert_int_equal(h.seq, 3);
	assert_int_equal(h.flags, GW_FLAG_RETRANSMIT);
	gw_wire_hdr_decode(sent[1].pkt, &h);
	assert_int_equal(h.session_id, 41);
	assert_int_equal(h.flags, 0);

	/* Answered requests leave the list from anywhere in it. */
	sim_session_slot_put(&m[0], c);
	order((struct sim_slot *[]){b, a}, 2);
	sim_session_slot_put(&m[1], b);
	order((struct sim_slot *[]){a}, 1);
	sim_session_slot_put(&m[0], a);
	order(NULL, 0);
	assert_int_equal(m[0].nout, 0);
	assert_int_equal(m[1].nout, 0);
	/* A reused slot knows its session and is in no list. */
	a = sim_session_slot_get(&m[0]);
	assert_ptr_equal(a->owner, &m[0]);
	assert_null(a->tq_next);
	sim_merchants_free(m, 2);
}

static void echoes_are_matched_byte_for_byte(void **state)
{
	struct sim_merchant *m = merchants(1, 2);
	uint8_t first[GW_WIRE_REQ_DGRAM], pkt[GW_WIRE_REQ_DGRAM];
	struct sim_check c;
	struct sim_stats st;
	struct sim_slot *s;

	sim_stats_init(&st);
	sim_check_init(&c, GW_REFERRAL_DEFAULT, &st);
	s = sim_session_slot_get(m);
	s->req.txn_id = 77;
	s->first_ns = 1000;
	sim_session_transmit(m, s, 1000, TMO);
	memcpy(first, s->pkt, sizeof(first));

	assert_int_equal(sim_check_echo(&c, m, first, sizeof(first) - 1, 2000),
			 0);
	assert_int_equal(st.drops[SIM_DROP_MALFORMED], 1);
	memcpy(pkt, first, sizeof(pkt));
	pkt[7] ^= 1; /* session id */
	assert_int_equal(sim_check_echo(&c, m, pkt, sizeof(pkt), 2000), 0);
	assert_int_equal(st.drops[SIM_DROP_SESSION], 1);
	memcpy(pkt, first, sizeof(pkt));
	pkt[sizeof(pkt) - 1] ^= 1; /* tag */
	assert_int_equal(sim_check_echo(&c, m, pkt, sizeof(pkt), 2000), 0);
	assert_int_equal(st.drops[SIM_DROP_AUTH], 1);

	/* After a retransmission only the latest transmission answers. */
	sim_session_transmit(m, s, 1100, TMO);
	assert_int_equal(sim_check_echo(&c, m, first, sizeof(first), 2000), 0);
	assert_int_equal(st.drops[SIM_DROP_LATE], 1);
	memcpy(pkt, s->pkt, sizeof(pkt));
	assert_int_equal(sim_check_echo(&c, m, pkt, sizeof(pkt), 8000), 1);
	assert_int_equal(st.responses, 1);
	assert_int_equal(st.latency_us.count, 1);
	assert_int_equal(st.latency_us.max, 7); /* (8000 - 1000) ns */
	assert_int_equal(m->nout, 0);
	assert_null(link.head);
	/* The same echo again answers nothing. */
	assert_int_equal(sim_check_echo(&c, m, pkt, sizeof(pkt), 9000), 0);
	assert_int_equal(st.drops[SIM_DROP_LATE], 2);
	assert_int_equal(st.responses, 1);
	assert_int_equal(st.verify_failures, 0);
	sim_merchants_free(m, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(transmissions_keep_deadline_order),
	    cmocka_unit_test(echoes_are_matched_byte_for_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
