/*
 * Presenting a run's counters: a summary for the operator and a JSON
 * object for scripts.  The JSON is written by hand; its keys are fixed
 * and its values are numbers only.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "gw_wire.h"
#include "report.h"

static const char *const drop_names[SIM_DROP_MAX] = {
    [SIM_DROP_MALFORMED] = "malformed", [SIM_DROP_SESSION] = "wrong_session",
    [SIM_DROP_REPLAY] = "replayed",	[SIM_DROP_AUTH] = "unauthenticated",
    [SIM_DROP_LATE] = "late_duplicate",
};

void sim_stats_init(struct sim_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->mode = "kernel";
	sim_hist_init(&s->latency_us);
}

double sim_stats_loss(const struct sim_stats *s)
{
	return s->sent ? (double)s->timeouts / (double)s->sent : 0;
}

uint64_t sim_stats_approved(const struct sim_stats *s)
{
	return s->codes[GW_RC_APPROVED];
}

uint64_t sim_stats_partial(const struct sim_stats *s)
{
	return s->codes[GW_RC_PARTIAL];
}

uint64_t sim_stats_referred(const struct sim_stats *s)
{
	return s->codes[GW_RC_REFER];
}

uint64_t sim_stats_declined(const struct sim_stats *s)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < 100; i++)
		n += s->codes[i];
	return n - sim_stats_approved(s) - sim_stats_partial(s) -
	       sim_stats_referred(s);
}

uint64_t sim_stats_settled(const struct sim_stats *s)
{
	return s->responses + s->timeout_reversals_answered;
}

int sim_stats_ok(const struct sim_stats *s)
{
	return s->verify_failures == 0 && s->timeouts == 0 &&
	       sim_stats_settled(s) + s->lost_after_revocation == s->sent &&
	       s->bad_answered == 0;
}

/* " 00:3 25:1" for the nonzero counts of @codes. */
static void codes_text(const uint64_t codes[100], FILE *f)
{
	char code[3];
	unsigned i;

	for (i = 0; i < 100; i++) {
		if (!codes[i])
			continue;
		gw_wire_code_str((uint8_t)i, code);
		fprintf(f, " %s:%" PRIu64, code, codes[i]);
	}
}

static double throughput(const struct sim_stats *s)
{
	return s->seconds > 0 ? (double)s->responses / s->seconds : 0;
}

void sim_report_summary(const struct sim_stats *s, FILE *f)
{
	const struct sim_hist *h = &s->latency_us;
	unsigned i;

	fprintf(f, "mode             %s\n", s->mode);
	fprintf(f, "merchants        %u\n", s->merchants);
	fprintf(f, "sessions         %u\n", s->sessions);
	if (s->closed_loop)
		fprintf(f, "closed loop      %" PRIu64 " outstanding\n",
			s->closed_loop);
	else
		fprintf(f, "offered rate     %.1f requests/s\n",
			s->offered_rate);
	fprintf(f, "sent             %" PRIu64 "\n", s->sent);
	fprintf(f, "responses        %" PRIu64 "\n", s->responses);
	fprintf(f, "  approved       %" PRIu64 "\n", sim_stats_approved(s));
	fprintf(f, "  partial        %" PRIu64 "\n", sim_stats_partial(s));
	fprintf(f, "  referred       %" PRIu64 "\n", sim_stats_referred(s));
	fprintf(f, "  declined       %" PRIu64 "\n", sim_stats_declined(s));
	fprintf(f, "codes           ");
	codes_text(s->codes, f);
	fprintf(f, "\n");
	fprintf(f, "verify failures  %" PRIu64 "\n", s->verify_failures);
	fprintf(f, "timeouts         %" PRIu64 " (loss %.6f)\n", s->timeouts,
		sim_stats_loss(s));
	fprintf(f,
		"reversed         %" PRIu64 " after a timeout, %" PRIu64
		" answered",
		s->timeout_reversals, s->timeout_reversals_answered);
	if (s->timeout_reversals_answered > 0) {
		fprintf(f, ", codes");
		codes_text(s->reversal_codes, f);
	}
	fprintf(f, "\n");
	fprintf(f, "answered late    %" PRIu64 " (after their reversal)\n",
		s->answers_after_reversal);
	fprintf(f, "retransmits      %" PRIu64 "\n", s->retransmits);
	fprintf(f, "answers dropped ");
	for (i = 0; i < SIM_DROP_MAX; i++)
		fprintf(f, " %s:%" PRIu64, drop_names[i], s->drops[i]);
	fprintf(f, "\n");
	fprintf(f, "bad input        sent %" PRIu64 ", answered %" PRIu64 "\n",
		s->bad_sent, s->bad_answered);
	fprintf(f, "seconds          %.3f\n", s->seconds);
	fprintf(f, "throughput       %.1f responses/s\n", throughput(s));
	fprintf(f,
		"latency us       p50 %" PRIu64 "  p99 %" PRIu64
		"  p999 %" PRIu64 "  max %" PRIu64 "\n",
		sim_hist_quantile(h, 0.5), sim_hist_quantile(h, 0.99),
		sim_hist_quantile(h, 0.999), h->count ? h->max : 0);
	if (s->lost_after_revocation || s->more)
		fprintf(f, "lost (revoked)   %" PRIu64 "\n",
			s->lost_after_revocation);
	if (s->more)
		s->more(s->more_ctx, f, 0);
	fprintf(f, "result           %s\n", sim_stats_ok(s) ? "PASS" : "FAIL");
}

