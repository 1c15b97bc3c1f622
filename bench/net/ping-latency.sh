#!/usr/bin/env bash
# GoNet's latency benchmark: mean RTT of Linux pings to the stack with 1, 10, 100, 500 and 1000
# concurrent pingers, 50 echo requests each, for ustack over TAP, ustack over AF_PACKET (veth)
# and the Linux kernel answering over a veth pair, in the same run, side by side.
#
#   bench/net/ping-latency.sh [BUILD_DIR]     env: LOADS="1 10 100 500 1000" COUNT=50 INTERVAL=0.1
#                                             TARGETS="ustack-tap kernel-veth ustack-afpacket"
#                                             NAME=ping-latency (output file names)
#                                             US_CPU, LX_CPU, US_SCHED, US_BUSY, US_CPU_LATENCY: see common.sh
#
# Interval 0.1 s: with 1000 pingers that offers 10,000 requests/s, far below what either stack
# can answer, so the figure shows latency under concurrency (GoNet's question), not saturation;
# a load step takes 5 s. Writes bench/net/$NAME.{txt,csv,png}.
source "$(dirname "$0")/common.sh"
NAME=${NAME:-ping-latency}
exec > >(tee "$OUT/$NAME.txt") 2>&1
echo "# $0 $* ($(date -u +%FT%TZ), $(nproc) CPUs)"
LOADS=${LOADS:-1 10 100 500 1000}
COUNT=${COUNT:-50}
INTERVAL=${INTERVAL:-0.1}
CSV=$OUT/$NAME.csv

bench_setup
echo "load,target,pingers,transmitted,received,loss_pct,mean_rtt_ms,mean_mdev_ms,max_rtt_ms" >"$CSV"
for load in $LOADS; do
	for t in "${BENCH_TARGETS[@]}"; do
		d=$T/$t-$load
		mkdir -p "$d"
		# One shell inside the namespace starts every pinger (no per-process netns setup
		# cost), one after the other, so their phases spread over the interval. (Holding
		# them at a barrier and releasing them together was tried: pings in lockstep, where
		# the replies' cross-CPU wakeups of other pingers preempt pingers between their
		# timestamp and their send; that measures the pingers' CPU, not the responder.)
		ip netns exec "$NS_P" taskset -c "$LX_CPU" bash -c '
			for ((i = 0; i < $1; i++)); do
				ping -q -c "$2" -i "$3" -W 2 "$4" >"$5/$i" 2>&1 &
			done
			wait' _ "$load" "$COUNT" "$INTERVAL" "${TARGET_IP[$t]}" "$d"
		"$NS_PY" - "$d" "$load" "$t" >>"$CSV" <<'PY'
import os, re, sys
d, load, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tx = rx = 0
wsum = msum = 0.0
mx = 0.0
for name in os.listdir(d):
    text = open(os.path.join(d, name)).read()
    m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
    if not m:
        continue
    t, r = int(m.group(1)), int(m.group(2))
    tx += t
    rx += r
    m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", text)
    if m and r:
        wsum += float(m.group(2)) * r
        msum += float(m.group(4)) * r
        mx = max(mx, float(m.group(3)))
mean = wsum / rx if rx else float("nan")
mdev = msum / rx if rx else float("nan")
loss = 100.0 * (tx - rx) / tx if tx else 100.0
print(f"{load},{target},{load},{tx},{rx},{loss:.2f},{mean:.4f},{mdev:.4f},{mx:.3f}")
PY
		tail -1 "$CSV"
	done
done
bench_teardown

"$NS_PY" - "$CSV" "$OUT/$NAME.png" "$COUNT" "$INTERVAL" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
loads = sorted({int(r["load"]) for r in rows})
targets = []
for r in rows:
    if r["target"] not in targets:
        targets.append(r["target"])
rtt = {(r["target"], int(r["load"])): float(r["mean_rtt_ms"]) for r in rows}
loss = {(r["target"], int(r["load"])): float(r["loss_pct"]) for r in rows}
print()
print("mean RTT in ms (loss %%) by concurrent pingers, %s pings each, interval %s s" % (sys.argv[3], sys.argv[4]))
print("%-8s" % "pingers" + "".join("%22s" % t for t in targets) + "%18s" % "tap/kernel")
for l in loads:
    line = "%-8d" % l
    for t in targets:
        line += "%22s" % ("%.3f (%.1f%%)" % (rtt.get((t, l), float("nan")), loss.get((t, l), 100)))
    k = rtt.get(("kernel-veth", l))
    u = rtt.get(("ustack-tap", l))
    line += "%18s" % ("%.2fx" % (u / k) if k and u else "-")
    print(line)
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib missing: no plot")
    sys.exit(0)
fig, ax = plt.subplots(figsize=(7, 4.5))
for t in targets:
    ax.plot(loads, [rtt.get((t, l), float("nan")) for l in loads], marker="o", label=t)
# The paper gives only its endpoints (1 and 1000 pingers): markers, no line between them.
ax.plot([1, 1000], [0.234, 0.717], "kx", markersize=9, label="GoNet (paper)")
ax.plot([1, 1000], [0.074, 3.279], "k+", markersize=11, label="tapip (paper)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("concurrent pingers")
ax.set_ylabel("mean RTT (ms)")
ax.set_title("Ping latency under concurrent pingers (%s pings each, -i %s)" % (sys.argv[3], sys.argv[4]))
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=120)
print("plot: " + sys.argv[2])
PY
echo "csv: $CSV"
