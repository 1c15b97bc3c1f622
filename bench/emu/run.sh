#!/usr/bin/env bash
# Runs the emulator benchmarks and draws the delay-accuracy plot.
# Usage: bench/emu/run.sh [BUILD_DIR]   (default build/normal); writes bench/emu/delay.png
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/normal}
bin=$build/bench/emu/bench_emu
[[ -x $bin ]] || { echo "build first: ninja -C $build"; exit 1; }
"$bin" pps
echo
"$bin" sched
echo
"$bin" hold
echo
csv=$(mktemp /tmp/ust-emu-delay.XXXXXX.csv)
trap 'rm -f "$csv"' EXIT
"$bin" delay "$csv"
/usr/bin/python3 bench/emu/plot_delay.py "$csv" bench/emu/delay.png && echo "plot: bench/emu/delay.png"
