/*
 * gw-settle: the settlement batch of the decisions shipped to Redis (or
 * still in the journal files), per merchant and currency, as a table or
 * JSON; or, with --records, every decision on one line for audits.  Exit
 * codes: 0 done (an empty batch too, before anything was shipped), 1
 * failed (a journal directory that is missing or holds no journal), 2
 * usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "gw_wire.h"
#include "source.h"

struct opts {
	const char *redis;
	const char *journal_dir;
	int json;
	int records;
};

static const char usage_text[] =
    "usage: gw-settle (--redis SOCKET | --journal-dir DIR) [--json | --records]\n"
    "\n"
    "  --redis SOCKET     read the journal streams gw:journal:<worker>\n"
    "  --journal-dir DIR  read the data plane's journal files instead\n"
    "  --json             the batch as one JSON object\n"
    "  --records          every decision on one line instead of the batch:\n"
    "                     worker seq type code merchant txn ref orig_ref\n"
    "                     amount applied balance approval masked\n"
    "\n"
    "Redis without journal streams gives an empty batch (exit 0): nothing\n"
    "was shipped yet.  A journal directory that is missing or holds no\n"
    "worker-<n>.journal file is an error (exit 1).\n";

static int usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "gw-settle: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"redis", required_argument, NULL, 'r'},
	    {"journal-dir", required_argument, NULL, 'j'},
	    {"json", no_argument, NULL, 'J'},
	    {"records", no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->redis = optarg;
			break;
		case 'j':
			o->journal_dir = optarg;
			break;
		case 'J':
			o->json = 1;
			break;
		case 'R':
			o->records = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			return usage(NULL);
		}
	}
	if (optind != argc)
		return usage("unexpected argument");
	if ((o->redis == NULL) == (o->journal_dir == NULL))
		return usage("give one of --redis and --journal-dir");
	if (o->json && o->records)
		return usage("--json and --records exclude each other");
	return 0;
}

static int print_record(const struct gw_journal_rec *r, void *arg)
{
	char code[3];

	gw_wire_code_str(r->code, code);
	printf("%u %" PRIu64 " %s %s %s %" PRIu64 " %" PRIu64 " %" PRIu64
	       " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s %s\n",
	       r->worker, r->seq, gw_journal_type_name(r->type), code,
	       r->merchant, r->txn_id, r->ref, r->orig_ref, r->amount,
	       r->applied, r->balance,
	       r->approval[0] == ' ' ? "-" : r->approval,
	       r->masked[0] ? r->masked : "-");
	return 0;
}

static int add_record(const struct gw_journal_rec *r, void *arg)
{
	struct settle_txn t = {
	    .type = r->type,
	    .code = r->code,
	    .flags = r->flags,
	    .currency = r->currency,
	    .ref = r->ref,
	    .orig_ref = r->orig_ref,
	    .applied = r->applied,
	};

	snprintf(t.merchant, sizeof(t.merchant), "%s", r->merchant);
	return settle_batch_add(arg, &t);
}

int main(int argc, char **argv)
{
	const struct settle_row *rows;
	struct settle_batch *b = NULL;
	settle_rec_fn fn = print_record;
	char err[512] = "";
	unsigned streams = 0;
	struct opts o;
	long n;
	int rc;

	rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc;
	if (!o.records) {
		b = settle_batch_new();
		if (b == NULL)
			return 1;
		fn = add_record;
	}
	rc = o.redis
		 ? settle_from_redis(o.redis, fn, b, &streams, err, sizeof(err))
		 : settle_from_journal(o.journal_dir, fn, b, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "gw-settle: %s\n", err[0] ? err : "failed");
		settle_batch_free(b);
		return 1;
	}
	if (o.redis && streams == 0)
		fprintf(
		    stderr,
		    "gw-settle: no journal streams in Redis at %s: nothing shipped yet, the batch is empty\n",
		    o.redis);
	if (b != NULL) {
		n = settle_batch_rows(b, &rows);
		if (n < 0) {
			fprintf(stderr, "gw-settle: out of memory\n");
			settle_batch_free(b);
			return 1;
		}
		settle_batch_print(stdout, rows, n, o.json);
	}
	settle_batch_free(b);
	return 0;
}
