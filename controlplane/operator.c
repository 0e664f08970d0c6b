/*
 * Operator commands.  They run beside a serving gw-control and talk to it
 * only through Redis and the PKI directory: a queued signal is sent by
 * whichever gw-control serves, a republished CRL is read at its next
 * handshake.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gw_pki.h"
#include "gw_sessrec.h"
#include "merchants.h"
#include "operator.h"
#include "packages.h"
#include "sigstore.h"

#define MAX_SESSIONS 1024

static void say(const char *fmt, const char *a, const char *b, long n)
{
	fprintf(stderr, "gw-control: ");
	fprintf(stderr, fmt, a, b, n);
	fputc('\n', stderr);
}

/* Marks session @id revoked and appends its revoke event, in one
 * transaction, as the data plane expects them.  0 or -EIO. */
static int revoke_session(redisContext *rc, uint32_t id)
{
	redisReply *r = NULL;
	int ret = 0, i;

	redisAppendCommand(rc, "MULTI");
	redisAppendCommand(rc, "HSET %s%" PRIu32 " state %s",
			   GW_REDIS_SESSION_PREFIX, id,
			   gw_sessrec_state_str(GW_SESS_REVOKED));
	redisAppendCommand(rc, "XADD %s * id %" PRIu32 " op revoke",
			   GW_REDIS_SESSION_EVENTS, id);
	redisAppendCommand(rc, "EXEC");
	for (i = 0; i < 4; i++) {
		if (redisGetReply(rc, (void **)&r) != REDIS_OK)
			return -EIO;
		if (!r || r->type == REDIS_REPLY_ERROR ||
		    (i == 3 && r->type != REDIS_REPLY_ARRAY))
			ret = -EIO;
		freeReplyObject(r);
	}
	return ret;
}

/* Tears down every unexpired session of @merchant.  Returns how many
 * were revoked now, or -EIO. */
static int revoke_sessions(redisContext *rc, const char *merchant)
{
	static struct gw_live_session s[MAX_SESSIONS];
	int i, n, done = 0;

	n = gw_merchants_sessions(rc, merchant, s, MAX_SESSIONS);
	for (i = 0; i < n; i++) {
		if (s[i].state != GW_SESS_ACTIVE)
			continue;
		if (revoke_session(rc, s[i].id))
			return -EIO;
		done++;
	}
	return n < 0 ? n : done;
}

int gw_operator_revoke(const char *pki, redisContext *rc, const char *merchant,
		       const char *reason)
{
	char err[256], root[4096];
	int certs, sessions, signalled;

	/* A wrong --pki would otherwise read as an unknown merchant. */
	snprintf(root, sizeof(root), "%s/root.crt", pki);
	if (access(root, R_OK)) {
		fprintf(
		    stderr,
		    "gw-control: %s is not a PKI directory (no readable root.crt)\n",
		    pki);
		return -ENOENT;
	}
	certs = gw_pki_revoke(pki, NULL, merchant, reason, err, sizeof(err));
	if (certs == -ENOENT) {
		/* No certificate was ever issued to it, so it can have no
		 * session either: most likely a mistyped id. */
		fprintf(
		    stderr,
		    "gw-control: merchant %s is unknown to the PKI in %s: %s; nothing revoked\n",
		    merchant, pki, err);
		return certs;
	}
	if (certs < 0 && certs != -EALREADY) {
		fprintf(stderr, "gw-control: revoking merchant %s failed: %s\n",
			merchant, err);
		return certs;
	}
	/* The sessions go even when no certificate was left to revoke, so
	 * that a repeated command finishes a teardown cut short. */
	sessions = revoke_sessions(rc, merchant);
	if (sessions < 0) {
		fprintf(
		    stderr,
		    "gw-control: merchant %s: revoking its sessions in Redis failed\n",
		    merchant);
		return sessions;
	}
	signalled = gw_sigstore_signal_merchant(rc, merchant,
						GW_SIG_SESSION_REVOKED, NULL);
	if (certs == -EALREADY)
		fprintf(
		    stderr,
		    "gw-control: merchant %s: its certificates were already revoked; %d sessions revoked now, SESSION_REVOKED queued for %d\n",
		    merchant, sessions, signalled > 0 ? signalled : 0);
	else
		fprintf(
		    stderr,
		    "gw-control: merchant %s: %d certificates revoked, %d sessions revoked, SESSION_REVOKED queued for %d\n",
		    merchant, certs, sessions, signalled > 0 ? signalled : 0);
	return signalled < 0 ? signalled : 0;
}

/* Signs into @sig_path unless the operator brought a signature, then
 * checks it as a merchant's installer would (minus the running version). */
static int sign_and_check(const char *pki, const char *file, const char *name,
			  const char *version, const char *sig,
			  const char *sig_path)
{
	char err[256], root[4096];
	int ret;

	if (!sig) {
		ret = gw_pki_sign_package(pki, file, name, version, sig_path,
					  err, sizeof(err));
		if (ret) {
			fprintf(stderr, "gw-control: signing %s failed: %s\n",
				file, err);
			return ret;
		}
	}
	snprintf(root, sizeof(root), "%s/root.crt", pki);
	ret = gw_pki_verify_package(root, file, sig ? sig : sig_path, name,
				    version, NULL, err, sizeof(err));
	if (ret)
		fprintf(
		    stderr,
		    "gw-control: the signature of %s does not verify, not publishing: %s\n",
		    file, err);
	return ret;
}

