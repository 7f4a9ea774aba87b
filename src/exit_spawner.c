/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vigil-exit-spawner: the exit command's starter for a confined monitor (--sandbox, exit_file.h).
 *
 *   vigil-exit-spawner DELAY OOM_SCORE_ADJ|- PATH [ARG...]      (fd 3: a socket to the monitor)
 *
 * Started by the monitor before it confines itself, it waits on fd 3.  One byte 'x' means "the
 * container has ended, run the exit command": reset the signal mask and dispositions, sleep DELAY
 * seconds, restore OOM_SCORE_ADJ, and exec PATH with ARGs and the monitor's environment.  EOF (the
 * monitor ended without one, or was killed) means exit 0.
 *
 * It idles beside every sandboxed container, so it is as small as a process can be: on x86_64 and
 * aarch64 a static executable with no C library (its system calls below), which owns nothing but
 * its stack (measured: 8 KiB private, 12 KiB PSS; a second vigil image would cost 84 KiB private).
 * Elsewhere, and in sanitizer builds, the same code is built against libc.
 */
#include <stddef.h>
#include <sys/syscall.h>

#define SPAWNER_FD 3

/* meson asks for VIGIL_NOLIBC only where the system calls below are written */
#if defined(VIGIL_NOLIBC) && !defined(__x86_64__) && !defined(__aarch64__)
#undef VIGIL_NOLIBC
#endif

#ifdef VIGIL_NOLIBC
/* Without libc: no TLS, so no stack protector canary either (the build also says so). */
#define NO_SSP __attribute__((no_stack_protector))

#if defined(__x86_64__)
static long sys3(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static long sys4(long nr, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return r;
}

/* The kernel enters with argc at the stack pointer; the C code gets it as its first argument. */
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call spawner_start\n"
	"	hlt\n");
#else /* aarch64 */
static long sys4(long nr, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

static long sys3(long nr, long a, long b, long c)
{
	return sys4(nr, a, b, c, 0);
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	mov x0, sp\n"
	"	bl spawner_start\n"
	"	brk #0\n");
#endif

/* -errno on failure, as the kernel returns it */
#define sys_read(fd, buf, n)	 sys3(SYS_read, (fd), (long)(buf), (n))
#define sys_write(fd, buf, n)	 sys3(SYS_write, (fd), (long)(buf), (n))
#define sys_close(fd)		 sys3(SYS_close, (fd), 0, 0)
#define sys_openat(dir, path, f) sys4(SYS_openat, (dir), (long)(path), (f), 0)
#define sys_exit(code)		 sys3(SYS_exit_group, (code), 0, 0)
#define EINTR_NEG		 (-4)
#define AT_FDCWD_		 (-100)
#define OPEN_WRITE		 (01 | 02000000) /* O_WRONLY | O_CLOEXEC */

/* Kernel ABI values of x86_64 and aarch64. */
#define K_SIG_DFL     0
#define K_SIG_SETMASK 2
#define K_NSIG	      64
#define K_SIGKILL     9
#define K_SIGSTOP     19

#else /* with libc */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#define NO_SSP
static long neg_errno(long r)
{
	return r < 0 ? -errno : r;
}
#define sys3(nr, a, b, c)	 neg_errno(syscall((nr), (a), (b), (c)))
#define sys4(nr, a, b, c, d)	 neg_errno(syscall((nr), (a), (b), (c), (d)))
#define sys_read(fd, buf, n)	 neg_errno(read((fd), (buf), (n)))
#define sys_write(fd, buf, n)	 neg_errno(write((fd), (buf), (n)))
#define sys_close(fd)		 close(fd)
#define sys_openat(dir, path, f) neg_errno(openat((dir), (path), (f)))
#define sys_exit(code)		 _exit(code)
#define EINTR_NEG		 (-EINTR)
#define AT_FDCWD_		 AT_FDCWD
#define OPEN_WRITE		 (O_WRONLY | O_CLOEXEC)
#endif

static size_t str_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static void say(const char *msg)
{
	(void)sys_write(2, msg, (long)str_len(msg));
}

/* What exit_command_run's child does before exec (exit_file.c): clean signal state. */
#ifdef VIGIL_NOLIBC
/* The kernel's struct sigaction of x86_64 and aarch64 (SIG_DFL needs no restorer). */
struct k_sigaction {
	unsigned long handler;
	unsigned long flags;
	unsigned long restorer;
	unsigned long mask;
};

NO_SSP static void reset_signals(void)
{
	struct k_sigaction dfl = {K_SIG_DFL, 0, 0, 0};
	unsigned long none = 0;

	for (int sig = 1; sig <= K_NSIG; sig++)
		if (sig != K_SIGKILL && sig != K_SIGSTOP)
			(void)sys4(SYS_rt_sigaction, sig, (long)&dfl, 0, sizeof(dfl.mask));
	(void)sys4(SYS_rt_sigprocmask, K_SIG_SETMASK, (long)&none, 0, sizeof(none));
}
#else
static void reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}
#endif

NO_SSP static void sleep_seconds(const char *digits)
{
	long secs = 0;
	for (const char *p = digits; *p >= '0' && *p <= '9' && secs < 100000000L; p++)
		secs = secs * 10 + (*p - '0');
	struct {
		long tv_sec, tv_nsec;
	} ts = {secs, 0};
	while (secs > 0 && sys3(SYS_nanosleep, (long)&ts, (long)&ts, 0) == EINTR_NEG)
		;
}

static void write_oom_score_adj(const char *value)
{
	long fd = sys_openat(AT_FDCWD_, "/proc/self/oom_score_adj", OPEN_WRITE);
	if (fd >= 0) {
		(void)sys_write((int)fd, value, (long)str_len(value));
		(void)sys_close((int)fd);
	}
}

NO_SSP static int spawner_main(int argc, char **argv, char **envp)
{
	char go = 0;
	long n;

	if (argc < 4) {
		say("vigil-exit-spawner: usage: vigil-exit-spawner DELAY OOM_SCORE_ADJ|- PATH [ARG...]"
		    " (started by vigil --sandbox)\n");
		return 127;
	}
	do
		n = sys_read(SPAWNER_FD, &go, 1);
	while (n == EINTR_NEG);
	if (n != 1 || go != 'x')
		return 0; /* the monitor ended without an exit command */
	(void)sys_close(SPAWNER_FD);
	reset_signals();
	sleep_seconds(argv[1]);
	if (!(argv[2][0] == '-' && argv[2][1] == '\0'))
		write_oom_score_adj(argv[2]);
	(void)sys3(SYS_execve, (long)argv[3], (long)(argv + 3), (long)envp);
	say("[conmon:e]: Failed to exec the exit command\n");
	return 1;
}

#ifdef VIGIL_NOLIBC
/* Called from _start with the initial stack: argc, argv[argc + 1], envp. */
NO_SSP __attribute__((used, noreturn)) void spawner_start(long *sp);
NO_SSP __attribute__((used, noreturn)) void spawner_start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	sys_exit(spawner_main(argc, argv, argv + argc + 1));
	__builtin_unreachable();
}
#else
extern char **environ;
int main(int argc, char **argv)
{
	return spawner_main(argc, argv, environ);
}
#endif
