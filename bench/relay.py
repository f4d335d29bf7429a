#!/usr/bin/env python3
"""relay.py: a TCP relay that delays every byte by DELAY_MS in each
direction, for benchmarks over a slow link (this kernel has no netem).

    relay.py LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT DELAY_MS

Each accepted connection gets its own connection to the target.  Data is
read as soon as it arrives, stamped, and written DELAY_MS later, so the
relay adds latency without adding a window of its own (up to 64 MiB
buffered per direction).  Runs until killed.
"""
import collections
import socket
import sys
import threading
import time

CHUNK = 256 * 1024
MAX_BUFFERED = 64 << 20


def pump(src, dst, delay):
    q = collections.deque()
    cv = threading.Condition()
    state = {"bytes": 0, "eof": False}

    def reader():
        while True:
            try:
                data = src.recv(CHUNK)
            except OSError:
                data = b""
            with cv:
                while state["bytes"] > MAX_BUFFERED:
                    cv.wait()
                q.append((time.monotonic() + delay, data))
                state["bytes"] += len(data)
                cv.notify_all()
            if not data:
                return

    def writer():
        while True:
            with cv:
                while not q:
                    cv.wait()
                due, data = q[0]
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with cv:
                q.popleft()
                state["bytes"] -= len(data)
                cv.notify_all()
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            try:
                dst.sendall(data)
            except OSError:
                src.close()
                return

    for f in (reader, writer):
        threading.Thread(target=f, daemon=True).start()


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: relay.py LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT DELAY_MS")
    laddr, lport, taddr, tport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    delay = float(sys.argv[5]) / 1000.0
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((laddr, lport))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        try:
            t = socket.create_connection((taddr, tport), timeout=10)
        except OSError:
            c.close()
            continue
        t.settimeout(None)
        for s in (c, t):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pump(c, t, delay)
        pump(t, c, delay)


if __name__ == "__main__":
    main()
