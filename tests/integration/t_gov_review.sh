#!/bin/sh
# t_gov_review.sh — after-the-fact review of break-glass approvals
# (docs/formats/governance.md §3, §6) against a real approverd: a review by
# the human who broke the glass, by the requester, by the sponsor, by a key
# in no role, and of a request not approved by break-glass are refused
# (recorded); a review by a different approver counts; a second review is
# refused ("already reviewed by NAME"); `report --unreviewed` lists a
# break-glass before its review and not after; `report --breakglass`; the
# review survives a restart; metrics count break-glass and unreviewed;
# verify-log passes. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

ns_must users ns_users
ns_must "config" dl_setup "[role sre]
members = alice, bob

[role oncall]
members = carol, dave

[rule tool]
command = /usr/local/bin/tool *
require = 2 sre

[breakglass]
role = oncall
min_justification = 10

[default]
require = 1 sre"
for k in alice bob carol dave; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "key frank (user dave, in no role)" dl_key frank dave
ns_must "daemon starts" dl_start

ev() { grep -F "\"id\":\"$1\"" "$DL_EVIDENCE"; }
bgv() { ctl breakglass "$2" --justification "$3" -k "$T/keys/$1.key" --yes 2>&1; }
rev() { ctl review "$2" --comment "$3" -k "$T/keys/$1.key" --yes 2>&1; }
report() { "$DL_CTL" report "$@"; }
rows() { report "$@" "$DL_EVIDENCE" | grep -o '^R-[0-9A-F-]*' | sort | tr '\n' ' '; }

out=$(ctl review --help); rc=$?
tap_is "$rc" 0 "review --help exits 0"
tap_like "$out" "--comment TEXT" "review --help names --comment"
out=$(ctl review R-0000-0000 -k "$T/keys/alice.key" 2>&1); rc=$?
tap_is "$rc" 2 "review without --comment is a usage error"

# ---- the scenario: ID1 (AI, break-glass by carol), ID2 (ordinary
# approval), ID3 (requester bob, sponsor alice; break-glass by carol)
ID1=$(dl_id "$(adc create -- /usr/local/bin/tool one)")
tap_like "$(bgv carol "$ID1" "pager storm, INC-9")" "^$ID1 approved by carol" "carol breaks the glass on $ID1"
ID2=$(dl_id "$(adc create -- /usr/local/bin/other two)")
tap_like "$(ctl approve "$ID2" -k "$T/keys/alice.key" --yes 2>&1)" "^$ID2 approved by alice" "$ID2 approved the ordinary way"
ID3=$(dl_id "$(adc create -u bob -i 2102 -s alice -- /usr/local/bin/tool three)")
tap_like "$(bgv carol "$ID3" "customer outage, INC-10")" "^$ID3 approved by carol" "carol breaks the glass on $ID3 (requester bob, sponsor alice)"
exp_bg=$(printf '%s\n' "$ID1" "$ID3" | sort | tr '\n' ' ')
tap_is "$(rows --unreviewed)" "$exp_bg" "report --unreviewed: both break-glass requests before any review"
tap_is "$(rows --breakglass)" "$exp_bg" "report --breakglass: the break-glass requests only"
"$DL_CTL" metrics "$DL_EVIDENCE" >"$T/m1.prom"
tap_ok "metrics: approverd_breakglass_total 2" grep -qx 'approverd_breakglass_total 2' "$T/m1.prom"
tap_ok "metrics: approverd_breakglass_unreviewed 2" grep -qx 'approverd_breakglass_unreviewed 2' "$T/m1.prom"

# ---- refusals
out=$(rev carol "$ID1" "looks fine to me"); rc=$?
tap_is "$rc" 1 "the human who broke the glass cannot review it"
tap_like "$out" "key carol belongs to carol, who broke the glass on $ID1" "…saying so"
out=$(rev alice "$ID2" "nothing to see"); rc=$?
tap_is "$rc" 1 "a request not approved by break-glass cannot be reviewed"
tap_like "$out" "$ID2 was not approved by break-glass" "…saying so"
out=$(rev frank "$ID1" "looks fine to me"); rc=$?
tap_is "$rc" 1 "a key in no role cannot review"
tap_like "$out" "key frank is not a member of any role" "…saying so"
out=$(rev bob "$ID3" "I asked for it"); rc=$?
tap_is "$rc" 1 "the requester cannot review"
tap_like "$out" "bob, the requester of $ID3" "…naming the requester"
out=$(rev alice "$ID3" "I sponsored it"); rc=$?
tap_is "$rc" 1 "the sponsor cannot review"
tap_like "$out" "alice, the sponsor of $ID3" "…naming the sponsor"
tap_is "$(grep '"event":"review"' "$DL_EVIDENCE" | grep -c '"counted":false')" 5 \
	"the five refused reviews are recorded (counted false)"
