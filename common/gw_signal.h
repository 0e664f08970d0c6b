/*
 * Link 2 service signals: the fixed-size UDP datagram the gateway sends to
 * a merchant, its key (derived from the session secret) and its tag.  A
 * signal names a type and a reference, never a payload; who sends what and
 * when is the control plane's, how a merchant reacts is the merchant's.
 *
 *   0   magic "GWS1"            4
 *   4   type                    u8
 *   5   reserved, 0             u8
 *   6   reserved, 0             u16
 *   8   session id              u32, big-endian
 *   12  sequence number         u64, big-endian, per session, from 1
 *   20  reference               32 bytes, printable ASCII, NUL-padded
 *   52  tag                     HMAC-SHA256 of bytes 0..51, first 16 bytes
 *   68
 */
#ifndef GW_SIGNAL_H
#define GW_SIGNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define GW_SIGNAL_MAGIC	  "GWS1"
#define GW_SIGNAL_REF_LEN 32
#define GW_SIGNAL_TAG_LEN 16
#define GW_SIGNAL_TAG_OFF 52
#define GW_SIGNAL_LEN	  (GW_SIGNAL_TAG_OFF + GW_SIGNAL_TAG_LEN)
#define GW_SIGNAL_KEY_LEN 32
/* The session secret's length, gw_kdf.h's GW_SECRET_LEN.  That header is
 * not included here because it brings intel-ipsec-mb's macros, which
 * clash with OpenSSL's SHA names in programs that need only signals. */
#define GW_SIGNAL_SECRET_LEN 32

enum gw_signal_type {
	GW_SIG_CERT_RENEW = 1,
	GW_SIG_SOFTWARE_AVAILABLE = 2,
	GW_SIG_REKEY = 3,
	GW_SIG_MESSAGE = 4,
	GW_SIG_SESSION_REVOKED = 5,
	GW_SIG_TYPE_MAX = GW_SIG_SESSION_REVOKED,
};

/* gw_signal_open's refusals, one per rule, in the order they are
 * checked. */
#define GW_SIGNAL_ESIZE	   (-EMSGSIZE) /* not exactly GW_SIGNAL_LEN */
#define GW_SIGNAL_EMAGIC   (-EPROTO)   /* magic or reserved bytes */
#define GW_SIGNAL_ETYPE	   (-ENOMSG)   /* type unknown */
#define GW_SIGNAL_ESESSION (-ESRCH)    /* another session's id */
#define GW_SIGNAL_ETAG	   (-EBADMSG)  /* forged, or another key */
#define GW_SIGNAL_EREF	   (-EILSEQ)   /* reference not printable */
#define GW_SIGNAL_EREPLAY  (-EALREADY) /* sequence not above last */

/* A signal in clear.  ref is NUL-terminated. */
struct gw_signal {
	uint8_t type; /* enum gw_signal_type */
	uint32_t session;
	uint64_t seq;
	char ref[GW_SIGNAL_REF_LEN + 1];
};

/* The name of @type ("CERT_RENEW" ...), or NULL when unknown. */
const char *gw_signal_type_name(uint8_t type);

/* The type named @name, or 0 when unknown. */
uint8_t gw_signal_type_parse(const char *name);

/*
 * The signal key of a session: HKDF-SHA256 of the session secret with the
 * session id (4 bytes, big-endian) as salt and "gw signal key" as info, as
 * gw_kdf_session derives the data-plane keys.  0 or -EINVAL.  The caller
 * wipes @key.
 */
__attribute__((warn_unused_result)) int
gw_signal_key(const uint8_t secret[GW_SIGNAL_SECRET_LEN], uint32_t session_id,
	      uint8_t key[GW_SIGNAL_KEY_LEN]);

/*
 * Encodes and tags @s into @out.  Refuses an unknown type, sequence number
 * 0 and a reference that is empty, longer than GW_SIGNAL_REF_LEN or not
 * printable ASCII without spaces.  Returns GW_SIGNAL_LEN or -EINVAL.
 */
__attribute__((warn_unused_result)) int
gw_signal_seal(const uint8_t key[GW_SIGNAL_KEY_LEN], const struct gw_signal *s,
	       uint8_t out[GW_SIGNAL_LEN]);

/*
 * Checks datagram @pkt of @len bytes for session @session: size, magic,
 * type, session id, tag (in constant time), reference, and that its
 * sequence number is above *@last_seq, the highest one this receiver has
 * accepted (0 at first).  Only then fills @out and raises *@last_seq, so
 * that nothing forged moves it.  0 or one of GW_SIGNAL_E*; -EINVAL for
 * missing arguments.
 */
__attribute__((warn_unused_result)) int
gw_signal_open(const uint8_t key[GW_SIGNAL_KEY_LEN], uint32_t session,
	       const uint8_t *pkt, size_t len, uint64_t *last_seq,
	       struct gw_signal *out);

/* A short name of an error of gw_signal_open ("forged", "replayed" ...). */
const char *gw_signal_strerror(int err);

#endif
