/*
 * Session table of the kernel baseline: open addressing on the session
 * id, sessions allocated one by one and never moved.  Revoked sessions
 * stay in the table until the process ends; a benchmark run is short, and
 * a sweep would cost code that measures nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gw_kdf.h"
#include "kstore.h"

struct gw_kstore {
	struct gw_ksession **slot;
	unsigned mask;
	unsigned count;
	unsigned max;
};

/*
 * The HKDF info strings of gw_kdf_session.  The protocol fixes them
 * (docs/protocol.md); the shared library keeps them private because the
 * data plane only ever needs expanded keys.
 */
static const char *const info[4] = {"gw m2g key", "gw m2g salt", "gw g2m key",
				    "gw g2m salt"};

struct gw_kstore *gw_kstore_new(unsigned max)
{
	struct gw_kstore *t;
	unsigned cap = 16;

	if (max == 0 || max > (1u << 28))
		return NULL;
	while (cap < 2 * max)
		cap *= 2;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->slot = calloc(cap, sizeof(*t->slot));
	if (t->slot == NULL) {
		free(t);
		return NULL;
	}
	t->mask = cap - 1;
	t->max = max;
	return t;
}

void gw_kstore_free(struct gw_kstore *t)
{
	unsigned i;

	if (t == NULL)
		return;
	for (i = 0; i <= t->mask; i++) {
		if (t->slot[i] == NULL)
			continue;
		OPENSSL_cleanse(t->slot[i], sizeof(*t->slot[i]));
		free(t->slot[i]);
	}
	free(t->slot);
	free(t);
}

static int hkdf(const uint8_t *secret, const uint8_t sid[4], const char *what,
		uint8_t *out, size_t len)
{
	return gw_hkdf_sha256(sid, 4, secret, GW_SECRET_LEN,
			      (const uint8_t *)what, strlen(what), out, len);
}

int gw_kstore_derive(const uint8_t secret[GW_SECRET_LEN], uint32_t id,
		     struct gw_kdir *m2g, struct gw_kdir *g2m)
{
	const uint8_t sid[4] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16),
				(uint8_t)(id >> 8), (uint8_t)id};
	int rc;

	if (secret == NULL || m2g == NULL || g2m == NULL)
		return -EINVAL;
	rc = hkdf(secret, sid, info[0], m2g->key, sizeof(m2g->key));
	if (rc == 0)
		rc = hkdf(secret, sid, info[1], m2g->salt, sizeof(m2g->salt));
	if (rc == 0)
		rc = hkdf(secret, sid, info[2], g2m->key, sizeof(g2m->key));
	if (rc == 0)
		rc = hkdf(secret, sid, info[3], g2m->salt, sizeof(g2m->salt));
	if (rc != 0) {
		OPENSSL_cleanse(m2g, sizeof(*m2g));
		OPENSSL_cleanse(g2m, sizeof(*g2m));
		return -EINVAL;
	}
	return 0;
}

/* Fibonacci hashing spreads consecutive ids over the table. */
static unsigned home(const struct gw_kstore *t, uint32_t id)
{
	return (unsigned)((id * 2654435769u) & t->mask);
}

/* The slot holding @id, or the empty slot where it would go. */
static struct gw_ksession **find(const struct gw_kstore *t, uint32_t id)
{
	unsigned i = home(t, id);

	while (t->slot[i] != NULL && t->slot[i]->id != id)
		i = (i + 1) & t->mask;
	return &t->slot[i];
}

struct gw_ksession *gw_kstore_lookup(const struct gw_kstore *t, uint32_t id)
{
	return *find(t, id);
}

unsigned gw_kstore_count(const struct gw_kstore *t)
{
	return t->count;
}

int gw_kstore_revoke(struct gw_kstore *t, uint32_t id)
{
	struct gw_ksession *s = *find(t, id);

	if (s == NULL)
		return -ENOENT;
	s->state = GW_SESS_REVOKED;
	return 0;
}

int gw_kstore_put(struct gw_kstore *t, const struct gw_sessrec *r)
{
	struct gw_ksession **at, *s;

	if (r == NULL || r->id == 0)
		return -EINVAL;
	at = find(t, r->id);
	if (*at != NULL) {
		if (r->state != GW_SESS_ACTIVE)
			(*at)->state = GW_SESS_REVOKED;
		else
			(*at)->expires = r->expires;
		return 0;
	}
	if (r->state != GW_SESS_ACTIVE)
		return 0; /* nothing to revoke, nothing to keep */
	if (t->count == t->max)
		return -ENOSPC;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOSPC;
	if (gw_kstore_derive(r->secret, r->id, &s->m2g, &s->g2m) != 0) {
		free(s);
		return -EINVAL;
	}
	s->id = r->id;
	s->state = GW_SESS_ACTIVE;
	s->expires = r->expires;
	gw_replay_init(&s->win);
	*at = s;
	t->count++;
	return 0;
}
