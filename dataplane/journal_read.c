/*
 * Reading the journal back: the start-up replay, which checks every
 * worker's segments, repairs a torn end and merges the workers in time
 * order, and the shipper's cursor, which follows one worker's segments
 * while they grow.  The rules for a segment's end are journal_seg.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_int.h"

#define REC	   GW_JOURNAL_REC_LEN
#define CHUNK_RECS 64
#define MAX_FILES  256

/* One worker's segments during replay. */
struct source {
	unsigned worker;
	unsigned *idx;	/* segment numbers */
	uint64_t *len;	/* bytes of valid records in each */
	long nseg, seg; /* segment being read */
	int fd;
	uint64_t next; /* offset of the next undelivered record in it */
	size_t have, used;
	bool live; /* rec holds the next record in time order */
	struct gw_journal_rec rec;
	uint8_t buf[CHUNK_RECS * REC];
	char path[PATH_MAX];
};

static void say(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends one line to @msg, keeping what is already there. */
static void say(char *msg, size_t msglen, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (msg == NULL || msglen == 0)
		return;
	used = strnlen(msg, msglen);
	if (used + 1 >= msglen)
		return;
	if (used > 0)
		msg[used++] = '\n';
	va_start(ap, fmt);
	vsnprintf(msg + used, msglen - used, fmt, ap);
	va_end(ap);
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

/* The workers that have a segment in @dir, in ascending order. */
static long list_workers(const char *dir, unsigned out[MAX_FILES])
{
	unsigned w, k, i;
	struct dirent *de;
	long n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (gw_jseg_parse(de->d_name, &w, &k) != 0)
			continue;
		for (i = 0; i < n && out[i] != w; i++)
			;
		if (i == n && n < MAX_FILES)
			out[n++] = w;
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(out[0]), cmp_unsigned);
	return n;
}

static void damaged(const char *path, uint64_t off, char *msg, size_t msglen)
{
	say(msg, msglen,
	    "%s: bad record at byte %llu with more records after it", path,
	    (unsigned long long)off);
}

static int repair(const char *path, const struct gw_jseg_scan *sc, char *msg,
		  size_t msglen)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)sc->len) != 0 || fdatasync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc != 0)
		return rc;
	say(msg, msglen,
	    "%s: dropped a torn record at byte %llu (%llu bytes); file truncated to %llu bytes",
	    path, (unsigned long long)sc->len,
	    (unsigned long long)(sc->torn_end - sc->len),
	    (unsigned long long)sc->len);
	return 0;
}

/*
 * Scans every segment of one worker in order.  A torn end may only be
 * the last thing holding data: a torn segment followed by one with
 * records is damage, as is damage within a segment.
 */
static int check(struct source *s, const char *dir, char *msg, size_t msglen)
{
	char torn_path[PATH_MAX] = "";
	struct gw_jseg_scan sc, torn = {0};
	uint64_t expect = 0;
	int fd, rc = 0;

	s->nseg = gw_jseg_list(dir, s->worker, &s->idx);
	if (s->nseg < 0)
		return (int)s->nseg;
	s->len = calloc((size_t)s->nseg + 1, sizeof(*s->len));
	if (s->len == NULL)
		return -ENOMEM;
	for (long i = 0; i < s->nseg && rc == 0; i++) {
		rc = gw_jseg_path(dir, s->worker, s->idx[i], s->path,
				  sizeof(s->path));
		if (rc != 0)
			break;
		fd = open(s->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			say(msg, msglen, "%s: %s", s->path, strerror(-rc));
			break;
		}
		rc = gw_jseg_scan(fd, expect, &sc);
		close(fd);
		if (rc != 0)
			break;
		if (torn_path[0] && (sc.len > 0 || sc.tail != GW_JSEG_CLEAN)) {
			damaged(torn_path, torn.len, msg, msglen);
			rc = -EBADMSG;
		} else if (sc.tail == GW_JSEG_DAMAGED) {
			damaged(s->path, sc.len, msg, msglen);
			rc = -EBADMSG;
		} else if (sc.tail == GW_JSEG_TORN) {
			torn = sc;
			strcpy(torn_path, s->path);
		}
		s->len[i] = sc.len;
		if (sc.len > 0)
			expect = sc.last_seq + 1;
	}
	if (rc == 0 && torn_path[0])
		rc = repair(torn_path, &torn, msg, msglen);
	return rc;
}

