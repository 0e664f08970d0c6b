/*
 * The journal thread's loop: a tick of every journal per interval on an
 * absolute schedule, so that the time a sync takes does not stretch the
 * interval, and one warning line when a spare segment cannot be prepared
 * (a full disk, most likely) that the worker will soon need.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal_flush.h"
#include "log.h"

#define NS_PER_S 1000000000ull
/* Between two warnings about the same failing preparation. */
#define WARN_EVERY_NS (60 * NS_PER_S)

struct gw_journal_flusher {
	pthread_t tid;
	struct gw_journal **js;
	unsigned n;
	uint64_t period_ns;
	int stop;
};

static uint64_t ns_of(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NS_PER_S + (uint64_t)ts->tv_nsec;
}

static void set_ns(struct timespec *ts, uint64_t ns)
{
	ts->tv_sec = (time_t)(ns / NS_PER_S);
	ts->tv_nsec = (long)(ns % NS_PER_S);
}

/* Sync failures stop the journal and are the main lcore's to report;
 * only a failed preparation is logged here. */
static void tick_all(struct gw_journal_flusher *f, uint64_t now,
		     uint64_t *next_warn)
{
	int rc;

	for (unsigned i = 0; i < f->n; i++) {
		rc = gw_journal_tick(f->js[i], now);
		if (rc == 0 || gw_journal_error(f->js[i]) != 0 ||
		    now < *next_warn)
			continue;
		GW_LOG(
		    WARNING,
		    "journal of worker %u: cannot prepare the next segment (%s); retrying",
		    i, strerror(-rc));
		*next_warn = now + WARN_EVERY_NS;
	}
}

static void *run(void *arg)
{
	struct gw_journal_flusher *f = arg;
	uint64_t next, now, next_warn = 0;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	next = ns_of(&ts);
	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ns_of(&ts);
		tick_all(f, now, &next_warn);
		next += f->period_ns;
		/* After a stall (a slow disk) the schedule restarts from now
		 * rather than ticking back to back to catch up. */
		if (next < now)
			next = now + f->period_ns;
		set_ns(&ts, next);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
	}
	return NULL;
}

struct gw_journal_flusher *gw_journal_flusher_start(struct gw_journal **js,
						    unsigned n,
						    uint32_t interval_ms)
{
	struct gw_journal_flusher *f = calloc(1, sizeof(*f));
	int rc;

	if (f == NULL)
		return NULL;
	f->js = js;
	f->n = n;
	f->period_ns = (uint64_t)(interval_ms ? interval_ms : 1) * 1000000ull;
	rc = pthread_create(&f->tid, NULL, run, f);
	if (rc != 0) {
		free(f);
		errno = rc;
		return NULL;
	}
	pthread_setname_np(f->tid, "gw-journal");
	return f;
}

void gw_journal_flusher_stop(struct gw_journal_flusher *f)
{
	if (f == NULL)
		return;
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	pthread_join(f->tid, NULL);
	free(f);
}
