/*
 * Index files, one line per certificate: serial (hex), owner, notAfter
 * (Unix time) and status V, or status R followed by the revocation time
 * and reason.  index.txt lists the issuing CA's merchant certificates,
 * root-index.txt the CAs that the root revoked.  Locking is registry.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"

/* RFC 5280 section 5.3.1 names; certificateHold and removeFromCRL are
 * absent because a revocation here is never undone. */
static const struct {
	int code;
	const char *name;
} reasons[] = {
    {CRL_REASON_UNSPECIFIED, "unspecified"},
    {CRL_REASON_KEY_COMPROMISE, "keyCompromise"},
    {CRL_REASON_CA_COMPROMISE, "cACompromise"},
    {CRL_REASON_AFFILIATION_CHANGED, "affiliationChanged"},
    {CRL_REASON_SUPERSEDED, "superseded"},
    {CRL_REASON_CESSATION_OF_OPERATION, "cessationOfOperation"},
    {CRL_REASON_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn"},
    {CRL_REASON_AA_COMPROMISE, "aACompromise"},
};

#define N_REASONS (sizeof(reasons) / sizeof(reasons[0]))

/* Six fields at most: serial, owner, notAfter, status, time, reason. */
#define MAX_FIELDS 6

int gw_pki_reason_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < N_REASONS; i++)
		if (!strcmp(name, reasons[i].name))
			return reasons[i].code;
	return -EINVAL;
}

const char *gw_pki_reason_name(int reason)
{
	size_t i;

	for (i = 0; i < N_REASONS; i++)
		if (reasons[i].code == reason)
			return reasons[i].name;
	return NULL;
}

/* Skips leading zeros so that "05" and "5" compare equal. */
static const char *significant(const char *s)
{
	while (*s == '0' && s[1])
		s++;
	return s;
}

int gw_pki_serial_eq(const char *a, const char *b)
{
	return !strcasecmp(significant(a), significant(b));
}

static int is_hex(const char *s, size_t max)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n > 0 && n <= max && s[n] == '\0';
}

static int parse_time(const char *s, long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno || *end) ? -EINVAL : 0;
}

static int parse_line(char *line, struct gw_pki_entry *e)
{
	char *f[MAX_FIELDS + 1], *p = line;
	int n = 0;

	memset(e, 0, sizeof(*e));
	while (p && n <= MAX_FIELDS)
		f[n++] = strsep(&p, "\t");
	if (n != 4 && n != 6)
		return -EINVAL;
	if (!is_hex(f[0], sizeof(e->serial) - 1) ||
	    !gw_pki_id_valid(f[1], strlen(f[1])) ||
	    parse_time(f[2], &e->not_after))
		return -EINVAL;
	strcpy(e->serial, f[0]);
	strcpy(e->id, f[1]);
	if (n == 4 && !strcmp(f[3], "V")) {
		e->status = 'V';
		return 0;
	}
	if (n != 6 || strcmp(f[3], "R") || parse_time(f[4], &e->revoked_at))
		return -EINVAL;
	e->reason = gw_pki_reason_parse(f[5]);
	e->status = 'R';
	return e->reason < 0 ? -EINVAL : 0;
}

int gw_pki_index_add(struct gw_pki_index *ix, const struct gw_pki_entry *e)
{
	struct gw_pki_entry *grown;
	size_t cap;

	if (ix->n == ix->cap) {
		cap = ix->cap ? 2 * ix->cap : 64;
		grown = realloc(ix->e, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		ix->e = grown;
		ix->cap = cap;
	}
	ix->e[ix->n++] = *e;
	return 0;
}

int gw_pki_index_read(const char *path, struct gw_pki_index *ix, char *err,
		      size_t errlen)
{
	struct gw_pki_entry e;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	FILE *fp;
	int rc = 0;

	memset(ix, 0, sizeof(*ix));
	fp = fopen(path, "re");
	if (!fp) {
		if (errno == ENOENT)
			return 0;
		gw_pki_seterr(err, errlen, "cannot open %s: %s", path,
			      strerror(errno));
		return -errno;
	}
	while (!rc && (n = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if (line[n - 1] != '\n') {
			rc = -EINVAL;
			break;
		}
		line[n - 1] = '\0';
		rc = parse_line(line, &e);
		if (!rc)
			rc = gw_pki_index_add(ix, &e);
	}
	if (rc == -EINVAL)
		gw_pki_seterr(err, errlen, "%s line %zu is malformed", path,
			      lineno);
	else if (rc)
		gw_pki_seterr(err, errlen, "out of memory reading %s", path);
	free(line);
	fclose(fp);
	if (rc)
		gw_pki_index_free(ix);
	return rc;
}

int gw_pki_index_write(const char *path, const struct gw_pki_index *ix)
{
	const struct gw_pki_entry *e;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *mem = open_memstream(&buf, &len);
	int rc;

	if (!mem)
		return -ENOMEM;
	for (i = 0; i < ix->n; i++) {
		e = &ix->e[i];
		if (e->status == 'R')
			fprintf(mem, "%s\t%s\t%lld\tR\t%lld\t%s\n", e->serial,
				e->id, e->not_after, e->revoked_at,
				gw_pki_reason_name(e->reason));
		else
			fprintf(mem, "%s\t%s\t%lld\tV\n", e->serial, e->id,
				e->not_after);
	}
	if (fclose(mem)) {
		free(buf);
		return -ENOMEM;
	}
	rc = gw_pki_replace_file(path, buf, len);
	free(buf);
	return rc;
}

void gw_pki_index_free(struct gw_pki_index *ix)
{
	free(ix->e);
	memset(ix, 0, sizeof(*ix));
}
