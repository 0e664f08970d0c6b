/*
 * Reading the journal back: the start-up replay, which checks every
 * worker's file, repairs a torn end and merges the files in time order,
 * and the shipper's cursor, which follows one file while it grows.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

#define CHUNK_RECS 64
#define MAX_FILES  256

/* One worker's file during replay. */
struct source {
	unsigned worker;
	int fd;
	uint64_t len;  /* bytes of valid records */
	uint64_t next; /* offset of the next undelivered record */
	size_t have, used;
	bool live; /* rec holds the next record in time order */
	struct gw_journal_rec rec;
	uint8_t buf[CHUNK_RECS * GW_JOURNAL_REC_LEN];
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

static bool journal_name(const char *name, unsigned *worker)
{
	char *end;
	unsigned long n;

	if (strncmp(name, "worker-", 7) != 0 || name[7] < '0' || name[7] > '9')
		return false;
	n = strtoul(name + 7, &end, 10);
	if (strcmp(end, ".journal") != 0 || n >= MAX_FILES)
		return false;
	*worker = (unsigned)n;
	return true;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

/* The workers that have a journal in @dir, in ascending order. */
static long list_workers(const char *dir, unsigned out[MAX_FILES])
{
	struct dirent *de;
	long n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL)
		if (n < MAX_FILES && journal_name(de->d_name, &out[n]))
			n++;
	closedir(d);
	qsort(out, (size_t)n, sizeof(out[0]), cmp_unsigned);
	return n;
}

/*
 * Finds the longest prefix of valid records in sequence.  What follows is
 * a torn end when it holds no whole record after the first bad one: the
 * bad record is the one a crash interrupted.  Anything longer is damage.
 */
static int scan(struct source *s, uint64_t size, char *msg, size_t msglen)
{
	uint64_t off = 0, seq = 0;
	struct gw_journal_rec r;

	while (off + GW_JOURNAL_REC_LEN <= size) {
		size_t want = CHUNK_RECS * GW_JOURNAL_REC_LEN;
		ssize_t got;

		if (size - off < want)
			want = (size_t)((size - off) / GW_JOURNAL_REC_LEN *
					GW_JOURNAL_REC_LEN);
		got = pread(s->fd, s->buf, want, (off_t)off);
		if (got != (ssize_t)want)
			return -EIO;
		for (size_t i = 0; i < want; i += GW_JOURNAL_REC_LEN) {
			if (gw_journal_decode(s->buf + i, &r) != 0 ||
			    (seq != 0 && r.seq != seq + 1))
				goto stop;
			seq = r.seq;
			off += GW_JOURNAL_REC_LEN;
		}
	}
stop:
	s->len = off;
	if (size - off >= 2 * GW_JOURNAL_REC_LEN) {
		say(msg, msglen,
		    "%s: bad record at byte %llu with more records after it",
		    s->path, (unsigned long long)off);
		return -EBADMSG;
	}
	return 0;
}

static int repair(struct source *s, uint64_t size, char *msg, size_t msglen)
{
	if (size == s->len)
		return 0;
	if (ftruncate(s->fd, (off_t)s->len) != 0 || fdatasync(s->fd) != 0)
		return -errno;
	say(msg, msglen,
	    "%s: dropped a torn record at byte %llu (%llu bytes); file truncated to %llu bytes",
	    s->path, (unsigned long long)s->len,
	    (unsigned long long)(size - s->len), (unsigned long long)s->len);
	return 0;
}

static int source_open(struct source *s, const char *dir, unsigned worker,
		       char *msg, size_t msglen)
{
	struct stat st;
	int ret;

	s->worker = worker;
	if (gw_journal_path(dir, worker, s->path, sizeof(s->path)) != 0)
		return -ENAMETOOLONG;
	s->fd = open(s->path, O_RDWR | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st) != 0) {
		ret = -errno;
		say(msg, msglen, "%s: %s", s->path, strerror(-ret));
		return ret;
	}
	ret = scan(s, (uint64_t)st.st_size, msg, msglen);
	if (ret == 0)
		ret = repair(s, (uint64_t)st.st_size, msg, msglen);
	return ret;
}

