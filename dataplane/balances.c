/*
 * The balance dump: the credit file is read for its card numbers only,
 * each is tokenized and looked up, and the live line is written without
 * the number.  The credit table offers no iteration, and the file's order
 * is the one an operator knows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "balances.h"

/* One card's line of the dump, or nothing for a line without a card. */
static void one(FILE *f, char *line, const struct gw_card_tokenizer *tk,
		const struct gw_credit_table *t)
{
	uint8_t tok[GW_CARD_TOKEN_LEN];
	char hex[2 * GW_CARD_TOKEN_LEN + 1];
	const struct gw_credit_line *l;
	size_t len = strcspn(line, ",\r\n");

	if (gw_card_pan_check(line, len) != 0 ||
	    gw_card_token(tk, line, len, tok) != 0)
		return;
	l = gw_credit_find(t, tok);
	if (l == NULL)
		return;
	gw_card_token_hex(tok, hex);
	fprintf(f, "%s %s %" PRIu64 " %" PRIu64 "\n", l->masked, hex,
		gw_credit_otb(l), l->limit);
}

int gw_balances_write(const char *out, const char *cards,
		      const struct gw_card_tokenizer *tk,
		      const struct gw_credit_table *t)
{
	char tmp[4096], line[512];
	FILE *in, *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", out) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	in = fopen(cards, "r");
	if (in == NULL)
		return -errno;
	f = fopen(tmp, "w");
	if (f == NULL) {
		err = -errno;
		fclose(in);
		return err;
	}
	while (fgets(line, sizeof(line), in) != NULL)
		one(f, line, tk, t);
	explicit_bzero(line, sizeof(line));
	if (ferror(in) || ferror(f))
		err = -EIO;
	fclose(in);
	if (fclose(f) != 0 && err == 0)
		err = -errno;
	if (err == 0 && rename(tmp, out) != 0)
		err = -errno;
	if (err != 0)
		unlink(tmp);
	return err;
}
