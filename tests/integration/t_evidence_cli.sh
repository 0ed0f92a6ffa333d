#!/bin/sh
# t_evidence_cli.sh — approverctl verify-log and log against real evidence
# files written by the evidence library (fixtures from
# `test_evidence --fixture DIR`): intact, edited, deleted, swapped, torn,
# re-chained without the host key, tail-truncated; exit codes 0/1/2, the
# first bad record named, control characters escaped.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"

ctl=$APPROVERD_BUILD/approverctl
gen=$APPROVERD_BUILD/tests/test_evidence
ns_must "approverctl is built ($ctl)" [ -x "$ctl" ]
ns_must "test_evidence is built ($gen)" [ -x "$gen" ]
F=$T/fx
mkdir -p "$F" && chmod 0755 "$F"
ns_must "fixtures written" "$gen" --fixture "$F"

vl() { # expected-exit desc regex args...
	_want=$1 _desc=$2 _re=$3; shift 3
	_out=$("$ctl" verify-log "$@" 2>&1); _rc=$?
	tap_is "$_rc" "$_want" "verify-log $_desc: exit $_want"
	tap_like "$_out" "$_re" "verify-log $_desc: says '$_re'"
}

vl 0 "--help" "usage: approverctl verify-log" --help
vl 2 "without FILE" "usage" 
vl 2 "missing file" "no-such\.log" "$F/no-such.log"
vl 2 "bad --host-key file" "host-key" --host-key "$F/good.log" "$F/good.log"
vl 2 "bad --anchor" "anchor" --anchor "x:y" "$F/good.log"
vl 0 "intact, signed" "intact: 15 records, 3 checkpoints" \
	--host-key "$F/host.pub" "$F/good.log"
out=$(cd "$F" && "$ctl" verify-log --host-key host.pub good.log 2>&1); rc=$?
tap_is "$rc" 0 "verify-log: relative --host-key and FILE work"
vl 0 "intact, chain only" "signatures not checked" "$F/good.log"
vl 1 "another host's key" "damaged at seq 5 .*signature" \
	--host-key "$F/other.pub" "$F/good.log"
vl 1 "edited record" "damaged at seq 4 .*prev does not match" \
	--host-key "$F/host.pub" "$F/flipped.log"
vl 1 "deleted record" "damaged at seq 6 .*seq gap" \
	--host-key "$F/host.pub" "$F/deleted.log"
vl 1 "swapped records" "damaged at seq 2 .*reordered|damaged at seq 2 .*seq gap" \
	--host-key "$F/host.pub" "$F/swapped.log"
vl 1 "torn last line" "damaged at seq 15 .*no newline" \
	--host-key "$F/host.pub" "$F/torn.log"
vl 1 "re-chained forgery" "damaged at seq 5 .*signature" \
	--host-key "$F/host.pub" "$F/rechained.log"
vl 0 "re-chained forgery, chain only (why --host-key matters)" "intact" \
	"$F/rechained.log"
vl 0 "tail truncated, no anchor" "4 record\(s\) after seq 10 are not covered" \
	--host-key "$F/host.pub" "$F/truncated.log"
vl 1 "tail truncated, syslog anchor" "damaged at seq 15 .*tail truncated" \
	--host-key "$F/host.pub" --anchor "$(cat "$F/anchor.txt")" "$F/truncated.log"
vl 0 "anchor on the intact file" "intact" \
	--host-key "$F/host.pub" --anchor "$(cat "$F/anchor.txt")" "$F/good.log"
vl 1 "--require-signed, unsigned tail" "damaged at seq 11 .*not covered" \
	--host-key "$F/host.pub" --require-signed "$F/truncated.log"
vl 0 "--json intact" '"status":"intact".*"records":15' --json \
	--host-key "$F/host.pub" "$F/good.log"
vl 1 "--json damaged" '"status":"damaged".*"bad_seq":4' --json \
	--host-key "$F/host.pub" "$F/flipped.log"

out=$("$ctl" log "$F/ctrl.log" 2>&1); rc=$?
tap_is "$rc" 0 "log: exit 0"
tap_like "$out" 'seq=1 event=request id=R-1 reason="evil\\x1b\]0;owned\\x07\\nline"' \
	"log: fields shown, control characters escaped"
n=$(printf '%s' "$out" | tr -d '\n' | LC_ALL=C tr -d '[:print:]' | wc -c)
tap_is "$n" 0 "log: no raw control byte in the output"
out=$("$ctl" log --json "$F/ctrl.log" 2>&1); rc=$?
tap_is "$rc" 0 "log --json: exit 0"
tap_like "$out" '"reason":"evil\\u001B\]0;owned\\u0007\\nline"' "log --json: escaped JSON"
n=$("$ctl" log "$F/good.log" | wc -l)
tap_is "$n" 15 "log: one line per record"
out=$("$ctl" log "$F/torn.log" 2>&1); rc=$?
tap_is "$rc" 1 "log: a torn line gives exit 1"
tap_like "$out" "line 15: not a JSON record" "log: names the torn line"
out=$("$ctl" log --help 2>&1); rc=$?
tap_is "$rc" 0 "log --help: exit 0"
out=$("$ctl" log "$F/no-such.log" 2>&1); rc=$?
tap_is "$rc" 2 "log: missing file gives exit 2"
tap_done
