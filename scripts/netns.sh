# Namespace helpers for tests, the demo and benchmarks (source this file from bash).
#
# Everything a script creates is recorded and removed by ns_cleanup, which ns_init installs
# as the EXIT trap (and runs on INT/TERM too), so a failing or interrupted script leaves no
# namespace, device or process behind. Names include the caller's PID, so parallel scripts
# (and parallel engineers) never collide. Devices live inside the namespaces only: nothing
# here touches an interface of the root namespace.
#
#   ns_init OWNER            prefix names with ust-OWNER-$$ and install the cleanup trap
#   ns_name SUFFIX           print a unique namespace name: ust-OWNER-PID-SUFFIX
#   ns_add NS                create a namespace (lo up, IPv6 off: no stray RS/DAD frames)
#   ns_tap NS DEV CIDR       persistent TAP DEV in NS with the kernel's address CIDR, up
#                            (a ustack program in NS then attaches with --if tap:DEV)
#   ns_veth NS1 DEV1 CIDR1 NS2 DEV2 [CIDR2]
#                            veth pair across two namespaces; CIDR2 "" leaves DEV2 without
#                            an address (for a ustack program on --if afpacket:DEV2); then
#                            DEV1 gets TSO/GSO off, because the kernel would hand its
#                            unsegmented 64 KB TCP frames to the AF_PACKET ring, which
#                            truncates them (counted as rx_truncated, but TCP stalls);
#                            NS_VETH_TX_OFF=1 turns tx checksum offload off on both ends
#                            (by default the kernel hands AF_PACKET readers partial checksums,
#                            as it does on real veth/virtio links)
#   ns_bg NS LOG CMD...      run CMD in NS in the background, output to LOG; sets NS_PID
#                            (stdin from $NS_IN, default /dev/null; stderr to $NS_ERR if set)
#   ns_stop PID [SECONDS]    SIGTERM, wait (default 10 s, then SIGKILL); returns the exit status
#   ns_wait_for LOG REGEX [SECONDS]   wait until LOG matches (default 10 s); 1 on timeout
#   ns_tmp                   a private temporary directory (removed at cleanup): $NS_TMP
#   NS_PY                    python3 with the system packages (matplotlib)

NS_LIST=()
NS_PIDS=()
NS_TMP=""
NS_PREFIX=""
NS_PID=""
NS_PY=/usr/bin/python3
[[ -x $NS_PY ]] || NS_PY=python3

ns_cleanup() {
	local rc=$? pid ns
	trap - EXIT INT TERM
	for pid in "${NS_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	for ns in "${NS_LIST[@]}"; do
		ip netns pids "$ns" 2>/dev/null | while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	[[ -n $NS_TMP && -d $NS_TMP ]] && rm -rf "$NS_TMP"
	return $rc
}

ns_init() {
	NS_PREFIX="ust-${1:-tools}-$$"
	trap ns_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

ns_name() { echo "$NS_PREFIX-$1"; }

ns_tmp() {
	[[ -n $NS_TMP ]] || NS_TMP=$(mktemp -d "/tmp/$NS_PREFIX.XXXXXX")
}

ns_add() {
	local ns=$1
	ip netns add "$ns" || return 1
	NS_LIST+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
		>/dev/null 2>&1 || true
}

ns_tap() {
	local ns=$1 dev=$2 cidr=$3
	ip -n "$ns" tuntap add dev "$dev" mode tap || return 1
	ip -n "$ns" addr add "$cidr" dev "$dev" || return 1
	ip -n "$ns" link set "$dev" up
}

ns_veth() {
	local ns1=$1 dev1=$2 cidr1=$3 ns2=$4 dev2=$5 cidr2=${6:-}
	ip -n "$ns1" link add "$dev1" type veth peer name "$dev2" netns "$ns2" || return 1
	[[ -n $cidr1 ]] && ip -n "$ns1" addr add "$cidr1" dev "$dev1"
	[[ -n $cidr2 ]] && ip -n "$ns2" addr add "$cidr2" dev "$dev2"
	[[ -z $cidr2 ]] && ip netns exec "$ns1" ethtool -K "$dev1" tso off gso off >/dev/null 2>&1
	if [[ ${NS_VETH_TX_OFF:-0} == 1 ]]; then
		ip netns exec "$ns1" ethtool -K "$dev1" tx off >/dev/null 2>&1 || true
		ip netns exec "$ns2" ethtool -K "$dev2" tx off >/dev/null 2>&1 || true
	fi
	ip -n "$ns1" link set "$dev1" up && ip -n "$ns2" link set "$dev2" up
}

ns_bg() {
	local ns=$1 log=$2 err=${NS_ERR:-} in=${NS_IN:-/dev/null}
	shift 2
	if [[ -n $err ]]; then
		ip netns exec "$ns" "$@" >"$log" 2>"$err" <"$in" &
	else
		ip netns exec "$ns" "$@" >"$log" 2>&1 <"$in" &
	fi
	NS_PID=$!
	NS_PIDS+=("$NS_PID")
}

ns_stop() {
	local pid=$1 secs=${2:-10} i rc
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

ns_wait_for() {
	local log=$1 re=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -qE -- "$re" "$log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
