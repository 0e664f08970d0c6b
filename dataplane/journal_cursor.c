/*
 * The journal cursor: reads one worker's records in sequence across its
 * segments, either bounded by the position a writer in this process
 * published (the shipper) or, for a reader in another process (gw-settle),
 * up to the first zeros or unfinished record.  Replay is journal_read.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_int.h"

#define REC	   GW_JOURNAL_REC_LEN
#define CHUNK_RECS 64

/* The first record of segment @index, when it has a valid one. */
static int first_record(const struct gw_journal_cursor *c, unsigned index,
			int *fd, struct gw_journal_rec *r)
{
	char path[PATH_MAX];
	uint8_t raw[REC];
	int rc;

	rc = gw_jseg_path(c->dir, c->worker, index, path, sizeof(path));
	if (rc != 0)
		return rc;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	if (pread(*fd, raw, REC, 0) == REC && gw_journal_decode(raw, r) == 0)
		return 0;
	close(*fd);
	*fd = -1;
	return -ENODATA;
}

static void use(struct gw_journal_cursor *c, int fd, unsigned index,
		uint64_t first_seq)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = fd;
	c->index = index;
	c->first_seq = first_seq;
}

/*
 * Opens the last segment whose first record is at or before the cursor's
 * next one.  -ENOENT when the worker has no segment at all, 0 with no
 * segment open when none holds a record yet.
 */
static int locate(struct gw_journal_cursor *c)
{
	struct gw_journal_rec r;
	unsigned *idx;
	long n, i;
	int fd, rc = 0;

	n = gw_jseg_list(c->dir, c->worker, &idx);
	if (n <= 0)
		return n == 0 ? -ENOENT : (int)n;
	for (i = n - 1; i >= 0; i--) {
		rc = first_record(c, idx[i], &fd, &r);
		if (rc == -ENODATA)
			continue;
		if (rc != 0)
			break;
		if (r.seq <= c->next_seq || i == 0) {
			use(c, fd, idx[i], r.seq);
			break;
		}
		close(fd);
	}
	free(idx);
	return rc == -ENODATA ? 0 : rc;
}

/*
 * The segment after the current one, if it holds records: 1 when it
 * starts with the next sequence number and the cursor moved to it, 0
 * when there is none yet, -EBADMSG when it starts anywhere else.
 */
static int next_segment(struct gw_journal_cursor *c)
{
	struct gw_journal_rec r;
	unsigned *idx;
	long n, i;
	int fd, rc = 0;

	n = gw_jseg_list(c->dir, c->worker, &idx);
	if (n < 0)
		return (int)n;
	for (i = 0; i < n && rc == 0; i++) {
		if (idx[i] <= c->index)
			continue;
		rc = first_record(c, idx[i], &fd, &r);
		if (rc == -ENODATA) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		if (r.seq != c->next_seq) {
			close(fd);
			rc = -EBADMSG;
			break;
		}
		use(c, fd, idx[i], r.seq);
		rc = 1;
	}
	free(idx);
	return rc;
}

struct gw_journal_cursor *
gw_journal_cursor_open(const char *dir, unsigned worker, uint64_t offset)
{
	struct gw_journal_cursor *c;
	int rc;

	if (dir == NULL || offset % REC != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(dir) >= sizeof(c->dir)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	strcpy(c->dir, dir);
	c->worker = worker;
	c->fd = -1;
	c->next_seq = offset / REC + 1;
	rc = locate(c);
	if (rc != 0) {
		gw_journal_cursor_close(c);
		errno = -rc;
		return NULL;
	}
	return c;
}

void gw_journal_cursor_follow(struct gw_journal_cursor *c,
			      const struct gw_journal *j)
{
	c->writer = j;
}

void gw_journal_cursor_close(struct gw_journal_cursor *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

uint64_t gw_journal_cursor_pos(const struct gw_journal_cursor *c)
{
	return (c->next_seq - 1) * REC;
}

static bool zeros(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/*
 * A bad record at the cursor.  Below a writer's published position it
 * is damage.  Otherwise the writer copies records in order, one burst at
 * a time, so a record can be seen unfinished only within a buffer's
 * worth of the end of the data: anything further on, or a later segment
 * holding records, means damage.
 */
static long bad_record(struct gw_journal_cursor *c, long count)
{
	uint64_t off = (c->next_seq - c->first_seq) * REC, nz;
	off_t end;
	int rc;

	if (count > 0)
		return count;
	if (c->writer != NULL)
		return -EBADMSG;
	end = lseek(c->fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	rc = gw_jseg_nonzero(c->fd, off + (GW_JOURNAL_BUF_RECS + 1) * REC,
			     (uint64_t)end, &nz);
	if (rc != 0)
		return rc;
	if (nz < (uint64_t)end)
		return -EBADMSG;
	rc = next_segment(c);
	if (rc < 0)
		return rc;
	return rc == 1 ? -EBADMSG : 0;
}

/* Reads whole records of the current segment into @out.  The count, or
 * -EAGAIN when its data ended and the next segment must be tried. */
static long read_segment(struct gw_journal_cursor *c,
			 struct gw_journal_rec *out, size_t max, long count)
{
	uint8_t buf[CHUNK_RECS * REC];
	size_t n = max - (size_t)count, whole;
	ssize_t got;

	if (n > CHUNK_RECS)
		n = CHUNK_RECS;
	got = pread(c->fd, buf, n * REC,
		    (off_t)((c->next_seq - c->first_seq) * REC));
	if (got < 0)
		return count > 0 ? count : -errno;
	whole = (size_t)got / REC;
	if (whole == 0 && (got == 0 || zeros(buf, (size_t)got)))
		return -EAGAIN;
	if (whole == 0)
		return bad_record(c, count);
	for (size_t i = 0; i < whole; i++) {
		const uint8_t *raw = buf + i * REC;

		if (gw_journal_decode(raw, &out[count]) == 0 &&
		    out[count].seq == c->next_seq) {
			count++;
			c->next_seq++;
			continue;
		}
		if (zeros(raw, REC))
			return count > 0 ? count : -EAGAIN;
		return bad_record(c, count);
	}
	return count;
}

long gw_journal_cursor_read(struct gw_journal_cursor *c,
			    struct gw_journal_rec *out, size_t max)
{
	uint64_t limit = UINT64_MAX;
	long count = 0, got;
	int rc;

	if (c->writer != NULL) {
		limit = gw_journal_readable(c->writer);
		if (c->next_seq > limit)
			return 0;
		if (max > limit - c->next_seq + 1)
			max = (size_t)(limit - c->next_seq + 1);
	}
	while ((size_t)count < max) {
		if (c->fd < 0) {
			rc = locate(c);
			if (rc != 0 && rc != -ENOENT)
				return count > 0 ? count : rc;
			if (c->fd < 0)
				break;
		}
		got = read_segment(c, out, max, count);
		if (got == -EAGAIN) {
			rc = next_segment(c);
			if (rc == 1)
				continue;
			if (rc < 0 && count == 0)
				return rc;
			break;
		}
		if (got < 0 || got == count)
			return got;
		count = got;
	}
	return count;
}
