#!/usr/bin/env bash
# Closed ports, both ways. A datagram from Linux to a port nobody bound on ustack draws an ICMP
# port unreachable: Linux's connected UDP socket then fails with ECONNREFUSED. A datagram from
# ustack-nc to a closed Linux port: the tool reports "Connection refused" and exits 1.
source "$(dirname "$0")/lib.sh"
setup_link
UDP_PEER=$(dirname "$0")/udp_peer.py

start_nc open -u -l -p 9000 -d
note "Linux -> ustack closed port 9001 over $LINK"
lx "$NS_PY" "$UDP_PEER" refused "$US_IP" 9001 | tee "$T/r1"
grep -q ECONNREFUSED "$T/r1" || fail "Linux did not see Connection refused"
note "Linux nc -u to the closed port"
printf 'x\nx\nx\n' | lx timeout 3 nc -u -w 1 "$US_IP" 9001 >"$T/r2" 2>&1
cat "$T/r2"
stop_checked "$US_PID" "$US_LOG"

note "ustack-nc -u -> Linux closed port 9999"
echo "hello" >"$T/hello"
us "$NC" -u -q 10 "$LX_IP" 9999 <"$T/hello" >"$T/r3" 2>&1
rc=$?
cat "$T/r3"
grep -q "Connection refused" "$T/r3" || fail "ustack-nc did not report Connection refused"
[[ $rc -eq 1 ]] || fail "ustack-nc exited with $rc, expected 1"
echo "PASS"
