/*
 * The packages directory and FETCH.  A FETCH answer carries the signature
 * first and the package after it, in one payload whose split the "sig="
 * word gives, so that the merchant can verify before it installs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "gw_pki.h"
#include "gw_signal.h"
#include "gw_util.h"
#include "log.h"
#include "packages.h"
#include "sigstore.h"

#define COPY_CHUNK 65536

int gw_packages_check(const char *name, const char *version)
{
	size_t n = name ? strlen(name) : 0;
	int cmp;

	if (n == 0 || n > GW_PKI_PKG_NAME_MAX || name[0] == '.' || !version ||
	    gw_pki_version_cmp(version, version, &cmp))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-'))
			return -EINVAL;
	}
	return n + 1 + strlen(version) <= GW_SIGNAL_REF_LEN ? 0 : -EINVAL;
}

int gw_packages_path(char *out, size_t outlen, const char *dir,
		     const char *name, const char *version, const char *suffix)
{
	int n =
	    snprintf(out, outlen, "%s/%s-%s.pkg%s", dir, name, version, suffix);

	return n < 0 || (size_t)n >= outlen ? -EINVAL : 0;
}

int gw_packages_exists(const char *dir, const char *name, const char *version)
{
	char path[4096];

	if (gw_packages_path(path, sizeof(path), dir, name, version, ""))
		return 0;
	return access(path, F_OK) == 0;
}

/* Copies @from to a temporary file beside @to, then renames it. */
static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	char tmp[4096], buf[COPY_CHUNK];
	int in, out = -1, ret = -EIO;
	ssize_t n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", to, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -EINVAL;
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		snprintf(err, errlen, "cannot read %s: %s", from,
			 strerror(errno));
		return -errno;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 strerror(errno));
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (n == 0 && fsync(out) == 0 && close(out) == 0) {
		out = -1;
		if (rename(tmp, to) == 0)
			ret = 0;
	}
	if (ret)
		snprintf(err, errlen, "cannot write %s: %s", to,
			 strerror(errno));
	if (out >= 0)
		close(out);
	close(in);
	if (ret)
		unlink(tmp);
	return ret;
}

int gw_packages_install(const char *dir, const char *name, const char *version,
			const char *file, const char *sig, char *err,
			size_t errlen)
{
	char path[4096];
	int ret;

	if (gw_packages_path(path, sizeof(path), dir, name, version, ""))
		return -EINVAL;
	ret = copy_file(file, path, err, errlen);
	if (ret)
		return ret;
	if (gw_packages_path(path, sizeof(path), dir, name, version, ".sig"))
		return -EINVAL;
	return copy_file(sig, path, err, errlen);
}

/* Appends the whole file @path to @buf at *@len, within @cap bytes. */
static int append_file(const char *path, char **buf, size_t *len, size_t cap)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	char *p;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > cap - *len) {
		close(fd);
		return -EFBIG;
	}
	p = realloc(*buf, *len + (size_t)st.st_size + 1);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	*buf = p;
	while (got < (size_t)st.st_size &&
	       (n = read(fd, p + *len + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != (size_t)st.st_size)
		return -EIO;
	*len += got;
	return 0;
}

/* Signature then package into a malloc'd *@buf.  0 or a negative errno. */
static int load(const char *dir, const char *name, const char *version,
		char **buf, size_t *len, size_t *siglen)
{
	char path[4096];
	int ret;

	*buf = NULL;
	*len = 0;
	ret = gw_packages_path(path, sizeof(path), dir, name, version, ".sig");
	if (ret == 0)
		ret = append_file(path, buf, len, GW_LINK_ANSWER_MAX);
	*siglen = *len;
	if (ret == 0)
		ret = gw_packages_path(path, sizeof(path), dir, name, version,
				       "");
	if (ret == 0)
		ret = append_file(path, buf, len, GW_LINK_ANSWER_MAX);
	if (ret) {
		free(*buf);
		*buf = NULL;
	}
	return ret;
}

int gw_packages_fetch_handle(struct gw_conn *c, struct gw_link_msg *m)
{
	const char *name = m->argv[1], *version = m->argv[2];
	char ref[GW_SIGNAL_REF_LEN + 1];
	char shown[48], line[64];
	size_t len, siglen;
	redisContext *rc;
	char *buf = NULL;
	int ret;

	if (gw_packages_check(name, version)) {
		gw_printable(name, strlen(name), shown, sizeof(shown));
		log_warn(
		    "conn %lu: merchant %s: FETCH of a malformed package name or version \"%s\"",
		    c->number, c->merchant, shown);
		return gw_conn_fail(c, 400, "bad package name or version");
	}
	if (!c->cfg->packages_dir ||
	    load(c->cfg->packages_dir, name, version, &buf, &len, &siglen)) {
		log_info("conn %lu: merchant %s: FETCH %s %s: no such package",
			 c->number, c->merchant, name, version);
		return gw_conn_fail(c, 404, "no such package");
	}
	snprintf(line, sizeof(line), "OK sig=%zu", siglen);
	ret = gw_link_write_answer(c->ssl, line, buf, len);
	free(buf);
	log_info("conn %lu: merchant %s fetched %s %s (%zu bytes)", c->number,
		 c->merchant, name, version, len - siglen);
	snprintf(ref, sizeof(ref), "%s@%s", name, version);
	rc = gw_conn_redis(c);
	if (!rc || gw_sigstore_settle(rc, c->merchant,
				      GW_SIG_SOFTWARE_AVAILABLE, ref) < 0)
		log_err(
		    "conn %lu: merchant %s: settling SOFTWARE_AVAILABLE failed",
		    c->number, c->merchant);
	return ret;
}
