/*
 * The journal: CRC-32C vectors, the record codec and its refusal of every
 * damaged byte, group commit under each fsync policy, replay with a torn
 * end and with damage in the middle, merge order across workers, the
 * shipper's cursor; and the segments: their names, rollover with and
 * without a prepared spare, a crashed writer's zero tail against a torn
 * record against damage, exact offsets in the messages, and the durable
 * position a following cursor stops at.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../dataplane/journal_int.h"
#include "gw_wire.h"

#define REC GW_JOURNAL_REC_LEN
#define N   1000
#define MS  1000000ull

struct fx {
	char dir[32];
	char path[64]; /* worker 0's file */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/test_journal_XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    gw_journal_path(f->dir, 0, f->path, sizeof(f->path)) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct dirent *de;
	char p[512];
	DIR *d = opendir(f->dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
		if (de->d_name[0] != '.')
			unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A record whose every field depends on @i. */
static void make(struct gw_journal_rec *r, uint64_t i, uint8_t worker)
{
	memset(r, 0, sizeof(*r));
	r->time_ns = 1764806400000000000ull + i * MS;
	r->worker = worker;
	r->type = (uint8_t)(1 + i % 4);
	r->code = (uint8_t)(i % 2 ? GW_RC_APPROVED : GW_RC_NO_FUNDS);
	r->flags = (uint16_t)(i & 3);
	r->session_id = (uint32_t)(1000 + i);
	r->digest = (uint32_t)(0xdead0000u + i);
	r->txn_id = 0x100000000ull + i;
	r->ref = 0x6930000000000000ull | i;
	r->orig_ref = i * 7;
	snprintf(r->merchant, sizeof(r->merchant), "merchant-%llu",
		 (unsigned long long)i);
	memset(r->token, (int)(i & 0xff), GW_CARD_TOKEN_LEN);
	r->amount = 10000 + i;
	r->applied = i % 2 ? 10000 + i : 0;
	r->balance = i * 3;
	r->currency = 978;
	strcpy(r->masked, i % 3 ? "411111******1111" : "");
	memcpy(r->approval, i % 2 ? "A1B2C3" : "      ", 7);
}

static void assert_rec_equal(const struct gw_journal_rec *a,
			     const struct gw_journal_rec *b)
{
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->time_ns, b->time_ns);
	assert_int_equal(a->worker, b->worker);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->code, b->code);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->session_id, b->session_id);
	assert_int_equal(a->digest, b->digest);
	assert_int_equal(a->txn_id, b->txn_id);
	assert_int_equal(a->ref, b->ref);
	assert_int_equal(a->orig_ref, b->orig_ref);
	assert_string_equal(a->merchant, b->merchant);
	assert_memory_equal(a->token, b->token, GW_CARD_TOKEN_LEN);
	assert_int_equal(a->amount, b->amount);
	assert_int_equal(a->applied, b->applied);
	assert_int_equal(a->balance, b->balance);
	assert_int_equal(a->currency, b->currency);
	assert_string_equal(a->masked, b->masked);
	assert_string_equal(a->approval, b->approval);
}

/* Writes @n records to worker @w's journal in bursts of 32. */
static void write_recs(struct fx *f, unsigned w, uint64_t first, size_t n,
		       enum gw_fsync_policy pol)
{
	char err[256];
	struct gw_journal *j =
	    gw_journal_open(f->dir, w, pol, 5, err, sizeof(err));
	struct gw_journal_rec r;

	assert_non_null(j);
	for (size_t i = 0; i < n; i++) {
		make(&r, first + i, (uint8_t)w);
		assert_int_equal(gw_journal_append(j, &r), 0);
		if (i % 32 == 31)
			assert_int_equal(gw_journal_commit(j, i * MS), 0);
	}
	assert_int_equal(gw_journal_close(j), 0);
}

struct collect {
	struct gw_journal_rec *recs;
	size_t n, max;
};

static int collect_cb(const struct gw_journal_rec *r, void *arg)
{
	struct collect *c = arg;

	if (c->n < c->max)
		c->recs[c->n] = *r;
	c->n++;
	return 0;
}

