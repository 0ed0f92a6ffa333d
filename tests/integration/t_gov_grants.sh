#!/bin/sh
# t_gov_grants.sh — standing grants (docs/formats/governance.md §4) with the
# real setuid sudo and sudo_approverd.so against a real approverd: creation
# refused for an unknown/allow/deny rule, grants = no, ttl or uses over the
# rule's caps, a bad --match pattern, an unknown requester and a caller who
# is neither root nor an approver; the grant's own quorum (2 sre: one
# approval leaves it pending and sudo held, the second activates it);
# separation of duties (a human requester's own key is refused); uses
# counting down across real sudo runs (consume records name the grant and
# the uses left) then the next run held; never covering a run in the
# session of one of its approvers (sponsor); a consume refused once the
# grant ran out or was revoked; not covering a blocked request (no
# ticket); offline sign and token replay; --match restricting; revoke
# (root unsigned, approver signed, and `deny G-...`) → next run held;
# state surviving a restart; expiry (restart with the clock moved); list,
# show, status of grants; verify-log at the end.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

dl_sudo_ready # plugin, daemon, approverctl built; users; /dev/log

ns_must "test programs" dl_tools --named tool two nog opstool shelltool tkt

ns_must sudo ns_sudo "ai-deploy ALL=(ALL) NOPASSWD: ALL
dave ALL=(ALL) NOPASSWD: ALL"

dl_setup "[role sre]
members = alice, bob

[role ops]
members = carol, dave

[rule forbidden]
command = $B/forbidden *
action = deny

[rule shell]
command = $B/shelltool *
action = allow

[rule tool]
command = $B/tool *
require = 1 sre
grant_max_ttl = 1d
grant_max_uses = 5

[rule two]
command = $B/two *
require = 2 sre

[rule nog]
command = $B/nog *
require = 1 sre
grants = no

[rule opsrule]
command = $B/opstool *
require = 1 ops

[rule ticketed]
command = $B/tkt *
require = 1 sre
ticket = ^CHG-[0-9]+\$

[default]
require = 1 sre"
for k in alice bob carol dave; do ns_must "$k's key" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start
ns_client_conf 0 "$DL_SOCK"

