/*
 * One-time enrollment secrets: made by the operator with the secrets
 * command, handed to merchants out of band, consumed by ENROLL.  Redis
 * keeps only their SHA-256; the clear values go to a 0600 file once.
 */
#ifndef GW_CTL_SECRETS_H
#define GW_CTL_SECRETS_H

#include <hiredis/hiredis.h>

/*
 * Creates secrets for merchant @single, or for @prefix0001 to @prefix<count>
 * when @single is NULL, and writes "id secret" lines to the new file @out
 * (mode 0600; an existing file is refused with -EEXIST).  0, -EINVAL (an id
 * would be malformed), -EEXIST or -EIO.  Reports progress on stderr.
 */
int gw_secrets_create(redisContext *rc, const char *single, const char *prefix,
		      unsigned long count, const char *out);

#endif