static long replay(struct fx *f, struct collect *c, char *msg, size_t len)
{
	c->n = 0;
	return gw_journal_replay(f->dir, collect_cb, c, msg, len);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Overwrites one byte of @path at @off with itself xor @mask. */
static void flip(const char *path, off_t off, uint8_t mask)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= mask;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void test_crc32c_vectors(void **state)
{
	static const uint8_t zeros[32],
	    ones[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const char *s = "123456789";

	(void)state;
	assert_int_equal(gw_journal_crc32c(0, s, 9), 0xe3069283u);
	assert_int_equal(gw_journal_crc32c(0, zeros, 32), 0x8a9136aau);
	assert_int_equal(gw_journal_crc32c(0, ones, 32), 0x62a8ab43u);
	assert_int_equal(gw_journal_crc32c(0, s, 0), 0);
	/* Chaining over any split gives the same value. */
	for (size_t k = 0; k <= 9; k++)
		assert_int_equal(
		    gw_journal_crc32c(gw_journal_crc32c(0, s, k), s + k, 9 - k),
		    0xe3069283u);
}

static void test_record_layout(void **state)
{
	uint8_t raw[REC];
	struct gw_journal_rec r, d;

	(void)state;
	make(&r, 1, 2);
	r.seq = 0x0102030405060708ull;
	gw_journal_encode(raw, &r);
	assert_memory_equal(raw, "GWJR\x01\x02\xa0\x00", 8);
	assert_memory_equal(raw + 16, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	assert_int_equal(raw[14], 2);
	assert_int_equal(raw[15], GW_RC_APPROVED);
	assert_memory_equal(raw + 64, "merchant-1\0", 11);
	assert_int_equal(raw[138], 16);
	assert_memory_equal(raw + 139, "4111111111", 10);
	assert_memory_equal(raw + 149, "A1B2C3\0\0\0\0\0", 11);
	assert_int_equal(gw_journal_decode(raw, &d), 0);
	assert_rec_equal(&r, &d);
}

static void test_decode_refuses_any_flipped_byte(void **state)
{
	uint8_t raw[REC];
	struct gw_journal_rec r, d;

	(void)state;
	make(&r, 5, 0);
	gw_journal_encode(raw, &r);
	for (size_t i = 0; i < REC; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			raw[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(gw_journal_decode(raw, &d), -EBADMSG);
			raw[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(gw_journal_decode(raw, &d), 0);
}

/* Fields that are wrong although the checksum matches them. */
static void test_decode_refuses_bad_fields(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
	} cases[] = {
	    {4, 2},	/* version */
	    {6, 128},	/* length */
	    {0, 'g'},	/* magic */
	    {138, 11},	/* card number too short */
	    {138, 20},	/* too long */
	    {139, 'x'}, /* not a digit */
	    {148, '*'},
	};
	uint8_t raw[REC];
	struct gw_journal_rec r, d;

	(void)state;
	make(&r, 1, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t c;

		gw_journal_encode(raw, &r);
		raw[cases[i].off] = cases[i].val;
		c = gw_journal_crc32c(gw_journal_crc32c(0, raw, 8), raw + 12,
				      REC - 12);
		for (int k = 0; k < 4; k++)
			raw[8 + k] = (uint8_t)(c >> (8 * k));
		assert_int_equal(gw_journal_decode(raw, &d), -EBADMSG);
	}
}

static void test_write_and_read_back(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec *got = calloc(N, sizeof(*got)), want;
	struct collect c = {got, 0, N};
	char msg[256];

	assert_non_null(got);
	write_recs(f, 0, 0, N, GW_FSYNC_BATCH);
	assert_int_equal(file_size(f->path), N * REC);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), N);
	assert_string_equal(msg, "");
	for (size_t i = 0; i < N; i++) {
		make(&want, i, 0);
		want.seq = i + 1;
		assert_rec_equal(&got[i], &want);
	}
	free(got);
}

static void test_fsync_policies(void **state)
{
	static const enum gw_fsync_policy pols[] = {
	    GW_FSYNC_ALWAYS, GW_FSYNC_BATCH, GW_FSYNC_NONE};
	static const uint64_t synced_after_commit[] = {10, 0, 0};
	struct fx *f = *state;
	struct gw_journal_rec r, got[40];
	struct collect c = {got, 0, 40};
	char err[256];

	for (unsigned p = 0; p < 3; p++) {
		struct gw_journal *j =
		    gw_journal_open(f->dir, p, pols[p], 5, err, sizeof(err));

		assert_non_null(j);
		for (unsigned i = 0; i < 10; i++) {
			make(&r, i, (uint8_t)p);
			r.time_ns += p; /* keep a known merge order */
			assert_int_equal(gw_journal_append(j, &r), 0);
			assert_int_equal(r.seq, i + 1);
		}
		assert_int_equal(gw_journal_written(j), 0);
		/* A monotonic clock at 1 ms: the batch interval (5 ms) since
		 * the last sync has not passed yet. */
		assert_int_equal(gw_journal_commit(j, 1 * MS), 0);
		assert_int_equal(gw_journal_written(j), 10);
		assert_int_equal(gw_journal_synced(j), synced_after_commit[p]);
		assert_int_equal(gw_journal_tick(j, 4 * MS), 0);
		assert_int_equal(gw_journal_synced(j), synced_after_commit[p]);
		assert_int_equal(gw_journal_tick(j, 5 * MS), 0);
		assert_int_equal(gw_journal_synced(j), p == 2 ? 0 : 10);
		assert_int_equal(gw_journal_close(j), 0);
	}
	assert_int_equal(replay(f, &c, NULL, 0), 30);
	for (unsigned i = 0; i < 30; i++) {
		assert_int_equal(got[i].worker, i % 3);
		assert_int_equal(got[i].seq, i / 3 + 1);
	}
}

static void test_reopen_continues_sequence(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[20];
	struct collect c = {got, 0, 20};

	write_recs(f, 0, 0, 10, GW_FSYNC_ALWAYS);
	write_recs(f, 0, 10, 5, GW_FSYNC_ALWAYS);
	assert_int_equal(replay(f, &c, NULL, 0), 15);
	assert_int_equal(got[14].seq, 15);
	assert_int_equal(got[14].txn_id, 0x100000000ull + 14);
}

static void test_torn_end_truncated(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[16], r;
	struct collect c = {got, 0, 16};
	char msg[256], err[256], want[256];
	struct gw_journal *j;

	write_recs(f, 0, 0, 10, GW_FSYNC_NONE);
	assert_int_equal(truncate(f->path, 9 * REC + 50), 0);
	/* The writer refuses a torn file until it is replayed. */
	assert_null(
	    gw_journal_open(f->dir, 0, GW_FSYNC_NONE, 5, err, sizeof(err)));
	assert_non_null(strstr(err, "worker-0.journal"));
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 9);
	snprintf(
	    want, sizeof(want),
	    "%s: dropped a torn record at byte 1440 (50 bytes); file truncated to 1440 bytes",
	    f->path);
	assert_string_equal(msg, want);
	assert_int_equal(file_size(f->path), 9 * REC);
	assert_int_equal(got[8].seq, 9);
	/* Appends continue cleanly after the last good record. */
	j = gw_journal_open(f->dir, 0, GW_FSYNC_NONE, 5, err, sizeof(err));
	assert_non_null(j);
	make(&r, 99, 0);
	assert_int_equal(gw_journal_append(j, &r), 0);
	assert_int_equal(r.seq, 10);
	assert_int_equal(gw_journal_close(j), 0);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 10);
	assert_string_equal(msg, "");
	assert_int_equal(got[9].txn_id, 0x100000000ull + 99);
}

static void test_bad_last_record_truncated(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[16];
	struct collect c = {got, 0, 16};
	char msg[256];

	write_recs(f, 0, 0, 10, GW_FSYNC_NONE);
	flip(f->path, 9 * REC + 100, 0x01);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 9);
	assert_non_null(strstr(msg, "torn record at byte 1440 (160 bytes)"));
	assert_int_equal(file_size(f->path), 9 * REC);
}

