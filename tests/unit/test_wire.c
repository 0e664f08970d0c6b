/*
 * gw_wire: exact encodings of header and bodies, round trips, and table
 * driven adversarial datagrams (lengths, versions, types, fields), each
 * with the exact refusal code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gw_wire.h"

#define MAXPKT 65535

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(GW_WIRE_REQ_DGRAM, 80);
	assert_int_equal(GW_WIRE_RESP_DGRAM, 72);
}

static void test_hdr_exact_bytes_and_round_trip(void **state)
{
	static const uint8_t want[GW_WIRE_HDR_LEN] = {
	    0x01, 0x81, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	};
	struct gw_hdr h = {
	    .version = 1,
	    .type = 0x81,
	    .flags = 0x0203,
	    .session_id = 0x04050607,
	    .seq = 0x08090a0b0c0d0e0fULL,
	};
	struct gw_hdr back;
	uint8_t out[GW_WIRE_HDR_LEN];

	(void)state;
	gw_wire_hdr_encode(out, &h);
	assert_memory_equal(out, want, sizeof(want));
	memset(&back, 0xee, sizeof(back));
	gw_wire_hdr_decode(out, &back);
	assert_int_equal(back.version, 1);
	assert_int_equal(back.type, 0x81);
	assert_int_equal(back.flags, 0x0203);
	assert_int_equal(back.session_id, 0x04050607);
	assert_true(back.seq == 0x08090a0b0c0d0e0fULL);

	h.flags = 0xffff;
	h.session_id = UINT32_MAX;
	h.seq = UINT64_MAX;
	gw_wire_hdr_encode(out, &h);
	gw_wire_hdr_decode(out, &back);
	assert_int_equal(back.flags, 0xffff);
	assert_int_equal(back.session_id, UINT32_MAX);
	assert_true(back.seq == UINT64_MAX);
}

static struct gw_req sample_req(void)
{
	struct gw_req r = {
	    .txn_id = 0x1122334455667788ULL,
	    .amount = 12345,
	    .orig_ref = 0x0102030405060708ULL,
	    .currency = 978,
	    .expiry = 2812,
	    .pan_len = 16,
	};

	memcpy(r.pan, "4000056655665556", 17);
	return r;
}

static void test_req_exact_bytes(void **state)
{
	static const uint8_t want[GW_WIRE_REQ_LEN] = {
	    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* txn_id */
	    0,	  0,	0,    0,    0,	  0,	0x30, 0x39, /* amount */
	    1,	  2,	3,    4,    5,	  6,	7,    8,    /* orig_ref */
	    0x03, 0xd2,					    /* 978 */
	    0x0a, 0xfc,					    /* 2812 */
	    16,						    /* pan_len */
	    '4',  '0',	'0',  '0',  '0',  '5',	'6',  '6',  '5', '5',
	    '6',  '6',	'5',  '5',  '5',  '6',	0,    0,    0,
	};
	struct gw_req r = sample_req();
	uint8_t out[GW_WIRE_REQ_LEN];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	gw_wire_req_encode(out, &r);
	assert_memory_equal(out, want, sizeof(want));
}

static void test_req_round_trip_every_pan_len(void **state)
{
	uint8_t buf[GW_WIRE_REQ_LEN];
	struct gw_req r = sample_req(), back;
	unsigned n;

	(void)state;
	memcpy(r.pan, "1234567890123456789", 20);
	for (n = 0; n <= GW_WIRE_PAN_MAX; n++) {
		r.pan_len = (uint8_t)n;
		gw_wire_req_encode(buf, &r);
		memset(&back, 0xee, sizeof(back));
		assert_int_equal(gw_wire_req_decode(buf, &back), GW_WIRE_OK);
		assert_int_equal(back.pan_len, n);
		assert_int_equal(strlen(back.pan), n);
		assert_memory_equal(back.pan, r.pan, n);
		assert_true(back.txn_id == r.txn_id);
		assert_true(back.amount == r.amount);
		assert_true(back.orig_ref == r.orig_ref);
		assert_int_equal(back.currency, 978);
		assert_int_equal(back.expiry, 2812);
	}
}

