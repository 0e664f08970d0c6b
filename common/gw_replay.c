/*
 * Anti-replay window after RFC 6479: bit (seq mod 64) of ring word
 * (seq / 64 mod GW_REPLAY_WORDS) records whether seq was seen.  Owning the
 * window (one worker per session) is the caller's concern.
 */
#include <string.h>

#include "gw_replay.h"

#define RING_MASK (GW_REPLAY_WORDS - 1)

_Static_assert((GW_REPLAY_WORDS & RING_MASK) == 0,
	       "the ring size must be a power of 2");

static uint64_t word_of(uint64_t seq)
{
	return seq >> 6;
}

static uint64_t bit_of(uint64_t seq)
{
	return 1ULL << (seq & 63);
}

void gw_replay_init(struct gw_replay *w)
{
	memset(w, 0, sizeof(*w));
}

int gw_replay_check(const struct gw_replay *w, uint64_t seq)
{
	if (seq == 0)
		return GW_REPLAY_ZERO;
	if (seq > w->top)
		return GW_REPLAY_OK;
	/* Written as a difference so that a top below the window size
	 * cannot wrap around. */
	if (w->top - seq >= GW_REPLAY_WINDOW)
		return GW_REPLAY_OLD;
	if (w->ring[word_of(seq) & RING_MASK] & bit_of(seq))
		return GW_REPLAY_SEEN;
	return GW_REPLAY_OK;
}

/*
 * Moving the top forward retires the words between the old top's word and
 * the new one (RFC 6479 section 2.3).  A jump of a whole ring or more
 * clears every word, which bounds the loop.
 */
static void advance(struct gw_replay *w, uint64_t seq)
{
	uint64_t cur = word_of(w->top), diff = word_of(seq) - cur, i;

	if (diff > GW_REPLAY_WORDS)
		diff = GW_REPLAY_WORDS;
	for (i = 1; i <= diff; i++)
		w->ring[(cur + i) & RING_MASK] = 0;
	w->top = seq;
}

int gw_replay_update(struct gw_replay *w, uint64_t seq)
{
	int ret = gw_replay_check(w, seq);

	if (ret != GW_REPLAY_OK)
		return ret;
	if (seq > w->top)
		advance(w, seq);
	w->ring[word_of(seq) & RING_MASK] |= bit_of(seq);
	return GW_REPLAY_OK;
}
