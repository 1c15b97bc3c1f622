#!/usr/bin/env bash
# ustack-emu between two TAP devices: it creates tap t0 and t1 in ns E, then the devices'
# kernel sides are moved into ns A and ns B (ustack-emu keeps their file descriptors), so
# A and B talk through the emulator. Checks a 15 ms pipe set through the control socket gives
# a ~30 ms ping RTT, and that rules added at run time take effect.
set -euo pipefail
EMU=${1:?usage: emu_interop_tap.sh PATH/TO/ustack-emu}
tag="ust-emu-$$"
A="$tag-a" E="$tag-e" B="$tag-b"
dir=$(mktemp -d /tmp/$tag.XXXXXX)
emu_pid=""
cleanup() {
	[[ -n $emu_pid ]] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null || true
	for ns in "$A" "$E" "$B"; do ip netns del "$ns" 2>/dev/null || true; done
	if [[ -f $dir/emu.log ]]; then echo "--- ustack-emu log"; cat "$dir/emu.log"; fi
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

for ns in "$A" "$E" "$B"; do ip netns add "$ns"; done
ctl="$dir/ctl.sock"
ip netns exec "$E" "$EMU" --a tap:t0 --b tap:t1 --control "$ctl" >"$dir/emu.log" 2>&1 &
emu_pid=$!
for _ in $(seq 50); do [[ -S $ctl ]] && break; sleep 0.1; done
[[ -S $ctl ]] || fail "ustack-emu did not start"
ip -n "$E" link set t0 netns "$A"
ip -n "$E" link set t1 netns "$B"
ip -n "$A" addr add 10.78.0.1/24 dev t0
ip -n "$A" link set t0 up
ip -n "$B" addr add 10.78.0.2/24 dev t1
ip -n "$B" link set t1 up

# no rules yet: everything passes unshaped
ip netns exec "$A" ping -c 1 -W 3 10.78.0.2 >/dev/null || fail "no connectivity through ustack-emu"
"$EMU" --control "$ctl" --cmd 'pipe 1 config delay 15ms' >/dev/null
"$EMU" --control "$ctl" --cmd 'add 100 pipe 1 icmp from any to any' >/dev/null
out=$(ip netns exec "$A" ping -c 5 -i 0.2 -q 10.78.0.2)
echo "$out"
avg=$(echo "$out" | awk -F'/' '/^rtt|^round-trip/ {print $5}')
awk -v a="$avg" 'BEGIN { exit !(a >= 30.0 && a <= 40.0) }' || fail "ping RTT $avg ms, want ~30 ms"
"$EMU" --control "$ctl" --cmd 'add 50 deny icmp from any to any' >/dev/null
if ip netns exec "$A" ping -c 2 -i 0.2 -W 1 -q 10.78.0.2 >/dev/null; then
	fail "deny rule did not drop ICMP"
fi
grep -q 'drop_deny=' <<<"$("$EMU" --control "$ctl" --cmd 'show')" || fail "drop_deny not counted"
kill -TERM "$emu_pid"
wait "$emu_pid" || fail "ustack-emu exited with an error"
emu_pid=""
echo "PASS"
