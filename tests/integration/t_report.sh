#!/bin/sh
# approverctl report / metrics against the evidence of a scripted scenario
# run by the real daemon: approve (1 sre), quorum of 2, refused
# self-approval then denial, policy allow/deny, pending, ticket check
# passed/failed (loopback HTTP stub), expiry (short request_ttl), consume +
# result; then table, CSV, JSON, filters, a tampered copy, a wrong host
# key, and the Prometheus output. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
STUB=$APPROVERD_TOP/tests/helpers/http_stub.py
ns_must "users" ns_users
python3 "$STUB" --port-file "$T/web.port" --log "$T/web.log" \
	--tickets '{"CHG-1": {"status": "open"}, "CHG-2": {"status": "closed"}}' \
	>>"$T/web.err" 2>&1 &
ns_track_pid $!
ns_must "http stub" wait_for 10 test -s "$T/web.port"
P=$(cat "$T/web.port")
ns_must "config" dl_setup "[role sre]
members = alice, bob

[rule restart-web]
command = /usr/bin/systemctl restart nginx*
runas = root
require = 1 sre
max_ttl = 30m
affects = nginx, web-frontend

[rule two-sre]
command = /usr/bin/systemctl restart db*
require = 2 sre

[rule ticketed]
command = /usr/bin/systemctl stop *
require = 1 sre
ticket = ^(CHG|INC)-[0-9]+\$

[rule checked]
command = /usr/bin/systemctl restart web*
require = 1 sre
ticket_check_url = http://127.0.0.1:$P/ticket/{ticket}
ticket_check_field = status
ticket_check_value = open

[rule read-logs]
command = /usr/bin/journalctl *
action = allow

[rule never]
command = /usr/bin/passwd *
action = deny

[default]
require = 1 sre"
for k in alice bob carol; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start

approve() { ctl approve "$1" -k "$T/keys/$2.key" --yes 2>&1; }
report() { "$DL_CTL" report "$@"; }

# --- the scenario
REASON='deploy, "hotfix" now'
idA=$(dl_id "$(adc create -r "$REASON" -- /usr/bin/systemctl restart nginx)")
tap_like "$(approve "$idA" alice)" "^$idA approved by alice" "scenario: A approved by alice (1 sre)"
tap_like "$(adc consume "$idA")" "^consumed $idA" "scenario: A consumed"
tap_like "$(adc result "$idA" 3)" "^recorded $idA" "scenario: A result 3"
idB=$(dl_id "$(adc create -- /usr/bin/systemctl restart db1)")
approve "$idB" alice >/dev/null
tap_like "$(approve "$idB" bob)" "^$idB approved by alice, bob" "scenario: B approved by alice and bob (2 sre)"
idC=$(dl_id "$(adc create -u alice -i 2101 -- /usr/bin/systemctl restart nginx2)")
tap_like "$(approve "$idC" alice)" 'self_approval' "scenario: C self-approval refused"
tap_like "$(ctl deny "$idC" -k "$T/keys/bob.key" --reason no --yes 2>&1)" "^$idC denied" "scenario: C denied by bob"
idE=$(dl_id "$(adc create -- /usr/bin/journalctl -u nginx)")
idF=$(dl_id "$(adc create -- /usr/bin/passwd root)")
idG=$(dl_id "$(adc create -t CHG-42 -- /usr/bin/systemctl stop nginx)")
idH=$(dl_id "$(adc create -t CHG-1 -- /usr/bin/systemctl restart web1)")
idI=$(dl_id "$(adc create -t CHG-2 -- /usr/bin/systemctl restart web2)")
dl_stop
DL_TTL=2s
ns_must "short request_ttl config" dl_write_conf
ns_must "daemon restarts" dl_start
sleep 1 # D starts a new second: the --since/--until date-time checks
idD=$(dl_id "$(adc create -- /usr/bin/systemctl restart db7)")
expired() { grep -q "\"event\":\"expire\",.*\"id\":\"$idD\"" "$DL_EVIDENCE"; }
tap_ok "scenario: D expired (request_ttl 2s)" wait_for 15 expired
dl_stop
tap_diag "ids A=$idA B=$idB C=$idC D=$idD E=$idE F=$idF G=$idG H=$idH I=$idI"
EV=$DL_EVIDENCE
HK=$DL_ETC/host.pub

