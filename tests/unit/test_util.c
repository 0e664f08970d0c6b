/*
 * gw_util: key files (permissions, size, links, exclusivity), hex codecs
 * with malformed input, constant-time equality and printable copies.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gw_util.h"

static char dir[] = "/tmp/gw-test-util-XXXXXX";

static void path_in(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", dir, name);
}

static int setup_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int remove_dir(void **state)
{
	static const char *names[] = {"k1", "k2", "link", "short"};
	char p[PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in(p, sizeof(p), names[i]);
		unlink(p);
	}
	path_in(p, sizeof(p), "sub");
	rmdir(p);
	return rmdir(dir);
}

static void test_keyfile_create_then_read(void **state)
{
	uint8_t a[32], b[32], zero[32] = {0};
	char p[PATH_MAX];
	struct stat st;

	(void)state;
	path_in(p, sizeof(p), "k1");
	assert_int_equal(gw_keyfile_create(p, 32), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);

	assert_int_equal(gw_keyfile_read(p, a, sizeof(a)), 0);
	assert_int_equal(gw_keyfile_read(p, b, sizeof(b)), 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
}

static void test_keyfile_create_refuses_existing(void **state)
{
	uint8_t before[32], after[32];
	char p[PATH_MAX];

	(void)state;
	path_in(p, sizeof(p), "k1");
	assert_int_equal(gw_keyfile_read(p, before, sizeof(before)), 0);
	assert_int_equal(gw_keyfile_create(p, 32), -EEXIST);
	assert_int_equal(gw_keyfile_read(p, after, sizeof(after)), 0);
	assert_memory_equal(before, after, sizeof(before));
}

static void test_keyfile_two_keys_differ(void **state)
{
	uint8_t a[32], b[32];
	char p1[PATH_MAX], p2[PATH_MAX];

	(void)state;
	path_in(p1, sizeof(p1), "k1");
	path_in(p2, sizeof(p2), "k2");
	assert_int_equal(gw_keyfile_create(p2, 32), 0);
	assert_int_equal(gw_keyfile_read(p1, a, sizeof(a)), 0);
	assert_int_equal(gw_keyfile_read(p2, b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

static void test_keyfile_read_refuses_group_or_other_bits(void **state)
{
	static const mode_t modes[] = {0640, 0604, 0610, 0601, 0700};
	uint8_t key[32];
	char p[PATH_MAX];
	size_t i;

	(void)state;
	path_in(p, sizeof(p), "k1");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int want = (modes[i] & 077) ? -EPERM : 0;

		assert_int_equal(chmod(p, modes[i]), 0);
		memset(key, 0x55, sizeof(key));
		assert_int_equal(gw_keyfile_read(p, key, sizeof(key)), want);
		if (want != 0)
			assert_int_equal(key[0] | key[31], 0);
	}
	assert_int_equal(chmod(p, 0600), 0);
}

static void test_keyfile_read_wrong_size(void **state)
{
	uint8_t key[33];
	char p[PATH_MAX];

	(void)state;
	path_in(p, sizeof(p), "k1");
	assert_int_equal(gw_keyfile_read(p, key, 31), -EINVAL);
	assert_int_equal(gw_keyfile_read(p, key, 33), -EINVAL);
	assert_int_equal(gw_keyfile_read(p, key, 0), -EINVAL);

	path_in(p, sizeof(p), "short");
	assert_int_equal(gw_keyfile_create(p, 16), 0);
	assert_int_equal(gw_keyfile_read(p, key, 32), -EINVAL);
	assert_int_equal(gw_keyfile_read(p, key, 16), 0);
}

static void test_keyfile_read_missing_link_and_dir(void **state)
{
	uint8_t key[32];
	char p[PATH_MAX], target[PATH_MAX];

	(void)state;
	path_in(p, sizeof(p), "absent");
	assert_int_equal(gw_keyfile_read(p, key, sizeof(key)), -ENOENT);

	path_in(target, sizeof(target), "k1");
	path_in(p, sizeof(p), "link");
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(gw_keyfile_read(p, key, sizeof(key)), -ELOOP);
	assert_int_equal(gw_keyfile_create(p, 32), -EEXIST);

	path_in(p, sizeof(p), "sub");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(gw_keyfile_read(p, key, sizeof(key)), -EINVAL);
}

static void test_keyfile_bad_arguments(void **state)
{
	uint8_t key[32];
	char p[PATH_MAX];

	(void)state;
	path_in(p, sizeof(p), "never");
	assert_int_equal(gw_keyfile_create(p, 0), -EINVAL);
	assert_int_equal(gw_keyfile_create(NULL, 32), -EINVAL);
	assert_int_equal(gw_keyfile_read(NULL, key, 32), -EINVAL);
	assert_int_equal(access(p, F_OK), -1);
}

static void test_hex_encode_exact(void **state)
{
	static const uint8_t in[] = {0x00, 0xff, 0x10, 0xab, 0x9c};
	char out[2 * sizeof(in) + 1];

	(void)state;
	memset(out, 'x', sizeof(out));
	gw_hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "00ff10ab9c");
	gw_hex_encode(in, 0, out);
	assert_string_equal(out, "");
}

static void test_hex_decode_accepts_both_cases(void **state)
{
	static const uint8_t want[] = {0x00, 0xff, 0x10, 0xab, 0x9c};
	uint8_t out[5];

	(void)state;
	assert_int_equal(gw_hex_decode("00ff10ab9c", out, 5), 0);
	assert_memory_equal(out, want, 5);
	assert_int_equal(gw_hex_decode("00FF10AB9C", out, 5), 0);
	assert_memory_equal(out, want, 5);
	assert_int_equal(gw_hex_decode("", out, 0), 0);
}

static void test_hex_decode_rejects_malformed(void **state)
{
	/* Each differs from a valid 2-byte string in one way. */
	static const char *bad[] = {
	    "0g12", "g012", "01 2", "012",  "01234", "",
	    "0x12", "-012", "01:2", "@@@@", "`a12",  "012G",
	};
	uint8_t out[2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out[0] = out[1] = 0x77;
		assert_int_equal(gw_hex_decode(bad[i], out, 2), -EINVAL);
		if (strlen(bad[i]) == 4)
			assert_int_equal(out[0] | out[1], 0);
	}
	assert_int_equal(gw_hex_decode(NULL, out, 2), -EINVAL);
}

