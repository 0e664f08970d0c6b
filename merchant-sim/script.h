/*
 * A script of requests with the answer each must get, for tests that
 * count exact decisions.  One line per request:
 *
 *   pan,expiry,amount,flags,expected_code,expected_amount
 *
 * flags is the decimal value of the gw_msg_flags; '#' starts a comment
 * line.  The card number may be malformed on purpose (up to 19
 * characters); sending and checking is traffic.c's and check.c's.
 */
#ifndef SIM_SCRIPT_H
#define SIM_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "gw_wire.h"

struct sim_script_line {
	char pan[GW_WIRE_PAN_MAX + 1];
	uint8_t pan_len;
	uint16_t expiry;
	uint64_t amount;
	uint16_t flags;
	uint8_t code;
	uint64_t expected_amount;
	unsigned lineno;
};

struct sim_script {
	struct sim_script_line *v;
	size_t n;
};

/* NULL with one line in @err (file, line, field) on error. */
struct sim_script *sim_script_load(const char *path, char *err, size_t errlen);
void sim_script_free(struct sim_script *s);

#endif
