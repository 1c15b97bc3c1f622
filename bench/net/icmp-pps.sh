#!/usr/bin/env bash
# Echo requests per second one ustack instance (pinned to one core) answers, over AF_PACKET
# (veth) and over TAP, with the Linux kernel over veth for reference. A generator
# (icmp-flood, AF_PACKET + sendmmsg, pinned to the other core) offers as many requests as it
# can for PPS_SECONDS; the answer rate is the frames that came back on the Linux interface.
#
#   bench/net/icmp-pps.sh [BUILD_DIR]     env: PPS_SECONDS=5 PPS_RATE=0 (0: as fast as possible)
source "$(dirname "$0")/common.sh"
exec > >(tee "$OUT/icmp-pps.txt") 2>&1
echo "# $0 $* ($(date -u +%FT%TZ), $(nproc) CPUs)"
SECS=${PPS_SECONDS:-5}
RATE=${PPS_RATE:-0}
[[ -x $FLOOD ]] || { echo "$FLOOD missing: build first" >&2; exit 1; }
CSV=$OUT/icmp-pps.csv

bench_setup
echo "target,offered_pps,answered_pps,link_drops,seconds" >"$CSV"
for t in ustack-afpacket ustack-tap kernel-veth; do
	ip=${TARGET_IP[$t]}
	dev=${TARGET_DEV[$t]}
	mac=$(ip -n "$NS_P" neigh show "$ip" dev "$dev" | grep -oE 'lladdr [0-9a-f:]+' | cut -d' ' -f2)
	[[ -n $mac ]] || { echo "no MAC for $ip" >&2; exit 1; }
	line=$(ip netns exec "$NS_P" taskset -c "$LX_CPU" "$FLOOD" "$dev" "$mac" "${TARGET_SRC[$t]}" "$ip" "$SECS" "$RATE")
	echo "$t: $line"
	"$NS_PY" - "$t" "$line" "$SECS" >>"$CSV" <<'PY'
import re, sys
t, line, secs = sys.argv[1], sys.argv[2], sys.argv[3]
m = re.search(r"\(([\d.]+)/s\), (\d+) frames back \(([\d.]+)/s\), (\d+) dropped", line)
print(f"{t},{m.group(1)},{m.group(3)},{m.group(4)},{secs}")
PY
done
bench_teardown
echo
column -s, -t "$CSV"
echo "csv: $CSV"
