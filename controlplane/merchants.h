/*
 * What gw-control remembers about a merchant in Redis, for signalling:
 * its sessions, the software version it last reported, its current
 * certificate and when that falls due for renewal, and the operator's
 * messages to it.  Also the newest published package of each name.
 * Session records themselves are store.c's; pending signals sigstore.c's.
 *
 * Redis layout:
 *   HASH  gw:merchant:<id>           version, cert (serial hex),
 *                                    notafter (Unix), renew_sent (serial)
 *   SET   gw:merchant:<id>:sessions  its session ids
 *   SET   gw:merchants               every merchant id seen
 *   ZSET  gw:cert-renewal            merchant id by notafter, until its
 *                                    CERT_RENEW is queued
 *   HASH  gw:packages                package name -> newest version
 *   HASH  gw:message:<n>             merchant, text, created
 *   STRING gw:message:next           last message number (INCR)
 */
#ifndef GW_CTL_MERCHANTS_H
#define GW_CTL_MERCHANTS_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>
#include <openssl/x509.h>

#include "gw_sessrec.h"
#include "parse.h"

#define GW_REDIS_MERCHANT     "gw:merchant:"
#define GW_REDIS_MERCHANTS    "gw:merchants"
#define GW_REDIS_RENEWAL      "gw:cert-renewal"
#define GW_REDIS_PACKAGES     "gw:packages"
#define GW_REDIS_MESSAGE      "gw:message:"
#define GW_REDIS_MESSAGE_NEXT "gw:message:next"
#define GW_SERIAL_HEX_MAX     41 /* 20 octets (RFC 5280 4.1.2.2) and NUL */
#define GW_MESSAGE_MAX	      4096

/* A session of a merchant, as signalling needs it. */
struct gw_live_session {
	uint32_t id;
	uint8_t state;	  /* enum gw_sess_state */
	int has_endpoint; /* named a signal address */
};

/* Records session @id under @merchant and @version as what it runs.
 * 0 or -EIO. */
int gw_merchants_add_session(redisContext *rc, const char *merchant,
			     uint32_t id, const char *version);

/* Records @version as what @merchant runs now.  0 or -EIO. */
int gw_merchants_set_version(redisContext *rc, const char *merchant,
			     const char *version);

/* The version @merchant last reported into @out, "" when none.  0 or
 * -EIO. */
int gw_merchants_version(redisContext *rc, const char *merchant, char *out,
			 size_t outlen);

/*
 * Notes @cert as @merchant's current certificate unless a certificate
 * expiring later is already noted, and schedules its renewal signal
 * unless one was already queued for this serial.  0, 1 when it was news,
 * or a negative errno.
 */
int gw_merchants_cert_seen(redisContext *rc, const char *merchant, X509 *cert);

/* The serial of @cert as upper-case hex, as gw-pki prints it.  0 or
 * -EINVAL. */
int gw_merchants_serial(X509 *cert, char out[GW_SERIAL_HEX_MAX]);

/*
 * Fills @out with up to @max unexpired sessions of @merchant, forgetting
 * those that vanished or expired.  Returns how many, or -EIO.
 */
int gw_merchants_sessions(redisContext *rc, const char *merchant,
			  struct gw_live_session *out, size_t max);

/* Merchants whose certificate expires at or before @until: up to @max ids
 * into @ids.  Returns how many, or -EIO. */
int gw_merchants_renewal_due(redisContext *rc, uint64_t until,
			     char (*ids)[GW_MERCHANT_ID_MAX + 1], size_t max);

/* Marks @merchant's current certificate as signalled for renewal, taking
 * it off the schedule; its serial goes to *@serial.  0 or -EIO. */
int gw_merchants_renewal_done(redisContext *rc, const char *merchant,
			      char serial[GW_SERIAL_HEX_MAX]);

/* Looks at @merchant's renewal again once @score (Unix time plus the
 * window) is due, if it is still on the schedule.  0 or -EIO. */
int gw_merchants_renewal_later(redisContext *rc, const char *merchant,
			       uint64_t score);

/* Puts @merchant, if still on the renewal schedule, back at its
 * certificate's notAfter, so that a new session hears of a due renewal
 * at the next look.  0 or -EIO. */
int gw_merchants_renewal_wake(redisContext *rc, const char *merchant);

/* The serial of @merchant's current certificate, "" if unknown.  0 or
 * -EIO. */
int gw_merchants_cert(redisContext *rc, const char *merchant,
		      char serial[GW_SERIAL_HEX_MAX]);

/* Records @version of package @name as published, if it is newer than
 * the one recorded, which goes to @current ("" when none).  1 when it
 * became the newest, 0 when not, -EIO. */
int gw_merchants_publish(redisContext *rc, const char *name,
			 const char *version, char *current, size_t currentlen);

/* 1 when @merchant was ever seen (enrolled, or opened a session), 0 when
 * not, -EIO. */
int gw_merchants_known(redisContext *rc, const char *merchant);

/* Calls @fn for every published package's newest version; stops at and
 * returns the first non-zero result.  0 or -EIO otherwise. */
int gw_merchants_each_package(redisContext *rc,
			      int (*fn)(const char *name, const char *version,
					void *arg),
			      void *arg);

/* Calls @fn for every merchant ever seen, as gw_merchants_each_package. */
int gw_merchants_each(redisContext *rc,
		      int (*fn)(const char *merchant, void *arg), void *arg);

/* Stores a message to @merchant; its number goes to *@id.  0, -EINVAL
 * (empty or over GW_MESSAGE_MAX) or -EIO. */
int gw_merchants_message_put(redisContext *rc, const char *merchant,
			     const char *text, uint64_t *id);

/* Message @id into a malloc'd *@text of *@len bytes if it is addressed to
 * @merchant.  0, -ENOENT (no such message or another merchant's) or
 * -EIO.  The caller frees *@text. */
int gw_merchants_message_get(redisContext *rc, uint64_t id,
			     const char *merchant, char **text, size_t *len);

#endif
