/*
 * The journal writer: one per worker, appending that worker's records to
 * its own file with one write() per burst and syncing as the fsync policy
 * says.  Record encoding is journal_rec.c's; reading back is journal_read.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

#define NS_PER_MS 1000000ull

/*
 * The batch interval is checked from the owning worker's loop (commit and
 * tick), not by a flusher thread: the worker is the only writer, so no
 * lock is needed, and the appliance's lcores are all spoken for.  The cost
 * is that the worker which syncs stalls for one fdatasync (tens of
 * microseconds on flash, milliseconds on disk) once per interval.
 */
struct gw_journal {
	int fd;
	int err; /* first write or sync error; the journal is unusable after */
	enum gw_fsync_policy policy;
	uint64_t batch_ns;
	uint64_t next_seq;
	uint64_t last_sync_ns;
	uint64_t written; /* records handed to write() */
	uint64_t synced;  /* records covered by a completed fdatasync */
	size_t nbuf;	  /* records in buf */
	uint8_t buf[GW_JOURNAL_BUF_RECS * GW_JOURNAL_REC_LEN];
	char path[PATH_MAX];
};

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Sequence numbers continue after the last record; a file that does not
 * end on a valid record must go through gw_journal_replay first. */
static int find_next_seq(struct gw_journal *j, char *err, size_t errlen)
{
	uint8_t raw[GW_JOURNAL_REC_LEN];
	struct gw_journal_rec r;
	struct stat st;

	if (fstat(j->fd, &st) != 0)
		return -errno;
	if (st.st_size % GW_JOURNAL_REC_LEN != 0) {
		snprintf(
		    err, errlen,
		    "%s: ends inside a record at byte %lld; replay the journal first",
		    j->path, (long long)st.st_size);
		return -EBADMSG;
	}
	j->next_seq = 1;
	if (st.st_size == 0)
		return 0;
	if (pread(j->fd, raw, sizeof(raw), st.st_size - GW_JOURNAL_REC_LEN) !=
	    (ssize_t)sizeof(raw))
		return -EIO;
	if (gw_journal_decode(raw, &r) != 0) {
		snprintf(
		    err, errlen,
		    "%s: bad record at byte %lld; replay the journal first",
		    j->path, (long long)(st.st_size - GW_JOURNAL_REC_LEN));
		return -EBADMSG;
	}
	j->next_seq = r.seq + 1;
	j->written = j->synced = (uint64_t)st.st_size / GW_JOURNAL_REC_LEN;
	return 0;
}

struct gw_journal *gw_journal_open(const char *dir, unsigned worker,
				   enum gw_fsync_policy policy,
				   uint32_t batch_ms, char *err, size_t errlen)
{
	struct gw_journal *j;
	int ret;

	if (dir == NULL || policy > GW_FSYNC_NONE) {
		snprintf(err, errlen, "journal: bad arguments");
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		snprintf(err, errlen, "journal: out of memory");
		return NULL;
	}
	j->fd = -1;
	j->policy = policy;
	j->batch_ns = (uint64_t)(batch_ms ? batch_ms : 1) * NS_PER_MS;
	if (gw_journal_path(dir, worker, j->path, sizeof(j->path)) != 0) {
		snprintf(err, errlen, "journal: directory name too long");
		goto fail;
	}
	j->fd = open(j->path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (j->fd < 0 && errno == ENOENT) {
		/* A new file's directory entry must survive a crash too. */
		j->fd = open(j->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
			     0600);
		if (j->fd >= 0 && sync_dir(dir) != 0) {
			snprintf(err, errlen, "%s: cannot sync directory",
				 j->path);
			goto fail;
		}
	}
	if (j->fd < 0) {
		snprintf(err, errlen, "%s: %s", j->path, strerror(errno));
		goto fail;
	}
	ret = find_next_seq(j, err, errlen);
	if (ret == -EIO || ret == -ENOMEM)
		snprintf(err, errlen, "%s: cannot read the last record",
			 j->path);
	if (ret != 0)
		goto fail;
	return j;
fail:
	if (j->fd >= 0)
		close(j->fd);
	free(j);
	return NULL;
}

static int write_all(struct gw_journal *j)
{
	const uint8_t *p = j->buf;
	size_t left = j->nbuf * GW_JOURNAL_REC_LEN;

	while (left > 0) {
		ssize_t n = write(j->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		left -= (size_t)n;
	}
	j->written += j->nbuf;
	j->nbuf = 0;
	return 0;
}

static int sync_now(struct gw_journal *j, uint64_t now_ns)
{
	if (fdatasync(j->fd) != 0)
		return -errno;
	j->synced = j->written;
	j->last_sync_ns = now_ns;
	return 0;
}

/*
 * After a failed write the file may end in part of a record, and after a
 * failed fdatasync the kernel may have dropped the dirty pages; either way
 * later records could not be trusted to follow, so the journal stops.
 */
static int fail(struct gw_journal *j, int ret)
{
	if (j->err == 0)
		j->err = ret;
	return j->err;
}

int gw_journal_append(struct gw_journal *j, struct gw_journal_rec *r)
{
	int ret;

	if (j->err != 0)
		return j->err;
	if (j->nbuf == GW_JOURNAL_BUF_RECS) {
		ret = write_all(j);
		if (ret != 0)
			return fail(j, ret);
	}
	r->seq = j->next_seq++;
	gw_journal_encode(j->buf + j->nbuf * GW_JOURNAL_REC_LEN, r);
	j->nbuf++;
	return 0;
}

int gw_journal_commit(struct gw_journal *j, uint64_t now_ns)
{
	int ret;

	if (j->err != 0)
		return j->err;
	if (j->nbuf > 0) {
		ret = write_all(j);
		if (ret != 0)
			return fail(j, ret);
	}
	if (j->synced == j->written || j->policy == GW_FSYNC_NONE)
		return 0;
	if (j->policy == GW_FSYNC_BATCH &&
	    now_ns - j->last_sync_ns < j->batch_ns)
		return 0;
	ret = sync_now(j, now_ns);
	return ret != 0 ? fail(j, ret) : 0;
}

int gw_journal_tick(struct gw_journal *j, uint64_t now_ns)
{
	int ret;

	if (j->err != 0)
		return j->err;
	if (j->policy != GW_FSYNC_BATCH || j->synced == j->written ||
	    now_ns - j->last_sync_ns < j->batch_ns)
		return 0;
	ret = sync_now(j, now_ns);
	return ret != 0 ? fail(j, ret) : 0;
}

uint64_t gw_journal_written(const struct gw_journal *j)
{
	return j->written;
}

uint64_t gw_journal_synced(const struct gw_journal *j)
{
	return j->synced;
}

int gw_journal_close(struct gw_journal *j)
{
	int ret = 0;

	if (j == NULL)
		return 0;
	if (j->err == 0 && j->nbuf > 0)
		ret = write_all(j);
	if (ret == 0 && j->err == 0 && j->policy != GW_FSYNC_NONE &&
	    fdatasync(j->fd) != 0)
		ret = -errno;
	if (close(j->fd) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0)
		ret = j->err;
	free(j);
	return ret;
}
