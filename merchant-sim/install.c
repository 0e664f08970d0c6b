/*
 * Verified installation: a fetched package reaches its final name only
 * through a rename after its signature chain, name, version and the
 * no-rollback rule have all been checked, so a crash or a refusal never
 * leaves an unverified file where the installed software belongs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install.h"

static const struct {
	int err;
	enum sim_install_refusal why;
} refusals[] = {
    {GW_PKI_PKG_BADSIG, SIM_INST_BAD_SIGNATURE},
    {GW_PKI_PKG_SIGNER, SIM_INST_SIGNER},
    {GW_PKI_PKG_FORMAT, SIM_INST_FORMAT},
    {GW_PKI_PKG_FILE, SIM_INST_FILE},
    {GW_PKI_PKG_NAME, SIM_INST_OTHER_PACKAGE},
    {GW_PKI_PKG_VERSION, SIM_INST_OTHER_VERSION},
    {GW_PKI_PKG_OLD, SIM_INST_ROLLBACK},
    {-EPROTO, SIM_INST_FETCH},
};

static const char *const refusal_names[SIM_INST_MAX] = {
    [SIM_INST_BAD_SIGNATURE] = "bad_signature",
    [SIM_INST_SIGNER] = "signer",
    [SIM_INST_FORMAT] = "format",
    [SIM_INST_FILE] = "file_mismatch",
    [SIM_INST_OTHER_PACKAGE] = "other_package",
    [SIM_INST_OTHER_VERSION] = "other_version",
    [SIM_INST_ROLLBACK] = "rollback",
    [SIM_INST_FETCH] = "fetch",
    [SIM_INST_ERROR] = "error",
};

enum sim_install_refusal sim_install_refusal_of(int err)
{
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].err == err)
			return refusals[i].why;
	return SIM_INST_ERROR;
}

const char *sim_install_refusal_name(enum sim_install_refusal r)
{
	return (unsigned)r < SIM_INST_MAX ? refusal_names[r] : "error";
}

static int name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > GW_PKI_PKG_NAME_MAX || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    s[i]) ||
		    s[i] == '\0')
			return 0;
	return 1;
}

int sim_install_parse_ref(const char *ref, char *name, char *version)
{
	const char *at = strchr(ref, '@');
	size_t nlen, vlen;
	int cmp;

	if (!at || strchr(at + 1, '@'))
		return -EINVAL;
	nlen = (size_t)(at - ref);
	vlen = strlen(at + 1);
	if (!name_ok(ref, nlen) || vlen == 0 || vlen > GW_PKI_VERSION_MAX)
		return -EINVAL;
	memcpy(version, at + 1, vlen + 1);
	/* Comparing a version with itself is how gw_pki says it parses. */
	if (gw_pki_version_cmp(version, version, &cmp) != 0) {
		version[0] = '\0';
		return -EINVAL;
	}
	memcpy(name, ref, nlen);
	name[nlen] = '\0';
	return 0;
}

int sim_install_dir(const struct sim_opts *o, const char *merchant, char *out,
		    size_t outlen)
{
	int n;

	if (o->install_dir)
		n = snprintf(out, outlen, "%s/%s", o->install_dir, merchant);
	else
		n = snprintf(out, outlen, "%s/%s/software", o->state_dir,
			     merchant);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dir(const char *dir)
{
	char path[4096];
	size_t i, len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		path[i] = dir[i];
	}
	return 0;
}

int sim_install_write(const char *path, const void *data, size_t len)
{
	const uint8_t *buf = data;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (len > 0 && rc == 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	/* The rename that installs the file must not overtake its data. */
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

struct paths {
	char pkg[4096], sig[4096], tmp_pkg[4096], tmp_sig[4096];
};

static int make_paths(struct paths *p, const char *dir, const char *name,
		      const char *version)
{
	int a, b, c, d;

	a = snprintf(p->pkg, sizeof(p->pkg), "%s/%s-%s.pkg", dir, name,
		     version);
	b = snprintf(p->sig, sizeof(p->sig), "%s/%s-%s.pkg.sig", dir, name,
		     version);
	c = snprintf(p->tmp_pkg, sizeof(p->tmp_pkg), "%s/.%s-%s.pkg.part", dir,
		     name, version);
	d = snprintf(p->tmp_sig, sizeof(p->tmp_sig), "%s/.%s-%s.sig.part", dir,
		     name, version);
	if (a < 0 || b < 0 || c < 0 || d < 0 || (size_t)a >= sizeof(p->pkg) ||
	    (size_t)b >= sizeof(p->sig) || (size_t)c >= sizeof(p->tmp_pkg) ||
	    (size_t)d >= sizeof(p->tmp_sig))
		return -ENAMETOOLONG;
	return 0;
}

int sim_install_package(const char *root_crt, const char *dir, const char *name,
			const char *version, const char *running,
			const uint8_t *sig, size_t siglen, const uint8_t *pkg,
			size_t pkglen, char *err, size_t errlen)
{
	struct paths p;
	int rc;

	if (!root_crt || !dir || !name || !version || !running ||
	    (!sig && siglen) || (!pkg && pkglen))
		return -EINVAL;
	rc = make_paths(&p, dir, name, version);
	if (rc == 0)
		rc = make_dir(dir);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	rc = sim_install_write(p.tmp_sig, sig, siglen);
	if (rc == 0)
		rc = sim_install_write(p.tmp_pkg, pkg, pkglen);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		goto out;
	}
	rc = gw_pki_verify_package(root_crt, p.tmp_pkg, p.tmp_sig, name,
				   version, running, err, errlen);
	if (rc != 0)
		goto out;
	/* The signature goes first: a package under its final name always
	 * has its manifest beside it. */
	if (rename(p.tmp_sig, p.sig) < 0 || rename(p.tmp_pkg, p.pkg) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", p.pkg, strerror(-rc));
	}
out:
	unlink(p.tmp_sig);
	unlink(p.tmp_pkg);
	return rc;
}
