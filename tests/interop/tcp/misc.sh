#!/usr/bin/env bash
# TCP timers and limits against Linux over LINK ($1):
#   keepalive: ustack-nc --keepalive 1,1,3 holds an idle connection to a Linux peer; the peer
#              then vanishes (nftables drops everything TCP it receives): ustack-nc must report
#              "Connection timed out" (ETIMEDOUT) and exit 1; its counters show the probes
#   backlog:   40 Linux connects to a ustack-nc -l (listen backlog 8) that accepts one
#              connection and never the others: nothing crashes, the tool exits 0 on SIGTERM;
#              on Linux no connect fails (each completes, maybe by a SYN cookie, or still
#              retries its dropped SYN); ustack's counters show the listen queue overflow
#   lost FIN:  Linux `nc -N` sends to `ustack-nc -l`, which closes and exits once Linux has
#              finished; nftables drops ustack's first FIN. The close lingers (SO_LINGER) and
#              retransmits the FIN, so Linux nc still sees the end of the stream and exits 0
#              (without the linger the exiting stack's RST was refused by Linux as out of
#              window, RFC 5961, and Linux nc waited in FIN_WAIT_2 forever)
#   linger:    ustack-nc sends 100 kB to a Linux listener, then quits (-q 1) and closes;
#              nftables drops everything it sends but its SYN, so nothing is acknowledged:
#              when the close's 5 s linger runs out, ustack-nc must say the data may not
#              have been delivered and exit 1
# The ustack side of each captures to a pcap file that must open cleanly in tshark.
source "$(dirname "$0")/lib.sh"
setup_link
PY=$NS_PY

note "keepalive: idle connection, then the Linux peer vanishes"
NS_ERR="$T/ka.err" ns_bg "$NS_L" "$T/ka.out" "$PY" -c "
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('$LX_IP', 9200)); l.listen(1); l.settimeout(20)
c, _ = l.accept(); print('accepted', flush=True); time.sleep(30)"
kpid=$NS_PID
lx_wait_listen 9200 || fail "python server did not start"
us_bg kanc "$NC" -v -d --stats --pcap "$T/keepalive.pcap" --keepalive 1,1,3 "$LX_IP" 9200
nc_pid=$US_PID
ns_wait_for "$T/ka.out" accepted 10 || { cat "$T/kanc.err"; fail "no connection"; }
sleep 2	# a couple of keepalive probes answered by Linux first
lx nft add table inet tcpio && lx nft add chain inet tcpio input '{ type filter hook input priority 0; }' &&
	lx nft add rule inet tcpio input meta l4proto tcp drop || fail "nft drop rule"
wait_pid "$nc_pid" 30
rc=$?
[[ $rc == 1 ]] || { cat "$T/kanc.err"; fail "ustack-nc exit status $rc after the peer vanished, expected 1"; }
grep -q "Connection timed out" "$T/kanc.err" || { cat "$T/kanc.err"; fail "no 'Connection timed out'"; }
probes=$(grep -oE "tcp.keepalive_probes [0-9]+" "$T/kanc.err" | awk '{print $2}')
tmo=$(grep -oE "tcp.keepalive_timeouts [0-9]+" "$T/kanc.err" | awk '{print $2}')
echo "  keepalive probes ${probes:-0}, keepalive timeouts ${tmo:-0}"
[[ ${probes:-0} -ge 3 && ${tmo:-0} -ge 1 ]] || { cat "$T/kanc.err"; fail "counters do not show the keepalive probes and timeout"; }
kill "$kpid" 2>/dev/null
lx nft flush ruleset

note "backlog: 40 connects to a listener that accepts one"
# -k: the listener stays open, but ustack-nc serves one connection at a time
us_bg bl "$NC" -v -d -k --stats --pcap "$T/backlog.pcap" -l 9300
bpid=$US_PID
us_wait_up "$T/bl.err"
lx "$PY" -c "
import socket, errno, select, time
ok = 0
errors = []
socks = []
for i in range(40):
    s = socket.socket(); s.setblocking(False)
    e = s.connect_ex(('$US_IP', 9300))
    if e not in (0, errno.EINPROGRESS):
        errors.append(errno.errorcode.get(e, str(e)))
        continue
    socks.append(s)
deadline = time.time() + 4
pending = list(socks)
while pending and time.time() < deadline:
    _, w, _ = select.select([], pending, [], 0.2)
    for s in w:
        pending.remove(s)
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if e == 0: ok += 1
        else: errors.append(errno.errorcode.get(e, str(e)))
