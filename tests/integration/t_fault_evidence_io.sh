#!/bin/sh
# No evidence, no access, under I/O faults (DESIGN.md §4.1, issue 9): the
# real approverd runs with tests/shim/iofault.so preloaded, which fails the
# writes and syncs of the evidence file only, switched at run time through a
# control file. Each fault must be refused (no client allowed, health shows
# it), leave no partial or unsynced record behind, and the service must
# recover once the fault goes: new requests served, restart replays, and
# verify-log passes. Each case also checks the shim's counter, so a case in
# which no fault was really injected fails. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

SHIM=$APPROVERD_BUILD/tests/shim/iofault.so
ns_must "shim built ($SHIM; make all)" test -f "$SHIM"
ns_must "users" ns_users
ns_must "/dev/log" ns_devlog
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "sudo" ns_sudo "ai-deploy ALL=(ALL) NOPASSWD: ALL"
ns_must "client config" ns_client_conf 0 "$DL_SOCK"

FCTL=$T/iofault.ctl
FCOUNT=$T/iofault.count
echo off >"$FCTL"
: >"$FCOUNT"
EV_REAL=$(realpath -m "$DL_EVIDENCE")
DL_ENV="LD_PRELOAD=$SHIM IOFAULT_PATH=$EV_REAL IOFAULT_CTL=$FCTL IOFAULT_COUNT=$FCOUNT"
ns_must "daemon starts with the shim preloaded" dl_start

fault() { printf '%s\n' "$1" >"$FCTL"; }
faults() { wc -l <"$FCOUNT" | tr -d ' '; }
ev_bytes() { stat -c %s "$DL_EVIDENCE"; }
ev_last_byte() { tail -c 1 "$DL_EVIDENCE" | od -An -c | tr -d ' '; }
health_fails() { ! ctl health >/dev/null 2>&1; }
# A case's fault really happened: the counter grew by at least one line
# whose mode is $2 (a test that injected nothing must fail).
injected() { # before mode desc
	_n=$(faults)
	if [ "$_n" -gt "$1" ] && tail -n "+$(($1 + 1))" "$FCOUNT" | grep -q "^$2"; then
		tap_pass "$3 (faults injected: $((_n - $1)))"
	else
		tap_fail "$3 (no '$2' fault was injected)"
	fi
}
verify_log() {
	"$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" "$DL_EVIDENCE" >/dev/null
}
sudo_true() { as_user ai-deploy sudo -n /usr/bin/true; }

id0=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx)")
tap_like "$id0" '^R-' "no fault: a request is created"
tap_like "$(cat "$FCOUNT")" '^$' "no fault: the shim injected nothing while off"

# ---- 1. EIO on write
n=$(faults); size=$(ev_bytes)
fault eio
out=$(adc create -- /usr/bin/systemctl restart web1)
tap_like "$out" '^error io' "EIO on write: create refused (io)"
tap_like "$(cat "$DL_LOG")" 'evidence append failed: input/output error; refusing AI requests' \
	"EIO on write: the daemon logs that the evidence failed"
injected "$n" 'eio write' "EIO on write: the shim failed the evidence write"
out=$(adc create -- /usr/bin/journalctl -u web)
tap_like "$out" '^error io' "EIO on write: even an allow rule is refused"
serr=$(sudo_true 2>&1); rc=$?
tap_isnt "$rc" 0 "EIO on write: the real sudo refuses ai-deploy"
tap_like "$serr" 'approverd: .*input/output error.*refusing' "EIO on write: sudo says why it refuses"
tap_like "$(ctl health 2>&1)" 'evidence io' "EIO on write: health reports 'evidence io'"
tap_ok "EIO on write: health exits non-zero" health_fails
out=$(ctl approve "$id0" -k "$T/keys/alice.key" --yes 2>&1)
tap_unlike "$out" "^$id0 approved" "EIO on write: an approval is not taken"
tap_like "$(adc status "$id0")" '"state":"pending"' "EIO on write: the request stays pending"
tap_is "$(ev_bytes)" "$size" "EIO on write: the evidence file did not change"

# ---- 2. torn write: half a record on disk, then EIO
fault torn
n=$(faults)
out=$(adc create -- /usr/bin/systemctl restart web2)
tap_like "$out" '^error io' "torn write: create refused"
injected "$n" 'torn write-torn' "torn write: the shim wrote half a record and failed"
tap_is "$(ev_bytes)" "$size" "torn write: the half record was cut back (size unchanged)"
tap_is "$(ev_last_byte)" '\n' "torn write: the file still ends with a whole line"
tap_is "$(dl_ev_count 'restart","web2')" 0 "torn write: no trace of the refused request"