static void test_damage_in_middle_is_error(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[16];
	struct collect c = {got, 0, 16};
	char msg[256], want[256];

	write_recs(f, 0, 0, 10, GW_FSYNC_NONE);
	flip(f->path, 3 * REC + 77, 0x40);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "%s: bad record at byte %d with more records after it",
		 f->path, 3 * REC);
	assert_string_equal(msg, want);
	assert_int_equal(c.n, 0);
	assert_int_equal(file_size(f->path), 10 * REC);
}

/* A valid record out of sequence (a file spliced together) is damage. */
static void test_sequence_gap_is_error(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec r, got[4];
	struct collect c = {got, 0, 4};
	uint8_t raw[REC];
	char msg[256];
	int fd;

	write_recs(f, 0, 0, 3, GW_FSYNC_NONE);
	make(&r, 3, 0);
	r.seq = 5;
	gw_journal_encode(raw, &r);
	fd = open(f->path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, raw, REC), REC);
	r.seq = 6;
	gw_journal_encode(raw, &r);
	assert_int_equal(write(fd, raw, REC), REC);
	close(fd);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), -EBADMSG);
	assert_non_null(strstr(msg, "bad record at byte 480"));
}

static void test_replay_merges_workers_by_time(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[8], r;
	struct collect c = {got, 0, 8};
	struct gw_journal *j[2];
	char err[256];

	for (unsigned w = 0; w < 2; w++) {
		j[w] = gw_journal_open(f->dir, w, GW_FSYNC_NONE, 5, err,
				       sizeof(err));
		assert_non_null(j[w]);
	}
	/* Times 0..5; worker 1 has 1, 2, 5, worker 0 has 0, 3, 4. */
	static const unsigned owner[6] = {0, 1, 1, 0, 0, 1};
	for (unsigned t = 0; t < 6; t++) {
		make(&r, t, (uint8_t)owner[t]);
		assert_int_equal(gw_journal_append(j[owner[t]], &r), 0);
	}
	for (unsigned w = 0; w < 2; w++)
		assert_int_equal(gw_journal_close(j[w]), 0);
	assert_int_equal(replay(f, &c, NULL, 0), 6);
	for (unsigned t = 0; t < 6; t++) {
		assert_int_equal(got[t].txn_id, 0x100000000ull + t);
		assert_int_equal(got[t].worker, owner[t]);
	}
}

