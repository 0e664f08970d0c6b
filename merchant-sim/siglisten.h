/*
 * Binding the merchants' link-2 listeners; reading them and acting on the
 * signals is signals.c's.
 */
#ifndef SIM_SIGLISTEN_H
#define SIM_SIGLISTEN_H

#include <stddef.h>

#include "signals.h"

/*
 * Binds a non-blocking UDP socket for each of the @nmer merchants of @mer
 * into mer[i].fd and names it in mer[i].addr ("a.b.c.d:port" or
 * "[v6]:port").  0, or a negative errno with one line in @err; sockets
 * bound before a failure stay in @mer for the caller to close.
 */
int sim_siglisten_open(const struct sim_opts *o, struct sim_sigm *mer,
		       unsigned nmer, char *err, size_t errlen);

#endif
