#!/usr/bin/env bash
# TCP benchmarks of ustack, always side by side with Linux in the same run (needs root).
#   bash bench/tcp/bench.sh [RUNS]      (default 3 runs of each; medians reported)
# Writes bench/tcp/results.txt (every run), bench/tcp/results.csv (medians) and the plots
# bench/tcp/throughput.png and bench/tcp/rate.png. Measures:
#   1. single-flow bulk: ustack -> ustack over an in-memory pair link with big segments, like
#      veth (bench_tcp_pair bulk), and over plain 1500-byte frames (bulk1500), vs Linux iperf3
#      -> Linux over a veth pair; throughput and per CPU second
#   2. Linux iperf3 -> ustack-perf -s over TAP with offload (the default), forward and -R, vs
#      Linux-Linux veth
#   3. GoNet's figure: N = 1, 10, 50, 100 concurrent clients each sending 4 KiB per connection
#      (ustack-perf --rate -P N -n 4096 against ustack-perf --sink): two ustack stacks over a
#      veth pair (AF_PACKET) vs the same program with --kernel on both sides over a veth pair;
#      also a ustack client over TAP against a kernel sink (TAP has no AF_PACKET block latency)
#   4. 100,000 concurrent idle connections over a pair link: RSS per connection
# The machine is a shared, noisy 2-core VM: compare within one run, not across runs.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${USTACK_BUILD:-$SRC/build/normal}
PERF=$BUILD/tools/ustack-perf/ustack-perf
PAIR=$BUILD/bench/tcp/bench_tcp_pair
RUNS=${1:-3}
DUR=${TCPIO_BENCH_TIME:-5}
OUT=$HERE/results.txt
CSV=$HERE/results.csv
source "$SRC/scripts/netns.sh"
[[ $(id -u) -eq 0 ]] || { echo "needs root"; exit 1; }
[[ -x $PERF && -x $PAIR ]] || { echo "build first: ninja -C $BUILD"; exit 1; }
ns_init tcpiob
ns_tmp
T=$NS_TMP
: >"$OUT"
log() { echo "$*" | tee -a "$OUT"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
jbps() { "$NS_PY" -c "import json,sys; d=json.load(open(sys.argv[1])); e=d['end']; s=e.get('sum_received') or e['sum']; print('%.1f' % (s['bits_per_second']/1e6))" "$1"; }
jcpu() { "$NS_PY" -c "import json,sys; d=json.load(open(sys.argv[1])); c=d['end']['cpu_utilization_percent']; print('%.1f' % (c['host_total'] + c['remote_total']))" "$1"; }
log "# $(date -u +%FT%TZ) $(uname -r), $(nproc) cores; runs=$RUNS, ${DUR}s each"

# --- namespaces: K1/K2 Linux-Linux veth; TK TAP; U1/U2 ustack-ustack veth (AF_PACKET) ---
K1=$(ns_name k1); K2=$(ns_name k2); TK=$(ns_name t); U1=$(ns_name u1); U2=$(ns_name u2)
for n in "$K1" "$K2" "$TK" "$U1" "$U2"; do ns_add "$n" || exit 1; done
ns_veth "$K1" ve1 10.81.0.1/24 "$K2" ve2 10.81.0.2/24
ns_tap "$TK" ut0 10.82.0.1/24
ns_veth "$U1" vu1 "" "$U2" vu2 ""
for d in "$U1 vu1" "$U2 vu2"; do set -- $d; ip netns exec "$1" ethtool -K "$2" tso off gso off >/dev/null 2>&1; done

declare -A R
add() { R[$1]+="$2 "; log "$1 run: $2"; }
med() { tr ' ' '\n' <<<"${R[$1]:-}" | grep -v '^$' | median; }

for ((run = 1; run <= RUNS; run++)); do
	log "## run $run"
	# 1. bulk, pair link
	"$PAIR" bulk "$DUR" >"$T/pair.txt"
	add pair_gbit_wall "$(awk '/bulk_gbit_per_wall_s/ {print $2}' "$T/pair.txt")"
	add pair_gbit_cpu "$(awk '/bulk_gbit_per_cpu_s/ {print $2}' "$T/pair.txt")"
	# 1a. the same over a link of plain 1500-byte frames (no big segments, a copy per frame)
	"$PAIR" bulk1500 "$DUR" >"$T/pair.txt"
	add pair1500_gbit_wall "$(awk '/bulk_gbit_per_wall_s/ {print $2}' "$T/pair.txt")"
	add pair1500_gbit_cpu "$(awk '/bulk_gbit_per_cpu_s/ {print $2}' "$T/pair.txt")"
	# 1b. Linux-Linux veth
	ip netns exec "$K2" iperf3 -s -1 -D -p 5201 >/dev/null 2>&1; sleep 0.3
	ip netns exec "$K1" iperf3 -c 10.81.0.2 -p 5201 -t "$DUR" -J >"$T/k.json" 2>/dev/null
	kb=$(jbps "$T/k.json"); kc=$(jcpu "$T/k.json")
	add linux_veth_mbit "$kb"
	add linux_veth_gbit_cpu "$(awk -v b="$kb" -v c="$kc" 'BEGIN {printf "%.3f", b / 1000 / (c / 100)}')"
	# 2. Linux iperf3 -> ustack-perf over TAP (offload), forward and reverse
	for dir in fwd rev; do
		ns_bg "$TK" "$T/srv.txt" "$PERF" --if tap:ut0 --ip 10.82.0.2/24 -s -1 -p 5202
		sleep 0.5
		ip netns exec "$TK" iperf3 -c 10.82.0.2 -p 5202 -t "$DUR" -J $([[ $dir == rev ]] && echo -R) >"$T/t.json" 2>/dev/null
		add "tap_${dir}_mbit" "$(jbps "$T/t.json")"
		ns_stop "$NS_PID" 5 >/dev/null
	done
	ip netns exec "$K2" iperf3 -s -1 -D -p 5203 >/dev/null 2>&1; sleep 0.3
	ip netns exec "$K1" iperf3 -c 10.81.0.2 -p 5203 -t "$DUR" -R -J >"$T/k.json" 2>/dev/null
	add linux_veth_rev_mbit "$(jbps "$T/k.json")"
	# 3. connection rate, 4 KiB per connection
	for n in 1 10 50 100; do
		# a fresh server port per test: no 4-tuple left in TIME_WAIT by an earlier one
		port=$((6000 + run * 200 + n))
		ns_bg "$U2" "$T/sink.txt" "$PERF" --if afpacket:vu2 --ip 10.83.0.2/24 --sink -p $port
		sleep 0.5
		ip netns exec "$U1" "$PERF" --if afpacket:vu1 --ip 10.83.0.1/24 --rate -c 10.83.0.2 -p $port \
			-P "$n" -n 4096 -t "$DUR" -J >"$T/r.json" 2>"$T/r.err"
		add "rate_ustack_$n" "$("$NS_PY" -c "import json,sys; print('%.0f' % json.load(open(sys.argv[1]))['connections_per_second'])" "$T/r.json" 2>/dev/null || echo nan)"
		ns_stop "$NS_PID" 5 >/dev/null
		ns_bg "$K2" "$T/ksink.txt" "$PERF" --kernel --sink -p $((port + 100))
		sleep 0.5
		ip netns exec "$K1" "$PERF" --kernel --rate -c 10.81.0.2 -p $((port + 100)) -P "$n" -n 4096 -t "$DUR" -J >"$T/r.json" 2>"$T/r.err"
		add "rate_linux_$n" "$("$NS_PY" -c "import json,sys; print('%.0f' % json.load(open(sys.argv[1]))['connections_per_second'])" "$T/r.json" 2>/dev/null || echo nan)"
		ns_stop "$NS_PID" 5 >/dev/null
		# ustack client over TAP (no AF_PACKET block latency) -> Linux kernel sink
		ns_bg "$TK" "$T/tsink.txt" "$PERF" --kernel --sink -p $((port + 50))
		sleep 0.3
		ip netns exec "$TK" "$PERF" --if tap:ut0 --ip 10.82.0.2/24 --rate -c 10.82.0.1 -p $((port + 50)) \
			-P "$n" -n 4096 -t "$DUR" -J >"$T/r.json" 2>"$T/r.err"
		add "rate_ustack_tap_$n" "$("$NS_PY" -c "import json,sys; print('%.0f' % json.load(open(sys.argv[1]))['connections_per_second'])" "$T/r.json" 2>/dev/null || echo nan)"
		ns_stop "$NS_PID" 5 >/dev/null
	done
	# 4. 100k idle connections
	"$PAIR" conns 100000 >"$T/conns.txt"
	add conns_bytes_one_end "$(awk '/bytes_per_conn_one_end/ {print $2}' "$T/conns.txt")"
	add conns_per_s_pair "$(awk '/conns_per_s/ {print $2}' "$T/conns.txt")"
	add sizeof_tcb "$(awk '/sizeof_tcb/ {print $2}' "$T/conns.txt")"
done

log "## medians"
echo "metric,median,runs" >"$CSV"
for k in $(tr ' ' '\n' <<<"${!R[@]}" | sort); do
	m=$(med "$k")
	log "$k $m   (${R[$k]})"
	echo "$k,$m,${R[$k]% }" >>"$CSV"
done
"$NS_PY" - "$CSV" "$HERE" <<'PY'
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
m = {r["metric"]: float(r["median"]) for r in csv.DictReader(open(sys.argv[1])) if r["median"] != "nan"}
out = sys.argv[2]
fig, ax = plt.subplots(figsize=(7, 4))
labels = ["ustack-ustack\npair (per CPU s)", "Linux-Linux\nveth (per CPU s)", "Linux->ustack\nTAP", "ustack->Linux\nTAP (-R)", "Linux-Linux\nveth", "Linux-Linux\nveth -R"]
vals = [m.get("pair_gbit_cpu", 0), m.get("linux_veth_gbit_cpu", 0), m.get("tap_fwd_mbit", 0) / 1000,
        m.get("tap_rev_mbit", 0) / 1000, m.get("linux_veth_mbit", 0) / 1000, m.get("linux_veth_rev_mbit", 0) / 1000]
ax.bar(labels, vals, color=["C0", "C1", "C0", "C0", "C1", "C1"])
ax.set_ylabel("Gbit/s (median)")
ax.set_title("Single-flow TCP throughput (2-core VM, noisy)")
plt.xticks(fontsize=7)
fig.tight_layout()
fig.savefig(out + "/throughput.png", dpi=110)
fig, ax = plt.subplots(figsize=(6, 4))
ns = [1, 10, 50, 100]
ax.plot(ns, [m.get("rate_ustack_%d" % n, 0) for n in ns], "o-", label="ustack (AF_PACKET over veth)")
ax.plot(ns, [m.get("rate_linux_%d" % n, 0) for n in ns], "s-", label="Linux kernel (veth)")
ax.plot(ns, [m.get("rate_ustack_tap_%d" % n, 0) for n in ns], "^-", label="ustack client over TAP -> Linux sink")
ax.set_xlabel("concurrent clients"); ax.set_ylabel("connections/s (4 KiB each, median)")
ax.set_xscale("log"); ax.legend(); ax.grid(alpha=0.3)
ax.set_title("GoNet-style throughput: N clients sending 4 KiB")
fig.tight_layout()
fig.savefig(out + "/rate.png", dpi=110)
PY
log "plots: $HERE/throughput.png $HERE/rate.png"
