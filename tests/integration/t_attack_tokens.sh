#!/bin/sh
# Attacks on approvals (DESIGN.md §4.4, §4.5; issue 9 attack matrix): an
# approval binds exactly what runs (argv, cwd, runas, environment, executable
# content, command); a token altered, not yet valid, forged as a denial,
# from a revoked key, or a second key of the same human does not count; the
# clock moved backwards does not revive expired requests or used tokens.
# Cases already covered by t_daemon_refusals.sh / t_daemon_lifecycle.sh /
# t_daemon_restart.sh are not repeated (docs/SECURITY-TESTING.md). TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
LOAD=$APPROVERD_BUILD/tests/helpers/attack_load
ns_must "users" ns_users
ns_must "config" dl_setup
for k in alice bob carol; do ns_must "key $k" dl_key "$k" "$k"; done
# a second key of the same human, also an sre member
ns_must "key alice2" dl_key alice2 alice
ns_must "alice2 in sre" sed -i 's/^members = alice, bob$/members = alice, bob, alice2/' "$DL_POLICY"
ns_must "daemon starts" dl_start

H0=0000000000000000000000000000000000000000000000000000000000000000
H1=1111111111111111111111111111111111111111111111111111111111111111
# create from a raw request object; prints "STATE ID"
raw_create() { # argv-json cwd runas runas_uid env-json exe_hash command
	adc call "{\"v\":1,\"op\":\"create\",\"request\":{\"requester\":\"ai-deploy\",\"uid\":2001,\"host\":\"x\",\"service\":\"sudo\",\"runas_user\":\"$3\",\"runas_uid\":$4,\"runas_gid\":0,\"command\":\"$7\",\"argv\":$1,\"cwd\":\"$2\",\"env\":$5,\"exe_hash\":\"$6\"}}" |
		sed -n 's/.*"id":"\(R-[^"]*\)".*"state":"\([a-z]*\)".*/\2 \1/p'
}
ARGV='["/usr/bin/systemctl","restart","nginx-v"]'
ENV='["PATH=/usr/bin"]'
CMD=/usr/bin/systemctl
base() { raw_create "$ARGV" / root 0 "$ENV" "$H0" "$CMD"; }
approve() { ctl approve "$1" -k "$T/keys/$2.key" --yes 2>&1; }
submit() { ctl submit "$@" 2>&1; }
state() { adc status "$1" | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'; }

# --- an approval binds the execution: every changed field is a new request
b=$(base); id=${b#* }
tap_like "$b" '^pending R-' "base request pending"
tap_like "$(approve "$id" alice)" "^$id approved" "base request approved by alice"
variant() { # desc result-of-raw_create
	tap_like "$2" '^pending R-' "changed $1: a new pending request, not the approved one"
	tap_isnt "${2#* }" "$id" "changed $1: the approval of the original does not apply"
}
variant argv "$(raw_create '["/usr/bin/systemctl","restart","nginx-v","--force"]' / root 0 "$ENV" "$H0" "$CMD")"
variant cwd "$(raw_create "$ARGV" /tmp root 0 "$ENV" "$H0" "$CMD")"
variant runas "$(raw_create "$ARGV" / daemon 1 "$ENV" "$H0" "$CMD")"
variant environment "$(raw_create "$ARGV" / root 0 '["PATH=/usr/bin","LD_PRELOAD=/tmp/evil.so"]' "$H0" "$CMD")"
variant "executable content (exe_hash)" "$(raw_create "$ARGV" / root 0 "$ENV" "$H1" "$CMD")"
variant "command path" "$(raw_create "$ARGV" / root 0 "$ENV" "$H0" /tmp/systemctl)"
tap_is "$(base)" "approved $id" "control: the identical request still finds its approval"

# --- the approver is shown one thing, the token is signed over another
c=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-d)")
alter() { # drop the digest (python3 -c, key: keep|drop)
	python3 -c '
import json, sys
s = json.load(sys.stdin); s["request"]["argv"][-1] = "nginx-EVIL"
if sys.argv[1] == "drop": s.pop("digest", None)
print(json.dumps(s))' "$1"
}
out=$(ctl show "$c" --json | alter keep | "$DL_CTL" sign -k "$T/keys/alice.key" --yes 2>&1 >/dev/null); rc=$?
tap_isnt "$rc" 0 "sign refuses a show --json whose argv no longer matches its digest"
tok=$(ctl show "$c" --json | alter drop | "$DL_CTL" sign -k "$T/keys/alice.key" --yes 2>/dev/null)
if [ -n "$tok" ]; then
	tap_like "$(submit --id "$c" "$tok")" 'refused \(wrong_digest\)' "token over an altered request (argv edited, digest dropped): wrong_digest"
else
	tap_pass "sign also refuses the altered request without a digest (nothing to submit)"
fi
now=$(date +%s)
tok=$("$LOAD" sign "$DL_SOCK" "$T/keys/alice.key" 1 "$c" $((now - 5)) $((now + 600)) approve-flip)
tap_like "$(submit "$tok")" 'refused \(wrong_digest\)' "a validly signed token over another digest for this id: wrong_digest"
tap_is "$(state "$c")" pending "...the request stays pending"

# --- not yet valid
now=$(date +%s)
tok=$("$LOAD" sign "$DL_SOCK" "$T/keys/alice.key" 1 "$c" $((now + 600)) $((now + 1200)) approve)
tap_like "$(submit "$tok")" 'refused \(not_yet_valid\)' "a token valid only from +10 min: not_yet_valid"
tap_is "$(state "$c")" pending "...the request stays pending"

# --- forged denials
mkdir -p "$T/other" && chmod 0700 "$T/other"
"$DL_CTL" keygen --name mallory --user dave --out-dir "$T/other" --no-passphrase >/dev/null 2>&1
tok=$(ctl show "$c" --json | "$DL_CTL" sign -k "$T/other/mallory.key" --deny --yes 2>/dev/null)
tap_like "$(submit "$tok")" 'refused \(unknown_key\)' "denial signed by an unregistered key: unknown_key"
tap_is "$(state "$c")" pending "...the request is not denied"
tok=$(ctl show "$c" --json | "$DL_CTL" sign -k "$T/keys/carol.key" --deny --yes 2>/dev/null)
tap_like "$(submit "$tok")" 'refused \(perm\)' "denial by a registered approver outside the required role: perm"
tap_is "$(state "$c")" pending "...the request is not denied"
d=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-e)")
tok=$(ctl show "$d" --json | "$DL_CTL" sign -k "$T/keys/bob.key" --deny --yes 2>/dev/null)
tap_like "$(submit --id "$c" "$tok")" 'refused \(wrong_request\)' "bob's denial of another request replayed against this one: wrong_request"
tap_is "$(state "$c")" pending "...the request is not denied"
tap_ok "forged denials recorded with counted=false" \
	grep -Eq "\"event\":\"denial\",.*\"id\":\"$c\",.*\"counted\":false" "$DL_EVIDENCE"

