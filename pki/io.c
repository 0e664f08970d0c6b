/*
 * Files and PEM: reading and writing keys, certificates and CSRs, on disk
 * and in memory.  Private keys only ever reach disk through a new file of
 * mode 0600, and their encodings are wiped from memory after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "gw_pki.h"
#include "gw_util.h"
#include "pki_int.h"

void gw_pki_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void gw_pki_printable(const unsigned char *in, size_t inlen, char *out,
		      size_t outlen)
{
	gw_printable((const char *)in, inlen, out, outlen);
}

int gw_pki_path(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int gw_pki_write_file(const char *path, const void *buf, size_t len,
		      mode_t mode, int excl)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
	int fd, rc;

	flags |= excl ? O_EXCL : O_TRUNC;
	fd = open(path, flags, mode);
	if (fd < 0)
		return -errno;
	/* The umask may only narrow the mode; a key file must be exactly
	 * 0600 whatever the caller's umask was. */
	rc = fchmod(fd, mode) ? -errno : 0;
	if (!rc)
		rc = write_all(fd, buf, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -EIO;
	if (rc)
		unlink(path);
	return rc;
}

int gw_pki_replace_file(const char *path, const void *buf, size_t len)
{
	char tmp[4096], dir[4096], *slash;
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* The caller holds the registry lock, so a temporary file left by
	 * a crash is stale and may be replaced. */
	rc = gw_pki_write_file(tmp, buf, len, 0644, 0);
	if (rc)
		return rc;
	if (rename(tmp, path)) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	/* The rename itself is durable only once the directory is synced. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

int gw_pki_read_file(const char *path, unsigned char **buf, size_t *len,
		     int secret)
{
	unsigned char *p = NULL;
	struct stat st;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > GW_PKI_FILE_MAX) {
		rc = -EINVAL;
		goto out;
	}
	if (secret && (st.st_mode & 077)) {
		rc = -EPERM;
		goto out;
	}
	p = OPENSSL_zalloc((size_t)st.st_size + 1);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*buf = p;
	*len = got;
	p = NULL;
out:
	close(fd);
	return rc;
}

/* Copies a memory BIO's contents into a NUL-terminated OPENSSL_malloc
 * buffer. */
static char *bio_take(BIO *bio, size_t *len)
{
	char *data, *out;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0)
		return NULL;
	out = OPENSSL_malloc((size_t)n + 1);
	if (!out)
		return NULL;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	if (len)
		*len = (size_t)n;
	return out;
}

char *gw_pki_cert_pem(X509 *cert, size_t *len)
{
	BIO *bio;
	char *out = NULL;

	if (!cert)
		return NULL;
	bio = BIO_new(BIO_s_mem());
	if (bio && PEM_write_bio_X509(bio, cert))
		out = bio_take(bio, len);
	BIO_free(bio);
	return out;
}

char *gw_pki_csr_pem(X509_REQ *csr, size_t *len)
{
	BIO *bio;
	char *out = NULL;

	if (!csr)
		return NULL;
	bio = BIO_new(BIO_s_mem());
	if (bio && PEM_write_bio_X509_REQ(bio, csr))
		out = bio_take(bio, len);
	BIO_free(bio);
	return out;
}

X509 *gw_pki_cert_from_pem(const char *pem, size_t len)
{
	BIO *bio;
	X509 *cert;

	if (!pem || !len || len > INT_MAX)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return NULL;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return cert;
}

X509_REQ *gw_pki_csr_from_pem(const char *pem, size_t len)
{
	BIO *bio;
	X509_REQ *csr;

	if (!pem || !len || len > INT_MAX)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return NULL;
	csr = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return csr;
}

EVP_PKEY *gw_pki_keygen(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

int gw_pki_write_key(const char *path, EVP_PKEY *key)
{
	char *data = NULL;
	long n;
	BIO *bio;
	int rc = -ENOMEM;

	if (!path || !key)
		return -EINVAL;
	/* A secure-memory BIO wipes its buffer when freed, so the encoded
	 * key does not linger in freed heap. */
	bio = BIO_new(BIO_s_secmem());
	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto out;
	rc = gw_pki_write_file(path, data, (size_t)n, 0600, 1);
	OPENSSL_cleanse(data, (size_t)n);
out:
	BIO_free(bio);
	return rc;
}

EVP_PKEY *gw_pki_read_key(const char *path)
{
	unsigned char *buf = NULL;
	EVP_PKEY *key = NULL;
	size_t len = 0;
	BIO *bio;

	if (!path || gw_pki_read_file(path, &buf, &len, 1))
		return NULL;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	OPENSSL_clear_free(buf, len + 1);
	return key;
}

X509 *gw_pki_read_cert(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	X509 *cert;

	if (!path || gw_pki_read_file(path, &buf, &len, 0))
		return NULL;
	cert = gw_pki_cert_from_pem((const char *)buf, len);
	OPENSSL_free(buf);
	return cert;
}

int gw_pki_put_cert(const char *path, X509 *cert, int excl)
{
	size_t len = 0;
	char *pem = gw_pki_cert_pem(cert, &len);
	int rc;

	if (!pem)
		return -ENOMEM;
	rc = gw_pki_write_file(path, pem, len, 0644, excl);
	OPENSSL_free(pem);
	return rc;
}

int gw_pki_write_cert(const char *path, X509 *cert)
{
	if (!path || !cert)
		return -EINVAL;
	return gw_pki_put_cert(path, cert, 0);
}
