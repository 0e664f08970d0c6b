/*
 * The data plane's write-ahead journal: per worker, an append-only series
 * of preallocated, memory-mapped segment files of fixed-size, checksummed
 * records, copied in once per burst (group commit) with no system call,
 * synced by the journal thread or, under "always", by the worker; read
 * back in time order at start and followed by the shipper's cursor.  What
 * a record means to balances and duplicates is ledger.h's business.
 *
 * Record layout, 160 bytes, every integer little-endian:
 *
 *   0  magic "GWJR"        4  version u8 (1)    5  type u8
 *   6  length u16 (160)    8  crc32c u32 of bytes 0..7 then 12..159
 *  12  flags u16          14  worker u8        15  response code u8
 *  16  seq u64 (per worker, from 1)            24  time ns u64 (Unix)
 *  32  session id u32     36  content digest u32
 *  40  txn id u64         48  gateway ref u64  56  orig ref u64
 *  64  merchant id [32], NUL padded            96  card token [16]
 * 112  requested amount u64                   120  applied amount u64
 * 128  balance u64        136  currency u16   138  card number length u8
 * 139  first six digits [6]                   145  last four digits [4]
 * 149  approval code [6]  155  zero [5]
 *
 * The full card number is never stored: only its token, its length and
 * the digits of its masked form.
 *
 * Segment 0 of worker n is "worker-<n>.journal", segment k after it
 * "worker-<n>.journal.<k>".  A segment is created at its full size with
 * zeros and filled from the front; the zeros after its last record are
 * its normal end.  The segment a run was writing is cut to its records
 * when the run stops (or when the next run starts, after a crash), and
 * each run starts a new segment.
 */
#ifndef GW_DP_JOURNAL_H
#define GW_DP_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gw_card.h"
#include "gw_sessrec.h"

#define GW_JOURNAL_REC_LEN	    160
#define GW_JOURNAL_VERSION	    1
#define GW_JOURNAL_BATCH_MS_DEFAULT 5
#define GW_JOURNAL_BUF_RECS	    256 /* records held before a forced copy */
#define GW_JOURNAL_SEG_RECS	    419430 /* 67,108,800 bytes: 64 MiB */

/* One decision, decoded.  Strings are NUL-terminated. */
struct gw_journal_rec {
	uint64_t seq;	  /* assigned by gw_journal_append */
	uint64_t time_ns; /* Unix time of the decision */
	uint8_t worker;
	uint8_t type; /* enum gw_msg_type of the request */
	uint8_t code; /* enum gw_resp_code of the response */
	uint16_t flags;
	uint32_t session_id;
	uint32_t digest; /* gw_journal_digest of the request content */
	uint64_t txn_id;
	uint64_t ref;
	uint64_t orig_ref;
	char merchant[GW_MERCHANT_ID_MAX + 1];
	uint8_t token[GW_CARD_TOKEN_LEN]; /* zero when the request had none */
	uint64_t amount;		  /* requested */
	uint64_t applied;		  /* amount in the response */
	uint64_t balance;		  /* balance in the response */
	uint16_t currency;
	char masked[GW_CARD_MASK_LEN]; /* "" when the request had no card */
	char approval[7];
};

enum gw_fsync_policy {
	GW_FSYNC_ALWAYS, /* the worker syncs in every gw_journal_commit */
	GW_FSYNC_BATCH,	 /* the journal thread syncs every batch_ms */
	GW_FSYNC_NONE, /* never synced; the kernel writes back when it likes */
};

/* CRC-32C (Castagnoli), SSE4.2 when the CPU has it. */
uint32_t gw_journal_crc32c(uint32_t crc, const void *buf, size_t len);

/* Encodes @r into @out; fills the magic, version, length and checksum. */
void gw_journal_encode(uint8_t out[GW_JOURNAL_REC_LEN],
		       const struct gw_journal_rec *r);

/*
 * Decodes @in into @r after checking magic, version, length, checksum and
 * the masked number's shape.  0 or -EBADMSG; @r is untouched on error.
 */
__attribute__((warn_unused_result)) int
gw_journal_decode(const uint8_t in[GW_JOURNAL_REC_LEN],
		  struct gw_journal_rec *r);

/*
 * Digest of the request content the duplicate rule compares: type, flags
 * without GW_FLAG_RETRANSMIT, card token, amount, currency and orig ref.
 */
uint32_t gw_journal_digest(uint8_t type, uint16_t flags,
			   const uint8_t token[GW_CARD_TOKEN_LEN],
			   uint64_t amount, uint16_t currency,
			   uint64_t orig_ref);

/* "auth", "capture", "reverse", "refund" or "echo" for a request type,
 * "unknown" for anything else; the text form used by the shipped
 * records. */
const char *gw_journal_type_name(uint8_t type);

/* The request type named @name, or 0 when it names none. */
uint8_t gw_journal_type_parse(const char *name);

/* "<dir>/worker-<n>.journal" into @out.  0 or -ENAMETOOLONG. */
int gw_journal_path(const char *dir, unsigned worker, char *out, size_t outlen);

/* ---- Writer: one per worker, used by that worker's lcore only, but for
 * gw_journal_tick and the position readers, which are the journal
 * thread's (journal_flush.h). ---- */

struct gw_journal;

/*
 * Opens the journal of @worker in @dir for appending, in a new segment of
 * GW_JOURNAL_SEG_RECS records after the last one holding records.  That
 * one must end on a whole, valid record (run gw_journal_replay first,
 * which repairs a torn end); a zero tail after it is cut off.  Sequence
 * numbers continue after its last record.  On error returns NULL and a
 * message naming the file in @err.
 */
struct gw_journal *gw_journal_open(const char *dir, unsigned worker,
				   enum gw_fsync_policy policy,
				   uint32_t batch_ms, char *err, size_t errlen);

