#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_tcpconn (fuzz/net/corpus/tcpconn/): hand-built action sequences
(handshakes on the passive and the active side, data both ways, SACK, close, RST, timers,
corrupted segments) in the record format described at the top of fuzz_tcpconn.c."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "tcpconn")
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
# seq bases: RCV.NXT the stack acked, our SND.NXT, our ISN, right window edge
S_RCV, S_NXT, S_ISS, S_EDGE = 0, 1, 2, 3
# ack bases: the stack's SND.NXT, its ISN + 1, our last ACK, zero
A_NXT, A_ISS, A_LAST, A_ZERO = 0, 1, 2, 3


def seg(conn, flags, seqb=S_RCV, ackb=A_NXT, soff=0, aoff=0, win=255, plen=0, big=False,
        mss=None, ws=None, sackp=False, ts=None, sack=None, shape=2, op=0, scales=0):
    optm = (1 if mss is not None else 0) | (2 if ws is not None else 0) | (4 if sackp else 0) | \
        (8 if ts is not None else 0) | (16 if sack else 0) | (32 if big else 0)
    b0 = conn | seqb << 2 | ackb << 4 | shape << 6
    out = bytes([op, b0, flags]) + struct.pack("!hh", soff, aoff) + bytes([scales, win, optm, plen])
    if mss is not None:
        out += bytes([mss // 8])
    if ws is not None:
        out += bytes([ws])
    if ts is not None:
        out += bytes([ts[0], ts[1] & 0xFF])
    if sack:
        out += bytes([len(sack) - 1])
        for off, scale, ln in sack:
            out += struct.pack("!h", off) + bytes([scale, ln])
    return out


def clock(b):
    return bytes([3, b])


def app(which, op, arg=0):
    return bytes([4, which, op, arg])


ACCEPT, READ, WRITE, SHUT_WR, SHUT_RD, CLOSE, LINGER0, NODELAY, KEEPALIVE, CONNECT, RELISTEN = range(11)
READ_ALL, BUFSIZE, MAXSEG = 11, 14, 15


def icmp(conn, kind, mtu=0, soff=0):
    # kind: 0 net unreachable, 1 host unreachable, 2 port unreachable, 3 frag needed (mtu * 8)
    return bytes([8, conn | kind << 2, mtu]) + struct.pack("!h", soff)
SYNOPTS = dict(mss=1456, ws=7, sackp=True, ts=(1, 0))


def passive_data_close():
    return (seg(1, SYN, S_ISS, A_ZERO, **SYNOPTS)
            + seg(1, ACK, S_NXT, A_NXT, plen=100, ts=(1, 0))
            + app(0, ACCEPT) + app(1, READ, 10) + app(1, WRITE, 50) + clock(25)
            + seg(1, ACK, S_NXT, A_NXT, ts=(1, 0)) + seg(1, FIN | ACK, S_NXT, A_NXT, ts=(1, 0))
            + app(1, READ, 10) + app(1, READ, 10) + app(1, CLOSE)
            + seg(1, ACK, S_NXT, A_NXT, ts=(1, 0)) + clock(0xf0) + clock(0xf0) + clock(34))


def active_data_close():
    return (seg(0, SYN | ACK, S_ISS, A_ISS, **SYNOPTS) + clock(20)
            + app(0, WRITE, 200) + seg(0, ACK, S_NXT, A_NXT, plen=180, big=True, ts=(1, 0))
            + app(0, READ, 255) + app(0, SHUT_WR) + seg(0, ACK, S_NXT, A_NXT, ts=(2, 0))
            + seg(0, FIN | ACK, S_NXT, A_NXT, ts=(3, 0)) + app(0, READ, 1) + clock(0xf0)
            + app(0, CLOSE) + clock(0xf0) + clock(0xf0))


def sack_ooo():
    # Out-of-order data with a hole, SACK blocks over what the stack sent, then the hole.
    return (seg(2, SYN, S_ISS, A_ZERO, **SYNOPTS) + seg(2, ACK, S_NXT, A_NXT)
            + app(1, ACCEPT) + app(1, WRITE, 255) + app(1, WRITE, 255)
            + seg(2, ACK, S_NXT, A_ISS, soff=1000, plen=100, sackp=False,
                  sack=[(1000, 0, 40), (3000, 0, 20)])
            + seg(2, ACK, S_RCV, A_ISS, plen=125, big=True, sack=[(1500, 0, 60)])
            + app(1, READ, 255) + clock(0xf0) + clock(0xf0) + seg(2, ACK, S_NXT, A_NXT)
            + app(1, LINGER0) + app(1, CLOSE))


def resets_and_timers():
    return (seg(3, SYN, S_ISS, A_ZERO, **SYNOPTS) + seg(3, ACK, S_NXT, A_NXT)
            + app(0, ACCEPT) + app(1, KEEPALIVE, 0x11) + app(1, NODELAY, 1) + app(1, WRITE, 3)
            + clock(0xf0) + clock(0xf0) + clock(0xf0) + clock(0xf0)
            + seg(3, RST, S_RCV, A_NXT, soff=5) + seg(3, RST, S_RCV, A_NXT)
            + app(1, READ, 3) + app(1, CLOSE)
            + seg(0, SYN | ACK, S_ISS, A_ISS) + seg(0, ACK, S_NXT, A_NXT, win=0)
            + app(0, WRITE, 100) + clock(0xf0) + clock(0xf0) + seg(0, ACK, S_NXT, A_NXT, win=255)
            + app(0, CONNECT) + clock(0xf0) + clock(0xf0))


def corrupted():
    out = seg(1, SYN, S_ISS, A_ZERO, **SYNOPTS) + seg(1, ACK, S_NXT, A_NXT) + app(0, ACCEPT)
    out += seg(1, ACK, S_NXT, A_NXT, plen=10, op=6) + bytes([0, 1])      # bad checksum
    out += seg(1, ACK, S_NXT, A_NXT, plen=10, op=6) + bytes([1, 13])     # truncated header
    out += seg(1, ACK, S_NXT, A_NXT, plen=10, op=6) + bytes([2, 0xf0])   # data offset 15
    out += seg(1, ACK, S_NXT, A_NXT, plen=10, op=6) + bytes([4, 3])      # IP total short
    # Raw options: MSS with length 3, unknown kind 99 length 6, a lone kind with no length.
    raw = bytes([2, 3, 5, 99, 6, 1, 2, 3, 4, 30])
    out += seg(1, ACK, S_NXT, A_NXT, plen=7, op=7) + bytes([len(raw)]) + raw
    out += app(1, READ, 5) + app(1, SHUT_RD) + app(1, CLOSE) + clock(0xf0)
    return out


def small_buffers_icmp():
    # A small receive buffer fills (zero window, window update on read); frag needed shrinks
    # the MSS of a connection with data in flight; a port unreachable on the active side.
    return (seg(1, SYN, S_ISS, A_ZERO, **SYNOPTS) + seg(1, ACK, S_NXT, A_NXT) + app(0, ACCEPT)
            + app(1, BUFSIZE, 0) + app(1, MAXSEG, 100) + app(1, WRITE, 100)
            + icmp(1, 3, mtu=72, soff=-100) + clock(0xf0)
            + b"".join(seg(1, ACK, S_NXT, A_NXT, plen=180, big=True) for _ in range(4))
            + app(1, READ_ALL) + seg(1, ACK, S_NXT, A_NXT) + clock(0xf0)
            + icmp(0, 2) + clock(0xf0) + app(0, READ, 1))


def syn_cookie():
    # Three SYNs on a backlog of 2: the third is answered with a SYN cookie, its ACK makes the
    # connection; data both ways on it.
    return (seg(1, SYN, S_ISS, A_ZERO, **SYNOPTS) + seg(2, SYN, S_ISS, A_ZERO, **SYNOPTS)
            + seg(3, SYN, S_ISS, A_ZERO, **SYNOPTS) + seg(3, ACK, S_NXT, A_NXT, ts=(1, 0))
            + app(0, ACCEPT) + app(1, WRITE, 10) + seg(3, ACK, S_NXT, A_NXT, plen=50, ts=(1, 0))
            + app(1, READ_ALL) + app(1, CLOSE) + seg(3, FIN | ACK, S_NXT, A_NXT, ts=(2, 0)) + clock(0xf0))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, fn in [("passive_data_close", passive_data_close), ("active_data_close", active_data_close),
                     ("sack_ooo", sack_ooo), ("resets_and_timers", resets_and_timers),
                     ("corrupted", corrupted), ("small_buffers_icmp", small_buffers_icmp),
                     ("syn_cookie", syn_cookie)]:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(fn())


if __name__ == "__main__":
    main()
