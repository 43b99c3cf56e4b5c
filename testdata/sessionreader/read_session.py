#!/usr/bin/env python3
"""An independent reader of sockscope session files, written from the
README's "The session file" section alone (not from the Go reader), to hold
that section to what sockscope writes. Standard library only.

    python3 read_session.py FILE

prints one JSON object on stdout: the segments with their records, the
lines skipped as cut short, and "problems": every place where the file
breaks a rule the README states. It exits 0 when there are none, 1 when
there are, and 2 when the file can't be read at all (an error at a line
number, as the reading rules say).
"""

import base64
import binascii
import hashlib
import json
import re
import sys

MAX_LINE = 64 << 20

# "at": RFC 3339 in UTC, as Go's time.RFC3339Nano writes it: up to nine
# fraction digits, trailing zeros dropped (so no fraction ends in 0).
AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$")

FRAMINGS = {"lines", "content-length", "http", "http2", "resp",
            "msgpack-rpc", "varlink", "raw", "auto"}
DIRS = {"c2s", "s2c"}
KINDS = {"request", "response", "notification", "other", "raw"}
ACTS = {"held", "edit", "drop", "fab", "delay", "dup", "close", "timeout"}
UPSTREAM_KINDS = ("unix:", "tcp:", "pipe:", "stdio:")

# Characters the writer escapes beyond JSON's own (String encoding): they
# must never appear raw in a line.
RAW_FORBIDDEN = re.compile("[\u007f-\u009f\u2028\u2029]")
# Controls with a short escape must use it.
LONG_SHORT = re.compile(r'(?<!\\)(?:\\\\)*\\u00(?:08|09|0[aA]|0[cC]|0[dD])')


class Unreadable(Exception):
    """The file breaks a rule that stops reading (an error at a line)."""


