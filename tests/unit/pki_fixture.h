/*
 * What the PKI tests set up before each case: a private directory under
 * /tmp, a fresh hierarchy made by gw_pki_init, merchant certificates from
 * new keys, and files read or written whole.  Every helper fails the
 * running test when something it needs goes wrong; the checks themselves
 * are the tests'.
 */
#ifndef GW_TEST_PKI_FIXTURE_H
#define GW_TEST_PKI_FIXTURE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The gateway name every test hierarchy is made for. */
#define PKI_FIXTURE_SERVER "gw.example.test"

/* Creates an empty directory named into @dir (at least 32 bytes). */
void pki_fixture_tmpdir(char *dir, size_t len);

/* Creates a directory as pki_fixture_tmpdir does, holding a new PKI. */
void pki_fixture_make(char *dir, size_t len);

/* Removes @dir and everything below it; nothing when @dir is "". */
void pki_fixture_rm(const char *dir);

/*
 * A merchant certificate for @id valid for @seconds, issued by the PKI in
 * @dir for @key, or for a fresh P-256 key when @key is NULL.  NULL with the
 * reason in @err when the PKI refuses.  The caller frees the certificate.
 */
X509 *pki_fixture_try_issue(const char *dir, EVP_PKEY *key, const char *id,
			    long seconds, char *err, size_t errlen);

/* As pki_fixture_try_issue, failing the test on a refusal. */
X509 *pki_fixture_issue(const char *dir, EVP_PKEY *key, const char *id,
			long seconds);

/* The text of file @name in @dir, in a static buffer of 8 KiB that the
 * next call overwrites. */
char *pki_fixture_slurp(const char *dir, const char *name);

/* Writes @len bytes of @buf to a new or truncated file @path. */
void pki_fixture_put(const char *path, const void *buf, size_t len);

#endif