static int stop_at_two(const struct gw_journal_rec *r, void *arg)
{
	(void)arg;
	return r->seq == 2 ? -ECANCELED : 0;
}

static void test_replay_edges(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[1];
	struct collect c = {got, 0, 1};
	char msg[256];

	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 0);
	write_recs(f, 0, 0, 3, GW_FSYNC_NONE);
	assert_int_equal(
	    gw_journal_replay(f->dir, stop_at_two, NULL, msg, sizeof(msg)),
	    -ECANCELED);
	assert_int_equal(gw_journal_replay("/nonexistent/journal", collect_cb,
					   &c, msg, sizeof(msg)),
			 -ENOENT);
	assert_int_equal(
	    gw_journal_replay(f->dir, NULL, NULL, msg, sizeof(msg)), -EINVAL);
}

static void test_cursor_follows_and_resumes(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec out[16], r;
	struct gw_journal_cursor *cur;
	struct gw_journal *j;
	char err[256];
	uint64_t saved;
	int fd;

	j = gw_journal_open(f->dir, 0, GW_FSYNC_NONE, 5, err, sizeof(err));
	assert_non_null(j);
	cur = gw_journal_cursor_open(f->dir, 0, 0);
	assert_non_null(cur);
	assert_int_equal(gw_journal_cursor_read(cur, out, 16), 0);
	for (unsigned i = 0; i < 5; i++) {
		make(&r, i, 0);
		assert_int_equal(gw_journal_append(j, &r), 0);
	}
	/* Appended but not committed: nothing is in the file yet. */
	assert_int_equal(gw_journal_cursor_read(cur, out, 16), 0);
	assert_int_equal(gw_journal_commit(j, 0), 0);
	assert_int_equal(gw_journal_cursor_read(cur, out, 3), 3);
	assert_int_equal(out[2].seq, 3);
	assert_int_equal(gw_journal_cursor_read(cur, out, 16), 2);
	assert_int_equal(out[0].seq, 4);
	assert_int_equal(gw_journal_cursor_read(cur, out, 16), 0);
	saved = gw_journal_cursor_pos(cur);
	assert_int_equal(saved, 5 * REC);
	gw_journal_cursor_close(cur);

	for (unsigned i = 5; i < 8; i++) {
		make(&r, i, 0);
		assert_int_equal(gw_journal_append(j, &r), 0);
	}
	assert_int_equal(gw_journal_commit(j, 0), 0);
	cur = gw_journal_cursor_open(f->dir, 0, saved);
	assert_non_null(cur);
	assert_int_equal(gw_journal_cursor_read(cur, out, 16), 3);
	assert_int_equal(out[0].seq, 6);
	assert_int_equal(out[2].seq, 8);
	assert_int_equal(out[2].txn_id, 0x100000000ull + 7);

	/* Half a record at the end is a write in progress: not shipped. */
	assert_int_equal(gw_journal_close(j), 0);
	fd = open(f->path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "GWJR\x01\x01\xa0\x00", 8), 8);
	close(fd);
	assert_int_equal(gw_journal_cursor_read(cur, out, 16), 0);
	assert_int_equal(gw_journal_cursor_pos(cur), 8 * REC);
	gw_journal_cursor_close(cur);

	errno = 0;
	assert_null(gw_journal_cursor_open(f->dir, 0, 7));
	assert_int_equal(errno, EINVAL);
	assert_null(gw_journal_cursor_open(f->dir, 3, 0));
	assert_int_equal(errno, ENOENT);
}