static void test_req_pan_len_over_19_is_bad_field(void **state)
{
	static const uint8_t lens[] = {20, 21, 47, 128, 255};
	uint8_t buf[GW_WIRE_REQ_LEN];
	struct gw_req r = sample_req(), back;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens); i++) {
		gw_wire_req_encode(buf, &r);
		buf[28] = lens[i];
		memset(&back, 0xee, sizeof(back));
		assert_int_equal(gw_wire_req_decode(buf, &back),
				 GW_WIRE_BAD_FIELD);
		/* No card number comes through, but the transaction does,
		 * so that it can still be answered. */
		assert_int_equal(back.pan_len, 0);
		assert_string_equal(back.pan, "");
		assert_true(back.txn_id == r.txn_id);
		assert_true(back.amount == 12345);
	}
}

static void test_req_pan_is_nul_terminated_from_raw_bytes(void **state)
{
	uint8_t buf[GW_WIRE_REQ_LEN];
	struct gw_req back;

	(void)state;
	/* A body of 0xff everywhere except a valid pan_len. */
	memset(buf, 0xff, sizeof(buf));
	buf[28] = 19;
	assert_int_equal(gw_wire_req_decode(buf, &back), GW_WIRE_OK);
	assert_int_equal(back.pan[19], '\0');
	assert_int_equal((uint8_t)back.pan[18], 0xff);
	assert_true(back.amount == UINT64_MAX);
	buf[28] = 3;
	assert_int_equal(gw_wire_req_decode(buf, &back), GW_WIRE_OK);
	assert_int_equal(back.pan[3], '\0');
	assert_int_equal(back.pan[4], '\0');
}

static struct gw_resp sample_resp(void)
{
	struct gw_resp r = {
	    .txn_id = 0x1122334455667788ULL,
	    .amount = 5000,
	    .gateway_ref = 0xa1a2a3a4a5a6a7a8ULL,
	    .balance = 7,
	    .code = GW_RC_PARTIAL,
	};

	memcpy(r.approval, "A1B2C3", 7);
	return r;
}

static void test_resp_exact_bytes(void **state)
{
	static const uint8_t want[GW_WIRE_RESP_LEN] = {
	    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0,	  0,
	    0,	  0,	0,    0,    0x13, 0x88, 0xa1, 0xa2, 0xa3, 0xa4,
	    0xa5, 0xa6, 0xa7, 0xa8, 0,	  0,	0,    0,    0,	  0,
	    0,	  7,	'1',  '0',  'A',  '1',	'B',  '2',  'C',  '3',
	};
	struct gw_resp r = sample_resp(), back;
	uint8_t out[GW_WIRE_RESP_LEN];

	(void)state;
	gw_wire_resp_encode(out, &r);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(gw_wire_resp_decode(out, &back), GW_WIRE_OK);
	assert_true(back.txn_id == r.txn_id);
	assert_true(back.amount == 5000);
	assert_true(back.gateway_ref == r.gateway_ref);
	assert_true(back.balance == 7);
	assert_int_equal(back.code, 10);
	assert_string_equal(back.approval, "A1B2C3");
}

static void test_resp_short_approval_is_space_padded(void **state)
{
	struct gw_resp r = sample_resp(), back;
	uint8_t out[GW_WIRE_RESP_LEN];

	(void)state;
	r.code = GW_RC_NO_FUNDS;
	memset(r.approval, 0, sizeof(r.approval));
	gw_wire_resp_encode(out, &r);
	assert_memory_equal(out + 32, "51      ", 8);
	assert_int_equal(gw_wire_resp_decode(out, &back), GW_WIRE_OK);
	assert_int_equal(back.code, 51);
	assert_string_equal(back.approval, "      ");

	memcpy(r.approval, "AB", 3);
	gw_wire_resp_encode(out, &r);
	assert_memory_equal(out + 32, "51AB    ", 8);
}

static void test_resp_bad_code_or_approval_is_bad_field(void **state)
{
	static const struct {
		int off;
		uint8_t byte;
	} bad[] = {
	    {32, 'A'}, {33, 'A'},  {32, ' '},  {33, '\0'}, {32, '/'},
	    {33, ':'}, {34, 0x00}, {39, 0x1f}, {36, 0x7f}, {35, 0xff},
	};
	struct gw_resp r = sample_resp(), back;
	uint8_t out[GW_WIRE_RESP_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gw_wire_resp_encode(out, &r);
		out[bad[i].off] = bad[i].byte;
		memset(&back, 0xee, sizeof(back));
		assert_int_equal(gw_wire_resp_decode(out, &back),
				 GW_WIRE_BAD_FIELD);
		assert_int_equal(back.code, GW_RC_SYSTEM);
		assert_string_equal(back.approval, "");
	}
}

