/*
 * Reading a request script: one parser per column, errors naming the file,
 * the line and the column.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "script.h"

static const char *c_pan(const char *s, void *row)
{
	struct sim_script_line *l = row;
	size_t len = strlen(s);

	/* Malformed numbers are allowed so that code 14 can be tested, but
	 * they must fit the wire field. */
	if (len > GW_WIRE_PAN_MAX)
		return "longer than 19 characters";
	memcpy(l->pan, s, len + 1);
	l->pan_len = (uint8_t)len;
	return NULL;
}

static const char *c_expiry(const char *s, void *row)
{
	struct sim_script_line *l = row;
	uint64_t v;

	if (sim_parse_u64(s, &v) < 0 || v > 9999)
		return "expected YYMM";
	l->expiry = (uint16_t)v;
	return NULL;
}

static const char *c_amount(const char *s, void *row)
{
	struct sim_script_line *l = row;
	if (sim_parse_u64(s, &l->amount) < 0)
		return "expected an amount in minor units";
	return NULL;
}

static const char *c_flags(const char *s, void *row)
{
	struct sim_script_line *l = row;
	uint64_t v;

	if (sim_parse_u64(s, &v) < 0 || v > 0xffff)
		return "expected a number from 0 to 65535";
	l->flags = (uint16_t)v;
	return NULL;
}

static const char *c_code(const char *s, void *row)
{
	struct sim_script_line *l = row;
	if (strlen(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
	    s[1] > '9')
		return "expected two digits";
	l->code = (uint8_t)((s[0] - '0') * 10 + (s[1] - '0'));
	return NULL;
}

static const char *c_expected(const char *s, void *row)
{
	struct sim_script_line *l = row;
	if (sim_parse_u64(s, &l->expected_amount) < 0)
		return "expected an amount in minor units";
	return NULL;
}

static void begin(void *row, unsigned lineno)
{
	struct sim_script_line *l = row;

	l->lineno = lineno;
}

static const struct sim_csv_col cols[] = {
    {"pan", c_pan},
    {"expiry", c_expiry},
    {"amount", c_amount},
    {"flags", c_flags},
    {"expected_code", c_code},
    {"expected_amount", c_expected},
};

static const struct sim_csv_format format = {
    .cols = cols,
    .ncols = sizeof(cols) / sizeof(cols[0]),
    .row_size = sizeof(struct sim_script_line),
    .none = "no requests",
    .begin = begin,
};

struct sim_script *sim_script_load(const char *path, char *err, size_t errlen)
{
	struct sim_script *s = calloc(1, sizeof(*s));
	void *rows;

	if (!s) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (sim_csv_load(path, &format, &rows, &s->n, err, errlen) < 0) {
		free(s);
		return NULL;
	}
	s->v = rows;
	return s;
}

void sim_script_free(struct sim_script *s)
{
	if (!s)
		return;
	sim_csv_free(s->v, s->n, sizeof(*s->v));
	free(s);
}
