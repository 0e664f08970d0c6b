/*
 * gw_kdf: every Wycheproof HKDF-SHA256 case, the RFC 5869 limits, and
 * known answers for the session and subkey derivations computed with an
 * independent HKDF implementation.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gw_kdf.h"
#include "vectors.h"

static void test_wycheproof_hkdf_sha256(void **state)
{
	json_t *root = vectors_load("wycheproof_hkdf_sha256_test.json");
	json_t *groups = json_object_get(root, "testGroups"), *g;
	int run = 0, valid = 0, invalid = 0;
	size_t gi;

	(void)state;
	json_array_foreach(groups, gi, g)
	{
		json_t *tests = json_object_get(g, "tests"), *t;
		size_t ti;

		json_array_foreach(tests, ti, t)
		{
			size_t ikm_len, salt_len, info_len, okm_len;
			uint8_t *ikm = vectors_hex(t, "ikm", &ikm_len);
			uint8_t *salt = vectors_hex(t, "salt", &salt_len);
			uint8_t *info = vectors_hex(t, "info", &info_len);
			uint8_t *okm = vectors_hex(t, "okm", &okm_len);
			size_t size = (size_t)json_integer_value(
			    json_object_get(t, "size"));
			const char *result =
			    json_string_value(json_object_get(t, "result"));
			int id =
			    (int)json_integer_value(json_object_get(t, "tcId"));
			uint8_t *out = calloc(size + 1, 1);
			int ret;

			assert_non_null(out);
			ret = gw_hkdf_sha256(salt, salt_len, ikm, ikm_len, info,
					     info_len, out, size);
			if (strcmp(result, "invalid") == 0) {
				if (ret != -EINVAL)
					fail_msg(
					    "tcId %d: got %d, want -EINVAL", id,
					    ret);
				invalid++;
			} else {
				if (ret != 0 || okm_len != size ||
				    memcmp(out, okm, size) != 0)
					fail_msg(
					    "tcId %d: wrong output (ret %d)",
					    id, ret);
				valid++;
			}
			run++;
			free(ikm);
			free(salt);
			free(info);
			free(okm);
			free(out);
		}
	}
	print_message(
	    "HKDF-SHA256: %d Wycheproof cases ran (%d valid, %d invalid)\n",
	    run, valid, invalid);
	assert_int_equal(
	    run, json_integer_value(json_object_get(root, "numberOfTests")));
	assert_int_equal(run, 86);
	assert_int_equal(invalid, 3);
	json_decref(root);
}

/* RFC 5869 appendix A.3: zero-length salt and info. */
static void test_rfc5869_a3_empty_salt_and_info(void **state)
{
	static const uint8_t want[42] = {
	    0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f, 0x71, 0x5f, 0x80,
	    0x2a, 0x06, 0x3c, 0x5a, 0x31, 0xb8, 0xa1, 0x1f, 0x5c, 0x5e, 0xe1,
	    0x87, 0x9e, 0xc3, 0x45, 0x4e, 0x5f, 0x3c, 0x73, 0x8d, 0x2d, 0x9d,
	    0x20, 0x13, 0x95, 0xfa, 0xa4, 0xb6, 0x1a, 0x96, 0xc8,
	};
	uint8_t ikm[22], zeros[32] = {0}, out[42];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	assert_int_equal(gw_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, out,
					sizeof(out)),
			 0);
	assert_memory_equal(out, want, sizeof(want));
	/* An absent salt is HashLen zero bytes (section 2.2). */
	memset(out, 0, sizeof(out));
	assert_int_equal(gw_hkdf_sha256(zeros, sizeof(zeros), ikm, sizeof(ikm),
					NULL, 0, out, sizeof(out)),
			 0);
	assert_memory_equal(out, want, sizeof(want));
}