static void test_code_str(void **state)
{
	static const struct {
		uint8_t code;
		const char *want;
	} cases[] = {
	    {0, "00"},	{1, "01"},  {5, "05"},	 {10, "10"},
	    {51, "51"}, {99, "99"}, {100, "96"}, {255, "96"},
	};
	char out[3];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gw_wire_code_str(cases[i].code, out);
		assert_string_equal(out, cases[i].want);
	}
}

/* A datagram of @len bytes whose first bytes are a header. */
static uint8_t *dgram(size_t len, uint8_t version, uint8_t type)
{
	static uint8_t buf[MAXPKT];
	struct gw_hdr h = {
	    .version = version,
	    .type = type,
	    .flags = 0,
	    .session_id = 77,
	    .seq = 9,
	};
	uint8_t hdr[GW_WIRE_HDR_LEN];

	memset(buf, 0x5a, sizeof(buf));
	gw_wire_hdr_encode(hdr, &h);
	memcpy(buf, hdr, len < sizeof(hdr) ? len : sizeof(hdr));
	return buf;
}

struct check_case {
	int n;
	size_t len;
	uint8_t version;
	uint8_t type;
	int want;
};

static void run_checks(const struct check_case *c, size_t count, int resp)
{
	size_t i;

	for (i = 0; i < count; i++) {
		struct gw_hdr h;
		uint8_t *p = dgram(c[i].len, c[i].version, c[i].type);
		int got = resp ? gw_wire_check_resp(p, c[i].len, &h)
			       : gw_wire_check_req(p, c[i].len, &h);

		assert_int_equal(c[i].n, (int)i + 1);
		if (got != c[i].want)
			fail_msg(
			    "case %d: len %zu version %u type 0x%02x: got %d, want %d",
			    c[i].n, c[i].len, c[i].version, c[i].type, got,
			    c[i].want);
		if (c[i].len >= GW_WIRE_HDR_LEN) {
			assert_int_equal(h.session_id, 77);
			assert_int_equal(h.type, c[i].type);
		}
	}
}

static void test_check_req_table(void **state)
{
	static const struct check_case cases[] = {
	    {1, 0, 1, GW_MSG_AUTH, GW_WIRE_TRUNCATED},
	    {2, 1, 1, GW_MSG_AUTH, GW_WIRE_TRUNCATED},
	    {3, 15, 1, GW_MSG_AUTH, GW_WIRE_TRUNCATED},
	    {4, 16, 1, GW_MSG_AUTH, GW_WIRE_TRUNCATED},
	    {5, 32, 1, GW_MSG_AUTH, GW_WIRE_TRUNCATED},
	    {6, 79, 1, GW_MSG_AUTH, GW_WIRE_TRUNCATED},
	    {7, 80, 1, GW_MSG_AUTH, GW_WIRE_OK},
	    {8, 81, 1, GW_MSG_AUTH, GW_WIRE_TOO_LONG},
	    {9, 96, 1, GW_MSG_AUTH, GW_WIRE_TOO_LONG},
	    {10, 65535, 1, GW_MSG_AUTH, GW_WIRE_TOO_LONG},
	    {11, 80, 1, GW_MSG_CAPTURE, GW_WIRE_OK},
	    {12, 80, 1, GW_MSG_REVERSE, GW_WIRE_OK},
	    {13, 80, 1, GW_MSG_REFUND, GW_WIRE_OK},
	    {14, 80, 1, GW_MSG_ECHO, GW_WIRE_OK},
	    {15, 80, 0, GW_MSG_AUTH, GW_WIRE_BAD_VERSION},
	    {16, 80, 2, GW_MSG_AUTH, GW_WIRE_BAD_VERSION},
	    {17, 80, 255, GW_MSG_AUTH, GW_WIRE_BAD_VERSION},
	    {18, 16, 2, GW_MSG_AUTH, GW_WIRE_BAD_VERSION},
	    {19, 80, 1, 0x00, GW_WIRE_BAD_TYPE},
	    {20, 80, 1, 0x06, GW_WIRE_BAD_TYPE},
	    {21, 80, 1, 0x7f, GW_WIRE_BAD_TYPE},
	    {22, 80, 1, 0x80, GW_WIRE_BAD_TYPE},
	    {23, 72, 1, 0x81, GW_WIRE_BAD_TYPE},
	    {24, 80, 1, 0x85, GW_WIRE_BAD_TYPE},
	    {25, 80, 1, 0xff, GW_WIRE_BAD_TYPE},
	    /* Order of the checks: version, then type, then length. */
	    {26, 15, 2, 0x00, GW_WIRE_TRUNCATED},
	    {27, 17, 2, 0x00, GW_WIRE_BAD_VERSION},
	    {28, 17, 1, 0x00, GW_WIRE_BAD_TYPE},
	    {29, 65535, 1, 0x06, GW_WIRE_BAD_TYPE},
	    {30, 72, 1, GW_MSG_ECHO, GW_WIRE_TRUNCATED},
	};

	(void)state;
	run_checks(cases, sizeof(cases) / sizeof(cases[0]), 0);
}

