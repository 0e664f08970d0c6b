/*
 * One request through the kernel baseline: wire checks, session, window,
 * EVP open, decision, EVP seal.  The order of the checks and the answers
 * follow dataplane/proto.c, so that the two differ in their I/O and their
 * crypto interface, not in the work they do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gw_wire.h"
#include "kproto.h"

#define APPROVAL_LEN 6

struct gw_kproto {
	struct gw_kstore *sessions;
	const struct gw_card_tokenizer *tk;
	const struct gw_credit_table *credit;
	struct gw_policy policy;
	uint64_t next_ref;
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *aes;
	uint64_t now;
	struct gw_kstats st;
};

typedef void (*handler_fn)(struct gw_kproto *c, const struct gw_hdr *h,
			   const uint8_t *plain, struct gw_resp *out);

struct gw_kproto *gw_kproto_new(struct gw_kstore *sessions,
				const struct gw_card_tokenizer *tk,
				const struct gw_credit_table *credit,
				uint64_t referral_amount)
{
	struct gw_kproto *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->sessions = sessions;
	c->tk = tk;
	c->credit = credit;
	c->policy.referral_amount = referral_amount;
	c->policy.today_yymm = gw_decide_today();
	c->ctx = EVP_CIPHER_CTX_new();
	c->aes = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (c->ctx == NULL || c->aes == NULL) {
		gw_kproto_free(c);
		return NULL;
	}
	c->next_ref = (uint64_t)time(NULL) << 32;
	return c;
}

void gw_kproto_free(struct gw_kproto *c)
{
	if (c == NULL)
		return;
	EVP_CIPHER_CTX_free(c->ctx);
	EVP_CIPHER_free(c->aes);
	free(c);
}

void gw_kproto_clock(struct gw_kproto *c, uint64_t now, uint16_t yymm)
{
	c->now = now;
	c->policy.today_yymm = yymm;
}

const struct gw_kstats *gw_kproto_stats(const struct gw_kproto *c)
{
	return &c->st;
}

static size_t drop(struct gw_kproto *c, enum gw_kdrop why)
{
	c->st.drops[why]++;
	return 0;
}

static void nonce(const struct gw_kdir *d, uint64_t seq,
		  uint8_t iv[GW_AEAD_IV_LEN])
{
	int i;

	memcpy(iv, d->salt, GW_AEAD_SALT_LEN);
	for (i = 0; i < 8; i++)
		iv[GW_AEAD_SALT_LEN + i] = (uint8_t)(seq >> (56 - 8 * i));
}

/* AES-256-GCM open of @len bytes at @ct; 0 or -EBADMSG. */
static int evp_open(struct gw_kproto *c, const struct gw_kdir *d, uint64_t seq,
		    const uint8_t *aad, const uint8_t *ct, size_t len,
		    const uint8_t *tag, uint8_t *plain)
{
	uint8_t iv[GW_AEAD_IV_LEN], t[GW_WIRE_TAG_LEN];
	int n, fin;

	nonce(d, seq, iv);
	memcpy(t, tag, sizeof(t));
	if (!EVP_DecryptInit_ex2(c->ctx, c->aes, d->key, iv, NULL) ||
	    !EVP_DecryptUpdate(c->ctx, NULL, &n, aad, GW_WIRE_HDR_LEN) ||
	    !EVP_DecryptUpdate(c->ctx, plain, &n, ct, (int)len) ||
	    !EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, sizeof(t), t))
		return -EIO;
	fin = EVP_DecryptFinal_ex(c->ctx, plain + n, &n);
	return fin > 0 ? 0 : -EBADMSG;
}

static int evp_seal(struct gw_kproto *c, const struct gw_kdir *d, uint64_t seq,
		    const uint8_t *aad, const uint8_t *plain, size_t len,
		    uint8_t *ct, uint8_t *tag)
{
	uint8_t iv[GW_AEAD_IV_LEN];
	int n;

	nonce(d, seq, iv);
	if (!EVP_EncryptInit_ex2(c->ctx, c->aes, d->key, iv, NULL) ||
	    !EVP_EncryptUpdate(c->ctx, NULL, &n, aad, GW_WIRE_HDR_LEN) ||
	    !EVP_EncryptUpdate(c->ctx, ct, &n, plain, (int)len) ||
	    !EVP_EncryptFinal_ex(c->ctx, ct + n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_GET_TAG, GW_WIRE_TAG_LEN,
				 tag))
		return -EIO;
	return 0;
}

static void auth(struct gw_kproto *c, const struct gw_hdr *h,
		 const uint8_t *plain, struct gw_resp *out)
{
	uint8_t tok[GW_CARD_TOKEN_LEN];
	struct gw_credit_line *line = NULL;
	struct gw_decision d = {0};
	struct gw_req r;
	int pan_ok;

	if (gw_wire_req_decode(plain, &r) != GW_WIRE_OK) {
		out->code = GW_RC_INVALID_CARD;
		goto out;
	}
	pan_ok = gw_card_pan_check(r.pan, r.pan_len);
	if (pan_ok == 0) {
		if (gw_card_token(c->tk, r.pan, r.pan_len, tok) != 0) {
			out->code = GW_RC_SYSTEM;
			goto out;
		}
		line = gw_credit_find(c->credit, tok);
	}
	gw_decide_apply(&c->policy, &r, h->flags, pan_ok, line, &d);
	out->code = d.code;
	out->amount = d.amount;
out:
	OPENSSL_cleanse(&r, sizeof(r));
	OPENSSL_cleanse(tok, sizeof(tok));
}

/* Captures, reversals and refunds need the journal's original, which the
 * baseline does not keep: 25, as the data plane answers without one. */
