/*
 * gw_signal: the link 2 datagram.  Known answers computed with an
 * independent HKDF and HMAC implementation, then every refusal of
 * gw_signal_open with its exact error: forged, another session's key,
 * replayed, unknown type, truncated, too long, bad magic, another
 * session's id, a malformed reference under a valid tag.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "gw_signal.h"

#define SID 0x01020304u

static const uint8_t want_key[32] = {
    0xb2, 0x01, 0x74, 0xb7, 0x4d, 0xb7, 0x20, 0x84, 0xf3, 0x1c, 0x04,
    0x37, 0x10, 0x01, 0xe3, 0x6f, 0x4e, 0x9a, 0x40, 0x6e, 0xf1, 0x75,
    0x22, 0x0f, 0x45, 0x2c, 0x6c, 0x5c, 0x35, 0x57, 0xb8, 0xda,
};

/* SOFTWARE_AVAILABLE, session 0x01020304, sequence 7,
 * "gw-merchant@1.3.0", under want_key. */
static const uint8_t want_pkt[GW_SIGNAL_LEN] = {
    'G',  'W',	'S',  '1',  0x02, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'g',  'w',	'-',  'm',
    'e',  'r',	'c',  'h',  'a',  'n',	't',  '@',  '1',  '.',	'3',  '.',
    '0',  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x88, 0x1d, 0x2d, 0x05, 0xaa, 0x58, 0x94, 0xc8,
    0xd2, 0x54, 0x2c, 0xed, 0x8f, 0x44, 0x31, 0x7b,
};

static void secret_of(uint8_t secret[GW_SIGNAL_SECRET_LEN], uint8_t first)
{
	int i;

	for (i = 0; i < GW_SIGNAL_SECRET_LEN; i++)
		secret[i] = (uint8_t)(first + i);
}

static void make_key(uint8_t key[GW_SIGNAL_KEY_LEN])
{
	uint8_t secret[GW_SIGNAL_SECRET_LEN];

	secret_of(secret, 0);
	assert_int_equal(gw_signal_key(secret, SID, key), 0);
}

/* Seals a signal of @type and @seq with the reference of want_pkt. */
static void seal(uint8_t type, uint64_t seq, uint8_t pkt[GW_SIGNAL_LEN])
{
	struct gw_signal s = {.type = type, .session = SID, .seq = seq};
	uint8_t key[GW_SIGNAL_KEY_LEN];

	make_key(key);
	strcpy(s.ref, "gw-merchant@1.3.0");
	assert_int_equal(gw_signal_seal(key, &s, pkt), GW_SIGNAL_LEN);
}

/* Recomputes the tag after a test changed authenticated bytes, as a
 * sender holding the key would. */
static void retag(uint8_t pkt[GW_SIGNAL_LEN])
{
	uint8_t key[GW_SIGNAL_KEY_LEN], full[32];
	size_t n = 0;

	make_key(key);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key,
				  sizeof(key), pkt, GW_SIGNAL_TAG_OFF, full,
				  sizeof(full), &n));
	memcpy(pkt + GW_SIGNAL_TAG_OFF, full, GW_SIGNAL_TAG_LEN);
}

static int open_pkt(const uint8_t *pkt, size_t len, uint64_t *last,
		    struct gw_signal *out)
{
	uint8_t key[GW_SIGNAL_KEY_LEN];

	make_key(key);
	return gw_signal_open(key, SID, pkt, len, last, out);
}

static void key_known_answer(void **state)
{
	uint8_t key[GW_SIGNAL_KEY_LEN];

	make_key(key);
	assert_memory_equal(key, want_key, sizeof(key));
	assert_int_equal(gw_signal_key(NULL, SID, key), -EINVAL);
}

static void seal_known_answer(void **state)
{
	uint8_t pkt[GW_SIGNAL_LEN];

	assert_int_equal(GW_SIGNAL_LEN, 68);
	seal(GW_SIG_SOFTWARE_AVAILABLE, 7, pkt);
	assert_memory_equal(pkt, want_pkt, sizeof(pkt));
}

static void open_accepts_and_advances(void **state)
{
	struct gw_signal s;
	uint64_t last = 6;

	memset(&s, 0xee, sizeof(s));
	assert_int_equal(open_pkt(want_pkt, sizeof(want_pkt), &last, &s), 0);
	assert_int_equal(s.type, GW_SIG_SOFTWARE_AVAILABLE);
	assert_int_equal(s.session, SID);
	assert_true(s.seq == 7);
	assert_string_equal(s.ref, "gw-merchant@1.3.0");
	assert_true(last == 7);
}

