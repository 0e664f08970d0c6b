/*
 * Data-plane sessions from the control plane's side: SESSION opens one for
 * the merchant of the connection's certificate, and the sessions command
 * lists them.  The record format is gw_sessrec's, the Redis calls store.c's.
 */
#ifndef GW_CTL_SESSION_H
#define GW_CTL_SESSION_H

#include <stdio.h>

#include <hiredis/hiredis.h>

#include "ctl.h"
#include "gw_link.h"

/* SESSION <signal-host:port|-> <software-version> 0.  0 once answered, or
 * -EIO when the answer could not be written. */
int gw_session_handle(struct gw_conn *c, struct gw_link_msg *m);

/* VERSION <software-version> 0: the merchant reports what it runs now,
 * which decides whether it is offered newer software.  0 once answered,
 * or -EIO. */
int gw_session_version_handle(struct gw_conn *c, struct gw_link_msg *m);

/* Prints "id merchant state expires" for every session to @out; never a
 * secret.  0 or -EIO. */
int gw_session_list(redisContext *rc, FILE *out);

#endif
