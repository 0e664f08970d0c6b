/*
 * gw-control's command line: the serve, secrets, sessions and keygen
 * commands, the operator's revoke, publish, message and rekey, their
 * options and exit codes (0 done, 1 failed, 2 usage).
 * What each command does lives in its own module.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ctl.h"
#include "gw_pki.h"
#include "gw_util.h"
#include "log.h"
#include "operator.h"
#include "parse.h"
#include "secrets.h"
#include "server.h"
#include "session.h"
#include "signaler.h"
#include "sigpolicy.h"
#include "store.h"
#include "tls.h"

#define EXIT_USAGE	     2
#define DEFAULT_TTL	     86400
#define DEFAULT_CERT_SECONDS (365L * 86400)
#define DEFAULT_RENEW_WINDOW (30L * 86400)

static const char usage_text[] =
    "usage: gw-control serve --pki DIR --redis SOCKET --master-key FILE\n"
    "                        --listen IP:PORT --dataplane IP:PORT\n"
    "                        [--session-ttl SECONDS] [--cert-seconds N]\n"
    "                        [--packages DIR] [--renew-window SECONDS]\n"
    "                        [--signal-retry-ms MS] [--signal-max-tries N]\n"
    "       gw-control secrets --redis SOCKET (--count N [--prefix P] | --merchant ID)\n"
    "                        --out FILE [--replace]\n"
    "       gw-control sessions --redis SOCKET\n"
    "       gw-control keygen --out FILE\n"
    "       gw-control revoke --pki DIR --redis SOCKET --merchant ID [--reason R]\n"
    "       gw-control publish --pki DIR --redis SOCKET --packages DIR --file F\n"
    "                        --name N --version V [--sig F.sig] [--replace]\n"
    "       gw-control message --redis SOCKET --merchant ID --text TEXT\n"
    "       gw-control rekey --redis SOCKET --merchant ID\n"
    "       gw-control COMMAND --help\n"
    "\n"
    "  secrets --count N makes ids P0001 to P<N> (prefix P, by default m:\n"
    "  m0001, m0002, ...; four digits at least).  An id that already has a\n"
    "  pending secret refuses the whole batch; --replace issues new secrets\n"
    "  for such ids on purpose, and their old ones no longer enroll.\n"
    "  publish refuses a name and version already published; --replace\n"
    "  replaces its file.  revoke, message and rekey refuse a merchant that\n"
    "  never enrolled.\n";

static volatile sig_atomic_t stop_requested;

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "gw-control: %s\n", why);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* Every option of every command; each command checks which it needs. */
struct opts {
	const char *pki, *redis, *master_key, *listen, *dataplane;
	const char *out, *prefix, *merchant;
	const char *ttl, *cert_seconds, *count;
	const char *packages, *renew_window, *retry_ms, *max_tries;
	const char *reason, *file, *name, *version, *sig, *text;
	const char *replace, *help; /* flags: non-NULL when given */
};

/* Option names and where each one's value goes; a flag's slot is set to
 * "" when it is given. */
static const struct {
	const char *name;
	size_t offset;
	int has_arg;
} opt_table[] = {
    {"replace", offsetof(struct opts, replace), no_argument},
    {"help", offsetof(struct opts, help), no_argument},
    {"pki", offsetof(struct opts, pki), required_argument},
    {"redis", offsetof(struct opts, redis), required_argument},
    {"master-key", offsetof(struct opts, master_key), required_argument},
    {"listen", offsetof(struct opts, listen), required_argument},
    {"dataplane", offsetof(struct opts, dataplane), required_argument},
    {"session-ttl", offsetof(struct opts, ttl), required_argument},
    {"cert-seconds", offsetof(struct opts, cert_seconds), required_argument},
    {"count", offsetof(struct opts, count), required_argument},
    {"prefix", offsetof(struct opts, prefix), required_argument},
    {"merchant", offsetof(struct opts, merchant), required_argument},
    {"out", offsetof(struct opts, out), required_argument},
    {"packages", offsetof(struct opts, packages), required_argument},
    {"renew-window", offsetof(struct opts, renew_window), required_argument},
    {"signal-retry-ms", offsetof(struct opts, retry_ms), required_argument},
    {"signal-max-tries", offsetof(struct opts, max_tries), required_argument},
    {"reason", offsetof(struct opts, reason), required_argument},
    {"file", offsetof(struct opts, file), required_argument},
    {"name", offsetof(struct opts, name), required_argument},
    {"version", offsetof(struct opts, version), required_argument},
    {"sig", offsetof(struct opts, sig), required_argument},
    {"text", offsetof(struct opts, text), required_argument},
};
#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

