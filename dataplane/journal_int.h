/*
 * The journal's insides, shared by its writer (journal.c), its segment
 * files (journal_seg.c), its readers (journal_read.c) and its thread
 * (journal_flush.c).  Nothing outside the journal includes this header.
 */
#ifndef GW_DP_JOURNAL_INT_H
#define GW_DP_JOURNAL_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "journal.h"

/*
 * One segment file, mapped whole.  The thread that prepares it fills
 * every field but first_seq and last_seq; the worker sets first_seq when
 * it starts writing the segment and last_seq when it leaves it, both
 * before the release store that publishes records in it.
 */
struct gw_jseg {
	uint8_t *base;
	int fd;
	unsigned index;	    /* the segment's number in its file name */
	uint64_t cap;	    /* records the file holds */
	uint64_t first_seq; /* of its first record; 0 until started */
	uint64_t last_seq;  /* of its last record; 0 while being written */
	struct gw_jseg *next;
	char path[PATH_MAX];
};

/*
 * The writer.  The fields of the first group are the worker's alone; the
 * second group is shared through atomics; the third belongs to whichever
 * thread calls gw_journal_tick (the journal thread), and prep_lock guards
 * segment preparation, which the worker enters only when it finds no
 * spare at a rollover.
 */
struct gw_journal {
	struct gw_jseg *cur; /* the segment the worker copies into */
	uint64_t used;	     /* records in cur */
	uint64_t next_seq;
	uint64_t stalls; /* rollovers that had to prepare a segment */
	size_t nbuf;	 /* records in buf, appended but not committed */

	uint64_t written;	 /* last seq copied into a segment */
	uint64_t durable;	 /* last seq synced to the disk */
	struct gw_jseg *active;	 /* cur, for the journal thread */
	struct gw_jseg *spare;	 /* prepared, not yet started */
	struct gw_jseg *retired; /* left by the worker, newest first */
	int err;		 /* first failure; the journal stops */

	struct gw_jseg *full; /* retired, not yet unmapped, oldest first */
	uint64_t last_sync_ns;
	pthread_mutex_t prep_lock;
	unsigned next_index; /* for the next segment; under prep_lock */

	enum gw_fsync_policy policy;
	uint64_t batch_ns;
	uint64_t seg_recs;
	unsigned worker;
	char dir[PATH_MAX];
	uint8_t buf[GW_JOURNAL_BUF_RECS * GW_JOURNAL_REC_LEN];
};

/* What follows the valid records of a segment. */
enum gw_jseg_tail {
	GW_JSEG_CLEAN,	 /* nothing, or only zero bytes */
	GW_JSEG_TORN,	 /* one unfinished record, then only zero bytes */
	GW_JSEG_DAMAGED, /* anything else: data after a bad record */
};

struct gw_jseg_scan {
	uint64_t size;	    /* of the file */
	uint64_t len;	    /* bytes of valid records in sequence */
	uint64_t first_seq; /* 0 when there are none */
	uint64_t last_seq;
	enum gw_jseg_tail tail;
	uint64_t torn_end; /* for GW_JSEG_TORN: end of the unfinished record */
};

/* A worker's segment numbers in ascending order, in a malloc'd array
 * stored in @out (NULL when there are none).  Count or negative errno. */
long gw_jseg_list(const char *dir, unsigned worker, unsigned **out);

/* Recognises a segment file name; 0 or -EINVAL. */
int gw_jseg_parse(const char *name, unsigned *worker, unsigned *index);

/* "<dir>/worker-<n>.journal" for segment 0, ".journal.<k>" after it. */
int gw_jseg_path(const char *dir, unsigned worker, unsigned index, char *out,
		 size_t outlen);

/*
 * Checks the segment open at @fd: its valid records, in sequence from
 * @expect_seq (any first sequence number when 0), and what follows them.
 * 0 or a negative errno from reading.
 */
int gw_jseg_scan(int fd, uint64_t expect_seq, struct gw_jseg_scan *out);

/* Offset of the first non-zero byte in [@from, @to) of @fd, or @to. */
int gw_jseg_nonzero(int fd, uint64_t from, uint64_t to, uint64_t *at);

/*
 * Creates segment @index of @worker with room for @cap records: space
 * allocated on the disk, so that no write to the mapping can meet a full
 * disk, and the pages mapped ahead so that the worker does not fault
 * them in.  NULL with a negative errno in @rc.
 */
struct gw_jseg *gw_jseg_create(const char *dir, unsigned worker, unsigned index,
			       uint64_t cap, int *rc);

/* Maps the existing segment @index, of @cap records, to append to it. */
struct gw_jseg *gw_jseg_reopen(const char *dir, unsigned worker, unsigned index,
			       uint64_t cap, int *rc);

/* Unmaps, closes and frees @s. */
void gw_jseg_free(struct gw_jseg *s);

/* Writes dirty pages of records (@from_seq, @to_seq] of @s to the disk
 * and waits for them.  0 or a negative errno. */
int gw_jseg_sync(const struct gw_jseg *s, uint64_t from_seq, uint64_t to_seq);

struct gw_journal_cursor {
	char dir[PATH_MAX];
	unsigned worker;
	int fd;		    /* the segment being read, -1 when none */
	unsigned index;	    /* its number */
	uint64_t first_seq; /* of its first record */
	uint64_t next_seq;  /* of the next record to return */
	const struct gw_journal *writer; /* bounds reading when set */
};

/* The last record a cursor may read while following @j: the durable
 * position, or the written one when nothing is ever synced. */
static inline uint64_t gw_journal_readable(const struct gw_journal *j)
{
	if (j->policy == GW_FSYNC_NONE)
		return __atomic_load_n(&j->written, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&j->durable, __ATOMIC_ACQUIRE);
}

#endif