/* The same with segments of @seg_recs records. */
struct gw_journal *gw_journal_open_seg(const char *dir, unsigned worker,
				       enum gw_fsync_policy policy,
				       uint32_t batch_ms, uint64_t seg_recs,
				       char *err, size_t errlen);

/*
 * Copies in what is buffered, syncs it (but under "none"), cuts the
 * active segment to its records, removes the unused spare and frees @j.
 * No other thread may be using @j.  0 or the first negative errno met.
 */
int gw_journal_close(struct gw_journal *j);

/*
 * Adds @r to the current burst's buffer and sets r->seq.  Makes no system
 * call; when the buffer is full it is copied into the segment first.  0
 * or the journal's error.
 */
__attribute__((warn_unused_result)) int
gw_journal_append(struct gw_journal *j, struct gw_journal_rec *r);

/*
 * Group commit: copies the buffered records into the mapped segment and
 * publishes the written position.  Under "always" it then syncs them
 * (one msync, the policy's cost) and publishes the durable position;
 * under "batch" and "none" it makes no system call, except at a
 * rollover that finds no spare segment ready.  Call once per burst,
 * after the last append and before the burst's responses are
 * transmitted.  @now_ns is unused and kept for the callers.  0 or a
 * negative errno; on error the records may be lost and the caller must
 * not send their approvals.
 */
__attribute__((warn_unused_result)) int gw_journal_commit(struct gw_journal *j,
							  uint64_t now_ns);

/*
 * The journal thread's work, every batch interval: under "batch", when
 * the interval has passed since the last sync, syncs what was written
 * since and publishes the durable position; under every policy, releases
 * full segments that need no more syncing and prepares the spare segment
 * the worker will move to.  @now_ns is a monotonic clock reading.  0, the
 * journal's error (a failed sync stops the journal), or a negative errno
 * from preparing the spare, which is retried on the next call.
 */
int gw_journal_tick(struct gw_journal *j, uint64_t now_ns);

/* Syncs everything written, whatever the interval (not under "none").
 * For a stop, once the worker no longer appends.  0 or a negative errno. */
int gw_journal_flush(struct gw_journal *j);

/* The sequence number of the last record written (copied into its
 * segment), and of the last one durable (synced).  Any thread. */
uint64_t gw_journal_written(const struct gw_journal *j);
uint64_t gw_journal_synced(const struct gw_journal *j);

/* Rollovers that found no spare and prepared a segment on the worker's
 * path.  The worker's own counter: read it when the worker has stopped. */
uint64_t gw_journal_stalls(const struct gw_journal *j);

/* The journal's first failure, 0 while there is none.  Any thread. */
int gw_journal_error(const struct gw_journal *j);

/* ---- Replay at start (journal_read.c). ---- */

/* Called once per valid record; a nonzero return stops the replay and is
 * returned by gw_journal_replay. */
typedef int (*gw_journal_cb)(const struct gw_journal_rec *r, void *arg);

/*
 * Reads every worker's segments in @dir and calls @cb for each record in
 * order of time (ties by worker, then sequence), so that an original is
 * seen before any capture, reversal or refund that names it, whichever
 * worker handled them.  Sequence numbers must run on from one segment to
 * the next.
 *
 * Zeros after the last record are a segment's normal end.  A torn end
 * (one unfinished or bad record after the last good one, with nothing
 * but zeros after it, in the last segment that holds records) is cut
 * off: the segment is truncated to its last good record and a line saying
 * so is written to @msg.  Damage (data after a bad record, or a bad
 * record in a segment followed by one holding records) stops the replay
 * before any callback with -EBADMSG and a message naming the segment file
 * and the byte offset in it.  Returns the number of records delivered, or
 * a negative errno, or @cb's nonzero return.
 */
long gw_journal_replay(const char *dir, gw_journal_cb cb, void *arg, char *msg,
		       size_t msglen);

/* ---- Cursor for the shipper (journal_read.c). ---- */

/*
 * A position in one worker's journal is a byte offset in the records of
 * all its segments taken end to end, always a multiple of
 * GW_JOURNAL_REC_LEN: the record of sequence number s starts at
 * (s - 1) * 160.  A shipper keeps one saved offset per worker.
 */
struct gw_journal_cursor;

/* Opens a reader of @worker's journal at @offset.  NULL with errno set
 * (EINVAL for an offset that is not a record boundary). */
struct gw_journal_cursor *
gw_journal_cursor_open(const char *dir, unsigned worker, uint64_t offset);
void gw_journal_cursor_close(struct gw_journal_cursor *c);

/*
 * Makes @c read no further than what @j, the writer of the same journal
 * in this process, has made durable (written, under "none"), so that
 * nothing leaves the appliance that a machine crash could take back.
 * @j must outlive @c.
 */
void gw_journal_cursor_follow(struct gw_journal_cursor *c,
			      const struct gw_journal *j);

/*
 * Reads up to @max records after the cursor's position, across segments,
 * and advances past them.  A cursor that follows a writer stops at its
 * published position, and any bad record before it is damage.  One that
 * does not stops at the end of what is fully written and verified: the
 * zeros after the last record, or a record still being written, which is
 * left for a later call.  Returns the count (0: nothing new), or -EBADMSG
 * for damage: a bad record followed by records in a later segment, or by
 * data more than a whole write buffer further on in its own, which a
 * copy in progress cannot explain.
 */
long gw_journal_cursor_read(struct gw_journal_cursor *c,
			    struct gw_journal_rec *out, size_t max);

/* The offset of the next record to read: save it once shipped. */
uint64_t gw_journal_cursor_pos(const struct gw_journal_cursor *c);

#endif