static int parse_opts(int argc, char **argv, struct opts *o)
{
	struct option lo[N_OPTS + 1];
	size_t i;
	int c;

	memset(o, 0, sizeof(*o));
	memset(lo, 0, sizeof(lo));
	for (i = 0; i < N_OPTS; i++)
		lo[i] = (struct option){opt_table[i].name, opt_table[i].has_arg,
					NULL, (int)i + 1};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'h') {
			o->help = "";
			continue;
		}
		if (c < 1 || (size_t)c > N_OPTS)
			return -EINVAL;
		*(const char **)((char *)o + opt_table[c - 1].offset) =
		    optarg ? optarg : "";
	}
	return optind == argc ? 0 : -EINVAL;
}

static redisContext *connect_or_say(const char *path)
{
	char err[128];
	redisContext *rc;

	rc = gw_store_connect(path, err, sizeof(err));
	if (!rc)
		fprintf(stderr, "gw-control: cannot reach Redis at %s: %s\n",
			path, err);
	return rc;
}

static void on_stop(int sig)
{
	stop_requested = 1;
}

static const char *keyfile_problem(int err)
{
	switch (err) {
	case -ENOENT:
		return "does not exist (create one with gw-control keygen --out FILE)";
	case -EPERM:
		return "is readable by group or others (chmod 600 it)";
	case -EINVAL:
		return "does not hold exactly 32 bytes";
	default:
		return "cannot be read";
	}
}

/* Reads the master key and keeps only the session-wrap subkey. */
static int load_wrap_key(const char *path, struct gw_ctl_config *cfg)
{
	uint8_t master[GW_SECRET_LEN];
	int ret;

	ret = gw_keyfile_read(path, master, sizeof(master));
	if (ret) {
		fprintf(stderr, "gw-control: master key file %s %s\n", path,
			keyfile_problem(ret));
		goto out;
	}
	ret = gw_kdf_subkey(master, "session-wrap", cfg->wrap_key);
	if (ret)
		fprintf(stderr, "gw-control: cannot derive the wrap key\n");
out:
	OPENSSL_cleanse(master, sizeof(master));
	return ret;
}

static int load_issuing(struct gw_ctl_config *cfg)
{
	char path[4096];
	X509 *x;

	snprintf(path, sizeof(path), "%s/issuing.crt", cfg->pki_dir);
	x = gw_pki_read_cert(path);
	if (x)
		cfg->issuing_pem = gw_pki_cert_pem(x, &cfg->issuing_pem_len);
	X509_free(x);
	if (!cfg->issuing_pem) {
		fprintf(stderr, "gw-control: cannot read %s\n", path);
		return -EINVAL;
	}
	return 0;
}

static int signal_options(const struct opts *o, struct gw_ctl_config *cfg)
{
	uint64_t v;

	cfg->packages_dir = o->packages;
	cfg->renew_window = DEFAULT_RENEW_WINDOW;
	cfg->signal_retry_ms = GW_SIG_RETRY_MS_DEFAULT;
	cfg->signal_max_tries = GW_SIG_MAX_TRIES_DEFAULT;
	if (o->renew_window &&
	    gw_parse_u64(o->renew_window, 1, 10 * 366 * 86400ULL, &v))
		return usage("--renew-window wants 1 second to 10 years");
	if (o->renew_window)
		cfg->renew_window = (long)v;
	if (o->retry_ms && gw_parse_u64(o->retry_ms, 10, 60000, &v))
		return usage("--signal-retry-ms wants 10 to 60000");
	if (o->retry_ms)
		cfg->signal_retry_ms = v;
	if (o->max_tries && gw_parse_u64(o->max_tries, 1, 100, &v))
		return usage("--signal-max-tries wants 1 to 100");
	if (o->max_tries)
		cfg->signal_max_tries = (unsigned)v;
	return 0;
}