static void test_cursor_damage_far_back(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec out[4];
	struct gw_journal_cursor *cur;

	write_recs(f, 0, 0, GW_JOURNAL_BUF_RECS + 10, GW_FSYNC_NONE);
	flip(f->path, REC + 20, 0x01);
	cur = gw_journal_cursor_open(f->dir, 0, 0);
	assert_non_null(cur);
	assert_int_equal(gw_journal_cursor_read(cur, out, 4), 1);
	assert_int_equal(gw_journal_cursor_read(cur, out, 4), -EBADMSG);
	assert_int_equal(gw_journal_cursor_pos(cur), REC);
	gw_journal_cursor_close(cur);

	/* The same damage in the last record may be a write in progress. */
	flip(f->path, REC + 20, 0x01);
	flip(f->path, (GW_JOURNAL_BUF_RECS + 9) * REC + 20, 0x01);
	cur =
	    gw_journal_cursor_open(f->dir, 0, (GW_JOURNAL_BUF_RECS + 8) * REC);
	assert_non_null(cur);
	assert_int_equal(gw_journal_cursor_read(cur, out, 4), 1);
	assert_int_equal(gw_journal_cursor_read(cur, out, 4), 0);
	gw_journal_cursor_close(cur);
}

/* ---- Segments ---- */

static void test_segment_names(void **state)
{
	static const struct {
		const char *name;
		int rc;
		unsigned worker, index;
	} cases[] = {
	    {"worker-0.journal", 0, 0, 0},
	    {"worker-3.journal.12", 0, 3, 12},
	    {"worker-255.journal.1", 0, 255, 1},
	    {"worker-3.journal.0", -EINVAL, 0, 0},  /* segment 0 twice */
	    {"worker-3.journal.01", -EINVAL, 0, 0}, /* leading zero */
	    {"worker-03.journal", -EINVAL, 0, 0},
	    {"worker-256.journal", -EINVAL, 0, 0},
	    {"worker-.journal", -EINVAL, 0, 0},
	    {"worker-3.journal.", -EINVAL, 0, 0},
	    {"worker-3.journal.1x", -EINVAL, 0, 0},
	    {"worker-3.journalx", -EINVAL, 0, 0},
	    {"worker-3.journal.-1", -EINVAL, 0, 0},
	    {"worker-3.journal.16777216", -EINVAL, 0, 0},
	    {"worker-3", -EINVAL, 0, 0},
	    {"", -EINVAL, 0, 0},
	};
	char path[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned w = 99, k = 99;

		assert_int_equal(gw_jseg_parse(cases[i].name, &w, &k),
				 cases[i].rc);
		if (cases[i].rc != 0)
			continue;
		assert_int_equal(w, cases[i].worker);
		assert_int_equal(k, cases[i].index);
		assert_int_equal(gw_jseg_path("/j", w, k, path, sizeof(path)),
				 0);
		assert_string_equal(path + 3, cases[i].name);
	}
	assert_int_equal(gw_jseg_path("/j", 1, 2, path, 10), -ENAMETOOLONG);
}

/* Segment @k of worker 0 in @f's directory. */
static void seg_path(struct fx *f, unsigned k, char *out, size_t len)
{
	assert_int_equal(gw_jseg_path(f->dir, 0, k, out, len), 0);
}

static off_t seg_size(struct fx *f, unsigned k)
{
	char p[96];

	seg_path(f, k, p, sizeof(p));
	return file_size(p);
}

/* @n records from @first in bursts of @burst, committed after each. */
static void put_recs(struct gw_journal *j, uint64_t first, size_t n,
		     size_t burst)
{
	struct gw_journal_rec r;

	for (size_t i = 0; i < n; i++) {
		make(&r, first + i, 0);
		assert_int_equal(gw_journal_append(j, &r), 0);
		if (i % burst == burst - 1 || i == n - 1)
			assert_int_equal(gw_journal_commit(j, 0), 0);
	}
}

/* Without a journal thread the worker prepares each segment itself and
 * counts a stall; the records read back whole across the segments. */
