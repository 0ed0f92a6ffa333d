#!/bin/sh
# approverd's command line, exit codes, config checks, SIGHUP reload and
# socket safety (approverd(8)). Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice

out=$("$DL_BIN" --help); rc=$?
tap_is "$rc" 0 "--help exits 0"
tap_like "$out" 'usage: approverd \[-f\] \[-c CONFIG\] \[--check\]' "--help shows the usage"
tap_like "$out" 'exit status: 0 .*' "--help lists the exit codes"
"$DL_BIN" --bogus >/dev/null 2>&1
tap_is "$?" 2 "unknown option exits 2"
out=$("$DL_BIN" --check -c "$DL_CONF" 2>&1); rc=$?
tap_is "$rc" 0 "--check on a good config exits 0"
tap_like "$out" '1 approver key\(s\) OK' "--check reports what it loaded"

cp "$DL_POLICY" "$T/policy.good"
printf '[rule broken]\ncommand = /bin/x\nrequire = 1 nosuchrole\n' >>"$DL_POLICY"
out=$("$DL_BIN" --check -c "$DL_CONF" 2>&1); rc=$?
tap_is "$rc" 1 "--check on a broken policy exits 1"
tap_like "$out" 'policy.conf:[0-9]+: .*nosuchrole' "...naming file:line"
"$DL_BIN" -f -c "$DL_CONF" >/dev/null 2>&1
tap_is "$?" 1 "a broken policy refuses the start (exit 1)"
cp "$T/policy.good" "$DL_POLICY"
chmod 0666 "$DL_POLICY"
out=$("$DL_BIN" --check -c "$DL_CONF" 2>&1); rc=$?
tap_is "$rc" 1 "a world-writable policy is refused"
tap_like "$out" 'policy.conf: .*writable' "...with a message naming the file"
chmod 0644 "$DL_POLICY"

# approverctl exit codes: 3 unreachable, 2 usage, 1 refused, 0 done
ctl health >/dev/null 2>&1
tap_is "$?" 3 "approverctl health with no daemon: exit 3 (unreachable)"
ctl list --bogus >/dev/null 2>&1
tap_is "$?" 2 "approverctl list --bogus: exit 2 (usage)"
ctl show >/dev/null 2>&1
tap_is "$?" 2 "approverctl show without an id: exit 2"

# first start creates the host key (root-only file) and host.pub
ns_must "daemon starts" dl_start
tap_ok "host key created" [ -f "$DL_ETC/host.key" ]
tap_is "$(stat -c '%a %u' "$DL_ETC/host.key")" "600 0" "host key is 0600 root"
tap_is "$(stat -c '%a' "$DL_SOCK")" "666" "socket mode 0666 (callers are told apart by SO_PEERCRED)"
ctl status R-0000-0000 >/dev/null 2>&1
tap_is "$?" 1 "approverctl status of an unknown id: exit 1 (refused)"
ctl health >/dev/null
tap_is "$?" 0 "approverctl health: exit 0"
tap_like "$(ctl health --json)" '"evidence": "ok"' "health --json"
tap_like "$("$DL_CTL" -c "$DL_CONF" health)" 'approverd on testhost' "approverctl finds the socket from the config's [client] socket"

# a second daemon on the same socket refuses and does not steal it
out=$("$DL_BIN" -f -c "$DL_CONF" 2>&1); rc=$?
tap_isnt "$rc" 0 "a second daemon on a live socket refuses to start"
tap_like "$out" 'another approverd|evidence' "...saying why"
tap_ok "the first daemon still answers" dl_healthy

