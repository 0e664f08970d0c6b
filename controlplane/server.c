/*
 * Accept loop and connection threads.  Only the accept loop takes stop
 * signals, while it waits in ppoll; it then cuts the open connections and
 * waits for their threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "parse.h"
#include "server.h"
#include "tls.h"

/* The sockets of running connections, so that stopping can cut them. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t done;
	int fds[GW_SERVER_MAX_CONNS];
	int active;
} table = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

struct job {
	struct gw_conn conn;
	int slot;
};

/* A free slot for @fd, or -1 when GW_SERVER_MAX_CONNS run already. */
static int take_slot(int fd)
{
	int slot = -1;
	int i;

	pthread_mutex_lock(&table.lock);
	for (i = 0; i < GW_SERVER_MAX_CONNS && slot < 0; i++)
		if (table.fds[i] < 0)
			slot = i;
	if (slot >= 0) {
		table.fds[slot] = fd;
		table.active++;
	}
	pthread_mutex_unlock(&table.lock);
	return slot;
}

/* Closes the slot's socket under the lock so that drain() never shuts
 * down a descriptor number already reused. */
static void give_slot(int slot)
{
	pthread_mutex_lock(&table.lock);
	close(table.fds[slot]);
	table.fds[slot] = -1;
	table.active--;
	pthread_cond_signal(&table.done);
	pthread_mutex_unlock(&table.lock);
}

static void *conn_thread(void *arg)
{
	struct job *j = arg;

	gw_conn_run(&j->conn);
	give_slot(j->slot);
	free(j);
	return NULL;
}

static int open_listener(const char *listen_addr)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int one = 1;
	int fd;

	if (gw_parse_hostport(listen_addr, &ss, &sslen))
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, 64)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void describe(const struct sockaddr_storage *ss, char *out,
		     size_t outlen)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(out, outlen, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, outlen, "%s:%u", a, ntohs(s4->sin_port));
	}
}

/* Bounds every read and write so that a silent peer frees its thread.
 * The bound is per call, not per handshake or command: a peer trickling a
 * byte every few seconds keeps its thread, one of GW_SERVER_MAX_CONNS. */
static void set_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = GW_SERVER_IO_TIMEOUT};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Starts a thread for @fd; closes @fd itself on any failure. */
static void start(const struct gw_ctl_config *cfg, SSL_CTX *ctx, int fd,
		  const struct sockaddr_storage *ss, unsigned long number)
{
	static time_t last_full;
	pthread_attr_t attr;
	char why[256];
	struct job *j;
	pthread_t t;
	int slot;

	slot = take_slot(fd);
	if (slot < 0) {
		/* One line a second at most: a flood must not flood the log
		 * too. */
		if (time(NULL) != last_full)
			log_warn("connection limit %d reached, refusing",
				 GW_SERVER_MAX_CONNS);
		last_full = time(NULL);
		close(fd);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		goto fail;
	j->slot = slot;
	j->conn.cfg = cfg;
	j->conn.number = number;
	describe(ss, j->conn.peer, sizeof(j->conn.peer));
	j->conn.ssl = SSL_new(ctx);
	if (!j->conn.ssl || !SSL_set_fd(j->conn.ssl, fd))
		goto fail;
	/* A list republished since the last connection applies to this
	 * one; a failed rebuild is logged by gw_tls_refresh and the
	 * previous lists stay in force. */
	gw_tls_refresh(cfg->pki_dir, why, sizeof(why));
	if (gw_tls_attach(j->conn.ssl))
		goto fail;
	set_timeouts(fd);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, conn_thread, j) == 0) {
		pthread_attr_destroy(&attr);
		return;
	}
	pthread_attr_destroy(&attr);
fail:
	log_err("conn %lu: out of resources, closing", number);
	if (j)
		SSL_free(j->conn.ssl);
	free(j);
	give_slot(slot);
}

/* Cuts every running connection and waits for its thread to finish. */
static void drain(void)
{
	int i;

	pthread_mutex_lock(&table.lock);
	log_info("stopping: closing %d connections", table.active);
	for (i = 0; i < GW_SERVER_MAX_CONNS; i++)
		if (table.fds[i] >= 0)
			shutdown(table.fds[i], SHUT_RDWR);
	while (table.active > 0)
		pthread_cond_wait(&table.done, &table.lock);
	pthread_mutex_unlock(&table.lock);
}

int gw_server_run(const struct gw_ctl_config *cfg, SSL_CTX *ctx,
		  volatile sig_atomic_t *stop)
{
	struct timespec tick = {.tv_nsec = 500 * 1000 * 1000};
	unsigned long number = 0;
	struct sockaddr_storage ss;
	sigset_t block, open_mask;
	struct pollfd p;
	socklen_t sslen;
	int lfd;
	int fd;
	int i;

	for (i = 0; i < GW_SERVER_MAX_CONNS; i++)
		table.fds[i] = -1;
	lfd = open_listener(cfg->listen);
	if (lfd < 0)
		return lfd;
	/* Stop signals stay blocked everywhere but in ppoll below, so they
	 * never interrupt a connection thread's read; threads inherit the
	 * blocked mask. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &open_mask);
	sigdelset(&open_mask, SIGINT);
	sigdelset(&open_mask, SIGTERM);
	log_info("listening on %s", cfg->listen);
	p = (struct pollfd){.fd = lfd, .events = POLLIN};
	while (!*stop) {
		if (ppoll(&p, 1, &tick, &open_mask) <= 0)
			continue;
		sslen = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of descriptors: pause rather than spin on a
			 * listener that stays readable. */
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000);
			continue;
		}
		start(cfg, ctx, fd, &ss, ++number);
	}
	close(lfd);
	drain();
	return 0;
}
