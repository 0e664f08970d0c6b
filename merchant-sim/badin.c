/*
 * Building the malformed datagrams: each one is a well-formed request
 * with exactly one thing wrong, so that the gateway's drop counter for
 * that reason, and only that one, moves.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "badin.h"
#include "gw_aead.h"

#define BAD_VERSION 2
#define BAD_TYPE    0x7f
#define BAD_SESSION 0xfffffff0u
#define BAD_MAX	    (GW_WIRE_REQ_DGRAM + 1)

struct bad_ctx {
	struct sim_traffic *t;
	struct sim_merchant *m;
	uint64_t seq; /* sequence number of the datagram built */
};

/*
 * A fresh request with @version, @type and @sid in its header, sealed
 * under the next sequence number.  A small amount on a card on file, so
 * that a gateway that wrongly accepts it answers rather than fails.
 */
static void sealed(struct bad_ctx *b, uint8_t version, uint8_t type,
		   uint32_t sid, uint8_t out[GW_WIRE_REQ_DGRAM])
{
	const struct sim_card *c = &b->t->cards->v[0];
	uint8_t body[GW_WIRE_REQ_LEN];
	struct gw_req r = {
	    .txn_id = sim_traffic_txn(b->t, b->m),
	    .amount = 1,
	    .currency = SIM_CURRENCY,
	    .expiry = c->line.expiry,
	    .pan_len = c->pan_len,
	};
	struct gw_hdr h = {
	    .version = version,
	    .type = type,
	    .session_id = sid,
	    .seq = ++b->m->seq,
	};

	memcpy(r.pan, c->pan, sizeof(r.pan));
	gw_wire_req_encode(body, &r);
	/* Should sealing refuse an odd header, a valid datagram with the
	 * header patched afterwards is dropped for the same reason, since
	 * the header is checked before the tag. */
	if (gw_aead_frame_seal(&b->m->keys.m2g, &h, body, sizeof(body), out) <
	    0) {
		h.version = GW_WIRE_VERSION;
		h.type = GW_MSG_AUTH;
		if (gw_aead_frame_seal(&b->m->keys.m2g, &h, body, sizeof(body),
				       out) < 0)
			memset(out, 0, GW_WIRE_REQ_DGRAM);
		out[0] = version;
		out[1] = type;
	}
	b->seq = h.seq;
	OPENSSL_cleanse(&r, sizeof(r));
	OPENSSL_cleanse(body, sizeof(body));
}

static size_t valid(struct bad_ctx *b, uint8_t *out)
{
	sealed(b, GW_WIRE_VERSION, GW_MSG_AUTH, b->m->sid, out);
	return GW_WIRE_REQ_DGRAM;
}

static size_t mk_truncated(struct bad_ctx *b, uint8_t *out)
{
	valid(b, out);
	return 10;
}

static size_t mk_too_long(struct bad_ctx *b, uint8_t *out)
{
	valid(b, out);
	out[GW_WIRE_REQ_DGRAM] = 0;
	return GW_WIRE_REQ_DGRAM + 1;
}

static size_t mk_bad_version(struct bad_ctx *b, uint8_t *out)
{
	sealed(b, BAD_VERSION, GW_MSG_AUTH, b->m->sid, out);
	return GW_WIRE_REQ_DGRAM;
}

static size_t mk_bad_type(struct bad_ctx *b, uint8_t *out)
{
	sealed(b, GW_WIRE_VERSION, BAD_TYPE, b->m->sid, out);
	return GW_WIRE_REQ_DGRAM;
}

static size_t mk_unknown_session(struct bad_ctx *b, uint8_t *out)
{
	sealed(b, GW_WIRE_VERSION, GW_MSG_AUTH, BAD_SESSION, out);
	return GW_WIRE_REQ_DGRAM;
}

static size_t mk_bad_tag(struct bad_ctx *b, uint8_t *out)
{
	valid(b, out);
	out[GW_WIRE_REQ_DGRAM - 1] ^= 0x01;
	return GW_WIRE_REQ_DGRAM;
}

/* The exact bytes of a request already answered: its sequence number is
 * in the gateway's window. */
static size_t mk_replay(struct bad_ctx *b, uint8_t *out)
{
	struct gw_hdr h;

	if (!b->m->have_answered)
		return 0;
	memcpy(out, b->m->answered, GW_WIRE_REQ_DGRAM);
	gw_wire_hdr_decode(out, &h);
	b->seq = h.seq;
	return GW_WIRE_REQ_DGRAM;
}

static const struct {
	const char *name;
	size_t (*make)(struct bad_ctx *b, uint8_t *out);
} kinds[] = {
    {"truncated", mk_truncated},
    {"too_long", mk_too_long},
    {"bad_version", mk_bad_version},
    {"bad_type", mk_bad_type},
    {"unknown_session", mk_unknown_session},
    {"bad_tag", mk_bad_tag},
    {"replay", mk_replay},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Which kind an answer belongs to: the gateway answers under the
 * request's sequence number. */
static const char *kind_of(const uint64_t *seqs, const uint8_t *pkt,
			   ssize_t len)
{
	struct gw_hdr h;
	size_t i;

	if (len < GW_WIRE_HDR_LEN)
		return "unknown";
	gw_wire_hdr_decode(pkt, &h);
	for (i = 0; i < NKINDS; i++)
		if (seqs[i] == h.seq)
			return kinds[i].name;
	return "unknown";
}

/* Counts every datagram arriving within the wait as an answer. */
static void await(struct sim_traffic *t, struct sim_merchant *m,
		  const uint64_t *seqs)
{
	uint8_t buf[256];
	struct pollfd p = {.fd = m->fd, .events = POLLIN};
	uint64_t end = sim_now_ns() + SIM_BADIN_WAIT_MS * 1000000ull, now;
	ssize_t n;

	while ((now = sim_now_ns()) < end) {
		if (poll(&p, 1, (int)((end - now) / 1000000) + 1) <= 0)
			continue;
		n = recv(m->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			continue;
		t->st->bad_answered++;
		fprintf(stderr,
			"merchant-sim: merchant %s session %" PRIu32
			": bad datagram answered (%s)\n",
			m->id, m->sid, kind_of(seqs, buf, n));
	}
}

int sim_badin_run(struct sim_traffic *t)
{
	struct bad_ctx b = {.t = t, .m = &t->m[0]};
	uint64_t seqs[NKINDS] = {0};
	uint8_t pkt[BAD_MAX];
	size_t i, len;

	/* Answers to earlier retransmissions may still be on their way;
	 * they must not count against the bad datagrams. */
	usleep(50000);
	sim_traffic_drain(t, b.m);
	for (i = 0; i < NKINDS; i++) {
		memset(pkt, 0, sizeof(pkt));
		b.seq = 0;
		len = kinds[i].make(&b, pkt);
		if (len == 0) {
			fprintf(
			    stderr,
			    "merchant-sim: no answered request to replay; %s not sent\n",
			    kinds[i].name);
			continue;
		}
		seqs[i] = b.seq;
		if (send(b.m->fd, pkt, len, 0) < 0)
			return -errno;
		t->st->bad_sent++;
	}
	await(t, b.m, seqs);
	return 0;
}
