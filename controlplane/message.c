/*
 * MESSAGE.  Another merchant's message and a missing one get the same
 * answer, so message numbers reveal nothing about other merchants.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "conn.h"
#include "log.h"
#include "merchants.h"
#include "message.h"
#include "parse.h"
#include "sigstore.h"

int gw_message_handle(struct gw_conn *c, struct gw_link_msg *m)
{
	redisContext *rc = gw_conn_redis(c);
	char *text = NULL;
	size_t len = 0;
	char ref[24];
	uint64_t id;
	int ret;

	if (gw_parse_u64(m->argv[1], 1, UINT32_MAX, &id))
		return gw_conn_fail(c, 400, "bad message number");
	if (!rc)
		return gw_conn_fail(c, 500, "message store unavailable");
	ret = gw_merchants_message_get(rc, id, c->merchant, &text, &len);
	if (ret == -ENOENT) {
		log_info("conn %lu: merchant %s asked for message %" PRIu64
			 ", not one of its own",
			 c->number, c->merchant, id);
		return gw_conn_fail(c, 404, "no such message");
	}
	if (ret)
		return gw_conn_fail(c, 500, "message store unavailable");
	ret = gw_link_write(c->ssl, "OK", text, len);
	free(text);
	log_info("conn %lu: merchant %s fetched message %" PRIu64, c->number,
		 c->merchant, id);
	snprintf(ref, sizeof(ref), "%" PRIu64, id);
	if (gw_sigstore_settle(rc, c->merchant, GW_SIG_MESSAGE, ref) < 0)
		log_err("conn %lu: merchant %s: settling MESSAGE failed",
			c->number, c->merchant);
	return ret;
}
