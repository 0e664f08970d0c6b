/*
 * The merchant's link-2 listener and its reactions.  A signal is believed
 * only under the key of the session it names and above that session's
 * last sequence number; it carries no authority, so every reaction is a
 * transaction the merchant could start on its own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gw_util.h"
#include "siglisten.h"
#include "signals.h"
#include "sigreport.h"
#include "sigwork.h"

#define RECV_MAX    128
#define OFF_SESSION 8

static const struct {
	int err;
	enum sim_sig_refusal why;
} open_errors[] = {
    {GW_SIGNAL_ESIZE, SIM_SIGREF_SIZE},
    {GW_SIGNAL_EMAGIC, SIM_SIGREF_MAGIC},
    {GW_SIGNAL_ETYPE, SIM_SIGREF_TYPE},
    {GW_SIGNAL_ESESSION, SIM_SIGREF_SESSION},
    {GW_SIGNAL_ETAG, SIM_SIGREF_FORGED},
    {GW_SIGNAL_EREF, SIM_SIGREF_REF},
    {GW_SIGNAL_EREPLAY, SIM_SIGREF_REPLAYED},
};

static enum sim_sig_refusal refusal_of(int err)
{
	size_t i;

	for (i = 0; i < sizeof(open_errors) / sizeof(open_errors[0]); i++)
		if (open_errors[i].err == err)
			return open_errors[i].why;
	return SIM_SIGREF_FORGED;
}

/* ---- set-up -------------------------------------------------------- */

struct sim_signals *sim_signals_new(const struct sim_opts *o,
				    struct sim_merchant *m, unsigned nent,
				    unsigned nsess, unsigned spm,
				    const struct sim_ident *ids, unsigned nids,
				    int listen, char *err, size_t errlen)
{
	struct sim_signals *s = calloc(1, sizeof(*s));
	unsigned i, k;

	if (!s || nsess > nent || (size_t)nids * spm != nsess) {
		snprintf(err, errlen, "cannot set up link 2");
		free(s);
		return NULL;
	}
	s->o = o;
	s->m = m;
	s->nent = nent;
	s->nmer = nids;
	s->epfd = -1;
	s->out = stdout;
	s->ent = calloc(nent, sizeof(*s->ent));
	s->mer = calloc(nids ? nids : 1, sizeof(*s->mer));
	if (!s->ent || !s->mer) {
		snprintf(err, errlen, "out of memory");
		sim_signals_free(s);
		return NULL;
	}
	for (i = 0; i < nids; i++) {
		s->mer[i].fd = -1;
		memcpy(s->mer[i].id, ids[i].id, sizeof(s->mer[i].id));
		snprintf(s->mer[i].version, sizeof(s->mer[i].version), "%s",
			 o->software_version);
	}
	if (listen && sim_siglisten_open(o, s->mer, s->nmer, err, errlen) < 0) {
		sim_signals_free(s);
		return NULL;
	}
	for (k = 0; k < nent; k++) {
		s->ent[k].merchant = k < nsess ? k / spm : 0;
		if (k >= nsess)
			m[k].state = SIM_SESS_FREE;
		else if (listen)
			memcpy(m[k].sigaddr, s->mer[k / spm].addr,
			       sizeof(m[k].sigaddr));
	}
	return s;
}

void sim_signals_opened(struct sim_signals *s, unsigned nsess)
{
	unsigned k;

	for (k = 0; k < nsess && k < s->nent; k++)
		s->ent[k].live = 1;
}

void sim_signals_free(struct sim_signals *s)
{
	unsigned i;

	if (!s)
		return;
	sim_signals_detach(s);
	for (i = 0; s->mer && i < s->nmer; i++)
		if (s->mer[i].fd >= 0)
			close(s->mer[i].fd);
	if (s->mer)
		OPENSSL_cleanse(s->mer, s->nmer * sizeof(*s->mer));
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->mer);
	free(s->ent);
	free(s);
}

/* ---- checking ------------------------------------------------------ */

static int find_live(const struct sim_signals *s, unsigned mer, uint32_t sid)
{
	unsigned e;

	for (e = 0; e < s->nent; e++)
		if (s->ent[e].live && s->ent[e].merchant == mer &&
		    s->m[e].sid == sid)
			return (int)e;
	return -1;
}

/* Why a datagram for a session we do not know fails: junk is named as
 * such (size, magic, type are checked before any key is needed), and
 * anything well-formed is a stranger's session. */
static enum sim_sig_refusal stranger(const uint8_t *pkt, size_t len,
				     uint32_t sid)
{
	static const uint8_t nokey[GW_SIGNAL_KEY_LEN];
	struct gw_signal junk;
	uint64_t last = 0;
	int rc = gw_signal_open(nokey, sid, pkt, len, &last, &junk);

	if (rc == GW_SIGNAL_ESIZE || rc == GW_SIGNAL_EMAGIC ||
	    rc == GW_SIGNAL_ETYPE)
		return refusal_of(rc);
	return SIM_SIGREF_SESSION;
}

