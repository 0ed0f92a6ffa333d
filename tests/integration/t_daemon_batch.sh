#!/bin/sh
# One operation, one fdatasync, all or nothing (DESIGN.md §4.1): an approval
# that completes the quorum writes `approval` + `approved` as one batch. The
# evidence sits on a tiny, full tmpfs whose last page has room for the
# `approval` line but not for both: the batch must be cut back whole — no
# `approval` applied or left in the file, the waiter not released — and be
# taken in full once space is back. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
mkdir -p "$T/small"
ns_must "tiny tmpfs for the evidence" mount -t tmpfs -o size=64k,mode=0700 tmpfs "$T/small"
DL_EVIDENCE=$T/small/evidence.log
DL_CKPT=100000 # no checkpoint may land between the padding and the approval
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start

# line length (with its newline) of the last record of event $1 for id $2
ev_len() { grep -F "\"event\":\"$1\"" "$DL_EVIDENCE" | grep -F "\"$2\"" |
	tail -n 1 | awk '{print length($0) + 1}'; }
size() { stat -c %s "$DL_EVIDENCE"; }
approve() { ctl approve "$1" -k "$T/keys/alice.key" --yes 2>&1; }

# a first approval measures the two lines of the batch
r1=$(dl_id "$(adc create -- /usr/bin/systemctl restart r1)")
tap_like "$(approve "$r1")" "^$r1 approved" "a first approval is taken (measures the batch)"
A=$(ev_len approval "$r1")
B=$(ev_len approved "$r1")
measured() { [ "${A:-0}" -gt 100 ] && [ "${B:-0}" -gt 50 ]; }
tap_ok "the batch lines were measured (approval $A, approved $B bytes)" measured

r2=$(dl_id "$(adc create -- /usr/bin/systemctl restart r2)")
"$DL_ADC" -S "$DL_SOCK" wait -T 30000 "$r2" >"$T/w" 2>&1 &
wpid=$!
ns_track_pid "$wpid"
wait_for 5 grep -q "^waiting $r2" "$T/w"

# pad with a request whose argument length puts the end of the file where
# the last page has A + B/2 bytes free; its line grows k bytes per arg byte
s0=$(size); adc create -- /usr/bin/systemctl restart "p$(printf '%010d' 0)" >/dev/null
s1=$(size); adc create -- /usr/bin/systemctl restart "q$(printf '%0110d' 0)" >/dev/null
s2=$(size)
l1=$((s1 - s0)); k=$(((s2 - s1 - l1) / 100)); base=$((l1 - 11 * k))
want=$(( ((-(A + B / 2) - s2 - base) % 4096 + 4096) % 4096 ))
L=$((want / k)); [ "$L" -ge 1 ] || L=$((L + 4096 / k))
adc create -- /usr/bin/systemctl restart "$(head -c "$L" /dev/zero | tr '\0' z)" >/dev/null
room=$(( (4096 - $(size) % 4096) % 4096 ))
dd if=/dev/zero of="$T/small/filler" bs=4k count=64 2>/dev/null
fits_one() { [ "$room" -ge "$A" ] && [ "$room" -lt $((A + B)) ]; }
tap_ok "set-up: the last page has room for approval ($A) but not approval+approved ($((A + B))): $room" fits_one
lines=$(wc -l <"$DL_EVIDENCE")

out=$(approve "$r2")
tap_like "$out" "nospace" "evidence full mid-batch: the approval is refused (nospace)"
tap_is "$(wc -l <"$DL_EVIDENCE")" "$lines" "no line of the batch was left in the evidence"
tap_is "$(grep -F "\"$r2\"" "$DL_EVIDENCE" | grep -Fc '"event":"approval"')" 0 \
	"no approval record for $r2 in the evidence"
tap_like "$(adc status "$r2")" '"state":"pending"' "$r2 is still pending"
tap_like "$(ctl show "$r2" --json)" '"approvals": *\[\]' "no approval was applied in memory"
sleep 0.3
tap_ok "the waiter was not released" kill -0 "$wpid"
tap_unlike "$(cat "$T/w")" "approved" "the waiter heard nothing of an approval"

rm -f "$T/small/filler"
tap_like "$(approve "$r2")" "^$r2 approved" "space back: the approval is taken"
wait "$wpid"
tap_like "$(cat "$T/w")" "approved $r2" "...and the waiter is released with it"
seqs=$(grep -F "\"$r2\"" "$DL_EVIDENCE" | grep -E '"event":"(approval|approved)"' |
	sed 's/^{"seq":\([0-9]*\),.*/\1/' | tr '\n' ' ')
adjacent() { [ $# -eq 2 ] && [ "$2" -eq $(($1 + 1)) ]; }
# shellcheck disable=SC2086
tap_ok "one approval + one approved for $r2, adjacent (seqs: $seqs)" adjacent $seqs
dl_stop
tap_ok "verify-log passes (chain intact across the cut batch)" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
umount "$T/small"
tap_done
