/*
 * The rules of link-2 signalling that need neither sockets nor Redis: the
 * retry schedule, how often each type is sent, which link-1 request
 * answers which signal, when a merchant's software counts as outdated,
 * and the text form of a pending signal.  The sending is signaler.c's,
 * the bookkeeping sigstore.c's.
 */
#ifndef GW_CTL_SIGPOLICY_H
#define GW_CTL_SIGPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "gw_signal.h"

#define GW_SIG_RETRY_MS_DEFAULT	 200
#define GW_SIG_RETRY_CAP_MS	 5000
#define GW_SIG_MAX_TRIES_DEFAULT 8
/* SESSION_REVOKED expects no answer: it is sent this many times, or
 * fewer when the operator's limit is lower. */
#define GW_SIG_REVOKED_TRIES 3
/* "<session> <type> <reference>" */
#define GW_SIG_MEMBER_MAX (10 + 1 + 3 + 1 + GW_SIGNAL_REF_LEN + 1)

/*
 * Milliseconds to wait after the @sent-th transmission (1 for the first)
 * before the next one: @base_ms doubling each time, never above @cap_ms
 * (nor below @base_ms when the cap is lower).  0 when @sent is 0.
 */
uint64_t gw_sigpolicy_delay_ms(unsigned sent, uint64_t base_ms,
			       uint64_t cap_ms);

/* How many transmissions a signal of @type gets at most when the
 * operator allows @max_tries. */
unsigned gw_sigpolicy_max_tries(uint8_t type, unsigned max_tries);

/* 1 when a signal of @type waits for a link-1 transaction, 0 when it is
 * only announced (SESSION_REVOKED). */
int gw_sigpolicy_wants_answer(uint8_t type);

/*
 * 1 when a pending signal (@type, @ref) is answered by a transaction that
 * settles signals of @answered_type with reference @answered_ref (NULL:
 * any reference of that type), else 0.
 */
int gw_sigpolicy_matches(uint8_t type, const char *ref, uint8_t answered_type,
			 const char *answered_ref);

/*
 * 1 when @running is an older version than @newest, 0 when it is the
 * same or newer, or when either is not a dotted version: a merchant whose
 * version cannot be compared is left alone rather than pestered.
 */
int gw_sigpolicy_outdated(const char *running, const char *newest);

/* Writes the pending-signal text of (@session, @type, @ref).  0, or
 * -EINVAL when the type or reference would be refused on the wire. */
__attribute__((warn_unused_result)) int
gw_sigpolicy_member(char out[GW_SIG_MEMBER_MAX], uint32_t session, uint8_t type,
		    const char *ref);

/* Parses a pending-signal text back.  0 or -EINVAL. */
__attribute__((warn_unused_result)) int
gw_sigpolicy_member_parse(const char *s, uint32_t *session, uint8_t *type,
			  char ref[GW_SIGNAL_REF_LEN + 1]);

#endif
