/*
 * The per-request crypto of the authorization path, one way at a time:
 * AES-256-GCM on a request-sized body through intel-ipsec-mb's direct API,
 * its job API (one job, then a 32-datagram burst) and OpenSSL's EVP with
 * the per-message init that a server pays; and the card token through the
 * three HMAC-SHA256 schemes considered for it.  Prints TSC cycles per
 * operation as JSON, for perf/run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <intel-ipsec-mb.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#define BODY	256
#define AAD	16
#define TAG	16
#define BURST	32
#define PAN_LEN 16

struct bench {
	const char *name;
	void (*seal)(void);
	int per; /* operations per call */
};

static IMB_MGR *mgr;
static DECLARE_ALIGNED(struct gcm_key_data gkey, 64);
static uint8_t key[32], iv[12], aad[AAD], buf[BODY], tag[TAG];
static EVP_CIPHER_CTX *evp;
static EVP_CIPHER *aes256gcm;
static uint8_t bbuf[BURST][BODY], btag[BURST][TAG];
static const char pan[PAN_LEN + 1] = "9999995000000018";
static uint8_t token[32];
static EVP_MAC_CTX *mac_tmpl, *mac_ctx;
static DECLARE_ALIGNED(uint8_t ipad_state[32], 16);
static DECLARE_ALIGNED(uint8_t opad_state[32], 16);

static void seal_direct(void)
{
	struct gcm_context_data ctx;

	IMB_AES256_GCM_ENC(mgr, &gkey, &ctx, buf, buf, BODY, iv, aad, AAD, tag,
			   TAG);
}

/* An AES-256-GCM seal of one body in place, as a job. */
static void gcm_job(IMB_JOB *job, uint8_t *body, uint8_t *out_tag)
{
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	job->enc_keys = &gkey;
	job->dec_keys = &gkey;
	job->key_len_in_bytes = IMB_KEY_256_BYTES;
	job->src = body;
	job->dst = body;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = BODY;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = BODY;
	job->iv = iv;
	job->iv_len_in_bytes = sizeof(iv);
	job->u.GCM.aad = aad;
	job->u.GCM.aad_len_in_bytes = AAD;
	job->auth_tag_output = out_tag;
	job->auth_tag_output_len_in_bytes = TAG;
}

/* An HMAC-SHA256 token of the card number on the precomputed states. */
static void token_job(IMB_JOB *job, uint8_t *out)
{
	job->cipher_mode = IMB_CIPHER_NULL;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->hash_alg = IMB_AUTH_HMAC_SHA_256;
	job->src = (const uint8_t *)pan;
	job->dst = out;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = 0;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = PAN_LEN;
	job->u.HMAC._hashed_auth_key_xor_ipad = ipad_state;
	job->u.HMAC._hashed_auth_key_xor_opad = opad_state;
	job->auth_tag_output = out;
	job->auth_tag_output_len_in_bytes = 16;
}

static void seal_job(void)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);

	gcm_job(job, buf, tag);
	job = IMB_SUBMIT_JOB(mgr);
	while (job == NULL)
		job = IMB_FLUSH_JOB(mgr);
}

/* A burst through the direct API, one call per datagram; cycles are per
 * datagram. */
static void burst_direct(void)
{
	struct gcm_context_data ctx;

	for (int i = 0; i < BURST; i++)
		IMB_AES256_GCM_ENC(mgr, &gkey, &ctx, bbuf[i], bbuf[i], BODY, iv,
				   aad, AAD, btag[i], TAG);
}

/* The same burst submitted as jobs before any is waited for. */
static void burst_job(void)
{
	IMB_JOB *job;

	for (int i = 0; i < BURST; i++) {
		job = IMB_GET_NEXT_JOB(mgr);
		gcm_job(job, bbuf[i], btag[i]);
		IMB_SUBMIT_JOB(mgr);
	}
	while (IMB_FLUSH_JOB(mgr) != NULL)
		;
}

/* The token as first written: the keyed template duplicated per card. */
static void token_evp_dup(void)
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(mac_tmpl);
	size_t n;

	if (c == NULL || !EVP_MAC_update(c, (const uint8_t *)pan, PAN_LEN) ||
	    !EVP_MAC_final(c, token, &n, sizeof(token)))
		abort();
	EVP_MAC_CTX_free(c);
}

/* One context per thread, re-initialised with the key it already has. */
static void token_evp_reinit(void)
{
	size_t n;

	if (!EVP_MAC_init(mac_ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(mac_ctx, (const uint8_t *)pan, PAN_LEN) ||
	    !EVP_MAC_final(mac_ctx, token, &n, sizeof(token)))
		abort();
}

/* intel-ipsec-mb's HMAC job on the inner and outer states hashed once. */
static void token_ipsecmb(void)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);

	token_job(job, token);
	job = IMB_SUBMIT_JOB(mgr);
	while (job == NULL)
		job = IMB_FLUSH_JOB(mgr);
	if (job->status != IMB_STATUS_COMPLETED)
		abort();
}

