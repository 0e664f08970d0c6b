/*
 * What the PKI library's files share and nothing outside pki/ needs: error
 * messages, file access, certificate assembly, the issuing CA's key and the
 * serial/index registry.  The public interface stays in gw_pki.h.
 */
#ifndef GW_PKI_INT_H
#define GW_PKI_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define GW_PKI_ID_MAX	32
#define GW_PKI_FILE_MAX (64 * 1024)
#define GW_PKI_DAY	86400L

/* Formats a message into @err when the caller gave room for one. */
void gw_pki_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies untrusted bytes for a message: at most @outlen - 1 characters,
 * anything not printable ASCII replaced by '?'. */
void gw_pki_printable(const unsigned char *in, size_t inlen, char *out,
		      size_t outlen);

/* 1 when @id (of @len bytes) is a merchant id: [A-Za-z0-9._-]{1,32}. */
int gw_pki_id_valid(const char *id, size_t len);

/* @dir/@name into @out.  0 or -ENAMETOOLONG. */
int gw_pki_path(char *out, size_t outlen, const char *dir, const char *name);

/* Writes @len bytes to @path with @mode, failing with -EEXIST when @excl
 * and the file exists.  A file left half written is removed. */
int gw_pki_write_file(const char *path, const void *buf, size_t len,
		      mode_t mode, int excl);

/* Reads a whole file of at most GW_PKI_FILE_MAX bytes into a buffer of
 * *@len + 1 bytes ending in NUL, which the caller frees with
 * OPENSSL_clear_free.  With @secret, refuses a file that group or others
 * may read (-EPERM). */
int gw_pki_read_file(const char *path, unsigned char **buf, size_t *len,
		     int secret);

/* Writes @cert as PEM, replacing the file unless @excl. */
int gw_pki_put_cert(const char *path, X509 *cert, int excl);

/* One extension in OpenSSL's configuration syntax. */
struct gw_pki_ext {
	int nid;
	const char *value;
};

/* What a certificate is made of; the issuer signs with SHA-256. */
struct gw_pki_tmpl {
	const char *cn;
	EVP_PKEY *subject_key; /* public half is used */
	X509 *issuer;	       /* NULL: self-signed by subject_key */
	EVP_PKEY *issuer_key;
	uint64_t serial;
	time_t not_before;
	long seconds;
	const struct gw_pki_ext *ext;
	size_t n_ext;
	const char *san; /* subjectAltName value, or NULL */
};

/* A signed certificate, or NULL with a message in @err. */
X509 *gw_pki_cert_make(const struct gw_pki_tmpl *t, char *err, size_t errlen);

/* The single subject CN of @name into @out.  0, -ENOENT (none), -EINVAL
 * (several, or embedded NUL) or -ENOSPC. */
int gw_pki_name_cn(const X509_NAME *name, char *out, size_t outlen);

/* Writes @len bytes to a temporary file beside @path and renames it over
 * @path, so that a reader sees the old file or the new one, never half. */
int gw_pki_replace_file(const char *path, const void *buf, size_t len);

/* The certificates that init creates, each with its key file. */
enum gw_pki_member {
	GW_PKI_ROOT,
	GW_PKI_ISSUING,
	GW_PKI_SERVER,
	GW_PKI_CODESIGN,
	GW_PKI_N_MEMBERS
};

/* A certificate and its private key, loaded from a PKI directory; named
 * for its main use, the issuing CA. */
struct gw_pki_ca {
	X509 *cert;
	EVP_PKEY *key;
};

int gw_pki_ca_load(struct gw_pki_ca *ca, const char *dir, char *err,
		   size_t errlen);
/* Any member's certificate and key; -ENOENT with a message when missing,
 * unreadable, open to others or not matching. */
int gw_pki_member_load(struct gw_pki_ca *ca, const char *dir,
		       enum gw_pki_member m, char *err, size_t errlen);
/* The file name of a member's certificate ("root.crt", ...). */
const char *gw_pki_member_cert(enum gw_pki_member m);
void gw_pki_ca_release(struct gw_pki_ca *ca);

/* An empty CRL from @ca carrying @number, valid for @days. */
X509_CRL *gw_pki_crl_make(const struct gw_pki_ca *ca, uint64_t number,
			  long days);

/* The CRL period when neither the operator nor the current list says. */
#define GW_PKI_CRL_SECONDS (7 * GW_PKI_DAY)

/*
 * One line of an index file: index.txt for the merchant certificates of
 * the issuing CA, root-index.txt for the CAs that the root revoked.
 */
struct gw_pki_entry {
	char serial[41]; /* hex, as written */
	char id[GW_PKI_ID_MAX + 1];
	long long not_after;
	char status; /* 'V' valid or 'R' revoked */
	long long revoked_at;
	int reason; /* CRL_REASON_* */
};

struct gw_pki_index {
	struct gw_pki_entry *e;
	size_t n;
	size_t cap;
};

/* Reads @path into @ix (a missing file is an empty index).  0, or
 * -EINVAL naming the bad line in @err, or -ENOMEM. */
int gw_pki_index_read(const char *path, struct gw_pki_index *ix, char *err,
		      size_t errlen);
/* Replaces @path with @ix.  0 or a negative errno. */
int gw_pki_index_write(const char *path, const struct gw_pki_index *ix);
/* Appends a copy of @e.  0 or -ENOMEM. */
int gw_pki_index_add(struct gw_pki_index *ix, const struct gw_pki_entry *e);
void gw_pki_index_free(struct gw_pki_index *ix);
/* 1 when hex serials @a and @b name the same number. */
int gw_pki_serial_eq(const char *a, const char *b);

/* The CRLReason for @name (RFC 5280 section 5.3.1), or -EINVAL for an
 * unknown name and for certificateHold: revocation here is final. */
int gw_pki_reason_parse(const char *name);
const char *gw_pki_reason_name(int reason);

/* A CRL from @ca naming every revoked entry of @ix (may be NULL), issued
 * at @now and valid for @seconds. */
X509_CRL *gw_pki_crl_sign(const struct gw_pki_ca *ca, uint64_t number,
			  time_t now, long seconds,
			  const struct gw_pki_index *ix);

/* The two lists a PKI directory publishes. */
enum gw_pki_list { GW_PKI_LIST_ISSUING, GW_PKI_LIST_ROOT, GW_PKI_N_LISTS };

/* Signs and writes one list from its index with the next crlNumber,
 * valid for @seconds (0: the period of the current list, else a week).
 * The caller holds the registry lock.  0 or a negative errno. */
int gw_pki_publish(const char *dir, enum gw_pki_list list, long seconds,
		   char *err, size_t errlen);

/* The file names of a list and of its index. */
const char *gw_pki_list_crl(enum gw_pki_list list);
const char *gw_pki_list_index(enum gw_pki_list list);

/*
 * The serial file and index.txt, held under an exclusive lock from open to
 * close so that concurrent issuers neither share a serial nor interleave
 * index lines.
 */
struct gw_pki_reg {
	int fd;
	uint64_t serial; /* the next serial to use */
	char index[4096];
};

int gw_pki_reg_open(struct gw_pki_reg *r, const char *dir, char *err,
		    size_t errlen);
/* Consumes the serial of @cert and appends its index line. */
int gw_pki_reg_commit(struct gw_pki_reg *r, X509 *cert, const char *id,
		      char *err, size_t errlen);
void gw_pki_reg_close(struct gw_pki_reg *r);

#endif
