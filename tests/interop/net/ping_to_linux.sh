#!/usr/bin/env bash
# ustack-ping pings the Linux side: resolves Linux's MAC by ARP, gets every reply, checks every
# echoed byte (it reports "wrong data byte" or "+N corrupted"), also with -s 8000 (fragments
# both ways). A silent address gives 100% loss and exit status 1; SIGINT stops an endless
# ping with the summary and exit status 0.
source "$(dirname "$0")/lib.sh"
setup_link

note "ustack-ping -c 5 $LX_IP over $LINK"
us "$PING" -c 5 -i 0.1 -W 10 "$LX_IP" >"$T/p1" 2>&1
rc=$?
cat "$T/p1"
[[ $rc -eq 0 ]] || fail "ustack-ping exited with $rc"
grep -q "5 packets transmitted, 5 received, 0% packet loss" "$T/p1" || fail "missing replies"
grep -qE "^64 bytes from $LX_IP: icmp_seq=1 ttl=64 time=[0-9.]+ ms" "$T/p1" || fail "reply line format (with the received ttl=64 of Linux replies)"
grep -qE "^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms" "$T/p1" || fail "rtt line"

note "ustack-ping -s 8000 -c 3 $LX_IP"
us "$PING" -s 8000 -c 3 -i 0.1 -W 10 "$LX_IP" >"$T/p2" 2>&1
rc=$?
cat "$T/p2"
[[ $rc -eq 0 ]] || fail "ustack-ping -s 8000 exited with $rc"
grep -q "3 packets transmitted, 3 received, 0% packet loss" "$T/p2" || fail "missing 8000-byte replies"
grep -q "8008 bytes from $LX_IP" "$T/p2" || fail "8000-byte replies have the wrong size"

# (Not back to back: a fresh stack must first resolve Linux's MAC, and two 45-fragment
# datagrams exceed its ARP queue of 64 frames.)
note "ustack-ping -s 65507 -c 2 $LX_IP (largest echo: 45 fragments each way)"
us "$PING" -s 65507 -c 2 -i 0.2 -W 10 -q "$LX_IP" >"$T/p3" 2>&1
rc=$?
cat "$T/p3"
[[ $rc -eq 0 ]] || fail "ustack-ping -s 65507 exited with $rc"
grep -q "2 packets transmitted, 2 received" "$T/p3" || fail "missing 65507-byte replies"

note "ustack-ping -c 40 --batch 10 -i 0.05 $LX_IP (bursts of 10)"
us "$PING" -c 40 --batch 10 -i 0.05 -W 10 -q "$LX_IP" >"$T/p6" 2>&1
rc=$?
cat "$T/p6"
[[ $rc -eq 0 ]] || fail "ustack-ping --batch exited with $rc"
grep -q "40 packets transmitted, 40 received" "$T/p6" || fail "missing replies to bursts"

if grep -qE "corrupted|wrong data" "$T/p1" "$T/p2" "$T/p3" "$T/p6"; then fail "corrupted echo data"; fi

note "ustack-ping -c 2 -W 1 10.77.0.99 (nobody there): 100% loss, exit 1"
us "$PING" -c 2 -i 0.2 -W 1 10.77.0.99 >"$T/p4" 2>&1
rc=$?
cat "$T/p4"
[[ $rc -eq 1 ]] || fail "ustack-ping without replies exited with $rc, expected 1"
grep -q "2 packets transmitted, 0 received" "$T/p4" || fail "summary without replies"

note "endless ustack-ping stopped by SIGINT"
NS_ERR="" ns_bg "$NS_U" "$T/p5" "$PING" --if "$US_IF" --ip "$US_IP/24" -i 0.1 "$LX_IP"
pid=$NS_PID
ns_wait_for "$T/p5" "icmp_seq=3 " 10 || { cat "$T/p5"; fail "endless ping got no replies"; }
note "while ustack-ping runs, its stack answers Linux's pings"
lx ping -c 3 -i 0.1 -w 10 "$US_IP" >"$T/p7" 2>&1
cat "$T/p7"
expect_replies "$T/p7" 3 || fail "ustack-ping's stack did not answer pings"
kill -INT "$pid"
wait "$pid"
rc=$?
cat "$T/p5"
[[ $rc -eq 0 ]] || fail "ustack-ping exited with $rc after SIGINT"
grep -q "packets transmitted" "$T/p5" || fail "no summary after SIGINT"
echo "PASS"
