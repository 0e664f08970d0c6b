/*
 * Sliding anti-replay window over 64-bit sequence numbers, after RFC 6479:
 * a ring of bitmap words, so that advancing the window clears whole words
 * instead of shifting bits.  One window per session and direction; the
 * caller serialises updates of one window (one worker owns a session).
 */
#ifndef GW_REPLAY_H
#define GW_REPLAY_H

#include <stdint.h>

#define GW_REPLAY_WORDS 32 /* ring size in 64-bit words, a power of 2 */
/* Sequence numbers this far behind the highest seen are still accepted
 * once; one word of the ring is kept as slack (RFC 6479 section 2). */
#define GW_REPLAY_WINDOW ((GW_REPLAY_WORDS - 1) * 64)

struct gw_replay {
	uint64_t top; /* highest sequence number accepted; 0: none yet */
	uint64_t ring[GW_REPLAY_WORDS];
};

enum gw_replay_err {
	GW_REPLAY_OK = 0,
	GW_REPLAY_ZERO = -1, /* sequence number 0 is never valid */
	GW_REPLAY_SEEN = -2, /* already accepted once */
	GW_REPLAY_OLD = -3,  /* fell out of the window */
};

void gw_replay_init(struct gw_replay *w);

/* Would @seq be accepted?  Does not change the window: call it before
 * authenticating the packet, and gw_replay_update after. */
__attribute__((warn_unused_result)) int
gw_replay_check(const struct gw_replay *w, uint64_t seq);

/* Marks @seq as seen, advancing the window if it is ahead.  Returns the
 * same codes as gw_replay_check, evaluated atomically with the update. */
__attribute__((warn_unused_result)) int gw_replay_update(struct gw_replay *w,
							 uint64_t seq);

#endif