static void open_refuses_replay_and_old(void **state)
{
	uint8_t pkt[GW_SIGNAL_LEN];
	struct gw_signal s;
	uint64_t last = 0;

	assert_int_equal(open_pkt(want_pkt, sizeof(want_pkt), &last, &s), 0);
	assert_int_equal(open_pkt(want_pkt, sizeof(want_pkt), &last, &s),
			 GW_SIGNAL_EREPLAY);
	seal(GW_SIG_SOFTWARE_AVAILABLE, 6, pkt);
	assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s),
			 GW_SIGNAL_EREPLAY);
	assert_true(last == 7);
	seal(GW_SIG_SOFTWARE_AVAILABLE, 8, pkt);
	assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s), 0);
	assert_true(last == 8);
}

static void open_refuses_forgery(void **state)
{
	uint8_t pkt[GW_SIGNAL_LEN];
	struct gw_signal s;
	uint64_t last = 0;
	size_t i;

	/* Any changed bit, header, reference or tag, is a bad tag once the
	 * cheap checks pass. */
	static const size_t at[] = {12, 19, 20, 51, 52, 67};

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memcpy(pkt, want_pkt, sizeof(pkt));
		pkt[at[i]] ^= 0x01;
		assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s),
				 GW_SIGNAL_ETAG);
	}
	assert_true(last == 0);
	/* A higher sequence number under a bad tag does not move the mark:
	 * the genuine signal 7 is still accepted after it. */
	memcpy(pkt, want_pkt, sizeof(pkt));
	pkt[19] = 0xff;
	assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s), GW_SIGNAL_ETAG);
	assert_int_equal(open_pkt(want_pkt, sizeof(want_pkt), &last, &s), 0);
}

static void open_refuses_other_session_key(void **state)
{
	uint8_t secret[GW_SIGNAL_SECRET_LEN], key[GW_SIGNAL_KEY_LEN];
	struct gw_signal s;
	uint64_t last = 0;

	secret_of(secret, 1);
	assert_int_equal(gw_signal_key(secret, SID, key), 0);
	assert_int_equal(
	    gw_signal_open(key, SID, want_pkt, sizeof(want_pkt), &last, &s),
	    GW_SIGNAL_ETAG);
	/* The same secret under another session id is another key. */
	secret_of(secret, 0);
	assert_int_equal(gw_signal_key(secret, SID + 1, key), 0);
	assert_int_equal(
	    gw_signal_open(key, SID, want_pkt, sizeof(want_pkt), &last, &s),
	    GW_SIGNAL_ETAG);
	assert_true(last == 0);
}

static void open_refuses_unknown_type(void **state)
{
	static const uint8_t types[] = {0, 6, 0x7f, 0xff};
	uint8_t pkt[GW_SIGNAL_LEN];
	struct gw_signal s;
	uint64_t last = 0;
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		memcpy(pkt, want_pkt, sizeof(pkt));
		pkt[4] = types[i];
		retag(pkt);
		assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s),
				 GW_SIGNAL_ETYPE);
	}
}

static void open_refuses_wrong_sizes(void **state)
{
	uint8_t big[GW_SIGNAL_LEN + 1500];
	struct gw_signal s;
	uint64_t last = 0;

	memset(big, 0, sizeof(big));
	memcpy(big, want_pkt, sizeof(want_pkt));
	assert_int_equal(open_pkt(want_pkt, 0, &last, &s), GW_SIGNAL_ESIZE);
	assert_int_equal(open_pkt(want_pkt, 4, &last, &s), GW_SIGNAL_ESIZE);
	assert_int_equal(open_pkt(want_pkt, GW_SIGNAL_LEN - 1, &last, &s),
			 GW_SIGNAL_ESIZE);
	assert_int_equal(open_pkt(big, GW_SIGNAL_LEN + 1, &last, &s),
			 GW_SIGNAL_ESIZE);
	assert_int_equal(open_pkt(big, sizeof(big), &last, &s),
			 GW_SIGNAL_ESIZE);
	assert_int_equal(open_pkt(big, GW_SIGNAL_LEN, &last, &s), 0);
}

static void open_refuses_bad_magic_and_reserved(void **state)
{
	static const size_t at[] = {0, 3, 5, 6, 7};
	uint8_t pkt[GW_SIGNAL_LEN];
	struct gw_signal s;
	uint64_t last = 0;
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memcpy(pkt, want_pkt, sizeof(pkt));
		pkt[at[i]] ^= 0x40;
		retag(pkt);
		assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s),
				 GW_SIGNAL_EMAGIC);
	}
}

static void open_refuses_other_session_id(void **state)
{
	uint8_t key[GW_SIGNAL_KEY_LEN];
	struct gw_signal s;
	uint64_t last = 0;

	make_key(key);
	assert_int_equal(
	    gw_signal_open(key, SID + 1, want_pkt, sizeof(want_pkt), &last, &s),
	    GW_SIGNAL_ESESSION);
}

