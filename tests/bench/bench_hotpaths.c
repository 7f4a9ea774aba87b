/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-benchmark of vigil's hot paths: k8s-file and json-file record writing, attach fan-out and
 * journald field building.  Prints bytes/s for each and exits 1 if a result is wrong (the bytes
 * written or delivered do not match what they must be).  Run: meson test -C build --benchmark.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "attach.h"
#include "journal_native.h"
#include "log_journald.h"
#include "log_k8s.h"

#define LINE_LEN 100

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *name, size_t bytes, double secs)
{
	printf("%-28s %8.1f MiB/s  (%zu MiB in %.3f s)\n", name, (double)bytes / (1 << 20) / secs, bytes >> 20, secs);
}

/* A chunk of full 100-byte lines, as a 64 KiB read would bring them, ending inside a line. */
static char *make_chunk(size_t len)
{
	char *buf = g_malloc(len);
	for (size_t i = 0; i < len; i++)
		buf[i] = (i % LINE_LEN == LINE_LEN - 1) ? '\n' : (char)('a' + i % 26);
	return buf;
}

static bool bench_file(LogFileFormat format, const char *name, const char *dir)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	const size_t chunk = 65536, total = (size_t)512 << 20;
	K8sLogConfig cfg = {.path = path, .format = format, .size_max = -1, .global_size_max = -1, .max_files = 1};
	g_autoptr(GError) error = NULL;
	g_autofree char *buf = make_chunk(chunk);
	K8sLog *log = k8s_log_open(&cfg, &error);
	struct timespec ts = {.tv_sec = 1795400000, .tv_nsec = 0};
	struct stat st;

	if (log == NULL) {
		fprintf(stderr, "%s: %s\n", name, error->message);
		return false;
	}
	double t0 = now_s();
	for (size_t done = 0; done < total; done += chunk) {
		ts.tv_nsec = (long)(done / chunk % 1000000000);
		k8s_log_write(log, LOG_STREAM_STDOUT, &ts, buf, chunk);
		if (done % ((size_t)64 << 20) == 0 && ftruncate(open(path, O_WRONLY | O_CLOEXEC), 0) < 0)
			return false; /* keep the file small; the writer appends */
	}
	double t1 = now_s();
	k8s_log_free(log);
	report(name, total, t1 - t0);
	/* The last chunk alone, into a fresh file: exact size check. */
	(void)unlink(path);
	log = k8s_log_open(&cfg, &error);
	k8s_log_write(log, LOG_STREAM_STDOUT, &ts, buf, chunk);
	k8s_log_finish(log, false);
	k8s_log_free(log);
	if (stat(path, &st) < 0)
		return false;
	size_t lines = chunk / LINE_LEN, tail = chunk % LINE_LEN;
	size_t want = format == LOG_FILE_FORMAT_K8S
			      ? lines * (K8S_RECORD_OVERHEAD + LINE_LEN) + (tail ? K8S_RECORD_OVERHEAD + tail + 1 : 0)
			      : 0;
	if (format == LOG_FILE_FORMAT_K8S && (size_t)st.st_size != want) {
		fprintf(stderr, "%s: %lld bytes written, %zu expected\n", name, (long long)st.st_size, want);
		return false;
	}
	if (format == LOG_FILE_FORMAT_JSON && (size_t)st.st_size < chunk) {
		fprintf(stderr, "%s: only %lld bytes written\n", name, (long long)st.st_size);
		return false;
	}
	(void)unlink(path);
	return true;
}

