/*
 * Reading the credit-line file for the simulator: one parser per field,
 * each naming what it expects, and the same rules as the data plane's
 * loader so that both sides agree on every card.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cards.h"
#include "gw_card.h"

#define LINE_MAX_LEN 512

int sim_csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		if (n == max)
			return -E2BIG;
		fields[n++] = p;
		p = strchr(p, ',');
		if (!p)
			return n;
		*p++ = '\0';
	}
}

int sim_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 20)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int sim_parse_yymm(const char *s, uint16_t *out)
{
	uint64_t v;

	if (strlen(s) != 4 || sim_parse_u64(s, &v) < 0)
		return -EINVAL;
	if (v % 100 < 1 || v % 100 > 12)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

typedef const char *(*field_fn)(const char *s, struct sim_card *c);

static const char *f_pan(const char *s, struct sim_card *c)
{
	size_t len = strlen(s);

	if (len < GW_WIRE_PAN_MIN || len > GW_WIRE_PAN_MAX ||
	    gw_card_pan_check(s, len) != 0)
		return "not 12 to 19 digits passing the Luhn check";
	memcpy(c->pan, s, len + 1);
	c->pan_len = (uint8_t)len;
	gw_card_mask(s, len, c->line.masked);
	return NULL;
}

static const char *f_expiry(const char *s, struct sim_card *c)
{
	if (sim_parse_yymm(s, &c->line.expiry) < 0)
		return "expected YYMM";
	return NULL;
}

static const char *f_limit(const char *s, struct sim_card *c)
{
	if (sim_parse_u64(s, &c->line.limit) < 0)
		return "expected an amount in minor units";
	return NULL;
}

static const char *f_otb(const char *s, struct sim_card *c)
{
	if (sim_parse_u64(s, &c->line.otb) < 0)
		return "expected an amount in minor units";
	if (c->line.otb > c->line.limit)
		return "above credit_limit";
	return NULL;
}

static const char *f_status(const char *s, struct sim_card *c)
{
	if (strcmp(s, "A") && strcmp(s, "B") && strcmp(s, "L"))
		return "expected A, B or L";
	c->line.status = (uint8_t)s[0];
	return NULL;
}

static const struct {
	const char *name;
	field_fn parse;
} fields[] = {
    {"pan", f_pan},	    {"expiry", f_expiry}, {"credit_limit", f_limit},
    {"open_to_buy", f_otb}, {"status", f_status},
};
#define NFIELDS ((int)(sizeof(fields) / sizeof(fields[0])))

/* Parses one data line into @c; on error writes the message. */
static int parse_line(char *line, struct sim_card *c, const char *path,
		      unsigned lineno, char *err, size_t errlen)
{
	char *f[NFIELDS];
	const char *why;
	int n, i;

	n = sim_csv_split(line, f, NFIELDS);
	if (n != NFIELDS) {
		snprintf(
		    err, errlen,
		    "%s:%u: expected %d fields: pan,expiry,credit_limit,open_to_buy,status",
		    path, lineno, NFIELDS);
		return -EINVAL;
	}
	memset(c, 0, sizeof(*c));
	for (i = 0; i < NFIELDS; i++) {
		why = fields[i].parse(f[i], c);
		if (why) {
			snprintf(err, errlen, "%s:%u: field %s: %s", path,
				 lineno, fields[i].name, why);
			return -EINVAL;
		}
	}
	return 0;
}

static int append(struct sim_cards *c, size_t *cap)
{
	struct sim_card *v;
	size_t ncap = *cap ? *cap * 2 : 64;

	if (c->n < *cap)
		return 0;
	v = realloc(c->v, ncap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->v = v;
	*cap = ncap;
	return 0;
}

/* Strips the line end; 0, or -E2BIG when the line did not fit. */
static int chomp(char *line, FILE *f)
{
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	else if (!feof(f))
		return -E2BIG;
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	return 0;
}

static int read_all(FILE *f, struct sim_cards *c, const char *path, char *err,
		    size_t errlen)
{
	char line[LINE_MAX_LEN];
	unsigned lineno = 0;
	size_t cap = 0;
	int rc = 0;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (chomp(line, f) < 0) {
			snprintf(err, errlen, "%s:%u: line too long", path,
				 lineno);
			rc = -EINVAL;
			break;
		}
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (c->n == 0 && strncmp(line, "pan,", 4) == 0)
			continue;
		if (append(c, &cap) < 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			rc = -ENOMEM;
			break;
		}
		rc = parse_line(line, &c->v[c->n], path, lineno, err, errlen);
		if (rc < 0) {
			OPENSSL_cleanse(&c->v[c->n], sizeof(c->v[c->n]));
			break;
		}
		c->n++;
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -EIO;
	}
	if (rc == 0 && c->n == 0) {
		snprintf(err, errlen, "%s: no cards", path);
		rc = -EINVAL;
	}
	return rc;
}

struct sim_cards *sim_cards_load(const char *path, char *err, size_t errlen)
{
	struct sim_cards *c;
	FILE *f;
	int rc;

	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	rc = read_all(f, c, path, err, errlen);
	fclose(f);
	if (rc < 0) {
		sim_cards_free(c);
		return NULL;
	}
	return c;
}

void sim_cards_free(struct sim_cards *c)
{
	if (!c)
		return;
	if (c->v)
		OPENSSL_cleanse(c->v, c->n * sizeof(*c->v));
	free(c->v);
	free(c);
}

struct sim_card *sim_cards_find(const struct sim_cards *c, const char *pan,
				size_t len)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].pan_len == len &&
		    memcmp(c->v[i].pan, pan, len) == 0)
			return &c->v[i];
	return NULL;
}
