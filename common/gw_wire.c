/*
 * Codecs of the UDP protocol's cleartext header and plaintext bodies, and
 * the length and type checks a datagram passes before any crypto runs.
 * Encryption is gw_aead.c's; card-number syntax is gw_card.c's.
 *
 * Request body offsets (48 bytes): txn_id 0, amount 8, orig_ref 16,
 * currency 24, expiry 26, pan_len 28, pan 29..47 (19 digits, zero-padded).
 * Response body offsets (40 bytes): txn_id 0, amount 8, gateway_ref 16,
 * balance 24, code 32..33, approval 34..39.
 */
#include <string.h>

#include "gw_wire.h"

enum {
	REQ_TXN = 0,
	REQ_AMOUNT = 8,
	REQ_ORIG = 16,
	REQ_CURRENCY = 24,
	REQ_EXPIRY = 26,
	REQ_PAN_LEN = 28,
	REQ_PAN = 29,
	RESP_TXN = 0,
	RESP_AMOUNT = 8,
	RESP_REF = 16,
	RESP_BALANCE = 24,
	RESP_CODE = 32,
	RESP_APPROVAL = 34,
	APPROVAL_LEN = 6,
};

_Static_assert(REQ_PAN + GW_WIRE_PAN_MAX == GW_WIRE_REQ_LEN,
	       "request body layout must fill GW_WIRE_REQ_LEN");
_Static_assert(RESP_APPROVAL + APPROVAL_LEN == GW_WIRE_RESP_LEN,
	       "response body layout must fill GW_WIRE_RESP_LEN");

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)get16(p) << 16) | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return ((uint64_t)get32(p) << 32) | get32(p + 4);
}

void gw_wire_hdr_encode(uint8_t out[GW_WIRE_HDR_LEN], const struct gw_hdr *h)
{
	out[0] = h->version;
	out[1] = h->type;
	put16(out + 2, h->flags);
	put32(out + 4, h->session_id);
	put64(out + 8, h->seq);
}

void gw_wire_hdr_decode(const uint8_t in[GW_WIRE_HDR_LEN], struct gw_hdr *h)
{
	h->version = in[0];
	h->type = in[1];
	h->flags = get16(in + 2);
	h->session_id = get32(in + 4);
	h->seq = get64(in + 8);
}

/*
 * Body length of each base message type; 0 marks a type that does not
 * exist.  Echo carries a request body too, of which only txn_id matters,
 * so that every request has the same size on the wire.
 */
static const uint16_t req_body_len[GW_MSG_RESPONSE] = {
    [GW_MSG_AUTH] = GW_WIRE_REQ_LEN,	[GW_MSG_CAPTURE] = GW_WIRE_REQ_LEN,
    [GW_MSG_REVERSE] = GW_WIRE_REQ_LEN, [GW_MSG_REFUND] = GW_WIRE_REQ_LEN,
    [GW_MSG_ECHO] = GW_WIRE_REQ_LEN,
};

static int check_len(size_t len, size_t body_len)
{
	size_t want = GW_WIRE_HDR_LEN + body_len + GW_WIRE_TAG_LEN;

	if (len < want)
		return GW_WIRE_TRUNCATED;
	if (len > want)
		return GW_WIRE_TOO_LONG;
	return GW_WIRE_OK;
}

/* Header checks common to both directions; the type is left to the
 * caller, which knows which side it is on. */
static int check_hdr(const uint8_t *pkt, size_t len, struct gw_hdr *h)
{
	if (pkt == NULL || len < GW_WIRE_HDR_LEN)
		return GW_WIRE_TRUNCATED;
	gw_wire_hdr_decode(pkt, h);
	if (h->version != GW_WIRE_VERSION)
		return GW_WIRE_BAD_VERSION;
	return GW_WIRE_OK;
}

int gw_wire_check_req(const uint8_t *pkt, size_t len, struct gw_hdr *h)
{
	int ret = check_hdr(pkt, len, h);

	if (ret != GW_WIRE_OK)
		return ret;
	if (h->type >= GW_MSG_RESPONSE || req_body_len[h->type] == 0)
		return GW_WIRE_BAD_TYPE;
	return check_len(len, GW_WIRE_REQ_LEN);
}

