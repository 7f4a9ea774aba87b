# SPDX-License-Identifier: Apache-2.0
"""Process helpers shared by the test engine (engine.py) and the subreaper wrapper (subreaper.py)."""
import ctypes
import os

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Make this process the reaper of its orphaned descendants; False if the kernel refused."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def status_code(status):
    """A wait status as a shell would report it: the exit code, or 128 + the signal."""
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 255


def parents():
    """{pid: parent pid} for every process, from /proc/*/stat."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        # the comm field may contain spaces and parentheses: split after the last ')'
        out[int(name)] = int(stat[stat.rfind(")") + 2:].split()[1])
    return out


def children_of(pid):
    """Pids whose parent is pid."""
    return [c for c, p in parents().items() if p == pid]


def descendants(root):
    """Pids below root, at any depth."""
    parent = parents()
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c, pp in parent.items():
            if pp == p:
                out.append(c)
                todo.append(c)
    return out
