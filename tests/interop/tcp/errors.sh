#!/usr/bin/env bash
# Connection errors and stream edge cases between ustack-nc and Linux (python3) over LINK ($1):
#   refused:    ustack-nc -> closed Linux port: "Connection refused", exit 1;
#               python3 -> closed ustack port: ECONNREFUSED
#   reset:      Linux sends then aborts (SO_LINGER 0): ustack-nc sees ECONNRESET, exits 1 after
#               writing what came before; ustack-nc --reset aborts: Linux recv gets ECONNRESET
#   half-close: ustack-nc sends, shuts its write side, still receives Linux's reply
#   zero window both ways: a slow Linux reader (small SO_RCVBUF) and a stalled ustack-nc stdout;
#               the captures show zero windows and the sender's window probes (ustack's also
#               in its counters), the data arrives intact
# Every ustack side writes a capture (--pcap); all must open cleanly in tshark (lib.sh).
source "$(dirname "$0")/lib.sh"
setup_link
PY=$NS_PY
pc() { echo "$T/$1.pcap"; }
# zw_probes PCAP SRC: window probes SRC sent in PCAP (tshark: zero-window probe or keep-alive).
zw_probes() {
	tshark -r "$1" -Y "ip.src == $2 && (tcp.analysis.zero_window_probe || tcp.analysis.keep_alive)" 2>/dev/null | wc -l
}

note "refused: ustack-nc -> Linux port without listener"
us_t 20 "$NC" --pcap "$(pc refused1)" "$LX_IP" 9 </dev/null >"$T/r1.out" 2>"$T/r1.err"
rc=$?
[[ $rc == 1 ]] || { cat "$T/r1.err"; fail "ustack-nc exit status $rc, expected 1"; }
grep -q "connect to $LX_IP port 9: Connection refused" "$T/r1.err" || { cat "$T/r1.err"; fail "no 'Connection refused' message"; }

note "refused: Linux python3 -> ustack port without listener"
us_bg lst "$NC" -v -d --pcap "$(pc refused2)" -l 9000
lst=$US_PID
us_wait_up "$T/lst.err"
lx "$PY" -c "
import socket, errno, sys
s = socket.socket(); s.settimeout(10)
try:
    s.connect(('$US_IP', 9))
except ConnectionRefusedError:
    sys.exit(0)
sys.exit('connected or other error')" || fail "Linux connect to a closed ustack port was not refused"
ns_stop "$lst" 10 || fail "ustack-nc -l (refused test) did not stop cleanly"

note "reset: Linux aborts (SO_LINGER 0) after 100000 bytes -> ustack-nc"
NS_ERR="$T/rs.err" ns_bg "$NS_L" "$T/rs.out" "$PY" -c "
import socket, struct, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('$LX_IP', 9100)); l.listen(1); l.settimeout(20)
c, _ = l.accept()
c.sendall(b'x' * 100000); time.sleep(0.5)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()"
rpid=$NS_PID
lx_wait_listen 9100 || fail "python server did not start"
us_t 20 "$NC" -d --pcap "$(pc reset1)" "$LX_IP" 9100 >"$T/rst1.out" 2>"$T/rst1.err"
rc=$?
wait_pid "$rpid" 10
[[ $rc == 1 ]] || { cat "$T/rst1.err"; fail "ustack-nc exit status $rc after a reset, expected 1"; }
grep -q "Connection reset by peer" "$T/rst1.err" || { cat "$T/rst1.err"; fail "no 'Connection reset by peer'"; }
[[ $(stat -c %s "$T/rst1.out") == 100000 ]] || fail "ustack-nc wrote $(stat -c %s "$T/rst1.out") bytes before the reset, expected 100000"

note "reset: ustack-nc --reset aborts -> Linux recv gets ECONNRESET"
NS_ERR="$T/rs2.err" ns_bg "$NS_L" "$T/rs2.out" "$PY" -c "
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('$LX_IP', 9101)); l.listen(1); l.settimeout(20)
c, _ = l.accept(); c.settimeout(20); n = 0
try:
    while True:
        b = c.recv(65536)
        if not b:
            sys.exit('clean EOF after %d bytes, expected a reset' % n)
        n += len(b)
except ConnectionResetError:
    print('ECONNRESET after', n)"
rpid=$NS_PID
lx_wait_listen 9101 || fail "python server did not start"
head -c 5000 /dev/urandom >"$T/small"
us_t 20 "$NC" --reset --pcap "$(pc reset2)" "$LX_IP" 9101 <"$T/small" >/dev/null 2>"$T/rst2.err" ||
	{ cat "$T/rst2.err"; fail "ustack-nc --reset failed"; }
wait_pid "$rpid" 20 || { cat "$T/rs2.err"; fail "Linux side did not see ECONNRESET"; }
grep -q ECONNRESET "$T/rs2.out" || fail "Linux side did not see ECONNRESET"

