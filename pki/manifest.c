/*
 * The package manifest: the text that code signing covers (format line,
 * name, version, size, SHA-256 of the package), its strict parser, the
 * dotted version compare, and hashing a package file of any size.
 * Signing and checking the signature are package.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "gw_pki.h"
#include "gw_util.h"
#include "manifest.h"
#include "pki_int.h"

#define FORMAT_LINE "gw-package-manifest 1"
#define MAX_PARTS   4
#define MAX_DIGITS  9

int gw_pki_pkg_name_valid(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n > 0 && n <= GW_PKI_PKG_NAME_MAX && s[n] == '\0' &&
	       s[0] != '.' && s[0] != '-';
}

/* The parts of a dotted version; -EINVAL unless 1 to 4 numbers of 1 to 9
 * digits without leading zeros, so that one version has one spelling. */
static int version_parts(const char *s, long parts[MAX_PARTS])
{
	int n = 0;
	size_t len;

	if (!s || strlen(s) > GW_PKI_VERSION_MAX)
		return -EINVAL;
	memset(parts, 0, MAX_PARTS * sizeof(parts[0]));
	for (;;) {
		len = strspn(s, "0123456789");
		if (n == MAX_PARTS || len == 0 || len > MAX_DIGITS ||
		    (len > 1 && s[0] == '0'))
			return -EINVAL;
		parts[n++] = strtol(s, NULL, 10);
		s += len;
		if (*s == '\0')
			return 0;
		if (*s++ != '.')
			return -EINVAL;
	}
}

int gw_pki_version_cmp(const char *a, const char *b, int *cmp)
{
	long pa[MAX_PARTS], pb[MAX_PARTS];
	int i;

	if (!cmp || version_parts(a, pa) || version_parts(b, pb))
		return -EINVAL;
	*cmp = 0;
	for (i = 0; i < MAX_PARTS && !*cmp; i++)
		*cmp = (pa[i] > pb[i]) - (pa[i] < pb[i]);
	return 0;
}

int gw_pki_version_valid(const char *s)
{
	long parts[MAX_PARTS];

	return !version_parts(s, parts);
}

int gw_pki_file_digest(const char *path, uint64_t *size, char hex[65])
{
	unsigned char buf[65536], md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int mdlen = 0;
	ssize_t n;
	int fd, rc = 0;

	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		EVP_MD_CTX_free(ctx);
		return -errno;
	}
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		rc = -ENOMEM;
	while (!rc && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		else if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			rc = -ENOMEM;
		else
			*size += (uint64_t)n;
	}
	if (!rc && !EVP_DigestFinal_ex(ctx, md, &mdlen))
		rc = -ENOMEM;
	if (!rc)
		gw_hex_encode(md, mdlen, hex);
	close(fd);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int gw_pki_manifest_format(const struct gw_pki_manifest *m, char *out,
			   size_t outlen)
{
	int n = snprintf(out, outlen,
			 FORMAT_LINE "\nname %s\nversion %s\nsize %" PRIu64
				     "\nsha256 %s\n",
			 m->name, m->version, m->size, m->sha256);

	return (n < 0 || (size_t)n >= outlen) ? -ENOSPC : n;
}

static int take_name(struct gw_pki_manifest *m, const char *v)
{
	if (!gw_pki_pkg_name_valid(v))
		return -EINVAL;
	strcpy(m->name, v);
	return 0;
}

static int take_version(struct gw_pki_manifest *m, const char *v)
{
	if (!gw_pki_version_valid(v))
		return -EINVAL;
	strcpy(m->version, v);
	return 0;
}

static int take_size(struct gw_pki_manifest *m, const char *v)
{
	char *end;

	if (*v < '0' || *v > '9' || (v[0] == '0' && v[1]) || strlen(v) > 19)
		return -EINVAL;
	errno = 0;
	m->size = strtoull(v, &end, 10);
	return (errno || *end) ? -EINVAL : 0;
}

static int take_sha256(struct gw_pki_manifest *m, const char *v)
{
	if (strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64)
		return -EINVAL;
	strcpy(m->sha256, v);
	return 0;
}

/* The lines after the format line, each exactly once, in this order. */
static const struct field {
	const char *key;
	int (*take)(struct gw_pki_manifest *m, const char *value);
} fields[] = {
    {"name", take_name},
    {"version", take_version},
    {"size", take_size},
    {"sha256", take_sha256},
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

int gw_pki_manifest_parse(const char *text, size_t len,
			  struct gw_pki_manifest *m)
{
	char buf[GW_PKI_MANIFEST_MAX + 1], *p = buf, *line, *value;
	size_t i, klen;

	if (len > GW_PKI_MANIFEST_MAX || memchr(text, '\0', len))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(m, 0, sizeof(*m));
	line = strsep(&p, "\n");
	if (strcmp(line, FORMAT_LINE))
		return -EINVAL;
	for (i = 0; i < N_FIELDS; i++) {
		line = p ? strsep(&p, "\n") : NULL;
		if (!line)
			return -EINVAL;
		klen = strlen(fields[i].key);
		if (strncmp(line, fields[i].key, klen) || line[klen] != ' ')
			return -EINVAL;
		value = line + klen + 1;
		if (fields[i].take(m, value))
			return -EINVAL;
	}
	/* The text ends with the last field's newline and nothing after. */
	return (p && *p == '\0') ? 0 : -EINVAL;
}
