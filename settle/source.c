/*
 * Reading decisions back: entries of the shipped streams, decoded from the
 * text fields the data plane's shipper wrote, and records of the journal
 * files through the shipper's own cursor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gw_redis.h"
#include "gw_util.h"
#include "source.h"

#define ENTRIES_PER_READ 1000
#define WORKERS_MAX	 256
#define KEY_PREFIX	 "gw:journal:"

/* Fields a shipper did not write read as empty, and so as zero. */
static const char *field(const redisReply *list, const char *name)
{
	const char *v = gw_redis_field(list, name);

	return v != NULL ? v : "";
}

static uint64_t num(const redisReply *list, const char *name)
{
	return strtoull(field(list, name), NULL, 10);
}

/* An entry's fields into @r.  -EINVAL when the type is not one we know. */
static int decode(const redisReply *f, struct gw_journal_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = gw_journal_type_parse(field(f, "type"));
	if (r->type == 0)
		return -EINVAL;
	r->seq = num(f, "seq");
	r->worker = (uint8_t)num(f, "worker");
	r->time_ns = num(f, "time_ns");
	r->code = (uint8_t)num(f, "code");
	r->flags = (uint16_t)num(f, "flags");
	r->session_id = (uint32_t)num(f, "session");
	r->txn_id = num(f, "txn");
	r->ref = num(f, "ref");
	r->orig_ref = num(f, "orig_ref");
	r->amount = num(f, "amount");
	r->applied = num(f, "applied");
	r->balance = num(f, "balance");
	r->currency = (uint16_t)num(f, "currency");
	r->digest = (uint32_t)num(f, "digest");
	snprintf(r->merchant, sizeof(r->merchant), "%s", field(f, "merchant"));
	snprintf(r->masked, sizeof(r->masked), "%s", field(f, "masked"));
	snprintf(r->approval, sizeof(r->approval), "%s", field(f, "approval"));
	if (gw_hex_decode(field(f, "token"), r->token, sizeof(r->token)) != 0)
		memset(r->token, 0, sizeof(r->token));
	return 0;
}

/* One XRANGE's worth after @from; the entries read, or a negative errno. */
static long read_some(redisContext *rc, const char *key, char *from,
		      size_t fromlen, settle_rec_fn fn, void *arg, int *cb_rc)
{
	struct gw_journal_rec rec;
	redisReply *r, *e;
	size_t i;
	long n = -EPROTO;

	r = redisCommand(rc, "XRANGE %s %s + COUNT %d", key, from,
			 ENTRIES_PER_READ);
	if (r == NULL)
		return -EIO;
	if (r->type != REDIS_REPLY_ARRAY)
		goto out;
	for (i = 0; i < r->elements; i++) {
		e = r->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			goto out;
		snprintf(from, fromlen, "(%s", e->element[0]->str);
		if (decode(e->element[1], &rec) != 0)
			continue;
		*cb_rc = fn(&rec, arg);
		if (*cb_rc != 0)
			break;
	}
	n = (long)r->elements;
out:
	freeReplyObject(r);
	return n;
}

static int read_stream(redisContext *rc, const char *key, settle_rec_fn fn,
		       void *arg)
{
	char from[64] = "-";
	int cb_rc = 0;
	long n;

	do {
		n = read_some(rc, key, from, sizeof(from), fn, arg, &cb_rc);
		if (n < 0)
			return (int)n;
		if (cb_rc != 0)
			return cb_rc;
	} while (n == ENTRIES_PER_READ);
	return 0;
}

int settle_from_redis(const char *path, settle_rec_fn fn, void *arg,
		      unsigned *streams, char *err, size_t errlen)
{
	char key[64];
	redisContext *rc;
	redisReply *r;
	unsigned w;
	int ret = 0;

	rc = gw_redis_connect(path, 5, err, errlen);
	if (rc == NULL)
		return -EIO;
	*streams = 0;
	/* The data plane names its streams by worker index, from 0 up. */
	for (w = 0; w < WORKERS_MAX && ret == 0; w++) {
		snprintf(key, sizeof(key), KEY_PREFIX "%u", w);
		r = redisCommand(rc, "EXISTS %s", key);
		if (r == NULL) {
			ret = -EIO;
			break;
		}
		if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
			(*streams)++;
			ret = read_stream(rc, key, fn, arg);
		}
		freeReplyObject(r);
	}
	if (ret < 0)
		snprintf(err, errlen, "reading the journal streams at %s: %s",
			 path, rc->err ? rc->errstr : strerror(-ret));
	redisFree(rc);
	return ret;
}

static int read_file(struct gw_journal_cursor *c, settle_rec_fn fn, void *arg)
{
	struct gw_journal_rec recs[256];
	long n, i;
	int rc;

	while ((n = gw_journal_cursor_read(c, recs, 256)) > 0)
		for (i = 0; i < n; i++)
			if ((rc = fn(&recs[i], arg)) != 0)
				return rc;
	return (int)n;
}

/* A directory the operator named must be one: a missing or mistyped one
 * would otherwise read as a day without decisions. */
static int check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, errlen, "%s: not a directory", dir);
	} else if (errno == ENOENT || errno == ENOTDIR) {
		snprintf(err, errlen, "%s: no such directory", dir);
	} else {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	}
	return -ENOENT;
}

int settle_from_journal(const char *dir, settle_rec_fn fn, void *arg, char *err,
			size_t errlen)
{
	struct gw_journal_cursor *c;
	unsigned w, found = 0;
	int rc;

	if (check_dir(dir, err, errlen))
		return -ENOENT;
	for (w = 0; w < WORKERS_MAX; w++) {
		c = gw_journal_cursor_open(dir, w, 0);
		if (c == NULL && errno == ENOENT)
			continue;
		if (c == NULL) {
			snprintf(err, errlen, "%s: journal of worker %u: %s",
				 dir, w, strerror(errno));
			return -errno;
		}
		found++;
		rc = read_file(c, fn, arg);
		if (rc == -EBADMSG)
			snprintf(
			    err, errlen,
			    "%s: journal of worker %u: bad record at byte %llu",
			    dir, w,
			    (unsigned long long)gw_journal_cursor_pos(c));
		gw_journal_cursor_close(c);
		if (rc != 0)
			return rc;
	}
	if (found == 0) {
		snprintf(err, errlen, "no journal files in %s", dir);
		return -ENOENT;
	}
	return 0;
}
