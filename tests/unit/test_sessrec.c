/*
 * Session records: the wrapped secret round-trips only under its own key,
 * session and merchant; malformed records are told apart from foreign
 * ones; merchant ids and state names.  Also the link-1 framing over a TLS
 * connection between two in-memory endpoints.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "gw_link.h"
#include "gw_sessrec.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t wrap_key[GW_SECRET_LEN] = {
    0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae,
    0xf0, 0x85, 0x7d, 0x77, 0x81, 0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61,
    0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
};

static void make_rec(struct gw_sessrec *r)
{
	memset(r, 0, sizeof(*r));
	r->id = 4242;
	strcpy(r->merchant, "m-0001");
	for (size_t i = 0; i < GW_SECRET_LEN; i++)
		r->secret[i] = (uint8_t)(0xc0 + i);
	r->state = GW_SESS_ACTIVE;
}

static void wrap(const struct gw_sessrec *r, char hex[GW_SESSREC_WRAPPED_HEX])
{
	assert_int_equal(
	    gw_sessrec_wrap(wrap_key, r, hex, GW_SESSREC_WRAPPED_HEX), 0);
}

static void test_round_trip(void **state)
{
	struct gw_sessrec r, back;
	char hex[GW_SESSREC_WRAPPED_HEX];

	(void)state;
	make_rec(&r);
	wrap(&r, hex);
	assert_int_equal(strlen(hex), GW_SESSREC_WRAPPED_HEX - 1);
	assert_int_equal(strspn(hex, "0123456789abcdef"), strlen(hex));

	back = r;
	memset(back.secret, 0, sizeof(back.secret));
	assert_int_equal(gw_sessrec_unwrap(wrap_key, &back, hex), 0);
	assert_memory_equal(back.secret, r.secret, GW_SECRET_LEN);

	/* Upper-case hex is the same record. */
	for (char *p = hex; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	memset(back.secret, 0, sizeof(back.secret));
	assert_int_equal(gw_sessrec_unwrap(wrap_key, &back, hex), 0);
	assert_memory_equal(back.secret, r.secret, GW_SECRET_LEN);
}

/* A fresh nonce each time: wrapping twice never gives the same record. */
static void test_wrap_nonce_fresh(void **state)
{
	struct gw_sessrec r;
	char a[GW_SESSREC_WRAPPED_HEX], b[GW_SESSREC_WRAPPED_HEX];

	(void)state;
	make_rec(&r);
	wrap(&r, a);
	wrap(&r, b);
	assert_string_not_equal(a, b);
	assert_memory_not_equal(a, b, 24); /* the nonces differ */
}

static void test_wrapped_hides_secret(void **state)
{
	struct gw_sessrec r;
	char hex[GW_SESSREC_WRAPPED_HEX], secret_hex[2 * GW_SECRET_LEN + 1];
	char part[9];

	(void)state;
	make_rec(&r);
	for (size_t i = 0; i < GW_SECRET_LEN; i++)
		snprintf(secret_hex + 2 * i, 3, "%02x", r.secret[i]);
	for (int n = 0; n < 50; n++) {
		wrap(&r, hex);
		assert_null(strstr(hex, secret_hex));
		/* Not even four bytes of it in a row at the same offset. */
		for (size_t i = 0; i + 8 <= 2 * GW_SECRET_LEN; i += 8) {
			memcpy(part, secret_hex + i, 8);
			part[8] = '\0';
			assert_memory_not_equal(hex + 24 + i, part, 8);
		}
	}
}

static void test_wrap_refuses(void **state)
{
	struct gw_sessrec r;
	char hex[GW_SESSREC_WRAPPED_HEX];

	(void)state;
	make_rec(&r);
	assert_int_equal(gw_sessrec_wrap(wrap_key, &r, hex, sizeof(hex) - 1),
			 -EIO);
	strcpy(r.merchant, "bad id");
	assert_int_equal(gw_sessrec_wrap(wrap_key, &r, hex, sizeof(hex)), -EIO);
}

