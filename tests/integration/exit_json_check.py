#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Validate a vigil exit record (--exit-json) against man/exit-record.schema.json and expectations.

  exit_json_check.py FILE SCHEMA [EXPECT...]

EXPECT is KEY OP VALUE with OP one of = >= > <= < and VALUE JSON (true, null, 137, ...); KEY may be
"bytes_logged.stdout". The schema check is done by a small validator for the keywords the schema
uses (type, const, required, additionalProperties, properties, minimum, maximum, $ref), and also by
the jsonschema module when it is installed. Also checked: one line ending in "\\n", signaled ==
(signal is not null), start_time_ns <= exit_time_ns, both near the current time.
Exit status 0 if all is well; otherwise the problems are printed and the status is 1.
"""
import json
import re
import sys
import time


def check_type(value, t):
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "null":
        return value is None
    if t == "object":
        return isinstance(value, dict)
    if t == "string":
        return isinstance(value, str)
    raise ValueError("type %r not handled" % t)


def validate(value, schema, root, path, errors):
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/"), ref
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        validate(value, target, root, path, errors)
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        errors.append("%s: %r is not the constant %r" % (path, value, schema["const"]))
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(check_type(value, t) for t in types):
            errors.append("%s: %r is not of type %s" % (path, value, types))
            return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append("%s: %r < minimum %r" % (path, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append("%s: %r > maximum %r" % (path, value, schema["maximum"]))
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errors.append("%s: required key %r missing" % (path, k))
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            for k in value:
                if k not in props:
                    errors.append("%s: unexpected key %r" % (path, k))
        for k, sub in props.items():
            if k in value:
                validate(value[k], sub, root, "%s.%s" % (path, k), errors)


def lookup(rec, key):
    v = rec
    for part in key.split("."):
        v = v[part]
    return v


def main():
    path, schema_path, expects = sys.argv[1], sys.argv[2], sys.argv[3:]
    errors = []
    raw = open(path, "rb").read()
    if not raw.endswith(b"\n") or raw.count(b"\n") != 1:
        errors.append("not exactly one line ending in a newline: %r" % raw)
    rec = json.loads(raw)
    schema = json.load(open(schema_path))
    validate(rec, schema, schema, "$", errors)
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        for e in jsonschema.Draft202012Validator(schema).iter_errors(rec):
            errors.append("jsonschema: %s" % e.message)
    if isinstance(rec, dict) and not errors:
        if rec["signaled"] != (rec["signal"] is not None):
            errors.append("signaled %r but signal %r" % (rec["signaled"], rec["signal"]))
        now = time.time_ns()
        if not rec["start_time_ns"] <= rec["exit_time_ns"]:
            errors.append("start_time_ns %d > exit_time_ns %d" % (rec["start_time_ns"], rec["exit_time_ns"]))
        for k in ("start_time_ns", "exit_time_ns"):
            if not now - 600 * 10**9 <= rec[k] <= now + 10**9:
                errors.append("%s %d is not within the last 10 minutes (now %d)" % (k, rec[k], now))
    for e in expects:
        m = re.fullmatch(r"([a-z_.]+)(>=|<=|=|>|<)(.*)", e)
        if not m:
            errors.append("bad expectation %r" % e)
            continue
        key, op, want = m.group(1), m.group(2), json.loads(m.group(3))
        try:
            got = lookup(rec, key)
        except (KeyError, TypeError):
            errors.append("%s: missing" % key)
            continue
        ok = {"=": lambda: got == want and type(got) is type(want),
              ">=": lambda: got >= want, "<=": lambda: got <= want, ">": lambda: got > want,
              "<": lambda: got < want}[op]()
        if not ok:
            errors.append("%s is %r, expected %s %r" % (key, got, op, want))
    print(raw.decode(errors="replace"), end="")
    for e in errors:
        print("exit record: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
