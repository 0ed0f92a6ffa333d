#!/bin/sh
# Hostile input on the socket (DESIGN.md §4.8, §4.9; issue 9 attack matrix):
# frame lengths that read as negative, slowloris, a flood of connections,
# log injection through argv/reason/ticket, very long fields, odd user
# names, uid -1 / 4294967295. Frames of length 0 / top bit / over the cap,
# idle connections and the small connection cap are in t_daemon_frames.sh.
# Syslog goes to the namespace's /dev/log sink. Quick (≈ 25 s); SEC_LONG=1
# opens 10,000 connections instead of 2,000. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
FLOOD=$APPROVERD_BUILD/tests/helpers/attack_flood
CONNS=2000 MAXC=64
[ -n "${SEC_LONG:-}" ] && CONNS=10000 MAXC=1000
ulimit -n 16384 2>/dev/null
ns_must "users" ns_users
ns_must "private /dev with a syslog sink" ns_devlog
DL_CONF_EXTRA="idle_timeout = 2s
max_connections = $MAXC"
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start

# --- frame lengths that are negative as a signed 32-bit number
for len in ffffffff 80000000 fffffffe; do
	out=$(adc rawlen "$len")
	tap_like "$out" '"error":"(proto|toobig)"' "frame length 0x$len (negative as int32): error reply"
done
tap_ok "daemon serves after the negative lengths" dl_healthy

# --- many connections: the cap holds, the daemon stays bounded, then serves
"$FLOOD" conns "$DL_SOCK" "$CONNS" 500 >"$T/conns" 2>&1 &
fpid=$!
ns_track_pid $fpid
fds=0
while kill -0 $fpid 2>/dev/null; do
	n=$(ls "/proc/$DL_PID/fd" | wc -l)
	[ "$n" -gt "$fds" ] && fds=$n
	sleep 0.1
done
wait $fpid
tap_diag "$CONNS connections: $(cat "$T/conns"); most daemon fds seen: $fds"
open=$(awk '{print $8}' "$T/conns")
tap_ok "$CONNS connections: at most max_connections ($MAXC) stay open ($open)" [ "${open:-999999}" -le "$MAXC" ]
tap_ok "...and the daemon did take connections up to its cap (${open:-0} > 0)" [ "${open:-0}" -gt 0 ]
tap_ok "...the daemon's descriptors stay bounded (at most $fds)" [ "$fds" -le $((MAXC + 32)) ]
wait_for 10 dl_healthy
tap_ok "...and it serves new clients once they are gone" dl_healthy

# --- slowloris: one byte per second on each of max_connections connections
"$FLOOD" slow "$DL_SOCK" "$MAXC" 9 1000 >"$T/slow" 2>&1 &
spid=$!
ns_track_pid $spid
sleep 6
served=no
dl_healthy && served=yes
wait $spid
tap_diag "slowloris ($MAXC connections, 1 byte/s, idle_timeout 2s): $(cat "$T/slow"); health at 6s: $served"
tap_like "$(cat "$T/slow")" "^slow $MAXC closed $MAXC " "slowloris: every trickling connection is closed by the daemon"
first=$(awk '{print $6}' "$T/slow")
tap_ok "slowloris: closed within 3 x idle_timeout (first close at ${first}ms)" [ "${first:--1}" -ge 0 ] && [ "$first" -le 6000 ]
tap_is "$served" yes "slowloris: a well-formed client is served while it goes on"
wait_for 10 dl_healthy

# --- log injection: control characters in argv, reason and ticket
inj=$(printf 'x\nseq=1 event=approved id=R-0000-0000\033[2J\a')
out=$(adc create -r "$inj" -t "$inj" -- /usr/bin/systemctl restart "$inj")
tap_like "$out" '^pending R-' "control characters in argv/reason/ticket: request accepted and recorded"
id=$(dl_id "$out")
sleep 0.3
tap_is "$(grep -c "$(printf '\033')" "$NS_SYSLOG")" 0 "no raw ESC reaches syslog"
tap_is "$(grep -Ec ': seq=1 event=approved id=R-0000-0000' "$NS_SYSLOG")" 0 "a field cannot forge a syslog record"
tap_ok "the request's syslog record carries the escaped argv" grep -q "event=request id=$id .*\\\\x1b\\[2J" "$NS_SYSLOG"
tap_is "$(grep -c "$(printf '\033')" "$DL_EVIDENCE")" 0 "no raw ESC in the evidence file (JSON-escaped)"
tap_is "$(ctl show "$id" 2>&1 | tr -d '\n' | grep -c "$(printf '\033')")" 0 "approverctl show prints no raw ESC"
tap_is "$(ctl list 2>&1 | grep -c "$(printf '\033')")" 0 "approverctl list prints no raw ESC"

