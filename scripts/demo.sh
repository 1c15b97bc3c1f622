#!/usr/bin/env bash
# make demo: a ustack program talks to the Linux kernel over a TAP device, in a namespace of
# its own. Linux pings it (small and 8000-byte fragmented pings), then Linux `nc -u` and
# ustack-nc exchange a message each way; the script says what happened with the real output
# and removes everything it created, also when something fails.
#
#   scripts/demo.sh [BUILD_DIR]        (default build/normal; needs root)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build/normal}
NC=$BUILD/tools/ustack-nc/ustack-nc
LX_IP=10.99.0.1
US_IP=10.99.0.2
PORT=5000

say() { printf '\n== %s\n' "$*"; }
die() { printf '\nDEMO FAILED: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (it creates a network namespace and a TAP device)"
[[ -x $NC ]] || die "$NC is missing: build first (make)"

source scripts/netns.sh
ns_init demo
ns_tmp
T=$NS_TMP
NS=$(ns_name ns)

say "Setting up: namespace $NS with TAP device ustap0; Linux is $LX_IP/24 on it, ustack will be $US_IP."
ns_add "$NS" || die "cannot create the namespace"
ns_tap "$NS" ustap0 "$LX_IP/24" || die "cannot create the TAP device"

# ustack-nc's stdin is a FIFO we keep open on fd 3, so we can make it send later. Opened
# read-write: that never blocks, even if the reader has already died.
mkfifo "$T/to-ustack"
exec 3<>"$T/to-ustack"
NS_IN=$T/to-ustack NS_ERR=$T/ustack.err ns_bg "$NS" "$T/ustack.out" \
	"$NC" --if tap:ustap0 --ip "$US_IP/24" --stats -v -u -l -p "$PORT"
US_PID=$NS_PID
ns_wait_for "$T/ustack.err" "mac [0-9a-f:]+" 10 || { cat "$T/ustack.err"; die "ustack-nc did not start"; }
say "Started: $(head -1 "$T/ustack.err")"
echo "   (ustack-nc -u -l -p $PORT: a UDP netcat listening on port $PORT, running its own TCP/IP stack)"

say "Linux pings ustack 5 times (56 data bytes):"
ip netns exec "$NS" ping -c 5 -i 0.2 -w 10 "$US_IP" | tee "$T/ping1"
sent=$(grep -oE '^[0-9]+ packets transmitted' "$T/ping1" | cut -d' ' -f1)
got=$(grep -oE '[0-9]+ received' "$T/ping1" | cut -d' ' -f1)
avg=$(grep -oE 'rtt [^=]+= [0-9.]+/[0-9.]+' "$T/ping1" | awk -F/ '{print $NF}')
[[ ${got:-0} -gt 0 ]] || die "ustack did not answer Linux's pings"
echo "-> Linux sent ${sent:-?} echo requests and ustack answered ${got}; the average round trip was ${avg:-?} ms."
lladdr=$(ip -n "$NS" neigh show "$US_IP" | grep -oE 'lladdr [0-9a-f:]+' | cut -d' ' -f2)
echo "-> Linux learned ustack's MAC address by ARP: ${lladdr:-none}."

say "Linux pings ustack with 8000 data bytes (each request is 6 IP fragments; so is each reply):"
ip netns exec "$NS" ping -s 8000 -c 3 -i 0.2 -w 10 "$US_IP" | tee "$T/ping2"
got=$(grep -oE '[0-9]+ received' "$T/ping2" | cut -d' ' -f1)
avg=$(grep -oE 'rtt [^=]+= [0-9.]+/[0-9.]+' "$T/ping2" | awk -F/ '{print $NF}')
[[ ${got:-0} -gt 0 ]] || die "ustack did not answer the fragmented pings"
echo "-> ustack reassembled ${got} requests of 8008 bytes, answered each with 8008 bytes that Linux"
echo "   reassembled and checked byte for byte (ping prints 'wrong data byte' otherwise); average ${avg:-?} ms."

say "Linux 'nc -u' sends a line to ustack-nc on port $PORT:"
msg_lx="hello ustack, this is the Linux kernel speaking"
# Linux nc's stdin is a FIFO too (fd 4), so it keeps running to receive the answer.
mkfifo "$T/to-linux"
exec 4<>"$T/to-linux"
NS_IN=$T/to-linux ns_bg "$NS" "$T/linux-nc.out" nc -u "$US_IP" "$PORT"
echo "$msg_lx" >&4
ns_wait_for "$T/ustack.err" "received [0-9]+ bytes" 5 || die "ustack-nc received nothing"
echo "   ustack-nc reports: $(grep -m1 'received' "$T/ustack.err")"
echo "   ustack-nc printed: $(cat "$T/ustack.out")"
if [[ $(cat "$T/ustack.out") == "$msg_lx" ]]; then
	echo "-> The $((${#msg_lx} + 1)) bytes arrived intact."
else
	die "ustack-nc printed something else than Linux sent"
fi

say "ustack-nc sends a line back (written to its stdin), Linux nc prints it:"
msg_us="hello Linux, this is ustack answering from user space"
echo "$msg_us" >&3
ns_wait_for "$T/linux-nc.out" "ustack" 5 || die "Linux nc received nothing"
echo "   Linux nc printed: $(cat "$T/linux-nc.out")"
[[ $(cat "$T/linux-nc.out") == "$msg_us" ]] || die "Linux nc printed something else than ustack sent"
echo "-> The $((${#msg_us} + 1)) bytes arrived intact."

say "Stopping ustack-nc with SIGTERM; its counters (non-zero):"
exec 3>&- 4>&-
ns_stop "$US_PID" 10
rc=$?
sed -n '/counters/,$p' "$T/ustack.err" | head -40
[[ $rc -eq 0 ]] || die "ustack-nc exited with status $rc"
echo "-> ustack-nc shut down cleanly (exit status 0)."
say "Demo finished; the namespace and TAP device are removed now."
