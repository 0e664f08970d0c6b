/*
 * gw-dataplane: start-up (options, EAL, keys, credit lines, sessions,
 * journal replay into the ledger, port, workers), the main lcore's slow
 * loop (session sync, journal shipping, statistics, session reclamation,
 * balance dumps) and an orderly stop on SIGINT or SIGTERM, or a stop with
 * exit status 1 when a worker's journal fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "gw_card.h"
#include "gw_credit.h"
#include "gw_kdf.h"
#include "balances.h"
#include "gw_util.h"
#include "journal.h"
#include "journal_flush.h"
#include "ledger.h"
#include "log.h"
#include "opts.h"
#include "port.h"
#include "ship.h"
#include "sessions.h"
#include "stats.h"
#include "sync.h"
#include "worker.h"

#define SESSION_TABLE_LOG2 18 /* room for 131072 sessions */
#define TICK_MS		   50

/* Everything the process holds, so that one function releases it. */
struct app {
	struct gw_opts o;
	struct gw_card_tokenizer *tk;
	struct gw_credit_table *credit;
	struct gw_sessions *sessions;
	struct gw_sync *sync;
	struct gw_ledger *ledger;
	struct gw_journal **journals; /* one per worker */
	struct gw_journal_flusher *flusher;
	struct gw_ship *ship;
	struct gw_worker *workers;
	unsigned nb_workers;
	int port_started;
	int launched;
	int eal_up;
};

static volatile sig_atomic_t quit, dump_wanted;

static void on_signal(int sig)
{
	quit = 1;
	gw_worker_stop();
}

static void on_usr1(int sig)
{
	dump_wanted = 1;
}

/* Closing syncs what each journal holds; no worker may be running. */
static void close_journals(struct app *a)
{
	unsigned i;
	int rc;

	if (a->journals == NULL)
		return;
	for (i = 0; i < a->nb_workers; i++) {
		if (a->journals[i] == NULL)
			continue;
		rc = gw_journal_close(a->journals[i]);
		if (rc != 0)
			GW_LOG(ERR, "journal of worker %u: %s", i,
			       strerror(-rc));
	}
	free(a->journals);
	a->journals = NULL;
}

static void release(struct app *a)
{
	if (a->launched) {
		gw_worker_stop();
		rte_eal_mp_wait_lcore();
	}
	if (a->port_started)
		gw_port_close(a->o.port);
	gw_journal_flusher_stop(a->flusher);
	a->flusher = NULL;
	close_journals(a);
	gw_ship_free(a->ship);
	gw_ledger_free(a->ledger);
	gw_sync_free(a->sync);
	gw_sessions_free(a->sessions);
	gw_credit_free(a->credit);
	gw_card_tokenizer_free(a->tk);
	rte_free(a->workers);
	if (a->eal_up)
		rte_eal_cleanup();
}

