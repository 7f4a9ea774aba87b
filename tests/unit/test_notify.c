/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for notify.c (interface.md §12): notify_filter(), the line filter of the sd_notify relay
 * (2.1.9+ rules), and notify_relay_new()'s socket (path, mode, error message).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include "notify.h"
#include "unit.h"

static void check_filter_len(const char *msg, size_t len, const char *want)
{
	g_autoptr(GString) out = notify_filter(msg, len);

	assert_non_null(out);
	if (out->len != strlen(want) || memcmp(out->str, want, out->len) != 0) {
		g_autofree char *got = g_strescape(out->str, NULL);
		g_autofree char *exp = g_strescape(want, NULL);
		fail_msg("notify_filter(\"%s\") = \"%s\", expected \"%s\"", msg, got, exp);
	}
	/* a proper C string as well */
	assert_int_equal(out->str[out->len], '\0');
}

static void check_filter(const char *msg, const char *want)
{
	check_filter_len(msg, strlen(msg), want);
}

/* The exact tokens of §12 pass, each on its own. */
static void test_exact_tokens_kept(void **state)
{
	static const char *const exact[] = {"READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1", "WATCHDOG=trigger"};

	for (size_t i = 0; i < G_N_ELEMENTS(exact); i++)
		check_filter(exact[i], exact[i]);
}

/* The exact tokens must match exactly: no suffix, no prefix, no case change, no spaces. */
static void test_exact_tokens_exact(void **state)
{
	static const char *const dropped[] = {
		"READY=10",	    "READY=0",
		"READY=",	    "READY",
		"READY=1x",	    " READY=1",
		"READY=1 ",	    "ready=1",
		"XREADY=1",	    "RELOADING=0",
		"RELOADING=11",	    "STOPPING=2",
		"WATCHDOG=1x",	    "WATCHDOG=0",
		"WATCHDOG=trig",    "WATCHDOG=triggered",
		"WATCHDOG=Trigger", "WATCHDOG_USEC=1000000",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(dropped); i++)
		check_filter(dropped[i], "");
}

/* STATUS=, ERRNO=, BUSERROR=, MONOTONIC_USEC= pass with any value (including an empty one). */
static void test_prefixes_kept(void **state)
{
	check_filter("STATUS=Serving 3 clients", "STATUS=Serving 3 clients");
	check_filter("STATUS=", "STATUS=");
	check_filter("ERRNO=2", "ERRNO=2");
	check_filter("ERRNO=", "ERRNO=");
	check_filter("BUSERROR=org.freedesktop.DBus.Error.TimedOut", "BUSERROR=org.freedesktop.DBus.Error.TimedOut");
	check_filter("MONOTONIC_USEC=123456789", "MONOTONIC_USEC=123456789");
	/* a prefix must start the line */
	check_filter("XSTATUS=a", "");
	check_filter("status=a", "");
	check_filter("STATUS", "");
	check_filter("MONOTONIC_USE=1", "");
}

/* MAINPID and FDSTORE are never forwarded (podman sends MAINPID itself); nor is anything else. */
static void test_mainpid_fdstore_dropped(void **state)
{
	check_filter("MAINPID=4242", "");
	check_filter("FDSTORE=1", "");
	check_filter("FDSTOREREMOVE=1", "");
	check_filter("FDNAME=sock", "");
	check_filter("EXTEND_TIMEOUT_USEC=5000000", "");
	check_filter("NOTIFYACCESS=all", "");
	check_filter("BARRIER=1", "");
	check_filter("MAINPID=1\nFDSTORE=1\nFDNAME=x\n", "");
}

/* Lines are split on '\n' and '\r' and the kept ones joined with '\n'. */
static void test_split_and_join(void **state)
{
	check_filter("READY=1\nSTATUS=up", "READY=1\nSTATUS=up");
	check_filter("READY=1\rSTATUS=up", "READY=1\nSTATUS=up");
	check_filter("READY=1\r\nSTATUS=up\r\n", "READY=1\nSTATUS=up");
	check_filter("MAINPID=7\nREADY=1\nFDSTORE=1\nSTATUS=ok\nREADY=10\nWATCHDOG=1x\nWATCHDOG=1\n",
		     "READY=1\nSTATUS=ok\nWATCHDOG=1");
	/* empty lines produce nothing, trailing separators add nothing */
	check_filter("\n\n\rREADY=1\n\n\r\n", "READY=1");
	check_filter("STOPPING=1\nRELOADING=1\nWATCHDOG=trigger\nERRNO=5\nBUSERROR=x\nMONOTONIC_USEC=9",
		     "STOPPING=1\nRELOADING=1\nWATCHDOG=trigger\nERRNO=5\nBUSERROR=x\nMONOTONIC_USEC=9");
	/* a STATUS value keeps its inner characters but is cut at a CR */
	check_filter("STATUS=a=b c\rREADY=1", "STATUS=a=b c\nREADY=1");
	/* the same line twice is sent twice */
	check_filter("READY=1\nREADY=1", "READY=1\nREADY=1");
}

/* Nothing kept gives an empty (not NULL) string. */
static void test_empty_results(void **state)
{
	check_filter("", "");
	check_filter_len("", 0, "");
	check_filter("\n", "");
	check_filter("\r\n\r\n", "");
	check_filter("MAINPID=1", "");
	check_filter("garbage without equals", "");
}

