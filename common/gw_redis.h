/*
 * Small hiredis helpers the programs share: a unix-socket connection with
 * one timeout for connecting and for every command, and field lookup in a
 * HGETALL or stream-entry reply.  What is stored where is left to the
 * modules that read it (gw_redis_sessions.h, the settlement reader).
 */
#ifndef GW_REDIS_H
#define GW_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

/*
 * Connects to the Redis at unix socket @path; @timeout_s bounds the
 * connection and each later command.  NULL with "cannot reach Redis at
 * <path>: <reason>" in @err.  The caller frees the context with
 * redisFree.
 */
redisContext *gw_redis_connect(const char *path, unsigned timeout_s, char *err,
			       size_t errlen);

/*
 * The value of field @name in @list, a flat array of name and value
 * strings as HGETALL and stream entries return them, or NULL when @list is
 * not an array or holds no such field.  The string belongs to @list.
 */
const char *gw_redis_field(const redisReply *list, const char *name);

#endif
