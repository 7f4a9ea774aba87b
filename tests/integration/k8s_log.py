#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check a k8s-file log (interface.md §8.2) and rebuild the streams from it.

  k8s_log.py LOG [--stdout FILE] [--stderr FILE] [--normalized FILE] [--max-content N]

Every record must be `<timestamp> <stream> <tag> <content>\\n` with the timestamp
`YYYY-MM-DDTHH:MM:SS.nnnnnnnnn±HH:MM`, stream `stdout`/`stderr`, tag `P` or `F`.
An `F` record's content is a line including its `\\n`; a `P` record's content has no newline
and the record's `\\n` is added. Content (with the `\\n` for F) is at most --max-content bytes.

--stdout/--stderr FILE: write the rebuilt stream (P content without the added newline, F content
with its newline). --normalized FILE: the log with every timestamp replaced by `TS`.
Exit status 0 if the file is well formed, 1 (with a message on stderr) if not.
"""
import argparse
import re
import sys

RECORD = re.compile(
    rb"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2}) (stdout|stderr) (P|F) ",
)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--stdout")
    ap.add_argument("--stderr")
    ap.add_argument("--normalized")
    ap.add_argument("--max-content", type=int, default=8192)
    args = ap.parse_args()

    with open(args.log, "rb") as f:
        data = f.read()
    streams = {b"stdout": bytearray(), b"stderr": bytearray()}
    norm = bytearray()
    if data and not data.endswith(b"\n"):
        print("log does not end with a newline (a cut record at the end)", file=sys.stderr)
        return 1
    lines = data.split(b"\n")[:-1] if data else []
    for n, line in enumerate(lines, 1):
        m = RECORD.match(line)
        if not m:
            print("record %d is malformed: %r" % (n, line[:120]), file=sys.stderr)
            return 1
        content = line[m.end():]
        if m.group(3) == b"F":
            content += b"\n"
        if len(content) > args.max_content:
            print("record %d carries %d content bytes (max %d)" % (n, len(content), args.max_content), file=sys.stderr)
            return 1
        streams[m.group(2)] += content
        norm += b"TS " + line[len(m.group(1)) + 1:] + b"\n"
    for name, path in ((b"stdout", args.stdout), (b"stderr", args.stderr)):
        if path:
            with open(path, "wb") as f:
                f.write(streams[name])
    if args.normalized:
        with open(args.normalized, "wb") as f:
            f.write(norm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
