/*
 * The operator's signalling commands of gw-control: revoke, publish,
 * message and rekey.  Each changes the PKI directory or Redis and queues
 * signals; the serving process sends them.  Options and exit codes are
 * main.c's; these report on stderr and return 0 or a negative errno.
 */
#ifndef GW_CTL_OPERATOR_H
#define GW_CTL_OPERATOR_H

#include <hiredis/hiredis.h>

/* Revokes every valid certificate of @merchant for @reason (NULL:
 * unspecified), republishes the CRL, marks its sessions revoked with a
 * revoke event each, and queues SESSION_REVOKED to them.  A merchant
 * whose certificates were all revoked already gets the rest done again
 * (0); one the PKI never issued a certificate to is -ENOENT. */
int gw_operator_revoke(const char *pki, redisContext *rc, const char *merchant,
		       const char *reason);

/* Signs @file as @name @version (unless @sig is given), checks the
 * signature, installs both into @packages, records the version as the
 * newest when it is, and offers it to merchants running older ones.  A
 * version already in @packages is refused with -EEXIST unless @replace. */
int gw_operator_publish(const char *pki, redisContext *rc, const char *packages,
			const char *file, const char *name, const char *version,
			const char *sig, int replace);

/* Stores @text for @merchant and queues MESSAGE to its sessions; -ENOENT
 * for a merchant that never enrolled, as for rekey. */
int gw_operator_message(redisContext *rc, const char *merchant,
			const char *text);

/* Queues REKEY to @merchant's sessions. */
int gw_operator_rekey(redisContext *rc, const char *merchant);

#endif
