/*
 * The data plane's write-ahead journal: one append-only file per worker of
 * fixed-size, checksummed records, written once per burst (group commit),
 * read back in time order at start and followed by the shipper's cursor.
 * What a record means to balances and duplicates is ledger.h's business.
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
#define GW_JOURNAL_BUF_RECS	    256 /* records held before a forced write */

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
	GW_FSYNC_ALWAYS, /* fdatasync in every gw_journal_commit */
	GW_FSYNC_BATCH,	 /* fdatasync at most every batch_ms */
	GW_FSYNC_NONE,	 /* write only; the kernel flushes when it likes */
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

/* ---- Writer: one per worker, used by that worker's lcore only. ---- */

struct gw_journal;

/*
 * Opens or creates the journal of @worker in @dir for appending.  The file
 * must end on a whole, valid record: run gw_journal_replay first, which
 * repairs a torn end.  Sequence numbers continue after the last record.
 * On error returns NULL and a message naming the file in @err.
 */
struct gw_journal *gw_journal_open(const char *dir, unsigned worker,
				   enum gw_fsync_policy policy,
				   uint32_t batch_ms, char *err, size_t errlen);

/*
 * Writes what is buffered and syncs it, then closes.  0 or the first
 * negative errno met.
 */
int gw_journal_close(struct gw_journal *j);

/*
 * Adds @r to the current burst's buffer and sets r->seq.  Makes no system
 * call unless the buffer is full, in which case the buffer is written
 * (not synced) first.  0 or a negative errno from that write.
 */
__attribute__((warn_unused_result)) int
gw_journal_append(struct gw_journal *j, struct gw_journal_rec *r);

/*
 * Group commit: writes the buffered records with one write() and syncs
 * them as the policy says.  Call once per burst, after the last append and
 * before the burst's responses are transmitted.  @now_ns is a monotonic
 * clock reading, used only for the batch interval.  0 or a negative errno;
 * on error the records may be lost and the caller must not send their
 * approvals.
 */
__attribute__((warn_unused_result)) int gw_journal_commit(struct gw_journal *j,
							  uint64_t now_ns);

/*
 * For an idle worker's poll loop: syncs written records when the batch
 * interval has passed since they were written, so that a quiet worker
 * does not hold unsynced records indefinitely.  0 or a negative errno.
 */
int gw_journal_tick(struct gw_journal *j, uint64_t now_ns);

/* Records written and synced so far, for statistics. */
uint64_t gw_journal_written(const struct gw_journal *j);
uint64_t gw_journal_synced(const struct gw_journal *j);

/* ---- Replay at start (journal_read.c). ---- */

/* Called once per valid record; a nonzero return stops the replay and is
 * returned by gw_journal_replay. */
typedef int (*gw_journal_cb)(const struct gw_journal_rec *r, void *arg);

/*
 * Reads every worker-<n>.journal in @dir and calls @cb for each record in
 * order of time (ties by worker, then sequence), so that an original is
 * seen before any capture, reversal or refund that names it, whichever
 * worker handled them.
 *
 * A torn end (a short record, or a bad last record with nothing after it)
 * is cut off: the file is truncated to its last good record and a line
 * saying so is written to @msg.  Damage followed by more data stops the
 * replay before any callback with -EBADMSG and a message naming the file
 * and byte offset.  Returns the number of records delivered, or a negative
 * errno, or @cb's nonzero return.
 */
long gw_journal_replay(const char *dir, gw_journal_cb cb, void *arg, char *msg,
		       size_t msglen);

/* ---- Cursor for the shipper (journal_read.c). ---- */

/*
 * A position in one worker's journal is a byte offset, always a multiple
 * of GW_JOURNAL_REC_LEN; record k (from 0) starts at k * 160.  A shipper
 * keeps one saved offset per worker.
 */
struct gw_journal_cursor;

/* Opens a reader of @worker's journal at @offset.  NULL with errno set
 * (EINVAL for an offset that is not a record boundary). */
struct gw_journal_cursor *
gw_journal_cursor_open(const char *dir, unsigned worker, uint64_t offset);
void gw_journal_cursor_close(struct gw_journal_cursor *c);

/*
 * Reads up to @max records written after the cursor's position, stopping
 * at the end of what is fully written and verified, and advances past
 * them.  Safe while the writer appends: a record still being written is
 * left for a later call.  Returns the count (0: nothing new), or -EBADMSG
 * when a bad record has more than a whole write buffer after it, which a
 * write in progress cannot explain.
 */
long gw_journal_cursor_read(struct gw_journal_cursor *c,
			    struct gw_journal_rec *out, size_t max);

/* The offset of the next record to read: save it once shipped. */
uint64_t gw_journal_cursor_pos(const struct gw_journal_cursor *c);

#endif
