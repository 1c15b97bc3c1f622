#!/usr/bin/env bash
# ARP both ways. Linux resolves ustack: after a ping, `ip neigh` on Linux holds ustack's MAC
# (the one given with --mac). ustack resolves Linux: ustack-ping gets replies, and the tool's
# own capture (--pcap) holds its ARP request for Linux's address and Linux's reply carrying
# Linux's real MAC. Also: without --mac, the MAC the tool reports is the one Linux learns.
source "$(dirname "$0")/lib.sh"
setup_link
if [[ $LINK == tap ]]; then lx_dev=ut0; else lx_dev=vl; fi
LX_MAC=$(lx cat "/sys/class/net/$lx_dev/address")

start_nc arp1 -u -l -p 7 -d --mac "$US_MAC"
note "Linux resolves ustack ($US_MAC) over $LINK"
lx ping -c 1 -w 10 "$US_IP" >"$T/p1" 2>&1 || { cat "$T/p1"; fail "no reply to Linux ping"; }
lx ip neigh show "$US_IP" dev "$lx_dev" | tee "$T/n1"
grep -qi "lladdr $US_MAC" "$T/n1" || fail "Linux's neighbour table lacks ustack's MAC $US_MAC"
stop_checked "$US_PID" "$US_LOG"

note "ustack resolves Linux ($LX_MAC) over $LINK"
us "$PING" -c 2 -i 0.1 -W 10 --pcap "$T/ping.pcap" "$LX_IP" >"$T/p2" 2>&1
rc=$?
cat "$T/p2"
[[ $rc -eq 0 ]] || fail "ustack-ping exited with $rc"
tshark -r "$T/ping.pcap" -Y arp -T fields -e arp.opcode -e arp.src.hw_mac -e arp.src.proto_ipv4 \
	-e arp.dst.proto_ipv4 2>/dev/null | tee "$T/arp"
grep -qE "^1\s+[0-9a-f:]+\s+$US_IP\s+$LX_IP" "$T/arp" || fail "no ARP request from ustack for $LX_IP"
grep -qiE "^2\s+$LX_MAC\s+$LX_IP\s+$US_IP" "$T/arp" || fail "no ARP reply with Linux's MAC $LX_MAC"

note "derived MAC: the one the tool reports is the one Linux learns"
lx ip neigh flush dev "$lx_dev"
start_nc arp2 -u -l -p 7 -d
derived=$(grep -oE "mac [0-9a-f:]{17}" "$US_LOG" | cut -d' ' -f2)
lx ping -c 1 -w 10 "$US_IP" >/dev/null 2>&1 || fail "no reply with the derived MAC"
lx ip neigh show "$US_IP" dev "$lx_dev" | tee "$T/n2"
grep -qi "lladdr $derived" "$T/n2" || fail "Linux learned a different MAC than $derived"
stop_checked "$US_PID" "$US_LOG"
echo "PASS"
