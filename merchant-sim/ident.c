/*
 * The enrollment secrets file as gw-control writes it: one
 * "merchant-id secret" line per merchant.  The secrets are wiped when
 * freed; using them is enroll.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ident.h"

static int ident_parse(char *line, struct sim_ident *who)
{
	char *sp = strchr(line, ' ');

	if (!sp || strchr(sp + 1, ' ') || sp[1] == '\0')
		return -EINVAL;
	*sp = '\0';
	if (gw_merchant_id_check(line) != 0 || strlen(sp + 1) > SIM_SECRET_MAX)
		return -EINVAL;
	memcpy(who->id, line, strlen(line) + 1);
	memcpy(who->secret, sp + 1, strlen(sp + 1) + 1);
	return 0;
}

static int idents_read(FILE *f, size_t max, struct sim_ident **out,
		       const char *path, char *err, size_t errlen)
{
	char line[GW_MERCHANT_ID_MAX + SIM_SECRET_MAX + 8];
	struct sim_ident *v = NULL, *nv;
	size_t n = 0, cap = 0, len;
	unsigned lineno = 0;
	int rc = 0;

	while ((max == 0 || n < max) && fgets(line, sizeof(line), f)) {
		lineno++;
		len = strcspn(line, "\r\n");
		if (line[len] == '\0' && !feof(f))
			rc = -EINVAL;
		line[len] = '\0';
		if (rc == 0 && (line[0] == '\0' || line[0] == '#'))
			continue;
		if (rc == 0 && n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		if (rc == 0)
			rc = ident_parse(line, &v[n]);
		if (rc < 0) {
			/* The line holds a secret: say where, not what. */
			snprintf(err, errlen,
				 "%s:%u: expected \"merchant-id secret\"", path,
				 lineno);
			break;
		}
		n++;
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "%s: no merchants", path);
		rc = -EINVAL;
	}
	if (rc == 0 && max > n) {
		snprintf(err, errlen,
			 "%s: %zu merchants asked for, %zu in the file", path,
			 (size_t)max, n);
		rc = -EINVAL;
	}
	if (rc < 0) {
		sim_idents_free(v, cap);
		return rc;
	}
	*out = v;
	return (int)n;
}

int sim_idents_load(const char *path, size_t max, struct sim_ident **out,
		    char *err, size_t errlen)
{
	FILE *f;
	int rc;

	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	rc = idents_read(f, max, out, path, err, errlen);
	fclose(f);
	return rc;
}

void sim_idents_free(struct sim_ident *v, size_t n)
{
	if (!v)
		return;
	OPENSSL_cleanse(v, n * sizeof(*v));
	free(v);
}
