#!/bin/sh
# t_daemon_snapshot.sh — the signed state snapshot (EVIDENCE.snap,
# docs/formats/evidence.md "Snapshot") against a real approverd: a rich
# state (pending, approved, consumed, denied, expired, blocked, break-glass
# unreviewed and reviewed, a grant with uses spent, a revoked grant, a
# half-approved request whose token replay is refused) is identical after
# a restart from the snapshot, after one without it (deleted), after one
# with a tampered snapshot (ignored, logged, full replay) and with the
# snapshot of another evidence file (ignored); evidence cut below the
# snapshot's point refuses the start (exit 3); a torn newest slot falls
# back to the older snapshot; kill -9 during a burst with a snapshot at
# every checkpoint restarts cleanly. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

ns_must users ns_users
B=$T/bin
mkdir -p "$B" && chmod 0755 "$B"
DL_TTL=1h
DL_CKPT=5
DL_ENV="APPROVERD_TEST_SNAP_EVERY=1"
ns_must "config" dl_setup "[role sre]
members = alice, bob

[role oncall]
members = carol, dave

[rule tool]
command = $B/tool *
require = 1 sre
grant_max_ttl = 1d
grant_max_uses = 5

[rule two]
command = $B/two *
require = 2 sre

[rule tkt]
command = $B/tkt *
require = 1 sre
ticket = ^CHG-[0-9]+\$

[breakglass]
role = oncall
min_justification = 10

[default]
require = 1 sre"
for k in alice bob carol dave; do ns_must "key $k" dl_key "$k" "$k"; done
SNAP=$DL_EVIDENCE.snap
gid_of() { grep -o 'G-[0-9A-F]\{4\}-[0-9A-F]\{4\}' | head -n 1; }
key() { printf '%s' "$T/keys/$1.key"; }

# ---- the state: one expired request first (a start with the clock 2h on)
ns_must "daemon starts" dl_start
x=$(dl_id "$(adc create -- "$B/tool" expires)")
dl_stop
DL_ENV="APPROVERD_TEST_SNAP_EVERY=1 APPROVERD_TEST_CLOCK_OFFSET=7200"
ns_must "daemon starts 2h later" dl_start
wait_for 10 sh -c "\"$DL_ADC\" -S \"$DL_SOCK\" status $x | grep -q expired"
dl_stop
DL_ENV="APPROVERD_TEST_SNAP_EVERY=1"
ns_must "daemon starts" dl_start
p=$(dl_id "$(adc create -- "$B/tool" pending)")
a=$(dl_id "$(adc create -- "$B/tool" approved)")
ctl approve "$a" -k "$(key alice)" --yes >/dev/null 2>&1
c=$(dl_id "$(adc create -- "$B/tool" consumed)")
ctl approve "$c" -k "$(key bob)" --yes >/dev/null 2>&1
adc consume "$c" >/dev/null
dn=$(dl_id "$(adc create -- "$B/tool" denied)")
ctl deny "$dn" -k "$(key alice)" --yes >/dev/null 2>&1
bl=$(dl_id "$(adc create -- "$B/tkt" blocked)")
half=$(dl_id "$(adc create -- "$B/two" half)")
tok=$(ctl show "$half" --json | "$DL_CTL" sign -k "$(key alice)" --yes 2>/dev/null)
ctl submit "$tok" >/dev/null 2>&1
replay_before=$(ctl submit "$tok" 2>&1)
bg1=$(dl_id "$(adc create -- "$B/two" glass-one)")
ctl breakglass "$bg1" --justification "outage: payments down" -k "$(key carol)" --yes >/dev/null 2>&1
bg2=$(dl_id "$(adc create -- "$B/two" glass-two)")
ctl breakglass "$bg2" --justification "outage: checkout down" -k "$(key carol)" --yes >/dev/null 2>&1
ctl review "$bg2" --comment "looked at it, fine" -k "$(key dave)" --yes >/dev/null 2>&1
G1=$(ctl grant --requester ai-deploy --rule tool --ttl 1h --uses 3 -k "$(key alice)" --yes 2>/dev/null | gid_of)
g1r=$(adc create -u ai-deploy -i 2001 -- "$B/tool" granted | awk '{print $2}')
adc consume "$g1r" >/dev/null
G2=$(ctl grant --requester ai-deploy --rule tool --ttl 1h --uses 2 -k "$(key bob)" --yes 2>/dev/null | gid_of)
ctl revoke "$G2" --comment "not needed" >/dev/null 2>&1
tap_ok "the state was built ($x $p $a $c $dn $bl $half $bg1 $bg2 $G1 $G2 $g1r)" \
	[ -n "$x" ] && [ -n "$bg2" ] && [ -n "$G1" ] && [ -n "$G2" ] && [ -n "$g1r" ]

observe() { # everything a client can see, in a fixed order (but "age")
	{
	ctl list --all --json
	for id in $x $p $a $c $dn $bl $half $bg1 $bg2 $g1r $G1 $G2; do
		ctl show "$id" --json 2>&1
		ctl status "$id" --json 2>&1
	done
	ctl submit "$tok" 2>&1
	} | grep -v '"age": '
}
O0=$(observe)
tap_like "$(printf '%s\n' "$O0" | grep -c '"state"')" '^[1-9]' "the observation shows states"
tap_is "$(ctl submit "$tok" 2>&1)" "$replay_before" "(replaying alice's token is refused the same way each time)"
tap_like "$replay_before" 'refused' "a replayed token is refused"

