/*
 * Latency histogram with logarithmic buckets: exact below 32, then sixteen
 * buckets per power of two (about 6% wide), so that percentiles come from
 * counts alone and recording never allocates or sorts.
 */
#ifndef SIM_HIST_H
#define SIM_HIST_H

#include <stdint.h>
#include <stdio.h>

#define SIM_HIST_SUB_BITS 4
#define SIM_HIST_SUB	  (1u << SIM_HIST_SUB_BITS)
/* Values below 2 * SIM_HIST_SUB have a bucket each; every power of two
 * above has SIM_HIST_SUB buckets, up to 2^64. */
#define SIM_HIST_BUCKETS ((64 - SIM_HIST_SUB_BITS + 1) * SIM_HIST_SUB)

struct sim_hist {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	uint64_t sum;
	uint64_t bucket[SIM_HIST_BUCKETS];
};

void sim_hist_init(struct sim_hist *h);
void sim_hist_add(struct sim_hist *h, uint64_t v);

/* The bucket that holds @v, and the lowest and highest values of bucket
 * @i. */
unsigned sim_hist_index(uint64_t v);
uint64_t sim_hist_lower(unsigned i);
uint64_t sim_hist_upper(unsigned i);

/*
 * The value at quantile @q (0 < q <= 1): the highest value of the bucket
 * holding the sample of rank ceil(q * count), but never above the largest
 * value recorded.  0 when the histogram is empty.
 */
uint64_t sim_hist_quantile(const struct sim_hist *h, double q);

/*
 * Writes one line per non-empty bucket, "lower upper count" (the bounds
 * inclusive, in the histogram's unit), lowest first, for plotting.
 * Returns how many lines were written.
 */
unsigned sim_hist_write(const struct sim_hist *h, FILE *f);

#endif