r=$(ev "$ID1" | grep '"event":"review"' | head -n 1)
for f in reviewer user key_id comment submitter_uid counted why; do
	tap_like "$r" "\"$f\":" "review record has field $f"
done

# ---- counted reviews
out=$(rev alice "$ID1" "checked the INC-9 timeline; fine"); rc=$?
tap_is "$rc" 0 "alice (another approver) reviews $ID1"
tap_like "$(ev "$ID1" | grep '"event":"review"' | grep '"counted":true')" \
	'"reviewer":"alice".*"comment":"checked the INC-9 timeline; fine"' "the counted review is recorded"
out=$(rev bob "$ID1" "me too"); rc=$?
tap_is "$rc" 1 "a second review is refused"
tap_like "$out" "already reviewed by alice" "…already reviewed by alice"
tap_is "$(rows --unreviewed)" "$ID3 " "report --unreviewed: only $ID3 after $ID1's review"
out=$(rev dave "$ID3" "INC-10 confirmed by support"); rc=$?
tap_is "$rc" 0 "dave (oncall, not requester/sponsor/breaker) reviews $ID3"
tap_is "$(rows --unreviewed)" "" "report --unreviewed: none after both reviews"
tap_is "$(rows --breakglass)" "$exp_bg" "report --breakglass still lists both"
"$DL_CTL" metrics "$DL_EVIDENCE" >"$T/m2.prom"
tap_ok "metrics: approverd_breakglass_unreviewed 0" grep -qx 'approverd_breakglass_unreviewed 0' "$T/m2.prom"

# ---- report columns and shapes
t=$(report "$DL_EVIDENCE")
tap_like "$(printf '%s\n' "$t" | grep '^id ')" '\| blocked \| breakglass \| breakglass_by \| justification \| reviewed \| reviewed_by \| review_comment \| grant$' \
	"table header: the governance columns"
tap_like "$(printf '%s\n' "$t" | grep "^$ID1 ")" '\|  \| yes \| carol \| pager storm, INC-9 \| yes \| alice \| checked the INC-9 timeline; fine \| $' \
	"table $ID1: break-glass by carol, reviewed by alice"
tap_like "$(printf '%s\n' "$t" | grep "^$ID2 ")" '\|  \| no \|  \|  \| n-a \|  \|  \| $' \
	"table $ID2: no break-glass, review n-a"
report --format csv "$DL_EVIDENCE" >"$T/r.csv" 2>/dev/null
tap_is "$(python3 - "$T/r.csv" "$ID1" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
h = rows[0]
r = [dict(zip(h, x)) for x in rows[1:] if x[0] == sys.argv[2]][0]
print(len(h), len([x for x in rows if len(x) != len(h)]), r["breakglass"],
      r["breakglass_by"], r["reviewed"], r["reviewed_by"], r["kind"])
PY
)" "30 0 yes carol yes alice request" "csv: 30 fields per line, break-glass and review of $ID1"
report --format json "$DL_EVIDENCE" >"$T/r.json"
tap_is "$(python3 - "$T/r.json" "$ID1" "$ID2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = {x["id"]: x for x in d["requests"]}
a, b = r[sys.argv[2]], r[sys.argv[3]]
print(a["breakglass"], a["breakglass_by"], a["justification"], a["reviewed"],
      a["reviewed_by"], b["breakglass"], b["reviewed"], d["grants"])
PY
)" "True carol pager storm, INC-9 yes alice False n-a []" "json: break-glass and review members; grants []"

# ---- restart: the review is rebuilt from the evidence
dl_stop
ns_must "daemon restarts" dl_start
s=$(ctl show "$ID1")
tap_like "$s" "reviewed +by alice: checked the INC-9 timeline; fine" "after a restart: show says reviewed by alice"
out=$(rev bob "$ID1" "after restart"); rc=$?
tap_is "$rc" 1 "after a restart: a second review is still refused"
tap_like "$out" "already reviewed by alice" "…already reviewed by alice"

tap_ok "verify-log passes" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
