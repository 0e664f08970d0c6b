/*
 * Card numbers: Luhn, the syntax check, the masked form and the keyed
 * token, against published test card numbers and HMAC-SHA256 values
 * computed independently.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "gw_card.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t key_seq[32] = {
    0,	1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

static const struct {
	const char *pan;
	bool ok;
} luhn_vectors[] = {
    {"4111111111111111", true},
    {"4012888888881881", true},
    {"5555555555554444", true},
    {"2223003122003222", true},
    {"378282246310005", true},
    {"6011111111111117", true},
    {"3566002020360505", true},
    {"36227206271667", true},
    {"6205500000000000004", true},
    {"79927398713", true}, /* the classic worked example */
    {"0", true},
    {"4111111111111112", false},
    {"4111111111111121", false}, /* swapped adjacent digits */
    {"6200000000000000005", false},
    {"79927398710", false},
    {"1", false},
    {"411111111111111a", false},
    {"", false},
};

static void test_luhn_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < LEN(luhn_vectors); i++) {
		const char *p = luhn_vectors[i].pan;

		assert_int_equal(gw_card_luhn_ok(p, strlen(p)),
				 luhn_vectors[i].ok);
	}
}

static const struct {
	const char *pan;
	int want;
} pan_vectors[] = {
    {"4111111111111111", 0},
    {"999999000238", 0},	/* 12 digits, the shortest allowed */
    {"6205500000000000004", 0}, /* 19 digits, the longest */
    {"36227206271667", 0},
    {"99999900022", -EINVAL},	       /* 11 digits, Luhn-valid */
    {"99999900000000000006", -EINVAL}, /* 20 digits, Luhn-valid */
    {"4111111111111112", -EINVAL},     /* Luhn */
    {"4111 1111 1111 1111", -EINVAL},  /* spaces */
    {"4111-1111-1111-1111", -EINVAL},
    {"+111111111111111", -EINVAL},
    {"", -EINVAL},
};

static void test_pan_check_vectors(void **state)
{
	(void)state;
	assert_true(gw_card_luhn_ok("99999900022", 11));
	assert_true(gw_card_luhn_ok("99999900000000000006", 20));
	for (size_t i = 0; i < LEN(pan_vectors); i++) {
		const char *p = pan_vectors[i].pan;

		assert_int_equal(gw_card_pan_check(p, strlen(p)),
				 pan_vectors[i].want);
	}
}

/* The length given wins over the string: a NUL inside is not a digit and
 * a short length does not read past it. */
static void test_pan_check_uses_length(void **state)
{
	static const char embedded[] = "411111111111\0"
				       "1111";

	(void)state;
	assert_int_equal(gw_card_pan_check(embedded, sizeof(embedded) - 1),
			 -EINVAL);
	assert_int_equal(gw_card_pan_check("4111111111111111", 15), -EINVAL);
	assert_int_equal(gw_card_pan_check(NULL, 16), -EINVAL);
}

static const struct {
	const char *pan;
	const char *masked;
} mask_vectors[] = {
    {"4111111111111111", "411111******1111"},
    {"378282246310005", "378282*****0005"},
    {"36227206271667", "362272****1667"},
    {"999999000238", "999999**0238"},
    {"6205500000000000004", "620550*********0004"},
};

static void test_mask_vectors(void **state)
{
	char out[GW_CARD_MASK_LEN];

	(void)state;
	for (size_t i = 0; i < LEN(mask_vectors); i++) {
		const char *p = mask_vectors[i].pan;

		memset(out, 'x', sizeof(out));
		gw_card_mask(p, strlen(p), out);
		assert_string_equal(out, mask_vectors[i].masked);
		assert_int_equal(strlen(out), strlen(p));
	}
}

static void test_mask_refuses_bad_length(void **state)
{
	char out[GW_CARD_MASK_LEN] = "unchanged";

	(void)state;
	gw_card_mask("41111111111", 11, out);
	assert_string_equal(out, "");
}

static void token_of(const uint8_t key[32], const char *pan,
		     uint8_t tok[GW_CARD_TOKEN_LEN])
{
	struct gw_card_tokenizer *t = gw_card_tokenizer_new(key);

	assert_non_null(t);
	assert_int_equal(gw_card_token(t, pan, strlen(pan), tok), 0);
	gw_card_tokenizer_free(t);
}

/* Expected values are HMAC-SHA256 computed outside the project,
 * truncated to 16 bytes. */
static void test_token_known_values(void **state)
{
	uint8_t key42[32], tok[GW_CARD_TOKEN_LEN];
	char hex[33];

	(void)state;
	token_of(key_seq, "4111111111111111", tok);
	gw_card_token_hex(tok, hex);
	assert_string_equal(hex, "0622241201382a45912fb22828b3f7db");

	memset(key42, 0x42, sizeof(key42));
	token_of(key42, "5555555555554444", tok);
	gw_card_token_hex(tok, hex);
	assert_string_equal(hex, "5fafc3d18a98b972648b754bdb0678d3");
}