static void open_refuses_bad_reference(void **state)
{
	uint8_t pkt[GW_SIGNAL_LEN];
	struct gw_signal s;
	uint64_t last = 0;

	/* Bytes after the terminating NUL. */
	memcpy(pkt, want_pkt, sizeof(pkt));
	pkt[50] = 'x';
	retag(pkt);
	assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s), GW_SIGNAL_EREF);
	/* Empty, a space, a control byte. */
	memcpy(pkt, want_pkt, sizeof(pkt));
	memset(pkt + 20, 0, GW_SIGNAL_REF_LEN);
	retag(pkt);
	assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s), GW_SIGNAL_EREF);
	memcpy(pkt, want_pkt, sizeof(pkt));
	pkt[22] = ' ';
	retag(pkt);
	assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s), GW_SIGNAL_EREF);
	memcpy(pkt, want_pkt, sizeof(pkt));
	pkt[22] = 0x1b;
	retag(pkt);
	assert_int_equal(open_pkt(pkt, sizeof(pkt), &last, &s), GW_SIGNAL_EREF);
	assert_true(last == 0);
}

static void reference_of_32_bytes(void **state)
{
	struct gw_signal s = {.type = GW_SIG_MESSAGE, .session = SID, .seq = 1};
	uint8_t key[GW_SIGNAL_KEY_LEN], pkt[GW_SIGNAL_LEN];
	struct gw_signal got;
	uint64_t last = 0;

	make_key(key);
	memset(s.ref, 'r', GW_SIGNAL_REF_LEN);
	s.ref[GW_SIGNAL_REF_LEN] = '\0';
	assert_int_equal(gw_signal_seal(key, &s, pkt), GW_SIGNAL_LEN);
	assert_int_equal(
	    gw_signal_open(key, SID, pkt, sizeof(pkt), &last, &got), 0);
	assert_int_equal(strlen(got.ref), GW_SIGNAL_REF_LEN);
	assert_int_equal(got.type, GW_SIG_MESSAGE);
}

static void seal_refuses_bad_input(void **state)
{
	struct gw_signal s = {.type = GW_SIG_REKEY, .session = SID, .seq = 1};
	uint8_t key[GW_SIGNAL_KEY_LEN], pkt[GW_SIGNAL_LEN];

	make_key(key);
	strcpy(s.ref, "17");
	assert_int_equal(gw_signal_seal(key, &s, pkt), GW_SIGNAL_LEN);
	s.type = 0;
	assert_int_equal(gw_signal_seal(key, &s, pkt), -EINVAL);
	s.type = 6;
	assert_int_equal(gw_signal_seal(key, &s, pkt), -EINVAL);
	s.type = GW_SIG_REKEY;
	s.seq = 0;
	assert_int_equal(gw_signal_seal(key, &s, pkt), -EINVAL);
	s.seq = 1;
	s.ref[0] = '\0';
	assert_int_equal(gw_signal_seal(key, &s, pkt), -EINVAL);
	strcpy(s.ref, "a b");
	assert_int_equal(gw_signal_seal(key, &s, pkt), -EINVAL);
	memset(s.ref, 'a', sizeof(s.ref)); /* no terminator: 33 bytes */
	assert_int_equal(gw_signal_seal(key, &s, pkt), -EINVAL);
	assert_int_equal(gw_signal_seal(NULL, &s, pkt), -EINVAL);
}

static void type_names(void **state)
{
	assert_string_equal(gw_signal_type_name(GW_SIG_CERT_RENEW),
			    "CERT_RENEW");
	assert_string_equal(gw_signal_type_name(GW_SIG_SESSION_REVOKED),
			    "SESSION_REVOKED");
	assert_null(gw_signal_type_name(0));
	assert_null(gw_signal_type_name(6));
	assert_int_equal(gw_signal_type_parse("SOFTWARE_AVAILABLE"), 2);
	assert_int_equal(gw_signal_type_parse("MESSAGE"), 4);
	assert_int_equal(gw_signal_type_parse("message"), 0);
	assert_int_equal(gw_signal_type_parse(NULL), 0);
	assert_string_equal(gw_signal_strerror(GW_SIGNAL_ETAG), "forged");
	assert_string_equal(gw_signal_strerror(GW_SIGNAL_EREPLAY), "replayed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(key_known_answer),
	    cmocka_unit_test(seal_known_answer),
	    cmocka_unit_test(open_accepts_and_advances),
	    cmocka_unit_test(open_refuses_replay_and_old),
	    cmocka_unit_test(open_refuses_forgery),
	    cmocka_unit_test(open_refuses_other_session_key),
	    cmocka_unit_test(open_refuses_unknown_type),
	    cmocka_unit_test(open_refuses_wrong_sizes),
	    cmocka_unit_test(open_refuses_bad_magic_and_reserved),
	    cmocka_unit_test(open_refuses_other_session_id),
	    cmocka_unit_test(open_refuses_bad_reference),
	    cmocka_unit_test(reference_of_32_bytes),
	    cmocka_unit_test(seal_refuses_bad_input),
	    cmocka_unit_test(type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
