/*
 * Key derivation: HKDF-SHA256 (RFC 5869) and the per-session, per-direction
 * keys of the wire protocol.  The session secret itself comes from the
 * control plane; wrapping it for storage is gw_sessrec.h's.
 */
#ifndef GW_KDF_H
#define GW_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "gw_aead.h"

#define GW_SECRET_LEN 32

/*
 * HKDF-SHA256 extract-and-expand.  A NULL or empty salt means a string of
 * HashLen zeros (RFC 5869 section 2.2).  0, or -EINVAL when @out_len is 0
 * or above 255 * 32 (section 2.3).
 */
__attribute__((warn_unused_result)) int
gw_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
	       size_t ikm_len, const uint8_t *info, size_t info_len,
	       uint8_t *out, size_t out_len);

/* Both directions of one session. m2g: merchant to gateway. */
struct gw_session_keys {
	struct gw_dir_keys m2g;
	struct gw_dir_keys g2m;
};

/*
 * Derives a session's keys from its secret.  The session id is the HKDF
 * salt so that a secret reused across sessions still yields fresh keys;
 * the info strings name the direction and purpose.  0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int
gw_kdf_session(const uint8_t secret[GW_SECRET_LEN], uint32_t session_id,
	       struct gw_session_keys *out);

/* Derives a 32-byte subkey of the appliance master key for @purpose
 * (e.g. "card-token", "session-wrap").  0 or -EINVAL. */
__attribute__((warn_unused_result)) int
gw_kdf_subkey(const uint8_t master[GW_SECRET_LEN], const char *purpose,
	      uint8_t out[GW_SECRET_LEN]);

#endif
