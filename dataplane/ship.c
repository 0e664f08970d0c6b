/*
 * The shipper: per worker, a journal cursor and the sequence number of the
 * last record Redis holds.  Records go out as pipelined XADDs with the
 * explicit id "<seq>-0"; an id at or below the stream's last is refused by
 * Redis, which is what keeps a record from being shipped twice when this
 * process and Redis disagree about where shipping stopped.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "gw_util.h"
#include "journal.h"
#include "log.h"
#include "ship.h"

#define RECS_PER_READ  256
#define READS_PER_TICK 8
#define FIELDS	       19 /* name and value pairs in one entry */
#define ARGS	       (3 + 2 * FIELDS)
#define VALUE_MAX      48

struct stream {
	struct gw_journal_cursor *cur;
	const struct gw_journal *writer; /* bounds the cursor */
	uint64_t last_seq;		 /* the last record Redis holds */
	int stuck; /* the journal cannot be read: logged once */
	char key[32];
};

struct gw_ship {
	char path[256];
	char dir[PATH_MAX];
	redisContext *rc;
	uint64_t next_retry;
	uint64_t shipped;
	int warned; /* a refusal by Redis was logged */
	unsigned n;
	struct stream st[];
};

/* One XADD's arguments, formatted from a record. */
struct entry_args {
	const char *argv[ARGS];
	size_t len[ARGS];
	char val[ARGS][VALUE_MAX];
	int argc;
};

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static void put(struct entry_args *a, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void put(struct entry_args *a, const char *name, const char *fmt, ...)
{
	va_list ap;

	a->argv[a->argc] = name;
	a->len[a->argc] = strlen(name);
	a->argc++;
	va_start(ap, fmt);
	vsnprintf(a->val[a->argc], VALUE_MAX, fmt, ap);
	va_end(ap);
	a->argv[a->argc] = a->val[a->argc];
	a->len[a->argc] = strlen(a->val[a->argc]);
	a->argc++;
}

/* The record as text; the card appears as its token and masked form. */
static void format(struct entry_args *a, const char *key,
		   const struct gw_journal_rec *r)
{
	char tok[2 * GW_CARD_TOKEN_LEN + 1], code[3];

	a->argv[0] = "XADD";
	a->len[0] = 4;
	a->argv[1] = key;
	a->len[1] = strlen(key);
	snprintf(a->val[2], VALUE_MAX, "%" PRIu64 "-0", r->seq);
	a->argv[2] = a->val[2];
	a->len[2] = strlen(a->val[2]);
	a->argc = 3;
	gw_card_token_hex(r->token, tok);
	gw_wire_code_str(r->code, code);
	put(a, "seq", "%" PRIu64, r->seq);
	put(a, "worker", "%u", r->worker);
	put(a, "time_ns", "%" PRIu64, r->time_ns);
	put(a, "type", "%s", gw_journal_type_name(r->type));
	put(a, "code", "%s", code);
	put(a, "flags", "%u", r->flags);
	put(a, "session", "%" PRIu32, r->session_id);
	put(a, "merchant", "%s", r->merchant);
	put(a, "txn", "%" PRIu64, r->txn_id);
	put(a, "ref", "%" PRIu64, r->ref);
	put(a, "orig_ref", "%" PRIu64, r->orig_ref);
	put(a, "token", "%s", tok);
	put(a, "masked", "%s", r->masked);
	put(a, "amount", "%" PRIu64, r->amount);
	put(a, "applied", "%" PRIu64, r->applied);
	put(a, "balance", "%" PRIu64, r->balance);
	put(a, "currency", "%u", r->currency);
	put(a, "approval", "%s", r->approval);
	put(a, "digest", "%" PRIu32, r->digest);
}

static void lost(struct gw_ship *s)
{
	GW_LOG(
	    WARNING,
	    "journal shipping: lost Redis at %s: %s; journaling goes on, retrying every second",
	    s->path, s->rc->errstr);
	redisFree(s->rc);
	s->rc = NULL;
	s->next_retry = mono_s() + 1;
}

/* The sequence number in the stream's last id ("<seq>-0"), 0 if empty. */
static int stream_last(struct gw_ship *s, struct stream *t)
{
	redisReply *r;

	r = redisCommand(s->rc, "XREVRANGE %s + - COUNT 1", t->key);
	if (r == NULL)
		return -EIO;
	t->last_seq = 0;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2 &&
	    r->element[0]->element[0]->type == REDIS_REPLY_STRING)
		t->last_seq =
		    strtoull(r->element[0]->element[0]->str, NULL, 10);
	freeReplyObject(r);
	return 0;
}

/* Reopens the cursor just after the last record Redis holds. */
static int resume(struct gw_ship *s, struct stream *t, unsigned w)
{
	gw_journal_cursor_close(t->cur);
	t->cur =
	    gw_journal_cursor_open(s->dir, w, t->last_seq * GW_JOURNAL_REC_LEN);
	if (t->cur == NULL)
		return -errno;
	if (t->writer != NULL)
		gw_journal_cursor_follow(t->cur, t->writer);
	return 0;
}

