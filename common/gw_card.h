/*
 * Card numbers: syntax and Luhn checks, the masked form (first six, last
 * four) and the keyed token that stands for a card everywhere outside the
 * data plane's decrypted request.  The token key comes from gw_kdf_subkey.
 */
#ifndef GW_CARD_H
#define GW_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_CARD_TOKEN_LEN 16
#define GW_CARD_MASK_LEN  20 /* 19 characters and a NUL */

/* ISO/IEC 7812 mod-10 check over @len ASCII digits. */
bool gw_card_luhn_ok(const char *pan, size_t len);

/* 0 if @pan is 12 to 19 ASCII digits passing the Luhn check, else
 * -EINVAL. */
__attribute__((warn_unused_result)) int gw_card_pan_check(const char *pan,
							  size_t len);

/* First six and last four digits, the rest as '*'.  @pan must have passed
 * gw_card_pan_check. */
void gw_card_mask(const char *pan, size_t len, char out[GW_CARD_MASK_LEN]);

/* Keyed tokenizer: HMAC-SHA256 under a 32-byte key, truncated. */
struct gw_card_tokenizer;

/* Copies @key; wipe yours after.  NULL on allocation failure. */
struct gw_card_tokenizer *gw_card_tokenizer_new(const uint8_t key[32]);
void gw_card_tokenizer_free(struct gw_card_tokenizer *t);

/* Token of @pan.  0 or -EIO.  Thread-safe. */
__attribute__((warn_unused_result)) int
gw_card_token(const struct gw_card_tokenizer *t, const char *pan, size_t len,
	      uint8_t out[GW_CARD_TOKEN_LEN]);

/* Token as 32 lowercase hex characters and a NUL. */
void gw_card_token_hex(const uint8_t tok[GW_CARD_TOKEN_LEN], char out[33]);

#endif
