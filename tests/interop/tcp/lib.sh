# Shared setup of the TCP interop tests (source from a test script; $1 of the test is the link).
#
#   link "tap":       one namespace L; the kernel has 10.79.0.1/24 on TAP ut0 and the ustack
#                     program attaches to it (--if tap:ut0) as 10.79.0.2, virtio-net offload on
#                     (checksum-partial frames; TSO frames from Linux arrive as super-frames).
#   link "tapnooff":  the same with --no-offload (plain 1500-byte frames, full checksums).
#   link "afpacket":  namespaces L and U joined by a veth pair; the kernel's end vl has
#                     10.79.0.1/24; the ustack program runs in U on vu (--if afpacket:vu).
#                     TSO/GSO are turned off on vl: the AF_PACKET backend reads frames of at
#                     most one MTU and truncates the kernel's GSO super-frames (TCP-BUGS.md B3).
#
# Everything runs in namespaces this script creates (names ust-tcpio-PID-*), removed on exit.
# Exit 77 (meson: skipped) without root or TAP support.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${USTACK_SOURCE:-$(cd "$HERE/../../.." && pwd)}
BUILD=${USTACK_BUILD:-$SRC/build/normal}
NC=$BUILD/tools/ustack-nc/ustack-nc
PERF=$BUILD/tools/ustack-perf/ustack-perf
LINK=${1:-tap}
LX_IP=10.79.0.1
US_IP=10.79.0.2

# shellcheck source=../../../scripts/netns.sh
source "$SRC/scripts/netns.sh"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
note() { echo "--- $*"; }

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
[[ -c /dev/net/tun ]] || { echo "SKIP: no /dev/net/tun"; exit 77; }
[[ -x $NC && -x $PERF ]] || fail "tools not built in $BUILD"

ns_init tcpio
ns_tmp
T=$NS_TMP
NS_L=$(ns_name l)
NS_U=$NS_L
US_IF=""
US_OPTS=()

setup_link() {
	ns_add "$NS_L" || fail "cannot create namespace $NS_L"
	case $LINK in
	tap | tapnooff)
		ns_tap "$NS_L" ut0 "$LX_IP/24" || fail "cannot create TAP device"
		US_IF=tap:ut0
		[[ $LINK == tapnooff ]] && US_OPTS=(--no-offload)
		;;
	afpacket)
		NS_U=$(ns_name u)
		ns_add "$NS_U" || fail "cannot create namespace $NS_U"
		ns_veth "$NS_L" vl "$LX_IP/24" "$NS_U" vu "" || fail "cannot create veth pair"
		US_IF=afpacket:vu
		;;
	*) fail "unknown link '$LINK' (tap, tapnooff or afpacket)" ;;
	esac
}

# Run a command on the Linux side.
lx() { ip netns exec "$NS_L" "$@"; }
# Run a ustack program in the foreground (its common options added).
us() { local tool=$1; shift; ip netns exec "$NS_U" "$tool" --if "$US_IF" --ip "$US_IP/24" "${US_OPTS[@]}" "$@"; }
# The same under timeout(1): us_t SECONDS TOOL ARGS...
us_t() {
	local secs=$1 tool=$2
	shift 2
	ip netns exec "$NS_U" timeout "$secs" "$tool" --if "$US_IF" --ip "$US_IP/24" "${US_OPTS[@]}" "$@"
}
# Start a ustack program in the background: us_bg NAME TOOL ARGS...; sets US_PID; output in
# $T/NAME.out, errors in $T/NAME.err. Waits until its stack is up (needs -v for ustack-nc).
us_bg() {
	local name=$1 tool=$2
	shift 2
	NS_ERR=$T/$name.err ns_bg "$NS_U" "$T/$name.out" "$tool" --if "$US_IF" --ip "$US_IP/24" "${US_OPTS[@]}" "$@"
	US_PID=$NS_PID
}
# Wait (up to SECONDS) for PID to exit; its status is returned, 124 on timeout (then killed).
wait_pid() {
	local pid=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}
# Wait until something listens on Linux TCP port P in L.
lx_wait_listen() {
	local port=$1 i
	for ((i = 0; i < 50; i++)); do
		lx ss -Hltn "sport = :$port" 2>/dev/null | grep -q LISTEN && return 0
		sleep 0.1
	done
	return 1
}
# A ustack listener is up when a Linux connect to it succeeds... which would consume the
# accept: instead wait for the tool's "listening"/mac line on stderr (ustack-nc -v).
us_wait_up() { ns_wait_for "$1" "${2:-mac [0-9a-f:]+}" 10 || { cat "$1"; fail "ustack program did not start"; }; }

# Value of counter NAME (e.g. tcp.retransmits) in a --stats dump on stderr FILE; 0 if absent.
us_counter() {
	local v
	v=$(grep -oE "(^|[[:space:]])$2 [0-9]+" "$1" | tail -n 1 | awk '{print $2}')
	echo "${v:-0}"
}

