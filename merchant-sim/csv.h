/*
 * The simulator's comma-separated files (credit lines, request scripts):
 * splitting lines, strict numbers, and a loader driven by a table of
 * columns.  What each column means is the table owner's (cards.c,
 * script.c).
 */
#ifndef SIM_CSV_H
#define SIM_CSV_H

#include <stddef.h>
#include <stdint.h>

/* Parses text @s into the row being read; NULL, or what was expected. */
typedef const char *(*sim_csv_col_fn)(const char *s, void *row);

struct sim_csv_col {
	const char *name;
	sim_csv_col_fn parse;
};

struct sim_csv_format {
	const struct sim_csv_col *cols;
	int ncols;
	size_t row_size;
	/* A line starting with this before the first row is a header and
	 * skipped; NULL when the format has none. */
	const char *header;
	/* What the error says of a file without rows: "no cards". */
	const char *none;
	/* Optional: called with each zeroed row before its columns. */
	void (*begin)(void *row, unsigned lineno);
};

/*
 * Reads every row of @path: blank lines and lines starting with '#' are
 * skipped, CRLF endings accepted.  On success *rows holds *n rows of
 * fmt->row_size bytes (free with sim_csv_free).  On error returns -EINVAL,
 * -ENOMEM, -EIO or the open's negative errno, with one line in @err naming
 * the file, the line and the column, never the column's value.
 */
int sim_csv_load(const char *path, const struct sim_csv_format *fmt,
		 void **rows, size_t *n, char *err, size_t errlen);

/* Wipes @n rows of @row_size bytes, as they may hold card numbers, and
 * frees them. */
void sim_csv_free(void *rows, size_t n, size_t row_size);

/*
 * Splits @line in place at commas into at most @max fields.  Returns the
 * number of fields, or -E2BIG when there are more.
 */
int sim_csv_split(char *line, char **fields, int max);

/* Strict decimal parsers for the file formats: 0 or -EINVAL. */
int sim_parse_u64(const char *s, uint64_t *out);
int sim_parse_yymm(const char *s, uint16_t *out);

#endif