static __attribute__((format(printf, 2, 3), noreturn)) void
die(struct app *a, const char *fmt, ...)
{
	va_list ap;

	fputs("gw-dataplane: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	release(a);
	exit(1);
}

static const char *keyfile_error(int rc)
{
	switch (rc) {
	case -EPERM:
		return "readable by group or others (make it mode 0600)";
	case -EINVAL:
		return "not exactly 32 bytes";
	default:
		return strerror(-rc);
	}
}

/* Master key -> card tokenizer, credit lines and session sync.  Dies
 * with the reason when any of them fails. */
static void load_state(struct app *a)
{
	uint8_t master[GW_SECRET_LEN], tok_key[GW_SECRET_LEN],
	    wrap_key[GW_SECRET_LEN];
	char err[512] = "";
	int rc;

	rc = gw_keyfile_read(a->o.master_key, master, sizeof(master));
	if (rc != 0) {
		snprintf(err, sizeof(err), "cannot read master key %s: %s",
			 a->o.master_key, keyfile_error(rc));
		goto out;
	}
	if (gw_kdf_subkey(master, "card-token", tok_key) != 0 ||
	    gw_kdf_subkey(master, "session-wrap", wrap_key) != 0 ||
	    (a->tk = gw_card_tokenizer_new(tok_key)) == NULL) {
		snprintf(err, sizeof(err), "cannot derive keys from %s",
			 a->o.master_key);
		goto out;
	}
	a->credit = gw_credit_load(a->o.credit_lines, a->tk, err, sizeof(err));
	if (a->credit == NULL)
		goto out;
	if (gw_credit_count(a->credit) == 0) {
		/* Every request would be declined: surely the wrong file. */
		snprintf(err, sizeof(err), "%s: no credit lines in the file",
			 a->o.credit_lines);
		goto out;
	}
	a->sessions = gw_sessions_new(SESSION_TABLE_LOG2);
	if (a->sessions == NULL) {
		snprintf(err, sizeof(err), "cannot allocate the session table");
		goto out;
	}
	a->sync =
	    gw_sync_new(a->o.redis, a->sessions, wrap_key, err, sizeof(err));
out:
	explicit_bzero(master, sizeof(master));
	explicit_bzero(tok_key, sizeof(tok_key));
	explicit_bzero(wrap_key, sizeof(wrap_key));
	if (a->sync == NULL)
		die(a, "%s", err);
	GW_LOG(INFO, "%zu credit lines, %u sessions",
	       gw_credit_count(a->credit), gw_sessions_count(a->sessions));
}

static void start_workers(struct app *a, const struct rte_ether_addr *mac)
{
	unsigned lcore, i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct gw_worker *w = &a->workers[i];

		w->lcore = lcore;
		w->port = a->o.port;
		w->queue = (uint16_t)i;
		w->idle_sleep_us = a->o.idle_sleep_us;
		w->echo = a->o.echo;
		w->addr.mac = *mac;
		w->addr.ip = a->o.addr;
		w->addr.udp_port = rte_cpu_to_be_16(a->o.udp_port);
		w->proto.sessions = a->sessions;
		w->proto.tk = a->tk;
		w->proto.credit = a->credit;
		w->proto.policy.referral_amount = a->o.referral_amount;
		w->proto.st = gw_stats_lcore(lcore);
		w->proto.ledger = a->ledger;
		w->proto.journal = a->journals ? a->journals[i] : NULL;
		w->proto.worker = (uint8_t)i;
		if (rte_eal_remote_launch(gw_worker_main, w, lcore) != 0)
			die(a, "cannot launch the worker on lcore %u", lcore);
		a->launched = 1;
		i++;
	}
}

struct replay_arg {
	struct gw_ledger *ledger;
	const struct gw_credit_table *credit;
};

static int replay_one(const struct gw_journal_rec *r, void *arg)
{
	struct replay_arg *x = arg;

	return gw_ledger_replay(x->ledger, r, x->credit);
}

/*
 * The ledger, rebuilt from every journal in the directory before any
 * packet is seen.  A torn end is cut off with one line of log; damage
 * before the end refuses the start, naming the file and the offset.
 */
static void load_ledger(struct app *a)
{
	struct replay_arg x;
	char msg[1024] = "";
	long n;

	if (mkdir(a->o.journal_dir, 0700) != 0 && errno != EEXIST)
		die(a, "cannot create the journal directory %s: %s",
		    a->o.journal_dir, strerror(errno));
	a->ledger = gw_ledger_new(a->o.ledger_capacity, a->o.dup_window_s,
				  (uint64_t)time(NULL));
	if (a->ledger == NULL)
		die(a, "cannot allocate a ledger of %" PRIu64 " transactions",
		    a->o.ledger_capacity);
	x = (struct replay_arg){a->ledger, a->credit};
	n = gw_journal_replay(a->o.journal_dir, replay_one, &x, msg,
			      sizeof(msg));
	if (n == -ENOSPC)
		die(a,
		    "the journal in %s holds more transactions than --ledger-capacity %" PRIu64,
		    a->o.journal_dir, a->o.ledger_capacity);
	if (n < 0)
		die(a, "journal replay refused: %s",
		    msg[0] ? msg : strerror((int)-n));
	if (msg[0] != '\0')
		GW_LOG(WARNING, "journal replay: %s", msg);
	GW_LOG(INFO, "journal replay: %ld records from %s", n,
	       a->o.journal_dir);
}

