#!/bin/sh
# Fault injection, first part (issue 9; DESIGN.md §4.1, §4.6, §6): approverd
# is killed with SIGKILL at random points while 8 clients run
# create -> approve -> consume cycles, then restarted. After every restart,
# with the daemon briefly stopped (SIGSTOP) so the file is quiet:
#  - verify-log passes (the torn tail, if any, was cut and recorded);
#  - every step a client saw acknowledged is in the evidence (created ->
#    request record, approved -> approved record, consumed -> consume
#    record): no client was allowed without a durable consume;
#  - no request has two consume records.
# At the end every consumed request refuses a second consume.
# ~20 kills by default (≈ 30 s), 200 with SEC_LONG=1. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
LOAD=$APPROVERD_BUILD/tests/helpers/attack_load
KILLS=20
[ -n "${SEC_LONG:-}" ] && KILLS=200
ns_must "users" ns_users
DL_CONF_EXTRA="max_pending_per_requester = 60000
max_connections = 512"
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start

rand_ms() { # 20..520 ms
	echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 500 + 20 ))
}

# Acknowledged steps missing from the evidence, and double consumes.
check_acks() {
	awk -v ack="$T/acks" '
	FILENAME == ack { want[$1 " " $2] = 1; next }
	{
		if (!match($0, /"event":"[a-z]+"/)) next
		ev = substr($0, RSTART + 9, RLENGTH - 10)
		if (!match($0, /"id":"R-[0-9A-F-]+"/)) next
		id = substr($0, RSTART + 6, RLENGTH - 7)
		if (ev == "request") have["created " id] = 1
		if (ev == "approved") have["approved " id] = 1
		if (ev == "consume") { have["consumed " id] = 1; if (++nc[id] == 2) dbl++ }
	}
	END {
		for (k in want) if (!(k in have)) { miss++; if (miss <= 3) print "missing " k }
		printf "missing %d double %d\n", miss + 0, dbl + 0
	}' "$T/acks" "$DL_EVIDENCE"
}

: >"$T/acks"
setsid "$LOAD" cycle "$DL_SOCK" "$T/keys/alice.key" 8 3600 "$T/acks" >/dev/null 2>&1 &
lpid=$!
ns_track_pid $lpid
# restart and time it (replay grows with the file; allow 60 s on a busy box)
restart() {
	_t0=$(date +%s%N)
	# shellcheck disable=SC2086
	env ${DL_ENV:-} "$DL_BIN" -f -c "$DL_CONF" </dev/null >>"$DL_LOG" 2>&1 &
	DL_PID=$!
	ns_track_pid "$DL_PID"
	wait_for 60 dl_healthy || return 1
	_ms=$(( ($(date +%s%N) - _t0) / 1000000 ))
	[ "$_ms" -gt "$max_ms" ] && max_ms=$_ms
	return 0
}
max_ms=0
bad_verify=0 bad_acks=0 bad_start=0 i=0
while [ $i -lt $KILLS ]; do
	i=$((i + 1))
	sleep "0.$(printf '%03d' "$(rand_ms)")" 2>/dev/null || sleep 1
	dl_kill9
	if ! restart; then
		bad_start=$((bad_start + 1))
		tap_diag "restart $i failed: $(tail -n 3 "$DL_LOG")"
		break
	fi
	kill -STOP "$DL_PID"
	if ! "$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" "$DL_EVIDENCE" >"$T/verify" 2>&1; then
		bad_verify=$((bad_verify + 1))
		tap_diag "verify-log after kill $i: $(tail -n 2 "$T/verify")"
	fi
	res=$(check_acks)
	case $res in
	*"missing 0 double 0") ;;
	*) bad_acks=$((bad_acks + 1)); tap_diag "after kill $i: $res" ;;
	esac
	kill -CONT "$DL_PID"
done
kill -TERM "-$lpid" 2>/dev/null
wait $lpid 2>/dev/null
tap_diag "kills $i; slowest restart ${max_ms} ms (evidence $(wc -l <"$DL_EVIDENCE") records); acknowledged: $(grep -c '^created ' "$T/acks") created, $(grep -c '^approved ' "$T/acks") approved, $(grep -c '^consumed ' "$T/acks") consumed; recovered records $(dl_ev_count '"event":"recovered"')"
tap_is "$bad_start" 0 "approverd restarted after each of $i kill -9"
tap_is "$bad_verify" 0 "verify-log passed after every restart"
tap_is "$bad_acks" 0 "no acknowledged record missing, nothing consumed twice, after every restart"
tap_ok "the load made progress across the kills" [ "$(grep -c '^consumed ' "$T/acks")" -ge 10 ]
tap_is "$(check_acks)" "missing 0 double 0" "final state: every acknowledged step durable, no double consume"

# every consumed request refuses a second consume (state survived the kills)
wait_for 60 dl_healthy
again=0
for id in $(awk '$1 == "consumed" {print $2}' "$T/acks" | tail -n 30); do
	adc consume "$id" | grep -q '^error state' || again=$((again + 1))
done
tap_is "$again" 0 "a second consume of already consumed requests is refused after the restarts"
dl_stop
tap_is "$DL_RC" 0 "clean stop at the end"
tap_ok "verify-log passes at the end" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
