/*
 * The journal record's byte layout (documented in journal.h), its CRC-32C
 * and the request digest.  Files, buffering and replay are journal.c's and
 * journal_read.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "gw_wire.h"
#include "journal.h"

#define MAGIC	    0x524a5747u /* "GWJR" read as a little-endian u32 */
#define CRC_FROM    12
#define PAN_HEAD    6
#define PAN_TAIL    4
#define CRC32C_POLY 0x82f63b78u /* reflected Castagnoli polynomial */

/* Field offsets; the table in journal.h is the reference. */
enum {
	O_MAGIC = 0,
	O_VERSION = 4,
	O_TYPE = 5,
	O_LENGTH = 6,
	O_CRC = 8,
	O_FLAGS = 12,
	O_WORKER = 14,
	O_CODE = 15,
	O_SEQ = 16,
	O_TIME = 24,
	O_SESSION = 32,
	O_DIGEST = 36,
	O_TXN = 40,
	O_REF = 48,
	O_ORIG = 56,
	O_MERCHANT = 64,
	O_TOKEN = 96,
	O_AMOUNT = 112,
	O_APPLIED = 120,
	O_BALANCE = 128,
	O_CURRENCY = 136,
	O_PANLEN = 138,
	O_HEAD = 139,
	O_TAIL = 145,
	O_APPROVAL = 149,
	O_ZERO = 155,
};

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static int crc_hw;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY : 0);
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] =
			    (crc_table[t - 1][i] >> 8) ^
			    crc_table[0][crc_table[t - 1][i] & 0xff];
#if defined(__x86_64__)
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