static void test_rollover_without_spare(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[16], out[16];
	struct collect c = {got, 0, 16};
	struct gw_journal_cursor *cur;
	struct gw_journal *j;
	char err[256], msg[256];

	j = gw_journal_open_seg(f->dir, 0, GW_FSYNC_NONE, 5, 4, err,
				sizeof(err));
	assert_non_null(j);
	/* Every segment is created at its full size, zero filled. */
	assert_int_equal(seg_size(f, 0), 4 * REC);
	put_recs(j, 0, 10, 3);
	assert_int_equal(gw_journal_written(j), 10);
	assert_int_equal(gw_journal_stalls(j), 2);
	assert_int_equal(seg_size(f, 2), 4 * REC);
	assert_int_equal(gw_journal_close(j), 0);
	/* Closing cuts the active segment to its records. */
	assert_int_equal(seg_size(f, 0), 4 * REC);
	assert_int_equal(seg_size(f, 1), 4 * REC);
	assert_int_equal(seg_size(f, 2), 2 * REC);
	assert_int_equal(seg_size(f, 3), -1);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 10);
	assert_string_equal(msg, "");
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(got[i].seq, i + 1);
		assert_int_equal(got[i].txn_id, 0x100000000ull + i);
	}
	/* A cursor placed in the middle of segment 1 (record 6). */
	cur = gw_journal_cursor_open(f->dir, 0, 5 * REC);
	assert_non_null(cur);
	assert_int_equal(gw_journal_cursor_read(cur, out, 16), 5);
	assert_int_equal(out[0].seq, 6);
	assert_int_equal(out[4].seq, 10);
	assert_int_equal(gw_journal_cursor_pos(cur), 10 * REC);
	gw_journal_cursor_close(cur);
	/* The next run starts segment 3 and continues the numbering. */
	j = gw_journal_open_seg(f->dir, 0, GW_FSYNC_NONE, 5, 4, err,
				sizeof(err));
	assert_non_null(j);
	assert_int_equal(seg_size(f, 3), 4 * REC);
	put_recs(j, 10, 1, 1);
	assert_int_equal(gw_journal_written(j), 11);
	assert_int_equal(gw_journal_close(j), 0);
	assert_int_equal(seg_size(f, 3), REC);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 11);
	assert_int_equal(got[10].seq, 11);
}

/* With the journal thread's tick the spare is ready, the worker only
 * swaps pointers, and full segments are released once durable. */
static void test_rollover_with_spare(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[16];
	struct collect c = {got, 0, 16};
	struct gw_journal *j;
	char err[256];

	j = gw_journal_open_seg(f->dir, 0, GW_FSYNC_BATCH, 5, 4, err,
				sizeof(err));
	assert_non_null(j);
	assert_int_equal(seg_size(f, 1), -1);
	assert_int_equal(gw_journal_tick(j, 1 * MS), 0);
	assert_int_equal(seg_size(f, 1), 4 * REC);
	put_recs(j, 0, 6, 6);
	assert_int_equal(gw_journal_stalls(j), 0);
	assert_int_equal(gw_journal_synced(j), 0);
	/* The tick syncs both segments, releases the full one and prepares
	 * the next spare. */
	assert_int_equal(gw_journal_tick(j, 10 * MS), 0);
	assert_int_equal(gw_journal_synced(j), 6);
	assert_null(j->full);
	assert_int_equal(seg_size(f, 2), 4 * REC);
	put_recs(j, 6, 3, 3);
	assert_int_equal(gw_journal_stalls(j), 0);
	assert_int_equal(gw_journal_close(j), 0);
	/* The unused spare is removed. */
	assert_int_equal(seg_size(f, 2), REC);
	assert_int_equal(seg_size(f, 3), -1);
	assert_int_equal(replay(f, &c, NULL, 0), 9);
	assert_int_equal(got[8].seq, 9);
}

/* A child writes @n records into a 100-record segment and dies without
 * closing, as a killed data plane does. */
static void crash_after(struct fx *f, size_t n)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		struct gw_journal_rec r;
		struct gw_journal *j = gw_journal_open_seg(
		    f->dir, 0, GW_FSYNC_NONE, 5, 100, err, sizeof(err));

		if (j == NULL)
			_exit(2);
		for (size_t i = 0; i < n; i++) {
			make(&r, i, 0);
			if (gw_journal_append(j, &r) != 0)
				_exit(3);
		}
		_exit(gw_journal_commit(j, 0) != 0 ? 4 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Writes @len bytes of record @i's encoding at byte @off of @path. */
static void put_raw(const char *path, off_t off, uint64_t i, uint64_t seq,
		    size_t len)
{
	struct gw_journal_rec r;
	uint8_t raw[REC];
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	make(&r, i, 0);
	r.seq = seq;
	gw_journal_encode(raw, &r);
	assert_int_equal(pwrite(fd, raw, len, off), (ssize_t)len);
	close(fd);
}

/* The zeros after the last record are the end, not damage; the next
 * writer continues in that segment, and one opened with another segment
 * size cuts the zeros off and starts a new segment. */
static void test_crash_zero_tail_is_the_end(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[8];
	struct collect c = {got, 0, 8};
	struct gw_journal *j;
	char msg[256], err[256];

	crash_after(f, 5);
	assert_int_equal(file_size(f->path), 100 * REC);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 5);
	assert_string_equal(msg, "");
	assert_int_equal(file_size(f->path), 100 * REC);
	j = gw_journal_open_seg(f->dir, 0, GW_FSYNC_NONE, 5, 100, err,
				sizeof(err));
	assert_non_null(j);
	assert_int_equal(file_size(f->path), 100 * REC);
	assert_int_equal(seg_size(f, 1), -1);
	put_recs(j, 5, 1, 1);
	assert_int_equal(gw_journal_written(j), 6);
	assert_int_equal(gw_journal_close(j), 0);
	assert_int_equal(file_size(f->path), 6 * REC);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 6);
	assert_int_equal(got[5].seq, 6);
	assert_int_equal(got[5].txn_id, 0x100000000ull + 5);

	/* Crashed again in segment 1, reopened with 50-record segments. */
	assert_int_equal(unlink(f->path), 0);
	crash_after(f, 3);
	j = gw_journal_open_seg(f->dir, 0, GW_FSYNC_NONE, 5, 50, err,
				sizeof(err));
	assert_non_null(j);
	assert_int_equal(file_size(f->path), 3 * REC);
	assert_int_equal(seg_size(f, 1), 50 * REC);
	put_recs(j, 3, 1, 1);
	assert_int_equal(gw_journal_close(j), 0);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 4);
	assert_int_equal(got[3].seq, 4);
}

