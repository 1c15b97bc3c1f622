#!/usr/bin/env bash
# Builds every configuration and runs the whole suite in each:
#   normal  gcc, -O2 -g               all suites except tsan
#   asan    gcc, ASan+UBSan, leaks fatal   all suites except tsan
#   tsan    clang, ThreadSanitizer: builds everything (the clang -Werror build), runs the
#           tsan suite (ring stress between threads)
#   fuzz    clang, libFuzzer + ASan/UBSan: builds the fuzz targets, runs each briefly
#           (FUZZ_CHECK_SECONDS, default 10; FUZZ_JOBS at a time)
# The last line printed is "N passed, N failed, N skipped"; the exit status is non-zero when N failed > 0.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
fuzz_seconds=${FUZZ_CHECK_SECONDS:-10}
passed=0
failed=0
skipped=0
failures=()
skips=()

note() { printf '\n=== %s ===\n' "$*"; }

configure() { # dir, compiler, meson args...
	local dir=$1 compiler=$2; shift 2
	if [[ ! -f $dir/build.ninja ]]; then
		CC=$compiler meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"; return 1; }
	fi
}

build() { # dir [targets...]: everything, or only the named targets
	local dir=$1; shift
	ninja -C "$dir" -j "$jobs" "$@" >"$dir.build.log" 2>&1 || { tail -60 "$dir.build.log"; return 1; }
}

setup() { # dir, compiler, meson args...: configure and build everything
	configure "$@" && build "$1"
}

# Build-directory-relative paths of the fuzz target executables.
fuzz_targets() { # dir
	meson introspect "$1" --targets | python3 -c '
import json, os, sys
root = os.path.abspath(sys.argv[1])
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].startswith("fuzz_"):
        print(os.path.relpath(t["filename"][0], root))' "$1"
}

count_meson_results() { # dir, label
	local dir=$1 label=$2
	local out
	out=$(python3 - "$dir/meson-logs/testlog.json" "$label" <<'PY'
import json, sys
path, label = sys.argv[1], sys.argv[2]
ok = bad = skip = 0
names = []
try:
    lines = open(path).read().splitlines()
except OSError:
    lines = []
for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    if t["result"] in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif t["result"] == "SKIP":
        skip += 1
        names.append(f"skipped {label}: {t['name']}")
    else:
        bad += 1
        names.append(f"{label}: {t['name']} ({t['result']})")
print(ok, bad, skip)
for n in names:
    print(n)
PY
)
	local first
	first=$(head -1 <<<"$out")
	local ok bad skip
	read -r ok bad skip <<<"$first"
	passed=$((passed + ok))
	failed=$((failed + bad))
	skipped=$((skipped + skip))
	while IFS= read -r l; do
		case $l in
		"") ;;
		skipped*) skips+=("${l#skipped }") ;;
		*) failures+=("$l") ;;
		esac
	done < <(tail -n +2 <<<"$out")
}

# Run one configuration's tests into a log; counted later by count_meson_results.
start_suites() { # dir, log, meson test args...
	local dir=$1 log=$2; shift 2
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "$@" >"$log" 2>&1
}

report_suites() { # dir, label, log
	note "$2 tests"
	grep -E '^ *[0-9]+/[0-9]+ ' "$3" | grep -vE ' OK | SKIP ' | tail -n 40
	sed -n '/^Ok:/,/^Timeout:/p' "$3"
	grep -A 30 -E '^=+ [0-9]+/[0-9]+ =+$' "$3" | head -n 200 || true
	count_meson_results "$1" "$2"
}

build_failed() { # label
	failed=$((failed + 1)); failures+=("$1: build failed")
}

mkdir -p build

note "normal build (gcc)"
normal_ok=0
if setup build/normal gcc --buildtype=debugoptimized; then normal_ok=1; else build_failed normal; fi

note "sanitizer build (gcc, ASan+UBSan, leaks fatal)"
asan_ok=0
if setup build/asan gcc --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args='-fno-sanitize-recover=all -fno-omit-frame-pointer'; then asan_ok=1; else build_failed asan; fi

# The two configurations' suites run side by side: most interop time is spent waiting on the
# network, and every interop test names its namespaces uniquely, so they never collide.
note "running the normal and sanitizer suites side by side"
pids=()
[[ $normal_ok == 1 ]] && { start_suites build/normal build/normal-test.log --no-suite tsan & pids+=($!); }
[[ $asan_ok == 1 ]] && { start_suites build/asan build/asan-test.log --no-suite tsan & pids+=($!); }
[[ ${#pids[@]} -gt 0 ]] && wait "${pids[@]}"
[[ $normal_ok == 1 ]] && report_suites build/normal normal build/normal-test.log
[[ $asan_ok == 1 ]] && report_suites build/asan asan build/asan-test.log

note "thread-sanitizer build (clang, everything: this is also the clang -Werror build)"
if setup build/tsan clang --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false -Dinterop=false; then
	start_suites build/tsan build/tsan-test.log --suite tsan
	report_suites build/tsan tsan build/tsan-test.log --no-rebuild
else build_failed tsan; fi

note "fuzz build (clang, libFuzzer) and short fuzz runs (${fuzz_seconds}s each)"
# Only the fuzz targets (and the library under them) are built here.
if configure build/fuzz clang --buildtype=debugoptimized -Dfuzz=true -Dinterop=false -Db_lundef=false \
	-Db_sanitize=address,undefined -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' &&
	build build/fuzz $(fuzz_targets build/fuzz); then
	FUZZ_SECONDS=$fuzz_seconds FUZZ_JOBS=$jobs scripts/fuzz.sh build/fuzz >build/fuzz-run.log 2>&1
	tail -n 20 build/fuzz-run.log
	while read -r verdict name; do
		case $verdict in
		PASS) passed=$((passed + 1)) ;;
		FAIL) failed=$((failed + 1)); failures+=("fuzz: $name") ;;
		esac
	done < <(grep -E '^(PASS|FAIL) ' build/fuzz-run.log)
else build_failed fuzz; fi

if [[ ${#failures[@]} -gt 0 ]]; then
	note "failures"
	printf '%s\n' "${failures[@]}"
fi
if [[ ${#skips[@]} -gt 0 ]]; then
	note "skipped (a test that skips proves nothing: see its log for why)"
	printf '%s\n' "${skips[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
