/*
 * A simulated merchant's session: sealing and sending requests under
 * fresh sequence numbers, and the table of outstanding requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gw_aead.h"
#include "session.h"

/* Room for bursts of answers while the loop is busy sending. */
#define SIM_RCVBUF (1 << 20)

struct sim_merchant *sim_merchants_new(unsigned n, unsigned inflight)
{
	struct sim_merchant *m;
	unsigned i, k;

	/* The expanded AES keys inside must sit on 64-byte boundaries, and
	 * sizeof(*m) is a multiple of that alignment. */
	m = aligned_alloc(64, (size_t)n * sizeof(*m));
	if (!m)
		return NULL;
	memset(m, 0, (size_t)n * sizeof(*m));
	for (i = 0; i < n; i++) {
		m[i].index = i;
		m[i].fd = -1;
		m[i].nslot = inflight;
		gw_replay_init(&m[i].g2m);
		m[i].slot = calloc(inflight, sizeof(struct sim_slot));
		if (!m[i].slot) {
			sim_merchants_free(m, i);
			return NULL;
		}
		for (k = 0; k < inflight; k++)
			m[i].slot[k].owner = &m[i];
	}
	return m;
}

void sim_merchants_free(struct sim_merchant *m, unsigned n)
{
	unsigned i;

	if (!m)
		return;
	for (i = 0; i < n; i++) {
		if (m[i].fd >= 0)
			close(m[i].fd);
		if (m[i].slot)
			OPENSSL_cleanse(m[i].slot,
					m[i].nslot * sizeof(struct sim_slot));
		free(m[i].slot);
	}
	OPENSSL_cleanse(m, (size_t)n * sizeof(*m));
	free(m);
}

int sim_session_connect(struct sim_merchant *m)
{
	int fd, sz = SIM_RCVBUF, rc;

	fd = socket(m->dp.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	/* A smaller buffer only costs retransmissions; ignore a refusal. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (connect(fd, (const struct sockaddr *)&m->dp, m->dp_len) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	m->fd = fd;
	return 0;
}

uint64_t sim_session_seal(struct sim_merchant *m, uint8_t type, uint16_t flags,
			  uint32_t sid, const uint8_t body[GW_WIRE_REQ_LEN],
			  uint8_t out[GW_WIRE_REQ_DGRAM])
{
	struct gw_hdr h = {
	    .version = GW_WIRE_VERSION,
	    .type = type,
	    .flags = flags,
	    .session_id = sid,
	    .seq = ++m->seq,
	};

	/* Sealing fails only on invalid arguments, which these are not; a
	 * zeroed datagram would then be dropped and time out visibly. */
	if (gw_aead_frame_seal(&m->keys.m2g, &h, body, GW_WIRE_REQ_LEN, out) <
	    0)
		memset(out, 0, GW_WIRE_REQ_DGRAM);
	return h.seq;
}

static void tq_unlink(struct sim_link *l, struct sim_slot *s)
{
	if (s->tq_prev)
		s->tq_prev->tq_next = s->tq_next;
	else if (l->head == s)
		l->head = s->tq_next;
	else
		return; /* not linked */
	if (s->tq_next)
		s->tq_next->tq_prev = s->tq_prev;
	else
		l->tail = s->tq_prev;
	s->tq_prev = s->tq_next = NULL;
}

static void tq_append(struct sim_link *l, struct sim_slot *s)
{
	s->tq_next = NULL;
	s->tq_prev = l->tail;
	if (l->tail)
		l->tail->tq_next = s;
	else
		l->head = s;
	l->tail = s;
}

void sim_session_transmit(struct sim_merchant *m, struct sim_slot *s,
			  uint64_t now, uint64_t timeout_ns)
{
	uint8_t body[GW_WIRE_REQ_LEN];
	uint8_t type = s->reversing ? GW_MSG_REVERSE : GW_MSG_AUTH;
	/* Partial approval and capture-now mean nothing to a reversal. */
	uint16_t flags = s->reversing ? 0 : s->flags;

	if (s->tries > 0)
		flags |= GW_FLAG_RETRANSMIT;
	gw_wire_req_encode(body, &s->req);
	s->last_seq = sim_session_seal(m, type, flags, m->sid, body, s->pkt);
	OPENSSL_cleanse(body, sizeof(body));
	s->tries++;
	s->deadline_ns = now + timeout_ns;
	if (!m->link) {
		(void)send(m->fd, s->pkt, sizeof(s->pkt), 0);
		return;
	}
	tq_unlink(m->link, s);
	tq_append(m->link, s);
	m->link->send(m->link, m, s);
}

struct sim_slot *sim_session_slot_get(struct sim_merchant *m)
{
	unsigned i;

	if (m->nout == m->nslot)
		return NULL;
	for (i = 0; i < m->nslot; i++) {
		if (m->slot[i].used)
			continue;
		memset(&m->slot[i], 0, sizeof(m->slot[i]));
		m->slot[i].owner = m;
		m->slot[i].used = 1;
		m->nout++;
		return &m->slot[i];
	}
	return NULL;
}

void sim_session_slot_put(struct sim_merchant *m, struct sim_slot *s)
{
	if (m->link)
		tq_unlink(m->link, s);
	OPENSSL_cleanse(&s->req, sizeof(s->req));
	s->used = 0;
	m->nout--;
}

struct sim_slot *sim_session_find(struct sim_merchant *m, uint64_t txn_id)
{
	unsigned i;

	for (i = 0; i < m->nslot; i++)
		if (m->slot[i].used && m->slot[i].req.txn_id == txn_id)
			return &m->slot[i];
	return NULL;
}

uint64_t sim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
