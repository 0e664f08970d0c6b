/*
 * The signal thread.  Every 50 ms it sends what is due; once a second it
 * looks for certificates entering their renewal window and for
 * republished revocation lists.  It owns its Redis context and its two
 * UDP sockets; the session secret it needs for a signal's key is
 * unwrapped for that one datagram and wiped at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "gw_signal.h"
#include "gw_util.h"
#include "log.h"
#include "merchants.h"
#include "parse.h"
#include "signaler.h"
#include "sigstore.h"
#include "store.h"
#include "tls.h"

#define TICK_NS	     (50 * 1000 * 1000)
#define DUE_PER_TICK 64
#define RENEW_BATCH  64
/* A merchant due for renewal but without a session to tell is looked at
 * again this much later, or as soon as it opens a session. */
#define RENEW_RECHECK_S 30

struct gw_signaler {
	const struct gw_ctl_config *cfg;
	volatile sig_atomic_t *stop;
	redisContext *rc;
	int fd4, fd6;
	pthread_t thread;
	time_t last_second;
	time_t redis_retry;
};

/* What a session hash says, as sending needs it. */
struct target {
	char merchant[GW_MERCHANT_ID_MAX + 1];
	char wrapped[GW_SESSREC_WRAPPED_HEX];
	char endpoint[GW_ENDPOINT_MAX];
	uint8_t state;
	uint64_t expires;
};

static redisContext *redis(struct gw_signaler *s)
{
	char err[128];

	if (s->rc && !s->rc->err)
		return s->rc;
	if (time(NULL) < s->redis_retry)
		return NULL;
	if (s->rc)
		redisFree(s->rc);
	s->rc = gw_store_connect(s->cfg->redis_path, err, sizeof(err));
	if (!s->rc) {
		log_err("signals: cannot reach Redis at %s: %s",
			s->cfg->redis_path, err);
		s->redis_retry = time(NULL) + 1;
	}
	return s->rc;
}

static int copy_field(const redisReply *e, char *out, size_t outlen)
{
	if (e->type != REDIS_REPLY_STRING || e->len >= outlen)
		return -EINVAL;
	memcpy(out, e->str, e->len);
	out[e->len] = '\0';
	return 0;
}

/* Loads session @sid.  0, -ENOENT (gone or malformed) or -EIO. */
static int load_target(redisContext *rc, uint32_t sid, struct target *t)
{
	char state[16], expires[24];
	redisReply *r;
	char *end;
	int ret = -ENOENT;

	r = redisCommand(rc,
			 "HMGET %s%" PRIu32 " merchant wrapped signal state "
			 "expires",
			 GW_REDIS_SESSION_PREFIX, sid);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
		ret = -EIO;
		goto out;
	}
	if (copy_field(r->element[0], t->merchant, sizeof(t->merchant)) ||
	    copy_field(r->element[1], t->wrapped, sizeof(t->wrapped)) ||
	    copy_field(r->element[2], t->endpoint, sizeof(t->endpoint)) ||
	    copy_field(r->element[3], state, sizeof(state)) ||
	    copy_field(r->element[4], expires, sizeof(expires)) ||
	    gw_sessrec_state_parse(state, &t->state))
		goto out;
	t->expires = strtoull(expires, &end, 10);
	if (*end == '\0')
		ret = 0;
out:
	freeReplyObject(r);
	return ret;
}

/*
 * @endpoint as an address.  Numeric addresses are taken as they are; a
 * name is resolved here, which can hold the thread for the resolver's
 * timeout: merchants that want prompt signals name an address.
 */
static int resolve(const char *endpoint, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char host[256];
	const char *colon;

	if (gw_parse_hostport(endpoint, ss, len) == 0)
		return 0;
	colon = strrchr(endpoint, ':');
	if (!colon || endpoint[0] == '[' ||
	    (size_t)(colon - endpoint) >= sizeof(host))
		return -EINVAL;
	memcpy(host, endpoint, colon - endpoint);
	host[colon - endpoint] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &res) || !res)
		return -EHOSTUNREACH;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Seals and sends one datagram to @t.  0 or a negative errno. */
static int transmit(struct gw_signaler *s, const struct target *t,
		    const struct gw_signal *sig)
{
	uint8_t key[GW_SIGNAL_KEY_LEN], pkt[GW_SIGNAL_LEN];
	struct sockaddr_storage ss;
	struct gw_sessrec r;
	socklen_t len;
	int ret, fd;

	memset(&r, 0, sizeof(r));
	r.id = sig->session;
	snprintf(r.merchant, sizeof(r.merchant), "%s", t->merchant);
	ret = gw_sessrec_unwrap(s->cfg->wrap_key, &r, t->wrapped);
	if (ret == 0)
		ret = gw_signal_key(r.secret, sig->session, key);
	if (ret == 0 && gw_signal_seal(key, sig, pkt) != GW_SIGNAL_LEN)
		ret = -EINVAL;
	if (ret == 0)
		ret = resolve(t->endpoint, &ss, &len);
	if (ret == 0) {
		fd = ss.ss_family == AF_INET6 ? s->fd6 : s->fd4;
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss,
			   len) != (ssize_t)sizeof(pkt))
			ret = -errno;
	}
	OPENSSL_cleanse(&r, sizeof(r));
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/* Whether a pending signal still has somewhere to go. */
static int deliverable(const struct target *t, uint8_t type)
{
	if (t->expires <= (uint64_t)time(NULL) || strcmp(t->endpoint, "-") == 0)
		return 0;
	return t->state == GW_SESS_ACTIVE || type == GW_SIG_SESSION_REVOKED;
}

