#!/usr/bin/env bash
# UDP datagrams of 1..65507 bytes both ways, contents compared byte for byte:
#  1. Linux -> ustack echo server -> Linux (ustack reassembles and fragments);
#  2. Linux -> ustack-nc -u -l: the payload appears on the tool's stdout;
#  3. ustack-nc -u HOST PORT < file: one datagram from the tool's stdin to a Linux socket.
source "$(dirname "$0")/lib.sh"
setup_link
UDP_PEER=$(dirname "$0")/udp_peer.py
SIZES=(1 100 1472 1473 4000 8000 30000 65507)

start_nc echo -u -l -p 7 --echo
note "Linux -> ustack echo -> Linux over $LINK, sizes ${SIZES[*]}"
lx "$NS_PY" "$UDP_PEER" echo "$US_IP" 7 "${SIZES[@]}" || fail "echoed datagrams differ"
stop_checked "$US_PID" "$US_LOG"

for size in "${SIZES[@]}"; do
	head -c "$size" /dev/urandom >"$T/in.$size"
done

note "Linux -> ustack-nc -u -l stdout"
for size in 1 1473 30000 65507; do
	start_nc "rx$size" -u -l -p 9000 -d
	lx "$NS_PY" "$UDP_PEER" send "$US_IP" 9000 "$T/in.$size" >/dev/null || fail "send $size"
	ns_wait_for "$US_LOG" "received $size bytes" 10 || { cat "$US_LOG"; fail "ustack-nc did not get $size bytes"; }
	stop_checked "$US_PID" "$US_LOG"
	cmp "$T/in.$size" "$T/rx$size.out" || fail "$size bytes: stdout differs from what Linux sent"
	echo "size $size: Linux -> ustack-nc stdout intact"
done

note "ustack-nc -u stdin -> Linux"
for size in "${SIZES[@]}"; do
	NS_ERR="" ns_bg "$NS_L" "$T/recv.$size.log" "$NS_PY" "$UDP_PEER" recv "$LX_IP" 9100 "$T/out.$size" 20
	rpid=$NS_PID
	ns_wait_for "$T/recv.$size.log" ready 10 || fail "Linux receiver did not start"
	# The tool runs until Linux has the datagram, then must stop cleanly on SIGTERM.
	NS_IN=$T/in.$size NS_ERR="" ns_bg "$NS_U" "$T/tx.$size.log" "$NC" --if "$US_IF" --ip "$US_IP/24" -u "$LX_IP" 9100
	npid=$NS_PID
	wait "$rpid" || { cat "$T/recv.$size.log" "$T/tx.$size.log"; fail "Linux did not receive the $size-byte datagram"; }
	stop_checked "$npid" "$T/tx.$size.log"
	cmp "$T/in.$size" "$T/out.$size" || fail "$size bytes: Linux received different bytes"
	echo "size $size: ustack-nc stdin -> Linux intact"
done
echo "PASS"
