/*
 * Small helpers the programs share: key files, hex, constant-time compare,
 * printable copies of untrusted bytes for logs.
 */
#ifndef GW_UTIL_H
#define GW_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Reads exactly @len bytes of key from @path, refusing a file readable by
 * group or others.  0, -ENOENT, -EPERM (mode), -EINVAL (size) or -EIO. */
__attribute__((warn_unused_result)) int
gw_keyfile_read(const char *path, uint8_t *key, size_t len);

/* Writes @len random bytes to a new file @path with mode 0600, failing if
 * it exists.  0 or a negative errno. */
__attribute__((warn_unused_result)) int gw_keyfile_create(const char *path,
							  size_t len);

void gw_hex_encode(const uint8_t *in, size_t len, char *out); /* 2len+1 */
/* Decodes exactly @len bytes from 2*@len hex characters and a NUL.
 * 0 or -EINVAL. */
__attribute__((warn_unused_result)) int gw_hex_decode(const char *in,
						      uint8_t *out, size_t len);

/* 1 if equal, 0 if not, in time independent of the contents. */
int gw_ct_equal(const void *a, const void *b, size_t len);

/* Copies at most @outlen - 1 bytes of @in, replacing what is not
 * printable ASCII with '?'.  For logging untrusted input. */
void gw_printable(const char *in, size_t inlen, char *out, size_t outlen);

#endif
