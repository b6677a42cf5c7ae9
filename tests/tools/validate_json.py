#!/usr/bin/env python3
"""validate_json.py - checks tlsredact JSON outputs against the documented
schemas (docs/json.md, docs/report.md).  Python standard library only.

  validate_json.py events FILE.jsonl   every line of a --json output
  validate_json.py report FILE.json    a --report document
  validate_json.py find TEXT FILE.jsonl  exit 0 if TEXT occurs in the file, in
                                       a decoded string or in decoded data_b64
                                       bytes (a byte search that base64 or
                                       JSON escapes cannot hide from); else 1

Prints nothing and exits 0 when valid; else one line per problem (at most
20) and exit 1.  Unknown fields are errors: the schema is closed, so a field
added to the code without documentation fails the test.
"""
import base64
import json
import re
import sys

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


# ---- type checkers: each returns None or an error text ----
def t_int(v):
    return None if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else "non-negative integer expected"


def t_num(v):
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 else "number >= 0 expected"


def t_str(v):
    return None if isinstance(v, str) else "string expected"


def t_bool(v):
    return None if isinstance(v, bool) else "boolean expected"


def t_ts(v):
    return None if isinstance(v, str) and TS.match(v) else "RFC 3339 UTC time with microseconds expected"


def nullable(t):
    return lambda v: None if v is None else t(v)


def enum(*vals):
    return lambda v: None if v in vals else f"one of {vals} expected"


def t_port(v):
    return None if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 65535 else "port expected"


def obj(spec, optional=()):
    """spec: name -> checker; every name required unless in optional; closed."""
    def check(v, where=""):
        if not isinstance(v, dict):
            return "object expected"
        for k in v:
            if k not in spec:
                return f"unknown field {k!r}"
        for k, t in spec.items():
            if k not in v:
                if k in optional:
                    continue
                return f"missing field {k!r}"
            e = t(v[k])
            if e:
                return f"{k}: {e}"
        return None
    return check


def arr(t):
    def check(v):
        if not isinstance(v, list):
            return "array expected"
        for i, x in enumerate(v):
            e = t(x)
            if e:
                return f"[{i}]: {e}"
        return None
    return check


t_endpoint = obj({"addr": t_str, "port": t_port})
t_field = obj({"depth": t_int, "key": nullable(t_str), "value": nullable(t_str)})
t_fields = arr(t_field)
t_dir = enum("c2s", "s2c", None)
t_side = obj({k: t_int for k in ("segments", "tcp_bytes", "retransmitted", "missing", "records",
                                 "not_dissected", "plain", "decrypted", "encrypted", "failed")})
t_rulecount = obj({"id": t_str, "matches": t_int, "bytes": t_int})
t_summary = obj({
    "client": t_side, "server": t_side, "gaps": t_int, "gap_bytes": t_int, "masked": t_int,
    "withheld": t_int, "uninspected": t_int, "version": t_int, "version_name": nullable(t_str), "suite": t_int,
    "suite_name": nullable(t_str), "sni": nullable(t_str), "decrypt_reason": t_str,
    "close_reason": t_str, "rules": arr(t_rulecount)})

COMMON = {"type": t_str, "conn": t_int, "ts": t_ts, "rel": t_num, "delta": t_num}
EVENTS = {
    "start": (obj({"type": t_str, "schema": enum(1), "tool": enum("tlsredact"), "version": t_str}), ()),
    "conn_open": (obj({**COMMON, "client": t_endpoint, "server": t_endpoint,
                       "mss": obj({"client": t_int, "server": t_int})}), ()),
    "record": (obj({**COMMON, "rec": t_int, "dir": t_dir, "content_type": t_str, "length": t_int,
                    "encrypted": t_bool, "fields": t_fields, "fields_truncated": t_bool, "raw_b64": t_str},
                   optional=("raw_b64",)), ()),
    "data": (obj({**COMMON, "dir": t_dir, "offset": t_int, "length": t_int, "decrypted": t_bool,
                  "data": t_str, "data_b64": t_str, "withheld": t_int,
                  "reason": enum("drop_rule", "fail_closed", "undecodable"),
                  "http2_stream": t_int, "part": enum("headers", "push_promise", "body")},
                 optional=("data", "data_b64", "withheld", "reason", "http2_stream", "part")), ()),
    "gap": (obj({**COMMON, "dir": t_dir, "offset": t_int, "length": t_int}), ()),
    "note": (obj({**COMMON, "dir": t_dir, "text": t_str}), ()),
    "verdict": (obj({**COMMON, "client": t_endpoint, "server": t_endpoint, "verdict": t_str, "text": t_str,
                     "tls": t_bool, "alpn": nullable(t_str), "fields": t_fields, "fields_truncated": t_bool,
                     "summary": t_summary}, optional=("client", "server", "summary")), ()),
    "conn_close": (obj({**COMMON, "closed": obj({"client": enum("open", "fin", "rst"),
                                                 "server": enum("open", "fin", "rst")}),
                        "tls": t_bool}), ()),
    "summary": (obj({"type": t_str, "text": t_str, "fields": t_fields, "fields_truncated": t_bool}), ()),
}


