/*
 * The secrets command.  A batch is staged in a private Redis hash and
 * moved into place by one script, so that it is written whole or not at
 * all, and a pending secret is replaced only when the operator asks.
 * Lines are written with write(2) from a buffer this file wipes, so no
 * copy of a secret lingers in a stdio buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gw_sessrec.h"
#include "gw_util.h"
#include "secrets.h"
#include "store.h"

#define SECRET_BYTES 32
/* Commands pipelined before their replies are read: bounds the memory a
 * large batch takes on both ends. */
#define CHUNK 512
/* A staging hash left by a command cut short goes away by itself. */
#define STAGING_TTL_S 3600
/* The commit runs inside Redis and takes about a second per few hundred
 * thousand ids; Redis answers nothing else meanwhile, which is the cost
 * of a batch that cannot be half written. */
#define COMMIT_TIMEOUT_S 120

/*
 * KEYS[1]: the staging hash, id -> hash of its secret.
 * ARGV[1]: the enrollment key prefix; ARGV[2]: "1" to replace pending
 * secrets.  Returns {written 0/1, ids that had a pending secret, one of
 * them}.  The staging hash is gone afterwards either way.
 */
static const char commit_lua[] =
    "local t = redis.call('HGETALL', KEYS[1]) "
    "local taken, first = 0, '' "
    "for i = 1, #t, 2 do "
    "  if redis.call('EXISTS', ARGV[1] .. t[i]) == 1 then "
    "    taken = taken + 1 "
    "    if first == '' then first = t[i] end "
    "  end "
    "end "
    "if taken > 0 and ARGV[2] ~= '1' then "
    "  redis.call('UNLINK', KEYS[1]) "
    "  return {0, taken, first} "
    "end "
    "for i = 1, #t, 2 do "
    "  redis.call('SET', ARGV[1] .. t[i], t[i + 1]) "
    "end "
    "redis.call('UNLINK', KEYS[1]) "
    "return {1, taken, first}";

static int make_id(const char *single, const char *prefix, unsigned long i,
		   char *id, size_t idlen)
{
	int n;

	if (single)
		n = snprintf(id, idlen, "%s", single);
	else
		n = snprintf(id, idlen, "%s%04lu", prefix, i);
	if (n < 0 || (size_t)n >= idlen || gw_merchant_id_check(id))
		return -EINVAL;
	return 0;
}

/* A batch: its ids, its staging key, and the ids found taken. */
struct batch {
	const char *single, *prefix;
	unsigned long count;
	char staging[48];
	unsigned long taken; /* ids that have a pending secret */
	char first_taken[GW_MERCHANT_ID_MAX + 1];
};

/* Reads @n replies; 0 when none was an error.  With @b, they answer
 * EXISTS for ids @from onwards: those equal to 1 are counted in @b, the
 * first one named. */
static int replies(redisContext *rc, int n, struct batch *b, unsigned long from)
{
	redisReply *r;
	int ret = 0;

	for (int i = 0; i < n; i++) {
		if (redisGetReply(rc, (void **)&r) != REDIS_OK)
			return -EIO;
		if (!r || r->type == REDIS_REPLY_ERROR)
			ret = -EIO;
		else if (b && r->type == REDIS_REPLY_INTEGER &&
			 r->integer == 1 && b->taken++ == 0)
			make_id(b->single, b->prefix, from + (unsigned long)i,
				b->first_taken, sizeof(b->first_taken));
		freeReplyObject(r);
	}
	return ret;
}

/* Counts the ids that have a pending secret, naming the first, so that
 * a refused batch is refused before any secret is made.  The commit
 * checks again, atomically. */
static int look(redisContext *rc, struct batch *b)
{
	char id[GW_MERCHANT_ID_MAX + 1];
	unsigned long i, from = 1;
	int ret = 0;

	for (i = 1; i <= b->count && ret == 0; i++) {
		make_id(b->single, b->prefix, i, id, sizeof(id));
		redisAppendCommand(rc, "EXISTS %s%s", GW_REDIS_ENROLL_PREFIX,
				   id);
		if (i % CHUNK && i != b->count)
			continue;
		ret = replies(rc, (int)(i - from + 1), b, from);
		from = i + 1;
	}
	return ret;
}

/* One secret for @id: written in clear to @fd, its hash pipelined into
 * the staging hash. */
static int stage_one(redisContext *rc, int fd, const char *staging,
		     const char *id)
{
	uint8_t raw[SECRET_BYTES];
	char secret[2 * SECRET_BYTES + 1];
	char hash[GW_SHA256_HEX];
	char line[GW_MERCHANT_ID_MAX + sizeof(secret) + 2];
	int ret = -EIO;
	int n;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		goto out;
	gw_hex_encode(raw, sizeof(raw), secret);
	if (gw_store_hash_secret(secret, hash))
		goto out;
	n = snprintf(line, sizeof(line), "%s %s\n", id, secret);
	if (n <= 0 || write(fd, line, n) != n)
		goto out;
	redisAppendCommand(rc, "HSET %s %s %s", staging, id, hash);
	ret = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(line, sizeof(line));
	return ret;
}

