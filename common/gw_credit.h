/*
 * The credit-line table: one line per card, keyed by card token, loaded
 * from the operator's file with the card numbers tokenized at load time.
 * Open-to-buy is the only field that changes; it is debited and credited
 * with atomics so that any worker may authorize any card.
 *
 * File format (text, one line per card, '#' starts a comment line, blank
 * lines ignored):
 *
 *   pan,expiry,credit_limit,open_to_buy,status
 *   4000056655665556,3012,500000,500000,A
 *
 * expiry is YYMM; amounts are minor units (cents); status is A (active),
 * B (blocked) or L (lost).  open_to_buy may not exceed credit_limit.  A
 * first line starting with "pan," is a header and is skipped.
 */
#ifndef GW_CREDIT_H
#define GW_CREDIT_H

#include <stddef.h>
#include <stdint.h>

#include "gw_card.h"

enum gw_card_status {
	GW_CARD_ACTIVE = 'A',
	GW_CARD_BLOCKED = 'B',
	GW_CARD_LOST = 'L',
};

struct gw_credit_line {
	uint8_t token[GW_CARD_TOKEN_LEN];
	char masked[GW_CARD_MASK_LEN];
	uint16_t expiry; /* YYMM */
	uint8_t status;	 /* enum gw_card_status */
	uint64_t limit;
	uint64_t otb; /* open-to-buy; use the gw_credit_* atomics */
};

struct gw_credit_table;

/*
 * Loads @path.  On error returns NULL and writes into @err a message that
 * names the file, the line number and the field ("cards.csv:12: field
 * expiry: ..."), never the card number.  The caller owns the table.
 */
struct gw_credit_table *gw_credit_load(const char *path,
				       const struct gw_card_tokenizer *tk,
				       char *err, size_t errlen);
void gw_credit_free(struct gw_credit_table *t);
size_t gw_credit_count(const struct gw_credit_table *t);

/* The line for @token, or NULL. Lines do not move while the table lives. */
struct gw_credit_line *gw_credit_find(const struct gw_credit_table *t,
				      const uint8_t token[GW_CARD_TOKEN_LEN]);

/* Current open-to-buy. */
uint64_t gw_credit_otb(const struct gw_credit_line *l);

/*
 * Debits up to @want from the open-to-buy in one atomic step.  With
 * @partial_ok, takes what is there (at least 1) when short; without it,
 * takes all of @want or nothing.  Returns the amount debited (0: none).
 */
uint64_t gw_credit_debit(struct gw_credit_line *l, uint64_t want,
			 int partial_ok);

/* Gives @amount back, never above the credit limit. */
void gw_credit_credit(struct gw_credit_line *l, uint64_t amount);

#endif
