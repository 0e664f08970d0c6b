/*
 * gw-control's revocation-list reload: a list that cannot be loaded is
 * logged once per change of the files, by whichever caller looks first
 * (a connection or the signal thread), and the previous lists stay in
 * force; at start nothing is logged, as gw-control reports it itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../controlplane/tls.h"
#include "gw_pki.h"
#include "pki_fixture.h"

/* Where stderr goes while a step runs, and the fd it came from. */
static char log_path[64];
static int saved_stderr = -1;

static void capture(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "/tmp/gw-tls-log-XXXXXX");
	fd = mkstemp(log_path);
	assert_true(fd >= 0);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* Ends the capture; the log's text in a static buffer. */
static const char *captured(void)
{
	static char text[4096];
	ssize_t n;
	int fd;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fd = open(log_path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	unlink(log_path);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Replaces @dir/crl.pem by @len bytes of @text the way publication
 * replaces it, by a rename, so that it is a new file. */
static void replace(const char *dir, const char *text, size_t len)
{
	char tmp[512], path[512];

	snprintf(tmp, sizeof(tmp), "%s/crl.pem.new", dir);
	snprintf(path, sizeof(path), "%s/crl.pem", dir);
	pki_fixture_put(tmp, text, len);
	assert_int_equal(rename(tmp, path), 0);
}

static void damage(const char *dir)
{
	static const char junk[] = "-----BEGIN X509 CRL-----\nnot a list\n";

	replace(dir, junk, sizeof(junk) - 1);
}

static const char failed[] = "error: revocation lists of ";
static const char kept[] = "cannot be loaded, the previous ones stay in force";

/* The trust store is process-wide, so the steps run in order in one
 * case. */
static void a_damaged_list_is_logged_once_per_change(void **state)
{
	char dir[64], err[256], good[8192];
	const char *log;

	(void)state;
	pki_fixture_make(dir, sizeof(dir));
	snprintf(good, sizeof(good), "%s", pki_fixture_slurp(dir, "crl.pem"));

	/* At start the caller reports: nothing in the log. */
	damage(dir);
	capture();
	assert_int_equal(gw_tls_refresh(dir, err, sizeof(err)), -EINVAL);
	log = captured();
	assert_string_equal(log, "");

	replace(dir, good, strlen(good));
	capture();
	assert_int_equal(gw_tls_refresh(dir, err, sizeof(err)), 0);
	assert_string_equal(captured(), "");

	/* A connection looks first: it logs; later looks find nothing new
	 * and stay quiet, the previous lists in force. */
	damage(dir);
	capture();
	assert_int_equal(gw_tls_refresh(dir, err, sizeof(err)), -EINVAL);
	assert_int_equal(gw_tls_refresh(dir, err, sizeof(err)), 0);
	assert_int_equal(gw_tls_refresh(dir, err, sizeof(err)), 0);
	log = captured();
	assert_int_equal(count(log, failed), 1);
	assert_int_equal(count(log, kept), 1);
	assert_non_null(strstr(log, dir));
	assert_int_equal(count(log, "\n"), 1);

	/* A good list again is news, and a new damage is logged again. */
	replace(dir, good, strlen(good));
	capture();
	assert_int_equal(gw_tls_refresh(dir, err, sizeof(err)), 0);
	damage(dir);
	assert_int_equal(gw_tls_refresh(dir, err, sizeof(err)), -EINVAL);
	assert_int_equal(gw_tls_refresh(dir, err, sizeof(err)), 0);
	log = captured();
	assert_int_equal(count(log, "new handshakes use them"), 1);
	assert_int_equal(count(log, kept), 1);
	assert_int_equal(count(log, "\n"), 2);
	pki_fixture_rm(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_damaged_list_is_logged_once_per_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
