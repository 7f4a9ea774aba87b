/* SPDX-License-Identifier: Apache-2.0 */
#include "detach.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd_util.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define DETACH_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DETACH_SANITIZED 1
#endif

#if defined(__x86_64__) && !defined(DETACH_SANITIZED)
#define DETACH_SHARED_VM 1
/*
 * int detach_clone(int report_r, int report_w)
 *
 * clone(CLONE_VM | SIGCHLD) on the caller's own stack.  The new process returns 0 (or the caller
 * gets -errno) like a function; the old one never returns.  Between the syscall and its exit the
 * old process uses registers only (the syscall instruction keeps every register but rax, rcx and
 * r11) and one byte of .bss, never the stack that the new process is using:
 *   set_tid_address(NULL)   so that its exit does not clear the thread id word of the TLS the new
 *                           process goes on using
 *   close(report_w)         its copy of the write end: EOF once the monitor's copy is gone
 *   read(report_r, &byte, 1), again on EINTR
 *   exit_group(byte - '0') after a report, 1 after EOF (the monitor died before reporting)
 */
__asm__(".text\n"
	".p2align 4\n"
	".type detach_clone, @function\n"
	"detach_clone:\n"
	"	mov %edi, %r9d\n"
	"	mov %esi, %r8d\n"
	"	mov $0x111, %edi\n" /* CLONE_VM | SIGCHLD */
	"	xor %esi, %esi\n"   /* no new stack */
	"	xor %edx, %edx\n"
	"	xor %r10d, %r10d\n"
	"	mov $56, %eax\n" /* SYS_clone */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jle 3f\n"
	"	mov $218, %eax\n" /* SYS_set_tid_address */
	"	xor %edi, %edi\n"
	"	syscall\n"
	"	mov $3, %eax\n" /* SYS_close */
	"	mov %r8d, %edi\n"
	"	syscall\n"
	"1:	xor %eax, %eax\n" /* SYS_read */
	"	mov %r9d, %edi\n"
	"	lea detach_byte(%rip), %rsi\n"
	"	mov $1, %edx\n"
	"	syscall\n"
	"	cmp $-4, %rax\n" /* -EINTR */
	"	je 1b\n"
	"	mov $1, %edi\n"
	"	cmp $1, %rax\n"
	"	jne 2f\n"
	"	movzbl detach_byte(%rip), %edi\n"
	"	sub $48, %edi\n"
	"2:	mov $231, %eax\n" /* SYS_exit_group */
	"	syscall\n"
	"	hlt\n"
	"3:	ret\n"
	".size detach_clone, .-detach_clone\n"
	".local detach_byte\n"
	".comm detach_byte, 1, 1\n");
int detach_clone(int report_r, int report_w);
#endif

/* The engine's process after a fork(): the same wait as detach_clone's, in C. */
static void wait_report(int report_r, int report_w)
{
	char b = 0;

	(void)close(report_w);
	_exit(read_full(report_r, &b, 1) == 1 ? b - '0' : 1);
}

#ifdef DETACH_SHARED_VM
/* valgrind implements clone() only as fork, vfork or a thread, and aborts on anything else; it
 * always preloads its vgpreload_*.so into the program it runs. */
static int under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

/* A user shadow stack (x86 CET) would be a new, empty one in the new process, whose first return
 * into the frames made before the split would then fault. */
static int shadow_stack_on(void)
{
	unsigned long features = 0;

	if (syscall(SYS_arch_prctl, 0x5005 /* ARCH_SHSTK_STATUS */, &features) < 0)
		return 0;
	return (features & 1UL /* ARCH_SHSTK_SHSTK */) != 0;
}
#endif

bool detach_shares_vm(void)
{
#ifdef DETACH_SHARED_VM
	return !under_valgrind() && !shadow_stack_on();
#else
	return false;
#endif
}

int detach_begin(Detach *d)
{
	int p[2];
	sigset_t all, old;
	int r;

	d->report_fd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	r = -ENOSYS;
#ifdef DETACH_SHARED_VM
	if (detach_shares_vm())
		r = detach_clone(p[0], p[1]);
#endif
	if (r < 0) {
		pid_t pid = fork();
		if (pid > 0)
			wait_report(p[0], p[1]);
		r = pid < 0 ? -errno : 0;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	(void)close(p[0]);
	if (r < 0) {
		(void)close(p[1]);
		return r;
	}
	d->report_fd = p[1];
	return 0;
}

void detach_end(Detach *d, int status)
{
	char b = status == 0 ? '0' : '1';

	if (d->report_fd < 0)
		return;
	(void)write_all(d->report_fd, &b, 1);
	closep(&d->report_fd);
}
