/*
 * One DPDK telemetry command, for the end-to-end tests that need the data
 * plane's counters at an exact moment rather than from its statistics
 * file, which is rewritten once a second: connects to the process's
 * telemetry socket, skips its greeting, sends the command and prints the
 * JSON answer on one line.
 *
 *   dp_telemetry SOCKET COMMAND      e.g. .../dpdk_telemetry.v2 /gw/stats
 *
 * Exit status: 0 printed, 1 failed, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* DPDK 22.11 answers in at most 16 KiB; the greeting is shorter. */
#define ANSWER_MAX (64 * 1024)

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static char buf[ANSWER_MAX + 1];
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: dp_telemetry SOCKET COMMAND\n");
		return 2;
	}
	fd = connect_to(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "dp_telemetry: %s: %s\n", argv[1],
			strerror(-fd));
		return 1;
	}
	/* The greeting names the version and the answer size limit. */
	n = recv(fd, buf, ANSWER_MAX, 0);
	if (n > 0 && send(fd, argv[2], strlen(argv[2]), 0) > 0)
		n = recv(fd, buf, ANSWER_MAX, 0);
	else
		n = -1;
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "dp_telemetry: no answer to %s\n", argv[2]);
		return 1;
	}
	buf[n] = '\0';
	printf("%s\n", buf);
	return 0;
}