ns_must "keys in the approvers' homes" dl_home_keys alice bob carol dave
gid_of() { grep -o 'G-[0-9A-F]\{4\}-[0-9A-F]\{4\}' | head -n 1; }
n_ev() { grep -c "\"event\":\"$1\"" "$DL_EVIDENCE"; }
evg() { grep -F "\"id\":\"$1\"" "$DL_EVIDENCE"; }
ai() { as_user ai-deploy sudo -n "$@" 2>&1; }
held() { # output of a sudo run: refused with a pending request
	printf '%s\n' "$1" | grep -q 'needs approval: request R-'
}
ran() { grep -c "^$1 ran: $2\$" "$T/ran.log"; }
state_of() { ctl status "$1" --json | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p'; }
mkgrant() { # args: a grant as root; prints its id
	ctl grant "$@" 2>&1 | gid_of
}

# ---- 1. creation refused, each naming why; nothing recorded
refuse() { # desc regex args...
	_d=$1; _re=$2; shift 2
	out=$(ctl grant "$@" 2>&1); rc=$?
	tap_is "$rc" 1 "refused: $_d (exit 1)"
	tap_like "$out" "$_re" "refused: $_d: message says why"
}
refuse "unknown rule" "no rule 'nope'" --requester ai-deploy --rule nope --ttl 1h --uses 1
refuse "allow rule" "rule shell is an allow rule" --requester ai-deploy --rule shell --ttl 1h --uses 1
refuse "deny rule" "rule forbidden is a deny rule" --requester ai-deploy --rule forbidden --ttl 1h --uses 1
refuse "grants = no" "rule nog has grants = no" --requester ai-deploy --rule nog --ttl 1h --uses 1
refuse "ttl over grant_max_ttl" "field 'ttl'.*grant_max_ttl 1d" --requester ai-deploy --rule tool --ttl 2d --uses 1
refuse "uses over grant_max_uses" "field 'uses'.*1\.\.5" --requester ai-deploy --rule tool --ttl 1h --uses 6
refuse "bad --match pattern" "field 'match'" --requester ai-deploy --rule tool --ttl 1h --uses 1 --match "tool x"
refuse "unknown requester" "field 'requester': no such user 'nobody-here'" --requester nobody-here --rule tool --ttl 1h --uses 1
out=$(as_user ai-deploy "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" grant --requester ai-deploy --rule tool --ttl 1h --uses 5 2>&1); rc=$?
tap_is "$rc" 1 "refused: the AI account (neither root nor an approver) cannot ask for a grant"
tap_like "$out" "neither root nor a registered approver" "…saying why"
tap_is "$(n_ev grant)" 0 "no refused grant reached the evidence as a grant"
out=$(ctl grant --requester ai-deploy --rule tool --ttl 1h 2>&1); rc=$?
tap_is "$rc" 2 "approverctl grant without --uses: usage error (exit 2)"
out=$(ctl grant --help); rc=$?
tap_is "$rc" 0 "approverctl grant --help exits 0"
tap_like "$out" "--requester USER --rule RULE" "grant --help shows the synopsis"

# ---- 2. the grant's own quorum: 2 sre
out=$(ctl grant --requester ai-deploy --rule two --ttl 1h --uses 3 --comment "db restarts" 2>&1); rc=$?
G2=$(printf '%s\n' "$out" | gid_of)
tap_is "$rc" 0 "root asks for a grant on rule two (2 sre)"
tap_like "$G2" '^G-[0-9A-F]{4}-[0-9A-F]{4}$' "…and gets a grant id G-XXXX-XXXX"
tap_like "$out" "state pending" "the new grant is pending"
tap_like "$(evg "$G2" | grep '"event":"grant"')" '"state":"pending".*' "evidence: grant record (pending)"
tap_like "$(evg "$G2" | grep '"event":"grant"')" '"created_by":"root"' "grant record names who asked"
tap_like "$(ctl list 2>&1)" "$G2 +pending" "approverctl list shows the pending grant"
out=$(dl_ctl_as alice approve "$G2" 2>&1); rc=$?
tap_is "$rc" 0 "alice approves $G2"
tap_is "$(state_of "$G2")" pending "one approval of two: the grant stays pending"
out=$(ai "$B/two" first); rc=$?
tap_ok "a run under a pending grant is held (exit $rc)" held "$out"
R_FIRST=$(printf '%s\n' "$out" | grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' | head -n 1)
out=$(dl_ctl_as alice approve "$G2" 2>&1); rc=$?
tap_isnt "$rc" 0 "alice cannot approve twice (one human counts once)"
out=$(dl_ctl_as bob approve "$G2" 2>&1); rc=$?
tap_is "$rc" 0 "bob approves $G2"
tap_like "$out" "$G2 active" "the second sre approval activates it"
tap_like "$(evg "$G2" | grep '"event":"approved"')" '"approvers":\["alice","bob"\]' "evidence: approved by alice and bob"
out=$(ai "$B/two" second); rc=$?
tap_is "$rc" 0 "an active grant lets ai-deploy run without a new approval"
tap_like "$out" "covered by standing grant $G2" "…and sudo tells the agent which grant let it through"
tap_is "$(ran two second)" 1 "…and the command ran"
out=$(ai "$B/two" first); rc=$?
tap_is "$rc" 0 "re-running the command held before the grant was active now runs"
tap_like "$(grep -F "\"id\":\"$R_FIRST\"" "$DL_EVIDENCE" | grep '"event":"withdraw"')" '"why":"superseded by R-' \
	"…its old pending request is withdrawn (superseded)"
rid=$(grep "\"event\":\"request\"" "$DL_EVIDENCE" | grep "\"$B/two\",\"second\"" | sed -n 's/.*"id":"\(R-[0-9A-F-]*\)".*/\1/p' | head -n 1)
tap_like "$(grep "\"id\":\"$rid\"" "$DL_EVIDENCE" | grep '"event":"request"')" "\"state\":\"allowed\".*\"grant\":\"$G2\"|\"grant\":\"$G2\".*\"state\":\"allowed\"" \
	"evidence: the request is allowed and names the grant"
tap_like "$(grep "\"id\":\"$rid\"" "$DL_EVIDENCE" | grep '"event":"consume"')" "\"grant\":\"$G2\",\"grant_uses_left\":2" \
	"evidence: consume names the grant and 2 uses left"