/* A record cut short by the crash, then zeros: a torn end, cut off. */
static void test_crash_torn_record(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[8];
	struct collect c = {got, 0, 8};
	char msg[256], err[256], want[256];

	crash_after(f, 5);
	put_raw(f->path, 5 * REC, 5, 6, 50);
	/* The writer refuses it before replay, naming the offset. */
	assert_null(gw_journal_open_seg(f->dir, 0, GW_FSYNC_NONE, 5, 100, err,
					sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s: bad record at byte 800; replay the journal first",
		 f->path);
	assert_string_equal(err, want);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), 5);
	snprintf(
	    want, sizeof(want),
	    "%s: dropped a torn record at byte 800 (160 bytes); file truncated to 800 bytes",
	    f->path);
	assert_string_equal(msg, want);
	assert_int_equal(file_size(f->path), 5 * REC);
}

/* Data after a zero record, or after a bad one, is damage. */
static void test_crash_damage_after_the_end(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[8];
	struct collect c = {got, 0, 8};
	char msg[256], want[256];

	crash_after(f, 5);
	put_raw(f->path, 7 * REC, 7, 8, REC);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "%s: bad record at byte 800 with more records after it",
		 f->path);
	assert_string_equal(msg, want);
	assert_int_equal(c.n, 0);
	assert_int_equal(file_size(f->path), 100 * REC);

	/* A torn record with a whole one right after it. */
	assert_int_equal(truncate(f->path, 5 * REC), 0);
	assert_int_equal(truncate(f->path, 100 * REC), 0);
	put_raw(f->path, 5 * REC, 5, 6, 50);
	put_raw(f->path, 6 * REC, 6, 7, REC);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), -EBADMSG);
	assert_string_equal(msg, want);
}

/* A bad last record in a segment that a later one continues cannot be
 * a crash: the writer never leaves a segment unfinished. */
static void test_torn_segment_before_records_is_damage(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec got[16];
	struct collect c = {got, 0, 16};
	struct gw_journal *j;
	char msg[256], want[256], p[96];

	j = gw_journal_open_seg(f->dir, 0, GW_FSYNC_NONE, 5, 4, msg,
				sizeof(msg));
	assert_non_null(j);
	put_recs(j, 0, 10, 10);
	assert_int_equal(gw_journal_close(j), 0);
	seg_path(f, 1, p, sizeof(p));
	flip(p, 3 * REC + 30, 0x08);
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "%s: bad record at byte 480 with more records after it", p);
	assert_string_equal(msg, want);

	/* A missing segment breaks the sequence where the next one starts. */
	flip(p, 3 * REC + 30, 0x08);
	assert_int_equal(unlink(p), 0);
	seg_path(f, 2, p, sizeof(p));
	assert_int_equal(replay(f, &c, msg, sizeof(msg)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "%s: bad record at byte 0 with more records after it", p);
	assert_string_equal(msg, want);
}

/* Under "batch" the durable position follows the thread's syncs, and a
 * cursor that follows the writer ships nothing beyond it. */
