/*
 * Latency histogram: bucket arithmetic and quantiles.  What is measured,
 * and in which unit, is the caller's.
 */
#include <inttypes.h>
#include <string.h>

#include "hist.h"

void sim_hist_init(struct sim_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned sim_hist_index(uint64_t v)
{
	unsigned e;

	if (v < 2 * SIM_HIST_SUB)
		return (unsigned)v;
	/* e is the position of the top bit; the next SIM_HIST_SUB_BITS bits
	 * below it pick the bucket within that power of two. */
	e = 63 - (unsigned)__builtin_clzll(v);
	return (e - SIM_HIST_SUB_BITS + 1) * SIM_HIST_SUB +
	       (unsigned)((v >> (e - SIM_HIST_SUB_BITS)) & (SIM_HIST_SUB - 1));
}

uint64_t sim_hist_lower(unsigned i)
{
	unsigned e, sub;

	if (i < 2 * SIM_HIST_SUB)
		return i;
	e = i / SIM_HIST_SUB + SIM_HIST_SUB_BITS - 1;
	sub = i % SIM_HIST_SUB;
	return (uint64_t)(SIM_HIST_SUB + sub) << (e - SIM_HIST_SUB_BITS);
}

uint64_t sim_hist_upper(unsigned i)
{
	unsigned e;

	if (i < 2 * SIM_HIST_SUB)
		return i;
	e = i / SIM_HIST_SUB + SIM_HIST_SUB_BITS - 1;
	return sim_hist_lower(i) + ((uint64_t)1 << (e - SIM_HIST_SUB_BITS)) - 1;
}

void sim_hist_add(struct sim_hist *h, uint64_t v)
{
	h->bucket[sim_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t sim_hist_quantile(const struct sim_hist *h, double q)
{
	uint64_t rank, seen = 0;
	unsigned i;
	double x;

	if (h->count == 0)
		return 0;
	if (!(q > 0))
		q = 0;
	if (q > 1)
		q = 1;
	/* ceil(q * count), without needing libm */
	x = q * (double)h->count;
	rank = (uint64_t)x;
	if ((double)rank < x)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < SIM_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	if (i == SIM_HIST_BUCKETS || sim_hist_upper(i) > h->max)
		return h->max;
	return sim_hist_upper(i);
}

unsigned sim_hist_write(const struct sim_hist *h, FILE *f)
{
	unsigned i, n = 0;

	for (i = 0; i < SIM_HIST_BUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			sim_hist_lower(i), sim_hist_upper(i), h->bucket[i]);
		n++;
	}
	return n;
}
