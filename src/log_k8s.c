/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_k8s: record formatting and the k8s-file writer.
 */
#include "log_k8s.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "fd_util.h"
#include "fs_util.h"
#include "json_util.h"
#include "mem_release.h"

#define K8S_BATCH_SIZE ((size_t)512 * 1024)
#define K8S_FILE_MODE  0640

struct K8sLog {
	char *path;
	int fd;
	int64_t size_max;
	int64_t global_size_max;
	bool rotate;
	bool defer_flush;
	int max_files;
	char **allowlist;
	int64_t file_bytes;  /* bytes in the current file (starts at its size) */
	int64_t total_bytes; /* bytes written over the monitor's life */
	bool global_full;
	bool write_failed;  /* a write error was reported; quiet until one succeeds */
	bool reopen_failed; /* a truncate/rotate failure was reported; quiet until one succeeds */
	bool unsynced;	    /* this monitor changed the file since it was opened or last synced */
	/* One timestamp per chunk; the date-and-zone part is cached per second. */
	time_t ts_sec;
	char ts[K8S_TS_LEN];
	PageBuf batch_buf; /* the batch's pages, given back after a burst */
	char *batch;	   /* batch_buf.data */
	size_t batch_len;
	LogFileFormat format;
	GString *scratch; /* one json-file record */
	/* json-file: the start of a UTF-8 character cut by a read, kept for the stream's next read */
	char carry[_LOG_STREAM_MAX][4];
	size_t carry_len[_LOG_STREAM_MAX];
	GString *joined;
	/* content bytes per stream in the current file and in the batch, for the stats */
	uint64_t file_content[_LOG_STREAM_MAX];
	uint64_t batch_content[_LOG_STREAM_MAX];
	K8sLogStats stats;
};

const K8sLogStats *k8s_log_stats(const K8sLog *log)
{
	return &log->stats;
}

/* n more content bytes of stream went into the batch (and so into the current file). */
static inline void k8s_content(K8sLog *log, LogStream stream, size_t n)
{
	log->file_content[stream] += n;
	log->batch_content[stream] += n;
}

/* Bytes at the end of data that begin a UTF-8 character not complete within data (0..3). */
static size_t utf8_incomplete_tail(const char *data, size_t len)
{
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = (unsigned char)data[len - back];
		if ((c & 0xC0) == 0x80)
			continue; /* a continuation byte: look further back for the lead */
		size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
		return need > back ? back : 0;
	}
	return 0;
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void k8s_log_format_timestamp(char out[K8S_TS_LEN], long nsec, const struct tm *local)
{
	int year = local->tm_year + 1900;
	long off = local->tm_gmtoff;
	char sign = off < 0 ? '-' : '+';

	if (off < 0)
		off = -off;
	out[0] = (char)('0' + year / 1000 % 10);
	out[1] = (char)('0' + year / 100 % 10);
	put2(out + 2, year % 100);
	out[4] = '-';
	put2(out + 5, local->tm_mon + 1);
	out[7] = '-';
	put2(out + 8, local->tm_mday);
	out[10] = 'T';
	put2(out + 11, local->tm_hour);
	out[13] = ':';
	put2(out + 14, local->tm_min);
	out[16] = ':';
	put2(out + 17, local->tm_sec);
	out[19] = '.';
	for (int i = 28; i >= 20; i--) {
		out[i] = (char)('0' + nsec % 10);
		nsec /= 10;
	}
	out[29] = sign;
	put2(out + 30, (int)(off / 3600));
	out[32] = ':';
	put2(out + 33, (int)(off / 60 % 60));
}

static size_t next_record(const char *data, size_t len, size_t max, bool *ret_partial)
{
	size_t scan = len < max ? len : max;
	const char *nl = memchr(data, '\n', scan);

	if (nl != NULL) {
		*ret_partial = false;
		return (size_t)(nl - data) + 1;
	}
	*ret_partial = true;
	return scan;
}

size_t k8s_log_next_record(const char *data, size_t len, bool *ret_partial)
{
	return next_record(data, len, K8S_MAX_CONTENT, ret_partial);
}

void json_log_format_timestamp(char out[JSON_TS_LEN], long nsec, const struct tm *utc)
{
	char local[K8S_TS_LEN];

	/* The same digits as the k8s stamp up to the fraction, then "Z" for UTC. */
	k8s_log_format_timestamp(local, nsec, utc);
	memcpy(out, local, 29); /* NOLINT(bugprone-not-null-terminated-result): fixed-width field, no NUL */
	out[29] = 'Z';
}

