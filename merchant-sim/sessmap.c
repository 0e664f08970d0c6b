/*
 * Session id to index: linear probing in a power-of-two table at most
 * half full, so that a lookup on the receive path touches one or two
 * cache lines.  Id 0 is never a session and marks an empty entry.
 */
#include <errno.h>
#include <stdlib.h>

#include "sessmap.h"

#define SESSMAP_MAX (1u << 30)

struct entry {
	uint32_t sid;
	uint32_t index;
};

struct sim_sessmap {
	uint32_t mask;
	uint32_t used;
	uint32_t cap; /* sessions allowed: half the table */
	struct entry e[];
};

/* Session ids are handed out in sequence; a multiplicative hash spreads
 * neighbours over the table. */
static uint32_t hash(uint32_t sid)
{
	return sid * 2654435761u;
}

struct sim_sessmap *sim_sessmap_new(uint32_t n)
{
	struct sim_sessmap *s;
	uint32_t size = 16;

	if (n == 0 || n > SESSMAP_MAX)
		return NULL;
	while (size < 2 * n)
		size <<= 1;
	s = calloc(1, sizeof(*s) + (size_t)size * sizeof(struct entry));
	if (!s)
		return NULL;
	s->mask = size - 1;
	s->cap = n;
	return s;
}

void sim_sessmap_free(struct sim_sessmap *s)
{
	free(s);
}

int sim_sessmap_put(struct sim_sessmap *s, uint32_t sid, uint32_t index)
{
	uint32_t i;

	if (sid == 0)
		return -EINVAL;
	for (i = hash(sid) & s->mask; s->e[i].sid != 0; i = (i + 1) & s->mask)
		if (s->e[i].sid == sid)
			return -EEXIST;
	if (s->used == s->cap)
		return -ENOSPC;
	s->e[i].sid = sid;
	s->e[i].index = index;
	s->used++;
	return 0;
}

int64_t sim_sessmap_get(const struct sim_sessmap *s, uint32_t sid)
{
	uint32_t i;

	if (sid == 0)
		return -1;
	for (i = hash(sid) & s->mask; s->e[i].sid != 0; i = (i + 1) & s->mask)
		if (s->e[i].sid == sid)
			return s->e[i].index;
	return -1;
}
