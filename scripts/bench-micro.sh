#!/usr/bin/env bash
# Foundation micro-benchmarks (bench/micro): builds build/normal (gcc, debugoptimized = -O2 -g)
# if needed, runs each program RUNS times (default 5) and prints the median of every figure,
# one "label: value unit" line each, as recorded in docs/BENCHMARKS.md.
#   scripts/bench-micro.sh            # 5 runs
#   RUNS=9 scripts/bench-micro.sh     # more runs on a noisy machine
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build/normal}
runs=${RUNS:-5}

if [[ ! -f $build/build.ninja ]]; then
	meson setup "$build" --buildtype=debugoptimized >/dev/null
fi
ninja -C "$build" bench/micro/bench_micro_pool bench/micro/bench_micro_ring \
	bench/micro/bench_micro_timer >/dev/null

echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "# median of $runs runs"
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
for ((i = 0; i < runs; i++)); do
	for b in pool ring timer; do
		"$build/bench/micro/bench_micro_$b" >>"$raw"
	done
done
# Lines are "label: value unit"; group by label (first-seen order), print the median value.
python3 - "$raw" <<'PY'
import sys, statistics
order, vals, units = [], {}, {}
for line in open(sys.argv[1]):
    label, _, rest = line.strip().rpartition(": ")
    if not label:
        continue
    value, unit = rest.split(" ", 1)
    if label not in vals:
        order.append(label)
        vals[label] = []
    vals[label].append(float(value))
    units[label] = unit
for label in order:
    v = sorted(vals[label])
    print(f"{label}: {statistics.median(v):.1f} {units[label]}  (min {v[0]:.1f}, max {v[-1]:.1f})")
PY
