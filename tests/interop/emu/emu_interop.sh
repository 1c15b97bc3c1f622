#!/usr/bin/env bash
# ustack-emu as a bump in the wire between two kernel stacks, on the real clock:
#   ns A (10.77.0.1) -- veth -- [ns E: ustack-emu afpacket:e0 <-> afpacket:e1] -- veth -- ns B (10.77.0.2)
# Checks: ping across a 20 ms + 20 ms path shows ~40 ms RTT; iperf3 (Linux TCP) through a
# 100 Mbit/s pipe gets within 5% of 100 Mbit/s; a control-socket command changes the pipe at
# run time (bandwidth drops to 10 Mbit/s) and a bad command is refused naming the word;
# queue, sched and delete commands over the socket show up in (and vanish from) "show".
# Everything lives in namespaces this script creates and deletes (also on failure).
set -euo pipefail
EMU=${1:?usage: emu_interop.sh PATH/TO/ustack-emu}
tag="ust-emu-$$"
A="$tag-a" E="$tag-e" B="$tag-b"
dir=$(mktemp -d /tmp/$tag.XXXXXX)
emu_pid=""
srv_pid=""

cleanup() {
	[[ -n $emu_pid ]] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null || true
	[[ -n $srv_pid ]] && kill "$srv_pid" 2>/dev/null || true
	for ns in "$A" "$E" "$B"; do ip netns del "$ns" 2>/dev/null || true; done
	if [[ -f $dir/emu.log ]]; then echo "--- ustack-emu log"; cat "$dir/emu.log"; fi
	rm -rf "$dir"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

for ns in "$A" "$E" "$B"; do ip netns add "$ns"; done
ip link add a0 netns "$A" type veth peer name e0 netns "$E"
ip link add b0 netns "$B" type veth peer name e1 netns "$E"
for spec in "$A a0 10.77.0.1/24" "$B b0 10.77.0.2/24"; do
	set -- $spec
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" link set "$2" up
	ip -n "$1" link set lo up
	# the emulator forwards whole frames: no offloaded (partial) checksums or giant segments
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
done
for i in e0 e1; do
	ip -n "$E" link set "$i" up
	ip netns exec "$E" ethtool -K "$i" tx off tso off gso off gro off >/dev/null 2>&1 || true
done

cat >"$dir/emu.conf" <<CONF
# both directions: 100 Mbit/s, 20 ms, a queue of about one bandwidth-delay product
pipe 1 config bw 100Mbit/s delay 20ms queue 1000
pipe 2 config bw 100Mbit/s delay 20ms queue 1000
add 100 pipe 1 ip from any to any out
add 200 pipe 2 ip from any to any in
CONF
ctl="$dir/ctl.sock"
# The emulator's timing is only as good as its scheduling: give it real-time priority, as a
# deployment would (it sleeps on a timerfd between deadlines, so it cannot starve the host).
# make check runs two suites side by side, so without it a busy CPU delays its departures.
rt=()
chrt -f 10 true 2>/dev/null && rt=(chrt -f 10)
ip netns exec "$E" "${rt[@]}" "$EMU" --a afpacket:e0 --b afpacket:e1 --config "$dir/emu.conf" \
	--control "$ctl" --seed 7 >"$dir/emu.log" 2>&1 &
emu_pid=$!
for _ in $(seq 50); do [[ -S $ctl ]] && break; sleep 0.1; done
[[ -S $ctl ]] || fail "ustack-emu did not start"

# --- RTT: 2 x 20 ms (ARP passes unshaped) ---
ip netns exec "$A" ping -c 1 -W 3 10.77.0.2 >/dev/null || fail "no connectivity through ustack-emu"
out=$(ip netns exec "$A" ping -c 10 -i 0.2 -q 10.77.0.2)
echo "$out"
avg=$(echo "$out" | awk -F'/' '/^rtt|^round-trip/ {print $5}')
awk -v a="$avg" 'BEGIN { exit !(a >= 40.0 && a <= 50.0) }' || fail "ping RTT $avg ms, want ~40 ms"
echo "ok: RTT $avg ms through a 20 ms + 20 ms path"

# --- iperf3 through 100 Mbit/s ---
ip netns exec "$B" iperf3 -s -1 -p 5201 >"$dir/iperf-s.log" 2>&1 &
srv_pid=$!
sleep 0.5
ip netns exec "$A" iperf3 -c 10.77.0.2 -p 5201 -t 5 -O 1 -J >"$dir/iperf.json" || fail "iperf3 failed"
bps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])' "$dir/iperf.json")
# The pipe's bandwidth counts IP packets; iperf3 counts TCP payload, 1448 of every 1500 bytes
# (20 bytes IP, 20 TCP, 12 timestamps): 100 Mbit/s of packets is 96.5 Mbit/s of goodput.
ipbps=$(awk -v b="$bps" 'BEGIN { printf "%.0f", b * 1500 / 1448 }')
echo "iperf3: $bps bit/s received ($ipbps bit/s of IP packets)"
awk -v b="$ipbps" 'BEGIN { exit !(b >= 95e6 && b <= 105e6) }' ||
	fail "iperf3 got $ipbps bit/s of IP packets, want 100 Mbit/s +- 5%"
