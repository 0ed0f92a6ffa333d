#!/bin/sh
# approverd request lifecycle against the real daemon on a temp socket:
# 1 sre, 2 sre (same human counts once), 1 sre + 1 payments-owner, allow,
# deny, ticket, approver denial, re-run matching. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "config" dl_setup
ns_must "keys" dl_key alice alice
printf 'correct horse battery\n' >"$T/bob.pass"
printf 'wrong horse\n' >"$T/bad.pass"
chmod 0600 "$T/bob.pass" "$T/bad.pass"
ns_must "keys" dl_key_pass bob bob "$T/bob.pass"
ns_must "keys" dl_key carol carol
ns_must "daemon starts" dl_start

approve() {
	APPROVERD_PASSPHRASE_FILE=$T/$2.pass ctl approve "$1" -k "$T/keys/$2.key" --yes 2>/dev/null
}

# --- 1 sre: create -> pending -> approve -> approved -> consume -> result
out=$(adc create -- /usr/bin/systemctl restart nginx)
id=$(dl_id "$out")
tap_like "$out" '^pending R-[0-9A-F]{4}-[0-9A-F]{4} rule=restart-web' "1 sre: new request is pending under rule restart-web"
again=$(adc create -- /usr/bin/systemctl restart nginx)
tap_is "$(dl_id "$again")" "$id" "identical pending request is not duplicated"
tap_is "$(dl_ev_count '"event":"request".*"state":"pending"')" 1 "only one request record for the identical re-run"
out=$(approve "$id" alice)
tap_like "$out" "^$id approved by alice until" "alice's approval approves it (1 sre)"
tap_like "$(adc status "$id")" '"state":"approved"' "status says approved"
rerun=$(adc create -- /usr/bin/systemctl restart nginx)
tap_like "$rerun" "^approved $id " "re-running the identical command finds the approved request"
tap_like "$(adc consume "$id")" "^consumed $id" "consume marks it consumed (single use)"
tap_like "$(adc consume "$id")" '^error state' "a second consume is refused"
tap_like "$(adc result "$id" 3)" "^recorded $id" "result recorded"
tap_is "$(dl_ev_count "\"event\":\"result\",.*\"id\":\"$id\",\"exit_status\":3")" 1 "result record has the exit status"
tap_like "$(adc create -- /usr/bin/systemctl restart nginx)" '^pending ' "after consume the same command needs a new approval"
for e in request approval approved consume result; do
	tap_ok "evidence has a '$e' record for $id" grep -q "\"event\":\"$e\",.*\"id\":\"$id\"" "$DL_EVIDENCE"
done

# --- 2 sre: one approval is not enough, the same human twice counts once
id2=$(dl_id "$(adc create -- /usr/bin/systemctl restart db1)")
tap_like "$(approve "$id2" alice)" "^$id2 pending" "2 sre: alice alone leaves it pending"
dup=$(ctl approve "$id2" -k "$T/keys/alice.key" --yes 2>&1)
tap_like "$dup" 'refused \(state\).*one human counts once' "2 sre: alice again is not counted"
tap_ok "the uncounted second approval is recorded with counted=false" \
	grep -q "\"event\":\"approval\",.*\"id\":\"$id2\",.*\"counted\":false,\"why\":\"alice.*one human counts once" "$DL_EVIDENCE"
tap_like "$(adc status "$id2")" '"state":"pending"' "2 sre: still pending after alice twice"
out=$(APPROVERD_PASSPHRASE_FILE=$T/bad.pass ctl approve "$id2" -k "$T/keys/bob.key" --yes 2>&1); rc=$?
tap_is "$rc" 1 "approve with a wrong passphrase: exit 1"
tap_like "$(adc status "$id2")" '"state":"pending"' "...and nothing was submitted"
tap_like "$(approve "$id2" bob)" "^$id2 approved by alice, bob" "2 sre: bob (encrypted key, APPROVERD_PASSPHRASE_FILE) completes the quorum"

