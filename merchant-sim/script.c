/*
 * Reading a request script: one parser per column, errors naming the file,
 * the line and the column.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cards.h"
#include "script.h"

#define LINE_MAX_LEN 512

typedef const char *(*col_fn)(const char *s, struct sim_script_line *l);

static const char *c_pan(const char *s, struct sim_script_line *l)
{
	size_t len = strlen(s);

	/* Malformed numbers are allowed so that code 14 can be tested, but
	 * they must fit the wire field. */
	if (len > GW_WIRE_PAN_MAX)
		return "longer than 19 characters";
	memcpy(l->pan, s, len + 1);
	l->pan_len = (uint8_t)len;
	return NULL;
}

static const char *c_expiry(const char *s, struct sim_script_line *l)
{
	uint64_t v;

	if (sim_parse_u64(s, &v) < 0 || v > 9999)
		return "expected YYMM";
	l->expiry = (uint16_t)v;
	return NULL;
}

static const char *c_amount(const char *s, struct sim_script_line *l)
{
	if (sim_parse_u64(s, &l->amount) < 0)
		return "expected an amount in minor units";
	return NULL;
}

static const char *c_flags(const char *s, struct sim_script_line *l)
{
	uint64_t v;

	if (sim_parse_u64(s, &v) < 0 || v > 0xffff)
		return "expected a number from 0 to 65535";
	l->flags = (uint16_t)v;
	return NULL;
}

static const char *c_code(const char *s, struct sim_script_line *l)
{
	if (strlen(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
	    s[1] > '9')
		return "expected two digits";
	l->code = (uint8_t)((s[0] - '0') * 10 + (s[1] - '0'));
	return NULL;
}

static const char *c_expected(const char *s, struct sim_script_line *l)
{
	if (sim_parse_u64(s, &l->expected_amount) < 0)
		return "expected an amount in minor units";
	return NULL;
}

static const struct {
	const char *name;
	col_fn parse;
} cols[] = {
    {"pan", c_pan},
    {"expiry", c_expiry},
    {"amount", c_amount},
    {"flags", c_flags},
    {"expected_code", c_code},
    {"expected_amount", c_expected},
};
#define NCOLS ((int)(sizeof(cols) / sizeof(cols[0])))

static int parse_line(char *line, struct sim_script_line *l, const char *path,
		      unsigned lineno, char *err, size_t errlen)
{
	char *f[NCOLS];
	const char *why;
	int n, i;

	n = sim_csv_split(line, f, NCOLS);
	if (n != NCOLS) {
		snprintf(
		    err, errlen,
		    "%s:%u: expected %d fields: pan,expiry,amount,flags,expected_code,expected_amount",
		    path, lineno, NCOLS);
		return -EINVAL;
	}
	memset(l, 0, sizeof(*l));
	l->lineno = lineno;
	for (i = 0; i < NCOLS; i++) {
		why = cols[i].parse(f[i], l);
		if (why) {
			snprintf(err, errlen, "%s:%u: field %s: %s", path,
				 lineno, cols[i].name, why);
			return -EINVAL;
		}
	}
	return 0;
}

static int grow(struct sim_script *s, size_t *cap)
{
	struct sim_script_line *v;
	size_t ncap = *cap ? *cap * 2 : 32;

	if (s->n < *cap)
		return 0;
	v = realloc(s->v, ncap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	*cap = ncap;
	return 0;
}

static int read_all(FILE *f, struct sim_script *s, const char *path, char *err,
		    size_t errlen)
{
	char line[LINE_MAX_LEN];
	unsigned lineno = 0;
	size_t cap = 0, len;
	int rc = 0;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path,
				 lineno);
			rc = -EINVAL;
			break;
		}
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (grow(s, &cap) < 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			rc = -ENOMEM;
			break;
		}
		rc = parse_line(line, &s->v[s->n], path, lineno, err, errlen);
		if (rc < 0) {
			OPENSSL_cleanse(&s->v[s->n], sizeof(s->v[s->n]));
			break;
		}
		s->n++;
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (rc == 0 && s->n == 0) {
		snprintf(err, errlen, "%s: no requests", path);
		rc = -EINVAL;
	}
	return rc;
}

struct sim_script *sim_script_load(const char *path, char *err, size_t errlen)
{
	struct sim_script *s;
	FILE *f;
	int rc;

	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	rc = read_all(f, s, path, err, errlen);
	fclose(f);
	if (rc < 0) {
		sim_script_free(s);
		return NULL;
	}
	return s;
}

void sim_script_free(struct sim_script *s)
{
	if (!s)
		return;
	if (s->v)
		OPENSSL_cleanse(s->v, s->n * sizeof(*s->v));
	free(s->v);
	free(s);
}