void json_log_format_record(GString *out, const char ts[JSON_TS_LEN], LogStream stream, const char *content, size_t len)
{
	g_string_append(out, "{\"log\":");
	if (!json_append_string(out, content, len))
		g_string_append(out, "\"\"");
	g_string_append(out, stream == LOG_STREAM_STDOUT ? ",\"stream\":\"stdout\",\"time\":\""
							 : ",\"stream\":\"stderr\",\"time\":\"");
	g_string_append_len(out, ts, JSON_TS_LEN);
	g_string_append(out, "\"}\n");
}

size_t k8s_log_format_record(char *out, const char ts[K8S_TS_LEN], LogStream stream, bool partial, const char *content,
			     size_t len)
{
	char *p = out;

	memcpy(p, ts, K8S_TS_LEN);
	p += K8S_TS_LEN;
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): 8 bytes of a fixed-width record field */
	memcpy(p, stream == LOG_STREAM_STDOUT ? " stdout " : " stderr ", 8);
	p += 8;
	*p++ = partial ? 'P' : 'F';
	*p++ = ' ';
	memcpy(p, content, len);
	p += len;
	if (partial)
		*p++ = '\n';
	return (size_t)(p - out);
}

static int k8s_open_fd(const char *path, int extra_flags)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | extra_flags, K8S_FILE_MODE);
	return fd < 0 ? -errno : fd;
}

K8sLog *k8s_log_open(const K8sLogConfig *cfg, GError **error)
{
	g_autoptr(K8sLog) log = g_new0(K8sLog, 1);
	struct stat st;

	log->fd = k8s_open_fd(cfg->path, 0);
	if (log->fd < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Failed to open log file %s", g_strerror(-log->fd));
		return NULL;
	}
	log->path = g_strdup(cfg->path);
	log->size_max = cfg->size_max;
	log->global_size_max = cfg->global_size_max;
	log->rotate = cfg->rotate;
	log->max_files = cfg->max_files;
	log->allowlist = g_strdupv((char **)cfg->allowlist);
	log->format = cfg->format;
	log->defer_flush = cfg->defer_flush;
	log->scratch = g_string_sized_new(1024);
	log->joined = g_string_new(NULL);
	log->ts_sec = (time_t)-1;
	if (fstat(log->fd, &st) == 0)
		log->file_bytes = st.st_size;
	page_buf_init(&log->batch_buf, K8S_BATCH_SIZE);
	log->batch = log->batch_buf.data;
	return g_steal_pointer(&log);
}

void k8s_log_free(K8sLog *log)
{
	if (log == NULL)
		return;
	closep(&log->fd);
	g_free(log->path);
	g_strfreev(log->allowlist);
	if (log->scratch)
		g_string_free(log->scratch, TRUE);
	if (log->joined)
		g_string_free(log->joined, TRUE);
	page_buf_fini(&log->batch_buf);
	g_free(log);
}

int64_t k8s_log_file_bytes(const K8sLog *log)
{
	return log->file_bytes;
}

static void k8s_flush(K8sLog *log)
{
	if (log->batch_len == 0)
		return;
	page_buf_used(&log->batch_buf, log->batch_len);
	size_t done = 0;
	int r = log->fd >= 0 ? write_all_progress(log->fd, log->batch, log->batch_len, &done) : -EBADF;
	if (done > 0)
		log->unsynced = true;
	/* A torn record would corrupt the log for every reader: take back what part of the batch got
	 * in (the file is ours alone and appended to), so the whole batch is the drop. */
	struct stat st;
	if (r < 0 && done > 0 && fstat(log->fd, &st) == 0 && st.st_size >= (off_t)done &&
	    ftruncate(log->fd, st.st_size - (off_t)done) < 0)
		diag_debug_errno(errno, "Failed to cut a partly written batch off '%s'", log->path);
	if (r < 0 && !log->write_failed) {
		diag_warn_errno(r, "Failed to write to log file '%s', dropping %zu bytes", log->path, log->batch_len);
		log->write_failed = true;
	} else if (r >= 0) {
		log->write_failed = false;
	}
	if (r < 0) /* the file did not grow */
		log->file_bytes -= MIN(log->file_bytes, (int64_t)log->batch_len);
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		if (r < 0) {
			log->stats.write_failed[i] += log->batch_content[i];
			log->file_content[i] -= MIN(log->file_content[i], log->batch_content[i]);
		}
		log->batch_content[i] = 0;
	}
	log->batch_len = 0;
}

void k8s_log_flush(K8sLog *log)
{
	k8s_flush(log);
}

bool k8s_log_pending(const K8sLog *log)
{
	return log->batch_len > 0;
}