# --- quorum of two: two keys of the same human count once
q=$(dl_id "$(adc create -- /usr/bin/systemctl restart db-q)")
approve "$q" alice >/dev/null
out=$(approve "$q" alice2)
tap_like "$out" 'refused \(state\).*one human counts once' "2 sre: alice's second key (alice2, user=alice) is not counted"
tap_is "$(state "$q")" pending "...the request stays pending"
tap_like "$(approve "$q" bob)" "^$q approved by alice, bob" "control: bob completes the quorum"

# --- revoked key: pub removed, SIGHUP, a token signed before no longer counts
r=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-r)")
tok=$(ctl show "$r" --json | "$DL_CTL" sign -k "$T/keys/bob.key" --yes 2>/dev/null)
rm -f "$DL_APPROVERS/bob.pub"
ns_must "bob out of the role" sed -i 's/^members = alice, bob, alice2$/members = alice, alice2/' "$DL_POLICY"
kill -HUP "$DL_PID"
wait_for 5 grep -q '"event":"reload"' "$DL_EVIDENCE"
tap_ok "reload after revoking bob recorded" grep -q '"event":"reload"' "$DL_EVIDENCE"
tap_like "$(submit "$tok")" 'refused \(unknown_key\)' "token of a revoked key (pub removed, SIGHUP): unknown_key"
tap_is "$(state "$r")" pending "...the request stays pending"

# --- clock moved backwards: run ahead (+2h), then back to the real time
x=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-x)")
y=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-y)")
ytok=$(ctl show "$y" --json | "$DL_CTL" sign -k "$T/keys/alice.key" --yes 2>/dev/null)
dl_stop
DL_ENV=APPROVERD_TEST_CLOCK_OFFSET=7200
ns_must "daemon starts with the clock +2h" dl_start
wait_for 10 sh -c "grep -q '\"event\":\"expire\",.*\"id\":\"$x\"' '$DL_EVIDENCE'"
tap_is "$(state "$x")" expired "clock +2h: a pending request (request_ttl 30m) expires"
tap_like "$(submit "$ytok")" 'refused \(expired\)' "clock +2h: a 15-minute token is expired"
dl_stop
DL_ENV=
ns_must "daemon starts with the clock back at real time" dl_start
tap_is "$(state "$x")" expired "clock back 2h: the expired request stays expired"
tap_like "$(approve "$x" alice)" 'refused \(state\)' "clock back 2h: the expired request cannot be approved"
tap_like "$(submit "$ytok")" 'refused \(state\)' "clock back 2h: a token refused while the clock was ahead does not revive its request"
tap_is "$(state "$y")" expired "...which stays expired"
z=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-z)")
tap_like "$(approve "$z" alice)" "^$z approved" "clock back 2h: a new request is approved with a token by the real clock"
dl_stop
tap_ok "verify-log passes across the clock jumps" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
