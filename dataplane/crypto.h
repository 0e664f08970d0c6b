/*
 * AES-GCM over a whole burst through intel-ipsec-mb, one direct call per
 * datagram with the next one's key and body prefetched.  Framing (what is
 * header, body, tag) and the keys are the caller's.
 */
#ifndef GW_DP_CRYPTO_H
#define GW_DP_CRYPTO_H

#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "gw_aead.h"
#include "gw_wire.h"

/* One AEAD operation.  The caller owns every buffer it points to. */
struct gw_crypto_op {
	const struct gw_dir_keys *keys;
	const uint8_t *aad; /* GW_WIRE_HDR_LEN bytes */
	const uint8_t *src;
	uint8_t *dst;
	uint32_t len;
	uint64_t seq;
	uint8_t *tag; /* seal: written here; open: the received tag */
	uint8_t iv[GW_AEAD_IV_LEN];
	uint8_t computed[GW_WIRE_TAG_LEN];
	int status; /* 0, -EBADMSG (tag mismatch) or -EIO (library) */
};

/*
 * Seals (@seal nonzero) or opens the @n operations of @ops, setting each
 * one's status.  An opened operation whose tag does not verify has its
 * output wiped.  Returns how many succeeded.
 */
unsigned gw_crypto_burst(IMB_MGR *mgr, struct gw_crypto_op *ops, unsigned n,
			 int seal);

#endif
