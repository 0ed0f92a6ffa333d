#!/bin/sh
# Waiting clients are woken by the daemon's push the moment the decision is
# durable (DESIGN.md §3 step 4, §4.1): the evidence already holds the
# decision when the waiter wakes, and events happen in order. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "config" dl_setup
for k in alice bob; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start
EV=$T/events

# waiter: parks with one `wait` frame, logs "woken" to the shared event log
waiter() { # id out
	"$DL_ADC" -S "$DL_SOCK" wait -T 20000 -e "$DL_EVIDENCE" "$1" >"$2" 2>&1
	echo "woken $1" >>"$EV"
}

id=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx)")
waiter "$id" "$T/w1" &
wpid=$!
wait_for 5 grep -q "^waiting $id" "$T/w1"
sleep 0.3
echo "approve-start $id" >>"$EV"
ctl approve "$id" -k "$T/keys/alice.key" --yes >/dev/null 2>&1
echo "approve-done $id" >>"$EV"
wait "$wpid"
tap_like "$(cat "$T/w1")" "^woken approved $id .*approvers=alice" "waiting client is woken with the approval"
tap_like "$(cat "$T/w1")" "durable=yes" "the approval was durable in the evidence when the waiter woke"
tap_is "$(head -n 1 "$EV")" "approve-start $id" "event order: approval submitted first"
tap_ok "event order: waiter woken after the approval started" \
	sh -c "grep -n . '$EV' | grep -q '^[23]:woken $id'"
ticks=$(grep -c '^progress' "$T/w1")
tap_ok "the waiter showed progress while parked ($ticks ticks)" [ "$ticks" -ge 1 ]

# two waiters on one request, woken by a denial
id=$(dl_id "$(adc create -- /usr/bin/systemctl restart db9)")
: >"$EV"
waiter "$id" "$T/w2" &
p2=$!
waiter "$id" "$T/w3" &
p3=$!
wait_for 5 grep -q "^waiting" "$T/w2"
wait_for 5 grep -q "^waiting" "$T/w3"
sleep 0.3
ctl deny "$id" -k "$T/keys/bob.key" --reason "no" --yes >/dev/null 2>&1
wait "$p2" "$p3"
tap_like "$(cat "$T/w2")" "^woken denied $id" "waiter 1 woken by the denial"
tap_like "$(cat "$T/w3")" "^woken denied $id" "waiter 2 woken by the denial"
tap_like "$(cat "$T/w2")" "durable=yes" "the denial was durable first"

# withdraw wakes the waiter
id=$(dl_id "$(adc create -- /usr/bin/systemctl restart db8)")
waiter "$id" "$T/w4" &
p4=$!
wait_for 5 grep -q "^waiting" "$T/w4"
adc withdraw "$id" >/dev/null
wait "$p4"
tap_like "$(cat "$T/w4")" "^woken withdrawn $id" "withdraw wakes the waiter"

# an approval that is not used before its not_after expires (recorded)
id=$(dl_id "$(adc create -- /usr/bin/systemctl restart cache5)")
tok=$(ctl show "$id" --json | "$DL_CTL" sign -k "$T/keys/alice.key" --ttl 3s --yes 2>/dev/null)
tap_like "$(ctl submit "$tok" 2>&1)" "^$id approved" "approved with a 3s approval"
sleep 4
tap_like "$(adc consume "$id")" '^error expired' "consume after not_after: refused (expired)"
tap_ok "expire record for the unused approval" grep -q "\"event\":\"expire\",.*\"id\":\"$id\",\"why\":\"approval not_after passed unused\"" "$DL_EVIDENCE"

# a waiter that gives up (its own timeout) leaves the request pending
id=$(dl_id "$(adc create -- /usr/bin/systemctl restart db6)")
out=$(adc wait -T 300 "$id")
tap_like "$out" '^error timeout' "a waiter's own deadline ends the wait (timeout)"
tap_like "$(adc status "$id")" '"state":"pending"' "...and the request stays pending"
# request_ttl (3s after this restart) is enforced, recorded, wakes the waiter
dl_stop
DL_TTL=3s
ns_must "short request_ttl config" dl_write_conf
ns_must "daemon restarts" dl_start
id=$(dl_id "$(adc create -- /usr/bin/systemctl restart db7)")
waiter "$id" "$T/w5" &
p5=$!
wait "$p5"
tap_like "$(cat "$T/w5")" "^woken expired $id .*reason=request_ttl passed" "expiry wakes the waiter"
tap_like "$(cat "$T/w5")" "durable=yes" "the expiry was recorded before the waiter heard of it"
tap_ok "expire record" grep -q "\"event\":\"expire\",.*\"id\":\"$id\"" "$DL_EVIDENCE"
tap_like "$(ctl approve "$id" -k "$T/keys/alice.key" --yes 2>&1)" 'already expired' "approverctl will not sign for an expired request"
# The daemon refuses too: a token signed from the show JSON without its
# expiry (an offline signer that ignores it) is refused as state.
ctl show "$id" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("expires",None); json.dump(d,sys.stdout)' >"$T/exp.json"
"$DL_CTL" sign -k "$T/keys/alice.key" --yes <"$T/exp.json" >"$T/exp.tok" 2>/dev/null
tap_like "$(ctl submit - <"$T/exp.tok" 2>&1)" 'refused \(state\)' "the daemon refuses an approval of an expired request"

tap_ok "daemon still healthy" dl_healthy
dl_stop
tap_done
