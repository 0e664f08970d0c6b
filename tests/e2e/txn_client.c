/*
 * The end-to-end tests' transaction client: opens one session the way
 * merchant-sim does (enrollment and link 1 are merchant-sim's code), then
 * sends a table of transactions one at a time over a kernel UDP socket and
 * checks each answer exactly.  Rows name earlier rows for their original
 * (orig) and for an answer that must be repeated byte for byte (same);
 * The SAVE and LOAD files carry rows over a restart of the data plane.
 * TXN_GAP_US in the environment spaces the rows out.
 *
 * Table, one row per line, '#' comments:
 *   name,type,txn,pan,expiry,amount,flags,orig,code,applied,balance,same
 * type is auth, capture, reverse, refund or echo; txn is added to
 * --txn-base; pan, orig, applied, balance and same may be "-".
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "enroll.h"
#include "gw_aead.h"
#include "gw_wire.h"
#include "ident.h"
#include "opts.h"
#include "session.h"
#include "tls.h"

#define ROWS_MAX   256
#define NAME_MAX_  32
#define TRIES	   30
#define TIMEOUT_MS 300

struct row {
	char name[NAME_MAX_];
	uint8_t type;
	uint64_t txn;
	char pan[GW_WIRE_PAN_MAX + 1];
	uint16_t expiry;
	uint64_t amount;
	uint16_t flags;
	char orig[NAME_MAX_], same[NAME_MAX_];
	int code;
	int64_t applied, balance; /* -1: not checked */
	struct gw_resp got;
};

static struct row rows[ROWS_MAX];
static unsigned nrows;
static int failures;

static const char *const types[] = {"",	       "auth",	 "capture",
				    "reverse", "refund", "echo"};

static struct row *find(const char *name)
{
	unsigned i;

