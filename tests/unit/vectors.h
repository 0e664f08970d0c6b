/*
 * Reading the Wycheproof vector files under $GW_VECTORS for the unit
 * tests: the JSON document and its hex-encoded fields.  What each test
 * group means is left to the test that reads it.
 */
#ifndef GW_TEST_VECTORS_H
#define GW_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The parsed file @name of $GW_VECTORS; fails the test when it cannot be
 * read.  Release with json_decref. */
json_t *vectors_load(const char *name);

/*
 * Decodes the hex string @key of @obj into a new buffer, at least one byte
 * long so that an empty value still has an address; *len gets the byte
 * count.  Fails the test on a missing or malformed value.  Free it.
 */
uint8_t *vectors_hex(json_t *obj, const char *key, size_t *len);

#endif
