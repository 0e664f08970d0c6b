/*
 * merchant-sim: many simulated merchant servers.  This file runs the
 * phases in order (enrollment and sessions, script or load, bad input)
 * and turns their outcome into the exit status; each phase is its own
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

#include "badin.h"
#include "cards.h"
#include "check.h"
#include "enroll.h"
#include "opts.h"
#include "report.h"
#include "script.h"
#include "session.h"
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
	struct sim_merchant *m;
	struct sim_stats st;
	struct sim_check chk;
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

/* Enrolls where needed and opens one session per merchant. */
static int open_sessions(struct run *r)
{
	SSL_CTX *ctx;
	int i, rc = 0;

	r->m = sim_merchants_new((unsigned)r->nids,
				 r->o.script ? 1 : (unsigned)r->o.inflight);
	if (!r->m)
		return fail("out of memory");
	ctx = sim_tls_ctx(r->o.ca, r->err, sizeof(r->err));
	if (!ctx)
		return fail(r->err);
	for (i = 0; i < r->nids && rc == 0; i++) {
		rc = sim_enroll(ctx, &r->o, &r->ids[i], r->err, sizeof(r->err));
		if (rc == 0)
			rc = sim_session_open(ctx, &r->o, &r->ids[i], &r->m[i],
					      r->err, sizeof(r->err));
		if (rc == 0 && sim_session_connect(&r->m[i]) < 0) {
			snprintf(
			    r->err, sizeof(r->err),
			    "merchant %s: cannot open a UDP socket to the data plane",
			    r->ids[i].id);
			rc = -EIO;
		}
	}
	SSL_CTX_free(ctx);
	/* The enrollment secrets are spent or no longer needed. */
	sim_idents_free(r->ids, (size_t)r->nids);
	r->ids = NULL;
	if (rc < 0)
		return fail(r->err);
	r->st.merchants = (unsigned)r->nids;
	printf("merchant-sim: %d sessions open\n", r->nids);
	fflush(stdout);
	usleep(SESSION_SETTLE_MS * 1000);
	return 0;
}

static int traffic(struct run *r)
{
	int rc;

	sim_check_init(&r->chk, r->o.referral_amount, &r->st);
	rc = sim_traffic_init(&r->t, &r->o, r->m, (unsigned)r->nids, r->cards,
			      &r->chk, &r->st);
	if (rc < 0)
		return fail("cannot set up the event loop");
	if (r->script)
		rc = sim_traffic_script(&r->t, r->script);
	else if (sim_opts_load_wanted(&r->o))
		rc = sim_traffic_load(&r->t, r->o.count_set ? r->o.count : 0,
				      r->o.seconds);
	if (rc == 0 && r->o.bad_input) {
		/* The replay needs a request the gateway has answered. */
		if (!r->m[0].have_answered)
			rc = sim_traffic_one(&r->t);
		if (rc == 0)
			rc = sim_badin_run(&r->t);
	}
	sim_traffic_fini(&r->t);
	if (rc < 0)
		return fail(strerror(-rc));
	return 0;
}

static int report(struct run *r)
{
	int rc;

	sim_report_summary(&r->st, stdout);
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
	sim_merchants_free(r->m, (unsigned)r->nids);
	sim_idents_free(r->ids, (size_t)r->nids);
	sim_script_free(r->script);
	sim_cards_free(r->cards);
}

int main(int argc, char **argv)
{
	static struct run r;
	int rc;

	rc = sim_opts_parse(&r.o, argc, argv, r.err, sizeof(r.err));
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