static void test_token_deterministic_and_distinct(void **state)
{
	struct gw_card_tokenizer *t = gw_card_tokenizer_new(key_seq);
	uint8_t a[GW_CARD_TOKEN_LEN], b[GW_CARD_TOKEN_LEN];
	uint8_t c[GW_CARD_TOKEN_LEN + 1], d[GW_CARD_TOKEN_LEN];
	uint8_t other_key[32];

	(void)state;
	assert_non_null(t);
	assert_int_equal(gw_card_token(t, "4111111111111111", 16, a), 0);
	assert_int_equal(gw_card_token(t, "4111111111111111", 16, b), 0);
	assert_memory_equal(a, b, GW_CARD_TOKEN_LEN);

	/* Only 16 bytes are written. */
	memset(c, 0xa5, sizeof(c));
	assert_int_equal(gw_card_token(t, "4012888888881881", 16, c), 0);
	assert_int_equal(c[GW_CARD_TOKEN_LEN], 0xa5);
	assert_memory_not_equal(a, c, GW_CARD_TOKEN_LEN);

	memcpy(other_key, key_seq, sizeof(other_key));
	other_key[31] ^= 1;
	token_of(other_key, "4111111111111111", d);
	assert_memory_not_equal(a, d, GW_CARD_TOKEN_LEN);
	gw_card_tokenizer_free(t);
}

/* HMAC-SHA256 of @len bytes of @msg by OpenSSL's one-shot call,
 * truncated: the reference the precomputed-state tokenizer must equal. */
static void reference(const uint8_t key[32], const char *msg, size_t len,
		      uint8_t out[GW_CARD_TOKEN_LEN])
{
	uint8_t full[32];
	size_t n = 0;

	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 32,
				  (const unsigned char *)msg, len, full,
				  sizeof(full), &n));
	assert_int_equal(n, 32);
	memcpy(out, full, GW_CARD_TOKEN_LEN);
}

/* Every length from empty to two SHA-256 blocks, so that the
 * padding of the inner hash is exercised at 55, 56 and 64 bytes too. */
static void test_token_equals_hmac_at_every_length(void **state)
{
	static const char msg[] =
	    "9999995000000018999999500000002699999950000000349999995000"
	    "0000429999995000000059999999500000006799999950000000759999"
	    "995000000083";
	struct gw_card_tokenizer *t = gw_card_tokenizer_new(key_seq);
	uint8_t got[GW_CARD_TOKEN_LEN], want[GW_CARD_TOKEN_LEN];

	(void)state;
	assert_non_null(t);
	assert_true(sizeof(msg) - 1 == 128);
	for (size_t len = 0; len <= 128; len++) {
		reference(key_seq, msg, len, want);
		assert_int_equal(gw_card_token(t, msg, len, got), 0);
		assert_memory_equal(got, want, GW_CARD_TOKEN_LEN);
	}
	gw_card_tokenizer_free(t);
}

struct thread_tok {
	const struct gw_card_tokenizer *t;
	uint8_t tok[GW_CARD_TOKEN_LEN];
	int rc;
};

static void *token_thread(void *arg)
{
	struct thread_tok *x = arg;

	x->rc = gw_card_token(x->t, "4111111111111111", 16, x->tok);
	return NULL;
}

/* A tokenizer made in one thread serves another, which brings its own
 * hashing state. */
static void test_token_same_in_another_thread(void **state)
{
	struct thread_tok x = {.rc = -1};
	pthread_t th;
	char hex[33];

	(void)state;
	x.t = gw_card_tokenizer_new(key_seq);
	assert_non_null(x.t);
	assert_int_equal(pthread_create(&th, NULL, token_thread, &x), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(x.rc, 0);
	gw_card_token_hex(x.tok, hex);
	assert_string_equal(hex, "0622241201382a45912fb22828b3f7db");
	gw_card_tokenizer_free((struct gw_card_tokenizer *)x.t);
}

static void test_token_hex_format(void **state)
{
	static const uint8_t tok[GW_CARD_TOKEN_LEN] = {
	    0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff,
	    0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x9a,
	};
	char hex[33];

	(void)state;
	memset(hex, 'x', sizeof(hex));
	gw_card_token_hex(tok, hex);
	assert_string_equal(hex, "00017f80abcdefff102030405060709a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_luhn_vectors),
	    cmocka_unit_test(test_pan_check_vectors),
	    cmocka_unit_test(test_pan_check_uses_length),
	    cmocka_unit_test(test_mask_vectors),
	    cmocka_unit_test(test_mask_refuses_bad_length),
	    cmocka_unit_test(test_token_known_values),
	    cmocka_unit_test(test_token_deterministic_and_distinct),
	    cmocka_unit_test(test_token_equals_hmac_at_every_length),
	    cmocka_unit_test(test_token_same_in_another_thread),
	    cmocka_unit_test(test_token_hex_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
