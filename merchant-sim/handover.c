/*
 * Sessions changing hands on the merchant's side of link 2: a rekey's
 * replacement taking over new requests while the old session finishes its
 * own, the old one closed once drained, and a revoked session abandoned.
 * Deciding when is signals.c's; the SESSION itself is sigwork.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "signals.h"

/*
 * The data plane learns of a new session by polling Redis; until it has,
 * requests on it would be dropped and retransmitted.  A replacement takes
 * over only after this long, and the old session carries on meanwhile.
 */
#define REKEY_SETTLE_NS (200 * 1000000ull)

static void unwatch(struct sim_signals *s, struct sim_merchant *m)
{
	if (m->fd < 0)
		return;
	if (s->t)
		(void)epoll_ctl(s->t->epfd, EPOLL_CTL_DEL, m->fd, NULL);
	close(m->fd);
	m->fd = -1;
}

void sim_signals_revoke(struct sim_signals *s, unsigned e)
{
	struct sim_merchant *m = &s->m[e];
	uint64_t lost = 0;
	unsigned k;

	if (s->ent[e].revoked_seen)
		return;
	s->ent[e].revoked_seen = 1;
	if (m->state == SIM_SESS_FREE)
		return;
	if (m->state == SIM_SESS_DRAINING)
		s->draining--;
	m->state = SIM_SESS_REVOKED;
	s->st.revoked++;
	for (k = 0; m->nout && k < m->nslot; k++) {
		if (!m->slot[k].used)
			continue;
		/* Whether the gateway debited is unknown, so this card's
		 * model cannot be trusted again, as after a timeout. */
		if (m->slot[k].card)
			m->slot[k].card->lost = 1;
		sim_session_slot_put(m, &m->slot[k]);
		lost++;
	}
	if (s->run)
		s->run->lost_after_revocation += lost;
	unwatch(s, m);
	fprintf(s->out,
		"merchant %s: session %" PRIu32 " revoked, %" PRIu64
		" requests abandoned\n",
		m->id, m->sid, lost);
	fflush(s->out);
}

static void watch(struct sim_signals *s, unsigned e)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = e};

	if (s->t)
		(void)epoll_ctl(s->t->epfd, EPOLL_CTL_ADD, s->m[e].fd, &ev);
}

void sim_signals_rekeyed(struct sim_signals *s, unsigned old, unsigned repl,
			 int rc, uint64_t now)
{
	struct sim_merchant *n = &s->m[repl];

	s->ent[old].rekeying = 0;
	/* A fresh session: sequence numbers and the answers' window start
	 * over under its own keys. */
	n->seq = 0;
	n->have_answered = 0;
	gw_replay_init(&n->g2m);
	if (rc == 0 && s->t)
		rc = sim_session_connect(n);
	if (rc < 0) {
		s->st.rekey_failed++;
		s->ent[repl].reserved = 0;
		OPENSSL_cleanse(&n->keys, sizeof(n->keys));
		OPENSSL_cleanse(n->sigkey, sizeof(n->sigkey));
		return;
	}
	watch(s, repl);
	s->ent[repl].live = 1;
	s->ent[repl].last_seq = 0;
	s->ent[repl].merchant = s->ent[old].merchant;
	s->ent[old].next = repl + 1;
	s->ent[old].activate_ns = now + REKEY_SETTLE_NS;
	s->pending++;
}

static void take_over(struct sim_signals *s, unsigned e)
{
	unsigned j = s->ent[e].next - 1;

	s->ent[e].next = 0;
	s->pending--;
	s->ent[j].reserved = 0;
	s->m[j].state = SIM_SESS_ACTIVE;
	s->st.rekeyed++;
	if (s->m[e].state == SIM_SESS_ACTIVE) {
		s->m[e].state = SIM_SESS_DRAINING;
		s->draining++;
	}
	fprintf(s->out,
		"merchant %s: session %" PRIu32 " rekeyed to session %" PRIu32
		"\n",
		s->m[j].id, s->m[e].sid, s->m[j].sid);
	fflush(s->out);
}

/* A drained session: its data-plane state goes, its signal key stays
 * among the retired ones, since the gateway still signals it. */
static void retire(struct sim_signals *s, unsigned e)
{
	struct sim_merchant *m = &s->m[e];
	struct sim_sigm *mm = &s->mer[s->ent[e].merchant];
	struct sim_sig_retired *r =
	    &mm->retired[mm->nretired++ % SIM_SIG_RETIRED_MAX];

	r->sid = m->sid;
	r->last_seq = s->ent[e].last_seq;
	memcpy(r->key, m->sigkey, sizeof(r->key));
	unwatch(s, m);
	OPENSSL_cleanse(&m->keys, sizeof(m->keys));
	OPENSSL_cleanse(m->sigkey, sizeof(m->sigkey));
	s->ent[e].live = 0;
	s->ent[e].revoked_seen = 0;
	m->state = SIM_SESS_FREE;
	s->draining--;
	fprintf(s->out, "merchant %s: session %" PRIu32 " closed\n", m->id,
		m->sid);
	fflush(s->out);
}

void sim_signals_tick(struct sim_signals *s, uint64_t now)
{
	unsigned e;

	for (e = 0; s->pending && e < s->nent; e++)
		if (s->ent[e].next && now >= s->ent[e].activate_ns)
			take_over(s, e);
	for (e = 0; s->draining && e < s->nent; e++)
		if (s->m[e].state == SIM_SESS_DRAINING && s->m[e].nout == 0)
			retire(s, e);
}
