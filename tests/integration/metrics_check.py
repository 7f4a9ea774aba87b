#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""metrics_check.py FILE [--exit-json JSON] [EXPECT...]

Parse a vigil metrics file (--metrics-dir) with the Prometheus text parser (python3-prometheus-client)
and check it:
  - every family has HELP and TYPE; counters are named *_total;
  - every sample carries container_id, container_name, exec and exec_id;
  - --exit-json JSON: vigil_stream_bytes_total per stream equals bytes_logged, and the drops by
    rate_limit plus log_global_size_max equal bytes_dropped (what exit.json counts);
  - each EXPECT is NAME{L=V,...}OPVALUE with OP one of = >= > <=, matched against the one sample
    of NAME whose labels include the given ones (e.g. 'vigil_stream_bytes_total{stream=stdout}=13').
Every sample is printed as a TAP comment. Exit 0 when all holds, 1 with the reasons on stderr.
"""
import json
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

BASE = ("container_id", "container_name", "exec", "exec_id")


def load(path):
    text = open(path).read()
    fams = list(text_string_to_metric_families(text))
    # the parser takes a family without HELP; the file must have both lines for each family
    errors = []
    for f in fams:
        # the parser names a counter's family without its _total suffix
        name = r"%s(_total)?" % re.escape(f.name) if f.type == "counter" else re.escape(f.name)
        if not re.search(r"^# HELP %s \S" % name, text, re.M):
            errors.append("no HELP for %s" % f.name)
        if not re.search(r"^# TYPE %s %s$" % (name, f.type), text, re.M):
            errors.append("no TYPE for %s" % f.name)
    samples = []
    for f in fams:
        for s in f.samples:
            samples.append((s.name, dict(s.labels), s.value))
            missing = [k for k in BASE if k not in s.labels]
            if missing:
                errors.append("%s lacks labels %s" % (s.name, missing))
        if f.type == "counter" and not any(s.name.endswith("_total") for s in f.samples):
            errors.append("counter %s has no _total sample" % f.name)
    return samples, errors


def find(samples, name, want):
    hits = [s for s in samples if s[0] == name and all(s[1].get(k) == v for k, v in want.items())]
    return hits


def main():
    args = sys.argv[1:]
    path = args.pop(0)
    exit_json = None
    if args[:1] == ["--exit-json"]:
        exit_json = args[1]
        args = args[2:]
    samples, errors = load(path)
    for name, labels, value in samples:
        extra = ",".join("%s=%s" % (k, v) for k, v in sorted(labels.items()) if k not in BASE)
        print("# %s{%s} %r" % (name, extra, value))
    for exp in args:
        m = re.match(r"^([a-z_]+)(?:\{([^}]*)\})?(>=|<=|>|=)(-?[0-9.]+)$", exp)
        if not m:
            errors.append("bad expectation %r" % exp)
            continue
        name, lab, op, val = m.group(1), m.group(2), m.group(3), float(m.group(4))
        want = dict(kv.split("=", 1) for kv in lab.split(",")) if lab else {}
        hits = find(samples, name, want)
        if len(hits) != 1:
            errors.append("%s: %d samples match, want 1" % (exp, len(hits)))
            continue
        got = hits[0][2]
        ok = {"=": got == val, ">=": got >= val, "<=": got <= val, ">": got > val}[op]
        if not ok:
            errors.append("%s: got %r" % (exp, got))
    if exit_json:
        rec = json.load(open(exit_json))
        for st in ("stdout", "stderr"):
            got = find(samples, "vigil_stream_bytes_total", {"stream": st})
            if len(got) != 1 or got[0][2] != rec["bytes_logged"][st]:
                errors.append("stream bytes of %s: metrics %r, exit.json %r" % (st, got, rec["bytes_logged"][st]))
            drops = sum(s[2] for s in find(samples, "vigil_log_dropped_bytes_total", {"stream": st})
                        if s[1]["reason"] in ("rate_limit", "log_global_size_max"))
            if drops != rec["bytes_dropped"][st]:
                errors.append("dropped bytes of %s: metrics %r, exit.json %r" % (st, drops, rec["bytes_dropped"][st]))
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