/* Loads the next record of @s into s->rec, refilling the buffer. */
static int advance(struct source *s)
{
	if (s->used == s->have) {
		uint64_t left = s->len - s->next;
		size_t want = CHUNK_RECS * GW_JOURNAL_REC_LEN;

		s->live = false;
		if (left == 0)
			return 0;
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
	s->used += GW_JOURNAL_REC_LEN;
	s->next += GW_JOURNAL_REC_LEN;
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
static long merge(struct source *src, long n, gw_journal_cb cb, void *arg)
{
	long count = 0;
	int ret;

	for (long i = 0; i < n; i++)
		if ((ret = advance(&src[i])) != 0)
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
		if ((ret = advance(best)) != 0)
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
	for (i = 0; i < n; i++)
		src[i].fd = -1;
	for (i = 0, ret = 0; i < n && ret == 0; i++)
		ret = source_open(&src[i], dir, workers[i], msg, msglen);
	if (ret == 0)
		ret = merge(src, n, cb, arg);
	for (i = 0; i < n; i++)
		if (src[i].fd >= 0)
			close(src[i].fd);
	free(src);
	return ret;
}

struct gw_journal_cursor {
	int fd;
	uint64_t pos;
};

struct gw_journal_cursor *
gw_journal_cursor_open(const char *dir, unsigned worker, uint64_t offset)
{
	char path[PATH_MAX];
	struct gw_journal_cursor *c;

	if (dir == NULL || offset % GW_JOURNAL_REC_LEN != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (gw_journal_path(dir, worker, path, sizeof(path)) != 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		int saved = errno;

		free(c);
		errno = saved;
		return NULL;
	}
	c->pos = offset;
	return c;
}

void gw_journal_cursor_close(struct gw_journal_cursor *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c);
}

uint64_t gw_journal_cursor_pos(const struct gw_journal_cursor *c)
{
	return c->pos;
}

/*
 * The writer extends the file one write() at a time, so a record can be
 * seen half written only within the last write: at most a buffer's worth
 * of records from the end.  A bad record further back is real damage.
 */
static long bad_record(const struct gw_journal_cursor *c, uint64_t size,
		       long count)
{
	if (count > 0)
		return count;
	if (size - c->pos >
	    (uint64_t)(GW_JOURNAL_BUF_RECS + 1) * GW_JOURNAL_REC_LEN)
		return -EBADMSG;
	return 0;
}

long gw_journal_cursor_read(struct gw_journal_cursor *c,
			    struct gw_journal_rec *out, size_t max)
{
	uint8_t buf[CHUNK_RECS * GW_JOURNAL_REC_LEN];
	struct stat st;
	long count = 0;

	if (fstat(c->fd, &st) != 0)
		return -errno;
	while ((size_t)count < max &&
	       c->pos + GW_JOURNAL_REC_LEN <= (uint64_t)st.st_size) {
		uint64_t avail =
		    ((uint64_t)st.st_size - c->pos) / GW_JOURNAL_REC_LEN;
		size_t n = max - (size_t)count;
		ssize_t got;

		if (n > avail)
			n = (size_t)avail;
		if (n > CHUNK_RECS)
			n = CHUNK_RECS;
		got = pread(c->fd, buf, n * GW_JOURNAL_REC_LEN, (off_t)c->pos);
		if (got < 0)
			return count > 0 ? count : -errno;
		n = (size_t)got / GW_JOURNAL_REC_LEN;
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			if (gw_journal_decode(buf + i * GW_JOURNAL_REC_LEN,
					      &out[count]) != 0)
				return bad_record(c, (uint64_t)st.st_size,
						  count);
			count++;
			c->pos += GW_JOURNAL_REC_LEN;
		}
	}
	return count;
}
