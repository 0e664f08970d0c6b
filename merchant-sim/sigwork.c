/*
 * The worker behind link 2: each job is one link-1 connection with the
 * merchant's current certificate, opened, used for one transaction (two
 * for an install: FETCH, then VERSION) and closed.  Results that change
 * the traffic go back to the loop through the done list.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "enroll.h"
#include "gw_link.h"
#include "gw_util.h"
#include "signals.h"
#include "sigwork.h"
#include "tls.h"

#define ERRLEN	   512
#define SHOWN_TEXT 512 /* longest message text printed */

struct sim_sigwork {
	struct sim_signals *s;
	SSL_CTX *ctx;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sim_job *todo, *todo_tail;
	struct sim_job *done, *done_tail;
	int stop;
};

struct paths {
	char crt[4096];
	char key[4096];
};

static void cred_paths(const struct sim_signals *s, const char *id,
		       struct paths *p)
{
	snprintf(p->crt, sizeof(p->crt), "%s/%s.crt", s->o->state_dir, id);
	snprintf(p->key, sizeof(p->key), "%s/%s.key", s->o->state_dir, id);
}

static SSL *open_link(struct sim_sigwork *w, const char *id, char *err,
		      size_t errlen)
{
	struct paths p;

	cred_paths(w->s, id, &p);
	return sim_tls_open(w->ctx, w->s->o, p.crt, p.key, err, errlen);
}

/* One line of what the merchant did, on the run's output. */
__attribute__((format(printf, 2, 3))) static void say(struct sim_sigwork *w,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(w->s->out, fmt, ap);
	va_end(ap);
	fflush(w->s->out);
}

/* ---- RENEW ---------------------------------------------------------- */

