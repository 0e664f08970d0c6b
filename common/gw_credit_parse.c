/*
 * One line of the credit-line file: a parser per field, each naming what
 * it expected, with bad values echoed short enough that they cannot carry
 * a card number.  The table the lines go into is gw_credit.c's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_credit_parse.h"
#include "gw_util.h"

#define NFIELDS	 5
#define ECHO_MAX 6 /* characters of a bad value shown in errors */

/* What the field parsers share while one line is read. */
struct parse {
	const struct gw_card_tokenizer *tk;
	struct gw_credit_line *line;
	char why[96];
};

typedef int (*field_fn)(struct parse *ps, const char *v);

/* A copy of an untrusted value short enough that it cannot carry a card
 * number, with anything unprintable replaced. */
static void echo(const char *v, char out[ECHO_MAX + 4])
{
	size_t n = strnlen(v, ECHO_MAX);

	gw_printable(v, n, out, ECHO_MAX + 1);
	if (v[n] != '\0') {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static bool all_digits(const char *v)
{
	if (*v == '\0')
		return false;
	for (; *v != '\0'; v++)
		if (*v < '0' || *v > '9')
			return false;
	return true;
}

static int parse_u64(struct parse *ps, const char *v, uint64_t *out)
{
	char shown[ECHO_MAX + 4];
	uint64_t x = 0;

	if (!all_digits(v)) {
		echo(v, shown);
		snprintf(ps->why, sizeof(ps->why),
			 "not a decimal amount in minor units: \"%s\"", shown);
		return -EINVAL;
	}
	for (; *v != '\0'; v++) {
		uint64_t d = (uint64_t)(*v - '0');

		if (x > (UINT64_MAX - d) / 10) {
			snprintf(ps->why, sizeof(ps->why),
				 "does not fit in 64 bits");
			return -EINVAL;
		}
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

/* The card number is never copied into a message, whatever is wrong. */
static int field_pan(struct parse *ps, const char *v)
{
	size_t len = strlen(v);

	if (len < 12 || len > 19 || !all_digits(v)) {
		snprintf(ps->why, sizeof(ps->why), "not 12 to 19 digits");
		return -EINVAL;
	}
	if (gw_card_pan_check(v, len) != 0) {
		snprintf(ps->why, sizeof(ps->why), "fails the Luhn check");
		return -EINVAL;
	}
	if (gw_card_token(ps->tk, v, len, ps->line->token) != 0) {
		snprintf(ps->why, sizeof(ps->why), "cannot be tokenized");
		return -EIO;
	}
	gw_card_mask(v, len, ps->line->masked);
	return 0;
}

static int field_expiry(struct parse *ps, const char *v)
{
	char shown[ECHO_MAX + 4];
	unsigned mm;

	if (strlen(v) != 4 || !all_digits(v)) {
		echo(v, shown);
		snprintf(ps->why, sizeof(ps->why), "not 4 digits YYMM: \"%s\"",
			 shown);
		return -EINVAL;
	}
	mm = (unsigned)(v[2] - '0') * 10 + (unsigned)(v[3] - '0');
	if (mm < 1 || mm > 12) {
		snprintf(ps->why, sizeof(ps->why), "month %c%c is not 01 to 12",
			 v[2], v[3]);
		return -EINVAL;
	}
	ps->line->expiry = (uint16_t)atoi(v);
	return 0;
}

static int field_limit(struct parse *ps, const char *v)
{
	return parse_u64(ps, v, &ps->line->limit);
}

/* Relies on credit_limit coming first in the line. */
static int field_otb(struct parse *ps, const char *v)
{
	int ret = parse_u64(ps, v, &ps->line->otb);

	if (ret != 0)
		return ret;
	if (ps->line->otb > ps->line->limit) {
		snprintf(ps->why, sizeof(ps->why), "exceeds credit_limit");
		return -EINVAL;
	}
	return 0;
}

static int field_status(struct parse *ps, const char *v)
{
	char shown[ECHO_MAX + 4];

	if (strcmp(v, "A") != 0 && strcmp(v, "B") != 0 && strcmp(v, "L") != 0) {
		echo(v, shown);
		snprintf(ps->why, sizeof(ps->why), "not A, B or L: \"%s\"",
			 shown);
		return -EINVAL;
	}
	ps->line->status = (uint8_t)v[0];
	return 0;
}

static const struct {
	const char *name;
	field_fn parse;
} fields[NFIELDS] = {
    {"pan", field_pan},
    {"expiry", field_expiry},
    {"credit_limit", field_limit},
    {"open_to_buy", field_otb},
    {"status", field_status},
};

/* Splits @s on commas into at most NFIELDS fields; returns how many were
 * found, NFIELDS + 1 when there are more. */
static int split(char *s, char *f[NFIELDS])
{
	int n = 0;

	for (;;) {
		if (n == NFIELDS)
			return NFIELDS + 1;
		f[n++] = s;
		s = strchr(s, ',');
		if (s == NULL)
			return n;
		*s++ = '\0';
	}
}

int gw_credit_parse_line(char *s, const struct gw_card_tokenizer *tk,
			 struct gw_credit_line *line, const char **field,
			 char *why, size_t whylen)
{
	struct parse ps = {.tk = tk, .line = line};
	char *f[NFIELDS];
	int n = split(s, f), ret = 0;

	if (n > NFIELDS) {
		*field = fields[NFIELDS - 1].name;
		snprintf(ps.why, sizeof(ps.why),
			 "more than 5 fields in the line");
		ret = -EINVAL;
	}
	for (int i = 0; ret == 0 && i < NFIELDS; i++) {
		*field = fields[i].name;
		if (i >= n) {
			snprintf(ps.why, sizeof(ps.why), "missing");
			ret = -EINVAL;
		} else {
			ret = fields[i].parse(&ps, f[i]);
		}
	}
	if (ret != 0)
		snprintf(why, whylen, "%s", ps.why);
	return ret;
}