class Reader:
    def __init__(self):
        self.problems = []
        self.segments = []
        self.skipped = []  # line numbers of lines cut short
        self.unknown = {}  # record types this reader does not know
        self.seg = None

    def problem(self, lineno, msg):
        self.problems.append({"line": lineno, "problem": msg})

    def read(self, data):
        lines = data.split(b"\n")
        # A file ended by "\n" splits into a last empty piece: it is no line.
        last_unterminated = lines[-1] != b""
        if not last_unterminated:
            lines.pop()
        parsed = []  # (lineno, raw, obj or None)
        for i, raw in enumerate(lines):
            lineno = i + 1
            if len(raw) > MAX_LINE:
                raise Unreadable(f"line {lineno}: longer than 64 MiB")
            if raw.strip() == b"":
                continue  # blank lines are ignored
            try:
                text = raw.decode("utf-8")
                obj = json.loads(text, object_pairs_hook=pairs)
            except (UnicodeDecodeError, ValueError):
                obj = None
            parsed.append((lineno, raw, obj, i == len(lines) - 1 and last_unterminated))
        for n, (lineno, raw, obj, unterminated) in enumerate(parsed):
            if obj is None or not isinstance(obj, dict):
                nxt = parsed[n + 1][2] if n + 1 < len(parsed) else None
                if unterminated:
                    self.skipped.append(lineno)  # the cut last line
                    continue
                if isinstance(nxt, dict) and nxt.get("type") == "header" and obj is None:
                    self.skipped.append(lineno)  # cut, then recorded again
                    continue
                raise Unreadable(f"line {lineno}: not a valid record")
            self.check_encoding(lineno, raw)
            self.record(lineno, obj)
        self.finish_segment()

    def check_encoding(self, lineno, raw):
        text = raw.decode("utf-8")
        m = RAW_FORBIDDEN.search(text)
        if m:
            self.problem(lineno, f"U+{ord(m.group()):04X} written raw, not escaped")
        m = LONG_SHORT.search(text)
        if m:
            self.problem(lineno, f"{m.group()[-6:]} written where its short escape belongs")

    def record(self, lineno, rec):
        keys = list(rec.keys())
        typ = rec.get("type")
        if not keys or keys[0] != "type":
            self.problem(lineno, f"'type' is not the first member (members {keys[:3]})")
        if not isinstance(typ, str):
            raise Unreadable(f"line {lineno}: no record type")
        if typ == "header":
            self.header(lineno, rec)
            return
        if self.seg is None:
            raise Unreadable(f"line {lineno}: a {typ} record before any header")
        if self.seg.get("refused"):
            return
        handler = getattr(self, "rec_" + typ, None)
        if handler is None:
            self.unknown[typ] = self.unknown.get(typ, 0) + 1
            return
        if self.seg["ended"] and typ != "compare":
            self.problem(lineno, f"{typ} after the segment's end record")
        handler(lineno, rec)

    # -- helpers ------------------------------------------------------------

    def at(self, lineno, rec, member="at"):
        v = rec.get(member)
        if not isinstance(v, str) or not AT.match(v):
            self.problem(lineno, f"{member} {v!r} is not an RFC 3339 UTC time as RFC3339Nano writes it")
            return None
        return v

    def int_member(self, lineno, rec, member, required=True, minimum=0):
        v = rec.get(member)
        if v is None:
            if required:
                self.problem(lineno, f"{rec.get('type')} without {member}")
            return None
        if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
            self.problem(lineno, f"{member} {v!r} is not an integer >= {minimum}")
            return None
        return v

    def str_member(self, lineno, rec, member, required=True):
        v = rec.get(member)
        if v is None:
            if required:
                self.problem(lineno, f"{rec.get('type')} without {member}")
            return None
        if not isinstance(v, str):
            self.problem(lineno, f"{member} {v!r} is not a string")
            return None
        return v

    def flag(self, lineno, rec, member):
        """A flag that is omitted when false: present only as true."""
        if member not in rec:
            return False
        if rec[member] is not True:
            self.problem(lineno, f"{member} is {rec[member]!r}: omitted when false, else true")
        return True

    def conn(self, lineno, rec, must_be_open=True):
        c = self.int_member(lineno, rec, "conn", minimum=1)
        if c is None:
            return None
        if must_be_open:
            st = self.seg["conns"].get(c)
            if st is None:
                self.problem(lineno, f"{rec['type']} on connection {c}, which has no open record in this segment")
            elif st["closed"]:
                self.problem(lineno, f"{rec['type']} on connection {c} after its close")
        return c

    def in_order(self, lineno, conn, d, at):
        """Within one direction of one connection, lines are in order."""
        if at is None or conn is None:
            return
        key = (conn, d)
        prev = self.seg["last_at"].get(key)
        if prev is not None and at_key(at) < at_key(prev):
            self.problem(lineno, f"connection {conn} {d}: at {at} before the line above's {prev}")
        self.seg["last_at"][key] = at

    # -- records --------------------------------------------------------------

    def header(self, lineno, rec):
        self.finish_segment()
        seg = {"line": lineno, "header": rec, "opens": [], "frames": [],
               "gaps": [], "closes": [], "end": None, "compares": 0,
               "conns": {}, "last_at": {}, "ended": False, "refused": False}
        self.seg = seg
        self.segments.append(seg)
        if rec.get("format") != "sockscope-session":
            self.problem(lineno, f"header format {rec.get('format')!r}")
        if rec.get("version") != 1:
            # A reader refuses a segment of a version it does not know.
            seg["refused"] = True
            return
        self.at(lineno, rec, "started")
        up = self.str_member(lineno, rec, "upstream")
        if up is not None and not up.startswith(UPSTREAM_KINDS):
            self.problem(lineno, f"upstream {up!r} does not start with its kind")
        self.str_member(lineno, rec, "listen")
        fr = self.str_member(lineno, rec, "framing")
        if fr is not None and fr not in FRAMINGS:
            self.problem(lineno, f"header framing {fr!r}")
        ids = rec.get("id_fields")
        if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
            self.problem(lineno, f"id_fields {ids!r} is not a list of strings")

    def rec_open(self, lineno, rec):
        c = self.conn(lineno, rec, must_be_open=False)
        at = self.at(lineno, rec)
        if c is not None:
            if c in self.seg["conns"]:
                self.problem(lineno, f"connection {c} opened twice in one segment")
            self.seg["conns"][c] = {"closed": False}
        client = self.str_member(lineno, rec, "client")
        self.str_member(lineno, rec, "listen")
        self.str_member(lineno, rec, "upstream")
        pid = self.int_member(lineno, rec, "pid", required=False)
        uid = self.int_member(lineno, rec, "uid", required=False)
        process = self.str_member(lineno, rec, "process", required=False)
        own = self.flag(lineno, rec, "own")
        if own and client is not None and not client.startswith("sockscope#"):
            self.problem(lineno, f"own connection whose client is {client!r}, not sockscope#N")
        self.seg["opens"].append({"line": lineno, "conn": c, "at": at, "client": client,
                                  "pid": pid, "uid": uid, "process": process, "own": own})

    def rec_frame(self, lineno, rec):
        c = self.conn(lineno, rec)
        d = rec.get("dir")
        if d not in DIRS:
            self.problem(lineno, f"frame dir {d!r}")
        at = self.at(lineno, rec)
        self.in_order(lineno, c, d, at)
        began = None
        if "began" in rec:
            began = self.at(lineno, rec, "began")
            if began is not None and at is not None and at_key(began) >= at_key(at):
                self.problem(lineno, f"began {began} is not before at {at}")
        framing = rec.get("framing")
        if framing not in FRAMINGS:
            self.problem(lineno, f"frame framing {framing!r}")
        size = self.int_member(lineno, rec, "size")
        wire = self.int_member(lineno, rec, "wire")
        truncated = self.flag(lineno, rec, "truncated")
        injected = self.flag(lineno, rec, "injected")
        withheld = self.flag(lineno, rec, "withheld")
        err = self.str_member(lineno, rec, "err", required=False)
        if err == "":
            self.problem(lineno, "err present but empty (omitted when empty)")
        has_text, has_b64 = "text" in rec, "b64" in rec
        payload = None
        if has_text == has_b64:
            self.problem(lineno, "frame with both or neither of text and b64")
        elif has_text:
            t = self.str_member(lineno, rec, "text")
            if t is not None:
                try:
                    payload = t.encode("utf-8")
                except UnicodeEncodeError:
                    # A lone surrogate escape: the payload was not UTF-8.
                    self.problem(lineno, "text holds a lone surrogate: not valid UTF-8")
        else:
            b = self.str_member(lineno, rec, "b64")
            if b is not None:
                try:
                    payload = base64.b64decode(b, validate=True)
                    if base64.b64encode(payload).decode() != b:
                        self.problem(lineno, "b64 is not standard base64 with padding")
                except (binascii.Error, ValueError):
                    self.problem(lineno, "b64 is not standard base64 with padding")
                    payload = None
                if payload is not None and valid_utf8(payload):
                    self.problem(lineno, "b64 payload that is valid UTF-8 (text belongs there)")
        if payload is not None and size is not None:
            if truncated:
                if len(payload) >= size:
                    self.problem(lineno, f"truncated frame keeps {len(payload)} bytes of its size {size}")
            elif len(payload) != size:
                self.problem(lineno, f"payload is {len(payload)} bytes, size says {size}")
        if size is not None and wire is not None and err is None and not truncated:
            self.check_wire(lineno, framing, size, wire, payload)
        whole = rec.get("whole")
        if whole is not None:
            if not truncated:
                self.problem(lineno, "whole on a frame that is not truncated")
            if not isinstance(whole, dict):
                self.problem(lineno, f"whole {whole!r} is not an object")
            else:
                if "kind" in whole and whole["kind"] not in KINDS:
                    self.problem(lineno, f"whole.kind {whole['kind']!r}")
                for f in ("error", "continues", "by_order"):
                    if f in whole and whole[f] is not True:
                        self.problem(lineno, f"whole.{f} is {whole[f]!r}")
        note = rec.get("note")
        if note is not None:
            if not isinstance(note, dict):
                self.problem(lineno, f"note {note!r} is not an object")
            elif note.get("act") not in ACTS:
                self.problem(lineno, f"note.act {note.get('act')!r}")
        self.seg["frames"].append({
            "line": lineno, "conn": c, "dir": d, "at": at, "framing": framing,
            "size": size, "wire": wire, "kept": None if payload is None else len(payload),
            "sha256": None if payload is None else hashlib.sha256(payload).hexdigest(),
            "payload_b64": None if payload is None else base64.b64encode(payload).decode(),
            "utf8": has_text, "truncated": truncated, "injected": injected,
            "withheld": withheld, "err": err,
            "act": note.get("act") if isinstance(note, dict) else None,
            "whole": whole, "began": began,
        })

    def check_wire(self, lineno, framing, size, wire, payload):
        """The re-framing rules: what wire must be for each framing. wire
        also counts the bytes before the frame that belong to none (blank
        lines), so it is a lower bound but for raw."""
        if framing == "lines":
            if wire < size + 1:
                self.problem(lineno, f"lines frame of size {size} took {wire} bytes on the wire, not size+1 or more")
        elif framing == "content-length":
            least = size + len(f"Content-Length: {size}\r\n\r\n")
            if wire < least:
                self.problem(lineno, f"content-length frame of size {size} took {wire} < {least} bytes on the wire")
        elif framing == "raw":
            if wire != size:
                self.problem(lineno, f"raw frame of size {size} took {wire} bytes on the wire")
        elif wire < size:
            self.problem(lineno, f"{framing} frame of size {size} took only {wire} bytes on the wire")

    def rec_gap(self, lineno, rec):
        c = self.conn(lineno, rec)
        d = rec.get("dir")
        if d not in DIRS:
            self.problem(lineno, f"gap dir {d!r}")
        at = self.at(lineno, rec)
        self.in_order(lineno, c, d, at)
        n = self.int_member(lineno, rec, "bytes", minimum=1)
        self.seg["gaps"].append({"line": lineno, "conn": c, "dir": d, "at": at, "bytes": n})

    def rec_close(self, lineno, rec):
        c = self.conn(lineno, rec)
        at = self.at(lineno, rec)
        err = self.str_member(lineno, rec, "err", required=False)
        if err == "":
            self.problem(lineno, "close err present but empty (omitted for a clean end)")
        if c is not None and c in self.seg["conns"]:
            self.seg["conns"][c]["closed"] = True
        self.seg["closes"].append({"line": lineno, "conn": c, "at": at, "err": err})

    def rec_end(self, lineno, rec):
        at = self.at(lineno, rec)
        cont = self.str_member(lineno, rec, "continues", required=False)
        if cont is not None:
            if "dropped_events" in rec or "dropped_bytes" in rec:
                self.problem(lineno, "an end that continues has drop totals")
            if "/" in cont:
                self.problem(lineno, f"continues {cont!r} is not a name in the same directory")
            ev = by = None
        else:
            ev = self.int_member(lineno, rec, "dropped_events")
            by = self.int_member(lineno, rec, "dropped_bytes")
        self.seg["ended"] = True
        self.seg["end"] = {"line": lineno, "at": at, "dropped_events": ev, "dropped_bytes": by, "continues": cont}

    def rec_compare(self, lineno, rec):
        if not self.seg["ended"]:
            self.problem(lineno, "compare before the segment's end")
        self.seg["compares"] += 1

    def finish_segment(self):
        seg = self.seg
        if seg is None:
            return
        # A segment without an end was not shut down cleanly; with one, every
        # connection it opened has its close (one per connection), but in a
        # rotating file, whose end continues in the next.
        if seg["end"] is not None and seg["end"]["continues"] is None:
            for c, st in seg["conns"].items():
                if not st["closed"]:
                    self.problem(seg["end"]["line"], f"segment ended cleanly with connection {c} never closed")
        n = {}
        for cl in seg["closes"]:
            n[cl["conn"]] = n.get(cl["conn"], 0) + 1
        for c, k in n.items():
            if k > 1:
                self.problem(seg["line"], f"connection {c} closed {k} times")
        del seg["conns"], seg["last_at"]


def pairs(kv):
    d = {}
    for k, v in kv:
        if k in d:
            raise ValueError(f"duplicate member {k}")
        d[k] = v
    return d


def valid_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def at_key(s):
    """A time string as a sortable key (same day format, fraction padded)."""
    base, _, frac = s[:-1].partition(".")
    return base, frac.ljust(9, "0")


def main(argv):
    if len(argv) != 2:
        print("usage: read_session.py FILE", file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        data = f.read()
    r = Reader()
    try:
        r.read(data)
    except Unreadable as e:
        print(json.dumps({"error": str(e)}))
        return 2
    out = {"segments": r.segments, "skipped": r.skipped,
           "unknown": r.unknown, "problems": r.problems}
    json.dump(out, sys.stdout)
    print()
    return 1 if r.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
