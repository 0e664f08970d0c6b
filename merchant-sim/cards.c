/*
 * Reading the credit-line file for the simulator: one parser per field,
 * each naming what it expects, and the same rules as the data plane's
 * loader so that both sides agree on every card.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cards.h"
#include "gw_card.h"

static const char *f_pan(const char *s, void *row)
{
	struct sim_card *c = row;

	size_t len = strlen(s);

	if (len < GW_WIRE_PAN_MIN || len > GW_WIRE_PAN_MAX ||
	    gw_card_pan_check(s, len) != 0)
		return "not 12 to 19 digits passing the Luhn check";
	memcpy(c->pan, s, len + 1);
	c->pan_len = (uint8_t)len;
	gw_card_mask(s, len, c->line.masked);
	return NULL;
}

static const char *f_expiry(const char *s, void *row)
{
	struct sim_card *c = row;

	if (sim_parse_yymm(s, &c->line.expiry) < 0)
		return "expected YYMM";
	return NULL;
}

static const char *f_limit(const char *s, void *row)
{
	struct sim_card *c = row;

	if (sim_parse_u64(s, &c->line.limit) < 0)
		return "expected an amount in minor units";
	return NULL;
}

static const char *f_otb(const char *s, void *row)
{
	struct sim_card *c = row;

	if (sim_parse_u64(s, &c->line.otb) < 0)
		return "expected an amount in minor units";
	if (c->line.otb > c->line.limit)
		return "above credit_limit";
	return NULL;
}

static const char *f_status(const char *s, void *row)
{
	struct sim_card *c = row;

	if (strcmp(s, "A") && strcmp(s, "B") && strcmp(s, "L"))
		return "expected A, B or L";
	c->line.status = (uint8_t)s[0];
	return NULL;
}

static const struct sim_csv_col fields[] = {
    {"pan", f_pan},	    {"expiry", f_expiry}, {"credit_limit", f_limit},
    {"open_to_buy", f_otb}, {"status", f_status},
};

static const struct sim_csv_format format = {
    .cols = fields,
    .ncols = sizeof(fields) / sizeof(fields[0]),
    .row_size = sizeof(struct sim_card),
    .header = "pan,",
    .none = "no cards",
};

struct sim_cards *sim_cards_load(const char *path, char *err, size_t errlen)
{
	struct sim_cards *c = calloc(1, sizeof(*c));
	void *rows;

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (sim_csv_load(path, &format, &rows, &c->n, err, errlen) < 0) {
		free(c);
		return NULL;
	}
	c->v = rows;
	return c;
}

void sim_cards_free(struct sim_cards *c)
{
	if (!c)
		return;
	sim_csv_free(c->v, c->n, sizeof(*c->v));
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
