/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox: the monitor's self-confinement (sandbox.h).
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "diag.h"
#include "fd_util.h"

/* ---- capabilities ------------------------------------------------------------------------------ */

/* The capabilities a confined monitor keeps (sandbox.h says why). */
static const int kept_caps[] = {CAP_KILL, CAP_DAC_OVERRIDE};

static bool cap_kept(int cap)
{
	for (size_t i = 0; i < G_N_ELEMENTS(kept_caps); i++)
		if (kept_caps[i] == cap)
			return true;
	return false;
}

static gboolean drop_capabilities(GError **error)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "sandbox: capget failed: %s", g_strerror(errno));
		return FALSE;
	}
	/* The bounding set needs CAP_SETPCAP, so it goes first; without it (an unprivileged monitor)
	 * there is nothing in it worth the error. */
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!cap_kept(cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EPERM) {
			g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
				    "sandbox: cannot drop capability %d from the bounding set: %s", cap,
				    g_strerror(errno));
			return FALSE;
		}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	uint32_t keep[_LINUX_CAPABILITY_U32S_3] = {0};
	for (size_t i = 0; i < G_N_ELEMENTS(kept_caps); i++)
		keep[kept_caps[i] / 32] |= 1u << (kept_caps[i] % 32);
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		data[i].permitted &= keep[i];
		data[i].effective &= keep[i];
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "sandbox: capset failed: %s", g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* ---- Landlock ---------------------------------------------------------------------------------- */

/* Rights and fields newer than the kernel headers of the build machine (the values are ABI). */
#define LL_FS_TRUNCATE	       (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV	       (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP	       (1ULL << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP     (1ULL << 1)  /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)  /* ABI 6 */

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;	     /* ABI 6 */
};

#define LL_FS_ABI1                                                                                      \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |    \
	 LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |     \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |  \
	 LANDLOCK_ACCESS_FS_MAKE_SYM)

/* What the monitor's own directories allow: its files, read, written, made, renamed, removed. */
#define LL_RIGHTS_WRITE                                                                               \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | LL_FS_TRUNCATE)
#define LL_RIGHTS_READ	 (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_RIGHTS_REMOVE (LANDLOCK_ACCESS_FS_REMOVE_FILE)

int sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

static uint64_t ll_fs_rights(int abi)
{
	uint64_t r = LL_FS_ABI1;
	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

/* One rule per existing directory; a directory that does not exist (yet) gets none. */
static gboolean ll_add_dirs(int ruleset, const char *const *dirs, uint64_t rights, uint64_t handled, GError **error)
{
	for (const char *const *d = dirs; d && *d; d++) {
		cleanup_close int fd = open(*d, O_PATH | O_CLOEXEC);
		if (fd < 0) {
			diag_debug_errno(errno, "sandbox: no Landlock rule for '%s'", *d);
			continue;
		}
		struct landlock_path_beneath_attr pb = {.allowed_access = rights & handled, .parent_fd = fd};
		if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "sandbox: Landlock rule for '%s': %s", *d,
				    g_strerror(errno));
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean apply_landlock(const SandboxSpec *spec, GError **error)
{
	int abi = sandbox_landlock_abi();
	if (abi < 1) {
		diag_debug("sandbox: the kernel offers no Landlock, confining without it");
		return TRUE;
	}
	struct ll_ruleset_attr attr = {.handled_access_fs = ll_fs_rights(abi)};
	size_t size = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = spec->scope_abstract_unix ? LL_SCOPE_ABSTRACT_UNIX : 0;
		size = sizeof(attr);
	}
	cleanup_close int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "sandbox: cannot create a Landlock ruleset: %s",
			    g_strerror(errno));
		return FALSE;
	}
	uint64_t h = attr.handled_access_fs;
	if (!ll_add_dirs(ruleset, spec->write_dirs, LL_RIGHTS_WRITE, h, error) ||
	    !ll_add_dirs(ruleset, spec->remove_dirs, LL_RIGHTS_REMOVE, h, error) ||
	    !ll_add_dirs(ruleset, spec->read_dirs, LL_RIGHTS_READ, h, error))
		return FALSE;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "sandbox: cannot enforce the Landlock ruleset: %s",
			    g_strerror(errno));
		return FALSE;
	}
	diag_debug("sandbox: Landlock ABI %d enforced", abi);
	return TRUE;
}

/* ---- seccomp ----------------------------------------------------------------------------------- */

