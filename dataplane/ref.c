/*
 * Gateway reference generation and the approval code derived from a
 * reference; the layout and its uniqueness argument are in ref.h.
 */
#include <time.h>

#include "ref.h"

#define COUNTER_BITS 24
#define COUNTER_MAX  (1u << COUNTER_BITS)

static uint64_t start_epoch;
static uint64_t last_epoch; /* the latest epoch claimed by any worker */

void gw_ref_start(uint64_t now_seconds)
{
	start_epoch = now_seconds & 0xffffffffu;
	__atomic_store_n(&last_epoch, start_epoch, __ATOMIC_RELEASE);
}

void gw_ref_init(struct gw_ref *r, unsigned worker)
{
	r->epoch = start_epoch;
	r->worker = worker & (GW_REF_WORKERS_MAX - 1);
	r->counter = 0;
}

static uint64_t claim_epoch(void)
{
	uint64_t last = __atomic_load_n(&last_epoch, __ATOMIC_ACQUIRE);
	uint64_t want;

	do {
		want = (uint64_t)time(NULL) & 0xffffffffu;
		if (want <= last)
			want = last + 1;
	} while (!__atomic_compare_exchange_n(
	    &last_epoch, &last, want, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return want;
}

uint64_t gw_ref_next(struct gw_ref *r)
{
	if (r->counter == COUNTER_MAX) {
		r->epoch = claim_epoch();
		r->counter = 0;
	}
	return r->epoch << 32 | (uint64_t)r->worker << COUNTER_BITS |
	       r->counter++;
}

/* A bijective 64-bit mixer (the finaliser of SplitMix64), so that
 * consecutive references give unrelated-looking codes. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

void gw_ref_approval(uint64_t ref, char out[GW_APPROVAL_LEN])
{
	static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint64_t x = mix(ref);
	unsigned i;

	for (i = 0; i < GW_APPROVAL_LEN; i++) {
		out[i] = alphabet[x % 36];
		x /= 36;
	}
}
