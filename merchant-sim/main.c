/*
 * merchant-sim: many simulated merchant servers.  This file runs the
 * phases in order (enrollment and sessions, script or warm-up and load,
 * bad input) over kernel sockets or, after --dpdk, over a DPDK port, and
 * turns their outcome into the exit status; each phase is its own
 * module's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <rte_eal.h>

#include "anslog.h"
#include "badin.h"
#include "cards.h"
#include "check.h"
#include "dpdkloop.h"
#include "dpdkport.h"
#include "enroll.h"
#include "opts.h"
#include "report.h"
#include "script.h"
#include "session.h"
#include "signals.h"
#include "tls.h"
#include "traffic.h"

#define ERRLEN 512
/*
 * The data plane learns of new sessions by polling Redis's event stream.
 * A request sent before it has would be dropped as for an unknown session,
 * costing a retransmission and, in a bad-input run, an extra count under
 * that drop reason; a short pause after opening the sessions avoids both.
 */
#define SESSION_SETTLE_MS 200

struct run {
	struct sim_opts o;
	struct sim_cards *cards;
	struct sim_script *script;
	struct sim_ident *ids;
	int nids;
	unsigned nsess; /* nids * sessions per merchant */
	unsigned nent; /* nsess, and as many spares for rekeys with --signals */
	struct sim_merchant *m;
	struct sim_signals *sig; /* link 2, with --signals */
	struct sim_port *port;	 /* DPDK mode */
	int eal_up;
	struct sim_dloop dloop;
	struct sim_stats st;
	struct sim_check chk;
	struct sim_anslog *anslog;
	struct sim_traffic t;
	char err[ERRLEN];
};

static void on_signal(int sig)
{
	(void)sig;
	sim_traffic_stop();
}

static int fail(const char *msg)
{
	fprintf(stderr, "merchant-sim: %s\n", msg);
	return -1;
}

