#!/usr/bin/python3
"""Plot the emulator's delay error on the real clock (bench_emu delay CSV) to a PNG:
one CDF of (measured one-way delay - configured delay) per timer granularity."""
import csv
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_delay.py SAMPLES.csv OUT.png")
    by_gran = defaultdict(list)
    with open(sys.argv[1]) as f:
        for row in csv.DictReader(f):
            by_gran[int(row["granularity_ns"])].append(int(row["error_ns"]) / 1000.0)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for gran in sorted(by_gran, reverse=True):
        v = sorted(by_gran[gran])
        n = len(v)
        p50, p99 = v[n // 2], v[n * 99 // 100]
        ax.plot(v, [(i + 1) / n for i in range(n)],
                label=f"tick {gran / 1000:g} us (p50 {p50:.0f} us, p99 {p99:.0f} us)")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("delay error: measured - configured 10 ms (us)")
    ax.set_ylabel("fraction of frames")
    ax.set_title("ustack emulator: one-way delay error on the real clock")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