static void no_original(struct gw_kproto *c, const struct gw_hdr *h,
			const uint8_t *plain, struct gw_resp *out)
{
	out->code = GW_RC_NOT_FOUND;
}

static void echo(struct gw_kproto *c, const struct gw_hdr *h,
		 const uint8_t *plain, struct gw_resp *out)
{
	out->code = GW_RC_APPROVED;
}

static const handler_fn handlers[] = {
    [GW_MSG_AUTH] = auth,	    [GW_MSG_CAPTURE] = no_original,
    [GW_MSG_REVERSE] = no_original, [GW_MSG_REFUND] = no_original,
    [GW_MSG_ECHO] = echo,
};

/*
 * Six alphanumerics from a reference.  The baseline keeps no journal, so
 * its references (start second, then a counter) only have to be unique
 * within a run; the code is mixed so that it does not look sequential.
 */
static void approval(uint64_t ref, char out[APPROVAL_LEN])
{
	static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint64_t x = ref * 0x9e3779b97f4a7c15ull;
	unsigned i;

	x ^= x >> 29;
	for (i = 0; i < APPROVAL_LEN; i++) {
		out[i] = alphabet[x % 36];
		x /= 36;
	}
}

static uint64_t be64_at(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Decides and writes the sealed response over @pkt. */
static size_t answer(struct gw_kproto *c, struct gw_ksession *s,
		     const struct gw_hdr *h, const uint8_t *plain,
		     size_t body_len, uint8_t *pkt)
{
	uint8_t body[GW_WIRE_RESP_LEN];
	struct gw_resp resp = {0};
	struct gw_hdr rh = *h;
	size_t ret = 0;

	if (body_len >= sizeof(uint64_t))
		resp.txn_id = be64_at(plain);
	resp.code = GW_RC_SYSTEM;
	if (h->type < sizeof(handlers) / sizeof(handlers[0]) &&
	    handlers[h->type] != NULL &&
	    (h->type == GW_MSG_ECHO || body_len == GW_WIRE_REQ_LEN))
		handlers[h->type](c, h, plain, &resp);
	resp.gateway_ref = c->next_ref++;
	memset(resp.approval, ' ', APPROVAL_LEN);
	if (resp.code == GW_RC_APPROVED || resp.code == GW_RC_PARTIAL)
		approval(resp.gateway_ref, resp.approval);
	resp.approval[APPROVAL_LEN] = '\0';
	gw_wire_resp_encode(body, &resp);
	rh.type = h->type | GW_MSG_RESPONSE;
	gw_wire_hdr_encode(pkt, &rh);
	if (evp_seal(c, &s->g2m, rh.seq, pkt, body, sizeof(body),
		     pkt + GW_WIRE_HDR_LEN,
		     pkt + GW_WIRE_HDR_LEN + GW_WIRE_RESP_LEN) != 0) {
		drop(c, GW_KDROP_CRYPTO);
		goto out;
	}
	c->st.responses++;
	ret = GW_WIRE_RESP_DGRAM;
out:
	OPENSSL_cleanse(body, sizeof(body));
	return ret;
}

/* Everything that can be refused before spending crypto on it. */
static struct gw_ksession *admit(struct gw_kproto *c, const uint8_t *pkt,
				 size_t len, size_t room, struct gw_hdr *h)
{
	struct gw_ksession *s;

	if (gw_wire_check_req(pkt, len, h) != GW_WIRE_OK ||
	    len - GW_WIRE_HDR_LEN - GW_WIRE_TAG_LEN > GW_WIRE_REQ_LEN ||
	    room < GW_WIRE_RESP_DGRAM) {
		drop(c, GW_KDROP_WIRE);
		return NULL;
	}
	s = gw_kstore_lookup(c->sessions, h->session_id);
	if (s == NULL) {
		drop(c, GW_KDROP_UNKNOWN_SESSION);
		return NULL;
	}
	if (s->state != GW_SESS_ACTIVE) {
		drop(c, GW_KDROP_REVOKED_SESSION);
		return NULL;
	}
	if (c->now >= s->expires) {
		drop(c, GW_KDROP_EXPIRED_SESSION);
		return NULL;
	}
	if (gw_replay_check(&s->win, h->seq) != GW_REPLAY_OK) {
		drop(c, GW_KDROP_REPLAY);
		return NULL;
	}
	return s;
}

size_t gw_kproto_handle(struct gw_kproto *c, uint8_t *pkt, size_t len,
			size_t room)
{
	uint8_t plain[GW_WIRE_REQ_LEN];
	struct gw_ksession *s;
	struct gw_hdr h;
	size_t body_len, ret = 0;
	int rc;

	s = admit(c, pkt, len, room, &h);
	if (s == NULL)
		return 0;
	body_len = len - GW_WIRE_HDR_LEN - GW_WIRE_TAG_LEN;
	rc = evp_open(c, &s->m2g, h.seq, pkt, pkt + GW_WIRE_HDR_LEN, body_len,
		      pkt + GW_WIRE_HDR_LEN + body_len, plain);
	if (rc != 0) {
		drop(c, rc == -EBADMSG ? GW_KDROP_BAD_TAG : GW_KDROP_CRYPTO);
		goto out;
	}
	if (gw_replay_update(&s->win, h.seq) != GW_REPLAY_OK) {
		drop(c, GW_KDROP_REPLAY);
		goto out;
	}
	c->st.requests++;
	ret = answer(c, s, &h, plain, body_len, pkt);
out:
	/* The plaintext holds a card number. */
	OPENSSL_cleanse(plain, sizeof(plain));
	return ret;
}