# --- 1 sre + 1 payments-owner: needs both roles
id3=$(dl_id "$(adc create -- /usr/local/bin/payments-migrate --apply)")
approve "$id3" alice >/dev/null
tap_like "$(approve "$id3" bob)" "^$id3 pending" "sre+payments: two sre approvals are not enough"
tap_like "$(approve "$id3" carol)" "^$id3 approved by alice, bob, carol" "sre+payments: carol (payments-owner) completes it"
tap_ok "approved record lists the approvers" \
	grep -q "\"event\":\"approved\",.*\"id\":\"$id3\",\"approvers\":\[\"alice\",\"bob\",\"carol\"\]" "$DL_EVIDENCE"

# --- policy allow / deny / ticket
tap_like "$(adc create -- /usr/bin/journalctl -u nginx)" '^allowed R-.* rule=read-logs' "allow rule: allowed at once"
tap_like "$(adc create -- /usr/bin/passwd root)" '^denied R-.* rule=never .*reason=denied by policy rule never' "deny rule: denied at once"
out=$(adc create -- /usr/bin/systemctl stop nginx)
tap_like "$out" '^pending ' "ticket rule without a ticket: pending but blocked (governance.md §2)"
tap_ok "…the request record carries the block text" \
	grep -q "\"event\":\"request\",.*\"id\":\"$(dl_id "$out")\".*\"blocked\":\"rule ticketed requires a ticket matching" "$DL_EVIDENCE"
idT=$(dl_id "$out")
out=$(adc create -t CHG-42 -- /usr/bin/systemctl stop nginx)
tap_like "$out" '^pending ' "ticket rule with a matching ticket: pending"
tap_isnt "$(dl_id "$out")" "$idT" "…a new request that supersedes the blocked one"
tap_ok "…the blocked one is withdrawn, superseded by the new one" \
	grep -q "\"event\":\"withdraw\",.*\"id\":\"$idT\".*\"why\":\"superseded by $(dl_id "$out")\"" "$DL_EVIDENCE"

# --- an eligible approver's denial denies at once
id4=$(dl_id "$(adc create -- /usr/bin/systemctl restart db2)")
approve "$id4" alice >/dev/null
out=$(APPROVERD_PASSPHRASE_FILE=$T/bob.pass ctl deny "$id4" -k "$T/keys/bob.key" --reason "not during the freeze" --yes 2>/dev/null)
tap_like "$out" "^$id4 denied: denied by bob: not during the freeze" "bob's signed denial denies at once"
tap_like "$(adc consume "$id4")" '^error state' "a denied request cannot be consumed"
tap_ok "denial record counted" grep -q "\"event\":\"denial\",.*\"id\":\"$id4\",.*\"counted\":true" "$DL_EVIDENCE"

# --- alice approves as herself (uid 2101) with her default key path
mkdir -p "$T/home/alice/.config/approverd"
cp "$T/keys/alice.key" "$T/home/alice/.config/approverd/alice.key"
chown -R alice:alice "$T/home/alice/.config"
chmod 0600 "$T/home/alice/.config/approverd/alice.key"
id6=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-6)")
tap_like "$(as_user alice "$DL_CTL" -c "$DL_CONF" list)" "$id6 +pending" "alice (non-root approver) lists pending requests"
out=$(as_user alice "$DL_CTL" -c "$DL_CONF" approve "$id6" --yes 2>/dev/null)
tap_like "$out" "^$id6 approved by alice" "alice approves as herself with ~/.config/approverd/alice.key"
tap_ok "submitter uid recorded" grep -q "\"event\":\"approval\",.*\"id\":\"$id6\",.*\"submitter_uid\":2101" "$DL_EVIDENCE"

# --- withdraw by the requester itself (uid 2001 owns these requests)
id5=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-extra)")
out=$(as_user ai-deploy "$DL_ADC" -S "$DL_SOCK" withdraw "$id5")
tap_like "$out" '"state":"withdrawn"' "the requester may withdraw its own request"
tap_ok "withdraw record by uid 2001" grep -q "\"event\":\"withdraw\",.*\"id\":\"$id5\",.*\"by_uid\":2001" "$DL_EVIDENCE"

dl_stop
tap_is "$DL_RC" 0 "SIGTERM: clean exit 0"
tap_ok "last record is a signed checkpoint" sh -c "tail -n 1 '$DL_EVIDENCE' | grep -q '\"event\":\"checkpoint\"'"
tap_ok "verify-log with the host key passes" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
