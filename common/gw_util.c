/*
 * Key files on disk, hex codecs, constant-time comparison and printable
 * copies of untrusted bytes.  What a key is for, and how it is derived, is
 * left to gw_kdf.c and its callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gw_util.h"

/* Key files are small; anything larger is certainly not one of ours. */
#define KEYFILE_MAX 4096

static int read_all(int fd, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int gw_keyfile_read(const char *path, uint8_t *key, size_t len)
{
	struct stat st;
	int fd, ret;

	if (path == NULL || key == NULL || len == 0 || len > KEYFILE_MAX)
		return -EINVAL;

	/* A symbolic link could point a key path at a file someone else
	 * controls, so the key must be the file itself. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;

	if (fstat(fd, &st) < 0) {
		ret = -EIO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	if (st.st_mode & 077) {
		ret = -EPERM;
		goto out;
	}
	if ((size_t)st.st_size != len) {
		ret = -EINVAL;
		goto out;
	}
	ret = read_all(fd, key, len);
out:
	if (ret < 0)
		explicit_bzero(key, len);
	close(fd);
	return ret;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int fill_random(uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int gw_keyfile_create(const char *path, size_t len)
{
	uint8_t buf[KEYFILE_MAX];
	int fd, ret;

	if (path == NULL || len == 0 || len > KEYFILE_MAX)
		return -EINVAL;

	/* O_EXCL: an existing key is never overwritten, since data wrapped
	 * under it would become unreadable. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;

	ret = fill_random(buf, len);
	if (ret == 0)
		ret = write_all(fd, buf, len);
	if (ret == 0 && fsync(fd) < 0)
		ret = -EIO;
	if (close(fd) < 0 && ret == 0)
		ret = -EIO;
	if (ret < 0)
		unlink(path);
	explicit_bzero(buf, len);
	return ret;
}

void gw_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/* Value of one hex digit, or -1.  Hex strings may carry secrets, so the
 * digit is classified with masks rather than branches on its value. */
static int nibble(unsigned char c)
{
	int d = c - '0', l = (c | 0x20) - 'a';
	int is_d = ((d >= 0) & (d <= 9));
	int is_l = ((l >= 0) & (l <= 5));

	return (is_d * d) + (is_l * (l + 10)) - (1 - (is_d | is_l));
}

int gw_hex_decode(const char *in, uint8_t *out, size_t len)
{
	int bad = 0;
	size_t i;

	if (in == NULL || out == NULL)
		return -EINVAL;
	if (strnlen(in, 2 * len + 1) != 2 * len)
		return -EINVAL;

	for (i = 0; i < len; i++) {
		int hi = nibble((unsigned char)in[2 * i]);
		int lo = nibble((unsigned char)in[2 * i + 1]);

		bad |= (hi < 0) | (lo < 0);
		out[i] = (uint8_t)(((hi & 0x0f) << 4) | (lo & 0x0f));
	}
	if (bad) {
		explicit_bzero(out, len);
		return -EINVAL;
	}
	return 0;
}

int gw_ct_equal(const void *a, const void *b, size_t len)
{
	if (len == 0)
		return 1;
	return CRYPTO_memcmp(a, b, len) == 0;
}

void gw_printable(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t i, n;

	if (out == NULL || outlen == 0)
		return;
	n = in == NULL ? 0 : inlen;
	if (n > outlen - 1)
		n = outlen - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
	}
	out[n] = '\0';
}