static int connect_redis(struct gw_ship *s)
{
	struct timeval tv = {.tv_sec = 1};
	unsigned w;

	s->rc = redisConnectUnixWithTimeout(s->path, tv);
	if (s->rc == NULL || s->rc->err) {
		redisFree(s->rc);
		s->rc = NULL;
		return -EIO;
	}
	redisSetTimeout(s->rc, tv);
	for (w = 0; w < s->n; w++) {
		if (stream_last(s, &s->st[w]) != 0) {
			lost(s);
			return -EIO;
		}
		if (resume(s, &s->st[w], w) != 0)
			GW_LOG(WARNING,
			       "journal shipping: cannot open %s's journal",
			       s->st[w].key);
	}
	GW_LOG(INFO, "journal shipping to Redis at %s", s->path);
	return 0;
}

/* An XADD refused because the id is not above the stream's last: the
 * record is already there. */
static int already_there(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR &&
	       strstr(r->str, "equal or smaller") != NULL;
}

static void refused(struct gw_ship *s, struct stream *t, const redisReply *r)
{
	char msg[128];

	if (!s->warned) {
		gw_printable(r->str, r->len, msg, sizeof(msg));
		GW_LOG(WARNING,
		       "journal shipping: Redis refused a record of %s: %s",
		       t->key, msg);
	}
	s->warned = 1;
}

/*
 * Sends @n records as one pipeline and reads the answers.  The number of
 * records now in Redis, or -EIO when the connection failed; on any
 * refusal the cursor goes back to after the last record Redis holds.
 */
static long send_batch(struct gw_ship *s, struct stream *t, unsigned w,
		       const struct gw_journal_rec *recs, long n)
{
	struct entry_args a;
	redisReply *r;
	long i, sent = 0, done = 0;
	int bad = 0;

	for (i = 0; i < n; i++) {
		if (recs[i].seq <= t->last_seq)
			continue;
		format(&a, t->key, &recs[i]);
		redisAppendCommandArgv(s->rc, a.argc, a.argv, a.len);
		sent++;
	}
	for (i = 0; i < n && done < sent; i++) {
		if (recs[i].seq <= t->last_seq)
			continue;
		done++;
		if (redisGetReply(s->rc, (void **)&r) != REDIS_OK)
			return -EIO;
		if (r->type != REDIS_REPLY_ERROR) {
			s->shipped++;
			t->last_seq = recs[i].seq;
		} else if (already_there(r) && !bad) {
			t->last_seq = recs[i].seq;
		} else {
			refused(s, t, r);
			bad = 1;
		}
		freeReplyObject(r);
	}
	if (bad && (stream_last(s, t) != 0 || resume(s, t, w) != 0))
		return -EIO;
	return sent;
}

/* Ships what worker @w wrote since the last call.  -EIO: Redis lost. */
static int ship_worker(struct gw_ship *s, unsigned w)
{
	struct gw_journal_rec recs[RECS_PER_READ];
	struct stream *t = &s->st[w];
	long n;
	int i;

	if (t->cur == NULL && resume(s, t, w) != 0)
		return 0;
	for (i = 0; i < READS_PER_TICK; i++) {
		n = gw_journal_cursor_read(t->cur, recs, RECS_PER_READ);
		if (n < 0) {
			if (!t->stuck)
				GW_LOG(
				    ERR,
				    "journal shipping: %s's journal has a bad record at byte %" PRIu64
				    "; shipping of it stops",
				    t->key, gw_journal_cursor_pos(t->cur));
			t->stuck = 1;
			return 0;
		}
		if (n == 0)
			return 0;
		if (send_batch(s, t, w, recs, n) < 0)
			return -EIO;
		if (n < RECS_PER_READ)
			return 0;
	}
	return 0;
}

struct gw_ship *gw_ship_new(const char *path, const char *dir,
			    unsigned nb_workers)
{
	struct gw_ship *s;
	unsigned w;

	s = calloc(1, sizeof(*s) + nb_workers * sizeof(s->st[0]));
	if (s == NULL)
		return NULL;
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->n = nb_workers;
	for (w = 0; w < nb_workers; w++)
		snprintf(s->st[w].key, sizeof(s->st[w].key),
			 GW_SHIP_STREAM_PREFIX "%u", w);
	return s;
}

void gw_ship_tick(struct gw_ship *s)
{
	unsigned w;

	if (s->rc == NULL) {
		if (mono_s() < s->next_retry)
			return;
		s->next_retry = mono_s() + 1;
		if (connect_redis(s) != 0)
			return;
	}
	for (w = 0; w < s->n; w++) {
		if (s->st[w].stuck)
			continue;
		if (ship_worker(s, w) != 0) {
			lost(s);
			return;
		}
	}
}

void gw_ship_follow(struct gw_ship *s, unsigned w, const struct gw_journal *j)
{
	if (w >= s->n)
		return;
	s->st[w].writer = j;
	if (s->st[w].cur != NULL)
		gw_journal_cursor_follow(s->st[w].cur, j);
}

/* Segments are preallocated, so their sizes say nothing: the backlog
 * comes from the writers' published positions. */
void gw_ship_counts(const struct gw_ship *s, uint64_t *shipped,
		    uint64_t *backlog)
{
	uint64_t recs;
	unsigned w;

	*shipped = s->shipped;
	*backlog = 0;
	for (w = 0; w < s->n; w++) {
		if (s->st[w].writer == NULL)
			continue;
		recs = gw_journal_written(s->st[w].writer);
		if (recs > s->st[w].last_seq)
			*backlog += recs - s->st[w].last_seq;
	}
}

void gw_ship_free(struct gw_ship *s)
{
	unsigned w;

	if (s == NULL)
		return;
	for (w = 0; w < s->n; w++)
		gw_journal_cursor_close(s->st[w].cur);
	redisFree(s->rc);
	free(s);
}
