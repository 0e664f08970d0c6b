/*
 * Authorization rules.  The card rules are a table evaluated in order,
 * first match wins; the funds rules come last and either read a given
 * open-to-buy (eval) or debit the live one (apply).  Building the request
 * and the response is the callers' work.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "gw_decide.h"

struct rule_in {
	const struct gw_policy *p;
	const struct gw_req *r;
	int pan_ok;
	const struct gw_credit_line *line;
};

static bool bad_card(const struct rule_in *in)
{
	return in->pan_ok != 0 || in->line == NULL;
}

static bool blocked(const struct rule_in *in)
{
	return in->line->status == GW_CARD_BLOCKED;
}

static bool lost(const struct rule_in *in)
{
	return in->line->status == GW_CARD_LOST;
}

/* A status the loader would have refused is treated as blocked rather
 * than trusted as active. */
static bool unknown_status(const struct rule_in *in)
{
	return in->line->status != GW_CARD_ACTIVE;
}

/* YYMM compares as a number within one century; the card file and the
 * requests carry no century, so the comparison is wrong after 2099. */
static bool expired(const struct rule_in *in)
{
	return in->line->expiry < in->p->today_yymm ||
	       in->r->expiry != in->line->expiry;
}

static bool zero_amount(const struct rule_in *in)
{
	return in->r->amount == 0;
}

static bool above_referral(const struct rule_in *in)
{
	return in->r->amount > in->p->referral_amount;
}

static const struct {
	bool (*match)(const struct rule_in *in);
	uint8_t code;
} rules[] = {
    {bad_card, GW_RC_INVALID_CARD}, {blocked, GW_RC_RESTRICTED},
    {lost, GW_RC_NOT_PERMITTED},    {unknown_status, GW_RC_RESTRICTED},
    {expired, GW_RC_EXPIRED},	    {zero_amount, GW_RC_INVALID_AMOUNT},
    {above_referral, GW_RC_REFER},
};

/* Runs the card rules; true with d filled when one of them decided. */
static bool card_rules(const struct rule_in *in, struct gw_decision *d)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].match(in)) {
			d->code = rules[i].code;
			d->amount = 0;
			return true;
		}
	}
	return false;
}

/* The funds rules given what could be debited of the requested amount. */
static void funds(uint64_t amount, uint64_t got, struct gw_decision *d)
{
	if (got == amount) {
		d->code = GW_RC_APPROVED;
		d->amount = amount;
	} else if (got > 0) {
		d->code = GW_RC_PARTIAL;
		d->amount = got;
	} else {
		d->code = GW_RC_NO_FUNDS;
		d->amount = 0;
	}
}

uint16_t gw_decide_today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL)
		return 0;
	return (uint16_t)((tm.tm_year % 100) * 100 + tm.tm_mon + 1);
}

void gw_decide_eval(const struct gw_policy *p, const struct gw_req *r,
		    uint16_t flags, int pan_ok,
		    const struct gw_credit_line *line, uint64_t otb,
		    struct gw_decision *d)
{
	const struct rule_in in = {p, r, pan_ok, line};
	uint64_t got;

	if (card_rules(&in, d))
		return;
	if (otb >= r->amount)
		got = r->amount;
	else if ((flags & GW_FLAG_PARTIAL_OK) != 0)
		got = otb;
	else
		got = 0;
	funds(r->amount, got, d);
}

void gw_decide_apply(const struct gw_policy *p, const struct gw_req *r,
		     uint16_t flags, int pan_ok, struct gw_credit_line *line,
		     struct gw_decision *d)
{
	const struct rule_in in = {p, r, pan_ok, line};
	uint64_t got;

	if (card_rules(&in, d))
		return;
	got =
	    gw_credit_debit(line, r->amount, (flags & GW_FLAG_PARTIAL_OK) != 0);
	funds(r->amount, got, d);
}