static bool bench_attach(void)
{
	enum { CLIENTS = 2 };
	const size_t chunk = 65536, total = (size_t)256 << 20;
	g_autofree char *dir = g_dir_make_tmp("vigil-bench-XXXXXX", NULL);
	AttachConfig cfg = {.bundle = dir, .socket_dir = NULL, .cuuid = "bench"};
	AttachCallbacks cb = {0};
	g_autoptr(GError) error = NULL;
	AttachServer *srv = attach_server_new(&cfg, &cb, NULL, &error);
	g_autofree char *buf = make_chunk(chunk);
	g_autofree char *sock = g_build_filename(dir, "attach", NULL);
	int fds[CLIENTS];
	size_t got[CLIENTS] = {0};
	char rbuf[8193];

	if (srv == NULL)
		return false;
	for (int i = 0; i < CLIENTS; i++) {
		struct sockaddr_un {
			sa_family_t sun_family;
			char sun_path[108];
		} addr = {.sun_family = AF_UNIX};
		g_strlcpy(addr.sun_path, sock, sizeof(addr.sun_path));
		fds[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (connect(fds[i], (struct sockaddr *)&addr, sizeof(addr)) < 0)
			return false;
	}
	while (attach_server_client_count(srv) < CLIENTS)
		g_main_context_iteration(NULL, TRUE);
	double t0 = now_s();
	for (size_t done = 0; done < total; done += chunk) {
		attach_server_broadcast(srv, LOG_STREAM_STDOUT, buf, chunk);
		/* The clients drain everything, as fast readers do. */
		for (int i = 0; i < CLIENTS; i++) {
			while (got[i] < done + chunk) {
				ssize_t n = recv(fds[i], rbuf, sizeof(rbuf), 0);
				if (n <= 1 || rbuf[0] != 2 || n - 1 > 8192)
					return false;
				got[i] += (size_t)n - 1;
				while (g_main_context_iteration(NULL, FALSE))
					;
			}
		}
	}
	double t1 = now_s();
	report("attach fan-out (2 clients)", total, t1 - t0);
	for (int i = 0; i < CLIENTS; i++) {
		close(fds[i]);
		if (got[i] != total) {
			fprintf(stderr, "attach: client %d got %zu of %zu bytes\n", i, got[i], total);
			return false;
		}
	}
	attach_server_free(srv);
	(void)rmdir(dir);
	return true;
}

static bool bench_journald(void)
{
	const size_t total = (size_t)256 << 20;
	char *labels[] = {"A=1", "B=2", NULL};
	JournaldConfig cfg = {.cid = "0123456789abcdef0123456789abcdef", .name = "bench", .labels = labels};
	g_autoptr(JournaldEncoder) enc = journald_encoder_new(&cfg);
	g_autoptr(GString) out = g_string_new(NULL);
	char line[LINE_LEN];
	size_t bytes = 0, entries = 0;

	memset(line, 'x', sizeof(line) - 1);
	line[LINE_LEN - 1] = '\n';
	double t0 = now_s();
	for (size_t done = 0; done < total; done += LINE_LEN) {
		journald_encode(enc, out, 6, false, line, LINE_LEN);
		bytes += out->len;
		entries++;
	}
	double t1 = now_s();
	report("journald entry encoding", total, t1 - t0);
	/* every entry the same: MESSAGE, ID_FULL, PRIORITY, ID, NAME, SYSLOG_IDENTIFIER, 2 labels, CODE_* */
	JournaldFields f;
	bool ok = journal_decode(out->str, out->len, &f) && f.n == 11 && f.iov[0].iov_len == 8 + LINE_LEN &&
		  memcmp((char *)f.iov[0].iov_base + 8, line, LINE_LEN) == 0 && bytes == entries * out->len;
	journald_fields_clear(&f);
	if (!ok) {
		fprintf(stderr, "journald: the encoded entry is wrong\n");
		return false;
	}
	return true;
}

int main(void)
{
	g_autofree char *dir = g_dir_make_tmp("vigil-bench-XXXXXX", NULL);
	bool ok = dir != NULL;

	setenv("TZ", "UTC", 1);
	tzset();
	ok = ok && bench_file(LOG_FILE_FORMAT_K8S, "k8s-file records", dir);
	ok = ok && bench_file(LOG_FILE_FORMAT_JSON, "json-file records", dir);
	ok = ok && bench_attach();
	ok = ok && bench_journald();
	if (dir)
		(void)rmdir(dir);
	printf("%s\n", ok ? "all results verified" : "FAILED: a result was wrong");
	return ok ? 0 : 1;
}
