/*
 * The journal writer: one per worker, copying that worker's records into
 * preallocated, mapped segment files with no system call on the worker's
 * path, and the journal thread's side of it (syncing, preparing the next
 * segment, releasing full ones).  Record encoding is journal_rec.c's,
 * segment files journal_seg.c's, reading back journal_read.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_int.h"

#define REC	  GW_JOURNAL_REC_LEN
#define NS_PER_MS 1000000ull

static int error_of(const struct gw_journal *j)
{
	return __atomic_load_n(&j->err, __ATOMIC_ACQUIRE);
}

/*
 * After a failed sync the kernel may have dropped the dirty pages, and
 * after a failed rollover the records have nowhere to go; either way
 * later records could not be trusted to follow, so the journal stops.
 */
static int fail(struct gw_journal *j, int rc)
{
	int none = 0;

	__atomic_compare_exchange_n(&j->err, &none, rc, false, __ATOMIC_RELEASE,
				    __ATOMIC_RELAXED);
	return error_of(j);
}

/* Offset just after the last non-zero byte of @fd, 0 if there is none:
 * read backwards, as a preallocated segment ends in zeros. */
static int data_end(int fd, uint64_t size, uint64_t *end)
{
	uint8_t buf[64 * 1024];
	uint64_t hi = size;

	while (hi > 0) {
		size_t want = hi < sizeof(buf) ? (size_t)hi : sizeof(buf);
		ssize_t got = pread(fd, buf, want, (off_t)(hi - want));

		if (got != (ssize_t)want)
			return -EIO;
		for (size_t i = want; i > 0; i--) {
			if (buf[i - 1] != 0) {
				*end = hi - want + i;
				return 0;
			}
		}
		hi -= want;
	}
	*end = 0;
	return 0;
}

/*
 * The last record of the segment at @path, which must be whole and
 * valid.  A segment still at this journal's full size with zeros after
 * its records is the one a crashed run was filling: appends continue in
 * it, so that a crash does not cost a segment of disk.  Any other is
 * sealed, a zero tail cut off, and a new segment takes the appends.
 * 2 to continue in the segment (its record count in j->used), 1 when it
 * is sealed, 0 when it holds no record, or a negative errno with a
 * message in @err.
 */
static int seal(struct gw_journal *j, const char *path, char *err,
		size_t errlen)
{
	uint8_t raw[REC];
	struct gw_journal_rec r;
	uint64_t end, slot;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = data_end(fd, (uint64_t)st.st_size, &end);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot read the last record", path);
		goto out;
	}
	if (end == 0)
		goto out;
	slot = (end - 1) / REC * REC;
	if (slot + REC > (uint64_t)st.st_size) {
		snprintf(
		    err, errlen,
		    "%s: ends inside a record at byte %llu; replay the journal first",
		    path, (unsigned long long)st.st_size);
		rc = -EBADMSG;
		goto out;
	}
	if (pread(fd, raw, REC, (off_t)slot) != REC ||
	    gw_journal_decode(raw, &r) != 0) {
		snprintf(
		    err, errlen,
		    "%s: bad record at byte %llu; replay the journal first",
		    path, (unsigned long long)slot);
		rc = -EBADMSG;
		goto out;
	}
	j->next_seq = r.seq + 1;
	rc = 1;
	if ((uint64_t)st.st_size == j->seg_recs * REC &&
	    slot + REC < (uint64_t)st.st_size) {
		j->used = (slot + REC) / REC;
		rc = 2;
	} else if (slot + REC < (uint64_t)st.st_size &&
		   (ftruncate(fd, (off_t)(slot + REC)) != 0 ||
		    fdatasync(fd) != 0)) {
		snprintf(err, errlen, "%s: cannot cut the zero tail: %s", path,
			 strerror(errno));
		rc = -errno;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Finds where the last run stopped: segments after the last one holding
 * records are removed (spares prepared by a run that died), and that one
 * is continued or sealed (see seal).  j->next_index is the segment this
 * run appends to.
 */
static int resume(struct gw_journal *j, char *err, size_t errlen)
{
	char path[PATH_MAX];
	unsigned *idx;
	long n, i;
	int rc = 0;

	n = gw_jseg_list(j->dir, j->worker, &idx);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", j->dir, strerror((int)-n));
		return (int)n;
	}
	j->next_seq = 1;
	j->next_index = 0;
	for (i = n - 1; i >= 0; i--) {
		rc =
		    gw_jseg_path(j->dir, j->worker, idx[i], path, sizeof(path));
		if (rc == 0)
			rc = seal(j, path, err, errlen);
		if (rc != 0)
			break;
		unlink(path);
	}
	if (rc > 0) {
		j->next_index = idx[i] + (rc == 1);
		rc = 0;
	}
	free(idx);
	return rc;
}