# ---- 3. uses count down to zero, then the next run is held
G3=$(ctl grant --requester ai-deploy --rule tool --ttl 1h --uses 3 -k "$T/keys/alice.key" --yes 2>/dev/null | gid_of)
tap_is "$(state_of "$G3")" active "grant with -k: created and approved by alice at once (1 sre)"
for i in 1 2 3; do
	out=$(ai "$B/tool" "use$i"); rc=$?
	tap_is "$rc" 0 "use $i of 3 runs without a new approval"
	tap_like "$(grep '"event":"consume"' "$DL_EVIDENCE" | tail -n 1)" "\"grant\":\"$G3\",\"grant_uses_left\":$((3 - i))" \
		"use $i: consume record says $((3 - i)) left"
done
tap_is "$(state_of "$G3")" used-up "after 3 uses the grant is used up"
out=$(ai "$B/tool" use4); rc=$?
tap_is "$rc" 1 "the 4th run is refused"
tap_ok "…held as an ordinary pending request" held "$out"
tap_is "$(ran tool use4)" 0 "…and did not run"

# ---- 3b. a grant never covers a run in the session of its own approver
G12=$(mkgrant --requester ai-deploy --rule tool --ttl 1h --uses 5)
dl_ctl_as alice approve "$G12" >/dev/null 2>&1
out=$(AS_LOGINUID=2101 as_user ai-deploy sudo -n "$B/tool" sponsored 2>&1); rc=$?
tap_ok "in alice's session (sponsor alice), alice's grant does not cover the run" held "$out"
tap_is "$(ran tool sponsored)" 0 "…and it did not run"
out=$(AS_LOGINUID=2102 as_user ai-deploy sudo -n "$B/tool" bobsession 2>&1); rc=$?
tap_is "$rc" 0 "in bob's session the grant alice approved covers the run"
ctl revoke "$G12" >/dev/null 2>&1

# ---- 3c. a consume after the grant ran out (or was revoked) is refused
G13=$(mkgrant --requester ai-deploy --rule tool --ttl 1h --uses 1)
dl_ctl_as alice approve "$G13" >/dev/null 2>&1
r1=$(adc create -u ai-deploy -i 2001 -- "$B/tool" race1 | awk '{print $2}')
r2=$(adc create -u ai-deploy -i 2001 -- "$B/tool" race2 | awk '{print $2}')
tap_like "$(adc status "$r1") $(adc status "$r2")" "\"id\":\"$r1\".*\"state\":\"allowed\".*\"id\":\"$r2\".*\"state\":\"allowed\"" "two requests created under a 1-use grant are both allowed"
out=$(adc consume "$r1"); rc=$?
tap_is "$rc" 0 "the first consume takes the grant's only use"
consume() { adc call "{\"v\":1,\"op\":\"consume\",\"id\":\"$1\",\"pid\":4242}"; }
out=$(consume "$r2"); rc=$?
tap_isnt "$rc" 0 "the second consume is refused: no use left"
tap_like "$out" "grant $G13 is used-up" "…naming the grant and why"
tap_is "$(grep -c "\"grant\":\"$G13\",\"grant_uses_left\"" "$DL_EVIDENCE")" 1 "only one consume names the grant"
G14=$(mkgrant --requester ai-deploy --rule tool --ttl 1h --uses 5)
dl_ctl_as alice approve "$G14" >/dev/null 2>&1
r3=$(adc create -u ai-deploy -i 2001 -- "$B/tool" race3 | awk '{print $2}')
ctl revoke "$G14" >/dev/null 2>&1
out=$(consume "$r3"); rc=$?
tap_isnt "$rc" 0 "a consume after the grant was revoked is refused"
tap_like "$out" "grant $G14 is revoked" "…saying it was revoked"

# ---- 4. --match restricts the grant
G4=$(dl_ctl_as alice grant --requester ai-deploy --rule tool --ttl 1h --uses 5 --match "$B/tool only *" \
	-k "$T/home/alice/.config/approverd/alice.key" 2>/dev/null | gid_of)
tap_is "$(state_of "$G4")" active "an approver (alice) asks for a grant and approves it with -k"
tap_like "$(evg "$G4" | grep '"event":"grant"')" '"created_by_uid":2101,"created_by":"alice"|"created_by":"alice".*"created_by_uid":2101' \
	"grant record: created by alice (uid 2101)"