static void test_output_length_limits(void **state)
{
	static uint8_t out[255 * 32 + 1];
	uint8_t ikm[16] = {1};

	(void)state;
	out[0] = 0x42;
	assert_int_equal(gw_hkdf_sha256(NULL, 0, ikm, 16, NULL, 0, out, 0),
			 -EINVAL);
	assert_int_equal(out[0], 0x42);
	assert_int_equal(
	    gw_hkdf_sha256(NULL, 0, ikm, 16, NULL, 0, out, 255 * 32 + 1),
	    -EINVAL);
	assert_int_equal(
	    gw_hkdf_sha256(NULL, 0, ikm, 16, NULL, 0, out, SIZE_MAX), -EINVAL);
	assert_int_equal(
	    gw_hkdf_sha256(NULL, 0, ikm, 16, NULL, 0, out, 255 * 32), 0);
	assert_int_equal(gw_hkdf_sha256(NULL, 0, ikm, 16, NULL, 0, out, 1), 0);
}

static void test_null_with_length_is_einval(void **state)
{
	uint8_t ikm[16] = {1}, out[32];

	(void)state;
	assert_int_equal(gw_hkdf_sha256(NULL, 4, ikm, 16, NULL, 0, out, 32),
			 -EINVAL);
	assert_int_equal(gw_hkdf_sha256(NULL, 0, NULL, 16, NULL, 0, out, 32),
			 -EINVAL);
	assert_int_equal(gw_hkdf_sha256(NULL, 0, ikm, 16, NULL, 3, out, 32),
			 -EINVAL);
	assert_int_equal(gw_hkdf_sha256(NULL, 0, ikm, 16, NULL, 0, NULL, 32),
			 -EINVAL);
}