/* A string that grew past this for one long record goes back to its start size when released. */
#define K8S_STRING_KEEP ((gsize)64 * 1024)

static void string_shrink(GString **str, gsize start)
{
	if ((*str)->allocated_len > K8S_STRING_KEEP && (*str)->len == 0) {
		g_string_free(*str, TRUE);
		*str = g_string_sized_new(start);
	}
}

size_t k8s_log_release_memory(K8sLog *log)
{
	if (log == NULL)
		return 0;
	k8s_flush(log); /* the batch's records reach the file before its pages go */
	string_shrink(&log->scratch, 1024);
	g_string_truncate(log->joined, 0);
	string_shrink(&log->joined, 0);
	return page_buf_release(&log->batch_buf);
}

static int k8s_truncate(K8sLog *log)
{
	g_autofree char *tmp = g_strconcat(log->path, ".tmp", NULL);
	cleanup_close int fd = k8s_open_fd(tmp, O_TRUNC);

	if (fd < 0)
		return fd;
	if (rename(tmp, log->path) < 0) {
		int r = -errno;
		(void)unlink(tmp);
		return r;
	}
	closep(&log->fd);
	log->fd = fd_take(&fd);
	return 0;
}

/* Returns 0 or -errno; *ret_why names a refused path check (the caller reports it). */
static int k8s_rotate(K8sLog *log, const char **ret_why)
{
	g_autofree char *fresh = g_strconcat(log->path, ".new", NULL);
	cleanup_close int fd = -1;
	struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int r = log_path_check(log->path, log->fd, log->allowlist, geteuid(), ret_why);

	if (r < 0)
		return r;
	/* Keep other well-behaved writers out while the files move. */
	if (log->fd >= 0 && fcntl(log->fd, F_SETLK, &lock) < 0)
		diag_debug_errno(errno, "Failed to lock '%s' for rotation, ignoring", log->path);
	(void)unlink(fresh); /* a leftover from a crash */
	fd = k8s_open_fd(fresh, O_EXCL);
	if (fd < 0)
		return fd;
	for (int i = log->max_files; i >= 2; i--) {
		g_autofree char *from = g_strdup_printf("%s.%d", log->path, i - 1);
		g_autofree char *to = g_strdup_printf("%s.%d", log->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			diag_warn_errno(errno, "Failed to rename '%s' to '%s', ignoring", from, to);
	}
	g_autofree char *first = g_strconcat(log->path, ".1", NULL);
	if (rename(log->path, first) < 0 && errno != ENOENT)
		goto fail;
	if (rename(fresh, log->path) < 0)
		goto fail;
	closep(&log->fd);
	log->fd = fd_take(&fd);
	return 0;
fail:
	r = -errno;
	(void)unlink(fresh);
	return r;
}

/* size_cap: --log-size-max was reached (else a reopen asked for on the ctl FIFO). */
static void k8s_reopen(K8sLog *log, bool size_cap)
{
	k8s_flush(log);
	const char *why = NULL;
	int r = log->rotate ? k8s_rotate(log, &why) : k8s_truncate(log);
	if (r < 0) {
		/* Once per failure streak: a full log would otherwise warn on every record. */
		if (!log->reopen_failed && why)
			diag_warn("Not rotating '%s': %s; writing on in the current file", log->path, why);
		else if (!log->reopen_failed)
			diag_warn_errno(r, "Failed to %s log file '%s', keeping the old one",
					log->rotate ? "rotate" : "reopen", log->path);
		log->reopen_failed = true;
		return;
	}
	log->reopen_failed = false;
	log->file_bytes = 0;
	if (size_cap)
		log->stats.rotations++;
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		/* a truncation at the cap throws the file's records away; a rotation keeps them in .1 */
		if (size_cap && !log->rotate)
			log->stats.truncated[i] += log->file_content[i];
		log->file_content[i] = 0;
	}
}

void k8s_log_reopen(K8sLog *log)
{
	log->stats.reopens++;
	k8s_reopen(log, false);
}

/*
 * One timestamp per read; the date, time and zone are recomputed only when the second changes.  Local
 * time for k8s-file, UTC for json-file; both put the nanoseconds at offsets 20..28.
 */
