/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fdprobe: record what a process inherited (open fds, blocked and ignored signals), then exec the
 * next program. For 24-hygiene.bats: shells cannot measure this themselves (they open, save and
 * block things of their own), a C program that changes nothing can.
 *
 *   fdprobe --out FILE [NEXT ARGS...]     as an exit command: record into FILE, then exec NEXT
 *   fdprobe ARGS...                       as a runtime (-r fdprobe): record into $FDPROBE_OUT,
 *                                         then exec $FDPROBE_NEXT with ARGS
 *
 * FILE gets one line per open fd, "fd <n> <readlink target>" (the probe's own directory fd
 * excluded), then the "SigBlk:" and "SigIgn:" lines of /proc/self/status. It is written once
 * (atomically, only if FILE does not exist yet).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void record(const char *out)
{
	char tmp[4096], line[8192], target[4096], path[64];
	FILE *f;
	DIR *d;
	struct dirent *e;

	if (access(out, F_OK) == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	/* list the fds before opening anything else */
	char listing[65536] = "";
	size_t used = 0;
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		used += (size_t)snprintf(listing + used, sizeof(listing) - used, "fd %s %s\n", e->d_name, target);
		if (used >= sizeof(listing))
			break;
	}
	closedir(d);
	f = fopen(tmp, "we");
	if (f == NULL)
		return;
	fputs(listing, f);
	FILE *st = fopen("/proc/self/status", "re");
	while (st && fgets(line, sizeof(line), st))
		if (strncmp(line, "SigBlk:", 7) == 0 || strncmp(line, "SigIgn:", 7) == 0)
			fputs(line, f);
	if (st)
		fclose(st);
	fclose(f);
	rename(tmp, out);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--out") == 0) {
		record(argv[2]);
		if (argc > 3) {
			execv(argv[3], argv + 3);
			perror("fdprobe: exec");
			return 127;
		}
		return 0;
	}
	const char *out = getenv("FDPROBE_OUT");
	const char *next = getenv("FDPROBE_NEXT");
	if (out)
		record(out);
	if (next) {
		argv[0] = (char *)next;
		execv(next, argv);
		perror("fdprobe: exec");
		return 127;
	}
	return 0;
}