/*
 * One journal per worker, each opened after replay repaired its end, and
 * the journal thread that syncs them and prepares their segments.  The
 * shipper reads each journal no further than its writer made durable.
 */
static void open_journals(struct app *a)
{
	char err[512] = "";
	unsigned i;

	a->journals = calloc(a->nb_workers, sizeof(*a->journals));
	if (a->journals == NULL)
		die(a, "cannot allocate %u journals", a->nb_workers);
	for (i = 0; i < a->nb_workers; i++) {
		a->journals[i] =
		    gw_journal_open(a->o.journal_dir, i, a->o.fsync,
				    a->o.fsync_interval_ms, err, sizeof(err));
		if (a->journals[i] == NULL)
			die(a, "%s", err);
	}
	a->flusher = gw_journal_flusher_start(a->journals, a->nb_workers,
					      a->o.fsync_interval_ms);
	if (a->flusher == NULL)
		die(a, "cannot start the journal thread: %s", strerror(errno));
	a->ship = gw_ship_new(a->o.redis, a->o.journal_dir, a->nb_workers);
	if (a->ship == NULL)
		die(a, "cannot allocate the journal shipper");
	for (i = 0; i < a->nb_workers; i++)
		gw_ship_follow(a->ship, i, a->journals[i]);
}

static void start(struct app *a)
{
	struct rte_ether_addr mac;
	char err[512], macs[RTE_ETHER_ADDR_FMT_SIZE];

	/* Files and Redis first: their errors are the likelier ones. */
	load_state(a);
	a->nb_workers = rte_lcore_count() - 1;
	if (a->nb_workers == 0)
		die(a,
		    "no worker lcore: give at least two lcores (e.g. -l 0-1)");
	if (a->nb_workers > GW_LEDGER_WORKERS_MAX)
		die(a, "%u workers, at most %u supported", a->nb_workers,
		    GW_LEDGER_WORKERS_MAX);
	/* Checked here rather than with the other options, so that a bad
	 * card file or an unreachable Redis is reported first whatever the
	 * command line lacks. */
	if (!a->o.echo && a->o.journal_dir == NULL)
		die(a, "--journal-dir is required: no decision is answered "
		       "unless it is journaled");
	if (!a->o.echo) {
		load_ledger(a);
		open_journals(a);
	}
	if (!rte_eth_dev_is_valid_port(a->o.port))
		die(a, "port %u does not exist (%u ports available)", a->o.port,
		    rte_eth_dev_count_avail());
	a->workers =
	    rte_zmalloc("gw_workers", a->nb_workers * sizeof(*a->workers),
			RTE_CACHE_LINE_SIZE);
	if (a->workers == NULL)
		die(a, "cannot allocate %u workers", a->nb_workers);
	if (gw_port_start(a->o.port, a->nb_workers, &mac, err, sizeof(err)) !=
	    0)
		die(a, "%s", err);
	a->port_started = 1;
	if (gw_stats_telemetry_register() != 0)
		GW_LOG(WARNING, "telemetry command /gw/stats not registered");
	gw_stats_set_sessions(gw_sessions_count(a->sessions));
	start_workers(a, &mac);
	rte_ether_format_addr(macs, sizeof(macs), &mac);
	GW_LOG(NOTICE, "serving port %u (%s) with %u workers", a->o.port, macs,
	       a->nb_workers);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void publish_main(struct app *a)
{
	struct gw_stats_main m = {0};
	struct gw_ledger_stats ls;

	if (a->ship != NULL)
		gw_ship_counts(a->ship, &m.shipped, &m.ship_backlog);
	if (a->ledger != NULL) {
		gw_ledger_stats(a->ledger, &ls);
		m.ledger_entries = ls.entries;
		m.duplicates = ls.duplicates;
		m.conflicts = ls.conflicts;
		m.ledger_full = ls.full;
	}
	gw_stats_set_main(&m);
}

static void write_balances(struct app *a)
{
	int rc;

	if (a->o.balances == NULL || a->credit == NULL)
		return;
	rc = gw_balances_write(a->o.balances, a->o.credit_lines, a->tk,
			       a->credit);
	if (rc != 0)
		GW_LOG(WARNING, "cannot write balances to %s: %s",
		       a->o.balances, strerror(-rc));
}

/* The first worker whose journal failed, on the worker's path or in the
 * journal thread's sync, or -1. */
static int journal_failed(const struct app *a)
{
	unsigned i;

	for (i = 0; a->journals != NULL && i < a->nb_workers; i++)
		if (__atomic_load_n(&a->workers[i].proto.journal_err,
				    __ATOMIC_ACQUIRE) != 0 ||
		    gw_journal_error(a->journals[i]) != 0)
			return (int)i;
	return -1;
}

static void write_stats(struct app *a)
{
	static int warned;
	struct gw_stats_sum s;
	int rc;

	gw_stats_set_sessions(gw_sessions_count(a->sessions));
	publish_main(a);
	if (a->o.stats == NULL)
		return;
	gw_stats_sum(&s);
	rc = gw_stats_write(a->o.stats, &s);
	if (rc != 0 && !warned)
		GW_LOG(WARNING, "cannot write statistics to %s: %s", a->o.stats,
		       strerror(-rc));
	warned = rc != 0;
}

/* The main lcore's duties until a signal or a journal failure: events and
 * shipping every tick, statistics and reclamation every second.  Returns
 * the exit status. */
static int run(struct app *a)
{
	const struct timespec tick = {.tv_nsec = TICK_MS * 1000000L};
	uint64_t next_second = mono_ms() + 1000;
	int w;

	while (!quit) {
		w = journal_failed(a);
		if (w >= 0) {
			GW_LOG(
			    ERR,
			    "worker %d cannot journal its decisions; stopping",
			    w);
			return 1;
		}
		if (dump_wanted) {
			dump_wanted = 0;
			write_balances(a);
		}
		gw_sync_tick(a->sync);
		if (a->ship != NULL)
			gw_ship_tick(a->ship);
		if (mono_ms() >= next_second) {
			next_second += 1000;
			gw_sessions_sweep(a->sessions, (uint64_t)time(NULL));
			write_stats(a);
		}
		nanosleep(&tick, NULL);
	}
	return 0;
}

static void stop(struct app *a)
{
	GW_LOG(NOTICE, "stopping");
	gw_worker_stop();
	rte_eal_mp_wait_lcore();
	a->launched = 0;
	/* The workers' last records are made durable, then reach Redis now
	 * if it is there; if not, the next start ships them. */
	gw_journal_flusher_stop(a->flusher);
	a->flusher = NULL;
	for (unsigned i = 0; a->journals != NULL && i < a->nb_workers; i++)
		gw_journal_flush(a->journals[i]);
	if (a->ship != NULL && journal_failed(a) < 0)
		gw_ship_tick(a->ship);
	write_stats(a);
	write_balances(a);
	release(a);
}

static void on_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	/* A Redis that goes away must cost a reconnect, not the process:
	 * writes to its closed socket fail with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
}

/* The EAL options end at "--"; ours follow it. */
static int split(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return argc;
}

int main(int argc, char **argv)
{
	struct app a = {0};
	int dd = split(argc, argv);
	char *sep;
	int status;

	if (dd == argc && argc == 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		gw_opts_usage(stdout);
		return 0;
	}
	if (dd == argc) {
		fprintf(stderr,
			"gw-dataplane: the gateway options follow \"--\"\n");
		gw_opts_usage(stderr);
		return 2;
	}
	/* Our options are checked before the EAL starts, so that a typo
	 * costs no memory setup and gets the usage text. */
	sep = argv[dd];
	argv[dd] = argv[0];
	if (gw_opts_parse(argc - dd, argv + dd, &a.o) != 0) {
		gw_opts_usage(stderr);
		return 2;
	}
	argv[dd] = sep;
	if (a.o.help) {
		gw_opts_usage(stdout);
		return 0;
	}
	on_signals();
	if (rte_eal_init(dd, argv) < 0) {
		fprintf(stderr,
			"gw-dataplane: cannot initialise the DPDK EAL: %s\n",
			rte_strerror(rte_errno));
		return rte_errno == EINVAL ? 2 : 1;
	}
	a.eal_up = 1;
	start(&a);
	write_stats(&a);
	status = run(&a);
	stop(&a);
	return status;
}
