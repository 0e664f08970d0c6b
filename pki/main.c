/*
 * gw-pki, the operator's command for the appliance's CA.  Each subcommand
 * is a row of the command table naming the options it takes; the work is
 * the library's, this file parses arguments and reports in plain words.
 * Exit status: 0 done, 1 failed or refused, 2 usage error.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>

#include "gw_pki.h"
#include "pki_int.h"
#include "cmd.h"
#include "show.h"

static const char *const opt_names[N_OPTS] = {
    [OPT_DIR] = "--dir",	   [OPT_SERVER_NAME] = "--server-name",
    [OPT_MERCHANT] = "--merchant", [OPT_KEY] = "--key",
    [OPT_OUT] = "--out",	   [OPT_CSR] = "--csr",
    [OPT_CERT] = "--cert",	   [OPT_DAYS] = "--days",
    [OPT_SECONDS] = "--seconds",   [OPT_SERIAL] = "--serial",
    [OPT_REASON] = "--reason",	   [OPT_FILE] = "--file",
    [OPT_NAME] = "--name",	   [OPT_VERSION] = "--version",
    [OPT_SIG] = "--sig",	   [OPT_CA] = "--ca",
    [OPT_RUNNING] = "--running",
};

#define BIT(o) (1u << (o))

/* A merchant certificate lasts a year unless the operator says otherwise. */
#define DEFAULT_DAYS 365

struct cmd {
	const char *name;
	int (*run)(const char *const *opt);
	unsigned required;
	unsigned optional;
	const char *usage;
};

int gw_pki_cmd_fail(const char *cmd, const char *what)
{
	fprintf(stderr, "gw-pki %s: %s\n", cmd, what);
	return EXIT_FAIL;
}

static int cmd_init(const char *const *o)
{
	char err[512], line[256];
	X509 *root;
	int rc;

	rc = gw_pki_init(o[OPT_DIR], o[OPT_SERVER_NAME], err, sizeof(err));
	if (rc)
		return gw_pki_cmd_fail("init", err);
	printf("created the PKI in %s\n", o[OPT_DIR]);
	printf("  root.crt      root CA, 10 years\n");
	printf("  issuing.crt   issuing CA, 5 years\n");
	printf("  server.crt    gateway TLS server, name %s\n",
	       o[OPT_SERVER_NAME]);
	printf("  codesign.crt  package signing\n");
	printf("  chain.pem     issuing CA then root\n");
	printf(
	    "  crl.pem       issuing CA's CRL, empty, next update in 7 days\n");
	printf("  root-crl.pem  root's CRL of revoked CAs, empty, 7 days\n");
	printf("  serial, index.txt  merchant certificate registry\n");
	printf("  *.key         private keys, mode 0600\n");
	if (gw_pki_path(line, sizeof(line), o[OPT_DIR], "root.crt"))
		return EXIT_OK;
	root = gw_pki_read_cert(line);
	if (root && !gw_pki_show_fingerprint(root, line, sizeof(line)))
		printf("root fingerprint (SHA-256): %s\n", line);
	X509_free(root);
	return EXIT_OK;
}

static int cmd_csr(const char *const *o)
{
	const char *id = o[OPT_MERCHANT];
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL;
	char *pem = NULL;
	size_t len = 0;
	int rc, status = EXIT_FAIL;

	if (!gw_pki_id_valid(id, strnlen(id, GW_PKI_ID_MAX + 1)))
		return gw_pki_cmd_fail(
		    "csr",
		    "merchant id must be 1 to 32 characters of A-Z a-z 0-9 . _ -");
	key = gw_pki_keygen();
	csr = key ? gw_pki_make_csr(key, id) : NULL;
	pem = csr ? gw_pki_csr_pem(csr, &len) : NULL;
	if (!pem) {
		gw_pki_cmd_fail("csr", "cannot generate the key and CSR");
		goto out;
	}
	rc = gw_pki_write_key(o[OPT_KEY], key);
	if (rc) {
		fprintf(stderr, "gw-pki csr: cannot create %s: %s%s\n",
			o[OPT_KEY], strerror(-rc),
			rc == -EEXIST ? " (keys are never overwritten)" : "");
		goto out;
	}
	rc = gw_pki_write_file(o[OPT_OUT], pem, len, 0644, 0);
	if (rc) {
		/* A key without its CSR is of no use; remove it. */
		unlink(o[OPT_KEY]);
		fprintf(stderr, "gw-pki csr: cannot write %s: %s\n", o[OPT_OUT],
			strerror(-rc));
		goto out;
	}
	printf("wrote key %s (EC P-256, PKCS#8, mode 0600)\n", o[OPT_KEY]);
	printf("wrote CSR %s for merchant %s\n", o[OPT_OUT], id);
	status = EXIT_OK;
out:
	OPENSSL_free(pem);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	return status;
}

