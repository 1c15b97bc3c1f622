# Shared setup of the bench/net scripts (source from bash): one namespace P for Linux's side
# (pingers, generator) holding
#   - TAP ut0, kernel 10.88.0.1/24, ustack-nc on tap:ut0 as 10.88.0.2        ("ustack-tap")
#   - veth vk 10.88.1.1/24 to namespace K, whose kernel answers as 10.88.1.2 ("kernel-veth")
#   - veth va 10.88.2.1/24 to namespace A, ustack-nc on afpacket:vb as 10.88.2.2 ("ustack-afpacket")
# The ustack responders are pinned to CPU $US_CPU (default: the last one), the Linux side to
# CPU $LX_CPU (default 0), so a user-level stack gets a core of its own as it would in use.
# They run with real-time priority (US_SCHED, default "chrt -f 10"; US_SCHED= for the normal
# scheduler): the kernel answers pings in softirq context, ahead of every process, while a
# user-level stack is a process, and on a loaded machine (other engineers compiling) ordinary
# scheduling delays it by tens to hundreds of ms. US_BUSY=1 adds --busy-poll (never sleeps);
# then the default is the normal scheduler, since two spinning SCHED_FIFO responders on one
# CPU would starve each other (FIFO does not share a CPU between equal priorities).
set -uo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-${USTACK_BUILD:-$SRC/build/normal}}
[[ $BUILD == /* ]] || BUILD=$SRC/$BUILD
NC=$BUILD/tools/ustack-nc/ustack-nc
FLOOD=$BUILD/bench/net/icmp-flood
NCPU=$(nproc)
# AF_RING=v3 runs the AF_PACKET responder on the TPACKET_V3 ring (default: the backend's
# default, TPACKET_V2), for comparing the two in one sitting.
AF_SPEC=afpacket:vb${AF_RING:+,ring=$AF_RING}
US_OPTS=()
if [[ ${US_BUSY:-0} == 1 ]]; then
	US_OPTS+=(--busy-poll)
	US_SCHED=${US_SCHED-}
else
	US_SCHED=${US_SCHED-chrt -f 10}
fi
# US_CPU_LATENCY=N: the responders hold a PM QoS request (--cpu-latency N) while they run;
# with 0 an idle CPU polls instead of halting, so waking a sleeping responder needs no
# interrupt into a halted virtual CPU (tens of microseconds on this VM).
[[ -n ${US_CPU_LATENCY:-} ]] && US_OPTS+=(--cpu-latency "$US_CPU_LATENCY")
# US_ISOLATE=1 (the default): for the run, kernel threads that may run on any CPU (kdamond,
# kcompactd, unbound kworkers, ...) are confined to the other CPUs, so the responder's CPU is
# really its own (what isolcpus or tuna would do on a deployed host); restored at the end.
# Measured on this VM: kdamond.0 took CPU 1 for 3-6 ms twice a second, and every time a
# busy-polling responder yielded to it a burst of replies waited that long.
US_ISOLATE=${US_ISOLATE:-1}
LX_CPU=${LX_CPU:-0}
US_CPU=${US_CPU:-$((NCPU - 1))}
OUT=$SRC/bench/net

source "$SRC/scripts/netns.sh"
[[ $(id -u) -eq 0 ]] || { echo "needs root" >&2; exit 1; }
[[ -x $NC ]] || { echo "$NC missing: build first" >&2; exit 1; }
ns_init bench
ns_tmp
T=$NS_TMP
NS_P=$(ns_name p)
NS_K=$(ns_name k)
NS_A=$(ns_name a)

declare -A TARGET_IP=([ustack-tap]=10.88.0.2 [kernel-veth]=10.88.1.2 [ustack-afpacket]=10.88.2.2)
declare -A TARGET_DEV=([ustack-tap]=ut0 [kernel-veth]=vk [ustack-afpacket]=va)
declare -A TARGET_SRC=([ustack-tap]=10.88.0.1 [kernel-veth]=10.88.1.1 [ustack-afpacket]=10.88.2.1)

# Targets this run measures: TARGETS="ustack-tap kernel-veth ustack-afpacket" by default.
read -r -a BENCH_TARGETS <<<"${TARGETS:-ustack-tap kernel-veth ustack-afpacket}"
bench_wants() { [[ " ${BENCH_TARGETS[*]} " == *" $1 "* ]]; }

# Confine every kernel thread whose affinity may change to CPUs other than $US_CPU; remember
# what it was, so bench_restore_cpus puts it back.
ISOLATED=()
bench_isolate_cpu() {
	local others pid mask
	others=$(seq 0 $((NCPU - 1)) | grep -vx "$US_CPU" | paste -sd,)
	[[ -n $others ]] || return 0
	for pid in $(ps -eo pid=,comm= | awk '$2 ~ /^(kdamond|kcompactd|kswapd|kworker\/u|khugepaged|kthreadd)/ {print $1}'); do
		mask=$(taskset -p "$pid" 2>/dev/null | awk '{print $NF}') || continue
		taskset -p -c "$others" "$pid" >/dev/null 2>&1 && ISOLATED+=("$pid:$mask")
	done
	echo "isolated CPU $US_CPU: ${#ISOLATED[@]} kernel threads confined to CPU $others for the run"
}
bench_restore_cpus() {
	local e
	for e in "${ISOLATED[@]}"; do taskset -p "${e#*:}" "${e%%:*}" >/dev/null 2>&1; done
	ISOLATED=()
}
# Restored also when the script fails or is interrupted (ns_init's trap cleans the namespaces).
trap 'bench_restore_cpus; ns_cleanup' EXIT

bench_setup() {
	[[ $US_ISOLATE == 1 ]] && bench_isolate_cpu
	ns_add "$NS_P" && ns_add "$NS_K" && ns_add "$NS_A" || { echo "namespaces failed" >&2; exit 1; }
	ns_tap "$NS_P" ut0 10.88.0.1/24
	ns_veth "$NS_P" vk 10.88.1.1/24 "$NS_K" vk2 10.88.1.2/24
	ns_veth "$NS_P" va 10.88.2.1/24 "$NS_A" vb ""
	# Ping sockets (SOCK_DGRAM ICMP) for root: the kernel demultiplexes replies by identifier
	# instead of copying every reply to every raw socket of 1000 pingers.
	ip netns exec "$NS_P" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	# Only the responders of the targets asked for (TARGETS), so that a busy-polling responder
	# can have its CPU to itself.
	US_TAP_PID= US_AF_PID=
	if bench_wants ustack-tap; then
		# shellcheck disable=SC2086
		NS_ERR=$T/us-tap.err ns_bg "$NS_P" "$T/us-tap.out" taskset -c "$US_CPU" $US_SCHED \
			"$NC" --if tap:ut0 --ip 10.88.0.2/24 -v -u -l -p 7 -d "${US_OPTS[@]}"
		US_TAP_PID=$NS_PID
		ns_wait_for "$T/us-tap.err" "mac " 10 || { cat "$T/us-tap.err"; exit 1; }
	fi
	if bench_wants ustack-afpacket; then
		# shellcheck disable=SC2086
		NS_ERR=$T/us-af.err ns_bg "$NS_A" "$T/us-af.out" taskset -c "$US_CPU" $US_SCHED \
			"$NC" --if "$AF_SPEC" --ip 10.88.2.2/24 -v -u -l -p 7 -d "${US_OPTS[@]}"
		US_AF_PID=$NS_PID
		ns_wait_for "$T/us-af.err" "mac " 10 || { cat "$T/us-af.err"; exit 1; }
	fi
	echo "ustack responders: CPU $US_CPU, scheduler '${US_SCHED:-SCHED_OTHER}', options '${US_OPTS[*]}';" \
		"AF_PACKET spec '$AF_SPEC'; Linux side: CPU $LX_CPU; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	for t in "${BENCH_TARGETS[@]}"; do
		ip netns exec "$NS_P" ping -c 2 -i 0.2 -W 2 "${TARGET_IP[$t]}" >/dev/null ||
			{ echo "$t (${TARGET_IP[$t]}) does not answer pings" >&2; exit 1; }
	done
}

# Stop the responders; a non-zero status (crash, sanitizer) is reported.
bench_teardown() {
	bench_restore_cpus
	[[ -z $US_TAP_PID ]] || ns_stop "$US_TAP_PID" 10 || echo "warning: ustack-nc on TAP exited with $?" >&2
	[[ -z $US_AF_PID ]] || ns_stop "$US_AF_PID" 10 || echo "warning: ustack-nc on AF_PACKET exited with $?" >&2
}
