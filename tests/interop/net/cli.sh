#!/usr/bin/env bash
# Command lines: bad options are refused with exit status 2 and a message naming the option;
# --help exits 0; a runtime failure (an interface that does not exist) exits 1 and says which.
# The runtime case runs inside an empty namespace of its own.
source "$(dirname "$0")/lib.sh"
COMMON=(--if tap:ut0 --ip 10.77.0.2/24)

# expect STATUS NEEDLE TOOL ARGS...: the tool exits STATUS and its stderr contains NEEDLE.
expect() {
	local want=$1 needle=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [[ $rc -ne $want ]] || ! grep -qF -- "$needle" "$T/err" "$T/out"; then
		echo "command: $*" >&2
		cat "$T/out" "$T/err" >&2
		fail "expected status $want and '$needle', got status $rc"
	fi
	echo "ok ($rc): $(basename "$1") ${*:2} -> $(head -1 "$T/err")"
}

for tool in "$PING" "$NC"; do
	expect 2 "--ip: '10.0.0.300/24' is not an IPv4 address/prefix" "$tool" --if tap:ut0 --ip 10.0.0.300/24 10.0.0.1 1
	expect 2 "--ip: '10.0.0.3' is not an IPv4 address/prefix" "$tool" --if tap:ut0 --ip 10.0.0.3 10.0.0.1 1
	expect 2 "--ip: '10.0.0.3/33'" "$tool" --if tap:ut0 --ip 10.0.0.3/33 10.0.0.1 1
	expect 2 "--if: 'bogus'" "$tool" --if bogus --ip 10.0.0.2/24 10.0.0.1 1
	expect 2 "--if: 'tap:'" "$tool" --if tap: --ip 10.0.0.2/24 10.0.0.1 1
	expect 2 "--if: 'tap:name-far-too-long-for-linux'" "$tool" --if tap:name-far-too-long-for-linux --ip 10.0.0.2/24 10.0.0.1 1
	expect 2 "--gw: '10.0.0'" "$tool" "${COMMON[@]}" --gw 10.0.0 10.0.0.1 1
	expect 2 "--mac: '02:00:00:00:00'" "$tool" "${COMMON[@]}" --mac 02:00:00:00:00 10.0.0.1 1
	expect 2 "--mac: 'zz:00:00:00:00:01'" "$tool" "${COMMON[@]}" --mac zz:00:00:00:00:01 10.0.0.1 1
	expect 2 "--frobnicate: unknown option" "$tool" "${COMMON[@]}" --frobnicate 10.0.0.1 1
	expect 2 "--ip: needs a value" "$tool" --if tap:ut0 --ip
	expect 2 "--if: missing" "$tool" --ip 10.0.0.2/24 10.0.0.1 1
	expect 2 "--ip: missing" "$tool" --if tap:ut0 10.0.0.1 1
	expect 0 "--if SPEC" "$tool" --help
done
expect 2 "-c: 'abc' is not a number" "$PING" "${COMMON[@]}" -c abc 10.77.0.1
expect 2 "-c: '0' is not a number" "$PING" "${COMMON[@]}" -c 0 10.77.0.1
expect 2 "-s: '65508' is not a number in 0..65507" "$PING" "${COMMON[@]}" -s 65508 10.77.0.1
expect 2 "-i: '-1' is not a time" "$PING" "${COMMON[@]}" -i -1 10.77.0.1
expect 2 "-i: 'fast' is not a time" "$PING" "${COMMON[@]}" -i fast 10.77.0.1
expect 2 "-W: '0' is not a time" "$PING" "${COMMON[@]}" -W 0 10.77.0.1
expect 2 "--batch: '0'" "$PING" "${COMMON[@]}" --batch 0 10.77.0.1
expect 2 "-x: unknown option" "$PING" "${COMMON[@]}" -x 10.77.0.1
expect 2 "-c: needs a value" "$PING" "${COMMON[@]}" 10.77.0.1 -c
expect 2 "DESTINATION: missing" "$PING" "${COMMON[@]}"
expect 2 "DESTINATION: 'example.org' is not an IPv4 address" "$PING" "${COMMON[@]}" example.org
expect 2 "-p: '0' is not a port number" "$NC" "${COMMON[@]}" -u -l -p 0
expect 2 "-p: '70000' is not a port number" "$NC" "${COMMON[@]}" -u -l -p 70000
expect 2 "PORT: 'http' is not a port number" "$NC" "${COMMON[@]}" -u 10.77.0.1 http
expect 2 "HOST: '10.77.0' is not an IPv4 address" "$NC" "${COMMON[@]}" -u 10.77.0 9
expect 2 "HOST PORT: missing" "$NC" "${COMMON[@]}" -u 10.77.0.1
expect 2 "-l: needs a port" "$NC" "${COMMON[@]}" -u -l
expect 2 "-q: 'soon' is not a time" "$NC" "${COMMON[@]}" -u -q soon 10.77.0.1 9

ns_add "$(ns_name l)" || fail "cannot create namespace"
expect 1 "--if afpacket:nosuchif0" ip netns exec "$(ns_name l)" "$PING" --if afpacket:nosuchif0 --ip 10.77.0.2/24 -c 1 10.77.0.1
expect 1 "--if afpacket:nosuchif0" ip netns exec "$(ns_name l)" "$NC" --if afpacket:nosuchif0 --ip 10.77.0.2/24 -u -l 9
echo "PASS"
