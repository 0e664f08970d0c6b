/*
 * Software packages on the gateway's side: the packages directory
 * (<name>-<version>.pkg and its signed manifest <name>-<version>.pkg.sig),
 * publishing into it, and FETCH, which hands both to a merchant over link
 * 1.  Signing and verification are gw_pki's; announcing is sigstore.c's.
 */
#ifndef GW_CTL_PACKAGES_H
#define GW_CTL_PACKAGES_H

#include <stddef.h>

#include "ctl.h"
#include "gw_link.h"

/*
 * 0 when @name is 1 to 64 characters of [A-Za-z0-9._-] not starting with
 * '.', @version a dotted version gw_pki accepts, and "<name>@<version>"
 * fits a signal's reference; else -EINVAL.
 */
__attribute__((warn_unused_result)) int gw_packages_check(const char *name,
							  const char *version);

/* "<dir>/<name>-<version>.pkg" plus @suffix into @out.  0 or -EINVAL. */
int gw_packages_path(char *out, size_t outlen, const char *dir,
		     const char *name, const char *version, const char *suffix);

/* 1 when package @name @version is in @dir, else 0. */
int gw_packages_exists(const char *dir, const char *name, const char *version);

/*
 * Copies @file and its signature @sig into @dir under the package's
 * names, each through a temporary file and a rename, so that a reader
 * sees the old file or the new one, never half of one.  0 or a negative
 * errno with a message in @err.
 */
int gw_packages_install(const char *dir, const char *name, const char *version,
			const char *file, const char *sig, char *err,
			size_t errlen);

/* FETCH <name> <version> 0.  0 once answered, or -EIO. */
int gw_packages_fetch_handle(struct gw_conn *c, struct gw_link_msg *m);

#endif
