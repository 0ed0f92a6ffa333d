#!/bin/sh
# The daemon's signature-check thread (approverd/daemon/verify.c,
# docs/PROTOCOL.md "Group commit"): under concurrent submissions, clients
# that close at once, and SIGHUP reloads while tokens are being checked,
# every valid token counts exactly once, nothing is lost or doubled, the
# daemon keeps serving and the evidence verifies; pipelined submits on one
# connection are answered in order; a key removed by a reload while its
# token waits is refused. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "/dev/log" ns_devlog
DL_CONF_EXTRA="max_pending_per_requester = 200
max_connections = 512"
ns_must "config" dl_setup
for k in alice bob; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start
KEY=$T/keys/alice.key
N=40

# N pending requests, and a token approving each
: >"$T/ids"
i=0
while [ "$i" -lt "$N" ]; do
	id=$(dl_id "$(adc create -- /usr/bin/systemctl restart "nginx-v$i")")
	echo "$id" >>"$T/ids"
	ctl show "$id" --json | ctl sign -k "$KEY" --yes >"$T/tok.$i" 2>/dev/null
	i=$((i + 1))
done
tap_is "$(sort -u "$T/ids" | grep -c '^R-')" "$N" "$N distinct pending requests"
tap_is "$(cat "$T"/tok.* | grep -c .)" "$N" "$N tokens signed"

# Submit them all at once: even ones wait for the reply, odd ones close
# right after writing; meanwhile the daemon reloads (SIGHUP) 10 times.
python3 - "$DL_SOCK" "$T" "$N" <<'EOF' >"$T/burst.out" &
import socket, struct, sys, threading
sock, tdir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = [None] * n
def one(i):
    tok = open("%s/tok.%d" % (tdir, i)).read().strip()
    body = ('{"v":1,"op":"submit","token":"%s"}' % tok).encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(struct.pack(">I", len(body)) + body)
    if i % 2:
        s.close()
        out[i] = "closed"
        return
    buf = b""
    s.settimeout(30)
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        c = s.recv(65536)
        if not c:
            break
        buf += c
    out[i] = buf[4:].decode()
    s.close()
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
for i, o in enumerate(out):
    print("reply %d %s" % (i, o))
EOF
bpid=$!
k=0
while [ "$k" -lt 10 ]; do kill -HUP "$DL_PID"; k=$((k + 1)); done
wait "$bpid"
tap_is "$(grep -c '^reply [0-9]*[02468] .*"state": *"approved"' "$T/burst.out")" "$((N / 2))" \
	"every waiting submitter is told 'approved'"
all_approved() {
	[ "$(grep -c '"event":"approved"' "$DL_EVIDENCE")" -ge "$N" ]
}
wait_for 20 all_approved
tap_is "$(grep -c '"event":"approved"' "$DL_EVIDENCE")" "$N" \
	"one 'approved' record per request (those of clients that left too)"
tap_is "$(grep '"event":"approval"' "$DL_EVIDENCE" | grep -c '"counted":true')" "$N" \
	"one counted approval per token: none lost, none doubled"
n=0
while read -r id; do
	adc status "$id" | grep -q approved && n=$((n + 1))
done <"$T/ids"
tap_is "$n" "$N" "the daemon's state has all $N approved"
tap_like "$(adc health)" '"ok": *true' "the daemon still serves after the burst and the reloads"
tap_unlike "$(cat "$DL_LOG")" 'signature-check thread could not start' "the verifier thread started"

# Replays of the same tokens, two pipelined on ONE connection (checked
# inline, in order) and one alone (on the thread): all refused as replays.
out=$(python3 - "$DL_SOCK" "$T/tok.0" "$T/tok.1" <<'EOF'
import socket, struct, sys
def frame(t):
    body = ('{"v":1,"op":"submit","token":"%s"}' % open(t).read().strip()).encode()
    return struct.pack(">I", len(body)) + body
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(frame(sys.argv[2]) + frame(sys.argv[3]) +
          struct.pack(">I", 21) + b'{"v":1,"op":"health"}')
buf, got = b"", []
s.settimeout(20)
while len(got) < 3:
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        c = s.recv(65536)
        if not c:
            raise SystemExit("eof")
        buf += c
    n = struct.unpack(">I", buf[:4])[0]
    got.append(buf[4:4 + n].decode())
    buf = buf[4 + n:]
for g in got:
    print(g)
EOF
)
tap_is "$(printf '%s\n' "$out" | grep -c 'replay')" 2 "two pipelined replays: both refused as replays"
tap_like "$(printf '%s\n' "$out" | sed -n 3p)" '"evidence"' "...and the third frame's reply (health) comes last, in order"

# A key removed by a reload while its token is out: the decision takes the
# ring as it is then. Deterministic form: remove bob's key, reload, submit.
id=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-gone)")
tok=$(ctl show "$id" --json | ctl sign -k "$T/keys/bob.key" --yes 2>/dev/null)
r0=$(grep -c 'reloaded' "$DL_LOG")
rm -f "$DL_APPROVERS/bob.pub"
kill -HUP "$DL_PID"
reloaded() { [ "$(grep -c 'reloaded\|reload refused' "$DL_LOG")" -gt "$r0" ]; }
wait_for 5 reloaded
tap_unlike "$(tail -n 3 "$DL_LOG")" 'reload refused' "the reload without bob's key was taken"
tap_like "$(adc submit "$tok" 2>&1)" 'unknown.key|key.*unknown|not registered' "a token of a key the reload removed is refused (unknown key)"
tap_like "$(adc status "$id")" 'pending' "...and its request stays pending"

tap_ok "verify-log passes" "$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" "$DL_EVIDENCE"
dl_stop
tap_is "$DL_RC" 0 "daemon exits 0 on SIGTERM (the thread joined)"
tap_done
