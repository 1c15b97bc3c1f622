#!/usr/bin/env bash
# --gw: ustack reaches a host outside its subnet through Linux as the default gateway.
# Namespace R (10.78.0.2/24) sits behind the Linux namespace L, which forwards between
# 10.77.0.0/24 (ustack's link) and 10.78.0.0/24. ustack-ping with --gw 10.77.0.1 pings R and
# sends it a UDP datagram; without --gw the destination is unreachable (no reply, exit 1).
source "$(dirname "$0")/lib.sh"
setup_link
UDP_PEER=$(dirname "$0")/udp_peer.py
NS_R=$(ns_name r)
ns_add "$NS_R" || fail "cannot create namespace $NS_R"
ns_veth "$NS_L" vr 10.78.0.1/24 "$NS_R" vr2 10.78.0.2/24 || fail "cannot create veth to R"
ip -n "$NS_R" route add default via 10.78.0.1
lx sysctl -qw net.ipv4.ip_forward=1

note "ustack-ping --gw $LX_IP 10.78.0.2 over $LINK"
us "$PING" --gw "$LX_IP" -c 3 -i 0.1 -W 10 10.78.0.2 >"$T/p1" 2>&1
rc=$?
cat "$T/p1"
[[ $rc -eq 0 ]] || fail "ustack-ping through the gateway exited with $rc"
grep -q "3 packets transmitted, 3 received" "$T/p1" || fail "no replies through the gateway"

note "ustack-nc -u --gw $LX_IP 10.78.0.2 9100"
head -c 3000 /dev/urandom >"$T/in"
NS_ERR="" ns_bg "$NS_R" "$T/recv.log" "$NS_PY" "$UDP_PEER" recv 10.78.0.2 9100 "$T/out" 20
rpid=$NS_PID
ns_wait_for "$T/recv.log" ready 10 || fail "receiver in R did not start"
NS_IN=$T/in NS_ERR="" ns_bg "$NS_U" "$T/nc.log" "$NC" --if "$US_IF" --ip "$US_IP/24" --gw "$LX_IP" -u 10.78.0.2 9100
npid=$NS_PID
wait "$rpid" || { cat "$T/recv.log" "$T/nc.log"; fail "R did not receive the datagram"; }
stop_checked "$npid" "$T/nc.log"
cmp "$T/in" "$T/out" || fail "R received different bytes"
cat "$T/recv.log"

note "without --gw, 10.78.0.2 is unreachable"
us "$PING" -c 2 -i 0.1 -W 1 10.78.0.2 >"$T/p2" 2>&1
rc=$?
cat "$T/p2"
[[ $rc -eq 1 ]] || fail "ustack-ping without a route exited with $rc, expected 1"
echo "PASS"