/* 32 tokens submitted before any is waited for, as over a burst. */
static void token_ipsecmb_burst(void)
{
	static uint8_t toks[BURST][16];
	IMB_JOB *job;

	for (int i = 0; i < BURST; i++) {
		job = IMB_GET_NEXT_JOB(mgr);
		token_job(job, toks[i]);
		IMB_SUBMIT_JOB(mgr);
	}
	while (IMB_FLUSH_JOB(mgr) != NULL)
		;
}

/* The single token on a manager set up for the SSE code path, which is
 * the one with SHA extensions in this library version. */
static IMB_MGR *sse;
static void token_ipsecmb_sse(void)
{
	IMB_MGR *keep = mgr;

	mgr = sse;
	token_ipsecmb();
	mgr = keep;
}

static void seal_openssl(void)
{
	int n;

	if (!EVP_EncryptInit_ex2(evp, aes256gcm, key, iv, NULL) ||
	    !EVP_EncryptUpdate(evp, NULL, &n, aad, AAD) ||
	    !EVP_EncryptUpdate(evp, buf, &n, buf, BODY) ||
	    !EVP_EncryptFinal_ex(evp, buf + n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_GCM_GET_TAG, TAG, tag))
		abort();
}

/* Median of several rounds, so that one preemption does not count. */
static double cycles_per_op(void (*seal)(void), long ops, int per)
{
	double r[7], t;
	int i, j;

	for (i = 0; i < 7; i++) {
		uint64_t start = __rdtsc();

		for (long k = 0; k < ops; k++)
			seal();
		r[i] = (double)(__rdtsc() - start) / (double)ops / per;
	}
	for (i = 1; i < 7; i++)
		for (j = i; j > 0 && r[j - 1] > r[j]; j--) {
			t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	return r[3];
}

/* The token key's HMAC states, both ways. */
static int mac_setup(void)
{
	OSSL_PARAM params[2];
	char digest[] = "SHA256";
	uint8_t pad[64];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

	if (mac == NULL)
		return -1;
	mac_tmpl = EVP_MAC_CTX_new(mac);
	mac_ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (mac_tmpl == NULL || mac_ctx == NULL)
		return -1;
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(mac_tmpl, key, sizeof(key), params) ||
	    !EVP_MAC_init(mac_ctx, key, sizeof(key), params))
		return -1;
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < sizeof(key); i++)
		pad[i] ^= key[i];
	IMB_SHA256_ONE_BLOCK(mgr, pad, ipad_state);
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < sizeof(key); i++)
		pad[i] ^= key[i];
	IMB_SHA256_ONE_BLOCK(mgr, pad, opad_state);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct bench benches[] = {
	    {"gcm_cycles_ipsecmb", seal_direct, 1},
	    {"gcm_cycles_ipsecmb_job", seal_job, 1},
	    {"gcm_cycles_openssl", seal_openssl, 1},
	    {"gcm_burst_cycles_direct", burst_direct, BURST},
	    {"gcm_burst_cycles_job", burst_job, BURST},
	    {"token_cycles_evp_dup", token_evp_dup, 1},
	    {"token_cycles_evp_reinit", token_evp_reinit, 1},
	    {"token_cycles_ipsecmb", token_ipsecmb, 1},
	    {"token_cycles_ipsecmb_burst", token_ipsecmb_burst, BURST},
	    {"token_cycles_ipsecmb_sse", token_ipsecmb_sse, 1},
	};
	long ops = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	size_t i;

	if (ops <= 0) {
		fprintf(stderr, "usage: gcm-bench [operations per round]\n");
		return 2;
	}
	mgr = alloc_mb_mgr(0);
	evp = EVP_CIPHER_CTX_new();
	aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (mgr == NULL || evp == NULL || aes256gcm == NULL) {
		fprintf(stderr, "gcm-bench: cannot set up the ciphers\n");
		return 1;
	}
	init_mb_mgr_auto(mgr, NULL);
	sse = alloc_mb_mgr(0);
	if (sse == NULL)
		return 1;
	init_mb_mgr_sse(sse);
	memset(key, 0x42, sizeof(key));
	IMB_AES256_GCM_PRE(mgr, key, &gkey);
	if (mac_setup() != 0) {
		fprintf(stderr, "gcm-bench: cannot set up HMAC-SHA256\n");
		return 1;
	}

	printf("{");
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		benches[i].seal(); /* warm caches and lazy initialisation */
		printf("%s\"%s\": %.1f", i ? ", " : "", benches[i].name,
		       cycles_per_op(benches[i].seal, ops / benches[i].per,
				     benches[i].per));
	}
	printf(", \"body_bytes\": %d, \"arch\": \"%s\"}\n", BODY,
	       mgr->used_arch == IMB_ARCH_AVX512 ? "avx512"
	       : mgr->used_arch == IMB_ARCH_AVX2 ? "avx2"
	       : mgr->used_arch == IMB_ARCH_AVX	 ? "avx"
						 : "sse");
	EVP_CIPHER_free(aes256gcm);
	EVP_CIPHER_CTX_free(evp);
	free_mb_mgr(mgr);
	return 0;
}