static int load_inputs(struct run *r)
{
	int n;

	r->cards = sim_cards_load(r->o.cards, r->err, sizeof(r->err));
	if (!r->cards)
		return fail(r->err);
	if (r->o.script) {
		r->script =
		    sim_script_load(r->o.script, r->err, sizeof(r->err));
		if (!r->script)
			return fail(r->err);
	}
	n = sim_idents_load(r->o.secrets, (size_t)r->o.merchants, &r->ids,
			    r->err, sizeof(r->err));
	if (n < 0)
		return fail(r->err);
	r->nids = n;
	if (mkdir(r->o.state_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(r->err, sizeof(r->err), "%s: %s", r->o.state_dir,
			 strerror(errno));
		return fail(r->err);
	}
	return 0;
}

/* Kernel mode: a connected UDP socket per session. */
static int connect_sessions(struct run *r, unsigned from, unsigned n)
{
	unsigned k;

	for (k = from; k < from + n && !r->o.dpdk; k++) {
		if (sim_session_connect(&r->m[k]) == 0)
			continue;
		snprintf(
		    r->err, sizeof(r->err),
		    "merchant %s: cannot open a UDP socket to the data plane",
		    r->m[k].id);
		return -EIO;
	}
	return 0;
}

/* The version SESSION reports, and with --signals a listener per
 * merchant that SESSION names. */
static int link2(struct run *r, unsigned spm)
{
	unsigned k;

	for (k = 0; k < r->nent; k++)
		snprintf(r->m[k].version, sizeof(r->m[k].version), "%s",
			 r->o.software_version);
	if (!r->o.signals)
		return 0;
	r->sig = sim_signals_new(&r->o, r->m, r->nent, r->nsess, spm, r->ids,
				 (unsigned)r->nids, 1, r->err, sizeof(r->err));
	return r->sig ? 0 : fail(r->err);
}

/* Enrolls where needed and opens the sessions of every merchant. */
static int open_sessions(struct run *r)
{
	unsigned spm = (unsigned)r->o.sessions_per_merchant;
	SSL_CTX *ctx;
	int i, rc = 0;

	r->nsess = (unsigned)r->nids * spm;
	r->nent = r->o.signals ? 2 * r->nsess : r->nsess;
	r->m = sim_merchants_new(r->nent,
				 r->o.script ? 1 : (unsigned)r->o.inflight);
	if (!r->m)
		return fail("out of memory");
	if (link2(r, spm) < 0)
		return -1;
	ctx = sim_tls_ctx(r->o.ca, r->err, sizeof(r->err));
	if (!ctx)
		return fail(r->err);
	for (i = 0; i < r->nids && rc == 0; i++) {
		rc = sim_enroll(ctx, &r->o, &r->ids[i], r->err, sizeof(r->err));
		if (rc == 0)
			rc = sim_session_open(ctx, &r->o, &r->ids[i],
					      &r->m[(unsigned)i * spm], spm,
					      r->err, sizeof(r->err));
		if (rc == 0)
			rc = connect_sessions(r, (unsigned)i * spm, spm);
	}
	SSL_CTX_free(ctx);
	/* The enrollment secrets are spent or no longer needed. */
	sim_idents_free(r->ids, (size_t)r->nids);
	r->ids = NULL;
	if (rc < 0)
		return fail(r->err);
	if (r->sig)
		sim_signals_opened(r->sig, r->nsess);
	r->st.merchants = (unsigned)r->nids;
	r->st.sessions = r->nsess;
	printf("merchant-sim: %u sessions open\n", r->nsess);
	fflush(stdout);
	usleep(SESSION_SETTLE_MS * 1000);
	return 0;
}

/* Warm-up and load.  Kernel mode warms up only when asked, so that its
 * runs stay as they were. */
static int load(struct run *r)
{
	int rc = 0;

	/* One request per card and --inflight per session may be
	 * outstanding, which bounds what a closed loop can keep going. */
	if (r->o.closed_loop > r->cards->n ||
	    r->o.closed_loop > (uint64_t)r->nsess * r->o.inflight)
		fprintf(
		    stderr,
		    "merchant-sim: --closed-loop %llu exceeds the %zu cards or the %llu slots of %u sessions; fewer will be outstanding\n",
		    (unsigned long long)r->o.closed_loop, r->cards->n,
		    (unsigned long long)r->nsess * r->o.inflight, r->nsess);
	if (r->o.dpdk || r->o.warmup_set)
		rc = sim_traffic_warmup(&r->t, r->o.warmup_ms);
	if (rc == 0)
		rc = sim_traffic_load(&r->t, r->o.count_set ? r->o.count : 0,
				      r->o.seconds);
	return rc;
}

static int traffic(struct run *r)
{
	int rc;

	sim_check_init(&r->chk, r->o.referral_amount, &r->st);
	if (r->o.answers_log) {
		r->anslog =
		    sim_anslog_open(r->o.answers_log, r->err, sizeof(r->err));
		if (!r->anslog)
			return fail(r->err);
		r->chk.log = r->anslog;
	}
	rc = sim_traffic_init(&r->t, &r->o, r->m, r->nent, r->cards, &r->chk,
			      &r->st);
	if (rc < 0)
		return fail("cannot set up the event loop");
	if (r->sig && sim_signals_attach(r->sig, &r->t, &r->st) < 0)
		return fail("cannot listen for signals");
	if (r->o.dpdk && sim_dloop_attach(&r->dloop, &r->t, r->port, r->err,
					  sizeof(r->err)) < 0)
		return fail(r->err);
	if (r->script)
		rc = sim_traffic_script(&r->t, r->script);
	else if (sim_opts_load_wanted(&r->o))
		rc = load(r);
	if (rc == 0 && r->o.bad_input) {
		/* The replay needs a request the gateway has answered. */
		if (!r->m[0].have_answered)
			rc = sim_traffic_one(&r->t);
		if (rc == 0)
			rc = sim_badin_run(&r->t);
	}
	sim_signals_detach(r->sig);
	sim_traffic_fini(&r->t);
	if (rc < 0)
		return fail(strerror(-rc));
	return 0;
}

/* The histogram file, for plotting. */
static int hist(struct run *r)
{
	FILE *f = fopen(r->o.hist, "w");
	int rc = 0;

	if (f) {
		sim_hist_write(&r->st.latency_us, f);
		rc = ferror(f) ? EIO : 0;
		if (fclose(f) != 0 && rc == 0)
			rc = errno;
	}
	if (!f || rc) {
		snprintf(r->err, sizeof(r->err), "%s: %s", r->o.hist,
			 strerror(f ? rc : errno));
		return fail(r->err);
	}
	return 0;
}

static int report(struct run *r)
{
	int rc;

	r->st.mode = r->o.dpdk ? "dpdk" : "kernel";
	r->st.closed_loop = r->o.closed_loop;
	r->st.offered_rate = r->o.closed_loop ? 0 : r->o.rate;
	if (r->port && r->port->tx_dropped)
		fprintf(
		    stderr,
		    "merchant-sim: %llu frames not sent (transmit ring full)\n",
		    (unsigned long long)r->port->tx_dropped);
	sim_report_summary(&r->st, stdout);
	if (r->o.hist && hist(r) < 0)
		return -1;
	rc = sim_anslog_close(r->anslog);
	r->anslog = NULL;
	if (rc < 0) {
		snprintf(r->err, sizeof(r->err), "%s: %s", r->o.answers_log,
			 strerror(-rc));
		return fail(r->err);
	}
	if (!r->o.report)
		return 0;
	rc = sim_report_json(&r->st, r->o.report);
	if (rc < 0) {
		snprintf(r->err, sizeof(r->err), "%s: %s", r->o.report,
			 strerror(-rc));
		return fail(r->err);
	}
	return 0;
}

static void cleanup(struct run *r)
{
	(void)sim_anslog_close(r->anslog);
	sim_dloop_fini(&r->dloop);
	sim_port_close(r->port);
	if (r->eal_up)
		rte_eal_cleanup();
	sim_signals_free(r->sig);
	sim_merchants_free(r->m, r->nent);
	sim_idents_free(r->ids, (size_t)r->nids);
	sim_script_free(r->script);
	sim_cards_free(r->cards);
}

/* Options are checked before the EAL starts, so that a typo costs no
 * memory setup and gets the usage text. */
static int parse(struct run *r, int argc, char **argv, char ***eal, int *neal)
{
	char **own;
	int nown, dpdk, rc;

	dpdk = sim_opts_split(argc, argv, eal, neal, &own, &nown);
	if (dpdk < 0) {
		snprintf(r->err, sizeof(r->err),
			 "--dpdk: the EAL options end with \"--\"");
		rc = -EINVAL;
	} else {
		rc = sim_opts_parse(&r->o, nown, own, r->err, sizeof(r->err));
	}
	if (rc == 0 && dpdk && r->o.signals) {
		snprintf(r->err, sizeof(r->err),
			 "--signals runs over kernel sockets; drop --dpdk");
		rc = -EINVAL;
	}
	if (rc == 0 && dpdk && r->o.bad_input) {
		snprintf(r->err, sizeof(r->err),
			 "--bad-input runs over kernel sockets; drop --dpdk");
		rc = -EINVAL;
	}
	r->o.dpdk = dpdk > 0;
	return rc;
}

static int start_dpdk(struct run *r, int neal, char **eal)
{
	if (sim_port_eal(neal, eal, r->err, sizeof(r->err)) < 0)
		return fail(r->err);
	r->eal_up = 1;
	r->port = sim_port_open(0, r->o.local_ip, r->err, sizeof(r->err));
	if (!r->port)
		return fail(r->err);
	return 0;
}

int main(int argc, char **argv)
{
	static struct run r;
	char **eal = NULL;
	int neal = 0, rc;

	rc = parse(&r, argc, argv, &eal, &neal);
	if (rc == SIM_OPTS_HELP) {
		sim_opts_usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "merchant-sim: %s\n", r.err);
		sim_opts_usage(stderr);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	sim_stats_init(&r.st);
	rc = r.o.dpdk ? start_dpdk(&r, neal, eal) : 0;
	if (rc == 0)
		rc = load_inputs(&r);
	if (rc == 0)
		rc = open_sessions(&r);
	if (rc == 0)
		rc = traffic(&r);
	if (rc == 0)
		rc = report(&r);
	cleanup(&r);
	if (rc < 0)
		return 1;
	return sim_stats_ok(&r.st) ? 0 : 1;
}