# ---- 1. restart from the snapshot the stop wrote
dl_stop
tap_ok "the stop wrote a snapshot" test -s "$SNAP"
tap_is "$(stat -c %a "$SNAP")" 600 "the snapshot is mode 0600"
: >"$DL_LOG"
ns_must "daemon restarts" dl_start
tap_ok "the start used the snapshot" grep -q "snapshot at seq [0-9]* used" "$DL_LOG"
tap_is "$(observe)" "$O0" "from the snapshot: every request, grant and the token ring are identical"
tap_like "$(adc status "$p")" '"state":"pending"' "the pending request is still pending"

# ---- 2. restart without it
dl_stop
rm -f "$SNAP"
: >"$DL_LOG"
ns_must "daemon restarts without a snapshot" dl_start
tap_ok "...replaying every record" grep -q "snapshot not used" "$DL_LOG"
tap_is "$(observe)" "$O0" "without the snapshot: the same state"

# ---- 3. a tampered snapshot (one byte in each slot) is ignored
dl_stop
printf 'X' | dd of="$SNAP" bs=1 seek=400 conv=notrunc 2>/dev/null
printf 'X' | dd of="$SNAP" bs=1 seek=$((8388608 + 400)) conv=notrunc 2>/dev/null
: >"$DL_LOG"
ns_must "daemon restarts with a tampered snapshot" dl_start
tap_ok "the tampered snapshot is refused with a log line" \
	grep -q "snapshot not used (.*signature does not verify" "$DL_LOG"
tap_is "$(observe)" "$O0" "tampered snapshot: full replay, the same state"

# ---- 4. the snapshot of another evidence file is ignored
dl_stop
cp -p "$DL_EVIDENCE" "$T/a.log"
rm -f "$DL_EVIDENCE"
: >"$DL_LOG"
ns_must "daemon starts on a new evidence file" dl_start
tap_ok "an empty evidence file does not use the old snapshot" \
	grep -q "snapshot not used: the evidence file is empty" "$DL_LOG"
adc create -- "$B/tool" other-file >/dev/null
dl_stop
cp -p "$T/a.log" "$DL_EVIDENCE"
: >"$DL_LOG"
ns_must "daemon restarts on the first file" dl_start
tap_ok "the other file's snapshot is ignored (line 1 differs)" \
	grep -q "snapshot not used: it is for another evidence file" "$DL_LOG"
tap_is "$(observe)" "$O0" "another file's snapshot: full replay, the same state"

# ---- 5. evidence cut below the snapshot's point refuses the start
dl_stop
cp -p "$DL_EVIDENCE" "$T/full.log"
head -n -3 "$T/full.log" >"$DL_EVIDENCE"
out=$("$DL_BIN" -f -c "$DL_CONF" 2>&1); rc=$?
tap_is "$rc" 3 "evidence truncated below the snapshot: the start is refused (exit 3)"
tap_like "$out" "vouches for seq" "...saying the snapshot vouches for records that are gone"
cp -p "$T/full.log" "$DL_EVIDENCE"

# ---- 6. a torn newest slot: the older snapshot is used, same state
ns_must "daemon restarts" dl_start
adc create -- "$B/tool" after-older >/dev/null
dl_stop
newest=$(python3 - "$SNAP" <<'EOF'
import sys
f = open(sys.argv[1], "rb").read()
best = (-1, -1)
for s in (0, 1):
    h = f[s * 8388608:s * 8388608 + 162]
    if not h.startswith(b"approverd-snapshot-v1 "):
        continue
    n = int(h[22:32])
    body = f[s * 8388608 + 162:s * 8388608 + 162 + n]
    import json
    best = max(best, (json.loads(body)["seq"], s))
print(best[1])
EOF
)
tap_like "$newest" '^[01]$' "the newest slot is found ($newest)"
dd if=/dev/zero of="$SNAP" bs=1 seek=$((newest * 8388608 + 1000)) count=2000 conv=notrunc 2>/dev/null
: >"$DL_LOG"
ns_must "daemon restarts with a torn newest slot" dl_start
tap_ok "the older snapshot is used" grep -q "snapshot at seq [0-9]* used" "$DL_LOG"
tap_like "$(ctl list --all --json)" "after-older" "records after the older snapshot are replayed"
O6=$(observe)
dl_stop
rm -f "$SNAP"
ns_must "daemon restarts without a snapshot" dl_start
tap_is "$(observe)" "$O6" "older snapshot + tail gives the same state as a full replay"

# ---- 7. kill -9 during a burst, a snapshot at every checkpoint
adc burst 300 burst >"$T/acked" 2>&1 &
bp=$!
wait_for 20 sh -c "[ \$(grep -c '^acked ' '$T/acked') -ge 40 ]"
dl_kill9
wait "$bp" 2>/dev/null
acked=$(grep -c '^acked ' "$T/acked")
: >"$DL_LOG"
ns_must "daemon restarts after kill -9" dl_start
missing=0
list=$(ctl list --all --json)
for id in $(awk '/^acked /{print $2}' "$T/acked"); do
	printf '%s' "$list" | grep -q "\"$id\"" || missing=$((missing + 1))
done
tap_is "$missing" 0 "after kill -9: every acknowledged request is there ($acked)"
K1=$(observe)
dl_stop
rm -f "$SNAP"
ns_must "daemon restarts without a snapshot" dl_start
tap_is "$(observe)" "$K1" "after kill -9: the same state with and without the snapshot"
tap_ok "verify-log passes" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
dl_stop
tap_done