int gw_wire_check_resp(const uint8_t *pkt, size_t len, struct gw_hdr *h)
{
	int ret = check_hdr(pkt, len, h);
	uint8_t base;

	if (ret != GW_WIRE_OK)
		return ret;
	base = h->type & (uint8_t)~GW_MSG_RESPONSE;
	if (!(h->type & GW_MSG_RESPONSE) || req_body_len[base] == 0)
		return GW_WIRE_BAD_TYPE;
	return check_len(len, GW_WIRE_RESP_LEN);
}

void gw_wire_req_encode(uint8_t out[GW_WIRE_REQ_LEN], const struct gw_req *r)
{
	size_t n = r->pan_len < GW_WIRE_PAN_MAX ? r->pan_len : GW_WIRE_PAN_MAX;

	put64(out + REQ_TXN, r->txn_id);
	put64(out + REQ_AMOUNT, r->amount);
	put64(out + REQ_ORIG, r->orig_ref);
	put16(out + REQ_CURRENCY, r->currency);
	put16(out + REQ_EXPIRY, r->expiry);
	/* pan_len goes out as given, so that a test can send an invalid one;
	 * the copy never reads past the struct's array. */
	out[REQ_PAN_LEN] = r->pan_len;
	memset(out + REQ_PAN, 0, GW_WIRE_PAN_MAX);
	memcpy(out + REQ_PAN, r->pan, n);
}

int gw_wire_req_decode(const uint8_t in[GW_WIRE_REQ_LEN], struct gw_req *r)
{
	r->txn_id = get64(in + REQ_TXN);
	r->amount = get64(in + REQ_AMOUNT);
	r->orig_ref = get64(in + REQ_ORIG);
	r->currency = get16(in + REQ_CURRENCY);
	r->expiry = get16(in + REQ_EXPIRY);
	memset(r->pan, 0, sizeof(r->pan));

	/* The other fields stay decoded so that the data plane can still
	 * answer this transaction with code 14. */
	if (in[REQ_PAN_LEN] > GW_WIRE_PAN_MAX) {
		r->pan_len = 0;
		return GW_WIRE_BAD_FIELD;
	}
	r->pan_len = in[REQ_PAN_LEN];
	memcpy(r->pan, in + REQ_PAN, r->pan_len);
	return GW_WIRE_OK;
}

void gw_wire_code_str(uint8_t code, char out[3])
{
	/* A code above 99 cannot be written in two digits; it can only come
	 * from a bug, and "system malfunction" is the one answer that no
	 * merchant could mistake for an approval. */
	if (code > 99)
		code = GW_RC_SYSTEM;
	out[0] = (char)('0' + code / 10);
	out[1] = (char)('0' + code % 10);
	out[2] = '\0';
}

void gw_wire_resp_encode(uint8_t out[GW_WIRE_RESP_LEN], const struct gw_resp *r)
{
	char code[3];
	size_t n = strnlen(r->approval, APPROVAL_LEN);

	put64(out + RESP_TXN, r->txn_id);
	put64(out + RESP_AMOUNT, r->amount);
	put64(out + RESP_REF, r->gateway_ref);
	put64(out + RESP_BALANCE, r->balance);
	gw_wire_code_str(r->code, code);
	memcpy(out + RESP_CODE, code, 2);
	memset(out + RESP_APPROVAL, ' ', APPROVAL_LEN);
	memcpy(out + RESP_APPROVAL, r->approval, n);
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

int gw_wire_resp_decode(const uint8_t in[GW_WIRE_RESP_LEN], struct gw_resp *r)
{
	const uint8_t *c = in + RESP_CODE;
	int i;

	r->txn_id = get64(in + RESP_TXN);
	r->amount = get64(in + RESP_AMOUNT);
	r->gateway_ref = get64(in + RESP_REF);
	r->balance = get64(in + RESP_BALANCE);
	memset(r->approval, 0, sizeof(r->approval));
	r->code = GW_RC_SYSTEM;

	if (!is_digit(c[0]) || !is_digit(c[1]))
		return GW_WIRE_BAD_FIELD;
	/* The approval code ends up in merchants' logs and receipts, so
	 * only printable ASCII is taken from the wire. */
	for (i = 0; i < APPROVAL_LEN; i++)
		if (in[RESP_APPROVAL + i] < 0x20 ||
		    in[RESP_APPROVAL + i] > 0x7e)
			return GW_WIRE_BAD_FIELD;

	r->code = (uint8_t)((c[0] - '0') * 10 + (c[1] - '0'));
	memcpy(r->approval, in + RESP_APPROVAL, APPROVAL_LEN);
	return GW_WIRE_OK;
}
