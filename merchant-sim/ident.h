/*
 * The merchants to simulate: ids and one-time enrollment secrets, read
 * from the file gw-control's "secrets" command writes.
 */
#ifndef SIM_IDENT_H
#define SIM_IDENT_H

#include <stddef.h>

#include "gw_sessrec.h"

#define SIM_SECRET_MAX 128

struct sim_ident {
	char id[GW_MERCHANT_ID_MAX + 1];
	char secret[SIM_SECRET_MAX + 1];
};

/*
 * Reads "merchant-id secret" lines from @path, at most @max of them (0:
 * all).  Returns the count and sets *@out, or a negative errno with one
 * line in @err.  Free with sim_idents_free, which wipes the secrets.
 */
int sim_idents_load(const char *path, size_t max, struct sim_ident **out,
		    char *err, size_t errlen);
void sim_idents_free(struct sim_ident *v, size_t n);

#endif
