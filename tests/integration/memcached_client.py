#!/usr/bin/env python3
"""Concurrent memcached text-protocol client that checks every answer.

Opens --connections TCP connections to 127.0.0.1:--port, one thread each, all started
together behind a barrier. Each connection runs --rounds rounds on keys of its own:
set, get, append, add, a three-key get, incr/decr, delete, get-after-delete, and every 16th round a
large value (~200 KiB, many reads and writes on the server side). Every connection also
increments one shared counter per round, so the final value proves no update was lost
across memcached's worker threads. Finally memcached's 'stats' cmd_get must count exactly the keys we looked up.

Bounded: a socket timeout per operation and an overall deadline. Exit 0 only if every
reply matched; otherwise the first errors are printed and the exit status is 1.
"""
import argparse
import os
import socket
import sys
import threading
import time


class ProtocolError(Exception):
    pass


class Conn:
    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ProtocolError("server closed the connection")
        self.buf += chunk

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + 2:]
                return out
            self._fill()

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def command(self, text, expect):
        self.send(text)
        got = self.line()
        if got != expect:
            raise ProtocolError("%r -> %r, expected %r" % (text[:60], got, expect))

    def store(self, verb, key, value, flags=0, expect=b"STORED"):
        self.send(b"%s %s %d 0 %d\r\n%s\r\n" % (verb, key, flags, len(value), value))
        got = self.line()
        if got != expect:
            raise ProtocolError("%s %r (%d bytes) -> %r, expected %r"
                                % (verb.decode(), key, len(value), got, expect))

    def get_many(self, keys):
        """Returns {key: (flags, value)} for the keys that exist."""
        self.send(b"get " + b" ".join(keys) + b"\r\n")
        found = {}
        while True:
            header = self.line()
            if header == b"END":
                return found
            parts = header.split()
            if len(parts) != 4 or parts[0] != b"VALUE":
                raise ProtocolError("bad get reply line %r" % header[:80])
            key, flags, size = parts[1], int(parts[2]), int(parts[3])
            value = self.exact(size + 2)
            if value[-2:] != b"\r\n":
                raise ProtocolError("value of %r not followed by CRLF" % key)
            found[key] = (flags, value[:-2])

    def number(self, text):
        self.send(text)
        got = self.line()
        if not got.isdigit():
            raise ProtocolError("%r -> %r, expected a number" % (text, got))
        return int(got)


def worker(cid, args, shared_key, barrier, errors, counters):
    prefix = b"vigil:%d:" % cid
    try:
        c = Conn(args.port, args.timeout)
    except OSError as e:
        errors.append("connection %d: connect failed: %s" % (cid, e))
        barrier.abort()
        return
    gets = 0
    try:
        barrier.wait()
        for r in range(args.rounds):
            if time.monotonic() > args.stop_at:
                raise ProtocolError("overall deadline passed at round %d" % r)
            key = prefix + b"k%d" % r
            if r % 16 == 5:
                value = os.urandom(100 * 1024).hex().encode()       # 200 KiB
            else:
                value = b"v%d-%d-" % (cid, r) + b"x" * (r % 97)
            flags = (cid * 1000 + r) & 0xFFFF
            c.store(b"set", key, value, flags)
            got = c.get_many([key]); gets += 1
            if got.get(key) != (flags, value):
                raise ProtocolError("get %r returned %r" % (key, str(got.get(key))[:80]))

            c.store(b"append", key, b"+tail", flags)
            c.store(b"add", key, b"nope", expect=b"NOT_STORED")
            missing = prefix + b"missing%d" % r
            got = c.get_many([key, missing, prefix + b"counter"]); gets += 3
            if got.get(key) != (flags, value + b"+tail") or missing in got:
                raise ProtocolError("multi-get of %r gave %r" % (key, sorted(got)))

            ckey = prefix + b"counter"
            if r == 0:
                c.store(b"set", ckey, b"0")
            n = c.number(b"incr %s 3\r\n" % ckey)
            if n != 2 * r + 3:
                raise ProtocolError("incr %r gave %d, expected %d" % (ckey, n, 2 * r + 3))
            n = c.number(b"decr %s 1\r\n" % ckey)
            if n != 2 * (r + 1):
                raise ProtocolError("decr %r gave %d, expected %d" % (ckey, n, 2 * (r + 1)))

            c.number(b"incr %s 1\r\n" % shared_key)

            c.command(b"delete %s\r\n" % key, b"DELETED")
            c.command(b"delete %s\r\n" % key, b"NOT_FOUND")
            got = c.get_many([key]); gets += 1
            if got:
                raise ProtocolError("get after delete of %r returned %r" % (key, sorted(got)))
            c.command(b"incr %s 1\r\n" % key, b"NOT_FOUND")
        with counters["lock"]:
            counters["gets"] += gets
            counters["done"] += 1
    except (OSError, ProtocolError, threading.BrokenBarrierError) as e:
        errors.append("connection %d: %s: %s" % (cid, type(e).__name__, e))
        barrier.abort()
    finally:
        c.close()


def stats(port, timeout):
    c = Conn(port, timeout)
    try:
        c.send(b"stats\r\n")
        out = {}
        while True:
            line = c.line()
            if line == b"END":
                return out
            parts = line.split()
            if len(parts) >= 3 and parts[0] == b"STAT":
                out[parts[1].decode()] = parts[2].decode()
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per socket operation")
    ap.add_argument("--deadline", type=float, default=60.0, help="seconds for the whole run")
    args = ap.parse_args()
    start = time.monotonic()
    args.stop_at = start + args.deadline

    before = stats(args.port, args.timeout)
    shared_key = b"vigil:shared:%d" % os.getpid()
    setup = Conn(args.port, args.timeout)
    setup.store(b"set", shared_key, b"0")
    setup.close()

    errors = []
    counters = {"lock": threading.Lock(), "gets": 0, "done": 0}
    barrier = threading.Barrier(args.connections, timeout=args.timeout)
    threads = [threading.Thread(target=worker, daemon=True,
                                args=(i, args, shared_key, barrier, errors, counters))
               for i in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, args.stop_at + args.timeout - time.monotonic()))
    hung = sum(t.is_alive() for t in threads)
    if hung:
        errors.append("%d connections still running after the deadline" % hung)

    if not errors:
        check = Conn(args.port, args.timeout)
        got = check.get_many([shared_key])
        check.close()
        want = str(args.connections * args.rounds).encode()
        if got.get(shared_key, (0, b""))[1] != want:
            errors.append("shared counter is %r, expected %r (lost increments)"
                          % (got.get(shared_key), want))
        after = stats(args.port, args.timeout)
        made = counters["gets"] + 1   # keys looked up, + the shared-counter check
        counted = int(after.get("cmd_get", 0)) - int(before.get("cmd_get", 0))
        if counted != made:
            errors.append("stats cmd_get grew by %d, we looked up %d keys" % (counted, made))

    elapsed = time.monotonic() - start
    if errors:
        for e in errors[:10]:
            print("memcached-client: ERROR:", e, file=sys.stderr)
        if len(errors) > 10:
            print("memcached-client: ... %d more errors" % (len(errors) - 10), file=sys.stderr)
        return 1
    print("memcached-client: %d connections x %d rounds verified (%d keys read, shared "
          "counter %d) in %.1f s" % (args.connections, args.rounds, counters["gets"],
                                     args.connections * args.rounds, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
