#!/bin/sh
# Every refused approval (and refused caller) gets its specific reason AND
# an evidence record (DESIGN.md §4.4, §4.5, §4.8). Real daemon; prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "config" dl_setup
for k in alice bob carol; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start

sign() { # id key [sign options] -> token on stdout
	_id=$1 _k=$2; shift 2
	ctl show "$_id" --json | "$DL_CTL" sign -k "$T/keys/$_k.key" --yes "$@" 2>/dev/null
}
submit() { ctl submit "$@" 2>&1; }
# refused submission recorded for id with counted=false and the why text
recorded() { # id why-regex
	grep -Eq "\"event\":\"(approval|denial)\",.*\"id\":\"$1\",.*\"counted\":false,\"why\":\"[^\"]*$2" "$DL_EVIDENCE"
}
new() { dl_id "$(adc create "$@")"; }

# requester signs its own (a human requester whose key is registered)
id=$(new -u alice -i 2101 -- /usr/bin/systemctl restart nginx)
out=$(submit "$(sign "$id" alice)")
tap_like "$out" 'refused \(self_approval\).*alice, the requester' "requester cannot approve its own request"
tap_ok "  ...recorded with why" recorded "$id" "the requester"

# the sponsor signs
id=$(new -s bob -- /usr/bin/systemctl restart nginx1)
out=$(submit "$(sign "$id" bob)")
tap_like "$out" 'refused \(self_approval\).*bob, the sponsor' "the sponsor cannot approve"
tap_ok "  ...recorded with why" recorded "$id" "the sponsor"
tap_like "$(submit "$(sign "$id" alice)")" "^$id approved by alice" "another sre can approve the sponsored request"

# token replayed: on a second request, and twice on the same one
a=$(new -- /usr/bin/systemctl restart nginx2)
b=$(new -- /usr/bin/systemctl restart nginx3)
tok=$(sign "$a" alice)
tap_like "$(submit "$tok")" "^$a approved" "token for A approves A"
out=$(submit --id "$b" "$tok")
tap_like "$out" 'refused \(wrong_request\)' "the same token submitted for B is refused (wrong_request)"
tap_ok "  ...recorded for B" recorded "$b" "another request"
out=$(submit "$tok")
tap_like "$out" 'refused \(state\)' "the same token a second time is refused"
tap_like "$(adc status "$b")" '"state":"pending"' "B stays pending"

# token for another host: a second daemon with another host_id
ns_must "second daemon config" mkdir -p "$T/h2"
(
	T2=$T/h2
	sed -e "s|$T/run/approverd/approverd.sock|$T2/sock|" \
	    -e "s|$T/var/evidence.log|$T2/evidence.log|" \
	    -e "s|host_id = testhost|host_id = otherhost|" \
	    -e "s|$DL_ETC/host.key|$T2/host.key|" "$DL_CONF" >"$T2/approverd.conf"
	chmod 0644 "$T2/approverd.conf"
	"$DL_BIN" -f -c "$T2/approverd.conf" >"$T2/log" 2>&1 &
	echo $! >"$T2/pid"
)
ns_track_pid "$(cat "$T/h2/pid")"
wait_for 10 "$DL_ADC" -S "$T/h2/sock" health >/dev/null
c=$(new -- /usr/bin/systemctl restart nginx4)
other=$(dl_id "$("$DL_ADC" -S "$T/h2/sock" create -- /usr/bin/systemctl restart nginx4)")
tok=$("$DL_CTL" -c "$DL_CONF" -S "$T/h2/sock" show "$other" --json |
	"$DL_CTL" sign -k "$T/keys/alice.key" --yes 2>/dev/null)
out=$(submit --id "$c" "$tok")
tap_like "$out" 'refused \(wrong_host\)' "a token signed for another host is refused"
tap_ok "  ...recorded" recorded "$c" "another host"
kill "$(cat "$T/h2/pid")"

# expired token
tok=$(sign "$c" alice --ttl 1s)
sleep 2.2
out=$(submit "$tok")
tap_like "$out" 'refused \(expired\)' "an expired token is refused"
tap_ok "  ...recorded" recorded "$c" "expired"