int gw_pki_cmd_count(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int gw_pki_cmd_seconds(const char *const *o, const char *cmd, long *seconds)
{
	long days = DEFAULT_DAYS;
	int rc = 0;

	if (o[OPT_DAYS] && o[OPT_SECONDS]) {
		fprintf(stderr,
			"gw-pki %s: give --days or --seconds, not both\n", cmd);
		return -EINVAL;
	}
	if (o[OPT_SECONDS])
		rc = gw_pki_cmd_count(o[OPT_SECONDS], LONG_MAX, seconds);
	else if (o[OPT_DAYS])
		rc = gw_pki_cmd_count(o[OPT_DAYS], 36500, &days);
	if (rc) {
		fprintf(
		    stderr,
		    "gw-pki %s: --days or --seconds needs a positive whole number\n",
		    cmd);
		return rc;
	}
	if (!o[OPT_SECONDS])
		*seconds = days * GW_PKI_DAY;
	return 0;
}

X509_REQ *gw_pki_cmd_read_csr(const char *path)
{
	unsigned char *buf = NULL;
	X509_REQ *csr;
	size_t len = 0;

	if (gw_pki_read_file(path, &buf, &len, 0))
		return NULL;
	csr = gw_pki_csr_from_pem((const char *)buf, len);
	OPENSSL_free(buf);
	return csr;
}

static int cmd_issue(const char *const *o)
{
	char err[512], serial[80], until[64];
	X509_REQ *csr;
	X509 *cert;
	long seconds;
	int rc;

	if (gw_pki_cmd_seconds(o, "issue", &seconds))
		return EXIT_USAGE;
	csr = gw_pki_cmd_read_csr(o[OPT_CSR]);
	if (!csr)
		return gw_pki_cmd_fail(
		    "issue", "cannot read a PEM CSR from the --csr file");
	cert = gw_pki_issue_merchant(o[OPT_DIR], csr, o[OPT_MERCHANT], seconds,
				     err, sizeof(err));
	X509_REQ_free(csr);
	if (!cert)
		return gw_pki_cmd_fail("issue", err);
	gw_pki_show_serial(cert, serial, sizeof(serial));
	gw_pki_show_time(X509_get0_notAfter(cert), until, sizeof(until));
	printf(
	    "issued certificate for merchant %s, serial %s, valid until %s\n",
	    o[OPT_MERCHANT], serial, until);
	rc = gw_pki_write_cert(o[OPT_OUT], cert);
	X509_free(cert);
	if (rc) {
		fprintf(
		    stderr,
		    "gw-pki issue: cannot write %s: %s (serial %s is recorded in index.txt)\n",
		    o[OPT_OUT], strerror(-rc), serial);
		return EXIT_FAIL;
	}
	printf("wrote %s\n", o[OPT_OUT]);
	return EXIT_OK;
}

static int cmd_verify(const char *const *o)
{
	char err[512], id[GW_PKI_ID_MAX + 1], serial[80], until[64];
	X509 *cert = gw_pki_read_cert(o[OPT_CERT]);
	int status = EXIT_FAIL;

	if (!cert)
		return gw_pki_cmd_fail(
		    "verify",
		    "cannot read a PEM certificate from the --cert file");
	if (o[OPT_MERCHANT]
		? gw_pki_verify_merchant(o[OPT_DIR], cert, o[OPT_MERCHANT], 0,
					 err, sizeof(err))
		: gw_pki_verify(o[OPT_DIR], cert, err, sizeof(err)))
		printf("REFUSED: %s\n", err);
	else if (gw_pki_merchant_id(cert, id, sizeof(id)))
		printf(
		    "REFUSED: no merchant id (%s<id> URI) in the certificate\n",
		    GW_PKI_MERCHANT_URI);
	else {
		gw_pki_show_serial(cert, serial, sizeof(serial));
		gw_pki_show_time(X509_get0_notAfter(cert), until,
				 sizeof(until));
		printf("OK: merchant %s, serial %s, valid until %s\n", id,
		       serial, until);
		status = EXIT_OK;
	}
	X509_free(cert);
	return status;
}

static int cmd_show(const char *const *o)
{
	X509 *cert = gw_pki_read_cert(o[OPT_CERT]);

	if (!cert)
		return gw_pki_cmd_fail(
		    "show",
		    "cannot read a PEM certificate from the --cert file");
	gw_pki_show_cert(cert, stdout);
	X509_free(cert);
	return EXIT_OK;
}

static const struct cmd cmds[] = {
    {"init", cmd_init, BIT(OPT_DIR) | BIT(OPT_SERVER_NAME), 0,
     "init --dir DIR --server-name NAME"},
    {"csr", cmd_csr, BIT(OPT_MERCHANT) | BIT(OPT_KEY) | BIT(OPT_OUT), 0,
     "csr --merchant ID --key OUT.key --out OUT.csr"},
    {"issue", cmd_issue,
     BIT(OPT_DIR) | BIT(OPT_CSR) | BIT(OPT_MERCHANT) | BIT(OPT_OUT),
     BIT(OPT_DAYS) | BIT(OPT_SECONDS),
     "issue --dir DIR --csr FILE --merchant ID [--days N | --seconds N] --out CERT"},
    {"verify", cmd_verify, BIT(OPT_DIR) | BIT(OPT_CERT), BIT(OPT_MERCHANT),
     "verify --dir DIR --cert FILE [--merchant ID]"},
    {"show", cmd_show, BIT(OPT_CERT), 0, "show --cert FILE"},
    {"revoke", gw_pki_cmd_revoke, BIT(OPT_DIR),
     BIT(OPT_SERIAL) | BIT(OPT_MERCHANT) | BIT(OPT_REASON),
     "revoke --dir DIR (--serial HEX | --merchant ID) [--reason R]"},
    {"crl", gw_pki_cmd_crl, BIT(OPT_DIR), BIT(OPT_DAYS),
     "crl --dir DIR [--days N]"},
    {"renew", gw_pki_cmd_renew,
     BIT(OPT_DIR) | BIT(OPT_CERT) | BIT(OPT_CSR) | BIT(OPT_OUT),
     BIT(OPT_DAYS) | BIT(OPT_SECONDS),
     "renew --dir DIR --cert CUR.crt --csr NEW.csr [--days N | --seconds N] --out NEW.crt"},
    {"sign-package", gw_pki_cmd_sign_package,
     BIT(OPT_DIR) | BIT(OPT_FILE) | BIT(OPT_NAME) | BIT(OPT_VERSION) |
	 BIT(OPT_OUT),
     0, "sign-package --dir DIR --file F --name N --version V --out F.sig"},
    {"verify-package", gw_pki_cmd_verify_package,
     BIT(OPT_CA) | BIT(OPT_FILE) | BIT(OPT_SIG),
     BIT(OPT_NAME) | BIT(OPT_VERSION) | BIT(OPT_RUNNING),
     "verify-package --ca ROOT.crt --file F --sig F.sig [--name N] [--version V] [--running V]"},
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage:\n");
	for (i = 0; i < N_CMDS; i++)
		fprintf(out, "  gw-pki %s\n", cmds[i].usage);
}

static int usage_error(const char *what, const char *arg)
{
	char shown[64];

	gw_pki_printable((const unsigned char *)arg, strlen(arg), shown,
			 sizeof(shown));
	fprintf(stderr, "gw-pki: %s %s\n", what, shown);
	usage(stderr);
	return EXIT_USAGE;
}

static int find_opt(const char *name)
{
	int i;

	for (i = 0; i < N_OPTS; i++)
		if (!strcmp(name, opt_names[i]))
			return i;
	return -1;
}

static int parse_opts(const struct cmd *c, int argc, char **argv,
		      const char **opt)
{
	unsigned allowed = c->required | c->optional;
	int i, k;

	for (i = 2; i < argc; i += 2) {
		k = find_opt(argv[i]);
		if (k < 0 || !(allowed & BIT(k)))
			return usage_error("unknown option", argv[i]);
		if (i + 1 >= argc)
			return usage_error("missing value for", argv[i]);
		if (opt[k])
			return usage_error("option given twice:", argv[i]);
		opt[k] = argv[i + 1];
	}
	for (k = 0; k < N_OPTS; k++)
		if ((c->required & BIT(k)) && !opt[k])
			return usage_error("missing option", opt_names[k]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *opt[N_OPTS] = {0};
	size_t i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < N_CMDS; i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		rc = parse_opts(&cmds[i], argc, argv, opt);
		return rc ? rc : cmds[i].run(opt);
	}
	return usage_error("unknown command", argv[1]);
}
