/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The harnesses under the monitor's sandbox (sandbox.h).  With VIGIL_FUZZ_SANDBOX=DIR in the
 * environment, the first input confines the fuzzing thread exactly as --sandbox confines a monitor
 * (no_new_privs, capabilities, Landlock with DIR, where libFuzzer keeps its corpus and artifacts,
 * as the only writable directory, and the seccomp allowlist), so the parsers that face a container
 * are fuzzed where they run.  libFuzzer's own set-up (its timer, its RSS thread) is done by then.
 * Without the variable: nothing.  tests/fuzz/run.sh --sandbox sets it.
 */
#pragma once

void fuzz_sandbox_enter(void);