static const uint8_t zero[GW_SECRET_LEN];

/* Whatever fails, the caller's secret is left wiped. */
static void expect_unwrap(const uint8_t key[GW_SECRET_LEN],
			  struct gw_sessrec *r, const char *hex, int want)
{
	memset(r->secret, 0x55, sizeof(r->secret));
	assert_int_equal(gw_sessrec_unwrap(key, r, hex), want);
	assert_memory_equal(r->secret, zero, GW_SECRET_LEN);
}

static void test_foreign_records_refused(void **state)
{
	struct gw_sessrec r, other;
	uint8_t other_key[GW_SECRET_LEN];
	char hex[GW_SESSREC_WRAPPED_HEX], bad[GW_SESSREC_WRAPPED_HEX];

	(void)state;
	make_rec(&r);
	wrap(&r, hex);

	other = r;
	other.id = 4243;
	expect_unwrap(wrap_key, &other, hex, -EBADMSG);

	other = r;
	strcpy(other.merchant, "m-0002");
	expect_unwrap(wrap_key, &other, hex, -EBADMSG);

	/* The separator keeps "1|23" and "12|3" apart. */
	other = r;
	other.id = 42;
	strcpy(other.merchant, "42m-0001");
	expect_unwrap(wrap_key, &other, hex, -EBADMSG);

	memcpy(other_key, wrap_key, sizeof(other_key));
	other_key[0] ^= 0x80;
	other = r;
	expect_unwrap(other_key, &other, hex, -EBADMSG);

	/* One hex digit changed anywhere: nonce, ciphertext or tag. */
	for (size_t i = 0; i < GW_SESSREC_WRAPPED_HEX - 1; i++) {
		strcpy(bad, hex);
		bad[i] = bad[i] == '0' ? '1' : '0';
		other = r;
		expect_unwrap(wrap_key, &other, bad, -EBADMSG);
	}
}

static void test_malformed_records(void **state)
{
	struct gw_sessrec r;
	char hex[GW_SESSREC_WRAPPED_HEX], bad[GW_SESSREC_WRAPPED_HEX + 2];
	static const char not_hex[] = {'g', 'G', ' ', '-', 'x', '\n'};

	(void)state;
	make_rec(&r);
	wrap(&r, hex);

	strcpy(bad, hex);
	bad[strlen(bad) - 1] = '\0';
	expect_unwrap(wrap_key, &r, bad, -EINVAL);
	bad[strlen(bad) - 1] = '\0'; /* a whole byte short */
	expect_unwrap(wrap_key, &r, bad, -EINVAL);
	snprintf(bad, sizeof(bad), "%s0", hex);
	expect_unwrap(wrap_key, &r, bad, -EINVAL);
	snprintf(bad, sizeof(bad), "%s00", hex);
	expect_unwrap(wrap_key, &r, bad, -EINVAL);
	expect_unwrap(wrap_key, &r, "", -EINVAL);
	for (size_t i = 0; i < LEN(not_hex); i++) {
		strcpy(bad, hex);
		bad[40] = not_hex[i];
		expect_unwrap(wrap_key, &r, bad, -EINVAL);
	}
	strcpy(r.merchant, "bad/id");
	expect_unwrap(wrap_key, &r, hex, -EINVAL);
}

static const struct {
	const char *id;
	int want;
} merchant_ids[] = {
    {"m-0001", 0},
    {"A", 0},
    {"acme.shop_42-eu", 0},
    {"01234567890123456789012345678901", 0},	    /* 32 */
    {"012345678901234567890123456789012", -EINVAL}, /* 33 */
    {"", -EINVAL},
    {"m 1", -EINVAL},
    {"m/1", -EINVAL},
    {"m:1", -EINVAL},
    {"m|1", -EINVAL},
    {"m\n1", -EINVAL},
    {"caf\xc3\xa9", -EINVAL},
};

static void test_merchant_id_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < LEN(merchant_ids); i++)
		if (gw_merchant_id_check(merchant_ids[i].id) !=
		    merchant_ids[i].want)
			fail_msg("merchant id case %zu", i);
	assert_int_equal(gw_merchant_id_check(NULL), -EINVAL);
}