/* Opens the next segment of @s that holds records; false when none. */
static int next_segment(struct source *s, const char *dir)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	while (++s->seg < s->nseg) {
		if (s->len[s->seg] == 0)
			continue;
		if (gw_jseg_path(dir, s->worker, s->idx[s->seg], s->path,
				 sizeof(s->path)) != 0)
			return -ENAMETOOLONG;
		s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return -errno;
		s->next = 0;
		s->have = s->used = 0;
		return 1;
	}
	return 0;
}

/* Loads the next record of @s into s->rec, refilling the buffer. */
static int advance(struct source *s, const char *dir)
{
	int rc;

	while (s->used == s->have) {
		uint64_t left = s->seg >= 0 && s->seg < s->nseg
				    ? s->len[s->seg] - s->next
				    : 0;
		size_t want = CHUNK_RECS * REC;

		s->live = false;
		if (left == 0) {
			rc = next_segment(s, dir);
			if (rc <= 0)
				return rc;
			continue;
		}
		if (left < want)
			want = (size_t)left;
		if (pread(s->fd, s->buf, want, (off_t)s->next) != (ssize_t)want)
			return -EIO;
		s->have = want;
		s->used = 0;
	}
	/* The scan verified these bytes; a change since means trouble. */
	if (gw_journal_decode(s->buf + s->used, &s->rec) != 0)
		return -EIO;
	s->used += REC;
	s->next += REC;
	s->live = true;
	return 0;
}

static bool earlier(const struct gw_journal_rec *a,
		    const struct gw_journal_rec *b)
{
	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns;
	if (a->worker != b->worker)
		return a->worker < b->worker;
	return a->seq < b->seq;
}

/* Delivers all records of @src in time order. */
static long merge(struct source *src, long n, const char *dir, gw_journal_cb cb,
		  void *arg)
{
	long count = 0;
	int ret;

	for (long i = 0; i < n; i++)
		if ((ret = advance(&src[i], dir)) != 0)
			return ret;
	for (;;) {
		struct source *best = NULL;

		for (long i = 0; i < n; i++)
			if (src[i].live &&
			    (best == NULL || earlier(&src[i].rec, &best->rec)))
				best = &src[i];
		if (best == NULL)
			return count;
		ret = cb(&best->rec, arg);
		if (ret != 0)
			return ret;
		count++;
		if ((ret = advance(best, dir)) != 0)
			return ret;
	}
}

long gw_journal_replay(const char *dir, gw_journal_cb cb, void *arg, char *msg,
		       size_t msglen)
{
	unsigned workers[MAX_FILES];
	struct source *src = NULL;
	long n, i, ret;

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if (dir == NULL || cb == NULL)
		return -EINVAL;
	n = list_workers(dir, workers);
	if (n < 0) {
		say(msg, msglen, "%s: %s", dir, strerror((int)-n));
		return n;
	}
	src = calloc((size_t)n + 1, sizeof(*src));
	if (src == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		src[i].fd = -1;
		src[i].seg = -1;
		src[i].worker = workers[i];
	}
	for (i = 0, ret = 0; i < n && ret == 0; i++)
		ret = check(&src[i], dir, msg, msglen);
	if (ret == 0)
		ret = merge(src, n, dir, cb, arg);
	for (i = 0; i < n; i++) {
		if (src[i].fd >= 0)
			close(src[i].fd);
		free(src[i].idx);
		free(src[i].len);
	}
	free(src);
	return ret;
}
