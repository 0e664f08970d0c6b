/*
 * gw-pki's package commands: sign-package on the appliance, and
 * verify-package, the check an installer makes before it installs.
 */
#include <stdio.h>

#include "cmd.h"
#include "gw_pki.h"
#include "pki_int.h"

static void show_manifest(const struct gw_pki_manifest *m)
{
	printf("  package  %s\n", m->name);
	printf("  version  %s\n", m->version);
	printf("  size     %llu bytes\n", (unsigned long long)m->size);
	printf("  sha256   %s\n", m->sha256);
	printf("  signer   %s\n", m->signer);
}

int gw_pki_cmd_sign_package(const char *const *o)
{
	struct gw_pki_manifest m = {0};
	char err[512], root[4096];
	int rc;

	if (gw_pki_sign_package(o[OPT_DIR], o[OPT_FILE], o[OPT_NAME],
				o[OPT_VERSION], o[OPT_OUT], err, sizeof(err)))
		return gw_pki_cmd_fail("sign-package", err);
	/* Reading the signature back as an installer would catches a
	 * directory whose code-signing certificate does not chain. */
	if (gw_pki_path(root, sizeof(root), o[OPT_DIR], "root.crt"))
		return gw_pki_cmd_fail("sign-package", "directory too long");
	rc = gw_pki_verify_package_info(root, o[OPT_FILE], o[OPT_OUT],
					o[OPT_NAME], o[OPT_VERSION], NULL, &m,
					err, sizeof(err));
	if (rc)
		return gw_pki_cmd_fail("sign-package", err);
	printf("signed %s into %s\n", o[OPT_FILE], o[OPT_OUT]);
	show_manifest(&m);
	return EXIT_OK;
}

int gw_pki_cmd_verify_package(const char *const *o)
{
	struct gw_pki_manifest m = {0};
	char err[512];
	int rc;

	rc = gw_pki_verify_package_info(o[OPT_CA], o[OPT_FILE], o[OPT_SIG],
					o[OPT_NAME], o[OPT_VERSION],
					o[OPT_RUNNING], &m, err, sizeof(err));
	if (rc) {
		printf("REFUSED: %s\n", err);
		return EXIT_FAIL;
	}
	printf("OK: %s may be installed\n", o[OPT_FILE]);
	show_manifest(&m);
	if (!o[OPT_NAME] || !o[OPT_VERSION] || !o[OPT_RUNNING])
		printf("note: without --name, --version and --running, the "
		       "name and version were not checked against what was "
		       "expected\n");
	return EXIT_OK;
}
