#!/bin/sh
# Review (docs/REVIEW.md, findings R1-R3): separation of duties and "one human
# counts once" (DESIGN.md §4.4) must hold for the HUMAN, i.e. the unix
# account (uid), not for the spelling of its name. Here `aliceadm` is a
# second passwd entry with alice's uid 2101 (a common "admin alias"), with
# its own registered approver key. Real daemon on a real socket; TAP.
# Controls check that the same flows work for a genuinely different human.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
# alias of alice (same uid and gid), and of the AI account ai-deploy (2001)
ns_must "alias aliceadm" sh -c "echo 'aliceadm:x:2101:2101:alias of alice:$T/home/alice:/bin/sh' >>'$T/etc/passwd'"
ns_must "alias sees uid 2101" test "$(id -u aliceadm)" = 2101
ns_must "config" dl_setup
for k in alice bob carol; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "key aliceadm (user=aliceadm)" dl_key aliceadm aliceadm
ns_must "aliceadm in sre" sed -i 's/^members = alice, bob$/members = alice, bob, aliceadm/' "$DL_POLICY"
ns_must "daemon starts" dl_start

sign() { # id key -> token on stdout
	ctl show "$1" --json | "$DL_CTL" sign -k "$T/keys/$2.key" --yes 2>/dev/null
}
submit() { ctl submit "$@" 2>&1; }
new() { dl_id "$(adc create "$@")"; }
state() { adc status "$1" | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'; }

# ---- R1: the sponsor (login uid 2101 = alice) approves through an alias key
id=$(new -s alice -- /usr/bin/systemctl restart nginx-r1)
tap_like "$id" '^R-' "R1 setup: request sponsored by alice is created"
out=$(submit "$(sign "$id" aliceadm)")
tap_like "$out" 'refused \(self_approval\)' "R1: key of aliceadm (uid 2101 = the sponsor alice) may not approve alice's sponsored request"
tap_is "$(state "$id")" pending "R1: ...the request stays pending"
id=$(new -s alice -- /usr/bin/systemctl restart nginx-r1b)
tap_like "$(submit "$(sign "$id" bob)")" "^$id approved by bob" "R1 control: bob (another uid) approves a request sponsored by alice"

# ---- R2: the requester (a human requester uid 2101) approves through an alias key
id=$(new -u alice -i 2101 -- /usr/bin/systemctl restart nginx-r2)
tap_like "$(submit "$(sign "$id" alice)")" 'refused \(self_approval\)' "R2 control: alice's own key is refused on her own request"
out=$(submit "$(sign "$id" aliceadm)")
tap_like "$out" 'refused \(self_approval\)' "R2: key of aliceadm (uid 2101 = the requester) may not approve the requester's own request"
tap_is "$(state "$id")" pending "R2: ...the request stays pending"

# ---- R3: one human counts once, across name aliases (rule two-sre: 2 sre)
id=$(new -- /usr/bin/systemctl restart db-r3)
tap_like "$(submit "$(sign "$id" alice)")" "^$id pending" "R3 setup: alice's approval counts, quorum 2 sre not yet met"
out=$(submit "$(sign "$id" aliceadm)")
tap_is "$(state "$id")" pending "R3: alice + aliceadm (same uid 2101) do not meet a quorum of two humans"
tap_unlike "$out" "^$id approved" "R3: ...the alias approval does not approve the request"
id=$(new -- /usr/bin/systemctl restart db-r3b)
submit "$(sign "$id" alice)" >/dev/null
tap_like "$(submit "$(sign "$id" bob)")" "^$id approved" "R3 control: alice + bob (two uids) meet 2 sre"

# ---- pinned: a key whose user= is a uid-alias of an AI subject is refused
dl_stop
ns_must "alias aideploy2" sh -c "echo 'aideploy2:x:2001:2001:alias of ai-deploy:$T/home/ai-deploy:/bin/sh' >>'$T/etc/passwd'"
ns_must "key aideploy2" dl_key aideploy2 aideploy2
"$DL_BIN" -f -c "$DL_CONF" </dev/null >"$T/alias.log" 2>&1 &
pid=$!
ns_track_pid "$pid"
wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
wait "$pid"
rc=$?
tap_isnt "$rc" 0 "pinned: the daemon refuses to start with a key of an AI uid-alias"
tap_like "$(cat "$T/alias.log")" 'aideploy2\.pub.*AI' "pinned: ...naming the key file and why"
tap_done