/* Slicing-by-8: eight table lookups per eight input bytes. */
static uint32_t crc_soft(uint32_t c, const uint8_t *p, size_t len)
{
	while (len >= 8) {
		uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);

		c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		    crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		    crc_table[3][p[4]] ^ crc_table[2][p[5]] ^
		    crc_table[1][p[6]] ^ crc_table[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
	return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_sse42(uint32_t c, const uint8_t *p, size_t len)
{
	uint64_t c64 = c;

	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c64 = _mm_crc32_u64(c64, v);
		p += 8;
		len -= 8;
	}
	c = (uint32_t)c64;
	while (len-- > 0)
		c = _mm_crc32_u8(c, *p++);
	return c;
}
#endif

uint32_t gw_journal_crc32c(uint32_t crc, const void *buf, size_t len)
{
	uint32_t c = ~crc;

	pthread_once(&crc_once, crc_init);
#if defined(__x86_64__)
	if (crc_hw)
		return ~crc_sse42(c, buf, len);
#endif
	return ~crc_soft(c, buf, len);
}

/* Every byte of the record but the checksum itself. */
static uint32_t rec_crc(const uint8_t *rec)
{
	uint32_t c = gw_journal_crc32c(0, rec, O_CRC);

	return gw_journal_crc32c(c, rec + CRC_FROM,
				 GW_JOURNAL_REC_LEN - CRC_FROM);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Only the digits of the masked form are kept; the stars are implied by
 * the length.  A string that is not a masked number is stored as none. */
static void put_masked(uint8_t *rec, const char *masked)
{
	size_t len = strnlen(masked, GW_CARD_MASK_LEN - 1);

	if (len < GW_WIRE_PAN_MIN || len > GW_WIRE_PAN_MAX)
		return;
	rec[O_PANLEN] = (uint8_t)len;
	memcpy(rec + O_HEAD, masked, PAN_HEAD);
	memcpy(rec + O_TAIL, masked + len - PAN_TAIL, PAN_TAIL);
}

static int get_masked(const uint8_t *rec, char out[GW_CARD_MASK_LEN])
{
	size_t len = rec[O_PANLEN];

	if (len == 0) {
		out[0] = '\0';
		return 0;
	}
	if (len < GW_WIRE_PAN_MIN || len > GW_WIRE_PAN_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < PAN_HEAD + PAN_TAIL; i++)
		if (rec[O_HEAD + i] < '0' || rec[O_HEAD + i] > '9')
			return -EBADMSG;
	memcpy(out, rec + O_HEAD, PAN_HEAD);
	memset(out + PAN_HEAD, '*', len - PAN_HEAD - PAN_TAIL);
	memcpy(out + len - PAN_TAIL, rec + O_TAIL, PAN_TAIL);
	out[len] = '\0';
	return 0;
}

void gw_journal_encode(uint8_t out[GW_JOURNAL_REC_LEN],
		       const struct gw_journal_rec *r)
{
	memset(out, 0, GW_JOURNAL_REC_LEN);
	put32(out + O_MAGIC, MAGIC);
	out[O_VERSION] = GW_JOURNAL_VERSION;
	out[O_TYPE] = r->type;
	put16(out + O_LENGTH, GW_JOURNAL_REC_LEN);
	put16(out + O_FLAGS, r->flags);
	out[O_WORKER] = r->worker;
	out[O_CODE] = r->code;
	put64(out + O_SEQ, r->seq);
	put64(out + O_TIME, r->time_ns);
	put32(out + O_SESSION, r->session_id);
	put32(out + O_DIGEST, r->digest);
	put64(out + O_TXN, r->txn_id);
	put64(out + O_REF, r->ref);
	put64(out + O_ORIG, r->orig_ref);
	memcpy(out + O_MERCHANT, r->merchant,
	       strnlen(r->merchant, GW_MERCHANT_ID_MAX));
	memcpy(out + O_TOKEN, r->token, GW_CARD_TOKEN_LEN);
	put64(out + O_AMOUNT, r->amount);
	put64(out + O_APPLIED, r->applied);
	put64(out + O_BALANCE, r->balance);
	put16(out + O_CURRENCY, r->currency);
	put_masked(out, r->masked);
	memcpy(out + O_APPROVAL, r->approval, 6);
	put32(out + O_CRC, rec_crc(out));
}

static int check_frame(const uint8_t *in)
{
	if (get32(in + O_MAGIC) != MAGIC ||
	    in[O_VERSION] != GW_JOURNAL_VERSION ||
	    get16(in + O_LENGTH) != GW_JOURNAL_REC_LEN)
		return -EBADMSG;
	if (rec_crc(in) != get32(in + O_CRC))
		return -EBADMSG;
	return 0;
}

int gw_journal_decode(const uint8_t in[GW_JOURNAL_REC_LEN],
		      struct gw_journal_rec *r)
{
	struct gw_journal_rec d;

	if (check_frame(in) != 0)
		return -EBADMSG;
	memset(&d, 0, sizeof(d));
	if (get_masked(in, d.masked) != 0)
		return -EBADMSG;
	d.type = in[O_TYPE];
	d.flags = get16(in + O_FLAGS);
	d.worker = in[O_WORKER];
	d.code = in[O_CODE];
	d.seq = get64(in + O_SEQ);
	d.time_ns = get64(in + O_TIME);
	d.session_id = get32(in + O_SESSION);
	d.digest = get32(in + O_DIGEST);
	d.txn_id = get64(in + O_TXN);
	d.ref = get64(in + O_REF);
	d.orig_ref = get64(in + O_ORIG);
	memcpy(d.merchant, in + O_MERCHANT, GW_MERCHANT_ID_MAX);
	memcpy(d.token, in + O_TOKEN, GW_CARD_TOKEN_LEN);
	d.amount = get64(in + O_AMOUNT);
	d.applied = get64(in + O_APPLIED);
	d.balance = get64(in + O_BALANCE);
	d.currency = get16(in + O_CURRENCY);
	memcpy(d.approval, in + O_APPROVAL, 6);
	*r = d;
	return 0;
}

uint32_t gw_journal_digest(uint8_t type, uint16_t flags,
			   const uint8_t token[GW_CARD_TOKEN_LEN],
			   uint64_t amount, uint16_t currency,
			   uint64_t orig_ref)
{
	uint8_t b[1 + 2 + GW_CARD_TOKEN_LEN + 8 + 2 + 8];

	b[0] = type;
	put16(b + 1, flags & (uint16_t)~GW_FLAG_RETRANSMIT);
	memcpy(b + 3, token, GW_CARD_TOKEN_LEN);
	put64(b + 3 + GW_CARD_TOKEN_LEN, amount);
	put16(b + 11 + GW_CARD_TOKEN_LEN, currency);
	put64(b + 13 + GW_CARD_TOKEN_LEN, orig_ref);
	return gw_journal_crc32c(0, b, sizeof(b));
}

static const char *const type_names[GW_MSG_ECHO + 1] = {
    [GW_MSG_AUTH] = "auth",	  [GW_MSG_CAPTURE] = "capture",
    [GW_MSG_REVERSE] = "reverse", [GW_MSG_REFUND] = "refund",
    [GW_MSG_ECHO] = "echo",
};

const char *gw_journal_type_name(uint8_t type)
{
	if (type > GW_MSG_ECHO || type_names[type] == NULL)
		return "unknown";
	return type_names[type];
}

uint8_t gw_journal_type_parse(const char *name)
{
	uint8_t t;

	for (t = GW_MSG_AUTH; t <= GW_MSG_ECHO; t++)
		if (strcmp(name, type_names[t]) == 0)
			return t;
	return 0;
}

int gw_journal_path(const char *dir, unsigned worker, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/worker-%u.journal", dir, worker);

	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}