def load_strict(raw, where):
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        err(where, f"not UTF-8 ({e})")
        return None
    if any(ord(c) < 0x20 for c in text):
        err(where, "raw control character")
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        err(where, f"not JSON ({e})")
        return None


def check_events(path):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    else:
        err(path, "last line not terminated")
    if not lines:
        err(path, "empty")
        return
    seen_summary = False
    for n, raw in enumerate(lines, 1):
        where = f"{path}:{n}"
        o = load_strict(raw, where)
        if o is None:
            continue
        if not isinstance(o, dict) or o.get("type") not in EVENTS:
            err(where, f"unknown event type {o.get('type') if isinstance(o, dict) else o!r}")
            continue
        if n == 1 and o["type"] != "start":
            err(where, "first line must be the start line")
        if n > 1 and o["type"] == "start":
            err(where, "start line repeated")
        if seen_summary:
            err(where, "event after the summary")
        seen_summary = seen_summary or o["type"] == "summary"
        e = EVENTS[o["type"]][0](o)
        if e:
            err(where, f"{o['type']}: {e}")
            continue
        if o["type"] == "data":
            kinds = [k for k in ("data", "data_b64", "withheld") if k in o]
            if len(kinds) != 1:
                err(where, f"data: exactly one of data/data_b64/withheld expected, got {kinds}")
            elif kinds[0] == "withheld":
                if "reason" not in o or o["withheld"] != o["length"]:
                    err(where, "withheld: needs reason and withheld == length")
            else:
                if "reason" in o:
                    err(where, "reason only with withheld")
                if kinds[0] == "data":
                    if len(o["data"].encode("utf-8", "surrogatepass")) != o["length"]:
                        err(where, "data: length differs from the UTF-8 byte count")
                else:
                    try:
                        b = base64.b64decode(o["data_b64"], validate=True)
                    except ValueError:
                        err(where, "data_b64: not base64")
                        continue
                    if len(b) != o["length"]:
                        err(where, "data_b64: length differs")
                    try:
                        b.decode("utf-8")
                        err(where, "data_b64 used for valid UTF-8")
                    except UnicodeDecodeError:
                        pass
    if not seen_summary:
        err(path, "no summary line")


t_hashed_in = obj({"path": nullable(t_str), "stream": enum("stdin"), "size": nullable(t_int),
                   "sha256": nullable(lambda v: None if HEX64.match(v) else "64 hex digits expected"),
                   "error": t_str, "interface": nullable(t_str)},
                  optional=("path", "stream", "size", "error", "interface"))
t_hashed_out = obj({"role": t_str, "path": nullable(t_str), "stream": enum("stdout"), "size": nullable(t_int),
                    "sha256": nullable(lambda v: None if HEX64.match(v) else "64 hex digits expected"),
                    "error": t_str}, optional=("stream", "error"))
t_hashed_rules = obj({"path": t_str, "size": nullable(t_int),
                      "sha256": nullable(lambda v: None if HEX64.match(v) else "64 hex digits expected"),
                      "error": t_str}, optional=("error",))
t_dirtot = obj({k: t_int for k in ("tcp", "plain", "decrypted", "not_decrypted", "failed")})
t_withheld = obj({k: t_int for k in ("failed_or_skipped", "not_decrypted", "redaction_drop",
                                     "redaction_drop_spans", "redaction_limit", "redaction_limit_spans",
                                     "uninspected")})
