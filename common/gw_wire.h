/*
 * Wire format of the UDP authorization protocol (link 1, data plane).
 * Owns the cleartext header, the plaintext body layouts and their codecs.
 * Encryption of the body is left to gw_aead.h; keys to gw_kdf.h.
 *
 * All integers are big-endian.  A datagram is:
 *
 *   header (16 bytes, authenticated as AEAD additional data)
 *   body   (AES-256-GCM ciphertext, length fixed by the type)
 *   tag    (16 bytes)
 */
#ifndef GW_WIRE_H
#define GW_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define GW_WIRE_VERSION	     1
#define GW_WIRE_HDR_LEN	     16
#define GW_WIRE_TAG_LEN	     16
#define GW_WIRE_PAN_MAX	     19
#define GW_WIRE_PAN_MIN	     12
#define GW_WIRE_DEFAULT_PORT 7878

/* Message types.  A response is its request's type with the high bit set. */
enum gw_msg_type {
	GW_MSG_AUTH = 0x01,
	GW_MSG_CAPTURE = 0x02,
	GW_MSG_REVERSE = 0x03,
	GW_MSG_REFUND = 0x04,
	GW_MSG_ECHO = 0x05,
	GW_MSG_RESPONSE = 0x80,
};

/* Request flags (header flags field). */
enum gw_msg_flags {
	GW_FLAG_PARTIAL_OK = 0x0001,  /* merchant accepts a partial approval */
	GW_FLAG_CAPTURE_NOW = 0x0002, /* authorize and capture in one step */
	GW_FLAG_RETRANSMIT = 0x0004,  /* informational: a repeat of a txn id */
};

/* Response codes with their ISO 8583 meanings, as two ASCII digits. */
enum gw_resp_code {
	GW_RC_APPROVED = 0,	   /* 00 approved */
	GW_RC_REFER = 1,	   /* 01 refer to card issuer */
	GW_RC_DECLINE = 5,	   /* 05 do not honour */
	GW_RC_PARTIAL = 10,	   /* 10 partial approval */
	GW_RC_INVALID_TXN = 12,	   /* 12 invalid transaction */
	GW_RC_INVALID_AMOUNT = 13, /* 13 invalid amount */
	GW_RC_INVALID_CARD = 14,   /* 14 invalid card number */
	GW_RC_NOT_FOUND = 25,	   /* 25 original not found */
	GW_RC_NO_FUNDS = 51,	   /* 51 insufficient funds */
	GW_RC_EXPIRED = 54,	   /* 54 expired card */
	GW_RC_NOT_PERMITTED = 57,  /* 57 not permitted to cardholder (lost) */
	GW_RC_LIMIT = 61,	   /* 61 exceeds amount limit */
	GW_RC_RESTRICTED = 62,	   /* 62 restricted card (blocked) */
	GW_RC_DUPLICATE = 94,	   /* 94 duplicate transmission */
	GW_RC_SYSTEM = 96,	   /* 96 system malfunction */
};

/* Cleartext header, decoded. */
struct gw_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t session_id;
	uint64_t seq;
};

/*
 * Request body (plaintext), 48 bytes on the wire:
 *   txn_id u64, amount u64 (minor units), orig_ref u64 (gateway reference
 *   of the original for capture/reverse/refund, else 0), currency u16
 *   (ISO 4217 numeric), expiry u16 (YYMM as a decimal number, 2812 =
 *   December 2028), pan_len u8, pan[19] ASCII digits zero-padded.
 */
#define GW_WIRE_REQ_LEN 48
struct gw_req {
	uint64_t txn_id;
	uint64_t amount;
	uint64_t orig_ref;
	uint16_t currency;
	uint16_t expiry;
	uint8_t pan_len;
	char pan[GW_WIRE_PAN_MAX + 1]; /* NUL-terminated after decode */
};

/*
 * Response body (plaintext), 40 bytes on the wire:
 *   txn_id u64, amount u64 (approved or applicable amount),
 *   gateway_ref u64, balance u64 (remaining amount the operation may
 *   still apply to; 0 where it does not apply), code[2] ASCII digits,
 *   approval[6] ASCII (spaces when not approved).
 */
#define GW_WIRE_RESP_LEN 40
struct gw_resp {
	uint64_t txn_id;
	uint64_t amount;
	uint64_t gateway_ref;
	uint64_t balance;
	uint8_t code;	  /* enum gw_resp_code */
	char approval[7]; /* NUL-terminated after decode */
};

/* Total datagram sizes. */
#define GW_WIRE_REQ_DGRAM (GW_WIRE_HDR_LEN + GW_WIRE_REQ_LEN + GW_WIRE_TAG_LEN)
#define GW_WIRE_RESP_DGRAM                                                     \
	(GW_WIRE_HDR_LEN + GW_WIRE_RESP_LEN + GW_WIRE_TAG_LEN)

/* Why a datagram was refused.  Each has a drop counter in the data plane. */
enum gw_wire_err {
	GW_WIRE_OK = 0,
	GW_WIRE_TRUNCATED = -1,
	GW_WIRE_TOO_LONG = -2,
	GW_WIRE_BAD_VERSION = -3,
	GW_WIRE_BAD_TYPE = -4,
	GW_WIRE_BAD_FIELD = -5,
};

void gw_wire_hdr_encode(uint8_t out[GW_WIRE_HDR_LEN], const struct gw_hdr *h);
void gw_wire_hdr_decode(const uint8_t in[GW_WIRE_HDR_LEN], struct gw_hdr *h);

/*
 * Checks a whole datagram of @len bytes against the header's version and
 * type and the length that type requires; fills @h.  Returns GW_WIRE_OK or
 * a negative enum gw_wire_err.  Requests only (the gateway's receive side);
 * gw_wire_check_resp is the merchant's.
 */
__attribute__((warn_unused_result)) int
gw_wire_check_req(const uint8_t *pkt, size_t len, struct gw_hdr *h);
__attribute__((warn_unused_result)) int
gw_wire_check_resp(const uint8_t *pkt, size_t len, struct gw_hdr *h);

void gw_wire_req_encode(uint8_t out[GW_WIRE_REQ_LEN], const struct gw_req *r);
/* Returns GW_WIRE_OK, or GW_WIRE_BAD_FIELD if pan_len exceeds 19 (the
 * data plane answers 14 then).  Digits and Luhn are gw_card.h's checks. */
__attribute__((warn_unused_result)) int
gw_wire_req_decode(const uint8_t in[GW_WIRE_REQ_LEN], struct gw_req *r);

void gw_wire_resp_encode(uint8_t out[GW_WIRE_RESP_LEN],
			 const struct gw_resp *r);
__attribute__((warn_unused_result)) int
gw_wire_resp_decode(const uint8_t in[GW_WIRE_RESP_LEN], struct gw_resp *r);

/* "00".."99" for a response code; @out must hold 3 bytes. */
void gw_wire_code_str(uint8_t code, char out[3]);

#endif
