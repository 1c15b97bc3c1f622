#!/usr/bin/env bash
# Bulk transfer between Linux nc and ustack-nc, SIZE (default 100 MiB) each way, SHA-256
# compared, over LINK ($1: tap, tapnooff, afpacket). $2 (optional): percent of TCP segments
# dropped at random on the Linux side by nftables (loss recovery: data intact anyway).
#   1. Linux `nc -N` -> `ustack-nc -d -l PORT` (stdout to a file)
#   2. `ustack-nc HOST PORT` (stdin from a file, half-close at EOF) -> Linux `nc -l`
# Both ustack-nc runs must exit 0 by themselves (clean end of the connection).
source "$(dirname "$0")/lib.sh"
LOSS=${2:-0}
SIZE=${TCPIO_SIZE:-$((100 * 1024 * 1024))}
# under loss the transfer is smaller (recovery takes round trips and timeouts): 8 MiB at 1%, 4 MiB at 5%
[[ $LOSS != 0 ]] && SIZE=${TCPIO_LOSS_SIZE:-$(((LOSS >= 5 ? 4 : 8) * 1024 * 1024))}
LIMIT=$((LOSS >= 5 ? 50 : 40))
setup_link
[[ $LOSS != 0 ]] && lx_loss "$LOSS"
# Captures of the ustack side, checked with tshark at the end: whole frames for the (smaller)
# lossy transfers; headers only (the first 128 bytes of each frame) for the 100 MiB ones, whose
# payload is compared by SHA-256 anyway (TCPIO_PCAP=1 captures them whole).
PC1=(--pcap "$T/srv.pcap")
PC2=(--pcap "$T/cli.pcap")
if [[ $LOSS == 0 && ${TCPIO_PCAP:-0} != 1 ]]; then
	PC1+=(--pcap-snaplen 128)
	PC2+=(--pcap-snaplen 128)
fi
mkdata "$T/data" "$SIZE"

note "Linux nc -> ustack-nc -l over $LINK, $SIZE bytes, loss $LOSS%"
us_bg srv "$NC" -v -d "${PC1[@]}" -l 9000
srv=$US_PID
us_wait_up "$T/srv.err"
lx timeout "$LIMIT" nc -N "$US_IP" 9000 <"$T/data" || fail "Linux nc could not send (status $?)"
wait_pid "$srv" "$LIMIT" || { cat "$T/srv.err"; fail "ustack-nc -l did not end cleanly"; }
same "$T/data" "$T/srv.out" || fail "ustack-nc received different bytes ($(stat -c %s "$T/srv.out") of $SIZE)"

note "ustack-nc -> Linux nc -l over $LINK, $SIZE bytes, loss $LOSS%"
NS_ERR="" ns_bg "$NS_L" "$T/lx.out" timeout "$LIMIT" nc -l "$LX_IP" 9001
lpid=$NS_PID
lx_wait_listen 9001 || fail "Linux nc -l did not start"
us_t "$LIMIT" "$NC" "${PC2[@]}" "$LX_IP" 9001 <"$T/data" 2>"$T/cli.err" || { cat "$T/cli.err"; fail "ustack-nc client failed"; }
wait_pid "$lpid" 20 || fail "Linux nc -l did not end"
same "$T/data" "$T/lx.out" || fail "Linux received different bytes ($(stat -c %s "$T/lx.out") of $SIZE)"
# TAP without --no-offload negotiates TSO: the stack's own capture holds frames bigger than
# one MTU (super-frames the kernel cuts or takes whole)
if [[ $LINK == tap && -s $T/cli.pcap ]]; then
	big=$(tshark -r "$T/cli.pcap" -Y "frame.len > 1514" 2>/dev/null | wc -l)
	note "frames over 1514 bytes sent by ustack-nc: $big"
	[[ $big -gt 0 ]] || fail "no super-frame in $T/cli.pcap: TAP offload was not negotiated"
fi
for f in "$T"/*.pcap; do
	[[ -s $f ]] || continue
	note "capture $(basename "$f"): tshark -z expert"
	check_pcap "$f"
done
echo "PASS"
