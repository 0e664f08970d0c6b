/*
 * One link-1 connection from handshake to close: identifies the merchant
 * by its client certificate, then reads commands one after another and
 * hands each to its handler.  Sockets and threads are server.c's.
 */
#ifndef GW_CTL_CONN_H
#define GW_CTL_CONN_H

#include "ctl.h"

/* Runs the connection to its end and frees c->ssl and c->redis; @c itself
 * stays the caller's. */
void gw_conn_run(struct gw_conn *c);

/* The connection's Redis context, connected on first use and again after
 * a failure; NULL when Redis cannot be reached. */
redisContext *gw_conn_redis(struct gw_conn *c);

/* Answers "ERR <code> <msg>".  0 or -EIO, as handlers return it. */
int gw_conn_fail(struct gw_conn *c, int code, const char *msg);

#endif