/* Only len bytes are read: the message is not NUL-terminated on the wire. */
static void test_length_bounded(void **state)
{
	const char buf[] = "READY=1\nSTATUS=abcdef";

	/* cut inside STATUS: the prefix is kept with what is there */
	check_filter_len(buf, strlen("READY=1\nSTATUS=abc"), "READY=1\nSTATUS=abc");
	/* cut inside READY=1: "READY=" is not READY=1 */
	check_filter_len(buf, 6, "");
	check_filter_len("READY=1X", 7, "READY=1");
	/* a datagram of the maximum size works */
	g_autofree char *big = g_malloc(NOTIFY_DATAGRAM_MAX);
	memset(big, 'a', NOTIFY_DATAGRAM_MAX);
	memcpy(big, "STATUS=", 7);
	memcpy(big + NOTIFY_DATAGRAM_MAX - 8, "\nREADY=1", 8);
	g_autoptr(GString) out = notify_filter(big, NOTIFY_DATAGRAM_MAX);
	assert_int_equal(out->len, NOTIFY_DATAGRAM_MAX);
	assert_memory_equal(out->str, big, NOTIFY_DATAGRAM_MAX);
}

/* An embedded NUL is part of a line, so "READY=1\0" is not READY=1. */
static void test_embedded_nul(void **state)
{
	const char msg[] = "READY=1\0\nSTATUS=x";

	check_filter_len(msg, sizeof(msg) - 1, "STATUS=x");
}

/* ---- notify_relay_new ------------------------------------------------------------------------ */

static int dir_setup(void **state)
{
	UnitDir *d = unit_dir_new("notify");
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	UnitDir *d = *state;
	g_autofree char *sock = g_build_filename(d->path, "notify.sock", NULL);

	(void)unlink(sock);
	(void)rmdir(d->path);
	unit_dir_free(d);
	return 0;
}

/* §12 step 1: <bundle>/notify/notify.sock, a datagram socket, mode 0777. */
static void test_relay_socket(void **state)
{
	UnitDir *d = *state;
	g_autoptr(GError) error = NULL;
	g_autofree char *sock = g_build_filename(d->path, "notify.sock", NULL);
	struct stat st;

	assert_int_equal(mkdir(d->path, 0755), 0);
	g_autoptr(NotifyRelay) relay = notify_relay_new(d->dir, "/run/vigil-unit-no-such-socket", &error);
	if (relay == NULL)
		fail_msg("notify_relay_new: %s", error->message);
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0777);
	/* it accepts datagrams (from the container) */
	int c = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	g_strlcpy(addr.sun_path, sock, sizeof(addr.sun_path));
	assert_int_equal(sendto(c, "READY=1", 7, 0, (struct sockaddr *)&addr, sizeof(addr)), 7);
	close(c);
}

/* <bundle>/notify/ must already exist; the error names the socket path. */
static void test_relay_missing_dir(void **state)
{
	UnitDir *d = *state;
	g_autoptr(GError) error = NULL;

	NotifyRelay *relay = notify_relay_new(d->dir, "/run/x.sock", &error);
	assert_null(relay);
	assert_non_null(error);
	g_autofree char *want = g_build_filename(d->dir, "notify", "notify.sock", NULL);
	if (strstr(error->message, want) == NULL)
		fail_msg("error '%s' does not name '%s'", error->message, want);
}

/* The bind goes through /proc/self/fd: a bundle path far beyond sun_path's 108 bytes works. */
static void test_relay_long_bundle(void **state)
{
	UnitDir *d = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) bundle = g_string_new(d->dir);

	while (bundle->len < 300) {
		g_string_append(bundle, "/0123456789abcdef0123456789abcdef");
		assert_int_equal(mkdir(bundle->str, 0755), 0);
	}
	g_autofree char *ndir = g_build_filename(bundle->str, "notify", NULL);
	g_autofree char *sock = g_build_filename(ndir, "notify.sock", NULL);
	assert_int_equal(mkdir(ndir, 0755), 0);
	NotifyRelay *relay = notify_relay_new(bundle->str, "/run/x.sock", &error);
	if (relay == NULL)
		fail_msg("notify_relay_new: %s", error->message);
	struct stat st;
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	notify_relay_free(relay);
	/* clean up the nested directories (the fixture removes only plain entries) */
	assert_int_equal(unlink(sock), 0);
	assert_int_equal(rmdir(ndir), 0);
	while (bundle->len > strlen(d->dir)) {
		assert_int_equal(rmdir(bundle->str), 0);
		char *slash = strrchr(bundle->str, '/');
		g_string_truncate(bundle, (gsize)(slash - bundle->str));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_tokens_kept),
		cmocka_unit_test(test_exact_tokens_exact),
		cmocka_unit_test(test_prefixes_kept),
		cmocka_unit_test(test_mainpid_fdstore_dropped),
		cmocka_unit_test(test_split_and_join),
		cmocka_unit_test(test_empty_results),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test_setup_teardown(test_relay_socket, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_relay_missing_dir, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_relay_long_bundle, dir_setup, dir_teardown),
	};

	umask(022);
	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
