#!/bin/sh
# t_doctor.sh — `approverctl doctor` against a fake installation tree.
#
# A fake root ($R: etc/sudo.conf, etc/pam.d, the plugin and module files,
# etc/approverd with real keys from `approverctl keygen`) and a real
# approverd on a temporary socket. First the good tree: every check OK (the
# clock may WARN on hosts without NTP), exit 0, --json agrees. Then one
# fault at a time, each restored afterwards: the check's line must say FAIL
# or WARN as documented (docs/formats/doctor.md) and the exit status must
# follow (1 only when something FAILed). Runs as root; touches only a
# mkdtemp directory. Prints TAP.
set -u
top=${APPROVERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${APPROVERD_BUILD:-$top/build}
CTL=$B/approverctl
DAEMON=$B/approverd
n=0
bad=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; show; fi; }
show() { printf '%s\n' "$out" | sed 's/^/# /'; }

for f in "$CTL" "$DAEMON"; do
	if [ ! -x "$f" ]; then
		echo "not ok 1 - $f is built"
		exit 1
	fi
done

T=$(mktemp -d /tmp/t_doctor.XXXXXX)
R=$T/root
DPID=
cleanup() {
	[ -z "$DPID" ] || { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# ---- the good tree ---------------------------------------------------------
mkdir -p "$R/etc/pam.d" "$R/etc/approverd/approvers.d" "$R/usr/libexec/sudo" \
	"$R/lib/x86_64-linux-gnu/security" "$T/keys" "$T/var" "$T/run"
chmod 0755 "$T" "$R" "$T/var" "$T/run"
# The doctor only checks that these files exist with a sane owner and mode.
for so in "$R/usr/libexec/sudo/sudo_approverd.so" \
	"$R/usr/libexec/sudo/sudo_approverd_core.so" \
	"$R/lib/x86_64-linux-gnu/security/pam_approverd.so" \
	"$R/lib/x86_64-linux-gnu/security/pam_approverd_core.so"; do
	cp "$B/$(basename "$so")" "$so" 2>/dev/null || : >"$so"
	chmod 0644 "$so"
done
cat >"$R/etc/sudo.conf" <<'EOF'
# sudo.conf of the fake tree
Plugin sudoers_policy sudoers.so
Plugin approverd_approval sudo_approverd.so
Plugin approverd_audit /usr/libexec/sudo/sudo_approverd.so
EOF
cat >"$R/etc/pam.d/common-account" <<'EOF'
account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so
account requisite pam_deny.so
account required pam_permit.so
account required pam_approverd.so
EOF
printf 'auth sufficient pam_rootok.so\n@include common-account\n' >"$R/etc/pam.d/su"
printf '@include common-auth\naccount include common-account\n' >"$R/etc/pam.d/sshd"
printf 'auth required pam_unix.so\n' >"$R/etc/pam.d/common-auth"

CFG=$R/etc/approverd/approverd.conf
write_config() { # evidence-path
	cat >"$CFG" <<EOF
[daemon]
socket = $T/run/approverd.sock
evidence = $1
host_key = $R/etc/approverd/host.key
approvers_dir = $R/etc/approverd/approvers.d
policy = $R/etc/approverd/policy.conf
user = root

[subjects]
users = ai-deploy, ai-ops

[client]
wait = 0
EOF
}
write_config "$T/var/evidence.log"
POL=$R/etc/approverd/policy.conf
cat >"$POL" <<'EOF'
[role sre]
members = alice, bob

[rule restart-web]
command = /usr/bin/systemctl restart nginx*
runas = root
require = 2 sre

[rule never]
command = /usr/bin/passwd *
action = deny

[default]
require = 1 sre
EOF
chmod 0644 "$CFG" "$POL" "$R/etc/sudo.conf" "$R"/etc/pam.d/*
for who in alice bob; do
	"$CTL" keygen --name "$who" --user "$who" --out-dir "$T/keys" \
		--no-passphrase >/dev/null 2>&1 || echo "# keygen $who failed"
	install -m 0644 "$T/keys/$who.pub" "$R/etc/approverd/approvers.d/"
done

"$DAEMON" -f -c "$CFG" >"$T/daemon.log" 2>&1 &
DPID=$!
i=0
while [ ! -S "$T/run/approverd.sock" ] && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
[ -S "$T/run/approverd.sock" ] || sed 's/^/# daemon: /' "$T/daemon.log"

doctor() { out=$("$CTL" doctor --root "$R" "$@" 2>&1); rc=$?; }
has() { printf '%s\n' "$out" | grep -Eq "^$1 +$2: .*$3"; }
lines() { printf '%s\n' "$out" | grep -Ec "^$1 +$2: "; }

doctor
check "good tree: exit 0" '[ $rc -eq 0 ]'
check "good tree: no FAIL line" '! printf "%s\n" "$out" | grep -q "^FAIL"'
check "good tree: sudo.conf OK (owner root, mode 0644)" 'has OK sudo.conf "owned by root, mode 0644"'
check "good tree: both plugin lines OK" '[ "$(lines OK sudo-plugin)" -eq 2 ]'
check "good tree: relative plugin path resolved" 'has OK sudo-plugin "Plugin approverd_approval /usr/libexec/sudo/sudo_approverd.so"'
check "good tree: su account phase through @include" 'has OK pam:su "common-account:4: account required pam_approverd.so"'
check "good tree: sshd account phase through include" 'has OK pam:sshd "common-account:4"'
check "good tree: absent services are not reported" '! has "[A-Z]+" pam:login ""'
check "good tree: config valid" 'has OK config "valid; 2 AI user"'
check "good tree: the fronts read the config themselves" 'has OK fronts "read by the sudo and PAM fronts$"'
check "good tree: policy valid" 'has OK policy "valid; 2 rule"'
check "good tree: alice key OK" 'has OK key:alice "user alice, key id [0-9a-f]{16}"'
check "good tree: bob key OK" 'has OK key:bob "user bob"'
check "good tree: no AI-owned key" 'has OK ai-key "no approver key belongs"'
check "good tree: no AI subject in a role" 'has OK ai-role "no AI subject"'
check "good tree: host key created by the daemon, 0600" 'has OK host-key "present, mode 0600"'
check "good tree: evidence intact" 'has OK evidence "intact; [0-9]+ records"'
check "good tree: daemon answers" 'has OK daemon "answers"'
check "good tree: clock line present" 'has "(OK|WARN)" clock ""'
check "good tree: summary line" 'printf "%s\n" "$out" | tail -n 1 | grep -Eq "^[0-9]+ ok, [0-9]+ warnings, 0 failed$"'

doctor --json
check "--json: exit 0" '[ $rc -eq 0 ]'
check "--json: array of {check,status,detail,fix}, none FAIL" 'printf "%s" "$out" | python3 -c "
import json, sys
a = json.load(sys.stdin)
assert isinstance(a, list) and len(a) >= 15
for e in a:
    assert set(e) == {\"check\", \"status\", \"detail\", \"fix\"}, e
    assert e[\"status\"] in (\"OK\", \"WARN\"), e
assert any(e[\"check\"] == \"daemon\" and e[\"status\"] == \"OK\" for e in a)
"'

# ---- sudo.conf -------------------------------------------------------------
chmod 0666 "$R/etc/sudo.conf"; doctor
check "world-writable sudo.conf: FAIL" 'has FAIL sudo.conf "world-writable \(mode 0666\); sudo ignores it"'
check "world-writable sudo.conf: fix names chmod" 'has FAIL sudo.conf "fix: chown root:root /etc/sudo.conf && chmod 0644"'
check "world-writable sudo.conf: exit 1" '[ $rc -eq 1 ]'
chmod 0664 "$R/etc/sudo.conf"; doctor
check "group-writable sudo.conf: FAIL" 'has FAIL sudo.conf "group-writable \(mode 0664\)"'
chmod 0644 "$R/etc/sudo.conf"; chown 1:0 "$R/etc/sudo.conf"; doctor
check "sudo.conf not owned by root: FAIL" 'has FAIL sudo.conf "owned by uid 1, not root"'
chown 0:0 "$R/etc/sudo.conf"
cp "$R/etc/sudo.conf" "$T/sudo.conf.good"
grep -v approverd "$T/sudo.conf.good" >"$R/etc/sudo.conf"; doctor
check "no plugin line: FAIL" 'has FAIL sudo-plugin "no .Plugin approverd_approval sudo_approverd.so. line"'
check "no plugin line: exit 1" '[ $rc -eq 1 ]'
sed 's|^Plugin approverd_approval sudo_approverd.so$|& config=/etc/approverd/other.conf|' \
	"$T/sudo.conf.good" >"$R/etc/sudo.conf"; doctor
check "plugin reads another config: WARN naming both" 'has WARN sudo-plugin "the approval plugin reads /etc/approverd/other.conf, but doctor checks .*/root/etc/approverd/approverd.conf"'
check "plugin reads another config: exit 0" '[ $rc -eq 0 ]'
sed 's|^Plugin approverd_approval sudo_approverd.so$|& config=/etc/approverd/approverd.conf|' \
	"$T/sudo.conf.good" >"$R/etc/sudo.conf"; doctor
check "plugin config= is the checked config: no WARN" '! has WARN sudo-plugin "" && [ "$(lines OK sudo-plugin)" -eq 2 ]'
grep -v approverd_audit "$T/sudo.conf.good" >"$R/etc/sudo.conf"; doctor
check "approval line only: audit WARN" 'has WARN sudo-plugin "no .Plugin approverd_audit"'
check "approval line only: exit 0 (WARN is not a failure)" '[ $rc -eq 0 ]'
sed 's|^Plugin approverd_audit .*|Plugin approverd_audit /nonexistent/sudo_approverd.so|' \
	"$T/sudo.conf.good" >"$R/etc/sudo.conf"; doctor
check "missing plugin file: FAIL (sudo refuses to run)" 'has FAIL sudo-plugin "/nonexistent/sudo_approverd.so is missing; sudo refuses to run"'
cp "$T/sudo.conf.good" "$R/etc/sudo.conf"
mv "$R/usr/libexec/sudo/sudo_approverd_core.so" "$T/core.so"; doctor
check "sudo core missing: FAIL (AI refused)" 'has FAIL sudo-plugin "sudo_approverd_core.so: missing, or not a root-owned"'
mv "$T/core.so" "$R/usr/libexec/sudo/sudo_approverd_core.so"
rm -f "$R/etc/sudo.conf"; doctor
check "no sudo.conf: FAIL" 'has FAIL sudo.conf "No such file"'
cp "$T/sudo.conf.good" "$R/etc/sudo.conf"

# ---- PAM -------------------------------------------------------------------
cp "$R/etc/pam.d/common-account" "$T/ca.good"
sed 's/^account required pam_approverd.so/account optional pam_approverd.so/' \
	"$T/ca.good" >"$R/etc/pam.d/common-account"; doctor
check "optional control: FAIL (denial ignored)" 'has FAIL pam:su "account optional.: a denial by pam_approverd.so is ignored"'
check "optional control: exit 1" '[ $rc -eq 1 ]'
grep -v pam_approverd "$T/ca.good" >"$R/etc/pam.d/common-account"; doctor
check "module absent from su: WARN" 'has WARN pam:su "pam_approverd.so is not in the account phase of su"'
check "module absent: exit 0" '[ $rc -eq 0 ]'
sed 's/^account required pam_approverd.so/account [default=die success=ok] pam_approverd.so/' \
	"$T/ca.good" >"$R/etc/pam.d/common-account"; doctor
check "bracket control: WARN, parsed as one token" 'has WARN pam:su "account \[default=die success=ok\] pam_approverd.so"'
printf 'account sufficient pam_localuser.so\naccount required pam_approverd.so\n' \
	>"$R/etc/pam.d/common-account"; doctor
check "sufficient module before it: WARN" 'has WARN pam:su "runs after .sufficient. pam_localuser.so"'
cp "$T/ca.good" "$R/etc/pam.d/common-account"
mv "$R/lib/x86_64-linux-gnu/security/pam_approverd.so" "$T/pam.so"; doctor
check "module file missing: FAIL" 'has FAIL pam:su "pam_approverd.so is missing; the su stack fails for every user"'
mv "$T/pam.so" "$R/lib/x86_64-linux-gnu/security/pam_approverd.so"
mv "$R/lib/x86_64-linux-gnu/security/pam_approverd_core.so" "$T/pam.so"; doctor
check "PAM core missing: FAIL (AI refused)" 'has FAIL pam:su "pam_approverd.so has no pam_approverd_core.so next to it"'
mv "$T/pam.so" "$R/lib/x86_64-linux-gnu/security/pam_approverd_core.so"
printf '@include su\n' >"$R/etc/pam.d/login"; printf '@include login\n' >"$R/etc/pam.d/su"; doctor
check "include loop: FAIL, nested too deep" 'has FAIL pam:su "nested too deep"'
rm -f "$R/etc/pam.d/login"
printf '@include /etc/pam.d/common-account\n' >"$R/etc/pam.d/su"; doctor
check "absolute @include resolved under --root" 'has OK pam:su "root/etc/pam.d/common-account:4: account required"'
printf 'auth sufficient pam_rootok.so\n@include common-account\n' >"$R/etc/pam.d/su"
mkfifo -m 0644 "$R/etc/pam.d/runuser"
out=$(timeout 20 "$CTL" doctor --root "$R" 2>&1); rc=$?
check "a FIFO in pam.d does not block doctor" '[ $rc -eq 1 ]'
check "a FIFO in pam.d: FAIL not a regular file" 'has FAIL pam:runuser "runuser: not a regular file"'
rm -f "$R/etc/pam.d/runuser"

# ---- keys and roles --------------------------------------------------------
"$CTL" keygen --name mallory --user ai-deploy --out-dir "$T/keys" \
	--no-passphrase >/dev/null 2>&1
install -m 0644 "$T/keys/mallory.pub" "$R/etc/approverd/approvers.d/"; doctor
check "key of an AI subject: FAIL ai-key" 'has FAIL ai-key "mallory.pub: user ai-deploy is an AI subject"'
check "key of an AI subject: exit 1" '[ $rc -eq 1 ]'
rm -f "$R/etc/approverd/approvers.d/mallory.pub"
chmod 0666 "$R/etc/approverd/approvers.d/alice.pub"; doctor
check "world-writable key: FAIL" 'has FAIL key:alice "regular file, owner uid 0, mode 0666"'
chmod 0644 "$R/etc/approverd/approvers.d/alice.pub"
chown 1 "$R/etc/approverd/approvers.d/bob.pub"; doctor
check "key not owned by root: FAIL" 'has FAIL key:bob "owner uid 1"'
chown 0 "$R/etc/approverd/approvers.d/bob.pub"
ln -s "$T/keys/alice.pub" "$R/etc/approverd/approvers.d/carol.pub"; doctor
check "symlinked key: FAIL" 'has FAIL key:carol "symbolic link"'
rm -f "$R/etc/approverd/approvers.d/carol.pub"
chmod 0777 "$R/etc/approverd/approvers.d"; doctor
check "world-writable approvers.d: FAIL" 'has FAIL approvers.d "mode 0777; anyone who can write here can approve"'
chmod 0755 "$R/etc/approverd/approvers.d"
cp "$POL" "$T/policy.good"
sed 's/^members = alice, bob/members = alice, bob, ai-ops/' "$T/policy.good" >"$POL"; doctor
check "AI subject in a role: FAIL ai-role" 'has FAIL ai-role "role sre: member ai-ops is AI subject ai-ops"'
check "AI subject in a role: exit 1" '[ $rc -eq 1 ]'
sed 's/^members = alice, bob/members = alice, dave/' "$T/policy.good" >"$POL"; doctor
check "quorum that cannot be met: WARN" 'has WARN quorum "rule restart-web requires 2 from role sre but only 1 member"'
cp "$T/policy.good" "$POL"

# ---- config, policy, host key, evidence ------------------------------------
printf '[rule x]\ncommand = /bin/true\nbogus = 1\n' >"$POL"; doctor
check "broken policy: FAIL naming file:line" 'has FAIL policy "policy.conf:3"'
check "broken policy: exit 1" '[ $rc -eq 1 ]'
cp "$T/policy.good" "$POL"
cp "$CFG" "$T/cfg.good"
sed -i 's/^users = ai-deploy, ai-ops$/& # the agents/' "$CFG"; doctor
check "inline comment: config still valid" 'has OK config "valid; 2 AI user"'
check "inline comment: WARN naming the line the fronts stop at" 'has WARN fronts "approverd.conf:10: not read by the sudo and PAM fronts"'
check "inline comment: exit 0 (slower, not wrong)" '[ $rc -eq 0 ]'
sed -i 's/^users = .*/uids = 2001-2099/' "$CFG"; doctor
check "uids only: the fronts need no name-service look-up" 'has OK fronts "AI subjects named by uid only"'
cp "$T/cfg.good" "$CFG"; printf '[daemon]\nnope = 1\n' >>"$CFG"; doctor
check "broken config: FAIL" 'has FAIL config "approverd.conf"'
check "broken config: dependent checks not run" 'has WARN evidence "not checked: the config is invalid"'
check "broken config: no fronts line" '! has "[A-Z]+" fronts ""'
cp "$T/cfg.good" "$CFG"
chmod 0640 "$R/etc/approverd/host.key"; doctor
check "host key mode 0640: FAIL" 'has FAIL host-key "mode 0640; want a regular file, mode 0600"'
chmod 0600 "$R/etc/approverd/host.key"

# ---- daemon stopped, then the evidence it left -------------------------------
kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=; doctor
check "daemon stopped: FAIL" 'has FAIL daemon "approverd is not reachable; AI subjects are refused"'
check "daemon stopped: exit 1" '[ $rc -eq 1 ]'
check "after stop: evidence intact with a signed checkpoint" 'has OK evidence "intact; [3-9] records, [1-9] checkpoints \(signatures verified\)"'
cp "$T/var/evidence.log" "$T/var/copy.log"
write_config "$T/var/copy.log"
sed '1s/"event":"start"/"event":"stop"/' "$T/var/evidence.log" >"$T/var/copy.log"; doctor
check "tampered first record: evidence FAIL naming the line" 'has FAIL evidence "copy.log: line [12] .*"'
cp "$T/cfg.good" "$CFG"
out=$("$CTL" doctor --root relative/dir 2>&1); rc=$?
check "relative --root: usage error (exit 2)" '[ $rc -eq 2 ]'
out=$("$CTL" doctor --bogus 2>&1); rc=$?
check "unknown option: usage error (exit 2)" '[ $rc -eq 2 ]'
out=$("$CTL" doctor --help 2>&1); rc=$?
check "--help: exit 0, names --root and --json" '[ $rc -eq 0 ] && printf "%s" "$out" | grep -q -- "--root DIR" && printf "%s" "$out" | grep -q -- "--json"'

echo "1..$n"
[ "$bad" -eq 0 ]
