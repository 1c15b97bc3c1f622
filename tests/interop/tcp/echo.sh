#!/usr/bin/env bash
# docs/examples/tcp_echo against Linux over LINK ($1): 4 Linux nc clients at once each send
# 4 MiB and get exactly their bytes back (SHA-256); the example exits 0 on SIGTERM.
source "$(dirname "$0")/lib.sh"
ECHO=$BUILD/docs/examples/tcp_echo
[[ -x $ECHO ]] || { echo "SKIP: docs/examples/tcp_echo not built"; exit 77; }
setup_link
us_bg echo "$ECHO" --port 7000
epid=$US_PID
sleep 0.5
kill -0 "$epid" 2>/dev/null || { cat "$T/echo.err"; fail "tcp_echo did not start"; }
pids=()
for i in 1 2 3 4; do
	mkdata "$T/in$i" $((4 * 1024 * 1024))
	NS_IN=$T/in$i NS_ERR=$T/c$i.err ns_bg "$NS_L" "$T/out$i" timeout 40 nc -N "$US_IP" 7000
	pids+=("$NS_PID")
done
for i in 1 2 3 4; do
	wait_pid "${pids[$((i - 1))]}" 45 || { cat "$T/c$i.err"; fail "client $i failed"; }
	same "$T/in$i" "$T/out$i" || fail "client $i got $(stat -c %s "$T/out$i") bytes back, not its 4 MiB"
done
ns_stop "$epid" 10 || { cat "$T/echo.err"; fail "tcp_echo did not exit 0 on SIGTERM"; }
echo "PASS"
