#!/usr/bin/env bash
# TCP interop against the Linux kernel over TAP, inside a network namespace this script creates
# and deletes (ust-tcpsm-<pid>-k); nothing touches the root namespace.
#   tcp_interop.sh PROGRAM [offload]   (PROGRAM: tcp_interop, see its header)
# Linux runs an echo server for ustack's client, then a client (socat) that sends 1 MB to
# ustack's echo server and checks that the same bytes come back.
# Exit 0 pass, 1 fail, 77 skip (not root, no TUN, no socat).
set -euo pipefail
prog=${1:?program}
mode=${2:-}

if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root"; exit 77; fi
if [[ ! -c /dev/net/tun ]] || ! command -v ip >/dev/null || ! command -v socat >/dev/null; then
	echo "SKIP: no TUN/iproute2/socat"
	exit 77
fi

tag=$$
ns=ust-tcpsm-$tag-k
tap=usttcp$tag
tmp=$(mktemp -d /tmp/ust-tcpsm-XXXXXX)
pids=()

cleanup() {
	set +e
	exec 3>&- 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP

fail() {
	echo "FAIL: $*"
	[[ -f $tmp/out ]] && sed 's/^/  program: /' "$tmp/out"
	exit 1
}

ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

mkfifo "$tmp/go"
ip netns exec "$ns" "$prog" "tap:$tap" $mode <"$tmp/go" >"$tmp/out" 2>&1 &
prog_pid=$!
pids+=("$prog_pid")
exec 3>"$tmp/go"
for _ in $(seq 100); do
	grep -q READY "$tmp/out" && break
	kill -0 "$prog_pid" 2>/dev/null || fail "program exited before READY"
	sleep 0.1
done
grep -q READY "$tmp/out" || fail "program not READY"

ip -n "$ns" addr add 10.77.0.1/24 dev "$tap"
ip -n "$ns" link set "$tap" up
ip netns exec "$ns" socat TCP-LISTEN:6000,reuseaddr,bind=10.77.0.1 EXEC:cat &
pids+=("$!")
sleep 0.5
echo go >&3
exec 3>&-

for _ in $(seq 400); do
	grep -q LISTENING "$tmp/out" && break
	kill -0 "$prog_pid" 2>/dev/null || fail "program exited early"
	sleep 0.1
done
grep -q LISTENING "$tmp/out" || fail "ustack server not listening"

head -c 1000000 /dev/urandom >"$tmp/in"
ip netns exec "$ns" timeout 30 socat -t 10 -T 20 TCP:10.77.0.2:5000 - <"$tmp/in" >"$tmp/back" || fail "socat client failed"
cmp -s "$tmp/in" "$tmp/back" || fail "echo differs ($(stat -c %s "$tmp/back") bytes back)"

rc=0
wait "$prog_pid" || rc=$?
[[ $rc -eq 0 ]] || fail "program exit status $rc"
sed 's/^/  /' "$tmp/out"
echo "PASS: ustack client and server against Linux TCP"
