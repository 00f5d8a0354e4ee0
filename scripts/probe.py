#!/usr/bin/env python3
"""Minimal RocketMQ remoting probe (JSON headers), independent of the Rust crates.

Usage:
  python3 scripts/probe.py route TOPIC        [--namesrv HOST:PORT]
  python3 scripts/probe.py heartbeat          [--broker HOST:PORT] [--client-id ID] [--group G]
  python3 scripts/probe.py send TOPIC         [--broker HOST:PORT] [--group G] [--body TEXT] [--queue N]
  python3 scripts/probe.py raw CODE [EXT_JSON] [--addr HOST:PORT] [--body TEXT]
  python3 scripts/probe.py ready              [--namesrv HOST:PORT] [--broker HOST:PORT]
                                              [--timeout S] [--pid PID ...] [--quiet] [--since T]

Defaults: --namesrv $ROCKETMQ_NAMESRV or 127.0.0.1:9876, --broker $ROCKETMQ_BROKER or
127.0.0.1:10911. Every frame received is printed (header JSON, then body); exit status
is 0 when the reply code is 0 (SUCCESS), 1 otherwise, 2 on connection errors.

`ready` polls GET_ROUTEINFO_BY_TOPIC(TBW102) on the name server until it answers SUCCESS
and, with --broker, until the broker's port accepts TCP connections; it prints the
elapsed seconds and exits 0, or exits 1 on timeout / when a watched --pid dies.

Frame: 4-byte BE total length (= 4 + header length + body length), 4-byte BE word
(serialize type in the high byte, 0 = JSON; header length in the low 24 bits), header, body.
"""

import argparse
import json
import os
import socket
import struct
import sys
import time

GET_ROUTEINFO_BY_TOPIC = 105
HEART_BEAT = 34
SEND_MESSAGE_V2 = 310

_opaque = [0]


def split_addr(addr):
    host, _, port = addr.rpartition(":")
    return host or "127.0.0.1", int(port)


def encode(code, ext, body=b"", opaque=None, oneway=False, stringify=True):
    if opaque is None:
        _opaque[0] += 1
        opaque = _opaque[0]
    # Every extFields value must be a JSON string, and serializeTypeCurrentRPC is required.
    if ext is not None and stringify:
        ext = {k: str(v) for k, v in ext.items()}
    header = {
        "code": code,
        "extFields": ext,
        "flag": 2 if oneway else 0,
        "language": "JAVA",
        "opaque": opaque,
        "serializeTypeCurrentRPC": "JSON",
        "version": 479,
    }
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack(">II", 4 + len(h) + len(body), len(h)) + h + body, opaque


def read_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by peer after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def read_frame(sock):
    (length,) = struct.unpack(">I", read_exact(sock, 4))
    (word,) = struct.unpack(">I", read_exact(sock, 4))
    stype, hlen = word >> 24, word & 0xFFFFFF
    header_raw = read_exact(sock, hlen)
    body = read_exact(sock, length - 4 - hlen)
    if stype != 0:
        raise ValueError("non-JSON reply header (serialize type %d)" % stype)
    return json.loads(header_raw), header_raw, body


def call(addr, code, ext, body=b"", timeout=5.0, show=None, stringify=True):
    """Send one request; return (reply_header, body, [all frames]) for the matching opaque."""
    frame, opaque = encode(code, ext, body, stringify=stringify)
    frames = []
    with socket.create_connection(split_addr(addr), timeout=timeout) as sock:
        if show:
            show(">>> request to %s: %s" % (addr, frame[8:8 + struct.unpack(">I", frame[4:8])[0]].decode()))
            if body:
                show(">>> body: %r" % body)
        sock.sendall(frame)
        while True:
            header, header_raw, rbody = read_frame(sock)
            frames.append((header, header_raw, rbody))
            if show:
                show("<<< header: %s" % header_raw.decode())
                show("<<< body (%d bytes): %s" % (len(rbody), _fmt_body(rbody)))
            # RESPONSE_TYPE flag bit 0; requests from the server (e.g. code 40) come first.
            if header.get("opaque") == opaque and (header.get("flag", 0) & 1):
                return header, rbody, frames


def _fmt_body(body):
    try:
        return body.decode()
    except UnicodeDecodeError:
        return repr(body)


def route(addr, topic, show=None, timeout=5.0):
    return call(addr, GET_ROUTEINFO_BY_TOPIC, {"acceptStandardJsonOnly": "true", "topic": topic},
                timeout=timeout, show=show)


def heartbeat(addr, client_id, group, show=None):
    body = json.dumps({"clientID": client_id, "consumerDataSet": [],
                       "producerDataSet": [{"groupName": group}]}, separators=(",", ":")).encode()
    return call(addr, HEART_BEAT, None, body, show=show)