out=$(ai "$B/tool" only this); rc=$?
tap_is "$rc" 0 "a command matching --match runs"
out=$(ai "$B/tool" other thing); rc=$?
tap_ok "a command of the rule not matching --match is held" held "$out"
tap_is "$(ran tool 'other thing')" 0 "…and did not run"

# ---- 5. separation of duties: a human requester cannot approve own grant
G5=$(mkgrant --requester dave --rule opsrule --ttl 1h --uses 2)
out=$(dl_ctl_as dave approve "$G5" 2>&1); rc=$?
tap_isnt "$rc" 0 "dave's own key cannot approve a grant for dave"
tap_like "$out" "belongs to dave, the requester of $G5" "…the refusal names the requester"
tap_like "$(evg "$G5" | grep '"event":"approval"')" '"counted":false' "evidence: dave's approval recorded, not counted"
tap_is "$(state_of "$G5")" pending "the grant stays pending"
out=$(dl_ctl_as alice approve "$G5" 2>&1); rc=$?
tap_like "$out" "not in a role required by rule opsrule" "alice (sre) is not in the rule's role"
out=$(dl_ctl_as carol approve "$G5" 2>&1); rc=$?
tap_is "$rc" 0 "carol (ops) approves dave's grant"
tap_is "$(state_of "$G5")" active "…and it is active"
out=$(dl_ctl_as bob approve "$G3" 2>&1); rc=$?
tap_isnt "$rc" 0 "an approval of a grant that is not pending is refused"

# ---- 6. revoke: root unsigned, approver signed, deny
G6=$(mkgrant --requester ai-deploy --rule tool --ttl 1h --uses 5)
dl_ctl_as alice approve "$G6" >/dev/null 2>&1
out=$(ai "$B/tool" r6a); rc=$?
tap_is "$rc" 0 "grant $G6 covers a run"
out=$(dl_ctl_as alice revoke "$G6" 2>&1); rc=$?
tap_isnt "$rc" 0 "an unsigned revoke from a non-root user is refused"
tap_is "$(state_of "$G6")" active "…and the grant stays active"
out=$(ctl revoke "$G6" --comment "done early" 2>&1); rc=$?
tap_is "$rc" 0 "root revokes $G6 without a signature"
tap_is "$(state_of "$G6")" revoked "the grant is revoked"
tap_like "$(evg "$G6" | grep '"event":"revoke"')" '"by":"root".*"uid":0.*"comment":"done early"' "evidence: revoke by root with the comment"
out=$(ai "$B/tool" r6b); rc=$?
tap_ok "after the revoke the next run is held" held "$out"
out=$(ctl revoke "$G6" 2>&1); rc=$?
tap_is "$rc" 1 "revoking twice is refused"
G7=$(mkgrant --requester ai-deploy --rule tool --ttl 1h --uses 5)
dl_ctl_as alice approve "$G7" >/dev/null 2>&1
out=$(dl_ctl_as bob revoke "$G7" -k "$T/home/bob/.config/approverd/bob.key" --comment "incident" 2>&1); rc=$?
tap_is "$rc" 0 "bob revokes $G7 with a signed denial"
tap_like "$(evg "$G7" | grep '"event":"revoke"')" '"by":"bob","user":"bob".*"key_id":"[0-9a-f]{16}"' "evidence: revoke by bob's key"
out=$(ai "$B/tool" r7); rc=$?
tap_ok "after bob's revoke the next run is held" held "$out"
G8=$(mkgrant --requester ai-deploy --rule tool --ttl 1h --uses 5)
dl_ctl_as alice approve "$G8" >/dev/null 2>&1
out=$(dl_ctl_as bob deny "$G8" --reason "no longer needed" 2>&1); rc=$?
tap_is "$rc" 0 "approverctl deny G-... revokes too"
tap_is "$(state_of "$G8")" revoked "…the grant is revoked"

# ---- 5b. a grant does not cover a blocked request (ticket missing)
G11=$(mkgrant --requester ai-deploy --rule ticketed --ttl 1h --uses 5)
dl_ctl_as alice approve "$G11" >/dev/null 2>&1
tap_is "$(state_of "$G11")" active "grant on a rule that requires a ticket is active"
out=$(ai "$B/tkt" noticket); rc=$?
tap_is "$rc" 1 "without a ticket the run is refused despite the grant"
tap_is "$(ran tkt noticket)" 0 "…and did not run"
tap_like "$(grep '"event":"request"' "$DL_EVIDENCE" | grep "\"$B/tkt\",\"noticket\"" | tail -n 1)" '"grant":""' \
	"…its request names no grant"
