/*
 * gw-control's log lines.  Each line is formatted into one buffer and
 * written with a single call so that lines of concurrent connection threads
 * never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static enum gw_log_level max_level = GW_LOG_INFO;

static const char *const level_names[] = {
    [GW_LOG_ERR] = "error",
    [GW_LOG_WARN] = "warning",
    [GW_LOG_INFO] = "info",
    [GW_LOG_DEBUG] = "debug",
};

void gw_log_set_level(enum gw_log_level level)
{
	max_level = level;
}

void gw_log_emit(enum gw_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;
	int m;

	if (level > max_level)
		return;
	n = snprintf(line, sizeof(line),
		     "gw-control: %s: ", level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	/* A truncated line still ends with its newline. */
	if (m < 0)
		m = 0;
	if ((size_t)(n + m) > sizeof(line) - 2)
		m = sizeof(line) - 2 - n;
	line[n + m] = '\n';
	if (write(STDERR_FILENO, line, n + m + 1) < 0)
		return;
}
