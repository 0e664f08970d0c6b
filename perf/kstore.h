/*
 * The kernel baseline's session table: sessions by id with the raw
 * per-direction keys that OpenSSL's EVP interface takes, and the
 * merchant-to-gateway replay window.  One thread owns it; where sessions
 * come from (Redis) is ksync.h's business.
 */
#ifndef GW_PERF_KSTORE_H
#define GW_PERF_KSTORE_H

#include <stdint.h>

#include "gw_aead.h"
#include "gw_replay.h"
#include "gw_sessrec.h"

/* One direction: the AES-256 key and the nonce salt, as derived. */
struct gw_kdir {
	uint8_t key[GW_AEAD_KEY_LEN];
	uint8_t salt[GW_AEAD_SALT_LEN];
};

struct gw_ksession {
	uint32_t id;
	uint8_t state; /* enum gw_sess_state */
	uint64_t expires;
	struct gw_kdir m2g;
	struct gw_kdir g2m;
	struct gw_replay win;
};

struct gw_kstore;

/* A table with room for @max sessions.  NULL on allocation failure. */
struct gw_kstore *gw_kstore_new(unsigned max);

/* Frees the table, wiping every key. */
void gw_kstore_free(struct gw_kstore *t);

/*
 * Derives both directions' raw keys from a session secret, with the same
 * HKDF inputs as gw_kdf_session, so that what the merchant seals under
 * gw_aead opens here under EVP.  0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int
gw_kstore_derive(const uint8_t secret[GW_SECRET_LEN], uint32_t id,
		 struct gw_kdir *m2g, struct gw_kdir *g2m);

/*
 * Inserts or refreshes the session of @r (the caller wipes r->secret).  A
 * known session keeps its window; a revoked record revokes.  0, -ENOSPC
 * or -EINVAL.
 */
int gw_kstore_put(struct gw_kstore *t, const struct gw_sessrec *r);

/* Marks session @id revoked.  0 or -ENOENT. */
int gw_kstore_revoke(struct gw_kstore *t, uint32_t id);

struct gw_ksession *gw_kstore_lookup(const struct gw_kstore *t, uint32_t id);
unsigned gw_kstore_count(const struct gw_kstore *t);

#endif
