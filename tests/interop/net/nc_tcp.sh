#!/usr/bin/env bash
# ustack-nc over TCP against Linux nc, 1 MB each way, contents compared:
#  1. Linux `nc -N` -> `ustack-nc -l` stdout;  2. `ustack-nc HOST PORT` stdin -> Linux `nc -l`;
#  3. Linux `nc -N` -> `ustack-nc -l --echo` -> back to Linux.
# Skipped (77) while the stack has no TCP (the tool then says "TCP socket: ...").
source "$(dirname "$0")/lib.sh"
setup_link
head -c 1000000 /dev/urandom >"$T/big"

NS_ERR=$T/srv.err ns_bg "$NS_U" "$T/srv.out" "$NC" --if "$US_IF" --ip "$US_IP/24" -v -l -p 9000
pid=$NS_PID
ns_wait_for "$T/srv.err" "mac [0-9a-f:]+|TCP socket|listen on" 10
if grep -qE "TCP socket|listen on port" "$T/srv.err"; then
	cat "$T/srv.err"
	echo "SKIP: no TCP in the stack yet"
	exit 77
fi

note "Linux nc -> ustack-nc -l over $LINK (1 MB)"
lx timeout 20 nc -N "$US_IP" 9000 <"$T/big" || fail "Linux nc could not send"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
stop_checked "$pid" "$T/srv.err"
cmp "$T/big" "$T/srv.out" || fail "ustack-nc wrote different bytes than Linux sent"

note "ustack-nc -> Linux nc -l over $LINK (1 MB)"
NS_ERR="" ns_bg "$NS_L" "$T/lx.out" timeout 20 nc -l "$LX_IP" 9001
lpid=$NS_PID
sleep 0.3
us "$NC" -q 5 "$LX_IP" 9001 <"$T/big" >"$T/cli.log" 2>&1 || { cat "$T/cli.log"; fail "ustack-nc client failed"; }
wait "$lpid"
cmp "$T/big" "$T/lx.out" || fail "Linux received different bytes than ustack-nc sent"

note "Linux nc -> ustack-nc --echo -> Linux over $LINK (1 MB)"
start_nc echo -l -p 9002 --echo
lx timeout 20 nc -N "$US_IP" 9002 <"$T/big" >"$T/echo.out" || fail "Linux nc (echo) failed"
cmp "$T/big" "$T/echo.out" || fail "echoed stream differs"
stop_checked "$US_PID" "$US_LOG"
echo "PASS"