struct offer {
	redisContext *rc;
	const char *name, *version;
	int sessions;
};

static int offer_one(const char *merchant, void *arg)
{
	struct offer *o = arg;
	int n = gw_sigstore_offer(o->rc, merchant, o->name, o->version);

	if (n < 0)
		return n;
	o->sessions += n;
	return 0;
}

/* What publishing changed, on stderr. */
static void published(const struct offer *o, int newest, const char *current,
		      int replaced)
{
	int cmp = 1;

	if (newest)
		fprintf(
		    stderr,
		    "gw-control: published %s %s%s; SOFTWARE_AVAILABLE queued for %d sessions\n",
		    o->name, o->version,
		    replaced ? ", replacing its earlier file" : "",
		    o->sessions);
	else if (!gw_pki_version_cmp(o->version, current, &cmp) && cmp == 0)
		fprintf(
		    stderr,
		    "gw-control: published %s %s again%s; it was already the published version, nobody signalled again\n",
		    o->name, o->version,
		    replaced ? ", replacing its earlier file" : "");
	else
		fprintf(
		    stderr,
		    "gw-control: published %s %s%s; older than the published %s, nobody signalled\n",
		    o->name, o->version,
		    replaced ? ", replacing its earlier file" : "", current);
}

int gw_operator_publish(const char *pki, redisContext *rc, const char *packages,
			const char *file, const char *name, const char *version,
			const char *sig, int replace)
{
	struct offer o = {.rc = rc, .name = name, .version = version};
	char sig_path[4096], err[256];
	char current[GW_PKI_VERSION_MAX + 1];
	int ret, newest, exists;

	if (gw_packages_check(name, version)) {
		fprintf(
		    stderr,
		    "gw-control: package names are [A-Za-z0-9._-], versions one to four dotted numbers, and name@version at most %d characters\n",
		    GW_SIGNAL_REF_LEN);
		return -EINVAL;
	}
	/* Merchants may have fetched the file already: replacing it under
	 * the same version is a decision, not a side effect. */
	exists = gw_packages_exists(packages, name, version);
	if (exists && !replace) {
		fprintf(
		    stderr,
		    "gw-control: %s %s is already published in %s; publish a new version, or pass --replace to replace its file\n",
		    name, version, packages);
		return -EEXIST;
	}
	snprintf(sig_path, sizeof(sig_path), "%s/.%s-%s.sig.%d", packages, name,
		 version, (int)getpid());
	ret = sign_and_check(pki, file, name, version, sig, sig_path);
	if (ret == 0)
		ret =
		    gw_packages_install(packages, name, version, file,
					sig ? sig : sig_path, err, sizeof(err));
	if (!sig)
		unlink(sig_path);
	if (ret) {
		if (ret != GW_PKI_PKG_BADSIG)
			fprintf(stderr, "gw-control: publishing failed: %s\n",
				err);
		return ret;
	}
	newest =
	    gw_merchants_publish(rc, name, version, current, sizeof(current));
	if (newest < 0) {
		fprintf(
		    stderr,
		    "gw-control: %s %s is in %s but recording it in Redis failed; run the command again with --replace\n",
		    name, version, packages);
		return newest;
	}
	if (newest)
		ret = gw_merchants_each(rc, offer_one, &o);
	published(&o, newest, current, exists);
	return ret;
}

/* 0 when @merchant ever enrolled; else says so and returns -ENOENT (or
 * -EIO), so that a mistyped id queues nothing. */
static int known(redisContext *rc, const char *merchant)
{
	int k = gw_merchants_known(rc, merchant);

	if (k == 0)
		fprintf(
		    stderr,
		    "gw-control: merchant %s is unknown: it never enrolled; nothing queued\n",
		    merchant);
	else if (k < 0)
		fprintf(
		    stderr,
		    "gw-control: merchant %s: reading its record in Redis failed\n",
		    merchant);
	return k > 0 ? 0 : k == 0 ? -ENOENT : k;
}

int gw_operator_message(redisContext *rc, const char *merchant,
			const char *text)
{
	char ref[24];
	uint64_t id;
	int ret, n;

	ret = known(rc, merchant);
	if (ret)
		return ret;
	ret = gw_merchants_message_put(rc, merchant, text, &id);
	if (ret == -EINVAL)
		fprintf(stderr,
			"gw-control: a message is 1 to %d bytes of text\n",
			GW_MESSAGE_MAX);
	if (ret)
		return ret;
	snprintf(ref, sizeof(ref), "%" PRIu64, id);
	n = gw_sigstore_signal_merchant(rc, merchant, GW_SIG_MESSAGE, ref);
	if (n < 0)
		return n;
	say("message %s to merchant %s stored; MESSAGE queued for %ld sessions",
	    ref, merchant, n);
	printf("%s\n", ref);
	return 0;
}

int gw_operator_rekey(redisContext *rc, const char *merchant)
{
	int n = known(rc, merchant);

	if (n)
		return n;
	n = gw_sigstore_signal_merchant(rc, merchant, GW_SIG_REKEY, NULL);
	if (n < 0)
		return n;
	say("merchant %s%s: REKEY queued for %ld sessions", merchant, "", n);
	return 0;
}
