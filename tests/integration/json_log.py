#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check a json-file log (vigil extension, man/vigil.8.scd "JSON-FILE FORMAT") and rebuild the streams.

  json_log.py LOG [--stdout FILE] [--stderr FILE] [--records FILE] [--max-piece N]

Every line must be one JSON object (strict: no raw control characters in strings) with exactly
the keys "log", "stream", "time", in that order; "stream" is stdout or stderr; "time" is
YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ, UTC, within 120 s of now. "log" is a line with its newline or a
piece without one, at most --max-piece bytes (UTF-8; default 16384).
--stdout/--stderr FILE: the stream rebuilt from the "log" values (UTF-8 encoded).
--records FILE: one line per record: `<stream> <len> <python repr of log>`.
Exit status 0 if well formed, 1 with a message otherwise.
"""
import argparse
import calendar
import json
import re
import sys
import time

TIME = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{9})Z$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--stdout")
    ap.add_argument("--stderr")
    ap.add_argument("--records")
    ap.add_argument("--max-piece", type=int, default=16384)
    args = ap.parse_args()

    data = open(args.log, "rb").read()
    if data and not data.endswith(b"\n"):
        print("log does not end with a newline", file=sys.stderr)
        return 1
    streams = {"stdout": bytearray(), "stderr": bytearray()}
    recs = []
    now = time.time()
    for n, line in enumerate(data.split(b"\n")[:-1] if data else [], 1):
        try:
            pairs = json.loads(line.decode("utf-8"), object_pairs_hook=lambda p: p)
        except ValueError as e:
            print("record %d is not strict JSON (%s): %r" % (n, e, line[:120]), file=sys.stderr)
            return 1
        keys = [k for k, _ in pairs] if isinstance(pairs, list) else None
        if keys != ["log", "stream", "time"]:
            print("record %d has keys %r, not log, stream, time" % (n, keys), file=sys.stderr)
            return 1
        obj = dict(pairs)
        if obj["stream"] not in streams or not isinstance(obj["log"], str):
            print("record %d: bad stream or log: %r" % (n, line[:120]), file=sys.stderr)
            return 1
        m = TIME.match(obj["time"])
        if not m:
            print("record %d: time %r is not UTC RFC 3339 with 9 digits and Z" % (n, obj["time"]), file=sys.stderr)
            return 1
        t = calendar.timegm(tuple(int(x) for x in m.groups()[:6]) + (0, 0, 0))
        if abs(t - now) > 120:
            print("record %d: time %s is %d s away from now (UTC)" % (n, obj["time"], t - now), file=sys.stderr)
            return 1
        piece = obj["log"].encode("utf-8")
        if len(piece) > args.max_piece:
            print("record %d: log of %d bytes (max %d)" % (n, len(piece), args.max_piece), file=sys.stderr)
            return 1
        if b"\n" in piece[:-1]:
            print("record %d: a newline inside the log value" % n, file=sys.stderr)
            return 1
        streams[obj["stream"]] += piece
        recs.append("%s %d %r" % (obj["stream"], len(piece), obj["log"]))
    for name, path in (("stdout", args.stdout), ("stderr", args.stderr)):
        if path:
            with open(path, "wb") as f:
                f.write(streams[name])
    if args.records:
        with open(args.records, "w") as f:
            f.write("".join(r + "\n" for r in recs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
