/*
 * Operator-readable certificate fields.  Names inside a certificate come
 * from whoever made it, so they pass through gw_pki_printable before they
 * are shown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"
#include "show.h"

struct flag_name {
	uint32_t bit;
	const char *name;
};

static const struct flag_name ku_names[] = {
    {KU_DIGITAL_SIGNATURE, "digitalSignature"},
    {KU_NON_REPUDIATION, "nonRepudiation"},
    {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
    {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
    {KU_KEY_AGREEMENT, "keyAgreement"},
    {KU_KEY_CERT_SIGN, "keyCertSign"},
    {KU_CRL_SIGN, "cRLSign"},
    {KU_ENCIPHER_ONLY, "encipherOnly"},
    {KU_DECIPHER_ONLY, "decipherOnly"},
};

static const struct flag_name xku_names[] = {
    {XKU_SSL_SERVER, "serverAuth"},	 {XKU_SSL_CLIENT, "clientAuth"},
    {XKU_SMIME, "emailProtection"},	 {XKU_CODE_SIGN, "codeSigning"},
    {XKU_OCSP_SIGN, "OCSPSigning"},	 {XKU_TIMESTAMP, "timeStamping"},
    {XKU_ANYEKU, "anyExtendedKeyUsage"},
};

int gw_pki_show_serial(X509 *cert, char *out, size_t outlen)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int rc = -EINVAL;

	if (hex && strlen(hex) < outlen) {
		strcpy(out, hex);
		rc = 0;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

int gw_pki_show_time(const ASN1_TIME *t, char *out, size_t outlen)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm) ||
	    !strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm))
		return -EINVAL;
	return 0;
}

int gw_pki_show_fingerprint(X509 *cert, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!X509_digest(cert, EVP_sha256(), md, &n) || outlen < 3 * n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		snprintf(out + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
	return 0;
}

static void show_flags(FILE *out, const char *label, uint32_t flags,
		       const struct flag_name *names, size_t n)
{
	const char *sep = "";
	size_t i;

	fprintf(out, "  %-20s", label);
	for (i = 0; i < n; i++) {
		if (flags & names[i].bit) {
			fprintf(out, "%s%s", sep, names[i].name);
			sep = ", ";
		}
	}
	fprintf(out, "%s\n", *sep ? "" : "(none)");
}

static void show_cn(FILE *out, const char *label, const X509_NAME *name)
{
	char cn[128], shown[128];

	if (gw_pki_name_cn(name, cn, sizeof(cn)))
		strcpy(shown, "(none or unreadable)");
	else
		gw_pki_printable((const unsigned char *)cn, strlen(cn), shown,
				 sizeof(shown));
	fprintf(out, "  %-20s%s\n", label, shown);
}

static void show_name(FILE *out, const GENERAL_NAME *gn)
{
	char buf[INET6_ADDRSTRLEN], shown[128];
	const ASN1_STRING *s;

	switch (gn->type) {
	case GEN_DNS:
	case GEN_URI:
		s = gn->type == GEN_DNS ? gn->d.dNSName
					: gn->d.uniformResourceIdentifier;
		gw_pki_printable(s->data, (size_t)s->length, shown,
				 sizeof(shown));
		fprintf(out, " %s:%s", gn->type == GEN_DNS ? "DNS" : "URI",
			shown);
		return;
	case GEN_IPADD:
		s = gn->d.iPAddress;
		if ((s->length == 4 &&
		     inet_ntop(AF_INET, s->data, buf, sizeof(buf))) ||
		    (s->length == 16 &&
		     inet_ntop(AF_INET6, s->data, buf, sizeof(buf)))) {
			fprintf(out, " IP:%s", buf);
			return;
		}
		break;
	}
	fprintf(out, " (other)");
}

static void show_sans(FILE *out, X509 *cert)
{
	GENERAL_NAMES *names;
	int i;

	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	fprintf(out, "  %-19s", "subject alt names");
	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++)
		show_name(out, sk_GENERAL_NAME_value(names, i));
	fprintf(out, "%s\n", names ? "" : " (none)");
	GENERAL_NAMES_free(names);
}

static void show_key(FILE *out, X509 *cert)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);
	char group[64] = "";
	size_t len = 0;

	if (!key) {
		fprintf(out, "  %-20s(unreadable)\n", "key");
		return;
	}
	EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
				       sizeof(group), &len);
	fprintf(out, "  %-20s%s %d bits%s%s\n", "key",
		EVP_PKEY_get0_type_name(key), EVP_PKEY_get_bits(key),
		*group ? ", curve " : "", group);
}

void gw_pki_show_cert(X509 *cert, FILE *out)
{
	char buf[128], id[GW_PKI_ID_MAX + 1];
	uint32_t xflags = X509_get_extension_flags(cert);
	long pathlen = X509_get_pathlen(cert);

	show_cn(out, "subject CN", X509_get_subject_name(cert));
	show_cn(out, "issuer CN", X509_get_issuer_name(cert));
	if (!gw_pki_show_serial(cert, buf, sizeof(buf)))
		fprintf(out, "  %-20s%s\n", "serial", buf);
	if (!gw_pki_show_time(X509_get0_notBefore(cert), buf, sizeof(buf)))
		fprintf(out, "  %-20s%s\n", "valid from", buf);
	if (!gw_pki_show_time(X509_get0_notAfter(cert), buf, sizeof(buf)))
		fprintf(out, "  %-20s%s\n", "valid until", buf);
	show_key(out, cert);
	if (X509_check_ca(cert) > 0 && pathlen >= 0)
		fprintf(out, "  %-20syes, path length %ld\n", "CA", pathlen);
	else
		fprintf(out, "  %-20s%s\n", "CA",
			X509_check_ca(cert) > 0 ? "yes" : "no");
	show_flags(out, "key usage",
		   (xflags & EXFLAG_KUSAGE) ? X509_get_key_usage(cert) : 0,
		   ku_names, sizeof(ku_names) / sizeof(ku_names[0]));
	show_flags(out, "extended key usage",
		   (xflags & EXFLAG_XKUSAGE) ? X509_get_extended_key_usage(cert)
					     : 0,
		   xku_names, sizeof(xku_names) / sizeof(xku_names[0]));
	show_sans(out, cert);
	fprintf(out, "  %-20s%s\n", "merchant id",
		gw_pki_merchant_id(cert, id, sizeof(id)) ? "(none)" : id);
	if (!gw_pki_show_fingerprint(cert, buf, sizeof(buf)))
		fprintf(out, "  %-20s%s\n", "SHA-256 fingerprint", buf);
}
