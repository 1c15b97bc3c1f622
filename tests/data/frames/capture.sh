#!/usr/bin/env bash
# Regenerates the known-good frames under tests/data/frames/ from real Linux traffic between
# two network namespaces joined by a veth pair (run as root; nothing touches the root
# namespace). Checksum and segmentation offloads are turned off so the captured bytes are
# exactly what a wire would carry. Output: classic pcap files, a few KB each.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
a=ust-wire-$$-a
b=ust-wire-$$-b
cleanup() {
	ip netns pids "$a" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns pids "$b" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$a" 2>/dev/null || true
	ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip -n "$a" link add va type veth peer name vb netns "$b"
ip -n "$a" link set va address 02:00:00:00:00:0a
ip -n "$b" link set vb address 02:00:00:00:00:0b
ip -n "$a" addr add 10.77.0.1/24 dev va
ip -n "$b" addr add 10.77.0.2/24 dev vb
for ns in "$a" "$b"; do
	dev=va; [[ $ns == "$b" ]] && dev=vb
	ip netns exec "$ns" ethtool -K "$dev" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$dev" up
done
sleep 1

capture() { # name, commands...
	local name=$1; shift
	rm -f "$out/$name.pcap"
	ip netns exec "$a" dumpcap -q -P -i va -w "$out/$name.pcap" >/dev/null 2>&1 &
	local pid=$!
	sleep 1.5
	"$@"
	sleep 1
	kill -INT $pid
	wait $pid || true
	chmod 644 "$out/$name.pcap"
}

arp_icmp() {
	ip -n "$a" neigh flush dev va
	ip -n "$b" neigh flush dev vb
	ip netns exec "$a" ping -c 2 -i 0.2 -p 7573746163 10.77.0.2 >/dev/null
}
frag() {
	ip netns exec "$a" ping -c 1 -s 3000 10.77.0.2 >/dev/null
}
udp() {
	ip netns exec "$b" timeout 3 nc -u -l -p 7777 >/dev/null &
	local srv=$!
	sleep 0.5
	printf 'hello over udp\n' | ip netns exec "$a" timeout 1 nc -u -w 1 -p 40000 10.77.0.2 7777 || true
	# A closed port: the ICMP port unreachable quotes our datagram.
	printf 'nobody listens\n' | ip netns exec "$a" timeout 1 nc -u -w 1 -p 40001 10.77.0.2 5454 || true
	wait $srv || true
}
tcp() {
	ip netns exec "$b" sh -c '(sleep 0.5; printf "reply from b\n") | timeout 4 nc -l -p 8080 -q 1 >/dev/null' &
	local srv=$!
	sleep 0.3
	(printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | ip netns exec "$a" timeout 3 nc -q 1 -p 41000 10.77.0.2 8080 >/dev/null || true
	wait $srv || true
}
sack() {
	# Small segments (route MTU 600) and the second data segment dropped once at b's input,
	# so b acknowledges the segments after the hole with SACK blocks.
	ip -n "$a" route add 10.77.0.2/32 dev va mtu 600
	ip netns exec "$b" sysctl -qw net.netfilter.nf_conntrack_acct=1
	ip netns exec "$b" nft -f - <<'NFT'
table inet ustwire {
	chain in {
		type filter hook input priority 0;
		tcp dport 8081 ct original packets 4 drop
	}
}
NFT
	ip netns exec "$b" sh -c 'sleep 2 | timeout 4 nc -l -p 8081 -q 1 >/dev/null' &
	local srv=$!
	sleep 0.3
	head -c 2000 /dev/zero | tr '\0' 'u' | ip netns exec "$a" timeout 3 nc -q 1 -p 41001 10.77.0.2 8081 >/dev/null || true
	wait $srv || true
}

capture arp_icmp arp_icmp
capture frag frag
capture udp udp
capture tcp tcp
capture sack sack
ls -l "$out"/*.pcap
