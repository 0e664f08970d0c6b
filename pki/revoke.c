/*
 * Revocation: marking certificates R in an index with the time and the
 * reason, then republishing the list that names them.  Merchant
 * certificates are revoked by the issuing CA (index.txt, crl.pem); the
 * issuing CA itself by the root (root-index.txt, root-crl.pem).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"
#include "show.h"

/* What to revoke: a serial, or every valid certificate of a merchant. */
struct target {
	const char *serial;
	const char *id;
};

static int matches(const struct gw_pki_entry *e, const struct target *t)
{
	return t->serial ? gw_pki_serial_eq(e->serial, t->serial)
			 : !strcmp(e->id, t->id);
}

/* Marks the matching entries; the count of newly revoked ones, or
 * -ENOENT (none matches) or -EALREADY (all matching were revoked). */
static int mark(struct gw_pki_index *ix, const struct target *t, int reason,
		time_t now)
{
	size_t i;
	int found = 0, marked = 0;

	for (i = 0; i < ix->n; i++) {
		struct gw_pki_entry *e = &ix->e[i];

		if (!matches(e, t))
			continue;
		found++;
		if (e->status == 'R')
			continue;
		e->status = 'R';
		e->revoked_at = now;
		e->reason = reason;
		marked++;
	}
	if (!found)
		return -ENOENT;
	return marked ? marked : -EALREADY;
}

static void explain(int rc, const struct target *t, char *err, size_t errlen)
{
	const char *what = t->serial ? "serial" : "merchant";
	const char *which = t->serial ? t->serial : t->id;

	if (rc == -ENOENT)
		gw_pki_seterr(err, errlen, "no certificate with %s %s", what,
			      which);
	else if (rc == -EALREADY)
		gw_pki_seterr(err, errlen,
			      "the certificates of %s %s are already revoked",
			      what, which);
}

/* Under the registry lock: mark, rewrite the index, republish. */
static int revoke_in(const char *dir, enum gw_pki_list list,
		     const struct target *t, int reason, char *err,
		     size_t errlen)
{
	struct gw_pki_reg reg = {.fd = -1};
	struct gw_pki_index ix = {0};
	char path[4096];
	int rc, n;

	if (gw_pki_path(path, sizeof(path), dir, gw_pki_list_index(list)))
		return -ENAMETOOLONG;
	rc = gw_pki_reg_open(&reg, dir, err, errlen);
	if (!rc)
		rc = gw_pki_index_read(path, &ix, err, errlen);
	if (rc)
		goto out;
	n = mark(&ix, t, reason, time(NULL));
	if (n < 0) {
		rc = n;
		explain(rc, t, err, errlen);
		goto out;
	}
	rc = gw_pki_index_write(path, &ix);
	if (rc) {
		gw_pki_seterr(err, errlen, "cannot rewrite %s: %s", path,
			      strerror(-rc));
		goto out;
	}
	/* The index is the record; should publishing fail, the next
	 * gw_pki_crl puts the entry on the list. */
	rc = gw_pki_publish(dir, list, 0, err, errlen);
	if (!rc)
		rc = n;
out:
	gw_pki_index_free(&ix);
	gw_pki_reg_close(&reg);
	return rc;
}

static int parse_reason(const char *name, char *err, size_t errlen)
{
	int reason = name ? gw_pki_reason_parse(name) : CRL_REASON_UNSPECIFIED;
	char shown[40];

	if (reason < 0) {
		gw_pki_printable((const unsigned char *)name, strlen(name),
				 shown, sizeof(shown));
		gw_pki_seterr(
		    err, errlen,
		    "unknown reason \"%s\" (unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn, aACompromise)",
		    shown);
	}
	return reason;
}

int gw_pki_revoke(const char *dir, const char *serial, const char *merchant_id,
		  const char *reason, char *err, size_t errlen)
{
	struct target t = {.serial = serial, .id = merchant_id};
	int code;

	if (!dir || !serial == !merchant_id) {
		gw_pki_seterr(err, errlen,
			      "give a directory and a serial or a merchant id");
		return -EINVAL;
	}
	if (serial &&
	    (!*serial || strlen(serial) > 40 ||
	     strspn(serial, "0123456789abcdefABCDEF") != strlen(serial))) {
		gw_pki_seterr(err, errlen,
			      "a serial is 1 to 40 hexadecimal digits");
		return -EINVAL;
	}
	if (merchant_id &&
	    !gw_pki_id_valid(merchant_id, strnlen(merchant_id, 64))) {
		gw_pki_seterr(
		    err, errlen,
		    "merchant id must be 1 to 32 characters of A-Z a-z 0-9 . _ -");
		return -EINVAL;
	}
	code = parse_reason(reason, err, errlen);
	if (code < 0)
		return code;
	return revoke_in(dir, GW_PKI_LIST_ISSUING, &t, code, err, errlen);
}

/* Adds the issuing CA to root-index.txt unless it is there already. */
static int enter_issuing(const char *dir, char *err, size_t errlen)
{
	struct gw_pki_reg reg = {.fd = -1};
	struct gw_pki_entry e = {.status = 'V'};
	struct gw_pki_index ix = {0};
	char path[4096];
	X509 *cert = NULL;
	struct tm tm;
	size_t i;
	int rc;

	if (gw_pki_path(path, sizeof(path), dir,
			gw_pki_member_cert(GW_PKI_ISSUING)))
		return -ENAMETOOLONG;
	cert = gw_pki_read_cert(path);
	if (!cert || gw_pki_show_serial(cert, e.serial, sizeof(e.serial)) ||
	    !ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm)) {
		gw_pki_seterr(err, errlen, "cannot read %s", path);
		X509_free(cert);
		return -ENOENT;
	}
	X509_free(cert);
	e.not_after = (long long)timegm(&tm);
	strcpy(e.id, "issuing");
	if (gw_pki_path(path, sizeof(path), dir,
			gw_pki_list_index(GW_PKI_LIST_ROOT)))
		return -ENAMETOOLONG;
	rc = gw_pki_reg_open(&reg, dir, err, errlen);
	if (!rc)
		rc = gw_pki_index_read(path, &ix, err, errlen);
	for (i = 0; !rc && i < ix.n; i++)
		if (gw_pki_serial_eq(ix.e[i].serial, e.serial))
			goto out;
	if (!rc)
		rc = gw_pki_index_add(&ix, &e);
	if (!rc)
		rc = gw_pki_index_write(path, &ix);
out:
	gw_pki_index_free(&ix);
	gw_pki_reg_close(&reg);
	return rc;
}

int gw_pki_revoke_issuing(const char *dir, const char *reason, char *err,
			  size_t errlen)
{
	struct target t = {.id = "issuing"};
	int code, rc;

	if (!dir) {
		gw_pki_seterr(err, errlen, "missing directory");
		return -EINVAL;
	}
	code = parse_reason(reason, err, errlen);
	if (code < 0)
		return code;
	rc = enter_issuing(dir, err, errlen);
	if (rc)
		return rc;
	rc = revoke_in(dir, GW_PKI_LIST_ROOT, &t, code, err, errlen);
	ERR_clear_error();
	return rc < 0 ? rc : 0;
}
