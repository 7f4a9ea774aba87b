/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sd_notify_send: a tiny sd_notify(3) sender for containers, built with `gcc -static` by the tests
 * (15-notify.bats, e2e 08-sdnotify.bats) and copied into the busybox rootfs, which has no such tool.
 *
 *   sd-notify-send [-n COUNT] [-s SECONDS] MESSAGE...
 *
 * Sends each MESSAGE, as is (one datagram each, newlines and CRs included), to $NOTIFY_SOCKET
 * ("@name" = abstract). -n repeats the whole list COUNT times; -s sleeps SECONDS first.
 * Exit status: 0, 1 on a send error (printed to stderr), 2 on usage errors.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	long count = 1;
	int opt, fd;
	socklen_t alen;

	while ((opt = getopt(argc, argv, "+n:s:")) != -1) {
		switch (opt) {
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 's':
			sleep((unsigned)strtoul(optarg, NULL, 10));
			break;
		default:
			return 2;
		}
	}
	if (path == NULL || *path == '\0' || strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "sd-notify-send: NOTIFY_SOCKET is not set or too long\n");
		return 2;
	}
	memcpy(addr.sun_path, path, strlen(path));
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if (addr.sun_path[0] == '@')
		addr.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("sd-notify-send: socket");
		return 1;
	}
	for (long n = 0; n < count; n++)
		for (int i = optind; i < argc; i++)
			if (sendto(fd, argv[i], strlen(argv[i]), MSG_NOSIGNAL, (struct sockaddr *)&addr, alen) < 0) {
				fprintf(stderr, "sd-notify-send: sendto %s: %s\n", path, strerror(errno));
				return 1;
			}
	close(fd);
	return 0;
}