static void update_timestamp(K8sLog *log, const struct timespec *now)
{
	struct tm tm;

	if (now->tv_sec != log->ts_sec) {
		bool utc = log->format == LOG_FILE_FORMAT_JSON;
		if ((utc ? gmtime_r(&now->tv_sec, &tm) : localtime_r(&now->tv_sec, &tm)) == NULL) {
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = 70;
			tm.tm_mday = 1;
		}
		if (utc)
			json_log_format_timestamp(log->ts, now->tv_nsec, &tm);
		else
			k8s_log_format_timestamp(log->ts, now->tv_nsec, &tm);
		log->ts_sec = now->tv_sec;
		return;
	}
	long nsec = now->tv_nsec;
	for (int i = 28; i >= 20; i--) {
		log->ts[i] = (char)('0' + nsec % 10);
		nsec /= 10;
	}
}

/* The next record's content length and its size in the file; json-file records are built in scratch. */
static size_t next_file_record(K8sLog *log, LogStream stream, const char *data, size_t len, bool *partial,
			       int64_t *ret_size)
{
	if (log->format == LOG_FILE_FORMAT_JSON) {
		size_t n = next_record(data, len, JSON_MAX_CONTENT, partial);
		/* Never cut inside a character: its halves would each turn into U+FFFD. */
		if (*partial && n < len) {
			size_t tail = utf8_incomplete_tail(data, n);
			if (tail < n)
				n -= tail;
		}
		g_string_truncate(log->scratch, 0);
		json_log_format_record(log->scratch, log->ts, stream, data, n);
		*ret_size = (int64_t)log->scratch->len;
		return n;
	}
	size_t n = k8s_log_next_record(data, len, partial);
	*ret_size = (int64_t)(K8S_RECORD_OVERHEAD + n + (*partial ? 1 : 0));
	return n;
}

/*
 * Bytes of records that can go into the batch before a limit needs an exact look: the batch's end,
 * the file's cap (--log-size-max) and the global cap.  Every record adds the same bytes to the
 * batch, the file and the total, so one budget covers all three.
 */
static size_t k8s_fast_room(const K8sLog *log)
{
	size_t room = K8S_BATCH_SIZE - log->batch_len;

	if (log->size_max > 0)
		room = MIN(room, log->file_bytes < log->size_max ? (size_t)(log->size_max - log->file_bytes) : 0);
	if (log->global_size_max > 0)
		room = MIN(room, log->total_bytes < log->global_size_max
					 ? (size_t)(log->global_size_max - log->total_bytes)
					 : 0);
	return room;
}

/* Bring the batch, file and total counters up to date with *added bytes put in the batch. */
static inline void k8s_account(K8sLog *log, size_t *added)
{
	log->batch_len += *added;
	log->file_bytes += (int64_t)*added;
	log->total_bytes += (int64_t)*added;
	*added = 0;
}

/*
 * The k8s-file hot path: one record prefix per read ("<ts> stdout F "), then per record one memchr,
 * two copies into the batch and one comparison against the budget above.  A record that does not
 * fit the budget takes the exact checks (global cap, file cap, batch end), in the order and with
 * the accounting of the general loop in k8s_log_write_records(); the unit tests hold the two to the
 * records of k8s_log_format_record().
 */
static size_t k8s_write_fast(K8sLog *log, LogStream stream, const char *data, size_t len)
{
	char prefix[K8S_RECORD_OVERHEAD]; /* "<ts> stdout F ": 35 + 10 bytes */

	memcpy(prefix, log->ts, K8S_TS_LEN);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): a fixed-width record field */
	memcpy(prefix + K8S_TS_LEN, stream == LOG_STREAM_STDOUT ? " stdout F " : " stderr F ", 10);
	G_STATIC_ASSERT(K8S_TS_LEN + 10 == K8S_RECORD_OVERHEAD);

	char *out = log->batch + log->batch_len;
	size_t room = k8s_fast_room(log);
	size_t added = 0;	 /* bytes put in the batch since the counters were last brought up to date */
	const char *mark = data; /* content up to here is in the stats' content counters */
	uint64_t lines = 0;	 /* F records (one add per record: the metrics' line count for free) */

	while (len > 0) {
		size_t scan = len < K8S_MAX_CONTENT ? len : K8S_MAX_CONTENT;
		const char *nl = memchr(data, '\n', scan);
		size_t n = nl ? (size_t)(nl - data) + 1 : scan;
		size_t rec = sizeof(prefix) + n + (nl == NULL); /* F content ends in its newline; P adds one */
		/* +1: the store past an F record below */
		bool exact = rec + 1 > room;

		if (G_UNLIKELY(exact)) {
			k8s_account(log, &added);
			k8s_content(log, stream, (size_t)(data - mark));
			mark = data;
			if (log->global_size_max > 0 && log->total_bytes >= log->global_size_max) {
				log->global_full = true;
				log->stats.lines[stream] += lines;
				k8s_flush(log);
				return len;
			}
			if (log->size_max > 0 && log->file_bytes + (int64_t)rec > log->size_max)
				k8s_reopen(log, true);
			if (log->batch_len + rec + 1 > K8S_BATCH_SIZE)
				k8s_flush(log);
			out = log->batch + log->batch_len;
		}
		prefix[K8S_TS_LEN + 8] = nl ? 'F' : 'P';
		lines += nl != NULL;
		memcpy(out, prefix, sizeof(prefix));
		memcpy(out + sizeof(prefix), data, n);
		/* P's terminator.  For F the byte lies past the record, inside the room checked above, and
		 * is overwritten by the next record: an unconditional store is cheaper than a branch. */
		out[sizeof(prefix) + n] = '\n';
		out += rec;
		added += rec;
		if (G_UNLIKELY(exact)) {
			k8s_account(log, &added);
			room = k8s_fast_room(log);
		} else {
			room -= rec;
		}
		data += n;
		len -= n;
	}
	k8s_account(log, &added);
	k8s_content(log, stream, (size_t)(data - mark));
	log->stats.lines[stream] += lines;
	if (!log->defer_flush)
		k8s_flush(log);
	return 0;
}