static void json_codes(const char *key, const uint64_t codes[100], FILE *f)
{
	const char *sep = "";
	char code[3];
	unsigned i;

	fprintf(f, "  \"%s\": {", key);
	for (i = 0; i < 100; i++) {
		if (!codes[i])
			continue;
		gw_wire_code_str((uint8_t)i, code);
		fprintf(f, "%s\"%s\": %" PRIu64, sep, code, codes[i]);
		sep = ", ";
	}
	fprintf(f, "},\n");
}

static void json_drops(const struct sim_stats *s, FILE *f)
{
	unsigned i;

	fprintf(f, "  \"answers_dropped\": {");
	for (i = 0; i < SIM_DROP_MAX; i++)
		fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", drop_names[i],
			s->drops[i]);
	fprintf(f, "},\n");
}

void sim_report_json_write(const struct sim_stats *s, FILE *f)
{
	const struct sim_hist *h = &s->latency_us;

	fprintf(f, "{\n");
	fprintf(f, "  \"mode\": \"%s\",\n", s->mode);
	fprintf(f, "  \"offered_rate\": %.1f,\n", s->offered_rate);
	fprintf(f, "  \"closed_loop\": %" PRIu64 ",\n", s->closed_loop);
	fprintf(f, "  \"loss\": %.9f,\n", sim_stats_loss(s));
	fprintf(f, "  \"sent\": %" PRIu64 ",\n", s->sent);
	fprintf(f, "  \"responses\": %" PRIu64 ",\n", s->responses);
	fprintf(f, "  \"approved\": %" PRIu64 ",\n", sim_stats_approved(s));
	fprintf(f, "  \"partial\": %" PRIu64 ",\n", sim_stats_partial(s));
	fprintf(f, "  \"declined\": %" PRIu64 ",\n", sim_stats_declined(s));
	fprintf(f, "  \"referred\": %" PRIu64 ",\n", sim_stats_referred(s));
	fprintf(f, "  \"verify_failures\": %" PRIu64 ",\n", s->verify_failures);
	fprintf(f, "  \"timeouts\": %" PRIu64 ",\n", s->timeouts);
	fprintf(f, "  \"timeout_reversals\": %" PRIu64 ",\n",
		s->timeout_reversals);
	fprintf(f, "  \"timeout_reversals_answered\": %" PRIu64 ",\n",
		s->timeout_reversals_answered);
	json_codes("timeout_reversal_codes", s->reversal_codes, f);
	fprintf(f, "  \"answers_after_reversal\": %" PRIu64 ",\n",
		s->answers_after_reversal);
	fprintf(f, "  \"retransmits\": %" PRIu64 ",\n", s->retransmits);
	fprintf(f, "  \"throughput_per_s\": %.1f,\n", throughput(s));
	fprintf(f,
		"  \"latency_us\": {\"p50\": %" PRIu64 ", \"p99\": %" PRIu64
		", \"p999\": %" PRIu64 ", \"max\": %" PRIu64 "},\n",
		sim_hist_quantile(h, 0.5), sim_hist_quantile(h, 0.99),
		sim_hist_quantile(h, 0.999), h->count ? h->max : 0);
	json_codes("codes", s->codes, f);
	json_drops(s, f);
	fprintf(f, "  \"bad_sent\": %" PRIu64 ",\n", s->bad_sent);
	fprintf(f, "  \"bad_answered\": %" PRIu64 ",\n", s->bad_answered);
	fprintf(f, "  \"merchants\": %u,\n", s->merchants);
	fprintf(f, "  \"sessions\": %u,\n", s->sessions);
	fprintf(f, "  \"seconds\": %.3f,\n", s->seconds);
	fprintf(f, "  \"lost_after_revocation\": %" PRIu64 ",\n",
		s->lost_after_revocation);
	if (s->more)
		s->more(s->more_ctx, f, 1);
	fprintf(f, "  \"ok\": %s\n", sim_stats_ok(s) ? "true" : "false");
	fprintf(f, "}\n");
}

int sim_report_json(const struct sim_stats *s, const char *path)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f)
		return -errno;
	sim_report_json_write(s, f);
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}
