#!/usr/bin/env python3
"""gc_burst.py — put several frames into ONE approverd loop pass (tests only).

    gc_burst.py SOCK DAEMON_PID JSON [JSON...]

Opens one connection per JSON frame, makes sure the daemon has accepted each
(a health round trip on it), stops the
daemon (SIGSTOP), writes every frame, resumes it (SIGCONT): its next
epoll_wait sees all of them ready, so they are handled in the same pass and
share one group commit (approverd/daemon/daemon.h). A JSON argument with a
newline is several frames for ONE connection, written together (pipelined:
approverd then checks a `submit` among them inline, in the same pass, not on
its verifier thread). Then reads one reply per
connection and prints "reply I JSON" (I = argument index from 0), or
"reply I none" when nothing came within 10 s. Exit 0 unless the socket could
not be used (exit 1) or the arguments are wrong (exit 2).
"""
import os
import signal
import socket
import struct
import sys
import time


def read_frame(s, deadline):
    buf = b""
    while True:
        if len(buf) >= 4:
            n = struct.unpack(">I", buf[:4])[0]
            if len(buf) >= 4 + n:
                return buf[4:4 + n].decode("utf-8", "replace")
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return None
        if not chunk:
            return None
        buf += chunk


def wait_stopped(pid):
    """True once /proc/PID/stat says the process is stopped (T)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state in ("T", "t"):
            return True
        time.sleep(0.001)
    return False


def main(argv):
    if len(argv) < 4:
        print("usage: gc_burst.py SOCK DAEMON_PID JSON [JSON...]",
              file=sys.stderr)
        return 2
    path, pid, frames = argv[1], int(argv[2]), argv[3:]
    conns = []
    try:
        for _ in frames:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            conns.append(s)
    except OSError as e:
        print("error connect: %s" % e)
        return 1
    # every connection accepted and registered before the stop: a health
    # round trip on each proves it (a fixed sleep was not enough on a
    # loaded machine under ASan: late accepts fell into later passes)
    health = b'{"v":1,"op":"health"}'
    for s in conns:
        s.sendall(struct.pack(">I", len(health)) + health)
        if read_frame(s, time.monotonic() + 30) is None:
            print("error: no health reply before the burst")
            return 1
    os.kill(pid, signal.SIGSTOP)
    # kill() returns before the daemon has stopped: on a loaded machine it
    # could still see the first frame alone in one more pass; wait for it
    if not wait_stopped(pid):
        os.kill(pid, signal.SIGCONT)
        print("error: the daemon did not stop")
        return 1
    try:
        for s, f in zip(conns, frames):
            data = b""
            for part in f.split("\n"):
                body = part.encode("utf-8")
                data += struct.pack(">I", len(body)) + body
            s.sendall(data)
    finally:
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 10
    for i, s in enumerate(conns):
        r = read_frame(s, deadline)
        print("reply %d %s" % (i, r if r is not None else "none"))
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
