/*
 * Test hierarchies on disk for the PKI tests: made fresh for every case
 * and removed after it, so that no case sees another's serials or lists.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "gw_pki.h"
#include "pki_fixture.h"

void pki_fixture_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/gw-pki-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

void pki_fixture_make(char *dir, size_t len)
{
	char err[256];

	pki_fixture_tmpdir(dir, len);
	if (gw_pki_init(dir, PKI_FIXTURE_SERVER, err, sizeof(err)) != 0)
		fail_msg("gw_pki_init %s: %s", dir, err);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void pki_fixture_rm(const char *dir)
{
	if (*dir)
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

X509 *pki_fixture_try_issue(const char *dir, EVP_PKEY *key, const char *id,
			    long seconds, char *err, size_t errlen)
{
	EVP_PKEY *own = key ? NULL : gw_pki_keygen();
	X509_REQ *csr;
	X509 *cert;

	assert_non_null(key ? key : own);
	csr = gw_pki_make_csr(key ? key : own, id);
	assert_non_null(csr);
	cert = gw_pki_issue_merchant(dir, csr, id, seconds, err, errlen);
	X509_REQ_free(csr);
	EVP_PKEY_free(own);
	return cert;
}

X509 *pki_fixture_issue(const char *dir, EVP_PKEY *key, const char *id,
			long seconds)
{
	char err[256];
	X509 *cert;

	cert = pki_fixture_try_issue(dir, key, id, seconds, err, sizeof(err));
	if (cert == NULL)
		fail_msg("issuing %s: %s", id, err);
	return cert;
}

char *pki_fixture_slurp(const char *dir, const char *name)
{
	static char buf[8192];
	char path[256];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

void pki_fixture_put(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}
