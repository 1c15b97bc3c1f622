#!/usr/bin/env python3
"""Cuts the seed corpora under fuzz/wire/corpus/<target>/ from the known-good Linux frames in
tests/data/frames/*.pcap, in each target's input format (see the comment atop fuzz_<target>.c):
eth/arp/icmp take the bytes of their layer; ipv4 and frame a flags byte first; udp and tcp a
flags byte, the source and the destination address first. Run from anywhere; rewrites the
corpus directories."""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
frames_dir = os.path.join(here, '..', '..', 'tests', 'data', 'frames')
out_dir = os.path.join(here, 'corpus')
MAX_PER_TARGET = 8
MAX_BYTES = 700


def read_pcap(path):
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


corpus = {t: [] for t in ('eth', 'arp', 'ipv4', 'icmp', 'udp', 'tcp', 'frame')}


def add(target, blob):
    if len(blob) <= MAX_BYTES and blob not in corpus[target]:
        corpus[target].append(blob)


for name in sorted(os.listdir(frames_dir)):
    if not name.endswith('.pcap'):
        continue
    for frame in read_pcap(os.path.join(frames_dir, name)):
        add('eth', frame[:14])
        add('frame', b'\x00' + frame)
        ethertype = struct.unpack('>H', frame[12:14])[0]
        l3 = frame[14:]
        if ethertype == 0x0806:
            add('arp', l3)
            continue
        if ethertype != 0x0800:
            continue
        add('ipv4', b'\x00' + l3)
        ihl = (l3[0] & 0xf) * 4
        total = struct.unpack('>H', l3[2:4])[0]
        frag = struct.unpack('>H', l3[6:8])[0]
        if frag & 0x3fff:
            continue
        proto, src, dst = l3[9], l3[12:16], l3[16:20]
        l4 = l3[ihl:total]
        if proto == 1:
            add('icmp', l4)
        elif proto == 17:
            add('udp', b'\x00' + src + dst + l4)
        elif proto == 6:
            add('tcp', b'\x00' + src + dst + l4)

for target, blobs in corpus.items():
    d = os.path.join(out_dir, target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        os.remove(os.path.join(d, old))
    # Prefer variety: spread the picks over the list rather than the first few.
    step = max(1, len(blobs) // MAX_PER_TARGET)
    for i, blob in enumerate(blobs[::step][:MAX_PER_TARGET]):
        with open(os.path.join(d, '%s-%02d' % (target, i)), 'wb') as f:
            f.write(blob)
    print(target, min(len(blobs), MAX_PER_TARGET), file=sys.stderr)