def send(addr, topic, group, body, queue, show=None):
    ext = {
        "a": group,                     # producerGroup
        "b": topic,                     # topic
        "c": "TBW102",                  # defaultTopic
        "d": "4",                       # defaultTopicQueueNums
        "e": str(queue),                # queueId
        "f": "0",                       # sysFlag
        "g": str(int(time.time() * 1000)),  # bornTimestamp
        "h": "0",                       # flag
        "i": "WAIT\u0001true\u0002",    # properties
        "j": "0",                       # reconsumeTimes
        "k": "false",                   # unitMode
        "m": "false",                   # batch
    }
    return call(addr, SEND_MESSAGE_V2, ext, body, show=show)


def tcp_open(addr, timeout=1.0):
    try:
        with socket.create_connection(split_addr(addr), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def ready(namesrv, broker, timeout, pids, quiet, since=None):
    start = time.monotonic()
    # Elapsed times are reported from `since` (wall-clock epoch seconds, e.g. the moment the
    # caller spawned the server) when given, else from the start of polling.
    offset = max(0.0, time.time() - since) if since else 0.0
    last = "no attempt yet"
    route_ok_at = None
    while True:
        elapsed = time.monotonic() - start
        dead = [p for p in pids if not pid_alive(p)]
        if dead:
            print("process(es) %s exited while waiting for readiness (last: %s)"
                  % (",".join(map(str, dead)), last), file=sys.stderr)
            return 1
        if elapsed > timeout:
            print("not ready after %.0f s (last: %s)" % (timeout, last), file=sys.stderr)
            return 1
        try:
            if route_ok_at is None:
                h, body, _ = route(namesrv, "TBW102", timeout=2.0)
                if h.get("code") == 0:
                    route_ok_at = time.monotonic() - start + offset
                else:
                    last = "route TBW102 code %s remark %r" % (h.get("code"), h.get("remark"))
            if route_ok_at is not None:
                if broker is None or tcp_open(broker):
                    total = time.monotonic() - start + offset
                    if not quiet:
                        print("ready after %.2f s (route TBW102 SUCCESS at %.2f s%s)"
                              % (total, route_ok_at, ", broker %s accepting" % broker if broker else ""))
                    return 0
                last = "route OK, broker %s not accepting connections" % broker
        except (OSError, ValueError) as e:
            last = "%s: %s" % (type(e).__name__, e)
        time.sleep(0.1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    ns_default = os.environ.get("ROCKETMQ_NAMESRV", "127.0.0.1:9876").split(";")[0]
    br_default = os.environ.get("ROCKETMQ_BROKER", "127.0.0.1:10911")

    r = sub.add_parser("route")
    r.add_argument("topic")
    r.add_argument("--namesrv", default=ns_default)

    hb = sub.add_parser("heartbeat")
    hb.add_argument("--broker", default=br_default)
    hb.add_argument("--client-id", default="127.0.0.1@test")
    hb.add_argument("--group", default="pg")

    s = sub.add_parser("send")
    s.add_argument("topic")
    s.add_argument("--broker", default=br_default)
    s.add_argument("--group", default="pg")
    s.add_argument("--body", default="hello")
    s.add_argument("--queue", type=int, default=0)

    raw = sub.add_parser("raw")
    raw.add_argument("code", type=int)
    raw.add_argument("ext", nargs="?", default=None,
                     help="extFields as a JSON object (or null), sent as is (values are not stringified)")
    raw.add_argument("--addr", default=ns_default)
    raw.add_argument("--body", default="")

    rd = sub.add_parser("ready")
    rd.add_argument("--namesrv", default=ns_default)
    rd.add_argument("--broker", default=None)
    rd.add_argument("--timeout", type=float, default=60.0)
    rd.add_argument("--pid", type=int, action="append", default=[])
    rd.add_argument("--quiet", action="store_true")
    rd.add_argument("--since", type=float, default=None,
                    help="report times relative to this epoch time (seconds, e.g. $EPOCHREALTIME)")

    a = p.parse_args()
    show = print
    try:
        if a.cmd == "ready":
            return ready(a.namesrv, a.broker, a.timeout, a.pid, a.quiet, a.since)
        if a.cmd == "route":
            h, _, _ = route(a.namesrv, a.topic, show=show)
        elif a.cmd == "heartbeat":
            h, _, _ = heartbeat(a.broker, a.client_id, a.group, show=show)
        elif a.cmd == "send":
            h, _, _ = send(a.broker, a.topic, a.group, a.body.encode(), a.queue, show=show)
        else:
            ext = json.loads(a.ext) if a.ext is not None else None
            h, _, _ = call(a.addr, a.code, ext, a.body.encode(), show=show, stringify=False)
    except (OSError, ValueError) as e:
        print("error: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 2
    return 0 if h.get("code") == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
