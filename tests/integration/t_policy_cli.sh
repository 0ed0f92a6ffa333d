#!/bin/sh
# approverctl policy check / policy test against real files (issue 2).
# Checks exit codes, file:line messages, trust checks and the --json shape.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
A=$APPROVERD_BUILD/approverctl
C=$T/approverd.conf
P=$T/policy.conf
mkdir -p "$T/approvers.d"
ns_file "$C" 0644 "[daemon]
socket = $T/run/s.sock
evidence = $T/ev.log
host_key = $T/host.key
approvers_dir = $T/approvers.d
policy = $P
[subjects]
users = ai-deploy
[client]
wait = 0"
good_policy='[role sre]
members = alice, bob

[rule restart-web]
command = /usr/bin/systemctl restart nginx*
runas = root
require = 1 sre
ticket = ^(CHG|INC)-[0-9]+$
max_ttl = 30m
affects = nginx, web-frontend

[rule read-logs]
command = /usr/bin/journalctl --no-pager -u *
action = allow

[rule never]
command = /usr/bin/passwd *
action = deny

[default]
require = 1 sre'
ns_file "$P" 0644 "$good_policy"

out=$("$A" policy check -c "$C" 2>&1); rc=$?
tap_is "$rc" 0 "policy check: valid files exit 0"
tap_like "$out" "policy.conf: ok" "policy check reports the policy ok"
tap_like "$out" "alice.*no key file" "policy check warns about a member without a key file"

out=$("$A" policy test -c "$C" --user ai-deploy -- /usr/bin/systemctl restart nginx.service 2>&1); rc=$?
tap_is "$rc" 0 "policy test exits 0"
tap_like "$out" "rule: +restart-web" "wildcard within an argument matches nginx.service"
tap_like "$out" "requires: 1 approval from role sre" "policy test prints the quorum"
tap_like "$out" "max_ttl: +30m" "policy test prints max_ttl"

out=$("$A" policy test -c "$C" --user ai-deploy -- /usr/bin/systemctl restart nginx extra 2>&1)
tap_like "$out" "rule: +default" "a '*' inside a word never matches further arguments"

out=$("$A" policy test -c "$C" --json --user ai-deploy -- /usr/bin/passwd root 2>&1); rc=$?
tap_is "$rc" 0 "policy test --json exits 0"
tap_is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rule"], d["action"], d["argv"][1])')" \
	"never deny root" "--json gives rule, action and argv"

out=$("$A" policy test -c "$C" --json --user ai-deploy -- /usr/bin/journalctl --no-pager -u nginx 2>&1)
tap_is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["action"])')" \
	"allow" "allow rule matches with a lone trailing *"

ns_file "$P" 0644 "$good_policy
bogus = 1"
out=$("$A" policy check -c "$C" 2>&1); rc=$?
tap_is "$rc" 1 "policy check: unknown key exits 1"
tap_like "$out" "policy.conf:22: unknown key 'bogus'" "the error names file:line and the key"

ns_file "$P" 0644 "[rule x]
command = /bin/true
require = 1 nosuchrole
[role sre]
members = alice
[default]
require = 1 sre"
out=$("$A" policy check -c "$C" 2>&1); rc=$?
tap_is "$rc" 1 "policy check: unknown role exits 1"
tap_like "$out" "policy.conf:3:.*nosuchrole" "the error names the line of the bad require"

ns_file "$P" 0644 "$good_policy"
chmod 0666 "$P"
out=$("$A" policy check -c "$C" 2>&1); rc=$?
tap_is "$rc" 1 "policy check: world-writable policy exits 1"
tap_like "$out" "world-writable" "the refusal says why"

chmod 0644 "$P"
ln -s "$P" "$T/link.conf"
sed -i "s|^policy = .*|policy = $T/link.conf|" "$C"
out=$("$A" policy check -c "$C" 2>&1); rc=$?
tap_is "$rc" 1 "policy check: symlinked policy exits 1"
tap_like "$out" "link.conf" "the refusal names the symlink"

out=$("$A" policy test --help 2>&1); rc=$?
tap_is "$rc" 0 "policy test --help exits 0"
tap_like "$out" "--user" "--help documents --user"
tap_done
