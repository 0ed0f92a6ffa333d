#!/bin/sh
# t_package.sh — the Debian package: `make deb` builds it; its contents,
# owners and modes; its maintainer scripts run against a throwaway root
# (DPKG_ROOT, the mechanism dpkg --root uses) create the approverd user and
# directories and change nothing else; the unit verifies and its
# systemd-analyze exposure does not regress; the installed approverd starts
# from the unpacked tree on a temporary socket, creates its host key, answers
# and leaves an evidence log that verifies. The host's dpkg database, users,
# /etc and services are never touched (checked). Runs as root. Prints TAP.
set -u
top=${APPROVERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

T=$(mktemp -d /tmp/t_package.XXXXXX)
DPID=
cleanup() {
	[ -z "$DPID" ] || { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
host_state() { cat /etc/passwd /etc/group /etc/sudo.conf 2>/dev/null |
	cksum; ls -l --time-style=+%s /etc/pam.d; ls -R /var/lib/systemd 2>/dev/null; }
registered() { dpkg-query -W -f='${Status}' approverd 2>/dev/null | grep -q installed; }
registered && echo "# note: approverd is installed on this host (not by this test)"
was_registered=$(registered && echo yes)
before=$(host_state)

# ---- build -----------------------------------------------------------------
if make -C "$top" --no-print-directory O="$T/o" deb >"$T/build.log" 2>&1; then
	ok "make deb builds"
else
	notok "make deb builds"; tail -n 30 "$T/build.log" | sed 's/^/# /'
	echo "1..$n"; exit 1
fi
DEB=$(ls "$T"/o/deb/approverd_*.deb 2>/dev/null | head -n 1)
check "the .deb is in \$(O)/deb" '[ -f "$DEB" ]'
[ -f "$DEB" ] || { echo "1..$n"; exit 1; }

# ---- contents --------------------------------------------------------------
dpkg-deb -c "$DEB" >"$T/contents"
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has() { # mode owner path
	awk -v m="$1" -v o="$2" -v p="./$3" '$1 == m && $2 == o && $NF == p { f = 1 }
		END { exit !f }' "$T/contents"
}
check "approverd in /usr/sbin, 0755 root" 'has -rwxr-xr-x root/root usr/sbin/approverd'
check "approverctl in /usr/bin, 0755 root" 'has -rwxr-xr-x root/root usr/bin/approverctl'
check "PAM module in /lib/$MA/security, 0644" 'has -rw-r--r-- root/root lib/$MA/security/pam_approverd.so'
check "sudo plugin in /usr/libexec/sudo, 0644" 'has -rw-r--r-- root/root usr/libexec/sudo/sudo_approverd.so'
check "PAM and sudo cores next to them, 0644" 'has -rw-r--r-- root/root lib/$MA/security/pam_approverd_core.so &&
	has -rw-r--r-- root/root usr/libexec/sudo/sudo_approverd_core.so'
check "approverd.conf in /etc/approverd, 0644" 'has -rw-r--r-- root/root etc/approverd/approverd.conf'
check "policy.conf in /etc/approverd, 0644" 'has -rw-r--r-- root/root etc/approverd/policy.conf'
check "approvers.d shipped, 0755" 'has drwxr-xr-x root/root etc/approverd/approvers.d/'
check "systemd unit shipped" 'has -rw-r--r-- root/root lib/systemd/system/approverd.service'
check "tmpfiles.d and sysusers.d shipped" 'has -rw-r--r-- root/root usr/lib/tmpfiles.d/approverd.conf &&
	has -rw-r--r-- root/root usr/lib/sysusers.d/approverd.conf'
check "nothing under /etc/pam.d or /etc/sudo*" '! grep -Eq "\./etc/(pam\.d|sudo)" "$T/contents"'
dpkg-deb -e "$DEB" "$T/ctrl"
check "both configs are conffiles" 'grep -qx /etc/approverd/approverd.conf "$T/ctrl/conffiles" &&
	grep -qx /etc/approverd/policy.conf "$T/ctrl/conffiles"'
check "maintainer scripts never edit sudo.conf or PAM" '! cat "$T/ctrl/postinst" "$T/ctrl/postrm" | grep -v "^[[:space:]]*#" |
	grep -Eq "sudo\.conf|pam-auth-update|/etc/pam\.d"'
# dh_installsystemd --no-enable --no-start: no start, and "enable" only
# re-creates links for an admin who had enabled the unit before an upgrade.
check "the unit is neither enabled nor started by installing" '! grep -q "deb-systemd-invoke" "$T/ctrl/postinst" &&
	awk "/was-enabled/ { g = 1 } /deb-systemd-helper enable/ && !g { bad = 1 } END { exit bad }" "$T/ctrl/postinst"'
check "the package depends on the libraries it links" 'dpkg-deb -f "$DEB" Depends | grep -q libsodium'

# ---- maintainer scripts in a throwaway root ----------------------------------
R=$T/root
mkdir -p "$R/etc" && chmod 0755 "$T" "$R"
for f in passwd group shadow gshadow; do cp -p "/etc/$f" "$R/etc/$f"; done
dpkg -x "$DEB" "$R"
DPKG_ROOT=$R sh "$T/ctrl/postinst" configure >"$T/postinst.log" 2>&1; rc=$?
check "postinst configure succeeds (DPKG_ROOT)" '[ $rc -eq 0 ] || { sed "s/^/# /" "$T/postinst.log"; false; }'
uid=$(awk -F: '$1 == "approverd" { print $3 }' "$R/etc/passwd")
gid=$(awk -F: '$1 == "approverd" { print $3 }' "$R/etc/group")
check "approverd system user created (no shell)" '[ -n "$uid" ] && [ "$uid" -lt 1000 ] &&
	grep -q "^approverd:.*:/usr/sbin/nologin$" "$R/etc/passwd"'
check "approverd group created" '[ -n "$gid" ]'
statof() { stat -c '%a %u %g' "$1"; }
check "/var/lib/approverd is root:approverd 0750" '[ "$(statof "$R/var/lib/approverd")" = "750 0 $gid" ]'
check "/etc/approverd/approvers.d is root 0755" '[ "$(statof "$R/etc/approverd/approvers.d")" = "755 0 0" ]'
check "configs root-owned 0644" '[ "$(statof "$R/etc/approverd/approverd.conf")" = "644 0 0" ] &&
	[ "$(statof "$R/etc/approverd/policy.conf")" = "644 0 0" ]'
DPKG_ROOT=$R sh "$T/ctrl/postinst" configure >/dev/null 2>&1; rc=$?
check "postinst is idempotent (one user after a second run)" '[ $rc -eq 0 ] &&
	[ "$(grep -c "^approverd:" "$R/etc/passwd")" -eq 1 ]'
check "host users, groups, sudo.conf, pam.d unchanged" '[ "$(host_state)" = "$before" ]'
check "host dpkg database does not list the package" '[ "$(registered && echo yes)" = "$was_registered" ]'

# ---- the unit ----------------------------------------------------------------
UNIT=$R/lib/systemd/system/approverd.service
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(unshare -m sh -c 'mount --make-rprivate / &&
		mount --bind "$1/usr/sbin" /usr/sbin &&
		systemd-analyze verify --man=no "$2"' sh "$R" "$UNIT" 2>&1); rc=$?
	check "systemd-analyze verify is clean" '[ $rc -eq 0 ] && [ -z "$out" ] || { echo "# $out"; false; }'
	lvl=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security exposure: ${lvl:-?}"
	check "exposure measured and <= 2.0 (docs/formats/packaging.md)" '[ -n "$lvl" ] &&
		awk -v l="$lvl" "BEGIN { exit !(l <= 2.0) }"'
else
	notok "systemd-analyze is not installed: unit not verified"
fi

# ---- run the installed daemon, confined like the unit confines it ------------
# The unit gives approverd only the capabilities of its CapabilityBoundingSet=
# and no new privileges; it must start, drop to its user, serve, stop and
# start again with just those. (The host has no "approverd" user, so the
# copy of the config names "nobody".)
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z ' 'a-z\n' |
	sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd, -)
echo "# bounding set from the unit: ${caps:-none}"
mkdir -p "$T/run" && chmod 0755 "$T/run"
CFG=$T/approverd.conf
sed -e "s|^socket = .*|socket = $T/run/approverd.sock|" \
	-e "s|/var/lib/approverd|$R/var/lib/approverd|" \
	-e "s|/etc/approverd|$R/etc/approverd|" -e 's|^user = .*|user = nobody|' \
	"$R/etc/approverd/approverd.conf" >"$CFG"
chmod 0644 "$CFG"
out=$("$R/usr/sbin/approverd" --check -c "$CFG" 2>&1); rc=$?
check "installed approverd --check accepts the shipped config and policy" '[ $rc -eq 0 ] || { echo "# $out"; false; }'
start_confined() {
	rm -f "$T/run/approverd.sock"
	setpriv --no-new-privs --inh-caps=-all --bounding-set="-all${caps:+,$caps}" \
		"$R/usr/sbin/approverd" -f -c "$CFG" >>"$T/daemon.log" 2>&1 &
	DPID=$!
	i=0
	while [ ! -S "$T/run/approverd.sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	out=$("$R/usr/bin/approverctl" -S "$T/run/approverd.sock" health 2>&1); rc=$?
}
stop_daemon() { kill "$DPID"; wait "$DPID"; drc=$?; DPID=; }
start_confined
check "confined first start: the installed approverctl gets an answer" '[ $rc -eq 0 ] || { echo "# $out"; sed "s/^/# /" "$T/daemon.log"; false; }'
check "it runs as the configured user after start-up" '[ "$(awk "/^Uid:/ { print \$3 }" /proc/$DPID/status)" = "$(id -u nobody)" ]'
check "first start created host.key 0600 root" '[ "$(statof "$R/etc/approverd/host.key")" = "600 0 0" ]'
stop_daemon
check "SIGTERM stops it cleanly (exit 0)" '[ $drc -eq 0 ]'
start_confined
check "confined second start over the existing evidence log answers" '[ $rc -eq 0 ] || { sed "s/^/# /" "$T/daemon.log"; false; }'
stop_daemon
out=$("$R/usr/bin/approverctl" verify-log --host-key "$R/etc/approverd/host.pub" \
	"$R/var/lib/approverd/evidence.log" 2>&1); rc=$?
check "the evidence log of both runs verifies" '[ $rc -eq 0 ] || { echo "# $out"; false; }'

# ---- purge -------------------------------------------------------------------
DPKG_ROOT=$R sh "$T/ctrl/postrm" purge >/dev/null 2>&1; rc=$?
check "postrm purge removes host.key but keeps the evidence log" '[ $rc -eq 0 ] &&
	[ ! -e "$R/etc/approverd/host.key" ] && [ -f "$R/var/lib/approverd/evidence.log" ]'

# ---- lintian (reported, not fatal for warnings) ------------------------------
if command -v lintian >/dev/null 2>&1; then
	lintian --tag-display-limit 0 "$DEB" >"$T/lintian.log" 2>&1
	sed 's/^/# lintian: /' "$T/lintian.log"
	check "lintian reports no error (E:)" '! grep -q "^E:" "$T/lintian.log"'
else
	notok "lintian is not installed (packaging/install-deps.sh installs it)"
fi
check "host state unchanged at the end" '[ "$(host_state)" = "$before" ]'

echo "1..$n"
[ "$bad" -eq 0 ]