t_action = enum("mask", "token", "drop", "unknown")
t_conn = obj({
    "conn": t_int, "client": t_endpoint, "server": t_endpoint, "first_seen": t_ts, "last_seen": t_ts,
    "tls": t_bool, "verdict": t_str, "verdict_text": t_str, "version": nullable(t_str),
    "suite": nullable(t_str), "sni": nullable(t_str), "alpn": nullable(t_str),
    "bytes": obj({"c2s": t_dirtot, "s2c": t_dirtot}), "withheld": t_withheld,
    "gaps": obj({"count": t_int, "bytes": t_int}),
    "redaction": obj({"masked_bytes": t_int, "rules": arr(t_rulecount)}),
    "decrypt_reason": t_str, "close_reason": t_str})
t_report = obj({
    "report_schema": enum(1),
    "tool": obj({"name": enum("tlsredact"), "version": t_str}),
    "run_started": t_ts, "run_finished": t_ts, "reproducible_time": t_bool, "exit_status": t_int,
    "options": arr(obj({"option": t_str, "value": nullable(t_str)})),
    "input": t_hashed_in,
    "outputs": arr(t_hashed_out),
    "redaction": obj({"enabled": t_bool, "files": arr(t_hashed_rules),
                      "rules": arr(obj({"id": t_str, "action": t_action, "description": t_str}))}),
    "port_map": arr(obj({"tls_port": t_port, "cleartext_port": t_port})),
    "notes": arr(t_str),
    "connections": arr(t_conn),
    "rule_totals": arr(obj({"id": t_str, "action": t_action, "matches": t_int, "bytes": t_int})),
    "totals": obj({"connections": t_int, "verdicts": lambda v: None if isinstance(v, dict) and all(
        t_int(x) is None for x in v.values()) else "object of counts expected",
        "bytes": obj({"c2s": t_dirtot, "s2c": t_dirtot}), "withheld": t_withheld,
        "masked_bytes": t_int, "gaps": obj({"count": t_int, "bytes": t_int})}),
    "summary": nullable(obj({"text": t_str, "fields": t_fields})),
})


def check_report(path):
    with open(path, "rb") as f:
        doc = load_strict(f.read().replace(b"\n", b" "), path)
    if doc is None:
        return
    e = t_report(doc)
    if e:
        err(path, e)
        return
    t = doc["totals"]
    if t["connections"] != len(doc["connections"]):
        err(path, "totals.connections differs from the connection list")
    if sum(t["verdicts"].values()) != t["connections"]:
        err(path, "verdict counts do not add up")
    for k in ("redaction_drop", "redaction_limit", "failed_or_skipped", "not_decrypted", "uninspected"):
        if sum(c["withheld"][k] for c in doc["connections"]) != t["withheld"][k]:
            err(path, f"totals.withheld.{k} differs from the sum over connections")
    ids = [r["id"] for r in doc["redaction"]["rules"]]
    if [r["id"] for r in doc["rule_totals"]] != ids:
        err(path, "rule_totals do not list the rules in order")
    for rt in doc["rule_totals"]:
        m = sum(x["matches"] for c in doc["connections"] for x in c["redaction"]["rules"] if x["id"] == rt["id"])
        if m != rt["matches"]:
            err(path, f"rule {rt['id']}: total matches differ from the sum over connections")


def find(text, path):
    needle = text.encode()
    with open(path, "rb") as f:
        for raw in f:
            if needle in raw:
                return 0
            try:
                o = json.loads(raw)
            except ValueError:
                continue
            stack = [o]
            while stack:
                v = stack.pop()
                if isinstance(v, dict):
                    if isinstance(v.get("data_b64"), str):
                        try:
                            if needle in base64.b64decode(v["data_b64"]):
                                return 0
                        except ValueError:
                            pass
                    stack.extend(v.values())
                elif isinstance(v, list):
                    stack.extend(v)
                elif isinstance(v, str) and text in v:
                    return 0
    return 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "find":
        return find(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 3 or sys.argv[1] not in ("events", "report"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    (check_events if sys.argv[1] == "events" else check_report)(sys.argv[2])
    for e in errors[:20]:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