static void test_durable_position(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec out[8];
	struct gw_journal_cursor *cur;
	struct gw_journal *j;
	char err[256];

	j = gw_journal_open_seg(f->dir, 0, GW_FSYNC_BATCH, 5, 100, err,
				sizeof(err));
	assert_non_null(j);
	cur = gw_journal_cursor_open(f->dir, 0, 0);
	assert_non_null(cur);
	gw_journal_cursor_follow(cur, j);
	put_recs(j, 0, 3, 3);
	assert_int_equal(gw_journal_written(j), 3);
	assert_int_equal(gw_journal_synced(j), 0);
	assert_int_equal(gw_journal_cursor_read(cur, out, 8), 0);
	assert_int_equal(gw_journal_tick(j, 10 * MS), 0);
	assert_int_equal(gw_journal_synced(j), 3);
	assert_int_equal(gw_journal_cursor_read(cur, out, 8), 3);
	assert_int_equal(out[2].seq, 3);
	put_recs(j, 3, 2, 2);
	/* 2 ms since the last sync: not yet; 5 ms: synced. */
	assert_int_equal(gw_journal_tick(j, 12 * MS), 0);
	assert_int_equal(gw_journal_synced(j), 3);
	assert_int_equal(gw_journal_cursor_read(cur, out, 8), 0);
	assert_int_equal(gw_journal_tick(j, 15 * MS), 0);
	assert_int_equal(gw_journal_synced(j), 5);
	assert_int_equal(gw_journal_cursor_read(cur, out, 8), 2);
	assert_int_equal(out[1].seq, 5);
	/* Below the published position a bad record is damage at once. */
	flip(f->path, 4 * REC + 9, 0x01);
	gw_journal_cursor_close(cur);
	cur = gw_journal_cursor_open(f->dir, 0, 3 * REC);
	assert_non_null(cur);
	gw_journal_cursor_follow(cur, j);
	assert_int_equal(gw_journal_cursor_read(cur, out, 8), 1);
	assert_int_equal(gw_journal_cursor_read(cur, out, 8), -EBADMSG);
	assert_int_equal(gw_journal_cursor_pos(cur), 4 * REC);
	gw_journal_cursor_close(cur);
	flip(f->path, 4 * REC + 9, 0x01);
	assert_int_equal(gw_journal_close(j), 0);
}

/* Under "none" nothing is synced and the cursor follows what is
 * written; under "always" every commit is durable. */
static void test_position_under_none_and_always(void **state)
{
	struct fx *f = *state;
	struct gw_journal_rec out[8];
	struct gw_journal_cursor *cur;
	struct gw_journal *j;
	char err[256];

	j = gw_journal_open_seg(f->dir, 0, GW_FSYNC_NONE, 5, 100, err,
				sizeof(err));
	assert_non_null(j);
	cur = gw_journal_cursor_open(f->dir, 0, 0);
	assert_non_null(cur);
	gw_journal_cursor_follow(cur, j);
	put_recs(j, 0, 4, 4);
	assert_int_equal(gw_journal_tick(j, 100 * MS), 0);
	assert_int_equal(gw_journal_synced(j), 0);
	assert_int_equal(gw_journal_cursor_read(cur, out, 8), 4);
	gw_journal_cursor_close(cur);
	assert_int_equal(gw_journal_close(j), 0);

	j = gw_journal_open_seg(f->dir, 1, GW_FSYNC_ALWAYS, 5, 2, err,
				sizeof(err));
	assert_non_null(j);
	put_recs(j, 0, 5, 5);
	assert_int_equal(gw_journal_written(j), 5);
	assert_int_equal(gw_journal_synced(j), 5);
	assert_int_equal(gw_journal_close(j), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c_vectors),
	    cmocka_unit_test(test_record_layout),
	    cmocka_unit_test(test_decode_refuses_any_flipped_byte),
	    cmocka_unit_test(test_decode_refuses_bad_fields),
	    T(test_write_and_read_back),
	    T(test_fsync_policies),
	    T(test_reopen_continues_sequence),
	    T(test_torn_end_truncated),
	    T(test_bad_last_record_truncated),
	    T(test_damage_in_middle_is_error),
	    T(test_sequence_gap_is_error),
	    T(test_replay_merges_workers_by_time),
	    T(test_replay_edges),
	    T(test_cursor_follows_and_resumes),
	    T(test_cursor_damage_far_back),
	    cmocka_unit_test(test_segment_names),
	    T(test_rollover_without_spare),
	    T(test_rollover_with_spare),
	    T(test_crash_zero_tail_is_the_end),
	    T(test_crash_torn_record),
	    T(test_crash_damage_after_the_end),
	    T(test_torn_segment_before_records_is_damage),
	    T(test_durable_position),
	    T(test_position_under_none_and_always),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
