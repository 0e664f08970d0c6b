/*
 * The CA hierarchy of a PKI directory: creating it (root, issuing CA,
 * server and code-signing certificates, chain, first CRLs, registry) and
 * loading its members for later issuance, CRLs and package signing.
 * Merchant certificates are issue.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"

/* Short names for the members, within this file. */
#define ROOT	  GW_PKI_ROOT
#define ISSUING	  GW_PKI_ISSUING
#define SERVER	  GW_PKI_SERVER
#define CODESIGN  GW_PKI_CODESIGN
#define N_MEMBERS GW_PKI_N_MEMBERS

static const struct gw_pki_ext root_ext[] = {
    {NID_basic_constraints, "critical,CA:TRUE,pathlen:1"},
    {NID_key_usage, "critical,keyCertSign,cRLSign"},
    {NID_subject_key_identifier, "hash"},
};

static const struct gw_pki_ext issuing_ext[] = {
    {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
    {NID_key_usage, "critical,keyCertSign,cRLSign"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

static const struct gw_pki_ext server_ext[] = {
    {NID_basic_constraints, "critical,CA:FALSE"},
    {NID_key_usage, "critical,digitalSignature"},
    {NID_ext_key_usage, "serverAuth"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

static const struct gw_pki_ext codesign_ext[] = {
    {NID_basic_constraints, "critical,CA:FALSE"},
    {NID_key_usage, "critical,digitalSignature"},
    {NID_ext_key_usage, "codeSigning"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

#define EXT(a) a, sizeof(a) / sizeof(a[0])

static const struct member_spec {
	const char *key_file;
	const char *cert_file;
	const char *cn; /* NULL: the server name */
	const char *what;
	enum gw_pki_member signer;
	long days;
	const struct gw_pki_ext *ext;
	size_t n_ext;
} members[N_MEMBERS] = {
    [ROOT] = {"root.key", "root.crt", "Gateway Root CA", "root CA", ROOT, 3650,
	      EXT(root_ext)},
    [ISSUING] = {"issuing.key", "issuing.crt", "Gateway Issuing CA",
		 "issuing CA", ROOT, 1825, EXT(issuing_ext)},
    [SERVER] = {"server.key", "server.crt", NULL, "server certificate", ISSUING,
		825, EXT(server_ext)},
    [CODESIGN] = {"codesign.key", "codesign.crt", "Gateway Code Signing",
		  "code-signing certificate", ISSUING, 1095, EXT(codesign_ext)},
};

/* The files init writes after the members' keys and certificates. */
enum extra_file { CHAIN, CRL, ROOT_CRL, SERIAL, INDEX, N_EXTRA };
static const char *const extra_files[N_EXTRA] = {
    "chain.pem", "crl.pem", "root-crl.pem", "serial", "index.txt"};

/* The CRLs are valid for a week; republishing them is the operator's
 * duty (gw-pki crl). */
#define CRL_DAYS 7

struct hierarchy {
	const char *dir;
	EVP_PKEY *key[N_MEMBERS];
	X509 *cert[N_MEMBERS];
	X509_CRL *crl;
	X509_CRL *root_crl;
	const char *created[2 * N_MEMBERS + N_EXTRA];
	size_t n_created;
};

/* "IP:<addr>" when @name is an IPv4 or IPv6 address, else "DNS:<name>"
 * when it is a host name.  -EINVAL for anything else, which also keeps
 * commas and colons out of the extension's configuration syntax. */
static int server_san(const char *name, char *out, size_t outlen)
{
	unsigned char addr[sizeof(struct in6_addr)];
	size_t i, len = strlen(name);

	if (len == 0 || len > 64)
		return -EINVAL;
	if (inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1) {
		snprintf(out, outlen, "IP:%s", name);
		return 0;
	}
	if (name[0] == '.' || name[0] == '-')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return -EINVAL;
	}
	snprintf(out, outlen, "DNS:%s", name);
	return 0;
}

static int build(struct hierarchy *h, const char *server_name, const char *san,
		 char *err, size_t errlen)
{
	time_t now = time(NULL);
	struct gw_pki_ca ca;
	int i;

	for (i = 0; i < N_MEMBERS; i++) {
		const struct member_spec *m = &members[i];
		struct gw_pki_tmpl t = {
		    .cn = m->cn ? m->cn : server_name,
		    .issuer = i == ROOT ? NULL : h->cert[m->signer],
		    .serial = (uint64_t)i + 1,
		    .not_before = now,
		    .seconds = m->days * GW_PKI_DAY,
		    .ext = m->ext,
		    .n_ext = m->n_ext,
		    .san = i == SERVER ? san : NULL,
		};

		h->key[i] = gw_pki_keygen();
		if (!h->key[i]) {
			gw_pki_seterr(err, errlen, "cannot generate a key");
			return -ENOMEM;
		}
		t.subject_key = h->key[i];
		t.issuer_key = i == ROOT ? NULL : h->key[m->signer];
		h->cert[i] = gw_pki_cert_make(&t, err, errlen);
		if (!h->cert[i])
			return -EINVAL;
	}
	ca.cert = h->cert[ISSUING];
	ca.key = h->key[ISSUING];
	/* The first CRL carries number 1; later lists count up from the
	 * number in the current crl.pem. */
	h->crl = gw_pki_crl_make(&ca, 1, CRL_DAYS);
	ca.cert = h->cert[ROOT];
	ca.key = h->key[ROOT];
	/* The root lists the CAs under it, so that the issuing CA itself
	 * can be revoked; every chain check needs this list too. */
	h->root_crl = gw_pki_crl_make(&ca, 1, CRL_DAYS);
	if (!h->crl || !h->root_crl) {
		gw_pki_seterr(err, errlen, "cannot sign the first CRL");
		return -EINVAL;
	}
	return 0;
}

/* Writes one file of the directory and remembers it for undo. */
static int put(struct hierarchy *h, const char *name, const void *buf,
	       size_t len, EVP_PKEY *key, char *err, size_t errlen)
{
	char path[4096];
	int rc;

	rc = gw_pki_path(path, sizeof(path), h->dir, name);
	if (!rc)
		rc = key ? gw_pki_write_key(path, key)
			 : gw_pki_write_file(path, buf, len, 0644, 1);
	if (rc) {
		gw_pki_seterr(err, errlen, "cannot create %s: %s", path,
			      strerror(-rc));
		return rc;
	}
	h->created[h->n_created++] = name;
	return 0;
}

static int put_cert(struct hierarchy *h, const char *name, X509 *cert,
		    char *err, size_t errlen)
{
	size_t len = 0;
	char *pem = gw_pki_cert_pem(cert, &len);
	int rc;

	if (!pem)
		return -ENOMEM;
	rc = put(h, name, pem, len, NULL, err, errlen);
	OPENSSL_free(pem);
	return rc;
}

static int put_chain(struct hierarchy *h, char *err, size_t errlen)
{
	size_t ilen = 0, rlen = 0;
	char *issuing = gw_pki_cert_pem(h->cert[ISSUING], &ilen);
	char *root = gw_pki_cert_pem(h->cert[ROOT], &rlen);
	char *both = OPENSSL_malloc(ilen + rlen + 1);
	int rc = -ENOMEM;

	if (issuing && root && both) {
		memcpy(both, issuing, ilen);
		memcpy(both + ilen, root, rlen);
		rc = put(h, extra_files[CHAIN], both, ilen + rlen, NULL, err,
			 errlen);
	}
	OPENSSL_free(issuing);
	OPENSSL_free(root);
	OPENSSL_free(both);
	return rc;
}

static int put_crl(struct hierarchy *h, enum extra_file which, X509_CRL *crl,
		   char *err, size_t errlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -ENOMEM;

	if (bio && PEM_write_bio_X509_CRL(bio, crl)) {
		n = BIO_get_mem_data(bio, &data);
		rc = put(h, extra_files[which], data, (size_t)n, NULL, err,
			 errlen);
	}
	BIO_free(bio);
	return rc;
}

static int write_all_files(struct hierarchy *h, char *err, size_t errlen)
{
	char serial[32];
	int i, n, rc = 0;

	for (i = 0; i < N_MEMBERS && !rc; i++) {
		rc = put(h, members[i].key_file, NULL, 0, h->key[i], err,
			 errlen);
		if (!rc)
			rc = put_cert(h, members[i].cert_file, h->cert[i], err,
				      errlen);
	}
	if (!rc)
		rc = put_chain(h, err, errlen);
	if (!rc)
		rc = put_crl(h, CRL, h->crl, err, errlen);
	if (!rc)
		rc = put_crl(h, ROOT_CRL, h->root_crl, err, errlen);
	n = snprintf(serial, sizeof(serial), "%d\n", N_MEMBERS + 1);
	if (!rc)
		rc = put(h, extra_files[SERIAL], serial, (size_t)n, NULL, err,
			 errlen);
	if (!rc)
		rc = put(h, extra_files[INDEX], "", 0, NULL, err, errlen);
	return rc;
}

/* Removes what a failed init wrote, so that it can simply be retried. */
static void undo(struct hierarchy *h)
{
	char path[4096];
	size_t i;

	for (i = 0; i < h->n_created; i++)
		if (!gw_pki_path(path, sizeof(path), h->dir, h->created[i]))
			unlink(path);
}

static int prepare_dir(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		gw_pki_seterr(err, errlen, "cannot create %s: %s", dir,
			      strerror(errno));
		return -errno;
	}
	if (gw_pki_path(path, sizeof(path), dir, members[ROOT].key_file)) {
		gw_pki_seterr(err, errlen, "directory name too long");
		return -ENAMETOOLONG;
	}
	if (!lstat(path, &st)) {
		gw_pki_seterr(err, errlen, "%s already holds a root key", dir);
		return -EEXIST;
	}
	return 0;
}

int gw_pki_init(const char *dir, const char *server_name, char *err,
		size_t errlen)
{
	struct hierarchy h = {.dir = dir};
	char san[80];
	int i, rc;

	if (!dir || !server_name || !*dir)
		return -EINVAL;
	if (server_san(server_name, san, sizeof(san))) {
		gw_pki_seterr(
		    err, errlen,
		    "server name must be a host name or an IP address of at most 64 characters");
		return -EINVAL;
	}
	rc = prepare_dir(dir, err, errlen);
	if (rc)
		return rc;
	rc = build(&h, server_name, san, err, errlen);
	if (!rc)
		rc = write_all_files(&h, err, errlen);
	if (rc)
		undo(&h);
	for (i = 0; i < N_MEMBERS; i++) {
		EVP_PKEY_free(h.key[i]);
		X509_free(h.cert[i]);
	}
	X509_CRL_free(h.crl);
	X509_CRL_free(h.root_crl);
	return rc;
}

const char *gw_pki_member_cert(enum gw_pki_member m)
{
	return m < N_MEMBERS ? members[m].cert_file : NULL;
}

int gw_pki_member_load(struct gw_pki_ca *ca, const char *dir,
		       enum gw_pki_member m, char *err, size_t errlen)
{
	const struct member_spec *spec;
	char path[4096];

	ca->cert = NULL;
	ca->key = NULL;
	if (m >= N_MEMBERS)
		return -EINVAL;
	spec = &members[m];
	if (gw_pki_path(path, sizeof(path), dir, spec->cert_file))
		return -ENAMETOOLONG;
	ca->cert = gw_pki_read_cert(path);
	if (!gw_pki_path(path, sizeof(path), dir, spec->key_file))
		ca->key = gw_pki_read_key(path);
	if (!ca->cert || !ca->key) {
		gw_pki_seterr(
		    err, errlen,
		    "cannot load the %s from %s (missing, unreadable, or key file open to group or others)",
		    spec->what, dir);
		goto fail;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		gw_pki_seterr(err, errlen, "%s does not match %s in %s",
			      spec->key_file, spec->cert_file, dir);
		goto fail;
	}
	return 0;
fail:
	gw_pki_ca_release(ca);
	return -ENOENT;
}

int gw_pki_ca_load(struct gw_pki_ca *ca, const char *dir, char *err,
		   size_t errlen)
{
	return gw_pki_member_load(ca, dir, ISSUING, err, errlen);
}

void gw_pki_ca_release(struct gw_pki_ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	ca->cert = NULL;
	ca->key = NULL;
}
