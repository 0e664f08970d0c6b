/*
 * Connecting to Redis and reading field lists out of its replies.  Only
 * the connection's settings and the reply's shape are known here.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "gw_redis.h"

redisContext *gw_redis_connect(const char *path, unsigned timeout_s, char *err,
			       size_t errlen)
{
	struct timeval tv = {.tv_sec = (time_t)timeout_s};
	redisContext *rc;

	rc = redisConnectUnixWithTimeout(path, tv);
	if (rc == NULL || rc->err) {
		snprintf(err, errlen, "cannot reach Redis at %s: %s", path,
			 rc ? rc->errstr : "out of memory");
		redisFree(rc);
		return NULL;
	}
	/* Without a command timeout a stalled Redis would stall the caller's
	 * loop for good. */
	redisSetTimeout(rc, tv);
	return rc;
}

const char *gw_redis_field(const redisReply *list, const char *name)
{
	size_t i;

	if (list == NULL || list->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < list->elements; i += 2)
		if (list->element[i]->type == REDIS_REPLY_STRING &&
		    list->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(list->element[i]->str, name) == 0)
			return list->element[i + 1]->str;
	return NULL;
}
