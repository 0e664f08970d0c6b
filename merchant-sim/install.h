/*
 * Installing software on a simulated merchant: the SOFTWARE_AVAILABLE
 * reference, the install directory, and the package that FETCH brought,
 * installed only once gw_pki_verify_package accepts it.  Fetching it over
 * link 1 is sigwork.c's.
 */
#ifndef SIM_INSTALL_H
#define SIM_INSTALL_H

#include <stddef.h>
#include <stdint.h>

#include "gw_pki.h"
#include "opts.h"

/* Why a fetched package was not installed, for the report. */
enum sim_install_refusal {
	SIM_INST_BAD_SIGNATURE, /* GW_PKI_PKG_BADSIG */
	SIM_INST_SIGNER,	/* GW_PKI_PKG_SIGNER */
	SIM_INST_FORMAT,	/* GW_PKI_PKG_FORMAT */
	SIM_INST_FILE,		/* GW_PKI_PKG_FILE */
	SIM_INST_OTHER_PACKAGE, /* GW_PKI_PKG_NAME */
	SIM_INST_OTHER_VERSION, /* GW_PKI_PKG_VERSION */
	SIM_INST_ROLLBACK,	/* GW_PKI_PKG_OLD */
	SIM_INST_FETCH,		/* the gateway sent no usable package */
	SIM_INST_ERROR,		/* anything else: disk, arguments */
	SIM_INST_MAX,
};

/* The refusal an error of sim_install_package stands for. */
enum sim_install_refusal sim_install_refusal_of(int err);

/* Its name in the report ("rollback" ...). */
const char *sim_install_refusal_name(enum sim_install_refusal r);

/*
 * Splits a SOFTWARE_AVAILABLE reference "<name>@<version>" into @name
 * (GW_PKI_PKG_NAME_MAX + 1 bytes) and @version (GW_PKI_VERSION_MAX + 1).
 * The name must be 1 to 64 characters of [A-Za-z0-9._-] not starting
 * with '.', since it becomes a file name, and the version one to four
 * dotted numbers.  0 or -EINVAL.
 */
int sim_install_parse_ref(const char *ref, char *name, char *version);

/* Where @merchant installs: <install-dir>/<merchant> with --install-dir,
 * else <state-dir>/<merchant>/software.  0 or -ENAMETOOLONG. */
int sim_install_dir(const struct sim_opts *o, const char *merchant, char *out,
		    size_t outlen);

/* Writes @len bytes to @path (created or truncated, mode 0600) and syncs
 * them, so that a rename after it never installs a hole.  0 or a
 * negative errno. */
int sim_install_write(const char *path, const void *data, size_t len);

/*
 * Writes the signed manifest @sig and the package @pkg, as FETCH gave
 * them, beside their final names in @dir (created 0700 when missing),
 * checks them with gw_pki_verify_package against @root_crt, expecting
 * @name and @version and a version newer than @running, and only then
 * renames them to "<name>-<version>.pkg" and its ".sig", so that an
 * installed package is always a verified one.  A refused package leaves
 * nothing behind.  0, one of GW_PKI_PKG_* or another negative errno,
 * with the reason in @err.
 */
__attribute__((warn_unused_result)) int
sim_install_package(const char *root_crt, const char *dir, const char *name,
		    const char *version, const char *running,
		    const uint8_t *sig, size_t siglen, const uint8_t *pkg,
		    size_t pkglen, char *err, size_t errlen);

#endif
