#!/bin/sh
# approverctl report / metrics against the evidence of a scripted scenario
# run by the real daemon: approve (1 sre), quorum of 2, refused
# self-approval then denial, policy allow/deny, pending, ticket check
# passed/failed (loopback HTTP stub), expiry (short request_ttl), consume +
# result, break-glass (one reviewed, one not; governance.md §3, §6) and,
# in a second run, standing grants (one used, one revoked); then
# table, CSV, JSON, filters (--breakglass, --unreviewed), a tampered copy,
# a wrong host key, and the Prometheus output. Prints TAP.
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

[role oncall]
members = carol

[breakglass]
role = oncall

[rule fix]
command = /usr/local/bin/fix *
require = 2 sre

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
idJ=$(dl_id "$(adc create -- /usr/local/bin/fix j)")
tap_like "$(ctl breakglass "$idJ" --justification 'INC-1, "db" down' -k "$T/keys/carol.key" --yes 2>&1)" \
	"^$idJ approved by carol" "scenario: J approved by break-glass (carol)"
tap_like "$(ctl review "$idJ" --comment 'ok, see INC-1' -k "$T/keys/bob.key" --yes 2>&1)" \
	"^$idJ approved" "scenario: J reviewed by bob"
idK=$(dl_id "$(adc create -- /usr/local/bin/fix k)")
tap_like "$(ctl breakglass "$idK" --justification 'INC-2 outage now' -k "$T/keys/carol.key" --yes 2>&1)" \
	"^$idK approved by carol" "scenario: K approved by break-glass, not reviewed"
dl_stop
DL_TTL=2s
ns_must "short request_ttl config" dl_write_conf
ns_must "daemon restarts" dl_start
sleep 1 # D starts a new second: the --since/--until date-time checks
idD=$(dl_id "$(adc create -- /usr/bin/systemctl restart db7)")
expired() { grep -q "\"event\":\"expire\",.*\"id\":\"$idD\"" "$DL_EVIDENCE"; }
tap_ok "scenario: D expired (request_ttl 2s)" wait_for 15 expired
dl_stop
tap_diag "ids A=$idA B=$idB C=$idC D=$idD E=$idE F=$idF G=$idG H=$idH I=$idI J=$idJ K=$idK"
EV=$DL_EVIDENCE
HK=$DL_ETC/host.pub

# --- table
out=$(report --host-key "$HK" "$EV"); rc=$?
tap_is "$rc" 0 "report on the intact file: exit 0"
tap_like "$(printf '%s\n' "$out" | head -1)" '^# evidence .*: verified \(chain and checkpoint signatures with the host key\): [0-9]+ records, [1-9][0-9]* checkpoints, 0 record\(s\) after' "header: verified with the host key"
tap_like "$(report "$EV" | head -1)" 'verified \(chain only, no --host-key\)' "header: chain only without --host-key"
tap_is "$(printf '%s\n' "$out" | grep -c '^R-')" 11 "table: one row per request (11)"
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
tap_like "$(printf '%s\n' "$out" | grep "^$idH ")" '\| CHG-1 \| checked \|.*\| pending \|  \|  \|  \| ticket_check:passed \|' "table H: ticket check passed"
tap_like "$(printf '%s\n' "$out" | grep "^$idI ")" '\| CHG-2 \| checked \|.*\| denied \| denied \|  \|  \| ticket_check:failed \|' "table I: ticket check failed, denied"
tap_like "$(printf '%s\n' "$out" | grep "^$idH ")" '\| ticket_check:passed \|  \| no \|  \|  \| n-a \|  \|  \| $' "table H: blocked empty, no break-glass, review n-a, no grant"
tap_like "$(printf '%s\n' "$out" | grep "^$idJ ")" '\| yes \| carol \| INC-1, \\"db\\" down \| yes \| bob \| ok, see INC-1 \| $' "table J: break-glass by carol (escaped justification), reviewed by bob"
tap_like "$(printf '%s\n' "$out" | grep "^$idK ")" '\| yes \| carol \| INC-2 outage now \| no \|  \|  \| $' "table K: break-glass by carol, not reviewed"