# ---- 3. short writes (legal): the writer must finish each record
fault short
n=$(faults)
out=$(adc create -- /usr/bin/systemctl restart web3)
tap_like "$out" '^pending R-' "short writes: the record is completed and acknowledged"
injected "$n" 'short write-short' "short writes: the shim returned short counts"
tap_is "$(dl_ev_count 'restart","web3')" 1 "short writes: exactly one whole record"
tap_ok "short writes: verify-log passes with the daemon running" verify_log
fault off
size=$(ev_bytes)

# ---- 4. fdatasync fails (and stays failing)
fault fsync
n=$(faults)
out=$(adc create -- /usr/bin/systemctl restart web4)
tap_like "$out" '^error io' "fdatasync EIO: create refused (not acknowledged)"
injected "$n" 'fsync fdatasync' "fdatasync EIO: the shim failed the sync"
tap_is "$(ev_bytes)" "$size" "fdatasync EIO: the unsynced record was cut back"
out=$(ctl approve "$id0" -k "$T/keys/alice.key" --yes 2>&1)
tap_unlike "$out" "^$id0 approved" "fdatasync EIO: an approval (two records, one sync) is refused"
tap_like "$(adc status "$id0")" '"state":"pending"' "fdatasync EIO: the request stays pending"
serr=$(sudo_true 2>&1); rc=$?
tap_isnt "$rc" 0 "fdatasync EIO: the real sudo refuses ai-deploy"
tap_like "$(ctl health 2>&1)" 'evidence io' "fdatasync EIO: health reports 'evidence io'"

# ---- 5. fsync gate: ONE failed fdatasync, then syncs work again. The
# record whose sync failed must never count, even though a later sync of
# the same file succeeds (Linux marks the failed pages clean: a retry would
# "succeed" without the data); the next request must not inherit it.
fault off
out=$(adc create -- /usr/bin/systemctl restart web4b)
tap_like "$out" '^pending R-' "sync works again: the reopened file takes a record"
fault 'fsync 1'
n=$(faults)
out=$(adc create -- /usr/bin/systemctl restart web5)
tap_like "$out" '^error io' "one fdatasync EIO: that create is refused"
injected "$n" 'fsync 1 fdatasync' "one fdatasync EIO: exactly that sync failed"
out6=$(adc create -- /usr/bin/systemctl restart web6)
tap_like "$out6" '^pending R-' "after it: the next create is served (later sync ok)"
tap_is "$(faults)" "$((n + 1))" "after it: no further fault was injected"
tap_is "$(dl_ev_count 'restart","web5')" 0 "the failed record is not in the evidence"
tap_is "$(dl_ev_count 'restart","web6')" 1 "the later record is, once"
id5=$(dl_id "$(adc create -- /usr/bin/systemctl restart web5)")
tap_like "$id5" '^R-' "re-running the refused request makes a new request"
tap_is "$(dl_ev_count 'restart","web5')" 1 "...recorded once"

# ---- 6. fault off: the service recovers
fault off
n=$(faults)
out=$(adc create -- /usr/bin/systemctl restart web7)
tap_like "$out" '^pending R-' "fault off: AI requests are served again"
tap_like "$(ctl approve "$id0" -k "$T/keys/alice.key" --yes 2>/dev/null)" "^$id0 approved" \
	"fault off: an approval is taken"
tap_like "$(ctl health)" 'evidence ok' "fault off: health is ok again"
serr=$(sudo_true 2>&1); rc=$?
tap_like "$serr" 'approverd: this operation needs approval: request R-' \
	"fault off: sudo reaches a recorded pending request (no longer an error)"
tap_is "$(faults)" "$n" "fault off: nothing injected"
tap_ok "fault off: verify-log passes" verify_log

# ---- 7. restart: replay and chain
dl_stop
tap_is "$DL_RC" 0 "daemon exits 0 on SIGTERM"
ns_must "daemon restarts" dl_start
tap_like "$(adc status "$id0")" '"state":"approved"' "restart: the approval is replayed"
tap_like "$(adc status "$id5")" '"state":"pending"' "restart: the re-run request is replayed"
tap_is "$(dl_ev_count '"event":"recovered"')" 0 "restart: no torn tail had to be recovered"
dl_stop
tap_ok "restart: verify-log passes" verify_log
tap_done
