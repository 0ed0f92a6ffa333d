#!/bin/sh
# Ticket check and precheck at request creation against a loopback HTTP peer
# (docs/NOTIFY.md): 200 with the wanted field passes; 404, a wrong field
# value, a timeout, no ticket, a failing precheck refuse the request with the
# reason; every outcome (URL, HTTP status, result) is in the evidence and in
# `approverctl show --json`; approvers are notified only after a check
# passed; the ticket reaches the URL percent-encoded. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
STUB=$APPROVERD_TOP/tests/helpers/http_stub.py
PY=/usr/bin/python3 # the system one: a pyenv shim costs seconds per call
[ -x "$PY" ] || PY=python3

stub_start() { # name [args...]: the port goes to $T/NAME.port
	_n=$1; shift
	"$PY" "$STUB" --port-file "$T/$_n.port" --log "$T/$_n.log" "$@" \
		>>"$T/$_n.err" 2>&1 &
	ns_track_pid $!
	wait_for 10 test -s "$T/$_n.port"
}
ms() { date +%s%3N; }
# The `KIND` record (ticket_check|precheck) for request $2.
check_rec() { grep "\"event\":\"$1\"" "$DL_EVIDENCE" | grep "\"id\":\"$2\""; }
hook_has() { grep '"path": "/hook"' "$T/web.log" | grep -q "\"$1\""; }

ns_must "users" ns_users
ns_must "stub" stub_start web --tickets '{"CHG-1": {"status": "open"},
  "CHG-2": {"status": "closed"},
  "CHG-3": {"fields": {"status": {"name": "Open"}}}}'
P=$(cat "$T/web.port")
DL_CONF_EXTRA="check_timeout = 1s

[notify hook]
url = http://127.0.0.1:$P/hook
events = request"
ns_must "config" dl_setup "[role sre]
members = alice, bob

[rule web]
command = /usr/bin/systemctl restart web*
require = 1 sre
ticket = ^(CHG|INC)-[0-9]+\$
ticket_check_url = http://127.0.0.1:$P/ticket/{ticket}
ticket_check_field = status
ticket_check_value = open

[rule nested]
command = /usr/bin/systemctl restart api*
require = 1 sre
ticket_check_url = http://127.0.0.1:$P/ticket/{ticket}?rule={rule}
ticket_check_field = fields.status.name
ticket_check_value = Open

[rule slow]
command = /usr/bin/systemctl restart slow*
require = 1 sre
ticket_check_url = http://127.0.0.1:$P/sleep/5?t={ticket}

[rule ready]
command = /usr/bin/systemctl restart db*
require = 1 sre
precheck_url = http://127.0.0.1:$P/ok?host={host}
precheck_field = ok
precheck_value = true

[rule notready]
command = /usr/bin/systemctl restart cache*
require = 1 sre
precheck_url = http://127.0.0.1:$P/status/503

[default]
require = 1 sre"
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start

# -- 200 with status open passes; approvers notified after the check --------
out=$(adc create -t CHG-1 -- /usr/bin/systemctl restart web1)
id=$(dl_id "$out")
tap_like "$out" "^pending $id" "ticket CHG-1 (open): pending"
r=$(check_rec ticket_check "$id")
tap_like "$r" "\"url\":\"http://127.0.0.1:$P/ticket/CHG-1\",\"http_status\":200,\"result\":\"passed\",\"why\":\"field status is \\\\\"open\\\\\"\"" "evidence: ticket_check passed with URL and HTTP status"
tap_like "$(grep '"event":"request"' "$DL_EVIDENCE" | grep "\"id\":\"$id\"")" '"checks":\[\{"kind":"ticket_check",.*"result":"passed"' "the request record carries the check"
tap_like "$(ctl show "$id" --json)" '"checks": *\[' "approverctl show --json shows the checks"
tap_like "$(ctl show "$id" --json | tr -d ' \n')" '"kind":"ticket_check".*"result":"passed"' "...with the result"
tap_like "$(ctl show "$id")" 'check +ticket_check passed \(HTTP 200\) http' "approverctl show (text) prints the check outcome"
wait_for 5 hook_has "$id"
tap_ok "approvers notified" hook_has "$id"
tl=$(grep -n '"path": "/ticket/CHG-1"' "$T/web.log" | head -n 1 | cut -d: -f1)
hl=$(grep -n "\"$id\"" "$T/web.log" | grep '/hook' | head -n 1 | cut -d: -f1)
tap_ok "order: ticket checked (line $tl) before approvers were notified (line $hl)" [ "$tl" -lt "$hl" ]
tap_ok "the check's request record comes after the ticket_check record" sh -c \
	"grep -n '\"id\":\"$id\"' '$DL_EVIDENCE' | head -n 1 | grep -q ticket_check"