struct gw_journal *gw_journal_open_seg(const char *dir, unsigned worker,
				       enum gw_fsync_policy policy,
				       uint32_t batch_ms, uint64_t seg_recs,
				       char *err, size_t errlen)
{
	struct gw_journal *j;
	int rc;

	if (dir == NULL || policy > GW_FSYNC_NONE || seg_recs == 0 ||
	    strlen(dir) >= sizeof(j->dir)) {
		snprintf(err, errlen, "journal: bad arguments");
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		snprintf(err, errlen, "journal: out of memory");
		return NULL;
	}
	pthread_mutex_init(&j->prep_lock, NULL);
	j->policy = policy;
	j->batch_ns = (uint64_t)(batch_ms ? batch_ms : 1) * NS_PER_MS;
	j->seg_recs = seg_recs;
	j->worker = worker;
	strcpy(j->dir, dir);
	if (resume(j, err, errlen) != 0)
		goto fail;
	j->written = j->durable = j->next_seq - 1;
	if (j->used > 0)
		j->cur =
		    gw_jseg_reopen(dir, worker, j->next_index, seg_recs, &rc);
	else
		j->cur =
		    gw_jseg_create(dir, worker, j->next_index, seg_recs, &rc);
	if (j->cur == NULL) {
		snprintf(err, errlen, "%s: cannot create segment %u: %s", dir,
			 j->next_index, strerror(-rc));
		goto fail;
	}
	j->next_index++;
	j->cur->first_seq = j->next_seq - j->used;
	j->active = j->cur;
	return j;
fail:
	pthread_mutex_destroy(&j->prep_lock);
	free(j);
	return NULL;
}

struct gw_journal *gw_journal_open(const char *dir, unsigned worker,
				   enum gw_fsync_policy policy,
				   uint32_t batch_ms, char *err, size_t errlen)
{
	return gw_journal_open_seg(dir, worker, policy, batch_ms,
				   GW_JOURNAL_SEG_RECS, err, errlen);
}

/* Under prep_lock: the spare, or a segment made now when there is none. */
static struct gw_jseg *take_spare(struct gw_journal *j, int *rc)
{
	struct gw_jseg *s;

	*rc = 0;
	s = __atomic_exchange_n(&j->spare, NULL, __ATOMIC_ACQUIRE);
	if (s != NULL)
		return s;
	s = gw_jseg_create(j->dir, j->worker, j->next_index, j->seg_recs, rc);
	if (s != NULL)
		j->next_index++;
	return s;
}

/*
 * The worker moves to the next segment.  With a spare ready this is a
 * pointer exchange; without one (the journal thread fell behind, or is
 * not running) the worker waits for the thread's preparation or does it
 * itself, system calls included, and counts a stall.
 */
