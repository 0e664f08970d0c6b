/*
 * Link 2 on the merchant's side: one UDP socket per merchant for the
 * gateway's service signals, each datagram checked with gw_signal_open
 * against the session it names, counted by type or by refusal, and
 * turned into a reaction.  Reactions that change which session carries
 * traffic (REKEY, SESSION_REVOKED) run here, on the traffic loop's
 * thread (handover.c); the link-1 transactions run on sigwork.c's thread.
 */
#ifndef SIM_SIGNALS_H
#define SIM_SIGNALS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* OpenSSL's headers (through install.h) come before intel-ipsec-mb's
 * (through session.h), whose macros would rename OpenSSL's SHA names. */
#include "install.h"

#include "gw_signal.h"
#include "ident.h"
#include "opts.h"
#include "report.h"
#include "session.h"
#include "traffic.h"

/* Why a datagram on link 2 was not believed. */
enum sim_sig_refusal {
	SIM_SIGREF_SIZE,     /* GW_SIGNAL_ESIZE */
	SIM_SIGREF_MAGIC,    /* GW_SIGNAL_EMAGIC */
	SIM_SIGREF_TYPE,     /* GW_SIGNAL_ETYPE */
	SIM_SIGREF_SESSION,  /* names a session this merchant never had */
	SIM_SIGREF_FORGED,   /* GW_SIGNAL_ETAG */
	SIM_SIGREF_REF,	     /* GW_SIGNAL_EREF */
	SIM_SIGREF_REPLAYED, /* GW_SIGNAL_EREPLAY */
	SIM_SIGREF_MAX,
};

/* What link 2 did in a run.  The loop's thread writes received,
 * refused, rekeyed, revoked; sigwork.c's thread the rest. */
struct sim_sigstats {
	uint64_t received[GW_SIG_TYPE_MAX + 1];
	uint64_t refused[SIM_SIGREF_MAX];
	uint64_t renewed;
	uint64_t renew_failed;
	uint64_t installed;
	uint64_t install_refused[SIM_INST_MAX];
	uint64_t rekeyed;
	uint64_t rekey_failed;
	uint64_t messages;
	uint64_t revoked; /* sessions */
};

/* Signals already acted upon, so that the copy every session of the
 * merchant gets, and the gateway's repeats, cause one reaction. */
#define SIM_SIG_SEEN_MAX 32
/* Sessions replaced by a rekey whose signals are still believed: the
 * gateway keeps them live until they expire. */
#define SIM_SIG_RETIRED_MAX 8

struct sim_sig_retired {
	uint32_t sid;
	uint64_t last_seq;
	uint8_t key[GW_SIGNAL_KEY_LEN];
};

/* One merchant's listener. */
struct sim_sigm {
	char id[GW_MERCHANT_ID_MAX + 1];
	int fd;
	char addr[64]; /* as SESSION names it */
	/* The version it runs: sigwork.c's thread owns it once the loop
	 * has started. */
	char version[GW_PKI_VERSION_MAX + 1];
	struct {
		uint8_t type;
		char ref[GW_SIGNAL_REF_LEN + 1];
	} seen[SIM_SIG_SEEN_MAX];
	unsigned nseen; /* entries written, the oldest overwritten first */
	struct sim_sig_retired retired[SIM_SIG_RETIRED_MAX];
	unsigned nretired;
};

/* Per merchant entry (session), beside struct sim_merchant. */
struct sim_sigent {
	unsigned merchant; /* index into sim_signals.mer */
	uint64_t last_seq; /* highest signal sequence accepted */
	uint8_t live;	   /* its signal key may be used */
	uint8_t reserved;  /* a spare taken by a rekey in progress */
	uint8_t rekeying;  /* this session's replacement is being opened */
	uint8_t revoked_seen;
	uint32_t next;	      /* the replacement's index + 1, 0: none */
	uint64_t activate_ns; /* when the replacement takes over */
};

struct sim_sigwork;

struct sim_signals {
	const struct sim_opts *o;
	struct sim_merchant *m;
	unsigned nent;
	struct sim_sigent *ent;
	struct sim_sigm *mer;
	unsigned nmer;
	struct sim_sigstats st;
	struct sim_stats *run; /* lost_after_revocation goes there */
	struct sim_traffic *t;
	int epfd;	  /* the listeners, itself registered with the loop */
	unsigned pending; /* replacements waiting to take over */
	unsigned draining;
	struct sim_sigwork *work;
	FILE *out; /* messages and actions, stdout by default */
};

/*
 * Link 2 for @nent entries of @m, of which the first @nsess hold open
 * sessions, @spm consecutive ones per merchant of @ids (@nids of them),
 * and the rest are spares for rekeys (marked SIM_SESS_FREE here).  With
 * @listen, binds one UDP socket per merchant on the address that reaches
 * gw-control and names it in every entry's sigaddr, so that SESSION
 * offers it; the sessions are opened after this.  NULL with @err set.
 */
struct sim_signals *sim_signals_new(const struct sim_opts *o,
				    struct sim_merchant *m, unsigned nent,
				    unsigned nsess, unsigned spm,
				    const struct sim_ident *ids, unsigned nids,
				    int listen, char *err, size_t errlen);

/* The sessions are open: their signal keys may be used. */
void sim_signals_opened(struct sim_signals *s, unsigned nsess);

/*
 * Hooks into the traffic loop @t (epoll and per-turn calls), starts the
 * link-1 worker, and adds the counters to @run's report.  0 or a
 * negative errno.
 */
int sim_signals_attach(struct sim_signals *s, struct sim_traffic *t,
		       struct sim_stats *run);

/* Stops the worker: a transaction in progress finishes first. */
void sim_signals_detach(struct sim_signals *s);
void sim_signals_free(struct sim_signals *s);

/*
 * Checks datagram @pkt of @len bytes received by merchant @mer: the key
 * is that of the session the header names, among the merchant's live and
 * retired ones.  Returns 0 with the signal in @out and in *@ent the
 * entry of its session (-1: a retired one), counted as received; or the
 * negative refusal (-1 - enum sim_sig_refusal), counted as refused.
 */
int sim_signals_take(struct sim_signals *s, unsigned mer, const uint8_t *pkt,
		     size_t len, struct gw_signal *out, int *ent);

/* Acts on signal @sig that sim_signals_take accepted for @ent at @now. */
void sim_signals_react(struct sim_signals *s, unsigned mer, int ent,
		       const struct gw_signal *sig, uint64_t now);

/* Records that @type/@ref was acted upon; 1 when it was already. */
int sim_signals_seen(struct sim_sigm *mm, uint8_t type, const char *ref);
/* Forgets @type/@ref, so that a repeat is acted upon again. */
void sim_signals_unsee(struct sim_sigm *mm, uint8_t type, const char *ref);

/*
 * SESSION_REVOKED for entry @e: nothing more is sent on it, and its
 * outstanding requests are abandoned, counted as lost after revocation.
 */
void sim_signals_revoke(struct sim_signals *s, unsigned e);

/*
 * The replacement of entry @old opened (@rc 0) into spare @repl, or
 * failed: from @now plus the data plane's settling time new requests go
 * to @repl while @old finishes its own.
 */
void sim_signals_rekeyed(struct sim_signals *s, unsigned old, unsigned repl,
			 int rc, uint64_t now);

/* Per-turn work: replacements taking over, drained sessions closed. */
void sim_signals_tick(struct sim_signals *s, uint64_t now);

#endif
