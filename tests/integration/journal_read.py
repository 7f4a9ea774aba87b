#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Read back the journal entries of one container (interface.md §8.3).

  journal_read.py (--dir DIR | --capture FILE) --cid CID [--show FIELDS] [--names]
                  [--stdout FILE] [--stderr FILE] [--json FILE] [--count]

--dir DIR        a journal directory written by journald-ns.sh (journald mode): read with
                 `journalctl -D DIR -o json --all` (--all: long and binary fields in full; binary
                 values come as arrays of byte values and are turned back into bytes).
--capture FILE   the capture.jsonl of journald-ns.sh (capture mode): fields in the order sent.
--cid CID        keep only entries with CONTAINER_ID_FULL=CID, in journal order.

Outputs (any combination):
--show A,B,...   one line per entry: `A=<value> B=<value> ...` for the fields the entry has, in
                 the order given; values with Python's unicode_escape of their latin-1 decoding,
                 so "\\n" is shown as the two characters backslash and n.
--names          one line per entry: the entry's field names, space-separated, in the order the
                 source gives them (meaningful for --capture only), without journald's own
                 fields (those starting with "_" or "__").
--stdout/--stderr FILE   concatenated MESSAGE bytes of the PRIORITY=6 / PRIORITY=3 entries.
--json FILE      a JSON list of entries: {NAME: latin-1 string} (for assertions in Python).
--count          print the number of entries.
"""
import argparse
import json
import subprocess
import sys


def value_bytes(v):
    if v is None:
        return None
    if isinstance(v, list):
        # journalctl -o json: a binary or non-printable value as an array of byte values; a field
        # that occurs several times in one entry as an array of values (not expected here)
        if all(isinstance(x, int) for x in v):
            return bytes(v)
        raise ValueError("field with several values: %r" % (v,))
    return v.encode("utf-8")


def from_journal(directory):
    out = subprocess.run(["journalctl", "-D", directory, "-o", "json", "--all", "--no-pager"],
                         check=True, stdout=subprocess.PIPE, timeout=60).stdout
    entries = []
    for line in out.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        entries.append([(k, value_bytes(v)) for k, v in obj.items()])
    return entries


def from_capture(path):
    entries = []
    with open(path) as f:
        for line in f:
            obj = json.loads(line)
            if "error" in obj:
                raise ValueError("capture: " + obj["error"])
            entries.append([(k, v.encode("latin-1")) for k, v in obj["fields"]] + [("_PID", str(obj["pid"]).encode())])
    return entries


def main():
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--dir")
    src.add_argument("--capture")
    ap.add_argument("--cid", required=True)
    ap.add_argument("--show")
    ap.add_argument("--names", action="store_true")
    ap.add_argument("--stdout")
    ap.add_argument("--stderr")
    ap.add_argument("--json")
    ap.add_argument("--count", action="store_true")
    args = ap.parse_args()

    raw = from_journal(args.dir) if args.dir else from_capture(args.capture)
    cid = args.cid.encode()
    entries = [e for e in raw if dict(e).get("CONTAINER_ID_FULL") == cid]

    if args.count:
        print(len(entries))
    if args.show:
        names = args.show.split(",")
        for e in entries:
            d = dict(e)
            parts = ["%s=%s" % (n, d[n].decode("latin-1").encode("unicode_escape").decode("ascii"))
                     for n in names if n in d]
            print(" ".join(parts))
    if args.names:
        for e in entries:
            print(" ".join(k for k, _ in e if not k.startswith("_")))
    for prio, path in ((b"6", args.stdout), (b"3", args.stderr)):
        if path:
            with open(path, "wb") as f:
                for e in entries:
                    d = dict(e)
                    if d.get("PRIORITY") == prio:
                        f.write(d["MESSAGE"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{k: v.decode("latin-1") for k, v in e} for e in entries], f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