static int serve_options(const struct opts *o, struct gw_ctl_config *cfg)
{
	struct sockaddr_storage ss;
	uint64_t v;
	socklen_t l;

	if (!o->pki || !o->redis || !o->master_key || !o->listen ||
	    !o->dataplane)
		return usage(
		    "serve needs --pki, --redis, --master-key, --listen and --dataplane");
	if (gw_parse_hostport(o->listen, &ss, &l))
		return usage("--listen wants a numeric IP:PORT");
	if (gw_parse_hostport(o->dataplane, &ss, &l))
		return usage("--dataplane wants a numeric IP:PORT");
	cfg->pki_dir = o->pki;
	cfg->redis_path = o->redis;
	cfg->listen = o->listen;
	cfg->dataplane = o->dataplane;
	cfg->session_ttl = DEFAULT_TTL;
	cfg->cert_seconds = DEFAULT_CERT_SECONDS;
	if (o->ttl && gw_parse_u64(o->ttl, 60, 366 * 86400ULL, &v))
		return usage("--session-ttl wants 60 to 31622400 seconds");
	if (o->ttl)
		cfg->session_ttl = v;
	if (o->cert_seconds &&
	    gw_parse_u64(o->cert_seconds, 60, 10 * 366 * 86400ULL, &v))
		return usage("--cert-seconds wants 60 seconds to 10 years");
	if (o->cert_seconds)
		cfg->cert_seconds = (long)v;
	return signal_options(o, cfg);
}

static int cmd_serve(const struct opts *o)
{
	struct gw_signaler *signaler = NULL;
	struct gw_ctl_config cfg;
	struct sigaction sa;
	SSL_CTX *ctx = NULL;
	redisContext *rc;
	char err[256];
	int ret = 1;

	memset(&cfg, 0, sizeof(cfg));
	if (serve_options(o, &cfg))
		return EXIT_USAGE;
	if (load_wrap_key(o->master_key, &cfg) || load_issuing(&cfg))
		goto out;
	rc = connect_or_say(cfg.redis_path);
	if (!rc)
		goto out;
	redisFree(rc);
	ctx = gw_tls_server_ctx(cfg.pki_dir, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "gw-control: TLS setup from %s failed: %s\n",
			cfg.pki_dir, err);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signaler = gw_signaler_start(&cfg, &stop_requested);
	if (!signaler) {
		fprintf(stderr, "gw-control: cannot start the signal thread\n");
		goto out;
	}
	ret = gw_server_run(&cfg, ctx, &stop_requested);
	stop_requested = 1;
	gw_signaler_join(signaler);
	if (ret) {
		fprintf(stderr, "gw-control: cannot listen on %s: %s\n",
			cfg.listen, strerror(-ret));
		ret = 1;
		goto out;
	}
	log_info("stopped");
out:
	SSL_CTX_free(ctx);
	OPENSSL_free(cfg.issuing_pem);
	OPENSSL_cleanse(cfg.wrap_key, sizeof(cfg.wrap_key));
	return ret;
}

/* The secrets command's last line; gw_secrets_create said the rest. */
static void secrets_said(const struct opts *o, int ret, unsigned long n,
			 unsigned long replaced)
{
	if (ret == -EINVAL)
		fprintf(
		    stderr,
		    "gw-control: merchant ids must be 1 to %d characters of [A-Za-z0-9._-]\n",
		    GW_MERCHANT_ID_MAX);
	else if (ret == -EEXIST)
		fprintf(
		    stderr,
		    "gw-control: cannot create secrets in %s: file exists, refusing to overwrite\n",
		    o->out);
	else if (ret && ret != -EBUSY && ret != -ENXIO)
		fprintf(stderr, "gw-control: cannot create secrets in %s: %s\n",
			o->out, strerror(-ret));
	else if (ret == 0 && replaced)
		fprintf(
		    stderr,
		    "gw-control: %lu enrollment secrets written to %s, replacing %lu pending ones (--replace): their old secrets no longer enroll\n",
		    n, o->out, replaced);
	else if (ret == 0)
		fprintf(stderr,
			"gw-control: %lu enrollment secrets written to %s\n", n,
			o->out);
}

static int cmd_secrets(const struct opts *o)
{
	unsigned long replaced = 0;
	uint64_t count = 0;
	redisContext *rc;
	int ret;

	if (!o->redis || !o->out || !o->count == !o->merchant)
		return usage(
		    "secrets needs --redis, --out and one of --count or --merchant");
	if (o->count && gw_parse_u64(o->count, 1, 1000000, &count))
		return usage("--count wants 1 to 1000000");
	rc = connect_or_say(o->redis);
	if (!rc)
		return 1;
	ret = gw_secrets_create(rc, o->merchant, o->prefix ? o->prefix : "m",
				count, o->replace != NULL, o->out, &replaced);
	redisFree(rc);
	secrets_said(o, ret, o->merchant ? 1UL : (unsigned long)count,
		     replaced);
	return ret ? 1 : 0;
}

