/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exit_file: what happens when the container has ended (interface.md §9): the wait-status mapping,
 * the exit files, and the --exit-command.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

/* Map a waitpid() status to the exit code engines expect: the code, or 128 + signal.  Pure. */
int exit_status_from_wait(int wstatus);

/*
 * Atomically write "<dir>/<name>" containing status in decimal, no newline, mode 0644.  durable:
 * fsync it first (the persist dir, whose point is to outlive a reboot; the exit dir is on /run).
 * prepared: a prepared_file_open() fd for dir to name (allocated when the monitor started, so the
 * exit path makes no new inode), or -1; if naming it fails the file is written the usual way.
 */
gboolean exit_file_write(const char *dir, const char *name, int status, bool durable, int prepared, GError **error);

/* The opt-in exit record (--exit-json): what ended the container and what was logged. */
typedef struct ExitRecord {
	int exit_code;		   /* as in the exit file */
	int signal;		   /* the killing signal, 0 when the container exited */
	bool oom_killed;	   /* an OOM event was seen for the container's cgroup */
	uint64_t oom_kill_count;   /* OOM kills seen while monitoring */
	bool timed_out;		   /* --timeout fired */
	int64_t start_time_ns;	   /* CLOCK_REALTIME when the container's pid was known */
	int64_t exit_time_ns;	   /* CLOCK_REALTIME when its exit was seen */
	uint64_t bytes_logged[2];  /* stdout, stderr: bytes the container wrote */
	uint64_t bytes_dropped[2]; /* stdout, stderr: bytes not kept by a size cap */
} ExitRecord;

/* The record as one line of JSON (yajl).  Pure.  Caller frees; length in *ret_len. */
char *exit_record_to_json(const ExitRecord *rec, size_t *ret_len);

typedef struct ExitCommand {
	const char *path;
	char *const *args;	   /* argv[1..], may be NULL */
	int delay;		   /* seconds before exec */
	const char *oom_score_adj; /* value to restore in the child, or NULL */
} ExitCommand;

/*
 * Run the exit command without a shell and wait for it and every other child.  The child gets a clean
 * signal mask, default dispositions, and its oom_score_adj restored.  Returns the command's exit status
 * (0..255; 1 when exec failed) or -errno if it could not be started.
 */
int exit_command_run(const ExitCommand *cmd);

/*
 * The exit command of a confined monitor (--sandbox), which can no longer exec.  Before the sandbox
 * applies, exit_spawner_start() starts a small unconfined process: the helper vigil-exit-spawner
 * (exit_spawner.c) beside this binary or in libexecdir/vigil, else this binary again
 * (/proc/self/exe, in the role exit_spawner_main() plays).  Either gets argv[0]
 * EXIT_SPAWNER_ARGV0, the command in its argv, a socket to the monitor as fd 3 and no other fd
 * beyond stdio.  It waits.
 * exit_spawner_run() tells it to go: it becomes the exit command (the same reset, delay and
 * oom_score_adj as exit_command_run's child), with every capability, no seccomp filter, no
 * Landlock domain and no_new_privs clear, and the monitor waits for it as for exit_command_run.
 * If the monitor ends without that word (no exit command due, or killed), the spawner reads EOF
 * and exits 0.
 */
#define EXIT_SPAWNER_ARGV0 "vigil-exit-spawner"

typedef struct ExitSpawner {
	pid_t pid; /* 0: none */
	int fd;	   /* the monitor's end of the socket, or -1 */
} ExitSpawner;

/* 0, or -errno (and a message) if it could not be started. */
int exit_spawner_start(const ExitCommand *cmd, ExitSpawner *ret);
/* Run the command through the spawner and wait, as exit_command_run(). */
int exit_spawner_run(ExitSpawner *sp);
/* No exit command after all: the spawner exits by itself. */
void exit_spawner_cancel(ExitSpawner *sp);
/* main() of the spawner process (argv[0] == EXIT_SPAWNER_ARGV0).  Returns only on failure. */
int exit_spawner_main(int argc, char **argv);
