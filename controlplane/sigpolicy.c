/*
 * Signalling rules.  Pure functions, so that the schedule and the
 * matching can be pinned by unit tests to the millisecond and the letter.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gw_pki.h"
#include "parse.h"
#include "sigpolicy.h"

uint64_t gw_sigpolicy_delay_ms(unsigned sent, uint64_t base_ms, uint64_t cap_ms)
{
	uint64_t d = base_ms;

	if (sent == 0)
		return 0;
	if (cap_ms < base_ms)
		cap_ms = base_ms;
	while (--sent > 0 && d < cap_ms)
		d *= 2;
	return d < cap_ms ? d : cap_ms;
}

unsigned gw_sigpolicy_max_tries(uint8_t type, unsigned max_tries)
{
	if (type == GW_SIG_SESSION_REVOKED && max_tries > GW_SIG_REVOKED_TRIES)
		return GW_SIG_REVOKED_TRIES;
	return max_tries;
}

int gw_sigpolicy_wants_answer(uint8_t type)
{
	return type != GW_SIG_SESSION_REVOKED;
}

int gw_sigpolicy_matches(uint8_t type, const char *ref, uint8_t answered_type,
			 const char *answered_ref)
{
	if (type != answered_type || !ref)
		return 0;
	return !answered_ref || strcmp(ref, answered_ref) == 0;
}

int gw_sigpolicy_outdated(const char *running, const char *newest)
{
	int cmp = 0;

	if (!running || !newest || gw_pki_version_cmp(running, newest, &cmp))
		return 0;
	return cmp < 0;
}

static int ref_ok(const char *ref)
{
	size_t n = ref ? strlen(ref) : 0;
	size_t i;

	if (n == 0 || n > GW_SIGNAL_REF_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (ref[i] <= 0x20 || ref[i] >= 0x7f)
			return 0;
	return 1;
}

int gw_sigpolicy_member(char out[GW_SIG_MEMBER_MAX], uint32_t session,
			uint8_t type, const char *ref)
{
	if (!gw_signal_type_name(type) || !ref_ok(ref) || session == 0)
		return -EINVAL;
	snprintf(out, GW_SIG_MEMBER_MAX, "%" PRIu32 " %u %s", session, type,
		 ref);
	return 0;
}

int gw_sigpolicy_member_parse(const char *s, uint32_t *session, uint8_t *type,
			      char ref[GW_SIGNAL_REF_LEN + 1])
{
	char buf[GW_SIG_MEMBER_MAX];
	char *t, *r;
	uint64_t v, ty;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	t = strchr(buf, ' ');
	if (!t)
		return -EINVAL;
	*t++ = '\0';
	r = strchr(t, ' ');
	if (!r)
		return -EINVAL;
	*r++ = '\0';
	if (gw_parse_u64(buf, 1, UINT32_MAX, &v) ||
	    gw_parse_u64(t, 1, GW_SIG_TYPE_MAX, &ty) || !ref_ok(r))
		return -EINVAL;
	*session = (uint32_t)v;
	*type = (uint8_t)ty;
	strcpy(ref, r);
	return 0;
}
