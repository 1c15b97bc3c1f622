#!/usr/bin/env bash
# Linux iperf3 against ustack-perf over LINK ($1), both roles, both directions, 1 and 8 streams:
#   Linux `iperf3 -c` -> `ustack-perf -s -1`  (forward, -R, -P 8)
#   `ustack-perf -c`  -> Linux `iperf3 -s -1` (forward, -R, -P 8)
# Every run: both tools exit 0 and the JSON (-J) result shows bytes received > 0; ustack-perf's
# capture (headers only: the first 128 bytes of each frame) opens cleanly in tshark.
source "$(dirname "$0")/lib.sh"
DUR=${TCPIO_IPERF_TIME:-2}
setup_link

# json_ok FILE: end.sum_received (or sum) has bytes > 0 and no "error" key.
json_ok() {
	"$NS_PY" - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if d.get("error"):
    sys.exit("iperf error: " + str(d["error"]))
end = d["end"]
s = end.get("sum_received") or end.get("sum")
if not s or s.get("bytes", 0) <= 0 or s.get("bits_per_second", 0) <= 0:
    sys.exit("no bytes in the JSON result")
print("  %.1f Mbit/s" % (s["bits_per_second"] / 1e6))
PY
}

port=5201
for args in "" "-R" "-P 8" "-R -P 8"; do
	note "Linux iperf3 -c $args -> ustack-perf -s over $LINK"
	us_bg srv "$PERF" --pcap "$T/srv$port.pcap" --pcap-snaplen 128 -s -1 -p $port
	srv=$US_PID
	sleep 0.5
	# shellcheck disable=SC2086
	lx timeout 30 iperf3 -c "$US_IP" -p $port -t "$DUR" -J $args >"$T/c.json" 2>"$T/c.err" ||
		{ cat "$T/c.json" "$T/c.err" "$T/srv.out" "$T/srv.err"; fail "iperf3 client exited $?"; }
	json_ok "$T/c.json" || fail "iperf3 JSON"
	wait_pid "$srv" 20 || { cat "$T/srv.out" "$T/srv.err"; fail "ustack-perf -s -1 did not exit 0"; }
	port=$((port + 1))

	note "ustack-perf -c $args -> Linux iperf3 -s over $LINK"
	NS_ERR="$T/ls.err" ns_bg "$NS_L" "$T/ls.out" iperf3 -s -1 -p $port
	lpid=$NS_PID
	lx_wait_listen $port || fail "iperf3 -s did not start"
	# shellcheck disable=SC2086
	us_t 30 "$PERF" --pcap "$T/cli$port.pcap" --pcap-snaplen 128 -c "$LX_IP" -p $port -t "$DUR" -J $args >"$T/u.json" 2>"$T/u.err" ||
		{ cat "$T/u.json" "$T/u.err" "$T/ls.out"; fail "ustack-perf -c exited $?"; }
	json_ok "$T/u.json" || fail "ustack-perf JSON"
	wait_pid "$lpid" 20 || { cat "$T/ls.out" "$T/ls.err"; fail "Linux iperf3 -s -1 did not exit 0"; }
	port=$((port + 1))
done
for f in "$T"/*.pcap; do
	note "capture $(basename "$f"): tshark -z expert"
	check_pcap "$f"
done
echo "PASS"
