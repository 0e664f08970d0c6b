/*
 * Wycheproof files for the unit tests: loading them and decoding their hex
 * fields, with any failure failing the running test.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gw_util.h"
#include "vectors.h"

json_t *vectors_load(const char *name)
{
	const char *dir = getenv("GW_VECTORS");
	char path[PATH_MAX];
	json_error_t err;
	json_t *root;

	if (dir == NULL)
		fail_msg("GW_VECTORS is not set");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	root = json_load_file(path, 0, &err);
	if (root == NULL)
		fail_msg("%s:%d: %s", path, err.line, err.text);
	return root;
}

uint8_t *vectors_hex(json_t *obj, const char *key, size_t *len)
{
	const char *s = json_string_value(json_object_get(obj, key));
	uint8_t *out;
	size_t n;

	assert_non_null(s);
	n = strlen(s);
	assert_int_equal(n % 2, 0);
	out = malloc(n / 2 + 1);
	assert_non_null(out);
	assert_int_equal(gw_hex_decode(s, out, n / 2), 0);
	*len = n / 2;
	return out;
}