tap_is "$(ctl approve "$id" -k "$T/keys/alice.key" --yes >/dev/null 2>&1; echo $?)" 0 "a checked request can be approved"

# -- 404 refuses -----------------------------------------------------------
out=$(adc create -t CHG-404 -- /usr/bin/systemctl restart web2)
id=$(dl_id "$out")
tap_like "$out" "^denied $id" "ticket CHG-404 (unknown): denied"
tap_like "$out" "ticket_check failed: HTTP 404" "...saying why"
tap_like "$(check_rec ticket_check "$id")" '"http_status":404,"result":"failed","why":"HTTP 404"' "evidence: ticket_check failed, HTTP 404"
tap_like "$(grep '"event":"request"' "$DL_EVIDENCE" | grep "\"id\":\"$id\"")" '"state":"denied"' "evidence: the request is recorded as denied"
tap_like "$(ctl show "$id")" "denied" "approverctl show: denied"
sleep 0.3
tap_nok "approvers are not notified of a refused request" hook_has "$id"
tap_like "$(ctl approve "$id" -k "$T/keys/alice.key" --yes 2>&1)" 'refused|state' "a refused request cannot be approved"

# -- wrong field value refuses ---------------------------------------------
out=$(adc create -t CHG-2 -- /usr/bin/systemctl restart web3)
id=$(dl_id "$out")
tap_like "$out" "^denied $id" "ticket CHG-2 (closed): denied"
tap_like "$(check_rec ticket_check "$id")" 'field status is \\"closed\\", expected \\"open\\"' "evidence: field value named"
out=$(adc create -t CHG-3 -- /usr/bin/systemctl restart api1)
tap_like "$out" "^pending " "nested field fields.status.name = Open: pending"
tap_ok "{rule} in the URL" grep -q '"path": "/ticket/CHG-3?rule=nested"' "$T/web.log"

# -- timeout refuses, and the client is answered within check_timeout -------
t0=$(ms)
out=$(adc create -t CHG-1 -- /usr/bin/systemctl restart slow1)
t1=$(ms)
id=$(dl_id "$out")
tap_like "$out" "^denied $id" "ticket check timing out: denied"
tap_like "$(check_rec ticket_check "$id")" '"http_status":0,"result":"failed","why":"Timeout was reached' "evidence: timeout recorded"
tap_ok "answered in $((t1 - t0)) ms (check_timeout 1s; < 3000)" [ $((t1 - t0)) -lt 3000 ]
tap_like "$(adc health)" '"ok":true' "the daemon serves others meanwhile and after"

# -- no ticket; percent-encoding -------------------------------------------
out=$(adc create -- /usr/bin/systemctl restart api2)
id=$(dl_id "$out")
tap_like "$out" "^denied $id.*no ticket given" "no ticket: denied without asking"
out=$(adc create -t 'A B/../x?y=1&z' -- /usr/bin/systemctl restart api3)
tap_like "$out" "^denied " "odd ticket: denied (404)"
tap_ok "the ticket reached the URL percent-encoded" \
	grep -q '"path": "/ticket/A%20B%2F..%2Fx%3Fy%3D1%26z?rule=nested"' "$T/web.log"

# -- precheck --------------------------------------------------------------
out=$(adc create -- /usr/bin/systemctl restart db1)
id=$(dl_id "$out")
tap_like "$out" "^pending $id" "precheck answering ok=true: pending"
tap_like "$(check_rec precheck "$id")" "\"url\":\"http://127.0.0.1:$P/ok\\?host=testhost\",\"http_status\":200,\"result\":\"passed\"" "evidence: precheck passed ({host} filled)"
out=$(adc create -- /usr/bin/systemctl restart cache1)
id=$(dl_id "$out")
tap_like "$out" "^denied $id.*precheck failed: HTTP 503" "precheck answering 503: denied"
tap_like "$(check_rec precheck "$id")" '"http_status":503,"result":"failed"' "evidence: precheck failed"
dl_stop
tap_ok "the evidence with check records verifies" sh -c \
	"'$DL_CTL' verify-log --host-key '$DL_ETC/host.pub' '$DL_EVIDENCE' >/dev/null"
ns_must "daemon restarts" dl_start
tap_like "$(ctl show "$id" --json | tr -d ' \n')" '"kind":"precheck".*"result":"failed"' "after a restart (replay) show still has the checks"
tap_done