static void test_state_names(void **state)
{
	uint8_t st = 0;

	(void)state;
	assert_string_equal(gw_sessrec_state_str(GW_SESS_ACTIVE), "active");
	assert_string_equal(gw_sessrec_state_str(GW_SESS_REVOKED), "revoked");
	assert_string_equal(gw_sessrec_state_str(0), "unknown");
	assert_string_equal(gw_sessrec_state_str(200), "unknown");
	assert_int_equal(gw_sessrec_state_parse("active", &st), 0);
	assert_int_equal(st, GW_SESS_ACTIVE);
	assert_int_equal(gw_sessrec_state_parse("revoked", &st), 0);
	assert_int_equal(st, GW_SESS_REVOKED);
	st = 77;
	assert_int_equal(gw_sessrec_state_parse("Active", &st), -EINVAL);
	assert_int_equal(gw_sessrec_state_parse("unknown", &st), -EINVAL);
	assert_int_equal(gw_sessrec_state_parse("", &st), -EINVAL);
	assert_int_equal(gw_sessrec_state_parse("active ", &st), -EINVAL);
	assert_int_equal(st, 77);
}

/* --- link 1 framing over TLS between two memory endpoints --- */

struct pair {
	SSL_CTX *sctx, *cctx;
	SSL *server, *client;
};

/* A throwaway self-signed P-256 certificate for the server side. */
static void server_identity(SSL_CTX *ctx)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *crt = X509_new();
	X509_NAME *name;

	assert_non_null(key);
	assert_non_null(crt);
	ASN1_INTEGER_set(X509_get_serialNumber(crt), 1);
	X509_gmtime_adj(X509_getm_notBefore(crt), 0);
	X509_gmtime_adj(X509_getm_notAfter(crt), 3600);
	X509_set_pubkey(crt, key);
	name = X509_get_subject_name(crt);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(crt, name);
	assert_true(X509_sign(crt, key, EVP_sha256()) > 0);
	assert_int_equal(SSL_CTX_use_certificate(ctx, crt), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	X509_free(crt);
	EVP_PKEY_free(key);
}

static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	BIO *sb = NULL, *cb = NULL;
	int done = 0;

	if (p == NULL)
		return -1;
	p->sctx = SSL_CTX_new(TLS_server_method());
	p->cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(p->sctx, TLS1_3_VERSION);
	server_identity(p->sctx);
	p->server = SSL_new(p->sctx);
	p->client = SSL_new(p->cctx);
	/* Buffers large enough for a whole maximal message. */
	if (!BIO_new_bio_pair(&sb, 4 * GW_LINK_PAYLOAD_MAX, &cb,
			      4 * GW_LINK_PAYLOAD_MAX))
		return -1;
	SSL_set_bio(p->server, sb, sb);
	SSL_set_bio(p->client, cb, cb);
	SSL_set_accept_state(p->server);
	SSL_set_connect_state(p->client);
	for (int i = 0; i < 100 && done != 3; i++) {
		if (SSL_do_handshake(p->client) == 1)
			done |= 1;
		if (SSL_do_handshake(p->server) == 1)
			done |= 2;
	}
	*state = p;
	return done == 3 ? 0 : -1;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;

	SSL_free(p->server);
	SSL_free(p->client);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
	free(p);
	return 0;
}

static void send_raw(SSL *ssl, const char *s, size_t len)
{
	size_t n = 0;

	assert_int_equal(SSL_write_ex(ssl, s, len, &n), 1);
	assert_int_equal(n, len);
}