echo "ok: iperf3 within 5% of 100 Mbit/s"
wait "$srv_pid" 2>/dev/null || true
srv_pid=""

# --- run-time change through the control socket ---
"$EMU" --control "$ctl" --cmd 'pipe 1 config bw 10Mbit/s delay 20ms queue 200' >/dev/null
if msg=$("$EMU" --control "$ctl" --cmd 'pipe 1 config bw 10Mbps' 2>&1); then
	fail "bad command accepted"
fi
echo "$msg" | grep -q "'10Mbps'" || fail "refusal does not name the word: $msg"
grep -q 'pipe 1 config bw 10Mbit/s' <<<"$("$EMU" --control "$ctl" --cmd 'show')" || fail "show lacks the new pipe"
ip netns exec "$B" iperf3 -s -1 -p 5202 >"$dir/iperf-s2.log" 2>&1 &
srv_pid=$!
sleep 0.5
ip netns exec "$A" iperf3 -c 10.77.0.2 -p 5202 -t 3 -O 1 -J >"$dir/iperf2.json" || fail "iperf3 (2) failed"
bps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])' "$dir/iperf2.json")
echo "iperf3 after 'pipe 1 config bw 10Mbit/s': $bps bit/s"
# The new rate took effect: never above the pipe (5% slack for iperf3's accounting), and
# traffic still flows (the lower bound only has to tell 10 Mbit/s from a stall).
awk -v b="$bps" 'BEGIN { exit !(b >= 7e6 && b <= 10.5e6) }' || fail "got $bps bit/s after reconfiguring to 10 Mbit/s"
wait "$srv_pid" 2>/dev/null || true
srv_pid=""

# --- queue, sched and delete over the control socket ---
ctl_ok() { "$EMU" --control "$ctl" --cmd "$1" >/dev/null || fail "control refused '$1'"; }
ctl_ok 'sched 3 config type drr quantum 3000'
ctl_ok 'pipe 3 config bw 50Mbit/s delay 1ms'
ctl_ok 'queue 7 config pipe 3 weight 5 queue 40'
ctl_ok 'add 50 queue 7 udp from any to any 9999 out'
show=$("$EMU" --control "$ctl" --cmd 'show')
grep -q '^pipe 3 config bw 50Mbit/s delay 1ms .*type drr quantum 3000' <<<"$show" || fail "show lacks sched 3 (drr): $show"
grep -q '^queue 7 config pipe 3 queue 40 weight 5' <<<"$show" || fail "show lacks queue 7: $show"
grep -q '^add 00050 queue 7 udp' <<<"$show" || fail "show lacks rule 50: $show"
if msg=$("$EMU" --control "$ctl" --cmd 'queue 8 config weight 2' 2>&1); then fail "queue without pipe accepted"; fi
echo "$msg" | grep -q "'pipe'" || fail "refusal does not name 'pipe': $msg"
ctl_ok 'delete 50'
if msg=$("$EMU" --control "$ctl" --cmd 'delete 50' 2>&1); then fail "deleting a missing rule accepted"; fi
echo "$msg" | grep -q "50" || fail "refusal does not name the rule: $msg"
ctl_ok 'queue 7 delete'
ctl_ok 'sched 3 delete'
show=$("$EMU" --control "$ctl" --cmd 'show')
grep -qE '^(add 00050|queue 7 |pipe 3 )' <<<"$show" && fail "delete left objects behind: $show"
# traffic still flows through what is left
ip netns exec "$A" ping -c 1 -W 3 10.77.0.2 >/dev/null || fail "no connectivity after the deletes"
echo "ok: queue, sched and delete through the control socket"

# --- clean stop ---
kill -TERM "$emu_pid"
wait "$emu_pid" || fail "ustack-emu exited with an error"
emu_pid=""
[[ ! -e $ctl ]] || fail "control socket left behind"
echo "PASS"
