#!/usr/bin/env bash
# Runs every libFuzzer target in a fuzz build for FUZZ_SECONDS each, FUZZ_JOBS at a time,
# starting from the checked-in seed corpus (copied, so runs never rewrite the repository).
# Prints "PASS name" or "FAIL name" per target. Usage: scripts/fuzz.sh [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/fuzz}
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
if [[ ! -f $dir/build.ninja ]]; then
	CC=clang meson setup "$dir" --buildtype=debugoptimized -Dfuzz=true -Dinterop=false -Db_lundef=false \
		-Db_sanitize=address,undefined -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >/dev/null
fi
ninja -C "$dir" $(meson introspect "$dir" --targets |
	python3 -c 'import json,os,sys
root=os.path.abspath(sys.argv[1])
print(" ".join(os.path.relpath(t["filename"][0], root) for t in json.load(sys.stdin)
      if t["type"] == "executable" and t["name"].startswith("fuzz_")))' "$dir") >/dev/null ||
	{ echo "FAIL build"; exit 1; }

# One target: fuzz for $seconds from a copy of its seeds; leaves "PASS name"/"FAIL name" and
# the tail of the log in $dir/fuzz-$name.result.
run_target() { # executable
	local target=$1 name seeds work artifacts log
	name=$(basename "$target"); name=${name#fuzz_}
	seeds=$(find fuzz -type d -path "*/corpus/$name" | head -1)
	work=$(mktemp -d)
	[[ -n $seeds ]] && cp -r "$seeds"/. "$work"/
	artifacts=$dir/fuzz-artifacts/$name/
	log=$dir/fuzz-$name.log
	mkdir -p "$artifacts"
	{
		echo "--- $name: ${seconds}s"
		if ASAN_OPTIONS=detect_leaks=1 "$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
			-artifact_prefix="$artifacts" -print_final_stats=1 "$work" >"$log" 2>&1; then
			grep -E 'stat::number_of_executed_units|DONE' "$log" | tail -2
			echo "PASS $name"
		else
			tail -40 "$log"
			echo "FAIL $name"
		fi
	} >"$dir/fuzz-$name.result"
	rm -rf "$work"
}

targets=$(find "$dir/fuzz" -type f -name 'fuzz_*' -perm -u+x | sort)
running=0
for target in $targets; do
	run_target "$target" &
	running=$((running + 1))
	if [[ $running -ge $jobs ]]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
status=0
for target in $targets; do
	name=$(basename "$target"); name=${name#fuzz_}
	cat "$dir/fuzz-$name.result"
	grep -q "^PASS $name" "$dir/fuzz-$name.result" || status=1
done
exit $status