int sim_signals_take(struct sim_signals *s, unsigned mer, const uint8_t *pkt,
		     size_t len, struct gw_signal *out, int *ent)
{
	struct sim_sigm *mm = &s->mer[mer];
	const uint8_t *key = NULL;
	uint64_t *last = NULL;
	enum sim_sig_refusal why;
	uint32_t sid = 0;
	unsigned i;
	int e, rc;

	if (len >= OFF_SESSION + sizeof(sid)) {
		memcpy(&sid, pkt + OFF_SESSION, sizeof(sid));
		sid = ntohl(sid);
	}
	e = find_live(s, mer, sid);
	*ent = e;
	if (e >= 0) {
		key = s->m[e].sigkey;
		last = &s->ent[e].last_seq;
	}
	for (i = 0; !key && i < SIM_SIG_RETIRED_MAX && i < mm->nretired; i++) {
		if (mm->retired[i].sid != sid)
			continue;
		key = mm->retired[i].key;
		last = &mm->retired[i].last_seq;
	}
	if (!key) {
		why = stranger(pkt, len, sid);
		s->st.refused[why]++;
		return -1 - (int)why;
	}
	rc = gw_signal_open(key, sid, pkt, len, last, out);
	if (rc != 0) {
		why = refusal_of(rc);
		s->st.refused[why]++;
		return -1 - (int)why;
	}
	s->st.received[out->type]++;
	return 0;
}

/* ---- reactions ----------------------------------------------------- */

int sim_signals_seen(struct sim_sigm *mm, uint8_t type, const char *ref)
{
	unsigned i,
	    n = mm->nseen < SIM_SIG_SEEN_MAX ? mm->nseen : SIM_SIG_SEEN_MAX;

	for (i = 0; i < n; i++)
		if (mm->seen[i].type == type && !strcmp(mm->seen[i].ref, ref))
			return 1;
	i = mm->nseen++ % SIM_SIG_SEEN_MAX;
	mm->seen[i].type = type;
	snprintf(mm->seen[i].ref, sizeof(mm->seen[i].ref), "%s", ref);
	return 0;
}

void sim_signals_unsee(struct sim_sigm *mm, uint8_t type, const char *ref)
{
	unsigned i;

	for (i = 0; i < SIM_SIG_SEEN_MAX; i++)
		if (mm->seen[i].type == type && !strcmp(mm->seen[i].ref, ref))
			mm->seen[i].type = 0;
}

/* Posts a link-1 transaction for @sig once per reference. */
static void post_once(struct sim_signals *s, unsigned mer,
		      enum sim_job_kind kind, const struct gw_signal *sig)
{
	struct sim_job j = {.kind = kind, .merchant = mer, .type = sig->type};

	if (sim_signals_seen(&s->mer[mer], sig->type, sig->ref))
		return;
	memcpy(j.ref, sig->ref, sizeof(j.ref));
	/* Without a worker the repeat of the signal gets another chance. */
	if (sim_sigwork_post(s->work, &j) < 0)
		sim_signals_unsee(&s->mer[mer], sig->type, sig->ref);
}

static void on_renew(struct sim_signals *s, unsigned mer, int e,
		     const struct gw_signal *sig, uint64_t now)
{
	post_once(s, mer, SIM_JOB_RENEW, sig);
}

static void on_software(struct sim_signals *s, unsigned mer, int e,
			const struct gw_signal *sig, uint64_t now)
{
	char name[GW_PKI_PKG_NAME_MAX + 1], version[GW_PKI_VERSION_MAX + 1];

	/* The reference becomes a file name and a link-1 request: nothing
	 * but a package name and a version goes further. */
	if (sim_install_parse_ref(sig->ref, name, version) < 0) {
		fprintf(
		    stderr,
		    "merchant-sim: merchant %s: SOFTWARE_AVAILABLE %s is not name@version, ignored\n",
		    s->mer[mer].id, sig->ref);
		return;
	}
	post_once(s, mer, SIM_JOB_INSTALL, sig);
}

static void on_message(struct sim_signals *s, unsigned mer, int e,
		       const struct gw_signal *sig, uint64_t now)
{
	post_once(s, mer, SIM_JOB_MESSAGE, sig);
}

static int find_spare(const struct sim_signals *s)
{
	unsigned k;

	for (k = 0; k < s->nent; k++)
		if (s->m[k].state == SIM_SESS_FREE && !s->ent[k].reserved &&
		    !s->ent[k].live)
			return (int)k;
	return -1;
}

