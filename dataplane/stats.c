/*
 * Summing of the per-lcore counters and their two outputs: the JSON
 * statistics file and the "/gw/stats" telemetry command.  The counters
 * themselves are incremented inline by their owners (stats.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_telemetry.h>

#include "stats.h"

static struct gw_lcore_stats lcore_stats[RTE_MAX_LCORE];
static struct gw_stats_main main_stats;

static const char *const drop_names[GW_DROP_MAX] = {
    [GW_DROP_NOT_IP] = "not_ip",
    [GW_DROP_NOT_FOR_US] = "not_for_us",
    [GW_DROP_BAD_IP] = "bad_ip",
    [GW_DROP_FRAGMENT] = "fragment",
    [GW_DROP_NOT_UDP] = "not_udp",
    [GW_DROP_ICMP_OTHER] = "icmp_other",
    [GW_DROP_ARP_OTHER] = "arp_other",
    [GW_DROP_BAD_PORT] = "bad_port",
    [GW_DROP_MULTI_SEG] = "multi_seg",
    [GW_DROP_TRUNCATED] = "truncated",
    [GW_DROP_TOO_LONG] = "too_long",
    [GW_DROP_BAD_VERSION] = "bad_version",
    [GW_DROP_BAD_TYPE] = "bad_type",
    [GW_DROP_UNKNOWN_SESSION] = "unknown_session",
    [GW_DROP_REVOKED_SESSION] = "revoked_session",
    [GW_DROP_EXPIRED_SESSION] = "expired_session",
    [GW_DROP_REPLAY] = "replay",
    [GW_DROP_TOO_OLD] = "too_old",
    [GW_DROP_BAD_TAG] = "bad_tag",
    [GW_DROP_CRYPTO] = "crypto_error",
    [GW_DROP_TX_FULL] = "tx_full",
    [GW_DROP_JOURNAL_ERROR] = "journal_error",
};

/* Codes always present in the output, so that readers need no defaults;
 * any other code appears once it has been used. */
static const uint8_t listed_codes[] = {0,  1,  5,  10, 12, 13, 14, 25,
				       51, 54, 57, 61, 62, 94, 96};

const char *gw_stats_drop_name(enum gw_drop d)
{
	if ((unsigned)d >= GW_DROP_MAX)
		return "unknown";
	return drop_names[d];
}

struct gw_lcore_stats *gw_stats_lcore(unsigned lcore_id)
{
	return &lcore_stats[lcore_id];
}

void gw_stats_set_sessions(uint64_t n)
{
	__atomic_store_n(&main_stats.sessions, n, __ATOMIC_RELAXED);
}