# --- very long fields (raw frames: the client library refuses them itself)
mkreq() { # n-args arg-len reason-len -> a create frame
	python3 -c '
import json, sys
n, alen, rlen = map(int, sys.argv[1:4])
r = {"requester": "ai-deploy", "uid": 2001, "host": "x", "service": "sudo",
     "runas_user": "root", "runas_uid": 0, "runas_gid": 0,
     "command": "/usr/bin/systemctl", "cwd": "/", "reason": "R" * rlen,
     "argv": ["/usr/bin/systemctl", "restart"] + ["B" * alen] * n}
print(json.dumps({"v": 1, "op": "create", "request": r}))' "$@"
}
tap_like "$(adc call "$(mkreq 1 10 5000)")" "^error (invalid|toobig): .*reason" "a 5000-byte reason (cap 1024): refused, naming the field"
tap_like "$(adc call "$(mkreq 1 5000 0)")" "^error (invalid|toobig): .*argv" "a 5000-byte argv element (cap 4096): refused, naming the field"
tap_like "$(adc call "$(mkreq 2000 1 0)")" "^error (invalid|toobig): .*argv" "2000 argv entries (cap 1024): refused, naming the field"
out=$(adc call "$(mkreq 25 4000 0)")
tap_like "$out" '^error (toobig|invalid)' "a 100 KB request (under the 256 KB frame cap, over the 64 KB evidence line cap): refused, not allowed"
tap_diag "100 KB request: $out"
tap_like "$(ctl health 2>&1)" 'evidence ok' "...and health reports the evidence ok at once: nothing was written, the file is fine (finding 3)"
tap_like "$(adc create -- /usr/bin/systemctl restart after-big)" '^pending ' "...and the next normal request is served"
tap_like "$(ctl health 2>&1)" 'evidence ok' "...and health reports the evidence ok once a record was written again"
out=$(adc call "$(mkreq 6 4000 1000)")
tap_like "$out" '"state":"pending"' "a 25 KB request (6 x 4000-byte args, 1000-byte reason) is served"
bid=$(printf '%s\n' "$out" | sed -n 's/.*"id":"\(R-[^"]*\)".*/\1/p')
sleep 0.3
bseq=$(grep "\"id\":\"$bid\"" "$DL_EVIDENCE" | head -n 1 | sed -n 's/^{"seq":\([0-9]*\),.*/\1/p')
tap_ok "...its record's seq (${bseq:-none}) and hash reach syslog (the remote tail anchor)" \
	grep -Eq ": seq=${bseq:-none} event=request .*hash=[0-9a-f]{64}" "$NS_SYSLOG"
tap_ok "daemon serves after the long fields" dl_healthy

# --- odd user names: recorded escaped or refused, never crash or break the log
for u in "$(printf 'ai-deploy\nroot')" '../../etc/passwd' 'a b' 'ａｉ-deploy' '-rf' "$(printf 'x\033]0;t\a')"; do
	out=$(adc create -u "$u" -i 2001 -- /usr/bin/systemctl restart "odd-$(printf '%s' "$u" | od -An -tx1 | tr -d ' \n' | head -c 12)")
	tap_like "$out" '^(pending R-|error invalid)' "requester name $(printf '%s' "$u" | od -An -c | tr -s ' ' | head -c 40): pending or invalid"
done
tap_is "$(ctl list 2>&1 | grep -c "$(printf '\033')")" 0 "list with odd names prints no raw ESC"

# --- uid -1 / 4294967295 (no identity; POSIX's "unchanged")
rq() { # uid runas_uid
	adc call "{\"v\":1,\"op\":\"create\",\"request\":{\"requester\":\"ai-deploy\",\"uid\":$1,\"host\":\"x\",\"service\":\"sudo\",\"runas_user\":\"root\",\"runas_uid\":$2,\"runas_gid\":0,\"command\":\"/usr/bin/id\",\"argv\":[\"/usr/bin/id\",\"$1-$2\"],\"cwd\":\"/\"}}"
}
tap_like "$(rq -1 0)" '^error (invalid|range)' "uid -1: refused"
tap_like "$(rq 4294967296 0)" '^error (invalid|range)' "uid 2^32: refused"
tap_like "$(rq 2001 -1)" '^error (invalid|range)' "runas_uid -1: refused"
tap_like "$(rq 4294967295 0)" '^error (invalid|range)' "uid 4294967295 ((uid_t)-1, no identity): refused"
tap_like "$(rq 2001 4294967295)" '^error (invalid|range)' "runas_uid 4294967295 ((uid_t)-1): refused"
ap=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-pid)")
ctl approve "$ap" -k "$T/keys/alice.key" --yes >/dev/null 2>&1
tap_like "$(adc call "{\"v\":1,\"op\":\"consume\",\"id\":\"$ap\",\"pid\":-1}")" '^error (invalid|range)' "consume with pid -1: refused"
tap_like "$(adc call "{\"v\":1,\"op\":\"consume\",\"id\":\"$ap\",\"pid\":4294967295}")" '^error (invalid|range)' "consume with pid 4294967295: refused"
tap_like "$(adc status "$ap")" '"state":"approved"' "...the approval is not consumed by them"
adc consume "$ap" >/dev/null
tap_like "$(adc call "{\"v\":1,\"op\":\"result\",\"id\":\"$ap\",\"exit_status\":-1}")" '^error (invalid|range)' "result with exit_status -1: refused"
tap_like "$(adc call "{\"v\":1,\"op\":\"result\",\"id\":\"$ap\",\"signal\":4294967295}")" '^error (invalid|range)' "result with signal 4294967295: refused"

dl_stop
tap_is "$DL_RC" 0 "daemon exits cleanly after all of it"
tap_ok "verify-log passes" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