# --- table
out=$(report --host-key "$HK" "$EV"); rc=$?
tap_is "$rc" 0 "report on the intact file: exit 0"
tap_like "$(printf '%s\n' "$out" | head -1)" '^# evidence .*: verified \(chain and checkpoint signatures with the host key\): [0-9]+ records, [1-9][0-9]* checkpoints, 0 record\(s\) after' "header: verified with the host key"
tap_like "$(report "$EV" | head -1)" 'verified \(chain only, no --host-key\)' "header: chain only without --host-key"
tap_is "$(printf '%s\n' "$out" | grep -c '^R-')" 9 "table: one row per request (9)"
rowA=$(printf '%s\n' "$out" | grep "^$idA ")
tap_like "$rowA" "\| ai-deploy \|.*\| deploy, \\\\\"hotfix\\\\\" now \|.*\| restart-web \| 1 approval from role sre \| alice@20[0-9-]+T[0-9:.]+Z \|" "table A: requester, escaped reason, rule, requires, approved by alice when"
tap_like "$rowA" '\| nginx, web-frontend \| consumed \| approved \| [0-9]+ \| 3 \|' "table A: affects, consumed with pid, exit status 3"
rowB=$(printf '%s\n' "$out" | grep "^$idB ")
tap_like "$rowB" '\| two-sre \| 2 approvals from role sre \| alice@[^,]*, bob@[^|]* \| [^|]* \| alice, bob \|' "table B: quorum of 2 met by alice, bob"
rowC=$(printf '%s\n' "$out" | grep "^$idC ")
tap_like "$rowC" '\| bob@[^|]*: no \| 1 \(alice: [^|]*the requester' "table C: denied by bob, 1 refused approval (self-approval, why)"
tap_like "$rowC" '\| denied \| denied \|' "table C: state denied"
tap_like "$(printf '%s\n' "$out" | grep "^$idD ")" '\| two-sre \|.*\| expired \| expired \|' "table D: expired"
tap_like "$(printf '%s\n' "$out" | grep "^$idE ")" '\| read-logs \|.*\| allowed \| allowed \|' "table E: allowed by policy"
tap_like "$(printf '%s\n' "$out" | grep "^$idF ")" '\| never \| denied by policy \|.*\| denied \|' "table F: denied by policy"
tap_like "$(printf '%s\n' "$out" | grep "^$idG ")" '\| CHG-42 \| ticketed \|.*\| pending \|  \|' "table G: ticket CHG-42, still pending, no decision"
tap_like "$(printf '%s\n' "$out" | grep "^$idH ")" '\| CHG-1 \| checked \|.*\| pending \|  \|  \|  \| ticket_check:passed$' "table H: ticket check passed"
tap_like "$(printf '%s\n' "$out" | grep "^$idI ")" '\| CHG-2 \| checked \|.*\| denied \| denied \|  \|  \| ticket_check:failed$' "table I: ticket check failed, denied"

# --- CSV (python's csv module is the judge)
report --format csv "$EV" >"$T/r.csv" 2>"$T/r.csv.err"
tap_like "$(cat "$T/r.csv.err")" '^# evidence .*verified' "csv: verification header on stderr"
csvchk=$(python3 - "$T/r.csv" "$idA" "$REASON" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
h = rows[0]
bad = [r for r in rows if len(r) != len(h)]
a = [dict(zip(h, r)) for r in rows[1:] if r[0] == sys.argv[2]][0]
print(len(rows) - 1, len(h), len(bad), a["reason"] == sys.argv[3], a["exit"], a["approved_by"].split("@")[0], a["rule"])
PY
)
tap_is "$csvchk" "9 21 0 True 3 alice restart-web" "csv: header + 9 rows of 21 fields; comma and quote in the reason round-trip"
tap_is "$(head -1 "$T/r.csv")" "id,time,requester,sponsor,command,argv,reason,ticket,rule,requires,approved_by,approved_at,quorum_met_by,denied_by,refused,affects,state,decision,consumed_pid,exit,checks" "csv: header line"

# --- JSON
report --format json --host-key "$HK" "$EV" >"$T/r.json"
jchk=$(python3 - "$T/r.json" "$idA" "$idB" "$idC" "$REASON" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = {x["id"]: x for x in d["requests"]}
a, b, c = r[sys.argv[2]], r[sys.argv[3]], r[sys.argv[4]]
print(d["evidence"]["verified"], d["evidence"]["signatures_checked"], len(r),
      a["reason"] == sys.argv[5], a["argv"], a["exit_status"], a["state"],
      b["approvers"], [v["user"] for v in b["approvals"]],
      c["refused"][0]["approver"], c["denied_by"]["approver"], a["affects"])
PY
)
tap_is "$jchk" "True True 9 True ['/usr/bin/systemctl', 'restart', 'nginx'] 3 consumed ['alice', 'bob'] ['alice', 'bob'] alice bob ['nginx', 'web-frontend']" "json: verified, 9 requests, fields of A, B, C"

