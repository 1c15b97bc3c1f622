#!/usr/bin/env bash
# Linux pings the ustack program: 20 ordinary echoes, then 5 of 8000 bytes, which Linux sends
# as 6 fragments and ustack must reassemble, answer, and fragment again for Linux to reassemble.
# Proves: echo replies with intact data (iputils checks every byte and prints "wrong data byte"
# otherwise), IPv4 fragmentation both ways, and that the tool still exits cleanly.
source "$(dirname "$0")/lib.sh"
setup_link

start_nc responder -u -l -p 7 --echo

note "ping -c 20 $US_IP over $LINK"
lx ping -c 20 -i 0.05 -w 20 "$US_IP" >"$T/p1" 2>&1
cat "$T/p1"
expect_replies "$T/p1" 20 || fail "not every small ping was answered"

note "ping -s 8000 -c 5 $US_IP over $LINK (fragmented both ways)"
lx ping -s 8000 -c 5 -i 0.1 -w 20 "$US_IP" >"$T/p2" 2>&1
cat "$T/p2"
expect_replies "$T/p2" 5 || fail "not every 8000-byte ping was answered"
grep -q "8008 bytes from $US_IP" "$T/p2" || fail "8000-byte replies have the wrong size"

note "ping -s 65000 -c 2 $US_IP (45 fragments each way)"
lx ping -s 65000 -c 2 -i 0.2 -w 20 "$US_IP" >"$T/p3" 2>&1
cat "$T/p3"
expect_replies "$T/p3" 2 || fail "65000-byte pings were not answered"

if grep -q "wrong data" "$T/p1" "$T/p2" "$T/p3"; then fail "Linux saw corrupted echo data"; fi
stop_checked "$US_PID" "$US_LOG"
echo "PASS"