/*
 * The system calls of the steady state: the main loop and its event fds, reading the container's
 * output and writing logs, exit files and metrics, serving attach clients, the FIFOs, OOM files,
 * the notify relay, journald, memory management and the end of the process.  socket() is
 * allowed for AF_UNIX datagram sockets only, kill() for the spec's pids only, tgkill() and
 * tkill() (raise, abort) for this process only (below); socketpair() not at all.  Everything
 * else fails with EPERM: exec, fork and clone, ptrace, mount, modules, bpf, namespaces, keyrings,
 * io_uring, uid changes.
 */
static const char *const allowed_syscalls[] = {
	/* files and fds */
	"read",
	"write",
	"readv",
	"writev",
	"pread64",
	"pwrite64",
	"preadv",
	"pwritev",
	"lseek",
	"close",
	"close_range",
	"dup",
	"dup2",
	"dup3",
	"fcntl",
	"ioctl",
	"open",
	"openat",
	"openat2",
	"creat",
	"fstat",
	"stat",
	"lstat",
	"newfstatat",
	"statx",
	"fstatfs",
	"statfs",
	"access",
	"faccessat",
	"faccessat2",
	"readlink",
	"readlinkat",
	"getdents64",
	"fsync",
	"fdatasync",
	"ftruncate",
	"rename",
	"renameat",
	"renameat2",
	"unlink",
	"unlinkat",
	"link",
	"linkat",
	"fchmod",
	"umask",
	"memfd_create",
	"pipe",
	"pipe2",
	"splice",
	"getcwd",
	/* events */
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_wait",
	"epoll_pwait",
	"epoll_pwait2",
	"poll",
	"ppoll",
	"select",
	"pselect6",
	"signalfd",
	"signalfd4",
	"timerfd_create",
	"timerfd_settime",
	"timerfd_gettime",
	"eventfd",
	"eventfd2",
	"inotify_init1",
	"inotify_add_watch",
	"inotify_rm_watch",
	/* unix sockets (socket below) */
	"connect",
	"accept",
	"accept4",
	"sendto",
	"sendmsg",
	"sendmmsg",
	"recvfrom",
	"recvmsg",
	"shutdown",
	"getsockopt",
	"setsockopt",
	"getsockname",
	"getpeername",
	/* memory */
	"brk",
	"mmap",
	"munmap",
	"mremap",
	"madvise",
	"mprotect",
	/* the process and its children (the container stays ours to signal and reap) */
	"getpid",
	"gettid",
	"getppid",
	"getuid",
	"geteuid",
	"getgid",
	"getegid",
	"getresuid",
	"getresgid",
	"getpgid",
	"getpgrp",
	"getsid",
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"rt_sigtimedwait",
	"sigaltstack",
	"wait4",
	"waitid",
	"exit",
	"exit_group",
	"prctl",
	"getrusage",
	"times",
	"sysinfo",
	"uname",
	"getrandom",
	"futex",
	"set_robust_list",
	"rseq",
	"set_tid_address",
	"sched_yield",
	"sched_getaffinity",
	"capget",
	/* time */
	"clock_gettime",
	"clock_getres",
	"gettimeofday",
	"time",
	"nanosleep",
	"clock_nanosleep",
	"restart_syscall",
};

/* First argument == value, as the kernel sees a 32-bit int (the register's upper half is not part
 * of it): the pid of kill(), tgkill() and tkill(). */
static int allow_if_arg0_int(scmp_filter_ctx ctx, int nr, int value)
{
	const struct scmp_arg_cmp eq = {
		.arg = 0, .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xffffffffULL, .datum_b = (uint32_t)value};
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &eq);
}

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* r < 0 from libseccomp while doing what: FALSE with the error */
static gboolean seccomp_failed(int r, const char *what, GError **error)
{
	g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "sandbox: seccomp (%s): %s", what, g_strerror(-r));
	return FALSE;
}