note "half-close: ustack-nc sends 300000 bytes, shuts down writing, receives the reply"
NS_ERR="$T/hc.err" ns_bg "$NS_L" "$T/hc.out" "$PY" -c "
import socket, hashlib
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('$LX_IP', 9102)); l.listen(1); l.settimeout(20)
c, _ = l.accept(); c.settimeout(20); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
c.sendall(('got %d %s\n' % (n, h.hexdigest())).encode() * 1000); c.close()"
rpid=$NS_PID
lx_wait_listen 9102 || fail "python server did not start"
mkdata "$T/hc.in" 300000
us_t 20 "$NC" --pcap "$(pc halfclose)" "$LX_IP" 9102 <"$T/hc.in" >"$T/hc.reply" 2>"$T/hc.nc.err" ||
	{ cat "$T/hc.nc.err"; fail "ustack-nc half-close run failed"; }
wait_pid "$rpid" 10 || { cat "$T/hc.err"; fail "python side failed"; }
want="got 300000 $(sha256sum <"$T/hc.in" | cut -d' ' -f1)"
[[ $(sort -u "$T/hc.reply") == "$want" && $(wc -l <"$T/hc.reply") == 1000 ]] ||
	{ head -c 300 "$T/hc.reply"; fail "reply after the half-close is not '$want' x 1000"; }

note "zero window: ustack-nc -> slow Linux reader (SO_RCVBUF 4096)"
NS_ERR="$T/sl.err" ns_bg "$NS_L" "$T/sl.out" "$PY" -c "
import socket, hashlib, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
l.bind(('$LX_IP', 9103)); l.listen(1); l.settimeout(20)
c, _ = l.accept(); c.settimeout(30); h = hashlib.sha256(); n = 0
time.sleep(1.5)
while True:
    b = c.recv(4096)
    if not b: break
    h.update(b); n += len(b)
    if n < 400000: time.sleep(0.01)
print(n, h.hexdigest())"
rpid=$NS_PID
lx_wait_listen 9103 || fail "python server did not start"
mkdata "$T/sl.in" 1000000
us_t 40 "$NC" --stats --pcap "$(pc slow1)" "$LX_IP" 9103 <"$T/sl.in" >/dev/null 2>"$T/sl.nc.err" ||
	{ cat "$T/sl.nc.err"; fail "ustack-nc to a slow reader failed"; }
wait_pid "$rpid" 20 || { cat "$T/sl.err"; fail "slow reader failed"; }
[[ $(cat "$T/sl.out") == "1000000 $(sha256sum <"$T/sl.in" | cut -d' ' -f1)" ]] || fail "slow reader got other bytes"
zw=$(tshark -r "$T/slow1.pcap" -Y "tcp.analysis.zero_window && ip.src == $LX_IP" 2>/dev/null | wc -l)
probes=$(us_counter "$T/sl.nc.err" tcp.zero_window_probes)
# ustack probes as Linux does, with a segment without data one below snd_una, which the
# receiver must answer: tshark calls it a keep-alive (its zero_window_probe is one new byte).
wire=$(zw_probes "$T/slow1.pcap" "$US_IP")
echo "  Linux advertised a zero window $zw times; ustack sent $probes window probes ($wire in the capture)"
[[ $zw -gt 0 ]] || fail "no zero window from the slow Linux reader in the capture"
[[ $probes -gt 0 && $wire -gt 0 ]] || { cat "$T/sl.nc.err"; fail "ustack sent no zero-window probe to the slow reader"; }

note "zero window: Linux nc -> ustack-nc whose stdout is not read for 2 s"
# ustack-nc's stdout is a pipe to a reader that sleeps 2 s first
NS_ERR=$T/zw.err ns_bg "$NS_U" "$T/zw.sha" bash -c "'$NC' --if '$US_IF' --ip '$US_IP/24' ${US_OPTS[*]} -v -d --pcap '$T/slow2.pcap' -l 9001 | (sleep 2; sha256sum)"
zpid=$NS_PID
us_wait_up "$T/zw.err"
mkdata "$T/zw.in" 4000000
lx timeout 30 nc -N "$US_IP" 9001 <"$T/zw.in" || fail "Linux nc to a stalled ustack-nc failed"
wait_pid "$zpid" 30 || { cat "$T/zw.err"; fail "ustack-nc | slow reader failed"; }
[[ $(cut -d' ' -f1 "$T/zw.sha") == $(sha256sum <"$T/zw.in" | cut -d' ' -f1) ]] || fail "stalled reader got other bytes"
zw=$(tshark -r "$T/slow2.pcap" -Y "tcp.analysis.zero_window && ip.src == $US_IP" 2>/dev/null | wc -l)
wire=$(zw_probes "$T/slow2.pcap" "$LX_IP")
echo "  ustack advertised a zero window $zw times; Linux sent $wire window probes"
[[ $zw -gt 0 ]] || fail "no zero window from the stalled ustack-nc in the capture"
[[ $wire -gt 0 ]] || fail "no window probe from Linux to the stalled ustack-nc in the capture"

pcaps=("$T"/*.pcap)
note "captures: tshark -z expert on ${#pcaps[@]} files"
for f in "${pcaps[@]}"; do
	[[ -s $f ]] || continue
	check_pcap "$f"
done
echo "PASS"
