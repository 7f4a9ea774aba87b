#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check a size-capped (and maybe rotated) log against the stream the container wrote.

  rotation_check.py LOG --cap BYTES --kept N --stream FILE [--format k8s|json] [--name stdout]

LOG.N ... LOG.1 and LOG must exist (N = --kept, 0 for truncation mode) and LOG.(N+1) must not.
Taken oldest first (LOG.N, ..., LOG.1, LOG), the files must:
  * each be at most --cap bytes and consist of whole records (k8s-file: interface.md §8.2;
    json-file: one JSON object per line, man/vigil.8.scd);
  * each have been cut for a reason: size(older) + size(first record of the next file) > cap;
  * rebuilt (the content of the records of stream --name), concatenated, be a suffix of --stream
    that ends at its end.
Prints one summary line; exit status 0 if all holds, 1 with the reason otherwise.
"""
import argparse
import json
import os
import re
import sys

K8S = re.compile(rb"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2} (stdout|stderr) (P|F) ")


def records(path, fmt):
    """[(record size in bytes, stream, content bytes)]"""
    data = open(path, "rb").read()
    if data and not data.endswith(b"\n"):
        raise ValueError("%s: ends inside a record" % path)
    out = []
    for n, line in enumerate(data.split(b"\n")[:-1] if data else [], 1):
        if fmt == "k8s":
            m = K8S.match(line)
            if not m:
                raise ValueError("%s: record %d malformed: %r" % (path, n, line[:100]))
            content = line[m.end():] + (b"\n" if m.group(2) == b"F" else b"")
            if len(content) > 8192:
                raise ValueError("%s: record %d has %d content bytes" % (path, n, len(content)))
            out.append((len(line) + 1, m.group(1).decode(), content))
        else:
            try:
                obj = json.loads(line)
            except ValueError as e:
                raise ValueError("%s: record %d is not JSON: %s" % (path, n, e))
            if not isinstance(obj, dict) or set(obj) != {"log", "stream", "time"}:
                raise ValueError("%s: record %d has keys %r" % (path, n, sorted(obj)))
            out.append((len(line) + 1, obj["stream"], obj["log"].encode("utf-8")))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--cap", type=int, required=True)
    ap.add_argument("--kept", type=int, required=True)
    ap.add_argument("--stream", required=True)
    ap.add_argument("--format", choices=["k8s", "json"], default="k8s")
    ap.add_argument("--name", default="stdout")
    args = ap.parse_args()

    paths = ["%s.%d" % (args.log, i) for i in range(args.kept, 0, -1)] + [args.log]
    extra = "%s.%d" % (args.log, args.kept + 1)
    try:
        for p in paths:
            if not os.path.isfile(p):
                raise ValueError("%s is missing" % p)
        if os.path.exists(extra):
            raise ValueError("%s exists: more files than --log-max-files" % extra)
        files = [(p, records(p, args.format)) for p in paths]
        rebuilt = bytearray()
        for i, (p, recs) in enumerate(files):
            size = os.path.getsize(p)
            if size != sum(r[0] for r in recs):
                raise ValueError("%s: size mismatch" % p)
            if size > args.cap:
                raise ValueError("%s: %d bytes, over the cap of %d" % (p, size, args.cap))
            if i + 1 < len(files):
                nxt = files[i + 1][1]
                if not nxt:
                    raise ValueError("%s is empty but %s was cut before it" % (files[i + 1][0], p))
                if size + nxt[0][0] <= args.cap:
                    raise ValueError("%s was cut at %d bytes although the next record (%d bytes) fit"
                                     % (p, size, nxt[0][0]))
            for _, stream, content in recs:
                if stream == args.name:
                    rebuilt += content
        stream = open(args.stream, "rb").read()
        if not rebuilt:
            raise ValueError("nothing kept")
        if not stream.endswith(bytes(rebuilt)):
            # find where it goes wrong, for the message
            raise ValueError("the kept %d bytes are not a suffix of the %d-byte stream" % (len(rebuilt), len(stream)))
        if len(rebuilt) >= len(stream):
            raise ValueError("everything was kept (%d bytes): no cut happened" % len(rebuilt))
    except ValueError as e:
        print("rotation_check: %s" % e, file=sys.stderr)
        return 1
    print("ok: %d files, sizes %s, kept %d of %d bytes" % (len(files), [os.path.getsize(p) for p, _ in files],
                                                          len(rebuilt), len(stream)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