	for (i = 0; i < nrows; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

static int64_t opt_num(const char *s)
{
	return strcmp(s, "-") == 0 ? -1 : (int64_t)strtoll(s, NULL, 10);
}

static int parse_row(char *line, uint64_t base, struct row *r)
{
	char *f[12], *save = NULL, *t;
	unsigned n = 0, i;

	for (t = strtok_r(line, ",\n", &save); t && n < 12;
	     t = strtok_r(NULL, ",\n", &save))
		f[n++] = t;
	if (n != 12)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", f[0]);
	for (i = 1; i < 6; i++)
		if (strcmp(f[1], types[i]) == 0)
			r->type = (uint8_t)i;
	if (r->type == 0)
		return -EINVAL;
	r->txn = base + strtoull(f[2], NULL, 10);
	if (strcmp(f[3], "-") != 0)
		snprintf(r->pan, sizeof(r->pan), "%s", f[3]);
	r->expiry = (uint16_t)strtoul(f[4], NULL, 10);
	r->amount = strtoull(f[5], NULL, 10);
	r->flags = (uint16_t)strtoul(f[6], NULL, 10);
	snprintf(r->orig, sizeof(r->orig), "%s", f[7]);
	r->code = atoi(f[8]);
	r->applied = opt_num(f[9]);
	r->balance = opt_num(f[10]);
	snprintf(r->same, sizeof(r->same), "%s", f[11]);
	return 0;
}

/* Rows answered in an earlier run: "name ref approval code amount". */
static int load_saved(const char *path)
{
	char name[NAME_MAX_], appr[8];
	unsigned code;
	uint64_t ref, amount;
	FILE *f = fopen(path, "r");
	struct row *r;

	if (f == NULL)
		return -errno;
	while (nrows < ROWS_MAX &&
	       fscanf(f, "%31s %" SCNu64 " %7s %u %" SCNu64, name, &ref, appr,
		      &code, &amount) == 5) {
		r = &rows[nrows++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", name);
		r->got.gateway_ref = ref;
		r->got.code = (uint8_t)code;
		r->got.amount = amount;
		memcpy(r->got.approval,
		       strcmp(appr, "-") == 0 ? "      " : appr, 6);
		r->got.approval[6] = '\0';
	}
	fclose(f);
	return 0;
}

/* One exchange: the request until its answer comes, retransmitting with
 * a fresh sequence number. */
static int exchange(struct sim_merchant *m, const struct row *r,
		    struct gw_resp *out)
{
	uint8_t body[GW_WIRE_REQ_LEN], pkt[GW_WIRE_REQ_DGRAM], in[256],
	    plain[GW_WIRE_RESP_LEN];
	const struct row *o = find(r->orig);
	struct gw_req q = {.txn_id = r->txn,
			   .amount = r->amount,
			   .currency = 978,
			   .expiry = r->expiry};
	struct pollfd pfd = {.fd = m->fd, .events = POLLIN};
	struct gw_hdr h;
	uint16_t flags = r->flags;
	ssize_t n;
	int tries;

	q.orig_ref = o != NULL ? o->got.gateway_ref : 0;
	q.pan_len = (uint8_t)strlen(r->pan);
	memcpy(q.pan, r->pan, q.pan_len);
	gw_wire_req_encode(body, &q);
	for (tries = 0; tries < TRIES; tries++) {
		sim_session_seal(m, r->type, flags, m->sid, body, pkt);
		flags |= GW_FLAG_RETRANSMIT;
		(void)send(m->fd, pkt, sizeof(pkt), 0);
		while (poll(&pfd, 1, TIMEOUT_MS) == 1) {
			n = recv(m->fd, in, sizeof(in), 0);
			if (n <= 0 ||
			    gw_wire_check_resp(in, (size_t)n, &h) !=
				GW_WIRE_OK ||
			    h.session_id != m->sid ||
			    gw_aead_frame_open(&m->keys.g2m, &h, in, (size_t)n,
					       plain) != 0 ||
			    gw_wire_resp_decode(plain, out) != GW_WIRE_OK ||
			    out->txn_id != r->txn)
				continue;
			OPENSSL_cleanse(body, sizeof(body));
			return 0;
		}
	}
	OPENSSL_cleanse(body, sizeof(body));
	return -ETIMEDOUT;
}

static void check(const struct row *r, const char *what, int64_t want,
		  int64_t got)
{
	if (want < 0 || want == got)
		return;
	printf("  FAIL %s: %s expected %" PRId64 ", got %" PRId64 "\n", r->name,
	       what, want, got);
	failures++;
}

static void run_row(struct sim_merchant *m, struct row *r)
{
	const struct row *s = find(r->same);
	int before = failures;

	if (exchange(m, r, &r->got) != 0) {
		printf("  FAIL %s: no answer\n", r->name);
		failures++;
		return;
	}
	check(r, "code", r->code, r->got.code);
	check(r, "amount", r->applied, (int64_t)r->got.amount);
	check(r, "balance", r->balance, (int64_t)r->got.balance);
	if (s != NULL && (s->got.gateway_ref != r->got.gateway_ref ||
			  strcmp(s->got.approval, r->got.approval) != 0)) {
		printf("  FAIL %s: answer differs from %s's (ref %" PRIu64
		       " %s, not %" PRIu64 " %s)\n",
		       r->name, s->name, r->got.gateway_ref, r->got.approval,
		       s->got.gateway_ref, s->got.approval);
		failures++;
	}
	if (failures == before)
		printf("  ok   %s: %02u amount %" PRIu64 " balance %" PRIu64
		       " ref %" PRIu64 "\n",
		       r->name, r->got.code, r->got.amount, r->got.balance,
		       r->got.gateway_ref);
	fflush(stdout);
}

static int open_session(int argc, char **argv, unsigned idx,
			struct sim_merchant *m)
{
	struct sim_ident *ids = NULL;
	struct sim_opts o;
	char err[512] = "";
	SSL_CTX *ctx = NULL;
	int n = 0, rc = -EINVAL;

	if (sim_opts_parse(&o, argc, argv, err, sizeof(err)) != 0)
		goto out;
	n = sim_idents_load(o.secrets, 0, &ids, err, sizeof(err));
	if (n <= (int)idx)
		goto out;
	ctx = sim_tls_ctx(o.ca, err, sizeof(err));
	if (ctx == NULL)
		goto out;
	rc = sim_enroll(ctx, &o, &ids[idx], err, sizeof(err));
	if (rc == 0)
		rc = sim_session_open(ctx, &o, &ids[idx], m, 1, err,
				      sizeof(err));
	if (rc == 0)
		rc = sim_session_connect(m);
out:
	if (rc != 0)
		fprintf(stderr, "txn_client: %s\n",
			err[0] ? err : "bad options");
	SSL_CTX_free(ctx);
	if (ids != NULL && n > 0)
		sim_idents_free(ids, (size_t)n);
	return rc;
}

static void save(const char *path, unsigned from)
{
	FILE *f = fopen(path, "a");
	unsigned i;

	if (f == NULL)
		return;
	for (i = from; i < nrows; i++)
		fprintf(f, "%s %" PRIu64 " %s %u %" PRIu64 "\n", rows[i].name,
			rows[i].got.gateway_ref,
			rows[i].got.approval[0] == ' ' ? "-"
						       : rows[i].got.approval,
			rows[i].got.code, rows[i].got.amount);
	fclose(f);
}

/*
 * txn_client TABLE TXN_BASE MERCHANT_INDEX SAVE LOAD -- merchant-sim
 * options (--control, --ca, --secrets, --state-dir, --cards).  SAVE and
 * LOAD may be "-".
 */
int main(int argc, char **argv)
{
	struct sim_merchant *m;
	char line[512];
	const char *gap = getenv("TXN_GAP_US");
	unsigned gap_us = gap ? (unsigned)atoi(gap) : 0;
	unsigned first;
	FILE *t;

	if (argc < 7 || strcmp(argv[6], "--") != 0) {
		fprintf(stderr, "usage: txn_client TABLE TXN_BASE MERCHANT "
				"SAVE LOAD -- merchant-sim options\n");
		return 2;
	}
	if (strcmp(argv[5], "-") != 0 && load_saved(argv[5]) != 0)
		return 2;
	first = nrows;
	m = sim_merchants_new(1, 1);
	argv[6] = argv[0];
	if (m == NULL ||
	    open_session(argc - 6, argv + 6, (unsigned)atoi(argv[3]), m) != 0)
		return 1;
	t = fopen(argv[1], "r");
	if (t == NULL)
		return 2;
	while (fgets(line, sizeof(line), t) != NULL && nrows < ROWS_MAX) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (parse_row(line, strtoull(argv[2], NULL, 10),
			      &rows[nrows]) != 0) {
			fprintf(stderr, "txn_client: bad row: %s", line);
			return 2;
		}
		run_row(m, &rows[nrows++]);
		if (gap_us > 0)
			usleep(gap_us);
	}
	fclose(t);
	if (strcmp(argv[4], "-") != 0)
		save(argv[4], first);
	sim_merchants_free(m, 1);
	printf("txn_client: %u rows, %d failed\n", nrows - first, failures);
	return failures ? 1 : 0;
}
