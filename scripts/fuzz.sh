#!/usr/bin/env bash
# Runs every libFuzzer target in a fuzz build for FUZZ_SECONDS each, starting from the
# checked-in seed corpus (copied, so runs never rewrite the repository).
# Prints "PASS name" or "FAIL name" per target. Usage: scripts/fuzz.sh [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/fuzz}
seconds=${FUZZ_SECONDS:-600}
if [[ ! -f $dir/build.ninja ]]; then
	CC=clang meson setup "$dir" --buildtype=debugoptimized -Dfuzz=true -Dinterop=false -Db_lundef=false \
		-Db_sanitize=address,undefined -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >/dev/null
fi
ninja -C "$dir" >/dev/null || { echo "FAIL build"; exit 1; }
status=0
for target in $(find "$dir/fuzz" -type f -name 'fuzz_*' -perm -u+x | sort); do
	name=$(basename "$target"); name=${name#fuzz_}
	seeds=$(find fuzz -type d -path "*/corpus/$name" | head -1)
	work=$(mktemp -d)
	[[ -n $seeds ]] && cp -r "$seeds"/. "$work"/
	artifacts=$dir/fuzz-artifacts/$name/
	mkdir -p "$artifacts"
	echo "--- $name: ${seconds}s"
	if ASAN_OPTIONS=detect_leaks=1 "$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
		-artifact_prefix="$artifacts" -print_final_stats=1 "$work" >"$dir/fuzz-$name.log" 2>&1; then
		grep -E 'stat::number_of_executed_units|cov:' "$dir/fuzz-$name.log" | tail -2
		echo "PASS $name"
	else
		tail -40 "$dir/fuzz-$name.log"
		echo "FAIL $name"
		status=1
	fi
	rm -rf "$work"
done
exit $status
