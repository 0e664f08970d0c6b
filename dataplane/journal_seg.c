/*
 * The journal's segment files: their names, their creation (space on the
 * disk reserved and the whole file mapped), the range sync, and the scan
 * that tells a segment's valid records from a zero tail, a torn end or
 * damage.  What a writer or a reader does with them is theirs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_int.h"

#define REC	    GW_JOURNAL_REC_LEN
#define SCAN_RECS   64
#define ZERO_CHUNK  (64 * 1024)
#define WORKERS_MAX 256

int gw_jseg_path(const char *dir, unsigned worker, unsigned index, char *out,
		 size_t outlen)
{
	int n;

	if (index == 0)
		return gw_journal_path(dir, worker, out, outlen);
	n = snprintf(out, outlen, "%s/worker-%u.journal.%u", dir, worker,
		     index);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

/* A decimal number without sign or leading zero, ending at @end. */
static int number(const char *s, const char *end, unsigned long max,
		  unsigned *out)
{
	char *stop;
	unsigned long n;

	if (s >= end || *s < '0' || *s > '9' || (*s == '0' && end - s > 1))
		return -EINVAL;
	n = strtoul(s, &stop, 10);
	if (stop != end || n > max)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

int gw_jseg_parse(const char *name, unsigned *worker, unsigned *index)
{
	const char *dot, *suffix;

	if (strncmp(name, "worker-", 7) != 0)
		return -EINVAL;
	dot = strstr(name + 7, ".journal");
	if (dot == NULL || number(name + 7, dot, WORKERS_MAX - 1, worker) != 0)
		return -EINVAL;
	suffix = dot + 8;
	if (*suffix == '\0') {
		*index = 0;
		return 0;
	}
	/* Segment 0 has no suffix, so ".0" would name it twice. */
	if (*suffix != '.' ||
	    number(suffix + 1, suffix + strlen(suffix), 0xffffffu, index) !=
		0 ||
	    *index == 0)
		return -EINVAL;
	return 0;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

long gw_jseg_list(const char *dir, unsigned worker, unsigned **out)
{
	unsigned *idx = NULL, *grown, w, k;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	d = opendir(dir);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (gw_jseg_parse(de->d_name, &w, &k) != 0 || w != worker)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(idx, cap * sizeof(*idx));
			if (grown == NULL) {
				free(idx);
				closedir(d);
				return -ENOMEM;
			}
			idx = grown;
		}
		idx[n++] = k;
	}
	closedir(d);
	if (n > 1)
		qsort(idx, n, sizeof(*idx), cmp_unsigned);
	*out = idx;
	return (long)n;
}

int gw_jseg_nonzero(int fd, uint64_t from, uint64_t to, uint64_t *at)
{
	static __thread uint8_t buf[ZERO_CHUNK];

	while (from < to) {
		size_t want =
		    to - from < ZERO_CHUNK ? (size_t)(to - from) : ZERO_CHUNK;
		ssize_t got = pread(fd, buf, want, (off_t)from);

		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != 0) {
				*at = from + (uint64_t)i;
				return 0;
			}
		}
		from += (uint64_t)got;
	}
	*at = to;
	return 0;
}

/* The valid records in sequence from the start of the file. */
static int valid_prefix(int fd, uint64_t expect, struct gw_jseg_scan *sc)
{
	uint8_t buf[SCAN_RECS * REC];
	struct gw_journal_rec r;
	uint64_t off = 0;

	while (off + REC <= sc->size) {
		size_t want = SCAN_RECS * REC;
		ssize_t got;

		if (sc->size - off < want)
			want = (size_t)((sc->size - off) / REC * REC);
		got = pread(fd, buf, want, (off_t)off);
		if (got != (ssize_t)want)
			return -EIO;
		for (size_t i = 0; i < want; i += REC) {
			if (gw_journal_decode(buf + i, &r) != 0 ||
			    (expect != 0 && r.seq != expect))
				return 0;
			if (sc->first_seq == 0)
				sc->first_seq = r.seq;
			sc->last_seq = r.seq;
			expect = r.seq + 1;
			off += REC;
			sc->len = off;
		}
	}
	return 0;
}

/*
 * Records are copied into a segment one after another, so a crash leaves
 * at most one unfinished record, with nothing but the zeros of the
 * preallocated space after it.  Data further on cannot come from a crash.
 */
