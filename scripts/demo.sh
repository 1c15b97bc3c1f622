#!/usr/bin/env bash
# make demo: a ustack program talks to the Linux kernel over a TAP device, in a namespace of
# its own. Linux pings it (small and 8000-byte fragmented pings), then Linux `nc -u` and
# ustack-nc exchange a message each way; then TCP on a second TAP device: Linux `nc` sends
# 20 MB to ustack-nc and gets it compared by SHA-256, and Linux `iperf3` measures ustack-perf
# both ways. The script says what happened with the real output and removes everything it
# created, also when something fails.
#
#   scripts/demo.sh [BUILD_DIR]        (default build/normal; needs root)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build/normal}
NC=$BUILD/tools/ustack-nc/ustack-nc
PERF=$BUILD/tools/ustack-perf/ustack-perf
LX_IP=10.99.0.1
US_IP=10.99.0.2
PORT=5000

say() { printf '\n== %s\n' "$*"; }
die() { printf '\nDEMO FAILED: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (it creates a network namespace and a TAP device)"
[[ -x $NC && -x $PERF ]] || die "$NC or $PERF is missing: build first (make)"

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

say "TCP: a second TAP device ustap1 (Linux 10.99.1.1, ustack 10.99.1.2); Linux 'nc' sends 20 MB to ustack-nc:"
ns_tap "$NS" ustap1 10.99.1.1/24 || die "cannot create the second TAP device"
head -c 20000000 /dev/urandom >"$T/tcp.in"
NS_ERR=$T/tcp.err ns_bg "$NS" "$T/tcp.out" "$NC" --if tap:ustap1 --ip 10.99.1.2/24 -v -d -l -p 9000
TCP_PID=$NS_PID
ns_wait_for "$T/tcp.err" "mac [0-9a-f:]+" 10 || { cat "$T/tcp.err"; die "ustack-nc (TCP) did not start"; }
start=$(date +%s.%N)
ip netns exec "$NS" timeout 60 nc -N 10.99.1.2 9000 <"$T/tcp.in" || die "Linux nc could not send"
for _ in $(seq 100); do kill -0 "$TCP_PID" 2>/dev/null || break; sleep 0.1; done
ns_stop "$TCP_PID" 10 || die "ustack-nc (TCP) exited with status $?"
end=$(date +%s.%N)
echo "   ustack-nc reports: $(grep -m1 'received' "$T/tcp.err")"
sum_in=$(sha256sum <"$T/tcp.in" | cut -c1-16)
sum_out=$(sha256sum <"$T/tcp.out" | cut -c1-16)
echo "   SHA-256 sent ${sum_in}..., received ${sum_out}..."
[[ $sum_in == "$sum_out" ]] || die "ustack-nc received other bytes than Linux sent"
echo "-> 20 MB arrived intact over ustack's TCP in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s (connect, transfer, FIN both ways)."

say "Linux 'iperf3' against ustack-perf (an iperf3-compatible server on ustack), 2 s each way:"
NS_ERR=$T/perf.err ns_bg "$NS" "$T/perf.out" "$PERF" --if tap:ustap1 --ip 10.99.1.2/24 -s
PERF_PID=$NS_PID
sleep 1
for dir in "" -R; do
	ip netns exec "$NS" timeout 20 iperf3 -c 10.99.1.2 -t 2 $dir -f m >"$T/iperf$dir" 2>&1 ||
		{ cat "$T/iperf$dir" "$T/perf.err"; die "iperf3 $dir failed"; }
	rate=$(grep -E 'receiver$' "$T/iperf$dir" | grep -oE '[0-9.]+ Mbits/sec')
	who="Linux -> ustack"; [[ $dir == -R ]] && who="ustack -> Linux"
	echo "-> iperf3${dir:+ $dir}: $who ${rate:-?} (receiver's figure)"
done
ns_stop "$PERF_PID" 10 || die "ustack-perf exited with status $?"

say "Demo finished; the namespace and TAP devices are removed now."
