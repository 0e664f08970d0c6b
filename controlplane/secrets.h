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
 * (four digits at least) when @single is NULL, and writes "id secret"
 * lines to the new file @out (mode 0600; an existing file is refused with
 * -EEXIST).  The batch reaches Redis whole or not at all: an id that has
 * a pending secret, found before or set meanwhile, refuses it with
 * -EBUSY, named on stderr, unless @replace; then *@replaced says how many
 * pending secrets the batch replaced.  The batch is staged in the hash
 * gw:enroll:batch:<random>, which a command cut short leaves to expire
 * within an hour; no merchant id can name it.  Otherwise 0, -EINVAL (an
 * id would be malformed), -ENXIO (Redis did not confirm the commit; @out
 * is kept) or -EIO.  @out is removed whenever the batch is known not to
 * be in Redis.
 */
int gw_secrets_create(redisContext *rc, const char *single, const char *prefix,
		      unsigned long count, int replace, const char *out,
		      unsigned long *replaced);

#endif
