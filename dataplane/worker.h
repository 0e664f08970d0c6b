/*
 * A worker lcore: polls its own receive queue and runs every packet to
 * completion (link layer, protocol, transmit) on its own transmit queue.
 * It owns its queue pair and its counters; sessions and card lines are
 * shared read-mostly state owned elsewhere.
 */
#ifndef GW_DP_WORKER_H
#define GW_DP_WORKER_H

#include <stdint.h>

#include <rte_common.h>

#include "l2l3.h"
#include "proto.h"

struct gw_worker {
	unsigned lcore;
	uint16_t port;
	uint16_t queue;
	uint32_t idle_sleep_us; /* 0: never sleep */
	int echo;		/* see echo() in worker.c */
	struct gw_l2l3_addr addr;
	struct gw_proto_ctx proto;
} __rte_cache_aligned;

/* The lcore function; @arg is the worker's struct gw_worker, which must
 * outlive it.  Returns 0 when stopped, or a negative errno at start. */
int gw_worker_main(void *arg);

/* Asks every worker to return after its current burst.  Signal-safe. */
void gw_worker_stop(void);

#endif
