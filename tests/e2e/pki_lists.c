/*
 * The revocation-list operations that gw-pki's command leaves to the
 * library, for the end-to-end tests: revoking the issuing CA itself, and
 * publishing both lists for a number of seconds rather than whole days.
 *
 *   pki_lists revoke-issuing DIR REASON
 *   pki_lists publish DIR SECONDS
 *
 * Exit status: 0 done, 1 refused, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_pki.h"

static int revoke_issuing(char **argv)
{
	char err[512] = "";
	int rc;

	rc = gw_pki_revoke_issuing(argv[2], argv[3], err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pki_lists: revoke-issuing: %s (%s)\n", err,
			strerror(-rc));
		return 1;
	}
	printf("revoked the issuing CA of %s in root-crl.pem\n", argv[2]);
	return 0;
}

static int publish(char **argv)
{
	char err[512] = "", *end;
	long seconds;
	int rc;

	errno = 0;
	seconds = strtol(argv[3], &end, 10);
	if (errno || end == argv[3] || *end || seconds <= 0) {
		fprintf(stderr, "pki_lists: publish needs a positive number of "
				"seconds\n");
		return 2;
	}
	rc = gw_pki_crl(argv[2], seconds, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pki_lists: publish: %s (%s)\n", err,
			strerror(-rc));
		return 1;
	}
	printf("published the lists of %s for %ld s\n", argv[2], seconds);
	return 0;
}

static const struct {
	const char *verb;
	int (*run)(char **argv);
} verbs[] = {
    {"revoke-issuing", revoke_issuing},
    {"publish", publish},
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 4) {
		fprintf(stderr, "usage: pki_lists revoke-issuing DIR REASON\n"
				"       pki_lists publish DIR SECONDS\n");
		return 2;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].verb))
			return verbs[i].run(argv);
	fprintf(stderr, "pki_lists: unknown command\n");
	return 2;
}
