/*
 * What gw-pki's command files share: the options, the exit statuses and
 * the helpers for reporting failures, reading validity periods and CSRs.
 * main.c owns the command table; cmd_life.c and cmd_pkg.c own the rows
 * for the certificate life cycle and for packages.
 */
#ifndef GW_PKI_CMD_H
#define GW_PKI_CMD_H

#include <openssl/x509.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

enum opt {
	OPT_DIR,
	OPT_SERVER_NAME,
	OPT_MERCHANT,
	OPT_KEY,
	OPT_OUT,
	OPT_CSR,
	OPT_CERT,
	OPT_DAYS,
	OPT_SECONDS,
	OPT_SERIAL,
	OPT_REASON,
	OPT_FILE,
	OPT_NAME,
	OPT_VERSION,
	OPT_SIG,
	OPT_CA,
	OPT_RUNNING,
	N_OPTS
};

/* Prints "gw-pki @cmd: @what" on stderr; EXIT_FAIL. */
int gw_pki_cmd_fail(const char *cmd, const char *what);

/* A positive count from @s, at most @max.  0 or -EINVAL. */
int gw_pki_cmd_count(const char *s, long max, long *out);

/* A certificate's validity from --days or --seconds (a year when
 * neither).  0, or -EINVAL after saying why on stderr. */
int gw_pki_cmd_seconds(const char *const *o, const char *cmd, long *seconds);

/* A PEM CSR from @path, or NULL. */
X509_REQ *gw_pki_cmd_read_csr(const char *path);

int gw_pki_cmd_revoke(const char *const *o);
int gw_pki_cmd_crl(const char *const *o);
int gw_pki_cmd_renew(const char *const *o);
int gw_pki_cmd_sign_package(const char *const *o);
int gw_pki_cmd_verify_package(const char *const *o);

#endif