void gw_stats_set_main(const struct gw_stats_main *m)
{
	struct gw_stats_main *d = &main_stats;

	__atomic_store_n(&d->shipped, m->shipped, __ATOMIC_RELAXED);
	__atomic_store_n(&d->ship_backlog, m->ship_backlog, __ATOMIC_RELAXED);
	__atomic_store_n(&d->ledger_entries, m->ledger_entries,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&d->duplicates, m->duplicates, __ATOMIC_RELAXED);
	__atomic_store_n(&d->conflicts, m->conflicts, __ATOMIC_RELAXED);
	__atomic_store_n(&d->ledger_full, m->ledger_full, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void gw_stats_sum(struct gw_stats_sum *out)
{
	struct gw_lcore_stats *t = &out->t;
	unsigned i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		const struct gw_lcore_stats *s = &lcore_stats[i];

		t->rx += get(&s->rx);
		t->tx += get(&s->tx);
		t->requests += get(&s->requests);
		t->responses += get(&s->responses);
		t->busy_cycles += get(&s->busy_cycles);
		t->idle_cycles += get(&s->idle_cycles);
		for (j = 0; j < GW_CODES; j++)
			t->codes[j] += get(&s->codes[j]);
		for (j = 0; j < GW_DROP_MAX; j++)
			t->drops[j] += get(&s->drops[j]);
	}
	out->m.sessions = get(&main_stats.sessions);
	out->m.shipped = get(&main_stats.shipped);
	out->m.ship_backlog = get(&main_stats.ship_backlog);
	out->m.ledger_entries = get(&main_stats.ledger_entries);
	out->m.duplicates = get(&main_stats.duplicates);
	out->m.conflicts = get(&main_stats.conflicts);
	out->m.ledger_full = get(&main_stats.ledger_full);
	out->sessions = out->m.sessions;
}

static int code_listed(unsigned code)
{
	unsigned i;

	for (i = 0; i < RTE_DIM(listed_codes); i++)
		if (listed_codes[i] == code)
			return 1;
	return 0;
}

static void write_json(FILE *f, const struct gw_stats_sum *s)
{
	const struct gw_lcore_stats *t = &s->t;
	const char *sep = "";
	unsigned i;

	fprintf(f, "{\"rx\":%lu,\"tx\":%lu,\"requests\":%lu,", t->rx, t->tx,
		t->requests);
	fprintf(f, "\"responses\":%lu,\"codes\":{", t->responses);
	for (i = 0; i < GW_CODES; i++) {
		if (t->codes[i] == 0 && !code_listed(i))
			continue;
		fprintf(f, "%s\"%02u\":%lu", sep, i, t->codes[i]);
		sep = ",";
	}
	fputs("},\"drops\":{", f);
	for (i = 0; i < GW_DROP_MAX; i++)
		fprintf(f, "%s\"%s\":%lu", i ? "," : "", drop_names[i],
			t->drops[i]);
	fprintf(f, "},\"sessions\":%lu,\"busy_cycles\":%lu,", s->sessions,
		t->busy_cycles);
	fprintf(f, "\"shipped\":%lu,\"ship_backlog\":%lu,", s->m.shipped,
		s->m.ship_backlog);
	fprintf(f, "\"ledger\":{\"entries\":%lu,\"duplicates\":%lu,",
		s->m.ledger_entries, s->m.duplicates);
	fprintf(f, "\"conflicts\":%lu,\"full\":%lu},", s->m.conflicts,
		s->m.ledger_full);
	fprintf(f, "\"idle_cycles\":%lu}\n", t->idle_cycles);
}

int gw_stats_write(const char *path, const struct gw_stats_sum *s)
{
	char tmp[4096];
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -errno;
	write_json(f, s);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) != 0 && err == 0)
		err = -errno;
	if (err == 0 && rename(tmp, path) != 0)
		err = -errno;
	if (err != 0)
		unlink(tmp);
	return err;
}

static int telemetry_stats(const char *cmd, const char *params,
			   struct rte_tel_data *d)
{
	struct rte_tel_data *codes, *drops;
	struct gw_stats_sum s;
	char name[3];
	unsigned i;

	codes = rte_tel_data_alloc();
	drops = rte_tel_data_alloc();
	if (codes == NULL || drops == NULL) {
		rte_tel_data_free(codes);
		rte_tel_data_free(drops);
		return -ENOMEM;
	}
	gw_stats_sum(&s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx", s.t.rx);
	rte_tel_data_add_dict_u64(d, "tx", s.t.tx);
	rte_tel_data_add_dict_u64(d, "requests", s.t.requests);
	rte_tel_data_add_dict_u64(d, "responses", s.t.responses);
	rte_tel_data_add_dict_u64(d, "sessions", s.sessions);
	rte_tel_data_add_dict_u64(d, "busy_cycles", s.t.busy_cycles);
	rte_tel_data_add_dict_u64(d, "idle_cycles", s.t.idle_cycles);
	rte_tel_data_add_dict_u64(d, "shipped", s.m.shipped);
	rte_tel_data_add_dict_u64(d, "ship_backlog", s.m.ship_backlog);
	rte_tel_data_start_dict(codes);
	for (i = 0; i < GW_CODES; i++) {
		if (s.t.codes[i] == 0 && !code_listed(i))
			continue;
		snprintf(name, sizeof(name), "%02u", i);
		rte_tel_data_add_dict_u64(codes, name, s.t.codes[i]);
	}
	rte_tel_data_start_dict(drops);
	for (i = 0; i < GW_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(drops, drop_names[i], s.t.drops[i]);
	rte_tel_data_add_dict_container(d, "codes", codes, 0);
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
	return 0;
}

int gw_stats_telemetry_register(void)
{
	return rte_telemetry_register_cmd(
	    "/gw/stats", telemetry_stats,
	    "Gateway counters: rx, tx, responses by code, drops by reason");
}