static void seq_bytes(uint8_t *p, size_t n, uint8_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

/*
 * Expected values for secret 00..1f and session 0x01020304, from a
 * separate HKDF-SHA256 (salt = session id big-endian, info as in
 * gw_kdf.c).  The keys are checked through what they do: a key initialised
 * from the expected bytes must seal exactly as the derived one.
 */
static const uint8_t kat_m2g_key[32] = {
    0x67, 0xe6, 0x10, 0x67, 0xa1, 0x41, 0x43, 0xa3, 0x60, 0x93, 0x8a,
    0xea, 0x31, 0xb2, 0xb5, 0xb1, 0x2a, 0xdc, 0x01, 0x41, 0xf9, 0x71,
    0x2f, 0x93, 0xd5, 0x0a, 0xdd, 0xeb, 0x86, 0x8d, 0xc3, 0x67,
};
static const uint8_t kat_g2m_key[32] = {
    0xf7, 0x3b, 0x36, 0x83, 0xd8, 0xaa, 0xf3, 0x95, 0x0d, 0x29, 0x6b,
    0x78, 0x4a, 0xc1, 0x0c, 0x91, 0x48, 0x96, 0x7c, 0x50, 0xbe, 0x0d,
    0x43, 0x12, 0xd4, 0xcc, 0xac, 0xc4, 0xda, 0xd9, 0x86, 0x21,
};
static const uint8_t kat_m2g_salt[4] = {0xd4, 0x4a, 0x28, 0x29};
static const uint8_t kat_g2m_salt[4] = {0x14, 0x95, 0xc6, 0x4d};

static void seal_probe(const struct gw_aead_key *k, uint8_t out[32])
{
	static const uint8_t iv[GW_AEAD_IV_LEN] = {9};
	static const uint8_t msg[16] = {1, 2, 3};

	assert_int_equal(
	    gw_aead_seal(k, iv, NULL, 0, msg, 16, out, out + 16, 16), 0);
}

static void assert_same_key(const struct gw_aead_key *k, const uint8_t *raw)
{
	struct gw_aead_key ref;
	uint8_t a[32], b[32];

	assert_int_equal(k->key_len, 32);
	assert_int_equal(gw_aead_key_init(&ref, raw, 32), 0);
	seal_probe(k, a);
	seal_probe(&ref, b);
	assert_memory_equal(a, b, sizeof(a));
}

static void test_session_known_answer(void **state)
{
	uint8_t secret[GW_SECRET_LEN];
	/* Heap copies need the key type's 64-byte alignment. */
	struct gw_session_keys *k = aligned_alloc(64, sizeof(*k));

	(void)state;
	assert_non_null(k);
	seq_bytes(secret, sizeof(secret), 0);
	assert_int_equal(gw_kdf_session(secret, 0x01020304, k), 0);
	assert_memory_equal(k->m2g.salt, kat_m2g_salt, 4);
	assert_memory_equal(k->g2m.salt, kat_g2m_salt, 4);
	assert_same_key(&k->m2g.key, kat_m2g_key);
	assert_same_key(&k->g2m.key, kat_g2m_key);
	free(k);
}

static void test_session_keys_differ_by_direction_and_id(void **state)
{
	struct gw_session_keys a, b;
	uint8_t secret[GW_SECRET_LEN], pa[32], pb[32], pc[32];

	(void)state;
	seq_bytes(secret, sizeof(secret), 0x40);
	assert_int_equal(gw_kdf_session(secret, 1, &a), 0);
	assert_int_equal(gw_kdf_session(secret, 2, &b), 0);

	seal_probe(&a.m2g.key, pa);
	seal_probe(&a.g2m.key, pb);
	assert_memory_not_equal(pa, pb, sizeof(pa));
	assert_memory_not_equal(a.m2g.salt, a.g2m.salt, 4);

	seal_probe(&b.m2g.key, pc);
	assert_memory_not_equal(pa, pc, sizeof(pa));
	assert_memory_not_equal(a.m2g.salt, b.m2g.salt, 4);

	/* Same inputs, same keys: the derivation is deterministic. */
	assert_int_equal(gw_kdf_session(secret, 1, &b), 0);
	seal_probe(&b.m2g.key, pc);
	assert_memory_equal(pa, pc, sizeof(pa));
	assert_memory_equal(a.m2g.salt, b.m2g.salt, 4);
	assert_int_equal(gw_kdf_session(NULL, 1, &b), -EINVAL);
	assert_int_equal(gw_kdf_session(secret, 1, NULL), -EINVAL);
}

static void test_subkey_known_answer_and_purposes(void **state)
{
	static const uint8_t want[32] = {
	    0x4b, 0x6d, 0x6e, 0x3a, 0x10, 0x85, 0xff, 0x1f, 0x23, 0x03, 0x45,
	    0x87, 0xff, 0x9e, 0x2d, 0xe8, 0x61, 0x56, 0x8b, 0x72, 0x36, 0x92,
	    0xa6, 0x12, 0x8d, 0xd4, 0x16, 0xcc, 0xc6, 0x72, 0x2c, 0x0a,
	};
	uint8_t master[GW_SECRET_LEN], a[32], b[32];

	(void)state;
	memset(master, 0xa5, sizeof(master));
	assert_int_equal(gw_kdf_subkey(master, "card-token", a), 0);
	assert_memory_equal(a, want, sizeof(want));
	assert_int_equal(gw_kdf_subkey(master, "session-wrap", b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(gw_kdf_subkey(master, "", b), -EINVAL);
	assert_int_equal(gw_kdf_subkey(master, NULL, b), -EINVAL);
	assert_int_equal(gw_kdf_subkey(NULL, "card-token", b), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wycheproof_hkdf_sha256),
	    cmocka_unit_test(test_rfc5869_a3_empty_salt_and_info),
	    cmocka_unit_test(test_output_length_limits),
	    cmocka_unit_test(test_null_with_length_is_einval),
	    cmocka_unit_test(test_session_known_answer),
	    cmocka_unit_test(test_session_keys_differ_by_direction_and_id),
	    cmocka_unit_test(test_subkey_known_answer_and_purposes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
