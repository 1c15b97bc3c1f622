#!/usr/bin/env python3
"""Linux-side UDP peer for the net interop tests (runs inside the test's namespace).

  echo HOST PORT SIZE...      send one datagram of random bytes per size to an echo server,
                              wait for it to come back, compare byte for byte
  recv IP PORT OUT [SECONDS]  receive one datagram, write its payload to OUT
  send HOST PORT FILE         send FILE's bytes as one datagram
  refused HOST PORT           connected socket: send, expect ECONNREFUSED from the ICMP
                              port unreachable that comes back
Exit status 0 when everything matched, 1 otherwise.
"""
import os
import socket
import sys


def echo(host, port, sizes):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect((host, port))
    s.settimeout(2.0)
    ok = True
    for size in sizes:
        data = os.urandom(size)
        got = None
        for attempt in range(3):  # the first may wait for ARP; loss is not what we test
            s.send(data)
            try:
                got = s.recv(65536)
                while got != data and got is not None:
                    got = s.recv(65536)  # a late echo of an earlier attempt
                break
            except socket.timeout:
                print(f"size {size}: no echo (attempt {attempt + 1})")
        if got == data:
            print(f"size {size}: echoed intact")
        else:
            ok = False
            print(f"size {size}: FAILED ({'none' if got is None else len(got)} bytes back)")
    return 0 if ok else 1


def recv(ip, port, out, seconds=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((ip, port))
    s.settimeout(seconds)
    print("ready", flush=True)
    try:
        data, peer = s.recvfrom(65536)
    except socket.timeout:
        print("nothing received")
        return 1
    with open(out, "wb") as f:
        f.write(data)
    print(f"received {len(data)} bytes from {peer[0]}:{peer[1]}")
    return 0


def send(host, port, path):
    with open(path, "rb") as f:
        data = f.read()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(data, (host, port))
    print(f"sent {len(data)} bytes")
    return 0


def refused(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    s.settimeout(1.0)
    for _ in range(5):
        try:
            s.send(b"anyone there?")
            s.recv(100)
            print("unexpected answer")
            return 1
        except ConnectionRefusedError:
            print("ECONNREFUSED: Connection refused")
            return 0
        except socket.timeout:
            continue
    print("no error reported")
    return 1


def main(argv):
    cmd = argv[1]
    if cmd == "echo":
        return echo(argv[2], int(argv[3]), [int(x) for x in argv[4:]])
    if cmd == "recv":
        return recv(argv[2], int(argv[3]), argv[4], float(argv[5]) if len(argv) > 5 else 10.0)
    if cmd == "send":
        return send(argv[2], int(argv[3]), argv[4])
    if cmd == "refused":
        return refused(argv[2], int(argv[3]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