# --- filters
tap_is "$(report --requester alice "$EV" | grep -c '^R-')" 1 "--requester alice: 1 row"
tap_is "$(report --requester alice "$EV" | grep -c "^$idC ")" 1 "--requester alice: it is C"
tap_is "$(report --rule two-sre "$EV" | grep -c '^R-')" 2 "--rule two-sre: B and D"
day=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"][0]["time"][:10])' "$T/r.json")
tap_is "$(report --since "$day" --until "$day" "$EV" | grep -c '^R-')" 9 "--since/--until the day (dates): all 9"
tap_is "$(report --until 2000-01-01 "$EV" | grep -c '^R-')" 0 "--until 2000-01-01: none"
tap_is "$(report --since 2999-01-01T00:00:00Z "$EV" | grep -c '^R-')" 0 "--since a future date-time: none"
tD=$(python3 -c 'import json,sys; print([x["time"] for x in json.load(open(sys.argv[1]))["requests"] if x["id"]==sys.argv[2]][0][:19]+"Z")' "$T/r.json" "$idD")
tap_is "$(report --since "$tD" "$EV" | grep -c '^R-')" 1 "--since D's second: only D (date-time)"
tap_is "$(report --until "$tD" "$EV" | grep -c '^R-')" 8 "--until D's second: all but D (exclusive)"
for bad in 2026-13-01 2026-02-30 2026-11-29T10:00:00 "2026-11-29 10:00:00Z" 26-11-29; do
	report --since "$bad" "$EV" >/dev/null 2>&1
	tap_is "$?" 2 "--since '$bad' rejected (exit 2)"
done
report --format xml "$EV" >/dev/null 2>&1
tap_is "$?" 2 "--format xml rejected"

# --- tampered copy
cp "$EV" "$T/tampered.log"
sed -i "s/\"requester\":\"alice\"/\"requester\":\"mallory\"/" "$T/tampered.log"
out=$(report "$T/tampered.log"); rc=$?
tap_is "$rc" 1 "tampered file: exit 1"
tap_like "$(printf '%s\n' "$out" | head -1)" '^# evidence .*: DAMAGED at seq [0-9]+ \(line [0-9]+\): prev does not match' "tampered: header says DAMAGED at seq N"
tap_is "$(printf '%s\n' "$out" | grep -c '^R-')" 2 "tampered: rows up to the damage only (A, B)"
tap_unlike "$out" 'mallory' "tampered: the edited line is not reported as fact"
report --format json "$T/tampered.log" >"$T/t.json"
tap_is "$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["evidence"]; print(e["verified"], e["damaged"], e["bad_seq"] > 0)' "$T/t.json")" "False True True" "tampered: json says damaged"

out=$(report --host-key "$DL_APPROVERS/alice.pub" "$EV"); rc=$?
tap_is "$rc" 1 "wrong host key: exit 1"
tap_like "$(printf '%s\n' "$out" | head -1)" 'DAMAGED at seq [0-9]+ .*checkpoint signature does not verify' "wrong host key: header says DAMAGED (checkpoint signature)"

# --- metrics
"$DL_CTL" metrics --host-key "$HK" "$EV" >"$T/m.prom"; rc=$?
tap_is "$rc" 0 "metrics: exit 0"
mchk=$(python3 - "$T/m.prom" "$EV" <<'PY'
import re, sys, os
types, samples, errs = {}, {}, []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# TYPE "):
        _, _, n, t = line.split(" ", 3); types[n] = t; continue
    if line.startswith("# HELP "): continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)', line)
    if not m: errs.append(line); continue
    name = m.group(1); base = re.sub(r'_(bucket|sum|count)$', '', name)
    if name not in types and base not in types: errs.append("no TYPE " + name)
    float(m.group(3)); samples[name + (m.group(2) or "")] = m.group(3)
s = samples
print(len(errs),
      s['approverd_pending_requests'], s['approverd_requests{state="denied"}'],
      s['approverd_requests{state="expired"}'], s['approverd_requests{state="consumed"}'],
      s['approverd_decisions_total{outcome="approved",rule="two-sre"}'],
      s['approverd_decisions_total{outcome="denied",rule="never"}'],
      s['approverd_approval_latency_seconds_count'], s['approverd_approval_latency_seconds_bucket{le="+Inf"}'],
      s['approverd_refused_votes_total'], s['approverd_evidence_verified'],
      s['approverd_evidence_bytes'] == str(os.path.getsize(sys.argv[2])),
      s['approverd_evidence_records'] == str(sum(1 for _ in open(sys.argv[2]))),
      0 <= float(s['approverd_evidence_last_checkpoint_age_seconds']) < 600)
PY
)
tap_is "$mchk" "0 2 3 1 1 1 1 2 2 1 1 True True True" "metrics: every sample typed and parsable; counts match the scenario"
"$DL_CTL" metrics "$T/tampered.log" >"$T/mt.prom"
tap_ok "metrics on the tampered file: approverd_evidence_verified 0" grep -qx 'approverd_evidence_verified 0' "$T/mt.prom"

# --- --help
tap_like "$("$DL_CTL" report --help)" '^usage: approverctl report' "report --help"
tap_like "$("$DL_CTL" metrics --help)" '^usage: approverctl metrics' "metrics --help"
tap_done