print('connected', ok, 'failed', len(errors), 'pending', len(pending), 'errors', ' '.join(errors) or '-')
" >"$T/bl.py" 2>&1 || { cat "$T/bl.py"; fail "python client failed"; }
cat "$T/bl.py"
kill -0 "$bpid" 2>/dev/null || { cat "$T/bl.err"; fail "ustack-nc died under the connect burst"; }
ns_stop "$bpid" 10 || { cat "$T/bl.err"; fail "ustack-nc -l did not exit 0 after SIGTERM"; }
grep -q "connection from" "$T/bl.err" || fail "the first connection was not accepted"
# A full listen queue drops the SYN (or the handshake's ACK), it never resets: from Linux's
# side every connect has either completed (served, queued, or answered by a SYN cookie) or
# is still retrying its SYN; none fails.
read -r _ ok _ failed _ pending _ <"$T/bl.py"
[[ $failed == 0 ]] || fail "connects to a full listener failed ($(cat "$T/bl.py")), expected them to wait"
[[ $((ok + pending)) == 40 && $ok -ge 1 ]] ||
	fail "expected every connect to complete or be pending: $(cat "$T/bl.py")"
over=0
for c in rx_listen_overflow rx_syn_queue_full syncookies_sent; do
	v=$(grep -oE "tcp.$c [0-9]+" "$T/bl.err" | awk '{print $2}')
	echo "  tcp.$c ${v:-0}"
	over=$((over + ${v:-0}))
done
[[ $over -gt 0 ]] || { cat "$T/bl.err"; fail "no overflow counted for 40 connects to a backlog of 8"; }
[[ $(us_counter "$T/bl.err" tcp.rx_listen_overflow) -gt 0 ]] ||
	{ cat "$T/bl.err"; fail "tcp.rx_listen_overflow is 0 after 40 connects to a backlog of 8"; }

note "lost FIN: ustack-nc -l closes and exits, its first FIN is dropped"
lx nft add table inet tcpio && lx nft add chain inet tcpio input '{ type filter hook input priority 0; }' &&
	lx nft add rule inet tcpio input ip saddr "$US_IP" tcp flags \& fin == fin numgen inc mod 1000 == 0 \
		counter drop || fail "nft FIN drop rule"
mkdata "$T/fin.in" 100000
us_bg fin "$NC" -v -d --pcap "$T/lostfin.pcap" -l 9400
fpid=$US_PID
us_wait_up "$T/fin.err"
lx timeout 20 nc -N "$US_IP" 9400 <"$T/fin.in" || { rc=$?; cat "$T/fin.err"; fail "Linux nc did not end cleanly (status $rc)"; }
wait_pid "$fpid" 10 || { cat "$T/fin.err"; fail "ustack-nc -l did not exit 0"; }
same "$T/fin.in" "$T/fin.out" || fail "ustack-nc received other bytes"
# Captured first: with pipefail, grep -q quitting at its match can fail the pipeline (SIGPIPE).
rules=$(lx nft list ruleset)
grep -q "packets 1 " <<<"$rules" || { echo "$rules"; fail "no FIN was dropped"; }
lx nft flush ruleset

note "linger: nothing ustack-nc sends after its SYN is acknowledged"
lx nft add table inet tcpio && lx nft add chain inet tcpio input '{ type filter hook input priority 0; }' &&
	lx nft add rule inet tcpio input ip saddr "$US_IP" tcp dport 9500 tcp flags \& syn != syn \
		counter drop || fail "nft drop rule"
NS_ERR="$T/lg.err" ns_bg "$NS_L" "$T/lg.out" "$PY" -c "
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('$LX_IP', 9500)); l.listen(1); time.sleep(15)"
lpid=$NS_PID
lx_wait_listen 9500 || fail "python listener did not start"
mkdata "$T/lg.in" 100000
NS_IN="$T/lg.in" us_bg lgnc "$NC" -v -q 1 --pcap "$T/linger.pcap" "$LX_IP" 9500
lgpid=$US_PID
wait_pid "$lgpid" 12
rc=$?
cat "$T/lgnc.err"
[[ $rc == 1 ]] || fail "ustack-nc exit status $rc after an unacknowledged close, expected 1"
grep -q "may not have been delivered" "$T/lgnc.err" || fail "no 'may not have been delivered'"
kill "$lpid" 2>/dev/null
lx nft flush ruleset
for f in "$T"/*.pcap; do
	note "capture $(basename "$f"): tshark -z expert"
	check_pcap "$f"
done
echo "PASS"
