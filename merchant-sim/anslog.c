/*
 * The answers log: a buffered text file, written as answers arrive and
 * flushed at the end of the run.  No card number enters it, only the
 * masked form.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anslog.h"

struct sim_anslog {
	FILE *f;
};

static const char *const type_names[GW_MSG_ECHO + 1] = {
    [GW_MSG_AUTH] = "auth",	  [GW_MSG_CAPTURE] = "capture",
    [GW_MSG_REVERSE] = "reverse", [GW_MSG_REFUND] = "refund",
    [GW_MSG_ECHO] = "echo",
};

struct sim_anslog *sim_anslog_open(const char *path, char *err, size_t errlen)
{
	struct sim_anslog *l = malloc(sizeof(*l));

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->f = fopen(path, "w");
	if (!l->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(l);
		return NULL;
	}
	return l;
}

/* The approval code as the gateway sent it, if it is one: the bytes are
 * authenticated but still the gateway's, so only letters and digits
 * pass. */
static void approval(const struct gw_resp *r, char out[7])
{
	size_t i;

	if (r->approval[0] == ' ' || r->approval[0] == '\0') {
		snprintf(out, 7, "-");
		return;
	}
	for (i = 0; i < 6 && r->approval[i]; i++)
		out[i] =
		    (r->approval[i] >= '0' && r->approval[i] <= '9') ||
			    (r->approval[i] >= 'A' && r->approval[i] <= 'Z')
			? r->approval[i]
			: '?';
	out[i] = '\0';
}

void sim_anslog_write(struct sim_anslog *l, const char *merchant, uint8_t type,
		      const struct gw_resp *r, const char *masked)
{
	char code[3], appr[7];

	if (!l)
		return;
	gw_wire_code_str(r->code, code);
	approval(r, appr);
	fprintf(l->f,
		"%s %016" PRIx64 " %s %s %" PRIu64 " %016" PRIx64 " %s %s\n",
		merchant, r->txn_id,
		type <= GW_MSG_ECHO && type_names[type] ? type_names[type]
							: "unknown",
		code, r->amount, r->gateway_ref, appr, masked ? masked : "-");
}

int sim_anslog_close(struct sim_anslog *l)
{
	int rc = 0;

	if (!l)
		return 0;
	if (ferror(l->f))
		rc = -EIO;
	if (fclose(l->f) != 0 && rc == 0)
		rc = -errno;
	free(l);
	return rc;
}
