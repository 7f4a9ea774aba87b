#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Numbered-line accounting over k8s-file logs (interface.md §8.2), for the fault tests and the
load script: containers print lines "<word> <n>" with n counting up, and this finds which
numbers reached the log.

  seq_check.py LOG... [--stream stdout|stderr]

Reads the logs in order. Every line of a log that is a well-formed full record
(`<timestamp> <stream> F <word> <n>`) of the stream counts; any other line (a P record, another
stream, a record cut by a failed write and glued to the next one) is "other". Prints one JSON
object:
  {"segments": [[first, last], ...],   runs of consecutive numbers, in log order
   "words": {"tick": [first, last], ...},   per word, the lowest and highest number seen
   "records": R, "other": O, "other_lines": [first three, as text]}
Exit status 0 (the caller judges).
"""
import argparse
import json
import re
import sys

RECORD = re.compile(
    rb"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2} "
    rb"(stdout|stderr) F ([A-Za-z_-]+) ([0-9]+)$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--stream", default="stdout")
    args = ap.parse_args()
    stream = args.stream.encode()
    segments = []
    words = {}
    records = other = 0
    other_lines = []
    for path in args.logs:
        with open(path, "rb") as f:
            data = f.read()
        for line in data.split(b"\n"):
            if not line:
                continue
            m = RECORD.match(line)
            if not m or m.group(1) != stream:
                other += 1
                if len(other_lines) < 3:
                    other_lines.append(line[:160].decode("latin-1"))
                continue
            records += 1
            word, n = m.group(2).decode(), int(m.group(3))
            lo, hi = words.get(word, (n, n))
            words[word] = [min(lo, n), max(hi, n)]
            if segments and segments[-1][1] + 1 == n:
                segments[-1][1] = n
            else:
                segments.append([n, n])
    print(json.dumps({"segments": segments, "words": words, "records": records, "other": other,
                      "other_lines": other_lines}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
