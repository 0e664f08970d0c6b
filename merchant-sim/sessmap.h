/*
 * Finding a session by the id in an answer's header, for DPDK mode where
 * every answer arrives on one port instead of on its session's socket.
 * An open-addressing table of session ids to session indexes, built once
 * after the sessions are open and read-only after.
 */
#ifndef SIM_SESSMAP_H
#define SIM_SESSMAP_H

#include <stdint.h>

struct sim_sessmap;

/* A table with room for @n sessions.  NULL on allocation failure or
 * when @n is 0 or too large. */
struct sim_sessmap *sim_sessmap_new(uint32_t n);
void sim_sessmap_free(struct sim_sessmap *s);

/* Maps @sid (not 0) to @index.  0, -EINVAL for sid 0, -EEXIST when @sid
 * is already there, -ENOSPC when @n sessions are already in. */
int sim_sessmap_put(struct sim_sessmap *s, uint32_t sid, uint32_t index);

/* The index of @sid, or -1. */
int64_t sim_sessmap_get(const struct sim_sessmap *s, uint32_t sid);

#endif
