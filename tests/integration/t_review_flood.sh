#!/bin/sh
# Review (docs/REVIEW.md, finding R4): any local user may call `submit` and
# `status`/`show` (DESIGN.md §4.8), and every refused call is appended to the
# evidence file with an fdatasync. An unprivileged user who is neither an
# approver nor an AI subject (dave) can therefore grow the evidence file
# without bound and at fsync speed: filling /var/lib turns invariant §4.1
# ("no evidence, no access") into a denial of service for every AI subject,
# and the noise buries real records. Expected (and asserted): junk from one
# uid is bounded (rate-limited or coalesced), while the daemon keeps serving,
# and the evidence still counts every refused call (`suppressed`).
# Real daemon, real socket, real unprivileged caller; TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "config" dl_setup
for k in alice bob; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start

N=100
id=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-flood)")
tap_like "$id" '^R-' "setup: a pending request exists"
before=$(wc -l <"$DL_EVIDENCE")
junk="approverd-ed25519-v1:00000000000000000000000000000000:AAAA"
# dave: not root, not an approver, not the requester, not an AI subject
# shellcheck disable=SC2016 # the loop runs in dave's shell
out=$(as_user dave sh -c '
	i=0; ok=0
	while [ $i -lt "$5" ]; do
		"$1" -S "$2" submit "$3" "$4" >/dev/null 2>&1 && ok=$((ok + 1))
		"$1" -S "$2" status "$4" >/dev/null 2>&1 && ok=$((ok + 1))
		i=$((i + 1))
	done
	echo "accepted=$ok"' sh "$DL_ADC" "$DL_SOCK" "$junk" "$id" "$N")
tap_is "$out" "accepted=0" "control: all $N junk submits and $N foreign reads by dave are refused"
after=$(wc -l <"$DL_EVIDENCE")
grown=$((after - before))
tap_diag "evidence grew by $grown records for $((2 * N)) refused calls by uid 2201"
tap_ok "R4: $((2 * N)) refused calls by one unprivileged uid add at most 20 evidence records (got $grown)" \
	test "$grown" -le 20
tap_is "$(adc status "$id" | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p')" pending \
	"control: the request is untouched and the daemon still serves"
# Nothing is lost: once the bucket refills (one record per 6 s), dave's
# next refusal is recorded with the number of refusals not recorded.
sleep 7
as_user dave "$DL_ADC" -S "$DL_SOCK" status "$id" >/dev/null 2>&1
sup=$(tail -n 3 "$DL_EVIDENCE" | grep '"event":"refused"' | grep -o '"suppressed":[0-9]*' | tail -n 1 | cut -d: -f2)
tap_is "$((grown + ${sup:-0}))" "$((2 * N))" \
	"R4: recorded refusals plus the 'suppressed' count of the next record account for all $((2 * N)) calls"
tap_ok "R4: the rate limit is logged to syslog-facing stderr" grep -q 'no longer recorded in the evidence' "$DL_LOG"
tap_done
