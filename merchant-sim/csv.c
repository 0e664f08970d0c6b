/*
 * Reading the simulator's comma-separated files line by line against a
 * table of columns.  Lines may carry card numbers, so the line buffer and
 * every row refused are wiped, and errors name columns, not values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "csv.h"

#define LINE_MAX_LEN 512
#define COLS_MAX     16
#define FIRST_CAP    32

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

/* What is being read, and where. */
struct reader {
	const struct sim_csv_format *fmt;
	const char *path;
	unsigned lineno;
	char *rows;
	size_t n, cap;
	char *err;
	size_t errlen;
};

static void names(const struct sim_csv_format *fmt, char *out, size_t len)
{
	size_t off = 0;
	int i, k;

	out[0] = '\0';
	for (i = 0; i < fmt->ncols && off < len; i++) {
		k = snprintf(out + off, len - off, "%s%s", i ? "," : "",
			     fmt->cols[i].name);
		if (k < 0)
			return;
		off += (size_t)k;
	}
}

/* Parses one data line into @row; on error writes the message. */
static int parse_line(struct reader *r, char *line, void *row)
{
	const struct sim_csv_format *fmt = r->fmt;
	char *f[COLS_MAX], want[256];
	const char *why;
	int n, i;

	n = sim_csv_split(line, f, fmt->ncols);
	if (n != fmt->ncols) {
		names(fmt, want, sizeof(want));
		snprintf(r->err, r->errlen, "%s:%u: expected %d fields: %s",
			 r->path, r->lineno, fmt->ncols, want);
		return -EINVAL;
	}
	memset(row, 0, fmt->row_size);
	if (fmt->begin)
		fmt->begin(row, r->lineno);
	for (i = 0; i < fmt->ncols; i++) {
		why = fmt->cols[i].parse(f[i], row);
		if (why) {
			snprintf(r->err, r->errlen, "%s:%u: field %s: %s",
				 r->path, r->lineno, fmt->cols[i].name, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* Room for one more row. */
static int grow(struct reader *r)
{
	size_t ncap = r->cap ? r->cap * 2 : FIRST_CAP;
	char *v;

	if (r->n < r->cap)
		return 0;
	v = realloc(r->rows, ncap * r->fmt->row_size);
	if (!v)
		return -ENOMEM;
	r->rows = v;
	r->cap = ncap;
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

static int skipped(const struct reader *r, const char *line)
{
	if (line[0] == '\0' || line[0] == '#')
		return 1;
	return r->n == 0 && r->fmt->header &&
	       strncmp(line, r->fmt->header, strlen(r->fmt->header)) == 0;
}

static int add(struct reader *r, char *line)
{
	char *row;
	int rc;

	if (grow(r) < 0) {
		snprintf(r->err, r->errlen, "%s: out of memory", r->path);
		return -ENOMEM;
	}
	row = r->rows + r->n * r->fmt->row_size;
	rc = parse_line(r, line, row);
	if (rc < 0) {
		OPENSSL_cleanse(row, r->fmt->row_size);
		return rc;
	}
	r->n++;
	return 0;
}

static int read_all(struct reader *r, FILE *f)
{
	char line[LINE_MAX_LEN];
	int rc = 0;

	while (rc == 0 && fgets(line, sizeof(line), f)) {
		r->lineno++;
		if (chomp(line, f) < 0) {
			snprintf(r->err, r->errlen, "%s:%u: line too long",
				 r->path, r->lineno);
			rc = -EINVAL;
		} else if (!skipped(r, line)) {
			rc = add(r, line);
		}
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (rc == 0 && ferror(f)) {
		snprintf(r->err, r->errlen, "%s: read error", r->path);
		rc = -EIO;
	}
	if (rc == 0 && r->n == 0) {
		snprintf(r->err, r->errlen, "%s: %s", r->path, r->fmt->none);
		rc = -EINVAL;
	}
	return rc;
}

int sim_csv_load(const char *path, const struct sim_csv_format *fmt,
		 void **rows, size_t *n, char *err, size_t errlen)
{
	struct reader r = {
	    .fmt = fmt, .path = path, .err = err, .errlen = errlen};
	FILE *f;
	int rc;

	*rows = NULL;
	*n = 0;
	if (fmt->ncols < 1 || fmt->ncols > COLS_MAX) {
		snprintf(err, errlen, "%s: unreadable format", path);
		return -EINVAL;
	}
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = read_all(&r, f);
	fclose(f);
	if (rc < 0) {
		sim_csv_free(r.rows, r.n, fmt->row_size);
		return rc;
	}
	*rows = r.rows;
	*n = r.n;
	return 0;
}

void sim_csv_free(void *rows, size_t n, size_t row_size)
{
	if (!rows)
		return;
	OPENSSL_cleanse(rows, n * row_size);
	free(rows);
}
