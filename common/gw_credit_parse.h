/*
 * Parsing one data line of the credit-line file (the format is
 * gw_credit.h's).  Loading the file and indexing the lines are
 * gw_credit.c's.
 */
#ifndef GW_CREDIT_PARSE_H
#define GW_CREDIT_PARSE_H

#include <stddef.h>

#include "gw_card.h"
#include "gw_credit.h"

/*
 * Parses data line @s, split in place at its commas, into @line, the card
 * number tokenized with @tk and masked.  0, or -EINVAL with the failing
 * field's name in *@field and the reason in @why, which never holds the
 * card number.  @s still holds it: the caller wipes it.
 */
__attribute__((warn_unused_result)) int
gw_credit_parse_line(char *s, const struct gw_card_tokenizer *tk,
		     struct gw_credit_line *line, const char **field, char *why,
		     size_t whylen);

#endif