static void test_check_resp_table(void **state)
{
	static const struct check_case cases[] = {
	    {1, 0, 1, 0x81, GW_WIRE_TRUNCATED},
	    {2, 15, 1, 0x81, GW_WIRE_TRUNCATED},
	    {3, 16, 1, 0x81, GW_WIRE_TRUNCATED},
	    {4, 71, 1, 0x81, GW_WIRE_TRUNCATED},
	    {5, 72, 1, 0x81, GW_WIRE_OK},
	    {6, 73, 1, 0x81, GW_WIRE_TOO_LONG},
	    {7, 80, 1, 0x81, GW_WIRE_TOO_LONG},
	    {8, 65535, 1, 0x81, GW_WIRE_TOO_LONG},
	    {9, 72, 1, 0x82, GW_WIRE_OK},
	    {10, 72, 1, 0x83, GW_WIRE_OK},
	    {11, 72, 1, 0x84, GW_WIRE_OK},
	    {12, 72, 1, 0x85, GW_WIRE_OK},
	    {13, 72, 1, GW_MSG_AUTH, GW_WIRE_BAD_TYPE},
	    {14, 72, 1, 0x80, GW_WIRE_BAD_TYPE},
	    {15, 72, 1, 0x86, GW_WIRE_BAD_TYPE},
	    {16, 72, 1, 0xff, GW_WIRE_BAD_TYPE},
	    {17, 72, 0, 0x81, GW_WIRE_BAD_VERSION},
	    {18, 72, 2, 0x81, GW_WIRE_BAD_VERSION},
	};

	(void)state;
	run_checks(cases, sizeof(cases) / sizeof(cases[0]), 1);
}

static void test_check_every_type_byte(void **state)
{
	int t, req_ok = 0, resp_ok = 0;

	(void)state;
	for (t = 0; t < 256; t++) {
		int is_req = t >= GW_MSG_AUTH && t <= GW_MSG_ECHO;
		int is_resp = t >= 0x81 && t <= 0x85;
		struct gw_hdr h;
		int r;

		r = gw_wire_check_req(dgram(80, 1, (uint8_t)t), 80, &h);
		assert_int_equal(r, is_req ? GW_WIRE_OK : GW_WIRE_BAD_TYPE);
		req_ok += r == GW_WIRE_OK;
		r = gw_wire_check_resp(dgram(72, 1, (uint8_t)t), 72, &h);
		assert_int_equal(r, is_resp ? GW_WIRE_OK : GW_WIRE_BAD_TYPE);
		resp_ok += r == GW_WIRE_OK;
	}
	assert_int_equal(req_ok, 5);
	assert_int_equal(resp_ok, 5);
}

static void test_check_null_packet(void **state)
{
	struct gw_hdr h;

	(void)state;
	assert_int_equal(gw_wire_check_req(NULL, 80, &h), GW_WIRE_TRUNCATED);
	assert_int_equal(gw_wire_check_resp(NULL, 72, &h), GW_WIRE_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_hdr_exact_bytes_and_round_trip),
	    cmocka_unit_test(test_req_exact_bytes),
	    cmocka_unit_test(test_req_round_trip_every_pan_len),
	    cmocka_unit_test(test_req_pan_len_over_19_is_bad_field),
	    cmocka_unit_test(test_req_pan_is_nul_terminated_from_raw_bytes),
	    cmocka_unit_test(test_resp_exact_bytes),
	    cmocka_unit_test(test_resp_short_approval_is_space_padded),
	    cmocka_unit_test(test_resp_bad_code_or_approval_is_bad_field),
	    cmocka_unit_test(test_code_str),
	    cmocka_unit_test(test_check_req_table),
	    cmocka_unit_test(test_check_resp_table),
	    cmocka_unit_test(test_check_every_type_byte),
	    cmocka_unit_test(test_check_null_packet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
