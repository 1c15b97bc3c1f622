# Shared setup of the net interop tests (source from a test script; $1 of the test is the link).
#
#   link "tap":      one namespace L. The kernel has 10.77.0.1/24 on TAP device ut0; the ustack
#                    program runs in L attached to the same TAP (--if tap:ut0) as 10.77.0.2.
#   link "afpacket": namespaces L and U joined by a veth pair; the kernel has 10.77.0.1/24 on
#                    vl in L; the ustack program runs in U on vu (--if afpacket:vu, no kernel
#                    address there) as 10.77.0.2.
#
# Every ustack program is stopped with SIGTERM and must exit 0: a clean shutdown that frees
# everything, so a sanitizer report (leak, UB) in the sanitizer build fails the test.
# Exit 77 (meson: skipped) without root or TAP support.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${USTACK_SOURCE:-$(cd "$HERE/../../.." && pwd)}
BUILD=${USTACK_BUILD:-$SRC/build/normal}
PING=$BUILD/tools/ustack-ping/ustack-ping
NC=$BUILD/tools/ustack-nc/ustack-nc
LINK=${1:-tap}
LX_IP=10.77.0.1
US_IP=10.77.0.2
US_MAC=02:00:00:77:00:02

# shellcheck source=../../../scripts/netns.sh
source "$SRC/scripts/netns.sh"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() { echo "--- $*"; }

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
[[ -c /dev/net/tun ]] || { echo "SKIP: no /dev/net/tun"; exit 77; }
[[ -x $PING && -x $NC ]] || fail "tools not built in $BUILD"

ns_init tools
ns_tmp
T=$NS_TMP
NS_L=$(ns_name l)
NS_U=$NS_L
US_IF=""

setup_link() {
	ns_add "$NS_L" || fail "cannot create namespace $NS_L"
	case $LINK in
	tap)
		ns_tap "$NS_L" ut0 "$LX_IP/24" || fail "cannot create TAP device"
		US_IF=tap:ut0
		;;
	afpacket)
		NS_U=$(ns_name u)
		ns_add "$NS_U" || fail "cannot create namespace $NS_U"
		ns_veth "$NS_L" vl "$LX_IP/24" "$NS_U" vu "" || fail "cannot create veth pair"
		US_IF=afpacket:vu
		;;
	*) fail "unknown link '$LINK' (tap or afpacket)" ;;
	esac
}

# Run a command on the Linux side.
lx() { ip netns exec "$NS_L" "$@"; }
# Run a ustack program in the foreground where ustack lives (its common options added).
us() { local tool=$1; shift; ip netns exec "$NS_U" "$tool" --if "$US_IF" --ip "$US_IP/24" "$@"; }

# Start `ustack-nc -v ARGS` in the background; waits until it is up. Sets US_PID, US_LOG.
start_nc() {
	local name=$1
	shift
	US_LOG=$T/$name.err
	NS_ERR=$US_LOG ns_bg "$NS_U" "$T/$name.out" "$NC" --if "$US_IF" --ip "$US_IP/24" -v "$@"
	US_PID=$NS_PID
	ns_wait_for "$US_LOG" "mac [0-9a-f:]+" 10 || { cat "$US_LOG"; fail "ustack-nc did not start"; }
}

# SIGTERM a ustack program; it must exit 0 (clean shutdown, no sanitizer report).
stop_checked() {
	local pid=$1 log=$2 rc
	ns_stop "$pid" 10
	rc=$?
	if [[ $rc -ne 0 ]]; then
		echo "ustack program log:" >&2
		cat "$log" >&2
		fail "ustack program exited with status $rc after SIGTERM (expected 0)"
	fi
}

# Linux `ping -c N -w DEADLINE` output in FILE: at least N replies. (With a deadline, iputils
# keeps sending until N replies are in, so "transmitted" may exceed N on a loaded machine.)
expect_replies() {
	local file=$1 want=$2 got
	got=$(grep -oE '[0-9]+ received' "$file" | cut -d' ' -f1)
	[[ ${got:-0} -ge $want ]]
}