out=$(as_user ai-deploy env APPROVERD_TICKET=CHG-9 sudo -n "$B/tkt" withticket 2>&1); rc=$?
tap_is "$rc" 0 "with a matching ticket the grant covers the run"

# ---- 6b. offline signing; a token counts once
G10=$(mkgrant --requester ai-deploy --rule two --ttl 1h --uses 1)
ctl show "$G10" --json >"$T/g10.json"
as_user alice sh -c "\"$DL_CTL\" sign -k \"\$HOME/.config/approverd/alice.key\" --yes <\"$T/g10.json\"" >"$T/tok10" 2>"$T/sign10.err"
tap_like "$(cat "$T/sign10.err")" "APPROVE standing grant $G10" "approverctl sign shows the grant it signs"
out=$(ctl submit "$(cat "$T/tok10")" 2>&1); rc=$?
tap_is "$rc" 0 "the offline token counts"
out=$(ctl submit "$(cat "$T/tok10")" 2>&1); rc=$?
tap_isnt "$rc" 0 "the same token again is refused"
tap_like "$out" "replay" "…as a replay"
sed 's/"uses": 1,/"uses": 2,/' "$T/g10.json" >"$T/g10b.json"
out=$(as_user alice sh -c "\"$DL_CTL\" sign -k \"\$HOME/.config/approverd/alice.key\" --yes <\"$T/g10b.json\"" 2>&1); rc=$?
tap_isnt "$rc" 0 "sign refuses a grant whose fields do not give its digest"
tap_like "$out" "digest mismatch" "…saying the digest does not match"

# ---- 7. state survives a restart
G9=$(mkgrant --requester ai-deploy --rule tool --ttl 1h --uses 4)
dl_ctl_as alice approve "$G9" >/dev/null 2>&1
ai "$B/tool" r9a >/dev/null
dl_stop
ns_must "daemon restarts" dl_start
tap_is "$(state_of "$G9")" active "after a restart the grant is still active"
tap_like "$(ctl show "$G9" --json)" '"uses_left": 3' "…with its uses left (3 of 4)"
tap_is "$(state_of "$G3")" used-up "a used-up grant stays used up"
tap_is "$(state_of "$G6")" revoked "a revoked grant stays revoked"
tap_is "$(state_of "$G2")" active "grant $G2 (1 use left) survives too"
out=$(ctl submit "$(cat "$T/tok10")" 2>&1); rc=$?
tap_isnt "$rc" 0 "after the restart the token still cannot be replayed"
tap_like "$out" "replay" "…the daemon remembers it from the evidence"
out=$(ai "$B/tool" r9b); rc=$?
tap_is "$rc" 0 "after the restart the grant still covers runs"
tap_like "$(ctl list --all 2>&1)" "$G9 +active" "list --all shows active grants"
tap_like "$(ctl list --all --json 2>&1)" '"kind": "grant"' "list --json marks grants"
tap_like "$(ctl show "$G9" 2>&1)" "standing grant, state active, 2 of 4 uses left" "show G-... in human form"

# ---- 8. a show for the requester, not for others
tap_like "$(as_user ai-deploy "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" show "$G9" 2>&1)" "standing grant" "the grant's requester may show it"
out=$(as_user ai-ops "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" show "$G9" 2>&1); rc=$?
tap_is "$rc" 1 "another user may not show it"

# ---- 9. expiry (daemon clock moved 2h past the 1h grants)
dl_stop
DL_ENV="APPROVERD_TEST_CLOCK_OFFSET=7200"
ns_must "daemon restarts 2h later" dl_start
tap_ok "the expiry is recorded" wait_for 5 sh -c "grep -F '\"id\":\"$G9\"' '$DL_EVIDENCE' | grep -q '\"event\":\"expire\"'"
tap_is "$(state_of "$G9")" expired "the grant is expired"
out=$(ai "$B/tool" r9c); rc=$?
tap_ok "a run under an expired grant is held" held "$out"
tap_is "$(ran tool r9c)" 0 "…and did not run"
dl_stop
DL_ENV=

out=$("$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" "$DL_EVIDENCE" 2>&1); rc=$?
tap_is "$rc" 0 "verify-log passes on the evidence with grants"
tap_done