# --- CSV (python's csv module is the judge)
report --format csv "$EV" >"$T/r.csv" 2>"$T/r.csv.err"
tap_like "$(cat "$T/r.csv.err")" '^# evidence .*verified' "csv: verification header on stderr"
csvchk=$(python3 - "$T/r.csv" "$idA" "$REASON" "$idJ" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
h = rows[0]
bad = [r for r in rows if len(r) != len(h)]
a = [dict(zip(h, r)) for r in rows[1:] if r[0] == sys.argv[2]][0]
j = [dict(zip(h, r)) for r in rows[1:] if r[0] == sys.argv[4]][0]
print(len(rows) - 1, len(h), len(bad), a["reason"] == sys.argv[3], a["exit"], a["approved_by"].split("@")[0], a["rule"],
      a["breakglass"], a["reviewed"], a["kind"], j["breakglass"], j["justification"] == 'INC-1, "db" down', j["reviewed_by"])
PY
)
tap_is "$csvchk" "11 30 0 True 3 alice restart-web no n-a request yes True bob" "csv: header + 11 rows of 30 fields; comma and quote round-trip; break-glass columns"
tap_is "$(head -1 "$T/r.csv")" "id,time,requester,sponsor,command,argv,reason,ticket,rule,requires,approved_by,approved_at,quorum_met_by,denied_by,refused,affects,state,decision,consumed_pid,exit,checks,blocked,breakglass,breakglass_by,justification,reviewed,reviewed_by,review_comment,grant,kind" "csv: header line"

# --- JSON
report --format json --host-key "$HK" "$EV" >"$T/r.json"
jchk=$(python3 - "$T/r.json" "$idA" "$idB" "$idC" "$REASON" "$idJ" "$idK" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = {x["id"]: x for x in d["requests"]}
a, b, c = r[sys.argv[2]], r[sys.argv[3]], r[sys.argv[4]]
j, k = r[sys.argv[6]], r[sys.argv[7]]
print(d["evidence"]["verified"], d["evidence"]["signatures_checked"], len(r),
      a["reason"] == sys.argv[5], a["argv"], a["exit_status"], a["state"],
      b["approvers"], [v["user"] for v in b["approvals"]],
      c["refused"][0]["approver"], c["denied_by"]["approver"], a["affects"])
print(a["breakglass"], a["reviewed"], repr(a["blocked"]), repr(a["grant"]),
      j["breakglass"], j["breakglass_by"], j["justification"], j["reviewed"],
      j["reviewed_by"], j["review_comment"], j["approvers"],
      k["breakglass"], k["reviewed"], d["grants"])
PY
)
tap_is "$jchk" "True True 11 True ['/usr/bin/systemctl', 'restart', 'nginx'] 3 consumed ['alice', 'bob'] ['alice', 'bob'] alice bob ['nginx', 'web-frontend']
False n-a '' '' True carol INC-1, \"db\" down yes bob ok, see INC-1 ['carol'] True no []" "json: verified, 11 requests, fields of A, B, C, break-glass J and K"

# --- filters
tap_is "$(report --requester alice "$EV" | grep -c '^R-')" 1 "--requester alice: 1 row"
tap_is "$(report --requester alice "$EV" | grep -c "^$idC ")" 1 "--requester alice: it is C"
tap_is "$(report --rule two-sre "$EV" | grep -c '^R-')" 2 "--rule two-sre: B and D"
day=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"][0]["time"][:10])' "$T/r.json")
tap_is "$(report --since "$day" --until "$day" "$EV" | grep -c '^R-')" 11 "--since/--until the day (dates): all 11"
tap_is "$(report --until 2000-01-01 "$EV" | grep -c '^R-')" 0 "--until 2000-01-01: none"
tap_is "$(report --since 2999-01-01T00:00:00Z "$EV" | grep -c '^R-')" 0 "--since a future date-time: none"
tD=$(python3 -c 'import json,sys; print([x["time"] for x in json.load(open(sys.argv[1]))["requests"] if x["id"]==sys.argv[2]][0][:19]+"Z")' "$T/r.json" "$idD")
tap_is "$(report --since "$tD" "$EV" | grep -c '^R-')" 1 "--since D's second: only D (date-time)"
tap_is "$(report --until "$tD" "$EV" | grep -c '^R-')" 10 "--until D's second: all but D (exclusive)"
tap_is "$(report --breakglass "$EV" | grep -o '^R-[0-9A-F-]*' | tr '\n' ' ')" "$idJ $idK " "--breakglass: J and K"
tap_is "$(report --unreviewed "$EV" | grep -o '^R-[0-9A-F-]*' | tr '\n' ' ')" "$idK " "--unreviewed: K only (J was reviewed)"
tap_is "$(report --unreviewed --format json "$EV" | python3 -c 'import json,sys; print([x["id"] for x in json.load(sys.stdin)["requests"]])')" "['$idK']" "--unreviewed --format json: K only"
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
      0 <= float(s['approverd_evidence_last_checkpoint_age_seconds']) < 600,
      s['approverd_breakglass_total'], s['approverd_breakglass_unreviewed'],
      s['approverd_decisions_total{outcome="approved",rule="fix"}'])
