#!/usr/bin/env bash
# Interop tests of the real backends against the Linux kernel, inside network namespaces
# this script creates and deletes (names ust-io-<pid>-*); nothing touches the root namespace.
#   io_interop.sh tap|afpacket|afpacket-v3|offload PROGRAM
# afpacket uses the default receive ring (TPACKET_V2), afpacket-v3 the ",ring=v3" one.
# PROGRAM is io_interop (built from io_interop.c); see its header for what each mode checks.
# The program opens its backend, prints READY and waits for "go" on stdin; meanwhile this
# script configures the kernel's side (the TAP device only exists once the program runs).
# Exit 0 pass, 1 fail, 77 skip (not root, or no TAP / namespaces).
set -euo pipefail
mode=${1:?mode}
prog=${2:?program}

if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root"; exit 77; fi
if [[ ! -c /dev/net/tun ]] || ! command -v ip >/dev/null; then
	echo "SKIP: no TUN/iproute2"
	exit 77
fi

tag=$$
nsk=ust-io-$tag-k	# the kernel's namespace
nss=ust-io-$tag-s	# the program's namespace when it is not the kernel's (afpacket)
tap=ustio$tag		# at most 12 characters < IFNAMSIZ
tmp=$(mktemp -d /tmp/ust-io-XXXXXX)
pids=()
prog_pid=

cleanup() {
	set +e
	exec 3>&- 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$nsk" 2>/dev/null
	ip netns del "$nss" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP

fail() {
	echo "FAIL ($mode): $*"
	[[ -f $tmp/out ]] && sed 's/^/  program: /' "$tmp/out"
	exit 1
}

new_ns() { # name
	ip netns add "$1"
	ip -n "$1" link set lo up
	# No IPv6 chatter (router solicitations, DAD) on the test link.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

start_prog() { # namespace, program arguments...
	local ns=$1
	shift
	mkfifo "$tmp/go"
	TMPDIR=$tmp ip netns exec "$ns" "$prog" "$@" <"$tmp/go" >"$tmp/out" 2>&1 &
	prog_pid=$!
	pids+=("$prog_pid")
	exec 3>"$tmp/go"
	for _ in $(seq 100); do
		grep -q READY "$tmp/out" && return 0
		kill -0 "$prog_pid" 2>/dev/null || fail "program exited before READY"
		sleep 0.1
	done
	fail "program not READY after 10 s"
}

go() {
	echo go >&3
	exec 3>&-
}

finish_prog() {
	local rc=0
	wait "$prog_pid" || rc=$?
	[[ $rc -eq 0 ]] || fail "program exit status $rc"
	sed 's/^/  /' "$tmp/out"
}

link_is_up() { # namespace, ifname
	grep -q '[<,]UP[,>]' <<<"$(ip -n "$1" link show "$2")"
}

case $mode in
tap)
	new_ns "$nsk"
	start_prog "$nsk" tap "$tap" 10.77.0.2 10.77.0.1 10.77.0.3
	link_is_up "$nsk" "$tap" || fail "TAP device $tap not created and up"
	ip -n "$nsk" addr add 10.77.0.1/24 dev "$tap"
	go
	# The kernel has to resolve 10.77.0.3 (nobody): the program must see the ARP request.
	ip netns exec "$nsk" ping -c 6 -i 0.5 -W 1 10.77.0.3 >/dev/null 2>&1 &
	pids+=($!)
	finish_prog
	# The device goes away with the program's descriptor.
	sleep 0.2
	! ip -n "$nsk" link show "$tap" >/dev/null 2>&1 || fail "TAP device outlived the program"
	;;
afpacket | afpacket-v3)
	ifarg=vs
	[[ $mode == afpacket-v3 ]] && ifarg=vs,ring=v3
	new_ns "$nsk"
	new_ns "$nss"
	ip -n "$nsk" link add vk type veth peer name vs netns "$nss"
	ip -n "$nsk" addr add 10.78.0.1/24 dev vk
	ip -n "$nsk" link set vk up
	ip -n "$nss" link set vs up
	ifmac=$(ip netns exec "$nss" cat /sys/class/net/vs/address)
	kmac=$(ip netns exec "$nsk" cat /sys/class/net/vk/address)
	start_prog "$nss" afpacket "$ifarg" 10.78.0.2 10.78.0.1 10.78.0.3 "$ifmac" "$kmac"
	grep -q "promiscuity 1" <<<"$(ip -d -n "$nss" link show vs)" || fail "vs is not promiscuous while open"
	go
	ip netns exec "$nsk" ping -c 6 -i 0.5 -W 1 10.78.0.3 >/dev/null 2>&1 &
	pids+=($!)
	# UDP and TCP (SYNs) from the kernel: veth hands them over with the checksum left undone
	# (CSUMNOTREADY); the program checks that the backend finished it.
	ip netns exec "$nsk" bash -c 'for i in $(seq 40); do
		echo ustack-udp >/dev/udp/10.78.0.2/7777
		timeout 0.2 bash -c "echo >/dev/tcp/10.78.0.2/7777"; done' >/dev/null 2>&1 &
	pids+=($!)
	finish_prog
	grep -q "promiscuity 0" <<<"$(ip -d -n "$nss" link show vs)" || fail "vs still promiscuous after close"
	;;
offload)
	new_ns "$nsk"
	start_prog "$nsk" offload "$tap" 10.79.0.2 10.79.0.1 5001
	grep -q "mtu 9000 " <<<"$(ip -n "$nsk" link show "$tap")" || fail "MTU 9000 not set on $tap"
	ip -n "$nsk" addr add 10.79.0.1/24 dev "$tap"
	# A listener that sends 200 kB as soon as the program connects and keeps what it gets.
	head -c 200000 /dev/zero | tr '\0' 'x' >"$tmp/big"
	ip netns exec "$nsk" nc -l 10.79.0.1 5001 <"$tmp/big" >"$tmp/recv" 2>/dev/null &
	pids+=($!)
	for _ in $(seq 50); do
		ip netns exec "$nsk" ss -ltn | grep -q ':5001 ' && break
		sleep 0.1
	done
	go
	finish_prog
	# The 8000 bytes sent as one TSO frame reached the listener, segmented and intact.
	python3 -c 'import sys
sys.stdout.buffer.write(bytes((i * 31 + 7) & 255 for i in range(8000)))' >"$tmp/want"
	for _ in $(seq 30); do
		cmp -s "$tmp/want" "$tmp/recv" && break
		sleep 0.1
	done
	cmp "$tmp/want" "$tmp/recv" || fail "listener did not receive the 8000 bytes intact"
	;;
*)
	echo "unknown mode $mode"
	exit 2
	;;
esac
echo "PASS ($mode)"