static void test_link_round_trip(void **state)
{
	struct pair *p = *state;
	static const char pem[] = "-----BEGIN CERTIFICATE REQUEST-----\n"
				  "AAAA\n-----END CERTIFICATE REQUEST-----\n";
	struct gw_link_msg m;

	assert_int_equal(
	    gw_link_write(p->client, "ENROLL m-0001 s3cret", pem, strlen(pem)),
	    0);
	assert_int_equal(gw_link_write(p->client, "SESSION - 1.2.0", NULL, 0),
			 0);
	assert_int_equal(gw_link_read(p->server, &m), 0);
	assert_int_equal(m.argc, 3);
	assert_string_equal(m.argv[0], "ENROLL");
	assert_string_equal(m.argv[1], "m-0001");
	assert_string_equal(m.argv[2], "s3cret");
	assert_int_equal(m.payload_len, strlen(pem));
	assert_string_equal(m.payload, pem);
	gw_link_msg_clear(&m);
	assert_null(m.payload);

	assert_int_equal(gw_link_read(p->server, &m), 0);
	assert_int_equal(m.argc, 3);
	assert_string_equal(m.argv[1], "-");
	assert_null(m.payload);
	assert_int_equal(m.payload_len, 0);
	gw_link_msg_clear(&m);

	assert_int_equal(
	    gw_link_write(p->server,
			  "OK id=7 secret=ab dataplane=10.0.0.1:7878"
			  " expires=99",
			  NULL, 0),
	    0);
	assert_int_equal(gw_link_read(p->client, &m), 0);
	assert_int_equal(m.argc, 5);
	assert_string_equal(gw_link_get(&m, 1, "id"), "7");
	assert_string_equal(gw_link_get(&m, 1, "secret"), "ab");
	assert_string_equal(gw_link_get(&m, 1, "dataplane"), "10.0.0.1:7878");
	assert_string_equal(gw_link_get(&m, 1, "expires"), "99");
	assert_null(gw_link_get(&m, 1, "expire"));
	assert_null(gw_link_get(&m, 1, "OK"));
	assert_null(gw_link_get(&m, 2, "id"));
	gw_link_msg_clear(&m);

	assert_int_equal(gw_link_write_err(p->server, 403, "not\nenrolled 5"),
			 0);
	assert_int_equal(gw_link_read(p->client, &m), 0);
	assert_int_equal(m.argc, 3);
	assert_string_equal(m.argv[0], "ERR");
	assert_string_equal(m.argv[1], "403");
	assert_string_equal(m.argv[2], "not?enrolled 5");
	assert_null(m.payload);
	gw_link_msg_clear(&m);
}

static void test_link_payload_limits(void **state)
{
	struct pair *p = *state;
	struct gw_link_msg m;
	char *big = malloc(GW_LINK_PAYLOAD_MAX + 1);

	assert_non_null(big);
	memset(big, 'p', GW_LINK_PAYLOAD_MAX + 1);
	assert_int_equal(
	    gw_link_write(p->client, "PUT", big, GW_LINK_PAYLOAD_MAX + 1),
	    -EINVAL);
	assert_int_equal(
	    gw_link_write(p->client, "PUT", big, GW_LINK_PAYLOAD_MAX), 0);
	assert_int_equal(gw_link_read(p->server, &m), 0);
	assert_int_equal(m.payload_len, GW_LINK_PAYLOAD_MAX);
	assert_memory_equal(m.payload, big, GW_LINK_PAYLOAD_MAX);
	assert_int_equal(m.payload[GW_LINK_PAYLOAD_MAX], '\0');
	gw_link_msg_clear(&m);
	assert_int_equal(gw_link_write(p->client, "A\nB", NULL, 0), -EINVAL);
	free(big);
}

/* Each malformed line is refused on its own; the next good message on the
 * same connection still reads, so nothing past a line is consumed. */
static const struct {
	const char *raw;
	int want;
} bad_lines[] = {
    {"VERB abc\n", -EPROTO},
    {"VERB -1\n", -EPROTO},
    {"VERB 65537\n", -EPROTO},
    {"VERB 99999999999999999999\n", -EPROTO},
    {"VERB\n", -EPROTO},
    {"5\n", -EPROTO},
    {"\n", -EPROTO},
    {"VERB  5\n", -EPROTO},
    {" VERB 0\n", -EPROTO},
    {"VERB 0 \n", -EPROTO},
    {"VERB 0\r\n", -EPROTO},
    {"ERR\n", -EPROTO},
    {"ERR 400\n", -EPROTO},
    {"V a b c d e f g h i j k l m n o p 0\n", -EPROTO}, /* 17 words */
};