/* Writes the file and the staging hash, then syncs the file: once the
 * commit succeeds, the file must not be lost. */
static int stage(redisContext *rc, int fd, const struct batch *b)
{
	char id[GW_MERCHANT_ID_MAX + 1];
	unsigned long i, from = 1;
	int ret = 0;

	for (i = 1; i <= b->count && ret == 0; i++) {
		make_id(b->single, b->prefix, i, id, sizeof(id));
		ret = stage_one(rc, fd, b->staging, id);
		if (ret == 0 && i == 1)
			redisAppendCommand(rc, "EXPIRE %s %d", b->staging,
					   STAGING_TTL_S);
		if (ret || (i % CHUNK && i != b->count))
			continue;
		ret = replies(rc, (int)(i - from + 1 + (from == 1)), NULL, 0);
		from = i + 1;
	}
	/* Replies owed for what was pipelined before a failure. */
	if (ret && i - 1 > from)
		replies(rc, (int)(i - 1 - from + (from == 1)), NULL, 0);
	if (ret == 0 && fsync(fd))
		ret = -EIO;
	return ret;
}

/* Moves the staging hash into place: 0, -EBUSY (an id had a pending
 * secret and @replace is off; nothing written), or -ENXIO when Redis did
 * not answer and the batch may or may not be in place. */
static int commit(redisContext *rc, struct batch *b, int replace)
{
	struct timeval slow = {.tv_sec = COMMIT_TIMEOUT_S};
	redisReply *r;
	int ret = -ENXIO;

	redisSetTimeout(rc, slow);
	r = redisCommand(rc, "EVAL %s 1 %s %s %s", commit_lua, b->staging,
			 GW_REDIS_ENROLL_PREFIX, replace ? "1" : "0");
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[1]->type == REDIS_REPLY_INTEGER &&
	    r->element[2]->type == REDIS_REPLY_STRING) {
		b->taken = (unsigned long)r->element[1]->integer;
		gw_printable(r->element[2]->str, r->element[2]->len,
			     b->first_taken, sizeof(b->first_taken));
		ret = r->element[0]->integer == 1 ? 0 : -EBUSY;
	} else if (r && r->type == REDIS_REPLY_ERROR) {
		ret = -EIO; /* the script did not run */
	}
	if (r)
		freeReplyObject(r);
	return ret;
}

/* Refuses a batch that would replace a pending secret unasked. */
static int refuse_taken(const struct batch *b)
{
	if (b->taken == 1)
		fprintf(
		    stderr,
		    "gw-control: merchant %s already has a pending enrollment secret; nothing written (--replace issues a new one, and the old one no longer enrolls)\n",
		    b->first_taken);
	else
		fprintf(
		    stderr,
		    "gw-control: merchant %s and %lu more already have pending enrollment secrets; nothing written (--replace issues new ones, and the old ones no longer enroll)\n",
		    b->first_taken, b->taken - 1);
	return -EBUSY;
}

static int staging_name(struct batch *b)
{
	uint8_t raw[8];
	char hex[2 * sizeof(raw) + 1];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	gw_hex_encode(raw, sizeof(raw), hex);
	snprintf(b->staging, sizeof(b->staging), "%sbatch:%s",
		 GW_REDIS_ENROLL_PREFIX, hex);
	return 0;
}

int gw_secrets_create(redisContext *rc, const char *single, const char *prefix,
		      unsigned long count, int replace, const char *out,
		      unsigned long *replaced)
{
	struct batch b = {.single = single, .prefix = prefix, .count = count};
	char id[GW_MERCHANT_ID_MAX + 1];
	unsigned long i;
	int ret;
	int fd;

	*replaced = 0;
	if (single)
		b.count = 1;
	/* Check every id first, so that a bad prefix creates nothing. */
	for (i = 1; i <= b.count; i++)
		if (make_id(single, prefix, i, id, sizeof(id)))
			return -EINVAL;
	ret = staging_name(&b);
	if (ret == 0)
		ret = look(rc, &b);
	if (ret)
		return ret;
	if (b.taken && !replace)
		return refuse_taken(&b);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = stage(rc, fd, &b);
	if (ret == 0)
		ret = commit(rc, &b, replace);
	/* stage() synced the file: a failing close cannot lose what Redis
	 * now holds. */
	close(fd);
	/* The file goes with a batch that is not in Redis, so that no secret
	 * is handed out that cannot enroll; after an unanswered commit it
	 * stays, as it may hold the only copy of live secrets. */
	if (ret && ret != -ENXIO)
		unlink(out);
	if (ret == -ENXIO)
		fprintf(
		    stderr,
		    "gw-control: Redis did not confirm the batch; %s is kept in case it was written: check its ids in Redis before issuing again\n",
		    out);
	else if (ret == -EBUSY)
		refuse_taken(&b);
	if (ret == 0)
		*replaced = b.taken;
	return ret;
}
