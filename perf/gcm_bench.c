/*
 * AES-256-GCM on one request-sized body through the three interfaces the
 * data plane could use: intel-ipsec-mb's direct API, its job API, and
 * OpenSSL's EVP with the per-message init that a server pays.  Prints TSC
 * cycles per seal (encrypt and tag) as JSON, for perf/run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <intel-ipsec-mb.h>
#include <openssl/evp.h>

#define BODY 256
#define AAD  16
#define TAG  16

struct bench {
	const char *name;
	void (*seal)(void);
};

static IMB_MGR *mgr;
static DECLARE_ALIGNED(struct gcm_key_data gkey, 64);
static uint8_t key[32], iv[12], aad[AAD], buf[BODY], tag[TAG];
static EVP_CIPHER_CTX *evp;
static EVP_CIPHER *aes256gcm;

static void seal_direct(void)
{
	struct gcm_context_data ctx;

	IMB_AES256_GCM_ENC(mgr, &gkey, &ctx, buf, buf, BODY, iv, aad, AAD, tag,
			   TAG);
}

static void seal_job(void)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);

	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	job->enc_keys = &gkey;
	job->dec_keys = &gkey;
	job->key_len_in_bytes = IMB_KEY_256_BYTES;
	job->src = buf;
	job->dst = buf;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = BODY;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = BODY;
	job->iv = iv;
	job->iv_len_in_bytes = sizeof(iv);
	job->u.GCM.aad = aad;
	job->u.GCM.aad_len_in_bytes = AAD;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = TAG;
	job = IMB_SUBMIT_JOB(mgr);
	while (job == NULL)
		job = IMB_FLUSH_JOB(mgr);
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
static double cycles_per_op(void (*seal)(void), long ops)
{
	double r[7], t;
	int i, j;

	for (i = 0; i < 7; i++) {
		uint64_t start = __rdtsc();

		for (long k = 0; k < ops; k++)
			seal();
		r[i] = (double)(__rdtsc() - start) / (double)ops;
	}
	for (i = 1; i < 7; i++)
		for (j = i; j > 0 && r[j - 1] > r[j]; j--) {
			t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	return r[3];
}

int main(int argc, char **argv)
{
	static const struct bench benches[] = {
	    {"gcm_cycles_ipsecmb", seal_direct},
	    {"gcm_cycles_ipsecmb_job", seal_job},
	    {"gcm_cycles_openssl", seal_openssl},
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
	memset(key, 0x42, sizeof(key));
	IMB_AES256_GCM_PRE(mgr, key, &gkey);

	printf("{");
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		benches[i].seal(); /* warm caches and lazy initialisation */
		printf("%s\"%s\": %.1f", i ? ", " : "", benches[i].name,
		       cycles_per_op(benches[i].seal, ops));
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
