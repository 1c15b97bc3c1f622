#!/usr/bin/env bash
# Installs the Debian packages that building, testing and the demo need, and only those
# that are missing. Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

packages=(
	meson ninja-build pkg-config gcc clang llvm libclang-rt-14-dev
	libcmocka-dev libpcap-dev libbpf-dev libxdp-dev libcjson-dev
	iproute2 iputils-ping netcat-openbsd socat iperf3 tshark tcpdump nftables ethtool
	python3 python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "install-deps: missing packages ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/ustack-apt.log 2>&1; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/ustack-apt.log 2>&1 || {
		tail -20 /tmp/ustack-apt.log >&2
		echo "install-deps: apt-get install failed" >&2
		exit 1
	}
fi