static void on_rekey(struct sim_signals *s, unsigned mer, int e,
		     const struct gw_signal *sig, uint64_t now)
{
	struct sim_job j = {.kind = SIM_JOB_REKEY, .merchant = mer};
	char sid[16];
	int spare;

	/* A retired session's REKEY is moot; one that names another
	 * session than its own is not the gateway's. */
	if (e < 0)
		return;
	snprintf(sid, sizeof(sid), "%" PRIu32, s->m[e].sid);
	if (strcmp(sid, sig->ref) != 0 || s->m[e].state != SIM_SESS_ACTIVE ||
	    s->ent[e].rekeying || s->ent[e].next)
		return;
	/* Without a spare, a later repeat of the signal finds one. */
	spare = find_spare(s);
	if (spare < 0)
		return;
	j.type = sig->type;
	memcpy(j.ref, sig->ref, sizeof(j.ref));
	j.old_ent = (unsigned)e;
	j.new_ent = (unsigned)spare;
	s->ent[spare].reserved = 1;
	s->ent[spare].merchant = mer;
	s->ent[e].rekeying = 1;
	if (sim_sigwork_post(s->work, &j) < 0) {
		s->ent[spare].reserved = 0;
		s->ent[e].rekeying = 0;
	}
}

static void on_revoked(struct sim_signals *s, unsigned mer, int e,
		       const struct gw_signal *sig, uint64_t now)
{
	if (e >= 0)
		sim_signals_revoke(s, (unsigned)e);
}

typedef void (*react_fn)(struct sim_signals *s, unsigned mer, int e,
			 const struct gw_signal *sig, uint64_t now);

static const react_fn reactions[GW_SIG_TYPE_MAX + 1] = {
    [GW_SIG_CERT_RENEW] = on_renew,
    [GW_SIG_SOFTWARE_AVAILABLE] = on_software,
    [GW_SIG_REKEY] = on_rekey,
    [GW_SIG_MESSAGE] = on_message,
    [GW_SIG_SESSION_REVOKED] = on_revoked,
};

void sim_signals_react(struct sim_signals *s, unsigned mer, int ent,
		       const struct gw_signal *sig, uint64_t now)
{
	if (sig->type <= GW_SIG_TYPE_MAX && reactions[sig->type])
		reactions[sig->type](s, mer, ent, sig, now);
}

/* ---- the loop's hook ----------------------------------------------- */

static void save(const char *path, const uint8_t *pkt, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	fwrite(pkt, 1, len, f);
	fclose(f);
}

static void drain_one(struct sim_signals *s, unsigned mer, uint64_t now)
{
	uint8_t buf[RECV_MAX];
	struct gw_signal sig;
	ssize_t n;
	int e;

	for (;;) {
		n = recv(s->mer[mer].fd, buf, sizeof(buf),
			 MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return;
		/* MSG_TRUNC gives the real length: too long is refused as
		 * such, not judged on its first bytes. */
		if (sim_signals_take(s, mer, buf, (size_t)n, &sig, &e) < 0)
			continue;
		if (s->o->signal_save)
			save(s->o->signal_save, buf, (size_t)n);
		sim_signals_react(s, mer, e, &sig, now);
	}
}

static void reap(struct sim_signals *s, uint64_t now)
{
	struct sim_job j;

	while (sim_sigwork_done(s->work, &j)) {
		if (j.kind == SIM_JOB_REKEY)
			sim_signals_rekeyed(s, j.old_ent, j.new_ent, j.rc, now);
		else if (j.kind == SIM_JOB_RENEW && j.rc < 0)
			sim_signals_unsee(&s->mer[j.merchant], j.type, j.ref);
	}
}

static void hook(struct sim_traffic *t, int ready, uint64_t now)
{
	struct sim_signals *s = t->hook_ctx;
	struct epoll_event ev[16];
	int n, i;

	if (ready) {
		n = epoll_wait(s->epfd, ev, 16, 0);
		for (i = 0; i < n; i++)
			drain_one(s, ev[i].data.u32, now);
	}
	reap(s, now);
	sim_signals_tick(s, now);
}

int sim_signals_attach(struct sim_signals *s, struct sim_traffic *t,
		       struct sim_stats *run)
{
	struct epoll_event ev = {.events = EPOLLIN};
	char err[256];
	unsigned i;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	for (i = 0; i < s->nmer; i++) {
		ev.data.u32 = i;
		if (s->mer[i].fd >= 0 &&
		    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->mer[i].fd, &ev) < 0)
			return -errno;
	}
	ev.data.u32 = SIM_TRAFFIC_HOOK_EV;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, s->epfd, &ev) < 0)
		return -errno;
	s->work = sim_sigwork_start(s, err, sizeof(err));
	if (!s->work) {
		fprintf(stderr, "merchant-sim: %s\n", err);
		return -ENOMEM;
	}
	s->t = t;
	s->run = run;
	t->hook = hook;
	t->hook_ctx = s;
	run->more = sim_signals_report;
	run->more_ctx = s;
	return 0;
}

void sim_signals_detach(struct sim_signals *s)
{
	if (!s || !s->work)
		return;
	sim_sigwork_stop(s->work);
	s->work = NULL;
	if (s->t) {
		s->t->hook = NULL;
		s->t = NULL;
	}
}
