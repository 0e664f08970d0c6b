/*
 * AES-GCM through intel-ipsec-mb, and the protocol's AEAD framing: the
 * header is the additional data, the nonce is the direction's 4-byte salt
 * followed by the 64-bit sequence number.  Key derivation is gw_kdf.h's.
 */
#ifndef GW_AEAD_H
#define GW_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "gw_wire.h"

#define GW_AEAD_IV_LEN	 12
#define GW_AEAD_SALT_LEN 4
#define GW_AEAD_KEY_LEN	 32 /* the protocol uses AES-256-GCM */

/*
 * An expanded AES-GCM key.  key_len is 16, 24 or 32.  The library's own
 * type is aligned only when LINUX is defined before its header, and its
 * SSE and AVX2 code faults on key data that is not 16-byte aligned, so the
 * alignment is stated here whatever the include order.
 */
struct gw_aead_key {
	struct gcm_key_data gdata __attribute__((aligned(64)));
	unsigned key_len;
};

/* One direction of a session: expanded key and nonce salt. */
struct gw_dir_keys {
	struct gw_aead_key key;
	uint8_t salt[GW_AEAD_SALT_LEN];
};

/*
 * The calling thread's intel-ipsec-mb manager, allocated on first use and
 * initialised for the best code path of this CPU.  NULL on allocation
 * failure.  Freed when the thread exits.
 */
IMB_MGR *gw_aead_mgr(void);

/* The same, on the library's SSE code path: in this version the only one
 * that uses the CPU's SHA extensions for HMAC-SHA256 (see gw_card.c). */
IMB_MGR *gw_aead_mgr_sse(void);

/* Expands @key (16, 24 or 32 bytes).  0 or -EINVAL. */
__attribute__((warn_unused_result)) int
gw_aead_key_init(struct gw_aead_key *k, const uint8_t *key, size_t key_len);

/*
 * Plain AES-GCM with a 96-bit IV and a tag of @tag_len bytes (1..16).
 * seal: 0 or -EINVAL.  open: 0, -EINVAL, or -EBADMSG when the tag does not
 * verify, in which case @out is wiped.  @in and @out may be the same.
 */
__attribute__((warn_unused_result)) int
gw_aead_seal(const struct gw_aead_key *k, const uint8_t iv[GW_AEAD_IV_LEN],
	     const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
	     uint8_t *out, uint8_t *tag, size_t tag_len);
__attribute__((warn_unused_result)) int
gw_aead_open(const struct gw_aead_key *k, const uint8_t iv[GW_AEAD_IV_LEN],
	     const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
	     uint8_t *out, const uint8_t *tag, size_t tag_len);

/* Nonce for @seq in direction @d. */
void gw_aead_nonce(const struct gw_dir_keys *d, uint64_t seq,
		   uint8_t iv[GW_AEAD_IV_LEN]);

/*
 * Builds a whole datagram into @out: encoded header, body sealed under
 * @d with the nonce for h->seq, tag.  @out must hold GW_WIRE_HDR_LEN +
 * @body_len + GW_WIRE_TAG_LEN bytes; returns that length or -EINVAL.
 */
__attribute__((warn_unused_result)) int
gw_aead_frame_seal(const struct gw_dir_keys *d, const struct gw_hdr *h,
		   const uint8_t *body, size_t body_len, uint8_t *out);

/*
 * Authenticates and decrypts datagram @pkt of @len bytes whose header was
 * already decoded into @h.  Writes the plaintext body (len - header - tag
 * bytes) to @body.  0 or -EBADMSG.
 */
__attribute__((warn_unused_result)) int
gw_aead_frame_open(const struct gw_dir_keys *d, const struct gw_hdr *h,
		   const uint8_t *pkt, size_t len, uint8_t *body);

#endif
