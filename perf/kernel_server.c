/*
 * gw-kernel-server: the benchmark's kernel-socket baseline.  One thread,
 * one UDP socket, batches of 32 datagrams through recvmmsg and sendmmsg,
 * the per-request work of kproto.c, sessions from Redis through ksync.c.
 * It answers like the data plane but is not part of the appliance: no
 * journal, no statistics beyond the benchmark's counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <openssl/crypto.h>

#include "gw_card.h"
#include "gw_credit.h"
#include "gw_decide.h"
#include "gw_kdf.h"
#include "gw_util.h"
#include "kproto.h"
#include "ksync.h"

#define BATCH	     32
#define BUF_LEN	     2048
#define TICK_NS	     50000000ull /* session events and clock */
#define STATS_NS     1000000000ull
#define MAX_SESSIONS (1u << 21)

struct opts {
	const char *listen;
	const char *credit_lines;
	const char *master_key;
	const char *redis;
	const char *stats;
	uint64_t referral_amount;
	long cpu; /* -1: not pinned */
};

struct server {
	struct opts o;
	int fd;
	struct gw_card_tokenizer *tk;
	struct gw_credit_table *credit;
	struct gw_kstore *sessions;
	struct gw_ksync *sync;
	struct gw_kproto *proto;
	uint64_t busy_cycles;
	uint64_t batches;
	int redis_lost;
};

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	quit = 1;
}

static const char usage_text[] =
    "usage: gw-kernel-server --listen IP:PORT --credit-lines FILE\n"
    "         --master-key FILE --redis SOCKET [--referral-amount N]\n"
    "         [--stats FILE] [--cpu N]\n";

static int usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "gw-kernel-server: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

static int number(const char *v, uint64_t max, uint64_t *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno != 0 || *end != '\0' || *out > max ? -EINVAL : 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"credit-lines", required_argument, NULL, 'c'},
	    {"master-key", required_argument, NULL, 'k'},
	    {"redis", required_argument, NULL, 'r'},
	    {"referral-amount", required_argument, NULL, 'a'},
	    {"stats", required_argument, NULL, 's'},
	    {"cpu", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	o->referral_amount = GW_REFERRAL_DEFAULT;
	o->cpu = -1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->listen = optarg;
			break;
		case 'c':
			o->credit_lines = optarg;
			break;
		case 'k':
			o->master_key = optarg;
			break;
		case 'r':
			o->redis = optarg;
			break;
		case 's':
			o->stats = optarg;
			break;
		case 'a':
			if (number(optarg, UINT64_MAX, &v) != 0 || v == 0)
				return usage("--referral-amount: not a number");
			o->referral_amount = v;
			break;
		case 'p':
			if (number(optarg, CPU_SETSIZE - 1, &v) != 0)
				return usage("--cpu: not a CPU number");
			o->cpu = (long)v;
			break;
		default:
			return usage(NULL);
		}
	}
	if (optind < argc)
		return usage("unexpected argument");
	if (!o->listen || !o->credit_lines || !o->master_key || !o->redis)
		return usage("--listen, --credit-lines, --master-key and "
			     "--redis are required");
	return 0;
}

static int open_socket(const char *listen, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char host[64];
	const char *colon = strrchr(listen, ':');
	uint64_t port;
	int fd, big = 8 << 20;
	struct timeval tv = {.tv_usec = TICK_NS / 1000};

	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host) ||
	    number(colon + 1, 65535, &port) != 0 || port == 0) {
		snprintf(err, errlen, "--listen %s: expected IPv4:PORT",
			 listen);
		return -EINVAL;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "--listen %s: expected IPv4:PORT",
			 listen);
		return -EINVAL;
	}
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	return fd;
}

/* Master key -> tokenizer, credit lines, sessions.  0 or -1 with the
 * reason in @err. */