# approval past max_ttl (30m for restart-web): sign without the limits shown
tok=$(ctl show "$c" --json | python3 -c '
import json, sys
s = json.load(sys.stdin); s.pop("max_ttl", None); s.pop("expires", None)
print(json.dumps(s))' | "$DL_CTL" sign -k "$T/keys/alice.key" --yes --ttl 2h 2>/dev/null)
out=$(submit "$tok")
tap_like "$out" 'refused \(ttl\)' "an approval longer than the rule's max_ttl is refused"
tap_ok "  ...recorded" recorded "$c" "max_ttl"

# unknown key
mkdir -p "$T/other" && chmod 0700 "$T/other"
"$DL_CTL" keygen --name dave --user dave --out-dir "$T/other" --no-passphrase >/dev/null 2>&1
tok=$(ctl show "$c" --json | "$DL_CTL" sign -k "$T/other/dave.key" --yes 2>/dev/null)
out=$(submit "$tok")
tap_like "$out" 'refused \(unknown_key\)' "a token from an unregistered key is refused"
tap_ok "  ...recorded" recorded "$c" "unknown key"

# tampered token: flip one base64 character in the signed part
tok=$(sign "$c" alice)
bad=$(printf '%s' "$tok" | python3 -c '
import sys
t = sys.stdin.read(); i = len(t) - 20
print(t[:i] + ("A" if t[i] != "A" else "B") + t[i+1:])')
out=$(submit "$bad")
tap_like "$out" 'refused \((bad_signature|invalid)\)' "a tampered token is refused"
tap_ok "  ...recorded" grep -Eq '"event":"approval",.*"counted":false,"why":"token (refused: bad signature|is malformed)' "$DL_EVIDENCE"
tap_like "$(submit "$tok")" "^$c approved by alice" "the untampered token still works"

# non-root client trying to create a request
out=$(as_user ai-deploy "$DL_ADC" -S "$DL_SOCK" create -- /usr/bin/id)
tap_like "$out" '^error perm' "a non-root client cannot create a request"
tap_ok "  ...recorded as a refused request" grep -q '"event":"request",.*"state":"refused","why":"uid 2001 ' "$DL_EVIDENCE"

# a requester reading another requester's request
mine=$(new -u ai-ops -i 2002 -- /usr/bin/systemctl restart nginx5)
out=$(as_user ai-deploy "$DL_ADC" -S "$DL_SOCK" show "$mine")
tap_like "$out" '^error perm: uid 2001 may not access' "a requester cannot read another requester's request"
tap_ok "  ...recorded in the evidence (refused, op show, uid 2001)" \
	grep -q "\"event\":\"refused\",.*\"id\":\"$mine\",\"op\":\"show\",\"uid\":2001," "$DL_EVIDENCE"
out=$(as_user ai-ops "$DL_ADC" -S "$DL_SOCK" status "$mine")
tap_like "$out" '"state":"pending"' "...but may read its own"
tap_like "$(as_user ai-deploy "$DL_ADC" -S "$DL_SOCK" list)" '^error perm' "a requester cannot list"
tap_like "$(as_user alice "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" list)" "$mine" "an approver can list"
tap_like "$(as_user dave "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" show "$mine" 2>&1)" 'refused \(perm\)' "a user who is neither can not show"

# a key mapped to an AI account is refused at load (start and reload)
dl_key aikey ai-deploy
out=$("$DL_BIN" --check -c "$DL_CONF" 2>&1); rc=$?
tap_is "$rc" 1 "--check with a key for an AI account exits 1"
tap_like "$out" "approvers.d/aikey.pub: user 'ai-deploy' is an AI subject" "...naming the key file and the user"
kill -HUP "$DL_PID"
wait_for 5 grep -q "reload refused" "$DL_LOG"
tap_like "$(cat "$DL_LOG")" "reload refused, keeping the old config: .*aikey.pub" "SIGHUP with that key: reload refused, old config kept"
tap_ok "daemon still serves after the refused reload" dl_healthy
tap_is "$(dl_ev_count '"event":"reload"')" 0 "no reload record for the refused reload"
rm -f "$DL_APPROVERS/aikey.pub"
kill -HUP "$DL_PID"
wait_for 5 grep -q '"event":"reload"' "$DL_EVIDENCE"
tap_is "$(dl_ev_count '"event":"reload"')" 1 "a good SIGHUP reload is recorded"

dl_stop
tap_ok "verify-log passes" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
