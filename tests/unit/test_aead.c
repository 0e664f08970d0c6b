/*
 * gw_aead: every applicable Wycheproof AES-GCM case in both directions,
 * tag lengths, argument refusals, the nonce layout, and the datagram
 * framing against a frame computed by an independent AES-GCM.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gw_aead.h"
#include "gw_kdf.h"
#include "gw_wire.h"
#include "vectors.h"

struct gcm_case {
	int id;
	const char *result;
	uint8_t *key, *iv, *aad, *msg, *ct, *tag;
	size_t key_len, iv_len, aad_len, msg_len, ct_len, tag_len;
};

static void case_load(json_t *t, struct gcm_case *c)
{
	c->id = (int)json_integer_value(json_object_get(t, "tcId"));
	c->result = json_string_value(json_object_get(t, "result"));
	c->key = vectors_hex(t, "key", &c->key_len);
	c->iv = vectors_hex(t, "iv", &c->iv_len);
	c->aad = vectors_hex(t, "aad", &c->aad_len);
	c->msg = vectors_hex(t, "msg", &c->msg_len);
	c->ct = vectors_hex(t, "ct", &c->ct_len);
	c->tag = vectors_hex(t, "tag", &c->tag_len);
}

static void case_free(struct gcm_case *c)
{
	free(c->key);
	free(c->iv);
	free(c->aad);
	free(c->msg);
	free(c->ct);
	free(c->tag);
}

/* Valid cases: seal reproduces ct and tag, open gives back msg. */
static void run_valid(const struct gw_aead_key *k, const struct gcm_case *c)
{
	uint8_t *out = malloc(c->msg_len + 1), tag[16];

	assert_non_null(out);
	assert_int_equal(c->ct_len, c->msg_len);
	assert_int_equal(gw_aead_seal(k, c->iv, c->aad, c->aad_len, c->msg,
				      c->msg_len, out, tag, 16),
			 0);
	if (memcmp(out, c->ct, c->ct_len) != 0 || memcmp(tag, c->tag, 16) != 0)
		fail_msg("tcId %d: seal differs", c->id);
	memset(out, 0, c->msg_len + 1);
	if (gw_aead_open(k, c->iv, c->aad, c->aad_len, c->ct, c->ct_len, out,
			 c->tag, 16) != 0 ||
	    memcmp(out, c->msg, c->msg_len) != 0)
		fail_msg("tcId %d: open failed", c->id);
	free(out);
}

/* Invalid cases: open refuses and leaves no plaintext behind. */
static void run_invalid(const struct gw_aead_key *k, const struct gcm_case *c)
{
	uint8_t *out = malloc(c->ct_len + 1);
	size_t i;
	int ret;

	assert_non_null(out);
	memset(out, 0xcc, c->ct_len + 1);
	ret = gw_aead_open(k, c->iv, c->aad, c->aad_len, c->ct, c->ct_len, out,
			   c->tag, 16);
	if (ret != -EBADMSG)
		fail_msg("tcId %d: open gave %d, want -EBADMSG", c->id, ret);
	for (i = 0; i < c->ct_len; i++)
		assert_int_equal(out[i], 0);
	free(out);
}

static void test_wycheproof_aes_gcm(void **state)
{
	json_t *root = vectors_load("wycheproof_aes_gcm_test.json");
	json_t *groups = json_object_get(root, "testGroups"), *g;
	int applicable = 0, run = 0, skipped = 0, valid = 0, invalid = 0;
	struct gw_aead_key *k = aligned_alloc(64, sizeof(*k));
	size_t gi;

	(void)state;
	assert_non_null(k);
	json_array_foreach(groups, gi, g)
	{
		json_int_t iv_bits =
		    json_integer_value(json_object_get(g, "ivSize"));
		json_int_t tag_bits =
		    json_integer_value(json_object_get(g, "tagSize"));
		json_int_t key_bits =
		    json_integer_value(json_object_get(g, "keySize"));
		json_t *tests = json_object_get(g, "tests"), *t;
		size_t n = json_array_size(tests), ti;

		if (iv_bits != 96 || tag_bits != 128 ||
		    (key_bits != 128 && key_bits != 192 && key_bits != 256)) {
			skipped += (int)n;
			continue;
		}
		applicable += (int)n;
		json_array_foreach(tests, ti, t)
		{
			struct gcm_case c;

			case_load(t, &c);
			assert_int_equal(c.key_len * 8, key_bits);
			assert_int_equal(c.iv_len, 12);
			assert_int_equal(c.tag_len, 16);
			assert_int_equal(gw_aead_key_init(k, c.key, c.key_len),
					 0);
			if (strcmp(c.result, "invalid") == 0) {
				run_invalid(k, &c);
				invalid++;
			} else {
				run_valid(k, &c);
				valid++;
			}
			run++;
			case_free(&c);
		}
	}
	print_message(
	    "AES-GCM: %d Wycheproof cases ran (%d valid, %d invalid), %d skipped (IV or tag size not used by the protocol)\n",
	    run, valid, invalid, skipped);
	assert_int_equal(run, applicable);
	assert_int_equal(run + skipped, json_integer_value(json_object_get(
					    root, "numberOfTests")));
	assert_int_equal(run, 197);
	assert_int_equal(invalid, 81);
	free(k);
	json_decref(root);
}