int gw_jseg_scan(int fd, uint64_t expect_seq, struct gw_jseg_scan *sc)
{
	struct stat st;
	uint64_t nz;
	int rc;

	memset(sc, 0, sizeof(*sc));
	if (fstat(fd, &st) != 0)
		return -errno;
	sc->size = (uint64_t)st.st_size;
	rc = valid_prefix(fd, expect_seq, sc);
	if (rc != 0)
		return rc;
	sc->tail = GW_JSEG_CLEAN;
	rc = gw_jseg_nonzero(fd, sc->len, sc->size, &nz);
	if (rc != 0 || nz == sc->size)
		return rc;
	if (nz >= sc->len + REC) {
		sc->tail = GW_JSEG_DAMAGED;
		return 0;
	}
	sc->torn_end = sc->len + REC < sc->size ? sc->len + REC : sc->size;
	rc = gw_jseg_nonzero(fd, sc->torn_end, sc->size, &nz);
	if (rc != 0)
		return rc;
	sc->tail = nz == sc->size ? GW_JSEG_TORN : GW_JSEG_DAMAGED;
	return 0;
}

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

/*
 * posix_fallocate reserves the blocks, so that a full disk is met here
 * and not as SIGBUS on the worker's first store to a page.  The file and
 * its directory entry are synced once now, so that later syncs of the
 * data need not carry the size and the name.
 */
static struct gw_jseg *make(const char *dir, unsigned worker, unsigned index,
			    uint64_t cap, int flags, int *rc)
{
	struct gw_jseg *s = calloc(1, sizeof(*s));
	size_t bytes = (size_t)(cap * REC);
	int r;

	if (s == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	s->fd = -1;
	s->base = MAP_FAILED;
	s->index = index;
	s->cap = cap;
	*rc = gw_jseg_path(dir, worker, index, s->path, sizeof(s->path));
	if (*rc != 0)
		goto fail;
	s->fd = open(s->path, O_RDWR | O_CLOEXEC | flags, 0600);
	if (s->fd < 0) {
		*rc = -errno;
		goto fail;
	}
	r = posix_fallocate(s->fd, 0, (off_t)bytes);
	if (r != 0) {
		*rc = -r;
		goto unlink;
	}
	if (fsync(s->fd) != 0 || sync_dir(dir) != 0) {
		*rc = -EIO;
		goto unlink;
	}
	s->base = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, s->fd, 0);
	if (s->base == MAP_FAILED) {
		*rc = -errno;
		goto unlink;
	}
	*rc = 0;
	return s;
unlink:
	if (flags & O_CREAT)
		unlink(s->path);
fail:
	gw_jseg_free(s);
	return NULL;
}

struct gw_jseg *gw_jseg_create(const char *dir, unsigned worker, unsigned index,
			       uint64_t cap, int *rc)
{
	return make(dir, worker, index, cap, O_CREAT | O_EXCL, rc);
}

/* The records already there were in the page cache only: the sync in
 * make() makes them durable before anything new is answered. */
struct gw_jseg *gw_jseg_reopen(const char *dir, unsigned worker, unsigned index,
			       uint64_t cap, int *rc)
{
	return make(dir, worker, index, cap, 0, rc);
}

void gw_jseg_free(struct gw_jseg *s)
{
	if (s == NULL)
		return;
	if (s->base != MAP_FAILED && s->base != NULL)
		munmap(s->base, (size_t)(s->cap * REC));
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int gw_jseg_sync(const struct gw_jseg *s, uint64_t from_seq, uint64_t to_seq)
{
	uint64_t lo = from_seq + 1, hi = to_seq, start, end;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uint8_t *p;

	if (s->first_seq == 0)
		return 0;
	if (lo < s->first_seq)
		lo = s->first_seq;
	if (hi > s->first_seq + s->cap - 1)
		hi = s->first_seq + s->cap - 1;
	if (lo > hi)
		return 0;
	start = (lo - s->first_seq) * REC;
	end = (hi - s->first_seq + 1) * REC;
	p = (uint8_t *)((uintptr_t)(s->base + start) & ~(page - 1));
	if (msync(p, (size_t)(s->base + end - p), MS_SYNC) != 0)
		return -errno;
	return 0;
}