static int cmd_sessions(const struct opts *o)
{
	redisContext *rc;
	int ret;

	if (!o->redis)
		return usage("sessions needs --redis");
	rc = connect_or_say(o->redis);
	if (!rc)
		return 1;
	ret = gw_session_list(rc, stdout);
	redisFree(rc);
	if (ret)
		fprintf(stderr, "gw-control: reading sessions from %s failed\n",
			o->redis);
	return ret ? 1 : 0;
}

static int cmd_keygen(const struct opts *o)
{
	int ret;

	if (!o->out)
		return usage("keygen needs --out");
	ret = gw_keyfile_create(o->out, GW_SECRET_LEN);
	if (ret) {
		fprintf(stderr, "gw-control: cannot create %s: %s\n", o->out,
			strerror(-ret));
		return 1;
	}
	fprintf(stderr, "gw-control: master key written to %s\n", o->out);
	return 0;
}

/* Connects for an operator command and reports its outcome as an exit
 * code. */
static int operator_done(redisContext *rc, int ret)
{
	redisFree(rc);
	return ret ? 1 : 0;
}

static int merchant_ok(const char *id)
{
	if (gw_merchant_id_check(id) == 0)
		return 1;
	fprintf(
	    stderr,
	    "gw-control: merchant ids are 1 to %d characters of [A-Za-z0-9._-]\n",
	    GW_MERCHANT_ID_MAX);
	return 0;
}

static int cmd_revoke(const struct opts *o)
{
	redisContext *rc;

	if (!o->pki || !o->redis || !o->merchant)
		return usage("revoke needs --pki, --redis and --merchant");
	if (!merchant_ok(o->merchant))
		return EXIT_USAGE;
	rc = connect_or_say(o->redis);
	if (!rc)
		return 1;
	return operator_done(
	    rc, gw_operator_revoke(o->pki, rc, o->merchant, o->reason));
}

static int cmd_publish(const struct opts *o)
{
	redisContext *rc;

	if (!o->pki || !o->redis || !o->packages || !o->file || !o->name ||
	    !o->version)
		return usage(
		    "publish needs --pki, --redis, --packages, --file, --name and --version");
	rc = connect_or_say(o->redis);
	if (!rc)
		return 1;
	return operator_done(
	    rc, gw_operator_publish(o->pki, rc, o->packages, o->file, o->name,
				    o->version, o->sig, o->replace != NULL));
}

static int cmd_message(const struct opts *o)
{
	redisContext *rc;

	if (!o->redis || !o->merchant || !o->text)
		return usage("message needs --redis, --merchant and --text");
	if (!merchant_ok(o->merchant))
		return EXIT_USAGE;
	rc = connect_or_say(o->redis);
	if (!rc)
		return 1;
	return operator_done(rc, gw_operator_message(rc, o->merchant, o->text));
}

static int cmd_rekey(const struct opts *o)
{
	redisContext *rc;

	if (!o->redis || !o->merchant)
		return usage("rekey needs --redis and --merchant");
	if (!merchant_ok(o->merchant))
		return EXIT_USAGE;
	rc = connect_or_say(o->redis);
	if (!rc)
		return 1;
	return operator_done(rc, gw_operator_rekey(rc, o->merchant));
}

/* Commands, and whether --replace means anything to them. */
static const struct {
	const char *name;
	int (*run)(const struct opts *o);
	int replaces;
} commands[] = {
    {"serve", cmd_serve, 0},	   {"secrets", cmd_secrets, 1},
    {"sessions", cmd_sessions, 0}, {"keygen", cmd_keygen, 0},
    {"revoke", cmd_revoke, 0},	   {"publish", cmd_publish, 1},
    {"message", cmd_message, 0},   {"rekey", cmd_rekey, 0},
};

static int help(void)
{
	fputs(usage_text, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	size_t i;

	if (argc < 2)
		return usage(NULL);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (parse_opts(argc - 1, argv + 1, &o))
			return usage("unknown option or stray argument");
		if (o.help)
			return help();
		if (o.replace && !commands[i].replaces)
			return usage(
			    "--replace applies to secrets and publish only");
		return commands[i].run(&o);
	}
	return usage("unknown command");
}
