#!/usr/bin/env bash
# Runs the benchmarks under bench/ and prints their figures (docs/BENCHMARKS.md records them).
#   scripts/bench.sh [BUILD_DIR] [SECTION...]    sections: micro wire emu net tcp (default: all)
# The net and tcp sections need root: they create their own network namespaces.
# Benchmarks never run inside `make check`; the machine's noise is discussed in docs/BENCHMARKS.md.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/normal}
shift || true
sections=("$@")
[[ ${#sections[@]} -eq 0 ]] && sections=(micro wire emu net tcp)

if [[ ! -f $build/build.ninja ]]; then
	meson setup "$build" --buildtype=debugoptimized >/dev/null
fi
ninja -C "$build" >/dev/null || { echo "bench: build failed" >&2; exit 1; }

status=0
run() { # title, command...
	printf '\n=== %s: %s ===\n' "$1" "${*:2}"
	"${@:2}" || { echo "bench: '$1' failed" >&2; status=1; }
}

for s in "${sections[@]}"; do
	case $s in
	micro) run micro env BUILD="$build" scripts/bench-micro.sh ;;
	wire) run wire "$build/bench/wire/bench_checksum" ;;
	emu) run emu bench/emu/run.sh "$build" ;;
	net)
		run net-pair "$build/tests/sim/net/bench_net_pair" 1
		run net-icmp-pps bench/net/icmp-pps.sh "$build"
		run net-ping-latency bench/net/ping-latency.sh "$build"
		;;
	tcp)
		run tcp-blocks "$build/bench/tcp/bench_tcp"
		for script in bench/tcp/*.sh; do
			[[ -x $script ]] && run "tcp-$(basename "$script" .sh)" "$script" "$build"
		done
		;;
	*) echo "bench: unknown section '$s' (micro wire emu net tcp)" >&2; exit 2 ;;
	esac
done
exit $status
