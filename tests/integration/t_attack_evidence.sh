#!/bin/sh
# Tampering with a real daemon-written evidence file (DESIGN.md §4.6, §6;
# issue 9 attack matrix). The motive is always the same: make a consumed
# approval usable again, or hide who approved. Each case damages a copy of
# the file, then checks that `approverctl verify-log --host-key` reports it
# and that approverd refuses to start on it (exit non-zero, within 5 s)
# instead of replaying the forged state. Tail truncation (whole records cut)
# is caught with the syslog anchor (--anchor SEQ:HASH of the last record).
# Library-level fixtures are in t_evidence_cli.sh. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
DL_CKPT=4
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start
a=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-a)")
ctl approve "$a" -k "$T/keys/alice.key" --yes >/dev/null 2>&1
ns_must "A consumed" sh -c "\"$DL_ADC\" -S \"$DL_SOCK\" consume $a | grep -q '^consumed'"
for i in 1 2 3 4 5 6; do adc create -- /usr/bin/systemctl restart "nginx-b$i" >/dev/null; done
dl_stop
cp -p "$DL_EVIDENCE" "$T/pristine.log"
n=$(wc -l <"$T/pristine.log")
tap_ok "verify-log passes on the untouched file ($n records)" \
	sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$T/pristine.log\" >/dev/null"
# the anchor a remote syslog host holds: seq and hash of the last record
anchor=$(tail -n 1 "$T/pristine.log" | python3 -c '
import hashlib, json, sys
raw = sys.stdin.buffer.read().rstrip(b"\n")
print("%d:%s" % (json.loads(raw)["seq"], hashlib.blake2b(raw, digest_size=32).hexdigest()))')
cline=$(grep -n "\"event\":\"consume\",.*\"id\":\"$a\"" "$T/pristine.log" | cut -d: -f1)
ns_must "consume record found" [ -n "$cline" ]

# re-chain every prev after an edit (what a forger with root but no host key can do)
rechain() { # in out
	python3 - "$1" "$2" <<'PY'
import hashlib, re, sys
out, prev = [], None
for raw in open(sys.argv[1], "rb").read().split(b"\n")[:-1]:
    if prev is not None:
        raw = re.sub(rb'"prev":"[0-9a-f]{64}"', b'"prev":"' + prev.encode() + b'"', raw, count=1)
    out.append(raw)
    prev = hashlib.blake2b(raw, digest_size=32).hexdigest()
open(sys.argv[2], "wb").write(b"\n".join(out) + b"\n")
PY
}
damaged() { # desc [verify-log extra args]: $DL_EVIDENCE holds the damage
	_d=$1; shift
	out=$("$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" "$@" "$DL_EVIDENCE" 2>&1); rc=$?
	tap_is "$rc" 1 "$_d: verify-log reports damage (exit 1)"
	tap_like "$out" 'damaged at seq [0-9]+' "$_d: ...naming the first bad record"
	out=$(timeout $((5 * ${DL_SLOW:-1})) "$DL_BIN" -f -c "$DL_CONF" 2>&1 </dev/null); rc=$?
	case $rc in
	0|124) tap_fail "$_d: approverd refuses to start on it (it started; rc $rc)" ;;
	*) tap_pass "$_d: approverd refuses to start on it (exit $rc)" ;;
	esac
	cp -p "$T/pristine.log" "$DL_EVIDENCE"
}

# edited: the approver's name changed
sed 's/"approver":"alice"/"approver":"bobby"/' "$T/pristine.log" >"$DL_EVIDENCE"
tap_isnt "$(cmp -s "$T/pristine.log" "$DL_EVIDENCE"; echo $?)" 0 "edit applied"
damaged "approver name edited"

# the consume record deleted (A would be approved and unconsumed again)
sed "${cline}d" "$T/pristine.log" >"$DL_EVIDENCE"
damaged "consume record deleted"

# two records swapped
awk -v c="$cline" 'NR == c - 1 {held = $0; next} {print} NR == c {print held}' "$T/pristine.log" >"$DL_EVIDENCE"
damaged "two records reordered"

# deleted AND re-chained (prev hashes recomputed): only the signed checkpoints catch it
sed "${cline}d" "$T/pristine.log" >"$T/cut.log"
rechain "$T/cut.log" "$DL_EVIDENCE"
damaged "consume deleted and chain recomputed (checkpoint signature)"

# replaced by an unsigned file: the same records re-chained, checkpoints dropped
grep -v '"event":"checkpoint"' "$T/pristine.log" | sed "/\"event\":\"consume\",.*\"id\":\"$a\"/d" >"$T/unsigned.in"
rechain "$T/unsigned.in" "$DL_EVIDENCE"
out=$("$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" --require-signed "$DL_EVIDENCE" 2>&1); rc=$?
tap_is "$rc" 1 "replaced by an unsigned, re-chained file: verify-log --require-signed reports it"
out=$(timeout $((5 * ${DL_SLOW:-1})) "$DL_BIN" -f -c "$DL_CONF" 2>&1 </dev/null); rc=$?
case $rc in
0|124) tap_fail "replaced by an unsigned file: approverd refuses to start on it (it started; rc $rc)" ;;
*) tap_pass "replaced by an unsigned file: approverd refuses to start on it (exit $rc)" ;;
esac
cp -p "$T/pristine.log" "$DL_EVIDENCE"

# tail truncated at a record boundary, from the consume on
head -n $((cline - 1)) "$T/pristine.log" >"$DL_EVIDENCE"
out=$("$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" --anchor "$anchor" "$DL_EVIDENCE" 2>&1); rc=$?
tap_is "$rc" 1 "tail truncated (consume and later cut): verify-log with the syslog anchor reports it"
tap_like "$out" 'truncated|anchor' "...saying the tail is missing"
cp -p "$T/pristine.log" "$DL_EVIDENCE"

# control: the untouched file still starts and A stays consumed
ns_must "daemon starts on the untouched file" dl_start
tap_like "$(adc consume "$a")" '^error state' "control: on the untouched file A stays consumed"
dl_stop
tap_done