# SIGHUP with a broken policy keeps the old one; a good one is recorded
printf '[rule x\n' >>"$DL_POLICY"
kill -HUP "$DL_PID"
wait_for 5 grep -q "reload refused" "$DL_LOG"
tap_like "$(cat "$DL_LOG")" 'reload refused, keeping the old config: .*policy.conf:[0-9]+' "SIGHUP with a broken policy: refused, logged with file:line"
tap_like "$(adc create -- /usr/bin/passwd x)" '^denied .*rule=never' "old policy still in force"
printf '[rule never-ls]\ncommand = /usr/bin/ls *\naction = deny\n\n[rule checked]\ncommand = /usr/bin/systemctl reload *\nrequire = 1 sre\nticket = ^CHG-[0-9]+$\nticket_check_url = https://tickets.example/api/{ticket}\n\n' >"$T/extra"
cat "$T/extra" "$T/policy.good" >"$DL_POLICY"
kill -HUP "$DL_PID"
wait_for 5 grep -q '"event":"reload"' "$DL_EVIDENCE"
tap_like "$(adc create -- /usr/bin/ls /root)" '^denied .*rule=never-ls' "SIGHUP with a good policy: new rule in force"
tap_like "$(adc create -t CHG-1 -- /usr/bin/systemctl reload x)" '^denied .*rule=checked .*ticket_check failed' "a rule whose ticket check cannot pass is denied, never passed unchecked"
dl_stop
tap_is "$DL_RC" 0 "SIGTERM exits 0"

# stale socket left by a killed daemon is replaced; a non-socket is not
ns_must "daemon starts" dl_start
dl_kill9
tap_ok "socket left behind by kill -9" [ -S "$DL_SOCK" ]
ns_must "daemon restarts over the stale socket" dl_start
tap_ok "restart over a stale socket works" dl_healthy
dl_stop
rm -f "$DL_SOCK"; echo data >"$DL_SOCK"
"$DL_BIN" -f -c "$DL_CONF" >"$T/out" 2>&1; rc=$?
tap_is "$rc" 4 "a regular file at the socket path: refuse to start (exit 4)"
tap_like "$(cat "$T/out")" 'is not a socket; refusing to remove it' "...and the file is kept"
tap_is "$(cat "$DL_SOCK")" "data" "the file is untouched"
rm -f "$DL_SOCK"

# started as root with user = an unprivileged account: drops privileges
echo "approverd-t:x:2999:2999:approverd test:/nonexistent:/usr/sbin/nologin" >>/etc/passwd
echo "approverd-t:x:2999:" >>/etc/group
DL_USER=approverd-t
ns_must "config with user" dl_write_conf
ns_must "daemon starts and drops" dl_start
tap_like "$(grep -E '^(Uid|Gid|Groups):' "/proc/$DL_PID/status" | tr '\t\n' '  ')" \
	'Uid: 2999 2999 2999 2999 Gid: 2999 2999 2999 2999 Groups: 2999' "daemon runs as approverd-t (uid, gid, groups)"
tap_like "$(adc create -- /usr/bin/systemctl restart nginx-priv)" '^pending ' "the unprivileged daemon still records and serves"
kill -HUP "$DL_PID"
wait_for 5 sh -c "[ \$(grep -c '\"event\":\"reload\"' '$DL_EVIDENCE') -ge 2 ]"
tap_is "$(grep -c '"event":"reload"' "$DL_EVIDENCE")" 2 "SIGHUP reload works after the drop"
tap_is "$(stat -c '%u %a' "$DL_EVIDENCE")" "0 600" "evidence file stays root-owned 0600"
dl_stop
tap_is "$DL_RC" 0 "clean stop after the drop"
tap_ok "final checkpoint written by the unprivileged daemon" sh -c "tail -n 1 '$DL_EVIDENCE' | grep -q checkpoint"
DL_USER=nosuchuser-x
dl_write_conf
"$DL_BIN" -f -c "$DL_CONF" >"$T/out" 2>&1; rc=$?
tap_is "$rc" 4 "a configured user that does not exist refuses the start"
tap_like "$(cat "$T/out")" "user 'nosuchuser-x'.*does not exist" "...naming the user"
tap_done