static gboolean apply_seccomp(const SandboxSpec *spec, GError **error)
{
	/* socket(AF_UNIX, SOCK_DGRAM | flags, ...): journald's socket, made anew when journald
	 * restarts.  Every stream and seqpacket socket the monitor uses exists before the sandbox (the
	 * attach and console listeners; accept4 makes the rest), so a taken-over monitor cannot
	 * connect to an engine's API socket (podman.sock, crio.sock), which Landlock would not stop. */
	const struct scmp_arg_cmp unix_dgram[] = {
		{.arg = 0, .op = SCMP_CMP_EQ, .datum_a = AF_UNIX, .datum_b = 0},
		{.arg = 1,
		 .op = SCMP_CMP_MASKED_EQ,
		 .datum_a = 0xf /* the type, without flags */,
		 .datum_b = SOCK_DGRAM},
	};
	__attribute__((cleanup(seccomp_releasep))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int r;

	if (ctx == NULL) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "sandbox: seccomp_init failed");
		return FALSE;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(allowed_syscalls); i++) {
		int nr = seccomp_syscall_resolve_name(allowed_syscalls[i]);
		if (nr == __NR_SCMP_ERROR) /* not a call of this architecture */
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			return seccomp_failed(r, allowed_syscalls[i], error);
	}
	if ((r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), G_N_ELEMENTS(unix_dgram), unix_dgram)) <
	    0)
		return seccomp_failed(r, "socket", error);
	for (size_t i = 0; i < spec->n_kill_targets; i++)
		if ((r = allow_if_arg0_int(ctx, SCMP_SYS(kill), spec->kill_targets[i])) < 0)
			return seccomp_failed(r, "kill", error);
	if ((r = allow_if_arg0_int(ctx, SCMP_SYS(tgkill), getpid())) < 0)
		return seccomp_failed(r, "tgkill", error);
	if ((r = allow_if_arg0_int(ctx, SCMP_SYS(tkill), (int)syscall(SYS_gettid))) < 0)
		return seccomp_failed(r, "tkill", error);
	if ((r = seccomp_load(ctx)) < 0)
		return seccomp_failed(r, "loading the filter", error);
	return TRUE;
}

/* ---- all together ------------------------------------------------------------------------------ */

gboolean sandbox_apply(const SandboxSpec *spec, GError **error)
{
	/* What glibc would otherwise load lazily, from files outside the sandbox: the time zone of the
	 * log timestamps. */
	tzset();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		g_set_error(error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "sandbox: cannot set no_new_privs: %s",
			    g_strerror(errno));
		return FALSE;
	}
	if (!drop_capabilities(error) || !apply_landlock(spec, error) || !apply_seccomp(spec, error))
		return FALSE;
	diag_debug("sandbox: confined");
	return TRUE;
}

#ifdef VIGIL_TEST_HOOKS
#include <sys/mount.h>
#include <sys/ptrace.h>

static void probe_result(GString *out, const char *name, long r)
{
	if (r >= 0)
		g_string_append_printf(out, "%s=ok\n", name);
	else
		g_string_append_printf(out, "%s=%s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
}

/* The outcome of a call that returns an fd, which is closed again if it opened. */
static void probe_fd(GString *out, const char *name, int fd)
{
	probe_result(out, name, fd);
	if (fd >= 0)
		close(fd);
}

char *sandbox_probe(pid_t ptrace_target, bool try_exec)
{
	GString *out = g_string_new(NULL);
	long r;

	probe_fd(out, "open_outside", open("/etc/hostname", O_RDONLY | O_CLOEXEC));
	g_autofree char *path = g_strdup_printf("/var/tmp/vigil-probe.%d", getpid());
	r = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	probe_result(out, "create_outside", r);
	if (r >= 0) {
		close((int)r);
		unlink(path);
	}
	/* exec of a program that exists: only a confined monitor survives this */
	if (try_exec) {
		char *const argv[] = {"true", NULL};
		r = execve("/bin/true", argv, (char *const[]){NULL});
		probe_result(out, "exec", r);
	}
	probe_fd(out, "socket_inet", socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	probe_fd(out, "socket_inet6", socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	probe_fd(out, "socket_unix", socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	probe_fd(out, "socket_unix_stream", socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	/* PTRACE_SEIZE does not stop the tracee; the tracing ends with the monitor */
	if (ptrace_target > 0) {
		r = ptrace(PTRACE_SEIZE, ptrace_target, NULL, NULL);
		probe_result(out, "ptrace", r);
	}
	/* a bind mount of /var/tmp onto itself: harmless where it is allowed, and undone */
	r = mount("/var/tmp", "/var/tmp", NULL, MS_BIND, NULL);
	probe_result(out, "mount", r);
	if (r >= 0)
		(void)umount2("/var/tmp", MNT_DETACH);
	/* an empty module image: EPERM when confined, a parse error (ENOEXEC and the like) otherwise */
	r = syscall(SYS_init_module, "", (unsigned long)0, "");
	probe_result(out, "init_module", r);
	r = syscall(SYS_finit_module, -1, "", 0);
	probe_result(out, "finit_module", r);
	r = fork();
	if (r == 0)
		_exit(0);
	probe_result(out, "fork", r);
	/* signal 0 to init: a permission check only, whatever the outcome */
	r = kill(1, 0);
	probe_result(out, "kill_init", r);
	return g_string_free(out, FALSE);
}
#endif
