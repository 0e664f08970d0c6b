/*
 * Where settlement reads decisions: the journal streams the data plane
 * shipped to Redis, or the journal files themselves.  Either way every
 * record reaches one callback; totalling is batch.h's.
 */
#ifndef GW_SETTLE_SOURCE_H
#define GW_SETTLE_SOURCE_H

#include <stddef.h>

#include "journal.h"

/* Called per record; a nonzero return stops the reading and is returned. */
typedef int (*settle_rec_fn)(const struct gw_journal_rec *r, void *arg);

/*
 * Every entry of every gw:journal:<n> stream in the Redis at unix socket
 * @path, stream by stream in id order; how many streams there were goes
 * to *@streams.  None is no error: before the first decision is shipped
 * the batch is legitimately empty.  0, a callback's return, or a negative
 * errno with one line in @err.
 */
int settle_from_redis(const char *path, settle_rec_fn fn, void *arg,
		      unsigned *streams, char *err, size_t errlen);

/*
 * Every whole, valid record of the worker-<n>.journal files in @dir, file
 * by file.  Read only: a torn end is left for the data plane to repair.
 * A @dir that is missing, not a directory, or holds no journal file is
 * -ENOENT with one line in @err: the operator named the wrong place.
 */
int settle_from_journal(const char *dir, settle_rec_fn fn, void *arg, char *err,
			size_t errlen);

#endif
