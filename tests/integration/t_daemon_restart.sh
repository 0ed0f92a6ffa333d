#!/bin/sh
# The evidence file is the daemon's write-ahead log (DESIGN.md §6): state
# survives a restart, a kill -9 mid-burst loses no acknowledged record, a
# torn tail is cut and recorded, other damage refuses to start. TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "config" dl_setup
for k in alice bob; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start

states() { # the id/state/approvals of every request, sorted
	ctl list --all --json | python3 -c '
import json, sys
for q in sorted(json.load(sys.stdin), key=lambda q: q["id"]):
    print(q["id"], q["state"], q["approvals"], q["expires"])'
}

p=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx)")
a=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-a)")
tok=$(ctl show "$a" --json | "$DL_CTL" sign -k "$T/keys/alice.key" --yes 2>/dev/null)
ctl submit "$tok" >/dev/null 2>&1
half=$(dl_id "$(adc create -- /usr/bin/systemctl restart db1)")
ctl approve "$half" -k "$T/keys/alice.key" --yes >/dev/null 2>&1
c=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-c)")
ctl approve "$c" -k "$T/keys/bob.key" --yes >/dev/null 2>&1
adc consume "$c" >/dev/null
before=$(states)
dl_stop
ns_must "daemon restarts" dl_start
after=$(states)
tap_is "$after" "$before" "SIGTERM + restart: every request keeps its state and approvals"
tap_like "$(adc status "$p")" '"state":"pending"' "pending request still pending"
tap_like "$(adc create -- /usr/bin/systemctl restart nginx-a)" "^approved $a " "approved request still matches its re-run"
tap_like "$(ctl approve "$half" -k "$T/keys/alice.key" --yes 2>&1)" 'one human counts once' "2 sre: alice's approval from before the restart still counts (once)"
tap_like "$(ctl submit "$tok" 2>&1)" 'refused \(state\)' "a token used before the restart is still refused"
tap_like "$(adc consume "$a")" "^consumed $a" "the approved request can be consumed after the restart"
tap_like "$(adc consume "$c")" '^error state' "the consumed one stays consumed"

# kill -9 in the middle of a burst of requests
adc burst 400 burst >"$T/acked" 2>&1 &
bp=$!
wait_for 10 sh -c "[ \$(wc -l <'$T/acked') -ge 40 ]"
dl_kill9
wait "$bp" 2>/dev/null
acked=$(grep -c '^acked ' "$T/acked")
tap_ok "the burst was cut short by kill -9 ($acked acknowledged)" [ "$acked" -ge 40 ] && [ "$acked" -lt 400 ]
ns_must "daemon restarts after kill -9" dl_start
tap_ok "verify-log passes after kill -9 and restart" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
ck=$(dl_ev_count '"event":"checkpoint"')
tap_ok "a signed checkpoint every 50 records during the burst ($ck)" [ "$ck" -ge $((acked / 50)) ]
missing=0
for id in $(awk '/^acked /{print $2}' "$T/acked"); do
	grep -q "\"event\":\"request\",[^}]*\"id\":\"$id\"" "$DL_EVIDENCE" || missing=$((missing + 1))
done
tap_is "$missing" 0 "no acknowledged request is missing from the evidence"
last=$(awk '/^acked /{id=$2} END{print id}' "$T/acked")
tap_like "$(adc status "$last")" '"state":"pending"' "the last acknowledged request is pending after the restart"

# a torn last line is cut off and recorded as `recovered`
dl_stop
printf '{"seq":99999,"time":"2026-' >>"$DL_EVIDENCE"
ns_must "daemon starts on a torn tail" dl_start
tap_ok "recovered record written" grep -q '"event":"recovered"' "$DL_EVIDENCE"
tap_ok "verify-log passes after the recovery" sh -c "\"$DL_CTL\" verify-log \"$DL_EVIDENCE\" >/dev/null"
tap_like "$(adc status "$p")" '"state":"pending"' "state intact after recovery"
dl_stop

# any other damage: refuse to start, naming the record
cp "$DL_EVIDENCE" "$T/good.log"
sed -i '3s/"event":"request"/"event":"request" /' "$DL_EVIDENCE"
out=$("$DL_BIN" -f -c "$DL_CONF" 2>&1); rc=$?
tap_is "$rc" 3 "a damaged evidence file refuses the start (exit 3)"
tap_like "$out" 'evidence: .*line 3' "...naming the damaged line"
tap_done
