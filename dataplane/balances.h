/*
 * The card balance dump for operators and tests: every card of the credit
 * file with its masked number, token, open-to-buy and limit, written on
 * request by the main lcore.  The balances themselves are gw_credit.h's.
 */
#ifndef GW_DP_BALANCES_H
#define GW_DP_BALANCES_H

#include "gw_card.h"
#include "gw_credit.h"

/*
 * Writes @out atomically (temporary file and rename), one line per card
 * of the credit file @cards that @t holds: "masked token open_to_buy
 * limit".  The file is read again for its card order; the numbers in it
 * are tokenized and never written.  0 or a negative errno.
 */
int gw_balances_write(const char *out, const char *cards,
		      const struct gw_card_tokenizer *tk,
		      const struct gw_credit_table *t);

#endif