static void serial_hex(X509 *cert, char *out, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	snprintf(out, len, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/* Checks the new certificate is for @key, then replaces the key and the
 * certificate, each by a rename, key first: only this thread reads them
 * once the loop runs. */
static int save_renewed(const struct gw_link_msg *msg, EVP_PKEY *key,
			const struct paths *p, char *serial, size_t slen,
			char *err, size_t errlen)
{
	char tkey[4200], tcrt[4200];
	X509 *cert = NULL;
	int rc = -EPROTO;

	if (msg->payload)
		cert = gw_pki_cert_from_pem(msg->payload, msg->payload_len);
	if (!cert || X509_check_private_key(cert, key) != 1) {
		snprintf(err, errlen,
			 "the answer is not a certificate for the new key");
		goto out;
	}
	serial_hex(cert, serial, slen);
	snprintf(tkey, sizeof(tkey), "%s.new", p->key);
	snprintf(tcrt, sizeof(tcrt), "%s.new", p->crt);
	unlink(tkey);
	rc = gw_pki_write_key(tkey, key);
	if (rc == 0)
		rc = sim_install_write(tcrt, msg->payload, msg->payload_len);
	if (rc == 0 && (rename(tkey, p->key) < 0 || rename(tcrt, p->crt) < 0))
		rc = -errno;
	if (rc < 0) {
		snprintf(err, errlen, "%.300s: %s", p->crt, strerror(-rc));
		unlink(tkey);
		unlink(tcrt);
	}
out:
	X509_free(cert);
	ERR_clear_error();
	return rc;
}

static int run_renew(struct sim_sigwork *w, struct sim_job *j)
{
	struct sim_sigm *mm = &w->s->mer[j->merchant];
	char err[ERRLEN] = "cannot make a key and CSR", serial[80];
	struct gw_link_msg msg = {0};
	X509_REQ *csr = NULL;
	EVP_PKEY *key;
	char *pem = NULL;
	size_t pemlen = 0;
	struct paths p;
	SSL *ssl = NULL;
	int rc = -EIO;

	cred_paths(w->s, mm->id, &p);
	key = gw_pki_keygen();
	csr = key ? gw_pki_make_csr(key, mm->id) : NULL;
	pem = csr ? gw_pki_csr_pem(csr, &pemlen) : NULL;
	if (pem)
		ssl = open_link(w, mm->id, err, sizeof(err));
	if (ssl)
		rc = gw_link_write(ssl, "RENEW", pem, pemlen);
	if (ssl && rc == 0)
		rc = sim_tls_answer(ssl, &msg, "RENEW", w->s->o, err,
				    sizeof(err));
	if (ssl && rc == 0)
		rc = save_renewed(&msg, key, &p, serial, sizeof(serial), err,
				  sizeof(err));
	if (rc == 0) {
		w->s->st.renewed++;
		say(w, "merchant %s: certificate renewed, serial %s\n", mm->id,
		    serial);
	} else {
		w->s->st.renew_failed++;
		fprintf(stderr,
			"merchant-sim: merchant %s: renewal failed: %s\n",
			mm->id, err);
	}
	gw_link_msg_clear(&msg);
	sim_tls_close(ssl);
	OPENSSL_free(pem);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	return rc;
}

/* ---- FETCH, install, VERSION --------------------------------------- */

/* The FETCH answer: manifest and package, or -EPROTO with the reason. */
static int fetch(SSL *ssl, const char *name, const char *version,
		 struct gw_link_msg *msg, size_t *siglen, char *err,
		 size_t errlen)
{
	char line[GW_LINK_LINE_MAX], shown[100];
	const char *sig;
	char *end;
	unsigned long long v;
	int rc;

	snprintf(line, sizeof(line), "FETCH %s %s", name, version);
	rc = gw_link_write(ssl, line, NULL, 0);
	if (rc == 0)
		rc = gw_link_read_answer(ssl, msg);
	if (rc < 0) {
		snprintf(err, errlen, "FETCH: no valid answer (%s)",
			 strerror(-rc));
		return -EPROTO;
	}
	if (msg->argc < 1 || strcmp(msg->argv[0], "OK") != 0) {
		gw_printable(msg->line, strlen(msg->line), shown,
			     sizeof(shown));
		snprintf(err, errlen, "FETCH refused: %s", shown);
		return -EPROTO;
	}
	sig = gw_link_get(msg, 1, "sig");
	errno = 0;
	v = sig ? strtoull(sig, &end, 10) : 0;
	if (!sig || sig[0] < '0' || sig[0] > '9' || *end || errno ||
	    v > msg->payload_len) {
		snprintf(err, errlen, "FETCH: malformed answer");
		return -EPROTO;
	}
	*siglen = (size_t)v;
	return 0;
}

/* Tells the gateway what now runs; the install stands either way. */
static void report_version(struct sim_sigwork *w, SSL *ssl, const char *id,
			   const char *version)
{
	struct gw_link_msg msg = {0};
	char line[GW_LINK_LINE_MAX], err[ERRLEN];
	int rc;

	snprintf(line, sizeof(line), "VERSION %s", version);
	rc = gw_link_write(ssl, line, NULL, 0);
	if (rc == 0)
		rc = sim_tls_answer(ssl, &msg, "VERSION", w->s->o, err,
				    sizeof(err));
	else
		snprintf(err, sizeof(err), "VERSION: %s", strerror(-rc));
	if (rc == 0)
		say(w, "merchant %s: version %s reported\n", id, version);
	else
		fprintf(stderr, "merchant-sim: merchant %s: %s\n", id, err);
	gw_link_msg_clear(&msg);
}

static int run_install(struct sim_sigwork *w, struct sim_job *j)
{
	struct sim_sigm *mm = &w->s->mer[j->merchant];
	char name[GW_PKI_PKG_NAME_MAX + 1], version[GW_PKI_VERSION_MAX + 1];
	char dir[4096], err[ERRLEN] = "";
	struct gw_link_msg msg = {0};
	size_t siglen = 0;
	SSL *ssl = NULL;
	int rc;

	rc = sim_install_parse_ref(j->ref, name, version);
	if (rc == 0)
		rc = sim_install_dir(w->s->o, mm->id, dir, sizeof(dir));
	if (rc == 0) {
		ssl = open_link(w, mm->id, err, sizeof(err));
		rc = ssl ? fetch(ssl, name, version, &msg, &siglen, err,
				 sizeof(err))
			 : -EPROTO;
	}
	if (rc == 0)
		rc = sim_install_package(
		    w->s->o->ca, dir, name, version, mm->version,
		    (const uint8_t *)msg.payload, siglen,
		    (const uint8_t *)msg.payload + siglen,
		    msg.payload_len - siglen, err, sizeof(err));
	if (rc == 0) {
		w->s->st.installed++;
		snprintf(mm->version, sizeof(mm->version), "%s", version);
		say(w, "merchant %s: installed %s %s\n", mm->id, name, version);
		report_version(w, ssl, mm->id, version);
	} else {
		w->s->st.install_refused[sim_install_refusal_of(rc)]++;
		say(w, "merchant %s: package %s not installed: %s\n", mm->id,
		    j->ref,
		    sim_install_refusal_name(sim_install_refusal_of(rc)));
		fprintf(stderr, "merchant-sim: merchant %s: %s: %s\n", mm->id,
			j->ref, err);
	}
	gw_link_msg_clear(&msg);
	sim_tls_close(ssl);
	return rc;
}

/* ---- MESSAGE -------------------------------------------------------- */

static int run_message(struct sim_sigwork *w, struct sim_job *j)
{
	struct sim_sigm *mm = &w->s->mer[j->merchant];
	char line[GW_LINK_LINE_MAX], err[ERRLEN], text[SHOWN_TEXT];
	struct gw_link_msg msg = {0};
	SSL *ssl;
	int rc = -EIO;

	ssl = open_link(w, mm->id, err, sizeof(err));
	snprintf(line, sizeof(line), "MESSAGE %s", j->ref);
	if (ssl)
		rc = gw_link_write(ssl, line, NULL, 0);
	if (ssl && rc == 0)
		rc = sim_tls_answer(ssl, &msg, "MESSAGE", w->s->o, err,
				    sizeof(err));
	if (rc == 0) {
		/* The text is the operator's, but it crossed a network:
		 * printed only as printable ASCII, and cut short. */
		gw_printable(msg.payload ? msg.payload : "", msg.payload_len,
			     text, sizeof(text));
		w->s->st.messages++;
		say(w, "merchant %s: message: %s\n", mm->id, text);
	} else {
		fprintf(stderr, "merchant-sim: merchant %s: message %s: %s\n",
			mm->id, j->ref, err);
	}
	gw_link_msg_clear(&msg);
	sim_tls_close(ssl);
	return rc;
}

/* ---- SESSION for a rekey ------------------------------------------- */

static int run_rekey(struct sim_sigwork *w, struct sim_job *j)
{
	struct sim_sigm *mm = &w->s->mer[j->merchant];
	struct sim_merchant *n = &w->s->m[j->new_ent];
	struct sim_ident who;
	char err[ERRLEN];
	int rc;

	/* The loop leaves a reserved spare alone until this job is done. */
	memset(&who, 0, sizeof(who));
	memcpy(who.id, mm->id, sizeof(who.id));
	memcpy(n->sigaddr, mm->addr, sizeof(n->sigaddr));
	snprintf(n->version, sizeof(n->version), "%s", mm->version);
	rc = sim_session_open(w->ctx, w->s->o, &who, n, 1, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "merchant-sim: merchant %s: rekey: %s\n",
			mm->id, err);
	return rc;
}

/* ---- the thread ----------------------------------------------------- */

typedef int (*job_fn)(struct sim_sigwork *w, struct sim_job *j);

static const job_fn jobs[] = {
    [SIM_JOB_RENEW] = run_renew,
    [SIM_JOB_INSTALL] = run_install,
    [SIM_JOB_MESSAGE] = run_message,
    [SIM_JOB_REKEY] = run_rekey,
};

static void push(struct sim_job **head, struct sim_job **tail,
		 struct sim_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static struct sim_job *pop(struct sim_job **head, struct sim_job **tail)
{
	struct sim_job *j = *head;

	if (j) {
		*head = j->next;
		if (!*head)
			*tail = NULL;
	}
	return j;
}

static void *run(void *arg)
{
	struct sim_sigwork *w = arg;
	struct sim_job *j;
	sigset_t block;

	/* Stop requests belong to the traffic loop's thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->todo && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		j = pop(&w->todo, &w->todo_tail);
		pthread_mutex_unlock(&w->mu);
		j->rc = jobs[j->kind](w, j);
		pthread_mutex_lock(&w->mu);
		push(&w->done, &w->done_tail, j);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct sim_sigwork *sim_sigwork_start(struct sim_signals *s, char *err,
				      size_t errlen)
{
	struct sim_sigwork *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->s = s;
	w->ctx = sim_tls_ctx(s->o->ca, err, errlen);
	if (!w->ctx) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		snprintf(err, errlen, "cannot start the link-2 worker");
		SSL_CTX_free(w->ctx);
		free(w);
		return NULL;
	}
	return w;
}

void sim_sigwork_stop(struct sim_sigwork *w)
{
	struct sim_job *j;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	while ((j = pop(&w->todo, &w->todo_tail)))
		free(j);
	while ((j = pop(&w->done, &w->done_tail)))
		free(j);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	SSL_CTX_free(w->ctx);
	free(w);
}

int sim_sigwork_post(struct sim_sigwork *w, const struct sim_job *j)
{
	struct sim_job *c;

	if (!w)
		return -ENOTCONN;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = *j;
	pthread_mutex_lock(&w->mu);
	push(&w->todo, &w->todo_tail, c);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int sim_sigwork_done(struct sim_sigwork *w, struct sim_job *out)
{
	struct sim_job *j;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	j = pop(&w->done, &w->done_tail);
	pthread_mutex_unlock(&w->mu);
	if (!j)
		return 0;
	*out = *j;
	free(j);
	return 1;
}