static void test_hex_round_trip_all_bytes(void **state)
{
	uint8_t in[256], out[256];
	char hex[513];
	int i;

	(void)state;
	for (i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	gw_hex_encode(in, sizeof(in), hex);
	assert_int_equal(strlen(hex), 512);
	assert_int_equal(gw_hex_decode(hex, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
}

static void test_ct_equal(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	memset(a, 0x3c, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_int_equal(gw_ct_equal(a, b, sizeof(a)), 1);
	b[31] ^= 0x01;
	assert_int_equal(gw_ct_equal(a, b, sizeof(a)), 0);
	assert_int_equal(gw_ct_equal(a, b, 31), 1);
	b[0] ^= 0x80;
	assert_int_equal(gw_ct_equal(a, b, 1), 0);
	assert_int_equal(gw_ct_equal(a, b, 0), 1);
}

static void test_printable_replaces_and_truncates(void **state)
{
	static const char in[] = "ab\x01\x7f\xff~ c\n";
	char out[16];

	(void)state;
	gw_printable(in, sizeof(in) - 1, out, sizeof(out));
	assert_string_equal(out, "ab???~ c?");
	gw_printable(in, sizeof(in) - 1, out, 4);
	assert_string_equal(out, "ab?");
	gw_printable(in, sizeof(in) - 1, out, 1);
	assert_string_equal(out, "");
	/* Embedded NULs are untrusted bytes like any other. */
	gw_printable("a\0b", 3, out, sizeof(out));
	assert_string_equal(out, "a?b");
	out[0] = 'x';
	gw_printable(in, 5, out, 0);
	assert_int_equal(out[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keyfile_create_then_read),
	    cmocka_unit_test(test_keyfile_create_refuses_existing),
	    cmocka_unit_test(test_keyfile_two_keys_differ),
	    cmocka_unit_test(test_keyfile_read_refuses_group_or_other_bits),
	    cmocka_unit_test(test_keyfile_read_wrong_size),
	    cmocka_unit_test(test_keyfile_read_missing_link_and_dir),
	    cmocka_unit_test(test_keyfile_bad_arguments),
	    cmocka_unit_test(test_hex_encode_exact),
	    cmocka_unit_test(test_hex_decode_accepts_both_cases),
	    cmocka_unit_test(test_hex_decode_rejects_malformed),
	    cmocka_unit_test(test_hex_round_trip_all_bytes),
	    cmocka_unit_test(test_ct_equal),
	    cmocka_unit_test(test_printable_replaces_and_truncates),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