static void test_link_bad_lines(void **state)
{
	struct pair *p = *state;
	struct gw_link_msg m;

	for (size_t i = 0; i < LEN(bad_lines); i++) {
		send_raw(p->client, bad_lines[i].raw, strlen(bad_lines[i].raw));
		send_raw(p->client, "NEXT 2\nok", 9);
		if (gw_link_read(p->server, &m) != bad_lines[i].want)
			fail_msg("bad line %zu accepted", i);
		assert_null(m.payload);
		assert_int_equal(m.argc, 0);
		assert_int_equal(gw_link_read(p->server, &m), 0);
		assert_string_equal(m.argv[0], "NEXT");
		assert_string_equal(m.payload, "ok");
		gw_link_msg_clear(&m);
	}

	/* 16 words and a length is the most allowed. */
	send_raw(p->client, "V a b c d e f g h i j k l m n o 0\n", 34);
	assert_int_equal(gw_link_read(p->server, &m), 0);
	assert_int_equal(m.argc, 16);
	assert_string_equal(m.argv[15], "o");
	gw_link_msg_clear(&m);
}

static void test_link_long_line(void **state)
{
	struct pair *p = *state;
	char line[GW_LINK_LINE_MAX + 8];
	struct gw_link_msg m;

	/* 1023 characters and the newline fit... */
	memset(line, 'x', sizeof(line));
	memcpy(line + GW_LINK_LINE_MAX - 3, " 0\n", 3);
	send_raw(p->client, line, GW_LINK_LINE_MAX);
	assert_int_equal(gw_link_read(p->server, &m), 0);
	assert_int_equal(strlen(m.argv[0]), GW_LINK_LINE_MAX - 3);
	gw_link_msg_clear(&m);

	/* ...1024 do not. */
	memset(line, 'x', sizeof(line));
	memcpy(line + GW_LINK_LINE_MAX - 2, " 0\n", 3);
	send_raw(p->client, line, GW_LINK_LINE_MAX + 1);
	assert_int_equal(gw_link_read(p->server, &m), -EPROTO);

	/* The writer refuses what the reader would. */
	memset(line, 'x', sizeof(line));
	line[GW_LINK_LINE_MAX - 3] = '\0';
	assert_int_equal(gw_link_write(p->client, line, NULL, 0), 0);
	line[GW_LINK_LINE_MAX - 3] = 'x';
	line[GW_LINK_LINE_MAX - 2] = '\0';
	assert_int_equal(gw_link_write(p->client, line, NULL, 0), -EINVAL);
}

static void test_link_peer_closed(void **state)
{
	struct pair *p = *state;
	struct gw_link_msg m;

	/* A line cut short by the peer's close_notify. */
	send_raw(p->client, "HALF", 4);
	SSL_shutdown(p->client);
	assert_int_equal(gw_link_read(p->server, &m), -ECONNRESET);
	assert_null(m.payload);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_wrap_nonce_fresh),
	    cmocka_unit_test(test_wrapped_hides_secret),
	    cmocka_unit_test(test_wrap_refuses),
	    cmocka_unit_test(test_foreign_records_refused),
	    cmocka_unit_test(test_malformed_records),
	    cmocka_unit_test(test_merchant_id_check),
	    cmocka_unit_test(test_state_names),
	    cmocka_unit_test_setup_teardown(test_link_round_trip, pair_setup,
					    pair_teardown),
	    cmocka_unit_test_setup_teardown(test_link_payload_limits,
					    pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_link_bad_lines, pair_setup,
					    pair_teardown),
	    cmocka_unit_test_setup_teardown(test_link_long_line, pair_setup,
					    pair_teardown),
	    cmocka_unit_test_setup_teardown(test_link_peer_closed, pair_setup,
					    pair_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