static int load_state(struct server *s, char *err, size_t errlen)
{
	uint8_t master[GW_SECRET_LEN], tok[GW_SECRET_LEN], wrap[GW_SECRET_LEN];
	int rc = -1;

	if (gw_keyfile_read(s->o.master_key, master, sizeof(master)) != 0) {
		snprintf(err, errlen, "cannot read master key %s",
			 s->o.master_key);
		goto out;
	}
	if (gw_kdf_subkey(master, "card-token", tok) != 0 ||
	    gw_kdf_subkey(master, "session-wrap", wrap) != 0 ||
	    (s->tk = gw_card_tokenizer_new(tok)) == NULL) {
		snprintf(err, errlen, "cannot derive keys");
		goto out;
	}
	s->credit = gw_credit_load(s->o.credit_lines, s->tk, err, errlen);
	if (s->credit == NULL)
		goto out;
	s->sessions = gw_kstore_new(MAX_SESSIONS);
	if (s->sessions == NULL) {
		snprintf(err, errlen, "cannot allocate the session table");
		goto out;
	}
	s->sync = gw_ksync_new(s->o.redis, s->sessions, wrap, err, errlen);
	if (s->sync == NULL)
		goto out;
	s->proto =
	    gw_kproto_new(s->sessions, s->tk, s->credit, s->o.referral_amount);
	if (s->proto == NULL) {
		snprintf(err, errlen, "OpenSSL has no AES-256-GCM");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(master, sizeof(master));
	OPENSSL_cleanse(tok, sizeof(tok));
	OPENSSL_cleanse(wrap, sizeof(wrap));
	return rc;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *const drop_names[GW_KDROP_MAX] = {
    [GW_KDROP_WIRE] = "wire",
    [GW_KDROP_UNKNOWN_SESSION] = "unknown_session",
    [GW_KDROP_REVOKED_SESSION] = "revoked_session",
    [GW_KDROP_EXPIRED_SESSION] = "expired_session",
    [GW_KDROP_REPLAY] = "replay",
    [GW_KDROP_BAD_TAG] = "bad_tag",
    [GW_KDROP_CRYPTO] = "crypto_error",
};

/* The counters as JSON, replaced atomically so that readers never see
 * half a file.  busy_cycles: TSC cycles from a batch's arrival to the
 * return of its send; busy_ns: the thread's CPU time, system calls
 * included. */
static void write_stats(const struct server *s)
{
	const struct gw_kstats *st = gw_kproto_stats(s->proto);
	char tmp[4096];
	FILE *f;
	int i;

	if (s->o.stats == NULL || snprintf(tmp, sizeof(tmp), "%s.tmp",
					   s->o.stats) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	fprintf(f, "{\"requests\":%" PRIu64 ",\"responses\":%" PRIu64 ",",
		st->requests, st->responses);
	fputs("\"drops\":{", f);
	for (i = 0; i < GW_KDROP_MAX; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", drop_names[i],
			st->drops[i]);
	fprintf(f, "},\"sessions\":%u,\"batches\":%" PRIu64 ",",
		gw_kstore_count(s->sessions), s->batches);
	fprintf(f, "\"busy_cycles\":%" PRIu64 ",\"busy_ns\":%" PRIu64 "}\n",
		s->busy_cycles, clock_ns(CLOCK_THREAD_CPUTIME_ID));
	if (fclose(f) != 0 || rename(tmp, s->o.stats) != 0)
		unlink(tmp);
}

/* One batch: handle what arrived, answer in one call. */
static void batch(struct server *s, struct mmsghdr *in, unsigned n,
		  uint8_t (*buf)[BUF_LEN])
{
	struct mmsghdr out[BATCH];
	struct iovec iov[BATCH];
	unsigned i, m = 0;
	size_t len;

	for (i = 0; i < n; i++) {
		len =
		    gw_kproto_handle(s->proto, buf[i], in[i].msg_len, BUF_LEN);
		if (len == 0)
			continue;
		iov[m] = (struct iovec){.iov_base = buf[i], .iov_len = len};
		out[m].msg_hdr = (struct msghdr){
		    .msg_name = in[i].msg_hdr.msg_name,
		    .msg_namelen = in[i].msg_hdr.msg_namelen,
		    .msg_iov = &iov[m],
		    .msg_iovlen = 1,
		};
		m++;
	}
	/* A full send buffer loses the rest of the batch, as a full
	 * transmit ring does in the data plane; the merchant retransmits. */
	if (m > 0)
		(void)sendmmsg(s->fd, out, m, 0);
}

static void tick(struct server *s, uint64_t *next_tick, uint64_t *next_stats)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (now < *next_tick)
		return;
	*next_tick = now + TICK_NS;
	gw_kproto_clock(s->proto, (uint64_t)time(NULL), gw_decide_today());
	if (!s->redis_lost && gw_ksync_poll(s->sync) < 0) {
		s->redis_lost = 1;
		fprintf(
		    stderr,
		    "gw-kernel-server: lost Redis; serving the %u sessions known\n",
		    gw_kstore_count(s->sessions));
	}
	if (now >= *next_stats) {
		*next_stats = now + STATS_NS;
		write_stats(s);
	}
}

static void serve(struct server *s)
{
	static uint8_t buf[BATCH][BUF_LEN];
	struct sockaddr_in from[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr in[BATCH];
	uint64_t next_tick = 0, next_stats = 0, t0;
	unsigned i;
	int n;

	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){.iov_base = buf[i], .iov_len = BUF_LEN};
		in[i].msg_hdr =
		    (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
	}
	while (!quit) {
		tick(s, &next_tick, &next_stats);
		for (i = 0; i < BATCH; i++) {
			in[i].msg_hdr.msg_name = &from[i];
			in[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(s->fd, in, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue; /* timeout or signal: tick, then wait again */
		t0 = __rdtsc();
		batch(s, in, (unsigned)n, buf);
		s->busy_cycles += __rdtsc() - t0;
		s->batches++;
	}
	write_stats(s);
}

static int pin(long cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct server s = {.fd = -1};
	char err[512] = "";
	int rc = 1;

	if (parse(argc, argv, &s.o) != 0)
		return 2;
	if (pin(s.o.cpu) != 0) {
		fprintf(stderr, "gw-kernel-server: cannot pin to CPU %ld: %s\n",
			s.o.cpu, strerror(errno));
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (load_state(&s, err, sizeof(err)) != 0)
		goto out;
	s.fd = open_socket(s.o.listen, err, sizeof(err));
	if (s.fd < 0)
		goto out;
	fprintf(
	    stderr, "gw-kernel-server: %zu credit lines, %u sessions, on %s\n",
	    gw_credit_count(s.credit), gw_kstore_count(s.sessions), s.o.listen);
	serve(&s);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "gw-kernel-server: %s\n", err);
	if (s.fd >= 0)
		close(s.fd);
	gw_kproto_free(s.proto);
	gw_ksync_free(s.sync);
	gw_kstore_free(s.sessions);
	gw_credit_free(s.credit);
	gw_card_tokenizer_free(s.tk);
	return rc;
}
