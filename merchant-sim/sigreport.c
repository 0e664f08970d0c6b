/*
 * What link 2 did in a run, as summary lines or JSON members of the
 * simulator's report (report.c writes the rest), and the names the
 * refusals go by.  The counting itself is signals.c's and sigwork.c's.
 */
#include <inttypes.h>
#include <stdio.h>

#include "sigreport.h"

static const char *const refusal_names[SIM_SIGREF_MAX] = {
    [SIM_SIGREF_SIZE] = "size",
    [SIM_SIGREF_MAGIC] = "magic",
    [SIM_SIGREF_TYPE] = "type",
    [SIM_SIGREF_SESSION] = "unknown_session",
    [SIM_SIGREF_FORGED] = "forged",
    [SIM_SIGREF_REF] = "reference",
    [SIM_SIGREF_REPLAYED] = "replayed",
};

const char *sim_signals_refusal_name(enum sim_sig_refusal r)
{
	return (unsigned)r < SIM_SIGREF_MAX ? refusal_names[r] : "error";
}

static void counts(FILE *f, const char *const *names, const uint64_t *v,
		   unsigned from, unsigned n, int json)
{
	const char *sep = "";
	unsigned i;

	for (i = from; i < n; i++) {
		if (json)
			fprintf(f, "%s\"%s\": %" PRIu64, sep, names[i], v[i]);
		else
			fprintf(f, " %s:%" PRIu64, names[i], v[i]);
		sep = ", ";
	}
}

void sim_signals_report(const void *ctx, FILE *f, int json)
{
	const struct sim_signals *s = ctx;
	const struct sim_sigstats *st = &s->st;
	const char *types[GW_SIG_TYPE_MAX + 1] = {NULL};
	const char *inst[SIM_INST_MAX];
	unsigned i;

	for (i = 1; i <= GW_SIG_TYPE_MAX; i++)
		types[i] = gw_signal_type_name((uint8_t)i);
	for (i = 0; i < SIM_INST_MAX; i++)
		inst[i] = sim_install_refusal_name(i);
	fprintf(f,
		json ? "  \"signals\": {\"received\": {" : "signals         ");
	counts(f, types, st->received, 1, GW_SIG_TYPE_MAX + 1, json);
	fprintf(f, json ? "}, \"refused\": {" : "\nsignals refused ");
	counts(f, refusal_names, st->refused, 0, SIM_SIGREF_MAX, json);
	if (json)
		fprintf(
		    f,
		    "}},\n  \"actions\": {\"renewed\": %" PRIu64
		    ", \"renew_failed\": %" PRIu64 ", \"installed\": %" PRIu64
		    ", \"rekeyed\": %" PRIu64 ", \"rekey_failed\": %" PRIu64
		    ", \"messages\": %" PRIu64 ", \"revoked\": %" PRIu64
		    ", \"install_refused\": {",
		    st->renewed, st->renew_failed, st->installed, st->rekeyed,
		    st->rekey_failed, st->messages, st->revoked);
	else
		fprintf(
		    f,
		    "\nactions          renewed %" PRIu64 " (failed %" PRIu64
		    "), installed %" PRIu64 ", rekeyed %" PRIu64
		    " (failed %" PRIu64 "), messages %" PRIu64
		    ", revoked %" PRIu64 "\ninstall refused ",
		    st->renewed, st->renew_failed, st->installed, st->rekeyed,
		    st->rekey_failed, st->messages, st->revoked);
	counts(f, inst, st->install_refused, 0, SIM_INST_MAX, json);
	fprintf(f, json ? "}},\n" : "\n");
}
