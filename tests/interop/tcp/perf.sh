#!/usr/bin/env bash
# ustack-perf's byte-count, write-length and connection-rate modes against Linux over LINK ($1):
#   -n/-l:  Linux `iperf3 -c -n 3000000 -l 1000` -> `ustack-perf -s -1`, the same with -R
#           (ustack-perf sends), and `ustack-perf -c -n 3000000 -l 1000` -> Linux `iperf3 -s -1`:
#           both tools exit 0 and the JSON (-J) of the client counts exactly 3000000 bytes
#           sent and received (ustack-perf as the client must wait for its data to be
#           acknowledged before TEST_END, or Linux iperf3 -s stops counting short of -n)
#   --rate: `ustack-perf --rate -c` -> a Linux-socket sink (`ustack-perf --kernel --sink`), and
#           a Linux-socket `--rate` client -> `ustack-perf --sink`, 2 s with 4 concurrent
#           connections of 4 KiB: the client exits 0 with connections > 0 and none failed;
#           the ustack sink exits 0 on SIGTERM and counts connections
# ustack-perf's captures (headers only) must open cleanly in tshark.
source "$(dirname "$0")/lib.sh"
setup_link
N=3000000
LEN=1000

# json_bytes FILE N: end.sum_sent and end.sum_received both count exactly N bytes.
json_bytes() {
	"$NS_PY" - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if d.get("error"):
    sys.exit("iperf error: " + str(d["error"]))
want = int(sys.argv[2])
end = d["end"]
got = {k: end.get(k, {}).get("bytes") for k in ("sum_sent", "sum_received")}
print("  bytes sent %s, received %s" % (got["sum_sent"], got["sum_received"]))
if got["sum_sent"] != want or got["sum_received"] != want:
    sys.exit("expected %d bytes each way in the JSON result" % want)
PY
}

port=5301
for args in "" "-R"; do
	note "Linux iperf3 -c -n $N -l $LEN $args -> ustack-perf -s over $LINK"
	us_bg srv "$PERF" --pcap "$T/srv$port.pcap" --pcap-snaplen 128 -s -1 -p $port
	srv=$US_PID
	sleep 0.5
	# shellcheck disable=SC2086
	lx timeout 30 iperf3 -c "$US_IP" -p $port -n $N -l $LEN -J $args >"$T/c.json" 2>"$T/c.err" ||
		{ cat "$T/c.json" "$T/c.err" "$T/srv.out" "$T/srv.err"; fail "iperf3 client exited $?"; }
	json_bytes "$T/c.json" $N || fail "iperf3 JSON"
	wait_pid "$srv" 20 || { cat "$T/srv.out" "$T/srv.err"; fail "ustack-perf -s -1 did not exit 0"; }
	port=$((port + 1))
done

note "ustack-perf -c -n $N -l $LEN -> Linux iperf3 -s over $LINK"
NS_ERR="$T/ls.err" ns_bg "$NS_L" "$T/ls.out" iperf3 -s -1 -p $port
lpid=$NS_PID
lx_wait_listen $port || fail "iperf3 -s did not start"
us_t 30 "$PERF" --pcap "$T/cli$port.pcap" --pcap-snaplen 128 -c "$LX_IP" -p $port -n $N -l $LEN -J \
	>"$T/u.json" 2>"$T/u.err" || { cat "$T/u.json" "$T/u.err" "$T/ls.out"; fail "ustack-perf -c exited $?"; }
json_bytes "$T/u.json" $N || fail "ustack-perf JSON"
wait_pid "$lpid" 20 || { cat "$T/ls.out" "$T/ls.err"; fail "Linux iperf3 -s -1 did not exit 0"; }
port=$((port + 1))

# rate_ok FILE: a --rate JSON line with connections > 0 and failed == 0.
rate_ok() {
	"$NS_PY" - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("  %d connections, %d failed, %.0f/s" % (d["connections"], d["failed"], d["connections_per_second"]))
if d["connections"] <= 0 or d["failed"] != 0:
    sys.exit("expected connections and no failure")
PY
}

note "ustack-perf --rate -c -> Linux sink over $LINK"
NS_ERR="$T/ks.err" ns_bg "$NS_L" "$T/ks.out" "$PERF" --kernel --sink -p $port
kpid=$NS_PID
lx_wait_listen $port || fail "Linux-socket sink did not start"
us_t 30 "$PERF" --pcap "$T/rate$port.pcap" --pcap-snaplen 128 --rate -c "$LX_IP" -p $port -P 4 -n 4096 -t 2 -J \
	>"$T/r.json" 2>"$T/r.err" || { cat "$T/r.json" "$T/r.err"; fail "ustack-perf --rate exited $?"; }
rate_ok "$T/r.json" || fail "ustack-perf --rate JSON"
ns_stop "$kpid" 10 || { cat "$T/ks.out" "$T/ks.err"; fail "Linux-socket sink did not exit 0"; }
port=$((port + 1))

note "Linux --rate client -> ustack-perf --sink over $LINK"
us_bg sink "$PERF" --pcap "$T/sink$port.pcap" --pcap-snaplen 128 --sink -p $port
spid=$US_PID
sleep 0.5
lx timeout 30 "$PERF" --kernel --rate -c "$US_IP" -p $port -P 4 -n 4096 -t 2 -J >"$T/k.json" 2>"$T/k.err" ||
	{ cat "$T/k.json" "$T/k.err" "$T/sink.err"; fail "Linux-socket --rate client exited $?"; }
rate_ok "$T/k.json" || fail "Linux-socket --rate JSON"
ns_stop "$spid" 10 || { cat "$T/sink.out" "$T/sink.err"; fail "ustack-perf --sink did not exit 0 on SIGTERM"; }
sunk=$(grep -oE "sink: [0-9]+ connections" "$T/sink.out" | awk '{print $2}')
echo "  ustack sink: ${sunk:-no} connections"
[[ ${sunk:-0} -gt 0 ]] || { cat "$T/sink.out" "$T/sink.err"; fail "ustack-perf --sink counted no connection"; }

for f in "$T"/*.pcap; do
	note "capture $(basename "$f"): tshark -z expert"
	check_pcap "$f"
done
echo "PASS"