PY
)
tap_is "$mchk" "0 2 3 1 1 1 1 4 4 1 1 True True True 2 1 2" "metrics: every sample typed and parsable; counts match the scenario (break-glass 2, unreviewed 1)"
"$DL_CTL" metrics "$T/tampered.log" >"$T/mt.prom"
tap_ok "metrics on the tampered file: approverd_evidence_verified 0" grep -qx 'approverd_evidence_verified 0' "$T/mt.prom"

# --- standing grants (governance.md §4-§6): a second run of the daemon
ns_must "daemon restarts for grants" dl_start
gid_of() { grep -o 'G-[0-9A-F]\{4\}-[0-9A-F]\{4\}' | head -n 1; }
GA=$(ctl grant --requester ai-deploy --rule restart-web --ttl 1h --uses 3 \
	--comment "weekly restarts" -k "$T/keys/alice.key" --yes 2>/dev/null | gid_of)
tap_like "$GA" '^G-' "grants: a grant approved by alice ($GA)"
GB=$(ctl grant --requester ai-deploy --rule two-sre --ttl 1h --uses 2 2>/dev/null | gid_of)
ctl revoke "$GB" --comment "not needed" >/dev/null 2>&1
tap_is "$?" 0 "grants: a second grant ($GB), revoked by root"
idG1=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-g)")
tap_like "$(adc consume "$idG1")" "^consumed $idG1" "grants: a request covered by $GA, consumed"
dl_stop
out=$(report "$EV")
g=$(printf '%s\n' "$out" | sed -n '/^# grants$/,$p')
tap_like "$(printf '%s\n' "$g" | sed -n 2p)" '^id \| time \| requester \| rule \| match \| uses \| uses_left \| used \| expires \| approved_by \| approved_at \| quorum_met_by \| refused \| revoked_by \| state \| comment \| requests$' \
	"table: a second section '# grants' with its header"
tap_like "$(printf '%s\n' "$g" | grep "^$GA ")" "\| ai-deploy \| restart-web \|  \| 3 \| 2 \| 1 \| [0-9]+ \| alice@[^|]* \| [^|]+ \| alice \| 0 \|  \| active \| weekly restarts \| $idG1$" \
	"table grant $GA: 3 uses, 2 left, 1 used by $idG1, approved by alice, active"
tap_like "$(printf '%s\n' "$g" | grep "^$GB ")" "\| two-sre \|.*\| root@[^|]+ \| revoked \| " "table grant $GB: revoked by root"
tap_like "$(printf '%s\n' "$out" | grep "^$idG1 ")" "\| $GA\$" "table: the covered request names the grant"
report --format json "$EV" >"$T/g.json"
tap_is "$(python3 - "$T/g.json" "$GA" "$GB" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
g = {x["id"]: x for x in d["grants"]}
a, b = g[sys.argv[2]], g[sys.argv[3]]
print(len(g), a["kind"], a["state"], a["uses"], a["uses_left"], a["used"],
      [v["approver"] for v in a["approvals"]], b["state"], b["revoked_by"]["approver"])
PY
)" "2 grant active 3 2 1 ['alice'] revoked root" "json: \"grants\" with both grants"
report --format csv "$EV" >"$T/g.csv" 2>/dev/null
tap_is "$(python3 - "$T/g.csv" "$GA" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
h = rows[0]
g = [dict(zip(h, r)) for r in rows[1:] if r[-1] == "grant"]
a = [x for x in g if x["id"] == sys.argv[2]][0]
print(len(g), len([r for r in rows if len(r) != len(h)]), a["rule"], a["reason"], a["state"])
PY
)" "2 0 restart-web weekly restarts active" "csv: grant rows with kind grant, same 30 columns"
tap_is "$(report --breakglass --format json "$EV" | python3 -c 'import json,sys; print(json.load(sys.stdin)["grants"])')" "[]" \
	"--breakglass lists no grants"

# --- --help
tap_like "$("$DL_CTL" report --help)" '^usage: approverctl report' "report --help"
tap_like "$("$DL_CTL" metrics --help)" '^usage: approverctl metrics' "metrics --help"
tap_done
