/*
 * The merchant's side of link 2: which datagrams are believed (under the
 * key of the session they name, live or retired, above its last
 * sequence), how sessions change hands on a rekey and a revocation, the
 * once-per-reference rule, and the verified install with its refusals.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../merchant-sim/signals.h"
#include "../../merchant-sim/sigreport.h"
#include "pki_fixture.h"

#define SID_A 10
#define SID_B 11
#define NSESS 2
#define NENT  4

struct fix {
	struct sim_opts o;
	struct sim_ident id;
	struct sim_merchant *m;
	struct sim_signals *s;
	struct sim_stats run;
	struct sim_card card;
	uint8_t secret[NENT][GW_SIGNAL_SECRET_LEN];
	uint64_t gw_seq[NENT]; /* the gateway's sequence per entry */
};

static void give_session(struct fix *f, unsigned e, uint32_t sid)
{
	memset(f->secret[e], 0x30 + (int)e, GW_SIGNAL_SECRET_LEN);
	f->m[e].sid = sid;
	assert_int_equal(gw_signal_key(f->secret[e], sid, f->m[e].sigkey), 0);
	memcpy(f->m[e].id, "m0001", 6);
	f->gw_seq[e] = 0;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	f->o.software_version = "1.0.0";
	f->o.state_dir = "/nonexistent";
	memcpy(f->id.id, "m0001", 6);
	f->m = sim_merchants_new(NENT, 2);
	assert_non_null(f->m);
	give_session(f, 0, SID_A);
	give_session(f, 1, SID_B);
	f->s = sim_signals_new(&f->o, f->m, NENT, NSESS, NSESS, &f->id, 1, 0,
			       err, sizeof(err));
	assert_non_null(f->s);
	f->s->run = &f->run;
	f->s->out = fopen("/dev/null", "w");
	sim_signals_opened(f->s, NSESS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	fclose(f->s->out);
	sim_signals_free(f->s);
	sim_merchants_free(f->m, NENT);
	free(f);
	return 0;
}

/* A genuine signal for entry @e, as the gateway seals it. */
static void seal(struct fix *f, unsigned e, uint8_t type, const char *ref,
		 uint8_t pkt[GW_SIGNAL_LEN])
{
	struct gw_signal s = {.type = type, .session = f->m[e].sid};
	uint8_t key[GW_SIGNAL_KEY_LEN];

	s.seq = ++f->gw_seq[e];
	snprintf(s.ref, sizeof(s.ref), "%s", ref);
	assert_int_equal(gw_signal_key(f->secret[e], s.session, key), 0);
	assert_int_equal(gw_signal_seal(key, &s, pkt), GW_SIGNAL_LEN);
}

static int take(struct fix *f, const uint8_t *pkt, size_t len,
		struct gw_signal *out, int *ent)
{
	return sim_signals_take(f->s, 0, pkt, len, out, ent);
}

#define REFUSED(r) (-1 - (int)(r))

static void test_genuine_signal_is_taken_for_its_session(void **state)
{
	struct fix *f = *state;
	uint8_t pkt[GW_SIGNAL_LEN];
	struct gw_signal sig;
	int ent = -7;

	seal(f, 1, GW_SIG_MESSAGE, "42", pkt);
	assert_int_equal(take(f, pkt, sizeof(pkt), &sig, &ent), 0);
	assert_int_equal(ent, 1);
	assert_int_equal(sig.type, GW_SIG_MESSAGE);
	assert_int_equal(sig.session, SID_B);
	assert_int_equal(sig.seq, 1);
	assert_string_equal(sig.ref, "42");
	assert_int_equal(f->s->st.received[GW_SIG_MESSAGE], 1);
	assert_int_equal(f->s->ent[1].last_seq, 1);
}

static void test_forged_signal_refused_and_moves_nothing(void **state)
{
	struct fix *f = *state;
	uint8_t pkt[GW_SIGNAL_LEN], key[GW_SIGNAL_KEY_LEN];
	struct gw_signal s = {.type = GW_SIG_REKEY,
			      .session = SID_A,
			      .seq = 999999},
			 sig;
	int ent;

	snprintf(s.ref, sizeof(s.ref), "%d", SID_A);
	memset(key, 0x5a, sizeof(key));
	assert_int_equal(gw_signal_seal(key, &s, pkt), GW_SIGNAL_LEN);
	assert_int_equal(take(f, pkt, sizeof(pkt), &sig, &ent),
			 REFUSED(SIM_SIGREF_FORGED));
	assert_int_equal(f->s->st.refused[SIM_SIGREF_FORGED], 1);
	assert_int_equal(f->s->ent[0].last_seq, 0);
	/* The real sequence 1 still gets through. */
	seal(f, 0, GW_SIG_REKEY, "10", pkt);
	assert_int_equal(take(f, pkt, sizeof(pkt), &sig, &ent), 0);
	assert_int_equal(f->s->st.received[GW_SIG_REKEY], 1);
}

static void test_replayed_signal_refused(void **state)
{
	struct fix *f = *state;
	uint8_t first[GW_SIGNAL_LEN], second[GW_SIGNAL_LEN];
	struct gw_signal sig;
	int ent;

	seal(f, 0, GW_SIG_CERT_RENEW, "0A", first);
	seal(f, 0, GW_SIG_CERT_RENEW, "0A", second);
	assert_int_equal(take(f, second, sizeof(second), &sig, &ent), 0);
	/* Older than the last one accepted, then the same one again. */
	assert_int_equal(take(f, first, sizeof(first), &sig, &ent),
			 REFUSED(SIM_SIGREF_REPLAYED));
	assert_int_equal(take(f, second, sizeof(second), &sig, &ent),
			 REFUSED(SIM_SIGREF_REPLAYED));
	assert_int_equal(f->s->st.refused[SIM_SIGREF_REPLAYED], 2);
	assert_int_equal(f->s->st.received[GW_SIG_CERT_RENEW], 1);
}

static void test_junk_and_strangers_refused_by_reason(void **state)
{
	struct fix *f = *state;
	uint8_t pkt[GW_SIGNAL_LEN + 1];
	struct gw_signal sig;
	int ent;

	seal(f, 0, GW_SIG_MESSAGE, "1", pkt);
	assert_int_equal(take(f, pkt, GW_SIGNAL_LEN - 1, &sig, &ent),
			 REFUSED(SIM_SIGREF_SIZE));
	assert_int_equal(take(f, pkt, GW_SIGNAL_LEN + 1, &sig, &ent),
			 REFUSED(SIM_SIGREF_SIZE));
	assert_int_equal(take(f, pkt, 3, &sig, &ent), REFUSED(SIM_SIGREF_SIZE));
	/* Another session's signal, keyed and tagged correctly for it. */
	f->m[2].sid = 77;
	f->secret[2][0] = 1;
	f->gw_seq[2] = 0;
	seal(f, 2, GW_SIG_MESSAGE, "1", pkt);
	assert_int_equal(take(f, pkt, GW_SIGNAL_LEN, &sig, &ent),
			 REFUSED(SIM_SIGREF_SESSION));
	seal(f, 0, GW_SIG_MESSAGE, "1", pkt);
	pkt[0] = 'X';
	assert_int_equal(take(f, pkt, GW_SIGNAL_LEN, &sig, &ent),
			 REFUSED(SIM_SIGREF_MAGIC));
	assert_int_equal(f->s->st.refused[SIM_SIGREF_SIZE], 3);
	assert_int_equal(f->s->st.refused[SIM_SIGREF_SESSION], 1);
	assert_int_equal(f->s->st.refused[SIM_SIGREF_MAGIC], 1);
	assert_int_equal(f->s->ent[0].last_seq, 0);
}

static void test_each_reference_acted_upon_once(void **state)
{
	struct fix *f = *state;
	struct sim_sigm *mm = &f->s->mer[0];

	assert_int_equal(sim_signals_seen(mm, GW_SIG_MESSAGE, "7"), 0);
	assert_int_equal(sim_signals_seen(mm, GW_SIG_MESSAGE, "7"), 1);
	/* Same reference, another type: another transaction. */
	assert_int_equal(sim_signals_seen(mm, GW_SIG_CERT_RENEW, "7"), 0);
	sim_signals_unsee(mm, GW_SIG_MESSAGE, "7");
	assert_int_equal(sim_signals_seen(mm, GW_SIG_MESSAGE, "7"), 0);
}

static void test_rekey_hands_over_after_settling(void **state)
{
	struct fix *f = *state;
	uint8_t pkt[GW_SIGNAL_LEN];
	struct gw_signal sig;
	int ent;

	assert_int_equal(f->m[2].state, SIM_SESS_FREE);
	assert_int_equal(f->m[3].state, SIM_SESS_FREE);
	/* The worker opened session 20 into spare 2 for entry 0. */
	give_session(f, 2, 20);
	f->s->ent[2].reserved = 1;
	sim_signals_rekeyed(f->s, 0, 2, 0, 1000);
	sim_signals_tick(f->s, 1000);
	assert_int_equal(f->m[0].state, SIM_SESS_ACTIVE);
	assert_int_equal(f->m[2].state, SIM_SESS_FREE);
	assert_int_equal(f->s->st.rekeyed, 0);
	/* Signals on the replacement are believed at once. */
	seal(f, 2, GW_SIG_MESSAGE, "5", pkt);
	assert_int_equal(take(f, pkt, sizeof(pkt), &sig, &ent), 0);
	assert_int_equal(ent, 2);
	sim_signals_tick(f->s, 1000 + 200 * 1000000ull);
	assert_int_equal(f->m[2].state, SIM_SESS_ACTIVE);
	assert_int_equal(f->s->st.rekeyed, 1);
	/* Nothing outstanding on the old one: closed in the same turn. */
	assert_int_equal(f->m[0].state, SIM_SESS_FREE);
	assert_int_equal(f->s->ent[0].live, 0);
	assert_int_equal(f->s->mer[0].nretired, 1);
	/* The gateway still signals the old session, which is believed,
	 * but its REKEY is moot. */
	seal(f, 0, GW_SIG_REKEY, "10", pkt);
	assert_int_equal(take(f, pkt, sizeof(pkt), &sig, &ent), 0);
	assert_int_equal(ent, -1);
	sim_signals_react(f->s, 0, ent, &sig, 1);
	assert_int_equal(f->s->ent[2].rekeying, 0);
	assert_int_equal(f->s->ent[3].reserved, 0);
}

static void test_rekey_waits_for_outstanding_requests(void **state)
{
	struct fix *f = *state;
	struct sim_slot *s;

	s = sim_session_slot_get(&f->m[0]);
	assert_non_null(s);
	give_session(f, 2, 20);
	sim_signals_rekeyed(f->s, 0, 2, 0, 0);
	sim_signals_tick(f->s, 300 * 1000000ull);
	assert_int_equal(f->m[0].state, SIM_SESS_DRAINING);
	assert_int_equal(f->m[2].state, SIM_SESS_ACTIVE);
	assert_int_equal(f->s->draining, 1);
	sim_signals_tick(f->s, 400 * 1000000ull);
	assert_int_equal(f->m[0].state, SIM_SESS_DRAINING);
	sim_session_slot_put(&f->m[0], s);
	sim_signals_tick(f->s, 500 * 1000000ull);
	assert_int_equal(f->m[0].state, SIM_SESS_FREE);
	assert_int_equal(f->s->draining, 0);
}

static void test_failed_rekey_frees_the_spare(void **state)
{
	struct fix *f = *state;

	f->s->ent[2].reserved = 1;
	f->s->ent[0].rekeying = 1;
	sim_signals_rekeyed(f->s, 0, 2, -EACCES, 0);
	assert_int_equal(f->s->st.rekey_failed, 1);
	assert_int_equal(f->s->ent[2].reserved, 0);
	assert_int_equal(f->s->ent[0].rekeying, 0);
	assert_int_equal(f->s->ent[0].next, 0);
	assert_int_equal(f->s->pending, 0);
	assert_int_equal(f->m[0].state, SIM_SESS_ACTIVE);
}

static void test_revocation_abandons_outstanding_requests(void **state)
{
	struct fix *f = *state;
	uint8_t pkt[GW_SIGNAL_LEN];
	struct gw_signal sig;
	struct sim_slot *a, *b;
	int ent;

	a = sim_session_slot_get(&f->m[1]);
	b = sim_session_slot_get(&f->m[1]);
	assert_non_null(b);
	a->card = &f->card;
	seal(f, 1, GW_SIG_SESSION_REVOKED, "11", pkt);
	assert_int_equal(take(f, pkt, sizeof(pkt), &sig, &ent), 0);
	sim_signals_react(f->s, 0, ent, &sig, 0);
	assert_int_equal(f->m[1].state, SIM_SESS_REVOKED);
	assert_int_equal(f->m[1].nout, 0);
	assert_int_equal(f->run.lost_after_revocation, 2);
	assert_int_equal(f->card.lost, 1);
	assert_int_equal(f->s->st.revoked, 1);
	/* The gateway's repeats change nothing. */
	seal(f, 1, GW_SIG_SESSION_REVOKED, "11", pkt);
	assert_int_equal(take(f, pkt, sizeof(pkt), &sig, &ent), 0);
	sim_signals_react(f->s, 0, ent, &sig, 0);
	assert_int_equal(f->s->st.revoked, 1);
	assert_int_equal(f->run.lost_after_revocation, 2);
	assert_int_equal(f->s->st.received[GW_SIG_SESSION_REVOKED], 2);
	/* The other session carries on. */
	assert_int_equal(f->m[0].state, SIM_SESS_ACTIVE);
}

/* ---- references and installs --------------------------------------- */

static const struct {
	const char *ref, *name, *version;
	int rc;
} refs[] = {
    {"gw-merchant@1.1.0", "gw-merchant", "1.1.0", 0},
    {"a@1", "a", "1", 0},
    {"x_y.z-9@10.20.30.40", "x_y.z-9", "10.20.30.40", 0},
    {"gw-merchant", NULL, NULL, -EINVAL},
    {"@1.0", NULL, NULL, -EINVAL},
    {"gw@", NULL, NULL, -EINVAL},
    {"gw@1.0@2", NULL, NULL, -EINVAL},
    {"../etc@1.0", NULL, NULL, -EINVAL},
    {".hidden@1.0", NULL, NULL, -EINVAL},
    {"a/b@1.0", NULL, NULL, -EINVAL},
    {"gw@1.0.x", NULL, NULL, -EINVAL},
    {"gw@1.2.3.4.5", NULL, NULL, -EINVAL},
    {"gw@-1", NULL, NULL, -EINVAL},
};

static void test_software_reference_parsed_strictly(void **state)
{
	char name[GW_PKI_PKG_NAME_MAX + 1], version[GW_PKI_VERSION_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		int rc = sim_install_parse_ref(refs[i].ref, name, version);

		if (rc != refs[i].rc)
			fail_msg("%s: %d", refs[i].ref, rc);
		if (rc == 0) {
			assert_string_equal(name, refs[i].name);
			assert_string_equal(version, refs[i].version);
		}
	}
}

struct pkgfix {
	char dir[64], root[128], inst[128], file[128], sig[128];
	uint8_t pkg[3000];
	char *sigpem;
	size_t siglen;
};

static void load(const char *path, char **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	*buf = malloc((size_t)n);
	assert_int_equal(fread(*buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
}

/* A hierarchy and "gw-merchant" 1.2.0 signed by it. */
static void pkg_setup(struct pkgfix *p, const char *name)
{
	char err[256];
	size_t i;

	pki_fixture_make(p->dir, sizeof(p->dir));
	snprintf(p->root, sizeof(p->root), "%s/root.crt", p->dir);
	snprintf(p->inst, sizeof(p->inst), "%s/m0001/software", p->dir);
	snprintf(p->file, sizeof(p->file), "%s/in.pkg", p->dir);
	snprintf(p->sig, sizeof(p->sig), "%s/in.pkg.sig", p->dir);
	for (i = 0; i < sizeof(p->pkg); i++)
		p->pkg[i] = (uint8_t)(i * 13 + 5);
	pki_fixture_put(p->file, p->pkg, sizeof(p->pkg));
	assert_int_equal(gw_pki_sign_package(p->dir, p->file, name, "1.2.0",
					     p->sig, err, sizeof(err)),
			 0);
	load(p->sig, &p->sigpem, &p->siglen);
}

static void pkg_teardown(struct pkgfix *p)
{
	free(p->sigpem);
	pki_fixture_rm(p->dir);
}

static int installed(const struct pkgfix *p, const char *leaf)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", p->inst, leaf);
	return access(path, F_OK) == 0;
}

static int dir_entries(const char *dir)
{
	struct dirent **v;
	int n = scandir(dir, &v, NULL, NULL), i;

	for (i = 0; i < n; i++)
		free(v[i]);
	if (n >= 0)
		free(v);
	return n - 2;
}

static void test_verified_package_installed_whole(void **state)
{
	struct pkgfix p;
	char err[256], path[256];
	struct stat st;
	char *got;
	size_t len;

	(void)state;
	pkg_setup(&p, "gw-merchant");
	assert_int_equal(
	    sim_install_package(p.root, p.inst, "gw-merchant", "1.2.0", "1.1.0",
				(uint8_t *)p.sigpem, p.siglen, p.pkg,
				sizeof(p.pkg), err, sizeof(err)),
	    0);
	snprintf(path, sizeof(path), "%s/gw-merchant-1.2.0.pkg", p.inst);
	load(path, &got, &len);
	assert_int_equal(len, sizeof(p.pkg));
	assert_memory_equal(got, p.pkg, len);
	free(got);
	assert_true(installed(&p, "gw-merchant-1.2.0.pkg.sig"));
	/* Nothing half-written is left, and nobody else may read it. */
	assert_int_equal(dir_entries(p.inst), 2);
	assert_int_equal(stat(p.inst, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	pkg_teardown(&p);
}

static const struct {
	const char *what;
	const char *signed_as;
	const char *running;
	int flip; /* byte of the package to change, -1: none */
	int rc;
	enum sim_install_refusal why;
} bad[] = {
    {"rollback", "gw-merchant", "1.3.0", -1, GW_PKI_PKG_OLD, SIM_INST_ROLLBACK},
    {"same version again", "gw-merchant", "1.2.0", -1, GW_PKI_PKG_OLD,
     SIM_INST_ROLLBACK},
    {"another package's signature", "gw-tools", "1.1.0", -1, GW_PKI_PKG_NAME,
     SIM_INST_OTHER_PACKAGE},
    {"altered after signing", "gw-merchant", "1.1.0", 1500, GW_PKI_PKG_FILE,
     SIM_INST_FILE},
};

static void test_bad_packages_leave_nothing(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pkgfix p;
		int rc;

		pkg_setup(&p, bad[i].signed_as);
		if (bad[i].flip >= 0)
			p.pkg[bad[i].flip] ^= 0x40;
		rc = sim_install_package(p.root, p.inst, "gw-merchant", "1.2.0",
					 bad[i].running, (uint8_t *)p.sigpem,
					 p.siglen, p.pkg, sizeof(p.pkg), err,
					 sizeof(err));
		if (rc != bad[i].rc)
			fail_msg("%s: %d (%s)", bad[i].what, rc, err);
		assert_int_equal(sim_install_refusal_of(rc), bad[i].why);
		assert_int_equal(dir_entries(p.inst), 0);
		pkg_teardown(&p);
	}
}

static void test_garbage_signature_refused(void **state)
{
	struct pkgfix p;
	char err[256];
	int rc;

	(void)state;
	pkg_setup(&p, "gw-merchant");
	rc = sim_install_package(p.root, p.inst, "gw-merchant", "1.2.0",
				 "1.1.0", (const uint8_t *)"not a signature",
				 15, p.pkg, sizeof(p.pkg), err, sizeof(err));
	assert_int_equal(rc, GW_PKI_PKG_FORMAT);
	assert_false(installed(&p, "gw-merchant-1.2.0.pkg"));
	pkg_teardown(&p);
}

static void test_refusal_names(void **state)
{
	(void)state;
	assert_string_equal(sim_install_refusal_name(SIM_INST_ROLLBACK),
			    "rollback");
	assert_string_equal(sim_install_refusal_name(SIM_INST_BAD_SIGNATURE),
			    "bad_signature");
	assert_int_equal(sim_install_refusal_of(GW_PKI_PKG_BADSIG),
			 SIM_INST_BAD_SIGNATURE);
	assert_int_equal(sim_install_refusal_of(-EIO), SIM_INST_ERROR);
	assert_string_equal(sim_signals_refusal_name(SIM_SIGREF_REPLAYED),
			    "replayed");
	assert_string_equal(sim_signals_refusal_name(SIM_SIGREF_SESSION),
			    "unknown_session");
}

static void test_install_dir(void **state)
{
	struct sim_opts o = {.state_dir = "/s"};
	char out[64];

	(void)state;
	assert_int_equal(sim_install_dir(&o, "m7", out, sizeof(out)), 0);
	assert_string_equal(out, "/s/m7/software");
	o.install_dir = "/opt/x";
	assert_int_equal(sim_install_dir(&o, "m7", out, sizeof(out)), 0);
	assert_string_equal(out, "/opt/x/m7");
	assert_int_equal(sim_install_dir(&o, "m7", out, 8), -ENAMETOOLONG);
}

static int parse(struct sim_opts *o, const char *a, const char *b)
{
	char *argv[] = {"merchant-sim",
			"--control",
			"127.0.0.1:7443",
			"--ca",
			"r.crt",
			"--secrets",
			"s",
			"--state-dir",
			"d",
			"--cards",
			"c",
			(char *)a,
			(char *)b,
			NULL};
	char err[200];
	int argc = 11 + (a != NULL) + (b != NULL);

	return sim_opts_parse(o, argc, argv, err, sizeof(err));
}

static void test_link2_options(void **state)
{
	struct sim_opts o;

	(void)state;
	assert_int_equal(parse(&o, NULL, NULL), 0);
	assert_string_equal(o.software_version, "1.0.0");
	assert_int_equal(o.signals, 0);
	assert_int_equal(o.signal_port_base_set, 0);
	assert_int_equal(parse(&o, "--signals", NULL), 0);
	assert_int_equal(o.signals, 1);
	assert_int_equal(parse(&o, "--software-version", "2.10.3"), 0);
	assert_string_equal(o.software_version, "2.10.3");
	assert_int_equal(parse(&o, "--software-version", "dev-build"), -EINVAL);
	assert_int_equal(parse(&o, "--software-version", "1.2.3.4.5"), -EINVAL);
	assert_int_equal(parse(&o, "--signal-port-base", "7600"), 0);
	assert_int_equal(o.signal_port_base, 7600);
	assert_int_equal(o.signal_port_base_set, 1);
	assert_int_equal(parse(&o, "--signal-port-base", "0"), -EINVAL);
	assert_int_equal(parse(&o, "--signal-port-base", "65536"), -EINVAL);
	assert_int_equal(parse(&o, "--install-dir", ""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_genuine_signal_is_taken_for_its_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_forged_signal_refused_and_moves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replayed_signal_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_junk_and_strangers_refused_by_reason, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_each_reference_acted_upon_once,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_rekey_hands_over_after_settling, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_rekey_waits_for_outstanding_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_rekey_frees_the_spare,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_revocation_abandons_outstanding_requests, setup, teardown),
	    cmocka_unit_test(test_software_reference_parsed_strictly),
	    cmocka_unit_test(test_verified_package_installed_whole),
	    cmocka_unit_test(test_bad_packages_leave_nothing),
	    cmocka_unit_test(test_garbage_signature_refused),
	    cmocka_unit_test(test_refusal_names),
	    cmocka_unit_test(test_install_dir),
	    cmocka_unit_test(test_link2_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