# Random test data of N bytes in FILE.
mkdata() { head -c "$2" /dev/urandom >"$1"; }
same() { [[ $(sha256sum <"$1") == $(sha256sum <"$2") ]]; }

# Random loss of P percent of the TCP segments in each direction, dropped by nftables
# (numgen random) on the Linux side. The Linux endpoint moves into a namespace of its own, P,
# behind the namespace that holds the link (which becomes a router):
#     Linux programs (P) 10.79.1.2 --veth-- 10.79.1.1 (L, forwarding) 10.79.0.1 --link-- ustack
# and the drop rules sit in L's forward chain. A drop there is a real loss for both ends:
# nftables on Linux's own input hook would drop only what ustack sends, and on its output (or
# egress) hook the drop is reported back to the sending socket, which just sends the segment
# again later, in order, so Linux's data was never lost. TSO/GSO are off on P's end, so each
# segment Linux sends faces the lottery on its own. lx() then runs in P; LX_IP is P's address
# and ustack programs reach it through --gw 10.79.0.1. Call after setup_link.
lx_loss() {
	local pct=$1 dir
	NS_R=$NS_L
	NS_L=$(ns_name p)
	ns_add "$NS_L" || fail "cannot create namespace $NS_L"
	ns_veth "$NS_R" vr 10.79.1.1/24 "$NS_L" vp 10.79.1.2/24 || fail "cannot create the veth pair to P"
	ip netns exec "$NS_L" ethtool -K vp tso off gso off >/dev/null 2>&1 || fail "ethtool on vp"
	ip -n "$NS_L" route add default via 10.79.1.1 || fail "route in P"
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 || fail "forwarding in L"
	US_OPTS+=(--gw "$LX_IP")
	LX_IP=10.79.1.2
	ip netns exec "$NS_R" nft add table inet tcpio || fail "nft table"
	ip netns exec "$NS_R" nft add chain inet tcpio forward '{ type filter hook forward priority 0; }' ||
		fail "nft chain"
	for dir in daddr saddr; do
		ip netns exec "$NS_R" nft add rule inet tcpio forward ip $dir "$US_IP" meta l4proto tcp \
			numgen random mod 100 \< "$pct" counter drop || fail "nft rule"
	done
}
# Segments dropped so far by lx_loss on their way to ustack (to-us) or to Linux (to-lx).
lx_loss_dropped() {
	local dir=daddr
	[[ $1 == to-lx ]] && dir=saddr
	ip netns exec "$NS_R" nft list chain inet tcpio forward | grep -E "ip $dir " |
		grep -oE "packets [0-9]+" | awk '{s += $2} END {print s + 0}'
}

# A capture of the ustack side must open cleanly in tshark: no malformed packets; with
# --no-offload (full checksums in every frame) also no bad checksum. With offload, frames
# the kernel hands to the TAP carry partial checksums (virtio-net NEEDS_CSUM), so checksum
# validation is left off there.
check_pcap() {
	local f=$1 out bad
	local opts=(-o tcp.check_checksum:FALSE -o ip.check_checksum:FALSE)
	[[ $LINK == tapnooff ]] && opts=(-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE)
	# No stream reassembly for application dissectors: a retransmission cut at other
	# boundaries than the original is legal TCP, but tshark's reassembly (started for a
	# heuristic guess such as THRIFT on random bytes) files it as "Malformed: new fragment
	# overlaps old data". The bytes themselves are compared by SHA-256 in the tests.
	opts+=(-o tcp.desegment_tcp_streams:FALSE)
	out=$(tshark -r "$f" "${opts[@]}" -q -z expert 2>/dev/null) || { echo "$out"; fail "tshark cannot read $f"; }
	# Random payload sometimes looks like an application protocol to tshark's heuristics
	# (THRIFT, ...), which then calls it malformed: only the stack's own layers count.
	bad=$(grep -E "Malformed|[Cc]hecksum|Bad " <<<"$out" | grep -E " (TCP|IPv4|ETH|Ethernet|ARP|ICMP) ")
	# RFC 1624: 0xffff is the other one's-complement zero, and receivers accept it. Linux's
	# software checksum (skb_checksum_help, used for the TAP without offload) writes it for
	# every protocol whenever the sum is zero, one frame in 65536; tshark warns about it for
	# TCP. Such a frame from Linux is no fault of ours; one from ustack is.
	if grep -q "TCP Checksum 0xffff instead of 0x0000" <<<"$bad"; then
		local ours
		ours=$(tshark -r "$f" "${opts[@]}" -Y "tcp.checksum == 0xffff && ip.src == $US_IP" \
			-T fields -e frame.number 2>/dev/null)
		[[ -n $ours ]] && fail "capture $f: ustack sent TCP checksum 0xffff (frames $ours)"
		echo "  (Linux sent a TCP checksum of 0xffff: the valid negative zero, RFC 1624)"
		bad=$(grep -v "TCP Checksum 0xffff instead of 0x0000" <<<"$bad")
	fi
	if [[ -n $bad ]]; then
		echo "$out"
		fail "capture $f has malformed frames or bad checksums: $bad"
	fi
}
