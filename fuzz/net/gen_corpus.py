#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_stack (fuzz/net/corpus/stack/): valid frames towards the
stack at 10.0.0.2 (ARP request, UDP to port 7, ICMP echo, a fragmented datagram, overlapping
fragments) so the fuzzer starts deep inside the protocols. Run from anywhere."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "stack")
MAC_B = bytes([2, 0, 10, 0, 0, 2])
MAC_A = bytes([2, 0, 10, 0, 0, 1])
IP_A = bytes([10, 0, 0, 1])
IP_B = bytes([10, 0, 0, 2])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, etype, payload):
    return dst + MAC_A + struct.pack("!H", etype) + payload


def ip(proto, payload, ident=1, off=0, mf=False):
    flags = (0x2000 if mf else 0) | (off // 8)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto, 0, IP_A, IP_B)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return eth(MAC_B, 0x0800, h + payload)


def udp(sport, dport, data):
    l = 8 + len(data)
    pseudo = IP_A + IP_B + struct.pack("!BBH", 0, 17, l)
    h = struct.pack("!HHHH", sport, dport, l, 0)
    c = csum(pseudo + h + data) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, l, c) + data


def icmp_echo(ident, seq, data):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    c = csum(h + data)
    return struct.pack("!BBHHH", 8, 0, c, ident, seq) + data


def arp(op, tpa):
    return eth(b"\xff" * 6, 0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, MAC_A, IP_A, b"\0" * 6, tpa))


def rec(frame, ctrl=0):
    return struct.pack("!BH", ctrl, len(frame)) + frame


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    seeds["arp_then_udp"] = rec(arp(1, IP_B)) + rec(ip(17, udp(1000, 7, b"hello")), 0x10)
    seeds["ping"] = rec(arp(1, IP_B)) + rec(ip(1, icmp_echo(7, 1, b"x" * 56)), 0x10)
    big = udp(1000, 7, bytes(range(256)) * 12)
    frags = [(big[i:i + 1480], i, i + 1480 < len(big)) for i in range(0, len(big), 1480)]
    seeds["fragments"] = rec(arp(1, IP_B)) + b"".join(
        rec(ip(17, p, ident=9, off=o, mf=m), 0x10) for p, o, m in reversed(frags))
    seeds["overlap"] = rec(ip(17, big[0:48], ident=5, mf=True)) + rec(ip(17, big[24:72], ident=5, off=24, mf=True))
    seeds["timeout"] = rec(ip(17, big[0:1480], ident=6, mf=True)) + rec(b"", 15) + rec(b"", 15)
    seeds["send_and_resolve"] = rec(b"", 0x20) + rec(arp(2, IP_B)) + rec(b"", 11)
    seeds["closed_port"] = rec(arp(1, IP_B)) + rec(ip(17, udp(1000, 9999, b"x")))
    for name, blob in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