static size_t k8s_log_write_records(K8sLog *log, LogStream stream, const struct timespec *now, const char *data,
				    size_t len)
{
	if (log->global_full || len == 0)
		return len;
	update_timestamp(log, now);
	if (log->format != LOG_FILE_FORMAT_JSON)
		return k8s_write_fast(log, stream, data, len);
	while (len > 0) {
		bool partial;
		int64_t rec;
		size_t n = next_file_record(log, stream, data, len, &partial, &rec);

		if (log->global_size_max > 0 && log->total_bytes >= log->global_size_max) {
			log->global_full = true;
			k8s_flush(log);
			return len;
		}
		if (log->size_max > 0 && log->file_bytes + rec > log->size_max)
			k8s_reopen(log, true);
		if (log->batch_len + (size_t)rec > K8S_BATCH_SIZE)
			k8s_flush(log);
		k8s_content(log, stream, n);
		log->stats.lines[stream] += !partial;
		if (log->format == LOG_FILE_FORMAT_JSON) {
			memcpy(log->batch + log->batch_len, log->scratch->str, log->scratch->len);
			log->batch_len += log->scratch->len;
		} else {
			log->batch_len +=
				k8s_log_format_record(log->batch + log->batch_len, log->ts, stream, partial, data, n);
		}
		log->file_bytes += rec;
		log->total_bytes += rec;
		data += n;
		len -= n;
	}
	if (!log->defer_flush)
		k8s_flush(log);
	return 0;
}

size_t k8s_log_write(K8sLog *log, LogStream stream, const struct timespec *now, const char *data, size_t len)
{
	if (log->format != LOG_FILE_FORMAT_JSON)
		return k8s_log_write_records(log, stream, now, data, len);
	/* json-file: a character split across reads is written whole, with the later read. */
	if (log->carry_len[stream] > 0) {
		g_string_truncate(log->joined, 0);
		g_string_append_len(log->joined, log->carry[stream], (gssize)log->carry_len[stream]);
		g_string_append_len(log->joined, data, (gssize)len);
		log->carry_len[stream] = 0;
		data = log->joined->str;
		len = log->joined->len;
	}
	size_t tail = utf8_incomplete_tail(data, len);
	if (tail > 0) {
		memcpy(log->carry[stream], data + len - tail, tail);
		log->carry_len[stream] = tail;
		len -= tail;
	}
	return k8s_log_write_records(log, stream, now, data, len);
}

void k8s_log_finish(K8sLog *log, bool sync)
{
	for (int i = 0; i < _LOG_STREAM_MAX; i++) {
		if (log->carry_len[i] > 0) {
			struct timespec now = {0};
			char held[4];
			size_t n = log->carry_len[i];
			(void)clock_gettime(CLOCK_REALTIME, &now);
			memcpy(held, log->carry[i], n);
			log->carry_len[i] = 0;
			(void)k8s_log_write_records(log, (LogStream)i, &now, held, n);
		}
	}
	k8s_flush(log);
	/*
	 * fdatasync: the records and the file size reach the disk; only the timestamps may wait
	 * (§8.2 asks for the data before the exit file).
	 */
	if (!sync || log->fd < 0 || !log->unsynced)
		return; /* nothing of ours to make durable: an exec probe that printed nothing syncs nothing */
	if (fdatasync(log->fd) < 0)
		diag_warn_errno(errno, "Failed to sync log file '%s'", log->path);
	else
		log->unsynced = false;
}
