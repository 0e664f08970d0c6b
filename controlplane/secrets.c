/*
 * The secrets command.  A batch goes to Redis in one MULTI/EXEC under
 * WATCH, so that it is written whole or not at all, and a pending secret
 * is replaced only when the operator asks.  Lines are written with
 * write(2) from a buffer this file wipes, so no copy of a secret lingers
 * in a stdio buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

/* What a batch is about: its ids, and what the look at Redis found. */
struct batch {
	const char *single, *prefix;
	unsigned long count;
	unsigned long taken; /* ids that have a pending secret */
	char first_taken[GW_MERCHANT_ID_MAX + 1];
};

/* Reads @n replies; 0 when each was a reply of type @type (any type
 * when 0).  Counts in @b the integer replies equal to 1, naming the first
 * such id, for the EXISTS of ids @from onwards. */
static int replies(redisContext *rc, int n, int type, struct batch *b,
		   unsigned long from)
{
	redisReply *r;
	int ret = 0;

	for (int i = 0; i < n; i++) {
		if (redisGetReply(rc, (void **)&r) != REDIS_OK)
			return -EIO;
		if (!r || r->type == REDIS_REPLY_ERROR ||
		    (type && r->type != type))
			ret = -EIO;
		else if (b && r->type == REDIS_REPLY_INTEGER &&
			 r->integer == 1 && b->taken++ == 0)
			make_id(b->single, b->prefix, from + (unsigned long)i,
				b->first_taken, sizeof(b->first_taken));
		freeReplyObject(r);
	}
	return ret;
}

/* WATCHes every id of the batch and counts those with a pending secret.
 * The watch makes EXEC fail should any of them change before it. */
static int look(redisContext *rc, struct batch *b)
{
	char id[GW_MERCHANT_ID_MAX + 1];
	unsigned long i, from = 1;
	int ret = 0;

	for (i = 1; i <= b->count && ret == 0; i++) {
		make_id(b->single, b->prefix, i, id, sizeof(id));
		redisAppendCommand(rc, "WATCH %s%s", GW_REDIS_ENROLL_PREFIX,
				   id);
		if (i % CHUNK && i != b->count)
			continue;
		ret = replies(rc, (int)(i - from + 1), REDIS_REPLY_STATUS, NULL,
			      0);
		from = i + 1;
	}
	from = 1;
	for (i = 1; i <= b->count && ret == 0; i++) {
		make_id(b->single, b->prefix, i, id, sizeof(id));
		redisAppendCommand(rc, "EXISTS %s%s", GW_REDIS_ENROLL_PREFIX,
				   id);
		if (i % CHUNK && i != b->count)
			continue;
		ret = replies(rc, (int)(i - from + 1), REDIS_REPLY_INTEGER, b,
			      from);
		from = i + 1;
	}
	return ret;
}

/* One secret for @id: written in clear to @fd, its hash queued in the
 * open transaction on @rc. */
static int queue_one(redisContext *rc, int fd, const char *id)
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
	redisAppendCommand(rc, "SET %s%s %s", GW_REDIS_ENROLL_PREFIX, id, hash);
	ret = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(line, sizeof(line));
	return ret;
}

/* Writes the file and queues the batch inside MULTI; on success the
 * caller EXECs.  Any failure leaves the transaction open for DISCARD. */
static int fill(redisContext *rc, int fd, const struct batch *b)
{
	char id[GW_MERCHANT_ID_MAX + 1];
	unsigned long i, from = 1;
	int ret;

	redisAppendCommand(rc, "MULTI");
	ret = replies(rc, 1, REDIS_REPLY_STATUS, NULL, 0);
	for (i = 1; i <= b->count && ret == 0; i++) {
		make_id(b->single, b->prefix, i, id, sizeof(id));
		ret = queue_one(rc, fd, id);
		if (ret || (i % CHUNK && i != b->count))
			continue;
		ret = replies(rc, (int)(i - from + 1), REDIS_REPLY_STATUS, NULL,
			      0);
		from = i + 1;
	}
	/* Replies still owed for the commands queued before a failure. */
	if (ret && i - 1 >= from)
		replies(rc, (int)(i - 1 - from), 0, NULL, 0);
	if (ret == 0 && fsync(fd))
		ret = -EIO;
	return ret;
}

/* EXEC: 0 when the batch is written, -EAGAIN when a watched id changed
 * meanwhile (nothing written), -EIO when Redis did not answer. */
static int commit(redisContext *rc)
{
	redisReply *r = redisCommand(rc, "EXEC");
	int ret = -EIO;

	if (r && r->type == REDIS_REPLY_ARRAY)
		ret = 0;
	else if (r && r->type == REDIS_REPLY_NIL)
		ret = -EAGAIN;
	if (r)
		freeReplyObject(r);
	return ret;
}

/* Sends @cmd, whose answer does not matter: the transaction it ends is
 * gone anyway should the connection be. */
static void quietly(redisContext *rc, const char *cmd)
{
	redisReply *r = redisCommand(rc, cmd);

	if (r)
		freeReplyObject(r);
}

/* Refuses a batch that would replace a pending secret unasked. */
static int refuse_taken(redisContext *rc, const struct batch *b)
{
	quietly(rc, "UNWATCH");
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

/* Writes the file and the batch; 0, -EAGAIN, -EIO, or -ENXIO when EXEC
 * went unanswered and the batch may or may not be in Redis. */
static int write_batch(redisContext *rc, int fd, const struct batch *b)
{
	int ret = fill(rc, fd, b);

	if (ret) {
		quietly(rc, "DISCARD");
		return ret;
	}
	ret = commit(rc);
	return ret == -EIO && rc->err ? -ENXIO : ret;
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
	ret = look(rc, &b);
	if (ret)
		return ret;
	if (b.taken && !replace)
		return refuse_taken(rc, &b);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		quietly(rc, "UNWATCH");
		return ret;
	}
	/* fill() synced the file before EXEC: a failing close cannot lose
	 * what Redis now holds. */
	ret = write_batch(rc, fd, &b);
	close(fd);
	/* The file goes with a batch Redis refused, so that no secret is
	 * handed out that cannot enroll; after an unanswered EXEC it stays,
	 * as it may hold the only copy of live secrets. */
	if (ret && ret != -ENXIO)
		unlink(out);
	if (ret == -ENXIO)
		fprintf(
		    stderr,
		    "gw-control: Redis did not confirm the batch; %s is kept in case it was written: check its ids in Redis before issuing again\n",
		    out);
	else if (ret == -EAGAIN)
		fprintf(
		    stderr,
		    "gw-control: an enrollment secret of this batch changed in Redis meanwhile; nothing written, run the command again\n");
	if (ret == 0)
		*replaced = b.taken;
	return ret;
}