/* Sends @member once and schedules what follows. */
static void send_one(struct gw_signaler *s, redisContext *rc,
		     const char *member)
{
	struct gw_signal sig = {0};
	const char *name;
	uint64_t sent, max;
	struct target t;
	int ret;

	if (gw_sigpolicy_member_parse(member, &sig.session, &sig.type,
				      sig.ref)) {
		gw_sigstore_forget(rc, NULL, member);
		return;
	}
	name = gw_signal_type_name(sig.type);
	ret = load_target(rc, sig.session, &t);
	if (ret == -EIO)
		return;
	if (ret || !deliverable(&t, sig.type)) {
		gw_sigstore_forget(rc, ret ? NULL : t.merchant, member);
		OPENSSL_cleanse(t.wrapped, sizeof(t.wrapped));
		return;
	}
	if (gw_sigstore_count_send(rc, member, &sent) ||
	    gw_sigstore_next_seq(rc, sig.session, &sig.seq))
		goto out;
	ret = transmit(s, &t, &sig);
	gw_log_emit(sent == 1 ? GW_LOG_INFO : GW_LOG_DEBUG,
		    "signal %s %s to merchant %s session %" PRIu32
		    " try %" PRIu64 " seq %" PRIu64 "%s%s",
		    name, sig.ref, t.merchant, sig.session, sent, sig.seq,
		    ret ? ": " : "", ret ? strerror(-ret) : "");
	max = gw_sigpolicy_max_tries(sig.type, s->cfg->signal_max_tries);
	if (sent < max) {
		gw_sigstore_reschedule(
		    rc, member,
		    gw_sigstore_now_ms() +
			gw_sigpolicy_delay_ms((unsigned)sent,
					      s->cfg->signal_retry_ms,
					      GW_SIG_RETRY_CAP_MS));
		goto out;
	}
	gw_sigstore_forget(rc, t.merchant, member);
	if (gw_sigpolicy_wants_answer(sig.type))
		log_warn("signal %s to merchant %s session %" PRIu32
			 " unanswered after %" PRIu64 " tries",
			 name, t.merchant, sig.session, sent);
out:
	OPENSSL_cleanse(t.wrapped, sizeof(t.wrapped));
}

static void send_due(struct gw_signaler *s, redisContext *rc)
{
	static char due[DUE_PER_TICK][GW_SIG_MEMBER_MAX];
	int i, n;

	n = gw_sigstore_due(rc, gw_sigstore_now_ms(), due, DUE_PER_TICK);
	for (i = 0; i < n && !*s->stop; i++)
		send_one(s, rc, due[i]);
}

/* Queues CERT_RENEW for merchants whose certificate entered the window. */
static void renewal_scan(struct gw_signaler *s, redisContext *rc)
{
	static char ids[RENEW_BATCH][GW_MERCHANT_ID_MAX + 1];
	char serial[GW_SERIAL_HEX_MAX];
	uint64_t now = (uint64_t)time(NULL);
	int i, n, q;

	n = gw_merchants_renewal_due(rc, now + (uint64_t)s->cfg->renew_window,
				     ids, RENEW_BATCH);
	for (i = 0; i < n; i++) {
		if (gw_merchants_cert(rc, ids[i], serial) || !serial[0])
			continue;
		q = gw_sigstore_signal_merchant(rc, ids[i], GW_SIG_CERT_RENEW,
						serial);
		if (q > 0 && gw_merchants_renewal_done(rc, ids[i], serial) == 0)
			log_info(
			    "certificate %s of merchant %s is due for renewal: CERT_RENEW queued for %d sessions",
			    serial, ids[i], q);
		else if (q == 0)
			gw_merchants_renewal_later(
			    rc, ids[i],
			    now + RENEW_RECHECK_S +
				(uint64_t)s->cfg->renew_window);
	}
}

static void each_second(struct gw_signaler *s, redisContext *rc)
{
	char err[256];

	/* A list that cannot be loaded is logged by gw_tls_refresh, once,
	 * whether this thread or a connection looks first. */
	gw_tls_refresh(s->cfg->pki_dir, err, sizeof(err));
	if (rc)
		renewal_scan(s, rc);
}

static void *run(void *arg)
{
	struct timespec tick = {.tv_nsec = TICK_NS};
	struct gw_signaler *s = arg;
	redisContext *rc;
	sigset_t block;

	/* Stop signals belong to the accept loop's ppoll. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	while (!*s->stop) {
		nanosleep(&tick, NULL);
		rc = redis(s);
		if (rc)
			send_due(s, rc);
		if (time(NULL) != s->last_second) {
			s->last_second = time(NULL);
			each_second(s, redis(s));
		}
	}
	return NULL;
}

struct gw_signaler *gw_signaler_start(const struct gw_ctl_config *cfg,
				      volatile sig_atomic_t *stop)
{
	struct gw_signaler *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = cfg;
	s->stop = stop;
	s->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	s->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd4 < 0 || pthread_create(&s->thread, NULL, run, s)) {
		if (s->fd4 >= 0)
			close(s->fd4);
		if (s->fd6 >= 0)
			close(s->fd6);
		free(s);
		return NULL;
	}
	return s;
}

void gw_signaler_join(struct gw_signaler *s)
{
	if (!s)
		return;
	pthread_join(s->thread, NULL);
	if (s->rc)
		redisFree(s->rc);
	close(s->fd4);
	if (s->fd6 >= 0)
		close(s->fd6);
	free(s);
}
