/*
 * The ledger's transaction rules, one check and one settle per request
 * type, as stated in ledger.h.  Finding entries, locking and duplicates
 * are ledger.c's.
 */
#include "ledger_int.h"

/* Subtraction that stops at zero, so that a journal replayed over a card
 * file that changed cannot wrap an amount around. */
static uint64_t sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void credit(struct gw_credit_line *line, uint64_t amount)
{
	if (line != NULL && amount > 0)
		gw_credit_credit(line, amount);
}

/* The common tail of the follow-up checks: 13 for an amount of 0 or above
 * what remains, else approved in full. */
static void within(uint64_t amount, uint64_t remains, struct verdict *v)
{
	v->balance = remains;
	if (amount == 0 || amount > remains) {
		v->code = GW_RC_INVALID_AMOUNT;
		return;
	}
	v->code = GW_RC_APPROVED;
	v->amount = amount;
}

static void auth_check(struct entry *n, const struct entry *orig,
		       const struct gw_ledger_in *in, struct verdict *v)
{
	struct gw_decision d;

	(void)orig;
	gw_decide_apply(in->policy, in->req, in->flags, in->pan_ok, in->line,
			&d);
	n->line = in->line;
	v->code = d.code;
	v->amount = d.amount;
}

static uint64_t auth_settle(struct entry *n, struct entry *orig,
			    uint64_t amount)
{
	(void)orig;
	if (n->flags & GW_FLAG_CAPTURE_NOW) {
		n->kind = K_CAPTURE;
		n->captured = amount;
		return 0;
	}
	n->kind = K_AUTH;
	n->capturable = amount;
	return amount;
}

static void capture_check(struct entry *n, const struct entry *orig,
			  const struct gw_ledger_in *in, struct verdict *v)
{
	(void)n;
	if (orig == NULL) {
		v->code = GW_RC_NOT_FOUND;
		return;
	}
	if (orig->kind != K_AUTH) {
		v->code = GW_RC_INVALID_TXN;
		return;
	}
	within(in->req->amount, orig->capturable, v);
}

/* Only one capture may follow an authorization, so what it leaves
 * uncaptured goes back to the card now rather than never. */
static uint64_t capture_settle(struct entry *n, struct entry *orig,
			       uint64_t amount)
{
	if (orig == NULL)
		return 0;
	credit(orig->line, sub(orig->capturable, amount));
	orig->capturable = 0;
	orig->kind = K_AUTH_CAPTURED;
	n->line = orig->line;
	n->kind = K_CAPTURE;
	n->captured = amount;
	return 0;
}

/*
 * A reversal by transaction id (orig_ref 0) comes from a merchant whose
 * authorization went unanswered: it never learned what was approved, so
 * the reversal releases whatever the authorization still holds, and its
 * amount must repeat the one the authorization asked for.
 */
static void reverse_by_txn_check(const struct entry *orig,
				 const struct gw_ledger_in *in,
				 struct verdict *v)
{
	if (orig == NULL) {
		v->code = GW_RC_NOT_FOUND;
		return;
	}
	if (orig->type != GW_MSG_AUTH) {
		v->code = GW_RC_INVALID_TXN;
		return;
	}
	if (in->req->amount != orig->amount) {
		v->code = GW_RC_INVALID_AMOUNT;
		return;
	}
	/* Declined, captured, refunded or already reversed: nothing is
	 * held that a reversal could release. */
	v->code = GW_RC_INVALID_TXN;
	if (orig->kind == K_AUTH)
		v->amount = orig->capturable;
	else if (orig->kind == K_CAPTURE && orig->refunded == 0)
		v->amount = orig->captured;
	if (v->amount > 0)
		v->code = GW_RC_APPROVED;
}

static void reverse_check(struct entry *n, const struct entry *orig,
			  const struct gw_ledger_in *in, struct verdict *v)
{
	if (n->orig_ref == 0) {
		reverse_by_txn_check(orig, in, v);
		return;
	}
	if (orig == NULL) {
		v->code = GW_RC_NOT_FOUND;
		return;
	}
	if (orig->kind == K_AUTH)
		within(in->req->amount, orig->capturable, v);
	else if (orig->kind == K_CAPTURE && orig->refunded == 0)
		within(in->req->amount, orig->captured, v);
	else
		v->code = GW_RC_INVALID_TXN;
}

static uint64_t reverse_settle(struct entry *n, struct entry *orig,
			       uint64_t amount)
{
	uint64_t *left;

	(void)n;
	if (orig == NULL)
		return 0;
	if (orig->kind == K_AUTH)
		left = &orig->capturable;
	else if (orig->kind == K_CAPTURE)
		left = &orig->captured;
	else
		return 0;
	credit(orig->line, amount);
	*left = sub(*left, amount);
	if (*left == 0)
		orig->kind = K_NONE;
	return *left;
}

static void refund_check(struct entry *n, const struct entry *orig,
			 const struct gw_ledger_in *in, struct verdict *v)
{
	(void)n;
	if (orig == NULL) {
		v->code = GW_RC_NOT_FOUND;
		return;
	}
	if (orig->kind != K_CAPTURE) {
		v->code = GW_RC_INVALID_TXN;
		return;
	}
	within(in->req->amount, sub(orig->captured, orig->refunded), v);
}

static uint64_t refund_settle(struct entry *n, struct entry *orig,
			      uint64_t amount)
{
	(void)n;
	if (orig == NULL)
		return 0;
	credit(orig->line, amount);
	orig->refunded += amount;
	return sub(orig->captured, orig->refunded);
}

const struct ledger_op gw_ledger_ops[GW_MSG_ECHO + 1] = {
    [GW_MSG_AUTH] = {auth_check, auth_settle},
    [GW_MSG_CAPTURE] = {capture_check, capture_settle},
    [GW_MSG_REVERSE] = {reverse_check, reverse_settle},
    [GW_MSG_REFUND] = {refund_check, refund_settle},
};
