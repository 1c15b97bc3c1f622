#!/usr/bin/env bash
# Bulk transfer between Linux nc and ustack-nc, 100 MiB each way (TCPIO_SIZE), SHA-256
# compared, over LINK ($1: tap, tapnooff, afpacket). $2 (optional): percent of TCP segments
# dropped at random by nftables on the Linux side, in each direction (lib.sh lx_loss: Linux
# behind a forwarding namespace), so each transfer loses data segments and ACKs; the data
# must arrive intact anyway. Under loss Linux still sends 100 MiB, and so does ustack over
# TAP with offload (tail loss probes: 9 s at 5%, 2 s at 1%; before them 8 MiB took 16 s);
# without big segments ustack sends less (TCPIO_LOSS_SIZE; 32 MiB at 1%, 8 MiB at 5%, about
# 5 s): its recovery there still leans on retransmission timeouts (no RACK, docs/TCP.md).
#   1. Linux `nc -N` -> `ustack-nc -d -l PORT` (stdout to a file)
#   2. `ustack-nc HOST PORT` (stdin from a file, half-close at EOF) -> Linux `nc -l`
# Both ustack-nc runs must exit 0 by themselves (clean end of the connection). Under loss,
# ustack's counters (--stats) must show the recovery: out-of-order segments received in 1
# (Linux's data was dropped) and retransmissions in 2, and nftables must have dropped segments
# in both directions. With offload on TAP, ustack's capture must hold super-frames (TSO).
# TCPIO_KEEP=DIR: the captures and ustack-nc's stderr (--stats) are copied to DIR at the end.
source "$(dirname "$0")/lib.sh"
LOSS=${2:-0}
SIZE=${TCPIO_SIZE:-$((100 * 1024 * 1024))}	# Linux -> ustack
SIZE2=$SIZE					# ustack -> Linux
[[ $LOSS != 0 && $LINK != tap ]] && SIZE2=${TCPIO_LOSS_SIZE:-$(((LOSS >= 5 ? 8 : 32) * 1024 * 1024))}
[[ $LOSS != 0 && $LINK == tap ]] && SIZE2=${TCPIO_LOSS_SIZE:-$SIZE}
LIMIT=$((LOSS >= 5 ? 50 : 40))
setup_link
[[ $LOSS != 0 ]] && lx_loss "$LOSS"
# Captures of the ustack side, checked with tshark at the end: headers only (the first 128
# bytes of each frame), the payload is compared by SHA-256 anyway (TCPIO_PCAP=1: whole frames).
PC1=(--stats --pcap "$T/srv.pcap")
PC2=(--stats --pcap "$T/cli.pcap")
if [[ ${TCPIO_PCAP:-0} != 1 ]]; then
	PC1+=(--pcap-snaplen 128)
	PC2+=(--pcap-snaplen 128)
fi
mkdata "$T/data" "$SIZE"
if [[ $SIZE2 == "$SIZE" ]]; then
	ln -s data "$T/data2"
else
	mkdata "$T/data2" "$SIZE2"
fi

note "Linux nc -> ustack-nc -l over $LINK, $SIZE bytes, loss $LOSS%"
t0=$SECONDS
us_bg srv "$NC" -v -d "${PC1[@]}" -l 9000
srv=$US_PID
us_wait_up "$T/srv.err"
lx timeout "$LIMIT" nc -N "$US_IP" 9000 <"$T/data" || fail "Linux nc could not send (status $?)"
wait_pid "$srv" "$LIMIT" || { cat "$T/srv.err"; fail "ustack-nc -l did not end cleanly"; }
echo "  done in $((SECONDS - t0)) s"
same "$T/data" "$T/srv.out" || fail "ustack-nc received different bytes ($(stat -c %s "$T/srv.out") of $SIZE)"
if [[ $LOSS != 0 ]]; then
	ooo=$(us_counter "$T/srv.err" tcp.rx_ooo_segments)
	dropped=$(lx_loss_dropped to-us)
	echo "  nftables dropped $dropped of Linux's segments; ustack received $ooo out of order"
	[[ $dropped -gt 0 ]] || fail "nftables dropped nothing that Linux sent"
	[[ $ooo -gt 0 ]] || { cat "$T/srv.err"; fail "ustack-nc -l counted no out-of-order segment under $LOSS% loss"; }
fi

note "ustack-nc -> Linux nc -l over $LINK, $SIZE2 bytes, loss $LOSS%"
[[ $LOSS != 0 ]] && dropped0=$(lx_loss_dropped to-lx)	# ustack's ACKs in the first transfer
t0=$SECONDS
NS_ERR="" ns_bg "$NS_L" "$T/lx.out" timeout "$LIMIT" nc -l "$LX_IP" 9001
lpid=$NS_PID
lx_wait_listen 9001 || fail "Linux nc -l did not start"
us_t "$LIMIT" "$NC" "${PC2[@]}" "$LX_IP" 9001 <"$T/data2" 2>"$T/cli.err" || { cat "$T/cli.err"; fail "ustack-nc client failed"; }
wait_pid "$lpid" 20 || fail "Linux nc -l did not end"
echo "  done in $((SECONDS - t0)) s"
same "$T/data2" "$T/lx.out" || fail "Linux received different bytes ($(stat -c %s "$T/lx.out") of $SIZE2)"
if [[ $LOSS != 0 ]]; then
	rtx=$(us_counter "$T/cli.err" tcp.retransmits)
	dropped=$(($(lx_loss_dropped to-lx) - dropped0))
	echo "  nftables dropped $dropped of the segments to Linux; ustack retransmitted $rtx" \
		"(fast $(us_counter "$T/cli.err" tcp.fast_retransmits), SACK $(us_counter "$T/cli.err" tcp.sack_retransmits)," \
		"RTO $(us_counter "$T/cli.err" tcp.rto_timeouts))"
	[[ $dropped -gt 0 ]] || fail "nftables dropped nothing that ustack sent"
	[[ $rtx -gt 0 ]] || { cat "$T/cli.err"; fail "ustack-nc counted no retransmission under $LOSS% loss"; }
fi
for f in srv cli; do
	[[ -s $T/$f.pcap ]] || fail "no capture from ustack-nc ($T/$f.pcap missing or empty)"
done
# TAP without --no-offload negotiates TSO: the stack's own capture holds frames bigger than
# one MTU (super-frames the kernel cuts or takes whole)
if [[ $LINK == tap ]]; then
	big=$(tshark -r "$T/cli.pcap" -Y "frame.len > 1514" 2>/dev/null | wc -l)
	note "frames over 1514 bytes sent by ustack-nc: $big"
	[[ $big -gt 0 ]] || fail "no super-frame in $T/cli.pcap: TAP offload was not negotiated"
fi
if [[ -n ${TCPIO_KEEP:-} ]]; then
	mkdir -p "$TCPIO_KEEP" && cp "$T"/*.pcap "$T"/*.err "$TCPIO_KEEP"/ 2>/dev/null
fi
for f in "$T"/*.pcap; do
	[[ -s $f ]] || continue
	note "capture $(basename "$f"): tshark -z expert"
	check_pcap "$f"
done
echo "PASS"