static const uint8_t key32[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
static const uint8_t iv0[GW_AEAD_IV_LEN] = {0xca, 0xfe};

static void test_key_init_lengths(void **state)
{
	static const size_t lens[] = {0, 1, 15, 17, 23, 25, 31, 33, 64};
	struct gw_aead_key k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		assert_int_equal(gw_aead_key_init(&k, key32, lens[i]), -EINVAL);
	assert_int_equal(gw_aead_key_init(&k, key32, 16), 0);
	assert_int_equal(k.key_len, 16);
	assert_int_equal(gw_aead_key_init(&k, key32, 24), 0);
	assert_int_equal(k.key_len, 24);
	assert_int_equal(gw_aead_key_init(&k, key32, 32), 0);
	assert_int_equal(k.key_len, 32);
	assert_int_equal(gw_aead_key_init(NULL, key32, 32), -EINVAL);
	assert_int_equal(gw_aead_key_init(&k, NULL, 32), -EINVAL);
}

static void test_tag_lengths_1_to_16(void **state)
{
	static const uint8_t msg[40] =
	    "forty bytes of plaintext for the tags..";
	uint8_t full[16], tag[17], ct[40], pt[40];
	struct gw_aead_key k;
	size_t n;

	(void)state;
	assert_int_equal(gw_aead_key_init(&k, key32, 32), 0);
	assert_int_equal(gw_aead_seal(&k, iv0, key32, 5, msg, 40, ct, full, 16),
			 0);
	for (n = 1; n <= 16; n++) {
		/* A GCM tag of n bytes is the first n of the full tag. */
		assert_int_equal(
		    gw_aead_seal(&k, iv0, key32, 5, msg, 40, ct, tag, n), 0);
		assert_memory_equal(tag, full, n);
		assert_int_equal(
		    gw_aead_open(&k, iv0, key32, 5, ct, 40, pt, tag, n), 0);
		assert_memory_equal(pt, msg, 40);
		tag[n - 1] ^= 0x01;
		assert_int_equal(
		    gw_aead_open(&k, iv0, key32, 5, ct, 40, pt, tag, n),
		    -EBADMSG);
	}
	assert_int_equal(gw_aead_seal(&k, iv0, NULL, 0, msg, 40, ct, tag, 0),
			 -EINVAL);
	assert_int_equal(gw_aead_seal(&k, iv0, NULL, 0, msg, 40, ct, tag, 17),
			 -EINVAL);
	assert_int_equal(gw_aead_open(&k, iv0, NULL, 0, ct, 40, pt, tag, 0),
			 -EINVAL);
	assert_int_equal(gw_aead_open(&k, iv0, NULL, 0, ct, 40, pt, tag, 17),
			 -EINVAL);
}

static void test_bad_arguments(void **state)
{
	uint8_t buf[16] = {0}, tag[16];
	struct gw_aead_key k;

	(void)state;
	assert_int_equal(gw_aead_key_init(&k, key32, 32), 0);
	assert_int_equal(
	    gw_aead_seal(NULL, iv0, NULL, 0, buf, 16, buf, tag, 16), -EINVAL);
	assert_int_equal(gw_aead_seal(&k, NULL, NULL, 0, buf, 16, buf, tag, 16),
			 -EINVAL);
	assert_int_equal(gw_aead_seal(&k, iv0, NULL, 4, buf, 16, buf, tag, 16),
			 -EINVAL);
	assert_int_equal(gw_aead_seal(&k, iv0, NULL, 0, NULL, 16, buf, tag, 16),
			 -EINVAL);
	assert_int_equal(gw_aead_seal(&k, iv0, NULL, 0, buf, 16, NULL, tag, 16),
			 -EINVAL);
	assert_int_equal(gw_aead_seal(&k, iv0, NULL, 0, buf, 16, buf, NULL, 16),
			 -EINVAL);
	k.key_len = 20;
	assert_int_equal(gw_aead_seal(&k, iv0, NULL, 0, buf, 16, buf, tag, 16),
			 -EINVAL);
	assert_int_equal(gw_aead_open(&k, iv0, NULL, 0, buf, 16, buf, tag, 16),
			 -EINVAL);
}

static void test_empty_message_and_in_place(void **state)
{
	uint8_t buf[64], tag[16], copy[64];
	struct gw_aead_key k;

	(void)state;
	assert_int_equal(gw_aead_key_init(&k, key32, 16), 0);
	/* Nothing to encrypt: the tag alone authenticates the aad. */
	assert_int_equal(
	    gw_aead_seal(&k, iv0, key32, 32, NULL, 0, NULL, tag, 16), 0);
	assert_int_equal(
	    gw_aead_open(&k, iv0, key32, 32, NULL, 0, NULL, tag, 16), 0);
	assert_int_equal(
	    gw_aead_open(&k, iv0, key32, 31, NULL, 0, NULL, tag, 16), -EBADMSG);

	memset(buf, 0x61, sizeof(buf));
	memcpy(copy, buf, sizeof(buf));
	assert_int_equal(gw_aead_seal(&k, iv0, NULL, 0, buf, 64, buf, tag, 16),
			 0);
	assert_memory_not_equal(buf, copy, 64);
	assert_int_equal(gw_aead_open(&k, iv0, NULL, 0, buf, 64, buf, tag, 16),
			 0);
	assert_memory_equal(buf, copy, 64);
}

static void test_nonce_is_salt_then_seq_big_endian(void **state)
{
	static const uint8_t want[GW_AEAD_IV_LEN] = {
	    0xd4, 0x4a, 0x28, 0x29, 0x01, 0x23,
	    0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	};
	struct gw_dir_keys *d = aligned_alloc(64, sizeof(*d));
	uint8_t iv[GW_AEAD_IV_LEN];

	(void)state;
	assert_non_null(d);
	memcpy(d->salt, want, 4);
	gw_aead_nonce(d, 0x0123456789abcdefULL, iv);
	assert_memory_equal(iv, want, sizeof(want));
	gw_aead_nonce(d, UINT64_MAX, iv);
	assert_memory_equal(iv + 4, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	free(d);
}

/*
 * Secret 00..1f, session 0x01020304, m2g direction, header {1, AUTH,
 * PARTIAL_OK, 0x01020304, seq 7}, body 00..2f: the datagram as computed
 * by a separate HKDF and AES-GCM implementation.
 */
static const uint8_t kat_frame[GW_WIRE_REQ_DGRAM] = {
    0x01, 0x01, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x07, 0x5f, 0x61, 0x12, 0x9b, 0x91, 0x96, 0x71, 0x9d,
    0x03, 0xfe, 0xe3, 0x29, 0xb3, 0x65, 0xb2, 0xaa, 0x9d, 0xfc, 0xd3, 0x0c,
    0xb8, 0xaa, 0x6f, 0x0d, 0xf4, 0xeb, 0x76, 0x88, 0x85, 0x26, 0xf9, 0xa3,
    0xc4, 0xf2, 0x71, 0x78, 0x17, 0x33, 0xd2, 0xd0, 0xa9, 0xd7, 0x26, 0x84,
    0x2d, 0x28, 0x5f, 0x49, 0xaf, 0x77, 0x4a, 0x7d, 0x26, 0x83, 0xdf, 0xbd,
    0x1c, 0x08, 0x74, 0x6b, 0x38, 0x26, 0xf4, 0xe9,
};

struct frame_fixture {
	struct gw_session_keys keys;
	struct gw_hdr h;
	uint8_t body[GW_WIRE_REQ_LEN];
	uint8_t pkt[GW_WIRE_REQ_DGRAM];
};

static int frame_setup(void **state)
{
	struct frame_fixture *f = aligned_alloc(64, sizeof(*f));
	uint8_t secret[GW_SECRET_LEN];
	int i;

	if (f == NULL)
		return -1;
	for (i = 0; i < GW_SECRET_LEN; i++)
		secret[i] = (uint8_t)i;
	for (i = 0; i < GW_WIRE_REQ_LEN; i++)
		f->body[i] = (uint8_t)i;
	if (gw_kdf_session(secret, 0x01020304, &f->keys) != 0)
		return -1;
	f->h = (struct gw_hdr){
	    .version = GW_WIRE_VERSION,
	    .type = GW_MSG_AUTH,
	    .flags = GW_FLAG_PARTIAL_OK,
	    .session_id = 0x01020304,
	    .seq = 7,
	};
	*state = f;
	return 0;
}

static int frame_teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_frame_seal_known_answer(void **state)
{
	struct frame_fixture *f = *state;

	assert_int_equal(gw_aead_frame_seal(&f->keys.m2g, &f->h, f->body,
					    GW_WIRE_REQ_LEN, f->pkt),
			 GW_WIRE_REQ_DGRAM);
	assert_memory_equal(f->pkt, kat_frame, sizeof(kat_frame));
}

static void test_frame_open_round_trip(void **state)
{
	struct frame_fixture *f = *state;
	uint8_t body[GW_WIRE_REQ_LEN];
	struct gw_hdr h;

	assert_int_equal(gw_wire_check_req(kat_frame, sizeof(kat_frame), &h),
			 GW_WIRE_OK);
	assert_int_equal(gw_aead_frame_open(&f->keys.m2g, &h, kat_frame,
					    sizeof(kat_frame), body),
			 0);
	assert_memory_equal(body, f->body, sizeof(body));
}

/* Every single-bit change anywhere in the datagram must fail the tag. */
static void test_frame_every_bit_flip_is_ebadmsg(void **state)
{
	struct frame_fixture *f = *state;
	uint8_t pkt[GW_WIRE_REQ_DGRAM], body[GW_WIRE_REQ_LEN];
	int bit, refused = 0;

	for (bit = 0; bit < (int)sizeof(pkt) * 8; bit++) {
		struct gw_hdr h;
		size_t i;

		memcpy(pkt, kat_frame, sizeof(pkt));
		pkt[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		gw_wire_hdr_decode(pkt, &h);
		memset(body, 0xcc, sizeof(body));
		if (gw_aead_frame_open(&f->keys.m2g, &h, pkt, sizeof(pkt),
				       body) != -EBADMSG)
			fail_msg("bit %d: flipped datagram accepted", bit);
		for (i = 0; i < sizeof(body); i++)
			assert_int_equal(body[i], 0);
		refused++;
	}
	/* 16 header, 48 body and 16 tag bytes. */
	assert_int_equal(refused, 640);
}

static void test_frame_wrong_key_seq_or_length(void **state)
{
	struct frame_fixture *f = *state;
	uint8_t body[GW_WIRE_REQ_LEN], pkt[GW_WIRE_REQ_DGRAM + 1];
	struct gw_session_keys *other = aligned_alloc(64, sizeof(*other));
	uint8_t secret[GW_SECRET_LEN] = {0};
	struct gw_hdr h;

	assert_non_null(other);
	gw_wire_hdr_decode(kat_frame, &h);
	/* The gateway's own direction key does not open a merchant frame. */
	assert_int_equal(gw_aead_frame_open(&f->keys.g2m, &h, kat_frame,
					    sizeof(kat_frame), body),
			 -EBADMSG);
	/* Nor does another session's key. */
	assert_int_equal(gw_kdf_session(secret, 0x01020304, other), 0);
	assert_int_equal(gw_aead_frame_open(&other->m2g, &h, kat_frame,
					    sizeof(kat_frame), body),
			 -EBADMSG);
	/* A sequence number other than the header's changes the nonce. */
	h.seq = 8;
	assert_int_equal(gw_aead_frame_open(&f->keys.m2g, &h, kat_frame,
					    sizeof(kat_frame), body),
			 -EBADMSG);
	h.seq = 7;
	/* Truncated, extended, and shorter than header plus tag. */
	assert_int_equal(gw_aead_frame_open(&f->keys.m2g, &h, kat_frame,
					    sizeof(kat_frame) - 1, body),
			 -EBADMSG);
	memcpy(pkt, kat_frame, sizeof(kat_frame));
	pkt[sizeof(kat_frame)] = 0;
	assert_int_equal(
	    gw_aead_frame_open(&f->keys.m2g, &h, pkt, sizeof(pkt), body),
	    -EBADMSG);
	assert_int_equal(
	    gw_aead_frame_open(&f->keys.m2g, &h, kat_frame, 31, body),
	    -EBADMSG);
	assert_int_equal(
	    gw_aead_frame_open(&f->keys.m2g, &h, kat_frame, 0, body), -EBADMSG);
	free(other);
}

static void test_frame_sizes_and_in_place(void **state)
{
	struct frame_fixture *f = *state;
	static uint8_t big_in[65535], big_out[65535];
	uint8_t pkt[GW_WIRE_RESP_DGRAM], body[GW_WIRE_RESP_LEN];
	struct gw_hdr h = f->h;

	/* An empty body is a valid frame: header and tag only. */
	assert_int_equal(gw_aead_frame_seal(&f->keys.g2m, &h, NULL, 0, pkt),
			 32);
	assert_int_equal(gw_aead_frame_open(&f->keys.g2m, &h, pkt, 32, body),
			 0);

	/* Sealing in place: the body already sits after the header. */
	h.type = GW_MSG_AUTH | GW_MSG_RESPONSE;
	memset(pkt + GW_WIRE_HDR_LEN, 0x33, GW_WIRE_RESP_LEN);
	assert_int_equal(gw_aead_frame_seal(&f->keys.g2m, &h,
					    pkt + GW_WIRE_HDR_LEN,
					    GW_WIRE_RESP_LEN, pkt),
			 GW_WIRE_RESP_DGRAM);
	assert_int_equal(gw_wire_check_resp(pkt, sizeof(pkt), &h), GW_WIRE_OK);
	assert_int_equal(
	    gw_aead_frame_open(&f->keys.g2m, &h, pkt, sizeof(pkt), body), 0);
	assert_int_equal(body[0], 0x33);
	assert_int_equal(body[GW_WIRE_RESP_LEN - 1], 0x33);

	/* The largest frame is one UDP datagram. */
	assert_int_equal(
	    gw_aead_frame_seal(&f->keys.g2m, &h, big_in, 65535 - 32, big_out),
	    65535);
	assert_int_equal(
	    gw_aead_frame_open(&f->keys.g2m, &h, big_out, 65535, big_in), 0);
	assert_int_equal(
	    gw_aead_frame_seal(&f->keys.g2m, &h, big_in, 65535 - 31, big_out),
	    -EINVAL);
	assert_int_equal(gw_aead_frame_seal(&f->keys.g2m, &h, NULL, 4, pkt),
			 -EINVAL);
}

static void *mgr_of_thread(void *arg)
{
	(void)arg;
	return gw_aead_mgr();
}

static void test_manager_is_per_thread(void **state)
{
	IMB_MGR *mine = gw_aead_mgr();
	pthread_t t;
	void *theirs = NULL;

	(void)state;
	assert_non_null(mine);
	assert_ptr_equal(gw_aead_mgr(), mine);
	assert_int_equal(pthread_create(&t, NULL, mgr_of_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &theirs), 0);
	assert_non_null(theirs);
	assert_ptr_not_equal(theirs, mine);
	/* The thread's manager was freed as it exited: the leak checker of
	 * the sanitizer build would report it otherwise. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wycheproof_aes_gcm),
	    cmocka_unit_test(test_key_init_lengths),
	    cmocka_unit_test(test_tag_lengths_1_to_16),
	    cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_empty_message_and_in_place),
	    cmocka_unit_test(test_nonce_is_salt_then_seq_big_endian),
	    cmocka_unit_test_setup_teardown(test_frame_seal_known_answer,
					    frame_setup, frame_teardown),
	    cmocka_unit_test_setup_teardown(test_frame_open_round_trip,
					    frame_setup, frame_teardown),
	    cmocka_unit_test_setup_teardown(
		test_frame_every_bit_flip_is_ebadmsg, frame_setup,
		frame_teardown),
	    cmocka_unit_test_setup_teardown(test_frame_wrong_key_seq_or_length,
					    frame_setup, frame_teardown),
	    cmocka_unit_test_setup_teardown(test_frame_sizes_and_in_place,
					    frame_setup, frame_teardown),
	    cmocka_unit_test(test_manager_is_per_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
