/*
 * One simulated merchant's data-plane session: its keys, its UDP socket,
 * its sequence numbers, the anti-replay window over the gateway's answers
 * and its outstanding requests.  Opening the session over link 1 is
 * enroll.c's; what to send and when is traffic.c's.
 */
#ifndef SIM_SESSION_H
#define SIM_SESSION_H

#include <stdint.h>
#include <sys/socket.h>

#include "cards.h"
#include "gw_decide.h"
#include "gw_kdf.h"
#include "gw_replay.h"
#include "gw_sessrec.h"
#include "gw_signal.h"
#include "gw_wire.h"
#include "script.h"

struct sim_merchant;

/* An outstanding request. */
struct sim_slot {
	struct gw_req req;
	uint64_t first_ns;    /* first transmission, for the latency */
	uint64_t deadline_ns; /* when to retransmit or give up */
	uint64_t last_seq;    /* sequence number of the latest transmission */
	uint8_t pkt[GW_WIRE_REQ_DGRAM]; /* the latest transmission */
	struct sim_card *card;		/* NULL: not on file (scripts only) */
	const struct sim_script_line *script; /* NULL: random traffic */
	uint16_t flags;
	uint8_t
	    tries; /* transmissions so far, of the reversal once reversing */
	uint8_t used;
	/* Timeout reversal (reversal.h): the request went unanswered and
	 * a reversal of it is now sent instead, under the same txn id. */
	uint8_t reversing;
	uint8_t orig_tries;	 /* transmissions of the original */
	uint8_t late_seen;	 /* the original's answer came after all */
	struct gw_resp late;	 /* that answer */
	struct gw_decision want; /* the model's decision for the original */
	/* Position in the link's deadline list (DPDK mode only). */
	struct sim_slot *tq_prev;
	struct sim_slot *tq_next;
	struct sim_merchant *owner;
};

/*
 * Where a session's datagrams go when it has no kernel socket: the DPDK
 * port.  The link also keeps every outstanding request in one list in
 * deadline order; the timeout is the same for all, so a transmission
 * goes to the tail and the head is always the next to expire, which
 * spares scanning every slot of every session.
 */
struct sim_link {
	/* Sends @s->pkt for @m; the datagram is copied before it returns. */
	void (*send)(struct sim_link *l, struct sim_merchant *m,
		     const struct sim_slot *s);
	struct sim_slot *head; /* earliest deadline */
	struct sim_slot *tail;
};

struct sim_merchant {
	struct gw_session_keys
	    keys; /* 64-byte aligned: see sim_merchants_new */
	struct gw_replay g2m;
	char id[GW_MERCHANT_ID_MAX + 1];
	unsigned index;
	uint32_t sid;
	int fd;		       /* -1 when @link carries the datagrams */
	struct sim_link *link; /* NULL: the kernel socket */
	uint16_t udp_port;     /* source port on the link, in host order */
	struct sockaddr_storage dp;
	socklen_t dp_len;
	uint64_t seq;	  /* last sequence number sent; 0: none yet */
	uint64_t txn_ctr; /* transaction ids issued */
	struct sim_slot *slot;
	unsigned nslot;
	unsigned nout; /* slots in use */
	/* A request the gateway answered, byte for byte, for the replay
	 * test. */
	uint8_t answered[GW_WIRE_REQ_DGRAM];
	int have_answered;
	/* Link 2 (signals.h): what SESSION names (empty: "-" and
	 * SIM_SESSION_VERSION), the session's signal key, and whether the
	 * entry takes new requests (enum sim_sess_state). */
	uint8_t state;
	char sigaddr[64];
	char version[40];
	uint8_t sigkey[GW_SIGNAL_KEY_LEN];
};

/* What a merchant entry is doing; zero, the default, is a live session. */
enum sim_sess_state {
	SIM_SESS_ACTIVE = 0, /* takes new requests */
	SIM_SESS_DRAINING,   /* replaced by a rekey: only finishes its own */
	SIM_SESS_REVOKED,    /* revoked by the gateway: sends nothing more */
	SIM_SESS_FREE,	     /* no session: a spare for the next rekey */
};

/* The software version SESSION reports when the entry names none. */
#define SIM_SESSION_VERSION "1.0.0"

/* @n merchants with @inflight slots each, sockets closed.  NULL on
 * allocation failure. */
struct sim_merchant *sim_merchants_new(unsigned n, unsigned inflight);
/* Wipes the keys and closes the sockets. */
void sim_merchants_free(struct sim_merchant *m, unsigned n);

/* Opens m->fd, a non-blocking UDP socket connected to m->dp.  0 or a
 * negative errno. */
int sim_session_connect(struct sim_merchant *m);

/*
 * Seals a datagram of @type and @flags under the next sequence number of
 * @m into @out (GW_WIRE_REQ_DGRAM bytes), with @sid in the header.
 * Returns the sequence number used.  The caller owns @body.
 */
uint64_t sim_session_seal(struct sim_merchant *m, uint8_t type, uint16_t flags,
			  uint32_t sid, const uint8_t body[GW_WIRE_REQ_LEN],
			  uint8_t out[GW_WIRE_REQ_DGRAM]);

/*
 * (Re)transmits @s under a new sequence number and sets its deadline
 * @timeout_ns from @now, through m->link when set, else m->fd: an
 * authorization, or its reversal once @s->reversing is set.  A send error
 * is left to the retransmission timer: UDP may lose the datagram anyway.
 */
void sim_session_transmit(struct sim_merchant *m, struct sim_slot *s,
			  uint64_t now, uint64_t timeout_ns);

/* A free slot, or NULL when @inflight requests are outstanding. */
struct sim_slot *sim_session_slot_get(struct sim_merchant *m);
void sim_session_slot_put(struct sim_merchant *m, struct sim_slot *s);
/* The outstanding request with @txn_id, or NULL. */
struct sim_slot *sim_session_find(struct sim_merchant *m, uint64_t txn_id);

/* Monotonic clock in nanoseconds. */
uint64_t sim_now_ns(void);

#endif
