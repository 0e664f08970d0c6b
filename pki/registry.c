/*
 * The issuance registry of a PKI directory: the 'serial' file (the next
 * serial, decimal) and 'index.txt' (one line per merchant certificate:
 * serial in hex, merchant id, notAfter as Unix time, status V).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/bn.h>

#include "gw_pki.h"
#include "pki_int.h"

static int parse_serial(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || (*end && strcmp(end, "\n")) || v == 0 || v == UINT64_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

int gw_pki_reg_open(struct gw_pki_reg *r, const char *dir, char *err,
		    size_t errlen)
{
	char path[4096], buf[32];
	ssize_t n;

	r->fd = -1;
	if (gw_pki_path(path, sizeof(path), dir, "serial") ||
	    gw_pki_path(r->index, sizeof(r->index), dir, "index.txt"))
		return -ENAMETOOLONG;
	r->fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (r->fd < 0) {
		gw_pki_seterr(err, errlen, "cannot open %s: %s", path,
			      strerror(errno));
		return -ENOENT;
	}
	if (flock(r->fd, LOCK_EX)) {
		gw_pki_seterr(err, errlen, "cannot lock %s", path);
		goto fail;
	}
	n = pread(r->fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (parse_serial(buf, &r->serial)) {
		gw_pki_seterr(err, errlen, "%s does not hold a serial", path);
		goto fail;
	}
	return 0;
fail:
	gw_pki_reg_close(r);
	return -EINVAL;
}

static int store_serial(int fd, uint64_t next)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", next);

	if (pwrite(fd, buf, (size_t)n, 0) != n || ftruncate(fd, n) || fsync(fd))
		return -EIO;
	return 0;
}

/* "<serial hex>\t<merchant id>\t<notAfter>\tV\n" into @line. */
static int index_line(X509 *cert, const char *id, char *line, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	struct tm tm;
	int n = -1;

	if (hex && ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm))
		n = snprintf(line, len, "%s\t%s\t%lld\tV\n", hex, id,
			     (long long)timegm(&tm));
	OPENSSL_free(hex);
	BN_free(bn);
	return (n < 0 || (size_t)n >= len) ? -EINVAL : n;
}

int gw_pki_reg_commit(struct gw_pki_reg *r, X509 *cert, const char *id,
		      char *err, size_t errlen)
{
	char line[128];
	int fd, n, rc;

	n = index_line(cert, id, line, sizeof(line));
	if (n < 0) {
		gw_pki_seterr(err, errlen, "cannot format index entry");
		return n;
	}
	/* The serial is consumed before the index line is written: a crash
	 * in between costs an unused serial, never a serial used twice. */
	rc = store_serial(r->fd, r->serial + 1);
	if (rc) {
		gw_pki_seterr(err, errlen, "cannot advance the serial file");
		return rc;
	}
	fd = open(r->index, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		gw_pki_seterr(err, errlen, "cannot open %s: %s", r->index,
			      strerror(errno));
		return -EIO;
	}
	rc = (write(fd, line, (size_t)n) == n && !fsync(fd)) ? 0 : -EIO;
	close(fd);
	if (rc)
		gw_pki_seterr(err, errlen, "cannot append to %s", r->index);
	return rc;
}

void gw_pki_reg_close(struct gw_pki_reg *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