static int roll(struct gw_journal *j, uint64_t first)
{
	struct gw_jseg *old = j->cur, *n, *head;
	int rc = 0;

	n = __atomic_exchange_n(&j->spare, NULL, __ATOMIC_ACQUIRE);
	if (n == NULL) {
		j->stalls++;
		pthread_mutex_lock(&j->prep_lock);
		n = take_spare(j, &rc);
		pthread_mutex_unlock(&j->prep_lock);
		if (n == NULL)
			return rc;
	}
	/* Under "always" nothing may be left unsynced behind the worker. */
	if (j->policy == GW_FSYNC_ALWAYS) {
		rc = gw_jseg_sync(old, j->durable, first - 1);
		if (rc != 0) {
			__atomic_store_n(&j->spare, n, __ATOMIC_RELEASE);
			return rc;
		}
	}
	old->last_seq = first - 1;
	n->first_seq = first;
	head = __atomic_load_n(&j->retired, __ATOMIC_RELAXED);
	do
		old->next = head;
	while (!__atomic_compare_exchange_n(
	    &j->retired, &head, old, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	j->cur = n;
	j->used = 0;
	__atomic_store_n(&j->active, n, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Copies the buffered records into the mapping, one record at a time in
 * order, and publishes them.  The compiler barrier keeps the copies in
 * that order, so that a crash leaves whole records and at most one
 * unfinished one after them, never a whole record after a torn one.
 */
static int copy_out(struct gw_journal *j)
{
	uint64_t seq = j->next_seq - j->nbuf;
	int rc;

	for (size_t i = 0; i < j->nbuf; i++, seq++) {
		if (j->used == j->cur->cap) {
			rc = roll(j, seq);
			if (rc != 0)
				return rc;
		}
		memcpy(j->cur->base + j->used * REC, j->buf + i * REC, REC);
		j->used++;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&j->written, j->next_seq - 1, __ATOMIC_RELEASE);
	j->nbuf = 0;
	return 0;
}

int gw_journal_append(struct gw_journal *j, struct gw_journal_rec *r)
{
	int rc = error_of(j);

	if (rc != 0)
		return rc;
	if (j->nbuf == GW_JOURNAL_BUF_RECS) {
		rc = copy_out(j);
		if (rc != 0)
			return fail(j, rc);
	}
	r->seq = j->next_seq++;
	gw_journal_encode(j->buf + j->nbuf * REC, r);
	j->nbuf++;
	return 0;
}

int gw_journal_commit(struct gw_journal *j, uint64_t now_ns)
{
	uint64_t w;
	int rc = error_of(j);

	if (rc != 0)
		return rc;
	if (j->nbuf > 0) {
		rc = copy_out(j);
		if (rc != 0)
			return fail(j, rc);
	}
	if (j->policy != GW_FSYNC_ALWAYS)
		return 0;
	w = j->next_seq - 1;
	if (j->durable == w)
		return 0;
	rc = gw_jseg_sync(j->cur, j->durable, w);
	if (rc != 0)
		return fail(j, rc);
	__atomic_store_n(&j->durable, w, __ATOMIC_RELEASE);
	return 0;
}

/* The segments the worker left, appended oldest first to j->full. */
static void drain(struct gw_journal *j)
{
	struct gw_jseg *s, *rev = NULL, **tail = &j->full;

	s = __atomic_exchange_n(&j->retired, NULL, __ATOMIC_ACQUIRE);
	while (s != NULL) {
		struct gw_jseg *next = s->next;

		s->next = rev;
		rev = s;
		s = next;
	}
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = rev;
}

/* Syncs every record written but not yet durable and publishes the new
 * durable position.  The journal thread's, or the closing thread's. */
static int sync_written(struct gw_journal *j)
{
	uint64_t w = __atomic_load_n(&j->written, __ATOMIC_ACQUIRE);
	uint64_t d = j->durable;
	struct gw_jseg *act, *s;
	int rc;

	if (w == d)
		return 0;
	/* The active segment is read before the retired ones are taken, so
	 * that a segment cannot leave the first place before reaching the
	 * second unseen. */
	act = __atomic_load_n(&j->active, __ATOMIC_ACQUIRE);
	drain(j);
	for (s = j->full; s != NULL; s = s->next)
		if ((rc = gw_jseg_sync(s, d, w)) != 0)
			return rc;
	rc = gw_jseg_sync(act, d, w);
	if (rc != 0)
		return rc;
	__atomic_store_n(&j->durable, w, __ATOMIC_RELEASE);
	return 0;
}

/* Full segments nobody needs mapped any more: synced, or never to be. */
static void release_full(struct gw_journal *j)
{
	uint64_t d = __atomic_load_n(&j->durable, __ATOMIC_ACQUIRE);
	struct gw_jseg *s;

	drain(j);
	while ((s = j->full) != NULL &&
	       (j->policy == GW_FSYNC_NONE || s->last_seq <= d)) {
		j->full = s->next;
		gw_jseg_free(s);
	}
}

static int keep_spare(struct gw_journal *j)
{
	struct gw_jseg *s;
	int rc = 0;

	if (__atomic_load_n(&j->spare, __ATOMIC_ACQUIRE) != NULL)
		return 0;
	pthread_mutex_lock(&j->prep_lock);
	if (__atomic_load_n(&j->spare, __ATOMIC_ACQUIRE) == NULL) {
		s = gw_jseg_create(j->dir, j->worker, j->next_index,
				   j->seg_recs, &rc);
		if (s != NULL) {
			j->next_index++;
			__atomic_store_n(&j->spare, s, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&j->prep_lock);
	return rc;
}

int gw_journal_tick(struct gw_journal *j, uint64_t now_ns)
{
	int rc = error_of(j);

	if (rc != 0)
		return rc;
	if (j->policy == GW_FSYNC_BATCH &&
	    now_ns - j->last_sync_ns >= j->batch_ns &&
	    __atomic_load_n(&j->written, __ATOMIC_ACQUIRE) != j->durable) {
		rc = sync_written(j);
		if (rc != 0)
			return fail(j, rc);
		j->last_sync_ns = now_ns;
	}
	release_full(j);
	/* A spare that cannot be made is not yet a failure: the worker has
	 * the rest of its segment, and the next tick tries again. */
	return keep_spare(j);
}

int gw_journal_flush(struct gw_journal *j)
{
	int rc = error_of(j);

	if (rc != 0 || j->policy == GW_FSYNC_NONE)
		return rc;
	rc = sync_written(j);
	return rc != 0 ? fail(j, rc) : 0;
}

uint64_t gw_journal_written(const struct gw_journal *j)
{
	return __atomic_load_n(&j->written, __ATOMIC_ACQUIRE);
}

uint64_t gw_journal_synced(const struct gw_journal *j)
{
	return __atomic_load_n(&j->durable, __ATOMIC_ACQUIRE);
}

uint64_t gw_journal_stalls(const struct gw_journal *j)
{
	return j->stalls;
}

int gw_journal_error(const struct gw_journal *j)
{
	return error_of(j);
}

/* The active segment keeps only its records: the next start begins a
 * new segment after it. */
static int seal_active(struct gw_journal *j)
{
	struct gw_jseg *s = j->cur;

	if (ftruncate(s->fd, (off_t)(j->used * REC)) != 0)
		return -errno;
	if (j->policy != GW_FSYNC_NONE && fdatasync(s->fd) != 0)
		return -errno;
	return 0;
}

int gw_journal_close(struct gw_journal *j)
{
	struct gw_jseg *s;
	int rc;

	if (j == NULL)
		return 0;
	rc = error_of(j);
	if (rc == 0 && j->nbuf > 0)
		rc = copy_out(j);
	if (rc == 0)
		rc = gw_journal_flush(j);
	if (rc == 0)
		rc = seal_active(j);
	drain(j);
	while ((s = j->full) != NULL) {
		j->full = s->next;
		gw_jseg_free(s);
	}
	gw_jseg_free(j->cur);
	s = __atomic_exchange_n(&j->spare, NULL, __ATOMIC_ACQUIRE);
	if (s != NULL)
		unlink(s->path);
	gw_jseg_free(s);
	pthread_mutex_destroy(&j->prep_lock);
	if (rc == 0)
		rc = error_of(j);
	free(j);
	return rc;
}
