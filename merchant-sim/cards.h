/*
 * The simulator's copy of the credit-line file: card numbers in clear
 * (the simulator plays the cardholders) next to a gw_credit_line whose
 * open-to-buy is the model the answers are checked against.  The file
 * format is gw_credit.h's.
 */
#ifndef SIM_CARDS_H
#define SIM_CARDS_H

#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "gw_credit.h"
#include "gw_wire.h"

struct sim_card {
	char pan[GW_WIRE_PAN_MAX + 1];
	uint8_t pan_len;
	/* A request for this card is outstanding: the next waits, so that
	 * the model sees each card's decisions in the gateway's order. */
	uint8_t busy;
	/* A request timed out, so whether it was debited is unknown; the
	 * card is not used again in this run. */
	uint8_t lost;
	struct gw_credit_line line; /* line.otb: the modelled open-to-buy */
};

struct sim_cards {
	struct sim_card *v;
	size_t n;
};

/*
 * Loads @path.  On error returns NULL with one line in @err naming the
 * file, the line and the field, never the card number.  Free with
 * sim_cards_free, which wipes the card numbers.
 */
struct sim_cards *sim_cards_load(const char *path, char *err, size_t errlen);
void sim_cards_free(struct sim_cards *c);

/* The card with this number, or NULL. */
struct sim_card *sim_cards_find(const struct sim_cards *c, const char *pan,
				size_t len);

#endif
