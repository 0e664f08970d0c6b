/*
 * The secrets command.  Lines are written with write(2) from a buffer this
 * function wipes, so no copy of a secret lingers in a stdio buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gw_sessrec.h"
#include "gw_util.h"
#include "secrets.h"
#include "store.h"

#define SECRET_BYTES 32

static int make_id(const char *single, const char *prefix, unsigned long i,
		   char *id, size_t idlen)
{
	int n;

	if (single)
		n = snprintf(id, idlen, "%s", single);
	else
		n = snprintf(id, idlen, "%s%04lu", prefix, i);
	if (n < 0 || (size_t)n >= idlen || gw_merchant_id_check(id))
		return -EINVAL;
	return 0;
}

/* One secret for @id: stored hashed, then written in clear to @fd. */
static int create_one(redisContext *rc, int fd, const char *id)
{
	uint8_t raw[SECRET_BYTES];
	char secret[2 * SECRET_BYTES + 1];
	char hash[GW_SHA256_HEX];
	char line[GW_MERCHANT_ID_MAX + sizeof(secret) + 2];
	int ret = -EIO;
	int n;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		goto out;
	gw_hex_encode(raw, sizeof(raw), secret);
	if (gw_store_hash_secret(secret, hash) ||
	    gw_store_enroll_set(rc, id, hash))
		goto out;
	n = snprintf(line, sizeof(line), "%s %s\n", id, secret);
	if (n > 0 && write(fd, line, n) == n)
		ret = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(line, sizeof(line));
	return ret;
}

int gw_secrets_create(redisContext *rc, const char *single, const char *prefix,
		      unsigned long count, const char *out)
{
	char id[GW_MERCHANT_ID_MAX + 1];
	unsigned long i;
	int ret = 0;
	int fd;

	if (single)
		count = 1;
	/* Check every id first, so that a bad prefix creates nothing. */
	for (i = 1; i <= count; i++)
		if (make_id(single, prefix, i, id, sizeof(id)))
			return -EINVAL;
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (i = 1; i <= count && ret == 0; i++) {
		if (make_id(single, prefix, i, id, sizeof(id)))
			ret = -EINVAL;
		else
			ret = create_one(rc, fd, id);
	}
	if (ret)
		fprintf(
		    stderr,
		    "gw-control: stopped at merchant %s: %lu of %lu secrets created\n",
		    id, i - 2, count);
	if (fsync(fd) && ret == 0)
		ret = -EIO;
	if (close(fd) && ret == 0)
		ret = -EIO;
	return ret;
}
